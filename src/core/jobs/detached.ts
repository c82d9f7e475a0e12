/**
 * Detached jobs, generic over Transport (local and ssh alike): long work (serving, accuracy, perf) that
 * survives VS Code closing, the laptop sleeping and the link dropping.
 *
 *   const jobs = new DetachedJobs(transport);             // { root?: '~/.ascend-adapt/jobs', python?: 'python3' }
 *   const job = await jobs.start({ argv, env, name, cwd }); // → JobRecord (id, pid, pgid, sid, startedAt …)
 *   await jobs.list(); await jobs.get(id);
 *   const { data, offset } = await jobs.readLog(id, fromOffset);      // raw bytes, next offset
 *   await jobs.followLog(id, fromOffset, (chunk, offsetAfter) => …, { signal });  // until the job ends
 *   await jobs.stop(id, { graceMs });                     // → StopResult (leftovers must be [])
 *
 * The host half is python/jobs/supervisor.py (stdlib, run from the uploaded host scripts; its docstring
 * describes the job folder). Start double-forks a supervisor out of the ssh session; the supervisor runs the
 * job with setsid (own session and process group, stdin /dev/null, output to the log), records it, waits
 * for it and records the exit code. The job's environment carries ASCEND_ADAPT_JOB_ID=<id> so processes
 * that escape its group are found.
 * Logs are read by byte offset: the log only grows, so reading from the last offset reached never
 * loses or repeats a byte, across reconnects too.
 * Stop: TERM to the job's process group and every process of its session / marked with its id, KILL
 * what is left after the grace period, then check that nothing is left and report what is.
 */
import { randomBytes } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { execHostScript } from '../hostscripts/upload';
import type { Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';


const ExitSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
  endedAt: z.string(),
});

const JobSchema = z.object({
  id: z.string(),
  name: z.string(),
  argv: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  cwd: z.string().nullable().optional(),
  host: z.string(),
  logPath: z.string(),
  startedAt: z.string(),
  startedAtMs: z.number(),
  pid: z.number().int().nullable(),
  pgid: z.number().int().nullable(),
  sid: z.number().int().nullable(),
  state: z.enum(['running', 'exited', 'lost', 'failed-to-start']),
  exit: ExitSchema.nullable(),
  logSize: z.number().int().nonnegative(),
});

export type JobState = z.infer<typeof JobSchema>['state'];

/** A job as recorded on its host. */
export interface JobRecord {
  id: string;
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  host: string;
  logPath: string;
  startedAt: string;
  startedAtMs: number;
  pid: number | null;
  pgid: number | null;
  sid: number | null;
  /** running; exited (exit code recorded); lost (no exit record and nothing alive, e.g. host rebooted); failed-to-start. */
  state: JobState;
  exitCode: number | null;
  exitSignal: string | null;
  endedAt?: string;
  /** Why it could not start (e.g. "No such file or directory"). */
  startError?: string;
  logSize: number;
}

const ProcSchema = z.object({ pid: z.number().int(), pgid: z.number().int(), sid: z.number().int().nullable(), state: z.string(), cmd: z.string() });

const StopSchema = z.object({
  id: z.string(),
  wasRunning: z.boolean(),
  termed: z.array(z.number().int()),
  killed: z.array(z.number().int()),
  leftovers: z.array(ProcSchema),
  job: JobSchema.optional(),
});

export interface StopResult {
  id: string;
  wasRunning: boolean;
  /** Pids sent SIGTERM. */
  termed: number[];
  /** Pids still there after the grace period, sent SIGKILL. */
  killed: number[];
  /** Processes of the job still alive after KILL (should be none). */
  leftovers: Array<{ pid: number; pgid: number; sid: number | null; state: string; cmd: string }>;
  job?: JobRecord;
}

export interface StartSpec {
  argv: string[];
  env?: Record<string, string>;
  /** Short label (letters, digits, - _ .); part of the id. */
  name?: string;
  cwd?: string;
}

const SUPERVISOR = 'jobs/supervisor.py';
// Exit codes of the supervisor (see its docstring).
const NO_SUCH_JOB = 3;
const PIECE_FULL = 4;
const FOLLOW_PIECE = 8 << 20;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function newJobId(name = 'job', now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const slug = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 40) || 'job';
  return `${stamp}-${slug}-${randomBytes(3).toString('hex')}`;
}

function toRecord(j: z.infer<typeof JobSchema>): JobRecord {
  return {
    id: j.id, name: j.name, argv: j.argv, env: j.env, cwd: j.cwd ?? undefined, host: j.host, logPath: j.logPath,
    startedAt: j.startedAt, startedAtMs: j.startedAtMs, pid: j.pid, pgid: j.pgid, sid: j.sid, state: j.state,
    exitCode: j.exit?.code ?? null, exitSignal: j.exit?.signal ?? null, endedAt: j.exit?.endedAt,
    startError: j.exit?.error, logSize: j.logSize,
  };
}

export class JobError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'bad-input' | 'host') {
    super(message);
    this.name = 'JobError';
  }
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new JobError(l10n.t('the host answered {0} with something that is not JSON: {1}', what, text.slice(0, 200)), 'host');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new JobError(l10n.t('the host answered {0} in an unexpected shape: {1}', what, r.error.message.slice(0, 300)), 'host');
  return r.data;
}

