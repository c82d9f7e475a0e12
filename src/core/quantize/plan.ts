import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { lookupArchitecture } from '../serving/architectures';
import { isRegistered, MODEL_ADAPTERS, type Scheme } from './facts';

/**
 * What can be done with a model folder before any tool runs: load it directly, quantize it, or — for a
 * GPTQ/AWQ checkpoint — find the floating-point original msModelSlim must start from (it quantizes float
 * weights, never int4 ones). Pure: the folder facts come from the host probe (python/quantize/probe.py).
 */

export const FolderFactsSchema = z.object({
  path: z.string(),
  exists: z.boolean(),
  isDir: z.boolean(),
  config: z.record(z.string(), z.unknown()).nullable(),
  configError: z.string().nullable(),
  files: z.array(z.object({ name: z.string(), size: z.number().nonnegative() })),
  /** The safetensors index found in the folder, with its tensor count and metadata.total_size. */
  index: z.object({ file: z.string(), tensors: z.number().int().nonnegative(), totalSize: z.number().nullable() }).nullable(),
  /** quant_model_description*.json files in the folder, and the model_quant_type of the first readable one. */
  descriptions: z.array(z.string()),
  modelQuantType: z.string().nullable(),
  /** Bytes of the largest decoder layer (model.layers.N.*), from the safetensors headers; null when unknown. */
  largestLayerBytes: z.number().nonnegative().nullable(),
});
export type FolderFacts = z.infer<typeof FolderFactsSchema>;

export const SiblingSchema = z.object({ path: z.string(), config: z.record(z.string(), z.unknown()).nullable(), quantized: z.boolean() });
export type Sibling = z.infer<typeof SiblingSchema>;

export type PlanKind = 'float' | 'gptq' | 'awq' | 'modelslim' | 'compressed-tensors' | 'fp8' | 'other-quant' | 'not-a-model';

export interface FloatCandidate {
  path: string;
  /** Same architecture and sizes as the quantized checkpoint. */
  matches: boolean;
  /** config.json keys that differ (empty when it matches). */
  differences: string[];
}

export interface CompressedTensorsScheme {
  group: string;
  targets: string[];
  /** The vLLM-Ascend quant type this group is detected as; null when none matches (NotImplementedError). */
  quantType: string | null;
  /** Layer types of this model it applies to, with whether vLLM-Ascend registers the pair. */
  layers: Array<{ layer: Scheme['layer']; registered: boolean }>;
}

export interface QuantizePlan {
  kind: PlanKind;
  model: string;
  /** quantize: float weights msModelSlim can start from; needs-float: ask for / use the float original;
   *  check: msModelSlim output, check it; serve: loads on vLLM-Ascend as is; refuse: nothing to do with it. */
  action: 'quantize' | 'needs-float' | 'check' | 'serve' | 'refuse';
  quantMethod: string | null;
  architecture: string | null;
  moe: boolean;
  dtype: string | null;
  /** Weight bytes (index total_size, else the weight files). */
  modelBytes: number | null;
  largestLayerBytes: number | null;
  layers: number | null;
  /** The float original: the one given, else the sibling found; null when none. */
  floatModel: string | null;
  floatSource: 'given' | 'sibling' | null;
  candidates: FloatCandidate[];
  modelType: ModelTypeChoice;
  schemes: CompressedTensorsScheme[];
  /** Localized sentences for the user, most important first. */
  notes: string[];
}

export interface ModelTypeChoice {
  /** config.json model_type. */
  hf: string | null;
  /** msModelSlim adapter (config.ini key) for it. */
  adapter: string | null;
  /** The --model_type to pass (given, or the only / the name-matched candidate); null = must be asked. */
  name: string | null;
  candidates: string[];
  source: 'given' | 'derived' | null;
}

const SIZE_KEYS = ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'moe_intermediate_size', 'num_experts', 'n_routed_experts', 'num_local_experts', 'vocab_size', 'head_dim'];

const GPTQ_LIKE = new Set(['gptq', 'gptq_marlin', 'gptq_marlin_24', 'gptq_bitblas', 'marlin']);
const AWQ_LIKE = new Set(['awq', 'awq_marlin']);
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth)$/;

function textConfig(c: Record<string, unknown>): Record<string, unknown> {
  return c.text_config && typeof c.text_config === 'object' ? { ...c, ...(c.text_config as Record<string, unknown>) } : c;
}

function quantConfig(c: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!c) return null;
  const t = textConfig(c);
  const q = t.quantization_config ?? c.quantization_config;
  return q && typeof q === 'object' ? (q as Record<string, unknown>) : null;
}

