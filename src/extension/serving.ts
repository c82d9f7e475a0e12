import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import type { AscendAdaptConfig, NamedProfile } from '../core/profiles/schema';
import type { ServingJob, ServingJobRecord, StopReport } from '../core/serving/job';
import type { PreflightResult } from '../core/serving/preflight';
import type { SmokeReport } from '../core/smoke/client';
import type { Transport } from '../core/transport/transport';
import { registerCommand } from './commands';
import type { Ctx } from './ctx';
import type { AccuracySummary, PerfSummary } from './evaluation';
import { LOCAL_ID, SIM_ID } from './hosts';
import { statusIcon } from './views/format';
import type { Node } from './views/index';

/**
 * Serving from VS Code: "Ascend: Start Serving" launches a profile of the workspace's ascend-adapt.json as a
 * detached job (the core's startServing: pre-launch checks, job on the host, readiness through a forwarded
 * port); a terminal (Pseudoterminal) follows the job's log and can be closed without stopping the server;
 * the Jobs view lists jobs with state, uptime and load time; stop checks that the NPUs are idle again;
 * "Ascend: Run Smoke Test" streams the profile's prompts through /v1/chat/completions.
 * Profiles decide what runs on a host, so all of this needs a trusted workspace.
 */

export interface TrackedJob {
  hostId: string;
  /** For a simulated host: its folder (the job runs through its env.sh). */
  simRoot?: string;
  record: ServingJobRecord;
  smoke?: SmokeReport;
  stop?: StopReport;
  accuracy?: AccuracySummary;
  perf?: PerfSummary;
}

const KEY = 'ascend.servingJobs.v1';

export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) {
    throw new Error(vscode.l10n.t('{0} runs programs that this workspace\'s ascend-adapt.json chooses: trust the workspace first (Manage Workspace Trust).', what));
  }
}

