import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { canonicalMetric, canonicalTask, defaultProtocol, ProtocolSchema, type Protocol } from '../lmeval/protocol';

/**
 * What python/accuracy/run_accuracy.py writes (schema "ascend-adapt.accuracy/2"; /1 files from older versions
 * are still read as references, without a protocol), what a reference file may look like, and the typed
 * result faces render. Values are fractions 0..1 as lm-eval reports them; metrics are lm-eval's
 * "<metric>,<filter>" keys.
 */

export const ACCURACY_SCHEMA = 'ascend-adapt.accuracy/2';
const OLD_SCHEMA = 'ascend-adapt.accuracy/1';

const Num = z.number().refine(Number.isFinite, 'must be a finite number');

export const HostDatasetRowSchema = z.object({
  name: z.string().min(1),
  metric: z.string().nullable(),
  value: Num.nullable(),
  n: z.number().int().nonnegative().nullable().optional(),
  errors: z.number().int().nonnegative().optional(),
  stderr: Num.optional(),
  subjects: z.record(z.string(), Num.nullable()).optional(),
  /** The group a category row belongs to (mmlu_stem → mmlu). */
  group: z.string().optional(),
  note: z.string().optional(),
  protocol: ProtocolSchema.optional(),
});
export type HostDatasetRow = z.infer<typeof HostDatasetRowSchema>;

export const AccuracyHostResultSchema = z.object({
  schema: z.literal(ACCURACY_SCHEMA),
  engine: z.enum(['bundled', 'lm-eval', 'aisbench']),
  simulated: z.boolean(),
  model: z.string(),
  base_url: z.string(),
  tasks: z.array(z.string()),
  num_fewshot: z.number().nullable().optional(),
  fewshot_seed: z.number().nullable().optional(),
  limit: z.number().nullable().optional(),
  chat: z.boolean().optional(),
  score_reasoning: z.boolean().optional(),
  lm_eval_version: z.string().optional(),
  started: z.string(),
  ended: z.string().nullable(),
  items_file: z.string().nullable(),
  datasets: z.array(HostDatasetRowSchema),
  notes: z.array(z.string()).default([]),
  complete: z.boolean().optional(),
  error: z.string().optional(),
  lm_eval: z
    .object({ argv: z.array(z.string()), results_file: z.string(), samples_files: z.array(z.string()).optional() })
    .passthrough()
    .optional(),
});
export type AccuracyHostResult = z.infer<typeof AccuracyHostResultSchema>;

/** One reference value: the GPU result for (task, metric), and the protocol it was measured under. */
export interface Reference {
  name: string;
  metric: string | null;
  /** Fraction 0..1. */
  value: number;
  /** Where it came from (file name, "typed"). */
  source: string;
  /** Relative tolerance from the source (vllm-ascend configs: 0.05), when it carries one. */
  rtol?: number;
  /** null: the source does not say (such a reference is never compared). */
  protocol?: Protocol | null;
  /** The protocol is lm-eval's default for the task, assumed because the source gave none. */
  assumed?: boolean;
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
  subjects?: Record<string, number | null>;
  group?: string;
  note?: string;
  protocol: Protocol | null;
  reference: number | null;
  referenceSource: string | null;
  referenceProtocol?: Protocol | null;
  /** true: a reference of the same protocol was compared; false: references exist but none is comparable
   * (the note says why); null: no reference given at all. */
  comparable: boolean | null;
  threshold: Threshold;
  /** |value − reference| in percentage points. */
  absError: number | null;
  /** absError / reference, percent. */
  relError: number | null;
  verdict: 'pass' | 'fail' | null;
}

/**
 * Reference files accepted by `--reference FILE`:
 *  - a result of this same job on a GPU host (`ascend-adapt.accuracy/2`; an /1 file has no protocol),
 *  - the `--json` output of `ascend-adapt accuracy` ({"datasets":[{name, metric, value, protocol}]}),
 *  - an lm-eval results JSON ({"results": {task: {"metric,filter": value}}, "n-shot", "versions", …}),
 *  - a typed list {"references":[{name, metric?, value, unit?, nShot?, chat?, fewshotSeed?}]} (value as a
 *    fraction, or percent with "unit": "%"); what it does not state is lm-eval's default for the task.
 */
