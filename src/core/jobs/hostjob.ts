import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import type { z } from 'zod';
import { ensureScripts } from '../hostscripts/upload';
import type { Transport } from '../transport/transport';
import { DetachedJobs, type JobRecord } from './detached';
import { hostMkdir, hostPython, hostReadFile, hostWriteFile, runFolderName } from './hostfiles';
import { withSimEnv } from './simhost';

/**
 * "Run a host script as a detached job, stream its progress, read its result file with zod" — once, for
 * every kind of evaluation job (accuracy, perf, quantize, profile …). A kind is configuration:
 *
 *   const kind: HostJobKind<Spec, Progress, Result> = {
 *     name: 'accuracy',                         // job name and run-folder tag on the host
 *     title: () => l10n.t('accuracy job'),      // in failure messages
 *     resultFile: 'accuracy.json',              // the script writes it in its run folder
 *     result: AccuracyHostResultSchema,         // zod: what that file must hold
 *     argv: (spec, at) => [at.python, `${at.scriptsDir}/accuracy/run_accuracy.py`, '--out', at.resultPath, …],
 *     progress: parseAccuracyProgress,          // a log line → progress, or null
 *     error: AccuracyJobError,                  // thrown (with evidence) when no usable result is left
 *   };
 *   const { result, evidence, exitError } = await runHostJob(kind, spec, { transport, simRoot, signal, onProgress });
 *
 * What the skeleton does: finds the host's python, uploads the host scripts (once per content hash), makes
 * a run folder (~/.ascend-adapt/runs/<stamp>-<name>-<rand>, or the one given, which may hold a previous
 * run's partial state), builds argv (through the simulated host's env.sh when simRoot is set), starts it
 * as a detached job, follows its log line by line (`progress` lines → onProgress, `error: …` lines remembered),
 * and reads the result file back through the schema.
 * Abort (Ctrl-C, Stop) stops the host job — TERM to its group, so the script can write what it has — waits
 * until it is gone, and still reads the result file: a partial result is returned like a full one
 * (the script says in it that it is incomplete).
 * Host scripts keep a contract: write the result file (also on TERM), print `error: <why>` before failing.
 */

export interface HostJobSite {
  transport: Transport;
  /** Host python (absolute when it could be found). */
  python: string;
  /** Where python/ is on the host. */
  scriptsDir: string;
  /** The run folder (absolute, on the host). */
  runDir: string;
  /** `<runDir>/<resultFile>`. */
  resultPath: string;
  /** Writes an input file into the run folder; returns its path on the host. The name is made file-safe. */
  upload(name: string, data: string | Buffer): Promise<string>;
}

/** Everything evidence needs to point at a job's output. */
export interface HostJobEvidence {
  jobId: string;
  host: string;
  startedAt: string;
  endedAt: string | null;
  command: string[];
  logFile: string;
  exitCode: number | null;
  state: JobRecord['state'];
  /** Result file on the host. */
  resultFile: string;
  runDir: string;
}

export class HostJobError extends Error {
  constructor(message: string, readonly evidence?: HostJobEvidence) {
    super(message);
    this.name = 'HostJobError';
  }
}

export interface HostJobKind<Spec, Progress, Result> {
  name: string;
  title: () => string;
  resultFile: string;
  result: z.ZodType<Result>;
  argv(spec: Spec, at: HostJobSite): string[] | Promise<string[]>;
  progress(line: string): Progress | null;
  /** The error class thrown when the job leaves no usable result (default HostJobError). */
  error?: new (message: string, evidence?: HostJobEvidence) => Error;
}

export interface HostJobOptions<Progress> {
  transport: Transport;
  /** Detached-jobs handle (default: one over `transport` with the default root). */
  jobs?: DetachedJobs;
  /** Extra environment for the job. */
  env?: Record<string, string>;
  /** Path ON THE HOST of a simulated Atlas host: the job runs through its env.sh. */
  simRoot?: string;
  python?: string;
  /** Run folder on the host; an existing one is reused (scripts may resume from what it holds). */
  runDir?: string;
  onProgress?: (p: Progress) => void;
  /** Every log line (progress lines too). */
  onLine?: (line: string) => void;
  onStart?: (job: JobRecord, runDir: string) => void;
  /** Abort = stop the host job and read back what it left. */
  signal?: AbortSignal;
  /** TERM → KILL grace when aborting (default 15 s: scripts save their partial result on TERM). */
  stopGraceMs?: number;
}

export interface HostJobOutcome<Result> {
  result: Result;
  evidence: HostJobEvidence;
  /** "the job ended with exit code N" when it did not exit 0, else null. */
  exitError: string | null;
  /** The abort signal fired while the job ran. */
  interrupted: boolean;
}

