// Tiny real checkpoints for the quantization tests: safetensors files (8-byte header length, JSON header,
// zero-filled data) and the folders msModelSlim reads and writes. Our own small fixtures, nothing copied.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TensorSpec { dtype: string; shape: number[] }

const BYTES: Record<string, number> = { I8: 1, U8: 1, BF16: 2, F16: 2, F32: 4, I32: 4, I64: 8 };

export function writeSafetensors(file: string, tensors: Record<string, TensorSpec>): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1) * (BYTES[t.dtype] ?? 1);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), Buffer.alloc(off)]));
}

export interface TinyModel { layers: number; experts: number; hidden: number; inter: number; vocab: number }
export const TINY_MOE: TinyModel = { layers: 2, experts: 4, hidden: 16, inter: 8, vocab: 32 };

/** Float tensors of a tiny Qwen3-MoE-shaped model (experts > 0) or a dense one (experts = 0). */
export function floatTensors(m: TinyModel, dtype = 'BF16'): Record<string, TensorSpec> {
  const t: Record<string, TensorSpec> = { 'model.embed_tokens.weight': { dtype, shape: [m.vocab, m.hidden] } };
  for (let l = 0; l < m.layers; l++) {
    const p = `model.layers.${l}`;
    for (const x of ['q', 'k', 'v', 'o']) t[`${p}.self_attn.${x}_proj.weight`] = { dtype, shape: [m.hidden, m.hidden] };
    t[`${p}.input_layernorm.weight`] = { dtype, shape: [m.hidden] };
    t[`${p}.post_attention_layernorm.weight`] = { dtype, shape: [m.hidden] };
    if (m.experts) {
      t[`${p}.mlp.gate.weight`] = { dtype, shape: [m.experts, m.hidden] };
      for (let e = 0; e < m.experts; e++) {
        for (const x of ['gate', 'up']) t[`${p}.mlp.experts.${e}.${x}_proj.weight`] = { dtype, shape: [m.inter, m.hidden] };
        t[`${p}.mlp.experts.${e}.down_proj.weight`] = { dtype, shape: [m.hidden, m.inter] };
      }
    } else {
      for (const x of ['gate', 'up']) t[`${p}.mlp.${x}_proj.weight`] = { dtype, shape: [m.inter, m.hidden] };
      t[`${p}.mlp.down_proj.weight`] = { dtype, shape: [m.hidden, m.inter] };
    }
  }
  t['model.norm.weight'] = { dtype, shape: [m.hidden] };
  t['lm_head.weight'] = { dtype, shape: [m.vocab, m.hidden] };
  return t;
}

export function config(m: TinyModel, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: [m.experts ? 'Qwen3MoeForCausalLM' : 'Qwen3ForCausalLM'],
    model_type: m.experts ? 'qwen3_moe' : 'qwen3',
    hidden_size: m.hidden, intermediate_size: m.inter, num_hidden_layers: m.layers, num_attention_heads: 4, num_key_value_heads: 4,
    vocab_size: m.vocab, torch_dtype: 'bfloat16', max_position_embeddings: 4096,
    ...(m.experts ? { num_experts: m.experts, moe_intermediate_size: m.inter, num_experts_per_tok: 2 } : {}),
    ...extra,
  };
}

