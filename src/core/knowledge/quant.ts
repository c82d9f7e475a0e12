import { z } from 'zod';
import { Bilingual, Sourced, vaUrl } from './text';

/**
 * Quantization on Ascend (shared notes ascend-facts §g): which `--quantization` methods vLLM-Ascend loads,
 * which it cannot, and the quant_model_description.json vocabulary.
 */

// ---------------------------------------------------------------------------------------------------
// vLLM `--quantization` methods
export const QuantMethod = Sourced.extend({
  name: z.string().min(1),
  loadable: z.enum(['yes', 'no', 'a5-only']),
  /** What to do instead (for the not-loadable ones). */
  advice: Bilingual.optional(),
  /** Substrings of a model path / name that suggest a checkpoint in this format. */
  nameHints: z.array(z.string()).default([]),
});
export type QuantMethod = z.infer<typeof QuantMethod>;

const PLATFORM = {
  source: 'VA@182b75e vllm_ascend/platform.py supported_quantization (lines 88–95): ascend, compressed-tensors, fp8, deepseek_v4_fp8, modelopt_mxfp8, mxfp8',
  href: vaUrl('vllm_ascend/platform.py'),
};
const CONVERT: Bilingual = {
  en: 'Ascend NPUs cannot load this format: re-quantize the original weights with msModelSlim (e.g. GPTQ Int4 → W4A16, or W8A8) and serve the result with --quantization ascend.',
  zh: '昇腾 NPU 无法加载该格式：请使用 ModelSlim 对原始权重重新量化（例如 GPTQ Int4 → W4A16，或 W8A8），再以 --quantization ascend 启动服务。',
};

