import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { ClusterJob, ClusterJobRecord, ClusterStopReport } from '../core/cluster/job';
import type { ClusterPrecheck } from '../core/cluster/precheck';
import type { NamedProfile } from '../core/profiles/schema';
import type { SmokeReport } from '../core/smoke/index';
import type { AccuracySummary, PerfSummary } from './jobResults';
import type { Transport } from '../core/transport/transport';
import type { Config } from './config';
import { LOCAL_ID, type Hosts } from './hosts';
import { openLogTerminal } from './logTerminal';
import type { Notifier } from './notify';
import type { Serving } from './serving';
import { duration, stateText } from './views/format';

/**
 * Multi-node serving from VS Code: a profile with "multiNode" is checked on every node and launched as ONE
 * job by the core (precheckCluster, launchCluster); each node's log follows in its own terminal tab; a node
 * that dies or whose link drops fails the job (the core stops the others); stop ends every node (and Ray).
 * The records survive reloads in workspace state and are picked up again per node with attachCluster.
 * Nodes are reached as the Hosts view's hosts: "local" is this machine, any other alias an ssh host.
 */

export interface ClusterServingDeps {
  hosts: Hosts;
  config: Config;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** The single-host side: its refusal modal, profile reveal and job control are shared. */
  serving: Serving;
  /** Workspace state: the tracked cluster jobs. */
  state: vscode.Memento;
}

export interface TrackedCluster {
  record: ClusterJobRecord;
  /** What a stop (asked for, or after a failure) found on the nodes. */
  stop?: ClusterStopReport;
  readyTimeoutSec?: number;
  /** The last smoke test through the head. */
  smoke?: SmokeReport;
  /** The last accuracy and performance runs through the head. */
  accuracy?: AccuracySummary;
  perf?: PerfSummary;
}

const KEY = 'ascend.clusterJobs.v1';

export const nodeHostId = (host: string): string => (host === 'local' ? LOCAL_ID : `ssh:${host}`);

export const isClusterRunning = (t: TrackedCluster): boolean => t.record.state === 'starting' || t.record.state === 'ready';

/** The check line of a refusal: which node (and, in the detail, which NPU), what, and the fix. */
function checkLine(c: ClusterPrecheck['checks'][number]): string {
  const where = c.node ? `[${c.node}] ` : '';
  return `✗ ${where}${c.title}: ${c.detail}${c.fix ? `\n   → ${c.fix}` : ''}`;
}

