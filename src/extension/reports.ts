import * as path from 'node:path';
import * as vscode from 'vscode';
import { langOf, type Lang } from '../core/l10n';
import type { LoadedReport } from '../core/report/load';
import type { PartialReport } from '../core/report/schema';
import { registerCommand } from './commands';
import type { Ctx } from './ctx';
import { statusIcon } from './views/format';
import type { Node } from './views/index';

/**
 * Reports view + webview: validation reports (validation_report_*.json) found in the workspace, opened in
 * a webview rendered by the core (renderReportHtml: tables, charts, strict CSP with a per-panel nonce, no
 * local or remote resources), figures that open their evidence, export to Markdown / HTML, and two reports
 * side by side. Messages from the webview are untrusted: parsed with the core's zod schema, else ignored.
 */

export const REPORT_GLOB = '**/validation_report_*.json';

function reportLang(): Lang {
  return langOf(vscode.env.language);
}

interface ReportEntry {
  uri: vscode.Uri;
  loaded: LoadedReport;
  /** The SSH host the report was found on (a local copy is at uri); undefined for workspace reports. */
  host?: string;
}

export interface ReportPanel {
  panel: vscode.WebviewPanel;
  entries: ReportEntry[];
  /** Messages received and accepted / rejected (for the log and the tests). */
  accepted: string[];
  rejected: string[];
}

async function load(uri: vscode.Uri): Promise<ReportEntry> {
  const { parseReportText } = await import('../core/report/load');
  const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  return { uri, loaded: parseReportText(text, uri.fsPath) };
}

function verdictStatus(r: PartialReport): 'pass' | 'warn' | 'fail' | 'skip' {
  const v = (r as { verdict?: { overall?: string } }).verdict?.overall;
  if (v === 'pass') return 'pass';
  if (v === 'fail') return 'fail';
  if (v === 'warn') return 'warn';
  return 'skip';
}

class ReportNode implements Node {
  constructor(readonly entry: ReportEntry) {}

  item(): vscode.TreeItem {
    const r = this.entry.loaded.report;
    const it = new vscode.TreeItem(r.model?.name ?? path.basename(this.entry.uri.fsPath));
    it.id = `report:${this.entry.uri.toString()}`;
    it.description = [
      r.simulated ? vscode.l10n.t('SIMULATED') : '',
      this.entry.host ? vscode.l10n.t('on {0}', this.entry.host) : '',
      r.hosts?.[0]?.name ?? '',
      (r.generatedAt ?? '').slice(0, 16).replace('T', ' '),
      this.entry.loaded.problems.length ? vscode.l10n.t('{0} problems', this.entry.loaded.problems.length) : '',
    ]
      .filter(Boolean)
      .join(' · ');
    it.iconPath = statusIcon(verdictStatus(r));
    it.resourceUri = this.entry.uri;
    it.tooltip = `${vscode.workspace.asRelativePath(this.entry.uri)}${this.entry.loaded.problems.length ? `\n\n${this.entry.loaded.problems.map((p) => p.message).join('\n')}` : ''}`;
    it.contextValue = 'ascend.report';
    it.command = { command: 'ascend.reports.open', title: vscode.l10n.t('Open Report'), arguments: [this.entry.uri] };
    return it;
  }
}

export class Reports implements vscode.Disposable {
  readonly panels = new Set<ReportPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {}

  async list(): Promise<ReportEntry[]> {
    const uris = await vscode.workspace.findFiles(REPORT_GLOB, '**/node_modules/**', 200);
    const out: ReportEntry[] = [];
    for (const u of uris.sort((a, b) => b.fsPath.localeCompare(a.fsPath))) {
      try {
        out.push(await load(u));
      } catch (e) {
        this.ctx.log.warn(`report ${u.fsPath}: ${(e as Error).message}`);
      }
    }
    out.push(...(await this.listOnActiveHost()));
    return out;
  }

