import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reportFormat, reportLang, reportRef, uri } from './args';
import type { Commands } from './commands';
import type { Hosts } from './hosts';
import type { Notifier } from './notify';
import { loadReport, REPORT_GLOB, type Reports } from './reports';
import type { Views } from './views';
import { ReportNode } from './views/reports';

/** Report commands and the Reports view: open, export, compare. */

export interface ReportsFeature {
  reports: Reports;
  hosts: Hosts;
  views: Views;
  notifier: Notifier;
}

export function registerReportCommands(commands: Commands, d: ReportsFeature): vscode.Disposable {
  const { reports, notifier } = d;
  const tree = d.views.trees['ascend.reports'];
  tree.setRoots(async () => (await reports.list()).map((e) => new ReportNode(e)));
  const watcher = vscode.workspace.createFileSystemWatcher(REPORT_GLOB);
  const subs = [
    watcher,
    watcher.onDidCreate(() => tree.refresh()),
    watcher.onDidChange(() => tree.refresh()),
    watcher.onDidDelete(() => tree.refresh()),
    // Reports on the active SSH host appear once it is connected (and go when it is not).
    d.hosts.onDidChange(() => tree.refresh()),
  ];

  const pick = async (placeHolder: string): Promise<vscode.Uri | undefined> => {
    const list = await reports.list();
    if (list.length === 0) {
      void notifier.info(l10n.t('No validation_report_*.json in this workspace.'));
      return undefined;
    }
    if (list.length === 1) return list[0].uri;
    return (
      await vscode.window.showQuickPick(
        list.map((e) => ({ label: e.loaded.report.model?.name ?? path.basename(e.uri.fsPath), description: vscode.workspace.asRelativePath(e.uri), uri: e.uri })),
        { placeHolder },
      )
    )?.uri;
  };

  commands.register('ascend.reports.refresh', [], () => tree.refresh());

  commands.register('ascend.reports.open', [reportRef.optional()], async (given) => {
    const uri = given ?? (await pick(l10n.t('Open which report?')));
    if (!uri) return undefined;
    return reports.open([uri]);
  });

  commands.register('ascend.reports.export', [reportRef.optional(), reportFormat.optional(), uri.optional(), reportLang.optional()], async (given, format, target, lang) => {
    const file = given ?? (await pick(l10n.t('Export which report?')));
    if (!file) return undefined;
    const fmt =
      format ?? ((await vscode.window.showQuickPick([{ label: 'Markdown', f: 'md' as const }, { label: 'HTML', f: 'html' as const }], { placeHolder: l10n.t('Export as') }))?.f);
    if (!fmt) return undefined;
    return reports.export(await loadReport(file), fmt, target, lang);
  });

  commands.register('ascend.reports.compare', [reportRef.optional(), reportRef.optional()], async (first, other) => {
    const all = await reports.list();
    if (all.length < 2) {
      void notifier.info(l10n.t('Comparing needs two validation reports in the workspace.'));
      return undefined;
    }
    const a = first ?? (await pick(l10n.t('First report (before / NPU)')));
    if (!a) return undefined;
    const b =
      other ??
      (
        await vscode.window.showQuickPick(
          all.filter((e) => e.uri.toString() !== a.toString()).map((e) => ({ label: e.loaded.report.model?.name ?? path.basename(e.uri.fsPath), description: vscode.workspace.asRelativePath(e.uri), uri: e.uri })),
          { placeHolder: l10n.t('Second report (after / GPU)') },
        )
      )?.uri;
    if (!b) return undefined;
    return reports.open([a, b]);
  });

  return vscode.Disposable.from(...subs);
}
