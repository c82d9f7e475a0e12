/**
 * The host-job layer: everything that runs on, reads from or writes to a host on behalf of a job.
 *
 *   detached.ts   DetachedJobs — start / list / status / read log by offset / follow / stop a job on a host
 *                 (host half: python/jobs/supervisor.py)
 *   control.ts    jobControl() — the same by transport, for monitors that outlive a connection (serving, validate)
 *   hostfiles.ts  host python, mkdir, upload, read back from an offset, copy to this machine
 *   simhost.ts    withSimEnv — run argv through a simulated host's env.sh
 *   hostjob.ts    runHostJob (or startHostJob → followHostJob) — a host script as a job: progress lines,
 *                 zod-checked result file, abort keeps the partial result (accuracy, perf, and every new
 *                 kind of host-script job: a HostJobKind)
 */
export { DetachedJobs, JobError, newJobId, type JobRecord, type JobState, type StartSpec, type StopResult } from './detached';
export { jobControl, jobStatus, type JobControl, type JobControlOptions, type JobStartSpec, type JobStatus, type JobStopReport } from './control';
export { copyFromHost, hostMkdir, hostPython, hostReadFile, hostWriteFile, HostIoError, runFolderName, type ReadOptions } from './hostfiles';
export { unwrapSimEnv, withSimEnv } from './simhost';
export {
  followHostJob,
  followJobToEnd,
  HostJobError,
  LineSplitter,
  parseResultFile,
  readHostJobResult,
  runHostJob,
  startHostJob,
  type FollowOptions,
  type HostJobCommand,
  type HostJobEvidence,
  type HostJobKind,
  type HostJobOptions,
  type HostJobOutcome,
  type HostJobRef,
  type HostJobSite,
  type JobToEnd,
  type StartOptions,
} from './hostjob';
