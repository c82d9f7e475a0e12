import type { Transport } from '../transport/transport';
import { DetachedJobs, type JobRecord } from './detached';

/**
 * Job control by transport: the one API the long-lived monitors (serving, the validation run) use, so a
 * monitor can switch transports after a reconnect and keep its job. `jobControl()` binds it to detached
 * jobs (one DetachedJobs per transport); tests use the same binding (no stand-in).
 */
export interface JobStartSpec {
  argv: string[];
  env: Record<string, string>;
  name: string;
  cwd?: string;
}

export interface JobStatus {
  id: string;
  running: boolean;
  exitCode: number | null;
  /** Epoch ms when the job started on the host, when known. */
  startedAt: number | null;
  /** Size of the log so far, in bytes, when known. */
  logSize: number | null;
  /** Why the command could not be started at all (e.g. "No such file or directory: 'vllm'"). */
  startError?: string;
}

export interface JobStopReport {
  /** Pids of the job's process group still alive after TERM, grace, KILL (empty = clean). */
  leftover: number[];
}

export interface JobControl {
  start(transport: Transport, spec: JobStartSpec): Promise<{ id: string }>;
  status(transport: Transport, id: string): Promise<JobStatus>;
  /**
   * Bytes of the log from `offset` (at most maxBytes); `next` = offset + data.length. `status` is the job's
   * state as of that read, taken before the bytes (saves a round trip per poll).
   */
  readLog(transport: Transport, id: string, offset: number, maxBytes?: number): Promise<{ data: Buffer; next: number; status?: JobStatus }>;
  stop(transport: Transport, id: string): Promise<JobStopReport>;
  /** The full detached-jobs API on one transport (records with log paths, follow, list). */
  on(transport: Transport): DetachedJobs;
}

export interface JobControlOptions {
  /** Jobs folder on the host (default ~/.ascend-adapt/jobs). */
  root?: string;
  python?: string;
  /** TERM → KILL grace of stop (default 10 s). */
  graceMs?: number;
}

export function jobStatus(j: JobRecord): JobStatus {
  return {
    id: j.id,
    running: j.state === 'running',
    exitCode: j.exitCode,
    startedAt: j.startedAtMs,
    logSize: j.logSize,
    ...(j.startError ? { startError: j.startError } : {}),
  };
}

export function jobControl(opts: JobControlOptions = {}): JobControl {
  const byTransport = new WeakMap<Transport, DetachedJobs>();
  const on = (t: Transport): DetachedJobs => {
    let j = byTransport.get(t);
    if (!j) byTransport.set(t, (j = new DetachedJobs(t, { root: opts.root, python: opts.python })));
    return j;
  };
  return {
    on,
    start: async (t, spec) => ({ id: (await on(t).start(spec)).id }),
    status: async (t, id) => jobStatus(await on(t).get(id)),
    readLog: async (t, id, offset, maxBytes) => {
      const r = await on(t).readLog(id, offset, maxBytes);
      return { data: r.data, next: r.offset, status: jobStatus(r.job) };
    },
    stop: async (t, id) => ({ leftover: (await on(t).stop(id, { graceMs: opts.graceMs })).leftovers.map((p) => p.pid) }),
  };
}
