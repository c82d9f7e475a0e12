import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DetachedJobs, hostPython } from '../../core/jobs/index';
import type { Transport } from '../../core/transport/transport';
import { UsageError, type CliIO, type RunContext } from '../command';
import { opt, type OptionDecls } from '../options';
import { endpointHost, endpointUrl, profileOrEndpoint, resolveProfile, type TargetDecl } from '../target';

/**
 * What `accuracy` and `perf` share: where the job runs and which endpoint it measures.
 *  --profile NAME   the profile's host (or --host/--local/--sim), endpoint http://127.0.0.1:<port> ON that host,
 *                   model = the profile's served model name;
 *  --endpoint URL   any running OpenAI-compatible server; the job runs on this machine (or --host ALIAS /
 *                   --sim DIR), so URL is as seen from there; --model NAME or the first model it lists.
 */
export const EVAL_TARGET: TargetDecl = { profile: true, endpoint: true, sim: 'root' };

export const evalOptions = {
  model: opt.string({ metavar: 'NAME', help: () => l10n.t('model name (with --endpoint; default: the first model the server lists)') }),
  'run-dir': opt.string({ metavar: 'DIR', help: () => l10n.t('run folder on the host; an earlier run folder resumes that run') }),
  json: opt.flag(() => l10n.t('print the result as JSON on stdout')),
} satisfies OptionDecls;

export interface EvalTarget {
  transport: Transport;
  baseUrl: string;
  model: string | undefined;
  simRoot: string | undefined;
  jobs: DetachedJobs;
  hostLabel: string;
  /** The profile's request timeouts (seconds), which --request-timeout / --stall-timeout override. */
  requestTimeoutS?: number;
  stallTimeoutS?: number;
}

export async function openEvalTarget(ctx: RunContext<typeof evalOptions>): Promise<EvalTarget> {
  const { values, io } = ctx;
  const root = io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
  if (profileOrEndpoint(ctx.where) === 'profile') {
    if (values.model) throw new UsageError(l10n.t('--model goes with --endpoint; a profile names its model'));
    const { profile, target } = resolveProfile(ctx, EVAL_TARGET);
    const transport = await target.open();
    return {
      transport,
      baseUrl: `http://127.0.0.1:${profile.port}`,
      model: profile.servedModelName ?? profile.modelPath,
      simRoot: profile.simRoot,
      jobs: new DetachedJobs(transport, { root, python: await hostPython(transport) }),
      hostLabel: transport.label,
      requestTimeoutS: profile.requestTimeoutSec,
      stallTimeoutS: profile.stallTimeoutSec,
    };
  }
  const baseUrl = endpointUrl(ctx.where);
  const target = endpointHost(ctx, EVAL_TARGET);
  const transport = await target.open();
  return {
    transport,
    baseUrl,
    model: values.model,
    simRoot: target.simRoot,
    jobs: new DetachedJobs(transport, { root, python: await hostPython(transport) }),
    hostLabel: transport.label,
  };
}

/** Ctrl-C while following a job: stop the job (TERM to its group), then finish reading what it wrote. */
export function interruptOnSigint(io: CliIO): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = () => {
    if (!ac.signal.aborted) io.stderr.write(l10n.t('stopping the job (it saves what it has)…') + '\n');
    ac.abort();
  };
  process.on('SIGINT', on);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', on) };
}

/** The job-level failure of an accuracy or perf run: a message, and the job's log when it got that far. */
interface JobFailure {
  message: string;
  evidence?: { logFile: string; host: string; exitCode?: number | null };
}

/**
 * Opens the target, runs the job with Ctrl-C wired to stop it, prints the outcome (`show` returns the exit
 * code); a job failure prints its message and log location (exit 1). The transport is always closed.
 */
export async function runEvalJob<R>(
  ctx: RunContext<typeof evalOptions>,
  isFailure: (e: unknown) => e is JobFailure,
  run: (target: EvalTarget, signal: AbortSignal) => Promise<R>,
  show: (r: R) => number,
): Promise<number> {
  const { io } = ctx;
  const target = await openEvalTarget(ctx);
  const sig = interruptOnSigint(io);
  try {
    return show(await run(target, sig.signal));
  } catch (e) {
    if (!isFailure(e)) throw e;
    io.stderr.write(e.message + '\n');
    if (e.evidence) io.stderr.write(l10n.t('Log: {0} on {1}', e.evidence.logFile, e.evidence.host) + '\n');
    return e.evidence?.exitCode === 2 ? 2 : 1; // the host script refused the job as asked: bad usage or input
  } finally {
    sig.dispose();
    await target.transport.close();
  }
}

/** Reads a local file named by an option; unreadable → usage error naming it. */
export function readOptionFile(io: CliIO, file: string): { file: string; text: string } {
  const f = path.resolve(io.cwd, file);
  try {
    return { file: f, text: fs.readFileSync(f, 'utf8') };
  } catch (e) {
    throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
  }
}
