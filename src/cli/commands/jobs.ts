import * as l10n from '@vscode/l10n';
import { DetachedJobs, JobError, type JobRecord, type JobState } from '../../core/jobs/detached';
import { quoteArgv } from '../../core/transport/quote';
import type { Transport } from '../../core/transport/transport';
import { parse } from '../args';
import { hostOptions, UsageError, type CliCommand, type CliIO } from '../command';
import { targetsFrom } from '../target';
import { envFrom } from './run';

function stateText(s: JobState): string {
  switch (s) {
    case 'running': return l10n.t('running');
    case 'exited': return l10n.t('exited');
    case 'lost': return l10n.t('lost');
    case 'failed-to-start': return l10n.t('failed to start');
  }
}

function exitText(j: JobRecord): string {
  if (j.startError) return j.startError;
  if (j.exitSignal) return j.exitSignal;
  return j.exitCode === null ? '' : String(j.exitCode);
}

const usage = () => [
  l10n.t('Usage: ascend-adapt jobs start (--host ALIAS | --local) [--name N] [--env KEY=VALUE]... [--cwd DIR] [--json] -- CMD [ARG...]'),
  l10n.t('       ascend-adapt jobs list (--host ALIAS | --local) [--json]'),
  l10n.t('       ascend-adapt jobs logs (--host ALIAS | --local) ID [--follow] [--from BYTE]'),
  l10n.t('       ascend-adapt jobs stop (--host ALIAS | --local) ID [--grace SECONDS] [--json]'),
  '',
  l10n.t('Detached jobs keep running when the connection drops; their record and log live in ~/.ascend-adapt/jobs/ID/ on the host.'),
  l10n.t('stop sends TERM to the job\'s process group, KILL after the grace period (default 10 s), then checks that nothing is left (exit 1 if something is).'),
].join('\n');

async function withTransport<T>(values: Parameters<typeof targetsFrom>[0], f: (t: Transport) => Promise<T>): Promise<T> {
  const [target] = targetsFrom(values);
  const t = await target.open();
  try {
    return await f(t);
  } finally {
    await t.close();
  }
}

function jobsRoot(io: CliIO): string | undefined {
  // For tests and unusual hosts: where job directories live (default ~/.ascend-adapt/jobs on the host).
  return io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
}

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: () => l10n.t('start, list, follow and stop detached jobs on a host'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const sub = args[0];
    const rest = args.slice(1);
    try {
      switch (sub) {
        case 'start': return await start(rest, io);
        case 'list': return await list(rest, io);
        case 'logs': return await logs(rest, io);
        case 'stop': return await stop(rest, io);
        default: throw new UsageError(sub === undefined ? l10n.t('say what to do: start, list, logs or stop') : l10n.t('unknown jobs subcommand: {0}', sub));
      }
    } catch (e) {
      if (e instanceof JobError && e.code !== 'host') throw new UsageError(e.message);
      throw e;
    }
  },
};

async function start(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, {
    ...hostOptions, name: { type: 'string' }, env: { type: 'string', multiple: true }, cwd: { type: 'string' }, json: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new UsageError(l10n.t('say what to run after --'));
  const env = envFrom(values.env);
  const job = await withTransport(values, (t) => new DetachedJobs(t, { root: jobsRoot(io) }).start({ argv: positionals, env, name: values.name, cwd: values.cwd }));
  if (values.json) io.stdout.write(JSON.stringify(job, null, 2) + '\n');
  else {
    io.stdout.write(job.id + '\n');
    if (job.state === 'failed-to-start') io.stderr.write(l10n.t('the job could not start: {0}', job.startError ?? '') + '\n');
    else io.stderr.write(l10n.t('started job {0} (pid {1}); follow it with: ascend-adapt jobs logs {2} --follow', job.id, String(job.pid), job.id) + '\n');
  }
  return job.state === 'failed-to-start' ? 1 : 0;
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { ...hostOptions, json: { type: 'boolean' } }, false);
  const jobs = await withTransport(values, (t) => new DetachedJobs(t, { root: jobsRoot(io) }).list());
  if (values.json) {
    io.stdout.write(JSON.stringify({ jobs }, null, 2) + '\n');
    return 0;
  }
  if (jobs.length === 0) {
    io.stderr.write(l10n.t('No jobs on this host.') + '\n');
    return 0;
  }
  const head = [l10n.t('ID'), l10n.t('STATE'), l10n.t('PID'), l10n.t('STARTED'), l10n.t('EXIT'), l10n.t('COMMAND')];
  const rows = jobs.map((j) => [j.id, stateText(j.state), String(j.pid ?? ''), j.startedAt, exitText(j), quoteArgv(j.argv).slice(0, 80)]);
  const w = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ') + '\n');
  return 0;
}

async function logs(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...hostOptions, follow: { type: 'boolean', short: 'f' }, from: { type: 'string' } });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(l10n.t('give one job id'));
  const from = values.from === undefined ? 0 : Number(values.from);
  if (!Number.isInteger(from) || from < 0) throw new UsageError(l10n.t('--from wants a byte offset (0 or more)'));
  return withTransport(values, async (t) => {
    const jobs = new DetachedJobs(t, { root: jobsRoot(io) });
    if (values.follow) {
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      try {
        await jobs.followLog(id, from, (b) => io.stdout.write(b), { signal: ac.signal });
      } finally {
        process.removeListener('SIGINT', onSig);
      }
      return 0;
    }
    let at = from;
    for (;;) {
      const r = await jobs.readLog(id, at);
      if (r.data.length > 0) io.stdout.write(r.data);
      at = r.offset;
      if (r.data.length === 0 || at >= r.job.logSize) return 0;
    }
  });
}

async function stop(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...hostOptions, grace: { type: 'string' }, json: { type: 'boolean' } });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(l10n.t('give one job id'));
  const grace = values.grace === undefined ? 10 : Number(values.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(l10n.t('--grace wants a number of seconds'));
  const r = await withTransport(values, (t) => new DetachedJobs(t, { root: jobsRoot(io) }).stop(id, { graceMs: Math.round(grace * 1000) }));
  if (values.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else if (!r.wasRunning && r.termed.length === 0) io.stderr.write(l10n.t('job {0} was not running', id) + '\n');
  else {
    io.stderr.write(l10n.t('job {0}: sent TERM to {1} process(es), KILL to {2}', id, String(r.termed.length), String(r.killed.length)) + '\n');
  }
  if (r.leftovers.length > 0) {
    io.stderr.write(l10n.t('{0} process(es) of job {1} are still alive:', String(r.leftovers.length), id) + '\n');
    for (const p of r.leftovers) io.stderr.write(`  ${p.pid} [${p.state}] ${p.cmd}\n`);
    return 1;
  }
  if (!values.json) io.stderr.write(l10n.t('job {0} stopped; no process left', id) + '\n');
  return 0;
}
