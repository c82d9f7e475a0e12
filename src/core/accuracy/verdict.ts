import type { AccuracyRow, HostDatasetRow, Reference, Threshold } from './schema';

/**
 * Reference/threshold verdicts. Thresholds are symmetric (a port that scores much HIGHER than the GPU is as
 * suspicious as one that scores lower), absolute in percentage points and/or relative in percent; a row
 * passes when it is within every threshold that is set.
 *
 * Defaults: the seed report's < 1.0 pt for GSM8K and < 1.5 pt for MMLU and MATH; a reference that comes with
 * its own relative tolerance (vllm-ascend's lm_eval configs: rtol 0.05, i.e. np.isclose(ref, value, rtol))
 * uses that instead; other datasets default to 1.5 pt.
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

/** The metric a reference without a metric applies to: the dataset's primary one. */
export function primaryMetric(name: string, metrics: readonly (string | null)[]): string | null {
  const fam = datasetFamily(name);
  const pref = fam === 'gsm8k' ? ['exact_match,strict-match', 'exact_match,flexible-extract'] : fam === 'mmlu' ? ['acc', 'acc,none'] : ['exact_match', 'exact_match,none'];
  for (const p of pref) if (metrics.includes(p)) return p;
  return metrics[0] ?? null;
}

export function findReference(refs: readonly Reference[], name: string, metric: string | null, metricsOfDataset: readonly (string | null)[]): Reference | null {
  const exact = refs.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.metric === metric);
  if (exact) return exact;
  const noMetric = refs.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.metric === null);
  if (noMetric && metric === primaryMetric(name, metricsOfDataset)) return noMetric;
  return null;
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
  const o = overrides[name] ?? overrides[fam];
  if (o) {
    return { absPoints: o.absPoints ?? null, relPercent: o.relPercent ?? null };
  }
  if (ref?.rtol !== undefined) return { absPoints: null, relPercent: ref.rtol * 100 };
  return DEFAULT_THRESHOLDS[fam] ?? FALLBACK_THRESHOLD;
}

/** Host rows + references → rows with reference, threshold and verdict. */
export function withVerdicts(rows: readonly HostDatasetRow[], refs: readonly Reference[], overrides: Readonly<Record<string, Partial<Threshold>>> = {}): AccuracyRow[] {
  return rows.map((d) => {
    const metrics = rows.filter((r) => r.name === d.name).map((r) => r.metric);
    const ref = findReference(refs, d.name, d.metric, metrics);
    const threshold = thresholdFor(d.name, ref, overrides);
    const j = judge(d.value, ref?.value ?? null, threshold);
    const row: AccuracyRow = {
      name: d.name, metric: d.metric, value: d.value, n: d.n ?? 0, errors: d.errors ?? 0,
      reference: ref?.value ?? null, referenceSource: ref?.source ?? null, threshold, ...j,
    };
    if (d.subjects) row.subjects = d.subjects;
    if (d.note) row.note = d.note;
    return row;
  });
}
