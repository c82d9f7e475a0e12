import { z } from 'zod';
import { esc } from '../report/charts';
import { makeNonce } from '../report/html';
import { translator, type Lang, type Translator } from '../l10n';
import { coreClass, hbarChart } from './charts';
import { aicpuHint } from './findings';
import type { ProfileSummary } from './schema';

/**
 * The Profile webview (and the same page standalone): tables and bar charts of a profile summary — device
 * time by core type, top operators (AI CPU rows highlighted, their fix beside them), the AI CPU operators with
 * the knowledge base's fix and source, computing / communication / free per step — and each rank's
 * trace_view.json for MindStudio Insight with "Copy path" and "Download". Self-contained: a strict CSP with a
 * per-panel nonce, inline SVG, nothing loaded from anywhere. The script only posts the messages below; the
 * extension parses them with `parseProfileMessage` and ignores anything else.
 */

export const ProfileMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('copyPath'), index: z.number().int().min(0).max(4096) }),
  z.strictObject({ type: z.literal('download'), index: z.number().int().min(0).max(4096) }),
]);
export type ProfileMessage = z.infer<typeof ProfileMessage>;

export function parseProfileMessage(raw: unknown): { ok: true; message: ProfileMessage } | { ok: false; error: string } {
  const r = ProfileMessage.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const i = r.error.issues[0];
  return { ok: false, error: `${i?.path.join('.') || 'message'}: ${i?.message ?? 'invalid'}` };
}

export interface ProfileView {
  title: string;
  jobId: string | null;
  host: string;
  /** Run state as shown (done, interrupted, failed …), already in the page's language. */
  state: string;
  simulated: boolean;
  summary: ProfileSummary | null;
  error: string | null;
}

const CSS = `
:root { --fg: var(--vscode-editor-foreground, #1f2328); --bg: var(--vscode-editor-background, #fff); --muted: var(--vscode-descriptionForeground, #59636e);
  --border: var(--vscode-panel-border, #d0d7de); --head-bg: var(--vscode-editorWidget-background, #f6f8fa); --gpu: var(--vscode-charts-blue, #0969da);
  --bad: var(--vscode-charts-red, #d1242f); --p90: var(--vscode-charts-yellow, #bf8700); --warn-bg: var(--vscode-inputValidation-warningBackground, #fff8c5);
  --font: var(--vscode-font-family, -apple-system, "Segoe UI", "Noto Sans SC", "PingFang SC", sans-serif); --mono: var(--vscode-editor-font-family, ui-monospace, Menlo, monospace); }
body { color: var(--fg); background: var(--bg); font-family: var(--font); font-size: 13px; margin: 0 auto; max-width: 1100px; padding: 12px 20px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid var(--border); padding-bottom: .2em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 6px 0 14px; } th, td { border: 1px solid var(--border); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--head-bg); } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.aicpu td { background: var(--warn-bg); } tr.aicpu td:first-child::before { content: "⚠ "; }
code { font-family: var(--mono); } .muted { color: var(--muted); } .fix { font-size: .92em; }
.banner { background: var(--bad); color: #fff; padding: 6px 12px; font-weight: 700; } .error { color: var(--bad); font-weight: 600; }
button { font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0969da); border: 0; padding: 2px 10px; cursor: pointer; margin-left: 6px; }
svg.chart { max-width: 100%; height: auto; } svg .chart-title { fill: var(--fg); font-weight: 600; font-size: 13px; }
svg .group, svg .value { fill: var(--fg); font-size: 11px; } svg .bar.gpu { fill: var(--gpu); } svg .bar.bad { fill: var(--bad); } svg .bar.p90 { fill: var(--p90); }
`;

const SCRIPT = `
const vscode = acquireVsCodeApi();
document.addEventListener('click', (e) => {
  const el = e.target instanceof Element ? e.target.closest('[data-copy],[data-download]') : null;
  if (!el) return;
  if (el.hasAttribute('data-copy')) vscode.postMessage({ type: 'copyPath', index: Number(el.getAttribute('data-copy')) });
  else vscode.postMessage({ type: 'download', index: Number(el.getAttribute('data-download')) });
});
vscode.postMessage({ type: 'ready' });
`;

const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);
const pct = (v: number) => `${v.toFixed(1)} %`;
const td = (s: string, num = false) => `<td${num ? ' class="num"' : ''}>${esc(s)}</td>`;