  /**
   * Reports on the active SSH host (validate run by the CLI on the host, under ~/.ascend-adapt/reports):
   * listed only while that host is connected (listing never opens a connection or asks for a secret),
   * copied into the extension's storage so opening, export and comparison work as for workspace reports.
   */
  private async listOnActiveHost(): Promise<ReportEntry[]> {
    const id = this.ctx.hosts.activeId;
    if (!id?.startsWith('ssh:') || this.ctx.hosts.state(id) !== 'connected') return [];
    const out: ReportEntry[] = [];
    try {
      const { listHostReports, readHostReport } = await import('../core/report/host-reports');
      const { parseReportText } = await import('../core/report/load');
      const t = await this.ctx.hosts.transport(id);
      const cache = vscode.Uri.joinPath(this.ctx.extension.globalStorageUri, 'host-reports', id.slice(4).replace(/[^\w.-]/g, '_'));
      for (const f of await listHostReports(t)) {
        try {
          const text = await readHostReport(t, f.path);
          const local = vscode.Uri.joinPath(cache, f.path.replace(/^\/+/, ''));
          await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(local, '..'));
          await vscode.workspace.fs.writeFile(local, Buffer.from(text, 'utf8'));
          out.push({ uri: local, loaded: parseReportText(text, `${id.slice(4)}:${f.path}`), host: id.slice(4) });
        } catch (e) {
          this.ctx.log.warn(`report ${id}:${f.path}: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      this.ctx.log.warn(`reports on ${id}: ${(e as Error).message}`);
    }
    return out;
  }

  async open(uris: vscode.Uri[]): Promise<ReportPanel> {
    const entries = await Promise.all(uris.map(load));
    for (const e of entries) for (const p of e.loaded.problems) this.ctx.log.warn(p.message);
    const title =
      entries.length === 2
        ? vscode.l10n.t('Compare: {0} ↔ {1}', path.basename(entries[0].uri.fsPath), path.basename(entries[1].uri.fsPath))
        : (entries[0].loaded.report.model?.name ?? path.basename(entries[0].uri.fsPath));
    const panel = vscode.window.createWebviewPanel('ascend.report', title, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      // The page is self-contained (inline SVG charts, nonce'd style and script): no file is loaded from disk.
      localResourceRoots: [],
      retainContextWhenHidden: false,
    });
    const rp: ReportPanel = { panel, entries, accepted: [], rejected: [] };
    this.panels.add(rp);
    panel.onDidDispose(() => this.panels.delete(rp));
    panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(rp, raw));
    await this.render(rp);
    return rp;
  }

  async render(rp: ReportPanel): Promise<void> {
    const { makeNonce, renderReportHtml } = await import('../core/report/html');
    const nonce = makeNonce();
    const lang = reportLang();
    const w = rp.panel.webview;
    if (rp.entries.length === 2) {
      const { renderComparisonHtml } = await import('../core/report/compare');
      w.html = renderComparisonHtml(rp.entries[0].loaded.report, rp.entries[1].loaded.report, { lang, mode: 'webview', nonce, cspSource: w.cspSource });
    } else {
      const e = rp.entries[0];
      w.html = renderReportHtml(e.loaded.report, { lang, mode: 'webview', nonce, cspSource: w.cspSource, problems: e.loaded.problems });
    }
  }

  /** Every message from the webview goes through the core's zod schema; anything else is dropped. */
  async onMessage(rp: ReportPanel, raw: unknown): Promise<void> {
    const { parseWebviewMessage } = await import('../core/report/messages');
    const r = parseWebviewMessage(raw);
    if (!r.ok) {
      rp.rejected.push(r.error);
      this.ctx.log.warn(`report webview: message ignored (${r.error})`);
      return;
    }
    const m = r.message;
    rp.accepted.push(m.type);
    try {
      if (m.type === 'export') await this.export(rp.entries[0], m.format);
      else if (m.type === 'openEvidence') await this.openEvidence(rp, m.figureId);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Ascend: {0}', (e as Error).message));
    }
  }

  /** Opens the file a figure came from: the copy beside the report, else the file itself when local. */
  async openEvidence(rp: ReportPanel, figureId: string): Promise<vscode.Uri | undefined> {
    let entry = rp.entries[0];
    let id = figureId;
    const side = /^([AB]):(.*)$/.exec(figureId);
    if (side && rp.entries.length === 2) {
      entry = rp.entries[side[1] === 'A' ? 0 : 1];
      id = side[2];
    }
    const { indexReport } = await import('../core/report/figures');
    const ev = indexReport(entry.loaded.report).evidenceOfFigure(id);
    if (!ev) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No evidence recorded for {0}.', id));
      return undefined;
    }
    const candidates = [ev.copy ? path.resolve(path.dirname(entry.uri.fsPath), ev.copy) : undefined, ev.file].filter((x): x is string => Boolean(x));
    for (const f of candidates) {
      const uri = vscode.Uri.file(f);
      const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
      if (!exists) continue;
      const doc = await vscode.workspace.openTextDocument(uri);
      let line = ev.line ? ev.line - 1 : 0;
      if (ev.line === undefined && ev.offset !== undefined) line = doc.positionAt(ev.offset).line;
      if (ev.pointer && ev.line === undefined) {
        // A JSON pointer: find the last key of the pointer in the result file.
        const key = ev.pointer.split('/').pop()?.replace(/~1/g, '/').replace(/~0/g, '~');
        const idx = key ? doc.getText().indexOf(`"${key}"`) : -1;
        if (idx >= 0) line = doc.positionAt(idx).line;
      }
      const range = new vscode.Range(line, 0, line, 0);
      await vscode.window.showTextDocument(doc, { selection: range, viewColumn: vscode.ViewColumn.Beside, preview: true });
      return uri;
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('Evidence for {0} is on {1}: {2}{3}', id, ev.host, ev.file, ev.line ? `:${ev.line}` : ''));
    return undefined;
  }

  async export(entry: ReportEntry, format: 'md' | 'html', target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const base = entry.uri.fsPath.replace(/\.json$/i, '');
    const dest =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(`${base}.${format}`),
        filters: format === 'md' ? { Markdown: ['md'] } : { HTML: ['html'] },
        title: vscode.l10n.t('Export Validation Report'),
      }));
    if (!dest) return undefined;
    const lang = reportLang();
    let text: string;
    if (format === 'md') {
      const { renderMarkdown } = await import('../core/report/markdown');
      text = renderMarkdown(entry.loaded.report, { lang, problems: entry.loaded.problems });
    } else {
      const { renderReportHtml } = await import('../core/report/html');
      text = renderReportHtml(entry.loaded.report, { lang, mode: 'standalone', problems: entry.loaded.problems });
    }
    await vscode.workspace.fs.writeFile(dest, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(vscode.l10n.t('Report exported to {0}', dest.fsPath));
    return dest;
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg instanceof ReportNode) return arg.entry.uri;
  return undefined;
}

export function registerReports(ctx: Ctx): void {
  const reports = ctx.own(new Reports(ctx));
  ctx.reports = reports;
  const tree = ctx.views.trees['ascend.reports'];
  tree.setRoots(async () => (await reports.list()).map((e) => new ReportNode(e)));
  const watcher = ctx.own(vscode.workspace.createFileSystemWatcher(REPORT_GLOB));
  ctx.own(watcher.onDidCreate(() => tree.refresh()));
  ctx.own(watcher.onDidChange(() => tree.refresh()));
  ctx.own(watcher.onDidDelete(() => tree.refresh()));
  // Reports on the active SSH host appear once it is connected (and go when it is not).
  ctx.own(ctx.hosts.onDidChange(() => tree.refresh()));

  const pick = async (placeHolder: string): Promise<vscode.Uri | undefined> => {
    const list = await reports.list();
    if (list.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No validation_report_*.json in this workspace.'));
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

  registerCommand(ctx, 'ascend.reports.refresh', () => tree.refresh());

  registerCommand(ctx, 'ascend.reports.open', async (arg?: unknown) => {
    const uri = uriOf(arg) ?? (await pick(vscode.l10n.t('Open which report?')));
    if (!uri) return undefined;
    return reports.open([uri]);
  });

  registerCommand(ctx, 'ascend.reports.export', async (arg?: unknown, format?: unknown, target?: unknown) => {
    const uri = uriOf(arg) ?? (await pick(vscode.l10n.t('Export which report?')));
    if (!uri) return undefined;
    const fmt =
      format === 'md' || format === 'html'
        ? format
        : ((await vscode.window.showQuickPick([{ label: 'Markdown', f: 'md' as const }, { label: 'HTML', f: 'html' as const }], { placeHolder: vscode.l10n.t('Export as') }))?.f);
    if (!fmt) return undefined;
    return reports.export(await load(uri), fmt, target instanceof vscode.Uri ? target : undefined);
  });

  registerCommand(ctx, 'ascend.reports.compare', async (arg?: unknown, other?: unknown) => {
    const all = await reports.list();
    if (all.length < 2) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Comparing needs two validation reports in the workspace.'));
      return undefined;
    }
    const a = uriOf(arg) ?? (await pick(vscode.l10n.t('First report (before / NPU)')));
    if (!a) return undefined;
    const b =
      uriOf(other) ??
      (
        await vscode.window.showQuickPick(
          all.filter((e) => e.uri.toString() !== a.toString()).map((e) => ({ label: e.loaded.report.model?.name ?? path.basename(e.uri.fsPath), description: vscode.workspace.asRelativePath(e.uri), uri: e.uri })),
          { placeHolder: vscode.l10n.t('Second report (after / GPU)') },
        )
      )?.uri;
    if (!b) return undefined;
    return reports.open([a, b]);
  });
}
