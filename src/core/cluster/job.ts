import { EventEmitter } from 'node:events';
import * as l10n from '@vscode/l10n';
import { localize, LogWatcher, type LocalizedError, type LogFinding } from '../knowledge/errors';
import { newJobId, withSimEnv, type JobControl } from '../jobs/index';
import type { NamedProfile } from '../profiles/schema';
import { attachServing, readNpuSmi, type ServingJob, type ServingJobRecord } from '../serving/job';
import { buildServeCommand, type ServeCommand } from '../serving/command';
import type { Transport } from '../transport/transport';
import { quoteCommand } from '../transport/quote';
import { waitListening } from './netinfo';
import { dpLocal, type ClusterNodePlan, type ClusterPlan, type NodeCommand } from './plan';
import { readyCount, WORKER_READY } from './ready';

/**
 * A multi-node launch as ONE job: a detached job per node (core/jobs), started head first — for Ray,
 * `ray start --head`, then `ray start --address` on the others, then `vllm serve` on the head; for DP and
 * PP, the head's `vllm serve`, and the others once it listens on its address and port. Ready when the head's
 * API answers (a ServingJob on the head) and every other node's log reached its ready line (ready.ts). A
 * node whose process ends or whose link drops fails the whole job, naming the node, and the others are
 * stopped. `stop()` ends every node's jobs (and `ray stop` where Ray was started) and checks that nothing is
 * left and the NPUs are idle on every node. The record (plain data) re-attaches after a reload.
 */

export type ClusterState = 'starting' | 'ready' | 'failed' | 'stopped';
export type NodeState = 'pending' | 'starting' | 'ready' | 'failed' | 'lost' | 'stopped' | 'exited';

export interface NodeJob {
  kind: NodeCommand['kind'];
  jobId: string;
  display: string;
}

/** A planned node (where and on which devices) as the running job keeps it. */
export interface ClusterNodeRecord extends Pick<ClusterNodePlan, 'index' | 'host' | 'role' | 'address' | 'nic' | 'devices' | 'simRoot'> {
  jobs: NodeJob[];
  /** The job whose log is this node's log (its vllm serve; `ray start` on a Ray worker). */
  logJobId: string | null;
  state: NodeState;
  readyAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  failure: string | null;
  logOffset: number;
  /** How many times its ready line must appear (one per engine). */
  readyWant: number;
}

export interface ClusterJobRecord {
  id: string;
  profileName: string;
  mode: ClusterPlan['mode'];
  simulated: boolean;
  state: ClusterState;
  startedAt: number;
  readyAt: number | null;
  loadTimeMs: number | null;
  endedAt: number | null;
  failure: { node: string | null; index: number | null; message: string } | null;
  servedModelName: string;
  apiPort: number;
  headAddress: string;
  rendezvousPort: number;
  nodes: ClusterNodeRecord[];
  /** The head's vllm serve as a serving job (endpoint, load time, known failures). */
  head: ServingJobRecord | null;
  /** Hosts where this job ran `ray start` (they get `ray stop`). */
  rayStarted: string[];
}

export interface ClusterNodeStop {
  host: string;
  reached: boolean;
  leftoverPids: number[];
  rayStop: string | null;
  /** Processes npu-smi still shows on the node's devices. */
  npuProcesses: Array<{ device: number; pid: number; name: string }>;
  checked: boolean;
  idle: boolean;
}

export interface ClusterStopReport {
  nodes: ClusterNodeStop[];
  idle: boolean;
}

export interface ClusterMonitorOptions {
  /** A node's transport (the same one for the whole job; the caller keeps it open). */
  open(host: string): Promise<Transport>;
  jobs: JobControl;
  pollMs?: number;
  /** A node whose link is down this long after the transport noticed is lost (default 2000 ms). */
  linkGraceMs?: number;
  /** A node that answers no poll for this long is lost (default 10 000 ms). */
  silentMs?: number;
  readyTimeoutMs?: number;
  /** Jobs folder on the hosts, when not the default. */
  jobsRoot?: string;
}

export interface ClusterEvents {
  state: [ClusterJobRecord];
  node: [ClusterNodeRecord];
  finding: [string, LogFinding, LocalizedError];
  log: [string, Buffer, number];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(l10n.t('{0}: no answer within {1} s', what, Math.round(ms / 1000)))), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

