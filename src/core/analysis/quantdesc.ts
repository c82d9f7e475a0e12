import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser/lib/esm/main.js'; // the ESM build bundles; the UMD one requires files at run time
import { DESCRIPTION_GLOBAL_KEYS, DESCRIPTION_SOURCE, findQuantType, QUANT_TYPES } from '../knowledge/quant';
import { DESCRIPTION_FILE, DESCRIPTION_FILE_SOURCE, FUSED_GROUPS, FUSED_SOURCE, registeredLayers, schemeFamily, schemeFor, tensorLayout, type Scheme } from '../quantize/facts';
import { FLOAT_DTYPES, readSafetensorsHeader, type SafetensorsHeader } from '../quantize/safetensors';
import { type Finding, type Fix, type Range, range } from './types';

/**
 * quant-description: quant_model_description*.json written by msModelSlim (or by hand). Checks what
 * vLLM-Ascend does with it at load time: the exact file name it reads, JSON shape and vocabulary, the
 * (quant type, layer type) schemes it registers for the chip family, one type per fused layer, and — with
 * the safetensors index, the shards' headers and config.json beside it — that every linear/MoE weight has
 * an entry, the tensors each type needs exist with the dtype it implies, and quantization_config is gone.
 */

export const QUANT_DESCRIPTION_RE = /(^|[\\/])quant_model_description[^\\/]*\.json$/i;

/** Offset → LSP position; the line table is built on the first lookup (a clean file needs none). */
class Lines {
  private table: number[] | undefined;
  constructor(private readonly text: string) {}
  private get starts(): number[] {
    if (!this.table) {
      this.table = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.table.push(i + 1);
    }
    return this.table;
  }
  pos(offset: number) {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  }
  range(offset: number, length: number): Range {
    const s = this.pos(offset);
    const e = this.pos(offset + length);
    return range(s.line, s.character, e.line, e.character);
  }
  indentAt(offset: number): string {
    const start = this.starts[this.pos(offset).line];
    return /^[ \t]*/.exec(this.text.slice(start, offset))![0];
  }
}

