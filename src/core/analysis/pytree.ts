import type { Node } from 'web-tree-sitter';
import { range, type Range } from './types';

/** Small helpers over tree-sitter-python nodes, shared by the Python analysers. */

export function nodeRange(n: Node): Range {
  return range(n.startPosition.row, n.startPosition.column, n.endPosition.row, n.endPosition.column);
}

export function topsOf(root: Node): Node[] {
  return root.namedChildren.filter((x): x is Node => !!x);
}

/**
 * The ancestor path of one node. tree-sitter ≥ 0.24 finds a node's parent by descending from the tree root,
 * scanning every top-level statement on the way — slow in a long file. So the path is built once: binary
 * search for the top-level statement, then childWithDescendant down to the node.
 */
export class Ancestry {
  /** root … target (inclusive). */
  readonly path: Node[] = [];
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
    this.path.push(root);
    let cur = root;
    if (stmt && stmt.id !== target.id) {
      this.parents.set(stmt.id, root);
      this.path.push(stmt);
      cur = stmt;
    }
    for (let guard = 0; cur.id !== target.id && guard < 500; guard++) {
      const next = cur.childWithDescendant(target);
      if (!next) break;
      this.parents.set(next.id, cur);
      this.path.push(next);
      cur = next;
    }
    if (stmt && stmt.id === target.id) {
      this.parents.set(stmt.id, root);
      this.path.push(stmt);
    }
  }
  parent(n: Node): Node | null {
    return this.parents.get(n.id) ?? n.parent;
  }
}

/** a.b.c as text when the expression is a pure dotted name, else undefined. */
export function dotted(n: Node): string | undefined {
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

export function stringContentRange(n: Node): Range | undefined {
  const c = n.namedChildren.find((x) => x?.type === 'string_content');
  return c ? nodeRange(c) : undefined;
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

/** Same node (web-tree-sitter hands out fresh wrapper objects). */
export function same(a: Node | null | undefined, b: Node | null | undefined): boolean {
  return !!a && !!b && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}
