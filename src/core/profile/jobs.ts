import * as l10n from '@vscode/l10n';
import { HostJobError, runHostJob, type DetachedJobs, type HostJobEvidence, type HostJobKind } from '../jobs/index';
import type { Transport } from '../transport/transport';
import { CaptureSchema, SummarySchema, type CapturePhase, type CaptureResult, type ProfileSummary } from './schema';

/**
 * The two host-script jobs of a profile, as kinds of the host-job skeleton (src/core/jobs/hostjob.ts):
 *   PROFILE_SUMMARY_JOB  python/profile/summarize.py DIR… — streams the CSVs of ASCEND_PROFILER_OUTPUT on the
 *                        host (hundreds of MB never cross the link) and returns the aggregates;
 *   PROFILE_CAPTURE_JOB  python/profile/capture.py — /start_profile, a short load, /stop_profile, waits for the
 *                        parser's output of every rank, stops the serving job it was given, summarises. A
 *                        detached job: a lost link stops nothing, and the job itself turns the profiler off.
 */

export class ProfileJobError extends HostJobError {
  constructor(message: string, evidence?: HostJobEvidence) {
    super(message, evidence);
    this.name = 'ProfileJobError';
  }
}

export interface SummarySpec {
  /** Folders ON THE HOST: a profiler directory, a *_ascend_pt folder or its ASCEND_PROFILER_OUTPUT. */
  dirs: string[];
  top?: number;
  aicpuMinUs?: number;
}

export interface SummaryProgress {
  rank: number;
  ranks: number;
  /** MB of kernel_details.csv read so far (when a big file is being read). */
  mb: number | null;
}

const RANK_LINE = /^progress: rank (\d+)\/(\d+)(?: kernel_details\.csv (\d+) MB)?/;

export function parseSummaryProgress(line: string): SummaryProgress | null {
  const m = RANK_LINE.exec(line);
  return m ? { rank: Number(m[1]), ranks: Number(m[2]), mb: m[3] === undefined ? null : Number(m[3]) } : null;
}

export const PROFILE_SUMMARY_JOB: HostJobKind<SummarySpec, SummaryProgress, ProfileSummary> = {
  name: 'profile-summary',
  title: () => l10n.t('profile summary job'),
  resultFile: 'summary.json',
  result: SummarySchema,
  argv: (s, at) => [
    at.python, `${at.scriptsDir}/profile/summarize.py`, ...s.dirs, '--out', at.resultPath,
    ...(s.top !== undefined ? ['--top', String(s.top)] : []),
    ...(s.aicpuMinUs !== undefined ? ['--aicpu-min-us', String(s.aicpuMinUs)] : []),
  ],
  progress: parseSummaryProgress,
  error: ProfileJobError,
};

export interface CaptureSpec {
  /** The server as the HOST reaches it. */
  baseUrl: string;
  model?: string;
  /** Where the server's profiler writes (its torch_profiler_dir), on the host. */
  profilerDir: string;
  /** Ranks expected to write output (TP × PP × DP). */
  ranks: number;
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  concurrency: number;
  parseTimeoutS?: number;
  /** The serving job this capture started: the capture job stops it when it is done (or stopped). */
  stopServerJob?: { id: string; jobsRoot: string };
  top?: number;
  aicpuMinUs?: number;
  /** Poll interval of the output wait (s); tests make it short. */
  pollS?: number;
}

export type CaptureProgress = { phase: CapturePhase } | SummaryProgress;

const PHASE_LINE = /^progress: phase (\w+)/;

export function parseCaptureProgress(line: string): CaptureProgress | null {
  const m = PHASE_LINE.exec(line);
  if (m) return { phase: m[1] as CapturePhase };
  return parseSummaryProgress(line);
}

export function captureArgv(s: CaptureSpec, scriptsDir: string, resultPath: string, python: string): string[] {
  const argv = [
    python, `${scriptsDir}/profile/capture.py`, '--base-url', s.baseUrl, '--profiler-dir', s.profilerDir, '--out', resultPath,
    '--ranks', String(s.ranks), '--num-prompts', String(s.numPrompts), '--input-len', String(s.inputLen),
    '--output-len', String(s.outputLen), '--concurrency', String(s.concurrency),
  ];
  if (s.model) argv.push('--model', s.model);
  if (s.parseTimeoutS !== undefined) argv.push('--parse-timeout', String(s.parseTimeoutS));
  if (s.stopServerJob) argv.push('--stop-server-job', s.stopServerJob.id, '--jobs-root', s.stopServerJob.jobsRoot);
  if (s.top !== undefined) argv.push('--top', String(s.top));
  if (s.aicpuMinUs !== undefined) argv.push('--aicpu-min-us', String(s.aicpuMinUs));
  if (s.pollS !== undefined) argv.push('--poll', String(s.pollS));
  return argv;
}

export const PROFILE_CAPTURE_JOB: HostJobKind<CaptureSpec, CaptureProgress, CaptureResult> = {
  name: 'profile',
  title: () => l10n.t('profile job'),
  resultFile: 'capture.json',
  result: CaptureSchema,
  argv: (s, at) => captureArgv(s, at.scriptsDir, at.resultPath, at.python),
  progress: parseCaptureProgress,
  error: ProfileJobError,
};

export interface SummarizeOptions {
  transport: Transport;
  spec: SummarySpec;
  jobs?: DetachedJobs;
  signal?: AbortSignal;
  onProgress?: (p: SummaryProgress) => void;
}

/** `profile summarize DIR`: the summary job over a folder on the host (or this machine). */
export async function summarizeProfile(o: SummarizeOptions): Promise<{ summary: ProfileSummary; evidence: HostJobEvidence; interrupted: boolean }> {
  const { result, evidence, interrupted } = await runHostJob(PROFILE_SUMMARY_JOB, o.spec, { transport: o.transport, jobs: o.jobs, signal: o.signal, onProgress: o.onProgress });
  return { summary: result, evidence, interrupted };
}