export const nodeLabel = (n: { index: number; host: string }) => l10n.t('node {0} ({1})', n.index, n.host);

/** A new record for a plan (nothing started yet). */
export function newClusterRecord(profile: NamedProfile, plan: ClusterPlan): ClusterJobRecord {
  return {
    id: newJobId(`cluster-${profile.name}`),
    profileName: profile.name,
    mode: plan.mode,
    simulated: plan.nodes.some((n) => n.simRoot !== undefined),
    state: 'starting',
    startedAt: Date.now(),
    readyAt: null,
    loadTimeMs: null,
    endedAt: null,
    failure: null,
    servedModelName: plan.servedModelName,
    apiPort: plan.apiPort,
    headAddress: plan.headAddress,
    rendezvousPort: plan.rendezvousPort,
    nodes: plan.nodes.map((n) => ({
      index: n.index, host: n.host, role: n.role, address: n.address, nic: n.nic, devices: n.devices,
      ...(n.simRoot ? { simRoot: n.simRoot } : {}),
      jobs: [], logJobId: null, state: 'pending', readyAt: null, endedAt: null, exitCode: null, failure: null, logOffset: 0,
      readyWant: WORKER_READY[plan.mode].count({ dpLocal: plan.mode === 'dp' ? dpLocal(profile) : 1 }),
    })),
    head: null,
    rayStarted: [],
  };
}

/** The head's vllm serve as the ServeCommand a serving record carries. */
function headServeCommand(profile: NamedProfile, head: ClusterNodePlan): ServeCommand {
  const c = head.commands.find((x) => x.kind === 'serve')!;
  const base = buildServeCommand(profile);
  return { ...base, argv: withSimEnv(head.simRoot, c.argv), vllmArgv: c.argv, env: c.env, display: quoteCommand(c.argv, c.env), devices: head.devices, worldSize: head.devices.length };
}

/** Start one command of a node as a detached job; returns the job id. */
async function startNodeCommand(job: ClusterJob, opts: ClusterMonitorOptions, rec: ClusterJobRecord, node: ClusterNodeRecord, c: NodeCommand, isLog: boolean): Promise<string> {
  job.checkNotStopped();
  const t = await opts.open(node.host);
  job.checkNotStopped();
  const { id } = await opts.jobs.start(t, { argv: withSimEnv(node.simRoot, c.argv), env: c.env, name: `${c.kind === 'serve' ? 'serve' : 'ray'}-${rec.profileName}-n${node.index}` });
  node.jobs.push({ kind: c.kind, jobId: id, display: quoteCommand(c.argv, c.env) });
  if (isLog) node.logJobId = id;
  // Said as soon as it runs: a view shows the node starting and its log tab can follow it.
  job.nodeStarted(node);
  return id;
}

/** A short job (`ray start`) to its end: exit code and the last lines of its log. */
async function runToEnd(job: ClusterJob, opts: ClusterMonitorOptions, host: string, id: string, timeoutMs: number): Promise<{ code: number | null; tail: string }> {
  const t = await opts.open(host);
  const until = Date.now() + timeoutMs;
  for (;;) {
    job.checkNotStopped();
    const s = await opts.jobs.status(t, id);
    if (!s.running) {
      const r = await opts.jobs.readLog(t, id, 0, 1 << 20);
      return { code: s.exitCode, tail: r.data.toString('utf8').trim().split('\n').slice(-3).join(' | ') };
    }
    if (Date.now() > until) return { code: null, tail: l10n.t('still running after {0} s', Math.round(timeoutMs / 1000)) };
    await sleep(300);
  }
}

export class ClusterLaunchError extends Error {
  constructor(message: string, readonly node: ClusterNodeRecord) {
    super(message);
    this.name = 'ClusterLaunchError';
  }
}

