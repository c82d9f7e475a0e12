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
 * every kind of host-script job (accuracy, perf, quantize, profile …). A kind is configuration:
 *
 *   const kind: HostJobKind<Spec, Progress, Result> = {
 *     name: 'accuracy',                         // job name and run-folder tag on the host
 *     title: () => l10n.t('accuracy job'),      // in failure messages
 *     resultFile: 'accuracy.json',              // the script writes it in its run folder
 *     result: AccuracyHostResultSchema,         // zod: what that file must hold
 *     argv: (spec, at) => [at.python, `${at.scriptsDir}/accuracy/run_accuracy.py`, '--out', at.resultPath, …],
 *                                               // or { argv, env, cwd }; inputs go up with `at.upload`
 *     progress: parseAccuracyProgress,          // a log line → progress, or null (optional)
 *     error: AccuracyJobError,                  // thrown (with evidence) when no usable result is left
 *   };
 *   const { result, evidence, exitError, interrupted } = await runHostJob(kind, spec, { transport, simRoot, signal, onProgress });
 *
 * Or in phases, for jobs that outlive the caller (detach now, follow again after a reload):
 *   const { ref } = await startHostJob(kind, spec, o);            // ref: plain data, store it
 *   const outcome = await followHostJob(kind, transport, ref, o);  // later, from any connection
 *   const result = await readHostJobResult(kind, transport, ref);  // a job that already ended
 *
 * What the skeleton does: finds the host's python, uploads the host scripts (once per content hash), makes
 * a run folder (~/.ascend-adapt/runs/<stamp>-<name>-<rand>, or the one given, which may hold a previous
 * run's partial state), builds argv (through the simulated host's env.sh when simRoot is set), starts it
 * as a detached job, follows its log line by line (`progress` lines → onProgress, `error: …` lines remembered),
 * and reads the result file back through the schema.
 * Abort (Ctrl-C, Stop) stops the host job — TERM to its group, so the script can write what it has — follows
 * the log to its end, and still reads the result file: a partial result is returned like a full one (the
 * script says in it that it is incomplete; `interrupted` says the abort fired).
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

