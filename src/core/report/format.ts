import type { Translator } from '../l10n';
import type { Evidence, Figure, PartialReport, StepStatus } from './schema';

/** Shared by the Markdown and HTML renderers: numbers, statuses, evidence numbering. */

export function fmtNum(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toFixed(digits)));
}

/**
 * A moment written the reader's way ("2026年5月19日 09:10:00 UTC" for zh-CN, "May 19, 2026, 9:10:00 AM UTC"
 * for en); the stored ISO string when it is not a time. Always in UTC, named: a report is read on other
 * machines than the one that wrote it, so the writer's time zone would mislead.
 */
export function fmtTime(t: Translator, iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleString(t.lang === 'zh-CN' ? 'zh-CN' : 'en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' })} UTC`;
}

export function fmtPct(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(digits)}%`;
}

export function fmtRatio(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(2)}x`;
}

export function fmtFigure(f: Figure | null | undefined, digits = 2): string {
  if (!f) return '—';
  if (f.value === null) return '—';
  if (f.unit === '%') return fmtPct(f.value, digits);
  if (f.unit === 's') return `${fmtNum(f.value, 1)} s`;
  if (f.unit === 'MB') return `${fmtNum(f.value, 0)} MB`;
  return fmtNum(f.value, digits);
}

export const STATUS_ICON: Record<StepStatus, string> = {
  pass: '✅',
  warn: '⚠️',
  fail: '❌',
  skip: '⏭️',
  'not-run': '⏸️',
  interrupted: '⏹️',
};

export function statusText(t: Translator, s: StepStatus): string {
  switch (s) {
    case 'pass':
      return t.tr('Passed');
    case 'warn':
      return t.tr('Warning');
    case 'fail':
      return t.tr('Failed');
    case 'skip':
      return t.tr('Skipped');
    case 'interrupted':
      return t.tr('Interrupted');
    default:
      return t.tr('Not run');
  }
}

export function statusCell(t: Translator, s: StepStatus): string {
  return `${STATUS_ICON[s]} ${statusText(t, s)}`;
}

export function verdictIcon(v: 'pass' | 'fail' | null | undefined): string {
  return v === 'pass' ? '✅' : v === 'fail' ? '❌' : '—';
}

/** Evidence entries in the order a reader meets them, each with its footnote label. */
export function evidenceLabels(report: PartialReport): Map<string, Evidence> {
  const m = new Map<string, Evidence>();
  for (const e of report.evidence ?? []) m.set(e.id, e);
  return m;
}

export function dimensionName(t: Translator, name: string): string {
  switch (name) {
    case 'adaptation':
      return t.tr('Model adaptation');
    case 'accuracy':
      return t.tr('Accuracy validation');
    case 'performance':
      return t.tr('Performance benchmark');
    case 'environment':
      return t.tr('Environment check');
    case 'serving':
      return t.tr('Serving');
    case 'smoke':
      return t.tr('Inference test');
    default:
      return name;
  }
}

export function stepName(t: Translator, name: string): string {
  switch (name) {
    case 'env':
      return t.tr('Environment check');
    case 'analysis':
      return t.tr('Model and operator analysis');
    case 'quantize':
      return t.tr('Model quantization');
    case 'serve':
      return t.tr('Serving');
    case 'smoke':
      return t.tr('Inference test');
    case 'accuracy':
      return t.tr('Accuracy validation');
    case 'perf':
      return t.tr('Performance benchmark');
    case 'profile':
      return t.tr('Profiling');
    case 'stop':
      return t.tr('Stop serving');
    default:
      return name;
  }
}

export function perfLabel(t: Translator, key: string, label: string): string {
  switch (key) {
    case 'request_throughput':
      return 'QPS';
    case 'output_throughput':
      return 'Tokens/sec';
    case 'mean_ttft_ms':
      return 'TTFT (ms)';
    case 'mean_tpot_ms':
      return 'TPOT (ms)';
    default:
      return t.data(label);
  }
}

export function reportDate(report: PartialReport): string {
  return (report.generatedAt ?? '').slice(0, 10);
}

/** "validation_report_YYYYMMDD.json" for a report generated at `iso`. */
export function reportFileName(iso: string, ext = 'json'): string {
  return `validation_report_${iso.slice(0, 10).replace(/-/g, '')}.${ext}`;
}

export function isThroughput(key: string): boolean {
  return key === 'output_throughput' || key === 'total_token_throughput';
}

export function thresholdText(t: Translator, th: { absPoints: number | null; relPercent: number | null }): string {
  const parts: string[] = [];
  if (th.absPoints !== null) parts.push(`${th.absPoints.toFixed(1)}%`);
  if (th.relPercent !== null) parts.push(t.tr('{0}% rel.', th.relPercent.toFixed(1)));
  return parts.length ? parts.join(' / ') : '—';
}
