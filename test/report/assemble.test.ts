import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { adaptationFromModel, configExtras, modelInfo } from '../../src/core/report/assemble';
import type { ModelFacts } from '../../src/core/serving/model';
import { lookupArchitecture } from '../../src/core/serving/architectures';

// config.json facts of a HunYuan-A13B-class GPTQ checkpoint, as the serving layer reads them.
const facts = (o: Partial<ModelFacts> = {}): ModelFacts => ({
  path: '/data/models/hunyuan-a13b',
  architecture: 'HunYuanMoEV1ForCausalLM',
  architectureInfo: lookupArchitecture('HunYuanMoEV1ForCausalLM') ?? null,
  modelType: 'hunyuan_v1_moe',
  moe: true,
  numExperts: 64,
  numAttentionHeads: 40,
  numKeyValueHeads: 8,
  headDim: 128,
  hiddenSize: 4096,
  numLayers: 32,
  maxPositionEmbeddings: 32768,
  rope: { theta: 10000, scalingType: 'dynamic', neoxStyle: true },
  dtype: 'bfloat16',
  quantMethod: 'gptq',
  modelSlimType: null,
  cudaOnlyQuant: true,
  weightBytes: null,
  weightSource: null,
  weightFiles: 0,
  ...o,
});
const extras = configExtras({ moe_topk: 8, num_shared_expert: 1, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } });

describe('adaptation items from config.json and the workspace analysis', () => {
  it('GPTQ Int4 without a converted description: cannot be served as is (fail), with the conversion advice', () => {
    const a = adaptationFromModel(facts(), extras);
    assert.equal(a.status, 'fail');
    const gptq = a.items.find((i) => i.title === 'GPTQ Int4 quantization (original checkpoint)')!;
    assert.equal(gptq.status, 'fail');
    assert.deepEqual(a.quantization.map((q) => [q.format, q.status]), [
      ['GPTQ Int4 quantization (original checkpoint)', 'warn'],
      ['FP16/BF16', 'pass'],
      ['ascend W4A16/W8A8', 'pass'],
    ]);
    assert.ok(a.items.some((i) => i.title === 'GQA attention (40H/8KV)' && i.status === 'pass'));
    assert.ok(a.items.some((i) => i.title === 'MoE layer (64 experts, top-8)'));
  });

  it('with a complete W4A16 description and a clean mapping in the workspace: the items of the hand-written report, all passing', () => {
    const a = adaptationFromModel(facts(), extras, {
      findings: [],
      analysedFiles: 3,
      workspaceFiles: [
        { file: 'hunyuan_moe_mapping.py', quantType: null },
        { file: 'patch_hunyuan_moe.py', quantType: null },
        { file: 'quant_model_description.json', quantType: 'W4A16' },
      ],
    });
    assert.equal(a.status, 'pass');
    assert.ok(a.items.some((i) => i.title === 'Weight mapping hunyuan_moe_mapping.py' && i.status === 'pass' && i.basis === 'weight mapping complete'));
    assert.ok(a.items.some((i) => i.title === 'GPTQ Int4 → ascend W4A16' && i.status === 'pass'));
    assert.ok(!a.items.some((i) => i.title.includes('original checkpoint')));
    assert.ok(a.quantization.some((q) => q.format === 'ascend W4A16' && q.note === 'quant_model_description.json present and complete'));
  });

  it('problems in the description or the mapping show on their rows', () => {
    const a = adaptationFromModel(facts(), extras, {
      findings: [
        { file: 'quant_model_description.json', line: 3, severity: 'error', code: 'quant-description', message: 'model_quant_type W8A8 but entries are W4A16' },
        { file: 'hunyuan_moe_mapping.py', line: 10, severity: 'warning', code: 'weight-mapping', message: 'checkpoint weight mlp.gate.wg.weight is not mapped' },
      ],
      analysedFiles: 2,
      workspaceFiles: [
        { file: 'hunyuan_moe_mapping.py', quantType: null },
        { file: 'quant_model_description.json', quantType: 'W8A8' },
      ],
    });
    assert.equal(a.status, 'fail');
    const q = a.quantization.find((x) => x.format === 'ascend W8A8')!;
    assert.equal(q.status, 'fail');
    assert.match(q.note, /1 problems: model_quant_type W8A8/);
    const m = a.items.find((i) => i.title === 'Weight mapping hunyuan_moe_mapping.py')!;
    assert.equal(m.status, 'warn');
    assert.equal(a.items.find((i) => i.title.startsWith('Operator compatibility'))!.status, 'fail');
  });

  it('model parameters: GQA, MoE top-k and shared experts, RoPE style, quantization not loadable as is', () => {
    const m = modelInfo('Hunyuan-A13B-Instruct-GPTQ-Int4', 'hunyuan-a13b', facts(), 'E2', extras.bits, extras.groupSize);
    assert.equal(m.kvHeads, 8);
    assert.deepEqual(m.rope, { style: 'neox', theta: 10000, scaling: 'dynamic' });
    assert.deepEqual(m.quantization, { format: 'gptq', bits: 4, groupSize: 128, loadableOnNpu: false });
    assert.deepEqual(m.moe, { experts: 64, topK: null, sharedExperts: null });
    assert.equal(extras.topK, 8);
    assert.equal(extras.shared, 1);
  });

  it('an unreadable config.json fails the section with the reason', () => {
    const a = adaptationFromModel(null, configExtras(null), { modelError: 'no config.json in /x' });
    assert.equal(a.status, 'fail');
    assert.equal(a.reason, 'no config.json in /x');
  });
});