function stateText(s: ServingJobRecord['state']): string {
  switch (s) {
    case 'starting':
      return vscode.l10n.t('starting');
    case 'ready':
      return vscode.l10n.t('ready');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'stopped':
      return vscode.l10n.t('stopped');
    default:
      return vscode.l10n.t('exited');
  }
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export class Serving implements vscode.Disposable {
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly live = new Map<string, ServingJob>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;
  private readonly terminals = new Map<string, vscode.Terminal>();

  constructor(private readonly ctx: Ctx) {
    const saved = ctx.extension.workspaceState.get<TrackedJob[]>(KEY) ?? [];
    for (const t of saved) if (t?.record?.jobId) this.tracked.set(t.record.jobId, t);
  }

  all(): TrackedJob[] {
    return [...this.tracked.values()].sort((a, b) => b.record.startedAt - a.record.startedAt);
  }

  get(id: string): TrackedJob | undefined {
    return this.tracked.get(id);
  }

  private async save(): Promise<void> {
    await this.ctx.extension.workspaceState.update(KEY, this.all());
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
    else hostId = this.ctx.hosts.activeId ?? (this.ctx.hosts.simDir ? SIM_ID : undefined);
    if (!hostId) throw new Error(vscode.l10n.t('Profile "{0}" names no host and no host is active: select one with "Ascend: Select Active Host".', profile.name));
    let p = profile;
    let simRoot = profile.simRoot;
    if (hostId === SIM_ID) {
      simRoot = this.ctx.hosts.simDir;
      if (!simRoot) throw new Error(vscode.l10n.t('No simulated Atlas host yet: run "Ascend: Create Simulated Atlas Host" first.'));
      p = { ...profile, simRoot };
    }
    return { hostId, transport: await this.ctx.hosts.transport(hostId), profile: p, simRoot };
  }

  async jobControl() {
    const { jobControl } = await import('../core/jobs/index');
    return jobControl({ python: this.ctx.config.settings.pythonPath });
  }

  /** Launches a profile; resolves once the job is started (not ready). */
  async start(profile: NamedProfile, force: boolean): Promise<ServingJob | undefined> {
    const { startServing, PreflightFailedError } = await import('../core/serving/job');
    const { hostId, transport, profile: p, simRoot } = await this.hostFor(profile);
    const env = this.ctx.envResults.get(hostId)?.report;
    let job: ServingJob;
    try {
      job = await startServing(transport, p, {
        jobs: await this.jobControl(),
        env,
        force,
        onPreflight: (r: PreflightResult) => {
          for (const c of r.checks) this.ctx.log.info(`pre-launch ${c.status}: ${c.title}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
        },
      });
    } catch (e) {
      if (e instanceof PreflightFailedError) {
        const failed = e.result.checks.filter((c) => c.status === 'fail');
        const anyway = vscode.l10n.t('Launch Anyway');
        const pick = await vscode.window.showWarningMessage(
          vscode.l10n.t('Not launched: {0} pre-launch check(s) failed.', failed.length),
          { modal: true, detail: failed.map((c) => `✗ ${c.title}: ${c.detail}${c.fix ? `\n   → ${c.fix}` : ''}`).join('\n') },
          anyway,
        );
        if (pick === anyway) return this.start(profile, true);
        return undefined;
      }
      throw e;
    }
    this.watch(job, hostId, simRoot);
    this.openTerminal(job.id);
    return job;
  }

  private watch(job: ServingJob, hostId: string, simRoot?: string): void {
    const id = job.id;
    this.live.set(id, job);
    if (!this.tracked.has(id)) this.tracked.set(id, { hostId, simRoot, record: job.record() });
    this.update(id, { record: job.record() });
    job.on('state', (rec) => {
      this.ctx.log.info(`serving job ${id}: ${rec.state}${rec.loadTimeMs !== null ? ` (load ${rec.loadTimeMs} ms)` : ''}${rec.failure ? `: ${rec.failure.message}` : ''}`);
      this.update(id, { record: rec });
      if (rec.state === 'ready') {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('{0} is ready on {1} (model load time {2}).', rec.profileName, rec.host, rec.loadTimeMs !== null ? duration(rec.loadTimeMs) : '?') +
            (rec.simulated ? ` [${vscode.l10n.t('SIMULATED')}]` : ''),
        );
      } else if (rec.state === 'failed') {
        const f = rec.failure;
        void vscode.window.showErrorMessage(
          f?.error ? vscode.l10n.t('{0} failed: {1} — {2} Fix: {3}', rec.profileName, f.error.title, f.error.explanation, f.error.fix) : vscode.l10n.t('{0} failed: {1}', rec.profileName, f?.message ?? '?'),
        );
      }
    });
    job.on('finding', (f, loc) => {
      this.ctx.log.warn(`serving job ${id}: log line ${f.line}: ${loc.title} — ${loc.fix}`);
    });
  }

  /** The live job object for a tracked job, re-attaching after a reload or reconnect. */
  async liveJob(id: string): Promise<ServingJob> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const t = this.tracked.get(id);
    if (!t) throw new Error(vscode.l10n.t('Unknown job {0}', id));
    const { attachServing } = await import('../core/serving/job');
    const transport = await this.ctx.hosts.transport(t.hostId);
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
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number | void>();
    let detach: (() => void) | undefined;
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => {
        const dec = new StringDecoder('utf8');
        const head = t?.record.simulated ? `\x1b[33m[${vscode.l10n.t('SIMULATED')}]\x1b[0m ` : '';
        write.fire(`${head}${t?.record.command.display ?? id}\r\n${vscode.l10n.t('(closing this terminal does not stop the server)')}\r\n\r\n`);
        void this.liveJob(id).then(
          (job) => {
            const a = job.attachLog(0, (chunk) => write.fire(dec.write(chunk).replace(/\r?\n/g, '\r\n')));
            detach = a.detach;
            void a.done.then(() => write.fire(`\r\n${vscode.l10n.t('[log ended: {0}]', stateText(job.state))}\r\n`));
          },
          (e: Error) => write.fire(`${vscode.l10n.t('cannot attach: {0}', e.message)}\r\n`),
        );
      },
      close: () => {
        detach?.();
        write.dispose();
        close.dispose();
      },
    };
    const term = vscode.window.createTerminal({ name: vscode.l10n.t('vllm serve {0} ({1})', t?.record.profileName ?? id, t?.record.host ?? ''), pty, iconPath: new vscode.ThemeIcon('server-process') });
    this.terminals.set(id, term);
    term.show(true);
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
    if (!t) throw new Error(vscode.l10n.t('Unknown job {0}', id));
    const job = await this.liveJob(id);
    const rec = await job.waitReady();
    if (rec.state !== 'ready') throw new Error(vscode.l10n.t('{0} is not ready ({1}).', rec.profileName, stateText(rec.state)));
    const cfg = await this.loadConfig();
    const profile = cfg?.config.profiles[rec.profileName];
    const prompts = profile?.smokePrompts ?? (await import('../core/profiles/schema')).DEFAULT_SMOKE_PROMPTS;
    const { runSmoke } = await import('../core/smoke/client');
    const endpoint = await job.endpointUrl();
    let current = -1;
    const report = await runSmoke(
      endpoint,
      prompts,
      { model: rec.command.servedModelName, maxTokens: profile?.smokeMaxTokens, temperature: profile?.smokeTemperature },
      (i, delta) => {
        if (i !== current) {
          current = i;
          onText(`\r\n\x1b[1m[${i + 1}/${prompts.length}] ${prompts[i]}\x1b[0m\r\n`);
        }
        onText(delta.replace(/\r?\n/g, '\r\n'));
      },
      (_i, r) => onText(`\r\n\x1b[2m${vscode.l10n.t('TTFT {0} ms · total {1} ms · {2} prompt + {3} completion tokens · finish: {4}', Math.round(r.ttftMs), Math.round(r.totalMs), String(r.promptTokens ?? '?'), String(r.completionTokens ?? '?'), r.finishReason ?? '?')}\x1b[0m\r\n`),
    );
    this.update(id, { smoke: report });
    return report;
  }

  dispose(): void {
    for (const j of this.live.values()) void j.dispose();
    this.live.clear();
    this.emitter.dispose();
  }
}

class JobNode implements Node {
  constructor(readonly job: TrackedJob) {}

  item(): vscode.TreeItem {
    const r = this.job.record;
    const it = new vscode.TreeItem(r.profileName, vscode.TreeItemCollapsibleState.Collapsed);
    it.id = `job:${r.jobId}`;
    const parts = [r.simulated ? vscode.l10n.t('SIMULATED') : '', r.host, stateText(r.state)];
    const end = r.endedAt ?? Date.now();
    if (r.state === 'ready' || r.state === 'starting') parts.push(vscode.l10n.t('up {0}', duration(end - r.startedAt)));
    if (r.loadTimeMs !== null) parts.push(vscode.l10n.t('load {0}', duration(r.loadTimeMs)));
    it.description = parts.filter(Boolean).join(' · ');
    it.iconPath =
      r.state === 'ready'
        ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'))
        : r.state === 'starting'
          ? new vscode.ThemeIcon('loading~spin')
          : r.state === 'failed'
            ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
            : new vscode.ThemeIcon('debug-stop');
    it.contextValue = `ascend.job.serve.${r.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${r.profileName}** — ${stateText(r.state)}${r.simulated ? ` (${vscode.l10n.t('SIMULATED')})` : ''}\n\n`);
    md.appendCodeblock(r.command.display, 'shell');
    if (r.failure) md.appendMarkdown(`\n\n${r.failure.error ? `**${r.failure.error.title}** — ${r.failure.error.explanation}\n\n${vscode.l10n.t('Fix: {0}', r.failure.error.fix)}` : r.failure.message}`);
    it.tooltip = md;
    it.command = { command: 'ascend.jobs.attach', title: vscode.l10n.t('Attach'), arguments: [this] };
    return it;
  }

  children(): Node[] {
    const r = this.job.record;
    const out: Node[] = [];
    const row = (label: string, description: string, icon: vscode.ThemeIcon, contextValue?: string): Node => ({
      item: () => {
        const it = new vscode.TreeItem(label);
        it.description = description;
        it.iconPath = icon;
        it.contextValue = contextValue;
        return it;
      },
    });
    out.push(row(vscode.l10n.t('Job'), `${r.jobId} · ${new Date(r.startedAt).toLocaleString()}`, new vscode.ThemeIcon('tag')));
    out.push(row(vscode.l10n.t('Model'), `${r.command.servedModelName} · TP ${r.command.worldSize} · NPUs ${r.command.devices.join(',')}`, new vscode.ThemeIcon('symbol-namespace')));
    if (r.failure) out.push(row(vscode.l10n.t('Failure'), r.failure.error ? `${r.failure.error.title}: ${r.failure.error.fix}` : r.failure.message, statusIcon('fail')));
    const s = this.job.smoke;
    if (s) {
      out.push({
        item: () => {
          const it = new vscode.TreeItem(vscode.l10n.t('Smoke test'), vscode.TreeItemCollapsibleState.Expanded);
          it.description = vscode.l10n.t('{0}/{1} passed', s.passed, s.results.length) + (s.simulated ? ` · ${vscode.l10n.t('SIMULATED')}` : '');
          it.iconPath = statusIcon(s.failed ? 'fail' : 'pass');
          it.contextValue = 'ascend.job.smoke';
          return it;
        },
        children: () =>
          s.results.map((x) =>
            row(
              x.prompt,
              vscode.l10n.t('TTFT {0} ms · total {1} ms · {2} tokens · {3}', Math.round(x.ttftMs), Math.round(x.totalMs), String(x.completionTokens ?? '?'), x.finishReason ?? x.error ?? '?'),
              statusIcon(x.error ? 'fail' : 'pass'),
              'ascend.job.smokeResult',
            ),
          ),
      });
    }
    const acc = this.job.accuracy;
    if (acc) {
      out.push({
        item: () => {
          const it = new vscode.TreeItem(vscode.l10n.t('Accuracy'), vscode.TreeItemCollapsibleState.Expanded);
          it.description = [acc.simulated ? vscode.l10n.t('SIMULATED') : '', acc.engine, acc.error ?? ''].filter(Boolean).join(' · ');
          it.iconPath = statusIcon(acc.error ? 'warn' : acc.datasets.some((d) => d.verdict === 'fail') ? 'fail' : 'pass');
          it.contextValue = 'ascend.job.accuracy';
          return it;
        },
        children: () =>
          acc.datasets.map((d) =>
            row(
              d.name,
              `${d.metric ?? ''} ${d.value === null ? '—' : `${(d.value * 100).toFixed(2)} %`} · n=${d.n}${d.reference !== null ? ` · ${vscode.l10n.t('reference {0} %', (d.reference * 100).toFixed(2))}` : ''}`,
              statusIcon(d.verdict === 'fail' ? 'fail' : d.verdict === 'pass' ? 'pass' : 'skip'),
              'ascend.job.accuracyRow',
            ),
          ),
      });
    }
    const perf = this.job.perf;
    if (perf) {
      out.push({
        item: () => {
          const it = new vscode.TreeItem(vscode.l10n.t('Performance'), vscode.TreeItemCollapsibleState.Expanded);
          it.description = [perf.simulated ? vscode.l10n.t('SIMULATED') : '', perf.engine, perf.error ?? ''].filter(Boolean).join(' · ');
          it.iconPath = statusIcon(perf.error ? 'warn' : 'pass');
          it.contextValue = 'ascend.job.perf';
          return it;
        },
        children: () =>
          perf.runs.map((x) =>
            row(
              vscode.l10n.t('concurrency {0}', String(x.concurrency ?? '∞')),
              `${x.requestThroughput?.toFixed(2) ?? '—'} req/s · ${x.outputThroughput?.toFixed(1) ?? '—'} tok/s · TTFT ${x.meanTtftMs?.toFixed(1) ?? '—'} ms · TPOT ${x.meanTpotMs?.toFixed(2) ?? '—'} ms`,
              statusIcon(x.failed ? 'warn' : 'pass'),
              'ascend.job.perfRun',
            ),
          ),
      });
    }
    const st = this.job.stop;
    if (st) {
      out.push(row(vscode.l10n.t('After stop'), st.idle ? vscode.l10n.t('NPUs idle, no process left') : vscode.l10n.t('NPUs not idle: {0} process(es) left', st.npuProcesses.length + st.leftoverPids.length), statusIcon(st.idle ? 'pass' : st.checked ? 'fail' : 'skip')));
    }
    return out;
  }
}

function jobIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof JobNode) return arg.job.record.jobId;
  return undefined;
}

export function registerServing(ctx: Ctx): void {
  const serving = ctx.own(new Serving(ctx));
  ctx.serving = serving;
  const tree = ctx.views.trees['ascend.jobs'];
  tree.setRoots(() => serving.all().map((j) => new JobNode(j)));
  ctx.own(serving.onDidChange(() => tree.refresh()));
  // Uptime in the Jobs view moves while something runs.
  const timer = setInterval(() => {
    if (serving.all().some((j) => j.record.state === 'starting' || j.record.state === 'ready')) tree.refresh();
  }, 10_000);
  ctx.own({ dispose: () => clearInterval(timer) });

  const running = (j: TrackedJob) => j.record.state === 'starting' || j.record.state === 'ready';
  // After a reload the saved records come back; once the Jobs view is shown, running jobs on hosts that
  // need no prompt (this machine, the simulated host, already-connected ssh hosts) are re-attached so
  // their state moves again. Others re-attach on the first action (attach, stop, smoke).
  const reattach = () => {
    for (const j of serving.all()) {
      if (!running(j)) continue;
      const quiet = !j.hostId.startsWith('ssh:') || ctx.hosts.state(j.hostId) === 'connected';
      if (quiet) void serving.liveJob(j.record.jobId).catch((e: Error) => ctx.log.warn(`re-attach ${j.record.jobId}: ${e.message}`));
    }
  };
  ctx.own(ctx.views.views['ascend.jobs'].onDidChangeVisibility((e) => e.visible && reattach()));
  if (ctx.views.views['ascend.jobs'].visible) reattach();

  const pickJob = async (arg: unknown, filter: (j: TrackedJob) => boolean, placeHolder: string): Promise<string | undefined> => {
    const id = jobIdOf(arg);
    if (id) return id;
    const list = serving.all().filter(filter);
    if (list.length === 1) return list[0].record.jobId;
    if (list.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No serving job to act on. Start one with "Ascend: Start Serving".'));
      return undefined;
    }
    const p = await vscode.window.showQuickPick(
      list.map((j) => ({ label: j.record.profileName, description: `${j.record.host} · ${stateText(j.record.state)}`, id: j.record.jobId })),
      { placeHolder },
    );
    return p?.id;
  };

  registerCommand(ctx, 'ascend.serve.start', async (arg?: unknown) => {
    requireTrust(vscode.l10n.t('Start Serving'));
    const cfg = await serving.loadConfig();
    if (!cfg || Object.keys(cfg.config.profiles).length === 0) {
      const create = vscode.l10n.t('Create ascend-adapt.json');
      const pick = await vscode.window.showInformationMessage(vscode.l10n.t('No launch profile found: add ascend-adapt.json with a profile to the workspace.'), create);
      if (pick === create) await vscode.commands.executeCommand('ascend.serve.createProfile');
      return undefined;
    }
    const want = arg && typeof arg === 'object' && 'profile' in arg ? String((arg as { profile: unknown }).profile) : undefined;
    const names = Object.keys(cfg.config.profiles);
    const name = want ?? (names.length === 1 ? names[0] : (await vscode.window.showQuickPick(names.map((n) => ({ label: n, description: cfg.config.profiles[n].description ?? cfg.config.profiles[n].modelPath })), { placeHolder: vscode.l10n.t('Serve which profile?') }))?.label);
    if (!name) return undefined;
    const { getProfile } = await import('../core/profiles/load');
    const profile = getProfile(cfg.config, name, vscode.workspace.asRelativePath(cfg.file));
    const job = await vscode.window.withProgress(
      { location: { viewId: 'ascend.jobs' }, title: vscode.l10n.t('Launching {0}…', name) },
      () => serving.start(profile, false),
    );
    return job?.id;
  });

  registerCommand(ctx, 'ascend.serve.createProfile', async () => {
    requireTrust(vscode.l10n.t('Start Serving'));
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error(vscode.l10n.t('Open a folder first: ascend-adapt.json lives in the workspace.'));
    const modelPath = await vscode.window.showInputBox({ title: vscode.l10n.t('New serving profile (1/3)'), prompt: vscode.l10n.t('Model folder on the host (holding config.json and the weights)'), ignoreFocusOut: true });
    if (!modelPath) return undefined;
    const name = await vscode.window.showInputBox({ title: vscode.l10n.t('New serving profile (2/3)'), prompt: vscode.l10n.t('Profile name'), value: path.basename(modelPath).toLowerCase().replace(/[^\w.-]+/g, '-'), validateInput: (v) => (/^\S+$/.test(v) ? undefined : vscode.l10n.t('No spaces')) });
    if (!name) return undefined;
    const tp = await vscode.window.showQuickPick(['1', '2', '4', '8'], { title: vscode.l10n.t('New serving profile (3/3)'), placeHolder: vscode.l10n.t('Tensor-parallel size (NPUs per model replica)') });
    if (!tp) return undefined;
    const file = vscode.Uri.joinPath(folder.uri, 'ascend-adapt.json');
    let existing: Record<string, unknown> = {};
    try {
      existing = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8')) as Record<string, unknown>;
    } catch {
      existing = {};
    }
    const profiles = { ...((existing.profiles as Record<string, unknown>) ?? {}), [name]: { modelPath, servedModelName: name, tensorParallelSize: Number(tp), maxModelLen: 8192, dtype: 'bfloat16', enforceEager: true } };
    const { parseConfig } = await import('../core/profiles/load');
    const text = JSON.stringify({ ...existing, profiles }, null, 2) + '\n';
    parseConfig(text); // the file we write must load
    await vscode.workspace.fs.writeFile(file, Buffer.from(text, 'utf8'));
    await vscode.window.showTextDocument(file);
    return name;
  });

  registerCommand(ctx, 'ascend.jobs.attach', async (arg?: unknown) => {
    const id = await pickJob(arg, () => true, vscode.l10n.t('Attach to which job?'));
    if (!id) return undefined;
    return serving.openTerminal(id).name;
  });

  registerCommand(ctx, 'ascend.jobs.stop', async (arg?: unknown) => {
    const id = await pickJob(arg, running, vscode.l10n.t('Stop which job?'));
    if (!id) return undefined;
    const rep = await vscode.window.withProgress({ location: { viewId: 'ascend.jobs' }, title: vscode.l10n.t('Stopping…') }, () => serving.stop(id));
    if (rep.idle) void vscode.window.showInformationMessage(vscode.l10n.t('Stopped; the NPUs are back to idle and no process is left.'));
    else if (!rep.checked) void vscode.window.showWarningMessage(vscode.l10n.t('Stopped; npu-smi could not be read to check the NPUs.'));
    else void vscode.window.showWarningMessage(vscode.l10n.t('Stopped, but the NPUs are not idle: {0}', [...rep.npuProcesses.map((p) => `pid ${p.pid} (${p.name}) ${p.memoryMB} MB on NPU ${p.npuId}`), ...rep.leftoverPids.map((p) => `pid ${p}`)].join('; ')));
    return rep;
  });

  registerCommand(ctx, 'ascend.jobs.openLog', async (arg?: unknown) => {
    const id = await pickJob(arg, () => true, vscode.l10n.t('Open the log of which job?'));
    if (!id) return undefined;
    const job = await serving.liveJob(id);
    const chunks: Buffer[] = [];
    let off = 0;
    for (;;) {
      const r = await job.readLog(off);
      if (r.data.length === 0) break;
      chunks.push(r.data);
      off = r.next;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'ascend-log', content: Buffer.concat(chunks).toString('utf8') });
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc.uri;
  });

  registerCommand(ctx, 'ascend.jobs.copyEndpoint', async (arg?: unknown) => {
    const id = await pickJob(arg, (j) => j.record.state === 'ready', vscode.l10n.t('Copy the endpoint of which job?'));
    if (!id) return undefined;
    const url = `${await (await serving.liveJob(id)).endpointUrl()}/v1`;
    await vscode.env.clipboard.writeText(url);
    void vscode.window.showInformationMessage(vscode.l10n.t('Endpoint copied: {0}', url));
    return url;
  });

  registerCommand(ctx, 'ascend.jobs.clearFinished', async () => {
    for (const j of serving.all()) if (!running(j)) serving.forget(j.record.jobId);
  });

  registerCommand(ctx, 'ascend.serve.smoke', async (arg?: unknown) => {
    requireTrust(vscode.l10n.t('Run Smoke Test'));
    const id = await pickJob(arg, running, vscode.l10n.t('Run the smoke test against which server?'));
    if (!id) return undefined;
    const write = new vscode.EventEmitter<string>();
    const opened = new Promise<void>((r) => {
      const term = vscode.window.createTerminal({
        name: vscode.l10n.t('Smoke test {0}', serving.get(id)?.record.profileName ?? id),
        iconPath: new vscode.ThemeIcon('comment-discussion'),
        pty: { onDidWrite: write.event, open: () => r(), close: () => undefined },
      });
      term.show(true);
    });
    await Promise.race([opened, new Promise((r) => setTimeout(r, 3000))]);
    const rep = await serving.smoke(id, (s) => write.fire(s));
    write.fire(`\r\n\r\n${vscode.l10n.t('{0}/{1} prompts passed', rep.passed, rep.results.length)}${rep.simulated ? ` [${vscode.l10n.t('SIMULATED')}]` : ''}\r\n`);
    const text = vscode.l10n.t('Smoke test: {0}/{1} prompts passed', rep.passed, rep.results.length) + (rep.simulated ? ` [${vscode.l10n.t('SIMULATED')}]` : '');
    if (rep.failed) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
    return rep;
  });
}
