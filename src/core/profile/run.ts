import * as l10n from '@vscode/l10n';
import { followHostJob, hostMkdir, hostPython, jobControl, runFolderName, startHostJob, type HostJobEvidence, type HostJobRef, type JobControl } from '../jobs/index';
import type { NamedProfile } from '../profiles/schema';
import { worldSize } from '../serving/command';
import { attachServing, servingRecordFromJob, startServing, type ServingJob, type ServingJobRecord, type StopReport } from '../serving/job';
import type { EnvSnapshot } from '../serving/preflight';
import type { Transport } from '../transport/transport';
import { profilerOf, withProfiler } from './config';
import { PROFILE_CAPTURE_JOB, type CaptureProgress, type CaptureSpec } from './jobs';
import type { CaptureResult } from './schema';

/**
 * A profile of a served model, end to end:
 *   1. the profile's server with `--profiler-config` (JSON form, profiler torch, a folder under this run's
 *      folder): started here — or a running server of the profile that already has one, used as it is; one
 *      running without it is refused, or stopped and started again with `restart`;
 *   2. the capture job on the host (python/profile/capture.py): /start_profile, a short fixed-length load with
 *      the perf client, /stop_profile, the parser's output of every rank, the summary;
 *   3. the server stopped when this run started it (the capture job stops it too, so a run whose client went
 *      away leaves nothing running), with the NPUs checked idle.
 * Abort (Ctrl-C, Stop) at any point: a server still starting is stopped; a running capture job is stopped (it
 * sends /stop_profile before it exits); then the server. Profiling is never left on.
 *
 * The record is plain data: store it, and `followProfile` picks the run up again from any connection.
 */

export interface ProfileSpec {
  numPrompts?: number;
  inputLen?: number;
  outputLen?: number;
  concurrency?: number;
  withStack?: boolean;
  parseTimeoutS?: number;
  top?: number;
  aicpuMinUs?: number;
  /** A running server of the profile without --profiler-config is stopped and started again with it. */
  restart?: boolean;
  pollS?: number;
}

export const PROFILE_DEFAULTS = { numPrompts: 8, inputLen: 128, outputLen: 32, concurrency: 4 } as const;

export type ProfileState = 'starting-server' | 'capturing' | 'done' | 'failed' | 'interrupted';

export interface ProfileRecord {
  /** The capture job's id (null until it started). */
  id: string | null;
  host: string;
  profileName: string | null;
  simulated: boolean;
  runDir: string;
  profilerDir: string;
  server: { jobId: string; startedByUs: boolean; record: ServingJobRecord | null } | null;
  capture: HostJobRef | null;
  state: ProfileState;
  startedAt: string;
  endedAt: string | null;
  result: CaptureResult | null;
  evidence: HostJobEvidence | null;
  stop: StopReport | null;
  error: string | null;
  /** no-profiler-endpoint, server-without-profiler, server-failed, no-output, load-failed, … */
  errorKind: string | null;
}

export type ProfileEvent =
  | { type: 'server'; state: 'found' | 'starting' | 'ready' | 'stopping' | 'stopped'; jobId: string; report?: StopReport }
  | { type: 'capture'; jobId: string; runDir: string }
  | { type: 'progress'; progress: CaptureProgress }
  | { type: 'line'; line: string };

export class ProfileRefusedError extends Error {
  constructor(message: string, readonly kind: 'server-without-profiler') {
    super(message);
    this.name = 'ProfileRefusedError';
  }
}

export interface RunProfileOptions {
  transport: Transport;
  profile: NamedProfile;
  spec?: ProfileSpec;
  /** Job folders on the host (default ~/.ascend-adapt/jobs). */
  jobsRoot?: string;
  control?: JobControl;
  env?: EnvSnapshot;
  /** The serving monitor's poll interval (ms). */
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: ProfileEvent) => void;
  /** Called with the record whenever it changes (store it to follow the run again after a reload). */
  onRecord?: (r: ProfileRecord) => void;
}

const JOBS_ROOT = '~/.ascend-adapt/jobs';

function newRecord(t: Transport, profile: NamedProfile | null, runDir: string, profilerDir: string): ProfileRecord {
  return {
    id: null, host: t.label, profileName: profile?.name ?? null, simulated: Boolean(profile?.simRoot), runDir, profilerDir, server: null,
    capture: null, state: 'starting-server', startedAt: new Date().toISOString(), endedAt: null, result: null, evidence: null, stop: null,
    error: null, errorKind: null,
  };
}

/** A running serving job of this profile on the host, if there is one. */
async function runningServer(o: RunProfileOptions, control: JobControl): Promise<ServingJobRecord | null> {
  const jobs = await control.on(o.transport).list();
  for (const j of jobs) {
    if (j.state !== 'running') continue;
    const rec = servingRecordFromJob(j, o.transport.label);
    if (rec && rec.profileName === o.profile.name) return rec;
  }
  return null;
}

