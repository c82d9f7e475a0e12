import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseLmEvalConfig, LmEvalConfigError } from '../../src/core/accuracy/lmevalconfig';
import { protocolDifferences, protocolText, type Protocol } from '../../src/core/lmeval/protocol';
import { parseReferenceFile, ReferenceError, type HostDatasetRow } from '../../src/core/accuracy/schema';
import { withVerdicts } from '../../src/core/accuracy/verdict';
import { ACC_FIX, SHARED } from './helpers';

/**
 * References compared like with like: lm-eval results files (tasks, groups, filters, n-shot, chat template),
 * our own results, typed lists and vllm-ascend configs, each with the protocol it states; a verdict only when
 * the protocols match, `comparable: false` with the difference named otherwise.
 */

const LM = JSON.parse(fs.readFileSync(path.join(ACC_FIX, 'lm_eval_results_0.4.12.json'), 'utf8')) as Record<string, unknown>;

const proto = (task: string, nShot: number, chat: boolean, filter: string, extra: Partial<Protocol> = {}): Protocol => ({
  task, version: null, nShot, fewshotSeed: 1234, chat, filter, ...extra,
});
const row = (name: string, metric: string, value: number, p: Protocol, extra: Partial<HostDatasetRow> = {}): HostDatasetRow => ({ name, metric, value, n: 100, protocol: p, ...extra });

describe('lm-eval results files as references', () => {
  const refs = parseReferenceFile(JSON.stringify(LM), '/gpu/results_2026-01-02T03-04-05.json');
  const get = (n: string, m: string) => refs.find((r) => r.name === n && r.metric === m);

  it('reads every metric,filter key of tasks and groups, with n-shot, version and chat from the file', () => {
    assert.equal(get('gsm8k', 'exact_match,strict-match')!.value, 0.7612);
    assert.equal(get('gsm8k', 'exact_match,flexible-extract')!.value, 0.7733);
    assert.equal(get('mmlu', 'acc,none')!.value, 0.6991);
    assert.equal(get('mmlu_stem', 'acc,none')!.value, 0.6021);
    assert.equal(get('minerva_math', 'exact_match,none')!.value, 0.4132);
    assert.equal(get('minerva_math', 'math_verify,none')!.value, 0.4588);
    assert.equal(refs.some((r) => r.metric?.includes('stderr')), false);
    assert.deepEqual(get('gsm8k', 'exact_match,strict-match')!.protocol, {
      task: 'gsm8k', version: 3, nShot: 5, fewshotSeed: 1234, chat: false, maxTokens: 256, filter: 'strict-match', source: 'lm-evaluation-harness 0.4.12',
    });
    assert.equal(get('mmlu', 'acc,none')!.protocol!.nShot, 0); // a group's n-shot from the file
    assert.equal(get('minerva_math', 'exact_match,none')!.protocol!.nShot, 4);
    assert.equal(get('gsm8k', 'exact_match,strict-match')!.source, 'results_2026-01-02T03-04-05.json');
  });

  it('gives a verdict for matching protocols and says why not otherwise', () => {
    const rows = [
      row('gsm8k', 'exact_match,strict-match', 0.7575, proto('gsm8k', 5, false, 'strict-match', { version: 3 })),
      row('gsm8k', 'exact_match,flexible-extract', 0.70, proto('gsm8k', 0, false, 'flexible-extract', { version: 3 })),
      row('mmlu', 'acc,none', 0.69, proto('mmlu', 0, true, 'none', { version: 2 })),
      row('mmlu_stem', 'acc,none', 0.61, proto('mmlu_stem', 0, false, 'none'), { group: 'mmlu' }),
      row('minerva_math', 'exact_match,none', 0.40, proto('minerva_math', 4, false, 'none', { version: 1 })),
      row('hendrycks_math', 'exact_match,none', 0.30, proto('hendrycks_math', 0, false, 'none')),
      row('mmlu_generative', 'exact_match,get_response', 0.6, proto('mmlu_generative', 0, false, 'get_response')),
    ];
    const out = withVerdicts(rows, refs);
    const by = (n: string, m: string) => out.find((r) => r.name === n && r.metric === m)!;
    const strict = by('gsm8k', 'exact_match,strict-match');
    assert.deepEqual([strict.reference, strict.comparable, strict.verdict, strict.absError], [0.7612, true, 'pass', 0.37]);
    const flex = by('gsm8k', 'exact_match,flexible-extract');
    assert.deepEqual([flex.reference, flex.comparable, flex.verdict], [null, false, null]);
    assert.match(flex.note!, /77\.33% from results_.*\.json not compared: 0-shot here, 5-shot in the reference/);
    const mmlu = by('mmlu', 'acc,none');
    assert.deepEqual([mmlu.comparable, mmlu.verdict], [false, null]);
    assert.match(mmlu.note!, /chat template here, none in the reference/);
    assert.deepEqual([by('mmlu_stem', 'acc,none').comparable, by('mmlu_stem', 'acc,none').verdict], [true, 'pass']);
    assert.deepEqual([by('minerva_math', 'exact_match,none').comparable, by('minerva_math', 'exact_match,none').verdict], [true, 'pass']); // 1.32 pt ≤ 1.5
    assert.equal(by('minerva_math', 'exact_match,none').absError, 1.32);
    const hm = by('hendrycks_math', 'exact_match,none');
    assert.deepEqual([hm.comparable, hm.verdict], [false, null]);
    assert.match(hm.note!, /no reference for hendrycks_math in results_/);
    assert.match(by('mmlu_generative', 'exact_match,get_response').note!, /no reference for mmlu_generative/);
  });
});

