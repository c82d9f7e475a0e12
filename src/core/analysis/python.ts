import * as l10n from '@vscode/l10n';
import type { Node } from 'web-tree-sitter';
import { CUDA_API_ROWS, CUDA_KERNEL_MODULES, DEVICE_STRING, FLOAT64, libraryOf, NCCL_BACKEND, TORCH_NPU_MEMBERS } from '../knowledge/cuda';
import { say } from '../knowledge/text';
import { findOp } from '../knowledge/torch-npu-ops';
import { pickRelease, type ReleaseChoice } from '../knowledge/torch-npu-signatures';
import { placeOf, type Place } from './guards';
import { absolute, type ImportInfo } from './imports';
import { importsTransfer, knownOrigin, npuModule, type ModuleIndex, type ModuleRef, type Origin } from './modules';
import { checkNpuCall, keywordItems, npuOpName, opCompletions, opHover, type KeywordCompletion } from './npuops';
import { Ancestry, dotted, nodeRange, stringContentRange, stringValue, topsOf } from './pytree';
import { classVerdicts, type ClassVerdict, guardNote, placeFinding, type Emitted } from './rules';
import { redirectMembers, type ClassInfo, type ModuleSummary } from './summary';
import { type Finding, type Fix, type Position, type Range, type Severity } from './types';

/**
 * Python rules (cuda-api, cuda-kernel, cuda-library, npu-op-constraint) over a tree-sitter tree.
 *
 * The analysis is token-driven: a regular expression finds the few places that can matter (`cuda`,
 * `_custom_ops`, `torch_npu`, `float64`, import-bound aliases, names that reach a CUDA kernel through other
 * modules …); each hit is resolved through the syntax tree (so strings and comments never fire, and the
 * receiver / import alias decides what a name means) and placed (annotation, platform-guarded branch,
 * CustomOp.forward_cuda, NPU-native function). Cost is proportional to the hits, not to the size of the file —
 * the server re-runs it per edit.
 *
 * All functions work on a (sub)tree whose text is `text`, with positions relative to that text; the
 * document layer shifts them (the server parses a document as independent top-level chunks).
 */

export type { ImportInfo } from './imports';
export { collectImports } from './imports';
export { literal, nodeRange, stringValue } from './pytree';
export type { KeywordCompletion } from './npuops';

export interface PyContext {
  aliases: Map<string, string>;
  importsTorchNpu: boolean;
  /** Written for the NPU already: imports torch_npu / vllm_ascend / triton-ascend, or lives in a package that does. */
  npuNative: boolean;
  npuWhy?: string;
  /**
   * Where torch_npu.contrib.transfer_to_npu is imported, which sends torch.cuda.*, `.cuda()` and "cuda" devices
   * to the NPU at run time: '' = this file, else a module of its package; undefined = nowhere. Computed on first use.
   */
  transfer: () => string | undefined;
  /** Imports torch / vllm / vllm_ascend / torch_npu: analysed by default. */
  relevant: boolean;
  /** A local name bound to `torch`, if any. */
  torchAlias?: string;
  /** Line where `import torch_npu` goes. */
  insertLine: number;
  /** Extra tokens (aliases of interesting things) to look for. */
  aliasTokens: string[];
  /** Is torch.cuda.<member> redirected to the NPU in this file or its package ('*' = torch.cuda itself)? Computed on first use. */
  redirected: (member: string) => boolean;
  /** Imported names that reach a CUDA-only origin through workspace modules. */
  origins: Map<string, Origin>;
  /** Local names bound to workspace modules: `mod.attr` is resolved where it is used. */
  moduleAliases: Set<string>;
  resolve?: (q: string) => Origin | undefined;
  /** A class of this file: CustomOp subclass and its NPU override (for forward_cuda). Computed on first use. */
  classVerdict: (name: string) => ClassVerdict | undefined;
  release: ReleaseChoice;
  /** Dotted module name of the file, when it sits in a package. */
  moduleName?: string;
  /** A class defined in another workspace module (fused layers' loaders, CustomOp bases). */
  classOf?: (q: string) => ClassInfo | undefined;
  key: string;
}

