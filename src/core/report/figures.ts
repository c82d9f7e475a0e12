import type { AccuracyDataset, Evidence, Figure, PartialReport, PerfMetric, Status } from './schema';

/** Derived numbers: computed from two figures, never typed in. */
export function accuracyErrors(reference: number | null, measured: number | null): { absError: number | null; relError: number | null } {
  if (reference === null || measured === null) return { absError: null, relError: null };
  const absError = round(Math.abs(reference - measured), 4);
  const relError = reference === 0 ? null : round((absError / reference) * 100, 4);
  return { absError, relError };
}

export function accuracyVerdict(
  absError: number | null,
  relError: number | null,
  threshold: { absPoints: number | null; relPercent: number | null },
): 'pass' | 'fail' | null {
  if (absError === null) return null;
  if (threshold.absPoints === null && threshold.relPercent === null) return null;
  if (threshold.absPoints !== null && absError > threshold.absPoints + 1e-9) return 'fail';
  if (threshold.relPercent !== null && relError !== null && relError > threshold.relPercent + 1e-9) return 'fail';
  return 'pass';
}

/** NPU performance relative to the GPU: > 1 means the NPU does better, whichever way the metric points. */
export function perfRatio(baseline: number | null, measured: number | null, higherIsBetter: boolean): number | null {
  if (baseline === null || measured === null || baseline <= 0 || measured <= 0) return null;
  return round(higherIsBetter ? measured / baseline : baseline / measured, 4);
}

export function perfVerdict(ratio: number | null, minRatio: number): 'pass' | 'fail' | null {
  if (ratio === null) return null;
  return ratio + 1e-9 >= minRatio ? 'pass' : 'fail';
}

export function withAccuracyDerived(d: Omit<AccuracyDataset, 'absError' | 'relError' | 'verdict'>): AccuracyDataset {
  const { absError, relError } = accuracyErrors(d.reference?.value ?? null, d.measured.value);
  return { ...d, absError, relError, verdict: accuracyVerdict(absError, relError, d.threshold) };
}

export function withPerfDerived(m: Omit<PerfMetric, 'ratio' | 'verdict'>): PerfMetric {
  const ratio = perfRatio(m.baseline?.value ?? null, m.measured.value, m.higherIsBetter);
  return { ...m, ratio, verdict: perfVerdict(ratio, m.minRatio) };
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function isFigure(v: unknown): v is Figure {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.id === 'string' && 'value' in o && typeof o.evidence === 'string' && typeof o.unit === 'string';
}

/** Every figure in the report, in document order, with its JSON path. */
export function collectFigures(report: PartialReport): Array<{ path: string; figure: Figure }> {
  const out: Array<{ path: string; figure: Figure }> = [];
  const walk = (v: unknown, p: string) => {
    if (isFigure(v)) {
      out.push({ path: p, figure: v });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) if (k !== 'evidence' || p !== '') walk(x, p ? `${p}.${k}` : k);
    }
  };
  walk(report, '');
  return out;
}

/** Evidence ids referred to by anything (figures, hosts, model, API check). */
export function referencedEvidenceIds(report: PartialReport): Set<string> {
  const ids = new Set<string>();
  for (const { figure } of collectFigures(report)) ids.add(figure.evidence);
  for (const h of report.hosts ?? []) ids.add(h.evidence);
  if (report.model?.evidence) ids.add(report.model.evidence);
  if (report.serving?.apiCheck) ids.add(report.serving.apiCheck.evidence);
  if (report.profiling?.evidence) ids.add(report.profiling.evidence);
  for (const n of report.cluster?.nodes ?? []) if (n.log) ids.add(n.log);
  return ids;
}

export interface FigureIndex {
  figure(id: string): Figure | undefined;
  evidence(id: string): Evidence | undefined;
  /** figure id → its evidence (what "click a figure → open its log at the line" needs). */
  evidenceOfFigure(figureId: string): Evidence | undefined;
}

