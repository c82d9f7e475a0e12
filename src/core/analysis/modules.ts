import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, Parser } from 'web-tree-sitter';
import { CUDA_KERNEL_MODULES, CUDA_KERNELS, CUSTOM_OP_SRC, libraryOf, NPU_MODULES, TRITON_SRC, type CudaKernelRow, type CudaLibraryRow } from '../knowledge/cuda';
import { absolute, collectImports, type ImportInfo } from './imports';
import { redirectMembers, redirectsOf, summarize, type ClassInfo, type DefInfo, type ModuleSummary } from './summary';
import { input } from './treesitter';
import type { Severity } from './types';

/**
 * Python modules of the workspace and of configured extra paths (e.g. a checkout of vllm): which file a
 * module name is, what a module re-exports (transitively, through `from x import y`, `y = x.z`, platform-
 * guarded branches), what a module-level function reaches (a CUDA kernel, a CUDA library, a Triton JIT
 * kernel), and whether a package is written for the NPU. Summaries are cached by file content (sha1), so a
 * kernel reached through any path is resolved once.
 */

export interface ModuleRef {
  file: string;
  /** Dotted module name (vllm.v1.attention.backends.fa_utils), when the file sits in a package. */
  name?: string;
  isPackage: boolean;
}

export interface Origin {
  kind: 'kernel' | 'library' | 'triton';
  /** The origin's qualified name (vllm.vllm_flash_attn.flash_attn_varlen_func, torch.ops._C.rms_norm …). */
  name: string;
  /** Names followed to get there, nearest first (re-exporting modules, wrapper functions). */
  via: string[];
  severity: Severity;
  kernel?: CudaKernelRow;
  library?: CudaLibraryRow;
  src: { source: string; href: string };
}

/** Modules whose importers are written for the NPU (file-level NPU-native). */
export function npuModule(mod: string): boolean {
  return NPU_MODULES.some((t) => mod === t.module || mod.startsWith(t.module + '.'));
}

/** The knowledge-table origin of a qualified name, if it names one directly. */
export function knownOrigin(q: string): Origin | undefined {
  const kmod = CUDA_KERNEL_MODULES.find((m) => q.startsWith(m + '.'));
  if (kmod) {
    const kernel = q.slice(kmod.length + 1).split('.')[0];
    const row = CUDA_KERNELS.find((k) => k.names.includes(kernel));
    return { kind: 'kernel', name: `${kmod}.${kernel}`, via: [], severity: 'error', kernel: row, src: row ?? CUSTOM_OP_SRC };
  }
  const lib = libraryOf(q);
  if (lib && !lib.quietWhenNpuNative && lib.modules.some((m) => q.startsWith(m + '.'))) {
    return { kind: 'library', name: q, via: [], severity: lib.severity, library: lib, src: lib };
  }
  return undefined;
}

interface Entry {
  hash: string;
  summary: ModuleSummary;
}

/** How far re-exports and call chains are followed (each result is cached, so a cut never hides a cached one). */
const MAX_DEPTH = 8;
const REDIRECT_TEXT = /\bcuda(?:\.\w+)?\s*=(?!=)/;
const TRANSFER_MODULE = 'torch_npu.contrib.transfer_to_npu';
const isTransfer = (q: string | undefined) => !!q && (q === TRANSFER_MODULE || q.startsWith(TRANSFER_MODULE + '.'));

/** Does an import bring in torch_npu.contrib.transfer_to_npu (which patches torch.cuda → torch.npu process-wide)? */
export function importsTransfer(i: Pick<ImportInfo, 'module' | 'qualified'>): boolean {
  return isTransfer(i.module) || isTransfer(i.qualified);
}

/** What a package does to torch.cuda for all its modules once one of them has run. */
interface PackagePatches {
  /** torch.cuda members assigned (`torch.cuda.X = torch.npu.X`; '*' = torch.cuda itself). */
  members: Set<string>;
  /** A module that imports torch_npu.contrib.transfer_to_npu, relative to the folder above the package. */
  transfer?: string;
}
const NO_PATCHES: PackagePatches = { members: new Set() };