/** Ray: `ray start` on the head, then on the others; each must print its ready line and exit 0. */
async function startRay(job: ClusterJob, opts: ClusterMonitorOptions, rec: ClusterJobRecord, plan: ClusterPlan): Promise<void> {
  const one = async (i: number) => {
    const node = rec.nodes[i];
    const c = plan.nodes[i].commands.find((x) => x.kind === 'ray-start')!;
    const id = await startNodeCommand(job, opts, rec, node, c, node.role === 'worker');
    rec.rayStarted.push(node.host);
    const r = await runToEnd(job, opts, node.host, id, 60_000);
    if (r.code !== 0) throw new ClusterLaunchError(l10n.t('{0}: ray start failed (exit {1}): {2}', nodeLabel(node), String(r.code ?? '?'), r.tail), node);
  };
  await one(0);
  await Promise.all(rec.nodes.slice(1).map((_, k) => one(k + 1)));
}

/** DP / PP: the head's vllm serve, then wait until it listens on its address and port, then the others. */
async function startHeadFirst(job: ClusterJob, opts: ClusterMonitorOptions, rec: ClusterJobRecord, plan: ClusterPlan, headId: string): Promise<void> {
  const head = rec.nodes[0];
  const t = await opts.open(head.host);
  const until = Date.now() + (opts.readyTimeoutMs ?? 1_800_000);
  while (!(await waitListening(t, plan.headAddress, plan.rendezvousPort, 3))) {
    job.checkNotStopped();
    const s = await opts.jobs.status(t, headId);
    if (!s.running) {
      const r = await opts.jobs.readLog(t, headId, 0, 1 << 20);
      throw new ClusterLaunchError(l10n.t('{0}: vllm serve ended (exit {1}) before it listened on {2}:{3}: {4}', nodeLabel(head), String(s.exitCode ?? '?'), plan.headAddress, plan.rendezvousPort,
        r.data.toString('utf8').trim().split('\n').slice(-2).join(' | ')), head);
    }
    if (Date.now() > until) throw new ClusterLaunchError(l10n.t('{0}: not listening on {1}:{2}', nodeLabel(head), plan.headAddress, plan.rendezvousPort), head);
  }
  await Promise.all(rec.nodes.slice(1).map((node, k) => startNodeCommand(job, opts, rec, node, plan.nodes[k + 1].commands[0], true)));
}

/**
 * Launch a plan (the pre-checks were run by the caller): the jobs in order, then the monitor. Resolves once
 * every node's job is started — or with the job already failed (naming the node) and the rest stopped, or
 * stopped by `stop()` during the launch. `onJob` gets the job before anything starts, so that a caller can
 * show it (its 'node' events say each node starting) and stop it while the nodes come up.
 */
export async function launchCluster(profile: NamedProfile, plan: ClusterPlan, opts: ClusterMonitorOptions, onJob?: (job: ClusterJob) => void): Promise<ClusterJob> {
  const rec = newClusterRecord(profile, plan);
  const job = new ClusterJob(rec, profile, opts);
  onJob?.(job);
  const launch = (async () => {
    if (plan.mode === 'ray') await startRay(job, opts, rec, plan);
    const head = rec.nodes[0];
    const headCmd = plan.nodes[0].commands.find((c) => c.kind === 'serve')!;
    const headId = await startNodeCommand(job, opts, rec, head, headCmd, true);
    rec.head = headServingRecord(rec, profile, plan, headId);
    if (plan.mode !== 'ray') await startHeadFirst(job, opts, rec, plan, headId);
    else for (const n of rec.nodes.slice(1)) job.nodeStarted(n, 'ready');
  })();
  job.launching = launch.catch(() => undefined);
  try {
    await launch;
  } catch (e) {
    // Stopped while starting: stop() ends what was started; that is not a failure.
    if (e instanceof LaunchStopped) return job;
    const node = e instanceof ClusterLaunchError ? e.node : null;
    await job.failWith(node, (e as Error).message);
    return job;
  } finally {
    job.launching = null;
  }
  if (job.state === 'starting') job.monitor();
  return job;
}

/** Thrown inside a launch once the job was asked to stop: nothing more is started. */
class LaunchStopped extends Error {}

function headServingRecord(rec: ClusterJobRecord, profile: NamedProfile, plan: ClusterPlan, jobId: string): ServingJobRecord {
  return {
    jobId, host: rec.nodes[0].host, profileName: profile.name, command: headServeCommand(profile, plan.nodes[0]), simulated: rec.simulated,
    state: 'starting', startedAt: rec.startedAt, readyAt: null, loadTimeMs: null, endedAt: null, exitCode: null, failure: null,
    endpoint: null, logOffset: 0, baselineHbmMB: null,
  };
}

