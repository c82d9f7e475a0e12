import * as l10n from '@vscode/l10n';
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser/lib/esm/main.js'; // the ESM build bundles; the UMD one requires files at run time
import { COMPANION_SUFFIXES, DESCRIPTION_GLOBAL_KEYS, DESCRIPTION_SOURCE, findQuantType, QUANT_TYPES } from '../knowledge/quant';
import { type Finding, type Range, range } from './types';

/**
 * quant-description: quant_model_description*.json written by msModelSlim (or by hand, as in the seed's
 * W4A16 template). Checks JSON shape, the value vocabulary, what vllm-ascend registers, model_quant_type
 * against the entries, companion tensors, and — with a *.safetensors.index.json beside it — coverage.
 */

export const QUANT_DESCRIPTION_RE = /(^|[\\/])quant_model_description[^\\/]*\.json$/i;

class Lines {
  private starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  pos(offset: number) {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
  range(offset: number, length: number): Range {
    const s = this.pos(offset);
    const e = this.pos(offset + length);
    return range(s.line, s.character, e.line, e.character);
  }
}

function f(r: Range, severity: Finding['severity'], message: string): Finding {
  const src = DESCRIPTION_SOURCE;
  return { range: r, severity, code: 'quant-description', message, source: src.source, href: src.href, fixes: [], hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}

const VOCAB = QUANT_TYPES.map((t) => t.name);

function layerKind(name: string): 'moe' | 'attention' | 'linear' {
  if (/\.experts\.\d+\./.test(name) || /\.experts\./.test(name)) return 'moe';
  if (/(^|\.)(attn|self_attn|attention)\.(fa_|k_cache|v_cache)/.test(name)) return 'attention';
  return 'linear';
}

export interface IndexInfo {
  file: string;
  text: string;
}

export function analyzeQuantDescription(text: string, index?: IndexInfo): Finding[] {
  const out: Finding[] = [];
  const lines = new Lines(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length) {
    const e = errors[0];
    out.push(f(lines.range(e.offset, Math.max(1, e.length)), 'error', l10n.t('Not valid JSON ({0}): vllm-ascend cannot read this description.', printParseErrorCode(e.error))));
    return out;
  }
  if (!root || root.type !== 'object') {
    out.push(f(lines.range(root?.offset ?? 0, Math.max(1, root?.length ?? 1)), 'error', l10n.t('A quant description is a flat JSON object of tensor name → quant type.')));
    return out;
  }
  const entries = new Map<string, { value: string; node: JsonNode; keyNode: JsonNode }>();
  const globals = new Map<string, JsonNode>();
  for (const prop of root.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v || typeof k.value !== 'string') continue;
    const key = k.value;
    const vr = lines.range(v.offset, v.length);
    const gtype = DESCRIPTION_GLOBAL_KEYS[key];
    if (gtype) {
      globals.set(key, v);
      const ok =
        gtype === 'quant-type' ? v.type === 'string' :
        gtype === 'string' ? v.type === 'string' :
        gtype === 'int-or-string' ? (v.type === 'number' && Number.isInteger(v.value)) || (v.type === 'string' && /^\d+$/.test(String(v.value))) :
        gtype === 'boolean' ? v.type === 'boolean' :
        v.type === 'object';
      if (!ok) out.push(f(vr, 'error', l10n.t('"{0}" has the wrong JSON type: expected {1}.', key, gtype === 'int-or-string' ? 'integer' : gtype === 'quant-type' ? 'string' : gtype)));
      else if (gtype === 'quant-type' && !findQuantType(String(v.value))) {
        out.push(f(vr, 'error', l10n.t('Unknown quant type "{0}"; known: {1}.', String(v.value), VOCAB.join(', '))));
      }
      continue;
    }
    if (key.startsWith('#')) continue;
    if (v.type !== 'string') {
      out.push(f(vr, 'error', l10n.t('The quant type of tensor "{0}" must be a string such as "W8A8" or "FLOAT".', key)));
      continue;
    }
    const value = String(v.value);
    entries.set(key, { value, node: v, keyNode: k });
    const t = findQuantType(value);
    if (!t) {
      out.push(f(vr, 'error', l10n.t('Unknown quant type "{0}" for "{1}"; vllm-ascend raises NotImplementedError. Known: {2}.', value, key, VOCAB.join(', '))));
      continue;
    }
    if (key.endsWith('.weight') && t.kind === 'weight') {
      const kind = layerKind(key);
      if (t.registered.length === 0) {
        out.push(f(vr, 'warning', l10n.t('msModelSlim writes "{0}" but vllm-ascend registers no scheme for it.', value)));
      } else if (!t.registered.includes(kind) && !(kind === 'linear' && t.registered.includes('310p') && t.registered.length === 1)) {
        out.push(f(vr, 'warning', l10n.t('vllm-ascend registers "{0}" only for {1} layers; "{2}" is a {3} layer.', value, t.registered.join(' / '), key, kind)));
      }
    }
  }
  // model_quant_type vs the entries
  const mqtNode = globals.get('model_quant_type');
  const weightTypes = new Set<string>();
  for (const [k, e] of entries) if (k.endsWith('.weight') && e.value !== 'FLOAT') weightTypes.add(e.value);
  if (!mqtNode) {
    if (entries.size) out.push(f(lines.range(root.offset, 1), 'warning', l10n.t('"model_quant_type" is missing; msModelSlim writes the overall type (e.g. "W8A8_DYNAMIC") there.')));
  } else if (mqtNode.type === 'string' && weightTypes.size) {
    const mqt = String(mqtNode.value);
    const second = globals.get('model_quant_type_second')?.value;
    if (!weightTypes.has(mqt) && mqt !== second && !mqt.endsWith('_MIX')) {
      out.push(f(lines.range(mqtNode.offset, mqtNode.length), 'warning', l10n.t('model_quant_type is "{0}" but the weights are quantized as {1}.', mqt, [...weightTypes].join(', '))));
    }
  }
  // companions
  for (const [k, e] of entries) {
    if (!k.endsWith('.weight')) {
      const m = /^(.*)\.([a-z_]+)$/.exec(k);
      if (m && COMPANION_SUFFIXES.includes(m[2])) {
        const base = entries.get(`${m[1]}.weight`);
        if (base && base.value !== e.value && base.value !== 'FLOAT') {
          out.push(f(lines.range(e.node.offset, e.node.length), 'warning', l10n.t('"{0}" is {1} but its weight "{2}" is {3}; companion tensors carry the type of their weight.', k, e.value, `${m[1]}.weight`, base.value)));
        }
      }
      continue;
    }
    const t = findQuantType(e.value);
    if (!t || !t.companions.length) continue;
    const prefix = k.slice(0, -'.weight'.length);
    const missing = t.companions.filter((c) => !entries.has(`${prefix}.${c}`));
    if (missing.length) {
      out.push(f(lines.range(e.keyNode.offset, e.keyNode.length), 'warning', l10n.t('"{0}" is {1}: msModelSlim also writes {2}, which are missing here.', k, e.value, missing.map((c) => `${prefix}.${c}`).join(', '))));
    }
  }
  if (index) out.push(...checkCoverage(entries, index, lines, root));
  return out;
}

function checkCoverage(entries: Map<string, { value: string; node: JsonNode; keyNode: JsonNode }>, index: IndexInfo, lines: Lines, root: JsonNode): Finding[] {
  const out: Finding[] = [];
  let names: string[];
  try {
    const v = JSON.parse(index.text) as { weight_map?: Record<string, unknown> };
    if (!v?.weight_map || typeof v.weight_map !== 'object') return out;
    names = Object.keys(v.weight_map);
  } catch {
    return out;
  }
  const gptq = names.filter((n) => /\.(qweight|qzeros|g_idx)$/.test(n));
  if (gptq.length) {
    out.push(
      f(lines.range(root.offset, 1), 'warning', l10n.t('{0} holds GPTQ / AWQ tensors ({1}): this checkpoint is not converted yet. Re-quantize the original weights with msModelSlim so that the weights match this description.', index.file, gptq[0])),
    );
    return out;
  }
  const have = new Set(names);
  const notCovered = names.filter((n) => !entries.has(n));
  if (notCovered.length) {
    out.push(f(lines.range(root.offset, 1), 'warning', l10n.t('{0} weight(s) in {1} have no entry here (e.g. {2}); vllm-ascend looks every weight up in the description.', String(notCovered.length), index.file, notCovered.slice(0, 3).join(', '))));
  }
  for (const [k, e] of entries) {
    if (!have.has(k)) out.push(f(lines.range(e.keyNode.offset, e.keyNode.length), 'warning', l10n.t('"{0}" names no tensor in {1}.', k, index.file)));
  }
  return out;
}