export class ModuleIndex {
  private roots: string[] = [];
  private configured: string[] = [];
  private readonly discovered: string[] = [];
  private readonly byHash = new Map<string, ModuleSummary>();
  /** Function call lists, made only for modules whose functions are followed (`reach`). */
  private readonly callsByHash = new Map<string, Map<string, DefInfo>>();
  private readonly byFile = new Map<string, Entry | null>();
  private readonly fileOfModule = new Map<string, string | null>();
  private readonly refOfFile = new Map<string, ModuleRef>();
  private readonly resolved = new Map<string, Origin | null>();
  private readonly reached = new Map<string, Origin | null>();
  private readonly pkgNpu = new Map<string, string | null>();
  private readonly pkgPatches = new Map<string, PackagePatches>();
  private readonly classes = new Map<string, ReturnType<ModuleIndex['classOfUncached']> | null>();
  /** Bumped whenever a file may have changed: callers key their own caches on it. */
  generation = 0;

  /** Texts already read by the caller (a lint run reads every file once). */
  private readonly known = new Map<string, string>();
  /** Files some module import pointed at (their summaries are worth making from a tree at hand). */
  private readonly wanted = new Set<string>();
  private readonly patchesByHash = new Map<string, { members: Set<string>; transfer: boolean }>();

  constructor(
    private readonly parser: Parser,
    private readonly reader: (file: string) => string | undefined = readSmallFile,
  ) {}

  /** Hands the index a file's text the caller has read anyway (saves a second read). */
  remember(file: string, text: string): void {
    this.known.set(path.resolve(file), text);
  }

  private read(file: string): string | undefined {
    return this.known.get(file) ?? this.reader(file);
  }

  /** Configured roots (workspace folders, extra paths); a change forgets every cached lookup. */
  setRoots(roots: string[]): void {
    const next = [...new Set(roots.map((r) => path.resolve(r)))];
    if (next.join('\n') === this.configured.join('\n')) return;
    this.configured = next;
    this.roots = [...new Set([...this.configured, ...this.discovered])];
    this.invalidate();
  }

  /** Adds the folder above `file`'s top package to the search roots. */
  addRootsFor(file: string, importHeads: readonly string[] = []): void {
    const ref = this.refOf(file, importHeads);
    const dirs = this.packageDirs(ref);
    // a file outside any package adds nothing: its folder as a root would be searched for every import
    if (!dirs.length) return;
    const top = path.dirname(dirs[dirs.length - 1]);
    if (this.roots.includes(top)) return;
    this.discovered.push(top);
    this.roots.push(top);
    this.rootAdded();
  }

  /** A new root can only turn earlier misses into hits: forget those (and what was resolved through them). */
  private rootAdded(): void {
    this.generation++;
    for (const [k, v] of this.fileOfModule) if (v === null) this.fileOfModule.delete(k);
    this.resolved.clear();
    this.reached.clear();
    this.classes.clear();
  }

  getRoots(): string[] {
    return [...this.roots];
  }

  /** Forget cached lookups (a file changed, was created or deleted). Content-keyed summaries stay. */
  invalidate(file?: string): void {
    this.generation++;
    if (file) {
      this.byFile.delete(path.resolve(file));
      this.known.delete(path.resolve(file));
    } else {
      this.byFile.clear();
      this.known.clear();
    }
    this.fileOfModule.clear();
    this.resolved.clear();
    this.reached.clear();
    this.pkgNpu.clear();
    this.pkgPatches.clear();
    this.classes.clear();
    pkgDirs.clear();
    if (!file) this.refOfFile.clear();
  }

  /**
   * Module name of a file. A file found for a module name is that module; otherwise the name comes from the
   * package folders (__init__.py) up the tree, or — for namespace packages without __init__.py (sglang's
   * `srt/`) — from the file's own imports: `from sglang.srt.utils import x` in python/sglang/srt/a/b.py makes
   * python/ its root and the file `sglang.srt.a.b`.
   */
  refOf(file: string, importHeads: readonly string[] = []): ModuleRef {
    const abs = path.resolve(file);
    const hit = this.refOfFile.get(abs);
    if (hit && (hit.name?.includes('.') || !importHeads.length)) return hit;
    const base = path.basename(abs).replace(/\.pyi?$/, '');
    const isPackage = base === '__init__';
    const parts = isPackage ? [] : [base];
    let dir = path.dirname(abs);
    for (let guard = 0; guard < 64 && isPkgDir(dir); guard++) {
      parts.unshift(path.basename(dir));
      dir = path.dirname(dir);
    }
    let name = parts.join('.');
    const ancestors: string[] = [];
    for (let d = path.dirname(abs), i = 0; i < 16 && path.dirname(d) !== d; d = path.dirname(d), i++) ancestors.push(d);
    const own = ancestors.find((d) => importHeads.includes(path.basename(d)) && ancestors.indexOf(d) >= parts.length - (isPackage ? 0 : 1));
    if (own) {
      const rel = path.relative(path.dirname(own), abs).replace(/\.pyi?$/, '').split(path.sep);
      if (isPackage) rel.pop();
      if (rel.every((x) => /^[A-Za-z_]\w*$/.test(x))) name = rel.join('.');
    }
    const ref: ModuleRef = { file: abs, isPackage, ...(name ? { name } : {}) };
    this.refOfFile.set(abs, ref);
    return ref;
  }

