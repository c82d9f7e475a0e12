import * as l10n from '@vscode/l10n';
import type { Language, Node, Query } from 'web-tree-sitter';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import WebTreeSitter = require('web-tree-sitter');
import { vaUrl, vllmUrl } from '../knowledge/text';
import { dotted, literal, nodeRange, stringValue } from './pytree';
import { type Finding, type Range, shiftFinding } from './types';

/**
 * weight-mapping: stacked_params_mapping / packed_modules_mapping / expert mappings in model and mapping
 * files, checked for shape and — with a checkpoint index beside the file — for checkpoint weights the
 * mapping leaves unmapped. Facts are collected per (sub)tree and checked once per file.
 */

const SRC = {
  source: 'vLLM vllm/model_executor/models/hunyuan_v1.py load_weights (stacked / expert mappings, packed_modules_mapping); VA@182b75e vllm_ascend/quantization/modelslim_config.py packed_modules_model_mapping',
  href: vllmUrl('vllm/model_executor/models/hunyuan_v1.py'),
};
const MODELSLIM_SRC = { source: 'VA@182b75e vllm_ascend/quantization/modelslim_config.py packed_modules_model_mapping', href: vaUrl('vllm_ascend/quantization/modelslim_config.py') };

export interface Elem {
  value: string | number | boolean | undefined;
  range: Range;
}
export interface StackedEntry {
  range: Range;
  elems: Elem[];
  /** Not a tuple / list literal. */
  malformed: boolean;
}
export interface MappingFacts {
  /** `scope`: first line of the top-level statement (class, function) the mapping is in. */
  stacked: { range: Range; entries: StackedEntry[]; scope: number }[];
  packed: { range: Range; entries: { key: string; keyRange: Range; members: Elem[] | undefined }[]; scope: number }[];
  experts: { range: Range; projNames: string[]; literalEntries: StackedEntry[] | undefined }[];
  /** Checks on shapes are collected together with the facts. */
}

/** A fused layer class that loads its own shards (defines weight_loader / validate_shard_id …). */
export interface FusedLoader {
  cls: string;
  /** String literals its loading methods use (the shard ids it accepts). */
  accepts: string[];
}
/** Param leaf name (qkv_proj) → the classes the module builds that param from, when they load their own shards. */
export type LoaderCheck = (param: string) => FusedLoader[];

const LAYER_QUERY = '(assignment left: (attribute object: (identifier) @obj attribute: (identifier) @attr) right: (call function: [(identifier) (attribute)] @fn))';
let layerQuery: { lang: Language; q: Query } | undefined;

/** `self.<attr> = <Callee>(…)` assignments of a (sub)tree: attr → callee names as written. */
export function collectLayerAssignments(root: Node): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lang = root.tree.language;
  if (!layerQuery || layerQuery.lang !== lang) layerQuery = { lang, q: new WebTreeSitter.Query(lang, LAYER_QUERY) };
  for (const m of layerQuery.q.matches(root)) {
    const get = (n: string) => m.captures.find((c) => c.name === n)?.node;
    const obj = get('obj');
    const attr = get('attr');
    const fn = get('fn');
    const callee = fn ? dotted(fn) : undefined;
    if (obj?.text !== 'self' || !attr || !callee) continue;
    const list = out.get(attr.text) ?? [];
    if (!list.includes(callee)) list.push(callee);
    out.set(attr.text, list);
  }
  return out;
}

export function emptyFacts(): MappingFacts {
  return { stacked: [], packed: [], experts: [] };
}

const MAPPING_RE = /\b(stacked_params_mapping|packed_modules_mapping|expert_params_mapping|make_expert_params_mapping)\b/g;

function tupleEntries(list: Node): StackedEntry[] {
  const out: StackedEntry[] = [];
  for (const e of list.namedChildren) {
    if (!e || e.type === 'comment') continue;
    if (e.type === 'tuple' || e.type === 'list' || e.type === 'parenthesized_expression') {
      const inner = e.type === 'parenthesized_expression' ? [e.namedChildren[0]] : e.namedChildren;
      out.push({ range: nodeRange(e), elems: inner.filter((x): x is Node => !!x && x.type !== 'comment').map((x) => ({ value: literal(x), range: nodeRange(x) })), malformed: false });
    } else {
      out.push({ range: nodeRange(e), elems: [], malformed: e.type !== 'list_comprehension' && e.type !== 'identifier' && e.type !== 'call' && e.type !== 'list_splat' ? true : false });
    }
  }
  return out;
}

