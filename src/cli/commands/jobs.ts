import * as l10n from '@vscode/l10n';
import { DetachedJobs, JobError, type JobRecord, type JobState } from '../../core/jobs/detached';
import { quoteArgv } from '../../core/transport/quote';
import type { Transport } from '../../core/transport/transport';
import { defineCommand, defineGroup, UsageError, type CliIO, type RunContext } from '../command';
import { opt, type OptionDecls } from '../options';
import { formatTable } from '../table';
import { resolveHosts, type Target, type TargetDecl } from '../target';
import { envFrom, envOption } from './run';

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

const TARGET: TargetDecl = { sim: 'env' };
const json = opt.flag(() => l10n.t('print the result as JSON on stdout'));

/** Opens the one target, runs f with the host's jobs, closes; job errors other than host ones are usage errors. */
async function withJobs<T>(ctx: RunContext<OptionDecls>, f: (jobs: DetachedJobs, target: Target, t: Transport) => Promise<T>): Promise<T> {
  const [target] = resolveHosts(ctx, TARGET);
  const t = await target!.open();
  try {
    // ASCEND_ADAPT_JOBS_ROOT: where job directories live (tests, unusual hosts); default ~/.ascend-adapt/jobs.
    return await f(new DetachedJobs(t, { root: jobsRoot(ctx.io) }), target!, t);
  } catch (e) {
    if (e instanceof JobError && e.code !== 'host') throw new UsageError(e.message);
    throw e;
  } finally {
    await t.close();
  }
}

function jobsRoot(io: CliIO): string | undefined {
  return io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
}

const start = defineCommand({
  name: 'start',
  summary: () => l10n.t('start a detached job (it keeps running when the connection drops)'),
  target: TARGET,
  argv: true,
  options: {
    name: opt.string({ metavar: 'NAME', help: () => l10n.t('a name for the job') }),
    env: envOption,
    cwd: opt.string({ metavar: 'DIR', help: () => l10n.t('working directory on the host') }),
    json,
  },
  async run(ctx) {
    const { values, argv, io } = ctx;
    if (argv.length === 0) throw new UsageError(l10n.t('say what to run after --'));
    const env = envFrom(values.env);
    return withJobs(ctx, async (jobs, target) => {
      const job = await jobs.start({ argv, env, name: values.name, cwd: values.cwd });
      if (values.json) io.stdout.write(JSON.stringify(job, null, 2) + '\n');
      else {
        io.stdout.write(job.id + '\n');
        if (job.state === 'failed-to-start') io.stderr.write(l10n.t('the job could not start: {0}', job.startError ?? '') + '\n');
        else io.stderr.write(l10n.t('started job {0} (pid {1}); follow it with: {2}', job.id, String(job.pid), ctx.hint(['jobs', 'logs'], [...target.args, job.id, '--follow'])) + '\n');
      }
      return job.state === 'failed-to-start' ? 1 : 0;
    });
  },
});

const list = defineCommand({
  name: 'list',
  summary: () => l10n.t('list the detached jobs on a host'),
  target: TARGET,
  options: { json },
  async run(ctx) {
    const { values, io } = ctx;
    const jobs = await withJobs(ctx, (j) => j.list());
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
    io.stdout.write(formatTable([head, ...rows]));
    return 0;
  },
});

const logs = defineCommand({
  name: 'logs',
  summary: () => l10n.t('print (or follow) the log of a job'),
  description: () => [l10n.t('Control characters in the log (terminal escapes) are shown as \\uXXXX; --raw writes the bytes unchanged.')],
  target: TARGET,
  positionals: { usage: 'ID', min: 1, max: 1 },
  options: {
    follow: opt.flag(() => l10n.t('keep printing until the job ends (Ctrl-C stops following, not the job)'), 'f'),
    from: opt.int({ metavar: 'BYTE', min: 0, default: 0, help: () => l10n.t('start at this byte offset of the log') }),
    raw: opt.flag(() => l10n.t('write the log bytes unchanged (for saving to a file)')),
  },
  async run(ctx) {
    const { values, positionals } = ctx;
    const id = positionals[0]!;
    const out = values.raw ? ctx.rawIO.stdout : ctx.io.stdout;
    return withJobs(ctx, async (jobs) => {
      if (values.follow) {
        const ac = new AbortController();
        const onSig = () => ac.abort();
        process.once('SIGINT', onSig);
        try {
          await jobs.followLog(id, values.from, (b) => out.write(b), { signal: ac.signal });
        } finally {
          process.removeListener('SIGINT', onSig);
        }
        return 0;
      }
      for (let at = values.from; ;) {
        const r = await jobs.readLog(id, at);
        if (r.data.length > 0) out.write(r.data);
        at = r.offset;
        if (r.data.length === 0 || at >= r.job.logSize) return 0;
      }
    });
  },
});

const stop = defineCommand({
  name: 'stop',
  summary: () => l10n.t('stop a job: TERM to its process group, KILL after the grace period, then check nothing is left'),
  target: TARGET,
  positionals: { usage: 'ID', min: 1, max: 1 },
  options: {
    grace: opt.float({ metavar: 'SECONDS', min: 0, default: 10, help: () => l10n.t('seconds between TERM and KILL') }),
    json,
  },
  exitCodes: () => l10n.t('Exit codes: 0 stopped and nothing left, 1 processes of the job are still alive, 2 bad usage.'),
  async run(ctx) {
    const { values, positionals, io } = ctx;
    const id = positionals[0]!;
    const r = await withJobs(ctx, (jobs) => jobs.stop(id, { graceMs: Math.round(values.grace * 1000) }));
    if (values.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else if (!r.wasRunning && r.termed.length === 0) io.stderr.write(l10n.t('job {0} was not running', id) + '\n');
    else io.stderr.write(l10n.t('job {0}: sent TERM to {1} process(es), KILL to {2}', id, String(r.termed.length), String(r.killed.length)) + '\n');
    if (r.leftovers.length > 0) {
      io.stderr.write(l10n.t('{0} process(es) of job {1} are still alive:', String(r.leftovers.length), id) + '\n');
      for (const p of r.leftovers) io.stderr.write(`  ${p.pid} [${p.state}] ${p.cmd}\n`);
      return 1;
    }
    if (!values.json) io.stderr.write(l10n.t('job {0} stopped; no process left', id) + '\n');
    return 0;
  },
});

export const jobsCommand = defineGroup({
  name: 'jobs',
  summary: () => l10n.t('start, list, follow and stop detached jobs on a host'),
  description: () => [l10n.t('Detached jobs keep running when the connection drops; their record and log live in ~/.ascend-adapt/jobs/ID/ on the host.')],
  subcommands: [start, list, logs, stop],
});
