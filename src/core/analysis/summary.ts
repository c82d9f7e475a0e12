import type { Language, Node, Query } from 'web-tree-sitter';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import WebTreeSitter = require('web-tree-sitter');
import { whenFalse, whenTrue, placeOf, type Qualify } from './guards';
import type { ImportInfo } from './imports';
import { Ancestry, dotted, stringValue, topsOf } from './pytree';

/**
 * What other modules need to know about a Python module, read once per content: the names it binds at
 * module level (imports, aliases, functions, classes — with the platform guard each sits under), the calls
 * each module-level function makes, the classes' bases and loaders, and `torch.cuda.X = …` redirects.
 * Works on a whole file or on one chunk of it (the language server merges chunk summaries).
 */

export interface Binding {
  kind: 'import' | 'alias' | 'def' | 'class';
  /** import: the ImportInfo (made absolute later, knowing the module name); alias: the dotted right-hand side. */
  imp?: ImportInfo;
  target?: string;
  /** The condition that keeps this binding off the NPU, when one does. */
  guard?: string;
}

export interface CallRef {
  /** Dotted callee as written (`ops.rms_norm`, `merge_attn_states`); a Triton launch `k[grid](…)` gives `k`. */
  callee: string;
  launch: boolean;
  guard?: string;
}

export interface DefInfo {
  name: string;
  /** Decorated with a Triton JIT decorator (`@triton.jit`, `@triton.autotune` …; qualified later). */
  decorators: string[];
  calls: CallRef[];
}

export interface ClassInfo {
  name: string;
  bases: string[];
  decorators: string[];
  methods: string[];
  /** forward_* methods that an NPU forward method (forward_oot, forward_npu) calls: those do run on the NPU. */
  calledFromNpu: string[];
  /** String literals in its weight-loading methods (shard ids it accepts). */
  loaderStrings: string[];
}

export interface ModuleSummary {
  imports: ImportInfo[];
  bindings: Map<string, Binding[]>;
  defs: Map<string, DefInfo>;
  classes: Map<string, ClassInfo>;
  /** Left-hand sides of `torch.cuda.X = …` assignments anywhere, as written (see redirectMembers). */
  redirects: Set<string>;
}

export function emptySummary(): ModuleSummary {
  return { imports: [], bindings: new Map(), defs: new Map(), classes: new Map(), redirects: new Set() };
}

const LOADER_METHODS = /^(weight_loader(_v2)?|validate_shard_id|_get_shard_(offset|size)_mapping|load_weights?)$/;

function bind(s: ModuleSummary, name: string, b: Binding): void {
  const list = s.bindings.get(name);
  if (list) list.push(b);
  else s.bindings.set(name, [b]);
}

/** Simple qualifier from the chunk's own imports (enough for platform tests such as torch.cuda.is_available). */
export function qualifierOf(imports: ImportInfo[]): Qualify {
  const aliases = new Map<string, string>();
  for (const i of imports) if (i.local && i.qualified) aliases.set(i.local, i.qualified);
  return (n) => {
    const d = dotted(n);
    if (d === undefined) return undefined;
    const dot = d.indexOf('.');
    const head = dot < 0 ? d : d.slice(0, dot);
    const q = aliases.get(head);
    return q === undefined ? undefined : dot < 0 ? q : q + d.slice(dot);
  };
}

function decoratorNames(n: Node): string[] {
  const out: string[] = [];
  const holder = n.type === 'decorated_definition' ? n : null;
  for (const d of holder?.namedChildren ?? []) {
    if (!d || d.type !== 'decorator') continue;
    const e = d.namedChildren[0];
    const fn = e?.type === 'call' ? e.childForFieldName('function') : e;
    const t = fn ? dotted(fn) : undefined;
    if (t) out.push(t);
  }
  return out;
}

const CALLS_QUERY = '(call function: [(identifier) (attribute)] @f) (call function: (subscript value: [(identifier) (attribute)] @l))';
let callsQuery: { lang: Language; q: Query } | undefined;

/** Calls inside a function body that can matter (callee head is an import, a module-level name, or torch). */
function callsIn(def: Node, relevant: (head: string) => boolean, q: Qualify): CallRef[] {
  const out: CallRef[] = [];
  const lang = def.tree.language;
  if (!callsQuery || callsQuery.lang !== lang) callsQuery = { lang, q: new WebTreeSitter.Query(lang, CALLS_QUERY) };
  const tops = topsOf(def);
  for (const cap of callsQuery.q.captures(def)) {
    const d = dotted(cap.node);
    if (!d || !relevant(d.split('.')[0])) continue;
    const place = placeOf(new Ancestry(def, tops, cap.node).path, q);
    if (place.tried) continue; // a probe: its except is the NPU path
    out.push({ callee: d, launch: cap.name === 'l', ...(place.guard ? { guard: place.guard.text } : {}) });
  }
  return out;
}