/** quantization_config.quant_method, lower case ('' when the config has one without a method). */
export function quantMethodOf(config: Record<string, unknown> | null): string | null {
  const q = quantConfig(config);
  if (!q) return null;
  return typeof q.quant_method === 'string' ? q.quant_method.toLowerCase() : '';
}

function isMoe(c: Record<string, unknown>): boolean {
  const t = textConfig(c);
  const experts = [t.num_experts, t.n_routed_experts, t.num_local_experts].find((v) => typeof v === 'number') as number | undefined;
  const arch = Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : null;
  return (experts ?? 0) > 1 || (lookupArchitecture(arch)?.moe ?? false);
}

/** config.json keys that must agree for a float checkpoint to be the original of a quantized one. */
export function compareConfigs(quantized: Record<string, unknown>, candidate: Record<string, unknown>): string[] {
  const a = textConfig(quantized);
  const b = textConfig(candidate);
  const diffs: string[] = [];
  const archA = Array.isArray(quantized.architectures) ? quantized.architectures[0] : undefined;
  const archB = Array.isArray(candidate.architectures) ? candidate.architectures[0] : undefined;
  if (archA !== archB) diffs.push('architectures');
  for (const k of SIZE_KEYS) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) diffs.push(k);
  return diffs;
}

/** Folder-name tokens that pick one --model_type among an adapter's names ("Qwen3-30B-A3B-GPTQ" → Qwen3-30B). */
function nameScore(folder: string, name: string): number {
  const f = folder.toLowerCase();
  const n = name.toLowerCase();
  if (f.includes(n)) return 100 + n.length;
  const tokens = n.split(/[-_]/).filter((t) => /\d/.test(t));
  return tokens.length && tokens.every((t) => new RegExp(`(^|[^a-z0-9.])${t.replace(/\./g, '\\.')}($|[^a-z0-9.])`).test(f)) ? tokens.join('').length : 0;
}

export function chooseModelType(config: Record<string, unknown> | null, folders: string[], given?: string): ModelTypeChoice {
  const hf = config && typeof config.model_type === 'string' ? config.model_type : null;
  const adapters = hf ? MODEL_ADAPTERS.filter((a) => a.hfModelTypes.includes(hf)) : [];
  const candidates = adapters.flatMap((a) => a.names);
  if (given) return { hf, adapter: MODEL_ADAPTERS.find((a) => a.names.includes(given))?.adapter ?? null, name: given, candidates, source: 'given' };
  const base = folders.map((p) => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '');
  const scored = candidates.map((n) => ({ n, s: Math.max(0, ...base.map((b) => nameScore(b, n))) })).filter((x) => x.s > 0).sort((x, y) => y.s - x.s);
  const pick = scored.length && (scored.length === 1 || scored[0].s > scored[1].s) ? scored[0].n : candidates.length === 1 ? candidates[0] : null;
  return { hf, adapter: pick ? (MODEL_ADAPTERS.find((a) => a.names.includes(pick))?.adapter ?? null) : adapters.length === 1 ? adapters[0].adapter : null, name: pick, candidates, source: pick ? 'derived' : null };
}

function schemesOf(q: Record<string, unknown>, moe: boolean): CompressedTensorsScheme[] {
  const groups = q.config_groups && typeof q.config_groups === 'object' ? (q.config_groups as Record<string, unknown>) : {};
  const format = typeof q.format === 'string' ? q.format : null;
  return Object.entries(groups).map(([group, raw]) => {
    const g = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const quantType = detectCtType(g.weights, g.input_activations, typeof g.format === 'string' ? g.format : format);
    const kinds: Scheme['layer'][] = moe ? ['linear', 'moe'] : ['linear'];
    return {
      group,
      targets: Array.isArray(g.targets) ? g.targets.filter((t): t is string => typeof t === 'string') : [],
      quantType,
      layers: kinds.map((layer) => ({ layer, registered: quantType !== null && isRegistered(quantType, layer, 'A2A3') })),
    };
  });
}

/**
 * vLLM-Ascend's compressed_tensors_config._detect_quant_type, as data: static per-tensor W8A8, dynamic
 * per-token W8A8 (int or fp8), dynamic per-token W4A8, weight-only int4 group W4A16; otherwise none.
 */
