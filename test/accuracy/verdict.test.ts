import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseReferenceFile, ReferenceError, type HostDatasetRow } from '../../src/core/accuracy/schema';
import { accuracyArgv, mergeReferences, parseAccuracyProgress } from '../../src/core/accuracy/run';
import { datasetFamily, judge, thresholdFor, withVerdicts } from '../../src/core/accuracy/verdict';

describe('accuracy verdicts', () => {
  it('uses the seed thresholds: GSM8K 1.0 pt, MMLU and MATH 1.5 pt (symmetric)', () => {
    // the seed's own table: GSM8K 96.74 → 95.82 (0.92 pt), MMLU 69.10 → 68.30, MATH 73.00 → 72.10: all pass
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

  it('matches references to rows by dataset and metric; a metric-less one goes to the primary metric', () => {
    const rows: HostDatasetRow[] = [
      { name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.7, n: 10 },
      { name: 'gsm8k', metric: 'exact_match,flexible-extract', value: 0.9, n: 10 },
      { name: 'MMLU', metric: 'acc', value: 0.6, n: 10, subjects: { a: 0.5, b: 0.7 } },
    ];
    const out = withVerdicts(rows, [
      { name: 'gsm8k', metric: null, value: 0.705, source: 'typed' },
      { name: 'mmlu', metric: 'acc', value: 0.6, source: 'gpu.json' },
    ]);
    assert.deepEqual(out.map((r) => [r.name, r.metric, r.reference, r.verdict]), [
      ['gsm8k', 'exact_match,strict-match', 0.705, 'pass'],
      ['gsm8k', 'exact_match,flexible-extract', null, null],
      ['MMLU', 'acc', 0.6, 'pass'],
    ]);
    assert.deepEqual(out[2]!.subjects, { a: 0.5, b: 0.7 });
    const merged = mergeReferences([{ name: 'gsm8k', metric: 'm', value: 0.1, source: 'cfg' }], [{ name: 'GSM8K', metric: 'm', value: 0.2, source: 'file' }]);
    assert.deepEqual(merged.map((r) => r.value), [0.2]);
  });
});

describe('reference files', () => {
  it('reads a GPU accuracy result, --json output, lm-eval results and typed lists', () => {
    const host = {
      schema: 'ascend-adapt.accuracy/1', engine: 'bundled', simulated: false, model: 'm', base_url: 'http://x', tasks: ['gsm8k'],
      started: 't', ended: 't', items_file: null, references: [],
      datasets: [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.96, n: 1319 }, { name: 'x', metric: null, value: null, n: 0 }],
    };
    assert.deepEqual(parseReferenceFile(JSON.stringify(host), '/a/gpu.json'), [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.96, source: 'gpu.json' }]);
    const json = { datasets: [{ name: 'mmlu', metric: 'acc', value: 0.69, n: 10, reference: null, verdict: null }] };
    assert.equal(parseReferenceFile(JSON.stringify(json), 'out.json')[0]!.value, 0.69);
    const lm = { results: { gsm8k: { alias: 'gsm8k', 'exact_match,strict-match': 0.8, 'exact_match_stderr,strict-match': 0.01 } } };
    assert.deepEqual(parseReferenceFile(JSON.stringify(lm), 'results_x.json'), [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.8, source: 'results_x.json' }]);
    const typed = { references: [{ name: 'math', value: 73, unit: '%' }] };
    assert.deepEqual(parseReferenceFile(JSON.stringify(typed), 'r.json'), [{ name: 'math', metric: null, value: 0.73, source: 'r.json' }]);
  });

  it('names the file and the problem on bad input', () => {
    assert.throws(() => parseReferenceFile('{"datasets": 3', 'bad.json'), (e: Error) => e instanceof ReferenceError && /bad\.json is not JSON/.test(e.message));
    assert.throws(() => parseReferenceFile('{"foo": 1}', 'other.json'), (e: Error) => e instanceof ReferenceError && /other\.json: not a reference file/.test(e.message));
    assert.throws(() => parseReferenceFile('{"references": [{"name": "x", "value": "high"}]}', 'typed.json'), ReferenceError);
  });
});

describe('accuracy job argv and progress', () => {
  it('builds the host command from a spec', () => {
    const argv = accuracyArgv({ baseUrl: 'http://127.0.0.1:8000', model: 'qwen', tasks: ['gsm8k', 'mmlu'], dataDir: '/data', limit: 50, concurrency: 16, chat: false, engine: 'bundled' }, '/s', '/runs/r1', undefined, '/usr/bin/python3');
    assert.deepEqual(argv, ['/usr/bin/python3', '/s/accuracy/run_accuracy.py', '--base-url', 'http://127.0.0.1:8000', '--out', '/runs/r1/accuracy.json', '--items', '/runs/r1/items.jsonl',
      '--model', 'qwen', '--tasks', 'gsm8k,mmlu', '--data', '/data', '--limit', '50', '--chat', 'no', '--concurrency', '16', '--engine', 'bundled']);
    const cfg = accuracyArgv({ baseUrl: 'http://h:1' }, '/s', '/r', '/r/c.yaml');
    assert.deepEqual(cfg.slice(-2), ['--lm-eval-config', '/r/c.yaml']);
    assert.throws(() => accuracyArgv({ baseUrl: 'http://h:1' }, '/s', '/r'));
  });

  it('reads progress lines', () => {
    assert.deepEqual(parseAccuracyProgress('progress: gsm8k 40/100 acc=0.7250 errors=1'), { task: 'gsm8k', done: 40, total: 100, accuracy: 0.725, errors: 1 });
    assert.equal(parseAccuracyProgress('result: gsm8k ...'), null);
  });
});