describe('other reference forms', () => {
  it('our own v2 result carries its protocol; a v1 result has none and is never compared', () => {
    const p = proto('gsm8k', 5, false, 'strict-match', { version: 3 });
    const v2 = { schema: 'ascend-adapt.accuracy/2', datasets: [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.96, n: 1319, protocol: p }, { name: 'x', metric: null, value: null }] };
    assert.deepEqual(parseReferenceFile(JSON.stringify(v2), '/a/gpu.json'), [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.96, source: 'gpu.json', protocol: p }]);
    const v1 = { schema: 'ascend-adapt.accuracy/1', datasets: [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 0.96, n: 1319 }] };
    const refs = parseReferenceFile(JSON.stringify(v1), 'old.json');
    assert.equal(refs[0]!.protocol, null);
    const out = withVerdicts([row('gsm8k', 'exact_match,strict-match', 0.96, p)], refs);
    assert.deepEqual([out[0]!.comparable, out[0]!.verdict], [false, null]);
    assert.match(out[0]!.note!, /96\.00% from old\.json does not say its protocol/);
  });

  it('a typed list: percent, the math alias, stated or assumed protocol', () => {
    const refs = parseReferenceFile(JSON.stringify({ references: [
      { name: 'math', value: 41, unit: '%' },
      { name: 'gsm8k', metric: 'exact_match,flexible-extract', value: 0.8, nShot: 8, chat: true },
      { name: 'ceval-valid', metric: 'acc', value: 0.8 },
    ] }), 'r.json');
    assert.deepEqual(refs[0], { name: 'minerva_math', metric: 'exact_match,none', value: 0.41, source: 'r.json', assumed: true,
      protocol: { task: 'minerva_math', version: null, nShot: 4, fewshotSeed: 1234, chat: false, filter: 'none' } });
    assert.deepEqual([refs[1]!.protocol!.nShot, refs[1]!.protocol!.chat, refs[1]!.assumed], [8, true, undefined]);
    assert.equal(refs[2]!.protocol, null); // an unknown task: nothing to assume
  });

  it('names the file and the problem on bad input', () => {
    assert.throws(() => parseReferenceFile('{"datasets": 3', 'bad.json'), (e: Error) => e instanceof ReferenceError && /bad\.json is not JSON/.test(e.message));
    assert.throws(() => parseReferenceFile('{"foo": 1}', 'other.json'), (e: Error) => e instanceof ReferenceError && /other\.json: not a reference file/.test(e.message));
    assert.throws(() => parseReferenceFile('{"references": [{"name": "x", "value": "high"}]}', 'typed.json'), ReferenceError);
  });

  it('protocol differences and text', () => {
    const a = proto('gsm8k', 5, false, 'strict-match', { version: 3 });
    assert.deepEqual(protocolDifferences(a, { ...a }), []);
    assert.deepEqual(protocolDifferences(a, { ...a, fewshotSeed: 42, version: 2 }), ['task version 3 here, 2 in the reference', 'few-shot seed 1234 here, 42 in the reference']);
    assert.deepEqual(protocolDifferences({ ...proto('mmlu', 0, false, 'none') }, { ...proto('mmlu', 0, false, 'none'), fewshotSeed: 42 }), []); // 0-shot: no draw
    assert.deepEqual(protocolDifferences({ ...a, scoreReasoning: true }, a), ['reasoning_content was scored here (--score-reasoning), which lm-eval does not do']);
    assert.deepEqual(protocolDifferences(a, { ...a, nShot: null, chat: null }), ['the reference does not say how many few-shot examples it used', 'the reference does not say whether a chat template was applied']);
    assert.equal(protocolText({ ...a, maxTokens: 256 }), '5-shot · seed 1234 · completions · ≤256 tokens · strict-match · v3');
    assert.equal(protocolText(proto('mmlu', 0, true, 'none', { multiturn: true })), '0-shot · chat, multi-turn');
  });
});