function rightOf(n: Node): { right: Node; left: Node } | undefined {
  for (let p: Node | null = n.parent; p; p = p.parent) {
    if (p.type === 'assignment' || p.type === 'augmented_assignment') {
      const left = p.childForFieldName('left');
      const right = p.childForFieldName('right');
      if (!left || !right || n.startIndex < left.startIndex || n.endIndex > left.endIndex) return undefined;
      return { right, left };
    }
    if (p.type === 'block' || p.type === 'module' || p.type === 'call') return undefined;
  }
  return undefined;
}

/** First row of the top-level statement holding `n`. */
function scopeOf(tops: Node[], n: Node): number {
  let lo = 0;
  let hi = tops.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tops[mid].endIndex < n.startIndex) lo = mid + 1;
    else if (tops[mid].startIndex > n.startIndex) hi = mid - 1;
    else return tops[mid].startPosition.row;
  }
  return -1;
}

export function collectMappingFacts(root: Node, text: string): MappingFacts {
  const facts = emptyFacts();
  const seen = new Set<number>();
  const tops = root.namedChildren.filter((x): x is Node => !!x);
  for (const m of text.matchAll(MAPPING_RE)) {
    const n = root.descendantForIndex(m.index, m.index + m[0].length);
    if (!n || n.type !== 'identifier') continue;
    if (m[1] === 'make_expert_params_mapping') {
      let call: Node | null = n.parent;
      while (call && call.type === 'attribute') call = call.parent;
      if (!call || call.type !== 'call' || seen.has(-1 - call.startIndex)) continue;
      seen.add(-1 - call.startIndex);
      const args = call.childForFieldName('arguments');
      const projNames: string[] = [];
      for (const a of args?.namedChildren ?? []) {
        if (!a) continue;
        const v = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
        const s = v && v.type === 'string' ? stringValue(v) : undefined;
        if (s) projNames.push(s.replace(/^\.|\.$/g, ''));
      }
      facts.experts.push({ range: nodeRange(call), projNames, literalEntries: undefined });
      continue;
    }
    const asg = rightOf(n);
    if (!asg || seen.has(asg.right.startIndex)) continue;
    seen.add(asg.right.startIndex);
    const r = nodeRange(asg.left);
    const right = asg.right;
    if (m[1] === 'stacked_params_mapping') {
      if (right.type === 'list' || right.type === 'tuple') facts.stacked.push({ range: r, entries: tupleEntries(right), scope: scopeOf(tops, right) });
    } else if (m[1] === 'expert_params_mapping') {
      if (right.type === 'list' || right.type === 'tuple') facts.experts.push({ range: r, projNames: [], literalEntries: tupleEntries(right) });
    } else if (right.type === 'dictionary') {
      const entries: MappingFacts['packed'][number]['entries'] = [];
      for (const pair of right.namedChildren) {
        if (!pair || pair.type !== 'pair') continue;
        const k = pair.childForFieldName('key');
        const v = pair.childForFieldName('value');
        const key = k && k.type === 'string' ? stringValue(k) : undefined;
        if (!k || key === undefined) continue;
        const members = v && (v.type === 'list' || v.type === 'tuple') ? v.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment').map((x) => ({ value: literal(x), range: nodeRange(x) })) : undefined;
        entries.push({ key, keyRange: nodeRange(k), members });
      }
      facts.packed.push({ range: r, entries, scope: scopeOf(tops, right) });
    }
  }
  return facts;
}

