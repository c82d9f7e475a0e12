import { esc, groupedBarChart } from './charts';
import { perfRatio } from './figures';
import { fmtFigure, fmtNum, fmtTime, perfLabel, verdictIcon } from './format';
import { htmlPage, htmlToolbar, makeNonce } from './html';
import { translator, type Lang, type Translator } from '../l10n';
import type { Figure, PartialReport } from './schema';

/**
 * Two reports side by side (before/after a patch, NPU vs GPU, two hosts): accuracy per dataset and
 * performance per metric, with B relative to A. Pure data (`compareReports`) + HTML.
 */
export interface CompareRow {
  section: 'accuracy' | 'performance' | 'smoke';
  key: string;
  label: string;
  a: Figure | null;
  b: Figure | null;
  /** B relative to A in "performance" sense (>1 = B better); for accuracy, B − A in points. */
  delta: number | null;
  better: 'a' | 'b' | 'same' | null;
}

export function compareReports(a: PartialReport, b: PartialReport): CompareRow[] {
  const rows: CompareRow[] = [];
  const names = new Set([...(a.accuracy?.datasets ?? []).map((d) => d.name), ...(b.accuracy?.datasets ?? []).map((d) => d.name)]);
  for (const name of names) {
    const da = a.accuracy?.datasets.find((d) => d.name === name);
    const db = b.accuracy?.datasets.find((d) => d.name === name);
    const va = da?.measured.value ?? null;
    const vb = db?.measured.value ?? null;
    const delta = va !== null && vb !== null ? Math.round((vb - va) * 100) / 100 : null;
    rows.push({
      section: 'accuracy',
      key: name,
      label: da?.label ?? db?.label ?? name,
      a: da?.measured ?? null,
      b: db?.measured ?? null,
      delta,
      better: delta === null ? null : delta > 0 ? 'b' : delta < 0 ? 'a' : 'same',
    });
  }
  const keys = new Set([...(a.performance?.metrics ?? []).map((m) => m.key), ...(b.performance?.metrics ?? []).map((m) => m.key)]);
  for (const key of keys) {
    const ma = a.performance?.metrics.find((m) => m.key === key);
    const mb = b.performance?.metrics.find((m) => m.key === key);
    const hib = (ma ?? mb)!.higherIsBetter;
    const ratio = perfRatio(ma?.measured.value ?? null, mb?.measured.value ?? null, hib);
    rows.push({
      section: 'performance',
      key,
      label: (ma ?? mb)!.label,
      a: ma?.measured ?? null,
      b: mb?.measured ?? null,
      delta: ratio,
      better: ratio === null ? null : ratio > 1.0001 ? 'b' : ratio < 0.9999 ? 'a' : 'same',
    });
  }
  for (const p of ['p50', 'p90', 'p99'] as const) {
    const fa = a.performance?.latency?.[p] ?? null;
    const fb = b.performance?.latency?.[p] ?? null;
    if (!fa && !fb) continue;
    const ratio = perfRatio(fa?.value ?? null, fb?.value ?? null, false);
    rows.push({
      section: 'performance',
      key: `latency_${p}`,
      label: `${p.toUpperCase()} (${a.performance?.latency?.metric ?? b.performance?.latency?.metric ?? ''}, ms)`,
      a: fa,
      b: fb,
      delta: ratio,
      better: ratio === null ? null : ratio > 1.0001 ? 'b' : ratio < 0.9999 ? 'a' : 'same',
    });
  }
  return rows;
}

export interface CompareOptions {
  lang: Lang;
  mode: 'webview' | 'standalone';
  nonce?: string;
  cspSource?: string;
  /** Column titles; default: the reports' host and date. */
  labels?: [string, string];
}

function describe(r: PartialReport, t: Translator): string {
  const host = r.hosts?.[0]?.name ?? '—';
  return `${r.model?.name ?? t.tr('(unknown model)')} · ${host} · ${fmtTime(t, r.generatedAt)}${r.simulated ? ` · ${t.tr('SIMULATED')}` : ''}`;
}

