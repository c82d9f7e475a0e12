import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compareReports, renderComparisonHtml } from '../../src/core/report/compare';
import { makeNonce, renderReportHtml } from '../../src/core/report/html';
import { renderMarkdown } from '../../src/core/report/markdown';
import { parseWebviewMessage } from '../../src/core/report/messages';
import type { Report } from '../../src/core/report/schema';
import { fixture, golden } from './helpers';

const seedFile = path.resolve(__dirname, '..', '..', '..', 'shared', 'seed', '000_8d7b970367f8ff20.txt');

/**
 * No URL that a browser would fetch or navigate to outside the page: no attribute or CSS url() pointing
 * anywhere but the page itself, and no remote host named anywhere (the loopback endpoint of the API check,
 * shown as text in the curl command, is the only URL the page mentions).
 */
function remoteUrls(html: string): string[] {
  const attrs = [...html.matchAll(/\b(?:src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]).filter((u) => !u.startsWith('#'));
  const css = [...html.matchAll(/url\(([^)]*)\)/gi)].map((m) => m[1]);
  const hosts = [...html.matchAll(/(?:https?|ftp|wss?):\/\/([^\s"'<>/:)]+)[^\s"'<>)]*/gi)].filter((m) => m[1] !== '127.0.0.1' && m[1] !== 'localhost').map((m) => m[0]);
  return [...attrs, ...css, ...hosts];
}

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'no CSP meta');
  return m[1];
}

describe('report rendering', () => {
  it('Markdown in Chinese matches the golden file (UPDATE_GOLDEN=1 rewrites)', () => {
    const md = renderMarkdown(fixture(), { lang: 'zh-CN' });
    assert.equal(md, golden('fixture_report.zh-CN.md', md));
  });

  it('Markdown in English matches the golden file', () => {
    const md = renderMarkdown(fixture(), { lang: 'en' });
    assert.equal(md, golden('fixture_report.en.md', md));
  });

  it('the Chinese Markdown has the tables of the hand-written report (same header rows)', () => {
    const md = renderMarkdown(fixture(), { lang: 'zh-CN' });
    const headers = [
      '| 维度 | 状态 | 说明 |',
      '| 适配项 | 状态 | 依据 |',
      '| 量化方式 | 适配状态 | 说明 |',
      '| 参数 | 值 |',
      '| 数据集 | GPU 参考精度 | NPU 实测 | 绝对误差 | 相对误差 | 阈值 | 状态 |',
      '| 指标 | GPU 基线 | NPU 实测 | 加速比 | 状态 |',
      '| 指标 | P50 | P90 | P99 | 状态 |',
      '| 指标 | GPU 基线 | NPU 实测 | 状态 |',
      '| 指标 | 值 |',
      '| 组件 | 版本 | 状态 |',
      '| 文件 | 内容说明 | 生成方式 |',
      '| 维度 | 状态 | 说明 | 证据位置 |',
    ];
    for (const h of headers) assert.ok(md.includes(h), `missing table ${h}`);
    // The hand-written report in ../shared, where present, has those same rows (the layout follows it).
    if (fs.existsSync(seedFile)) {
      const seed = fs.readFileSync(seedFile, 'utf8');
      for (const h of ['| 维度 | 状态 | 说明 |', '| 适配项 | 状态 | 依据 |', '| 量化方式 | 适配状态 | 说明 |', '| 指标 | P50 | P90 | P99 | 状态 |', '| 组件 | 版本 | 状态 |']) {
        assert.ok(seed.includes(h), `seed lacks ${h}`);
      }
    }
    assert.match(md, /\| GSM8K \(n=1319\) \| 96\.74%\[\^E7\] \| 95\.82%\[\^E5\] \| 0\.92% \| 0\.95% \| 1\.0% \| ✅ \|/);
    assert.match(md, /\| QPS \| 45\.2\[\^E8\] \| 42\.5\[\^E6\] \| 0\.94x \| ✅ \|/);
    assert.match(md, /综合精度误差: 平均绝对误差 0\.87%,最大绝对误差 0\.92%/);
    assert.match(md, /批量验证结论: 4\/4 测试全部通过/);
    assert.match(md, /🎉 Hunyuan-A13B-Instruct-GPTQ-Int4 昇腾NPU适配验证通过/);
  });

  it('every footnote used is defined with job, host and where (log offset or result file)', () => {
    const md = renderMarkdown(fixture(), { lang: 'en' });
    const used = new Set([...md.matchAll(/\[\^(E\d+)\](?!:)/g)].map((m) => m[1]));
    const defined = new Map([...md.matchAll(/^\[\^(E\d+)\]: (.*)$/gm)].map((m) => [m[1], m[2]]));
    assert.ok(used.size >= 8);
    for (const id of used) assert.ok(defined.has(id), `footnote ${id} not defined`);
    assert.match(defined.get('E3')!, /job 20260519-0912-serve-7f3a · host atlas-a2-01 · .* · log \/home\/user\/\.ascend-adapt\/jobs\/20260519-0912-serve-7f3a\/log, byte 48211 \(line 412\)/);
    assert.match(defined.get('E6')!, /file .*results\.json, at \/runs\/0\/metrics/);
  });

  it('a simulated report says SIMULATED at the top and in the verdict, in both languages', () => {
    const r: Report = { ...fixture(), simulated: true };
    const en = renderMarkdown(r, { lang: 'en' });
    assert.match(en.split('\n').slice(0, 4).join('\n'), /\*\*SIMULATED\*\*/);
    assert.match(en, /validation passed \(SIMULATED\)/);
    const zh = renderMarkdown(r, { lang: 'zh-CN' });
    assert.match(zh, /\*\*模拟\*\* — 本报告中的所有结果均来自模拟昇腾主机/);
    const html = renderReportHtml(r, { lang: 'zh-CN', mode: 'standalone' });
    assert.match(html, /<div class="banner" role="alert">模拟/);
  });

  it('a step that was not run shows "Not run" and why, instead of tables', () => {
    const r: Report = structuredClone(fixture());
    r.performance = { ...r.performance, status: 'not-run', reason: 'serving failed: port 8000 is taken', metrics: [], latency: null };
    const md = renderMarkdown(r, { lang: 'en' });
    assert.match(md, /## 3\. Performance benchmark\n\n⏸️ Not run: serving failed: port 8000 is taken\n/);
    assert.doesNotMatch(md, /\| QPS \|/);
  });

  it('standalone HTML: strict CSP with a nonce, no script, no remote URL, charts inline', () => {
    const html = renderReportHtml({ ...fixture(), simulated: true }, { lang: 'en', mode: 'standalone', nonce: 'abc123' });
    const csp = cspOf(html);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'none'/);
    assert.match(csp, /style-src 'nonce-abc123'/);
    assert.doesNotMatch(html, /<script/);
    assert.deepEqual(remoteUrls(html), []);
    assert.doesNotMatch(html, /<(img|link|iframe)\b/);
    // The detector itself catches what it must.
    assert.equal(remoteUrls('<img src="https://cdn.example.com/a.png">').length, 2);
    assert.equal(remoteUrls('<style>b{background:url(x.png)}</style>').length, 1);
    assert.equal(remoteUrls('<pre>see http://mirror.example.org/x</pre>').length, 1);
    assert.deepEqual(remoteUrls('<pre>curl http://127.0.0.1:8000/v1</pre><a href="#ev-E1">'), []);
    assert.match(html, /<style nonce="abc123">/);
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 4, 'perf, latency, accuracy, HBM charts');
    assert.match(html, /aria-label="NPU vs GPU per metric"/);
    assert.match(html, /aria-label="Latency percentiles \(e2el, ms\)"/);
    assert.match(html, /aria-label="Accuracy: absolute error against threshold/);
    assert.match(html, /aria-label="HBM used over the run"/);
    assert.match(html, /var\(--vscode-editor-foreground, #1f2328\)/, 'theme variables with fallbacks');
    // Figures link to their evidence entry.
    assert.match(html, /<a class="fig" href="#ev-E5" data-figure-id="accuracy\.gsm8k\.measured">95\.82%<\/a>/);
    assert.match(html, /<li id="ev-E5">/);
    assert.match(html, /<th>Dataset<\/th><th>GPU reference<\/th><th>NPU measured<\/th>/);
  });

  it('webview HTML: the nonce is on the one script and the style, the CSP names the webview source', () => {
    const html = renderReportHtml(fixture(), { lang: 'zh-CN', mode: 'webview', nonce: 'N0nce', cspSource: 'vscode-webview://abc' });
    const csp = cspOf(html);
    assert.equal(csp, "default-src 'none'; img-src vscode-webview://abc data:; style-src vscode-webview://abc 'nonce-N0nce'; font-src vscode-webview://abc; script-src 'nonce-N0nce'; base-uri 'none'; form-action 'none'");
    const scripts = [...html.matchAll(/<script([^>]*)>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0][1], ' nonce="N0nce"');
    assert.deepEqual(remoteUrls(html), []);
    assert.match(html, /<button class="fig" type="button" data-figure-id="perf\.request_throughput\.measured"/);
    assert.match(html, /data-export="md"/);
    assert.match(html, /<rect class="bar npu"[^>]*data-figure-id="perf\.mean_ttft_ms\.measured"/);
    assert.throws(() => renderReportHtml(fixture(), { lang: 'en', mode: 'webview' }), /nonce/);
  });

  it('comparison: B relative to A per metric, side by side, no remote URL', () => {
    const a = fixture();
    const b: Report = structuredClone(a);
    b.performance.metrics[0].measured.value = 47.25; // QPS up 11 %
    b.accuracy.datasets[0].measured.value = 96.0;
    const rows = compareReports(a, b);
    const qps = rows.find((r) => r.key === 'request_throughput')!;
    assert.equal(qps.delta, 1.1118);
    assert.equal(qps.better, 'b');
    const gsm = rows.find((r) => r.key === 'gsm8k')!;
    assert.equal(gsm.delta, 0.18);
    const ttft = rows.find((r) => r.key === 'mean_ttft_ms')!;
    assert.equal(ttft.better, 'same');
    const html = renderComparisonHtml(a, b, { lang: 'en', mode: 'webview', nonce: 'n1', cspSource: 'vscode-webview://x', labels: ['before patch', 'after patch'] });
    assert.match(cspOf(html), /script-src 'nonce-n1'/);
    assert.deepEqual(remoteUrls(html), []);
    assert.match(html, /<th>before patch<\/th><th>after patch<\/th><th>after patch relative to before patch<\/th>/);
    assert.match(html, /data-figure-id="B:perf\.request_throughput\.measured"/);
    assert.match(html, /1\.11x/);
  });

  it('an interrupted run: a banner at the top, the interrupted section keeps its partial figures, later sections say why they did not run', () => {
    const r = fixture();
    r.interrupted = { step: 'accuracy', at: '2026-05-19T09:40:00.000Z' };
    r.accuracy = { ...r.accuracy, status: 'not-run', reason: 'interrupted during Accuracy validation', partial: true };
    r.performance = { ...r.performance, status: 'not-run', reason: 'interrupted during Accuracy validation', metrics: [], latency: null };
    const en = renderMarkdown(r, { lang: 'en' });
    assert.match(en, /> ⏹️ \*\*Interrupted\*\* — the run was stopped during Accuracy validation; steps after it did not run/);
    assert.match(en, /## 2\. Accuracy validation\n\n⏹️ Interrupted: interrupted during Accuracy validation — partial results: only what completed before the stop\n/);
    assert.match(en, /\| GSM8K \(n=1319\) \| 96\.74%\[\^E7\] \| 95\.82%\[\^E5\]/, 'the partial figures are shown');
    assert.match(en, /## 3\. Performance benchmark\n\n⏸️ Not run: interrupted during Accuracy validation\n/);
    const zh = renderMarkdown(r, { lang: 'zh-CN' });
    assert.match(zh, /运行在精度验证时被停止/);
    assert.match(zh, /⏹️ 已中断: 在精度验证时中断 — 部分结果/);
  });

  it('nonces are fresh and CSP-safe', () => {
    const a = makeNonce();
    const b = makeNonce();
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{22}$/);
    const html = renderReportHtml(fixture(), { lang: 'en', mode: 'standalone' });
    const n = /<style nonce="([^"]+)">/.exec(html)![1];
    assert.match(cspOf(html), new RegExp(`'nonce-${n}'`));
  });

  it('webview messages are validated', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'openEvidence', figureId: 'accuracy.gsm8k.measured' }), {
      ok: true,
      message: { type: 'openEvidence', figureId: 'accuracy.gsm8k.measured' },
    });
    assert.equal(parseWebviewMessage({ type: 'export', format: 'md' }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'ready' }).ok, true);
    for (const bad of [null, 'x', {}, { type: 'export', format: 'pdf' }, { type: 'openEvidence' }, { type: 'openEvidence', figureId: 'a', extra: 1 }, { type: 'runCommand', cmd: 'rm -rf /' }]) {
      const r = parseWebviewMessage(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });
});