/** What the context is built from besides the imports. */
export interface ContextEnv {
  module?: ModuleRef;
  index?: ModuleIndex;
  /** The file's own summary (classes, redirects), made on first use. */
  summary?: () => ModuleSummary;
  /**
   * Fold the file's redirects and class verdicts into `key` (chunked editor documents cache findings per
   * chunk by key; a one-shot analysis needs no key and skips that work).
   */
  keyed?: boolean;
  release?: ReleaseChoice;
}

const INTERESTING_PREFIXES = ['torch.cuda', 'torch.backends', 'torch.ops', 'torch_npu', 'torch.float64', 'torch.double', 'torch.device', 'torch.set_default_device', ...CUDA_KERNEL_MODULES];
const BASE_TOKENS = ['cuda', '_custom_ops', '_C', '_C_cache_ops', '_moe_C', '_C_custom_ar', 'oink', 'torch_npu', 'float64', 'double', 'nccl', 'cudnn', 'DoubleTensor'];
const ROOTS = new Set(['torch', 'vllm', 'vllm_ascend', 'torch_npu']);

function envNpu(imports: ImportInfo[], env: ContextEnv, mods: string[]): string | undefined {
  const own = mods.find((m, k) => !imports[k].inFunction && !imports[k].conditional && npuModule(m));
  if (own) return own;
  return env.module && env.index ? env.index.packageNpu(env.module.file) : undefined;
}