type Src = { source: string; href: string };
function f(r: Range, severity: Finding['severity'], message: string, src: Src = DESCRIPTION_SOURCE, fixes: Fix[] = []): Finding {
  return { range: r, severity, code: 'quant-description', message, source: src.source, href: src.href, fixes, hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}

const VOCAB = QUANT_TYPES.map((t) => t.name);

export type LayerKind = Scheme['layer'];

export function layerKind(name: string): LayerKind {
  if (/\.experts\.\d+\./.test(name) || /\.experts\.[a-z_]+\.weight$/.test(name)) return 'moe';
  if (/(^|\.)(attn|self_attn|attention)\.(fa_|k_cache|v_cache)/.test(name)) return 'attention';
  return 'linear';
}

const NOT_LINEAR = /(norm|ln_f|ln_\d|layernorm|rotary|conv1d|\.A_log$|dt_bias)/i;

/** A weight vLLM-Ascend looks up in the description (linear, embedding, MoE expert): 2-D when the header says. */
export function isLinearWeight(name: string, shape?: number[]): boolean {
  if (!name.endsWith('.weight')) return false;
  if (shape) return shape.length === 2;
  return !NOT_LINEAR.test(name);
}

export interface IndexInfo {
  file: string;
  text: string;
}

export interface QuantDescContext {
  /** Base name of the description file: vLLM-Ascend reads exactly quant_model_description.json. */
  fileName?: string;
  /** Other files in the same folder (to tell whether the exact name exists beside a variant). */
  siblingNames?: string[];
  index?: IndexInfo;
  /** config.json beside it. */
  configText?: string;
  /** Header of a shard named in the index (undefined: headers not available here; Error: unreadable). */
  header?: (shard: string) => SafetensorsHeader | Error | undefined;
  /** npu-smi chip name or family (310P has its own scheme registry); '' = Atlas A2/A3 assumed. */
  chip?: string;
}

/** What the quantize job reports about a description (the `--json` description object). */
export interface DescriptionSummary {
  file: string;
  modelQuantType: string | null;
  /** Tensor entries (global keys excluded). */
  tensors: number;
  /** Linear/MoE weights of the index that have an entry. */
  covered: number;
  /** Linear/MoE weights of the index without an entry. */
  missing: string[];
}

interface Entry { value: string }
interface Located { key: JsonNode; value: JsonNode; prop: JsonNode }

/**
 * The values come from JSON.parse (a 15,000-entry description checks in milliseconds); the syntax tree with
 * positions is built only when a finding needs a range.
 */
class Parsed {
  readonly entries = new Map<string, Entry>();
  readonly globals = new Map<string, unknown>();
  private nodes: Map<string, Located> | undefined;
  private rootNode: JsonNode | undefined;
  constructor(readonly text: string, readonly lines: Lines, readonly raw: Record<string, unknown>, readonly family: Scheme['family'], readonly familyKnown: boolean) {}

  private tree(): void {
    if (this.nodes) return;
    this.rootNode = parseTree(this.text, [], { allowTrailingComma: false, disallowComments: true });
    this.nodes = new Map();
    for (const prop of this.rootNode?.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (k && v && typeof k.value === 'string') this.nodes.set(k.value, { key: k, value: v, prop });
    }
  }
  at(key: string): Located {
    this.tree();
    return this.nodes!.get(key)!;
  }
  keyRange(key: string): Range {
    const n = this.at(key).key;
    return this.lines.range(n.offset, n.length);
  }
  valueRange(key: string): Range {
    const n = this.at(key).value;
    return this.lines.range(n.offset, n.length);
  }
  /** The opening brace: where findings about the file as a whole go. */
  rootRange(): Range {
    const at = Math.max(0, this.text.search(/\S/));
    return this.lines.range(at, 1);
  }
}

export function analyzeQuantDescription(text: string, ctx: QuantDescContext = {}): Finding[] {
  return inspectQuantDescription(text, ctx).findings;
}

/** Findings plus the coverage summary (null when the text is not a readable description). */
export function inspectQuantDescription(text: string, ctx: QuantDescContext = {}): { findings: Finding[]; summary: DescriptionSummary | null } {
  const out: Finding[] = [];
  const lines = new Lines(text);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
    const e = errors[0] ?? { offset: root?.offset ?? 0, length: 1, error: 0 };
    out.push(f(lines.range(e.offset, Math.max(1, e.length)), 'error', l10n.t('Not valid JSON ({0}): vllm-ascend cannot read this description.', printParseErrorCode(e.error))));
    return { findings: out, summary: null };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    const root = parseTree(text, [], {});
    out.push(f(lines.range(root?.offset ?? 0, Math.max(1, root?.length ?? 1)), 'error', l10n.t('A quant description is a flat JSON object of tensor name → quant type.')));
    return { findings: out, summary: null };
  }
  const fam = schemeFamily(ctx.chip);
  const p = new Parsed(text, lines, raw as Record<string, unknown>, fam ?? 'A2A3', fam !== undefined);
  checkFileName(p, ctx, out);
  readEntries(p, out);
  checkModelQuantType(p, out);
  checkFusedGroups(p, out);
  const index = ctx.index ? parseIndex(ctx.index) : undefined;
  checkCompanions(p, index, out);
  if (ctx.configText !== undefined) checkConfig(p, ctx.configText, out);
  const coverage = index ? checkCoverage(p, index, ctx, out) : { covered: 0, missing: [] as string[] };
  const mqt = p.globals.get('model_quant_type');
  return {
    findings: out,
    summary: { file: ctx.fileName ?? DESCRIPTION_FILE, modelQuantType: typeof mqt === 'string' ? mqt : null, tensors: p.entries.size, covered: coverage.covered, missing: coverage.missing },
  };
}

function checkFileName(p: Parsed, ctx: QuantDescContext, out: Finding[]): void {
  const name = ctx.fileName;
  if (!name || name === DESCRIPTION_FILE) return;
  const r = p.rootRange();
  if (ctx.siblingNames?.includes(DESCRIPTION_FILE)) {
    out.push(f(r, 'information', l10n.t('vLLM-Ascend reads only {0} (present beside this file); {1} is ignored when serving.', DESCRIPTION_FILE, name), DESCRIPTION_FILE_SOURCE));
    return;
  }
  const fix: Fix = { title: l10n.t('Rename to {0}', DESCRIPTION_FILE), edits: [], renameTo: DESCRIPTION_FILE, preferred: true };
  out.push(f(r, 'error', l10n.t('vLLM-Ascend reads exactly {0} and will not find {1} ("ModelSlim Quantization Config Not Found"); msModelSlim names it so with --mindie_format. Rename it.', DESCRIPTION_FILE, name), DESCRIPTION_FILE_SOURCE, [fix]));
}

