import { z } from 'zod';
import { Bilingual, Sourced, vaUrl, vllmUrl } from './text';

/**
 * CUDA-only things found in vLLM model / layer code and what replaces them on Ascend
 * (shared notes ascend-facts §f). Each row cites where the fact comes from.
 */

const FACTS_F = 'ascend-facts §f';

// ---------------------------------------------------------------------------------------------------
// torch.npu members that exist (torch_npu registers torch.npu); `torch.cuda.X` → `torch.npu.X` is only
// offered as a quick fix when X is listed here.
export const TorchNpuMember = Sourced.extend({
  cuda: z.string().min(1), // name under torch.cuda
  npu: z.string().min(1), // name under torch.npu
});
export type TorchNpuMember = z.infer<typeof TorchNpuMember>;

const TORCH_NPU_SRC = {
  source: 'torch_npu registers torch.npu (Ascend/pytorch torch_npu/npu/__init__.py); used this way throughout vllm_ascend/ (VA@182b75e)',
  href: vaUrl('vllm_ascend/platform.py'),
};
const ACL_GRAPH_SRC = {
  source: 'VA@182b75e vllm_ascend/compilation/acl_graph.py (torch.npu.NPUGraph / torch.npu.graph)',
  href: vaUrl('vllm_ascend/compilation/acl_graph.py'),
};

const same = [
  'synchronize', 'empty_cache', 'mem_get_info', 'current_device', 'device_count', 'set_device', 'is_available',
  'Stream', 'Event', 'current_stream', 'default_stream', 'stream', 'set_stream', 'memory_allocated',
  'max_memory_allocated', 'memory_reserved', 'max_memory_reserved', 'reset_peak_memory_stats', 'memory_stats',
  'manual_seed', 'manual_seed_all', 'get_device_name', 'get_device_properties', 'device', 'is_initialized',
  'init', 'get_rng_state', 'set_rng_state', 'seed', 'initial_seed',
];
export const TORCH_NPU_MEMBERS: TorchNpuMember[] = z.array(TorchNpuMember).parse([
  ...same.map((n) => ({ cuda: n, npu: n, ...TORCH_NPU_SRC })),
  { cuda: 'graph', npu: 'graph', ...ACL_GRAPH_SRC },
  { cuda: 'CUDAGraph', npu: 'NPUGraph', ...ACL_GRAPH_SRC },
  { cuda: 'graph_pool_handle', npu: 'graph_pool_handle', ...ACL_GRAPH_SRC },
]);

// ---------------------------------------------------------------------------------------------------
// CUDA-only torch APIs with no 1:1 torch.npu name (or whose use needs more than a rename).
export const CudaApiRow = Sourced.extend({
  /** Qualified name prefix, e.g. "torch.backends.cudnn". */
  name: z.string().min(1),
  severity: z.enum(['error', 'warning', 'information']),
  advice: Bilingual,
});
export type CudaApiRow = z.infer<typeof CudaApiRow>;