/** Pick a multi-node job up again from its record (after a reload), on the caller's node transports. */
export function attachCluster(rec: ClusterJobRecord, profile: { simRoot?: string; readyTimeoutSec?: number; name?: string }, opts: ClusterMonitorOptions): ClusterJob {
  const job = new ClusterJob(JSON.parse(JSON.stringify(rec)) as ClusterJobRecord, profile, opts);
  if (rec.state === 'starting' || rec.state === 'ready') job.monitor();
  return job;
}

export class ClusterJob extends EventEmitter<ClusterEvents> {
  private headJob: ServingJob | null = null;
  private running = false;
  private ended = false;
  private stopping = false;
  private readonly lostSince = new Map<string, number>();
  private readonly lastContact = new Map<string, number>();
  private readonly watchers = new Map<string, LogWatcher>();
  private readonly unhook: Array<() => void> = [];
  private readonly pollMs: number;
  private readonly linkGraceMs: number;
  private readonly silentMs: number;
  private waiters: Array<() => void> = [];
  /** Stopping the other nodes after a failure. */
  private settling: Promise<ClusterStopReport> | null = null;
  /** The launch in progress (stop waits for it: a node being started is then stopped too). */
  launching: Promise<void> | null = null;
  /** Set once the job has ended and what it ran was stopped: the log followers stop following. */
  private finished = false;
  private markFinished: () => void = () => undefined;
  /** Settles once finished (awaited only while a node waits for its start). */
  private readonly finishedP = new Promise<void>((r) => (this.markFinished = r));

  constructor(private rec: ClusterJobRecord, private readonly profile: { simRoot?: string; readyTimeoutSec?: number }, private readonly opts: ClusterMonitorOptions) {
    super();
    this.pollMs = opts.pollMs ?? 1000;
    this.linkGraceMs = opts.linkGraceMs ?? 2000;
    this.silentMs = opts.silentMs ?? 10_000;
    // A record that had ended (read back after a reload) is only read, never followed.
    if (rec.state === 'failed' || rec.state === 'stopped') {
      this.ended = true;
      this.finish();
    }
  }

  /** During the launch: throws once a stop was asked for, so that nothing more is started. */
  checkNotStopped(): void {
    if (this.stopping || this.ended) throw new LaunchStopped('stopped while starting');
  }

  /** During the launch: a node's command runs (or, for a Ray worker once Ray is up, it is ready). */
  nodeStarted(n: ClusterNodeRecord, s: NodeState = 'starting'): void {
    if (n.state === 'pending' || n.state === 'starting') this.setNode(n, s);
    else this.emit('node', { ...n });
  }

  /** Whether the job has ended and what it ran was stopped (node logs are no longer followed). */
  get hasFinished(): boolean {
    return this.finished;
  }

  private finish(): void {
    this.finished = true;
    this.markFinished();
  }

  private untilFinished(): Promise<void> {
    return this.finishedP;
  }

  get id(): string {
    return this.rec.id;
  }

  get state(): ClusterState {
    return this.rec.state;
  }

  record(): ClusterJobRecord {
    const copy = JSON.parse(JSON.stringify(this.rec)) as ClusterJobRecord;
    if (this.headJob) copy.head = this.headJob.record();
    return copy;
  }

  node(host: string): ClusterNodeRecord | undefined {
    return this.rec.nodes.find((n) => n.host === host);
  }

  /** Resolves when the job leaves `starting`. */
  waitReady(): Promise<ClusterJobRecord> {
    return this.waitFor(['ready', 'failed', 'stopped']);
  }

  waitFor(states: ClusterState[]): Promise<ClusterJobRecord> {
    if (states.includes(this.rec.state)) return Promise.resolve(this.record());
    return new Promise((resolve) => {
      const check = () => {
        if (!states.includes(this.rec.state)) return false;
        resolve(this.record());
        return true;
      };
      const w = () => { if (!check()) this.waiters.push(w); };
      this.waiters.push(w);
    });
  }

