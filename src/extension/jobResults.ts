import type { ServingJobRecord, StopReport } from '../core/serving/job';
import type { SmokeReport } from '../core/smoke/index';

/** What the Jobs view keeps about a serving job and the runs against it (saved in workspace state). */

export interface AccuracySummary {
  at: string;
  simulated: boolean;
  engine: string;
  datasets: Array<{ name: string; metric: string | null; value: number | null; n: number; reference: number | null; verdict: string | null }>;
  error: string | null;
  runDir: string;
}

/** Mean and percentiles of one latency (ms); null when the run had no successful request to measure it on. */
export interface LatencyStats {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;

export interface PerfSummary {
  at: string;
  simulated: boolean;
  engine: string;
  runs: Array<{
    concurrency: number | null;
    requestThroughput: number | null;
    outputThroughput: number | null;
    meanTtftMs: number | null;
    meanTpotMs: number | null;
    p99E2elMs: number | null;
    failed: number;
    /** TTFT, TPOT, ITL, E2EL: mean, P50, P90, P99 (summaries saved before these existed lack it). */
    latency?: Record<(typeof LATENCY_METRICS)[number], LatencyStats>;
    interrupted?: boolean;
    reconnects?: number;
    /** NPU output throughput ÷ the GPU baseline's, when compared with one. */
    throughputRatio?: number | null;
  }>;
  interrupted?: boolean;
  error: string | null;
  runDir: string;
  /** The baseline file compared with, if any. */
  baseline?: string | null;
  /** What was asked for (prompts, lengths, rate, baseline). */
  plan?: { concurrency: number[]; numPrompts: number; inputLen: number; outputLen: number; requestRate: number | null; baseline: string | null };
}

export interface TrackedJob {
  hostId: string;
  /** For a simulated host: its folder (the job runs through its env.sh). */
  simRoot?: string;
  record: ServingJobRecord;
  smoke?: SmokeReport;
  stop?: StopReport;
  accuracy?: AccuracySummary;
  perf?: PerfSummary;
}

export function isRunning(j: TrackedJob): boolean {
  return j.record.state === 'starting' || j.record.state === 'ready';
}

export type AccuracyOutcome = 'pass' | 'fail' | 'no-reference';

/**
 * One dataset's outcome: its verdict against the reference, "no reference" (neutral) when there is none
 * to compare with — and never a pass at 0 %: no answer right means something is broken (template, stop
 * token, the wrong model), whatever the reference says.
 */
export function accuracyOutcome(d: AccuracySummary['datasets'][number]): AccuracyOutcome {
  if (d.value === 0) return 'fail';
  if (d.verdict === 'fail') return 'fail';
  if (d.verdict === 'pass') return 'pass';
  return 'no-reference';
}

/** The run's outcome: any failure fails it; it passes only when every dataset was judged and passed. */
export function accuracyRunOutcome(a: AccuracySummary): AccuracyOutcome | 'error' {
  if (a.error) return 'error';
  const all = a.datasets.map(accuracyOutcome);
  if (all.includes('fail')) return 'fail';
  if (all.length && all.every((o) => o === 'pass')) return 'pass';
  return 'no-reference';
}
