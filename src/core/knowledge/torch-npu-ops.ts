import { z } from 'zod';
import { Bilingual, Sourced, vaUrl } from './text';

/**
 * torch_npu operators used for LLM inference (shared notes ascend-facts §e): signature, purpose and the
 * documented constraints, for hovers, keyword completion and literal-argument checks.
 */
export const OpParam = z.object({
  name: z.string().min(1),
  /** Shown in completion details, e.g. "Tensor", "str", "int = 1". */
  type: z.string().min(1),
  keywordOnly: z.boolean().default(false),
  /** Allowed literal values (strings or ints) when documented. */
  values: z.array(z.union([z.string(), z.number()])).optional(),
  /** Inclusive integer range when documented. */
  min: z.number().optional(),
  max: z.number().optional(),
  doc: Bilingual.optional(),
});
export type OpParam = z.infer<typeof OpParam>;

export const TorchNpuOp = Sourced.extend({
  name: z.string().regex(/^_?npu_[a-z0-9_]+$/),
  signature: z.string().min(1),
  params: z.array(OpParam),
  /** True when `params` is the complete documented list: unknown keywords are then reported. */
  complete: z.boolean().default(false),
  purpose: Bilingual,
  constraints: z.array(Bilingual).default([]),
  /** What CUDA-side thing it replaces, when it does. */
  replaces: z.string().optional(),
  /** Extra checks across arguments, by id (implemented in analysis/python.ts). */
  checks: z.array(z.enum(['heads-divisible'])).default([]),
});
export type TorchNpuOp = z.infer<typeof TorchNpuOp>;

const P = (name: string, type: string, extra: Partial<OpParam> = {}): OpParam => ({ name, type, keywordOnly: false, ...extra });
const K = (name: string, type: string, extra: Partial<OpParam> = {}): OpParam => ({ name, type, keywordOnly: true, ...extra });

