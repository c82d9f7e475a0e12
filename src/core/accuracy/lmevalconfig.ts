import * as l10n from '@vscode/l10n';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { canonicalMetric, canonicalTask, defaultProtocol, type Protocol } from '../lmeval/protocol';
import type { Reference } from './schema';

/**
 * vllm-ascend's accuracy-CI configs (tests/e2e/models/configs/*.yaml: model_name, tasks with reference
 * metrics, num_fewshot, limit, apply_chat_template, fewshot_as_multiturn), read here with the `yaml` package.
 * The host job gets the JSON form (`--config-json`); the references stay on this side, each with the protocol
 * the config defines (its num_fewshot — else the task's lm-eval default — and its chat setting) and
 * vllm-ascend's relative tolerance of 5 %.
 */

export const VLLM_ASCEND_RTOL = 0.05;

const Num = z.number().refine(Number.isFinite, 'must be a finite number');

const ConfigSchema = z
  .object({
    model_name: z.string().optional(),
    tasks: z
      .array(
        z.object({
          name: z.string().min(1),
          metrics: z.array(z.object({ name: z.string().min(1), value: Num })).optional(),
        }).passthrough(),
      )
      .min(1),
    num_fewshot: z.number().int().nonnegative().optional(),
    limit: z.number().positive().optional(),
    apply_chat_template: z.boolean().optional(),
    fewshot_as_multiturn: z.boolean().optional(),
  })
  .passthrough();

/** What the host runner needs (python/accuracy/run_accuracy.py --config-json). */
export interface LmEvalConfigJob {
  source: string;
  model_name: string | null;
  tasks: string[];
  num_fewshot: number | null;
  limit: number | null;
  apply_chat_template: boolean;
  fewshot_as_multiturn: boolean;
}

export interface LmEvalConfig {
  job: LmEvalConfigJob;
  references: Reference[];
}

export class LmEvalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LmEvalConfigError';
  }
}

export function parseLmEvalConfig(text: string, fileName: string): LmEvalConfig {
  const src = fileName.split(/[\\/]/).pop() ?? fileName;
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) throw new LmEvalConfigError(l10n.t('{0} is not valid YAML: {1}', src, doc.errors[0]!.message));
  const parsed = ConfigSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new LmEvalConfigError(l10n.t('{0}: not an lm_eval config ({1}: {2})', src, i?.path.join('.') ?? '', i?.message ?? ''));
  }
  const c = parsed.data;
  const chat = c.apply_chat_template ?? false;
  const multiturn = c.fewshot_as_multiturn ?? false;
  const references: Reference[] = [];
  for (const t of c.tasks) {
    for (const m of t.metrics ?? []) {
      const name = canonicalTask(t.name);
      const metric = canonicalMetric(name, m.name) ?? m.name;
      const base = defaultProtocol(name, metric);
      const nShot = c.num_fewshot ?? base?.nShot ?? null;
      const protocol: Protocol = { task: name, version: null, nShot, fewshotSeed: 1234, chat, filter: metric.split(',')[1] ?? null, ...(chat ? { multiturn } : {}) };
      references.push({ name, metric, value: m.value, source: src, rtol: VLLM_ASCEND_RTOL, protocol });
    }
  }
  return {
    job: {
      source: src, model_name: c.model_name ?? null, tasks: c.tasks.map((t) => t.name), num_fewshot: c.num_fewshot ?? null,
      limit: c.limit ?? null, apply_chat_template: chat, fewshot_as_multiturn: multiturn,
    },
    references,
  };
}
