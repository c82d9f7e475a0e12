import * as l10n from '@vscode/l10n';
import type { Node } from 'web-tree-sitter';
import {
  CUDA_API_ROWS,
  CUDA_KERNEL_MODULES,
  CUDA_KERNELS,
  CUDA_LIBRARIES,
  CUSTOM_OP_SRC,
  DEVICE_STRING,
  FLOAT64,
  NCCL_BACKEND,
  TORCH_NPU_MEMBERS,
} from '../knowledge/cuda';
import { say } from '../knowledge/text';
import { findOp, TORCH_NPU_OPS, type TorchNpuOp } from '../knowledge/torch-npu-ops';
import { range, type Finding, type Fix, type Position, type Range, type Severity } from './types';

/**
 * Python rules (cuda-api, cuda-kernel, cuda-library, npu-op-constraint) over a tree-sitter tree.
 *
 * The analysis is token-driven: a regular expression finds the few places that can matter (`cuda`,
 * `_custom_ops`, `torch_npu`, `float64`, import-bound aliases …); each hit is resolved through the syntax
 * tree (so strings and comments never fire, and the receiver / import alias decides what a name means).
 * Cost is proportional to the hits, not to the size of the file — the server re-runs it per edit.
 *
 * All functions work on a (sub)tree whose text is `text`, with positions relative to that text; the
 * document layer shifts them (the server parses a document as independent top-level chunks).
 */

export interface ImportInfo {
  /** Name bound in the module ('' for `from x import *`). */
  local: string;
  /** What that name means, e.g. ops → vllm._custom_ops. */
  qualified: string;
  /** The module path as written in the import (for library checks). */
  module: string;
  range: Range;
  inTry: boolean;
  topLevel: boolean;
  /** Line after the statement (for inserting imports). */
  endLine: number;
}

export interface PyContext {
  aliases: Map<string, string>;
  importsTorchNpu: boolean;
  /** Imports torch_npu or vllm_ascend: written for the NPU already. */
  npuNative: boolean;
  transferToNpu: boolean;
  /** Imports torch / vllm / vllm_ascend / torch_npu: analysed by default. */
  relevant: boolean;
  /** A local name bound to `torch`, if any. */
  torchAlias?: string;
  /** Line where `import torch_npu` goes. */
  insertLine: number;
  /** Extra tokens (aliases of interesting things) to look for. */
  aliasTokens: string[];
  key: string;
}

// ---------------------------------------------------------------------------------------------------
// Small tree helpers

export function nodeRange(n: Node): Range {
  return range(n.startPosition.row, n.startPosition.column, n.endPosition.row, n.endPosition.column);
}

/**
 * Parents of the node being looked at. tree-sitter ≥ 0.24 finds a node's parent by descending from the
 * tree root, scanning every top-level statement on the way — slow in a long file. So each hit gets its
 * ancestor path once: binary search for the top-level statement, then childWithDescendant down to it.
 */
class Ancestry {
  private readonly parents = new Map<number, Node>();
  constructor(root: Node, tops: Node[], target: Node) {
    let lo = 0;
    let hi = tops.length - 1;
    let stmt: Node | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = tops[mid];
      if (t.startIndex > target.startIndex) hi = mid - 1;
      else if (t.endIndex < target.endIndex) lo = mid + 1;
      else {
        stmt = t;
        break;
      }
    }
    let cur = root;
    if (stmt && stmt.id !== target.id) {
      this.parents.set(stmt.id, root);
      cur = stmt;
    }
    for (let guard = 0; cur.id !== target.id && guard < 500; guard++) {
      const next = cur.childWithDescendant(target);
      if (!next) break;
      this.parents.set(next.id, cur);
      cur = next;
    }
    if (stmt && stmt.id === target.id) this.parents.set(stmt.id, root);
  }
  parent(n: Node): Node | null {
    return this.parents.get(n.id) ?? n.parent;
  }
}