export const CUDA_API_ROWS: CudaApiRow[] = z.array(CudaApiRow).parse([
  {
    name: 'torch.backends.cudnn',
    severity: 'warning',
    advice: { en: 'cuDNN settings do nothing on an Ascend NPU; remove them (NPU kernels come from CANN).', zh: 'cuDNN 设置在昇腾 NPU 上不起作用，请删除（NPU 算子由 CANN 提供）。' },
    source: `${FACTS_F}: torch.cuda.* / CUDA libraries have no NPU effect`,
    href: vaUrl('vllm_ascend/platform.py'),
  },
  {
    name: 'torch.backends.cuda',
    severity: 'warning',
    advice: { en: 'torch.backends.cuda settings do nothing on an Ascend NPU; remove them.', zh: 'torch.backends.cuda 设置在昇腾 NPU 上不起作用，请删除。' },
    source: `${FACTS_F}: torch.cuda.* / CUDA libraries have no NPU effect`,
    href: vaUrl('vllm_ascend/platform.py'),
  },
  {
    name: 'torch.cuda.nccl',
    severity: 'error',
    advice: { en: 'NCCL does not exist on Ascend: collectives go through HCCL (vLLM NPUCommunicator / pyhccl).', zh: '昇腾上没有 NCCL：集合通信走 HCCL（vLLM NPUCommunicator / pyhccl）。' },
    source: `${FACTS_F}: NCCL / custom all-reduce → HCCL (platform.py get_device_communicator_cls)`,
    href: vaUrl('vllm_ascend/platform.py'),
  },
  {
    name: 'torch.cuda.DoubleTensor',
    severity: 'error',
    advice: { en: 'float64 is not supported on the NPU; use float32 (torch.npu.FloatTensor).', zh: 'NPU 不支持 float64，请改用 float32（torch.npu.FloatTensor）。' },
    source: `${FACTS_F}: float64 / torch.cuda.DoubleTensor (transfer_to_npu warning, vllm-ascend issue #564)`,
    href: 'https://github.com/vllm-project/vllm-ascend/issues/564',
  },
  {
    name: 'torch.cuda.amp',
    severity: 'warning',
    advice: { en: 'Use torch.autocast(device_type="npu", ...) instead of torch.cuda.amp.', zh: '请用 torch.autocast(device_type="npu", ...) 代替 torch.cuda.amp。' },
    source: `${FACTS_F}: torch.cuda.* APIs → torch.npu.*`,
    href: vaUrl('vllm_ascend/platform.py'),
  },
]);

// ---------------------------------------------------------------------------------------------------
// Kernels called directly through vllm._custom_ops / torch.ops._C*: absent on Ascend (vLLM is built with
// VLLM_TARGET_DEVICE=empty, so there is no vllm._C).
export const CudaKernelRow = Sourced.extend({
  /** Kernel function names (as under vllm._custom_ops / torch.ops._C). */
  names: z.array(z.string().min(1)).min(1),
  /** What to use instead. */
  replacement: Bilingual,
  note: Bilingual.optional(),
});
export type CudaKernelRow = z.infer<typeof CudaKernelRow>;

export const CUDA_KERNEL_MODULES = ['vllm._custom_ops', 'vllm._C', 'vllm._moe_C', 'torch.ops._C', 'torch.ops._C_cache_ops', 'torch.ops._moe_C', 'torch.ops._C_custom_ar', 'torch.ops.oink'];