function readEntries(p: Parsed, out: Finding[]): void {
  for (const key in p.raw) {
    const v = p.raw[key];
    const vr = () => p.valueRange(key);
    const gtype = DESCRIPTION_GLOBAL_KEYS[key];
    if (gtype) {
      p.globals.set(key, v);
      const ok =
        gtype === 'quant-type' || gtype === 'string' ? typeof v === 'string' :
        gtype === 'int-or-string' ? (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^\d+$/.test(v)) :
        gtype === 'boolean' ? typeof v === 'boolean' :
        v !== null && typeof v === 'object' && !Array.isArray(v);
      if (!ok) out.push(f(vr(), 'error', l10n.t('"{0}" has the wrong JSON type: expected {1}.', key, gtype === 'int-or-string' ? 'integer' : gtype === 'quant-type' ? 'string' : gtype)));
      else if (gtype === 'quant-type' && !findQuantType(String(v))) {
        out.push(f(vr(), 'error', l10n.t('Unknown quant type "{0}"; known: {1}.', String(v), VOCAB.join(', '))));
      }
      continue;
    }
    if (key.startsWith('#')) continue;
    if (typeof v !== 'string') {
      out.push(f(vr(), 'error', l10n.t('The quant type of tensor "{0}" must be a string such as "W8A8" or "FLOAT".', key)));
      continue;
    }
    p.entries.set(key, { value: v });
    const t = findQuantType(v);
    if (!t) {
      out.push(f(vr(), 'error', l10n.t('Unknown quant type "{0}" for "{1}"; vllm-ascend raises NotImplementedError. Known: {2}.', v, key, VOCAB.join(', '))));
      continue;
    }
    if (key.endsWith('.weight') && t.kind === 'weight') checkScheme(p, key, v, vr, out);
  }
}

/** The (quant type, layer type) pair must be one vLLM-Ascend registers for the chip family. */
function checkScheme(p: Parsed, key: string, value: string, range: () => Range, out: Finding[]): void {
  const kind = layerKind(key);
  if (schemeFor(value, kind, p.family)) return;
  const vr = range();
  const here = registeredLayers(value, p.family);
  const other = registeredLayers(value, p.family === 'A2A3' ? '310P' : 'A2A3');
  const famName = p.family === '310P' ? 'Atlas 300I (310P)' : 'Atlas A2/A3';
  if (!here.length && other.length && !p.familyKnown) {
    out.push(f(vr, 'warning', l10n.t('"{0}" is registered by vLLM-Ascend only on {1}; set the target chip if this model is for that card.', value, p.family === 'A2A3' ? 'Atlas 300I (310P)' : 'Atlas A2/A3')));
  } else if (!here.length) {
    out.push(f(vr, 'error', l10n.t('vLLM-Ascend registers no scheme for "{0}" on {1}: loading "{2}" raises NotImplementedError.', value, famName, key)));
  } else {
    const dense = kind === 'linear' && (value === 'W4A16' || value === 'W4A8_DYNAMIC');
    out.push(f(vr, 'error', dense
      ? l10n.t('"{0}" on a dense linear layer: vLLM-Ascend registers {1} only for MoE experts, so loading "{2}" raises NotImplementedError. Quantize dense layers as W8A8 / W8A8_DYNAMIC / W8A16 (or keep them FLOAT).', value, value, key)
      : l10n.t('vLLM-Ascend registers "{0}" only for {1} layers on {2}; "{3}" is a {4} layer (NotImplementedError at load).', value, here.join(' / '), famName, key, kind)));
  }
}