let ancestry: Ancestry | undefined;
/** The parent of `n` (through the current hit's ancestry when there is one). */
function up(n: Node): Node | null {
  return ancestry ? ancestry.parent(n) : n.parent;
}

function topsOf(root: Node): Node[] {
  return root.namedChildren.filter((x): x is Node => !!x);
}

function inTry(n: Node): boolean {
  for (let p = up(n); p; p = up(p)) if (p.type === 'try_statement') return true;
  return false;
}

function isTopLevel(n: Node): boolean {
  const p = up(n);
  return !!p && p.type === 'module';
}

/** a.b.c as text when the expression is a pure dotted name, else undefined. */
function dotted(n: Node): string | undefined {
  if (n.type === 'identifier') return n.text;
  if (n.type === 'attribute') {
    const o = n.childForFieldName('object');
    const a = n.childForFieldName('attribute');
    if (!o || !a) return undefined;
    const base = dotted(o);
    return base === undefined ? undefined : `${base}.${a.text}`;
  }
  return undefined;
}

/** The qualified name an expression refers to through imports (torch.cuda.synchronize), if knowable. */
export function qualify(n: Node, ctx: PyContext): string | undefined {
  const d = dotted(n);
  if (d === undefined) return undefined;
  const dot = d.indexOf('.');
  const head = dot < 0 ? d : d.slice(0, dot);
  const q = ctx.aliases.get(head);
  if (q === undefined) return undefined;
  return dot < 0 ? q : q + d.slice(dot);
}

