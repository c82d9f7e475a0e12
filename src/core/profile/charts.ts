import { esc } from '../report/charts';

/**
 * Horizontal bars for a profile (operator names are long): the report's HTML and the Profile webview use
 * them. Inline SVG text, colours from CSS classes (`bar <cls>`), marks that show a figure carry
 * data-figure-id like the report's charts.
 */
export interface HBar {
  label: string;
  value: number;
  /** Text at the end of the bar ("12.3 %"). */
  text: string;
  cls: string;
  figureId?: string;
}

export function hbarChart(title: string, bars: HBar[], opts: { width?: number } = {}): string {
  const w = opts.width ?? 640;
  const labelW = Math.min(260, Math.max(80, ...bars.map((b) => b.label.length * 7 + 12)));
  const rowH = 20;
  const top = 28;
  const h = top + bars.length * rowH + 8;
  const plotW = w - labelW - 90;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const parts = [`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`, `<text class="chart-title" x="8" y="16">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const bw = Math.max(1, (b.value / max) * plotW);
    const label = b.label.length > 36 ? `${b.label.slice(0, 35)}…` : b.label;
    parts.push(`<text class="group" x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(label)}<title>${esc(b.label)}</title></text>`);
    const fig = b.figureId ? ` data-figure-id="${esc(b.figureId)}" tabindex="0"` : '';
    parts.push(`<rect class="bar ${esc(b.cls)}" x="${labelW}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 6}"${fig}><title>${esc(`${b.label}: ${b.text}`)}</title></rect>`);
    parts.push(`<text class="value" x="${(labelW + bw + 4).toFixed(1)}" y="${y + 13}">${esc(b.text)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The chart class of a core type: AI CPU stands out, communication is its own colour. */
export function coreClass(core: string): string {
  if (core === 'AI_CPU') return 'bad';
  if (core === 'COMMUNICATION' || core === 'HCCL') return 'p90';
  return 'gpu';
}