/** A started host-script job: plain data (JSON-safe) to follow it again, from any connection to its host. */
export interface HostJobRef {
  jobId: string;
  host: string;
  runDir: string;
  /** Result file on the host. */
  resultFile: string;
  /** Host python the job was started with. */
  python: string;
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

/** What a job runs: argv, plus environment and working folder when the tool needs them. */
export interface HostJobCommand {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface HostJobKind<Spec, Progress, Result> {
  name: string;
  title: () => string;
  resultFile: string;
  result: z.ZodType<Result>;
  argv(spec: Spec, at: HostJobSite): string[] | HostJobCommand | Promise<string[] | HostJobCommand>;
  progress?(line: string): Progress | null;
  /** The error class thrown when the job leaves no usable result (default HostJobError). */
  error?: new (message: string, evidence?: HostJobEvidence) => Error;
}

export interface FollowOptions<Progress> {
  /** Detached-jobs handle (default: one over the transport with the default root). */
  jobs?: DetachedJobs;
  onProgress?: (p: Progress) => void;
  /** Every log line (progress lines too). */
  onLine?: (line: string) => void;
  /** Abort = stop the host job and read back what it left. */
  signal?: AbortSignal;
  /** TERM → KILL grace when aborting (default 15 s: scripts save their partial result on TERM). */
  stopGraceMs?: number;
}

export interface StartOptions {
  transport: Transport;
  jobs?: DetachedJobs;
  /** Extra environment for the job (over the kind's). */
  env?: Record<string, string>;
  /** Path ON THE HOST of a simulated Atlas host: the job runs through its env.sh. */
  simRoot?: string;
  python?: string;
  /** Run folder on the host; an existing one is reused (scripts may resume from what it holds). */
  runDir?: string;
}

export interface HostJobOptions<Progress> extends StartOptions, FollowOptions<Progress> {
  onStart?: (job: JobRecord, runDir: string) => void;
}

export interface HostJobOutcome<Result> {
  result: Result;
  evidence: HostJobEvidence;
  /** "the job ended with exit code N" when it did not exit 0, else null. */
  exitError: string | null;
  /** The abort signal fired while the job was followed. */
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
  /** The abort signal fired (and the job was stopped). */
  interrupted: boolean;
}

/**
 * Streams a job's log from its first byte to `onLine` until the job ends (or `signal` aborts: then the job is
 * stopped — TERM to its group — and the log is still read to its end), and returns its final record.
 */
export async function followJobToEnd(jobs: DetachedJobs, id: string, opts: { onLine?: (line: string) => void; signal?: AbortSignal; stopGraceMs?: number } = {}): Promise<JobToEnd> {
  const split = new LineSplitter();
  const onLine = opts.onLine ?? (() => undefined);
  let stopping: Promise<unknown> | null = null;
  const onAbort = () => {
    stopping ??= jobs.stop(id, { graceMs: opts.stopGraceMs ?? 15_000 }).catch(() => undefined);
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Not given the abort signal: after a stop the log is followed to its end (the script's last words).
    await jobs.followLog(id, 0, (chunk) => split.push(chunk, onLine));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  split.flush(onLine);
  if (stopping) await stopping;
  return { job: await jobs.get(id), interrupted: stopping !== null };
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

/** Prepares the run folder and starts the job; returns at once (the job runs on, followed or not). */
export async function startHostJob<Spec>(kind: HostJobKind<Spec, unknown, unknown>, spec: Spec, o: StartOptions): Promise<{ ref: HostJobRef; job: JobRecord }> {
  const t = o.transport;
  const site = await prepareSite(t, kind.name, kind.resultFile, o);
  const made = await kind.argv(spec, site);
  const cmd = Array.isArray(made) ? { argv: made } : made;
  const jobs = o.jobs ?? new DetachedJobs(t, { python: site.python });
  const job = await jobs.start({ argv: withSimEnv(o.simRoot, cmd.argv), env: { ...cmd.env, ...o.env }, name: kind.name, cwd: cmd.cwd });
  return { ref: { jobId: job.id, host: t.label, runDir: site.runDir, resultFile: site.resultPath, python: site.python }, job };
}

function evidenceOf(job: JobRecord, ref: HostJobRef, host: string): HostJobEvidence {
  return {
    jobId: job.id, host, startedAt: job.startedAt, endedAt: job.endedAt ?? null, command: job.argv,
    logFile: job.logPath, exitCode: job.exitCode, state: job.state, resultFile: ref.resultFile, runDir: ref.runDir,
  };
}

/**
 * The result file of a job through the kind's schema. Throws the kind's error (with evidence when the job's
 * record is given) naming the job: with its last `error:` line when it printed one, else what is wrong with the file.
 */
export async function readHostJobResult<Result>(kind: HostJobKind<never, unknown, Result>, t: Transport, ref: HostJobRef, ended?: { job: JobRecord; lastError?: string | null }): Promise<Result> {
  try {
    return parseResultFile(kind.result, (await hostReadFile(t, ref.resultFile, { python: ref.python })).toString('utf8'), `${t.label}:${ref.resultFile}`);
  } catch (e) {
    const Err = kind.error ?? HostJobError;
    const exit = ended ? String(ended.job.exitCode ?? ended.job.state) : '?';
    throw new Err(
      ended?.lastError
        ? l10n.t('the {0} {1} failed: {2}', kind.title(), ref.jobId, ended.lastError)
        : l10n.t('the {0} {1} left no usable result (exit {2}): {3}', kind.title(), ref.jobId, exit, (e as Error).message),
      ended ? evidenceOf(ended.job, ref, t.label) : undefined,
    );
  }
}

/**
 * Follows a started job's log from its first byte to the end (progress → onProgress, `error:` lines kept;
 * abort stops the job and reads on to the end), then reads its result. Works on a job that already ended too.
 */
export async function followHostJob<Progress, Result>(kind: HostJobKind<never, Progress, Result>, t: Transport, ref: HostJobRef, o: FollowOptions<Progress> = {}): Promise<HostJobOutcome<Result>> {
  const jobs = o.jobs ?? new DetachedJobs(t, { python: ref.python });
  let lastError: string | null = null;
  const { job, interrupted } = await followJobToEnd(jobs, ref.jobId, {
    signal: o.signal,
    stopGraceMs: o.stopGraceMs,
    onLine: (line) => {
      if (line.startsWith('error: ')) lastError = line.slice('error: '.length);
      o.onLine?.(line);
      const p = kind.progress?.(line) ?? null;
      if (p !== null) o.onProgress?.(p);
    },
  });
  const result = await readHostJobResult(kind, t, ref, { job, lastError });
  const exitError = job.exitCode !== 0 ? l10n.t('the job ended with exit code {0}', String(job.exitCode ?? job.state)) : null;
  return { result, evidence: evidenceOf(job, ref, t.label), exitError, interrupted };
}

/** Start, follow to the end, read the result: one job of `kind` (see the top of this file). */
export async function runHostJob<Spec, Progress, Result>(kind: HostJobKind<Spec, Progress, Result>, spec: Spec, o: HostJobOptions<Progress>): Promise<HostJobOutcome<Result>> {
  const { ref, job } = await startHostJob(kind, spec, o);
  o.onStart?.(job, ref.runDir);
  return followHostJob(kind, o.transport, ref, { ...o, jobs: o.jobs ?? new DetachedJobs(o.transport, { python: ref.python }) });
}
