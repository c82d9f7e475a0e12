import * as l10n from '@vscode/l10n';
import type { ClusterPlan } from '../../core/cluster/plan';
import { launchCluster, stopClusterByName, type ClusterJob, type ClusterStopReport } from '../../core/cluster/job';
import { precheckCluster } from '../../core/cluster/precheck';
import { jobControl } from '../../core/jobs/index';
import { ClusterPlanError, dryRun, nodesToDetect, planCluster } from '../../core/cluster/plan';
import { detectNet } from '../../core/cluster/netinfo';
import { sizeChecks } from '../../core/cluster/sizes';
import type { NamedProfile } from '../../core/profiles/schema';
import type { Transport } from '../../core/transport/transport';
import { quoteCommand } from '../../core/transport/quote';
import { UsageError, type CliIO } from '../command';
import { localTarget, sshTarget, type TargetContext } from '../target';

/**
 * The nodes of a multi-node profile as the CLI reaches them: each host alias opened once (ssh with a 1 s
 * keepalive when the ssh_config sets none, so a cut link is noticed within seconds), "local" as this machine.
 */
export class NodeTransports {
  private readonly open = new Map<string, Promise<Transport>>();

  constructor(private readonly ctx: TargetContext) {}

  get(host: string): Promise<Transport> {
    let t = this.open.get(host);
    if (!t) {
      t = host === 'local' ? localTarget().open() : sshTarget(host, this.ctx, 1000).open();
      this.open.set(host, t);
      // A failed open is not cached: the next call tries again.
      t.catch(() => this.open.delete(host));
    }
    return t;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((t) => t.close(), () => undefined)));
  }
}

/** The plan, connecting only to nodes whose address or interface the profile leaves out. */
export async function planWithDetection(profile: NamedProfile, nodes: NodeTransports, io: CliIO): Promise<ClusterPlan> {
  let detected = {};
  if (nodesToDetect(profile).length > 0) {
    const r = await detectNet(profile, (h) => nodes.get(h));
    for (const p of r.problems) io.stderr.write(l10n.t('{0}: {1}', p.host, p.message) + '\n');
    for (const [host, d] of Object.entries(r.detected)) {
      if (d.address && d.nic) io.stderr.write(l10n.t('{0}: found address {1} on {2}', host, d.address, d.nic) + '\n');
    }
    detected = r.detected;
  }
  try {
    return planCluster(profile, detected);
  } catch (e) {
    if (e instanceof ClusterPlanError) throw new UsageError(`${e.message}\n${l10n.t('Give "address" and "nic" for these nodes in the profile, or make them reachable.')}`);
    throw e;
  }
}

/** `serve --dry-run` of a multi-node profile: per node, in order, what would run. */
export async function clusterDryRun(profile: NamedProfile, ctx: TargetContext, json: boolean): Promise<number> {
  const { io } = ctx;
  const nodes = new NodeTransports(ctx);
  try {
    const plan = await planWithDetection(profile, nodes, io);
    const checks = sizeChecks({ profile });
    if (json) io.stdout.write(JSON.stringify(dryRun(plan), null, 2) + '\n');
    else {
      io.stdout.write(l10n.t('{0}: {1} over {2} nodes (source: {3})', plan.profileName, plan.mode, plan.nodes.length, plan.source) + '\n');
      for (const n of plan.nodes) {
        io.stdout.write(`\n${l10n.t('node {0} {1} ({2}): {3} on {4}, NPUs {5}', n.index, n.host, n.role === 'head' ? l10n.t('head') : l10n.t('worker'), n.address, n.nic, n.devices.join(','))}\n`);
        for (const c of n.commands) io.stdout.write(`  ${quoteCommand(c.argv, c.env)}\n`);
      }
    }
    for (const c of checks.filter((x) => x.status !== 'pass')) {
      io.stderr.write(`${c.status === 'fail' ? '✗' : '!'} ${c.title}: ${c.detail}\n  ${l10n.t('fix: {0}', c.fix ?? '')}\n`);
    }
    return checks.some((c) => c.status === 'fail') ? 1 : 0;
  } finally {
    await nodes.closeAll();
  }
}