export const CUDA_KERNELS: CudaKernelRow[] = z.array(CudaKernelRow).parse([
  { names: ['rms_norm', 'fused_add_rms_norm', 'rmsnorm', 'fused_add_rms_norm_'], replacement: { en: 'vLLM RMSNorm layer, or torch_npu.npu_rms_norm / torch_npu.npu_add_rms_norm', zh: 'vLLM 的 RMSNorm 层，或 torch_npu.npu_rms_norm / torch_npu.npu_add_rms_norm' }, source: 'VA@182b75e vllm_ascend/ops/layernorm.py (AscendRMSNorm.forward_oot)', href: vaUrl('vllm_ascend/ops/layernorm.py') },
  { names: ['silu_and_mul'], replacement: { en: 'vLLM SiluAndMul layer, or torch_npu.npu_swiglu', zh: 'vLLM 的 SiluAndMul 层，或 torch_npu.npu_swiglu' }, source: 'VA@182b75e vllm_ascend/ops/activation.py (AscendSiluAndMul)', href: vaUrl('vllm_ascend/ops/activation.py') },
  { names: ['gelu_quick', 'gelu_fast', 'gelu_new', 'gelu_and_mul', 'gelu_tanh_and_mul'], replacement: { en: 'vLLM activation layers (QuickGELU → torch_npu.npu_fast_gelu)', zh: 'vLLM 的激活层（QuickGELU → torch_npu.npu_fast_gelu）' }, source: 'VA@182b75e vllm_ascend/ops/activation.py (AscendQuickGELU)', href: vaUrl('vllm_ascend/ops/activation.py') },
  {
    names: ['rotary_embedding', 'batched_rotary_embedding'],
    replacement: { en: 'vLLM get_rope(...) layer, or torch_npu.npu_mrope / torch_npu.npu_rotary_mul', zh: 'vLLM 的 get_rope(...) 层，或 torch_npu.npu_mrope / torch_npu.npu_rotary_mul' },
    note: { en: 'Batched rotary embedding (with offsets) is not supported on the NPU.', zh: 'NPU 不支持带 offsets 的批量旋转位置编码（batched rotary embedding）。' },
    source: 'VA@182b75e vllm_ascend/ops/rotary_embedding.py (rope_forward_oot)',
    href: vaUrl('vllm_ascend/ops/rotary_embedding.py'),
  },
  {
    names: ['paged_attention_v1', 'paged_attention_v2', 'reshape_and_cache', 'reshape_and_cache_flash', 'copy_blocks', 'swap_blocks'],
    replacement: { en: 'vLLM Attention layer (AscendAttentionBackend: torch_npu.npu_fused_infer_attention_score, torch_npu._npu_paged_attention, npu_scatter_pa_kv_cache)', zh: 'vLLM 的 Attention 层（AscendAttentionBackend：torch_npu.npu_fused_infer_attention_score、torch_npu._npu_paged_attention、npu_scatter_pa_kv_cache）' },
    note: { en: 'Ascend KV cache blocks are 128 tokens.', zh: '昇腾 KV cache 的 block 大小为 128。' },
    source: 'VA@182b75e vllm_ascend/attention/attention_v1.py; platform.py get_attn_backend_cls',
    href: vaUrl('vllm_ascend/attention/attention_v1.py'),
  },
  {
    names: ['topk_softmax', 'grouped_topk', 'moe_align_block_size', 'sgl_moe_align_block_size', 'moe_sum', 'moe_permute', 'moe_unpermute'],
    replacement: { en: 'vLLM FusedMoE / SharedFusedMoE layer (torch_npu.npu_moe_gating_top_k_softmax, npu_moe_init_routing_v2, npu_grouped_matmul, npu_moe_finalize_routing)', zh: 'vLLM 的 FusedMoE / SharedFusedMoE 层（torch_npu.npu_moe_gating_top_k_softmax、npu_moe_init_routing_v2、npu_grouped_matmul、npu_moe_finalize_routing）' },
    source: 'VA@182b75e vllm_ascend/ops/fused_moe/',
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    names: ['scaled_int8_quant', 'cutlass_scaled_mm', 'cutlass_scaled_mm_azp'],
    replacement: { en: 'quant_config-driven linear layers (torch_npu.npu_dynamic_quant + torch_npu.npu_quant_matmul, W8A8 / W8A8_DYNAMIC)', zh: '由 quant_config 驱动的线性层（torch_npu.npu_dynamic_quant + torch_npu.npu_quant_matmul，W8A8 / W8A8_DYNAMIC）' },
    source: 'VA@182b75e vllm_ascend/quantization/methods/w8a8_dynamic.py',
    href: vaUrl('vllm_ascend/quantization/methods/w8a8_dynamic.py'),
  },
  {
    names: ['scaled_fp8_quant', 'scaled_fp4_quant', 'cutlass_scaled_fp4_mm'],
    replacement: { en: 'BF16 weights (dequantize FP8 at load time); FP8/MXFP paths exist only on Ascend 950', zh: 'BF16 权重（加载时将 FP8 反量化）；FP8/MXFP 路径仅在昇腾 950 上可用' },
    note: { en: 'Atlas A2/A3 have no FP8 compute.', zh: 'Atlas A2/A3 没有 FP8 计算能力。' },
    source: 'VA@182b75e .agents/skills/vllm-ascend-model-adapter/references/fp8-on-npu-lessons.md',
    href: vaUrl('.agents/skills/vllm-ascend-model-adapter/references/fp8-on-npu-lessons.md'),
  },
  {
    names: ['gptq_gemm', 'gptq_shuffle', 'awq_dequantize', 'awq_gemm', 'gptq_marlin_gemm', 'marlin_gemm', 'gptq_marlin_repack', 'awq_marlin_repack', 'gptq_marlin_24_gemm', 'ggml_dequantize', 'ggml_mul_mat_a8', 'ggml_mul_mat_vec_a8'],
    replacement: { en: 'a checkpoint re-quantized with msModelSlim (W4A16 / W8A8, --quantization ascend); weight-only GEMM is torch_npu.npu_weight_quant_batchmatmul', zh: '使用 msModelSlim 重新量化的权重（W4A16 / W8A8，--quantization ascend）；仅权重量化的矩阵乘为 torch_npu.npu_weight_quant_batchmatmul' },
    note: { en: 'GPTQ / AWQ / Marlin / GGUF kernels do not exist on Ascend.', zh: '昇腾上没有 GPTQ / AWQ / Marlin / GGUF 算子。' },
    source: 'VA@182b75e vllm_ascend/platform.py supported_quantization (lines 88–95)',
    href: vaUrl('vllm_ascend/platform.py'),
  },
  {
    names: ['init_custom_ar', 'all_reduce', 'register_buffer', 'dispose', 'meta_size'],
    replacement: { en: 'HCCL through vLLM NPUCommunicator (tensor_model_parallel_all_reduce)', zh: '通过 vLLM NPUCommunicator 使用 HCCL（tensor_model_parallel_all_reduce）' },
    source: 'VA@182b75e vllm_ascend/platform.py get_device_communicator_cls',
    href: vaUrl('vllm_ascend/platform.py'),
  },
]);