describe('vllm-ascend lm_eval configs (parsed here with the yaml package, sent to the host as JSON)', () => {
  const sample = (n: string) => path.join(SHARED, 'samples', `lm_eval_config_${n}.yaml`);

  it('gives the host runner its job and keeps the references with their protocol', (t) => {
    if (!fs.existsSync(sample('Qwen3-8B-W8A8'))) return t.skip('shared samples not beside the repo');
    const q8 = parseLmEvalConfig(fs.readFileSync(sample('Qwen3-8B-W8A8'), 'utf8'), sample('Qwen3-8B-W8A8'));
    assert.deepEqual(q8.job, { source: 'lm_eval_config_Qwen3-8B-W8A8.yaml', model_name: 'vllm-ascend/Qwen3-8B-W8A8', tasks: ['gsm8k'],
      num_fewshot: 5, limit: null, apply_chat_template: true, fewshot_as_multiturn: true });
    assert.deepEqual(q8.references.map((r) => [r.name, r.metric, r.value, r.rtol, r.protocol!.nShot, r.protocol!.chat, r.protocol!.multiturn]), [
      ['gsm8k', 'exact_match,strict-match', 0.8, 0.05, 5, true, true],
      ['gsm8k', 'exact_match,flexible-extract', 0.82, 0.05, 5, true, true],
    ]);
    const q30 = parseLmEvalConfig(fs.readFileSync(sample('Qwen3-30B-A3B'), 'utf8'), 'q30.yaml');
    assert.deepEqual(q30.job.tasks, ['gsm8k', 'ceval-valid']);
    assert.equal(q30.job.apply_chat_template, false);
    assert.deepEqual(q30.references.map((r) => [r.name, r.metric, r.protocol!.nShot]), [
      ['gsm8k', 'exact_match,strict-match', 5], ['gsm8k', 'exact_match,flexible-extract', 5], ['ceval-valid', 'acc,none', 5]]);
    const hy = parseLmEvalConfig(fs.readFileSync(sample('Hunyuan-A13B-Instruct'), 'utf8'), 'hy.yaml');
    assert.deepEqual([hy.job.limit, hy.job.num_fewshot, hy.job.model_name], [1000, 5, 'Tencent-Hunyuan/Hunyuan-A13B-Instruct']);
  });

  it('refuses what is not a config, naming the field', () => {
    assert.throws(() => parseLmEvalConfig('tasks: [', 'x.yaml'), (e: Error) => e instanceof LmEvalConfigError && /x\.yaml is not valid YAML/.test(e.message));
    assert.throws(() => parseLmEvalConfig('tasks: []\n', 'y.yaml'), (e: Error) => e instanceof LmEvalConfigError && /y\.yaml: not an lm_eval config \(tasks/.test(e.message));
    assert.throws(() => parseLmEvalConfig('tasks:\n- name: gsm8k\n  metrics:\n  - name: acc\n    value: high\n', 'z.yaml'), /tasks\.0\.metrics\.0\.value/);
    assert.throws(() => parseLmEvalConfig('tasks:\n- name: gsm8k\nnum_fewshot: five\n', 'w.yaml'), /num_fewshot/);
  });
});