function classInfo(cls: Node, decorators: string[]): ClassInfo {
  const name = cls.childForFieldName('name')?.text ?? '';
  const bases = (cls.childForFieldName('superclasses')?.namedChildren ?? []).map((b) => (b && b.type !== 'keyword_argument' ? dotted(b) : undefined)).filter((b): b is string => !!b);
  const methods: string[] = [];
  const loaderStrings = new Set<string>();
  const calledFromNpu = new Set<string>();
  for (const st of cls.childForFieldName('body')?.namedChildren ?? []) {
    const def = st?.type === 'decorated_definition' ? st.childForFieldName('definition') : st;
    if (!def || def.type !== 'function_definition') continue;
    const m = def.childForFieldName('name')?.text ?? '';
    methods.push(m);
    if (m === 'forward_oot' || m === 'forward_npu') for (const x of def.text.matchAll(/\bforward_\w+/g)) if (x[0] !== m) calledFromNpu.add(x[0]);
    if (LOADER_METHODS.test(m)) collectStrings(def, loaderStrings);
  }
  return { name, bases, decorators, methods, calledFromNpu: [...calledFromNpu], loaderStrings: [...loaderStrings] };
}

function collectStrings(n: Node, out: Set<string>): void {
  const stack: Node[] = [n];
  while (stack.length) {
    const c = stack.pop()!;
    if (c.type === 'string') {
      const v = stringValue(c);
      if (v !== undefined && /^\w{1,40}$/.test(v)) out.add(v);
      continue;
    }
    for (let i = 0; i < c.namedChildCount; i++) {
      const k = c.namedChild(i);
      if (k) stack.push(k);
    }
  }
}

const REDIRECT_RE = /\bcuda(?:\.\w+)?\s*=(?!=)/g;

/**
 * Left-hand sides of `….cuda… = …` assignments, as written (`torch.cuda.current_stream`, `cuda.Event` after
 * `from torch import cuda`): a chunk does not know the document's imports, so they are qualified later
 * (`redirectMembers`).
 */
export function redirectsOf(root: Node, text: string, out: Set<string>): void {
  const tops = topsOf(root);
  for (const m of text.matchAll(REDIRECT_RE)) {
    const n = root.descendantForIndex(m.index, m.index + 4);
    if (!n) continue;
    const path = new Ancestry(root, tops, n).path;
    const a = [...path].reverse().find((x) => x.type === 'assignment');
    const left = a?.childForFieldName('left');
    const d = left ? dotted(left) : undefined;
    if (d) out.add(d);
  }
}

/** torch.cuda members the written left-hand sides redirect, through the given imports ('*' = torch.cuda itself). */
export function redirectMembers(written: Iterable<string>, aliases: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const d of written) {
    const head = d.split('.')[0];
    const q = aliases.has(head) ? aliases.get(head)! + d.slice(head.length) : undefined;
    if (q === 'torch.cuda') out.add('*');
    else if (q?.startsWith('torch.cuda.')) out.add(q.split('.')[2]);
  }
  return out;
}

/**
 * Module-level statements, walked through if / try / with blocks (not into functions or classes), with the
 * platform guard of the branch each is in.
 */
