import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { currentLanguage } from '../core/l10n';
import type { ProfileRecord, ProfileSpec } from '../core/profile/run';
import type { ProfileSummary } from '../core/profile/schema';
import type { NamedProfile } from '../core/profiles/schema';
import type { Hosts } from './hosts';
import type { Notifier } from './notify';
import type { Serving } from './serving';

/**
 * "Ascend: Profile Serving" and the Profile view: a profile of the workspace's ascend-adapt.json profiled on
 * its host (the core's runProfile: the server with --profiler-config, the capture job, the server stopped),
 * followed with a cancellable progress notification; the runs are kept across reloads and a run still going
 * is followed again when the Profile view shows (hosts that need no prompt). A finished run's AI CPU
 * operators go to .ascend-adapt/profile-findings.json, which the language server shows on the code. Each run
 * opens in a webview rendered by the core (strict CSP, per-panel nonce, nothing remote); its messages are
 * parsed with zod, anything else is dropped.
 */

export interface TrackedProfile {
  key: string;
  hostId: string;
  /** The serving profile (null for a folder summarised on its own). */
  profileName: string | null;
  simRoot?: string;
  record: ProfileRecord;
  /** For a folder summarised on its own: the summary (a run keeps it in record.result). */
  summary?: ProfileSummary | null;
  title: string;
}

export interface ProfilingDeps {
  serving: Serving;
  hosts: Hosts;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** Workspace state: the tracked runs. */
  state: vscode.Memento;
}

export interface ProfilePanel {
  panel: vscode.WebviewPanel;
  key: string;
  accepted: string[];
  rejected: string[];
}

const KEY = 'ascend.profiles.v1';
/** Largest timeline copied through the connection (it is held in memory on the way). */
const DOWNLOAD_LIMIT = 1 << 30;
const RUNNING: ReadonlySet<ProfileRecord['state']> = new Set(['starting-server', 'capturing']);

export function stateWord(s: ProfileRecord['state']): string {
  switch (s) {
    case 'starting-server': return l10n.t('starting the server');
    case 'capturing': return l10n.t('profiling');
    case 'done': return l10n.t('profiled');
    case 'interrupted': return l10n.t('stopped');
    default: return l10n.t('failed');
  }
}

export function summaryOf(t: TrackedProfile): ProfileSummary | null {
  return t.summary ?? t.record.result?.summary ?? null;
}

export class Profiling implements vscode.Disposable {
  private readonly tracked = new Map<string, TrackedProfile>();
  private readonly live = new Map<string, AbortController>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;
  readonly panels = new Set<ProfilePanel>();

  constructor(private readonly d: ProfilingDeps) {
    for (const t of d.state.get<TrackedProfile[]>(KEY) ?? []) if (t?.key && t.record) this.tracked.set(t.key, t);
  }

  all(): TrackedProfile[] {
    return [...this.tracked.values()].sort((a, b) => (a.record.startedAt < b.record.startedAt ? 1 : -1));
  }

  get(key: string): TrackedProfile | undefined {
    return this.tracked.get(key);
  }

  isRunning(key: string): boolean {
    return this.live.has(key);
  }

  private update(key: string, change: Partial<TrackedProfile>): void {
    const t = this.tracked.get(key);
    if (!t) return;
    Object.assign(t, change);
    this.emitter.fire(key);
    void this.d.state.update(KEY, this.all());
    for (const p of this.panels) if (p.key === key) void this.render(p);
  }

