import * as l10n from '@vscode/l10n';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AscendAdaptConfig, NamedProfile } from '../core/profiles/schema';
import type { Report } from '../core/report/schema';
import type { Transport } from '../core/transport/transport';
import type { KeyFigure, RunEvent, RunState, StepId, StepSelection, ValidateStep } from '../core/validate';
import type { ClusterServing } from './cluster';
import type { Notifier } from './notify';
import type { Serving } from './serving';
import { requireTrust } from './trust';

/**
 * The validation run from VS Code: the core's runValidation (the same steps as `ascend-adapt validate`)
 * on the profile's host — or, for a multi-node profile, over its nodes on the connections multi-node
 * serving uses, its serve step's job shown in the Jobs view with a row per node — its events turned into a view model the Validation view, the status bar and the
 * end-of-run notification read. One run at a time; Stop goes through the runner's interrupt path (the
 * running step ends interrupted with its partial data, the server is stopped, the report is written and
 * marked interrupted). The last run's state is kept in memory, so a step can be run again — or the run
 * continued from a step — against a server that still answers, writing the report again in the same folder.
 */

export type StepPhase = 'pending' | 'running' | 'pass' | 'warn' | 'fail' | 'skip' | 'not-run' | 'interrupted';

export interface StepView {
  id: StepId;
  phase: StepPhase;
  /** English, as stored in the report (translated when shown). */
  reason: string | null;
  progress: string | null;
  startedAt: number | null;
  durationMs: number | null;
  figures: KeyFigure[];
  /** Line of the run log where this step started (1-based). */
  logLine: number | null;
  /** Kept from the earlier run this one continued. */
  reused: boolean;
}

export interface RunView {
  id: number;
  profile: string;
  hostLabel: string;
  simulated: boolean;
  outDir: string;
  runLog: string;
  startedAt: number;
  endedAt: number | null;
  running: boolean;
  stopping: boolean;
  current: StepId | null;
  steps: StepView[];
  interrupted: { step: StepId | null } | null;
  report: { jsonFile: string; verdict: Report['verdict']['overall']; simulated: boolean } | null;
  error: string | null;
}

/** What the run keeps for a later "run from here" / "run this step again". */
interface Kept {
  profile: string;
  hostId: string;
  outDir: string;
  runLog: string;
  state: RunState;
  transport: Transport;
  report: Report | null;
}

export interface ValidationDeps {
  serving: Serving;
  /** Multi-node serving: the nodes' connections and the Jobs view's rows of a multi-node job. */
  clusters: ClusterServing;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** Workspace state: the active profile and the last run's view. */
  state: vscode.Memento;
  /** Opens a report (the Reports feature). */
  openReport(file: vscode.Uri): Promise<unknown>;
  /** Version written into reports. */
  version: string;
}