export function shiftFacts(f: MappingFacts, lines: number): MappingFacts {
  if (lines === 0) return f;
  const sr = (r: Range): Range => ({ start: { line: r.start.line + lines, character: r.start.character }, end: { line: r.end.line + lines, character: r.end.character } });
  const se = (e: Elem): Elem => ({ ...e, range: sr(e.range) });
  const ss = (s: StackedEntry): StackedEntry => ({ ...s, range: sr(s.range), elems: s.elems.map(se) });
  return {
    stacked: f.stacked.map((s) => ({ range: sr(s.range), entries: s.entries.map(ss), scope: s.scope + lines })),
    packed: f.packed.map((p) => ({ range: sr(p.range), entries: p.entries.map((e) => ({ key: e.key, keyRange: sr(e.keyRange), members: e.members?.map(se) })), scope: p.scope + lines })),
    experts: f.experts.map((x) => ({ range: sr(x.range), projNames: x.projNames, literalEntries: x.literalEntries?.map(ss) })),
  };
}

export function mergeFacts(all: MappingFacts[]): MappingFacts {
  return { stacked: all.flatMap((f) => f.stacked), packed: all.flatMap((f) => f.packed), experts: all.flatMap((f) => f.experts) };
}

const strip = (s: string) => s.replace(/^\.+|\.+$/g, '');

function find(range: Range, severity: Finding['severity'], message: string, src = SRC): Finding {
  return { range, severity, code: 'weight-mapping', message, source: src.source, href: src.href, fixes: [], hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}

const QKV = ['q', 'k', 'v'];

/** Checkpoint index (model.safetensors.index.json) tensor names, or undefined when unreadable. */
export function parseIndexNames(json: string | undefined): string[] | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as { weight_map?: Record<string, unknown> };
    if (!v || typeof v !== 'object' || !v.weight_map || typeof v.weight_map !== 'object') return undefined;
    return Object.keys(v.weight_map);
  } catch {
    return undefined;
  }
}

/** The tuple length every literal entry has, when they all agree. */
function commonArity(entries: StackedEntry[]): number | undefined {
  const lens = new Set(entries.filter((e) => !e.malformed && e.elems.length > 0).map((e) => e.elems.length));
  return lens.size === 1 && !entries.some((e) => e.malformed) ? [...lens][0] : undefined;
}

/** A shard id the standard fused layers do not take: fine when the param's own layer class accepts it. */
function ownLoaderVerdict(param: string, id: string, loaders: LoaderCheck | undefined): 'accepted' | 'own-loader' | undefined {
  const leaf = param.split('.').pop() ?? param;
  const found = loaders?.(leaf) ?? [];
  if (found.some((l) => l.accepts.includes(id))) return 'accepted';
  return found.length ? 'own-loader' : undefined;
}

