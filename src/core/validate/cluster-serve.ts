import { launchCluster, type ClusterJob, type ClusterJobRecord, type ClusterStopReport } from '../cluster/job';
import { WORKER_READY } from '../cluster/ready';
import { checkHealth } from '../endpoint/index';
import { en } from '../l10n';
import type { Cluster } from '../report/schema';
import { buildServeCommand, type ServeCommand } from '../serving/command';
import type { ClusterRunData } from './state';
import { findInLog } from './evidence';
import { HbmSampler } from './hbm';
import { redactArgv, redactEnv } from './redact';
import { apiCheck, READY_LINE, untilAborted } from './serve';
import type { StepContext, StepResult, ValidateStep } from './types';
import { pickNodeVars, type NodeOpener } from './cluster-env';

/** The head's vllm serve as a one-host serve command (the API check and the serving section use it). */
function headCommand(ctx: StepContext, cl: ClusterRunData): ServeCommand {
  const head = cl.plan!.nodes[0];
  const c = head.commands.find((x) => x.kind === 'serve')!;
  return { ...buildServeCommand(ctx.profile), argv: c.argv, vllmArgv: c.argv, env: c.env, devices: head.devices, worldSize: cl.plan!.worldSize, servedModelName: cl.plan!.servedModelName };
}

/** The job ids, states and failures of a running (or ended) job into the report's section. */
export function recordIntoSection(section: Cluster, rec: ClusterJobRecord): void {
  section.jobId = rec.id;
  section.failure = rec.failure ? { node: rec.failure.node, message: rec.failure.message } : null;
  for (const n of rec.nodes) {
    const s = section.nodes[n.index];
    if (!s) continue;
    s.state = n.state;
    s.failure = n.failure;
    s.commands = s.commands.map((c, k) => ({ ...c, jobId: n.jobs.filter((j) => j.kind === c.kind)[s.commands.slice(0, k).filter((x) => x.kind === c.kind).length]?.jobId ?? c.jobId }));
  }
}

/** Every log of a job, read from its start. */
async function readWholeLog(jobs: ReturnType<StepContext['control']['on']>, id: string): Promise<Buffer> {
  let log = Buffer.alloc(0);
  for (let off = 0; ; ) {
    const r = await jobs.readLog(id, off, 1 << 20);
    if (r.data.length === 0) return log;
    log = Buffer.concat([log, r.data]);
    off = r.offset;
  }
}

/**
 * What ran on each node as the node's own job records say (the environment each command really got), and each
 * node's log as evidence (host = the node, file = the log there) at the line that made the node ready: the
 * head's API line, a worker's engine line (ready.ts). Completed with a copy when the job stops.
 */
async function readBackNodes(ctx: StepContext, job: ClusterJob, section: Cluster): Promise<void> {
  const rec = job.record();
  for (const n of rec.nodes) {
    const s = section.nodes[n.index];
    if (!s) continue;
    try {
      const t = await job.transport(n.host);
      const jobs = ctx.control.on(t);
      for (const c of s.commands) if (c.jobId) c.env = redactEnv((await jobs.get(c.jobId)).env);
      if (s.commands.length) s.env = redactEnv(pickNodeVars(s.commands[s.commands.length - 1].env));
      if (!n.logJobId || s.log) continue;
      const jr = await jobs.get(n.logJobId);
      const mark = findInLog(await readWholeLog(jobs, n.logJobId), n.role === 'head' ? READY_LINE : WORKER_READY[rec.mode].pattern);
      const kind = n.jobs.find((j) => j.jobId === n.logJobId)?.kind;
      s.log = ctx.book.add({
        kind: 'log', jobId: n.logJobId, host: n.host, startedAt: jr.startedAt, endedAt: null,
        command: redactArgv(s.commands.find((c) => c.kind === kind)?.argv ?? jr.argv),
        file: jr.logPath, ...(mark ? { offset: mark.offset, length: mark.length, line: mark.line } : { offset: 0 }),
      });
    } catch {
      // A node that cannot be reached now (its link dropped) keeps what was planned; its failure says why.
    }
  }
}

export interface ClusterServeConfig {
  hbmSampleMs?: number;
  /** Told the job before any node starts (an editor shows it with its nodes, and can stop it, while they come up). */
  onJob?: (job: ClusterJob) => void;
}

/**
 * `vllm serve` over every node as one job (launchCluster: head first, the others once it listens; Ray
 * first for Ray), waited on until the head's API answers and every worker's log reached its ready line.
 * The load time points at the log line of the node that was ready last; the API check goes through the
 * head. Smoke, accuracy and perf then run against the head exactly as on one host.
 */