const PROFILE_KEY = 'ascend.validation.profile';
const LAST_KEY = 'ascend.validation.last.v1';

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class Validation implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private view: RunView | undefined;
  private kept: Kept | undefined;
  private abort: AbortController | undefined;
  private running: Promise<RunView | undefined> | undefined;
  private runs = 0;
  private pendingFire: NodeJS.Timeout | undefined;

  constructor(private readonly d: ValidationDeps) {
    this.view = d.state.get<RunView>(LAST_KEY);
    // A run cut by a reload is not running any more.
    if (this.view?.running) this.view = { ...this.view, running: false, stopping: false, current: null, error: this.view.error ?? l10n.t('VS Code was reloaded during this run') };
  }

  get activeProfile(): string | undefined {
    return this.d.state.get<string>(PROFILE_KEY);
  }

  async setActiveProfile(name: string | undefined): Promise<void> {
    await this.d.state.update(PROFILE_KEY, name);
    this.emitter.fire();
  }

  /** The current or last run, as the view shows it. */
  get last(): RunView | undefined {
    return this.view;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** The server the last run left up (for re-running a step against it), if any. */
  get keptServer(): { jobId: string; endpoint: string | null } | undefined {
    const s = this.kept?.state.server;
    return s && !this.isRunning ? { jobId: s.job.id, endpoint: s.endpoint } : undefined;
  }

  /** The last run's report, with its file (for evidence). */
  get lastReport(): { report: Report; file: string } | undefined {
    const r = this.kept?.report;
    return r && this.view?.report ? { report: r, file: this.view.report.jsonFile } : undefined;
  }

  /** The step ids this profile's validation has, in order (before a run, or for a profile not yet run). */
  async plannedSteps(profile: NamedProfile): Promise<StepId[]> {
    const { standardSteps, clusterSteps } = await import('../core/validate');
    const { isCluster } = await import('../core/cluster/plan');
    // Only listed: no step runs, so no node is opened.
    const steps = isCluster(profile) ? clusterSteps({}, this.d.clusters.nodeOpener()) : standardSteps();
    return applicableSteps(steps, profile).map((s) => s.id);
  }

  /**
   * Where a profile runs: its host, or for a multi-node profile its head (the API and the host jobs) with
   * every node reached on multi-node serving's own connections.
   */
  private async target(named: NamedProfile): Promise<{ hostId: string; label: string; transport: Transport; profile: NamedProfile; simulated: boolean; cluster: boolean }> {
    const { isCluster } = await import('../core/cluster/plan');
    if (!isCluster(named)) {
      const { hostId, transport, profile } = await this.d.serving.hostFor(named);
      return { hostId, label: transport.label, transport, profile, simulated: Boolean(profile.simRoot), cluster: false };
    }
    const hosts = named.nodes.map((n) => n.host);
    const transport = await this.d.clusters.nodeOpener()(hosts[0]);
    const label = l10n.t('{0} nodes ({1}): {2}', hosts.length, named.multiNode, hosts.join(', '));
    return { hostId: `cluster:${hosts.join(',')}`, label, transport, profile: named, simulated: Boolean(named.simRoot || named.nodes.some((n) => n.simRoot)), cluster: true };
  }

  async loadConfig(): Promise<{ file: vscode.Uri; config: AscendAdaptConfig } | undefined> {
    return this.d.serving.loadConfig();
  }

  /** Profile by name from the workspace's ascend-adapt.json. */
  async profile(name: string): Promise<{ profile: NamedProfile; configDir: string }> {
    const cfg = await this.loadConfig();
    if (!cfg) throw new Error(l10n.t('No ascend-adapt.json in this workspace.'));
    const { getProfile } = await import('../core/profiles/load');
    return { profile: getProfile(cfg.config, name, vscode.workspace.asRelativePath(cfg.file)), configDir: path.dirname(cfg.file.fsPath) };
  }

  /** Starts a run; resolves when it ended (report written) or could not start. */
  run(profileName: string, selection: StepSelection = { kind: 'all' }): Promise<RunView | undefined> {
    if (this.running) throw new Error(l10n.t('A validation is already running: stop it first.'));
    requireTrust(l10n.t('Run Validation'));
    const p = this.execute(profileName, selection).finally(() => {
      this.running = undefined;
      this.abort = undefined;
      this.fire(true);
    });
    this.running = p;
    return p;
  }

  /** Asks the running validation to stop (once); resolves when the run has written its report. */
  async stop(): Promise<RunView | undefined> {
    if (!this.running || !this.abort || !this.view) return undefined;
    if (!this.abort.signal.aborted) {
      this.d.log.info(`validation ${this.view.profile}: stop requested during ${this.view.current ?? 'start'}`);
      this.view.stopping = true;
      this.abort.abort();
      this.fire(true);
    }
    return this.running;
  }

  private async execute(profileName: string, selection: StepSelection): Promise<RunView | undefined> {
    const { profile: named, configDir } = await this.profile(profileName);
    const { hostId, label, transport, profile, simulated, cluster } = await this.target(named);
    const core = await import('../core/validate');
    const { specsFromProfile } = await import('../core/validate/profile-specs');
    const specs = specsFromProfile(profile, configDir);
    const previous = selection.kind !== 'all' && this.kept?.profile === profileName && this.kept.hostId === hostId ? this.kept : undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? configDir;
    const outDir = previous?.outDir ?? path.join(folder, '.ascend-adapt-out', stamp());
    if (!previous) core.prepareOutDir(outDir);
    const runLog = previous?.runLog ?? path.join(outDir, 'validation-run.log');
    const config = { workspace: specs.workspace, accuracy: specs.accuracy, accuracyNotRun: specs.accuracyNotRun, perf: specs.perf, perfNotRun: specs.perfNotRun };
    const steps = cluster
      ? core.clusterSteps(config, this.d.clusters.nodeOpener(), { onJob: (job) => this.d.clusters.adopt(job, profile.readyTimeoutSec) })
      : core.standardSteps(config);
    const ids = applicableSteps(steps, profile).map((s) => s.id);
    const old = previous && this.view?.profile === profileName ? this.view.steps : [];
    const view: RunView = {
      id: ++this.runs,
      profile: profileName,
      hostLabel: label,
      simulated,
      outDir,
      runLog,
      startedAt: Date.now(),
      endedAt: null,
      running: true,
      stopping: false,
      current: null,
      steps: ids.map((id) => ({ ...(old.find((s) => s.id === id) ?? blankStep(id)), reused: false })),
      interrupted: null,
      report: null,
      error: null,
    };
    this.view = view;
    this.abort = new AbortController();
    const writeLog = logWriter(runLog);
    writeLog(`${new Date().toISOString()} validation of ${profileName} on ${label} (${selection.kind === 'all' ? 'all steps' : selection.kind === 'from' ? `from ${selection.step}` : `only ${selection.steps.join(', ')}`})${simulated ? ' [SIMULATED]' : ''}`);
    this.d.log.info(`validation ${profileName}: started (${selection.kind}) on ${label}, output ${outDir}`);
    this.fire(true);
    try {
      const result = await core.runValidation({
        transport,
        profile,
        outDir,
        workspace: specs.workspace,
        steps,
        ...(cluster ? { nodes: this.d.clusters.nodeOpener() } : {}),
        selection,
        previous: previous?.state,
        signal: this.abort.signal,
        generator: { name: 'ascend-adapt', version: this.d.version },
        onEvent: (e) => this.onEvent(view, e, writeLog),
      });
      view.report = { jsonFile: result.jsonFile, verdict: result.report.verdict.overall, simulated: result.report.simulated };
      view.interrupted = result.report.interrupted ? { step: result.report.interrupted.step } : null;
      this.kept = { profile: profileName, hostId, outDir, runLog, state: result.state, transport, report: result.report };
      writeLog(`${new Date().toISOString()} report ${result.jsonFile}: ${result.report.verdict.overall}${view.interrupted ? ' (interrupted)' : ''}`);
    } catch (e) {
      view.error = e instanceof Error ? e.message : String(e);
      writeLog(`${new Date().toISOString()} error: ${view.error}`);
      for (const s of view.steps) if (s.phase === 'running' || s.phase === 'pending') Object.assign(s, { phase: 'not-run', reason: 'the run stopped with an error', progress: null });
      throw e;
    } finally {
      view.running = false;
      view.stopping = false;
      view.current = null;
      view.endedAt = Date.now();
      await this.d.state.update(LAST_KEY, view);
    }
    await this.finished(view);
    return view;
  }

  private onEvent(view: RunView, e: RunEvent, writeLog: (s: string) => number): void {
    const step = (id: StepId) => view.steps.find((s) => s.id === id);
    const at = new Date().toISOString();
    if (e.type === 'plan') {
      for (const p of e.steps) {
        const s = step(p.id);
        if (!s) continue;
        if (p.action === 'run') Object.assign(s, blankStep(p.id));
        else if (p.action === 'reuse') s.reused = true;
      }
    } else if (e.type === 'start') {
      const s = step(e.step);
      view.current = e.step;
      const line = writeLog(`${at} ▶ ${e.step}`);
      if (s) Object.assign(s, { phase: 'running', startedAt: Date.parse(e.at), progress: null, reason: null, durationMs: null, logLine: line });
    } else if (e.type === 'progress') {
      writeLog(`${at}   ${e.step}: ${e.text}`);
      const s = step(e.step);
      if (s) s.progress = e.text;
    } else if (e.type === 'end') {
      const r = e.record;
      const line = writeLog(`${at} ${r.status} ${e.step}${r.reason ? ` — ${r.reason}` : ''}`);
      const s = step(e.step);
      if (s) Object.assign(s, { phase: r.status, reason: r.reason, durationMs: r.durationMs, figures: r.figures, progress: null, reused: false, logLine: s.logLine ?? line });
      if (view.current === e.step) view.current = null;
    } else if (e.type === 'interrupt') {
      writeLog(`${at} stop requested (during ${e.step ?? 'no step'})`);
    }
    this.fire(e.type !== 'progress');
  }

  /** End state only: the report opens and one notification says how it went (not waited on). */
  private async finished(view: RunView): Promise<void> {
    const rep = view.report;
    if (!rep) return;
    const uri = vscode.Uri.file(rep.jsonFile);
    await this.d.openReport(uri).catch((e: unknown) => this.d.log.warn(`opening the report: ${String(e)}`));
    const sim = rep.simulated ? ` [${l10n.t('SIMULATED')}]` : '';
    const open = l10n.t('Open Report');
    let shown: Thenable<string | undefined>;
    if (view.interrupted) {
      const { stepName } = await import('../core/report/format');
      const { translator, currentLanguage } = await import('../core/l10n');
      const where = view.interrupted.step ? stepName(translator(currentLanguage()), view.interrupted.step) : '—';
      shown = this.d.notifier.warn(l10n.t('Validation of {0} stopped during {1}: the report keeps what completed.', view.profile, where) + sim, open);
    } else if (rep.verdict === 'pass') shown = this.d.notifier.info(l10n.t('Validation of {0} passed.', view.profile) + sim, open);
    else if (rep.verdict === 'fail') shown = this.d.notifier.warn(l10n.t('Validation of {0} failed: see the report.', view.profile) + sim, open);
    else shown = this.d.notifier.warn(l10n.t('Validation of {0} is incomplete: some steps did not run.', view.profile) + sim, open);
    void Promise.resolve(shown).then((pick) => (pick === open ? this.d.openReport(uri) : undefined)).catch((e: unknown) => this.d.log.warn(`opening the report: ${String(e)}`));
  }

  /** Fires now for state changes; progress text at most every 250 ms. */
  private fire(now: boolean): void {
    if (now) {
      if (this.pendingFire) clearTimeout(this.pendingFire);
      this.pendingFire = undefined;
      this.emitter.fire();
      return;
    }
    this.pendingFire ??= setTimeout(() => {
      this.pendingFire = undefined;
      this.emitter.fire();
    }, 250);
  }

  /** The transport and state of the last run (step logs, evidence). */
  get keptRun(): Readonly<Kept> | undefined {
    return this.kept;
  }

  dispose(): void {
    this.abort?.abort();
    if (this.pendingFire) clearTimeout(this.pendingFire);
    this.emitter.dispose();
  }
}

function blankStep(id: StepId): StepView {
  return { id, phase: 'pending', reason: null, progress: null, startedAt: null, durationMs: null, figures: [], logLine: null, reused: false };
}

/** The steps that are part of this profile's validation (quantize only when it asks for it, …). */
function applicableSteps(steps: ValidateStep[], profile: NamedProfile): ValidateStep[] {
  // `applies` looks at the profile; the rest of the context does not exist before a run.
  const ctx = { profile } as Parameters<NonNullable<ValidateStep['applies']>>[0];
  return steps.filter((s) => {
    try {
      return s.applies?.(ctx) ?? true;
    } catch {
      return true;
    }
  });
}

/** Appends lines to the run log; returns the 1-based line number written. */
function logWriter(file: string): (line: string) => number {
  let lines = 0;
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
  } catch {
    lines = 0;
  }
  return (line) => {
    try {
      fs.appendFileSync(file, line.replace(/\r?\n/g, ' ') + '\n');
    } catch {
      /* the log is a convenience; the report carries the results */
    }
    return ++lines;
  };
}