export function indexReport(report: PartialReport): FigureIndex {
  const figs = new Map(collectFigures(report).map(({ figure }) => [figure.id, figure]));
  const ev = new Map((report.evidence ?? []).map((e) => [e.id, e]));
  return {
    figure: (id) => figs.get(id),
    evidence: (id) => ev.get(id),
    evidenceOfFigure: (id) => {
      const f = figs.get(id);
      return f ? ev.get(f.evidence) : undefined;
    },
  };
}

/** Consistency problems a schema cannot express: dangling evidence ids, duplicate ids. */
export function checkReferences(report: PartialReport): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const ev = new Set<string>();
  (report.evidence ?? []).forEach((e, i) => {
    if (ev.has(e.id)) problems.push({ path: `evidence[${i}].id`, message: `duplicate evidence id "${e.id}"` });
    ev.add(e.id);
  });
  const seen = new Set<string>();
  for (const { path, figure } of collectFigures(report)) {
    if (seen.has(figure.id)) problems.push({ path: `${path}.id`, message: `duplicate figure id "${figure.id}"` });
    seen.add(figure.id);
    if (report.evidence && !ev.has(figure.evidence)) {
      problems.push({ path: `${path}.evidence`, message: `evidence "${figure.evidence}" is not in the evidence list` });
    }
  }
  return problems;
}

/** Worst-of for dimension verdicts. */
export function worst(statuses: Status[]): Status {
  const order: Status[] = ['fail', 'not-run', 'warn', 'skip', 'pass'];
  for (const s of order) if (statuses.includes(s)) return s;
  return 'pass';
}

/** What a face needs to open a figure's evidence: the local copy (if the report has one) or the file on its host. */
export interface EvidenceTarget {
  figureId: string;
  evidence: Evidence;
  /** Absolute path of the copy beside the report, when the report has one. */
  localCopy: string | null;
  /** The file on `host` (open it there when no copy is at hand). */
  host: string;
  hostFile: string;
  /** 1-based line to reveal (logs), or null. */
  line: number | null;
  byteOffset: number | null;
  /** JSON pointer of the value (result files), or null. */
  pointer: string | null;
}

/**
 * figureId (as posted by the webview: "accuracy.gsm8k.measured", or "A:…"/"B:…" in a comparison, where the
 * side picks the report) → where its evidence is. `reportFile` is the report's path on this machine.
 */
export function evidenceTarget(report: PartialReport, reportFile: string, figureId: string): EvidenceTarget | null {
  const id = figureId.replace(/^[AB]:/, '');
  const idx = indexReport(report);
  const f = idx.figure(id);
  const e = f ? idx.evidence(f.evidence) : undefined;
  if (!f || !e) return null;
  const dir = reportFile.replace(/[\\/][^\\/]*$/, '');
  return {
    figureId: id,
    evidence: e,
    localCopy: e.copy ? `${dir}/${e.copy}` : e.host === 'local' ? e.file : null,
    host: e.host,
    hostFile: e.file,
    line: e.line ?? null,
    byteOffset: e.offset ?? null,
    pointer: f.pointer ?? e.pointer ?? null,
  };
}

/** One line per report for lists (Reports view, pickers). */
export interface ReportSummary {
  model: string | null;
  generatedAt: string | null;
  verdict: 'pass' | 'fail' | 'incomplete' | null;
  simulated: boolean;
  fixture: boolean;
  host: string | null;
  profile: string | null;
}

export function reportSummary(report: PartialReport): ReportSummary {
  return {
    model: report.model?.name ?? null,
    generatedAt: report.generatedAt ?? null,
    verdict: report.verdict?.overall ?? null,
    simulated: report.simulated === true,
    fixture: report.fixture === true,
    host: report.hosts?.[0]?.name ?? null,
    profile: report.profile ?? null,
  };
}

/** Report files are recognised by name: validation_report_YYYYMMDD[…].json. */
export const REPORT_FILE_PATTERN = /^validation_report_\d{8}.*\.json$/;
