import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import type { NamedProfile } from '../../core/profiles';
import { jobControl } from '../../core/jobs/index';
import { PreflightFailedError, startServing, type ServingJob, type ServingJobRecord, type StopReport } from '../../core/serving/job';
import { envSnapshotSchema, type EnvSnapshot, type PreflightCheck, type PreflightResult } from '../../core/serving/preflight';
import * as fs from 'node:fs';
import type { Transport } from '../../core/transport/transport';
import { defineCommand, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { loadProfile, resolveProfile, sshArgs, type ProfileTarget, type TargetDecl } from '../target';
import { buildServeCommand } from '../../core/serving/command';
import { isCluster } from '../../core/cluster/plan';
import { quoteCommand } from '../../core/transport/quote';
import { clusterDryRun, clusterServe, clusterStop } from './serve-cluster';

/**
 * A saved `ascend-adapt env-check --json` result (one host object, or an array of them: the one whose host
 * is the profile's, else the only one) → what the pre-launch checks need. Bad files are usage errors.
 */
export function readEnvCheck(file: string, profile: NamedProfile): EnvSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(l10n.t('cannot read the environment check {0}: {1}', file, (e as Error).message));
  }
  const list = Array.isArray(raw) ? raw : [raw];
  const pick = list.length === 1 ? list[0] : list.find((h) => (h as { host?: unknown })?.host === profile.host);
  if (pick === undefined) throw new UsageError(l10n.t('{0} holds several hosts and none is "{1}"', file, profile.host ?? ''));
  const r = envSnapshotSchema.safeParse(pick);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(l10n.t('{0} is not an env-check --json result ({1}: {2})', file, i.path.join('.'), i.message));
  }
  return r.data;
}

const MARK: Record<PreflightCheck['status'], string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };

export function statusWord(s: PreflightCheck['status']): string {
  switch (s) {
    case 'pass': return l10n.t('pass');
    case 'warn': return l10n.t('warning');
    case 'fail': return l10n.t('failed');
    case 'skip': return l10n.t('skipped');
  }
}

function printChecks(r: PreflightResult, io: CliIO): void {
  io.stderr.write(l10n.t('Pre-launch checks:') + '\n');
  for (const c of r.checks) {
    io.stderr.write(`  ${MARK[c.status]} ${c.title}: ${c.detail}${c.status === 'pass' ? '' : ` [${statusWord(c.status)}]`}\n`);
    if (c.fix && c.status !== 'pass') io.stderr.write(`      ${l10n.t('fix: {0}', c.fix)}\n`);
  }
}

function stateWord(s: ServingJobRecord['state']): string {
  switch (s) {
    case 'starting': return l10n.t('starting');
    case 'ready': return l10n.t('ready');
    case 'failed': return l10n.t('failed');
    case 'stopped': return l10n.t('stopped');
    case 'exited': return l10n.t('exited');
  }
}

function printFailure(r: ServingJobRecord, io: CliIO): void {
  const f = r.failure;
  if (!f) return;
  if (f.error) {
    io.stderr.write(l10n.t('Launch failed: {0}', f.error.title) + '\n');
    io.stderr.write(`  ${f.error.explanation}\n`);
    io.stderr.write(`  ${l10n.t('fix: {0}', f.error.fix)}\n`);
    if (f.line !== null) io.stderr.write(`  ${l10n.t('log line {0}: {1}', f.line, (f.text ?? '').trim().slice(0, 240))}\n`);
    io.stderr.write(`  ${l10n.t('source: {0}', f.error.source)}\n`);
  } else io.stderr.write(l10n.t('Launch failed: {0}', f.message) + '\n');
}

function printStop(rep: StopReport, io: CliIO): void {
  if (!rep.checked) io.stderr.write(l10n.t('Stopped; npu-smi could not be read to check the devices.') + '\n');
  else if (rep.idle) io.stderr.write(l10n.t('Stopped; NPUs {0} are back to idle HBM and no process is left.', rep.devices.map((d) => d.device).join(',')) + '\n');
  else {
    io.stderr.write(l10n.t('Stopped, but the NPUs are not idle:') + '\n');
    for (const p of rep.npuProcesses) io.stderr.write(`  ${l10n.t('pid {0} ({1}) holds {2} MB on NPU {3}', p.pid, p.name || '?', p.memoryMB, p.npuId)}\n`);
    for (const d of rep.devices.filter((x) => !x.idle)) io.stderr.write(`  ${l10n.t('device {0}: {1} MB used (before launch: {2} MB)', d.device, String(d.usedMB ?? '?'), String(d.baselineMB ?? '?'))}\n`);
  }
  if (rep.leftoverPids.length) io.stderr.write(l10n.t('Processes of the job still alive: {0}', rep.leftoverPids.join(', ')) + '\n');
}