function checkModelQuantType(p: Parsed, out: Finding[]): void {
  const mqt = p.globals.get('model_quant_type');
  const weightTypes = new Set<string>();
  for (const [k, e] of p.entries) if (k.endsWith('.weight') && e.value !== 'FLOAT') weightTypes.add(e.value);
  if (mqt === undefined) {
    if (p.entries.size) out.push(f(p.rootRange(), 'warning', l10n.t('"model_quant_type" is missing; msModelSlim writes the overall type (e.g. "W8A8_DYNAMIC") there.')));
    return;
  }
  if (typeof mqt === 'string' && weightTypes.size) {
    const second = p.globals.get('model_quant_type_second');
    if (!weightTypes.has(mqt) && mqt !== second && !mqt.endsWith('_MIX')) {
      out.push(f(p.valueRange('model_quant_type'), 'warning', l10n.t('model_quant_type is "{0}" but the weights are quantized as {1}.', mqt, [...weightTypes].join(', '))));
    }
  }
}

const SHARD_TO_FUSED = new Map(FUSED_GROUPS.flatMap((g) => g.shards.map((s) => [s, g.fused] as const)));

/** Name of the layer vLLM loads this weight into, when it is one of several shards (q/k/v, gate/up, experts). */
export function fusedLayerOf(weight: string): string | undefined {
  const ex = /^(.*\.experts)\.\d+\.[^.]+\.weight$/.exec(weight);
  if (ex) return ex[1];
  const m = /^(.*)\.([^.]+)\.weight$/.exec(weight);
  const fused = m ? SHARD_TO_FUSED.get(m[2]) : undefined;
  return m && fused ? `${m[1]}.${fused}` : undefined;
}

function checkFusedGroups(p: Parsed, out: Finding[]): void {
  const groups = new Map<string, Array<[string, Entry]>>();
  for (const [k, e] of p.entries) {
    const g = k.endsWith('.weight') ? fusedLayerOf(k) : undefined;
    if (g) groups.set(g, [...(groups.get(g) ?? []), [k, e]]);
  }
  for (const [layer, members] of groups) {
    const first = members[0][1].value;
    if (members.every(([, e]) => e.value === first)) continue;
    const types = [...new Set(members.map(([, e]) => e.value))].join(', ');
    for (const [k, e] of members.filter(([, x]) => x.value !== first)) {
      out.push(f(p.valueRange(k), 'error', l10n.t('"{0}" is {1} but other shards of the fused layer {2} are {3}: vLLM-Ascend loads them as one layer and needs one quant type (ValueError at load).', k, e.value, layer, types), FUSED_SOURCE));
    }
  }
}

interface IndexMap { file: string; map: Map<string, string> }

function parseIndex(index: IndexInfo): IndexMap | undefined {
  try {
    const v = JSON.parse(index.text) as { weight_map?: Record<string, unknown> };
    if (!v?.weight_map || typeof v.weight_map !== 'object') return undefined;
    const map = new Map<string, string>();
    for (const k in v.weight_map) map.set(k, String(v.weight_map[k]));
    return { file: index.file, map };
  } catch {
    return undefined;
  }
}

/** The tensors each quantized weight needs beside it: in the description (msModelSlim writes them) and in the weights. */
function checkCompanions(p: Parsed, index: IndexMap | undefined, out: Finding[]): void {
  for (const [k, e] of p.entries) {
    if (!k.endsWith('.weight')) continue;
    const layout = tensorLayout(e.value);
    if (!layout) continue;
    const prefix = k.slice(0, -'.weight'.length);
    const notDescribed = layout.suffixes.filter((c) => !p.entries.has(`${prefix}.${c}`));
    const notStored = index ? layout.suffixes.filter((c) => !index.map.has(`${prefix}.${c}`)) : [];
    const kr = () => p.keyRange(k);
    if (index && index.map.has(k) && notStored.length) {
      out.push(f(kr(), 'error', l10n.t('"{0}" is {1}: its {2} must be in the weights but {3} has none; vLLM cannot initialise the layer.', k, e.value, notStored.join(', '), index.file), layout));
    } else if (notDescribed.length) {
      out.push(f(kr(), 'warning', l10n.t('"{0}" is {1}: msModelSlim also writes {2}, which are missing here.', k, e.value, notDescribed.map((c) => `${prefix}.${c}`).join(', ')), layout));
    }
  }
}