/** Splits a byte stream into lines (keeping a partial tail; a UTF-8 character split across chunks survives). */
export class LineSplitter {
  private tail = '';
  private readonly decoder = new TextDecoder('utf-8');
  push(chunk: Buffer | string, onLine: (line: string) => void): void {
    const text = this.tail + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    const parts = text.split('\n');
    this.tail = parts.pop() ?? '';
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  }
  flush(onLine: (line: string) => void): void {
    const rest = this.tail + this.decoder.decode();
    if (rest) onLine(rest);
    this.tail = '';
  }
}

export interface JobToEnd {
  job: JobRecord;
  interrupted: boolean;
}

/**
 * Starts argv as a detached job, streams its log to `onLine` until it ends (or `signal` aborts: then the
 * job is stopped — TERM to its group — and the log is still read to its end), and returns its final record.
 */
export async function runJobToEnd(
  jobs: DetachedJobs,
  spec: { argv: string[]; env?: Record<string, string>; name: string },
  opts: { onLine?: (line: string) => void; onStart?: (job: JobRecord) => void; signal?: AbortSignal; stopGraceMs?: number } = {},
): Promise<JobToEnd> {
  const started = await jobs.start(spec);
  opts.onStart?.(started);
  const split = new LineSplitter();
  const onLine = opts.onLine ?? (() => undefined);
  let stopping: Promise<unknown> | null = null;
  const onAbort = () => {
    stopping ??= jobs.stop(started.id, { graceMs: opts.stopGraceMs ?? 15_000 }).catch(() => undefined);
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Not given the abort signal: after a stop the log is followed to its end (the script's last words).
    await jobs.followLog(started.id, 0, (chunk) => split.push(chunk, onLine));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  split.flush(onLine);
  if (stopping) await stopping;
  return { job: await jobs.get(started.id), interrupted: stopping !== null };
}

/** zod-checked JSON from a file's text; the message names the file and the first field that is wrong. */
export function parseResultFile<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(l10n.t('{0} is not JSON: {1}', where, (e as Error).message));
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(l10n.t('{0}: unexpected content ({1}: {2})', where, i?.path.join('.') ?? '', i?.message ?? ''));
  }
  return r.data;
}

async function prepareSite(t: Transport, name: string, resultFile: string, o: { python?: string; runDir?: string }): Promise<HostJobSite> {
  const python = o.python ?? (await hostPython(t));
  const scriptsDir = await ensureScripts(t, python);
  const runDir = await hostMkdir(t, o.runDir ?? `~/.ascend-adapt/runs/${runFolderName(name)}`, python);
  return {
    transport: t, python, scriptsDir, runDir, resultPath: `${runDir}/${resultFile}`,
    upload: async (file, data) => {
      const p = `${runDir}/${path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_') || 'input'}`;
      await hostWriteFile(t, p, data, python);
      return p;
    },
  };
}

/** Runs one job of `kind` to its end (see the top of this file). */
export async function runHostJob<Spec, Progress, Result>(kind: HostJobKind<Spec, Progress, Result>, spec: Spec, o: HostJobOptions<Progress>): Promise<HostJobOutcome<Result>> {
  const t = o.transport;
  const site = await prepareSite(t, kind.name, kind.resultFile, o);
  const argv = withSimEnv(o.simRoot, await kind.argv(spec, site));
  const jobs = o.jobs ?? new DetachedJobs(t, { python: site.python });
  let lastError: string | null = null;
  const { job, interrupted } = await runJobToEnd(jobs, { argv, env: o.env, name: kind.name }, {
    signal: o.signal,
    stopGraceMs: o.stopGraceMs,
    onStart: (j) => o.onStart?.(j, site.runDir),
    onLine: (line) => {
      if (line.startsWith('error: ')) lastError = line.slice('error: '.length);
      o.onLine?.(line);
      const p = kind.progress(line);
      if (p !== null) o.onProgress?.(p);
    },
  });
  const evidence: HostJobEvidence = {
    jobId: job.id, host: t.label, startedAt: job.startedAt, endedAt: job.endedAt ?? null, command: job.argv,
    logFile: job.logPath, exitCode: job.exitCode, state: job.state, resultFile: site.resultPath, runDir: site.runDir,
  };
  let result: Result;
  try {
    result = parseResultFile(kind.result, (await hostReadFile(t, site.resultPath, { python: site.python })).toString('utf8'), `${t.label}:${site.resultPath}`);
  } catch (e) {
    const Err = kind.error ?? HostJobError;
    throw new Err(
      lastError
        ? l10n.t('the {0} {1} failed: {2}', kind.title(), job.id, lastError)
        : l10n.t('the {0} {1} left no usable result (exit {2}): {3}', kind.title(), job.id, String(job.exitCode), (e as Error).message),
      evidence,
    );
  }
  const exitError = job.exitCode !== 0 ? l10n.t('the job ended with exit code {0}', String(job.exitCode ?? job.state)) : null;
  return { result, evidence, exitError, interrupted };
}