  /** Package folders of a module, innermost first (regular or namespace packages). */
  private packageDirs(ref: ModuleRef): string[] {
    if (!ref.name) return [];
    const n = ref.name.split('.').length - (ref.isPackage ? 0 : 1);
    const out: string[] = [];
    for (let d = path.dirname(ref.file), i = 0; i < n; d = path.dirname(d), i++) out.push(d);
    return out;
  }

  /** The file of a dotted module name in the roots, if there is one. */
  fileOf(mod: string): string | undefined {
    const hit = this.fileOfModule.get(mod);
    if (hit !== undefined) return hit ?? undefined;
    let found: string | null = null;
    const rel = path.join(...mod.split('.'));
    for (const r of this.roots) {
      for (const cand of [path.join(r, rel + '.py'), path.join(r, rel, '__init__.py')]) {
        if (isFile(cand)) {
          found = cand;
          break;
        }
      }
      if (found) break;
    }
    this.fileOfModule.set(mod, found);
    if (found) {
      this.wanted.add(found);
      if (!this.refOfFile.get(found)?.name?.includes('.')) this.refOfFile.set(found, { file: found, name: mod, isPackage: path.basename(found) === '__init__.py' });
    }
    return found ?? undefined;
  }

  /** Summary of a file (parsed once per distinct content). */
  summaryOf(file: string): ModuleSummary | undefined {
    const abs = path.resolve(file);
    const hit = this.byFile.get(abs);
    if (hit !== undefined) return hit?.summary;
    const text = this.read(abs);
    if (text === undefined) {
      this.byFile.set(abs, null);
      return undefined;
    }
    const hash = createHash('sha1').update(text).digest('hex');
    let summary = this.byHash.get(hash);
    if (!summary) {
      const tree = this.parser.parse(input(text));
      if (!tree) return undefined;
      try {
        summary = this.summarizeTree(abs, hash, tree.rootNode, text, collectImports(tree.rootNode, text));
      } finally {
        tree.delete();
      }
    }
    this.byFile.set(abs, { hash, summary });
    return summary;
  }

  /**
   * A file the caller has parsed: when it is importable by a dotted name (it sits in a package) and not written
   * for the NPU, its summary is made from that tree now, so a module importing it later does not parse it
   * again; otherwise its text is only kept.
   */
  adopt(file: string, text: string, root: Node, imports: ImportInfo[], npuNative: boolean): void {
    const abs = path.resolve(file);
    this.known.set(abs, text);
    if (this.byFile.get(abs)) return;
    // NPU-native modules are never followed into, so only an explicit request makes their summary worth it
    const eager = !npuNative && this.refOf(abs).name?.includes('.');
    if (!this.wanted.has(abs) && !eager) return;
    const hash = createHash('sha1').update(text).digest('hex');
    const summary = this.byHash.get(hash) ?? this.summarizeTree(abs, hash, root, text, imports);
    this.byFile.set(abs, { hash, summary });
  }

  /** Call lists are made only for modules not written for the NPU (only theirs are followed). */
  private summarizeTree(abs: string, hash: string, root: Node, text: string, imports: ImportInfo[]): ModuleSummary {
    const npu = !!this.fileNpu(this.refOf(abs), { imports }) || !!this.packageNpu(abs);
    const summary = summarize(root, text, imports, { calls: !npu });
    this.byHash.set(hash, summary);
    if (!npu) this.callsByHash.set(hash, summary.defs);
    return summary;
  }

