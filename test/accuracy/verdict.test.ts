import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseReferenceFile, type HostDatasetRow } from '../../src/core/accuracy/schema';
import { accuracyArgv, mergeReferences, parseAccuracyProgress } from '../../src/core/accuracy/run';
import { datasetFamily, judge, thresholdFor, withVerdicts } from '../../src/core/accuracy/verdict';

describe('accuracy verdicts', () => {
  it('uses the default thresholds: GSM8K 1.0 pt, MMLU and MATH 1.5 pt (symmetric)', () => {
    // a hand-written adaptation report's table: GSM8K 96.74 → 95.82 (0.92 pt), MMLU 69.10 → 68.30, MATH 73.00 → 72.10: all pass
    assert.equal(judge(0.9582, 0.9674, thresholdFor('gsm8k', null)).verdict, 'pass');
    assert.equal(judge(0.683, 0.691, thresholdFor('mmlu', null)).verdict, 'pass');
    assert.equal(judge(0.721, 0.73, thresholdFor('math', null)).verdict, 'pass');
    const j = judge(0.9582, 0.9674, thresholdFor('gsm8k', null));
    assert.equal(j.absError, 0.92);
    assert.equal(Math.round(j.relError! * 100) / 100, 0.95);
    assert.equal(judge(0.95, 0.9674, thresholdFor('gsm8k', null)).verdict, 'fail'); // 1.74 pt
    assert.equal(judge(0.9874, 0.9674, thresholdFor('gsm8k', null)).verdict, 'fail'); // 2 pt better is suspicious too
    assert.equal(judge(0.715, 0.7, thresholdFor('math', null)).verdict, 'pass'); // exactly 1.5 pt
    assert.deepEqual(judge(null, 0.7, thresholdFor('math', null)), { absError: null, relError: null, verdict: null });
    assert.deepEqual(judge(0.7, null, thresholdFor('math', null)).verdict, null);
  });

  it('takes a reference\'s own relative tolerance (vllm-ascend: 5 %) and explicit overrides', () => {
    const ref = { name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.8, source: 'cfg.yaml', rtol: 0.05 };
    assert.deepEqual(thresholdFor('gsm8k', ref), { absPoints: null, relPercent: 5 });
    assert.equal(judge(0.761, 0.8, thresholdFor('gsm8k', ref)).verdict, 'pass'); // 4.9 % off
    assert.equal(judge(0.759, 0.8, thresholdFor('gsm8k', ref)).verdict, 'fail');
    assert.deepEqual(thresholdFor('gsm8k', ref, { gsm8k: { absPoints: 0.5 } }), { absPoints: 0.5, relPercent: null });
    assert.deepEqual(thresholdFor('mmlu_stem', null), { absPoints: 1.5, relPercent: null });
    assert.deepEqual(thresholdFor('ceval-valid', null), { absPoints: 1.5, relPercent: null });
    // both set: both must hold
    assert.equal(judge(0.79, 0.8, { absPoints: 2, relPercent: 1 }).verdict, 'fail');
    assert.equal(datasetFamily('hendrycks_math_algebra'), 'math');
  });

  it('matches references to rows by task and metric; a metric-less one goes to the primary metric', () => {
    const p = (task: string, filter: string, nShot = 5) => ({ task, nShot, chat: false, fewshotSeed: 1234, version: 3, filter, maxTokens: 256 });
    const rows: HostDatasetRow[] = [
      { name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.7, n: 10, protocol: p('gsm8k', 'strict-match') },
      { name: 'gsm8k', metric: 'exact_match,flexible-extract', value: 0.9, n: 10, protocol: p('gsm8k', 'flexible-extract') },
      { name: 'mmlu', metric: 'acc,none', value: 0.6, n: 10, subjects: { a: 0.5, b: 0.7 }, protocol: { ...p('mmlu', 'none', 0), version: 2, maxTokens: null } },
    ];
    const refs = parseReferenceFile(JSON.stringify({ references: [{ name: 'gsm8k', value: 0.705 }, { name: 'mmlu', metric: 'acc', value: 0.6 }] }), 'typed.json');
    const out = withVerdicts(rows, refs);
    assert.deepEqual(out.map((r) => [r.name, r.metric, r.reference, r.comparable, r.verdict]), [
      ['gsm8k', 'exact_match,strict-match', 0.705, true, 'pass'],
      ['gsm8k', 'exact_match,flexible-extract', null, false, null],
      ['mmlu', 'acc,none', 0.6, true, 'pass'],
    ]);
    assert.match(out[0]!.note!, /lm-eval's defaults assumed \(5-shot · seed 1234 · completions · strict-match\)/);
    assert.match(out[1]!.note!, /the reference gives gsm8k exact_match,strict-match, this run measures exact_match,flexible-extract/);
    assert.deepEqual(out[2]!.subjects, { a: 0.5, b: 0.7 });
    // no reference at all: not a refusal, just nothing to compare with
    assert.deepEqual(withVerdicts(rows.slice(0, 1), []).map((r) => [r.comparable, r.note]), [[null, undefined]]);
    const merged = mergeReferences([{ name: 'gsm8k', metric: 'm', value: 0.1, source: 'cfg' }], [{ name: 'GSM8K', metric: 'm', value: 0.2, source: 'file' }]);
    assert.deepEqual(merged.map((r) => r.value), [0.2]);
  });
});

describe('accuracy job argv and progress', () => {
  it('builds the host command from a spec', () => {
    const argv = accuracyArgv({ baseUrl: 'http://127.0.0.1:8000', model: 'qwen', tasks: ['gsm8k', 'mmlu'], dataDir: '/data', limit: 50, concurrency: 16, chat: false, engine: 'bundled' }, '/s', '/runs/r1', undefined, '/usr/bin/python3');
    assert.deepEqual(argv, ['/usr/bin/python3', '/s/accuracy/run_accuracy.py', '--base-url', 'http://127.0.0.1:8000', '--out', '/runs/r1/accuracy.json', '--items', '/runs/r1/items.jsonl',
      '--model', 'qwen', '--tasks', 'gsm8k,mmlu', '--data', '/data', '--limit', '50', '--chat', 'no', '--concurrency', '16', '--engine', 'bundled']);
    const cfg = accuracyArgv({ baseUrl: 'http://h:1', fewshotSeed: 7, scoreReasoning: true, fewshotAsMultiturn: true }, '/s', '/r', '/r/c.json');
    assert.deepEqual(cfg.slice(-6), ['--config-json', '/r/c.json', '--fewshot-seed', '7', '--fewshot-as-multiturn', '--score-reasoning']);
    assert.throws(() => accuracyArgv({ baseUrl: 'http://h:1' }, '/s', '/r'));
  });

  it('reads progress lines', () => {
    assert.deepEqual(parseAccuracyProgress('progress: gsm8k 40/100 acc=0.7250 errors=1'), { task: 'gsm8k', done: 40, total: 100, accuracy: 0.725, errors: 1 });
    assert.equal(parseAccuracyProgress('result: gsm8k ...'), null);
  });
});