/** The literal value of a string / integer / bool node, when it is a plain literal. */
export function literal(n: Node | null): string | number | boolean | undefined {
  if (!n) return undefined;
  if (n.type === 'integer') {
    const v = Number(n.text.replace(/_/g, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.type === 'unary_operator' && n.text.startsWith('-')) {
    const a = n.childForFieldName('argument');
    const v = literal(a);
    return typeof v === 'number' ? -v : undefined;
  }
  if (n.type === 'true') return true;
  if (n.type === 'false') return false;
  if (n.type === 'string') return stringValue(n);
  return undefined;
}

/** Content of a plain (non-f, non-concatenated, no escapes) string literal. */
export function stringValue(n: Node): string | undefined {
  if (n.type !== 'string') return undefined;
  let out = '';
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (c.type === 'string_start') {
      if (/[fF]/.test(c.text)) return undefined;
    } else if (c.type === 'string_content') out += c.text;
    else if (c.type === 'string_end') continue;
    else return undefined; // interpolation, escape sequences
  }
  return out;
}

function stringContentRange(n: Node): Range | undefined {
  const c = n.namedChildren.find((x) => x?.type === 'string_content');
  return c ? nodeRange(c) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Imports → context

const IMPORT_RE = /^[ \t]*(?:from|import)[ \t\\]/gm;

export function collectImports(root: Node, text: string): ImportInfo[] {
  try {
    return importsOf(root, text);
  } finally {
    ancestry = undefined;
  }
}

function importsOf(root: Node, text: string): ImportInfo[] {
  const out: ImportInfo[] = [];
  const seen = new Set<number>();
  const tops = topsOf(root);
  for (const m of text.matchAll(IMPORT_RE)) {
    const at = m.index + m[0].search(/\S/);
    let n: Node | null = root.descendantForIndex(at, at + 1);
    if (!n) continue;
    ancestry = new Ancestry(root, tops, n);
    while (n && n.type !== 'import_statement' && n.type !== 'import_from_statement' && n.type !== 'module') n = up(n);
    if (!n || n.type === 'module' || seen.has(n.startIndex)) continue;
    seen.add(n.startIndex);
    const base = { inTry: inTry(n), topLevel: isTopLevel(n), endLine: n.endPosition.row + 1 };
    ancestry = undefined;
    if (n.type === 'import_statement') {
      for (const c of n.childrenForFieldName('name')) {
        if (!c) continue;
        if (c.type === 'dotted_name') {
          const mod = c.text.replace(/\s+/g, '');
          out.push({ local: mod.split('.')[0], qualified: mod.split('.')[0], module: mod, range: nodeRange(c), ...base });
        } else if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name');
          const alias = c.childForFieldName('alias');
          if (!name || !alias) continue;
          const mod = name.text.replace(/\s+/g, '');
          out.push({ local: alias.text, qualified: mod, module: mod, range: nodeRange(name), ...base });
        }
      }
    } else {
      const modNode = n.childForFieldName('module_name');
      if (!modNode) continue;
      const mod = modNode.text.replace(/\s+/g, '');
      const relative = modNode.type === 'relative_import';
      const names = n.childrenForFieldName('name').filter((x): x is Node => !!x);
      if (names.length === 0) out.push({ local: '', qualified: mod, module: mod, range: nodeRange(modNode), ...base });
      for (const c of names) {
        const nameNode = c.type === 'aliased_import' ? c.childForFieldName('name') : c;
        const aliasNode = c.type === 'aliased_import' ? c.childForFieldName('alias') : c;
        if (!nameNode || !aliasNode) continue;
        const q = relative ? '' : `${mod}.${nameNode.text}`;
        out.push({ local: aliasNode.text, qualified: q, module: relative ? mod : q, range: nodeRange(relative ? modNode : c), ...base });
      }
    }
  }
  return out;
}

const INTERESTING_PREFIXES = ['torch.cuda', 'torch.backends', 'torch.ops', 'torch_npu', 'torch.float64', 'torch.double', 'torch.device', 'torch.set_default_device', ...CUDA_KERNEL_MODULES];
const BASE_TOKENS = ['cuda', '_custom_ops', '_C', '_C_cache_ops', '_moe_C', '_C_custom_ar', 'torch_npu', 'float64', 'double', 'nccl', 'cudnn', 'DoubleTensor'];
const ROOTS = new Set(['torch', 'vllm', 'vllm_ascend', 'torch_npu']);

export function buildContext(imports: ImportInfo[]): PyContext {
  const aliases = new Map<string, string>();
  let insertLine = 0;
  for (const i of imports) {
    if (i.local && i.qualified) aliases.set(i.local, i.qualified);
    if (i.topLevel && !i.inTry) insertLine = Math.max(insertLine, i.endLine);
  }
  const mods = imports.map((i) => i.module);
  const importsTorchNpu = mods.some((m) => m === 'torch_npu' || m.startsWith('torch_npu.'));
  const npuNative = importsTorchNpu || mods.some((m) => m === 'vllm_ascend' || m.startsWith('vllm_ascend.'));
  const transferToNpu = mods.some((m) => m.startsWith('torch_npu.contrib.transfer_to_npu'));
  const relevant = mods.some((m) => ROOTS.has(m.split('.')[0]));
  let torchAlias: string | undefined;
  for (const [k, v] of aliases) if (v === 'torch' && (torchAlias === undefined || k === 'torch')) torchAlias = k;
  const aliasTokens = [...aliases]
    .filter(([k, v]) => !BASE_TOKENS.includes(k) && INTERESTING_PREFIXES.some((p) => v === p || v.startsWith(p + '.')))
    .map(([k]) => k)
    .sort();
  const key = JSON.stringify([[...aliases].sort(), importsTorchNpu, npuNative, transferToNpu, insertLine, torchAlias]);
  return { aliases, importsTorchNpu, npuNative, transferToNpu, relevant, torchAlias, insertLine, aliasTokens, key };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenRegex(ctx: PyContext): RegExp {
  const words = [...BASE_TOKENS, ...ctx.aliasTokens].map(escapeRe);
  return new RegExp(`\\b(?:${words.join('|')}|npu_\\w+)\\b`, 'g');
}

// ---------------------------------------------------------------------------------------------------
// Findings

function addImportFix(ctx: PyContext): Fix | undefined {
  if (ctx.importsTorchNpu) return undefined;
  const at = { line: ctx.insertLine, character: 0 };
  return { title: l10n.t('Add `import torch_npu`'), edits: [{ range: { start: at, end: at }, newText: 'import torch_npu\n' }] };
}

function replaceFix(r: Range, from: string, to: string, preferred = true): Fix {
  return { title: l10n.t('Replace `{0}` with `{1}`', from, to), edits: [{ range: r, newText: to }], preferred };
}

function withFixes(...fixes: (Fix | undefined)[]): Fix[] {
  return fixes.filter((f): f is Fix => !!f);
}

function hoverFor(message: string, source: string, href: string): string {
  return `${message}\n\n${l10n.t('Source')}: [${source}](${href})`;
}

function finding(
  r: Range,
  severity: Severity,
  code: Finding['code'],
  message: string,
  src: { source: string; href: string },
  fixes: Fix[] = [],
): Finding {
  return { range: r, severity, code, message, source: src.source, href: src.href, fixes, hover: hoverFor(message, src.source, src.href) };
}

/** Climbs from an identifier to the outermost attribute chain it belongs to. */
function chainTop(n: Node): Node {
  let top = n;
  for (let p = up(top); p && p.type === 'attribute' && p.childForFieldName('object')?.startIndex === top.startIndex; p = up(top)) top = p;
  // the identifier may be the `attribute` field (x.cuda): its chain is the parent attribute
  const p = up(n);
  if (top === n && p?.type === 'attribute' && p.childForFieldName('attribute')?.startIndex === n.startIndex) {
    return chainTop(p);
  }
  return top;
}

function callOf(fn: Node): Node | undefined {
  const p = up(fn);
  return p && p.type === 'call' && p.childForFieldName('function')?.startIndex === fn.startIndex ? p : undefined;
}

function isBindingSite(n: Node): boolean {
  const p = up(n);
  if (!p) return true;
  if (p.type === 'keyword_argument' && p.childForFieldName('name')?.startIndex === n.startIndex) return true;
  if ((p.type === 'function_definition' || p.type === 'class_definition') && p.childForFieldName('name')?.startIndex === n.startIndex) return true;
  if (p.type === 'parameters' || p.type === 'default_parameter' || p.type === 'typed_parameter' || p.type === 'typed_default_parameter') {
    return p.type === 'parameters' || p.childForFieldName('name')?.startIndex === n.startIndex || p.firstNamedChild?.startIndex === n.startIndex;
  }
  for (let a: Node | null = p; a; a = up(a)) {
    if (a.type === 'import_statement' || a.type === 'import_from_statement') return true;
    if (a.type === 'block' || a.type === 'module' || a.type === 'expression_statement') break;
  }
  return false;
}

/** Replaces `torch.cuda.<rest>` by the NPU spelling; undefined when no torch alias is in scope. */
function npuSpelling(q: string, member: string, npuMember: string, ctx: PyContext): string | undefined {
  if (!ctx.torchAlias) return undefined;
  const rest = q.slice(`torch.cuda.${member}`.length);
  return `${ctx.torchAlias}.npu.${npuMember}${rest}`;
}

function analyzeChain(top: Node, ctx: PyContext, out: Finding[]): void {
  const q = qualify(top, ctx);
  const r = nodeRange(top);
  const downgrade = ctx.transferToNpu;
  if (q !== undefined) {
    const row = CUDA_API_ROWS.find((x) => q === x.name || q.startsWith(x.name + '.'));
    if (row) {
      out.push(finding(r, row.severity, 'cuda-api', l10n.t('`{0}`: {1}', q, say(row.advice)), row));
      return;
    }
    if (q === 'torch.cuda' || q.startsWith('torch.cuda.')) {
      // `torch.cuda.X = torch.npu.X`: a redirect written for the NPU, not a CUDA call
      const asg = up(top);
      if (asg && asg.type === 'assignment' && asg.childForFieldName('left')?.startIndex === top.startIndex) return;
      const member = q.split('.')[2];
      const m = member ? TORCH_NPU_MEMBERS.find((x) => x.cuda === member) : undefined;
      const sev: Severity = downgrade ? 'information' : 'error';
      const tail = downgrade ? ' ' + l10n.t('(torch_npu.contrib.transfer_to_npu redirects it at run time, but prefer the NPU name.)') : '';
      if (m && member) {
        const to = npuSpelling(q, member, m.npu, ctx);
        const npuName = `torch.npu.${m.npu}${q.slice(`torch.cuda.${member}`.length)}`;
        const msg = l10n.t('`{0}` is CUDA-only; on Ascend use `{1}`.', q, npuName) + tail;
        out.push(finding(r, sev, 'cuda-api', msg, m, withFixes(to ? replaceFix(r, top.text, to) : undefined, addImportFix(ctx))));
      } else {
        const msg = l10n.t('`{0}` is CUDA-only and has no torch.npu counterpart; remove it or use the Ascend equivalent.', q) + tail;
        out.push(finding(r, sev, 'cuda-api', msg, TORCH_NPU_MEMBERS[0]));
      }
      return;
    }
    const kmod = CUDA_KERNEL_MODULES.find((m) => q.startsWith(m + '.'));
    if (kmod) {
      const kernel = q.slice(kmod.length + 1).split('.')[0];
      const row = CUDA_KERNELS.find((k) => k.names.includes(kernel));
      const msg = row
        ? l10n.t('`{0}` calls a CUDA kernel that vLLM-Ascend does not build (there is no vllm._C on the NPU); use {1}.', q, row.replacement) +
          (row.note ? ' ' + say(row.note) : '')
        : l10n.t('`{0}` calls a CUDA kernel that vLLM-Ascend does not build (there is no vllm._C on the NPU); use the vLLM layer class or a torch_npu op.', q);
      out.push(finding(r, 'error', 'cuda-kernel', msg, row ?? CUSTOM_OP_SRC));
      return;
    }
    if (q === 'torch.float64' || q === 'torch.double') {
      const to = `${ctx.torchAlias ?? 'torch'}.float32`;
      out.push(finding(r, 'information', 'npu-op-constraint', l10n.t('float64 is not supported on the NPU; use float32.'), FLOAT64, withFixes(replaceFix(r, top.text, to, false))));
      return;
    }
    if (q.startsWith('torch_npu.')) {
      const call = callOf(top);
      const op = findOp(q.split('.')[1] ?? '');
      if (call && op) checkOpCall(op, call, out);
      return;
    }
  }
  // x.cuda() on a tensor / module: fire when the receiver is not a known non-torch module
  const attr = top.type === 'attribute' ? top.childForFieldName('attribute') : null;
  const obj = top.type === 'attribute' ? top.childForFieldName('object') : null;
  if (attr && obj && attr.text === 'cuda' && callOf(top)) {
    const oq = qualify(obj, ctx);
    if (oq !== undefined && !oq.startsWith('torch')) return; // numba.cuda, cupy.cuda …
    if (oq === 'torch') return;
    const ar = nodeRange(attr);
    const msg = l10n.t('`.cuda()` moves data to a CUDA device, which does not exist on an Ascend NPU; use `.npu()`.');
    out.push(finding(ar, downgrade ? 'information' : 'error', 'cuda-api', msg, DEVICE_STRING, withFixes(replaceFix(ar, 'cuda', 'npu'), addImportFix(ctx))));
  }
}

const DEVICE_KWARGS = new Set(['device', 'device_type', 'map_location', 'device_map']);
const DEVICE_FUNCS = new Set(['torch.device', 'torch.set_default_device', 'torch.npu.set_device', 'torch.cuda.set_device', 'torch.autocast', 'torch.empty', 'torch.zeros', 'torch.ones', 'torch.tensor']);

function analyzeString(str: Node, ctx: PyContext, out: Finding[]): void {
  const v = stringValue(str);
  if (v === undefined) return;
  const cr = stringContentRange(str);
  if (!cr) return;
  const p = up(str);
  if (!p) return;
  const isCuda = /^cuda(:\d+)?$/.test(v);
  const isNccl = v === 'nccl';
  if (!isCuda && !isNccl) return;
  let kw: string | undefined;
  let call: Node | undefined;
  let positional = -1;
  if (p.type === 'keyword_argument') {
    kw = p.childForFieldName('name')?.text;
    const al = up(p);
    const c = al ? up(al) : null;
    if (al?.type === 'argument_list' && c?.type === 'call') call = c;
  } else if (p.type === 'argument_list' && up(p)?.type === 'call') {
    call = up(p)!;
    positional = p.namedChildren.filter((x) => x && x.type !== 'keyword_argument' && x.type !== 'comment').findIndex((x) => x?.startIndex === str.startIndex);
  } else if ((p.type === 'default_parameter' || p.type === 'typed_default_parameter') && isCuda) {
    kw = p.childForFieldName('name')?.text;
    if (kw !== undefined && DEVICE_KWARGS.has(kw)) pushDevice();
    return;
  } else return;
  const fn = call?.childForFieldName('function');
  const fq = fn ? qualify(fn, ctx) : undefined;
  const fname = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  if (isCuda) {
    if ((kw !== undefined && DEVICE_KWARGS.has(kw)) || (positional === 0 && (fname === 'to' || (fq !== undefined && DEVICE_FUNCS.has(fq)) || fname === 'device'))) pushDevice();
    return;
  }
  if (isNccl && (kw === 'backend' || (positional === 0 && (fname === 'init_process_group' || fname === 'new_group')))) {
    const msg = l10n.t('The "nccl" backend does not exist on Ascend; use "hccl".');
    out.push(finding(cr!, 'error', 'cuda-library', msg, NCCL_BACKEND, withFixes(replaceFix(cr!, 'nccl', 'hccl'))));
  }
  function pushDevice() {
    const to = v!.replace(/^cuda/, 'npu');
    const msg = l10n.t('Device "{0}" does not exist on an Ascend NPU; use "{1}".', v!, to);
    out.push(finding(cr!, ctx.transferToNpu ? 'information' : 'error', 'cuda-api', msg, DEVICE_STRING, withFixes(replaceFix(cr!, v!, to), addImportFix(ctx))));
  }
}

function checkOpCall(op: TorchNpuOp, call: Node, out: Finding[]): void {
  const al = call.childForFieldName('arguments');
  if (!al || al.type !== 'argument_list') return;
  const args = al.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment');
  const positional = op.params.filter((p) => !p.keywordOnly);
  const values = new Map<string, { value: string | number | boolean | undefined; node: Node }>();
  let pi = 0;
  for (const a of args) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name');
      const val = a.childForFieldName('value');
      if (!name || !val) continue;
      const param = op.params.find((p) => p.name === name.text);
      if (!param) {
        if (op.complete) {
          const msg = l10n.t('`{0}` has no keyword argument `{1}`; documented parameters: {2}.', `torch_npu.${op.name}`, name.text, op.params.map((p) => p.name).join(', '));
          out.push(finding(nodeRange(name), 'warning', 'npu-op-constraint', msg, op));
        }
        continue;
      }
      values.set(param.name, { value: literal(val), node: val });
    } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') {
      return; // *args / **kwargs: nothing is knowable
    } else {
      const param = positional[pi++];
      if (param) values.set(param.name, { value: literal(a), node: a });
    }
  }
  for (const param of op.params) {
    const got = values.get(param.name);
    if (!got || got.value === undefined) continue;
    const v = got.value;
    if (param.values && !param.values.includes(v as string | number)) {
      const msg = l10n.t('`{0}` of `{1}` must be one of {2}; got {3}.', param.name, `torch_npu.${op.name}`, param.values.map((x) => JSON.stringify(x)).join(', '), JSON.stringify(v));
      const fix = typeof v === 'string' && param.values.length && typeof param.values[0] === 'string' ? closest(v, param.values as string[]) : undefined;
      const cr = got.node.type === 'string' ? stringContentRange(got.node) : undefined;
      out.push(finding(nodeRange(got.node), 'error', 'npu-op-constraint', msg, op, withFixes(fix && cr ? replaceFix(cr, v as string, fix) : undefined)));
    } else if (typeof v === 'number' && ((param.min !== undefined && v < param.min) || (param.max !== undefined && v > param.max))) {
      const msg = l10n.t('`{0}` of `{1}` must be between {2} and {3}; got {4}.', param.name, `torch_npu.${op.name}`, String(param.min ?? '-∞'), String(param.max ?? '∞'), String(v));
      out.push(finding(nodeRange(got.node), 'error', 'npu-op-constraint', msg, op));
    }
  }
  if (op.checks.includes('heads-divisible')) {
    const h = values.get('num_heads')?.value;
    const kvEntry = values.get('num_key_value_heads') ?? values.get('num_kv_heads');
    const kv = kvEntry?.value;
    if (typeof h === 'number' && typeof kv === 'number' && kv > 0 && h % kv !== 0) {
      const msg = l10n.t('`{0}`: num_heads ({1}) must be a multiple of the number of KV heads ({2}).', `torch_npu.${op.name}`, String(h), String(kv));
      out.push(finding(nodeRange(kvEntry!.node), 'error', 'npu-op-constraint', msg, op));
    }
  }
}

