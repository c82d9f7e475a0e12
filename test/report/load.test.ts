import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseReportText, repairTruncatedJson } from '../../src/core/report/load';
import { renderMarkdown } from '../../src/core/report/markdown';
import { renderReportHtml } from '../../src/core/report/html';
import { fixture, fixtureText } from './helpers';

const FILE = 'validation_report_20260519.json';

describe('report loading: bad input gives messages naming the file and field, and the rest is still shown', () => {
  it('a report from a newer schema version loads with a warning', () => {
    const r = fixture();
    const text = JSON.stringify({ ...r, schemaVersion: 7, futureSection: { x: 1 } });
    const l = parseReportText(text, FILE);
    assert.equal(l.problems.length, 1);
    assert.equal(l.problems[0].path, 'schemaVersion');
    assert.equal(l.problems[0].severity, 'warning');
    assert.match(l.problems[0].message, /validation_report_20260519\.json/);
    assert.match(l.problems[0].message, /version 7/);
    assert.deepEqual(l.report.accuracy, r.accuracy);
  });

  it('a wrong type names the field; the bad entry is left out and its siblings kept', () => {
    const r = fixture() as unknown as { accuracy: { datasets: Array<{ measured: { value: unknown } }> } };
    r.accuracy.datasets[1].measured.value = '68.3';
    const l = parseReportText(JSON.stringify(r), FILE);
    const msgs = l.problems.map((p) => p.message).join('\n');
    assert.match(msgs, /validation_report_20260519\.json: field "accuracy\.datasets\[1\]\.measured\.value": expected number, got string/);
    assert.equal(l.report.accuracy?.datasets.length, 2);
    assert.deepEqual(l.report.accuracy?.datasets.map((d) => d.name), ['gsm8k', 'math']);
    assert.ok(l.report.performance, 'other sections kept');
    assert.equal(l.complete, false);
  });

  it('a missing section is reported and rendered as missing; the others still render', () => {
    const r = fixture() as unknown as Record<string, unknown>;
    delete r.performance;
    const l = parseReportText(JSON.stringify(r), FILE);
    assert.ok(l.problems.some((p) => p.path === 'performance' && /section "performance" is missing/.test(p.message)));
    assert.equal(l.report.performance, undefined);
    const md = renderMarkdown(l.report, { lang: 'en', problems: l.problems });
    assert.match(md, /## 3\. Performance benchmark\n\n⚠️ This section is missing from the report file/);
    assert.match(md, /section "performance" is missing/);
    assert.match(md, /\| GSM8K \(n=1319\) \| 96\.74%\[\^E7\] \| 95\.82%\[\^E5\]/);
  });

  it('a section that is the wrong shape entirely is dropped with a message', () => {
    const r = fixture() as unknown as Record<string, unknown>;
    r.smoke = 'oops';
    const l = parseReportText(JSON.stringify(r), FILE);
    assert.ok(l.problems.some((p) => p.message.includes('"smoke"') && p.severity === 'error'));
    assert.equal(l.report.smoke, undefined);
    assert.ok(l.report.accuracy);
  });

  it('a truncated file: what was complete before the cut is shown', () => {
    const text = fixtureText();
    const cut = text.indexOf('"performance"') + 200;
    const l = parseReportText(text.slice(0, cut), FILE);
    assert.match(l.problems[0].message, /validation_report_20260519\.json is not valid JSON .*truncated/);
    assert.equal(l.report.model?.name, 'Hunyuan-A13B-Instruct-GPTQ-Int4');
    assert.equal(l.report.accuracy?.datasets.length, 3);
    assert.ok(l.problems.some((p) => p.path === 'evidence'));
    // Rendering still works and says what is missing.
    const md = renderMarkdown(l.report, { lang: 'zh-CN', problems: l.problems });
    assert.match(md, /GSM8K/);
    assert.match(md, /报告文件中缺少证据 E7|读取报告文件时发现的问题/);
    const html = renderReportHtml(l.report, { lang: 'en', mode: 'standalone', problems: l.problems });
    assert.match(html, /truncated/);
  });

  it('every truncation of the fixture loads without throwing', () => {
    const text = fixtureText();
    for (let cut = 0; cut < text.length; cut += 97) {
      const l = parseReportText(text.slice(0, cut), FILE);
      assert.ok(l.problems.length > 0, `cut at ${cut}`);
      renderMarkdown(l.report, { lang: 'en', problems: l.problems });
    }
  });

  it('not JSON, not an object, empty: a clear message and an empty report', () => {
    for (const [text, re] of [
      ['', /not valid JSON/],
      ['\u0000\u00ff binary', /not valid JSON/],
      ['[1,2]', /does not hold a report/],
      ['"x"', /does not hold a report/],
    ] as const) {
      const l = parseReportText(text, FILE);
      assert.match(l.problems[0].message, re);
      assert.match(l.problems[0].message, /validation_report_20260519\.json/);
      assert.ok(renderMarkdown(l.report, { lang: 'en', problems: l.problems }).length > 0);
    }
  });

  it('repairTruncatedJson closes what was open and drops the incomplete tail', () => {
    assert.deepEqual(repairTruncatedJson('{"a":[1,2,{"b":"x'), { a: [1, 2] });
    assert.deepEqual(repairTruncatedJson('{"a":{"b":1},"c":"unfinis'), { a: { b: 1 } });
    assert.deepEqual(repairTruncatedJson('{"s":"a,b}]'), undefined);
  });
});

describe('report loading: random damage never crashes the loader or the renderers', () => {
  // Deterministic PRNG (mulberry32) so a failure is reproducible from its seed.
  const rng = (seed: number) => () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const replacements: unknown[] = [null, 'x', -1, 1e308, true, [], {}, [1, 'a'], { id: 3 }, '', 0.5];

  function leaves(v: unknown, p: Array<string | number> = [], out: Array<Array<string | number>> = []) {
    if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...p, i], out));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...p, k], out);
    out.push(p);
    return out;
  }

  it('200 random mutations (wrong types, removed keys) load with problems named and render', () => {
    const base = fixture();
    const paths = leaves(base).filter((p) => p.length > 0);
    let damaged = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const doc = structuredClone(base) as unknown as Record<string, unknown>;
      const n = 1 + Math.floor(r() * 3);
      for (let k = 0; k < n; k++) {
        const p = paths[Math.floor(r() * paths.length)];
        let parent: Record<string | number, unknown> = doc;
        for (const key of p.slice(0, -1)) {
          const next = parent?.[key];
          if (!next || typeof next !== 'object') {
            parent = undefined as unknown as Record<string, unknown>;
            break;
          }
          parent = next as Record<string | number, unknown>;
        }
        if (!parent) continue;
        const last = p[p.length - 1];
        if (r() < 0.3 && !Array.isArray(parent)) delete parent[last];
        else parent[last] = replacements[Math.floor(r() * replacements.length)];
      }
      const text = JSON.stringify(doc);
      const l = parseReportText(text, `seed-${seed}.json`);
      if (l.problems.length) damaged++;
      for (const pr of l.problems) assert.match(pr.message, new RegExp(`seed-${seed}\\.json`), `seed ${seed}`);
      renderMarkdown(l.report, { lang: seed % 2 ? 'en' : 'zh-CN', problems: l.problems });
      renderReportHtml(l.report, { lang: 'en', mode: seed % 2 ? 'standalone' : 'webview', nonce: 'n', problems: l.problems });
    }
    assert.ok(damaged > 150, `only ${damaged} of 200 mutations were noticed`);
  });
});
