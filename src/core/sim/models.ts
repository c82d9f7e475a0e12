import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Small model folders on a simulated host, laid out like Hugging Face checkpoints so model-folder code
 * (pre-launch checks, quantization planning, the linter's header reads) runs on them unchanged:
 * config.json, a safetensors index and two real `.safetensors` shards (8-byte little-endian header length,
 * JSON header with dtype/shape/data_offsets, then the bytes). The model is a Qwen3-MoE shape scaled down to
 * a few hundred KB; its numbers are made up and every folder says SIMULATED.
 *
 *   DIR/models/qwen3-moe-tiny-bf16       BF16 MoE checkpoint
 *   DIR/models/qwen3-moe-tiny-gptq-int4  the same model GPTQ-quantized (4 bit, group size 32), FP16 rest
 */
export const SIM_MODELS = { bf16: 'qwen3-moe-tiny-bf16', gptq: 'qwen3-moe-tiny-gptq-int4' } as const;

const MARK = 'SIMULATED by ascend-adapt sim create: a tiny made-up model, not real weights';

/** config.json fields of Qwen3-MoE checkpoints (Qwen3MoeForCausalLM), at a size that fits in a test. */
const DIMS = { hidden: 64, heads: 8, kvHeads: 4, headDim: 8, experts: 4, moeInter: 32, inter: 128, layers: 2, vocab: 256 };

function baseConfig(dtype: 'bfloat16' | 'float16'): Record<string, unknown> {
  return {
    _comment: MARK,
    architectures: ['Qwen3MoeForCausalLM'],
    model_type: 'qwen3_moe',
    attention_bias: false,
    decoder_sparse_step: 1,
    head_dim: DIMS.headDim,
    hidden_act: 'silu',
    hidden_size: DIMS.hidden,
    intermediate_size: DIMS.inter,
    max_position_embeddings: 32768,
    mlp_only_layers: [],
    moe_intermediate_size: DIMS.moeInter,
    norm_topk_prob: true,
    num_attention_heads: DIMS.heads,
    num_experts: DIMS.experts,
    num_experts_per_tok: 2,
    num_hidden_layers: DIMS.layers,
    num_key_value_heads: DIMS.kvHeads,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    tie_word_embeddings: false,
    torch_dtype: dtype,
    vocab_size: DIMS.vocab,
  };
}

const GPTQ = { bits: 4, group_size: 32, desc_act: false, sym: true, true_sequential: true, damp_percent: 0.01, static_groups: false, checkpoint_format: 'gptq', quant_method: 'gptq' };

type Dtype = 'BF16' | 'F16' | 'I32';
interface Tensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: Buffer;
}

/** Deterministic small values (no randomness: two runs make identical files). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) * 0.05);
}

function bf16(xs: number[]): Buffer {
  const f = new Float32Array(xs);
  const u = new Uint32Array(f.buffer);
  const out = Buffer.alloc(xs.length * 2);
  u.forEach((bits, i) => out.writeUInt16LE(bits >>> 16, i * 2));
  return out;
}

/** IEEE half precision, rounded toward zero (enough for made-up values). */
function f16(xs: number[]): Buffer {
  const out = Buffer.alloc(xs.length * 2);
  xs.forEach((x, i) => {
    const sign = x < 0 ? 0x8000 : 0;
    const a = Math.abs(x);
    let h: number;
    if (a === 0) h = 0;
    else if (a < 6.103515625e-5) h = Math.floor(a / 5.960464477539063e-8);
    else {
      const e = Math.floor(Math.log2(a));
      h = ((e + 15) << 10) | Math.floor((a / 2 ** e - 1) * 1024);
    }
    out.writeUInt16LE(sign | h, i * 2);
  });
  return out;
}

