import { z } from 'zod';

/**
 * Model architectures (config.json `architectures[0]`) that vLLM registers, and whether vllm-ascend's
 * supported-models list names their family for Atlas A2/A3. Data, with a source per row.
 *   ascend: 'supported' = in the core list; 'experimental' = extended/🔵 list; 'unlisted' = vLLM has it,
 *   vllm-ascend's list does not name it (may still work through vLLM's generic layers).
 */
export const architectureSchema = z.strictObject({
  name: z.string().min(1),
  family: z.string().min(1),
  moe: z.boolean(),
  ascend: z.enum(['supported', 'experimental', 'unlisted']),
  source: z.string().min(1),
});
export type ArchitectureInfo = z.infer<typeof architectureSchema>;

const REG = 'https://github.com/vllm-project/vllm (vllm/model_executor/models/registry.py)';
const SUP = 'https://github.com/vllm-project/vllm-ascend (docs/source/user_guide/support_matrix/supported_models.md)';
const both = `${REG}; ${SUP}`;

type Row = [name: string, family: string, moe: boolean, ascend: ArchitectureInfo['ascend']];
const rows: Row[] = [
  ['DeepseekV2ForCausalLM', 'DeepSeek V2', true, 'experimental'],
  ['DeepseekV3ForCausalLM', 'DeepSeek V3 / R1', true, 'supported'],
  ['DeepseekV32ForCausalLM', 'DeepSeek V3.2', true, 'supported'],
  ['Qwen2ForCausalLM', 'Qwen2 / Qwen2.5', false, 'experimental'],
  ['Qwen2MoeForCausalLM', 'Qwen2 MoE', true, 'experimental'],
  ['Qwen3ForCausalLM', 'Qwen3 dense', false, 'supported'],
  ['Qwen3MoeForCausalLM', 'Qwen3 MoE', true, 'supported'],
  ['Qwen3NextForCausalLM', 'Qwen3-Next', true, 'experimental'],
  ['QWenLMHeadModel', 'Qwen (v1)', false, 'unlisted'],
  ['HunYuanDenseV1ForCausalLM', 'Hunyuan dense', false, 'unlisted'],
  ['HunYuanMoEV1ForCausalLM', 'Hunyuan MoE (A13B)', true, 'experimental'],
  ['LlamaForCausalLM', 'Llama', false, 'experimental'],
  ['MistralForCausalLM', 'Mistral', false, 'experimental'],
  ['MixtralForCausalLM', 'Mixtral', true, 'unlisted'],
  ['GemmaForCausalLM', 'Gemma', false, 'unlisted'],
  ['Gemma2ForCausalLM', 'Gemma 2', false, 'experimental'],
  ['Gemma3ForCausalLM', 'Gemma 3', false, 'experimental'],
  ['InternLMForCausalLM', 'InternLM', false, 'experimental'],
  ['InternLM2ForCausalLM', 'InternLM2', false, 'experimental'],
  ['InternLM3ForCausalLM', 'InternLM3', false, 'experimental'],
  ['BaichuanForCausalLM', 'Baichuan2', false, 'experimental'],
  ['BaiChuanForCausalLM', 'Baichuan', false, 'experimental'],
  ['ChatGLMModel', 'ChatGLM', false, 'unlisted'],
  ['GlmForCausalLM', 'GLM-4', false, 'supported'],
  ['Glm4ForCausalLM', 'GLM-4', false, 'supported'],
  ['Glm4MoeForCausalLM', 'GLM-4.5 MoE', true, 'supported'],
  ['Phi3ForCausalLM', 'Phi-3 / Phi-4', false, 'experimental'],
  ['MiniCPMForCausalLM', 'MiniCPM', false, 'experimental'],
  ['MiniCPM3ForCausalLM', 'MiniCPM3', false, 'experimental'],
  ['Ernie4_5ForCausalLM', 'ERNIE 4.5', false, 'experimental'],
  ['Ernie4_5_MoeForCausalLM', 'ERNIE 4.5 MoE', true, 'experimental'],
  ['MiniMaxM2ForCausalLM', 'MiniMax-M2', true, 'experimental'],
  ['GptOssForCausalLM', 'gpt-oss', true, 'unlisted'],
  ['Qwen2VLForConditionalGeneration', 'Qwen2-VL', false, 'experimental'],
  ['Qwen2_5_VLForConditionalGeneration', 'Qwen2.5-VL', false, 'experimental'],
  ['Qwen3VLForConditionalGeneration', 'Qwen3-VL', false, 'experimental'],
  ['Qwen3VLMoeForConditionalGeneration', 'Qwen3-VL MoE', true, 'experimental'],
];

export const ARCHITECTURES: readonly ArchitectureInfo[] = Object.freeze(
  z.array(architectureSchema).parse(rows.map(([name, family, moe, ascend]) => ({ name, family, moe, ascend, source: ascend === 'unlisted' ? REG : both }))),
);

export function lookupArchitecture(name: string | null | undefined): ArchitectureInfo | undefined {
  if (!name) return undefined;
  return ARCHITECTURES.find((a) => a.name === name);
}

/** Quantization methods (config.json quantization_config.quant_method) vllm-ascend cannot load as is. */
export const CUDA_ONLY_QUANT_METHODS: readonly string[] = Object.freeze([
  'gptq', 'awq', 'marlin', 'gptq_marlin', 'awq_marlin', 'gptq_marlin_24', 'bitsandbytes', 'gguf', 'squeezellm', 'exl2', 'hqq', 'aqlm', 'nvfp4', 'modelopt_fp4',
]);
export const CUDA_ONLY_QUANT_SOURCE = 'https://github.com/vllm-project/vllm-ascend (vllm_ascend/platform.py, supported_quantization)';