  /** The module's functions with their call lists (parsed again on first need, then kept per content). */
  private defsWithCalls(file: string): Map<string, DefInfo> | undefined {
    const e = this.byFile.get(path.resolve(file));
    if (!e) return undefined;
    const hit = this.callsByHash.get(e.hash);
    if (hit) return hit;
    const text = this.read(path.resolve(file));
    const tree = text === undefined ? null : this.parser.parse(input(text));
    if (!tree || text === undefined) return undefined;
    try {
      const defs = summarize(tree.rootNode, text, collectImports(tree.rootNode, text), { calls: true }).defs;
      this.callsByHash.set(e.hash, defs);
      return defs;
    } finally {
      tree.delete();
    }
  }

  /** Absolute import targets of a module: local name → qualified. */
  aliasesOf(ref: ModuleRef, s: ModuleSummary): Map<string, string> {
    const m = new Map<string, string>();
    for (const i of s.imports) {
      const q = absolute(i, ref.name, ref.isPackage);
      if (i.local && q) m.set(i.local, q);
    }
    return m;
  }

  /** Why a file is NPU-native through its package: a package __init__.py (or the top package) is. */
  packageNpu(file: string): string | undefined {
    const ref = this.refOf(file);
    if (!ref.name) return undefined;
    const top = ref.name.split('.')[0];
    if (npuModule(top)) return top;
    for (const d of this.packageDirs(ref)) {
      const hit = this.pkgNpu.get(d);
      if (hit !== undefined) {
        if (hit) return hit;
        continue;
      }
      const init = path.join(d, '__init__.py');
      this.pkgNpu.set(d, null); // cycle guard: summarising __init__.py asks this again
      const s = isFile(init) ? this.summaryOf(init) : undefined;
      const why = s ? this.fileNpu(this.refOf(init), s) : undefined;
      this.pkgNpu.set(d, why ? `${path.basename(d)}/__init__.py imports ${why}` : null);
      if (why) return this.pkgNpu.get(d)!;
    }
    return undefined;
  }

  /** The NPU module a file imports at module level, if any (file-level NPU-native). */
  fileNpu(ref: ModuleRef, s: Pick<ModuleSummary, 'imports'>): string | undefined {
    for (const i of s.imports) {
      if (i.inFunction || i.conditional) continue;
      const q = i.level ? absolute(i, ref.name, ref.isPackage) : i.module;
      if (q && npuModule(q)) return q;
    }
    return undefined;
  }

  /**
   * torch.cuda members redirected anywhere in the file's top package (`torch.cuda.X = torch.npu.X` in a
   * patch module applies process-wide once imported; flow-insensitive by design).
   */
  packageRedirects(file: string): Set<string> {
    return this.packagePatches(file).members;
  }

  /**
   * A module of the file's top package that imports torch_npu.contrib.transfer_to_npu — anywhere, a function
   * body included (an NPU backend's init does it): once run, torch.cuda.*, `.cuda()` and "cuda" devices of
   * every module go to the NPU. Flow-insensitive by design, like the redirects.
   */
  packageTransfer(file: string): string | undefined {
    return this.packagePatches(file).transfer;
  }

  private packagePatches(file: string): PackagePatches {
    const topDir = this.patchScope(file);
    if (!topDir) return NO_PATCHES;
    const hit = this.pkgPatches.get(topDir);
    if (hit) return hit;
    const out: PackagePatches = { members: new Set() };
    for (const f of pythonFilesUnder(topDir, 20000).sort()) {
      const text = this.read(f);
      if (!text || (!REDIRECT_TEXT.test(text) && !text.includes('transfer_to_npu'))) continue;
      const p = this.patchesIn(text);
      for (const r of p.members) out.members.add(r);
      if (p.transfer) out.transfer ??= path.relative(path.dirname(topDir), f);
    }
    this.pkgPatches.set(topDir, out);
    return out;
  }

  /**
   * The folder whose modules' patches reach a file: its top-level package, looking through namespace-package
   * gaps (python/sglang/ has an __init__.py, its srt/ has none, srt/disaggregation/common/ has one again) up to
   * the deepest configured root that holds the file (a discovered root can sit in such a gap).
   */
  private patchScope(file: string): string | undefined {
    const abs = path.resolve(file);
    const dirs = this.packageDirs(this.refOf(abs));
    let top = dirs.length ? dirs[dirs.length - 1] : undefined;
    const stop = this.configured.filter((r) => abs.startsWith(r + path.sep)).sort((a, b) => b.length - a.length)[0];
    for (let d = path.dirname(abs), i = 0; i < 12 && path.dirname(d) !== d; d = path.dirname(d), i++) {
      if (!/^[A-Za-z_]\w*$/.test(path.basename(d))) break;
      if (isPkgDir(d)) top = d;
      if (d === stop) break;
    }
    return top;
  }