export const TARGET: TargetDecl = { profile: true, sim: 'root' };

const options = {
  detach: opt.flag(() => l10n.t('return when ready (or failed), leave the server running')),
  force: opt.flag(() => l10n.t('launch even when a pre-launch check fails')),
  'env-check': opt.string({ metavar: 'FILE', help: () => l10n.t('check devices and free HBM against this saved env-check --json result (default: npu-smi now)') }),
  json: opt.flag(() => l10n.t('print the job record (and checks) as JSON on stdout')),
  stop: opt.flag(() => l10n.t('multi-node profile: stop every node\'s jobs of this profile (and Ray where it started it), then check nothing is left')),
  'dry-run': opt.flag(() => l10n.t('print what would run on each node, in order, and exit (connects only to find a node\'s address or interface the profile leaves out)')),
};
type Ctx = RunContext<typeof options>;

/** Pre-launch checks, then the detached job; undefined when a check failed (already reported). */
async function launch(ctx: Ctx, transport: Transport, pt: ProfileTarget, onChecks: (r: PreflightResult) => void): Promise<ServingJob | undefined> {
  const { values, io } = ctx;
  const env = values['env-check'] ? readEnvCheck(path.resolve(io.cwd, values['env-check']), pt.profile) : undefined;
  try {
    return await startServing(transport, pt.profile, {
      jobs: jobControl({ root: io.env.ASCEND_ADAPT_JOBS_ROOT || undefined }),
      env,
      force: values.force,
      onPreflight: (r) => {
        onChecks(r);
        printChecks(r, io);
      },
    });
  } catch (e) {
    if (e instanceof PreflightFailedError) {
      io.stderr.write(l10n.t('Not launched: a pre-launch check failed (use --force to launch anyway).') + '\n');
      if (values.json) io.stdout.write(JSON.stringify({ launched: false, checks: e.result.checks }, null, 2) + '\n');
      return undefined;
    }
    throw e;
  }
}