export class ClusterServing implements vscode.Disposable {
  private readonly tracked = new Map<string, TrackedCluster>();
  private readonly live = new Map<string, ClusterJob>();
  private readonly attaching = new Map<string, Promise<ClusterJob>>();
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly follows = new Map<string, Promise<'log-ended' | 'job-ended'>>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly d: ClusterServingDeps) {
    const saved = d.state.get<TrackedCluster[]>(KEY) ?? [];
    for (const t of saved) if (t?.record?.id && Array.isArray(t.record.nodes)) this.tracked.set(t.record.id, t);
  }

  all(): TrackedCluster[] {
    return [...this.tracked.values()].sort((a, b) => b.record.startedAt - a.record.startedAt);
  }

  get(id: string): TrackedCluster | undefined {
    return this.tracked.get(id);
  }

  private update(id: string, change: Partial<TrackedCluster>): void {
    const t = this.tracked.get(id);
    if (!t) return;
    Object.assign(t, change);
    this.emitter.fire(id);
    void this.d.state.update(KEY, this.all());
  }

  /** Each node's connection, opened once and kept while the extension runs (jobs and log tabs share it). */
  private readonly conns = new Map<string, Promise<Transport>>();

  private open = (host: string): Promise<Transport> => {
    let t = this.conns.get(host);
    if (!t) {
      t = this.d.hosts.nodeTransport(nodeHostId(host));
      this.conns.set(host, t);
      // A failed open is not kept: the next use tries again.
      t.catch(() => this.conns.delete(host));
    }
    return t;
  };

  /** How a multi-node validation reaches the nodes: the same connections as the jobs. */
  nodeOpener(): (host: string) => Promise<Transport> {
    return this.open;
  }

  /**
   * Pre-checks on every node, then the launch. The job's row (a row per node, waiting) and a log tab per node
   * show as soon as the launch begins; resolves once every node's job is started (or the launch failed or
   * was stopped).
   */
  async start(profile: NamedProfile, force: boolean): Promise<string | undefined> {
    const [{ precheckCluster }, { launchCluster }] = await Promise.all([import('../core/cluster/precheck'), import('../core/cluster/job')]);
    const python = this.d.config.settings.pythonPath;
    const pre = await precheckCluster(profile, { open: this.open, python });
    for (const c of pre.checks) this.d.log.info(`cluster pre-launch ${c.status}: ${c.node ? `[${c.node}] ` : ''}${c.title}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    if (!pre.plan || (!pre.ok && !force)) return this.refused(profile, pre);
    const jobs = await this.d.serving.jobControl();
    const job = await launchCluster(profile, pre.plan, { open: this.open, jobs, readyTimeoutMs: profile.readyTimeoutSec * 1000 }, (j) => {
      this.tracked.set(j.id, { record: j.record(), readyTimeoutSec: profile.readyTimeoutSec });
      this.watch(j);
      // Each tab waits for its node's start, then follows its log.
      for (const n of j.record().nodes) this.openTerminal(j.id, n.host);
    });
    return job.id;
  }

  /**
   * A job launched elsewhere (a validation's serve step) shown and watched like one started here: its row
   * and node rows, a log tab per node, node failures said. Whoever launched it still stops it.
   */
  adopt(job: ClusterJob, readyTimeoutSec: number): void {
    this.tracked.set(job.id, { record: job.record(), readyTimeoutSec });
    this.watch(job);
    for (const n of job.record().nodes) this.openTerminal(job.id, n.host);
  }

  /** The refusal, as for one host: the failed checks naming node and NPU, a safe default button. */
  private async refused(profile: NamedProfile, pre: ClusterPrecheck): Promise<string | undefined> {
    const failed = pre.checks.filter((c) => c.status === 'fail');
    const anyway = l10n.t('Launch Anyway');
    const openProfile = l10n.t('Open Serving Profile');
    const quantize = failed.some((c) => c.id === 'model.quantization') ? l10n.t('Quantize with msModelSlim…') : undefined;
    // Without a plan (a node's address or interface unknown) there is nothing to launch anyway.
    const pick = await this.d.serving.refusalUi(
      l10n.t('Not launched: {0} pre-launch check(s) failed on the nodes of {1}.', failed.length, profile.name),
      failed.map(checkLine).join('\n'),
      [...(quantize ? [quantize] : []), openProfile, ...(pre.plan ? [anyway] : [])],
    );
    if (pick === anyway) return this.start(profile, true);
    if (pick === openProfile) await this.d.serving.revealProfile(profile.name);
    if (quantize && pick === quantize) await vscode.commands.executeCommand('ascend.quantizeModel', { host: nodeHostId(profile.nodes![0].host), model: profile.modelPath });
    return undefined;
  }

  private watch(job: ClusterJob): void {
    const id = job.id;
    this.live.set(id, job);
    this.update(id, { record: job.record() });
    job.on('node', (n) => {
      this.d.log.info(`cluster job ${id}: node ${n.index} (${n.host}) ${n.state}${n.failure ? `: ${n.failure}` : ''}`);
      this.update(id, { record: job.record() });
    });
    job.on('state', (rec) => {
      this.d.log.info(`cluster job ${id}: ${rec.state}${rec.failure ? `: ${rec.failure.message}` : ''}`);
      this.update(id, { record: rec });
      const sim = rec.simulated ? ` [${l10n.t('SIMULATED')}]` : '';
      if (rec.state === 'ready') {
        void this.d.notifier.info(l10n.t('{0} is ready on {1} nodes, API on {2} (model load time {3}).', rec.profileName, rec.nodes.length, rec.nodes[0].host, rec.loadTimeMs !== null ? duration(rec.loadTimeMs) : '?') + sim);
      } else if (rec.state === 'failed') void this.failed(job, rec, sim);
    });
    job.on('finding', (host, f, loc) => this.d.log.warn(`cluster job ${id} [${host}]: log line ${f.line}: ${loc.title} — ${loc.fix}`));
  }

  /** Say which node failed (with its log one click away); record what stopping the others found. */
  private async failed(job: ClusterJob, rec: ClusterJobRecord, sim: string): Promise<void> {
    const f = rec.failure;
    const node = rec.nodes.find((n) => n.host === f?.node);
    const showNode = node ? l10n.t('Show Log of Node {0}', node.index) : undefined;
    void this.d.notifier
      .error(l10n.t('{0} failed: {1}', rec.profileName, f?.message ?? '?') + sim, undefined, ...(showNode ? [showNode] : []))
      .then((pick) => {
        if (node && pick === showNode) this.openTerminal(rec.id, node.host);
      });
    // The core starts stopping the others right after it says "failed": ask for that once it has begun.
    const rep = await Promise.resolve().then(() => job.settled());
    if (rep) this.update(rec.id, { record: job.record(), stop: rep });
  }

  /** The live job for a tracked one: after a reload, picked up again on every node from its record. */
  async liveJob(id: string): Promise<ClusterJob> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const pending = this.attaching.get(id);
    if (pending) return pending;
    const t = this.tracked.get(id);
    if (!t) throw new Error(l10n.t('Unknown job {0}', id));
    const p = (async () => {
      const { attachCluster } = await import('../core/cluster/job');
      const jobs = await this.d.serving.jobControl();
      // A running job: every node reachable again before watching, so a node that cannot be reached is said
      // once, here (an ended one is only read: its logs, node by node, when asked).
      if (isClusterRunning(t)) await Promise.all(t.record.nodes.map((n) => this.open(n.host)));
      const job = attachCluster(t.record, { name: t.record.profileName, readyTimeoutSec: t.readyTimeoutSec }, { open: this.open, jobs, readyTimeoutMs: t.readyTimeoutSec ? t.readyTimeoutSec * 1000 : undefined });
      this.watch(job);
      return job;
    })();
    this.attaching.set(id, p);
    try {
      return await p;
    } finally {
      this.attaching.delete(id);
    }
  }

  /**
   * Running jobs are watched again, node by node. Unlike a single-host job this connects to the nodes
   * unasked: only a watched job stops the others when one node dies, so an unwatched one could keep NPUs
   * busy on several hosts for nothing.
   */
  reattachRunning(): void {
    for (const t of this.all()) {
      if (!isClusterRunning(t) || this.live.has(t.record.id)) continue;
      void this.liveJob(t.record.id).catch((e: Error) => this.d.log.warn(`re-attach ${t.record.id}: ${e.message}`));
    }
  }

  /** Whether this window watches the job (after a reload: once re-attached). */
  attached(id: string): boolean {
    return this.live.has(id);
  }

  /** A node's log in its own terminal tab (closing it leaves the node running). */
  openTerminal(id: string, host: string): vscode.Terminal {
    const key = `${id}\n${host}`;
    const open = this.terminals.get(key);
    if (open && open.exitStatus === undefined) {
      open.show(true);
      return open;
    }
    const t = this.tracked.get(id);
    const node = t?.record.nodes.find((n) => n.host === host);
    if (!t || !node) throw new Error(l10n.t('Unknown job {0}', `${id} (${host})`));
    const term = openLogTerminal({
      name: l10n.t('vllm serve {0} · node {1} ({2})', t.record.profileName, node.index, host),
      simulated: t.record.simulated,
      header: node.jobs.map((j) => j.display).join('\n') || host,
      follow: async (onData) => {
        const f = (await this.liveJob(id)).attachLog(host, 0, onData);
        this.follows.set(key, f.done);
        return f;
      },
      endState: () => stateText(this.tracked.get(id)?.record.state ?? 'exited'),
      jobEndedLine: () => l10n.t('[the job has {0}: this tab no longer follows the log of node {1}]', stateText(this.tracked.get(id)?.record.state ?? 'stopped'), node.index),
    });
    this.terminals.set(key, term);
    return term;
  }

  /** How the node's log tab stopped following (pending while it follows; undefined without a tab). */
  followEnd(id: string, host: string): Promise<'log-ended' | 'job-ended'> | undefined {
    return this.follows.get(`${id}\n${host}`);
  }

  /** A node's whole log so far (for the log document). */
  async readNodeLog(id: string, host: string): Promise<string> {
    const node = this.tracked.get(id)?.record.nodes.find((n) => n.host === host);
    if (!node) throw new Error(l10n.t('Unknown job {0}', `${id} (${host})`));
    if (!node.logJobId) return '';
    const [jobs, transport] = await Promise.all([this.d.serving.jobControl(), this.open(host)]);
    const chunks: Buffer[] = [];
    for (let off = 0; ;) {
      const r = await jobs.readLog(transport, node.logJobId, off, 1 << 20);
      if (r.data.length === 0) break;
      chunks.push(r.data);
      off = r.next;
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Stop every node (and Ray where this job started it); what was left, node by node. */
  async stop(id: string): Promise<ClusterStopReport> {
    const job = await this.liveJob(id);
    const rep = await job.stop();
    this.update(id, { record: job.record(), stop: rep });
    return rep;
  }

  /** The profile's smoke prompts through the head's API, once every node is ready. */
  async smoke(id: string, onText: (s: string) => void): Promise<SmokeReport> {
    const job = await this.liveJob(id);
    const rec = await job.waitReady();
    if (rec.state !== 'ready') throw new Error(l10n.t('{0} is not ready ({1}).', rec.profileName, stateText(rec.state)));
    const report = await this.d.serving.smokeAt(await job.endpointUrl(), rec.profileName, rec.servedModelName, onText);
    this.update(id, { smoke: report });
    return report;
  }

  /**
   * Where accuracy and performance runs against a ready job go: a job on the head, next to its API (as on
   * one host, the run reaches the server on the head's own loopback), over the head's node connection.
   */
  async headTarget(id: string): Promise<{ transport: Transport; simRoot?: string; baseUrl: string; model: string }> {
    const job = await this.liveJob(id);
    const rec = job.record();
    if (rec.state !== 'ready') throw new Error(l10n.t('{0} is not ready ({1}).', rec.profileName, stateText(rec.state)));
    const head = rec.nodes[0];
    return { transport: await job.transport(head.host), simRoot: head.simRoot, baseUrl: `http://127.0.0.1:${rec.apiPort}`, model: rec.servedModelName };
  }

  setResult(id: string, change: Pick<TrackedCluster, 'accuracy' | 'perf'>): void {
    this.update(id, change);
  }

  /** Drops a finished job from the view (the jobs' folders on the nodes stay). */
  forget(id: string): void {
    this.tracked.delete(id);
    void this.live.get(id)?.dispose();
    this.live.delete(id);
    this.emitter.fire(id);
    void this.d.state.update(KEY, this.all());
  }

  /** Stop watching every job and close the nodes' connections; the jobs keep running (what closing the window does). */
  async detachAll(): Promise<void> {
    const jobs = [...this.live.values()];
    this.live.clear();
    await Promise.all(jobs.map((j) => j.dispose()));
    const conns = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(conns.map((p) => p.then((t) => t.close(), () => undefined)));
  }

  dispose(): void {
    void this.detachAll();
    this.emitter.dispose();
  }
}