export function detectCtType(weights: unknown, acts: unknown, format: string | null): string | null {
  const w = (weights && typeof weights === 'object' ? weights : null) as Record<string, unknown> | null;
  const a = (acts && typeof acts === 'object' ? acts : null) as Record<string, unknown> | null;
  if (!w) return null;
  const actFormat = format === null || !/pack-quantized|marlin-24|nvfp4/.test(format);
  if (actFormat && a) {
    const sym = w.symmetric !== false && a.symmetric !== false;
    if (w.num_bits === 8 && a.num_bits === 8 && w.strategy === 'channel' && a.strategy === 'tensor' && !w.dynamic && !a.dynamic && sym) return 'W8A8';
    if (w.num_bits === 8 && a.num_bits === 8 && w.strategy === 'channel' && a.strategy === 'token' && !w.dynamic && a.dynamic === true && sym) {
      return w.type === 'float' && a.type === 'float' ? 'W8A8FP8_DYNAMIC' : 'W8A8_DYNAMIC';
    }
    if (w.num_bits === 4 && a.num_bits === 8 && (w.strategy === 'channel' || w.strategy === 'group') && a.strategy === 'token' && !w.dynamic && a.dynamic === true && sym) return 'W4A8_DYNAMIC';
  }
  if (!a && w.type !== 'float' && w.num_bits === 4 && w.strategy === 'group' && !w.dynamic) return 'W4A16';
  return null;
}

export interface PlanInput {
  model: FolderFacts;
  /** Folders beside the model (for a GPTQ/AWQ model: where its float original may be). */
  siblings?: Sibling[];
  /** The float checkpoint the user named (its facts), when one was given separately. */
  float?: FolderFacts;
  modelType?: string;
}

export function planQuantization(input: PlanInput): QuantizePlan {
  const m = input.model;
  const cfg = m.config;
  const method = quantMethodOf(cfg);
  const weightBytes = (m.index?.totalSize || null) ?? (m.files.filter((f) => WEIGHT_FILE.test(f.name)).reduce((s, f) => s + f.size, 0) || null);
  const t = cfg ? textConfig(cfg) : {};
  const base: QuantizePlan = {
    kind: 'float', model: m.path, action: 'quantize', quantMethod: method,
    architecture: cfg && Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? cfg.architectures[0] : null,
    moe: cfg ? isMoe(cfg) : false,
    dtype: typeof t.torch_dtype === 'string' ? t.torch_dtype : typeof t.dtype === 'string' ? t.dtype : null,
    modelBytes: weightBytes, largestLayerBytes: m.largestLayerBytes,
    layers: typeof t.num_hidden_layers === 'number' ? t.num_hidden_layers : null,
    floatModel: null, floatSource: null, candidates: [],
    modelType: chooseModelType(cfg, [m.path], input.modelType), schemes: [], notes: [],
  };
  if (!m.exists || !m.isDir || !cfg) {
    const why = !m.exists ? l10n.t('{0} does not exist on the host', m.path) : !m.isDir ? l10n.t('{0} is not a folder', m.path) : m.configError ?? l10n.t('{0} has no config.json', m.path);
    return { ...base, kind: 'not-a-model', action: 'refuse', notes: [why] };
  }
  if (m.descriptions.length) {
    const mqt = m.modelQuantType ?? '?';
    return { ...base, kind: 'modelslim', action: 'check', notes: [l10n.t('{0} is msModelSlim output ({1}, {2}): check it and serve it with --quantization ascend.', m.path, mqt, m.descriptions.join(', '))] };
  }
  if (method !== null && (GPTQ_LIKE.has(method) || AWQ_LIKE.has(method))) return planFromInt4(base, input, method);
  if (method === 'compressed-tensors') {
    const schemes = schemesOf(quantConfig(cfg)!, base.moe);
    const bad = schemes.filter((s) => s.quantType === null || s.layers.some((l) => !l.registered));
    const notes = schemes.map((s) =>
      s.quantType === null
        ? l10n.t('Group {0} ({1}): no vLLM-Ascend scheme matches its weights/activations.', s.group, s.targets.join(', '))
        : l10n.t('Group {0} ({1}): {2} — {3}.', s.group, s.targets.join(', '), s.quantType, s.layers.map((l) => `${l.layer} ${l.registered ? l10n.t('registered') : l10n.t('not registered')}`).join(', ')),
    );
    return { ...base, kind: 'compressed-tensors', action: bad.length ? 'refuse' : 'serve', schemes, notes: [bad.length ? l10n.t('This compressed-tensors checkpoint has layers vLLM-Ascend cannot load (see the groups below); quantize the float original with msModelSlim instead.') : l10n.t('compressed-tensors (LLM-Compressor) loads on vLLM-Ascend directly: serve it without conversion.'), ...notes] };
  }
  if (method === 'fp8') {
    return { ...base, kind: 'fp8', action: 'needs-float', notes: [l10n.t('FP8 checkpoints compute only on Ascend 950 (A5); on Atlas A2/A3 quantize the BF16 original with msModelSlim (e.g. w8a8).')] };
  }
  if (method !== null) {
    return { ...base, kind: 'other-quant', action: 'needs-float', notes: [l10n.t('{0} quantization does not load on Ascend and msModelSlim quantizes float weights: use the BF16/FP16 original.', method || 'quantization_config')] };
  }
  const notes = [l10n.t('{0} is a floating-point checkpoint ({1}): it loads on vLLM-Ascend directly, or can be quantized with msModelSlim.', m.path, base.dtype ?? l10n.t('dtype not stated'))];
  if (!base.modelType.name) {
    notes.push(base.modelType.candidates.length
      ? l10n.t('Pass --model-type: one of {0}.', base.modelType.candidates.join(', '))
      : l10n.t('msModelSlim has no dedicated adapter for model_type "{0}": it falls back to its default adapter and asks before using a default practice.', base.modelType.hf ?? '?'));
  }
  if (base.moe) notes.push(l10n.t('MoE model: w8a8 is the usual choice (vLLM-Ascend registers W8A8 for linear layers and W8A8_DYNAMIC for linear and MoE layers); its 4-bit schemes W4A8_DYNAMIC and W4A16 exist for MoE experts only.'));
  else notes.push(l10n.t('Dense model: use w8a8 or w8a16; vLLM-Ascend registers W4A16 and W4A8_DYNAMIC only for MoE layers.'));
  return { ...base, notes };
}