/** The server to profile: found running with a profiler, or started here with one. */
async function serverFor(o: RunProfileOptions, control: JobControl, rec: ProfileRecord): Promise<{ job: ServingJob; startedByUs: boolean } | null> {
  const found = await runningServer(o, control);
  if (found) {
    const prof = profilerOf(found.command.vllmArgv);
    const job = attachServing(o.transport, found, o.profile, { jobs: control, pollMs: o.pollMs });
    if (prof?.profiler && prof.dir) {
      rec.profilerDir = prof.dir;
      o.onEvent?.({ type: 'server', state: 'found', jobId: found.jobId });
      return { job, startedByUs: false };
    }
    if (!o.spec?.restart) {
      await job.dispose();
      throw new ProfileRefusedError(l10n.t('The server of profile "{0}" (job {1}) runs without --profiler-config, so it has no /start_profile. Restart it with the profiler (--restart stops it and starts it again with one).', o.profile.name, found.jobId), 'server-without-profiler');
    }
    o.onEvent?.({ type: 'server', state: 'stopping', jobId: found.jobId });
    await job.stop();
  }
  const { profile } = withProfiler(o.profile, rec.profilerDir, o.spec?.withStack);
  const job = await startServing(o.transport, profile, { jobs: control, env: o.env, pollMs: o.pollMs });
  o.onEvent?.({ type: 'server', state: 'starting', jobId: job.id });
  return { job, startedByUs: true };
}

/** Resolves when the server is ready (or has failed); null when aborted first. */
function readyOrAbort(job: ServingJob, signal?: AbortSignal): Promise<ServingJobRecord | null> {
  if (signal?.aborted) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onAbort = () => resolve(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    void job.waitReady().then((r) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    });
  });
}

function captureSpec(o: RunProfileOptions, rec: ProfileRecord, server: ServingJobRecord, startedByUs: boolean, jobsRoot: string): CaptureSpec {
  const s = o.spec ?? {};
  return {
    baseUrl: `http://127.0.0.1:${server.command.port}`, model: server.command.servedModelName, profilerDir: rec.profilerDir,
    ranks: Math.max(1, server.command.worldSize || worldSize(o.profile)),
    numPrompts: s.numPrompts ?? PROFILE_DEFAULTS.numPrompts, inputLen: s.inputLen ?? PROFILE_DEFAULTS.inputLen,
    outputLen: s.outputLen ?? PROFILE_DEFAULTS.outputLen, concurrency: s.concurrency ?? PROFILE_DEFAULTS.concurrency,
    parseTimeoutS: s.parseTimeoutS, top: s.top, aicpuMinUs: s.aicpuMinUs, pollS: s.pollS,
    ...(startedByUs ? { stopServerJob: { id: server.jobId, jobsRoot } } : {}),
  };
}

/** Server → capture job → stop: the whole profile run (see the top of this file). */
export async function runProfile(o: RunProfileOptions): Promise<ProfileRecord> {
  const t = o.transport;
  const control = o.control ?? jobControl({ root: o.jobsRoot });
  const python = await hostPython(t);
  const runDir = await hostMkdir(t, `~/.ascend-adapt/runs/${runFolderName('profile')}`, python);
  const rec = newRecord(t, o.profile, runDir, `${runDir}/torch_profile`);
  const changed = () => o.onRecord?.(JSON.parse(JSON.stringify(rec)) as ProfileRecord);
  let server: { job: ServingJob; startedByUs: boolean } | null = null;
  try {
    server = await serverFor(o, control, rec);
    if (!server) return rec;
    rec.server = { jobId: server.job.id, startedByUs: server.startedByUs, record: server.job.record() };
    changed();
    const ready = await readyOrAbort(server.job, o.signal);
    if (!ready) return finish(rec, 'interrupted', null);
    rec.simulated ||= ready.simulated;
    rec.server.record = ready;
    if (ready.state !== 'ready') return finish(rec, 'failed', { kind: 'server-failed', message: ready.failure?.message ?? l10n.t('the server did not become ready ({0})', ready.state) });
    o.onEvent?.({ type: 'server', state: 'ready', jobId: ready.jobId });
    const spec = captureSpec(o, rec, ready, server.startedByUs, o.jobsRoot ?? JOBS_ROOT);
    const { ref, job } = await startHostJob(PROFILE_CAPTURE_JOB, spec, { transport: t, jobs: control.on(t), runDir, python });
    rec.id = job.id;
    rec.capture = ref;
    rec.state = 'capturing';
    changed();
    o.onEvent?.({ type: 'capture', jobId: job.id, runDir });
    await followCapture(t, rec, { control, signal: o.signal, onEvent: o.onEvent });
    return rec;
  } catch (e) {
    if (e instanceof ProfileRefusedError) return finish(rec, 'failed', { kind: e.kind, message: e.message });
    rec.state = 'failed';
    throw e;
  } finally {
    if (server?.startedByUs) await stopServer(server.job, rec, o.onEvent);
    else await server?.job.dispose();
    rec.endedAt ??= new Date().toISOString();
    changed();
  }
}

