import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { AscendAdaptConfig, NamedProfile } from '../core/profiles/schema';
import type { ServingJob, StopReport } from '../core/serving/job';
import type { PreflightResult } from '../core/serving/preflight';
import type { SmokeReport } from '../core/smoke/index';
import type { Transport } from '../core/transport/transport';
import type { Config } from './config';
import { choosePlan, type PerfPlan } from './perfPlan';
import type { EnvResults } from './envResults';
import { LOCAL_ID, SIM_ID, type Hosts } from './hosts';
import type { TrackedJob } from './jobResults';
import { openLogTerminal } from './logTerminal';
import type { Notifier } from './notify';
import { duration, stateText } from './views/format';

/**
 * Serving jobs from VS Code: a profile of the workspace's ascend-adapt.json launched as a detached job (the
 * core's startServing: pre-launch checks, job on the host, readiness through a forwarded port); a terminal
 * (Pseudoterminal) follows the job's log and can be closed without stopping the server; stop checks that
 * the NPUs are idle again; smoke prompts stream through /v1/chat/completions. The records survive reloads.
 */

export interface ServingDeps {
  hosts: Hosts;
  envResults: EnvResults;
  config: Config;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** Workspace state: the tracked jobs. */
  state: vscode.Memento;
}

const KEY = 'ascend.servingJobs.v1';

/** What serving asks a person; tests inside VS Code replace it to answer without clicking. */
export interface ServingPrompts {
  /** The perf settings before a benchmark, with the estimate of a plan; undefined: cancelled. */
  perfPlan(initial: PerfPlan, estimate: (p: PerfPlan) => string, title: string): Promise<PerfPlan | undefined>;
}

export const defaultServingPrompts: ServingPrompts = {
  perfPlan: choosePlan,
};

const ms = (v: number | null) => (v === null ? '—' : String(Math.round(v)));

export class Serving implements vscode.Disposable {
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly live = new Map<string, ServingJob>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;
  private readonly terminals = new Map<string, vscode.Terminal>();
  prompts: ServingPrompts = defaultServingPrompts;

