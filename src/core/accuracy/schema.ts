import * as l10n from '@vscode/l10n';
import { z } from 'zod';

/**
 * What python/accuracy/run_accuracy.py writes (schema "ascend-adapt.accuracy/1"), what a reference file may
 * look like, and the typed result faces render. Values are fractions 0..1 as lm-eval reports them.
 */

export const ACCURACY_SCHEMA = 'ascend-adapt.accuracy/1';

const Num = z.number().refine(Number.isFinite, 'must be a finite number');

export const HostDatasetRowSchema = z.object({
  name: z.string().min(1),
  metric: z.string().nullable(),
  value: Num.nullable(),
  n: z.number().int().nonnegative().nullable().optional(),
  errors: z.number().int().nonnegative().optional(),
  stderr: Num.optional(),
  subjects: z.record(z.string(), Num).optional(),
  note: z.string().optional(),
});
export type HostDatasetRow = z.infer<typeof HostDatasetRowSchema>;

export const HostReferenceSchema = z.object({
  name: z.string().min(1),
  metric: z.string().min(1),
  value: Num,
  rtol: Num.optional(),
  source: z.string().optional(),
});

export const AccuracyHostResultSchema = z.object({
  schema: z.literal(ACCURACY_SCHEMA),
  engine: z.enum(['bundled', 'lm-eval']),
  simulated: z.boolean(),
  model: z.string(),
  base_url: z.string(),
  tasks: z.array(z.string()),
  num_fewshot: z.number().nullable().optional(),
  limit: z.number().nullable().optional(),
  chat: z.boolean().optional(),
  started: z.string(),
  ended: z.string().nullable(),
  items_file: z.string().nullable(),
  datasets: z.array(HostDatasetRowSchema),
  references: z.array(HostReferenceSchema).default([]),
  complete: z.boolean().optional(),
  error: z.string().optional(),
  lm_eval: z
    .object({ argv: z.array(z.string()), results_file: z.string(), samples_files: z.array(z.string()).optional() })
    .passthrough()
    .optional(),
});
export type AccuracyHostResult = z.infer<typeof AccuracyHostResultSchema>;

/** One reference value: the GPU result for (dataset, metric). */
export interface Reference {
  name: string;
  metric: string | null;
  /** Fraction 0..1. */
  value: number;
  /** Where it came from (file name, "typed"). */
  source: string;
  /** Relative tolerance from the source (vllm-ascend configs: 0.05), when it carries one. */
  rtol?: number;
}

/** Thresholds as the report shows them: absolute in percentage points and/or relative in percent. */
export interface Threshold {
  absPoints: number | null;
  relPercent: number | null;
}

export interface AccuracyRow {
  name: string;
  metric: string | null;
  /** Fraction 0..1, null when not measured. */
  value: number | null;
  n: number;
  errors: number;
  subjects?: Record<string, number>;
  note?: string;
  reference: number | null;
  referenceSource: string | null;
  threshold: Threshold;
  /** |value − reference| in percentage points. */
  absError: number | null;
  /** absError / reference, percent. */
  relError: number | null;
  verdict: 'pass' | 'fail' | null;
}

/**
 * Reference files accepted by `--reference FILE`:
 *  - a result of this same job on a GPU host (`ascend-adapt.accuracy/1`),
 *  - the `--json` output of `ascend-adapt accuracy` ({"datasets":[{name, metric, value}]}),
 *  - an lm-eval results JSON ({"results": {task: {"metric,filter": value}}}),
 *  - a typed list {"references":[{name, metric?, value}]} (value as a fraction, or percent when > 1 and
 *    "unit": "%").
 */
const TypedRefSchema = z.object({
  references: z.array(
    z.object({ name: z.string().min(1), metric: z.string().min(1).nullable().optional(), value: Num, unit: z.enum(['fraction', '%']).optional() }),
  ),
});
const JsonOutSchema = z.object({
  datasets: z.array(z.object({ name: z.string().min(1), metric: z.string().nullable(), value: Num.nullable() }).passthrough()),
});
const LmEvalResultsSchema = z.object({ results: z.record(z.string(), z.record(z.string(), z.unknown())) });

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

export function parseReferenceFile(text: string, fileName: string): Reference[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ReferenceError(l10n.t('{0} is not JSON: {1}', fileName, (e as Error).message));
  }
  const src = fileName.split(/[\\/]/).pop() ?? fileName;
  const host = AccuracyHostResultSchema.safeParse(raw);
  if (host.success) {
    return host.data.datasets.filter((d) => d.value !== null).map((d) => ({ name: d.name, metric: d.metric, value: d.value!, source: src }));
  }
  const typed = TypedRefSchema.safeParse(raw);
  if (typed.success) {
    return typed.data.references.map((r) => ({
      name: r.name, metric: r.metric ?? null, value: r.unit === '%' ? r.value / 100 : r.value, source: src,
    }));
  }
  const out = JsonOutSchema.safeParse(raw);
  if (out.success) {
    return out.data.datasets.filter((d) => d.value !== null).map((d) => ({ name: d.name, metric: d.metric, value: d.value!, source: src }));
  }
  const lm = LmEvalResultsSchema.safeParse(raw);
  if (lm.success) {
    const refs: Reference[] = [];
    for (const [task, res] of Object.entries(lm.data.results)) {
      for (const [k, v] of Object.entries(res)) {
        if (k === 'alias' || k.includes('_stderr') || typeof v !== 'number' || !Number.isFinite(v)) continue;
        refs.push({ name: task, metric: k, value: v, source: src });
      }
    }
    return refs;
  }
  throw new ReferenceError(
    l10n.t('{0}: not a reference file (expected an accuracy result, the --json output of ascend-adapt accuracy, an lm-eval results file or {"references":[...]}): {1}', fileName, host.error.issues[0]?.message ?? ''),
  );
}

/** `--json` shape of `ascend-adapt accuracy` (issue 7), validated before printing. */
export const AccuracyJsonSchema = z.object({
  datasets: z.array(
    z.object({
      name: z.string(),
      metric: z.string().nullable(),
      value: z.number().min(0).max(1).nullable(),
      n: z.number().int().nonnegative(),
      reference: z.number().nullable(),
      verdict: z.enum(['pass', 'fail']).nullable(),
    }).passthrough(),
  ),
}).passthrough();
export type AccuracyJson = z.infer<typeof AccuracyJsonSchema>;