function finish(rec: ProfileRecord, state: ProfileState, err: { kind: string; message: string } | null): ProfileRecord {
  rec.state = state;
  if (err) {
    rec.error = err.message;
    rec.errorKind = err.kind;
  }
  rec.endedAt = new Date().toISOString();
  return rec;
}

async function stopServer(job: ServingJob, rec: ProfileRecord, onEvent?: (e: ProfileEvent) => void): Promise<void> {
  onEvent?.({ type: 'server', state: 'stopping', jobId: job.id });
  rec.stop = await job.stop();
  if (rec.server) rec.server.record = job.record();
  onEvent?.({ type: 'server', state: 'stopped', jobId: job.id, report: rec.stop });
}

/** Human words for the capture job's error kinds that say more than its message. */
function captureError(r: CaptureResult): string | null {
  if (!r.error) return null;
  if (r.errorKind === 'no-profiler-endpoint') return l10n.t('The server lacks --profiler-config: {0}', r.error);
  return r.error;
}

/**
 * Follows a started capture job from its first byte to its end (abort: the job is stopped and turns the
 * profiler off) and fills the record with its result. Works on a job that already ended, from any connection.
 */
export async function followCapture(t: Transport, rec: ProfileRecord, o: { control?: JobControl; signal?: AbortSignal; onEvent?: (e: ProfileEvent) => void } = {}): Promise<ProfileRecord> {
  if (!rec.capture) throw new Error(l10n.t('the profile run has no capture job'));
  const control = o.control ?? jobControl();
  const out = await followHostJob(PROFILE_CAPTURE_JOB, t, rec.capture, {
    jobs: control.on(t), signal: o.signal, stopGraceMs: 60_000,
    onLine: (line) => o.onEvent?.({ type: 'line', line }),
    onProgress: (p) => o.onEvent?.({ type: 'progress', progress: p }),
  });
  rec.result = out.result;
  rec.evidence = out.evidence;
  rec.simulated ||= out.result.summary?.simulated === true;
  const err = captureError(out.result);
  rec.error = err;
  rec.errorKind = out.result.errorKind;
  rec.state = out.interrupted || out.result.interrupted ? 'interrupted' : out.result.summary ? 'done' : 'failed';
  rec.endedAt = out.evidence.endedAt ?? new Date().toISOString();
  return rec;
}

/**
 * Picks up a run again (after a reload / reconnect): follows its capture job to the end, then stops the
 * server when the run started it (the capture job has usually done so already; this checks the NPUs).
 */
export async function resumeProfile(t: Transport, rec: ProfileRecord, o: { control?: JobControl; signal?: AbortSignal; onEvent?: (e: ProfileEvent) => void; profile?: { simRoot?: string } } = {}): Promise<ProfileRecord> {
  const control = o.control ?? jobControl();
  try {
    if (rec.capture) await followCapture(t, rec, { ...o, control });
  } finally {
    if (rec.server?.startedByUs && rec.server.record) {
      const job = attachServing(t, rec.server.record, o.profile ?? {}, { jobs: control });
      await stopServer(job, rec, o.onEvent);
    }
  }
  return rec;
}

export interface CaptureOnlyOptions {
  transport: Transport;
  /** The server as the host reaches it. */
  baseUrl: string;
  model?: string;
  profilerDir: string;
  ranks?: number;
  spec?: ProfileSpec;
  jobsRoot?: string;
  signal?: AbortSignal;
  onEvent?: (e: ProfileEvent) => void;
}

/** A server that is not ours (`--endpoint URL --profiler-dir DIR`): only the capture job; nothing is stopped. */
export async function profileEndpoint(o: CaptureOnlyOptions): Promise<ProfileRecord> {
  const t = o.transport;
  const control = jobControl({ root: o.jobsRoot });
  const python = await hostPython(t);
  const runDir = await hostMkdir(t, `~/.ascend-adapt/runs/${runFolderName('profile')}`, python);
  const rec = newRecord(t, null, runDir, o.profilerDir);
  const s = o.spec ?? {};
  const spec: CaptureSpec = {
    baseUrl: o.baseUrl, model: o.model, profilerDir: o.profilerDir, ranks: o.ranks ?? 1,
    numPrompts: s.numPrompts ?? PROFILE_DEFAULTS.numPrompts, inputLen: s.inputLen ?? PROFILE_DEFAULTS.inputLen,
    outputLen: s.outputLen ?? PROFILE_DEFAULTS.outputLen, concurrency: s.concurrency ?? PROFILE_DEFAULTS.concurrency,
    parseTimeoutS: s.parseTimeoutS, top: s.top, aicpuMinUs: s.aicpuMinUs, pollS: s.pollS,
  };
  const { ref, job } = await startHostJob(PROFILE_CAPTURE_JOB, spec, { transport: t, jobs: control.on(t), runDir, python });
  rec.id = job.id;
  rec.capture = ref;
  rec.state = 'capturing';
  o.onEvent?.({ type: 'capture', jobId: job.id, runDir });
  return followCapture(t, rec, { control, signal: o.signal, onEvent: o.onEvent });
}
