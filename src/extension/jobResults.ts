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

export interface PerfSummary {
  at: string;
  simulated: boolean;
  engine: string;
  runs: Array<{ concurrency: number | null; requestThroughput: number | null; outputThroughput: number | null; meanTtftMs: number | null; meanTpotMs: number | null; p99E2elMs: number | null; failed: number }>;
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