function figCell(f: Figure | null, side: 'A' | 'B', mode: 'webview' | 'standalone'): string {
  if (!f) return '—';
  const text = esc(fmtFigure(f));
  // Figure ids repeat across the two reports: the side travels in the id ("A:accuracy.gsm8k.measured").
  return mode === 'webview' ? `<button class="fig" type="button" data-figure-id="${esc(`${side}:${f.id}`)}">${text}</button>` : text;
}

export function renderComparisonHtml(a: PartialReport, b: PartialReport, opts: CompareOptions): string {
  if (opts.mode === 'webview' && !opts.nonce) throw new Error('renderComparisonHtml: webview mode needs a nonce');
  const nonce = opts.nonce ?? makeNonce();
  const t = translator(opts.lang);
  const [la, lb] = opts.labels ?? ['A', 'B'];
  const rows = compareReports(a, b);
  const table = (section: CompareRow['section'], deltaHead: string, fmt: (r: CompareRow) => string) => {
    const rs = rows.filter((r) => r.section === section);
    if (!rs.length) return `<p>${esc(t.tr('Not run'))}</p>`;
    return `<table><thead><tr><th>${esc(t.tr('Metric'))}</th><th>${esc(la)}</th><th>${esc(lb)}</th><th>${esc(deltaHead)}</th></tr></thead><tbody>${rs
      .map(
        (r) =>
          `<tr><td>${esc(section === 'performance' ? perfLabel(t, r.key, r.label) : r.label)}</td><td>${figCell(r.a, 'A', opts.mode)}</td><td>${figCell(r.b, 'B', opts.mode)}</td><td class="${r.better === 'b' ? 'better' : r.better === 'a' ? 'worse' : ''}">${esc(fmt(r))}</td></tr>`,
      )
      .join('')}</tbody></table>`;
  };
  const verdict = (r: PartialReport) => {
    const o = r.verdict?.overall;
    return o === 'pass' ? verdictIcon('pass') : o === 'fail' ? verdictIcon('fail') : '⏸️';
  };
  const perfRows = rows.filter((r) => r.section === 'performance' && !r.key.startsWith('latency_'));
  const chart = perfRows.length
    ? groupedBarChart(
        t.tr('{0} vs {1} per metric', la, lb),
        perfRows.map((r) => ({
          label: perfLabel(t, r.key, r.label),
          bars: [
            { label: 'A', value: r.a?.value ?? null, cls: 'gpu' },
            { label: 'B', value: r.b?.value ?? null, cls: 'npu' },
          ],
        })),
        { legend: [{ cls: 'gpu', label: la }, { cls: 'npu', label: lb }] },
      )
    : '';
  const sim = a.simulated || b.simulated;
  const body = [
    htmlToolbar(t, 'standalone'),
    sim ? `<div class="banner" role="alert">${esc(t.tr('SIMULATED'))} — ${esc(t.tr('at least one of these reports comes from a simulated Ascend host.'))}</div>` : '',
    `<main><h1>${esc(t.tr('Validation report comparison'))}</h1>`,
    `<div class="side-by-side"><div><h3>${esc(la)}</h3><p>${esc(describe(a, t))} ${verdict(a)}</p></div><div><h3>${esc(lb)}</h3><p>${esc(describe(b, t))} ${verdict(b)}</p></div></div>`,
    `<h2>${esc(t.tr('Accuracy validation'))}</h2>`,
    table('accuracy', t.tr('Change (points)'), (r) => (r.delta === null ? '—' : `${r.delta > 0 ? '+' : ''}${fmtNum(r.delta)}`)),
    `<h2>${esc(t.tr('Performance benchmark'))}</h2>`,
    table('performance', t.tr('{0} relative to {1}', lb, la), (r) => (r.delta === null ? '—' : `${r.delta.toFixed(2)}x`)),
    chart ? `<div class="charts">${chart}</div>` : '',
    '</main>',
  ].join('\n');
  return htmlPage(t.tr('Validation report comparison'), opts.lang, body, { mode: opts.mode, nonce, cspSource: opts.cspSource });
}