function planFromInt4(base: QuantizePlan, input: PlanInput, method: string): QuantizePlan {
  const cfg = input.model.config!;
  const kind: PlanKind = AWQ_LIKE.has(method) ? 'awq' : 'gptq';
  const q = quantConfig(cfg) ?? {};
  const bits = typeof q.bits === 'number' ? q.bits : typeof q.w_bit === 'number' ? q.w_bit : null;
  const label = `${kind.toUpperCase()}${bits ? ` Int${bits}` : ''}`;
  const notes = [l10n.t('{0} is a {1} checkpoint: vLLM-Ascend has no {2} loader and msModelSlim quantizes from floating-point weights, not from int4 ones.', input.model.path, label, kind.toUpperCase())];
  const candidates: FloatCandidate[] = [];
  if (input.float?.config) {
    const d = compareConfigs(cfg, input.float.config);
    candidates.push({ path: input.float.path, matches: d.length === 0 && quantMethodOf(input.float.config) === null, differences: d });
  }
  for (const s of input.siblings ?? []) {
    if (!s.config || s.quantized || quantMethodOf(s.config) !== null || s.path === input.model.path) continue;
    const d = compareConfigs(cfg, s.config);
    if (!d.includes('architectures')) candidates.push({ path: s.path, matches: d.length === 0, differences: d });
  }
  const given = input.float && candidates[0]?.path === input.float.path && candidates[0].matches ? candidates[0] : undefined;
  const found = given ?? candidates.find((c) => c.matches);
  const t = textConfig(cfg);
  const shape = [base.architecture ?? '?', ...['hidden_size', 'num_hidden_layers', 'num_experts'].filter((k) => typeof t[k] === 'number').map((k) => `${k}=${String(t[k])}`)].join(', ');
  if (found) {
    notes.push(given
      ? l10n.t('Quantize the float original {0} (same architecture and sizes).', found.path)
      : l10n.t('Its float original is probably {0} (beside it, same architecture and sizes): quantize that one with --model {0}.', found.path));
  } else {
    notes.push(l10n.t('Give the original BF16/FP16 checkpoint of {0} with --model (none beside it matches architecture and sizes).', shape));
    for (const c of candidates.filter((x) => !x.matches).slice(0, 3)) notes.push(l10n.t('{0} differs in {1}.', c.path, c.differences.join(', ')));
  }
  return {
    ...base, kind, action: given ? 'quantize' : 'needs-float', floatModel: found?.path ?? null, floatSource: found ? (given ? 'given' : 'sibling') : null,
    candidates, modelType: chooseModelType(input.float?.config ?? cfg, [input.model.path, ...(found ? [found.path] : [])], input.modelType), notes,
  };
}

