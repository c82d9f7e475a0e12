import { randomBytes } from 'node:crypto';
import { esc, groupedBarChart, lineChart, thresholdChart, type BarGroup } from './charts';
import { perfLabel } from './format';
import { translator, type Lang, type Translator } from '../l10n';
import type { ReportProblem } from './load';
import { renderMarkdown } from './markdown';
import { profilingCharts } from './md-profile';
import type { PartialReport } from './schema';

/**
 * The report as one HTML page: the same sections and tables as the Markdown (rendered from the same
 * layout), plus inline SVG charts — NPU vs GPU per metric, latency percentiles, accuracy against
 * thresholds, HBM over the run. No remote URL anywhere; a strict Content-Security-Policy with a nonce;
 * colours from VS Code's theme variables with fallbacks, so the same page works in a webview and as a
 * standalone file.
 *
 * mode 'webview': figures are buttons that post {type:'openEvidence', figureId} (see messages.ts) and the
 * toolbar posts {type:'export', format}; the CSP admits the webview's resource origin (cspSource).
 * mode 'standalone': no script at all; figures link to their evidence entry at the end of the page.
 */
export interface HtmlOptions {
  lang: Lang;
  mode: 'webview' | 'standalone';
  /** Required in webview mode (VS Code makes one per panel); generated when absent in standalone mode. */
  nonce?: string;
  /** webview.cspSource; ignored in standalone mode. */
  cspSource?: string;
  problems?: ReportProblem[];
}