type CheckRow = { status: string; title: string; detail: string; fix: string | null; node?: string | null };

export function printClusterChecks(checks: readonly CheckRow[], io: CliIO): void {
  io.stderr.write(l10n.t('Cluster pre-launch checks:') + '\n');
  const mark: Record<string, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };
  for (const c of checks) {
    io.stderr.write(`  ${mark[c.status] ?? '?'} ${c.title}: ${c.detail}\n`);
    if (c.fix && c.status !== 'pass') io.stderr.write(`      ${l10n.t('fix: {0}', c.fix)}\n`);
  }
}

function printClusterStop(rep: ClusterStopReport, io: CliIO): void {
  for (const n of rep.nodes) {
    const parts: string[] = [];
    if (!n.reached) parts.push(l10n.t('not reachable'));
    if (n.rayStop) parts.push(`ray stop: ${n.rayStop}`);
    if (n.leftoverPids.length) parts.push(l10n.t('processes left: {0}', n.leftoverPids.join(', ')));
    for (const p of n.npuProcesses) parts.push(l10n.t('pid {0} ({1}) still on NPU {2}', p.pid, p.name || '?', p.device));
    if (n.idle) parts.push(l10n.t('nothing left, NPUs idle'));
    else if (!n.checked && n.reached) parts.push(l10n.t('npu-smi could not be read'));
    io.stderr.write(`  ${n.host}: ${parts.join('; ')}\n`);
  }
}

/**
 * `serve --profile NAME` of a multi-node profile: pre-checks on every node, the launch (head first), then
 * either return once ready (--detach) or follow every node's log until Ctrl-C, which stops all of them.
 */
