import type { Node } from 'web-tree-sitter';
import { OTHER_DEVICE_TYPES, OTHER_PLATFORM_FORWARDS, PLATFORM_TESTS } from '../knowledge/cuda';
import { dotted, same, stringValue } from './pytree';

/**
 * Where a piece of Python code sits, as far as the NPU is concerned: inside a type annotation (not run),
 * inside a branch that only another platform takes (`if current_platform.is_cuda():`, `device_type ==
 * "cuda"`, the else of `if is_npu():`, after `if not is_cuda(): return` …), in a CustomOp's forward_cuda,
 * in a function that imports torch_npu itself. All of it is read off the node's ancestor path.
 */

export type Platform = 'npu' | 'other';

/** Resolves a dotted expression to what it names through the file's imports (torch.cuda.is_available …). */
export type Qualify = (n: Node) => string | undefined;

const TESTS = new Map(PLATFORM_TESTS.map((t) => [t.name, t.platform]));
const DEVICE_ATTRS = /(^|\.)(device_type|type|device|platform|backend|device_name)$/;

function unparen(n: Node): Node {
  let cur = n;
  while (cur.type === 'parenthesized_expression' && cur.namedChildren[0]) cur = cur.namedChildren[0];
  return cur;
}

/** Platform of a device-type string literal, if it is one. */
function deviceLiteral(n: Node): Platform | undefined {
  const v = n.type === 'string' ? stringValue(n) : undefined;
  if (v === undefined) return undefined;
  const base = v.split(':')[0];
  if (base === 'npu') return 'npu';
  return OTHER_DEVICE_TYPES.includes(base) ? 'other' : undefined;
}

function comparison(n: Node, q: Qualify): Platform | undefined {
  const kids = n.namedChildren.filter((x): x is Node => !!x);
  const ops = n.children.filter((c): c is Node => !!c && !c.isNamed).map((c) => c.text);
  if (kids.length !== 2 || ops.length !== 1) return undefined;
  const [a, b] = kids;
  const op = ops[0];
  if (op === '==' || op === 'is') {
    const lit = deviceLiteral(b) ?? deviceLiteral(a);
    const other = deviceLiteral(b) ? a : b;
    const d = dotted(other) ?? (other.type === 'call' ? dotted(other.childForFieldName('function') ?? other) : undefined);
    return lit && (d === undefined || DEVICE_ATTRS.test(d) || /device/.test(other.text)) ? lit : undefined;
  }
  if (op === 'in' && (b.type === 'tuple' || b.type === 'list' || b.type === 'set')) {
    const lits = b.namedChildren.filter((x): x is Node => !!x).map(deviceLiteral);
    return lits.length && lits.every((x) => x === 'other') ? 'other' : undefined;
  }
  void q;
  return undefined;
}

/** What the condition being true says about the platform. */
export function whenTrue(cond: Node, q: Qualify): Platform | undefined {
  const n = unparen(cond);
  switch (n.type) {
    case 'not_operator': {
      const a = n.childForFieldName('argument');
      return a ? whenFalse(a, q) : undefined;
    }
    case 'boolean_operator': {
      const l = n.childForFieldName('left');
      const r = n.childForFieldName('right');
      if (!l || !r) return undefined;
      const op = n.childForFieldName('operator')?.text ?? n.children.find((c) => c && !c.isNamed)?.text;
      const a = whenTrue(l, q);
      const b = whenTrue(r, q);
      if (op === 'and') return a === 'other' || b === 'other' ? 'other' : a === 'npu' || b === 'npu' ? 'npu' : undefined;
      return a === 'other' && b === 'other' ? 'other' : undefined;
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      if (!fn) return undefined;
      const qn = q(fn);
      if (qn === 'torch.cuda.is_available') return 'other';
      const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.type === 'identifier' ? fn.text : undefined;
      return name ? TESTS.get(name) : undefined;
    }
    case 'identifier':
      // module flags by convention: `_is_cuda = is_cuda()`, `_is_npu = is_npu()`
      return /^_?is_\w+$/.test(n.text) ? TESTS.get(n.text.replace(/^_+/, '')) : undefined;
    case 'attribute': {
      const qn = q(n);
      if (qn === 'torch.version.cuda' || qn === 'torch.version.hip') return 'other';
      return n.childForFieldName('attribute')?.text === 'is_cuda' ? 'other' : undefined;
    }
    case 'comparison_operator':
      return comparison(n, q);
    default:
      return undefined;
  }
}