export function checkMappings(facts: MappingFacts, index?: { names: string[]; file: string }, loaders?: LoaderCheck): Finding[] {
  const out: Finding[] = [];
  const stackedWeights = new Map<string, Set<string>>(); // param → weight leaf names
  const byScope = new Map<number, Map<string, Set<string>>>(); // the same, per class / function
  for (const s of facts.stacked) {
    const seen = new Map<string, Range>();
    const shards = new Map<string, Set<string>>();
    const arity = commonArity(s.entries);
    if (arity !== undefined && arity !== 3) continue; // a model's own consistent format, read by its own loop
    for (const e of s.entries) {
      if (e.malformed || (e.elems.length !== 3 && e.elems.length > 0)) {
        out.push(find(e.range, 'error', l10n.t('Each stacked_params_mapping entry is (param_name, weight_name, shard_id); this one has {0} element(s).', String(e.elems.length))));
        continue;
      }
      if (e.elems.length === 0) continue;
      const [p, w, id] = e.elems;
      if (typeof p.value !== 'string' || typeof w.value !== 'string') {
        if (p.value !== undefined && w.value !== undefined) out.push(find(e.range, 'error', l10n.t('param_name and weight_name must be strings.')));
        continue;
      }
      const param = strip(p.value);
      const weight = strip(w.value);
      if (!stackedWeights.has(param)) stackedWeights.set(param, new Set());
      stackedWeights.get(param)!.add(weight);
      if (!byScope.has(s.scope)) byScope.set(s.scope, new Map());
      const sc = byScope.get(s.scope)!;
      if (!sc.has(param)) sc.set(param, new Set());
      sc.get(param)!.add(weight);
      if (id.value === undefined) continue;
      if (param.endsWith('qkv_proj')) {
        if (typeof id.value !== 'string' || !QKV.includes(id.value)) {
          const own = ownLoaderVerdict(param, String(id.value), loaders);
          if (own === 'own-loader') out.push(find(id.range, 'warning', l10n.t('Shard id {1} of `{0}` is not one QKVParallelLinear takes ("q", "k", "v"); the layer built for it has its own weight_loader — check that it accepts {1}.', p.value, JSON.stringify(id.value))));
          else if (!own) out.push(find(id.range, 'error', l10n.t('Shard id of `{0}` must be "q", "k" or "v"; got {1}.', p.value, JSON.stringify(id.value))));
          continue;
        }
        const expect = /(^|[._])([qkv])_proj$/.exec(weight)?.[2];
        if (expect && expect !== id.value) out.push(find(id.range, 'warning', l10n.t('`{0}` is loaded as shard "{1}" but its name says "{2}".', w.value, String(id.value), expect)));
      } else if (param.endsWith('gate_up_proj')) {
        if (id.value !== 0 && id.value !== 1) {
          const own = ownLoaderVerdict(param, String(id.value), loaders);
          if (own === 'own-loader') out.push(find(id.range, 'warning', l10n.t('Shard id {1} of `{0}` is not one MergedColumnParallelLinear takes (0, 1); the layer built for it has its own weight_loader — check that it accepts {1}.', p.value, JSON.stringify(id.value))));
          else if (!own) out.push(find(id.range, 'error', l10n.t('Shard id of `{0}` must be 0 (gate) or 1 (up); got {1}.', p.value, JSON.stringify(id.value))));
          continue;
        }
        const expect = /gate_proj$/.test(weight) ? 0 : /up_proj$/.test(weight) ? 1 : undefined;
        if (expect !== undefined && expect !== id.value) out.push(find(id.range, 'warning', l10n.t('`{0}` is loaded as shard "{1}" but its name says "{2}".', w.value, String(id.value), String(expect))));
      }
      const key = `${param}\u0000${String(id.value)}\u0000${weight}`;
      const dupKey = `${param}\u0000${String(id.value)}`;
      if (seen.has(key)) out.push(find(e.range, 'warning', l10n.t('Duplicate stacked_params_mapping entry for `{0}` shard {1}.', p.value, JSON.stringify(id.value))));
      seen.set(key, e.range);
      if (!shards.has(param)) shards.set(param, new Set());
      shards.get(param)!.add(dupKey.split('\u0000')[1]);
    }
    for (const [param, got] of shards) {
      const want = param.endsWith('qkv_proj') ? QKV : param.endsWith('gate_up_proj') ? ['0', '1'] : undefined;
      const missing = want?.filter((x) => !got.has(x)) ?? [];
      if (missing.length) out.push(find(s.range, 'warning', l10n.t('`{0}` is stacked from shards {1} but shard(s) {2} are never loaded.', param, [...got].join(', '), missing.join(', '))));
    }
  }
  const packedMembers = new Map<string, string[]>();
  for (const p of facts.packed) {
    for (const e of p.entries) {
      if (!e.members || e.members.some((m) => typeof m.value !== 'string')) {
        out.push(find(e.keyRange, 'error', l10n.t('packed_modules_mapping["{0}"] must be a list of module names.', e.key)));
        continue;
      }
      const members = e.members.map((m) => m.value as string);
      packedMembers.set(e.key, members);
      const want = e.key === 'qkv_proj' ? ['q_proj', 'k_proj', 'v_proj'] : e.key === 'gate_up_proj' ? ['gate_proj', 'up_proj'] : undefined;
      // only the standard names in another order are a mistake; other names are the model's own (w1/w3, query/key/value, a fused checkpoint)
      const permuted = want && members.length === want.length && want.every((w) => members.includes(w)) && JSON.stringify(members) !== JSON.stringify(want);
      if (want && permuted) {
        out.push(find(e.keyRange, 'error', l10n.t('packed_modules_mapping["{0}"] must list {1} in this order (the shard order of the fused weight); got {2}.', e.key, JSON.stringify(want), JSON.stringify(members)), MODELSLIM_SRC));
      }
      const scoped = byScope.get(p.scope);
      if (scoped && want && members.every((m) => want.includes(m))) {
        const loaded = scoped.get(e.key);
        const notLoaded = members.filter((m) => !loaded?.has(m));
        if (notLoaded.length) out.push(find(e.keyRange, 'information', l10n.t('packed_modules_mapping packs {0} into `{1}`, but stacked_params_mapping does not load {2} into it.', members.join(', '), e.key, notLoaded.join(', '))));
      }
    }
  }
  for (const x of facts.experts) {
    const arity = commonArity(x.literalEntries ?? []);
    if (arity !== undefined && arity !== 4) continue;
    for (const e of x.literalEntries ?? []) {
      if (e.malformed || e.elems.length !== 4) {
        out.push(find(e.range, 'error', l10n.t('Each expert mapping entry is (param_name, weight_name, expert_id, shard_id); this one has {0} element(s).', String(e.elems.length))));
        continue;
      }
      const shard = e.elems[3].value;
      if (shard !== undefined && !['w1', 'w2', 'w3'].includes(String(shard))) {
        out.push(find(e.elems[3].range, 'error', l10n.t('Expert shard id must be "w1" (gate), "w2" (down) or "w3" (up); got {0}.', JSON.stringify(shard))));
      }
    }
  }
  if (index) out.push(...checkAgainstIndex(facts, packedMembers, stackedWeights, index));
  return out;
}