const TypedRefSchema = z.object({
  references: z.array(
    z.object({
      name: z.string().min(1),
      metric: z.string().min(1).nullable().optional(),
      value: Num,
      unit: z.enum(['fraction', '%']).optional(),
      nShot: z.number().int().nonnegative().optional(),
      chat: z.boolean().optional(),
      fewshotSeed: z.number().int().optional(),
      version: z.union([z.number(), z.string()]).optional(),
    }),
  ),
});
const RowsSchema = z.object({
  schema: z.string().optional(),
  datasets: z.array(z.object({ name: z.string().min(1), metric: z.string().nullable(), value: Num.nullable(), protocol: ProtocolSchema.optional() }).passthrough()),
});
const LmEvalResultsSchema = z
  .object({
    results: z.record(z.string(), z.record(z.string(), z.unknown())),
    groups: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .passthrough();

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The protocol of one entry of an lm-eval results file, from the file itself. */
export function lmEvalProtocol(doc: Record<string, unknown>, task: string, filter: string): Protocol {
  const nshots = rec(doc['n-shot']);
  let nShot: number | null = num(nshots[task]) ? nshots[task] : null;
  if (nShot === null) {
    // Older files give n-shot for subtasks only: a group's is its subtasks' when they agree.
    const subs = rec(doc.group_subtasks)[task];
    const vals = new Set((Array.isArray(subs) ? subs : []).map((s) => nshots[String(s)]).filter(num));
    if (vals.size === 1) nShot = [...vals][0]!;
  }
  const cfg = rec(doc.config);
  const chat = 'chat_template' in doc ? doc.chat_template !== null : /chat/.test(String(cfg.model ?? '')) ? true : null;
  const tcfg = rec(rec(doc.configs)[task]);
  const gen = rec(tcfg.generation_kwargs);
  const version = rec(doc.versions)[task];
  // A generation limit: the task's max_gen_toks, else the model's (model_args), else lm-eval's default 256.
  const modelToks = /(?:^|,)max_gen_toks=(\d+)/.exec(typeof cfg.model_args === 'string' ? cfg.model_args : '');
  const maxTokens = num(gen.max_gen_toks) ? gen.max_gen_toks : tcfg.output_type === 'generate_until' ? (modelToks ? Number(modelToks[1]) : 256) : null;
  const p: Protocol = {
    task, version: num(version) || typeof version === 'string' ? version : null, nShot,
    fewshotSeed: num(cfg.fewshot_seed) ? cfg.fewshot_seed : 1234, chat,
    maxTokens, filter,
    source: `lm-evaluation-harness ${typeof doc.lm_eval_version === 'string' ? doc.lm_eval_version : '?'}`,
  };
  if (chat && typeof doc.fewshot_as_multiturn === 'boolean') p.multiturn = doc.fewshot_as_multiturn;
  return p;
}

/** Every "metric,filter" value of an lm-eval results file (tasks and groups) with its protocol. */
export function lmEvalReferences(doc: z.infer<typeof LmEvalResultsSchema>, src: string): Reference[] {
  const refs: Reference[] = [];
  const seen = new Set<string>();
  for (const block of [doc.results, doc.groups ?? {}]) {
    for (const [task, res] of Object.entries(block)) {
      for (const [k, v] of Object.entries(res)) {
        if (!k.includes(',') || k.includes('_stderr') || !num(v) || seen.has(`${task}\u0000${k}`)) continue;
        seen.add(`${task}\u0000${k}`);
        refs.push({ name: task, metric: k, value: v, source: src, protocol: lmEvalProtocol(doc, task, k.split(',')[1]!) });
      }
    }
  }
  return refs;
}

function typedReference(r: z.infer<typeof TypedRefSchema>['references'][number], src: string): Reference {
  const name = canonicalTask(r.name);
  const metric = canonicalMetric(name, r.metric);
  const base = defaultProtocol(name, metric);
  const full = r.nShot !== undefined && r.chat !== undefined;
  const protocol: Protocol | null = base
    ? { ...base, ...(r.nShot !== undefined ? { nShot: r.nShot } : {}), ...(r.chat !== undefined ? { chat: r.chat } : {}), ...(r.fewshotSeed !== undefined ? { fewshotSeed: r.fewshotSeed } : {}), ...(r.version !== undefined ? { version: r.version } : {}) }
    : full
      ? { task: name, nShot: r.nShot!, chat: r.chat!, fewshotSeed: r.fewshotSeed ?? 1234, version: r.version ?? null }
      : null;
  const ref: Reference = { name, metric, value: r.unit === '%' ? r.value / 100 : r.value, source: src, protocol };
  if (protocol && !full) ref.assumed = true;
  return ref;
}

export function parseReferenceFile(text: string, fileName: string): Reference[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ReferenceError(l10n.t('{0} is not JSON: {1}', fileName, (e as Error).message));
  }
  const src = fileName.split(/[\\/]/).pop() ?? fileName;
  const rows = RowsSchema.safeParse(raw);
  if (rows.success) {
    // Our own results and --json output; an /1 result carries no protocol, so it is never compared.
    const old = rows.data.schema === OLD_SCHEMA;
    return rows.data.datasets
      .filter((d) => d.value !== null)
      .map((d) => ({ name: d.name, metric: d.metric, value: d.value!, source: src, protocol: old ? null : (d.protocol ?? null) }));
  }
  const typed = TypedRefSchema.safeParse(raw);
  if (typed.success) return typed.data.references.map((r) => typedReference(r, src));
  const lm = LmEvalResultsSchema.safeParse(raw);
  if (lm.success) return lmEvalReferences(lm.data, src);
  throw new ReferenceError(
    l10n.t('{0}: not a reference file (expected an accuracy result, the --json output of ascend-adapt accuracy, an lm-eval results file or {"references":[...]}): {1}', fileName, typed.error.issues[0]?.message ?? ''),
  );
}

/** `--json` shape of `ascend-adapt accuracy`, validated before printing. */
export const AccuracyJsonSchema = z.object({
  datasets: z.array(
    z.object({
      name: z.string(),
      metric: z.string().nullable(),
      value: z.number().min(0).max(1).nullable(),
      n: z.number().int().nonnegative(),
      reference: z.number().nullable(),
      verdict: z.enum(['pass', 'fail']).nullable(),
      protocol: ProtocolSchema.nullable(),
      comparable: z.boolean().nullable(),
    }).passthrough(),
  ),
}).passthrough();
export type AccuracyJson = z.infer<typeof AccuracyJsonSchema>;
