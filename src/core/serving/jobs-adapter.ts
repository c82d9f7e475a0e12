import { DetachedJobs, type JobRecord } from '../jobs/detached';
import type { Transport } from '../transport/transport';
import type { JobControl, JobStatus } from './jobs-port';

/** Serving's view of the SSH host layer's detached jobs (src/core/jobs/detached.ts). */
export function detachedJobs(opts: { graceMs?: number; root?: string; python?: string } = {}): JobControl {
  const jobs = (t: Transport) => new DetachedJobs(t, { root: opts.root, python: opts.python });
  const status = (j: JobRecord): JobStatus => ({
    id: j.id,
    running: j.state === 'running',
    exitCode: j.exitCode,
    startedAt: j.startedAtMs,
    logSize: j.logSize,
    ...(j.startError ? { startError: j.startError } : {}),
  });
  return {
    start: async (t, spec) => ({ id: (await jobs(t).start(spec)).id }),
    status: async (t, id) => status(await jobs(t).get(id)),
    readLog: async (t, id, offset, maxBytes) => {
      const r = await jobs(t).readLog(id, offset, maxBytes);
      return { data: r.data, next: r.offset, status: status(r.job) };
    },
    stop: async (t, id) => {
      const r = await jobs(t).stop(id, { graceMs: opts.graceMs });
      return { leftover: r.leftovers.map((p) => p.pid) };
    },
  };
}
