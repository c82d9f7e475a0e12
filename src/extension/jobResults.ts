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
  }>;
  interrupted?: boolean;
  error: string | null;
  runDir: string;
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
