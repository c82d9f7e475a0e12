import type { Transport } from '../transport/transport';

/**
 * What serving needs from detached jobs (the SSH host layer's `src/core/jobs/detached.ts`): start a
 * command in its own session with its output in a log file on the host, read that log from a byte offset,
 * ask whether it still runs, stop its whole process group. `detachedJobs()` in ./jobs-adapter binds this
 * to the real implementation; tests use the same binding (no stand-in).
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
   * Bytes of the log from `offset` (at most maxBytes); `next` = offset + data.length. `status`, when the
   * implementation has it at hand, is the job's state as of that read (saves a round trip per poll).
   */
  readLog(transport: Transport, id: string, offset: number, maxBytes?: number): Promise<{ data: Buffer; next: number; status?: JobStatus }>;
  stop(transport: Transport, id: string): Promise<JobStopReport>;
}
