import * as l10n from '@vscode/l10n';
import { z } from 'zod';

/**
 * lm-evaluation-harness's evaluation protocols, as data and pure functions: the accuracy job (core/accuracy)
 * measures and judges with them, the report (core/report) stores and prints them.
 *
 * The protocol an accuracy figure was measured under — what makes two figures comparable. Every measured row
 * carries one (python/accuracy/tasks.py writes it; lm-eval results files say the same things in their own
 * fields), and every reference that can say it does.
 */
export const ProtocolSchema = z
  .object({
    task: z.string().min(1),
    /** lm-eval's task (or group) version, as its results file's "versions" gives it. */
    version: z.union([z.number(), z.string()]).nullable().optional(),
    nShot: z.number().int().nonnegative().nullable(),
    fewshotSeed: z.number().int().nullable().optional(),
    /** A chat template applied (chat completions); null when the source does not say. */
    chat: z.boolean().nullable(),
    /** Generation limit; null for log-likelihood tasks. */
    maxTokens: z.number().int().positive().nullable().optional(),
    filter: z.string().nullable().optional(),
    multiturn: z.boolean().optional(),
    outputType: z.string().optional(),
    source: z.string().optional(),
    scoreReasoning: z.boolean().optional(),
    /** minerva_math: how answers were compared (sympy-parse_latex, sympy, string). */
    equivalence: z.string().optional(),
  })
  .passthrough();
export type Protocol = z.infer<typeof ProtocolSchema>;

interface TaskDefaults {
  nShot: number;
  version: number;
  primary: string;
  /** Few-shot examples drawn at random (so the seed matters), not the first n. */
  seeded: boolean;
}

/**
 * lm-eval 0.4.12's defaults for the tasks the bundled runner implements (lm_eval/tasks/gsm8k/gsm8k.yaml,
 * mmlu/default/_mmlu.yaml + _default_template_yaml, mmlu/generative/_mmlu.yaml, hendrycks_math/hendrycks_math.yaml,
 * benchmarks/minerva_math.yaml + minerva_math/minerva_math_algebra.yaml). Used for references that do not
 * state their protocol, and to name a task's primary metric.
 */
export const LM_EVAL_TASKS: Readonly<Record<string, TaskDefaults>> = Object.freeze({
  gsm8k: { nShot: 5, version: 3, primary: 'exact_match,strict-match', seeded: true },
  mmlu: { nShot: 0, version: 2, primary: 'acc,none', seeded: false },
  mmlu_generative: { nShot: 0, version: 3, primary: 'exact_match,get_response', seeded: false },
  hendrycks_math: { nShot: 0, version: 1, primary: 'exact_match,none', seeded: true },
  minerva_math: { nShot: 4, version: 1, primary: 'exact_match,none', seeded: false },
});

/** Names that are not lm-eval tasks but mean one (the runner says which when it runs them). */
export const TASK_ALIASES: Readonly<Record<string, string>> = Object.freeze({ math: 'minerva_math' });

export function canonicalTask(name: string): string {
  const n = name.trim().toLowerCase();
  return TASK_ALIASES[n] ?? n;
}

/** The task whose defaults apply: mmlu_stem / mmlu_astronomy → mmlu, minerva_math_algebra → minerva_math. */
export function taskFamily(name: string): string | null {
  const n = canonicalTask(name);
  if (LM_EVAL_TASKS[n]) return n;
  if (n.startsWith('mmlu_') && n.endsWith('_generative')) return 'mmlu_generative';
  for (const t of ['minerva_math', 'hendrycks_math', 'mmlu']) if (n.startsWith(`${t}_`)) return t;
  return null;
}

/** "acc" → "acc,none"; a missing metric → the task's primary one (null when the task is unknown). */
export function canonicalMetric(task: string, metric: string | null | undefined): string | null {
  if (metric) return metric.includes(',') ? metric : `${metric},none`;
  const fam = taskFamily(task);
  return fam ? LM_EVAL_TASKS[fam]!.primary : null;
}

/** lm-eval's defaults for a task (no chat template, seed 1234), for a reference that does not say more. */
export function defaultProtocol(task: string, metric: string | null): Protocol | null {
  const fam = taskFamily(task);
  if (!fam) return null;
  const d = LM_EVAL_TASKS[fam]!;
  return { task: canonicalTask(task), version: null, nShot: d.nShot, fewshotSeed: 1234, chat: false, filter: metric?.split(',')[1] ?? null };
}

/**
 * What differs between a measured protocol and a reference's, in words (empty: comparable). Compared: n-shot,
 * chat template, task version and few-shot seed (where the task draws examples at random) when both sides
 * know them, and a measurement that scored reasoning_content (lm-eval never does).
 */
export function protocolDifferences(measured: Protocol, ref: Protocol): string[] {
  const out: string[] = [];
  const fam = taskFamily(measured.task);
  if (ref.nShot === null) out.push(l10n.t('the reference does not say how many few-shot examples it used'));
  else if (measured.nShot !== ref.nShot) out.push(l10n.t('{0}-shot here, {1}-shot in the reference', String(measured.nShot), String(ref.nShot)));
  if (ref.chat === null) out.push(l10n.t('the reference does not say whether a chat template was applied'));
  else if (measured.chat !== ref.chat) out.push(measured.chat ? l10n.t('chat template here, none in the reference') : l10n.t('no chat template here, one in the reference'));
  const v = (x: Protocol['version']) => (x === null || x === undefined ? null : Number(x));
  if (v(measured.version) !== null && v(ref.version) !== null && v(measured.version) !== v(ref.version)) {
    out.push(l10n.t('task version {0} here, {1} in the reference', String(measured.version), String(ref.version)));
  }
  const seeded = fam ? LM_EVAL_TASKS[fam]!.seeded : true;
  if (seeded && (measured.nShot ?? 0) > 0 && measured.fewshotSeed != null && ref.fewshotSeed != null && measured.fewshotSeed !== ref.fewshotSeed) {
    out.push(l10n.t('few-shot seed {0} here, {1} in the reference', String(measured.fewshotSeed), String(ref.fewshotSeed)));
  }
  if (measured.scoreReasoning) out.push(l10n.t('reasoning_content was scored here (--score-reasoning), which lm-eval does not do'));
  return out;
}

/** One line for a person: "5-shot · seed 1234 · completions · ≤256 tokens · strict-match · v3". */
export function protocolText(p: Protocol | null | undefined): string {
  if (!p) return l10n.t('protocol unknown');
  const parts: string[] = [];
  parts.push(p.nShot === null ? l10n.t('n-shot unknown') : l10n.t('{0}-shot', String(p.nShot)));
  if ((p.nShot ?? 0) > 0 && p.fewshotSeed != null) parts.push(l10n.t('seed {0}', String(p.fewshotSeed)));
  parts.push(p.chat === null ? l10n.t('chat unknown') : p.chat ? (p.multiturn ? l10n.t('chat, multi-turn') : l10n.t('chat')) : l10n.t('completions'));
  if (p.maxTokens) parts.push(l10n.t('≤{0} tokens', String(p.maxTokens)));
  if (p.filter && p.filter !== 'none') parts.push(p.filter);
  if (p.equivalence) parts.push(l10n.t('equivalence: {0}', p.equivalence));
  if (p.scoreReasoning) parts.push(l10n.t('reasoning scored'));
  if (p.version !== null && p.version !== undefined) parts.push(`v${p.version}`);
  return parts.join(' · ');
}
