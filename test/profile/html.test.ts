// The Profile page (webview and standalone): strict CSP with a per-page nonce and nothing remote, AI CPU rows
// highlighted with the knowledge base's fix, figures as the summary holds them, every piece of text escaped,
// both languages; webview messages parsed with zod, anything else refused with a reason.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseProfileMessage, renderProfileHtml, type ProfileView } from '../../src/core/profile/html';
import { SummarySchema, SUMMARY_SCHEMA } from '../../src/core/profile/schema';

const ev = (row: number) => ({ rank: 0, file: 'kernel_details.csv', row });
const summary = SummarySchema.parse({
  schema: SUMMARY_SCHEMA,
  ranks: 1,
  outputDirs: ['/runs/p/x_ascend_pt/ASCEND_PROFILER_OUTPUT'],
  unparsed: [],
  simulated: false,
  traceFiles: ['/runs/p/x_ascend_pt/ASCEND_PROFILER_OUTPUT/trace_view.json'],
  totalUs: 1000,
  topOps: [
    { type: 'MatMulV3', coreType: 'AI_CORE', count: 4, totalUs: 600, avgUs: 150, maxUs: 200, sharePct: 60, evidence: ev(2) },
    { type: 'IndexPutV2', coreType: 'AI_CPU', count: 2, totalUs: 300, avgUs: 150, maxUs: 160, sharePct: 30, evidence: ev(3) },
    { type: '<script>x</script>', coreType: 'AI_VECTOR_CORE', count: 1, totalUs: 100, avgUs: 100, maxUs: 100, sharePct: 10, evidence: ev(4) },
  ],
  byCoreType: { AI_CORE: 60, AI_CPU: 30, AI_VECTOR_CORE: 10 },
  byCoreTypeUs: { AI_CORE: 600, AI_CPU: 300, AI_VECTOR_CORE: 100 },
  aicpu: [{ type: 'IndexPutV2', count: 2, totalUs: 300, maxUs: 160, dtypes: ['FLOAT', 'BOOL'], hint: 'Modify code to avoid aicpu operator', evidence: ev(3) }],
  aicpuMinUs: 20,
  steps: [{ rank: 0, step: 1, computingUs: 900, communicationUs: 0, freeUs: 100, row: 2 }],
  perRank: [],
  error: null,
});
const view: ProfileView = { title: 'Profile of p', jobId: 'job-1', host: 'atlas', state: 'profiled', simulated: false, summary, error: null };

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'a CSP meta tag');
  return m[1]!;
}

describe('Profile page', () => {
  it('webview: strict CSP with the nonce on the one style and the one script; nothing remote', () => {
    const html = renderProfileHtml(view, { lang: 'en', mode: 'webview', nonce: 'abcDEF123_-abcDEF123_-' });
    const csp = cspOf(html);
    assert.match(csp, /^default-src 'none';/);
    assert.match(csp, /script-src 'nonce-abcDEF123_-abcDEF123_-'/);
    assert.match(csp, /style-src 'nonce-abcDEF123_-abcDEF123_-'/);
    assert.doesNotMatch(csp, /unsafe|https?:|\*/);
    assert.equal([...html.matchAll(/<script\b/g)].length, 1);
    assert.match(html, /<script nonce="abcDEF123_-abcDEF123_-">/);
    assert.match(html, /<style nonce="abcDEF123_-abcDEF123_-">/);
    assert.doesNotMatch(html, /<(img|script|link|iframe)[^>]+(src|href)=/i, 'no resource loaded');
    assert.doesNotMatch(html, /<script>x<\/script>/, 'operator names are escaped');
    assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.throws(() => renderProfileHtml(view, { lang: 'en', mode: 'webview' }), /nonce/);
  });

  it('AI CPU rows are highlighted with the fix; figures as the summary holds them; timelines with copy / download', () => {
    const html = renderProfileHtml(view, { lang: 'en', mode: 'webview', nonce: 'n0n0n0n0n0n0n0n0n0n0n0' });
    assert.match(html, /<tr class="aicpu" data-aicpu="IndexPutV2"><td>IndexPutV2<\/td><td class="num">2<\/td><td class="num">300\.0 µs<\/td><td class="num">160\.0 µs<\/td><td>FLOAT, BOOL<\/td><td class="fix"><strong>[^<]*IndexPut[^<]*<\/strong><br>[^<]*torch\.where\(mask, v, x\)/);
    assert.match(html, /<tr class="aicpu" data-op="IndexPutV2"><td>IndexPutV2<\/td><td>AI_CPU<\/td><td class="num">2<\/td><td class="num">300\.0 µs<\/td>/);
    assert.match(html, /<tr class="" data-op="MatMulV3"><td>MatMulV3<\/td><td>AI_CORE<\/td><td class="num">4<\/td><td class="num">600\.0 µs<\/td><td class="num">150\.0 µs<\/td><td class="num">200\.0 µs<\/td><td class="num">60\.0 %<\/td><td class="fix"><\/td>/);
    assert.match(html, /<tr class="aicpu"><td>AI_CPU<\/td><td class="num">30\.0 %<\/td><td class="num">300\.0 µs<\/td><\/tr>/);
    assert.match(html, /<td>0<\/td><td>1<\/td><td class="num">900\.0<\/td><td class="num">0\.0<\/td><td class="num">100\.0<\/td>/);
    assert.match(html, /<code>\/runs\/p\/x_ascend_pt\/ASCEND_PROFILER_OUTPUT\/trace_view\.json<\/code><button type="button" data-copy="0">Copy Path<\/button><button type="button" data-download="0">Download<\/button>/);
    assert.match(html, /<svg class="chart"/);
    assert.doesNotMatch(html, /SIMULATED/, 'a real host has no simulated banner');
  });

  it('standalone: no script at all; simulated runs say so; zh-CN; an error and no output are stated', () => {
    const html = renderProfileHtml({ ...view, simulated: true }, { lang: 'zh-CN', mode: 'standalone' });
    assert.match(cspOf(html), /script-src 'none'/);
    assert.doesNotMatch(html, /<script\b/);
    assert.doesNotMatch(html, /data-copy/);
    assert.match(html, /<html lang="zh-CN">/);
    assert.match(html, /SIMULATED|模拟/);
    assert.match(html, /AI CPU 算子/);
    const failed = renderProfileHtml({ ...view, summary: null, error: 'server lacks --profiler-config' }, { lang: 'en', mode: 'standalone' });
    assert.match(failed, /<p class="error">server lacks --profiler-config<\/p>/);
    assert.match(renderProfileHtml({ ...view, summary: null }, { lang: 'en', mode: 'standalone' }), /No profiler output yet\./);
  });

  it('webview messages: the three kinds pass, anything else is refused with what was wrong', () => {
    assert.deepEqual(parseProfileMessage({ type: 'copyPath', index: 0 }), { ok: true, message: { type: 'copyPath', index: 0 } });
    assert.deepEqual(parseProfileMessage({ type: 'download', index: 3 }), { ok: true, message: { type: 'download', index: 3 } });
    assert.equal(parseProfileMessage({ type: 'ready' }).ok, true);
    for (const bad of [null, 'copyPath', { type: 'runCommand', command: 'workbench.action.quit' }, { type: 'copyPath', index: -1 }, { type: 'copyPath', index: 1.5 }, { type: 'copyPath', index: 0, path: '/etc/passwd' }]) {
      const r = parseProfileMessage(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.ok(!r.ok && r.error.length > 0);
    }
    const r = parseProfileMessage({ type: 'copyPath', index: 'x' });
    assert.ok(!r.ok && /index/.test(r.error), 'names the field');
  });
});
