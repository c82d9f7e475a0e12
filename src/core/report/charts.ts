/**
 * Inline SVG charts for the HTML report and the webview: generated here as text, no library, no remote
 * resource. Colours come from CSS custom properties (set in html.ts from VS Code theme variables with
 * fallbacks), so the charts follow the editor theme. Every mark that shows a figure carries
 * data-figure-id, so a click can open that figure's evidence.
 */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function label(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toFixed(2)));
}

export interface Bar {
  label: string;
  value: number | null;
  figureId?: string;
  /** CSS class: "npu", "gpu", "ok", "bad", "p50"… */
  cls: string;
  title?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

/** Grouped vertical bars, one y scale per group (metrics with different units side by side). */
export function groupedBarChart(title: string, groups: BarGroup[], opts: { legend?: Array<{ cls: string; label: string }> } = {}): string {
  const gw = 150;
  const h = 190;
  const top = 34;
  const bottom = 40;
  const plotH = h - top - bottom;
  const w = Math.max(gw * groups.length + 20, 320);
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`);
  parts.push(`<text class="chart-title" x="10" y="16">${esc(title)}</text>`);
  if (opts.legend) {
    let lx = w - 10;
    for (const l of [...opts.legend].reverse()) {
      lx -= 8 + l.label.length * 7 + 18;
      parts.push(`<rect class="bar ${esc(l.cls)}" x="${lx}" y="8" width="10" height="10"/><text class="legend" x="${lx + 14}" y="17">${esc(l.label)}</text>`);
    }
  }
  groups.forEach((g, gi) => {
    const x0 = 10 + gi * gw;
    const max = Math.max(...g.bars.map((b) => b.value ?? 0), 1e-9);
    const bw = Math.min(40, (gw - 30) / Math.max(g.bars.length, 1));
    g.bars.forEach((b, bi) => {
      const x = x0 + 10 + bi * (bw + 6);
      const bh = b.value === null ? 0 : (b.value / max) * (plotH - 14);
      const y = top + plotH - bh;
      const fid = b.figureId ? ` data-figure-id="${esc(b.figureId)}" tabindex="0"` : '';
      parts.push(
        `<rect class="bar ${esc(b.cls)}" x="${n(x)}" y="${n(y)}" width="${n(bw)}" height="${n(Math.max(bh, 0.5))}"${fid}><title>${esc(b.title ?? `${b.label}: ${b.value === null ? '—' : label(b.value)}`)}</title></rect>`,
      );
      parts.push(`<text class="value" x="${n(x + bw / 2)}" y="${n(y - 3)}" text-anchor="middle">${b.value === null ? '—' : esc(label(b.value))}</text>`);
      parts.push(`<text class="tick" x="${n(x + bw / 2)}" y="${top + plotH + 13}" text-anchor="middle">${esc(b.label)}</text>`);
    });
    parts.push(`<text class="group" x="${n(x0 + 10)}" y="${h - 8}">${esc(g.label)}</text>`);
    parts.push(`<line class="axis" x1="${x0 + 5}" y1="${top + plotH}" x2="${x0 + gw - 10}" y2="${top + plotH}"/>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface ThresholdRow {
  label: string;
  value: number | null;
  threshold: number | null;
  ok: boolean | null;
  figureId?: string;
}

/** Horizontal bars (absolute error) against a threshold marker per row. */
export function thresholdChart(title: string, rows: ThresholdRow[], unit: string): string {
  const w = 520;
  const rowH = 30;
  const left = 120;
  const right = 60;
  const top = 30;
  const h = top + rows.length * rowH + 20;
  const max = Math.max(...rows.flatMap((r) => [r.value ?? 0, r.threshold ?? 0]), 1e-9) * 1.15;
  const sx = (v: number) => left + (v / max) * (w - left - right);
  const parts = [`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`];
  parts.push(`<text class="chart-title" x="10" y="16">${esc(title)}</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text class="tick" x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>`);
    if (r.value !== null) {
      const fid = r.figureId ? ` data-figure-id="${esc(r.figureId)}" tabindex="0"` : '';
      parts.push(
        `<rect class="bar ${r.ok === false ? 'bad' : 'ok'}" x="${left}" y="${y + 4}" width="${n(Math.max(sx(r.value) - left, 0.5))}" height="16"${fid}><title>${esc(`${r.label}: ${label(r.value)}${unit}`)}</title></rect>`,
      );
      parts.push(`<text class="value" x="${n(sx(r.value) + 4)}" y="${y + 16}">${esc(label(r.value) + unit)}</text>`);
    }
    if (r.threshold !== null) {
      const x = sx(r.threshold);
      parts.push(`<line class="threshold" x1="${n(x)}" y1="${y}" x2="${n(x)}" y2="${y + 24}"><title>${esc(`threshold ${label(r.threshold)}${unit}`)}</title></line>`);
    }
  });
  parts.push(`<line class="axis" x1="${left}" y1="${top - 4}" x2="${left}" y2="${h - 16}"/>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface Series {
  label: string;
  cls: string;
  points: Array<{ x: number; y: number }>;
}

/** Line chart (HBM over the run), one series per device. */
export function lineChart(title: string, series: Series[], xUnit: string, yUnit: string, figureId?: string): string {
  const w = 520;
  const h = 220;
  const left = 60;
  const right = 16;
  const top = 30;
  const bottom = 34;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(...all.map((p) => p.x), 1);
  const maxY = Math.max(...all.map((p) => p.y), 1) * 1.1;
  const sx = (x: number) => left + (x / maxX) * (w - left - right);
  const sy = (y: number) => top + (h - top - bottom) * (1 - y / maxY);
  const fid = figureId ? ` data-figure-id="${esc(figureId)}" tabindex="0"` : '';
  const parts = [`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"${fid}>`];
  parts.push(`<text class="chart-title" x="10" y="16">${esc(title)}</text>`);
  for (const frac of [0, 0.5, 1]) {
    const yv = (maxY / 1.1) * frac;
    parts.push(`<line class="grid" x1="${left}" y1="${n(sy(yv))}" x2="${w - right}" y2="${n(sy(yv))}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${n(sy(yv) + 4)}" text-anchor="end">${esc(label(yv))}</text>`);
  }
  parts.push(`<text class="tick" x="${w - right}" y="${h - 6}" text-anchor="end">${esc(`${label(maxX)} ${xUnit}`)}</text>`);
  parts.push(`<text class="tick" x="${left}" y="${h - 6}">0</text>`);
  parts.push(`<text class="tick" x="8" y="${top - 4}">${esc(yUnit)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${n(sx(p.x))},${n(sy(p.y))}`).join(' ');
    parts.push(`<path class="line ${esc(s.cls)}" d="${d}" fill="none"><title>${esc(s.label)}</title></path>`);
    parts.push(`<text class="legend" x="${left + 8 + i * 90}" y="${top + 12}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