function closest(v: string, options: string[]): string | undefined {
  const lv = v.toLowerCase();
  return options.find((o) => o.toLowerCase() === lv) ?? options.find((o) => o.startsWith(lv) || lv.startsWith(o));
}

/** cuda-library findings on import statements. */
function analyzeImports(imports: ImportInfo[], ctx: PyContext, out: Finding[]): void {
  for (const i of imports) {
    const mods = [i.module];
    for (const mod of mods) {
      const row = CUDA_LIBRARIES.find((l) => l.modules.some((m) => mod === m || mod.startsWith(m + '.')));
      if (!row) continue;
      if (row.quietWhenNpuNative && ctx.npuNative) continue;
      const sev: Severity = i.inTry ? 'information' : row.severity;
      const msg =
        l10n.t('`{0}` is a CUDA-only library that is not available on Ascend; use {1}.', mod, row.replacement) + (row.note ? ' ' + say(row.note) : '') + (i.inTry ? ' ' + l10n.t('(guarded by try: the fallback path is what runs on the NPU.)') : '');
      out.push(finding(i.range, sev, 'cuda-library', msg, row));
      break;
    }
  }
}

/** All Python findings for a (sub)tree. `imports` are the ones collected from this same subtree. */
export function analyzePython(root: Node, text: string, ctx: PyContext, imports: ImportInfo[]): Finding[] {
  try {
    return analyzeHits(root, text, ctx, imports);
  } finally {
    ancestry = undefined;
  }
}