export class DetachedJobs {
  private readonly root: string;
  private readonly python: string;
  private readonly followPiece: number;

  /** `followPieceBytes`: most bytes one follow exec streams before the next one takes over (default 8 MiB). */
  constructor(private readonly transport: Transport, opts: { root?: string; python?: string; followPieceBytes?: number } = {}) {
    this.root = opts.root ?? '~/.ascend-adapt/jobs';
    this.python = opts.python ?? 'python3';
    this.followPiece = opts.followPieceBytes ?? FOLLOW_PIECE;
  }

  private async helper(args: string[], what: string, stdin?: string, extra: { onStdout?: (b: Buffer) => void; signal?: AbortSignal } = {}) {
    const r = await execHostScript(this.transport, this.python, SUPERVISOR, [args[0], this.root, ...args.slice(1)], { stdin, ...extra });
    if (r.code === NO_SUCH_JOB) throw new JobError(l10n.t('no job {0} on {1}', args[1] ?? '', this.transport.label), 'not-found');
    if (r.code !== 0 && !(extra.signal?.aborted) && !(args[0] === 'follow' && r.code === PIECE_FULL)) {
      const err = r.stderr.toString().trim().split('\n').slice(-3).join('\n');
      throw new JobError(l10n.t('{0} failed on {1}: {2}', what, this.transport.label, err || `exit ${r.code ?? r.signal}`), 'host');
    }
    return r;
  }

  private checkId(id: string): void {
    if (!ID_RE.test(id)) throw new JobError(l10n.t('invalid job id: {0}', JSON.stringify(id)), 'bad-input');
  }

  async start(spec: StartSpec): Promise<JobRecord> {
    if (spec.argv.length === 0) throw new JobError(l10n.t('a job needs a command'), 'bad-input');
    for (const k of Object.keys(spec.env ?? {})) {
      if (!ENV_NAME.test(k)) throw new JobError(l10n.t('invalid environment variable name: {0}', JSON.stringify(k)), 'bad-input');
    }
    const id = newJobId(spec.name);
    const payload = JSON.stringify({ id, name: spec.name ?? '', argv: spec.argv, env: spec.env ?? {}, cwd: spec.cwd ?? null });
    const r = await this.helper(['start'], l10n.t('starting a job'), payload);
    return toRecord(parseJson(JobSchema, r.stdout.toString().trim(), 'start'));
  }

  async list(): Promise<JobRecord[]> {
    const r = await this.helper(['list'], l10n.t('listing jobs'));
    return parseJson(z.array(JobSchema), r.stdout.toString().trim(), 'list').map(toRecord);
  }

  async get(id: string): Promise<JobRecord> {
    this.checkId(id);
    const r = await this.helper(['status', id], l10n.t('reading a job'));
    return toRecord(parseJson(JobSchema, r.stdout.toString().trim(), 'status'));
  }

  /** Up to maxBytes of the log from byte `offset`; `offset` in the result is where the next read starts. */
  async readLog(id: string, offset = 0, maxBytes = 1 << 20): Promise<{ data: Buffer; offset: number; job: JobRecord }> {
    this.checkId(id);
    if (!Number.isInteger(offset) || offset < 0) throw new JobError(l10n.t('invalid log offset: {0}', String(offset)), 'bad-input');
    const r = await this.helper(['read', id, String(offset), String(maxBytes)], l10n.t('reading a job log'));
    const nl = r.stdout.indexOf(0x0a);
    if (nl < 0) throw new JobError(l10n.t('the host answered {0} with something that is not JSON: {1}', 'read', r.stdout.toString().slice(0, 200)), 'host');
    const job = toRecord(parseJson(JobSchema.extend({ offset: z.number() }), r.stdout.subarray(0, nl).toString(), 'read'));
    const data = r.stdout.subarray(nl + 1);
    return { data, offset: offset + data.length, job };
  }

  /**
   * Stream the log from `offset` until the job has ended and every byte is read (or `signal` aborts).
   * A dropped link is survived: the transport reconnects and reading resumes at the last byte received.
   * Returns the final offset.
   */
  async followLog(id: string, offset: number, onData: (chunk: Buffer, offsetAfter: number) => void, opts: { signal?: AbortSignal } = {}): Promise<number> {
    this.checkId(id);
    let at = offset;
    for (;;) {
      if (opts.signal?.aborted) return at;
      try {
        // Bounded pieces (PIECE_FULL: go on with the next) so no single exec buffers an unbounded log.
        const r = await this.helper(['follow', id, String(at), String(this.followPiece)], l10n.t('following a job log'), undefined, {
          signal: opts.signal,
          onStdout: (b) => { at += b.length; onData(b, at); },
        });
        if (r.code === PIECE_FULL) continue;
        return at;
      } catch (e) {
        if (e instanceof TransportError && (e.causeCode === 'LINK_LOST' || e.causeCode === 'CHANNEL')) continue;
        throw e;
      }
    }
  }

  /** TERM the job's group, KILL after graceMs, verify that nothing of it is left. */
  async stop(id: string, opts: { graceMs?: number } = {}): Promise<StopResult> {
    this.checkId(id);
    const r = await this.helper(['stop', id, String(opts.graceMs ?? 10_000)], l10n.t('stopping a job'));
    const s = parseJson(StopSchema, r.stdout.toString().trim(), 'stop');
    return { ...s, job: s.job ? toRecord(s.job) : undefined };
  }
}
