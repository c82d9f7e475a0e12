import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PartialReport } from '../../core/report/schema';
import type { ReportEntry } from '../reports';
import { statusIcon } from './format';
import type { Node } from './index';

/** Reports view: validation reports of the workspace and of the active host, newest first. */

function verdictStatus(r: PartialReport): 'pass' | 'warn' | 'fail' | 'skip' {
  const v = (r as { verdict?: { overall?: string } }).verdict?.overall;
  if (v === 'pass') return 'pass';
  if (v === 'fail') return 'fail';
  if (v === 'warn') return 'warn';
  return 'skip';
}

export class ReportNode implements Node {
  constructor(readonly entry: ReportEntry) {}

  item(): vscode.TreeItem {
    const r = this.entry.loaded.report;
    const it = new vscode.TreeItem(r.model?.name ?? path.basename(this.entry.uri.fsPath));
    it.id = `report:${this.entry.uri.toString()}`;
    it.description = [
      r.simulated ? l10n.t('SIMULATED') : '',
      this.entry.host ? l10n.t('on {0}', this.entry.host) : '',
      r.hosts?.[0]?.name ?? '',
      (r.generatedAt ?? '').slice(0, 16).replace('T', ' '),
      this.entry.loaded.problems.length ? l10n.t('{0} problems', this.entry.loaded.problems.length) : '',
    ]
      .filter(Boolean)
      .join(' · ');
    it.iconPath = statusIcon(verdictStatus(r));
    it.resourceUri = this.entry.uri;
    it.tooltip = `${vscode.workspace.asRelativePath(this.entry.uri)}${this.entry.loaded.problems.length ? `\n\n${this.entry.loaded.problems.map((p) => p.message).join('\n')}` : ''}`;
    it.contextValue = 'ascend.report';
    it.command = { command: 'ascend.reports.open', title: l10n.t('Open Report'), arguments: [this.entry.uri] };
    return it;
  }
}