export async function clusterServe(profile: NamedProfile, ctx: TargetContext & { values: { detach: boolean; force: boolean; json: boolean }; hint(words: string[], args: string[]): string }, profileArgs: string[]): Promise<number> {
  const { io, values } = ctx;
  const nodes = new NodeTransports(ctx);
  const jobs = jobControl({ root: io.env.ASCEND_ADAPT_JOBS_ROOT || undefined });
  const out = (o: object) => { if (values.json) io.stdout.write(JSON.stringify(o, null, 2) + '\n'); };
  let job: ClusterJob | undefined;
  try {
    io.stderr.write(l10n.t('Checking {0} nodes of {1} …', profile.nodes!.length, profile.name) + '\n');
    const pre = await precheckCluster(profile, { open: (h) => nodes.get(h) });
    printClusterChecks(pre.checks, io);
    if (!pre.plan || (!pre.ok && !values.force)) {
      io.stderr.write(l10n.t('Not launched: a pre-launch check failed (use --force to launch anyway).') + '\n');
      out({ launched: false, checks: pre.checks });
      return 1;
    }
    job = await launchCluster(profile, pre.plan, { open: (h) => nodes.get(h), jobs, readyTimeoutMs: profile.readyTimeoutSec * 1000 });
    const rec0 = job.record();
    io.stderr.write(l10n.t('Started {0} on {1} nodes ({2}){3}', rec0.id, rec0.nodes.length, rec0.mode, rec0.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
    for (const n of rec0.nodes) for (const j of n.jobs) io.stderr.write(`  [${n.host}] ${j.jobId}: ${j.display}\n`);
    job.on('node', (n) => io.stderr.write(`  [${n.host}] ${nodeStateWord(n.state)}${n.failure ? `: ${n.failure}` : ''}\n`));
    job.on('finding', (host, f, loc) => io.stderr.write(`${loc.severity === 'fatal' ? '✗' : '!'} [${host}] ${l10n.t('log line {0}: {1}', f.line, loc.title)} — ${loc.fix}\n`));
    return await watchCluster(ctx, job, profileArgs, out);
  } finally {
    await job?.dispose();
    await nodes.closeAll();
  }
}

function nodeStateWord(s: string): string {
  switch (s) {
    case 'starting': return l10n.t('starting');
    case 'ready': return l10n.t('ready');
    case 'failed': return l10n.t('failed');
    case 'lost': return l10n.t('lost');
    case 'stopped': return l10n.t('stopped');
    case 'exited': return l10n.t('exited');
    default: return s;
  }
}

async function watchCluster(ctx: TargetContext & { values: { detach: boolean; json: boolean }; hint(words: string[], args: string[]): string }, job: ClusterJob, profileArgs: string[], out: (o: object) => void): Promise<number> {
  const { io, values } = ctx;
  let stopping: Promise<ClusterStopReport | undefined> | undefined;
  const onSig = () => {
    if (stopping) return;
    io.stderr.write('\n' + l10n.t('Stopping every node…') + '\n');
    stopping = job.stop().catch(() => undefined);
  };
  const log = values.json ? io.stderr : io.stdout;
  const followers = values.detach ? [] : job.record().nodes.map((n) => job.attachLog(n.host, 0, (c) => {
    for (const line of c.toString('utf8').split('\n')) if (line) log.write(`[${n.host}] ${line}\n`);
  }));
  if (!values.detach) process.on('SIGINT', onSig);
  try {
    const ready = await job.waitReady();
    if (ready.state !== 'ready') {
      const rep = stopping ? await stopping : (await job.settled()) ?? undefined;
      if (ready.failure) io.stderr.write(l10n.t('Launch failed: {0}', ready.failure.message) + '\n');
      if (rep) printClusterStop(rep, io);
      out({ launched: true, job: job.record(), stop: rep ?? null });
      return 1;
    }
    const secs = ((ready.loadTimeMs ?? 0) / 1000).toFixed(1);
    io.stderr.write(l10n.t('Ready: "{0}" on {1} nodes, API on {2} port {3}, after {4} s{5}', ready.servedModelName, ready.nodes.length, ready.nodes[0].host, ready.apiPort, secs, ready.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
    if (values.detach) {
      io.stderr.write(l10n.t('Every node keeps running. Smoke test: {0}; stop every node: {1}', ctx.hint(['smoke'], profileArgs), ctx.hint(['serve', '--stop'], profileArgs)) + '\n');
      out({ launched: true, job: job.record() });
      return 0;
    }
    io.stderr.write(l10n.t('Following every node\'s log; Ctrl-C stops all of them.') + '\n');
    const end = await job.waitFor(['failed', 'stopped']);
    const rep = stopping ? await stopping : (await job.settled()) ?? undefined;
    for (const f of followers) f.detach();
    if (end.failure) io.stderr.write(l10n.t('The job failed: {0}', end.failure.message) + '\n');
    if (rep) printClusterStop(rep, io);
    out({ launched: true, job: job.record(), stop: rep ?? null });
    return rep?.idle ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSig);
    for (const f of followers) f.detach();
  }
}

/** `serve --profile NAME --stop` of a multi-node profile: every node's jobs of this profile, and Ray. */
export async function clusterStop(profile: NamedProfile, ctx: TargetContext & { values: { json: boolean } }): Promise<number> {
  const { io } = ctx;
  const nodes = new NodeTransports(ctx);
  try {
    const rep = await stopClusterByName(profile, { open: (h) => nodes.get(h), jobs: jobControl({ root: io.env.ASCEND_ADAPT_JOBS_ROOT || undefined }) });
    io.stderr.write(l10n.t('Stopped {0} job(s) of {1}:', rep.stoppedJobs, profile.name) + '\n');
    printClusterStop(rep, io);
    if (ctx.values.json) io.stdout.write(JSON.stringify(rep, null, 2) + '\n');
    return rep.idle ? 0 : 1;
  } finally {
    await nodes.closeAll();
  }
}