function table(head: string[], rows: string[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function opsSection(t: Translator, s: ProfileSummary, lang: Lang): string {
  const fixOf = new Map(s.aicpu.map((a) => [a.type, aicpuHint(a, lang)]));
  const rows = s.topOps.map((o) => {
    const hint = o.coreType === 'AI_CPU' ? fixOf.get(o.type) : undefined;
    return `<tr class="${o.coreType === 'AI_CPU' ? 'aicpu' : ''}" data-op="${esc(o.type)}">${td(o.type)}${td(o.coreType)}${td(String(o.count), true)}${td(us(o.totalUs), true)}${td(us(o.avgUs), true)}${td(us(o.maxUs), true)}${td(pct(o.sharePct), true)}<td class="fix">${hint ? esc(hint.fix) : ''}</td></tr>`;
  });
  const chart = hbarChart(t.tr('Top operators by device time'), s.topOps.map((o) => ({ label: `${o.type} (${o.coreType})`, value: o.totalUs, text: pct(o.sharePct), cls: coreClass(o.coreType) })));
  return `<h2>${esc(t.tr('Top operators by total device time'))}</h2>${chart}${table([t.tr('Operator'), t.tr('Core type'), t.tr('Count'), t.tr('Total'), t.tr('Avg'), t.tr('Max'), t.tr('Share'), t.tr('Fix')], rows)}`;
}

function aicpuSection(t: Translator, s: ProfileSummary, lang: Lang): string {
  if (!s.aicpu.length) return `<h2>${esc(t.tr('AI CPU operators'))}</h2><p>${esc(t.tr('No AI CPU operator with a task of {0} µs or more.', s.aicpuMinUs))}</p>`;
  const rows = s.aicpu.map((a) => {
    const h = aicpuHint(a, lang);
    return `<tr class="aicpu" data-aicpu="${esc(a.type)}">${td(a.type)}${td(String(a.count), true)}${td(us(a.totalUs), true)}${td(us(a.maxUs), true)}${td(a.dtypes.join(', '))}<td class="fix"><strong>${esc(h.title)}</strong><br>${esc(h.fix)}<br><span class="muted">${esc(t.tr('Source'))}: ${esc(h.source)}</span></td></tr>`;
  });
  return `<h2>${esc(t.tr('AI CPU operators (a task ≥ {0} µs)', s.aicpuMinUs))}</h2>${table([t.tr('Operator'), t.tr('Count'), t.tr('Total'), t.tr('Max'), t.tr('Input dtypes'), t.tr('Fix')], rows)}`;
}

function stepsSection(t: Translator, s: ProfileSummary): string {
  if (!s.steps.length) return '';
  const rows = s.steps.map((x) => `<tr>${td(String(x.rank))}${td(String(x.step ?? '—'))}${td(x.computingUs.toFixed(1), true)}${td(x.communicationUs.toFixed(1), true)}${td(x.freeUs.toFixed(1), true)}</tr>`);
  return `<h2>${esc(t.tr('Per step (µs): computing / communication (not overlapped) / free'))}</h2>${table([t.tr('Rank'), t.tr('Step'), t.tr('Computing'), t.tr('Communication'), t.tr('Free')], rows)}`;
}

function traceSection(t: Translator, s: ProfileSummary, webview: boolean): string {
  if (!s.traceFiles.length) return '';
  const items = s.traceFiles.map((f, i) => `<li><code>${esc(f)}</code>${webview ? `<button type="button" data-copy="${i}">${esc(t.tr('Copy Path'))}</button><button type="button" data-download="${i}">${esc(t.tr('Download'))}</button>` : ''}</li>`);
  return `<h2>${esc(t.tr('Timeline (trace_view.json) for MindStudio Insight'))}</h2><ul class="traces">${items.join('')}</ul>`;
}

export function renderProfileHtml(v: ProfileView, o: { lang: Lang; mode: 'webview' | 'standalone'; nonce?: string }): string {
  if (o.mode === 'webview' && !o.nonce) throw new Error('renderProfileHtml: webview mode needs a nonce');
  const nonce = o.nonce ?? makeNonce();
  const t = translator(o.lang);
  const s = v.summary;
  // The page loads nothing, not even the webview's own resource origin: inline SVG, nonce'd style and script.
  const csp = `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; font-src 'none'; script-src ${o.mode === 'webview' ? `'nonce-${nonce}'` : "'none'"}; base-uri 'none'; form-action 'none'`;
  const parts: string[] = [];
  if (v.simulated) parts.push(`<div class="banner" role="alert">${esc(t.tr('SIMULATED'))} — ${esc(t.tr('this profile comes from a simulated Ascend host: no NPU was measured.'))}</div>`);
  parts.push(`<h1>${esc(v.title)}</h1><p class="muted">${esc(t.tr('Profile job {0} on {1} · {2}', v.jobId ?? '—', v.host, v.state))}</p>`);
  if (v.error) parts.push(`<p class="error">${esc(v.error)}</p>`);
  if (s && s.ranks) {
    parts.push(`<p>${esc(t.tr('Profile of {0} rank(s): {1} of device time{2}', s.ranks, us(s.totalUs), ''))}</p>`);
    const cores = Object.entries(s.byCoreType).sort((a, b) => b[1] - a[1]);
    parts.push(`<h2>${esc(t.tr('Time by core type'))}</h2>`, hbarChart(t.tr('Device time by core type'), cores.map(([k, p]) => ({ label: k, value: p, text: pct(p), cls: coreClass(k) }))));
    parts.push(table([t.tr('Core type'), t.tr('Share'), t.tr('Total')], cores.map(([k, p]) => `<tr class="${k === 'AI_CPU' ? 'aicpu' : ''}">${td(k)}${td(pct(p), true)}${td(us(s.byCoreTypeUs[k] ?? 0), true)}</tr>`)));
    parts.push(aicpuSection(t, s, o.lang), opsSection(t, s, o.lang), stepsSection(t, s), traceSection(t, s, o.mode === 'webview'));
  } else if (!v.error) parts.push(`<p>${esc(t.tr('No profiler output yet.'))}</p>`);
  return [
    '<!DOCTYPE html>', `<html lang="${o.lang === 'zh-CN' ? 'zh-CN' : 'en'}">`, '<head>', '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`, '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(v.title)}</title>`, `<style nonce="${nonce}">${CSS}</style>`, '</head>', '<body>', ...parts,
    o.mode === 'webview' ? `<script nonce="${nonce}">${SCRIPT}</script>` : '', '</body>', '</html>', '',
  ].join('\n');
}
