import * as l10n from '@vscode/l10n';
import { z } from 'zod';

/**
 * Performance results. Metric keys and meanings are vLLM's (`vllm bench serve`, vllm/benchmarks/serve.py):
 * request_throughput (req/s, the QPS of adaptation reports), output_throughput and total_token_throughput (tok/s),
 * {mean,median,std,p50,p90,p99}_{ttft,tpot,itl,e2el}_ms, plus duration, completed, failed,
 * total_input_tokens, total_output_tokens, max_output_tokens_per_s, max_concurrent_requests.
 */

export const PERF_SCHEMA = 'ascend-adapt.perf/1';

const Num = z.number().refine(Number.isFinite, 'must be a finite number');
export const MetricsSchema = z.record(z.string(), Num);
export type PerfMetrics = z.infer<typeof MetricsSchema>;

const RequestRate = z.union([Num, z.literal('inf')]);

const Count = z.number().int().nonnegative();

export const PerfHostRunSchema = z.object({
  concurrency: z.number().int().positive().nullable(),
  request_rate: RequestRate,
  metrics: MetricsSchema,
  /** Failure messages → count. */
  errors: z.record(z.string(), Count).default({}),
  /** Failure kinds (http_500, stalled, timeout, closed_before_response, …) → count. */
  failures: z.record(z.string(), Count).default({}),
  /** Requests moved to a fresh connection because the server had closed a kept-alive one (not failures). */
  reconnects: Count.default(0),
  /** Requests this run was to send. */
  num_requests: Count.optional(),
  /** Stopped by Ctrl-C / Stop / SIGTERM: metrics are over what completed before. */
  interrupted: z.boolean().default(false),
  /** Requests cut in flight by the interrupt (neither completed nor failed). */
  cut_in_flight: Count.default(0),
  not_started: Count.default(0),
  started: z.string().optional(),
  ended: z.string().optional(),
  vllm_result_file: z.string().optional(),
  command: z.array(z.string()).optional(),
});

export const HbmSchema = z.object({
  available: z.boolean(),
  n_samples: z.number().int().nonnegative().optional(),
  interval_s: z.number().optional(),
  peak: z.record(z.string(), z.object({ used_mb: z.number(), total_mb: z.number(), kind: z.string() })),
  samples: z.array(z.object({ t: z.number(), device: z.string(), used_mb: z.number() })).default([]),
  error: z.string().nullable().optional(),
});

export const PerfHostResultSchema = z.object({
  schema: z.literal(PERF_SCHEMA),
  engine: z.enum(['bundled', 'vllm', 'aisbench']),
  base_url: z.string(),
  endpoint: z.string(),
  model: z.string().nullable(),
  dataset: z.string(),
  num_prompts: z.number().int(),
  input_len: z.number().int(),
  output_len: z.number().int(),
  request_rate: RequestRate,
  simulated: z.boolean(),
  started: z.string(),
  ended: z.string().nullable(),
  burstiness: Num.optional(),
  /** The runs asked for (one per concurrency; null = no cap). */
  concurrencies: z.array(z.number().int().positive().nullable()).optional(),
  timeouts: z.object({ request_s: Num.nullable(), stall_s: Num.nullable() }).optional(),
  runs: z.array(PerfHostRunSchema),
  requests_file: z.string().nullable(),
  hbm: HbmSchema.optional(),
  interrupted: z.boolean().default(false),
  reconnects: Count.default(0),
  error: z.string().optional(),
});
export type PerfHostResult = z.infer<typeof PerfHostResultSchema>;

export class PerfFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PerfFileError';
  }
}

const METRIC_KEY = /^(mean|median|std|p\d+(?:\.\d+)?)_[a-z0-9_]+_ms$/;
const PLAIN_KEYS = new Set([
  'duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput',
  'output_throughput', 'total_token_throughput', 'max_output_tokens_per_s', 'max_concurrent_requests',
]);

/**
 * A `vllm bench serve --save-result` JSON → metrics (vLLM keys kept; p50_* added from median_*). Key sets
 * vary by vLLM version; only numbers are taken. Throws PerfFileError naming what is wrong.
 */
export function normalizeVllmBench(raw: unknown, where: string): { metrics: PerfMetrics; concurrency: number | null; requestRate: number | 'inf'; numPrompts: number | null; conditions: RunConditions } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new PerfFileError(l10n.t('{0}: a vllm bench result is a JSON object', where));
  const d = raw as Record<string, unknown>;
  const metrics: PerfMetrics = {};
  for (const [k, v] of Object.entries(d)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (PLAIN_KEYS.has(k) || METRIC_KEY.test(k)) metrics[k] = v;
  }
  if (metrics.completed === undefined) throw new PerfFileError(l10n.t('{0}: no "completed" field: not a vllm bench serve result', where));
  if (metrics.request_throughput === undefined) throw new PerfFileError(l10n.t('{0}: no "request_throughput" field: not a vllm bench serve result', where));
  for (const m of ['ttft', 'tpot', 'itl', 'e2el']) {
    const med = metrics[`median_${m}_ms`];
    if (med !== undefined && metrics[`p50_${m}_ms`] === undefined) metrics[`p50_${m}_ms`] = med;
  }
  if (metrics.failed === undefined) {
    const n = d.num_prompts;
    metrics.failed = typeof n === 'number' ? Math.max(0, n - metrics.completed) : 0;
  }
  const mc = d.max_concurrency;
  const rr = d.request_rate;
  return {
    metrics,
    concurrency: typeof mc === 'number' && mc > 0 ? mc : null,
    requestRate: typeof rr === 'number' && Number.isFinite(rr) ? rr : 'inf',
    numPrompts: typeof d.num_prompts === 'number' ? d.num_prompts : null,
    conditions: { model: typeof d.model_id === 'string' ? d.model_id : null, engine: 'vllm', inputLen: meanOf(d.input_lens), outputLen: meanOf(d.output_lens) },
  };
}