/** A fresh CSP nonce: 128 bits from the system's CSPRNG, base64url. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64url');
}

const CSS = `
:root {
  --fg: var(--vscode-editor-foreground, #1f2328);
  --bg: var(--vscode-editor-background, #ffffff);
  --muted: var(--vscode-descriptionForeground, #59636e);
  --border: var(--vscode-panel-border, #d0d7de);
  --head-bg: var(--vscode-editorWidget-background, #f6f8fa);
  --link: var(--vscode-textLink-foreground, #0969da);
  --code-bg: var(--vscode-textCodeBlock-background, #f6f8fa);
  --npu: var(--vscode-charts-blue, #0969da);
  --gpu: var(--vscode-charts-purple, #8250df);
  --ok: var(--vscode-charts-green, #1a7f37);
  --bad: var(--vscode-charts-red, #d1242f);
  --warn: var(--vscode-charts-yellow, #9a6700);
  --p50: var(--vscode-charts-green, #1a7f37);
  --p90: var(--vscode-charts-yellow, #bf8700);
  --p99: var(--vscode-charts-orange, #bc4c00);
  --line0: var(--vscode-charts-purple, #8250df);
  --line1: var(--vscode-charts-blue, #0969da);
  --font: var(--vscode-font-family, -apple-system, "Segoe UI", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif);
  --mono: var(--vscode-editor-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: var(--vscode-editor-foreground, #e6edf3);
    --bg: var(--vscode-editor-background, #0d1117);
    --muted: var(--vscode-descriptionForeground, #9198a1);
    --border: var(--vscode-panel-border, #3d444d);
    --head-bg: var(--vscode-editorWidget-background, #151b23);
    --link: var(--vscode-textLink-foreground, #4493f8);
    --code-bg: var(--vscode-textCodeBlock-background, #151b23);
  }
}
body { color: var(--fg); background: var(--bg); font-family: var(--font); font-size: 14px; line-height: 1.5; margin: 0 auto; max-width: 1100px; padding: 16px 24px; }
h1 { font-size: 1.6em; border-bottom: 1px solid var(--border); padding-bottom: .3em; }
h2 { font-size: 1.3em; border-bottom: 1px solid var(--border); padding-bottom: .2em; margin-top: 1.6em; }
h3 { font-size: 1.1em; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid var(--border); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--head-bg); }
code, pre { font-family: var(--mono); background: var(--code-bg); }
svg.mark { vertical-align: -2px; fill: none; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
svg.mark.pass { stroke: var(--ok); }
svg.mark.fail { stroke: var(--bad); }
svg.mark.warn { stroke: var(--warn); }
svg.mark.skip, svg.mark.idle { stroke: var(--muted); }
pre { padding: 10px; overflow-x: auto; white-space: pre-wrap; }
blockquote { margin: 8px 0; padding: 4px 12px; border-left: 4px solid var(--warn); }
blockquote.simulated { border-left-color: var(--bad); font-weight: 600; }
a, .fig { color: var(--link); }
.fig { background: none; border: 0; padding: 0; font: inherit; cursor: pointer; text-decoration: underline dotted; }
sup.ev { font-size: .7em; color: var(--muted); }
.banner { background: var(--bad); color: #fff; padding: 6px 12px; font-weight: 700; letter-spacing: .05em; }
.toolbar { display: flex; gap: 8px; justify-content: flex-end; }
.toolbar button { font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0969da); border: 0; padding: 4px 12px; cursor: pointer; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg.chart { max-width: 100%; height: auto; font-family: var(--font); }
svg .chart-title { fill: var(--fg); font-weight: 600; font-size: 13px; }
svg .tick, svg .group, svg .legend { fill: var(--muted); font-size: 11px; }
svg .value { fill: var(--fg); font-size: 11px; }
svg .axis, svg .grid { stroke: var(--border); }
svg .threshold { stroke: var(--warn); stroke-width: 3; }
svg .bar.npu { fill: var(--npu); } svg .bar.gpu { fill: var(--gpu); }
svg .bar.ok { fill: var(--ok); } svg .bar.bad { fill: var(--bad); }
svg .bar.p50 { fill: var(--p50); } svg .bar.p90 { fill: var(--p90); } svg .bar.p99 { fill: var(--p99); }
svg [data-figure-id] { cursor: pointer; }
svg .line { stroke-width: 2; } svg .line.d0 { stroke: var(--line0); } svg .line.d1 { stroke: var(--line1); }
svg .line.d2 { stroke: var(--ok); } svg .line.d3 { stroke: var(--warn); } svg .line.dn { stroke: var(--muted); }
ol.evidence li { font-size: .9em; margin-bottom: 4px; }
ol.evidence li:target { outline: 2px solid var(--link); }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.better { color: var(--ok); } .worse { color: var(--bad); }
`;

// Webview script: figures and chart marks post openEvidence; the toolbar posts export. Nothing else.
const SCRIPT = `
const vscode = acquireVsCodeApi();
document.addEventListener('click', (e) => {
  const el = e.target instanceof Element ? e.target.closest('[data-figure-id],[data-export]') : null;
  if (!el) return;
  e.preventDefault();
  if (el.hasAttribute('data-export')) vscode.postMessage({ type: 'export', format: el.getAttribute('data-export') });
  else vscode.postMessage({ type: 'openEvidence', figureId: el.getAttribute('data-figure-id') });
});
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  const el = e.target instanceof Element ? e.target.closest('[data-figure-id]') : null;
  if (el) vscode.postMessage({ type: 'openEvidence', figureId: el.getAttribute('data-figure-id') });
});
vscode.postMessage({ type: 'ready' });
`;

function csp(opts: { mode: 'webview' | 'standalone'; nonce: string; cspSource?: string }): string {
  const src = opts.mode === 'webview' && opts.cspSource ? ` ${opts.cspSource}` : '';
  const script = opts.mode === 'webview' ? `'nonce-${opts.nonce}'` : `'none'`;
  return `default-src 'none'; img-src${src} data:; style-src${src} 'nonce-${opts.nonce}'; font-src${src || " 'none'"}; script-src ${script}; base-uri 'none'; form-action 'none'`;
}

/** Markdown text (no code span) → HTML: escapes, figure / evidence markers, **bold**, backslash escapes. */
function inlineText(s: string, mode: 'webview' | 'standalone'): string {
  // Backslash-escaped punctuation is a literal character: set aside before anything reads it as markup.
  const literals: string[] = [];
  let h = s.replace(/\\([!-/:-@[-`{-~])/g, (_m, c: string) => `\u0002${literals.push(c) - 1}\u0003`);
  h = esc(h);
  h = h.replace(/\u0000F([^\u0001]*)\u0001([^\u0001]*)\u0001([^\u0000]*)\u0000/g, (_m, fid: string, ev: string, text: string) =>
    mode === 'webview'
      ? `<button class="fig" type="button" data-figure-id="${fid}" title="${ev}">${text}</button><sup class="ev">${ev}</sup>`
      : `<a class="fig" href="#ev-${ev}" data-figure-id="${fid}">${text}</a><sup class="ev">${ev}</sup>`,
  );
  h = h.replace(/\u0000R([^\u0000]*)\u0000/g, (_m, ev: string) => `<sup class="ev"><a href="#ev-${ev}">${ev}</a></sup>`);
  h = h.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  return h.replace(/\u0002(\d+)\u0003/g, (_m, i: string) => esc(literals[Number(i)]));
}

/**
 * The inline Markdown the report renderer writes → HTML. Code spans are taken first (their content is
 * literal, delimited by equal backtick runs as CommonMark has it), the text between them by inlineText.
 */
function inline(s: string, mode: 'webview' | 'standalone'): string {
  let out = '';
  let text = '';
  let i = 0;
  while (i < s.length) {
    if (s[i] === '\\' && i + 1 < s.length) {
      text += s.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (s[i] !== '`') {
      text += s[i++];
      continue;
    }
    const run = /^`+/.exec(s.slice(i))![0];
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = i + run.length;
    const m = close.exec(s);
    if (!m) {
      text += run;
      i += run.length;
      continue;
    }
    let code = s.slice(i + run.length, m.index);
    if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ')) code = code.slice(1, -1);
    out += `${inlineText(text, mode)}<code>${esc(code)}</code>`;
    text = '';
    i = m.index + run.length;
  }
  return out + inlineText(text, mode);
}

function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The subset of Markdown the report renderer writes → HTML. */
export function markdownToHtml(md: string, mode: 'webview' | 'standalone', charts: Record<string, string>): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let i = 0;
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${para.map((l) => inline(l, mode)).join('<br>')}</p>`);
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^(`{3,})/.exec(line);
    if (fence) {
      // Closed only by a fence at least as long (the renderer makes it longer than any run inside).
      flush();
      const closing = new RegExp(`^\`{${fence[1].length},}\\s*$`);
      const body: string[] = [];
      i++;
      while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
      i++;
      out.push(`<pre><code>${esc(body.join('\n'))}</code></pre>`);
      continue;
    }
    const chart = /^\u0000C([^\u0000]*)\u0000$/.exec(line);
    if (chart) {
      flush();
      if (charts[chart[1]]) out.push(`<div class="charts">${charts[chart[1]]}</div>`);
      i++;
      continue;
    }
    const h = /^(#{1,3}) (.*)$/.exec(line);
    if (h) {
      flush();
      out.push(`<h${h[1].length}>${inline(h[2], mode)}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (line.startsWith('|') && i + 1 < lines.length && /^\|(-+\|)+$/.test(lines[i + 1].trim())) {
      flush();
      const head = splitRow(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(splitRow(lines[i++]));
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${inline(c, mode)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${inline(c, mode)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
      continue;
    }
    if (line.startsWith('> ')) {
      flush();
      const body: string[] = [];
      while (i < lines.length && lines[i].startsWith('> ')) body.push(lines[i++].slice(2));
      const items = body.filter((b) => b.startsWith('- ')).map((b) => `<li>${inline(b.slice(2), mode)}</li>`);
      const text = body.filter((b) => !b.startsWith('- ')).map((b) => inline(b, mode));
      out.push(`<blockquote>${text.map((x) => `<p>${x}</p>`).join('')}${items.length ? `<ul>${items.join('')}</ul>` : ''}</blockquote>`);
      continue;
    }
    if (/^\[\^[^\]]+\]: /.test(line)) {
      flush();
      const items: string[] = [];
      while (i < lines.length && /^\[\^[^\]]+\]: /.test(lines[i])) {
        const m = /^\[\^([^\]]+)\]: (.*)$/.exec(lines[i++])!;
        items.push(`<li id="ev-${esc(m[1])}"><strong>${esc(m[1])}</strong> ${inline(m[2], mode)}</li>`);
      }
      out.push(`<ol class="evidence">${items.join('')}</ol>`);
      continue;
    }
    if (line.startsWith('- ')) {
      flush();
      const items: string[] = [];
      while (i < lines.length && lines[i].startsWith('- ')) items.push(`<li>${inline(lines[i++].slice(2), mode)}</li>`);
      out.push(`<ul>${items.join('')}</ul>`);
      continue;
    }
    if (line.trim() === '') {
      flush();
      i++;
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return out.join('\n');
}

/** The SVG charts for one report, keyed by the slots markdown.ts leaves. */
export function reportCharts(report: PartialReport, t: Translator): Record<string, string> {
  const charts: Record<string, string> = {};
  const perf = report.performance;
  if (perf && perf.metrics.length) {
    const groups: BarGroup[] = perf.metrics.map((m) => ({
      label: perfLabel(t, m.key, m.label),
      bars: [
        { label: 'GPU', value: m.baseline?.value ?? null, cls: 'gpu', figureId: m.baseline?.id },
        { label: 'NPU', value: m.measured.value, cls: 'npu', figureId: m.measured.id },
      ],
    }));
    charts.perf = groupedBarChart(t.tr('NPU vs GPU per metric'), groups, {
      legend: [
        { cls: 'gpu', label: t.tr('GPU baseline') },
        { cls: 'npu', label: t.tr('NPU measured') },
      ],
    });
  }
  if (perf?.latencies?.length) {
    charts.latency = groupedBarChart(
      t.tr('Latency percentiles (ms)'),
      perf.latencies.map((l) => ({
        label: l.metric.toUpperCase(),
        bars: [
          { label: 'P50', value: l.p50.value, cls: 'p50', figureId: l.p50.id },
          { label: 'P90', value: l.p90.value, cls: 'p90', figureId: l.p90.id },
          { label: 'P99', value: l.p99.value, cls: 'p99', figureId: l.p99.id },
        ],
      })),
    );
  } else if (perf?.latency) {
    const l = perf.latency;
    charts.latency = groupedBarChart(t.tr('Latency percentiles ({0}, ms)', l.metric), [
      {
        label: l.metric,
        bars: [
          { label: 'P50', value: l.p50.value, cls: 'p50', figureId: l.p50.id },
          { label: 'P90', value: l.p90.value, cls: 'p90', figureId: l.p90.id },
          { label: 'P99', value: l.p99.value, cls: 'p99', figureId: l.p99.id },
        ],
      },
    ]);
  }
  const acc = report.accuracy;
  if (acc && acc.datasets.length) {
    charts.accuracy = thresholdChart(
      t.tr('Accuracy: absolute error against threshold (percentage points)'),
      acc.datasets.map((d) => ({
        label: d.label,
        value: d.absError,
        threshold: d.threshold.absPoints,
        ok: d.verdict === null ? null : d.verdict === 'pass',
        figureId: d.measured.id,
      })),
      '%',
    );
  }
  if (perf && perf.hbmSamples.length) {
    // One series per device; on several nodes, per node and device.
    const key = (s: { host?: string; device: number }) => `${s.host ?? ''} NPU ${s.device}`.trim();
    const series = [...new Map(perf.hbmSamples.map((s) => [key(s), s])).values()].sort((a, b) => (a.host ?? '').localeCompare(b.host ?? '') || a.device - b.device);
    charts.hbm = lineChart(
      t.tr('HBM used over the run'),
      series.map((d, i) => ({
        label: key(d),
        cls: i < 4 ? `d${i}` : 'dn',
        points: perf.hbmSamples.filter((s) => key(s) === key(d)).map((s) => ({ x: s.t, y: s.usedMB })),
      })),
      's',
      'MB',
      perf.memory.peakMB?.id,
    );
  }
  return { ...charts, ...profilingCharts(report, t) };
}

/**
 * Status marks as inline SVG shapes (check, cross, triangle, pause, stop, skip) instead of emoji: a
 * machine without an emoji font shows emoji as empty boxes. Each has its word for screen readers, and the
 * shapes differ, so colour is never the only carrier.
 */
const MARKS: Array<{ emoji: RegExp; cls: string; word: (t: Translator) => string; path: string }> = [
  { emoji: /✅|🎉/g, cls: 'pass', word: (t) => t.tr('Passed'), path: 'M3 8.5l3 3 7-7' },
  { emoji: /❌/g, cls: 'fail', word: (t) => t.tr('Failed'), path: 'M4 4l8 8M12 4l-8 8' },
  { emoji: /⚠️?/g, cls: 'warn', word: (t) => t.tr('Warning'), path: 'M8 2l6.5 12h-13zM8 6.5v3.5M8 12v.5' },
  { emoji: /⏭️?/g, cls: 'skip', word: (t) => t.tr('Skipped'), path: 'M3 4l5 4-5 4zM9 4l5 4-5 4z' },
  { emoji: /⏸️?/g, cls: 'idle', word: (t) => t.tr('Not run'), path: 'M5.5 4v8M10.5 4v8' },
  { emoji: /⏹️?/g, cls: 'idle', word: (t) => t.tr('Interrupted'), path: 'M4.5 4.5h7v7h-7z' },
];

/** Replaces the marks in text nodes only — never in tags, attributes, code or titles (text from models and hosts stays as it is). */
export function statusMarks(html: string, t: Translator): string {
  const svg = MARKS.map((m) => {
    const word = esc(m.word(t));
    return { ...m, svg: `<svg class="mark ${m.cls}" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label="${word}"><title>${word}</title><path d="${m.path}"/></svg>` };
  });
  let literal = 0;
  return html
    .split(/(<[^>]*>)/)
    .map((part) => {
      const tag = /^<(\/?)(pre|code|title|textarea|script|style)\b/i.exec(part);
      if (tag) literal += tag[1] ? -1 : 1;
      if (part.startsWith('<') || literal > 0) return part;
      return svg.reduce((acc, m) => acc.replace(m.emoji, m.svg), part);
    })
    .join('');
}

function page(title: string, lang: Lang, bodyIn: string, opts: { mode: 'webview' | 'standalone'; nonce: string; cspSource?: string }): string {
  const body = statusMarks(bodyIn, translator(lang));
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang === 'zh-CN' ? 'zh-CN' : 'en'}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp(opts).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style nonce="${opts.nonce}">${CSS}</style>`,
    '</head>',
    '<body>',
    body,
    opts.mode === 'webview' ? `<script nonce="${opts.nonce}">${SCRIPT}</script>` : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function toolbar(t: Translator, mode: 'webview' | 'standalone'): string {
  if (mode !== 'webview') return '';
  return `<div class="toolbar"><button type="button" data-export="md">${esc(t.tr('Export Markdown'))}</button><button type="button" data-export="html">${esc(t.tr('Export HTML'))}</button></div>`;
}

export function renderReportHtml(report: PartialReport, opts: HtmlOptions): string {
  if (opts.mode === 'webview' && !opts.nonce) throw new Error('renderReportHtml: webview mode needs a nonce');
  const nonce = opts.nonce ?? makeNonce();
  const t = translator(opts.lang);
  const md = renderMarkdown(report, { lang: opts.lang, problems: opts.problems, target: 'html' });
  const banner = report.simulated ? `<div class="banner" role="alert">${esc(t.tr('SIMULATED'))} — ${esc(t.tr('every result in this report comes from a simulated Ascend host, not from real NPUs.'))}</div>` : '';
  const body = `${toolbar(t, opts.mode)}${banner}\n<main>${markdownToHtml(md, opts.mode, reportCharts(report, t))}</main>`;
  const title = t.tr('{0} — Ascend NPU adaptation validation report', report.model?.name ?? t.tr('(unknown model)'));
  return page(title, opts.lang, body, { mode: opts.mode, nonce, cspSource: opts.cspSource });
}

export { page as htmlPage, toolbar as htmlToolbar };
