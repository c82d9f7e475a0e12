import { z } from 'zod';
import type { Transport } from '../transport/transport';
import { CUDA_ONLY_QUANT_METHODS, lookupArchitecture, type ArchitectureInfo } from './architectures';

/**
 * The model folder on the host, read in one round trip (a stdlib Python snippet run with `python3 -c`,
 * argv only): config.json, the weight files and their sizes, the safetensors index's total size, and an
 * msModelSlim quant_model_description.json when present. Parsed with zod; analysed by pure functions.
 */

const INSPECT = [
  'import sys,os,json',
  'p=sys.argv[1]',
  'r={"path":p,"exists":os.path.exists(p),"isDir":os.path.isdir(p),"config":None,"configError":None,',
  '   "files":[],"indexTotalSize":None,"quantDescription":None,"quantDescriptionError":None}',
  'def rd(n):',
  ' with open(os.path.join(p,n),"rb") as f: return json.loads(f.read().decode("utf-8"))',
  'if r["isDir"]:',
  ' try:',
  '  for e in sorted(os.listdir(p))[:5000]:',
  '   q=os.path.join(p,e)',
  '   if os.path.isfile(q): r["files"].append({"name":e,"size":os.path.getsize(q)})',
  ' except OSError as e: r["configError"]=str(e)',
  ' names=set(f["name"] for f in r["files"])',
  ' if "config.json" in names:',
  '  try: r["config"]=rd("config.json")',
  '  except Exception as e: r["configError"]="config.json: %s"%e',
  ' for n in ("model.safetensors.index.json","pytorch_model.bin.index.json"):',
  '  if n in names:',
  '   try:',
  '    t=rd(n).get("metadata",{}).get("total_size")',
  '    if isinstance(t,(int,float)): r["indexTotalSize"]=int(t); break',
  '   except Exception: pass',
  ' if "quant_model_description.json" in names:',
  '  try:',
  '   d=rd("quant_model_description.json")',
  '   r["quantDescription"]={"modelQuantType":d.get("model_quant_type"),"version":d.get("version"),"entries":len(d)}',
  '  except Exception as e: r["quantDescriptionError"]=str(e)',
  'sys.stdout.write(json.dumps(r))',
].join('\n');

export const modelInspectionSchema = z.object({
  path: z.string(),
  exists: z.boolean(),
  isDir: z.boolean(),
  config: z.record(z.string(), z.unknown()).nullable(),
  configError: z.string().nullable(),
  files: z.array(z.object({ name: z.string(), size: z.number().nonnegative() })),
  indexTotalSize: z.number().nullable(),
  quantDescription: z
    .object({ modelQuantType: z.unknown(), version: z.unknown(), entries: z.number() })
    .nullable(),
  quantDescriptionError: z.string().nullable(),
});
export type ModelInspection = z.infer<typeof modelInspectionSchema>;

export class ModelInspectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelInspectionError';
  }
}

