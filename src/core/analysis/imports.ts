import type { Node } from 'web-tree-sitter';
import { Ancestry, nodeRange, topsOf } from './pytree';
import type { Range } from './types';

/**
 * Import statements of a (sub)tree: what each bound name means. Found token-driven (a line that starts with
 * `from` / `import`), each hit read through the syntax tree.
 */
export interface ImportInfo {
  /** Name bound in the module ('' for `from x import *`). */
  local: string;
  /** What that name means, e.g. ops → vllm._custom_ops ('' while a relative import is not made absolute). */
  qualified: string;
  /** The module path as written in the import (for library checks). */
  module: string;
  /** `from M import name`: the imported member; undefined for `import M`. */
  member?: string;
  /** Leading dots of a relative import (0 = absolute). */
  level: number;
  range: Range;
  /** The whole statement (one diagnostic per statement). */
  statement: Range;
  /** Offset of the statement in the (sub)tree's text. */
  at: number;
  inTry: boolean;
  topLevel: boolean;
  /** Inside a function body (makes only that function NPU-native). */
  inFunction: boolean;
  /** Start offset of the innermost enclosing function (-1 at module level). */
  fnStart: number;
  /** Under an `if` (e.g. `if _is_npu: import torch_npu`): says nothing about the whole file. */
  conditional: boolean;
  /** Line after the statement (for inserting imports). */
  endLine: number;
}

const IMPORT_RE = /^[ \t]*(?:from|import)[ \t\\]/gm;

export function collectImports(root: Node, text: string): ImportInfo[] {
  const out: ImportInfo[] = [];
  const seen = new Set<number>();
  const tops = topsOf(root);
  for (const m of text.matchAll(IMPORT_RE)) {
    const at = m.index + m[0].search(/\S/);
    const hit = root.descendantForIndex(at, at + 1);
    if (!hit) continue;
    const anc = new Ancestry(root, tops, hit);
    let stmtAt = anc.path.length - 1;
    while (stmtAt > 0 && anc.path[stmtAt].type !== 'import_statement' && anc.path[stmtAt].type !== 'import_from_statement') stmtAt--;
    const n = anc.path[stmtAt];
    if (stmtAt === 0 || seen.has(n.startIndex)) continue;
    seen.add(n.startIndex);
    const above = anc.path.slice(0, stmtAt);
    const base = {
      inTry: above.some((a) => a.type === 'try_statement'),
      topLevel: above.length === 1,
      inFunction: above.some((a) => a.type === 'function_definition'),
      fnStart: [...above].reverse().find((a) => a.type === 'function_definition')?.startIndex ?? -1,
      conditional: above.some((a) => a.type === 'if_statement' || a.type === 'elif_clause' || a.type === 'else_clause'),
      endLine: n.endPosition.row + 1,
      statement: nodeRange(n),
      at: n.startIndex,
    };
    if (n.type === 'import_statement') plainImports(n, base, out);
    else fromImports(n, base, out);
  }
  return out;
}

type Base = Pick<ImportInfo, 'inTry' | 'topLevel' | 'inFunction' | 'fnStart' | 'conditional' | 'endLine' | 'statement' | 'at'>;

function plainImports(n: Node, base: Base, out: ImportInfo[]): void {
  for (const c of n.childrenForFieldName('name')) {
    if (!c) continue;
    if (c.type === 'dotted_name') {
      const mod = c.text.replace(/\s+/g, '');
      out.push({ local: mod.split('.')[0], qualified: mod.split('.')[0], module: mod, level: 0, range: nodeRange(c), ...base });
    } else if (c.type === 'aliased_import') {
      const name = c.childForFieldName('name');
      const alias = c.childForFieldName('alias');
      if (!name || !alias) continue;
      const mod = name.text.replace(/\s+/g, '');
      out.push({ local: alias.text, qualified: mod, module: mod, level: 0, range: nodeRange(name), ...base });
    }
  }
}

function fromImports(n: Node, base: Base, out: ImportInfo[]): void {
  const modNode = n.childForFieldName('module_name');
  if (!modNode) return;
  const written = modNode.text.replace(/\s+/g, '');
  const level = /^\.*/.exec(written)![0].length;
  const mod = written.slice(level);
  const names = n.childrenForFieldName('name').filter((x): x is Node => !!x);
  if (names.length === 0) out.push({ local: '', qualified: level ? '' : mod, module: written, level, range: nodeRange(modNode), ...base });
  for (const c of names) {
    const nameNode = c.type === 'aliased_import' ? c.childForFieldName('name') : c;
    const aliasNode = c.type === 'aliased_import' ? c.childForFieldName('alias') : c;
    if (!nameNode || !aliasNode) continue;
    const member = nameNode.text.replace(/\s+/g, '');
    const q = level ? '' : `${mod}.${member}`;
    out.push({ local: aliasNode.text, qualified: q, module: level ? written : q, member, level, range: nodeRange(level ? modNode : c), ...base });
  }
}

/**
 * Makes relative imports absolute for a module named `moduleName` (`isPackage`: the file is an __init__.py).
 * Returns the qualified target, or '' when it climbs above the top package.
 */
export function absolute(i: ImportInfo, moduleName: string | undefined, isPackage: boolean): string {
  if (i.level === 0) return i.qualified;
  if (!moduleName) return '';
  const parts = moduleName.split('.');
  const pkg = isPackage ? parts : parts.slice(0, -1);
  const up = i.level - 1;
  if (up > pkg.length - 1 && up > 0) return '';
  const anchor = pkg.slice(0, pkg.length - up);
  if (!anchor.length) return '';
  const mod = i.module.slice(i.level);
  const base = mod ? [...anchor, mod].join('.') : anchor.join('.');
  return i.member ? `${base}.${i.member}` : base;
}