function walkModule(nodes: Node[], guard: string | undefined, q: Qualify, visit: (n: Node, guard: string | undefined) => void): void {
  for (const n of nodes) {
    visit(n, guard);
    if (n.type === 'if_statement') {
      const c = n.childForFieldName('condition');
      const cons = n.childForFieldName('consequence');
      const t = c && whenTrue(c, q) === 'other' ? c.text : undefined;
      if (cons) walkModule(kids(cons), guard ?? t, q, visit);
      const falses: string[] = c && whenFalse(c, q) === 'other' ? [c.text] : [];
      for (const alt of n.childrenForFieldName('alternative')) {
        if (!alt) continue;
        const ac = alt.type === 'elif_clause' ? alt.childForFieldName('condition') : null;
        const body = alt.type === 'elif_clause' ? alt.childForFieldName('consequence') : alt.childForFieldName('body');
        const own = ac && whenTrue(ac, q) === 'other' ? ac.text : undefined;
        if (body) walkModule(kids(body), guard ?? own ?? falses[0], q, visit);
        if (ac && whenFalse(ac, q) === 'other') falses.push(ac.text);
      }
    } else if (n.type === 'try_statement' || n.type === 'with_statement') {
      // names bound in a try body that has an except may not exist: the except's are the fallback
      const excepts = n.type === 'try_statement' && kids(n).some((c) => c.type === 'except_clause' || c.type === 'except_group_clause');
      for (const c of kids(n)) {
        if (c.type === 'block') walkModule(kids(c), guard ?? (excepts ? 'try' : undefined), q, visit);
        else if (c.type === 'except_clause' || c.type === 'else_clause' || c.type === 'finally_clause') {
          for (const b of kids(c)) if (b.type === 'block') walkModule(kids(b), guard, q, visit);
        }
      }
    }
  }
}

function kids(n: Node): Node[] {
  return n.namedChildren.filter((x): x is Node => !!x);
}

/** Summary of a (sub)tree; `imports` are the ones collected from it (collectImports). */
export function summarize(root: Node, text: string, imports: ImportInfo[], opts: { calls: boolean } = { calls: true }): ModuleSummary {
  const s = emptySummary();
  s.imports = imports;
  const q = qualifierOf(imports);
  const importsAt = new Map<number, ImportInfo[]>();
  for (const i of imports) {
    if (i.inFunction || !i.local) continue;
    const key = i.statement.start.line * 100000 + i.statement.start.character;
    importsAt.set(key, [...(importsAt.get(key) ?? []), i]);
  }
  const names = new Set(imports.filter((i) => i.local).map((i) => i.local));
  const pendingDefs: { def: Node; decorators: string[]; guard?: string }[] = [];
  walkModule(kids(root), undefined, q, (n, guard) => {
    const g = guard ? { guard } : {};
    if (n.type === 'import_statement' || n.type === 'import_from_statement') {
      for (const i of importsAt.get(n.startPosition.row * 100000 + n.startPosition.column) ?? []) bind(s, i.local, { kind: 'import', imp: i, ...g });
      return;
    }
    const def = n.type === 'decorated_definition' ? n.childForFieldName('definition') : n;
    const decorators = decoratorNames(n);
    if (def?.type === 'function_definition') {
      const name = def.childForFieldName('name')?.text ?? '';
      bind(s, name, { kind: 'def', ...g });
      names.add(name);
      pendingDefs.push({ def, decorators, guard });
    } else if (def?.type === 'class_definition') {
      const info = classInfo(def, decorators);
      bind(s, info.name, { kind: 'class', ...g });
      s.classes.set(info.name, info);
    } else if (n.type === 'expression_statement' && n.namedChildren[0]?.type === 'assignment') {
      const a = n.namedChildren[0];
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type === 'identifier' && right) {
        const t = dotted(right);
        bind(s, left.text, t ? { kind: 'alias', target: t, ...g } : { kind: 'def', ...g });
        names.add(left.text);
      }
    }
  });
  const relevant = (head: string) => names.has(head) || head === 'torch';
  // one def per name: the first the NPU can run (`if _is_hip: def f … else: def f …` follows the else), else the first
  const guarded = new Set<string>();
  for (const { def, decorators, guard } of pendingDefs) {
    const name = def.childForFieldName('name')?.text ?? '';
    const other = guard !== undefined && guard !== 'try';
    if (s.defs.has(name) && (other || !guarded.has(name))) continue;
    s.defs.set(name, { name, decorators, calls: opts.calls ? callsIn(def, relevant, q) : [] });
    if (other) guarded.add(name);
    else guarded.delete(name);
  }
  redirectsOf(root, text, s.redirects);
  return s;
}

/** Several chunk summaries as one module summary (later bindings after earlier ones). */
export function mergeSummaries(parts: ModuleSummary[]): ModuleSummary {
  if (parts.length === 1) return parts[0];
  const s = emptySummary();
  for (const p of parts) {
    s.imports.push(...p.imports);
    for (const [k, v] of p.bindings) for (const b of v) bind(s, k, b);
    for (const [k, v] of p.defs) if (!s.defs.has(k)) s.defs.set(k, v);
    for (const [k, v] of p.classes) if (!s.classes.has(k)) s.classes.set(k, v);
    for (const r of p.redirects) s.redirects.add(r);
  }
  return s;
}