/** Writes tensors over `shards` files with an index; returns the index's weight_map. */
export function writeSharded(dir: string, prefix: string, tensors: Record<string, TensorSpec>, shards: number, indexName = `${prefix}.safetensors.index.json`): Record<string, string> {
  const names = Object.keys(tensors);
  const map: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `${prefix}-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const mine = names.filter((_, i) => i % shards === s);
    writeSafetensors(path.join(dir, file), Object.fromEntries(mine.map((n) => [n, tensors[n]])));
    for (const n of mine) map[n] = file;
  }
  fs.writeFileSync(path.join(dir, indexName), JSON.stringify({ metadata: { total_size: 0 }, weight_map: map }, null, 2));
  return map;
}

export function writeFloatModel(dir: string, m: TinyModel = TINY_MOE, extraConfig: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(m, extraConfig), null, 2));
  writeSharded(dir, 'model', floatTensors(m), 2, 'model.safetensors.index.json');
}

/**
 * What msModelSlim writes for w8a8 on this model (modelslim_v1 ascendv1 saver layout): attention W8A8
 * (quant_bias/input_scale/input_offset/deq_scale), experts W8A8_DYNAMIC (weight_scale/offset), the rest FLOAT.
 */
export function writeQuantizedModel(dir: string, m: TinyModel = TINY_MOE, opts: { descName?: string; shards?: number; mutate?: (desc: Record<string, unknown>, tensors: Record<string, TensorSpec>) => void } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorSpec> = {};
  const desc: Record<string, unknown> = {};
  for (const [n, t] of Object.entries(floatTensors(m))) {
    const q = /self_attn\.[qkvo]_proj\.weight$/.test(n) ? 'W8A8' : /\.experts\.\d+\..*\.weight$/.test(n) ? 'W8A8_DYNAMIC' : 'FLOAT';
    const p = n.slice(0, -'.weight'.length);
    if (q === 'FLOAT') {
      tensors[n] = t;
    } else {
      tensors[n] = { dtype: 'I8', shape: t.shape };
      const out = t.shape[0];
      const extra = q === 'W8A8'
        ? { quant_bias: { dtype: 'I32', shape: [out] }, input_scale: { dtype: 'F32', shape: [1] }, input_offset: { dtype: 'F32', shape: [1] }, deq_scale: { dtype: 'I64', shape: [out] } }
        : { weight_scale: { dtype: 'F32', shape: [out, 1] }, weight_offset: { dtype: 'F32', shape: [out, 1] } };
      for (const [s, spec] of Object.entries(extra)) {
        tensors[`${p}.${s}`] = spec;
        desc[`${p}.${s}`] = q;
      }
    }
    desc[n] = q;
  }
  opts.mutate?.(desc, tensors);
  Object.assign(desc, { version: '1.0.0', model_quant_type: 'W8A8', metadata: {}, group_size: 0, optional: {} });
  writeSharded(dir, 'quant_model_weights', tensors, opts.shards ?? 3);
  fs.writeFileSync(path.join(dir, opts.descName ?? 'quant_model_description.json'), JSON.stringify(desc, null, 4));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(m), null, 2));
}

/** A BF16 MoE folder and the GPTQ Int4 folder it was made into, side by side (as on a real host). */
export function writeModels(models: string): { float: string; gptq: string } {
  const float = path.join(models, 'Qwen3-30B-A3B');
  writeFloatModel(float, TINY_MOE);
  const gptq = path.join(models, 'Qwen3-30B-A3B-GPTQ-Int4');
  fs.mkdirSync(gptq, { recursive: true });
  fs.writeFileSync(path.join(gptq, 'config.json'), JSON.stringify(config(TINY_MOE, { quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: false } })));
  const t = floatTensors(TINY_MOE);
  const q: typeof t = {};
  for (const [n, spec] of Object.entries(t)) {
    if (/_proj\.weight$/.test(n)) {
      const p = n.slice(0, -'.weight'.length);
      q[`${p}.qweight`] = { dtype: 'I32', shape: [spec.shape[1] / 8, spec.shape[0]] };
      q[`${p}.qzeros`] = { dtype: 'I32', shape: [1, spec.shape[0] / 8] };
      q[`${p}.scales`] = { dtype: 'F16', shape: [1, spec.shape[0]] };
    } else q[n] = spec;
  }
  writeSharded(gptq, 'model', q, 1, 'model.safetensors.index.json');
  return { float, gptq };
}

/** msModelSlim simulator settings in the host's sim.json (its own key; the other simulators ignore it). */
export function setSimMsModelSlim(sim: string, s: Record<string, unknown>): void {
  const file = path.join(sim, 'sim.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  raw.msmodelslim = s;
  fs.writeFileSync(file, JSON.stringify(raw, null, 2));
}