function checkConfig(p: Parsed, configText: string, out: Finding[]): void {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(configText) as Record<string, unknown>;
  } catch {
    return;
  }
  const tc = cfg?.text_config && typeof cfg.text_config === 'object' ? (cfg.text_config as Record<string, unknown>) : {};
  const q = cfg?.quantization_config ?? tc.quantization_config;
  if (q === undefined || q === null) return;
  const method = q && typeof q === 'object' && typeof (q as Record<string, unknown>).quant_method === 'string' ? String((q as Record<string, unknown>).quant_method) : '?';
  out.push(f(p.rootRange(), 'error', l10n.t('config.json beside this description still has quantization_config (quant_method "{0}"): vLLM then picks {0} instead of the ascend method. msModelSlim removes it; remove it from config.json.', method), { source: 'msmodelslim save/ascendv1.py remove_quantization_config()', href: 'https://gitcode.com/Ascend/msmodelslim/blob/master/msmodelslim/core/quant_service/modelslim_v1/save/ascendv1.py' }));
}

const MAX_EACH = 20;

/** Nearest existing key (longest shared prefix) for a missing weight: where its squiggle and fix go. */
function nearestEntry(sorted: string[], name: string): string {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < name) lo = mid + 1;
    else hi = mid;
  }
  const shared = (s: string | undefined) => {
    if (!s) return -1;
    let i = 0;
    while (i < s.length && i < name.length && s[i] === name[i]) i++;
    return i;
  };
  const before = sorted[lo - 1];
  const after = sorted[lo];
  return shared(before) >= shared(after) ? before! : after!;
}

function checkCoverage(p: Parsed, index: IndexMap, ctx: QuantDescContext, out: Finding[]): { covered: number; missing: string[] } {
  const names = [...index.map.keys()];
  const gptq = names.find((n) => /\.(qweight|qzeros|g_idx)$/.test(n));
  if (gptq) {
    out.push(f(p.rootRange(), 'error', l10n.t('{0} holds GPTQ / AWQ tensors ({1}): this checkpoint is not converted yet. Re-quantize the original weights with msModelSlim so that the weights match this description.', index.file, gptq)));
    return { covered: 0, missing: [] };
  }
  const headers = ctx.header ? checkShards(p, index, ctx.header, out) : undefined;
  const shapeOf = (n: string) => headers?.get(index.map.get(n)!)?.tensors.get(n)?.shape;
  const missing: string[] = [];
  let covered = 0;
  for (const n of names) {
    if (!isLinearWeight(n, shapeOf(n))) continue;
    if (p.entries.has(n)) covered++;
    else missing.push(n);
  }
  const sorted = [...p.entries.keys()].sort();
  for (const n of missing.slice(0, sorted.length ? MAX_EACH : 0)) {
    const near = nearestEntry(sorted, n);
    const dtype = headers?.get(index.map.get(n)!)?.tensors.get(n)?.dtype;
    const type = guessType(p, n, dtype);
    const loc = p.at(near);
    const indent = p.lines.indentAt(loc.prop.offset);
    const at = p.lines.range(loc.prop.offset + loc.prop.length, 0);
    const fix: Fix = { title: l10n.t('Add "{0}": "{1}"', n, type), edits: [{ range: at, newText: `,\n${indent}${JSON.stringify(n)}: ${JSON.stringify(type)}` }] };
    out.push(f(p.keyRange(near), 'error', l10n.t('"{0}" (in {1}) has no entry: vLLM-Ascend looks every linear/MoE weight up here and raises KeyError.', n, index.file), DESCRIPTION_SOURCE, [fix]));
  }
  if (missing.length > (sorted.length ? MAX_EACH : 0)) {
    out.push(f(p.rootRange(), 'error', l10n.t('{0} linear/MoE weight(s) in {1} have no entry here (e.g. {2}); vLLM-Ascend looks every one up and raises KeyError.', String(missing.length), index.file, missing.slice(0, 3).join(', '))));
  }
  const stored = new Set(names);
  for (const k of p.entries.keys()) {
    if (!stored.has(k)) out.push(f(p.keyRange(k), 'warning', l10n.t('"{0}" names no tensor in {1}.', k, index.file)));
  }
  return { covered, missing };
}

/** The type a missing entry most likely has: FLOAT for float tensors, else its fused siblings' or the model's. */
function guessType(p: Parsed, name: string, dtype: string | undefined): string {
  if (dtype && FLOAT_DTYPES.has(dtype)) return 'FLOAT';
  const layer = fusedLayerOf(name);
  if (layer) for (const [k, e] of p.entries) if (k.endsWith('.weight') && fusedLayerOf(k) === layer) return e.value;
  const mqt = p.globals.get('model_quant_type');
  if (dtype && typeof mqt === 'string') return mqt;
  return 'FLOAT';
}

