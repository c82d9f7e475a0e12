import { z } from 'zod';
import { Sourced, vaUrl } from '../knowledge/text';

/**
 * msModelSlim and vLLM-Ascend facts the quantization step decides with. Each row carries its source (the
 * msmodelslim / vllm-ascend file it was read from); the tables are parsed with zod at load, so a bad row
 * fails the unit tests rather than a user's run.
 */

const MS = 'https://gitcode.com/Ascend/msmodelslim/blob/master';
export const msUrl = (p: string) => `${MS}/${p}`;

// ---------------------------------------------------------------------------------------------------
// `msmodelslim quant --quant_type` choices per release (QuantType enum).
export const QuantTypeRelease = Sourced.extend({
  release: z.string().min(1),
  quantTypes: z.array(z.string().regex(/^w\d+a\d+[a-z0-9]*$/)).min(1),
});
export type QuantTypeRelease = z.infer<typeof QuantTypeRelease>;

export const MS_QUANT_TYPES: QuantTypeRelease[] = z.array(QuantTypeRelease).parse([
  {
    release: '26.0.0',
    quantTypes: ['w4a4', 'w4a8', 'w4a8c8', 'w8a16', 'w8a8', 'w8a8s', 'w8a8c8', 'w16a16s'],
    source: 'msmodelslim branch 26.0.0 msmodelslim/core/const.py QuantType',
    href: 'https://gitcode.com/Ascend/msmodelslim/blob/26.0.0/msmodelslim/core/const.py',
  },
  {
    release: '26.1.0',
    quantTypes: ['w4a4', 'w4a8', 'w4a4c8', 'w4a4f8', 'w4a8c8', 'w8a16', 'w8a8', 'w8a8s', 'w8a8c8', 'w8a8f8', 'w4a4f4', 'w16a16s'],
    source: 'msmodelslim branch 26.1.0 (= master 3de0a3c) msmodelslim/core/const.py QuantType',
    href: msUrl('msmodelslim/core/const.py'),
  },
]);

/** Quant types of the newest release we know (what to assume when the installed one cannot be asked). */
export function knownQuantTypes(release?: string | null): string[] {
  const row = release ? MS_QUANT_TYPES.find((r) => release.startsWith(r.release)) : undefined;
  return (row ?? MS_QUANT_TYPES[MS_QUANT_TYPES.length - 1]).quantTypes;
}

// ---------------------------------------------------------------------------------------------------
// `--model_type` names msModelSlim resolves to a model adapter (config/config.ini [ModelAdapter]).
export const ModelAdapter = Sourced.extend({
  adapter: z.string().min(1),
  /** config.json model_type values of checkpoints this adapter quantizes. */
  hfModelTypes: z.array(z.string().min(1)).min(1),
  /** Case-sensitive names accepted by --model_type. */
  names: z.array(z.string().min(1)).min(1),
  moe: z.boolean(),
});
export type ModelAdapter = z.infer<typeof ModelAdapter>;

const INI = { source: 'msmodelslim config/config.ini [ModelAdapter] (master 3de0a3c)', href: msUrl('config/config.ini') };

export const MODEL_ADAPTERS: ModelAdapter[] = z.array(ModelAdapter).parse([
  { adapter: 'deepseek_v3', hfModelTypes: ['deepseek_v3'], names: ['DeepSeek-V3', 'DeepSeek-V3-0324', 'DeepSeek-R1', 'DeepSeek-R1-0528', 'DeepSeek-V3.1', 'DeepSeek-V3.1-Terminus'], moe: true, ...INI },
  { adapter: 'deepseek_v3_2', hfModelTypes: ['deepseek_v32'], names: ['DeepSeek-V3.2-Exp', 'DeepSeek-V3.2'], moe: true, ...INI },
  { adapter: 'qwen2', hfModelTypes: ['qwen2'], names: ['Qwen2-7B', 'Qwen2-7B-Instruct', 'Qwen2-72B'], moe: false, ...INI },
  { adapter: 'qwen2_5', hfModelTypes: ['qwen2'], names: ['Qwen2.5-7B-Instruct', 'Qwen2.5-32B-Instruct', 'Qwen2.5-72B-Instruct', 'Qwen2.5-Coder-7B-Instruct', 'DeepSeek-R1-Distill-Qwen-1.5B', 'DeepSeek-R1-Distill-Qwen-7B'], moe: false, ...INI },
  { adapter: 'qwq', hfModelTypes: ['qwen2'], names: ['Qwen-QwQ-32B', 'QwQ-32B'], moe: false, ...INI },
  { adapter: 'qwen3', hfModelTypes: ['qwen3'], names: ['Qwen3-8B', 'Qwen3-14B', 'Qwen3-32B'], moe: false, ...INI },
  { adapter: 'qwen3_moe', hfModelTypes: ['qwen3_moe'], names: ['Qwen3-30B', 'Qwen3-235B', 'Qwen3-Coder-480B-A35B'], moe: true, ...INI },
  { adapter: 'qwen3_next', hfModelTypes: ['qwen3_next'], names: ['Qwen3-Next-80B-A3B-Instruct'], moe: true, ...INI },
  { adapter: 'qwen3_5_moe', hfModelTypes: ['qwen3_5_moe', 'qwen3_5'], names: ['Qwen3.5-397B-A17B', 'Qwen3.5-27B', 'Qwen3.5-122B-A10B', 'Qwen3.5-35B-A3B', 'Qwen3.6-27B'], moe: true, ...INI },
  { adapter: 'glm4_moe', hfModelTypes: ['glm4_moe'], names: ['GLM-4.5', 'GLM-4.6', 'GLM-4.7'], moe: true, ...INI },
  { adapter: 'kimi_k2', hfModelTypes: ['kimi_k2', 'deepseek_v3'], names: ['Kimi-K2-Instruct-0905', 'Kimi-K2-Thinking'], moe: true, ...INI },
  { adapter: 'minimax_m2', hfModelTypes: ['minimax_m2'], names: ['MiniMax-M2.7'], moe: true, ...INI },
]);

