import type { PerfRun, RunConditions } from './schema';

/**
 * NPU vs GPU per metric, as adaptation reports write it (0.94×): the ratio is "NPU performance / GPU performance", so > 1 means
 * the NPU does better whichever way the metric points (throughputs: measured / baseline; latencies:
 * baseline / measured). A metric passes when ratio ≥ minRatio.
 */

export const DEFAULT_MIN_RATIO = 0.9;

/** Metrics compared against a baseline (when both sides have them), in display order. */
export const COMPARED_METRICS = [
  'request_throughput', 'output_throughput', 'total_token_throughput',
  'mean_ttft_ms', 'median_ttft_ms', 'p90_ttft_ms', 'p99_ttft_ms',
  'mean_tpot_ms', 'median_tpot_ms', 'p90_tpot_ms', 'p99_tpot_ms',
  'mean_itl_ms', 'p99_itl_ms',
  'mean_e2el_ms', 'median_e2el_ms', 'p90_e2el_ms', 'p99_e2el_ms',
] as const;

export function higherIsBetter(key: string): boolean {
  return key.endsWith('_throughput') || key === 'max_output_tokens_per_s' || key === 'request_goodput' || key === 'completed';
}

export interface MetricComparison {
  key: string;
  higherIsBetter: boolean;
  measured: number;
  baseline: number | null;
  ratio: number | null;
  minRatio: number;
  verdict: 'pass' | 'fail' | null;
}

export function perfRatio(baseline: number | null, measured: number | null, hib: boolean): number | null {
  if (baseline === null || measured === null || baseline <= 0 || measured <= 0) return null;
  return hib ? measured / baseline : baseline / measured;
}

/** The baseline run that goes with a measured run: same concurrency, else the only one there is. */
export function matchBaselineRun(run: PerfRun, baseline: readonly PerfRun[]): PerfRun | null {
  const same = baseline.find((b) => b.concurrency === run.concurrency);
  if (same) return same;
  return baseline.length === 1 ? baseline[0]! : null;
}

export function compareRun(run: PerfRun, base: PerfRun | null, minRatio = DEFAULT_MIN_RATIO, keys: readonly string[] = COMPARED_METRICS): MetricComparison[] {
  const out: MetricComparison[] = [];
  for (const key of keys) {
    const measured = run.metrics[key];
    if (measured === undefined) continue;
    const b = base?.metrics[key];
    const hib = higherIsBetter(key);
    const ratio = perfRatio(b ?? null, measured, hib);
    out.push({
      key, higherIsBetter: hib, measured, baseline: b ?? null, ratio: ratio === null ? null : Math.round(ratio * 1e4) / 1e4, minRatio,
      verdict: ratio === null ? null : ratio >= minRatio - 1e-9 ? 'pass' : 'fail',
    });
  }
  return out;
}

/** One way a baseline run was measured differently from the run it is compared with. */
export interface BaselineMismatch {
  field: 'model' | 'engine' | 'concurrency' | 'requestRate' | 'inputLen' | 'outputLen';
  measured: string;
  baseline: string;
}

/** Lengths within 10 % are the same shape of request (baselines often only carry means of actual lengths). */
const LENGTH_TOLERANCE = 0.1;

function modelKey(m: string): string {
  return m.replace(/\/+$/, '').split('/').pop()!.toLowerCase();
}

/** Mean tokens per completed request from a run's totals, else the asked length. */
function lengthOf(run: PerfRun, total: string, asked: number | null | undefined): number | null {
  const n = run.metrics.completed;
  const t = run.metrics[total];
  if (n && t !== undefined) return t / n;
  return asked ?? null;
}

/**
 * How a baseline run differs from the measured one in what decides the numbers: model (compared by its last
 * path part, so /models/Qwen3-8B = Qwen/Qwen3-8B), engine, concurrency, request rate, input and output length.
 * Unknown on either side is not a difference.
 */
export function baselineMismatches(run: PerfRun, base: PerfRun): BaselineMismatch[] {
  const out: BaselineMismatch[] = [];
  const a: Partial<RunConditions> = run.conditions ?? {};
  const b: Partial<RunConditions> = base.conditions ?? {};
  if (a.model && b.model && modelKey(a.model) !== modelKey(b.model)) out.push({ field: 'model', measured: a.model, baseline: b.model });
  if (a.engine && b.engine && a.engine !== b.engine) out.push({ field: 'engine', measured: a.engine, baseline: b.engine });
  if (run.concurrency !== base.concurrency) out.push({ field: 'concurrency', measured: String(run.concurrency ?? 'inf'), baseline: String(base.concurrency ?? 'inf') });
  if (String(run.requestRate) !== String(base.requestRate)) out.push({ field: 'requestRate', measured: String(run.requestRate), baseline: String(base.requestRate) });
  for (const [field, total] of [['inputLen', 'total_input_tokens'], ['outputLen', 'total_output_tokens']] as const) {
    const x = lengthOf(run, total, a[field]);
    const y = lengthOf(base, total, b[field]);
    if (x !== null && y !== null && Math.abs(x - y) > LENGTH_TOLERANCE * Math.max(x, y)) {
      out.push({ field, measured: String(Math.round(x)), baseline: String(Math.round(y)) });
    }
  }
  return out;
}