export const QUANT_METHODS: QuantMethod[] = z.array(QuantMethod).parse([
  { name: 'ascend', loadable: 'yes', ...PLATFORM },
  { name: 'compressed-tensors', loadable: 'yes', ...PLATFORM },
  { name: 'fp8', loadable: 'a5-only', advice: { en: 'FP8 compute exists only on Ascend 950 (A5); on Atlas A2/A3 dequantize to BF16 or re-quantize with msModelSlim (W8A8).', zh: 'FP8 计算仅 Ascend 950（A5）支持；Atlas A2/A3 上请反量化为 BF16，或使用 ModelSlim 重新量化为 W8A8。' }, nameHints: ['-FP8', '_FP8', '-fp8'], ...PLATFORM },
  { name: 'deepseek_v4_fp8', loadable: 'a5-only', advice: { en: 'FP8 compute exists only on Ascend 950 (A5).', zh: 'FP8 计算仅 Ascend 950（A5）支持。' }, ...PLATFORM },
  { name: 'modelopt_mxfp8', loadable: 'a5-only', advice: { en: 'MXFP8 exists only on Ascend 950 (A5).', zh: 'MXFP8 仅 Ascend 950（A5）支持。' }, ...PLATFORM },
  { name: 'mxfp8', loadable: 'a5-only', advice: { en: 'MXFP8 exists only on Ascend 950 (A5).', zh: 'MXFP8 仅 Ascend 950（A5）支持。' }, ...PLATFORM },
  { name: 'gptq', loadable: 'no', advice: CONVERT, nameHints: ['GPTQ', 'gptq'], source: `${PLATFORM.source}; GPTQ PR #6603 closed unmerged`, href: PLATFORM.href },
  { name: 'gptq_marlin', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'gptq_marlin_24', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'gptq_bitblas', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'awq', loadable: 'no', advice: CONVERT, nameHints: ['AWQ', '-awq', '_awq'], source: `${PLATFORM.source}; AWQ feature request #4378`, href: PLATFORM.href },
  { name: 'awq_marlin', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'marlin', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'bitsandbytes', loadable: 'no', advice: CONVERT, nameHints: ['bnb-4bit', 'bnb-8bit'], source: PLATFORM.source, href: PLATFORM.href },
  { name: 'gguf', loadable: 'no', advice: CONVERT, nameHints: ['GGUF', '.gguf'], source: PLATFORM.source, href: PLATFORM.href },
  { name: 'squeezellm', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'bitblas', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'hqq', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'experts_int8', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'modelopt', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'modelopt_fp4', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'fbgemm_fp8', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
  { name: 'tpu_int8', loadable: 'no', advice: CONVERT, source: PLATFORM.source, href: PLATFORM.href },
]);

export function findQuantMethod(name: string): QuantMethod | undefined {
  const n = name.toLowerCase();
  return QUANT_METHODS.find((m) => m.name === n);
}

// ---------------------------------------------------------------------------------------------------
// quant_model_description.json value vocabulary
export const QuantType = Sourced.extend({
  name: z.string().min(1),
  /** Registered by vllm-ascend @182b75e for these layer kinds (empty = msModelSlim writes it but vllm-ascend has no scheme). */
  registered: z.array(z.enum(['linear', 'moe', 'attention', '310p'])),
  /** Companion tensors msModelSlim writes beside `<prefix>.weight` for this type (checked when listed). */
  companions: z.array(z.string()).default([]),
  kind: z.enum(['weight', 'kv', 'fa', 'float']).default('weight'),
});
export type QuantType = z.infer<typeof QuantType>;

const MSMODELSLIM = {
  source: 'msModelSlim docs/zh/feature_guide/quick_quantization_v1/quantization_result.md; VA@182b75e docs/source/developer_guide/Design_Documents/quantization.md',
  href: vaUrl('docs/source/developer_guide/Design_Documents/quantization.md'),
};
const REGISTERED = {
  source: 'VA@182b75e vllm_ascend/quantization (@register_scheme); docs/source/developer_guide/Design_Documents/quantization.md',
  href: vaUrl('vllm_ascend/quantization/modelslim_config.py'),
};

type QT = z.input<typeof QuantType>;
const qt = (name: string, registered: QT['registered'], extra: Partial<QT> = {}): QT => ({ name, registered, ...(registered.length ? REGISTERED : MSMODELSLIM), ...extra });

export const QUANT_TYPES: QuantType[] = z.array(QuantType).parse([
  qt('FLOAT', ['linear', 'moe', 'attention', '310p'], { kind: 'float' }),
  qt('W8A8', ['linear', '310p'], { companions: ['input_scale', 'input_offset', 'quant_bias', 'deq_scale'] }),
  qt('W8A8_DYNAMIC', ['linear', 'moe', '310p'], { companions: ['weight_scale', 'weight_offset'] }),
  qt('W8A8_MIX', ['linear']),
  qt('W8A16', ['linear'], { companions: ['weight_scale', 'weight_offset'] }),
  qt('W4A16', ['moe']),
  qt('W4A8_DYNAMIC', ['moe']),
  qt('W4A4_DYNAMIC', ['linear']),
  qt('W4A4_FLATQUANT_DYNAMIC', ['linear']),
  qt('W4A4_MXFP4', ['linear', 'moe']),
  qt('W4A4_MXFP4_FLATQUANT', ['linear']),
  qt('W4A8_MXFP', ['linear', 'moe']),
  qt('W8A8_MXFP8', ['linear', 'moe']),
  qt('W8A8FP8_DYNAMIC', ['linear', 'moe']),
  qt('W4A16_MXFP4', ['moe']),
  qt('W8A8S', ['310p']),
  qt('W8A8SC', ['310p']),
  qt('FAKQuant', ['attention'], { kind: 'fa' }),
  qt('INT8_DYNAMIC', ['attention'], { kind: 'fa' }),
  // written by msModelSlim, no vllm-ascend scheme at @182b75e
  qt('W16A16S', []),
  qt('WFP8AFP8_DYNAMIC', []),
  qt('FLATQUANT_DYNAMIC', []),
  qt('FLATQUANT', []),
  qt('W8A8_FLATQUANT_DYNAMIC', []),
  qt('W4A8_FLATQUANT_DYNAMIC', []),
  qt('NF4', []),
  qt('C8', [], { kind: 'kv' }),
  qt('KV8', [], { kind: 'kv' }),
  qt('FAQuant', [], { kind: 'fa' }),
]);

export function findQuantType(name: string): QuantType | undefined {
  return QUANT_TYPES.find((t) => t.name === name);
}

/** Global (non-tensor) keys of quant_model_description.json and their JSON types. */
export const DESCRIPTION_GLOBAL_KEYS: Record<string, 'quant-type' | 'string' | 'int-or-string' | 'boolean' | 'object'> = {
  model_quant_type: 'quant-type',
  model_quant_type_second: 'quant-type',
  version: 'string',
  group_size: 'int-or-string',
  kv_quant_type: 'quant-type',
  kv_cache_type: 'quant-type',
  kv_cache_type_second: 'quant-type',
  fa_quant_type: 'quant-type',
  reduce_quant_type: 'string',
  indexer_quant_type: 'quant-type',
  metadata: 'object',
  optional: 'object',
  is_rot_used: 'boolean',
};

export const DESCRIPTION_SOURCE = MSMODELSLIM;

/** Tensor-name suffixes msModelSlim writes beside a quantized `.weight`. */
export const COMPANION_SUFFIXES = ['weight_scale', 'weight_offset', 'input_scale', 'input_offset', 'quant_bias', 'deq_scale', 'kv_cache_scale', 'kv_cache_offset', 'scale_bias', 'weight_packed'];
