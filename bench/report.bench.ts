// Validation-report figures:
//   report.load_ms            parse + validate the fixture report (tolerant loader) — median of 50.
//   report.render_md_ms       Markdown (zh-CN) of the fixture report — median of 50.
//   report.render_html_ms     standalone HTML with the four SVG charts — median of 50.
//   report.load_truncated_ms  the fixture cut in half (repair + per-section validation) — median of 50.
//   report.evidence_overhead_pct  how much of the report file the evidence list takes (bytes, %).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderReportHtml } from '../src/core/report/html';
import { parseReportText, serializeReport } from '../src/core/report/load';
import { renderMarkdown } from '../src/core/report/markdown';
import type { Report } from '../src/core/report/schema';
import type { Figure } from './run';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(n: number, f: () => void): number {
  f(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(median(xs) * 1000) / 1000;
}

export default async function reportBench(): Promise<Figure[]> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'report', 'fixture_report.json'), 'utf8');
  const report = parseReportText(text, 'fixture').report as Report;
  const half = text.slice(0, Math.floor(text.length / 2));
  const withoutEvidence = serializeReport({ ...report, evidence: [] });
  const full = serializeReport(report);
  return [
    { name: 'report.load_ms', value: time(50, () => parseReportText(text, 'fixture')), unit: 'ms' },
    { name: 'report.render_md_ms', value: time(50, () => renderMarkdown(report, { lang: 'zh-CN' })), unit: 'ms' },
    { name: 'report.render_html_ms', value: time(50, () => renderReportHtml(report, { lang: 'zh-CN', mode: 'standalone', nonce: 'bench' })), unit: 'ms' },
    { name: 'report.load_truncated_ms', value: time(50, () => parseReportText(half, 'fixture')), unit: 'ms' },
    { name: 'report.evidence_overhead_pct', value: Math.round(((full.length - withoutEvidence.length) / full.length) * 1000) / 10, unit: '%' },
  ];
}