  /** The modal of a refused launch (message, failed checks, buttons; the first is the default); the real-VS-Code suite answers it. */
  refusalUi: (message: string, detail: string, actions: string[]) => Thenable<string | undefined> = (message, detail, actions) =>
    vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions);

  constructor(private readonly d: ServingDeps) {
    const saved = d.state.get<TrackedJob[]>(KEY) ?? [];
    for (const t of saved) if (t?.record?.jobId) this.tracked.set(t.record.jobId, t);
  }

  all(): TrackedJob[] {
    return [...this.tracked.values()].sort((a, b) => b.record.startedAt - a.record.startedAt);
  }

  get(id: string): TrackedJob | undefined {
    return this.tracked.get(id);
  }

  private async save(): Promise<void> {
    await this.d.state.update(KEY, this.all());
  }

  private update(id: string, change: Partial<TrackedJob>): void {
    const t = this.tracked.get(id);
    if (!t) return;
    Object.assign(t, change);
    this.emitter.fire(id);
    void this.save();
  }

  /** The workspace's ascend-adapt.json, validated (zod). */
  async loadConfig(): Promise<{ file: vscode.Uri; config: AscendAdaptConfig } | undefined> {
    const found = await vscode.workspace.findFiles('**/ascend-adapt.json', '**/node_modules/**', 2);
    if (found.length === 0) return undefined;
    const file = found[0];
    const { parseConfig } = await import('../core/profiles/load');
    const text = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
    return { file, config: parseConfig(text, vscode.workspace.asRelativePath(file)) };
  }

  /** The host a profile runs on: its "host" field, else the active host. */
  async hostFor(profile: NamedProfile): Promise<{ hostId: string; transport: Transport; profile: NamedProfile; simRoot?: string }> {
    let hostId: string | undefined;
    if (profile.host === 'local') hostId = LOCAL_ID;
    else if (profile.host === 'sim' || profile.host === 'simulated') hostId = SIM_ID;
    else if (profile.host) hostId = `ssh:${profile.host}`;
    else hostId = this.d.hosts.activeId ?? (this.d.hosts.simDir ? SIM_ID : undefined);
    if (!hostId) throw new Error(l10n.t('Profile "{0}" names no host and no host is active: select one with "Ascend: Select Active Host".', profile.name));
    let p = profile;
    let simRoot = profile.simRoot;
    if (hostId === SIM_ID) {
      simRoot = this.d.hosts.simDir;
      if (!simRoot) throw new Error(l10n.t('No simulated Atlas host yet: run "Ascend: Create Simulated Atlas Host" first.'));
      p = { ...profile, simRoot };
    }
    return { hostId, transport: await this.d.hosts.transport(hostId), profile: p, simRoot };
  }

  async jobControl() {
    const { jobControl } = await import('../core/jobs/index');
    return jobControl({ python: this.d.config.settings.pythonPath });
  }

  /** Launches a profile; resolves once the job is started (not ready). */
  async start(profile: NamedProfile, force: boolean): Promise<ServingJob | undefined> {
    const { startServing, PreflightFailedError } = await import('../core/serving/job');
    const { hostId, transport, profile: p, simRoot } = await this.hostFor(profile);
    const env = this.d.envResults.get(hostId)?.report;
    let job: ServingJob;
    try {
      job = await startServing(transport, p, {
        jobs: await this.jobControl(),
        env,
        force,
        onPreflight: (r: PreflightResult) => {
          for (const c of r.checks) this.d.log.info(`pre-launch ${c.status}: ${c.title}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
        },
      });
    } catch (e) {
      if (e instanceof PreflightFailedError) {
        const failed = e.result.checks.filter((c) => c.status === 'fail');
        const anyway = l10n.t('Launch Anyway');
        const openProfile = l10n.t('Open Serving Profile');
        // A GPTQ/AWQ checkpoint cannot be launched at all: offer the conversion instead.
        const quantize = failed.some((c) => c.id === 'model.quantization') ? l10n.t('Quantize with msModelSlim…') : undefined;
        // The first button is the default (Enter): a safe one — the conversion when the weights cannot load,
        // else the profile. Launching anyway is never the default.
        const pick = await this.refusalUi(
          l10n.t('Not launched: {0} pre-launch check(s) failed.', failed.length),
          failed.map((c) => `✗ ${c.title}: ${c.detail}${c.fix ? `\n   → ${c.fix}` : ''}`).join('\n'),
          [...(quantize ? [quantize] : []), openProfile, anyway],
        );
        if (pick === anyway) return this.start(profile, true);
        if (pick === openProfile) await this.revealProfile(profile.name);
        if (quantize && pick === quantize) await vscode.commands.executeCommand('ascend.quantizeModel', { host: hostId, model: p.modelPath });
        return undefined;
      }
      throw e;
    }
    this.watch(job, hostId, simRoot);
    this.openTerminal(job.id);
    return job;
  }

  /** Opens ascend-adapt.json with the cursor on the profile's name. */
  async revealProfile(name: string): Promise<vscode.TextEditor | undefined> {
    const cfg = await this.loadConfig();
    if (!cfg) return undefined;
    const doc = await vscode.workspace.openTextDocument(cfg.file);
    const { parseTree, findNodeAtLocation } = await import('jsonc-parser/lib/esm/main.js');
    const tree = parseTree(doc.getText());
    const key = tree ? findNodeAtLocation(tree, ['profiles', name])?.parent?.children?.[0] : undefined;
    const at = key ? new vscode.Range(doc.positionAt(key.offset), doc.positionAt(key.offset + key.length)) : new vscode.Range(0, 0, 0, 0);
    return vscode.window.showTextDocument(doc, { selection: at, preview: false });
  }

  private watch(job: ServingJob, hostId: string, simRoot?: string): void {
    const id = job.id;
    this.live.set(id, job);
    if (!this.tracked.has(id)) this.tracked.set(id, { hostId, simRoot, record: job.record() });
    this.update(id, { record: job.record() });
    job.on('state', (rec) => {
      this.d.log.info(`serving job ${id}: ${rec.state}${rec.loadTimeMs !== null ? ` (load ${rec.loadTimeMs} ms)` : ''}${rec.failure ? `: ${rec.failure.message}` : ''}`);
      this.update(id, { record: rec });
      if (rec.state === 'ready') {
        void this.d.notifier.info(
          l10n.t('{0} is ready on {1} (model load time {2}).', rec.profileName, rec.host, rec.loadTimeMs !== null ? duration(rec.loadTimeMs) : '?') +
            (rec.simulated ? ` [${l10n.t('SIMULATED')}]` : ''),
        );
      } else if (rec.state === 'failed') {
        const f = rec.failure;
        void this.d.notifier.error(
          f?.error ? l10n.t('{0} failed: {1} — {2} Fix: {3}', rec.profileName, f.error.title, f.error.explanation, f.error.fix) : l10n.t('{0} failed: {1}', rec.profileName, f?.message ?? '?'),
        );
      }
    });
    job.on('finding', (f, loc) => {
      this.d.log.warn(`serving job ${id}: log line ${f.line}: ${loc.title} — ${loc.fix}`);
    });
  }

  /** The live job object for a tracked job, re-attaching after a reload or reconnect. */
  async liveJob(id: string): Promise<ServingJob> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const t = this.tracked.get(id);
    if (!t) throw new Error(l10n.t('Unknown job {0}', id));
    const { attachServing } = await import('../core/serving/job');
    const transport = await this.d.hosts.transport(t.hostId);
    const job = attachServing(transport, t.record, { simRoot: t.simRoot }, { jobs: await this.jobControl() });
    this.watch(job, t.hostId, t.simRoot);
    return job;
  }

  /** A terminal following the job's log from the start; closing it leaves the server running. */
  openTerminal(id: string): vscode.Terminal {
    const open = this.terminals.get(id);
    if (open && open.exitStatus === undefined) {
      open.show(true);
      return open;
    }
    const t = this.tracked.get(id);
    let state = () => stateText(t?.record.state ?? 'exited');
    const term = openLogTerminal({
      name: l10n.t('vllm serve {0} ({1})', t?.record.profileName ?? id, t?.record.host ?? ''),
      simulated: t?.record.simulated ?? false,
      header: t?.record.command.display ?? id,
      follow: async (onData) => {
        const job = await this.liveJob(id);
        state = () => stateText(job.state);
        return job.attachLog(0, onData);
      },
      endState: () => state(),
    });
    this.terminals.set(id, term);
    return term;
  }

  /** Results of accuracy / perf jobs run against this server. */
  setResult(id: string, change: Pick<TrackedJob, 'accuracy' | 'perf'>): void {
    this.update(id, change);
  }

  /** Drops a finished job from the view (the job directory on the host stays). */
  forget(id: string): void {
    this.tracked.delete(id);
    this.live.get(id)?.dispose();
    this.live.delete(id);
    this.emitter.fire(id);
    void this.save();
  }

  async stop(id: string): Promise<StopReport> {
    const job = await this.liveJob(id);
    const rep = await job.stop();
    this.live.delete(id);
    this.update(id, { record: job.record(), stop: rep });
    return rep;
  }

  async smoke(id: string, onText: (s: string) => void): Promise<SmokeReport> {
    const t = this.tracked.get(id);
    if (!t) throw new Error(l10n.t('Unknown job {0}', id));
    const job = await this.liveJob(id);
    const rec = await job.waitReady();
    if (rec.state !== 'ready') throw new Error(l10n.t('{0} is not ready ({1}).', rec.profileName, stateText(rec.state)));
    const report = await this.smokeAt(await job.endpointUrl(), rec.profileName, rec.command.servedModelName, onText);
    this.update(id, { smoke: report });
    return report;
  }

  /** The profile's smoke prompts against a server's API (one host's, or a multi-node job's head), streamed to `onText`. */
  async smokeAt(endpoint: string, profileName: string, servedModelName: string, onText: (s: string) => void): Promise<SmokeReport> {
    const cfg = await this.loadConfig();
    const profile = cfg?.config.profiles[profileName];
    const prompts = profile?.smokePrompts ?? (await import('../core/profiles/schema')).DEFAULT_SMOKE_PROMPTS;
    const { runSmoke } = await import('../core/smoke/index');
    let current = -1;
    return runSmoke(
      endpoint,
      prompts,
      {
        model: servedModelName, maxTokens: profile?.smokeMaxTokens, temperature: profile?.smokeTemperature,
        requestTimeoutMs: profile?.requestTimeoutSec === undefined ? undefined : profile.requestTimeoutSec * 1000,
        stallTimeoutMs: profile ? profile.stallTimeoutSec * 1000 : undefined,
      },
      (i, delta) => {
        if (i !== current) {
          current = i;
          onText(`\r\n\x1b[1m[${i + 1}/${prompts.length}] ${prompts[i]}\x1b[0m\r\n`);
        }
        onText(delta.replace(/\r?\n/g, '\r\n'));
      },
      (_i, r) =>
        onText(`\r\n\x1b[2m${r.error
          ? l10n.t('failed after {0} ms: {1}', Math.round(r.elapsedMs), r.error)
          : l10n.t('TTFT {0} ms · total {1} ms · {2} prompt + {3} completion tokens · finish: {4}', ms(r.ttftMs), ms(r.totalMs), String(r.promptTokens ?? '?'), String(r.completionTokens ?? '?'), r.finishReason ?? '?')}\x1b[0m\r\n`),
    );
  }

  dispose(): void {
    for (const j of this.live.values()) void j.dispose();
    this.live.clear();
    this.emitter.dispose();
  }
}