function leafOf(name: string): string {
  const parts = name.split('.');
  return parts.length >= 2 ? parts[parts.length - 2] : name;
}

function checkAgainstIndex(facts: MappingFacts, packed: Map<string, string[]>, stacked: Map<string, Set<string>>, index: { names: string[]; file: string }): Finding[] {
  const out: Finding[] = [];
  const anchor = facts.stacked[0]?.range ?? facts.packed[0]?.range ?? facts.experts[0]?.range;
  if (!anchor) return out;
  const members = new Set<string>([...packed.values()].flat());
  for (const set of stacked.values()) for (const w of set) members.add(w.split('.').pop()!);
  const loadedBy = new Set<string>();
  for (const set of stacked.values()) for (const w of set) loadedBy.add(w.split('.').pop()!);
  const expertProj = new Set<string>();
  let hasExpertMapping = false;
  for (const x of facts.experts) {
    hasExpertMapping = true;
    for (const p of x.projNames) expertProj.add(p);
    for (const e of x.literalEntries ?? []) if (typeof e.elems[1]?.value === 'string') expertProj.add(leafOf(String(e.elems[1].value) + 'x'));
  }
  const unmapped: string[] = [];
  for (const name of index.names) {
    const leaf = leafOf(name);
    if (/\.experts\.\d+\./.test(name)) {
      if (!hasExpertMapping || (expertProj.size > 0 && !expertProj.has(leaf))) unmapped.push(name);
      continue;
    }
    if (members.has(leaf) && !loadedBy.has(leaf)) unmapped.push(name);
  }
  if (unmapped.length) {
    const msg = l10n.t(
      '{0} checkpoint weight(s) in {1} are not mapped onto a model parameter (e.g. {2}); add the missing stacked / expert mapping entries or loading fails.',
      String(unmapped.length),
      index.file,
      unmapped.slice(0, 3).join(', '),
    );
    out.push(find(anchor, 'error', msg));
  }
  for (const s of facts.stacked) {
    for (const e of s.entries) {
      const w = e.elems[1];
      if (!w || typeof w.value !== 'string') continue;
      const weight = strip(w.value);
      if (!index.names.some((n) => n.includes(`.${weight}.`) || n.startsWith(`${weight}.`))) {
        out.push({ ...find(w.range, 'information', l10n.t('`{0}` matches no weight in {1} (fine if the checkpoint stores this module fused).', w.value, index.file)) });
      }
    }
  }
  return out;
}

export { shiftFinding };
