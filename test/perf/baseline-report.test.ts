import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { renderMarkdown } from '../../src/core/report/markdown';
import { Report } from '../../src/core/report/schema';
import { fixture } from '../report/helpers';

/**
 * A GPU baseline measured differently (another concurrency, another model …) is still compared in the validation
 * report, as the CLI compares it without --strict-baseline — and the report says so, field by field, in English
 * and Chinese, instead of showing ratios of unlike runs without a word.
 */
describe('validation report: a baseline measured differently', () => {
  const report = () => {
    const r = fixture();
    r.performance = {
      ...r.performance!,
      baselineMismatch: [
        { field: 'concurrency', measured: '2', baseline: '32' },
        { field: 'model', measured: 'sim-model', baseline: 'Qwen/Qwen3-8B' },
      ],
    };
    return Report.parse(r);
  };

  it('is named in the performance section (en, zh-CN)', () => {
    const en = renderMarkdown(report(), { lang: 'en' });
    assert.match(en, /The GPU baseline was measured differently: concurrency 2 \(baseline 32\), model sim-model \(baseline Qwen\/Qwen3-8B\); its ratios compare unlike runs\./);
    const zh = renderMarkdown(report(), { lang: 'zh-CN' });
    assert.match(zh, /GPU 基线的测量条件不同：并发 2（基线 32），模型 sim-model（基线 Qwen\/Qwen3-8B）/);
  });

  it('a like-for-like baseline gives no warning', () => {
    assert.doesNotMatch(renderMarkdown(fixture(), { lang: 'en' }), /measured differently/);
  });
});