/** Waits for ready; detached: returns then; else follows the log until the server ends or Ctrl-C stops it. */
async function watch(ctx: Ctx, job: ServingJob, pt: ProfileTarget, checks: () => PreflightResult | undefined): Promise<number> {
  const { values, io } = ctx;
  const log = values.json ? io.stderr : io.stdout;
  const json = (extra: object) => {
    if (values.json) io.stdout.write(JSON.stringify({ launched: true, checks: checks()?.checks ?? [], ...extra }, null, 2) + '\n');
  };
  // Foreground: Ctrl-C (while starting or serving) stops the server and checks the NPUs; with --detach
  // the server is left alone (the default SIGINT ends only this command).
  let stopping: Promise<StopReport | undefined> | undefined;
  const onSig = () => {
    if (stopping) return;
    io.stderr.write('\n' + l10n.t('Stopping…') + '\n');
    stopping = job.stop().catch(() => undefined);
  };
  if (!values.detach) process.on('SIGINT', onSig);
  try {
    const follower = values.detach ? undefined : job.attachLog(0, (c) => log.write(c));
    const ready = await job.waitReady();
    if (ready.state !== 'ready') {
      await follower?.done;
      const rep = stopping ? await stopping : undefined;
      if (rep) printStop(rep, io);
      else printFailure(ready, io);
      json({ job: job.record(), stop: rep ?? null });
      return rep?.idle ? 0 : 1;
    }
    const secs = ((ready.loadTimeMs ?? 0) / 1000).toFixed(1);
    io.stderr.write(l10n.t('Ready: "{0}" on {1} port {2} after {3} s (model load time){4}', ready.command.servedModelName, ready.host, ready.command.port, secs, ready.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
    if (values.detach) {
      const smoke = ctx.hint(['smoke'], pt.args);
      const stop = ctx.hint(['jobs', 'stop'], [...pt.target.args, ready.jobId]);
      io.stderr.write(l10n.t('The server keeps running. Smoke test: {0}; stop: {1}', smoke, stop) + '\n');
      json({ job: { ...ready, endpoint: null } });
      return 0;
    }
    io.stderr.write(l10n.t('Following the log; Ctrl-C stops the server.') + '\n');
    const end = await job.waitFor(['exited', 'failed', 'stopped']);
    const rep = stopping ? await stopping : undefined;
    await follower?.done;
    if (rep) printStop(rep, io);
    else {
      io.stderr.write(l10n.t('The server {0} (exit code {1}).', stateWord(end.state), String(end.exitCode ?? '?')) + '\n');
      printFailure(end, io);
    }
    json({ job: job.record(), stop: rep ?? null });
    return rep?.idle ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSig);
  }
}

/** `serve --dry-run` of a one-host profile: the same shape as a cluster's, one node. */
function singleDryRun(ctx: Ctx, pt: ProfileTarget): number {
  const c = buildServeCommand(pt.profile);
  if (ctx.values.json) {
    ctx.io.stdout.write(JSON.stringify({ profile: pt.profile.name, multiNode: null, nodes: [{ host: pt.target.name, role: 'head', commands: [{ argv: c.vllmArgv, env: c.env }] }] }, null, 2) + '\n');
  } else ctx.io.stdout.write(`${quoteCommand(c.vllmArgv, c.env)}\n`);
  return 0;
}

export const serveCommand = defineCommand({
  name: 'serve',
  summary: () => l10n.t('launch a vllm serve profile as a detached job and wait until it is ready'),
  description: () => [
    l10n.t('Launches the profile\'s vllm serve as a detached job (it survives this command and the connection), after'),
    l10n.t('checking the model folder, the devices and free HBM. Without --detach the log is followed until Ctrl-C, which'),
    l10n.t('stops the server and checks the NPUs are idle again; with --detach the command returns once the server is ready.'),
    l10n.t('A multi-node profile ("multiNode" and "nodes") is checked on every node first (hccn_tool, NIC to the head,'),
    l10n.t('versions, model folder, free HBM), then launched head first, each node a job; a node that dies or drops fails the'),
    l10n.t('whole run and the others are stopped. --dry-run prints each node\'s commands and environment.'),
  ],
  target: TARGET,
  options,
  exitCodes: () => l10n.t('Exit codes: 0 ready (or stopped cleanly), 1 a check or the launch failed, 2 bad usage.'),
  async run(ctx) {
    const { profile, args } = loadProfile(ctx);
    if (isCluster(profile)) {
      if (ctx.where.host.length || ctx.where.local || ctx.where.sim.length) throw new UsageError(l10n.t('profile "{0}" runs on its nodes: --host, --local and --sim do not apply', profile.name));
      if (ctx.values['dry-run']) return clusterDryRun(profile, ctx, ctx.values.json);
      return ctx.values.stop ? clusterStop(profile, ctx) : clusterServe(profile, ctx, [...args, ...sshArgs(ctx.globals)]);
    }
    if (ctx.values.stop) throw new UsageError(l10n.t('--stop is for multi-node profiles; stop a one-host server with `jobs stop`'));
    const pt = resolveProfile(ctx, TARGET);
    if (ctx.values['dry-run']) return singleDryRun(ctx, pt);
    const transport = await pt.target.open();
    let job: ServingJob | undefined;
    let checks: PreflightResult | undefined;
    try {
      job = await launch(ctx, transport, pt, (r) => (checks = r));
      if (!job) return 1;
      const rec0 = job.record();
      ctx.io.stderr.write(l10n.t('Started job {0} on {1}{2}', rec0.jobId, rec0.host, rec0.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
      ctx.io.stderr.write(`  ${rec0.command.display}\n`);
      job.on('finding', (f, loc) => {
        ctx.io.stderr.write(`${loc.severity === 'fatal' ? '✗' : '!'} ${l10n.t('log line {0}: {1}', f.line, loc.title)} — ${loc.fix}\n`);
      });
      return await watch(ctx, job, pt, () => checks);
    } finally {
      await job?.dispose();
      await transport.close();
    }
  },
});