  /** A node's transport, the one this job watches it through (to read or copy its files). */
  transport(host: string): Promise<Transport> {
    return this.opts.open(host);
  }

  /** The head's API on this machine (through a forwarded port). */
  async endpointUrl(): Promise<string> {
    if (!this.headJob) throw new Error(l10n.t('the head of {0} is not serving', this.rec.profileName));
    return this.headJob.endpointUrl();
  }

  /**
   * Follow one node's log from a byte offset (its vllm serve, or its `ray start` on a Ray worker); a node
   * still waiting for its start is followed once it starts. `done` says how following ended: the log ended
   * (its process exited and all was read), or the job had ended and was stopped — then what can still be read
   * is read and following stops, so that a node lost for good is not retried forever.
   */
  attachLog(host: string, fromOffset: number, onData: (chunk: Buffer, offset: number) => void): { detach(): void; offset(): number; done: Promise<'log-ended' | 'job-ended'> } {
    const node = this.node(host);
    let offset = fromOffset;
    let detached = false;
    const done = (async (): Promise<'log-ended' | 'job-ended'> => {
      if (!node) return 'log-ended';
      while (!node.logJobId && !this.finished && !detached) await Promise.race([this.untilFinished(), new Promise<void>((r) => this.once('node', () => r()))]);
      if (!node.logJobId) return this.finished ? 'job-ended' : 'log-ended';
      while (!detached) {
        const finished = this.finished;
        let got = 0;
        let ended = false;
        let failed = false;
        try {
          const t = await this.opts.open(host);
          const r = await withTimeout(this.opts.jobs.readLog(t, node.logJobId, offset, 1 << 20), this.silentMs, host);
          if (detached) break;
          if (r.data.length) {
            onData(r.data, offset);
            offset = r.next;
            got = r.data.length;
          }
          ended = r.status !== undefined && !r.status.running;
        } catch {
          failed = true;
        }
        if (got === 0 && ended) return 'log-ended';
        // The job is over: read what is there (a stopped node's last lines), then stop following.
        if (finished && (failed || got === 0)) return 'job-ended';
        if (got < 1 << 20 && !finished) await sleep(this.pollMs);
      }
      return 'log-ended';
    })();
    return { detach: () => { detached = true; }, offset: () => offset, done };
  }

  /** Start (or resume) watching every node. */
  monitor(): void {
    if (this.running || this.ended) return;
    this.running = true;
    for (const n of this.rec.nodes) this.lastContact.set(n.host, Date.now());
    void this.watchLinks();
    void this.watchHead();
    for (const n of this.rec.nodes.slice(1)) if (n.logJobId && this.rec.mode !== 'ray') void this.watchWorker(n);
    this.checkReady();
  }

