import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { currentLanguage, type Lang } from '../core/l10n';
import type { LoadedReport } from '../core/report/load';
import type { Evidence, PartialReport } from '../core/report/schema';
import { EvidenceEditor, localEvidenceFile } from './evidence';
import type { Hosts } from './hosts';
import type { Notifier } from './notify';

/**
 * Reports view + webview: validation reports (validation_report_*.json) found in the workspace, opened in
 * a webview rendered by the core (renderReportHtml: tables, charts, strict CSP with a per-panel nonce, no
 * local or remote resources), figures that open their evidence, export to Markdown / HTML, and two reports
 * side by side. Messages from the webview are untrusted: parsed with the core's zod schema, else ignored.
 */

export const REPORT_GLOB = '**/validation_report_*.json';

/** Reports open in the extension's language (VS Code's display language). */
function reportLang(): Lang {
  return currentLanguage();
}

export interface ReportEntry {
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

export async function loadReport(uri: vscode.Uri): Promise<ReportEntry> {
  const { parseReportText } = await import('../core/report/load');
  const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  return { uri, loaded: parseReportText(text, uri.fsPath) };
}

let copies = 0;

/**
 * A host report's local copy. Listings run concurrently (each refresh of the view lists again) and a copy
 * may be read while another listing writes it: unchanged copies are left alone, changed ones are written
 * beside and renamed over, so a reader never sees a half-written file.
 */
async function writeCopy(local: vscode.Uri, text: string): Promise<void> {
  const same = await vscode.workspace.fs.readFile(local).then((b) => Buffer.from(b).toString('utf8') === text, () => false);
  if (same) return;
  const tmp = local.with({ path: `${local.path}.${process.pid}-${++copies}.tmp` });
  await vscode.workspace.fs.writeFile(tmp, Buffer.from(text, 'utf8'));
  await vscode.workspace.fs.rename(tmp, local, { overwrite: true });
}

/** What exporting asks; tests inside VS Code replace it. */
export interface ReportsUi {
  pickLanguage(current: Lang): Promise<Lang | undefined>;
}

export const defaultReportsUi: ReportsUi = {
  async pickLanguage(current) {
    const all: Array<vscode.QuickPickItem & { lang: Lang }> = [
      { label: '简体中文', description: 'zh-CN', lang: 'zh-CN' },
      { label: 'English', description: 'en', lang: 'en' },
    ];
    const items = all.sort((a, b) => (a.lang === current ? -1 : b.lang === current ? 1 : 0));
    return (await vscode.window.showQuickPick(items, { placeHolder: l10n.t('Report language') }))?.lang;
  },
};

export class Reports implements vscode.Disposable {
  readonly panels = new Set<ReportPanel>();
  /** One editor for evidence, whichever report or step it is opened from. */
  readonly evidenceEditor = new EvidenceEditor();
  ui: ReportsUi = defaultReportsUi;

  constructor(
    private readonly hosts: Hosts,
    private readonly log: vscode.LogOutputChannel,
    private readonly notifier: Notifier,
    /** Local copies of reports found on hosts go under here. */
    private readonly storageUri: vscode.Uri,
  ) {}

  async list(): Promise<ReportEntry[]> {
    const uris = await vscode.workspace.findFiles(REPORT_GLOB, '**/node_modules/**', 200);
    const out: ReportEntry[] = [];
    for (const u of uris.sort((a, b) => b.fsPath.localeCompare(a.fsPath))) {
      try {
        out.push(await loadReport(u));
      } catch (e) {
        this.log.warn(`report ${u.fsPath}: ${(e as Error).message}`);
      }
    }
    out.push(...(await this.listOnActiveHost()));
    // Newest first (a run that just ended is on top), whatever folder it was written to.
    const when = (e: ReportEntry) => e.loaded.report.generatedAt ?? '';
    return out.sort((a, b) => when(b).localeCompare(when(a)) || b.uri.fsPath.localeCompare(a.uri.fsPath));
  }