/** Every --model_type name msModelSlim knows a dedicated adapter for. */
export const MODEL_TYPE_NAMES: ReadonlySet<string> = new Set(MODEL_ADAPTERS.flatMap((a) => a.names));

// ---------------------------------------------------------------------------------------------------
// (quant type, layer type) schemes vLLM-Ascend registers (@register_scheme).
export const Scheme = Sourced.extend({
  quantType: z.string().min(1),
  layer: z.enum(['linear', 'moe', 'attention']),
  /** A2/A3 (Atlas 800 A2, 910B; A3) or 310P (its own registry). */
  family: z.enum(['A2A3', '310P']),
});
export type Scheme = z.infer<typeof Scheme>;

const reg = (quantType: string, layer: Scheme['layer'], file: string, family: Scheme['family'] = 'A2A3'): z.input<typeof Scheme> => ({
  quantType, layer, family, source: `VA@182b75e ${file} @register_scheme("${quantType}", "${layer}")`, href: vaUrl(file),
});
const M = 'vllm_ascend/quantization/methods/';
const P = 'vllm_ascend/_310p/quantization/methods/';

export const SCHEMES: Scheme[] = z.array(Scheme).parse([
  reg('W8A8', 'linear', `${M}w8a8_static.py`),
  reg('W8A8_DYNAMIC', 'linear', `${M}w8a8_dynamic.py`),
  reg('W8A8_DYNAMIC', 'moe', `${M}w8a8_dynamic.py`),
  reg('W8A8_MIX', 'linear', `${M}w8a8_pdmix.py`),
  reg('W8A16', 'linear', `${M}w8a16.py`),
  reg('W4A16', 'moe', `${M}w4a16.py`),
  reg('W4A16_MXFP4', 'moe', `${M}w4a16_mxfp4.py`),
  reg('W4A8_DYNAMIC', 'moe', `${M}w4a8.py`),
  reg('W4A4_DYNAMIC', 'linear', `${M}w4a4_laos_dynamic.py`),
  reg('W4A4_FLATQUANT_DYNAMIC', 'linear', `${M}w4a4_flatquant.py`),
  reg('W4A4_MXFP4', 'linear', `${M}w4a4_mxfp4.py`),
  reg('W4A4_MXFP4', 'moe', `${M}w4a4_mxfp4.py`),
  reg('W4A4_MXFP4_FLATQUANT', 'linear', `${M}w4a4_mxfp4_flatquant.py`),
  reg('W4A8_MXFP', 'linear', `${M}w4a8_mxfp4.py`),
  reg('W4A8_MXFP', 'moe', `${M}w4a8_mxfp4.py`),
  reg('W8A8_MXFP8', 'linear', `${M}w8a8_mxfp8.py`),
  reg('W8A8_MXFP8', 'moe', `${M}w8a8_mxfp8.py`),
  reg('W8A8FP8_DYNAMIC', 'linear', `${M}w8a8fp8_dynamic.py`),
  reg('W8A8FP8_DYNAMIC', 'moe', `${M}w8a8fp8_dynamic.py`),
  reg('FAKQuant', 'attention', `${M}kv_c8.py`),
  reg('INT8_DYNAMIC', 'attention', `${M}kv_c8.py`),
  reg('W8A8', 'linear', `${P}w8a8_static.py`, '310P'),
  reg('W8A8_DYNAMIC', 'linear', `${P}w8a8_dynamic.py`, '310P'),
  reg('W8A8_DYNAMIC', 'moe', `${P}w8a8_dynamic.py`, '310P'),
  reg('W8A8S', 'linear', `${P}w8a8s.py`, '310P'),
  reg('W8A8SC', 'linear', `${P}w8a8sc.py`, '310P'),
]);

/** Chip name (npu-smi) or family → the registry vLLM-Ascend uses; undefined when unknown. */
export function schemeFamily(chip: string | undefined | null): Scheme['family'] | undefined {
  if (!chip) return undefined;
  if (/310P/i.test(chip)) return '310P';
  if (/^(910|A2|A3|Ascend910)/i.test(chip)) return 'A2A3';
  return undefined;
}