/** Read the model folder on the host. Throws ModelInspectionError (with the reason) when it cannot. */
export async function inspectModel(transport: Transport, modelPath: string, opts: { python?: string; env?: Record<string, string> } = {}): Promise<ModelInspection> {
  const r = await transport.exec([opts.python ?? 'python3', '-c', INSPECT, modelPath], { timeoutMs: 60_000, env: opts.env });
  if (r.code !== 0) {
    throw new ModelInspectionError(`python3 on ${transport.label}: ${r.stderr.toString().trim() || (r.timedOut ? 'timed out' : `exit ${r.code}`)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout.toString('utf8'));
  } catch (e) {
    throw new ModelInspectionError(`model inspection output is not JSON: ${(e as Error).message}`);
  }
  const p = modelInspectionSchema.safeParse(raw);
  if (!p.success) throw new ModelInspectionError(`model inspection output: ${p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return p.data;
}

const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|gguf)$/;

export interface ModelFacts {
  path: string;
  architecture: string | null;
  architectureInfo: ArchitectureInfo | null;
  modelType: string | null;
  moe: boolean;
  numExperts: number | null;
  numAttentionHeads: number | null;
  numKeyValueHeads: number | null;
  headDim: number | null;
  hiddenSize: number | null;
  numLayers: number | null;
  maxPositionEmbeddings: number | null;
  rope: { theta: number | null; scalingType: string | null; neoxStyle: boolean | null };
  dtype: string | null;
  /** quantization_config.quant_method (lower case), or 'ascend' for an msModelSlim description. */
  quantMethod: string | null;
  /** msModelSlim model_quant_type (W8A8, W4A16 …) when quant_model_description.json is present. */
  modelSlimType: string | null;
  /** True when the checkpoint's quantization needs CUDA kernels (GPTQ, AWQ …). */
  cudaOnlyQuant: boolean;
  weightBytes: number | null;
  weightSource: 'index' | 'files' | null;
  weightFiles: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : Array.isArray(v) && v.length && v.every((x) => typeof x === 'number') ? Math.max(...(v as number[])) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);

/** config.json + files → the facts serving and the report need. Pure. */
export function analyzeModel(insp: ModelInspection): ModelFacts {
  const c = (insp.config ?? {}) as Record<string, unknown>;
  // Multimodal configs keep the language model's numbers under text_config.
  const t = (c.text_config && typeof c.text_config === 'object' ? { ...c, ...(c.text_config as Record<string, unknown>) } : c) as Record<string, unknown>;
  const archs = Array.isArray(c.architectures) ? c.architectures.filter((a): a is string => typeof a === 'string') : [];
  const architecture = archs[0] ?? null;
  const experts = num(t.num_experts) ?? num(t.n_routed_experts) ?? num(t.num_local_experts) ?? null;
  const heads = num(t.num_attention_heads);
  const rs = (t.rope_scaling && typeof t.rope_scaling === 'object' ? t.rope_scaling : t.rope_parameters && typeof t.rope_parameters === 'object' ? t.rope_parameters : null) as Record<string, unknown> | null;
  const qc = (c.quantization_config && typeof c.quantization_config === 'object' ? c.quantization_config : null) as Record<string, unknown> | null;
  let quantMethod = qc ? (str(qc.quant_method)?.toLowerCase() ?? null) : null;
  const modelSlimType = insp.quantDescription ? str(insp.quantDescription.modelQuantType) : null;
  if (!quantMethod && insp.quantDescription) quantMethod = 'ascend';
  const weights = insp.files.filter((f) => WEIGHT_FILE.test(f.name));
  const fileBytes = weights.reduce((s, f) => s + f.size, 0);
  let weightBytes: number | null = null;
  let weightSource: ModelFacts['weightSource'] = null;
  if (insp.indexTotalSize && insp.indexTotalSize > 0) {
    weightBytes = insp.indexTotalSize;
    weightSource = 'index';
  } else if (fileBytes > 0) {
    weightBytes = fileBytes;
    weightSource = 'files';
  }
  const modelType = str(c.model_type);
  return {
    path: insp.path,
    architecture,
    architectureInfo: lookupArchitecture(architecture) ?? null,
    modelType,
    moe: (experts ?? 0) > 1 || (lookupArchitecture(architecture)?.moe ?? false),
    numExperts: experts,
    numAttentionHeads: heads,
    numKeyValueHeads: num(t.num_key_value_heads) ?? (heads !== null ? heads : null),
    headDim: num(t.head_dim) ?? (heads && num(t.hidden_size) ? Math.floor(num(t.hidden_size)! / heads) : null),
    hiddenSize: num(t.hidden_size),
    numLayers: num(t.num_hidden_layers),
    maxPositionEmbeddings: num(t.max_position_embeddings),
    rope: {
      theta: num(t.rope_theta) ?? (rs ? num(rs.rope_theta) : null),
      scalingType: rs ? (str(rs.rope_type) ?? str(rs.type)) : null,
      // vLLM's get_rope defaults to NeoX style; GPT-J style models say so in config (rotary "interleaved").
      neoxStyle: t.rope_interleaved === true || t.rotary_interleaved === true ? false : heads !== null ? true : null,
    },
    dtype: str(t.torch_dtype) ?? str(t.dtype),
    quantMethod,
    modelSlimType,
    cudaOnlyQuant: quantMethod !== null && CUDA_ONLY_QUANT_METHODS.includes(quantMethod),
    weightBytes,
    weightSource,
    weightFiles: weights.length,
  };
}