/** What the condition being false says about the platform. */
export function whenFalse(cond: Node, q: Qualify): Platform | undefined {
  const n = unparen(cond);
  if (n.type === 'not_operator') {
    const a = n.childForFieldName('argument');
    return a ? whenTrue(a, q) : undefined;
  }
  if (n.type === 'boolean_operator') {
    const op = n.childForFieldName('operator')?.text ?? n.children.find((c) => c && !c.isNamed)?.text;
    const l = n.childForFieldName('left');
    const r = n.childForFieldName('right');
    if (op === 'or' && l && r) {
      const a = whenFalse(l, q);
      const b = whenFalse(r, q);
      return a === 'other' || b === 'other' ? 'other' : undefined;
    }
    return undefined;
  }
  if (n.type === 'comparison_operator') {
    const ops = n.children.filter((c): c is Node => !!c && !c.isNamed).map((c) => c.text);
    const kids = n.namedChildren.filter((x): x is Node => !!x);
    if (ops.length === 1 && kids.length === 2) {
      const lit = deviceLiteral(kids[1]) ?? deviceLiteral(kids[0]);
      if (ops[0] === '!=' || ops[0] === 'is not') return lit; // `device != "cuda"` false → it is CUDA
      if ((ops[0] === '==' || ops[0] === 'is') && lit === 'npu') return 'other'; // not the NPU
    }
    return undefined;
  }
  // `if is_npu(): … else: <here>` → not the NPU
  return whenTrue(n, q) === 'npu' ? 'other' : undefined;
}

const EXITS = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);

function exitsEarly(ifNode: Node): boolean {
  if (ifNode.childForFieldName('alternative')) return false;
  const body = ifNode.childForFieldName('consequence');
  const last = body?.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment').pop();
  return !!last && EXITS.has(last.type);
}

/** Early guards of one block: (offset after which they hold, condition). */
type BlockGuards = { after: number; cond: Node }[];
const blockCache = new Map<string, BlockGuards>();
let blockCacheTree: unknown;

/** A guard found on a block's earlier statements (`if not is_cuda(): return`, `assert is_cuda()`). */
function earlyGuard(block: Node, child: Node, q: Qualify): Node | undefined {
  // per tree, each block is scanned once however many hits it holds
  if (blockCacheTree !== block.tree) {
    blockCache.clear();
    blockCacheTree = block.tree;
  }
  const key = `${block.startIndex}:${block.endIndex}`;
  let guards = blockCache.get(key);
  if (!guards) {
    guards = [];
    for (const s of block.namedChildren) {
      if (!s) continue;
      if (s.type === 'if_statement' && exitsEarly(s)) {
        const c = s.childForFieldName('condition');
        if (c && whenFalse(c, q) === 'other') guards.push({ after: s.endIndex, cond: c });
      } else if (s.type === 'assert_statement') {
        const c = s.namedChildren[0];
        if (c && whenTrue(c, q) === 'other') guards.push({ after: s.endIndex, cond: c });
      }
    }
    blockCache.set(key, guards);
  }
  return guards.find((g) => g.after <= child.startIndex)?.cond;
}

export interface Place {
  /** Inside a type annotation. */
  annotation: boolean;
  /** The condition (or method) that keeps this code off the NPU, when one does. */
  guard?: { text: string; kind: 'branch' | 'custom-op' };
  /** The statement (or compound-statement header) the node belongs to: one diagnostic each. */
  statement: Node;
  /** The enclosing function definitions, innermost first. */
  functions: Node[];
  /** A CustomOp-style platform method (forward_cuda …) and its class, when the node is inside one. */
  platformMethod?: { name: string; cls: Node };
  /** Inside the body of a `try` that has an `except` (the fallback is what runs when this fails). */
  tried: boolean;
}