// ---------------------------------------------------------------------------------------------------
// CUDA-only libraries (flagged where they are imported and where they are called).
export const CudaLibraryRow = Sourced.extend({
  /** Module prefixes, e.g. "flash_attn" matches flash_attn and flash_attn.flash_attn_interface. */
  modules: z.array(z.string().min(1)).min(1),
  severity: z.enum(['error', 'warning', 'information']),
  replacement: Bilingual,
  note: Bilingual.optional(),
  /** Quiet in files that are already NPU-native (import torch_npu / vllm_ascend): e.g. triton-ascend. */
  quietWhenNpuNative: z.boolean().default(false),
});
export type CudaLibraryRow = z.infer<typeof CudaLibraryRow>;

export const CUDA_LIBRARIES: CudaLibraryRow[] = z.array(CudaLibraryRow).parse([
  { modules: ['flash_attn', 'vllm_flash_attn', 'vllm.vllm_flash_attn'], severity: 'error', replacement: { en: 'the vLLM Attention layer (Ascend attention backend: torch_npu.npu_fused_infer_attention_score)', zh: 'vLLM 的 Attention 层（昇腾注意力后端：torch_npu.npu_fused_infer_attention_score）' }, source: `${FACTS_F}: vllm_flash_attn / flash_attn_varlen_func → AscendAttentionBackend`, href: vaUrl('vllm_ascend/attention/attention_v1.py') },
  { modules: ['xformers'], severity: 'error', replacement: { en: 'the vLLM Attention layer (Ascend attention backend); for ViT attention torch_npu.npu_fusion_attention', zh: 'vLLM 的 Attention 层（昇腾注意力后端）；ViT 注意力用 torch_npu.npu_fusion_attention' }, source: `${FACTS_F}: xformers → Ascend attention backends`, href: vaUrl('vllm_ascend/attention/attention_v1.py') },
  { modules: ['flashinfer'], severity: 'error', replacement: { en: 'the vLLM Attention layer (Ascend attention backend)', zh: 'vLLM 的 Attention 层（昇腾注意力后端）' }, source: `${FACTS_F}: FlashInfer → Ascend attention backends`, href: vaUrl('vllm_ascend/attention/attention_v1.py') },
  { modules: ['bitsandbytes'], severity: 'error', replacement: { en: 'msModelSlim quantization (W8A8 / W4A16, --quantization ascend)', zh: 'msModelSlim 量化（W8A8 / W4A16，--quantization ascend）' }, source: 'VA@182b75e vllm_ascend/platform.py supported_quantization', href: vaUrl('vllm_ascend/platform.py') },
  { modules: ['vllm.distributed.device_communicators.custom_all_reduce', 'vllm.distributed.device_communicators.pynccl', 'vllm.distributed.device_communicators.pynccl_wrapper', 'cupy.cuda.nccl'], severity: 'error', replacement: { en: 'HCCL through vLLM NPUCommunicator / pyhccl', zh: '通过 vLLM NPUCommunicator / pyhccl 使用 HCCL' }, source: `${FACTS_F}: NCCL / custom all-reduce → HCCL`, href: vaUrl('vllm_ascend/platform.py') },
  { modules: ['deep_gemm', 'deep_ep', 'pplx_kernels'], severity: 'error', replacement: { en: 'the vLLM FusedMoE / SharedFusedMoE layer (torch_npu.npu_grouped_matmul, MC2 npu_moe_distribute_dispatch/combine)', zh: 'vLLM 的 FusedMoE / SharedFusedMoE 层（torch_npu.npu_grouped_matmul、MC2 npu_moe_distribute_dispatch/combine）' }, source: `${FACTS_F}: triton fused_moe / DeepEP / pplx → Ascend MoE`, href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py') },
  {
    modules: ['vllm.model_executor.layers.fused_moe.fused_moe'],
    severity: 'warning',
    replacement: { en: 'the vLLM FusedMoE / SharedFusedMoE layer (torch_npu.npu_moe_init_routing_v2 + npu_grouped_matmul)', zh: 'vLLM 的 FusedMoE / SharedFusedMoE 层（torch_npu.npu_moe_init_routing_v2 + npu_grouped_matmul）' },
    note: { en: "Importing the module works, but its Triton fused_moe / fused_experts kernels are CUDA-only.", zh: '该模块可以导入，但其中的 Triton fused_moe / fused_experts 内核仅支持 CUDA。' },
    quietWhenNpuNative: true,
    source: `${FACTS_F}: triton fused_moe / fused_experts → Ascend MoE`,
    href: vaUrl('vllm_ascend/ops/fused_moe/fused_moe.py'),
  },
  {
    modules: ['sgl_kernel'],
    severity: 'error',
    replacement: { en: 'the NPU path of the framework (sglang: sgl_kernel_npu / torch_npu ops; vLLM: the vLLM layer classes)', zh: '框架的 NPU 实现（sglang：sgl_kernel_npu / torch_npu 算子；vLLM：vLLM 层类）' },
    source: 'sglang sgl-kernel/README.md ("sglang-kernel … custom kernel operations", import path sgl_kernel; CUDA/ROCm builds)',
    href: 'https://github.com/sgl-project/sglang/tree/main/sgl-kernel',
  },
  { modules: ['apex', 'cupy', 'pycuda', 'numba.cuda', 'pynvml', 'nvidia'], severity: 'error', replacement: { en: 'torch / torch_npu equivalents (CANN provides the NPU kernels)', zh: 'torch / torch_npu 中的等价实现（NPU 算子由 CANN 提供）' }, source: `${FACTS_F}: CUDA-only libraries`, href: vaUrl('vllm_ascend/platform.py') },
  {
    modules: ['triton', 'vllm.triton_utils'],
    severity: 'warning',
    replacement: { en: 'triton-ascend (vllm-ascend ≥ v0.13) where the kernel is supported, or the vLLM layer / torch_npu op', zh: 'triton-ascend（vllm-ascend ≥ v0.13，限其支持的内核），或 vLLM 层 / torch_npu 算子' },
    note: { en: 'CUDA Triton kernels do not run on the NPU; triton-ascend covers only some kernels, and 310P has no Triton.', zh: 'CUDA Triton 内核不能在 NPU 上运行；triton-ascend 只覆盖部分内核，310P 不支持 Triton。' },
    quietWhenNpuNative: true,
    source: 'VA@182b75e vllm_ascend/ops/triton/ and patch/worker/patch_triton.py',
    href: vaUrl('vllm_ascend/ops/triton'),
  },
]);

/** The row of a module (prefix match), if it is a CUDA-only library. */
export function libraryOf(mod: string): CudaLibraryRow | undefined {
  return CUDA_LIBRARIES.find((l) => l.modules.some((m) => mod === m || mod.startsWith(m + '.')));
}

/** Modules written for the NPU: importing one (unconditionally, at module level) makes a file NPU-native. */
export const NPU_MODULES = z.array(z.object({ module: z.string().min(1), ...Sourced.shape })).parse([
  { module: 'torch_npu', source: 'torch_npu registers torch.npu (Ascend/pytorch torch_npu/__init__.py)', href: 'https://github.com/Ascend/pytorch/blob/master/torch_npu/__init__.py' },
  { module: 'vllm_ascend', source: 'VA@182b75e vllm_ascend/ (the vLLM platform plugin for Ascend)', href: vaUrl('vllm_ascend/platform.py') },
  { module: 'triton.language.extra.cann', source: 'VA@182b75e vllm_ascend/ops/triton/triton_utils.py (import triton.language.extra.cann.extension: triton-ascend)', href: vaUrl('vllm_ascend/ops/triton/triton_utils.py') },
  { module: 'triton_ascend', source: 'ascend-facts §c: Triton-Ascend is a separate package pinned per vllm-ascend release', href: vaUrl('docs/source/community/versioning_policy.md') },
  { module: 'sgl_kernel_npu', source: "sglang python/sglang/srt/hardware_backend/npu/ (sglang's NPU kernel package, e.g. moe/topk.py: from sgl_kernel_npu.norm.l1_norm import l1_norm)", href: 'https://github.com/sgl-project/sglang/tree/main/python/sglang/srt/hardware_backend/npu' },
]);

// ---------------------------------------------------------------------------------------------------
// vLLM platform predicates: a branch taken only when one of these is true does not run on the NPU.
export const PlatformTest = Sourced.extend({
  /** Method / function name, e.g. is_cuda (current_platform.is_cuda(), is_cuda()). */
  name: z.string().min(1),
  platform: z.enum(['npu', 'other']),
});
export type PlatformTest = z.infer<typeof PlatformTest>;
const SGLANG_PLATFORM_SRC = {
  source: 'sglang python/sglang/srt/utils/common.py is_hip / is_hpu / is_musa / is_mps (module flags spelled `_is_hip = is_hip()`)',
  href: 'https://github.com/sgl-project/sglang/blob/main/python/sglang/srt/utils/common.py',
};
const PLATFORM_SRC = { source: 'vLLM vllm/platforms/interface.py (Platform.is_cuda / is_rocm / is_tpu / is_xpu / is_cpu / is_cuda_alike; NPUPlatform is PlatformEnum.OOT)', href: vllmUrl('vllm/platforms/interface.py') };
export const PLATFORM_TESTS: PlatformTest[] = z.array(PlatformTest).parse([
  ...['is_cuda', 'is_cuda_alike', 'is_rocm', 'is_tpu', 'is_xpu', 'is_cpu', 'is_zen_cpu'].map((name) => ({ name, platform: 'other', ...PLATFORM_SRC })),
  ...['is_hip', 'is_hpu', 'is_musa', 'is_mps'].map((name) => ({ name, platform: 'other', ...SGLANG_PLATFORM_SRC })),
  { name: 'is_npu', platform: 'npu', source: 'VA@182b75e vllm_ascend/utils.py; sglang python/sglang/srt/utils/common.py is_npu()', href: vaUrl('vllm_ascend/utils.py') },
  // availability probes of CUDA-only libraries: false on an Ascend host (the library is not installed there)
  {
    name: 'is_flashinfer_available',
    platform: 'other',
    source: 'sglang python/sglang/srt/utils/common.py is_flashinfer_available(): find_spec("flashinfer") is not None and is_cuda()',
    href: 'https://github.com/sgl-project/sglang/blob/main/python/sglang/srt/utils/common.py',
  },
  { name: 'has_flashinfer', platform: 'other', source: 'vLLM vllm/utils/flashinfer.py has_flashinfer(): find_spec("flashinfer") and nvcc or cubins', href: vllmUrl('vllm/utils/flashinfer.py') },
  ...['has_deep_gemm', 'has_deep_ep'].map((name) => ({ name, platform: 'other' as const, source: `vLLM vllm/utils/import_utils.py ${name}(): the optional CUDA package is importable`, href: vllmUrl('vllm/utils/import_utils.py') })),
]);
/** Device type strings of other platforms (device_type == "cuda" …). */
export const OTHER_DEVICE_TYPES = ['cuda', 'xpu', 'rocm', 'hip', 'cpu', 'tpu', 'mps'];

// ---------------------------------------------------------------------------------------------------
// vLLM CustomOp classes vllm-ascend replaces with its own (CustomOp.register_oot): on the NPU their
// forward_oot is the Ascend class's, so forward_cuda / forward_hip … never run there.
const OVERRIDE_SRC = { source: 'VA@182b75e vllm_ascend/utils.py register_ascend_customop (REGISTERED_ASCEND_OPS, lines 703-743)', href: vaUrl('vllm_ascend/utils.py') };
export const NPU_CUSTOM_OP_OVERRIDES = z.array(z.object({ op: z.string().min(1), ascend: z.string().min(1), ...Sourced.shape })).parse(
  [
    ['QuickGELU', 'AscendQuickGELU'], ['SiluAndMul', 'AscendSiluAndMul'], ['SiluAndMulClamp', 'AscendSiluAndMulWithClamp'], ['RotaryEmbedding', 'AscendRotaryEmbedding'],
    ['MRotaryEmbedding', 'AscendMRotaryEmbedding'], ['ColumnParallelLinear', 'AscendColumnParallelLinear'], ['RowParallelLinear', 'AscendRowParallelLinear'],
    ['YaRNScalingRotaryEmbedding', 'AscendYaRNRotaryEmbedding'], ['MergedColumnParallelLinear', 'AscendMergedColumnParallelLinear'], ['QKVParallelLinear', 'AscendQKVParallelLinear'],
    ['ReplicatedLinear', 'AscendReplicatedLinear'], ['DeepseekScalingRotaryEmbedding', 'AscendDeepseekScalingRotaryEmbedding'], ['VocabParallelEmbedding', 'AscendVocabParallelEmbedding'],
    ['ParallelLMHead', 'AscendParallelLMHead'], ['LogitsProcessor', 'AscendLogitsProcessor'], ['RMSNorm', 'AscendRMSNorm'], ['GemmaRMSNorm', 'AscendGemmaRMSNorm'],
    ['MultiHeadLatentAttentionWrapper', 'AscendMultiHeadLatentAttention'], ['MMEncoderAttention', 'AscendMMEncoderAttention'], ['ApplyRotaryEmb', 'AscendApplyRotaryEmb'],
    ['RMSNormGated', 'AscendRMSNormGated'], ['Conv3dLayer', 'AscendConv3dLayer'], ['RelPosAttention', 'AscendRelPosAttention'], ['CustomQwen2Decoder', 'AscendCustomQwen2Decoder'],
    ['GatedDeltaNetAttention', 'AscendGatedDeltaNetAttention'], ['BailingMoELinearAttention', 'AscendBailingMoELinearAttention'], ['MoERunner', 'AscendMoERunner'],
    ['RoutedExperts', 'AscendRoutedExperts'], ['GateLinear', 'AscendGateLinear'],
  ].map(([op, ascend]) => ({ op, ascend, ...OVERRIDE_SRC })),
);

/** Forward methods that only another platform dispatches to (CustomOp.dispatch_forward, MultiPlatformOp.dispatch_forward). */
export const OTHER_PLATFORM_FORWARDS = ['forward_cuda', 'forward_hip', 'forward_xpu', 'forward_cpu', 'forward_tpu', 'forward_musa', 'forward_hpu'];

/** Base classes that pick a forward method per platform, and the one they pick on the NPU. */
export const PlatformDispatcher = Sourced.extend({
  base: z.string().min(1),
  npuMethod: z.string().regex(/^forward_\w+$/),
  /** A class decorator that registers a subclass (CustomOp.register("name")). */
  register: z.string().optional(),
});
export type PlatformDispatcher = z.infer<typeof PlatformDispatcher>;
export const PLATFORM_DISPATCHERS: PlatformDispatcher[] = z.array(PlatformDispatcher).parse([
  {
    base: 'CustomOp',
    npuMethod: 'forward_oot',
    register: 'CustomOp.register',
    source: 'vLLM vllm/model_executor/custom_op.py CustomOp.dispatch_forward (is_out_of_tree() → forward_oot, which defaults to forward_native)',
    href: vllmUrl('vllm/model_executor/custom_op.py'),
  },
  {
    base: 'MultiPlatformOp',
    npuMethod: 'forward_npu',
    source: 'sglang python/sglang/srt/layers/utils/multi_platform.py MultiPlatformOp.dispatch_forward (_is_npu → forward_npu, which defaults to forward_native)',
    href: 'https://github.com/sgl-project/sglang/blob/main/python/sglang/srt/layers/utils/multi_platform.py',
  },
]);

/** Where the external Oink (SM100) kernels come from. */
export const OINK_SRC = {
  source: 'vLLM vllm/_oink_ops.py (v0.19.0): thin wrappers over torch.ops.oink.*, registered by an external Blackwell (SM100+) CUDA plugin',
  href: vllmUrl('vllm/_oink_ops.py'),
};
/** A Triton kernel (@triton.jit) written for CUDA Triton. */
export const TRITON_SRC = {
  source: 'VA@182b75e vllm_ascend/ops/triton/ (triton-ascend kernels) and patch/worker/patch_triton.py (vLLM Triton kernels swapped for NPU ones)',
  href: vaUrl('vllm_ascend/patch/worker/patch_triton.py'),
};

/** Device strings: "cuda", "cuda:0" → "npu", "npu:0". */
export const DEVICE_STRING = {
  source: `${FACTS_F}: .cuda() / "cuda" devices → npu (NPUPlatform.device_type = "npu")`,
  href: vaUrl('vllm_ascend/platform.py'),
};
/** The distributed backend "nccl" → "hccl". */
export const NCCL_BACKEND = {
  source: `${FACTS_F}: NCCL → HCCL (platform.py dist_backend = "hccl")`,
  href: vaUrl('vllm_ascend/platform.py'),
};
/** float64 is not supported on the NPU. */
export const FLOAT64 = {
  source: `${FACTS_F}: float64 / torch.cuda.DoubleTensor not supported (vllm-ascend issue #564)`,
  href: 'https://github.com/vllm-project/vllm-ascend/issues/564',
};
/** vLLM custom ops dispatch: layer classes are portable (forward_oot), kernels are not. */
export const CUSTOM_OP_SRC = {
  source: 'vLLM vllm/model_executor/custom_op.py (forward_oot on OOT platforms); VA@182b75e vllm_ascend/utils.py register_ascend_customop',
  href: vllmUrl('vllm/model_executor/custom_op.py'),
};