/** Every shard the index names is a readable safetensors file holding the tensors mapped to it, with the dtypes their types imply. */
function checkShards(p: Parsed, index: IndexMap, header: NonNullable<QuantDescContext['header']>, out: Finding[]): Map<string, SafetensorsHeader> {
  const got = new Map<string, SafetensorsHeader>();
  const root = p.rootRange();
  const read = [...new Set(index.map.values())].map((shard) => [shard, header(shard)] as const);
  // An index kept without its weights (a workspace of patches) is not a broken checkpoint: check shards only when some are here.
  if (read.every(([, h]) => h instanceof MissingFile || h === undefined)) return got;
  for (const [shard, h] of read) {
    if (h instanceof Error) out.push(f(root, 'error', l10n.t('{0} (named in {1}) cannot be read as safetensors: {2}', shard, index.file, h.message)));
    else if (h) got.set(shard, h);
  }
  let absent = 0;
  for (const [name, shard] of index.map) {
    const h = got.get(shard);
    if (!h) continue;
    const t = h.tensors.get(name);
    if (!t) {
      if (absent++ < MAX_EACH) out.push(f(root, 'error', l10n.t('{0} maps "{1}" to {2}, but that file has no such tensor.', index.file, name, shard)));
      continue;
    }
    const e = p.entries.get(name);
    if (!e || !name.endsWith('.weight')) continue;
    const want = e.value === 'FLOAT' ? 'float' : tensorLayout(e.value)?.weightDtype;
    const bad = want === 'float' ? !FLOAT_DTYPES.has(t.dtype) : want !== undefined && t.dtype !== want;
    if (bad) {
      out.push(f(p.valueRange(name), 'error', l10n.t('"{0}" is described as {1} but {2} stores it as {3}: the description does not match the weights.', name, e.value, shard, t.dtype), tensorLayout(e.value) ?? DESCRIPTION_SOURCE));
    }
  }
  return got;
}

/** A shard the index names that is not on disk. */
export class MissingFile extends Error {}

/** Header reader over the local file system, cached by path, size and mtime (the server re-checks on every edit). */
const headerCache = new Map<string, { key: string; value: SafetensorsHeader | Error }>();
export function fsHeaderReader(dir: string): (shard: string) => SafetensorsHeader | Error | undefined {
  return (shard) => {
    const file = path.join(dir, shard);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return new MissingFile(l10n.t('the file is missing'));
    }
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = headerCache.get(file);
    if (hit && hit.key === key) return hit.value;
    let value: SafetensorsHeader | Error;
    try {
      value = readSafetensorsHeader(file);
    } catch (e) {
      value = e instanceof Error ? e : new Error(String(e));
    }
    if (headerCache.size > 4096) headerCache.clear();
    headerCache.set(file, { key, value });
    return value;
  };
}

/**
 * Context for a description file on this machine: its folder's index (any *.safetensors.index.json —
 * msModelSlim's quant_model_weights… or a legacy quant_model_weight_<type>… one), config.json and the
 * shards' headers. `readSibling` may serve open editors' text first.
 */
export function quantDescriptionContext(file: string, readSibling?: (name: string) => string | undefined, chip?: string): QuantDescContext {
  const dir = path.dirname(file);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    /* not on disk (an unsaved editor): name-only checks */
  }
  const read = readSibling ?? ((n: string) => {
    try {
      return fs.readFileSync(path.join(dir, n), 'utf8');
    } catch {
      return undefined;
    }
  });
  const preferred = ['quant_model_weights.safetensors.index.json', 'model.safetensors.index.json'];
  const indexes = [...preferred.filter((n) => names.includes(n)), ...names.filter((n) => n.endsWith('.safetensors.index.json') && !preferred.includes(n)).sort()];
  let index: IndexInfo | undefined;
  for (const n of indexes.length ? indexes : preferred) {
    const text = read(n);
    if (text !== undefined) {
      index = { file: n, text };
      break;
    }
  }
  return { fileName: path.basename(file), siblingNames: names, index, configText: read('config.json'), header: names.length ? fsHeaderReader(dir) : undefined, chip };
}