const SIMPLE = new Set([
  'expression_statement', 'return_statement', 'assert_statement', 'import_statement', 'import_from_statement', 'raise_statement',
  'delete_statement', 'global_statement', 'nonlocal_statement', 'print_statement', 'exec_statement', 'type_alias_statement',
]);
const COMPOUND = new Set(['if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement', 'function_definition', 'class_definition', 'decorated_definition', 'match_statement', 'elif_clause', 'else_clause', 'except_clause', 'finally_clause', 'case_clause']);

function branchGuard(node: Node, child: Node, parent: Node | undefined, q: Qualify): Node | undefined {
  switch (node.type) {
    case 'if_statement':
    case 'elif_clause': {
      const c = node.childForFieldName('condition');
      if (c && same(node.childForFieldName('consequence'), child) && whenTrue(c, q) === 'other') return c;
      if (node.type === 'elif_clause' && parent && same(node.childForFieldName('consequence'), child)) return previousFalse(parent, node, q);
      return undefined;
    }
    case 'else_clause':
      return parent?.type === 'if_statement' ? previousFalse(parent, node, q) : undefined;
    case 'conditional_expression': {
      const [a, c, b] = node.namedChildren;
      if (!a || !c || !b) return undefined;
      if (same(a, child) && whenTrue(c, q) === 'other') return c;
      if (same(b, child) && whenFalse(c, q) === 'other') return c;
      return undefined;
    }
    case 'boolean_operator': {
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.text ?? node.children.find((c) => c && !c.isNamed)?.text;
      if (!l || !same(r, child)) return undefined;
      if (op === 'and' && whenTrue(l, q) === 'other') return l;
      if (op === 'or' && whenFalse(l, q) === 'other') return l;
      return undefined;
    }
    case 'block':
      return parent && parent.type !== 'module' && parent.type !== 'class_definition' ? earlyGuard(node, child, q) : undefined;
    default:
      return undefined;
  }
}

/** The condition of the if or an earlier elif whose being false implies another platform. */
function previousFalse(ifNode: Node, clause: Node, q: Qualify): Node | undefined {
  const conds: Node[] = [];
  const c0 = ifNode.childForFieldName('condition');
  if (c0) conds.push(c0);
  for (const alt of ifNode.childrenForFieldName('alternative')) {
    if (!alt || alt.startIndex >= clause.startIndex) break;
    const c = alt.type === 'elif_clause' ? alt.childForFieldName('condition') : null;
    if (c) conds.push(c);
  }
  return conds.find((c) => whenFalse(c, q) === 'other');
}

/** A condition as one short line (for messages). */
function short(text: string): string {
  const one = text.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
  return one.length > 80 ? one.slice(0, 77) + '…' : one;
}

/** Reads the ancestor path (root … node) once. */
export function placeOf(path: Node[], q: Qualify): Place {
  let annotation = false;
  let guard: Place['guard'];
  let statement: Node | undefined;
  let platformMethod: Place['platformMethod'];
  let tried = false;
  const functions: Node[] = [];
  for (let i = path.length - 1; i >= 1; i--) {
    const node = path[i];
    const child = path[i + 1];
    const parent = path[i - 1];
    if (node.type === 'type') annotation = true;
    if (node.type === 'try_statement' && child?.type === 'block' && same(node.childForFieldName('body'), child) && node.namedChildren.some((c) => c?.type === 'except_clause' || c?.type === 'except_group_clause')) tried = true;
    if (!statement && (SIMPLE.has(node.type) || (child && COMPOUND.has(node.type) && !child.type.endsWith('block') && !child.type.endsWith('clause')))) {
      statement = SIMPLE.has(node.type) ? node : child;
    }
    if (child && !guard) {
      const g = branchGuard(node, child, parent, q);
      if (g) guard = { text: short(g.text), kind: 'branch' };
    }
    if (node.type === 'function_definition') {
      functions.push(node);
      const name = node.childForFieldName('name')?.text ?? '';
      const cls = parent?.type === 'block' ? path[i - 2] : undefined;
      const owner = cls?.type === 'class_definition' ? cls : undefined;
      if (owner && !platformMethod && OTHER_PLATFORM_FORWARDS.includes(name)) platformMethod = { name, cls: owner };
    }
  }
  return { annotation, guard, statement: statement ?? path[Math.min(1, path.length - 1)], functions, platformMethod, tried };
}