  /** `torch.cuda.X = …` members and a transfer_to_npu import of a text (parsed for that alone, once per content). */
  private patchesIn(text: string): { members: Set<string>; transfer: boolean } {
    const hash = createHash('sha1').update(text).digest('hex');
    const hit = this.patchesByHash.get(hash);
    if (hit) return hit;
    const tree = this.parser.parse(input(text));
    let out = { members: new Set<string>(), transfer: false };
    if (tree) {
      try {
        const root = tree.rootNode;
        const imports = collectImports(root, text);
        const written = new Set<string>();
        redirectsOf(root, text, written);
        out = {
          members: redirectMembers(written, new Map(imports.filter((i) => i.local && i.qualified).map((i) => [i.local, i.qualified]))),
          transfer: imports.some(importsTransfer),
        };
      } finally {
        tree.delete();
      }
    }
    this.patchesByHash.set(hash, out);
    return out;
  }

  /** Whether a module (file + summary) is written for the NPU: its own imports or its package. */
  isNpuNative(ref: ModuleRef, s: ModuleSummary): boolean {
    return !!this.fileNpu(ref, s) || !!this.packageNpu(ref.file);
  }

  /**
   * The CUDA-only origin a qualified name reaches, if any: directly (knowledge tables), through re-exports,
   * or through a module-level function that calls one on the NPU path.
   */
  resolve(q: string, depth = 0): Origin | undefined {
    const known = knownOrigin(q);
    if (known) return known;
    if (depth > MAX_DEPTH) return undefined;
    const hit = this.resolved.get(q);
    if (hit !== undefined) return hit ?? undefined;
    this.resolved.set(q, null); // cycle guard
    const o = this.resolveUncached(q, depth);
    this.resolved.set(q, o ?? null);
    return o;
  }

  private split(q: string): { ref: ModuleRef; s: ModuleSummary; name: string; rest: string } | undefined {
    const parts = q.split('.');
    if (!this.fileOf(parts[0])) return undefined; // torch, numpy …: not a workspace package
    for (let k = parts.length - 1; k >= 1; k--) {
      const file = this.fileOf(parts.slice(0, k).join('.'));
      if (!file) continue;
      const s = this.summaryOf(file);
      if (!s) return undefined;
      return { ref: this.refOf(file), s, name: parts[k], rest: parts.slice(k + 1).join('.') };
    }
    return undefined;
  }

  private resolveUncached(q: string, depth: number): Origin | undefined {
    const at = this.split(q);
    if (!at || this.isNpuNative(at.ref, at.s)) return undefined;
    const bindings = at.s.bindings.get(at.name);
    if (!bindings?.length) return undefined;
    const aliases = this.aliasesOf(at.ref, at.s);
    const tail = at.rest ? '.' + at.rest : '';
    let guardedOrigin: Origin | undefined;
    let portableOnNpu = false;
    for (const b of bindings) {
      let o: Origin | undefined;
      if (b.kind === 'import' && b.imp) {
        const t = absolute(b.imp, at.ref.name, at.ref.isPackage);
        o = t ? this.resolve(t + tail, depth + 1) : undefined;
      } else if (b.kind === 'alias' && b.target) {
        const head = b.target.split('.')[0];
        const t = aliases.has(head) ? aliases.get(head)! + b.target.slice(head.length) : at.ref.name ? `${at.ref.name}.${b.target}` : undefined;
        o = t && t !== q ? this.resolve(t + tail, depth + 1) : undefined;
      } else if (b.kind === 'def' && !at.rest) {
        o = this.reach(at.ref, at.s, at.name, depth + 1);
      }
      if (o && !b.guard) return withVia(o, q);
      if (o) guardedOrigin ??= o;
      else if (!b.guard) portableOnNpu = true;
    }
    // every binding that exists on the NPU is portable → fine; none exists there → the CUDA one is what the name is
    return guardedOrigin && !portableOnNpu ? withVia(guardedOrigin, q) : undefined;
  }

