import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { renderComparisonHtml } from '../../src/core/report/compare';
import { renderReportHtml } from '../../src/core/report/html';
import { renderMarkdown } from '../../src/core/report/markdown';
import { codeSpan, fencedBlock, mdText } from '../../src/core/report/mdtext';
import type { Report } from '../../src/core/report/schema';
import { fixture } from './helpers';

/**
 * Reports carry text from the model and the host: smoke answers, model names, check details, env values,
 * paths. Fed hostile text, the Markdown must stay data — checked with markdown-it (a CommonMark + GFM
 * parser we did not write, raw HTML enabled as GitHub and VS Code's preview allow it): no raw HTML token,
 * no injected heading, tables keep their columns, a smoke answer holding ``` stays inside its code block.
 * The HTML rendering must show the same text escaped.
 */
const XSS = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(2)>';
const FENCE_BREAK = 'Sure:\n```\n</code>' + IMG + '\n```\n# Injected heading\n\n| a | b |\n|---|---|\n````more';

function hostile(): Report {
  const r = fixture();
  r.model.name = `${XSS} **model** [x](javascript:alert(3))`;
  r.model.architecture = IMG;
  r.smoke.results[0].output = FENCE_BREAK;
  r.smoke.results[0].prompt = `prompt | with pipes ${XSS}\n# heading in prompt`;
  r.smoke.results[1].ok = false;
  r.smoke.results[1].problem = `stream ended: ${IMG} \u001b[31mred\u001b[0m`;
  const h = r.hosts[0];
  h.name = `atlas ${IMG}`;
  h.versions.vllm = `0.18.0 ${XSS}`;
  h.env.EVIL = '```\n$(rm -rf ~) `whoami` ' + XSS;
  h.checks[0].detail = `found \u001b]0;title\u0007 and ${IMG} | pipe`;
  h.checks[0].fix = '- # not a heading';
  r.adaptation.items[0].title = `${XSS}`;
  r.adaptation.items[0].basis = '[click](http://evil.invalid) ~~struck~~ _em_ *em* &amp; &lt;b&gt;';
  r.notes.push(`# heading note ${XSS}`, '1. not a list', '> not a quote');
  r.files[0].path = 'evidence/we`ird|name.json';
  r.evidence[0].command = ['sh', '-c', 'echo `id` | cat'];
  r.evidence[0].file = `/tmp/${IMG}`;
  r.steps[0].reason = `env \u001b[2J${XSS}`;
  return r;
}

const parser = new MarkdownIt({ html: true });