  /**
   * Reports on the active SSH host (validate run by the CLI on the host, under ~/.ascend-adapt/reports):
   * listed only while that host is connected (listing never opens a connection or asks for a secret),
   * copied into the extension's storage so opening, export and comparison work as for workspace reports.
   */
  private async listOnActiveHost(): Promise<ReportEntry[]> {
    const id = this.hosts.activeId;
    if (!id?.startsWith('ssh:') || this.hosts.state(id) !== 'connected') return [];
    const out: ReportEntry[] = [];
    try {
      const { listHostReports, readHostReport } = await import('../core/report/host-reports');
      const { parseReportText } = await import('../core/report/load');
      const t = await this.hosts.transport(id);
      const cache = vscode.Uri.joinPath(this.storageUri, 'host-reports', id.slice(4).replace(/[^\w.-]/g, '_'));
      for (const f of await listHostReports(t)) {
        try {
          const text = await readHostReport(t, f.path);
          const local = vscode.Uri.joinPath(cache, f.path.replace(/^\/+/, ''));
          await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(local, '..'));
          await writeCopy(local, text);
          out.push({ uri: local, loaded: parseReportText(text, `${id.slice(4)}:${f.path}`), host: id.slice(4) });
        } catch (e) {
          this.log.warn(`report ${id}:${f.path}: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      this.log.warn(`reports on ${id}: ${(e as Error).message}`);
    }
    return out;
  }

  async open(uris: vscode.Uri[]): Promise<ReportPanel> {
    const entries = await Promise.all(uris.map(loadReport));
    for (const e of entries) for (const p of e.loaded.problems) this.log.warn(p.message);
    const title =
      entries.length === 2
        ? l10n.t('Compare: {0} ↔ {1}', path.basename(entries[0].uri.fsPath), path.basename(entries[1].uri.fsPath))
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
      this.log.warn(`report webview: message ignored (${r.error})`);
      return;
    }
    const m = r.message;
    rp.accepted.push(m.type);
    try {
      if (m.type === 'export') await this.export(rp.entries[0], m.format);
      else if (m.type === 'openEvidence') await this.openEvidence(rp, m.figureId);
    } catch (e) {
      void this.notifier.error(undefined, e);
    }
  }

  /** Opens the file a figure came from (the copy beside the report, else the file itself when local), cursor on the value. */
  async openEvidence(rp: ReportPanel, figureId: string): Promise<vscode.Uri | undefined> {
    let entry = rp.entries[0];
    let id = figureId;
    const side = /^([AB]):(.*)$/.exec(figureId);
    if (side && rp.entries.length === 2) {
      entry = rp.entries[side[1] === 'A' ? 0 : 1];
      id = side[2];
    }
    return this.showFigureEvidence(entry.uri.fsPath, entry.loaded.report, id);
  }

  /** A figure of a report (by id) in the one evidence editor; says where it is when it is not on this machine. */
  async showFigureEvidence(reportFile: string, report: PartialReport, figureId: string): Promise<vscode.Uri | undefined> {
    const { indexReport } = await import('../core/report/figures');
    const idx = indexReport(report);
    const fig = idx.figure(figureId);
    const ev = fig ? idx.evidence(fig.evidence) : undefined;
    if (!fig || !ev) {
      void this.notifier.info(l10n.t('No evidence recorded for {0}.', figureId));
      return undefined;
    }
    return this.showEvidence(reportFile, ev, fig.pointer ?? ev.pointer ?? null);
  }

  /** An evidence entry of a report in the one evidence editor, at its value (pointer) or line. */
  async showEvidence(reportFile: string, ev: Evidence, pointer: string | null = ev.pointer ?? null): Promise<vscode.Uri | undefined> {
    const file = localEvidenceFile(reportFile, ev);
    if (!file) {
      void this.notifier.info(l10n.t('Evidence {0} is on {1}: {2}{3}', ev.id, ev.host, ev.file, ev.line ? `:${ev.line}` : ''));
      return undefined;
    }
    const editor = await this.evidenceEditor.show({ file, pointer: ev.kind === 'log' ? null : pointer, line: ev.line ?? null, byteOffset: ev.offset ?? null });
    return editor.document.uri;
  }

  /**
   * Writes the report as Markdown or HTML in the language asked for (default: picked, the UI's first), then
   * offers to open what it wrote.
   */
  async export(entry: ReportEntry, format: 'md' | 'html', target?: vscode.Uri, langGiven?: Lang): Promise<vscode.Uri | undefined> {
    const lang = langGiven ?? (await this.ui.pickLanguage(reportLang()));
    if (!lang) return undefined;
    const base = entry.uri.fsPath.replace(/\.json$/i, '');
    const dest =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(`${base}.${lang}.${format}`),
        filters: format === 'md' ? { Markdown: ['md'] } : { HTML: ['html'] },
        title: l10n.t('Export Validation Report'),
      }));
    if (!dest) return undefined;
    let text: string;
    if (format === 'md') {
      const { renderMarkdown } = await import('../core/report/markdown');
      text = renderMarkdown(entry.loaded.report, { lang, problems: entry.loaded.problems });
    } else {
      const { renderReportHtml } = await import('../core/report/html');
      text = renderReportHtml(entry.loaded.report, { lang, mode: 'standalone', problems: entry.loaded.problems });
    }
    await vscode.workspace.fs.writeFile(dest, Buffer.from(text, 'utf8'));
    const open = l10n.t('Open');
    void Promise.resolve(this.notifier.info(l10n.t('Report exported to {0}', dest.fsPath), open)).then(async (pick) => {
      if (pick !== open) return;
      // Markdown opens in the editor's preview; HTML in the system browser (it is a standalone page).
      if (format === 'md') await vscode.commands.executeCommand('markdown.showPreview', dest);
      else await vscode.env.openExternal(dest);
    });
    return dest;
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
  }
}