  /** What a module-level function reaches on the NPU path (its calls outside other-platform branches). */
  reach(ref: ModuleRef, s: ModuleSummary, fn: string, depth: number): Origin | undefined {
    const key = `${ref.file}#${fn}`;
    const hit = this.reached.get(key);
    if (hit !== undefined) return hit ?? undefined;
    this.reached.set(key, null);
    const o = this.reachUncached(ref, s, fn, depth);
    this.reached.set(key, o ?? null);
    return o;
  }

  private reachUncached(ref: ModuleRef, s: ModuleSummary, fn: string, depth: number): Origin | undefined {
    if (!s.defs.has(fn) || depth > MAX_DEPTH || this.isNpuNative(ref, s)) return undefined;
    const def = this.defsWithCalls(ref.file)?.get(fn);
    if (!def) return undefined;
    const aliases = this.aliasesOf(ref, s);
    const qualify = (d: string) => {
      const head = d.split('.')[0];
      return aliases.has(head) ? aliases.get(head)! + d.slice(head.length) : undefined;
    };
    const qname = ref.name ? `${ref.name}.${fn}` : fn;
    if (def.decorators.some((d) => isTritonDecorator(qualify(d) ?? d))) {
      return { kind: 'triton', name: qname, via: [], severity: 'warning', src: TRITON_SRC };
    }
    for (const c of def.calls) {
      if (c.guard) continue;
      const head = c.callee.split('.')[0];
      let o: Origin | undefined;
      if (s.defs.has(head) && !aliases.has(head) && c.callee === head) o = head === fn ? undefined : this.reach(ref, s, head, depth + 1);
      else {
        const t = qualify(c.callee);
        o = t ? this.resolve(t, depth + 1) : undefined;
      }
      if (o) return withVia(o, qname);
    }
    return undefined;
  }

  /** A class by qualified name (through re-exports), for base-class and loader checks. */
  classOf(q: string, depth = 0): { ref: ModuleRef; info: ClassInfo; aliases: Map<string, string> } | undefined {
    const hit = this.classes.get(q);
    if (hit !== undefined) return hit ?? undefined;
    this.classes.set(q, null);
    const c = this.classOfUncached(q, depth);
    this.classes.set(q, c ?? null);
    return c;
  }

  private classOfUncached(q: string, depth: number): { ref: ModuleRef; info: ClassInfo; aliases: Map<string, string> } | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const at = this.split(q);
    if (!at || at.rest) return undefined;
    const aliases = this.aliasesOf(at.ref, at.s);
    const info = at.s.classes.get(at.name);
    if (info) return { ref: at.ref, info, aliases };
    for (const b of at.s.bindings.get(at.name) ?? []) {
      const t = b.kind === 'import' && b.imp ? absolute(b.imp, at.ref.name, at.ref.isPackage) : undefined;
      const c = t && t !== q ? this.classOf(t, depth + 1) : undefined;
      if (c) return c;
    }
    return undefined;
  }
}

function withVia(o: Origin, name: string): Origin {
  return o.via.includes(name) || o.name === name ? o : { ...o, via: [name, ...o.via] };
}

/** `@triton.jit`, `@triton.autotune(…)`, `@triton.heuristics(…)` (through any alias of triton). */
export function isTritonDecorator(q: string): boolean {
  return /(^|\.)triton\.(jit|autotune|heuristics)$/.test(q) || /^triton\.(runtime\.)?jit$/.test(q);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

const pkgDirs = new Map<string, boolean>();
/** Whether a folder is a package (has __init__.py); cached until `forgetPackageDirs` (an index invalidation). */
function isPkgDir(dir: string): boolean {
  let v = pkgDirs.get(dir);
  if (v === undefined) {
    v = isFile(path.join(dir, '__init__.py'));
    pkgDirs.set(dir, v);
  }
  return v;
}

/** Python sources up to 4 MB that are regular files (FIFOs, devices and huge files are never read). */
export function readSmallFile(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 4 * 1024 * 1024) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function pythonFilesUnder(dir: string, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== '__pycache__' && e.name !== 'node_modules') walk(path.join(d, e.name));
      } else if (e.isFile() && e.name.endsWith('.py')) out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

export type { ImportInfo };