export function buildContext(imports: ImportInfo[], env: ContextEnv = {}): PyContext {
  const aliases = new Map<string, string>();
  let insertLine = 0;
  const ref = env.module;
  const mods = imports.map((i) => (i.level ? absolute(i, ref?.name, ref?.isPackage ?? false) : i.module));
  imports.forEach((i, k) => {
    const q = i.level ? mods[k] : i.qualified;
    if (i.local && q) aliases.set(i.local, q);
    if (i.topLevel && !i.inTry) insertLine = Math.max(insertLine, i.endLine);
  });
  const importsTorchNpu = mods.some((m) => m === 'torch_npu' || m.startsWith('torch_npu.'));
  const npuWhy = envNpu(imports, env, mods);
  const ownTransfer = imports.some((i, k) => importsTransfer({ module: mods[k], qualified: i.qualified }));
  const transfer = once(() => (ownTransfer ? '' : env.module && env.index ? env.index.packageTransfer(env.module.file) : undefined));
  const relevant = mods.some((m) => ROOTS.has(m.split('.')[0]));
  let torchAlias: string | undefined;
  for (const [k, v] of aliases) if (v === 'torch' && (torchAlias === undefined || k === 'torch')) torchAlias = k;
  const summary = once(() => env.summary?.());
  const redirects = once(() => {
    const r = redirectMembers(summary()?.redirects ?? [], aliases);
    if (env.module && env.index) for (const x of env.index.packageRedirects(env.module.file)) r.add(x);
    return r;
  });
  const origins = new Map<string, Origin>();
  const moduleAliases = new Set<string>();
  const index = npuWhy ? undefined : env.index; // NPU-native code: only direct CUDA use counts
  if (index) {
    for (const [local, q] of aliases) {
      if (INTERESTING_PREFIXES.some((p) => q === p || q.startsWith(p + '.')) || libraryOf(q)) continue;
      const o = index.resolve(q);
      if (o) origins.set(local, o);
      else if (index.fileOf(q)) moduleAliases.add(local);
    }
  }
  const classes = once(() => classVerdicts(summary(), aliases, env.index, ref));
  const aliasTokens = [...aliases]
    .filter(([k, v]) => !BASE_TOKENS.includes(k) && INTERESTING_PREFIXES.some((p) => v === p || v.startsWith(p + '.')))
    .map(([k]) => k)
    .concat([...origins.keys(), ...moduleAliases])
    .filter((k, i, a) => a.indexOf(k) === i)
    .sort();
  const release = env.release ?? pickRelease();
  // the key only matters to documents that cache findings per chunk (the editor's); a one-shot analysis skips it
  const key = env.keyed
    ? JSON.stringify([
        [...aliases].sort(), importsTorchNpu, npuWhy, transfer(), insertLine, torchAlias,
        [...origins].map(([k, o]) => `${k}=${o.name}`).sort(), [...moduleAliases].sort(), release.release.torchNpu, release.how, env.index?.generation,
        [...redirects()].sort(), [...classes()].map(([k, v]) => `${k}:${JSON.stringify(v)}`).sort(),
      ])
    : '';
  return {
    aliases, importsTorchNpu, npuNative: !!npuWhy, npuWhy, transfer, relevant, torchAlias, insertLine, aliasTokens,
    redirected: (m) => redirects().has('*') || redirects().has(m),
    origins, moduleAliases, resolve: index ? (q) => index.resolve(q) : undefined, classVerdict: (n) => classes().get(n), release, key, moduleName: ref?.name,
    classOf: env.index ? (q) => env.index!.classOf(q)?.info : undefined,
  };
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

function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenRegex(words: string[]): RegExp {
  return new RegExp(`\\b(?:${words.map(escapeRe).join('|')}|_?npu_\\w+)\\b`, 'g');
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

function finding(r: Range, severity: Severity, code: Finding['code'], message: string, src: { source: string; href: string }, fixes: Fix[] = []): Finding {
  return { range: r, severity, code, message, source: src.source, href: src.href, fixes, hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}

/** Climbs from an identifier to the outermost attribute chain it belongs to (along the hit's path). */
function chainTop(path: Node[]): { top: Node; at: number } {
  let at = path.length - 1;
  const n = path[at];
  // the identifier may be the `attribute` field (x.cuda): its chain is the parent attribute
  if (at > 0 && path[at - 1].type === 'attribute' && path[at - 1].childForFieldName('attribute')?.startIndex === n.startIndex) at--;
  while (at > 0 && path[at - 1].type === 'attribute' && path[at - 1].childForFieldName('object')?.startIndex === path[at].startIndex) at--;
  return { top: path[at], at };
}

function callOf(path: Node[], at: number): Node | undefined {
  const p = path[at - 1];
  return p && p.type === 'call' && p.childForFieldName('function')?.startIndex === path[at].startIndex ? p : undefined;
}

function isBindingSite(path: Node[]): boolean {
  const n = path[path.length - 1];
  const p = path[path.length - 2];
  if (!p) return true;
  if (p.type === 'keyword_argument' && p.childForFieldName('name')?.startIndex === n.startIndex) return true;
  if ((p.type === 'function_definition' || p.type === 'class_definition') && p.childForFieldName('name')?.startIndex === n.startIndex) return true;
  if (p.type === 'parameters' || p.type === 'default_parameter' || p.type === 'typed_parameter' || p.type === 'typed_default_parameter') {
    return p.type === 'parameters' || p.childForFieldName('name')?.startIndex === n.startIndex || p.firstNamedChild?.startIndex === n.startIndex;
  }
  for (let i = path.length - 2; i >= 0; i--) {
    const a = path[i];
    if (a.type === 'import_statement' || a.type === 'import_from_statement') return true;
    if (a.type === 'block' || a.type === 'module' || a.type === 'expression_statement') break;
  }
  return false;
}

/** Replaces `torch.cuda.<rest>` by the NPU spelling; undefined when no torch alias is in scope. */
function npuSpelling(q: string, member: string, npuMember: string, ctx: PyContext): string | undefined {
  if (!ctx.torchAlias) return undefined;
  return `${ctx.torchAlias}.npu.${npuMember}${q.slice(`torch.cuda.${member}`.length)}`;
}

/** Why a CUDA spelling still works on the NPU (transfer_to_npu in this file or its package), as a sentence tail. */
function transferTail(ctx: PyContext): string {
  const via = ctx.transfer();
  if (via === undefined) return '';
  if (via === '') return ' ' + l10n.t('(torch_npu.contrib.transfer_to_npu redirects it at run time, but prefer the NPU name.)');
  return ' ' + l10n.t('({0} in this package imports torch_npu.contrib.transfer_to_npu, which redirects it at run time; prefer the NPU name.)', via);
}

function cudaApi(q: string, top: Node, path: Node[], at: number, ctx: PyContext): Finding | undefined {
  const r = nodeRange(top);
  const row = CUDA_API_ROWS.find((x) => q === x.name || q.startsWith(x.name + '.'));
  if (row) return finding(r, row.severity, 'cuda-api', l10n.t('`{0}`: {1}', q, say(row.advice)), row);
  // `torch.cuda.X = torch.npu.X`: a redirect written for the NPU, not a CUDA call
  const asg = path[at - 1];
  if (asg && asg.type === 'assignment' && asg.childForFieldName('left')?.startIndex === top.startIndex) return undefined;
  const member = q.split('.')[2];
  if (member && ctx.redirected(member)) return undefined;
  const m = member ? TORCH_NPU_MEMBERS.find((x) => x.cuda === member) : undefined;
  const downgrade = ctx.transfer() !== undefined;
  const sev: Severity = downgrade ? 'information' : member === 'is_available' ? 'warning' : 'error';
  const tail = transferTail(ctx);
  if (m && member) {
    const to = npuSpelling(q, member, m.npu, ctx);
    const npuName = `torch.npu.${m.npu}${q.slice(`torch.cuda.${member}`.length)}`;
    const msg =
      member === 'is_available'
        ? l10n.t('`{0}` is False on an Ascend NPU, so this code takes its non-GPU path there; test `{1}`.', q, npuName)
        : l10n.t('`{0}` is CUDA-only; on Ascend use `{1}`.', q, npuName);
    return finding(r, sev, 'cuda-api', msg + tail, m, withFixes(to ? replaceFix(r, top.text, to) : undefined, addImportFix(ctx)));
  }
  const msg = l10n.t('`{0}` is CUDA-only and has no torch.npu counterpart; remove it or use the Ascend equivalent.', q) + tail;
  return finding(r, sev, 'cuda-api', msg, TORCH_NPU_MEMBERS[0]);
}

/** A use of something that reaches a CUDA-only origin (directly, through re-exports or wrapper functions). */
export function originFinding(used: string, o: Origin, r: Range): Finding {
  const via = o.via.length ? ' ' + l10n.t('(through {0})', o.via.join(' → ')) : '';
  if (o.kind === 'kernel') {
    const use = o.kernel ? say(o.kernel.replacement) : l10n.t('the vLLM layer class or a torch_npu op');
    const note = o.kernel?.note ? ' ' + say(o.kernel.note) : '';
    const msg = !o.via.length
      ? l10n.t('`{0}` calls a CUDA kernel that vLLM-Ascend does not build (there is no vllm._C on the NPU); use {1}.', used, use) + note
      : l10n.t('`{0}` reaches the CUDA kernel `{1}`{2}, which vLLM-Ascend does not build (there is no vllm._C on the NPU); use {3}.', used, o.name, via, use) + note;
    return finding(r, o.severity, 'cuda-kernel', msg, o.src);
  }
  if (o.kind === 'library') {
    const lib = o.library!;
    const msg = l10n.t('`{0}` is `{1}`{2} from a CUDA-only library that is not available on Ascend; use {3}.', used, o.name, via, say(lib.replacement)) + (lib.note ? ' ' + say(lib.note) : '');
    return finding(r, o.severity, 'cuda-library', msg, o.src);
  }
  const msg = l10n.t('`{0}` launches the Triton kernel `{1}`{2}, written for CUDA Triton: it is not one of the triton-ascend kernels vLLM-Ascend ships; use the vLLM layer / a torch_npu op, or port the kernel to triton-ascend.', used, o.name, via);
  return finding(r, o.severity, 'cuda-library', msg, o.src);
}

const FLOAT64_FUNCS = new Set(['to', 'type', 'set_default_dtype', 'view', 'zeros', 'ones', 'empty', 'full', 'tensor', 'arange', 'rand', 'randn', 'as_tensor', 'zeros_like', 'ones_like', 'empty_like', 'full_like']);

/** float64 only where data is made or converted (dtype=…, .to(…)), not in comparisons or dtype tables. */
function createsFloat64(path: Node[], at: number): boolean {
  const p = path[at - 1];
  if (p?.type === 'keyword_argument') return p.childForFieldName('name')?.text === 'dtype';
  if (p?.type === 'argument_list') {
    const call = path[at - 2];
    const fn = call?.type === 'call' ? call.childForFieldName('function') : null;
    const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
    return !!name && FLOAT64_FUNCS.has(name);
  }
  return false;
}

function analyzeChain(path: Node[], ctx: PyContext, out: Emitted[], place: () => Place): void {
  const { top, at } = chainTop(path);
  const q = qualify(top, ctx);
  const emit = (f: Finding | undefined, origin?: Origin): void => {
    if (f) out.push({ f, place: place(), origin });
  };
  if (q !== undefined) {
    if (q === 'torch.cuda' || q.startsWith('torch.cuda.') || q.startsWith('torch.backends.')) return emit(cudaApi(q, top, path, at, ctx));
    const npuOp = npuOpName(q);
    if (npuOp) {
      const call = callOf(path, at);
      if (call) {
        const fs: Finding[] = [];
        checkNpuCall(q, call, ctx.release, fs);
        for (const f of fs) emit(f);
      }
      return;
    }
    if (q === 'torch.float64' || q === 'torch.double') {
      if (!createsFloat64(path, at)) return;
      const r = nodeRange(top);
      return emit(finding(r, 'information', 'npu-op-constraint', l10n.t('float64 is not supported on the NPU; use float32.'), FLOAT64, withFixes(replaceFix(r, top.text, `${ctx.torchAlias ?? 'torch'}.float32`, false))));
    }
    const head = top.type === 'identifier' ? top.text : dotted(top)?.split('.')[0];
    if (head && libraryOf(ctx.aliases.get(head) ?? '')) return; // imported from the library itself: the import statement says it
    const o = knownOrigin(q) ?? (head && ctx.origins.has(head) && head === dotted(top) ? ctx.origins.get(head) : undefined) ?? (head && ctx.moduleAliases.has(head) && callOf(path, at) ? ctx.resolve?.(q) : undefined);
    if (o && (callOf(path, at) || o.kind === 'kernel')) return emit(originFinding(dotted(top) ?? q, o, nodeRange(top)), o);
    return;
  }
  // x.cuda() on a tensor / module: fire when the receiver is not a known non-torch module
  const attr = top.type === 'attribute' ? top.childForFieldName('attribute') : null;
  const obj = top.type === 'attribute' ? top.childForFieldName('object') : null;
  if (attr && obj && attr.text === 'cuda' && callOf(path, at)) {
    const oq = qualify(obj, ctx);
    if (oq !== undefined) return; // numba.cuda, cupy.cuda, torch … (modules, not tensors)
    const ar = nodeRange(attr);
    const msg = l10n.t('`.cuda()` moves data to a CUDA device, which does not exist on an Ascend NPU; use `.npu()`.');
    emit(finding(ar, ctx.transfer() !== undefined ? 'information' : 'error', 'cuda-api', msg + transferTail(ctx), DEVICE_STRING, withFixes(replaceFix(ar, 'cuda', 'npu'), addImportFix(ctx))));
  }
}

const DEVICE_KWARGS = new Set(['device', 'device_type', 'map_location', 'device_map']);
const DEVICE_FUNCS = new Set(['torch.device', 'torch.set_default_device', 'torch.npu.set_device', 'torch.cuda.set_device', 'torch.autocast', 'torch.empty', 'torch.zeros', 'torch.ones', 'torch.tensor']);

function analyzeString(path: Node[], ctx: PyContext, out: Emitted[], place: () => Place): void {
  const str = path[path.length - 1];
  const v = stringValue(str);
  const cr = v === undefined ? undefined : stringContentRange(str);
  const p = path[path.length - 2];
  if (v === undefined || !cr || !p) return;
  const isCuda = /^cuda(:\d+)?$/.test(v);
  const isNccl = v === 'nccl';
  if (!isCuda && !isNccl) return;
  const pushDevice = () => {
    const to = v.replace(/^cuda/, 'npu');
    const msg = l10n.t('Device "{0}" does not exist on an Ascend NPU; use "{1}".', v, to);
    out.push({ f: finding(cr, ctx.transfer() !== undefined ? 'information' : 'error', 'cuda-api', msg + transferTail(ctx), DEVICE_STRING, withFixes(replaceFix(cr, v, to), addImportFix(ctx))), place: place() });
  };
  let kw: string | undefined;
  let call: Node | undefined;
  let positional = -1;
  if (p.type === 'keyword_argument') {
    kw = p.childForFieldName('name')?.text;
    const c = path[path.length - 4];
    if (path[path.length - 3]?.type === 'argument_list' && c?.type === 'call') call = c;
  } else if (p.type === 'argument_list' && path[path.length - 3]?.type === 'call') {
    call = path[path.length - 3];
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
  if (kw === 'backend' || (positional === 0 && (fname === 'init_process_group' || fname === 'new_group'))) {
    const msg = l10n.t('The "nccl" backend does not exist on Ascend; use "hccl".');
    out.push({ f: finding(cr, 'error', 'cuda-library', msg, NCCL_BACKEND, withFixes(replaceFix(cr, 'nccl', 'hccl'))), place: place() });
  }
}

/** cuda-library findings on import statements: one per statement (with the statement's offset, to place it). */
function analyzeImports(imports: ImportInfo[], ctx: PyContext, npuFunction: (i: ImportInfo) => boolean): { f: Finding; at: number }[] {
  const out: { f: Finding; at: number }[] = [];
  const byStatement = new Map<string, ImportInfo[]>();
  for (const i of imports) {
    const k = `${i.statement.start.line}:${i.statement.start.character}`;
    byStatement.set(k, [...(byStatement.get(k) ?? []), i]);
  }
  for (const group of byStatement.values()) {
    const hits = group.map((i) => ({ i, row: libraryOf(i.module) ?? libraryOf(i.module.split('.').slice(0, -1).join('.') || '-') })).filter((h) => h.row);
    const first = hits.find((h) => !(h.row!.quietWhenNpuNative && (ctx.npuNative || npuFunction(h.i))));
    if (!first) continue;
    const { i, row } = first;
    const mod = i.member ? i.module.slice(0, -(i.member.length + 1)) || i.module : i.module;
    const names = hits.filter((h) => h.row === row && h.i.member).map((h) => h.i.member!);
    const shown = names.length ? `${mod} (${names.join(', ')})` : mod;
    const sev: Severity = i.inTry ? 'information' : row!.severity;
    const msg =
      l10n.t('`{0}` is a CUDA-only library that is not available on Ascend; use {1}.', shown, say(row!.replacement)) +
      (row!.note ? ' ' + say(row!.note) : '') +
      (i.inTry ? ' ' + l10n.t('(guarded by try: the fallback path is what runs on the NPU.)') : '');
    const r = names.length > 1 ? { start: group[0].range.start, end: group[group.length - 1].range.end } : i.range;
    out.push({ f: finding(r, sev, 'cuda-library', msg, row!), at: i.at });
  }
  return out;
}

/**
 * All Python findings for a (sub)tree. `imports` are the ones collected from this same subtree. Calls of this
 * file's own functions are not followed: the CUDA use inside them is reported where it is.
 */
export function analyzePython(root: Node, text: string, ctx: PyContext, imports: ImportInfo[]): Finding[] {
  // functions that import torch_npu / vllm_ascend / triton-ascend themselves are written for the NPU
  const npuFns = new Set(imports.filter((i) => i.inFunction && npuModule(i.level ? '' : i.module)).map((i) => i.fnStart));
  const inNpuFunction = (fns: Node[]) => fns.some((f) => npuFns.has(f.startIndex));
  const emitted: Emitted[] = [];
  const seen = new Set<string>();
  const tops = topsOf(root);
  const words = [...BASE_TOKENS, ...ctx.aliasTokens];
  for (const m of text.matchAll(tokenRegex(words))) {
    const n = root.descendantForIndex(m.index, m.index + m[0].length);
    if (!n || (n.type !== 'identifier' && n.type !== 'string_content' && n.type !== 'string')) continue;
    const anc = new Ancestry(root, tops, n);
    const path = anc.path[anc.path.length - 1].type === 'string_content' ? anc.path.slice(0, -1) : anc.path;
    const last = path[path.length - 1];
    let placed: Place | undefined;
    const place = () => (placed ??= placeOf(path, (x) => qualify(x, ctx)));
    if (last.type === 'identifier') {
      if (isBindingSite(path)) continue;
      const { top } = chainTop(path);
      const key = `${top.startIndex}:${top.endIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      analyzeChain(path, ctx, emitted, place);
    } else if (last.type === 'string' && !seen.has(`s${last.startIndex}`)) {
      seen.add(`s${last.startIndex}`);
      analyzeString(path, ctx, emitted, place);
    }
  }
  const findings: Finding[] = [];
  for (const { f, at } of analyzeImports(imports, ctx, (i) => i.inFunction && npuFns.has(i.fnStart))) {
    // an import in a branch only another platform takes (`if _is_cuda: from sgl_kernel import …`) is information
    const n = root.descendantForIndex(at, at + 1);
    const placed = n ? placeOf(new Ancestry(root, tops, n).path, (x) => qualify(x, ctx)) : undefined;
    const g = placed?.guard;
    const message = g ? `${f.message} ${guardNote(g.text)}` : f.message;
    findings.push(g && f.severity !== 'information' ? { ...f, severity: 'information', message, hover: f.hover?.replace(f.message, message) } : f);
  }
  for (const e of emitted) {
    const f = placeFinding(e, ctx, inNpuFunction(e.place.functions));
    if (f) findings.push(f);
  }
  return mergePerStatement(findings, emitted);
}

/** One diagnostic per statement and rule: the first keeps the others' names, fixes and the highest severity. */
function mergePerStatement(findings: Finding[], emitted: Emitted[]): Finding[] {
  const stmtOf = new Map<Finding, string>();
  for (const e of emitted) stmtOf.set(e.out ?? e.f, `${e.place.statement.startIndex}:${e.place.statement.endIndex}`);
  const groups = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const f of findings) {
    const s = stmtOf.get(f);
    if (s === undefined || f.code === 'npu-op-constraint') {
      out.push(f);
      continue;
    }
    const k = `${s}|${f.code}`;
    const g = groups.get(k);
    if (g) g.push(f);
    else {
      groups.set(k, [f]);
      out.push(f);
    }
  }
  const rank: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 0 };
  return out.map((f) => {
    const s = stmtOf.get(f);
    const g = s === undefined ? undefined : groups.get(`${s}|${f.code}`);
    if (!g || g.length < 2) return f;
    const severity = g.reduce<Severity>((a, x) => (rank[x.severity] > rank[a] ? x.severity : a), f.severity);
    const more = ' ' + l10n.t('(and {0} more in this statement)', String(g.length - 1));
    return { ...f, severity, message: f.message + more, hover: f.hover ? f.hover.replace(f.message, f.message + more) : f.hover, fixes: g.flatMap((x) => x.fixes) };
  });
}

// ---------------------------------------------------------------------------------------------------
// Hover and completion

/** Hover for the torch_npu op referenced at `index` (relative to the subtree's text), if any. */
export function hoverAt(root: Node, index: number, ctx: PyContext): { markdown: string; range: Range } | undefined {
  const n = root.descendantForIndex(index, index);
  if (!n || n.type !== 'identifier') return undefined;
  const { top } = chainTop(new Ancestry(root, topsOf(root), n).path);
  const q = qualify(top, ctx);
  const id = q ? npuOpName(q) : undefined;
  const md = id ? opHover(findOp(id.op), id.op, ctx.release) : undefined;
  return md ? { markdown: md, range: nodeRange(top) } : undefined;
}

/**
 * Keyword arguments of the torch_npu op whose argument list encloses `offset` in `text`. Text-based so it
 * works while the call is still unfinished (the tree then has an ERROR there).
 */
export function keywordCompletions(text: string, offset: number, ctx: PyContext): KeywordCompletion[] {
  // `torch_npu.` (or an alias) followed by a partial name: the release's ops
  const member = /([A-Za-z_]\w*)\.(\w*)$/.exec(text.slice(Math.max(0, offset - 200), offset));
  if (member && ctx.aliases.get(member[1]) === 'torch_npu') return opCompletions(member[2], ctx.release);
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
  const m = /([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*$/.exec(text.slice(Math.max(0, i - 200), i));
  if (!m) return [];
  const name = m[1].replace(/\s+/g, '');
  const head = name.split('.')[0];
  const q = ctx.aliases.has(head) ? ctx.aliases.get(head)! + name.slice(head.length) : undefined;
  const id = q ? npuOpName(q) : undefined;
  if (!id) return [];
  const used = new Set([...text.slice(i + 1, offset).matchAll(/([A-Za-z_]\w*)\s*=(?!=)/g)].map((x) => x[1]));
  return keywordItems(id.op, used, ctx.release);
}

export type { Position };