export function clusterServeStep(open: NodeOpener, config: ClusterServeConfig = {}): ValidateStep {
  return {
    id: 'serve',
    needs: ['env'],
    notRunBecause: () => en('not launched on any node: the cluster pre-checks failed'),
    async stillValid(ctx) {
      const s = ctx.state.server;
      return Boolean(s?.endpoint && s.job.state === 'ready' && (await checkHealth(s.endpoint, { timeoutMs: 5_000 })));
    },
    async run(ctx: StepContext): Promise<StepResult> {
      const { state, profile } = ctx;
      const cl = state.cluster!;
      const plan = cl.plan!;
      const command = headCommand(ctx, cl);
      state.serving = { profile: profile.name, jobId: null, command: redactArgv(command.vllmArgv), env: redactEnv(command.env), endpoint: null, loadTime: null, apiCheck: null };
      // HBM of every node's serving NPUs, each sample naming its node.
      state.hbm?.stop();
      const targets = await Promise.all(plan.nodes.map(async (n) => ({ transport: await open(n.host), simRoot: n.simRoot, devices: n.devices, host: n.host })));
      state.hbm = new HbmSampler(targets, config.hbmSampleMs ?? 1000);
      await state.hbm.sample();
      state.hbm.start();
      ctx.progress(en('launching on {0} nodes ({1}), head first', plan.nodes.length, plan.mode));
      // The caller gets the job before any node starts (a view shows it, its node rows and Stop at once).
      const job = await launchCluster(profile, plan, { open, jobs: ctx.control, readyTimeoutMs: profile.readyTimeoutSec * 1000 }, config.onJob);
      state.server = { job, endpoint: null, hostEndpoint: `http://127.0.0.1:${plan.apiPort}`, model: plan.servedModelName };
      const started = job.record();
      recordIntoSection(cl.section, started);
      state.serving = { ...state.serving, jobId: started.nodes[0].logJobId };
      job.on('node', (n) => ctx.progress(en('node {0} ({1}): {2}', n.index, n.host, n.state)));
      ctx.progress(en('job {0} started; waiting for the head\'s API and every worker\'s ready line', job.id));
      const rec = await untilAborted(job.waitReady(), ctx.signal);
      if (!rec) return { status: 'fail', reason: en('interrupted') };
      await readBackNodes(ctx, job, cl.section);
      recordIntoSection(cl.section, rec);
      const headLog = cl.section.nodes[0].log;
      state.servingLogEvidence = headLog;
      if (rec.state !== 'ready') return { status: 'fail', reason: rec.failure?.message ?? en('the server did not become ready ({0})', rec.state) };
      const endpoint = await job.endpointUrl();
      state.server.endpoint = endpoint;
      // Ready is when the last node said so: its log line is where the load time ends.
      const last = [...rec.nodes].sort((a, b) => (b.readyAt ?? 0) - (a.readyAt ?? 0))[0];
      const loadEv = cl.section.nodes[last.index].log ?? headLog;
      state.serving = {
        ...state.serving,
        endpoint,
        loadTime: rec.loadTimeMs !== null && loadEv ? ctx.book.figure('serving.loadTime', Math.round(rec.loadTimeMs / 100) / 10, 's', loadEv) : null,
      };
      const ok = await apiCheck(ctx, endpoint, command);
      const figures = [{ label: 'load time', value: state.serving.loadTime?.value ?? null, unit: 's' }, { label: 'nodes', value: rec.nodes.length, unit: 'count' }];
      if (!ok) return { status: 'fail', reason: en('the API check did not get a chat completion back'), usable: true, figures };
      return { status: 'pass', reason: null, figures };
    },
  };
}

/**
 * Stop a multi-node server: every node's jobs (and `ray stop` where Ray was started), then what is left on
 * each node. Each node's log is copied beside the report and its evidence gets its end time.
 */
export async function stopCluster(ctx: StepContext, job: ClusterJob): Promise<StepResult> {
  const { state } = ctx;
  state.hbm?.stop();
  // A job that already failed (a node died or dropped off) is still stopped everywhere; the stop says so.
  const failedBefore = job.state === 'failed' ? job.record().failure : null;
  const rep: ClusterStopReport = await job.stop();
  state.server = null;
  const rec = job.record();
  const section = state.cluster?.section;
  if (section) {
    recordIntoSection(section, rec);
    for (const n of rep.nodes) {
      const s = section.nodes.find((x) => x.host === n.host);
      if (s) s.stop = { reached: n.reached, leftoverPids: n.leftoverPids, rayStop: n.rayStop, idle: n.idle };
    }
    for (const n of rec.nodes) {
      const ev = section.nodes[n.index]?.log ? ctx.book.get(section.nodes[n.index].log!) : undefined;
      if (!ev || !n.logJobId) continue;
      try {
        const t = await job.transport(n.host);
        const jr = await ctx.control.on(t).get(n.logJobId);
        ev.endedAt = jr.endedAt ?? ctx.now().toISOString();
        const copy = await ctx.book.copyFromHost(t, jr.logPath, `${n.logJobId}/log`);
        if (copy) ev.copy = copy;
      } catch {
        // The node is gone (link down): its evidence keeps the path on the node, without a copy.
      }
    }
  }
  const left = rep.nodes.filter((n) => n.leftoverPids.length);
  if (left.length) return { status: 'fail', reason: en('processes left after stop: {0}', left.map((n) => `${n.host}: ${n.leftoverPids.join(', ')}`).join('; ')) };
  const unreached = rep.nodes.filter((n) => !n.reached);
  if (unreached.length) return { status: 'fail', reason: en('could not reach {0} to stop it', unreached.map((n) => n.host).join(', ')) };
  const busy = rep.nodes.filter((n) => !n.idle);
  if (busy.length) return { status: 'warn', reason: en('HBM not back to idle after stop on {0}', busy.map((n) => n.host).join(', ')) };
  if (failedBefore) return { status: 'warn', reason: en('the multi-node job had failed before the stop: {0}', failedBefore.message) };
  return { status: 'pass', reason: null, figures: [{ label: 'nodes stopped', value: rep.nodes.length, unit: 'count' }] };
}
