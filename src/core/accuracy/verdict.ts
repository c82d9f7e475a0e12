import * as l10n from '@vscode/l10n';
import { canonicalMetric, canonicalTask, protocolDifferences, protocolText } from '../lmeval/protocol';
import type { AccuracyRow, HostDatasetRow, Reference, Threshold } from './schema';

/**
 * Reference/threshold verdicts, like with like. A reference is used for a measured row only when task,
 * metric and filter ("exact_match,strict-match"), n-shot and chat setting match (and task version and
 * few-shot seed where both sides know them, see protocolDifferences); otherwise the row says
 * `comparable: false` and its note names the difference. No verdict is ever given across protocols.
 *
 * Thresholds are symmetric (a port that scores much HIGHER than the GPU is as suspicious as one that scores
 * lower), absolute in percentage points and/or relative in percent; a row passes when it is within every
 * threshold that is set. Defaults: < 1.0 pt for GSM8K and < 1.5 pt for MMLU and MATH; a reference that
 * comes with its own relative tolerance (vllm-ascend's lm_eval configs: rtol 0.05, i.e.
 * np.isclose(ref, value, rtol)) uses that instead; other tasks default to 1.5 pt.
 */

export const DEFAULT_THRESHOLDS: Readonly<Record<string, Threshold>> = Object.freeze({
  gsm8k: { absPoints: 1.0, relPercent: null },
  mmlu: { absPoints: 1.5, relPercent: null },
  math: { absPoints: 1.5, relPercent: null },
});
export const FALLBACK_THRESHOLD: Threshold = { absPoints: 1.5, relPercent: null };

/** Canonical dataset key for threshold lookup: "gsm8k", "mmlu_stem" → "mmlu", "hendrycks_math" → "math". */
export function datasetFamily(name: string): string {
  const n = name.toLowerCase();
  if (n.startsWith('gsm8k')) return 'gsm8k';
  if (n.startsWith('mmlu')) return 'mmlu';
  if (n === 'math' || n.includes('hendrycks_math') || n.startsWith('minerva_math') || n.startsWith('math')) return 'math';
  return n;
}

/** The metric shown first for a task (GSM8K strict-match, MMLU acc, MATH exact_match). */
export function primaryMetric(name: string, metrics: readonly (string | null)[]): string | null {
  const want = canonicalMetric(name, null);
  if (want && metrics.includes(want)) return want;
  return metrics[0] ?? null;
}

export function judge(value: number | null, reference: number | null, th: Threshold): Pick<AccuracyRow, 'absError' | 'relError' | 'verdict'> {
  if (value === null || reference === null) return { absError: null, relError: null, verdict: null };
  const absError = Math.abs(value - reference) * 100;
  const relError = reference !== 0 ? (Math.abs(value - reference) / Math.abs(reference)) * 100 : absError === 0 ? 0 : Number.POSITIVE_INFINITY;
  const eps = 1e-9;
  let ok = true;
  if (th.absPoints !== null) ok &&= absError <= th.absPoints + eps;
  if (th.relPercent !== null) ok &&= relError <= th.relPercent + eps;
  if (th.absPoints === null && th.relPercent === null) ok = absError <= eps;
  return { absError: round(absError), relError: Number.isFinite(relError) ? round(relError) : relError, verdict: ok ? 'pass' : 'fail' };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function thresholdFor(name: string, ref: Reference | null, overrides: Readonly<Record<string, Partial<Threshold>>> = {}): Threshold {
  const fam = datasetFamily(name);
  const o = overrides[name.toLowerCase()] ?? overrides[fam];
  if (o) return { absPoints: o.absPoints ?? null, relPercent: o.relPercent ?? null };
  if (ref?.rtol !== undefined) return { absPoints: null, relPercent: ref.rtol * 100 };
  return DEFAULT_THRESHOLDS[fam] ?? FALLBACK_THRESHOLD;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export interface ReferenceMatch {
  ref: Reference | null;
  comparable: boolean | null;
  note?: string;
}

/** The reference for one measured row, or why none is comparable. */
export function matchReference(refs: readonly Reference[], row: HostDatasetRow): ReferenceMatch {
  if (!refs.length) return { ref: null, comparable: null };
  const name = canonicalTask(row.name);
  const metric = canonicalMetric(name, row.metric);
  const same = refs.filter((r) => canonicalTask(r.name) === name);
  if (!same.length && row.group) return { ref: null, comparable: null }; // a category row of a group
  if (!same.length) return { ref: null, comparable: false, note: l10n.t('no reference for {0} in {1}', row.name, [...new Set(refs.map((r) => r.source))].join(', ')) };
  const byMetric = same.filter((r) => canonicalMetric(name, r.metric) === metric);
  if (!byMetric.length) {
    return { ref: null, comparable: false, note: l10n.t('the reference gives {0} {1}, this run measures {2}', row.name, [...new Set(same.map((r) => canonicalMetric(name, r.metric) ?? '?'))].join(', '), metric ?? '?') };
  }
  if (!row.protocol) return { ref: null, comparable: false, note: l10n.t('this result does not say its protocol (n-shot, chat): it is not compared') };
  const notes: string[] = [];
  for (const r of byMetric) {
    if (!r.protocol) {
      notes.push(l10n.t('{0} from {1} does not say its protocol (n-shot, chat)', pct(r.value), r.source));
      continue;
    }
    const diffs = protocolDifferences(row.protocol, r.protocol);
    if (!diffs.length) {
      return { ref: r, comparable: true, ...(r.assumed ? { note: l10n.t('the reference states no protocol: lm-eval\'s defaults assumed ({0})', protocolText(r.protocol)) } : {}) };
    }
    notes.push(l10n.t('{0} from {1} not compared: {2}', pct(r.value), r.source, diffs.join('; ')));
  }
  return { ref: null, comparable: false, note: notes.join(' | ') };
}

/** Host rows + references → rows with reference, comparability, threshold and verdict. */
export function withVerdicts(rows: readonly HostDatasetRow[], refs: readonly Reference[], overrides: Readonly<Record<string, Partial<Threshold>>> = {}): AccuracyRow[] {
  return rows.map((d) => {
    const m = matchReference(refs, d);
    const threshold = thresholdFor(d.name, m.ref, overrides);
    const j = judge(d.value, m.ref?.value ?? null, threshold);
    const row: AccuracyRow = {
      name: d.name, metric: d.metric, value: d.value, n: d.n ?? 0, errors: d.errors ?? 0, protocol: d.protocol ?? null,
      reference: m.ref?.value ?? null, referenceSource: m.ref?.source ?? null, comparable: m.comparable, threshold, ...j,
    };
    if (m.ref) row.referenceProtocol = m.ref.protocol ?? null;
    if (d.subjects) row.subjects = d.subjects;
    if (d.group) row.group = d.group;
    const note = [d.note, m.note].filter(Boolean).join(' | ');
    if (note) row.note = note;
    return row;
  });
}