function meanOf(v: unknown): number | null {
  if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number')) return null;
  return Math.round((v as number[]).reduce((a, b) => a + b, 0) / v.length);
}

/**
 * What a run was measured under. Two runs are compared only when these agree (and their concurrency and
 * request rate): numbers from another model, engine or shape of requests are not a baseline.
 */
export interface RunConditions {
  model: string | null;
  /** bundled | vllm | aisbench (null: not recorded). */
  engine: string | null;
  /** Asked (or, when only that is known, mean) prompt and answer lengths in tokens. */
  inputLen: number | null;
  outputLen: number | null;
}

/** One run as faces show it. */
export interface PerfRun {
  concurrency: number | null;
  requestRate: number | 'inf';
  metrics: PerfMetrics;
  /** Failure messages → count. */
  errors: Record<string, number>;
  /** Failure kinds (http_500, stalled, timeout, closed_before_response, …) → count. */
  failures?: Record<string, number>;
  /** Requests moved to a fresh connection because the server had closed a kept-alive one (not failures). */
  reconnects?: number;
  /** Stopped by an interrupt: the metrics are over the requests that completed before it. */
  interrupted?: boolean;
  /** Requests cut in flight by the interrupt / never sent. */
  cutInFlight?: number;
  notStarted?: number;
  /** Requests the run was to send. */
  numRequests?: number;
  conditions?: RunConditions;
  startedAt?: string;
  endedAt?: string;
  /** vllm bench's own result file, when that engine ran. */
  vllmResultFile?: string;
}

/**
 * Baseline files accepted by `--baseline FILE`: a perf result of this same job (GPU host), the `--json` output
 * of `ascend-adapt perf`, or a `vllm bench serve --save-result` JSON.
 */
const JsonOutSchema = z.object({
  model: z.string().nullish(),
  engine: z.string().nullish(),
  inputLen: z.number().nullish(),
  outputLen: z.number().nullish(),
  runs: z.array(z.object({ concurrency: z.number().int().positive().nullable(), requestRate: RequestRate.optional(), metrics: MetricsSchema }).passthrough()).min(1),
});

export function parsePerfFile(text: string, where: string): { runs: PerfRun[]; simulated: boolean; source: 'perf-result' | 'perf-json' | 'vllm-bench' } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PerfFileError(l10n.t('{0} is not JSON: {1}', where, (e as Error).message));
  }
  const host = PerfHostResultSchema.safeParse(raw);
  if (host.success) return { runs: hostRuns(host.data), simulated: host.data.simulated, source: 'perf-result' };
  const out = JsonOutSchema.safeParse(raw);
  if (out.success) {
    const o = out.data;
    const conditions: RunConditions = { model: o.model ?? null, engine: o.engine ?? null, inputLen: o.inputLen ?? null, outputLen: o.outputLen ?? null };
    return {
      runs: o.runs.map((r) => ({ concurrency: r.concurrency, requestRate: r.requestRate ?? 'inf', metrics: r.metrics, errors: {}, conditions })),
      simulated: (raw as { simulated?: unknown }).simulated === true,
      source: 'perf-json',
    };
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'completed' in raw) {
    const v = normalizeVllmBench(raw, where);
    return { runs: [{ concurrency: v.concurrency, requestRate: v.requestRate, metrics: v.metrics, errors: {}, conditions: v.conditions }], simulated: false, source: 'vllm-bench' };
  }
  const i = host.error.issues[0];
  throw new PerfFileError(
    l10n.t('{0}: not a perf result, perf --json output or vllm bench serve result ({1}: {2})', where, i?.path.join('.') ?? '', i?.message ?? ''),
  );
}

export function hostRuns(r: PerfHostResult): PerfRun[] {
  const conditions: RunConditions = { model: r.model, engine: r.engine, inputLen: r.dataset === 'random' ? r.input_len : null, outputLen: r.output_len };
  return r.runs.map((x) => ({
    concurrency: x.concurrency, requestRate: x.request_rate, metrics: x.metrics, errors: x.errors,
    failures: x.failures, reconnects: x.reconnects, interrupted: x.interrupted, cutInFlight: x.cut_in_flight, notStarted: x.not_started,
    numRequests: x.num_requests ?? r.num_prompts, conditions,
    startedAt: x.started, endedAt: x.ended, vllmResultFile: x.vllm_result_file,
  }));
}

/** `--json` of `ascend-adapt perf`, validated before printing. */
export const PerfJsonSchema = z.object({
  runs: z.array(z.object({ concurrency: z.number().int().positive().nullable(), metrics: MetricsSchema }).passthrough()),
}).passthrough();

/** The metric keys the issue asks every run to carry (when the engine measured them). */
export const REQUIRED_KEYS = [
  'request_throughput', 'output_throughput', 'total_token_throughput',
  ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => [`mean_${m}_ms`, `median_${m}_ms`, `p50_${m}_ms`, `p90_${m}_ms`, `p99_${m}_ms`]),
] as const;
