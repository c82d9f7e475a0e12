// Planning from folder facts: float → quantize, GPTQ/AWQ → the float original (given or found beside it),
// msModelSlim output → check, compressed-tensors → schemes vLLM-Ascend registers, model_type resolution.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MODEL_ADAPTERS, MS_QUANT_TYPES, SCHEMES, TENSOR_LAYOUTS, FUSED_GROUPS, knownQuantTypes } from '../../src/core/quantize/facts';
import { chooseModelType, detectCtType, planQuantization, type FolderFacts } from '../../src/core/quantize/plan';
import { config, TINY_MOE } from './helpers';

const folder = (p: string, cfg: Record<string, unknown> | null, extra: Partial<FolderFacts> = {}): FolderFacts => ({
  path: p, exists: true, isDir: true, config: cfg, configError: null, files: [{ name: 'model-00001-of-00001.safetensors', size: 1000 }],
  index: { file: 'model.safetensors.index.json', tensors: 10, totalSize: 4000 }, descriptions: [], modelQuantType: null, largestLayerBytes: 500, ...extra,
});
const moe = config(TINY_MOE);
const gptq = { ...moe, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: false } };

describe('quantization plan', () => {
  it('a float MoE checkpoint: quantize; --model_type from the folder name among the adapter names', () => {
    const p = planQuantization({ model: folder('/m/Qwen3-30B-A3B', moe) });
    assert.equal(p.kind, 'float');
    assert.equal(p.action, 'quantize');
    assert.equal(p.moe, true);
    assert.equal(p.modelBytes, 4000);
    assert.deepEqual(p.modelType, { hf: 'qwen3_moe', adapter: 'qwen3_moe', name: 'Qwen3-30B', candidates: ['Qwen3-30B', 'Qwen3-235B', 'Qwen3-Coder-480B-A35B'], source: 'derived' });
    const unnamed = planQuantization({ model: folder('/m/my-moe', moe) });
    assert.equal(unnamed.modelType.name, null);
    assert.ok(unnamed.notes.some((n) => /Pass --model-type: one of Qwen3-30B, Qwen3-235B/.test(n)));
  });

  it('GPTQ: refuses to quantize int4 weights and names the float original found beside it', () => {
    const p = planQuantization({
      model: folder('/m/Qwen3-30B-A3B-GPTQ-Int4', gptq),
      siblings: [
        { path: '/m/Qwen3-30B-A3B-GPTQ-Int4', config: gptq, quantized: true },
        { path: '/m/other', config: { ...moe, hidden_size: 32 }, quantized: false },
        { path: '/m/Qwen3-30B-A3B', config: moe, quantized: false },
        { path: '/m/Qwen3-30B-A3B-w8a8', config: moe, quantized: true },
        { path: '/m/llama', config: { architectures: ['LlamaForCausalLM'] }, quantized: false },
      ],
    });
    assert.equal(p.kind, 'gptq');
    assert.equal(p.action, 'needs-float');
    assert.equal(p.floatModel, '/m/Qwen3-30B-A3B');
    assert.equal(p.floatSource, 'sibling');
    assert.deepEqual(p.candidates.map((c) => [c.path, c.matches, c.differences]), [['/m/other', false, ['hidden_size']], ['/m/Qwen3-30B-A3B', true, []]]);
    assert.match(p.notes[0], /GPTQ Int4 checkpoint: vLLM-Ascend has no GPTQ loader and msModelSlim quantizes from floating-point weights/);
    assert.match(p.notes[1], /--model \/m\/Qwen3-30B-A3B/);
    assert.equal(p.modelType.name, 'Qwen3-30B');
  });

  it('GPTQ with nothing beside it: asks for the float checkpoint by architecture and sizes; a given matching float is used', () => {
    const p = planQuantization({ model: folder('/m/q', gptq), siblings: [] });
    assert.equal(p.floatModel, null);
    assert.match(p.notes[1], /original BF16\/FP16 checkpoint of Qwen3MoeForCausalLM, hidden_size=16, num_hidden_layers=2, num_experts=4/);
    const given = planQuantization({ model: folder('/m/q', gptq), float: folder('/f', moe) });
    assert.equal(given.action, 'quantize');
    assert.equal(given.floatSource, 'given');
    const wrong = planQuantization({ model: folder('/m/q', gptq), float: folder('/f', { ...moe, num_hidden_layers: 3 }) });
    assert.equal(wrong.action, 'needs-float');
    assert.ok(wrong.notes.some((n) => /\/f differs in num_hidden_layers/.test(n)));
  });

  it('AWQ, FP8 and other methods need the float original; msModelSlim output is checked; no folder is refused', () => {
    assert.equal(planQuantization({ model: folder('/a', { ...moe, quantization_config: { quant_method: 'awq', bits: 4 } }) }).kind, 'awq');
    const fp8 = planQuantization({ model: folder('/a', { ...moe, quantization_config: { quant_method: 'fp8' } }) });
    assert.deepEqual([fp8.kind, fp8.action], ['fp8', 'needs-float']);
    const ms = planQuantization({ model: folder('/o', moe, { descriptions: ['quant_model_description.json'], modelQuantType: 'W8A8' }) });
    assert.deepEqual([ms.kind, ms.action], ['modelslim', 'check']);
    const none = planQuantization({ model: { ...folder('/x', null), exists: false } });
    assert.deepEqual([none.kind, none.action], ['not-a-model', 'refuse']);
    assert.match(none.notes[0], /does not exist/);
  });

  it('compressed-tensors: the scheme vLLM-Ascend detects per group and whether it registers it for the layer types', () => {
    const ct = (weights: unknown, acts: unknown, m = moe) => planQuantization({ model: folder('/c', { ...m, quantization_config: { quant_method: 'compressed-tensors', format: 'int-quantized', config_groups: { group_0: { targets: ['Linear'], weights, input_activations: acts } } } }) });
    const w8 = ct({ num_bits: 8, strategy: 'channel', symmetric: true, dynamic: false, type: 'int' }, { num_bits: 8, strategy: 'token', symmetric: true, dynamic: true, type: 'int' });
    assert.deepEqual(w8.schemes.map((s) => [s.quantType, s.layers]), [['W8A8_DYNAMIC', [{ layer: 'linear', registered: true }, { layer: 'moe', registered: true }]]]);
    assert.equal(w8.action, 'serve');
    const dense = config({ ...TINY_MOE, experts: 0 });
    const w4 = ct({ num_bits: 4, strategy: 'group', group_size: 128, symmetric: true, dynamic: false, type: 'int' }, null, dense);
    assert.deepEqual(w4.schemes[0].layers, [{ layer: 'linear', registered: false }]);
    assert.equal(w4.schemes[0].quantType, 'W4A16');
    assert.equal(w4.action, 'refuse');
    assert.equal(detectCtType({ num_bits: 8, strategy: 'channel', dynamic: false }, { num_bits: 8, strategy: 'tensor', dynamic: false }, null), 'W8A8');
    assert.equal(detectCtType({ num_bits: 8, strategy: 'channel', type: 'float' }, { num_bits: 8, strategy: 'token', dynamic: true, type: 'float' }, null), 'W8A8FP8_DYNAMIC');
    assert.equal(detectCtType({ num_bits: 4, strategy: 'group' }, { num_bits: 8, strategy: 'token', dynamic: true }, null), 'W4A8_DYNAMIC');
    assert.equal(detectCtType({ num_bits: 2, strategy: 'group' }, null, null), null);
  });

  it('model_type: a given name wins; a single-name adapter needs no hint; unknown model types have no candidates', () => {
    assert.equal(chooseModelType(moe, ['/x'], 'Qwen3-235B').name, 'Qwen3-235B');
    assert.equal(chooseModelType({ model_type: 'qwen3_next' }, ['/x']).name, 'Qwen3-Next-80B-A3B-Instruct');
    assert.equal(chooseModelType({ model_type: 'qwen3' }, ['/models/Qwen3-14B-bf16']).name, 'Qwen3-14B');
    assert.deepEqual(chooseModelType({ model_type: 'hunyuan_v1_moe' }, ['/x']).candidates, []);
  });

  it('knowledge tables: every row has a source; releases list their quant types', () => {
    for (const row of [...MODEL_ADAPTERS, ...MS_QUANT_TYPES, ...SCHEMES, ...TENSOR_LAYOUTS, ...FUSED_GROUPS]) assert.ok(row.source.length > 3 && /^https:\/\//.test(row.href));
    assert.ok(knownQuantTypes('26.0.0').includes('w8a8'));
    assert.ok(!knownQuantTypes('26.0.0').includes('w4a4f4'));
    assert.ok(knownQuantTypes(null).includes('w4a4f4'));
    assert.ok(!knownQuantTypes().includes('w4a16'), 'msModelSlim has no w4a16 quant_type');
  });
});