export function isRegistered(quantType: string, layer: Scheme['layer'], family: Scheme['family']): boolean {
  return SCHEMES.some((s) => s.quantType === quantType && s.layer === layer && s.family === family);
}

export function schemeFor(quantType: string, layer: Scheme['layer'], family: Scheme['family']): Scheme | undefined {
  return SCHEMES.find((s) => s.quantType === quantType && s.layer === layer && s.family === family);
}

export function registeredLayers(quantType: string, family: Scheme['family']): Scheme['layer'][] {
  return SCHEMES.filter((s) => s.quantType === quantType && s.family === family).map((s) => s.layer);
}

// ---------------------------------------------------------------------------------------------------
// Tensors msModelSlim writes beside a quantized `<prefix>.weight`, and the weight's stored dtype.
export const TensorLayout = Sourced.extend({
  quantType: z.string().min(1),
  suffixes: z.array(z.string().min(1)),
  /** safetensors dtype of `<prefix>.weight` (header "dtype"), when fixed. */
  weightDtype: z.string().optional(),
});
export type TensorLayout = z.infer<typeof TensorLayout>;

const SAVER = { source: 'msmodelslim msmodelslim/core/quant_service/modelslim_v1/save/ascendv1.py (write_tensor calls); docs quantization_result.md', href: msUrl('msmodelslim/core/quant_service/modelslim_v1/save/ascendv1.py') };

export const TENSOR_LAYOUTS: TensorLayout[] = z.array(TensorLayout).parse([
  { quantType: 'W8A8', suffixes: ['quant_bias', 'input_scale', 'input_offset', 'deq_scale'], weightDtype: 'I8', ...SAVER },
  { quantType: 'W8A8_MIX', suffixes: ['quant_bias', 'input_scale', 'input_offset', 'deq_scale', 'weight_scale', 'weight_offset'], weightDtype: 'I8', ...SAVER },
  { quantType: 'W8A8_DYNAMIC', suffixes: ['weight_scale', 'weight_offset'], weightDtype: 'I8', ...SAVER },
  { quantType: 'W8A16', suffixes: ['weight_scale', 'weight_offset'], weightDtype: 'I8', ...SAVER },
  { quantType: 'W4A8_DYNAMIC', suffixes: ['weight_scale', 'weight_offset', 'scale_bias'], ...SAVER },
]);

export function tensorLayout(quantType: string): TensorLayout | undefined {
  return TENSOR_LAYOUTS.find((t) => t.quantType === quantType);
}

// ---------------------------------------------------------------------------------------------------
// Fused layers: vLLM loads these projections as one layer, so vLLM-Ascend requires one quant type for all.
export const FusedGroup = Sourced.extend({ fused: z.string().min(1), shards: z.array(z.string().min(1)).min(2) });
export type FusedGroup = z.infer<typeof FusedGroup>;

const PACKED = { source: 'VA@182b75e vllm_ascend/quantization/modelslim_config.py packed_modules_model_mapping; get_linear_quant_type raises "Not all shards of … are quantized with same quant type"', href: vaUrl('vllm_ascend/quantization/modelslim_config.py') };

export const FUSED_GROUPS: FusedGroup[] = z.array(FusedGroup).parse([
  { fused: 'qkv_proj', shards: ['q_proj', 'k_proj', 'v_proj'], ...PACKED },
  { fused: 'gate_up_proj', shards: ['gate_proj', 'up_proj'], ...PACKED },
  { fused: 'fused_qkv_a_proj', shards: ['q_a_proj', 'kv_a_proj_with_mqa'], ...PACKED },
  { fused: 'in_proj_qkvz', shards: ['in_proj_qkv', 'in_proj_z'], ...PACKED },
  { fused: 'in_proj_ba', shards: ['in_proj_b', 'in_proj_a'], ...PACKED },
]);
export const FUSED_SOURCE = PACKED;

// ---------------------------------------------------------------------------------------------------
// What the installed tool's rule says about memory: model-wise 2–3× the model, layer-wise 2–3× one layer.
export const MEMORY_RULE = {
  low: 2,
  high: 3,
  source: 'msmodelslim docs/en/feature_guide/quick_quantization_v1/usage.md (layer-wise quantization table: memory usage 2 to 3 times the model size / a single layer)',
  href: msUrl('docs/en/feature_guide/quick_quantization_v1/usage.md'),
};

/** Environment the docs set for a quantization run (vLLM-Ascend quantization.md). */
export const QUANT_ENV_SOURCE = { source: 'VA@182b75e docs/source/user_guide/feature_guide/quantization.md', href: vaUrl('docs/source/user_guide/feature_guide/quantization.md') };

/** The file name vLLM-Ascend reads (MODELSLIM_CONFIG_FILENAME). */
export const DESCRIPTION_FILE = 'quant_model_description.json';
export const DESCRIPTION_FILE_SOURCE = { source: 'VA@182b75e vllm_ascend/quantization/modelslim_config.py MODELSLIM_CONFIG_FILENAME (L95)', href: vaUrl('vllm_ascend/quantization/modelslim_config.py') };