function i32(xs: number[]): Buffer {
  const out = Buffer.alloc(xs.length * 4);
  xs.forEach((x, i) => out.writeInt32LE(x | 0, i * 4));
  return out;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function floatTensor(name: string, shape: number[], dtype: 'BF16' | 'F16', seed: number): Tensor {
  const xs = name.endsWith('norm.weight') ? new Array<number>(count(shape)).fill(1) : values(count(shape), seed);
  return { name, dtype, shape, data: dtype === 'BF16' ? bf16(xs) : f16(xs) };
}

/** GPTQ's four tensors for one linear layer of [out, in]: qweight, qzeros, scales, g_idx. */
function gptqTensors(prefix: string, out: number, inp: number, seed: number): Tensor[] {
  const g = GPTQ.group_size;
  const packed = Array.from({ length: (inp / 8) * out }, (_, i) => ((i * 2654435761 + seed) >>> 0) | 0);
  return [
    { name: `${prefix}.qweight`, dtype: 'I32', shape: [inp / 8, out], data: i32(packed) },
    // Symmetric 4-bit: every zero point is 8, stored minus one (7) as GPTQ's checkpoint format does.
    { name: `${prefix}.qzeros`, dtype: 'I32', shape: [inp / g, out / 8], data: i32(new Array<number>((inp / g) * (out / 8)).fill(0x77777777)) },
    { name: `${prefix}.scales`, dtype: 'F16', shape: [inp / g, out], data: f16(values((inp / g) * out, seed).map((v) => 0.002 + Math.abs(v) / 10)) },
    { name: `${prefix}.g_idx`, dtype: 'I32', shape: [inp], data: i32(Array.from({ length: inp }, (_, i) => Math.floor(i / g))) },
  ];
}

/** The linear layers of one decoder layer: [name, out, in]. */
function linears(l: number): Array<[string, number, number]> {
  const p = `model.layers.${l}`;
  const d = DIMS;
  const out: Array<[string, number, number]> = [
    [`${p}.self_attn.q_proj`, d.heads * d.headDim, d.hidden],
    [`${p}.self_attn.k_proj`, d.kvHeads * d.headDim, d.hidden],
    [`${p}.self_attn.v_proj`, d.kvHeads * d.headDim, d.hidden],
    [`${p}.self_attn.o_proj`, d.hidden, d.heads * d.headDim],
  ];
  for (let e = 0; e < d.experts; e++) {
    out.push([`${p}.mlp.experts.${e}.gate_proj`, d.moeInter, d.hidden], [`${p}.mlp.experts.${e}.up_proj`, d.moeInter, d.hidden], [`${p}.mlp.experts.${e}.down_proj`, d.hidden, d.moeInter]);
  }
  return out;
}

function modelTensors(quantized: boolean): Tensor[] {
  const d = DIMS;
  const fl = quantized ? 'F16' : 'BF16';
  const t: Tensor[] = [floatTensor('model.embed_tokens.weight', [d.vocab, d.hidden], fl, 1)];
  let seed = 2;
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}`;
    t.push(floatTensor(`${p}.input_layernorm.weight`, [d.hidden], fl, seed), floatTensor(`${p}.post_attention_layernorm.weight`, [d.hidden], fl, seed));
    t.push(floatTensor(`${p}.self_attn.q_norm.weight`, [d.headDim], fl, seed), floatTensor(`${p}.self_attn.k_norm.weight`, [d.headDim], fl, seed));
    // The router stays in floating point in GPTQ checkpoints (it is not a quantized linear layer).
    t.push(floatTensor(`${p}.mlp.gate.weight`, [d.experts, d.hidden], fl, seed));
    for (const [name, o, i] of linears(l)) t.push(...(quantized ? gptqTensors(name, o, i, seed++) : [floatTensor(`${name}.weight`, [o, i], fl, seed++)]));
  }
  t.push(floatTensor('model.norm.weight', [d.hidden], fl, seed), floatTensor('lm_head.weight', [d.vocab, d.hidden], fl, seed + 1));
  return t;
}

/** One .safetensors file: u64 header length (LE), the JSON header padded with spaces to 8 bytes, the data. */
export function safetensorsBytes(tensors: readonly Tensor[], metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), ...tensors.map((t) => t.data)]);
}

function writeModel(dir: string, quantized: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = modelTensors(quantized);
  const half = Math.ceil(tensors.length / 2);
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((list, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    fs.writeFileSync(path.join(dir, file), safetensorsBytes(list));
    for (const t of list) weightMap[t.name] = file;
  });
  const totalSize = tensors.reduce((s, t) => s + t.data.length, 0);
  const json = (name: string, v: unknown) => fs.writeFileSync(path.join(dir, name), JSON.stringify(v, null, 2) + '\n');
  json('model.safetensors.index.json', { metadata: { total_size: totalSize }, weight_map: weightMap });
  json('config.json', quantized ? { ...baseConfig('float16'), quantization_config: GPTQ } : baseConfig('bfloat16'));
  // AutoGPTQ writes its settings beside the weights too.
  if (quantized) json('quantize_config.json', { ...GPTQ, model_name_or_path: null, model_file_base_name: 'model' });
  fs.writeFileSync(path.join(dir, 'README-SIMULATED.txt'), `${MARK}.\n${quantized ? 'GPTQ 4-bit (group size 32) version of ../' + SIM_MODELS.bf16 : 'BF16 Qwen3-MoE shape'}: ${DIMS.layers} layers, ${DIMS.experts} experts, hidden size ${DIMS.hidden}.\n`);
}

/** Lays out DIR/models/<name> for both simulated checkpoints; returns the models folder. */
export function writeSimModels(root: string): string {
  const models = path.join(root, 'models');
  writeModel(path.join(models, SIM_MODELS.bf16), false);
  writeModel(path.join(models, SIM_MODELS.gptq), true);
  return models;
}