  /** The profile to run: the one named, the only one, or the person's pick. */
  private async pickProfile(name?: string): Promise<NamedProfile | undefined> {
    const cfg = await this.d.serving.loadConfig();
    if (!cfg) throw new Error(l10n.t('No ascend-adapt.json in this workspace: add a serving profile first.'));
    const names = Object.keys(cfg.config.profiles);
    const chosen = name ?? (names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { title: l10n.t('Profile Serving'), placeHolder: l10n.t('Which serving profile?') }));
    if (!chosen) return undefined;
    const p = cfg.config.profiles[chosen];
    if (!p) throw new Error(l10n.t('No profile "{0}" in ascend-adapt.json (profiles: {1})', chosen, names.join(', ') || '—'));
    return { name: chosen, ...p };
  }

  /** Starts a profile run in the background; resolves with its key once the host is reached. */
  async start(a: { profile?: string; spec?: ProfileSpec } = {}): Promise<string | undefined> {
    const profile = await this.pickProfile(a.profile);
    if (!profile) return undefined;
    const { hostId, transport, profile: p, simRoot } = await this.d.serving.hostFor(profile);
    const key = `profile-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const placeholder: ProfileRecord = {
      id: null, host: transport.label, profileName: p.name, simulated: Boolean(simRoot), runDir: '', profilerDir: '', server: null, capture: null,
      state: 'starting-server', startedAt: new Date().toISOString(), endedAt: null, result: null, evidence: null, stop: null, error: null, errorKind: null,
    };
    this.tracked.set(key, { key, hostId, profileName: p.name, simRoot, record: placeholder, title: l10n.t('Profile of {0}', p.name) });
    this.update(key, {});
    const ac = new AbortController();
    this.live.set(key, ac);
    void this.follow(key, async (progress) => {
      const { runProfile } = await import('../core/profile/run');
      return runProfile({
        transport, profile: p, spec: { ...(p.profiling ? { numPrompts: p.profiling.numPrompts, inputLen: p.profiling.inputLen, outputLen: p.profiling.outputLen, concurrency: p.profiling.concurrency, withStack: p.profiling.withStack, parseTimeoutS: p.profiling.parseTimeoutSec } : {}), ...a.spec },
        control: await this.d.serving.jobControl(), signal: ac.signal,
        onRecord: (r) => this.update(key, { record: r }),
        onEvent: (e) => {
          if (e.type === 'progress' && 'phase' in e.progress) progress(e.progress.phase);
          else if (e.type === 'server') progress(l10n.t('server {0}', e.state));
        },
      });
    });
    return key;
  }

  private async follow(key: string, run: (progress: (text: string) => void) => Promise<ProfileRecord>): Promise<void> {
    const t = this.tracked.get(key)!;
    try {
      const rec = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t.title, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => this.live.get(key)?.abort());
        return run((text) => progress.report({ message: text }));
      });
      this.update(key, { record: rec });
      await this.outcome(key);
    } catch (e) {
      const rec = { ...t.record, state: 'failed' as const, error: (e as Error).message, endedAt: new Date().toISOString() };
      this.update(key, { record: rec });
      void this.d.notifier.error(l10n.t('Profiling failed: {0}', (e as Error).message), e);
    } finally {
      this.live.delete(key);
      this.emitter.fire(key);
    }
  }

  /** Findings for the language server, then a toast with what was found. */
  private async outcome(key: string): Promise<void> {
    const t = this.tracked.get(key)!;
    const r = t.record;
    const s = summaryOf(t);
    const sim = r.simulated ? ` [${l10n.t('SIMULATED')}]` : '';
    if (s && r.id) await this.writeFindings(t, s, r.id);
    const open = l10n.t('Open Profile');
    if (r.state === 'done' && s) {
      // The toast is not awaited: the run is over whether or not anyone answers it.
      void this.d.notifier
        .info(
          (s.aicpu.length
            ? l10n.t('Profile of {0}: {1} operator(s) fell back to the AI CPU ({2} % of device time): {3}', t.profileName ?? '', s.aicpu.length, (s.byCoreType.AI_CPU ?? 0).toFixed(1), s.aicpu.map((a) => a.type).join(', '))
            : l10n.t('Profile of {0}: no operator fell back to the AI CPU.', t.profileName ?? '')) + sim,
          open,
        )
        .then((pick) => (pick === open ? this.open(key) : undefined))
        .then(undefined, (e: unknown) => this.d.log.warn(`profile: ${(e as Error).message}`));
    } else if (r.state === 'interrupted') void this.d.notifier.info(l10n.t('Profiling stopped; the profiler was turned off.') + sim);
    else void this.d.notifier.error(l10n.t('Profiling failed: {0}', r.error ?? r.state) + sim);
  }

  private async writeFindings(t: TrackedProfile, s: ProfileSummary, jobId: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || !vscode.workspace.isTrusted) return;
    try {
      const { findingsOf, writeFindings } = await import('../core/profile/findings');
      writeFindings(folder.uri.fsPath, findingsOf(s, { jobId, host: t.record.host, summaryFile: t.record.evidence?.resultFile ?? null }));
    } catch (e) {
      this.d.log.warn(`profile findings not written: ${(e as Error).message}`);
    }
  }

  /** Stop a run: a live one through its abort (the capture job turns the profiler off), else from its record. */
  async stop(key: string): Promise<void> {
    const live = this.live.get(key);
    if (live) {
      live.abort();
      return;
    }
    const t = this.tracked.get(key);
    if (!t || !RUNNING.has(t.record.state)) return;
    const ac = new AbortController();
    ac.abort();
    await this.resumeOne(t, ac);
  }

  /** After a reload: runs still going on hosts that need no prompt are followed again from their records. */
  async resume(): Promise<void> {
    for (const t of this.all()) {
      if (!RUNNING.has(t.record.state) || this.live.has(t.key) || !t.record.capture) continue;
      if (t.hostId.startsWith('ssh:') && this.d.hosts.state(t.hostId) !== 'connected') continue;
      void this.resumeOne(t, new AbortController());
    }
  }

  private async resumeOne(t: TrackedProfile, ac: AbortController): Promise<void> {
    this.live.set(t.key, ac);
    await this.follow(t.key, async (progress) => {
      const { resumeProfile } = await import('../core/profile/run');
      const transport = await this.d.hosts.transport(t.hostId);
      return resumeProfile(transport, { ...t.record }, { control: await this.d.serving.jobControl(), signal: ac.signal, profile: { simRoot: t.simRoot },
        onEvent: (e) => e.type === 'progress' && 'phase' in e.progress && progress(e.progress.phase) });
    });
  }

  /** A profiler folder on this machine summarised on its own (the webview opens on it). */
  async summarizeFolder(dir: string): Promise<string> {
    const { summarizeProfile } = await import('../core/profile/jobs');
    const { LocalTransport } = await import('../core/transport/local');
    const t = new LocalTransport();
    try {
      const { summary, evidence } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: l10n.t('Summarising {0}…', path.basename(dir)) }, () =>
        summarizeProfile({ transport: t, spec: { dirs: [dir] } }),
      );
      const key = `summary-${Date.now().toString(36)}`;
      const rec: ProfileRecord = {
        id: evidence.jobId, host: 'local', profileName: null, simulated: summary.simulated, runDir: evidence.runDir, profilerDir: dir, server: null, capture: null,
        state: summary.error ? 'failed' : 'done', startedAt: evidence.startedAt, endedAt: evidence.endedAt, result: null, evidence, stop: null, error: summary.error, errorKind: null,
      };
      this.tracked.set(key, { key, hostId: 'local', profileName: null, record: rec, summary, title: path.basename(dir) });
      this.update(key, {});
      if (summary.ranks) await this.writeFindings(this.tracked.get(key)!, summary, evidence.jobId);
      await this.open(key);
      return key;
    } finally {
      await t.close();
    }
  }

  clearFinished(): void {
    for (const [k, t] of this.tracked) if (!this.live.has(k) && !RUNNING.has(t.record.state)) this.tracked.delete(k);
    this.emitter.fire('');
    void this.d.state.update(KEY, this.all());
  }

  /** trace_view.json of rank `index` of a run (a path on the run's host). */
  tracePath(key: string, index: number): string {
    const s = this.tracked.get(key) ? summaryOf(this.tracked.get(key)!) : null;
    const f = s?.traceFiles[index];
    if (!f) throw new Error(l10n.t('This profile has no timeline {0}.', index + 1));
    return f;
  }

  async copyTracePath(key: string, index: number): Promise<string> {
    const f = this.tracePath(key, index);
    await vscode.env.clipboard.writeText(f);
    void this.d.notifier.info(l10n.t('Copied: {0}', f));
    return f;
  }

  /** Copies a timeline from the run's host onto this machine (to `target`, or where the person says). */
  async downloadTrace(key: string, index: number, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const t = this.tracked.get(key)!;
    const f = this.tracePath(key, index);
    const dest = target ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', `trace_view_rank${index}.json`)), filters: { JSON: ['json'] }, title: l10n.t('Save the timeline for MindStudio Insight') }));
    if (!dest) return undefined;
    const { hostReadFile } = await import('../core/jobs/index');
    const data = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: l10n.t('Downloading {0}…', path.basename(f)) }, async () =>
      hostReadFile(await this.d.hosts.transport(t.hostId), f, { maxBytes: DOWNLOAD_LIMIT + 1 }),
    );
    // A cut-off timeline would not open in MindStudio Insight: refuse rather than save part of it.
    if (data.length > DOWNLOAD_LIMIT) throw new Error(l10n.t('{0} is larger than {1} MB: copy it from the host yourself (Copy Timeline Path).', f, DOWNLOAD_LIMIT >> 20));
    await vscode.workspace.fs.writeFile(dest, data);
    void this.d.notifier.info(l10n.t('Saved {0} ({1} MB): open it in MindStudio Insight.', dest.fsPath, (data.length / (1 << 20)).toFixed(1)));
    return dest;
  }

  /** The run in a webview (one panel per run; opening again reveals it). */
  async open(key: string): Promise<ProfilePanel> {
    const t = this.tracked.get(key);
    if (!t) throw new Error(l10n.t('Unknown profile {0}', key));
    const existing = [...this.panels].find((p) => p.key === key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel('ascend.profile', t.title, vscode.ViewColumn.Active, { enableScripts: true, enableCommandUris: false, localResourceRoots: [], retainContextWhenHidden: false });
    const pp: ProfilePanel = { panel, key, accepted: [], rejected: [] };
    this.panels.add(pp);
    panel.onDidDispose(() => this.panels.delete(pp));
    panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(pp, raw));
    await this.render(pp);
    return pp;
  }

  private async render(pp: ProfilePanel): Promise<void> {
    const t = this.tracked.get(pp.key);
    if (!t) return;
    const { renderProfileHtml } = await import('../core/profile/html');
    const { makeNonce } = await import('../core/report/html');
    const w = pp.panel.webview;
    w.html = renderProfileHtml(
      { title: t.title, jobId: t.record.id, host: t.record.host, state: stateWord(t.record.state), simulated: t.record.simulated || (summaryOf(t)?.simulated ?? false), summary: summaryOf(t), error: t.record.error },
      { lang: currentLanguage(), mode: 'webview', nonce: makeNonce() },
    );
  }

  /** Messages from the webview are untrusted: parsed with the core's schema, else ignored. */
  async onMessage(pp: ProfilePanel, raw: unknown): Promise<void> {
    const { parseProfileMessage } = await import('../core/profile/html');
    const r = parseProfileMessage(raw);
    if (!r.ok) {
      pp.rejected.push(r.error);
      this.d.log.warn(`profile webview: message ignored (${r.error})`);
      return;
    }
    pp.accepted.push(r.message.type);
    try {
      if (r.message.type === 'copyPath') await this.copyTracePath(pp.key, r.message.index);
      else if (r.message.type === 'download') await this.downloadTrace(pp.key, r.message.index);
    } catch (e) {
      void this.d.notifier.error(undefined, e);
    }
  }

  /** Runs go on without this window: the capture job on the host turns the profiler off and stops the server. */
  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
    this.emitter.dispose();
  }
}