export const TORCH_NPU_OPS: TorchNpuOp[] = z.array(TorchNpuOp).parse([
  {
    name: 'npu_rms_norm',
    signature: 'torch_npu.npu_rms_norm(x, gamma, epsilon=1e-6) -> (y, rstd)',
    params: [P('x', 'Tensor'), P('gamma', 'Tensor'), P('epsilon', 'float = 1e-6')],
    complete: true,
    purpose: { en: 'RMSNorm.', zh: 'RMSNorm 归一化。' },
    constraints: [
      { en: 'dtypes fp16 / bf16 / fp32; 2–8 dims; gamma has the same dtype, usually the last dim.', zh: '数据类型 fp16 / bf16 / fp32；2–8 维；gamma 与 x 同类型，通常为最后一维。' },
    ],
    replaces: 'vllm._custom_ops.rms_norm',
    source: 'hiascend Pytorch/700 ptaoplist_000860; VA@182b75e vllm_ascend/ops/layernorm.py (AscendRMSNorm.forward_oot)',
    href: vaUrl('vllm_ascend/ops/layernorm.py'),
  },
  {
    name: 'npu_add_rms_norm',
    signature: 'torch_npu.npu_add_rms_norm(x, residual, gamma, epsilon=1e-6) -> (y, rstd, x + residual)',
    params: [P('x', 'Tensor'), P('residual', 'Tensor'), P('gamma', 'Tensor'), P('epsilon', 'float = 1e-6')],
    purpose: { en: 'Fused residual add + RMSNorm.', zh: '残差相加与 RMSNorm 融合。' },
    replaces: 'vllm._custom_ops.fused_add_rms_norm',
    source: 'VA@182b75e vllm_ascend/ops/layernorm.py',
    href: vaUrl('vllm_ascend/ops/layernorm.py'),
  },
  {
    name: 'npu_swiglu',
    signature: 'torch_npu.npu_swiglu(x, dim=-1) -> Tensor',
    params: [P('x', 'Tensor'), P('dim', 'int = -1')],
    complete: true,
    purpose: { en: 'SiLU(A) * B over the two halves of `dim`.', zh: '沿 `dim` 将输入对半切分，计算 SiLU(A) * B。' },
    constraints: [
      { en: 'fp32 / fp16 / bf16; 1–8 dims; size along `dim` even; contiguous and non-empty; documented for Atlas A2.', zh: 'fp32 / fp16 / bf16；1–8 维；`dim` 维长度为偶数；连续且非空；文档列出 Atlas A2。' },
    ],
    replaces: 'vllm._custom_ops.silu_and_mul',
    source: 'hiascend Pytorch/600 ptaoplist_000834; VA@182b75e vllm_ascend/ops/activation.py (AscendSiluAndMul)',
    href: vaUrl('vllm_ascend/ops/activation.py'),
  },
  {
    name: 'npu_fast_gelu',
    signature: 'torch_npu.npu_fast_gelu(x) -> Tensor',
    params: [P('x', 'Tensor')],
    complete: true,
    purpose: { en: 'QuickGELU.', zh: 'QuickGELU 激活。' },
    replaces: 'vllm._custom_ops.gelu_quick',
    source: 'VA@182b75e vllm_ascend/ops/activation.py (AscendQuickGELU)',
    href: vaUrl('vllm_ascend/ops/activation.py'),
  },
  {
    name: 'npu_rotary_mul',
    signature: "torch_npu.npu_rotary_mul(x, r1, r2, rotary_mode='half') -> Tensor",
    params: [P('x', 'Tensor'), P('r1', 'Tensor'), P('r2', 'Tensor'), P('rotary_mode', "str = 'half'", { values: ['half', 'interleave'] })],
    complete: true,
    purpose: { en: 'RoPE: x * cos + rotate(x) * sin.', zh: '旋转位置编码：x * cos + rotate(x) * sin。' },
    constraints: [
      { en: '4-D input (BNSD / BSND / SBND); r1 / r2 broadcastable 4-D.', zh: '输入为 4 维（BNSD / BSND / SBND）；r1 / r2 为可广播的 4 维张量。' },
      { en: "rotary_mode is 'half' or 'interleave'; in half mode D < 896 and even, B and N < 1000 (older docs: D = 128).", zh: "rotary_mode 取 'half' 或 'interleave'；half 模式下 D < 896 且为偶数，B、N < 1000（旧文档要求 D = 128）。" },
    ],
    source: 'hiascend Pytorch/700 ptaoplist_000141; gitcode Ascend/op-plugin docs/context/torch_npu-npu_rotary_mul.md; VA@182b75e vllm_ascend/ops/rotary_embedding.py',
    href: vaUrl('vllm_ascend/ops/rotary_embedding.py'),
  },
  {
    name: 'npu_mrope',
    signature: "torch_npu.npu_mrope(positions, query, key, cos_sin_cache, head_size, mrope_section=[0, 0, 0], rotary_mode='half') -> (query, key)",
    params: [
      P('positions', 'Tensor'), P('query', 'Tensor'), P('key', 'Tensor'), P('cos_sin_cache', 'Tensor'), P('head_size', 'int'),
      P('mrope_section', 'list[int] = [0, 0, 0]'), P('rotary_mode', "str = 'half'", { values: ['half', 'interleaved'] }),
    ],
    complete: true,
    purpose: { en: 'RoPE / M-RoPE on flattened q and k; partial rotary is inferred from cos_sin_cache.', zh: '对展平的 q、k 做 RoPE / M-RoPE；部分旋转维度由 cos_sin_cache 推断。' },
    constraints: [
      { en: "rotary_mode is 'half' or 'interleaved' (note: npu_rotary_mul spells it 'interleave').", zh: "rotary_mode 取 'half' 或 'interleaved'（注意 npu_rotary_mul 写作 'interleave'）。" },
      { en: 'Batched rotary embedding (offsets) is not supported on the NPU.', zh: 'NPU 不支持带 offsets 的批量旋转位置编码。' },
    ],
    replaces: 'vllm._custom_ops.rotary_embedding',
    source: 'VA@182b75e vllm_ascend/ops/rotary_embedding.py rope_forward_oot',
    href: vaUrl('vllm_ascend/ops/rotary_embedding.py'),
  },
  {
    name: 'npu_fused_infer_attention_score',
    signature: "torch_npu.npu_fused_infer_attention_score(query, key, value, *, atten_mask=None, actual_seq_lengths=None, actual_seq_lengths_kv=None, block_table=None, num_heads=1, num_key_value_heads=0, scale=1.0, input_layout='BSH', sparse_mode=0, block_size=0, ...) -> (out, lse)",
    params: [
      P('query', 'Tensor'), P('key', 'Tensor'), P('value', 'Tensor'),
      K('atten_mask', 'Tensor | None'), K('actual_seq_lengths', 'list[int] | None'), K('actual_seq_lengths_kv', 'list[int] | None'),
      K('block_table', 'Tensor | None'), K('num_heads', 'int', { min: 1 }), K('num_key_value_heads', 'int', { min: 0 }), K('scale', 'float'),
      K('input_layout', "str = 'BSH'", { values: ['BSH', 'BSND', 'BNSD', 'TND', 'BNSD_BSND'] }),
      K('sparse_mode', 'int = 0', { min: 0, max: 8 }), K('block_size', 'int = 0'), K('softmax_lse_flag', 'bool = False'),
      K('pre_tokens', 'int'), K('next_tokens', 'int'), K('antiquant_scale', 'Tensor | None'), K('antiquant_offset', 'Tensor | None'),
      K('key_rope', 'Tensor | None'), K('query_rope', 'Tensor | None'), K('inner_precise', 'int'),
    ],
    purpose: { en: 'Unified prefill / decode FlashAttention (FIA): S_q == 1 takes the incremental branch, otherwise the prompt branch.', zh: '统一的 prefill / decode FlashAttention（FIA）：S_q == 1 走增量分支，否则走全量分支。' },
    constraints: [
      { en: 'q / k / v fp16 / bf16 / int8, ND, contiguous; layouts BSH / BSND / BNSD / TND (vllm-ascend uses TND, BNSD for NZ KV).', zh: 'q / k / v 为 fp16 / bf16 / int8、ND、连续；布局 BSH / BSND / BNSD / TND（vllm-ascend 使用 TND，NZ KV 用 BNSD）。' },
      { en: 'sparse_mode 3 = causal, 4 = sliding window, 0 = none; KV cache block size 128.', zh: 'sparse_mode 3 为因果、4 为滑动窗口、0 为无；KV cache block 大小 128。' },
      { en: 'GQA: num_heads must be a multiple of num_key_value_heads; with MLA + graph mode num_heads / num_kv_heads ∈ {32, 64, 128} (EZ9999).', zh: 'GQA：num_heads 必须是 num_key_value_heads 的整数倍；MLA + 图模式下 num_heads / num_kv_heads ∈ {32, 64, 128}（EZ9999）。' },
    ],
    replaces: 'flash_attn_varlen_func / paged_attention_v1/v2',
    checks: ['heads-divisible'],
    source: 'hiascend Pytorch/700 ptaoplist_001232; VA@182b75e vllm_ascend/attention/attention_v1.py; docs/source/faqs.md §13',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_fusion_attention',
    signature: 'torch_npu.npu_fusion_attention(query, key, value, head_num, input_layout, ...) -> (out, ...)',
    params: [P('query', 'Tensor'), P('key', 'Tensor'), P('value', 'Tensor'), P('head_num', 'int', { min: 1 }), P('input_layout', 'str', { values: ['BSH', 'SBH', 'BSND', 'BNSD', 'TND'] }), K('scale', 'float'), K('atten_mask', 'Tensor | None'), K('keep_prob', 'float'), K('sparse_mode', 'int')],
    purpose: { en: 'FlashAttention used for encoder / ViT attention.', zh: '用于编码器 / ViT 注意力的 FlashAttention。' },
    constraints: [{ en: 'fp16 / bf16; layouts BSH / SBH / BSND / BNSD (+TND).', zh: 'fp16 / bf16；布局 BSH / SBH / BSND / BNSD（及 TND）。' }],
    source: 'VA@182b75e vllm_ascend/device/device_op.py npu_flash_attention',
    href: vaUrl('vllm_ascend/device/device_op.py'),
  },
  {
    name: '_npu_paged_attention',
    signature: 'torch_npu._npu_paged_attention(query, key_cache, value_cache, num_kv_heads, num_heads, scale_value, block_table, context_lens, out)',
    params: [P('query', 'Tensor'), P('key_cache', 'Tensor'), P('value_cache', 'Tensor'), P('num_kv_heads', 'int', { min: 1 }), P('num_heads', 'int', { min: 1 }), P('scale_value', 'float'), P('block_table', 'Tensor'), P('context_lens', 'Tensor'), P('out', 'Tensor')],
    complete: true,
    purpose: { en: 'ATB PagedAttention decode.', zh: 'ATB PagedAttention 解码。' },
    constraints: [
      { en: 'block_size % 16 == 0 (128 recommended); head_size in (0, 256]; GQA needs num_heads % num_kv_heads == 0; 310P fp16 only.', zh: 'block_size 为 16 的倍数（推荐 128）；head_size ∈ (0, 256]；GQA 要求 num_heads 能被 num_kv_heads 整除；310P 仅支持 fp16。' },
    ],
    replaces: 'vllm._custom_ops.paged_attention_v1/v2',
    checks: ['heads-divisible'],
    source: 'hiascend CANN 9.0 ascendtb_01_0198; VA v0.11 vllm_ascend/attention/attention_v1.py',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_moe_gating_top_k_softmax',
    signature: 'torch_npu.npu_moe_gating_top_k_softmax(x, finished=None, k=1) -> (y, expert_idx, row_idx)',
    params: [P('x', 'Tensor'), P('finished', 'Tensor | None = None'), P('k', 'int = 1', { min: 1, max: 1024 })],
    complete: true,
    purpose: { en: 'Softmax + top-k expert routing.', zh: 'Softmax + top-k 专家路由。' },
    constraints: [
      { en: 'x 2-D / 3-D fp16 / bf16 / fp32, ND; 0 < k ≤ last dim and k ≤ 1024; inference only; 310P fp16 + ND only.', zh: 'x 为 2 维 / 3 维 fp16 / bf16 / fp32、ND；0 < k ≤ 最后一维且 k ≤ 1024；仅推理；310P 仅 fp16 + ND。' },
    ],
    replaces: 'vllm._custom_ops.topk_softmax',
    source: 'hiascend Pytorch/600 ptaoplist_000856; VA@182b75e vllm_ascend/_310p/fused_moe/grouped_topk_router.py',
    href: vaUrl('vllm_ascend/ops/fused_moe/experts_selector.py'),
  },
  {
    name: 'npu_moe_gating_top_k',
    signature: 'torch_npu.npu_moe_gating_top_k(x, k, bias=None, k_group=1, group_count=1, group_select_mode=0, renorm=0, norm_type=0, routed_scaling_factor=1.0, eps=1e-20)',
    params: [P('x', 'Tensor'), P('k', 'int', { min: 1, max: 32 }), K('bias', 'Tensor | None'), K('k_group', 'int'), K('group_count', 'int'), K('group_select_mode', 'int'), K('renorm', 'int'), K('norm_type', 'int'), K('routed_scaling_factor', 'float'), K('eps', 'float')],
    complete: true,
    purpose: { en: 'Sigmoid grouped top-k routing (DeepSeek-V3 style).', zh: 'Sigmoid 分组 top-k 路由（DeepSeek-V3 风格）。' },
    constraints: [{ en: 'A2 / A3: 256 experts, k in [1, 32], k_group = 4, bias required.', zh: 'A2 / A3：专家数 256，k ∈ [1, 32]，k_group = 4，必须提供 bias。' }],
    replaces: 'vllm grouped_topk',
    source: 'hiascend Pytorch/700 ptaoplist_002365; VA v0.11 vllm_ascend/ops/moe/experts_selector.py',
    href: vaUrl('vllm_ascend/ops/fused_moe/experts_selector.py'),
  },
  {
    name: 'npu_moe_init_routing',
    signature: 'torch_npu.npu_moe_init_routing(x, row_idx, expert_idx, active_num) -> (expanded_x, expanded_row_idx, expanded_expert_idx)',
    params: [P('x', 'Tensor'), P('row_idx', 'Tensor'), P('expert_idx', 'Tensor'), P('active_num', 'int', { min: 1 })],
    complete: true,
    purpose: { en: 'Token permutation for MoE.', zh: 'MoE 的 token 重排。' },
    constraints: [{ en: 'x 2-D (NUM_ROWS, H), shape < 2^24, fp16 / bf16 / fp32; expert ids < expert count; inference only.', zh: 'x 为 2 维 (NUM_ROWS, H)，形状 < 2^24，fp16 / bf16 / fp32；专家编号小于专家数；仅推理。' }],
    replaces: 'vllm._custom_ops.moe_align_block_size',
    source: 'hiascend 60RC3 ptaoplist_000780; VA@182b75e vllm_ascend/ops/fused_moe/',
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    name: 'npu_moe_init_routing_v2',
    signature: 'torch_npu.npu_moe_init_routing_v2(x, expert_idx, *, scale=None, offset=None, active_num=-1, expert_capacity=-1, expert_num=-1, drop_pad_mode=0, expert_tokens_num_type=0, expert_tokens_num_flag=False, quant_mode=-1, active_expert_range=None, row_idx_type=0)',
    params: [
      P('x', 'Tensor'), P('expert_idx', 'Tensor'), K('scale', 'Tensor | None'), K('offset', 'Tensor | None'), K('active_num', 'int'), K('expert_capacity', 'int'),
      K('expert_num', 'int'), K('drop_pad_mode', 'int', { values: [0, 1] }), K('expert_tokens_num_type', 'int', { values: [0, 1, 2] }), K('expert_tokens_num_flag', 'bool'),
      K('quant_mode', 'int', { values: [-1, 0, 1] }), K('active_expert_range', 'list[int] | None'), K('row_idx_type', 'int', { values: [0, 1] }),
    ],
    complete: true,
    purpose: { en: 'Token permutation for MoE (v2, optional int8 quant).', zh: 'MoE 的 token 重排（v2，可选 int8 量化）。' },
    constraints: [{ en: 'x 2-D, fp16 / bf16 / fp32 (+int8); expert ids < expert_num; inference only.', zh: 'x 为 2 维，fp16 / bf16 / fp32（及 int8）；专家编号小于 expert_num；仅推理。' }],
    replaces: 'vllm._custom_ops.moe_align_block_size + triton permute',
    source: 'hiascend Pytorch/700 ptaoplist_002366; VA@182b75e vllm_ascend/ops/fused_moe/',
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    name: 'npu_grouped_matmul',
    signature: 'torch_npu.npu_grouped_matmul(x, weight, *, bias=None, scale=None, per_token_scale=None, group_list=None, split_item=0, group_type=None, group_list_type=0, output_dtype=None, ...) -> list[Tensor]',
    params: [P('x', 'list[Tensor]'), P('weight', 'list[Tensor]'), K('bias', 'list[Tensor] | None'), K('scale', 'list[Tensor] | None'), K('per_token_scale', 'list[Tensor] | None'), K('group_list', 'Tensor | None'), K('split_item', 'int', { values: [0, 1, 2, 3] }), K('group_type', 'int | None'), K('group_list_type', 'int', { values: [0, 1] }), K('output_dtype', 'dtype | None')],
    purpose: { en: 'Grouped expert GEMM.', zh: '按专家分组的矩阵乘。' },
    constraints: [{ en: 'Detailed constraints were not retrieved (see the CANN op list).', zh: '详细约束未收录（见 CANN 算子列表）。' }],
    replaces: 'triton fused_moe kernel',
    source: 'VA@182b75e vllm_ascend/ops/fused_moe/moe_mlp.py',
    href: vaUrl('vllm_ascend/ops/fused_moe/moe_mlp.py'),
  },
  {
    name: 'npu_dynamic_quant',
    signature: 'torch_npu.npu_dynamic_quant(x, *, smooth_scales=None, dst_type=torch.int8) -> (x_q, per_token_scale)',
    params: [P('x', 'Tensor'), K('smooth_scales', 'Tensor | None'), K('dst_type', 'dtype = torch.int8')],
    purpose: { en: 'Per-token dynamic activation quantization (W8A8_DYNAMIC).', zh: '逐 token 动态激活量化（W8A8_DYNAMIC）。' },
    replaces: 'vllm._custom_ops.scaled_int8_quant',
    source: 'VA@182b75e vllm_ascend/quantization/methods/w8a8_dynamic.py',
    href: vaUrl('vllm_ascend/quantization/methods/w8a8_dynamic.py'),
  },
  {
    name: 'npu_quant_matmul',
    signature: 'torch_npu.npu_quant_matmul(x1, x2, scale, *, offset=None, pertoken_scale=None, bias=None, output_dtype=None) -> Tensor',
    params: [P('x1', 'Tensor (int8)'), P('x2', 'Tensor (int8)'), P('scale', 'Tensor'), K('offset', 'Tensor | None'), K('pertoken_scale', 'Tensor | None'), K('bias', 'Tensor | None'), K('output_dtype', 'dtype | None')],
    purpose: { en: 'int8 GEMM with dequantization.', zh: '带反量化的 int8 矩阵乘。' },
    constraints: [{ en: 'On 310P (QuantBatchMatmulV3) only transpose_x1 = false and transpose_x2 = true are supported (E69999).', zh: '310P（QuantBatchMatmulV3）仅支持 transpose_x1 = false 且 transpose_x2 = true（E69999）。' }],
    replaces: 'vllm._custom_ops.cutlass_scaled_mm',
    source: 'VA@182b75e vllm_ascend/quantization/methods/w8a8.py; samples error_02 (E69999)',
    href: vaUrl('vllm_ascend/quantization/methods/w8a8.py'),
  },
  {
    name: 'npu_weight_quant_batchmatmul',
    signature: 'torch_npu.npu_weight_quant_batchmatmul(x, weight, antiquant_scale, antiquant_offset=None, quant_scale=None, quant_offset=None, bias=None, antiquant_group_size=0, inner_precise=0) -> Tensor',
    params: [
      P('x', 'Tensor'), P('weight', 'Tensor'), P('antiquant_scale', 'Tensor'), P('antiquant_offset', 'Tensor | None = None'), P('quant_scale', 'Tensor | None = None'),
      P('quant_offset', 'Tensor | None = None'), P('bias', 'Tensor | None = None'), P('antiquant_group_size', 'int = 0', { min: 0 }), P('inner_precise', 'int = 0', { values: [0, 1] }),
    ],
    complete: true,
    purpose: { en: 'Weight-only int8 / int4 GEMM (W8A16 / W4A16, the GPTQ-like path).', zh: '仅权重量化的 int8 / int4 矩阵乘（W8A16 / W4A16，类似 GPTQ 的路径）。' },
    constraints: [
      { en: 'x fp16 / bf16 2-D (M, K); weight int8 or int32-packed int4 (npu_convert_weight_to_int4pack), ND or FRACTAL_NZ; per-group scale shape (ceil(K / g), N).', zh: 'x 为 fp16 / bf16 的 2 维 (M, K)；权重为 int8 或 int32 打包的 int4（npu_convert_weight_to_int4pack），ND 或 FRACTAL_NZ；分组 scale 形状为 (ceil(K / g), N)。' },
      { en: 'Atlas inference (310P): fp16 only, per-channel only.', zh: 'Atlas 推理系列（310P）：仅 fp16、仅 per-channel。' },
    ],
    replaces: 'gptq_gemm / awq_gemm / marlin_gemm',
    source: 'hiascend Pytorch/700 ptaoplist_000179, Pytorch/600 ptaoplist_000862',
    href: vaUrl('vllm_ascend/quantization/methods/w4a16.py'),
  },
  {
    name: 'npu_format_cast',
    signature: 'torch_npu.npu_format_cast(tensor, acl_format) -> Tensor',
    params: [P('tensor', 'Tensor'), P('acl_format', 'int (2 = ND, 29 = FRACTAL_NZ)')],
    complete: true,
    purpose: { en: 'Cast a weight to another storage format, e.g. FRACTAL_NZ (29) for faster matmul; controlled by VLLM_ASCEND_ENABLE_NZ.', zh: '转换权重的存储格式，例如转为 FRACTAL_NZ（29）以加速矩阵乘；由 VLLM_ASCEND_ENABLE_NZ 控制。' },
    source: 'VA@182b75e vllm_ascend/ops/linear.py',
    href: vaUrl('vllm_ascend/ops/linear.py'),
  },
  {
    name: '_npu_reshape_and_cache',
    signature: 'torch_npu._npu_reshape_and_cache(key, value, key_cache, value_cache, slot_indices)',
    params: [P('key', 'Tensor'), P('value', 'Tensor'), P('key_cache', 'Tensor'), P('value_cache', 'Tensor'), P('slot_indices', 'Tensor')],
    complete: true,
    purpose: { en: 'Writes new K / V into the paged KV cache (older vllm-ascend; main uses npu_scatter_pa_kv_cache).', zh: '将新的 K / V 写入分页 KV cache（旧版 vllm-ascend；main 分支改用 npu_scatter_pa_kv_cache）。' },
    replaces: 'vllm._custom_ops.reshape_and_cache',
    source: 'VA v0.11 vllm_ascend/attention/attention_v1.py; ascend-facts §e',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_scatter_pa_kv_cache',
    signature: 'torch_npu.npu_scatter_pa_kv_cache(...)',
    params: [],
    purpose: { en: 'Writes K / V into the paged KV cache (vllm-ascend main).', zh: '将 K / V 写入分页 KV cache（vllm-ascend main 分支）。' },
    replaces: 'vllm._custom_ops.reshape_and_cache_flash',
    source: 'VA@182b75e vllm_ascend/attention/attention_v1.py (6 call sites); ascend-facts §e',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_incre_flash_attention',
    signature: 'torch_npu.npu_incre_flash_attention(...)',
    params: [],
    purpose: { en: 'Decode-only FlashAttention (older split API; npu_fused_infer_attention_score supersedes it).', zh: '仅解码阶段的 FlashAttention（旧的拆分接口，已由 npu_fused_infer_attention_score 取代）。' },
    source: 'ascend-facts §e (used in VA v0.11)',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_prompt_flash_attention',
    signature: 'torch_npu.npu_prompt_flash_attention(...)',
    params: [],
    purpose: { en: 'Prefill-only FlashAttention (older split API; npu_fused_infer_attention_score supersedes it).', zh: '仅预填充阶段的 FlashAttention（旧的拆分接口，已由 npu_fused_infer_attention_score 取代）。' },
    source: 'ascend-facts §e (2 call sites in VA@182b75e)',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    name: 'npu_moe_finalize_routing',
    signature: 'torch_npu.npu_moe_finalize_routing(...)',
    params: [],
    purpose: { en: 'Un-permutes expert outputs and combines them with the routing weights.', zh: '将专家输出还原顺序并按路由权重合并。' },
    replaces: 'vllm moe_sum / triton un-permute',
    source: 'ascend-facts §e; VA@182b75e vllm_ascend/ops/fused_moe/ (MoE dispatchers)',
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    name: 'npu_moe_token_unpermute',
    signature: 'torch_npu.npu_moe_token_unpermute(...)',
    params: [],
    purpose: { en: 'Un-permutes tokens after the expert GEMMs and applies the routing weights.', zh: '专家矩阵乘之后还原 token 顺序并应用路由权重。' },
    source: 'ascend-facts §e (8 call sites in VA@182b75e MoE dispatchers)',
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    name: 'npu_moe_distribute_dispatch',
    signature: 'torch_npu.npu_moe_distribute_dispatch(...)  # also _v2',
    params: [],
    purpose: { en: 'MC2 fused all-to-all dispatch of tokens to experts (expert parallel).', zh: 'MC2 融合 all-to-all，将 token 分发到专家（专家并行）。' },
    replaces: 'DeepEP / pplx all-to-all',
    source: 'ascend-facts §e; VA@182b75e token_dispatcher.py',
    href: vaUrl('vllm_ascend/ops/fused_moe/token_dispatcher.py'),
  },
  {
    name: 'npu_moe_distribute_combine',
    signature: 'torch_npu.npu_moe_distribute_combine(...)  # also _v2',
    params: [],
    purpose: { en: 'MC2 fused all-to-all combine of expert outputs (expert parallel).', zh: 'MC2 融合 all-to-all，合并专家输出（专家并行）。' },
    replaces: 'DeepEP / pplx all-to-all',
    source: 'ascend-facts §e; VA@182b75e token_dispatcher.py',
    href: vaUrl('vllm_ascend/ops/fused_moe/token_dispatcher.py'),
  },
  {
    name: 'npu_convert_weight_to_int4pack',
    signature: 'torch_npu.npu_convert_weight_to_int4pack(weight) -> Tensor',
    params: [P('weight', 'Tensor (int32)')],
    purpose: { en: 'Packs int4 weights into int32 for npu_weight_quant_batchmatmul (W4A16).', zh: '将 int4 权重打包为 int32，供 npu_weight_quant_batchmatmul（W4A16）使用。' },
    source: 'hiascend Pytorch/700 ptaoplist_000179 (weight format of npu_weight_quant_batchmatmul); ascend-facts §e',
    href: vaUrl('vllm_ascend/quantization/methods/w4a16.py'),
  },
]);

export function findOp(name: string): TorchNpuOp | undefined {
  return TORCH_NPU_OPS.find((o) => o.name === name);
}