/** Event-handler attributes (onerror=, onload= …) on any element, quoted attribute values set aside. */
function handlerAttributes(html: string): string[] {
  return [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0]).filter((tag) => /\son[a-z]+\s*=/i.test(tag.replace(/"[^"]*"|'[^']*'/g, '""')));
}

function walk(tokens: Token[], f: (t: Token) => void): void {
  for (const t of tokens) {
    f(t);
    if (t.children) walk(t.children, f);
  }
}

describe('hostile text in reports', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    it(`Markdown (${lang}): no raw HTML, no injected heading or list, tables keep their columns, the smoke block holds the whole answer`, () => {
      const md = renderMarkdown(hostile(), { lang });
      const tokens = parser.parse(md, {});
      const html: string[] = [];
      walk(tokens, (t) => {
        if (t.type === 'html_block' || t.type === 'html_inline') html.push(t.content);
      });
      assert.deepEqual(html, [], 'raw HTML passed through');
      const headings = tokens.filter((t) => t.type === 'inline' && tokens[tokens.indexOf(t) - 1]?.type === 'heading_open').map((t) => t.content);
      assert.ok(!headings.some((h) => /Injected|heading in prompt|heading note|not a heading/.test(h)), headings.join('\n'));
      assert.equal(headings.filter((h) => /^[1-8]\. /.test(h)).length, 8, 'the eight chapters are all there, after the hostile smoke answer');
      // Every table keeps the number of cells of its header.
      let cols = 0;
      let inHead = false;
      const bad: string[] = [];
      let cells = 0;
      for (const t of tokens) {
        if (t.type === 'thead_open') [inHead, cols] = [true, 0];
        if (t.type === 'thead_close') inHead = false;
        if (t.type === 'th_open' && inHead) cols++;
        if (t.type === 'tr_open') cells = 0;
        if (t.type === 'td_open') cells++;
        if (t.type === 'tr_close' && !inHead && cells !== cols) bad.push(`${cells} of ${cols} at line ${t.map?.[0] ?? '?'}`);
      }
      assert.deepEqual(bad, []);
      // The smoke answer is inside one fenced block, whole.
      const fences = tokens.filter((t) => t.type === 'fence');
      const smoke = fences.find((f) => f.content.includes('Sure:'));
      assert.ok(smoke, 'smoke block');
      assert.ok(smoke.content.includes('# Injected heading') && smoke.content.includes('````more'), smoke.content);
      const env = fences.find((f) => f.content.includes('EVIL'));
      assert.ok(env && env.content.includes('$(rm -rf ~)') && env.content.includes(XSS), 'env values shown whole in their block');
      // The text reads back as it was written (not as markup).
      const rendered = parser.render(md);
      assert.match(rendered, /&lt;script&gt;alert\(1\)&lt;\/script&gt; \*\*model\*\* \[x\]\(javascript:alert\(3\)\)/);
      assert.doesNotMatch(rendered, /<a href="javascript/);
      assert.doesNotMatch(rendered, /<(em|del|strong)>(struck|em|model)/);
      // No control byte reaches the file (a terminal printing it would obey ESC sequences).
      assert.doesNotMatch(md, /[\u0000-\u0008\u000b-\u001f\u007f]/);
      assert.match(md, /␛\\\[31mred/, 'ESC shown as its picture');
    });
  }

  it('HTML: the same hostile text is escaped everywhere, standalone and webview', () => {
    for (const mode of ['standalone', 'webview'] as const) {
      const html = renderReportHtml(hostile(), { lang: 'en', mode, nonce: 'bm9uY2U' });
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      assert.deepEqual(scripts, mode === 'webview' ? ['<script nonce="bm9uY2U">'] : []);
      assert.doesNotMatch(html, /<img\b/i);
      assert.deepEqual(handlerAttributes(html), []);
      assert.doesNotMatch(html, /href="javascript/i);
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(html, /&lt;img src=x onerror=alert\(2\)&gt;/);
      // The smoke answer is one <pre> and the chapters after it are headings.
      const pre = [...html.matchAll(/<pre><code>([\s\S]*?)<\/code><\/pre>/g)].map((m) => m[1]).find((c) => c.includes('Sure:'));
      assert.ok(pre && pre.includes('# Injected heading') && pre.includes('````more'));
      assert.match(html, /<h2>5\. Environment check<\/h2>/);
      assert.doesNotMatch(html, /<h1>Injected/);
      assert.match(html, /<code>evidence\/we`ird\|name\.json<\/code>/, 'a path with a backtick and a pipe stays one code span in its cell');
      assert.match(html, /\[click\]\(http:\/\/evil\.invalid\) ~~struck~~ _em_ \*em\* &amp;amp; &amp;lt;b&amp;gt;/, 'markup in data shown literally');
    }
  });

  it('HTML comparison: names, labels and column titles from reports are escaped', () => {
    const a = hostile();
    const b = hostile();
    a.accuracy.datasets[0].label = IMG;
    b.performance.metrics[0].label = XSS;
    b.performance.metrics[0].key = 'custom_metric';
    const html = renderComparisonHtml(a, b, { lang: 'en', mode: 'webview', nonce: 'bm9uY2U', labels: [XSS, IMG] });
    assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]), ['<script nonce="bm9uY2U">']);
    assert.doesNotMatch(html, /<img\b/i);
    assert.deepEqual(handlerAttributes(html), []);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('mdText, fencedBlock and codeSpan on their own', () => {
    assert.equal(mdText('a|b <i> `c` *d* _e_ HCCL_OP [f] ~g~ \\'), 'a\\|b \\<i> \\`c\\` \\*d\\* \\_e\\_ HCCL_OP \\[f\\] \\~g\\~ \\\\');
    assert.equal(mdText('# h'), '\\# h');
    assert.equal(mdText('0.18.0'), '0.18.0', 'a version is not a list item');
    assert.equal(mdText('2. x'), '2\\. x');
    assert.equal(mdText('line\nbreak'), 'line break');
    assert.deepEqual(fencedBlock('text', 'a\n```\nb'), ['````text', 'a\n```\nb', '````']);
    assert.deepEqual(fencedBlock('', 'plain'), ['```', 'plain', '```']);
    assert.equal(codeSpan('a`b'), '``a`b``');
    assert.equal(codeSpan('`x'), '`` `x ``');
    assert.equal(codeSpan('a|b', true), '`a\\|b`');
    assert.equal(handlerAttributes('<p title="x onerror=1">ok</p><img src=x onerror=alert(1)>').length, 1, 'the check finds a real handler');
  });
});