  // ---- state --------------------------------------------------------------------------------------
  private setState(s: ClusterState): void {
    this.rec.state = s;
    this.emit('state', this.record());
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private setNode(n: ClusterNodeRecord, s: NodeState, failure?: string): void {
    n.state = s;
    if (failure !== undefined) n.failure = failure;
    this.emit('node', { ...n });
  }

  private checkReady(): void {
    if (this.rec.state !== 'starting') return;
    if (this.rec.nodes.every((n) => n.state === 'ready')) {
      this.rec.readyAt = Date.now();
      this.rec.loadTimeMs = this.rec.readyAt - this.rec.startedAt;
      this.setState('ready');
    }
  }

  // ---- watching -----------------------------------------------------------------------------------
  private async watchLinks(): Promise<void> {
    for (const n of this.rec.nodes) {
      let t: Transport;
      try {
        t = await this.opts.open(n.host);
      } catch {
        continue;
      }
      const em = t as unknown as Partial<EventEmitter>;
      if (typeof em.on !== 'function' || typeof em.off !== 'function') continue;
      const onState = (s: string) => {
        if (s === 'connected') {
          this.lostSince.delete(n.host);
          return;
        }
        if (this.lostSince.has(n.host)) return;
        this.lostSince.set(n.host, Date.now());
        setTimeout(() => {
          if (this.lostSince.has(n.host) && !this.ended) void this.nodeLost(n, l10n.t('{0}: the link dropped (no answer over SSH)', nodeLabel(n)));
        }, this.linkGraceMs);
      };
      em.on('state', onState);
      this.unhook.push(() => em.off!('state', onState));
    }
  }

  private async watchHead(): Promise<void> {
    const head = this.rec.nodes[0];
    if (!this.rec.head) return;
    const t = await this.opts.open(head.host);
    const job = attachServing(t, this.rec.head, { simRoot: head.simRoot, readyTimeoutSec: this.profile.readyTimeoutSec }, { jobs: this.opts.jobs, pollMs: this.pollMs, readyTimeoutMs: this.opts.readyTimeoutMs });
    this.headJob = job;
    job.on('finding', (f, loc) => this.emit('finding', head.host, f, loc));
    job.on('log', (chunk, off) => {
      this.lastContact.set(head.host, Date.now());
      head.logOffset = off + chunk.length;
      this.emit('log', head.host, chunk, off);
    });
    job.on('state', (r) => {
      this.lastContact.set(head.host, Date.now());
      if (r.state === 'ready') {
        head.readyAt = r.readyAt;
        this.setNode(head, 'ready');
        this.checkReady();
      } else if ((r.state === 'failed' || r.state === 'exited') && !this.stopping) {
        head.exitCode = r.exitCode;
        head.endedAt = r.endedAt;
        void this.nodeEnded(head, r.failure?.message ?? l10n.t('vllm serve exited (code {0})', String(r.exitCode ?? '?')));
      }
    });
    if (job.state === 'ready') {
      this.setNode(head, 'ready');
      this.checkReady();
    }
  }

  private async watchWorker(n: ClusterNodeRecord): Promise<void> {
    const watcher = new LogWatcher((f) => this.emit('finding', n.host, f, localize(f.error)), n.logOffset);
    this.watchers.set(n.host, watcher);
    const ready = WORKER_READY[this.rec.mode];
    const want = n.readyWant;
    let seen = '';
    let t: Transport;
    try {
      t = await this.opts.open(n.host);
    } catch (e) {
      await this.nodeLost(n, l10n.t('{0}: {1}', nodeLabel(n), (e as Error).message));
      return;
    }
    while (!this.ended && !this.stopping) {
      try {
        const r = await withTimeout(this.opts.jobs.readLog(t, n.logJobId!, n.logOffset, 1 << 20), this.silentMs, n.host);
        this.lastContact.set(n.host, Date.now());
        if (r.data.length) {
          this.emit('log', n.host, r.data, n.logOffset);
          watcher.feed(r.data);
          n.logOffset = r.next;
          seen = (seen + r.data.toString('utf8')).slice(-65536);
          // Only a node still coming up becomes ready: a read that lands after the node was lost or failed
          // (the link came back) must not make it ready again.
          if ((n.state === 'starting' || n.state === 'pending') && readyCount(ready, seen) >= want) {
            n.readyAt = Date.now();
            this.setNode(n, 'ready');
            this.checkReady();
          }
        }
        if (r.status && !r.status.running && r.data.length < 1 << 20) {
          n.exitCode = r.status.exitCode;
          n.endedAt = Date.now();
          watcher.end();
          const f = watcher.primary();
          await this.nodeEnded(n, f ? `${localize(f.error).title}: ${f.text.trim().slice(0, 200)}` : l10n.t('vllm serve exited (code {0})', String(r.status.exitCode ?? '?')));
          return;
        }
      } catch {
        if (Date.now() - (this.lastContact.get(n.host) ?? 0) > this.silentMs) {
          await this.nodeLost(n, l10n.t('{0}: no answer for {1} s', nodeLabel(n), Math.round(this.silentMs / 1000)));
          return;
        }
      }
      await sleep(this.pollMs);
    }
  }

  private async nodeLost(n: ClusterNodeRecord, message: string): Promise<void> {
    if (this.ended || this.stopping) return;
    this.setNode(n, 'lost', message);
    await this.failWith(n, message);
  }

  /** A node's process ended by itself: the cause is the node that ended first (or whose link went first). */
  private async nodeEnded(n: ClusterNodeRecord, message: string): Promise<void> {
    if (this.ended || this.stopping) return;
    this.setNode(n, n.exitCode === 0 ? 'exited' : 'failed', message);
    const culprit = await this.firstToGo(n);
    const msg = culprit === n ? l10n.t('{0}: {1}', nodeLabel(n), message) : culprit.failure ?? l10n.t('{0}: ended first', nodeLabel(culprit));
    await this.failWith(culprit, msg);
  }

  private async firstToGo(trigger: ClusterNodeRecord): Promise<ClusterNodeRecord> {
    const lost = [...this.lostSince.entries()].sort((a, b) => a[1] - b[1])[0];
    if (lost) return this.node(lost[0]) ?? trigger;
    const ends = await Promise.all(this.rec.nodes.map(async (n) => {
      const id = n.logJobId;
      if (!id) return null;
      try {
        const j = await withTimeout(this.opts.jobs.on(await this.opts.open(n.host)).get(id), 5000, n.host);
        if (j.state === 'running' || !j.endedAt) return null;
        if (n !== trigger && n.state !== 'failed') this.setNode(n, 'failed', l10n.t('{0}: vllm serve exited (code {1})', nodeLabel(n), String(j.exitCode ?? '?')));
        return { n, at: Date.parse(j.endedAt) };
      } catch {
        return null;
      }
    }));
    const first = ends.filter((x): x is { n: ClusterNodeRecord; at: number } => x !== null).sort((a, b) => a.at - b.at)[0];
    return first?.n ?? trigger;
  }

  /** Fail the whole job, naming the node, and stop what runs on the others. */
  async failWith(node: ClusterNodeRecord | null, message: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.rec.failure = { node: node?.host ?? null, index: node?.index ?? null, message };
    this.rec.endedAt = Date.now();
    if (node && node.state !== 'lost') this.setNode(node, node.state === 'ready' || node.state === 'starting' || node.state === 'pending' ? 'failed' : node.state, node.failure ?? message);
    // Say it at once (naming the node); then stop what still runs on the others.
    this.setState('failed');
    this.settling = this.stopNodes(this.rec.nodes.filter((n) => n.state !== 'lost')).then(async (r) => {
      await this.release();
      this.finish();
      return r;
    });
    await this.settling;
  }

  /** After a failure: what stopping the other nodes found (null when the job did not fail). */
  settled(): Promise<ClusterStopReport | null> {
    return this.settling ?? Promise.resolve(null);
  }

  // ---- stopping -----------------------------------------------------------------------------------
  /** Stop every node's jobs, `ray stop` where Ray was started, then check that nothing is left. */
  async stop(): Promise<ClusterStopReport> {
    this.stopping = true;
    // A launch in progress starts nothing more; a node it was starting is then stopped with the others.
    await this.launching;
    const report = await this.stopNodes(this.rec.nodes);
    if (this.rec.state === 'starting' || this.rec.state === 'ready') {
      this.rec.endedAt = Date.now();
      this.setState('stopped');
    }
    this.ended = true;
    await this.release();
    this.finish();
    return report;
  }

  private async stopNodes(nodes: ClusterNodeRecord[]): Promise<ClusterStopReport> {
    const reports = await Promise.all(nodes.map((n) => withTimeout(this.stopNode(n), 60_000, n.host).catch((): ClusterNodeStop => ({
      host: n.host, reached: false, leftoverPids: [], rayStop: null, npuProcesses: [], checked: false, idle: false,
    }))));
    return { nodes: reports, idle: reports.every((r) => r.idle) };
  }

  private async stopNode(n: ClusterNodeRecord): Promise<ClusterNodeStop> {
    const t = await this.opts.open(n.host);
    const serve = n.jobs.filter((j) => j.kind === 'serve');
    const leftovers: number[] = [];
    for (const j of serve) leftovers.push(...(await this.opts.jobs.stop(t, j.jobId)).leftover);
    let rayStop: string | null = null;
    if (this.rec.rayStarted.includes(n.host)) {
      const r = await t.exec(withSimEnv(n.simRoot, ['ray', 'stop']), { timeoutMs: 60_000 });
      rayStop = `${r.stdout.toString('utf8').trim().split('\n').pop() ?? ''}`.trim() || `exit ${r.code}`;
      // Anything of Ray that outlived `ray stop` still carries the job's mark: the job layer finds and ends it.
      for (const j of n.jobs.filter((x) => x.kind === 'ray-start')) leftovers.push(...(await this.opts.jobs.stop(t, j.jobId)).leftover);
    }
    if (n.state === 'starting' || n.state === 'ready' || n.state === 'pending') this.setNode(n, 'stopped');
    const idle = await this.npusIdle(t, n);
    return { host: n.host, reached: true, leftoverPids: leftovers, rayStop, ...idle, idle: leftovers.length === 0 && idle.idle };
  }

  /** npu-smi on the node: no process left on its devices (HBM is released a moment after exit: look a few times). */
  private async npusIdle(t: Transport, n: ClusterNodeRecord): Promise<{ npuProcesses: ClusterNodeStop['npuProcesses']; checked: boolean; idle: boolean }> {
    let last = { npuProcesses: [] as ClusterNodeStop['npuProcesses'], checked: false, idle: true };
    for (let attempt = 0; attempt < 5; attempt++) {
      const info = await readNpuSmi(t, { simRoot: n.simRoot });
      if (!info) return last;
      const procs = n.devices.flatMap((d) => {
        const dev = info.devices[d];
        return dev ? info.processes.filter((p) => p.npuId === dev.npuId && p.chipId === dev.chipId).map((p) => ({ device: d, pid: p.pid, name: p.name })) : [];
      });
      last = { npuProcesses: procs, checked: true, idle: procs.length === 0 };
      if (last.idle) return last;
      await sleep(1000);
    }
    return last;
  }

  private async release(): Promise<void> {
    for (const u of this.unhook.splice(0)) u();
    const h = this.headJob;
    if (h) {
      this.rec.head = h.record();
      await h.dispose();
    }
  }

  /** Stop watching (the nodes' jobs keep running). */
  async dispose(): Promise<void> {
    this.ended = true;
    await this.release();
  }
}

/**
 * Stop a multi-node profile's jobs found on its nodes (no record needed: e.g. after `serve --detach`):
 * every running job named after the profile, `ray stop` on nodes where this profile started Ray, then the
 * same checks as ClusterJob.stop.
 */
export async function stopClusterByName(profile: NamedProfile, opts: ClusterMonitorOptions): Promise<ClusterStopReport & { stoppedJobs: number }> {
  let stoppedJobs = 0;
  const nodes = await Promise.all((profile.nodes ?? []).map(async (spec, i): Promise<ClusterNodeRecord> => {
    const base: ClusterNodeRecord = {
      index: i, host: spec.host, role: i === 0 ? 'head' : 'worker', address: spec.address ?? '', nic: spec.nic ?? '', devices: [],
      ...(spec.simRoot ?? profile.simRoot ? { simRoot: spec.simRoot ?? profile.simRoot } : {}),
      jobs: [], logJobId: null, state: 'ready', readyAt: null, endedAt: null, exitCode: null, failure: null, logOffset: 0, readyWant: 1,
    };
    try {
      const list = await opts.jobs.on(await opts.open(spec.host)).list();
      for (const j of list) {
        const kind = j.name === `serve-${profile.name}-n${i}` ? 'serve' : j.name === `ray-${profile.name}-n${i}` ? 'ray-start' : null;
        if (!kind || (kind === 'serve' && j.state !== 'running')) continue;
        base.jobs.push({ kind, jobId: j.id, display: j.argv.join(' ') });
        if (kind === 'serve') {
          stoppedJobs++;
          base.devices = (j.env.ASCEND_RT_VISIBLE_DEVICES ?? '').split(',').filter((x) => /^\d+$/.test(x)).map(Number);
        }
      }
    } catch {
      /* reported as not reached by the stop below */
    }
    return base;
  }));
  const rec: ClusterJobRecord = {
    id: 'by-name', profileName: profile.name, mode: profile.multiNode ?? 'dp', simulated: false, state: 'ready', startedAt: 0, readyAt: null,
    loadTimeMs: null, endedAt: null, failure: null, servedModelName: '', apiPort: profile.port, headAddress: '', rendezvousPort: 0, nodes, head: null,
    rayStarted: profile.multiNode === 'ray' ? nodes.map((n) => n.host) : [],
  };
  const job = new ClusterJob(rec, profile, opts);
  const rep = await job.stop();
  return { ...rep, stoppedJobs };
}