function analyzeHits(root: Node, text: string, ctx: PyContext, imports: ImportInfo[]): Finding[] {
  const out: Finding[] = [];
  analyzeImports(imports, ctx, out);
  const seen = new Set<string>();
  const re = tokenRegex(ctx);
  const tops = topsOf(root);
  for (const m of text.matchAll(re)) {
    const n = root.descendantForIndex(m.index, m.index + m[0].length);
    if (!n) continue;
    ancestry = new Ancestry(root, tops, n);
    if (n.type === 'identifier') {
      if (isBindingSite(n)) continue;
      const top = chainTop(n);
      const key = `${top.startIndex}:${top.endIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      analyzeChain(top, ctx, out);
    } else if (n.type === 'string_content' || n.type === 'string') {
      const str = n.type === 'string' ? n : up(n);
      if (!str || str.type !== 'string') continue;
      const key = `s${str.startIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      analyzeString(str, ctx, out);
    }
  }
  ancestry = undefined;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Hover and completion

export function opHover(op: TorchNpuOp): string {
  const lines = [`**torch_npu.${op.name}** — ${say(op.purpose)}`, '', '```python', op.signature, '```'];
  if (op.constraints.length) {
    lines.push('', `**${l10n.t('Constraints')}**`, ...op.constraints.map((c) => `- ${say(c)}`));
  }
  if (op.replaces) lines.push('', `${l10n.t('Replaces')}: \`${op.replaces}\``);
  lines.push('', `${l10n.t('Source')}: [${op.source}](${op.href})`);
  return lines.join('\n');
}

/** Hover for the torch_npu op referenced at `index` (relative to the subtree's text), if any. */
export function hoverAt(root: Node, index: number, ctx: PyContext): { markdown: string; range: Range } | undefined {
  const n = root.descendantForIndex(index, index);
  if (!n || n.type !== 'identifier') return undefined;
  let top: Node;
  try {
    ancestry = new Ancestry(root, topsOf(root), n);
    top = chainTop(n);
  } finally {
    ancestry = undefined;
  }
  const q = qualify(top, ctx);
  if (!q || !q.startsWith('torch_npu.')) return undefined;
  const op = findOp(q.split('.')[1] ?? '');
  return op ? { markdown: opHover(op), range: nodeRange(top) } : undefined;
}

export interface KeywordCompletion {
  label: string;
  insertText: string;
  detail: string;
  documentation: string;
}

/**
 * Keyword arguments of the torch_npu op whose argument list encloses `offset` in `text`. Text-based so it
 * works while the call is still unfinished (the tree then has an ERROR there).
 */
export function keywordCompletions(text: string, offset: number, ctx: PyContext): KeywordCompletion[] {
  // `torch_npu.` (or an alias) followed by a partial name: the documented ops
  const member = /([A-Za-z_]\w*)\.(\w*)$/.exec(text.slice(Math.max(0, offset - 200), offset));
  if (member && ctx.aliases.get(member[1]) === 'torch_npu') {
    return TORCH_NPU_OPS.filter((o) => o.name.startsWith(member[2]) || member[2] === '').map((o) => ({
      label: o.name,
      insertText: o.name,
      detail: o.signature,
      documentation: `${say(o.purpose)}\n\n${o.constraints.map((c) => `- ${say(c)}`).join('\n')}`,
    }));
  }
  let depth = 0;
  let i = offset - 1;
  const limit = Math.max(0, offset - 4000);
  for (; i >= limit; i--) {
    const ch = text[i];
    if (ch === ')' || ch === ']' || ch === '}') depth++;
    else if (ch === '(' || ch === '[' || ch === '{') {
      if (depth === 0) break;
      depth--;
    }
  }
  if (i < limit || text[i] !== '(') return [];
  const before = text.slice(Math.max(0, i - 200), i);
  const m = /([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*$/.exec(before);
  if (!m) return [];
  const name = m[1].replace(/\s+/g, '');
  const head = name.split('.')[0];
  const q = ctx.aliases.has(head) ? ctx.aliases.get(head)! + name.slice(head.length) : undefined;
  if (!q || !q.startsWith('torch_npu.')) return [];
  const op = findOp(q.split('.')[1] ?? '');
  if (!op) return [];
  const inside = text.slice(i + 1, offset);
  const used = new Set([...inside.matchAll(/([A-Za-z_]\w*)\s*=(?!=)/g)].map((x) => x[1]));
  return op.params
    .filter((p) => !used.has(p.name))
    .map((p) => ({
      label: `${p.name}=`,
      insertText: `${p.name}=`,
      detail: `${p.type}${p.values ? ` ∈ {${p.values.map((v) => JSON.stringify(v)).join(', ')}}` : ''}`,
      documentation: `torch_npu.${op.name}: ${say(op.purpose)}\n\n${op.signature}`,
    }));
}

export const KNOWN_OPS = TORCH_NPU_OPS.map((o) => o.name);
export type { Position };
