import * as l10n from '@vscode/l10n';
import type { Node } from 'web-tree-sitter';
import { collectImports } from '../analysis/imports';
import type { Qualify } from '../analysis/guards';
import { qualifierOf } from '../analysis/summary';
import { dotted, nodeRange } from '../analysis/pytree';
import type { Finding } from '../analysis/types';
import { AICPU_OPS, aicpuRowsFor, type AicpuOpRow, type CodePattern } from '../knowledge/aicpu-ops';
import { pick } from '../l10n';
import type { FindingOp, ProfileFindings } from './findings';

/**
 * Back to the code: the Python that produces an operator a profile saw on the AI CPU (knowledge/aicpu-ops.ts
 * says which calls, methods, dtypes and masked assignments produce which operator). Each match becomes a
 * diagnostic and a hover "seen on AI CPU in profile <job> (N µs total)" with the fix. Only files that import
 * torch are looked at, and only patterns of operators the profile actually saw.
 */

const MASK_NAME = /(?:^|_)(?:mask|masks|idx|index|indices|ids|keep|select(?:ed)?)(?:$|_)/i;

/** A `x[index] = …` whose index looks like a tensor (see CodePattern mask-assign). */
function maskLikeIndex(n: Node): boolean {
  if (['comparison_operator', 'boolean_operator', 'unary_operator', 'call', 'not_operator'].includes(n.type)) return true;
  const d = dotted(n);
  return d !== undefined && MASK_NAME.test(d.split('.').pop() ?? '');
}

interface Hit {
  node: Node;
  row: AicpuOpRow;
}

function positionalArgs(call: Node): number {
  const args = call.childForFieldName('arguments');
  return args ? args.namedChildren.filter((c) => c && c.type !== 'keyword_argument' && c.type !== 'comment').length : 0;
}

function matchCall(call: Node, p: CodePattern, qualified: Qualify): Node | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  if (p.kind === 'method' && fn.type === 'attribute') {
    const attr = fn.childForFieldName('attribute');
    // x.nonzero() on a value; torch.nonzero(x) (a name through an import) is the `call` pattern's
    if (attr && p.names.includes(attr.text) && qualified(fn) === undefined) return attr;
  }
  const q = qualified(fn);
  if (p.kind === 'call' && q && p.names.includes(q)) return fn;
  if (p.kind === 'where1' && q === 'torch.where' && positionalArgs(call) === 1) return fn;
  return null;
}

/** Every place in the tree where a row's code pattern occurs. */
function hitsIn(root: Node, text: string, rows: AicpuOpRow[]): Hit[] {
  const imports = collectImports(root, text);
  if (!imports.some((i) => i.local && (i.qualified === 'torch' || i.qualified.startsWith('torch.')))) return [];
  const qualified = qualifierOf(imports);
  const out: Hit[] = [];
  const want = (k: CodePattern['kind']) => rows.flatMap((r) => r.code.filter((p) => p.kind === k).map((p) => ({ r, p })));
  const calls = [...want('call'), ...want('method'), ...want('where1')];
  if (calls.length) {
    for (const c of root.descendantsOfType('call')) {
      if (!c) continue;
      for (const { r, p } of calls) {
        const n = matchCall(c, p, qualified);
        if (n) out.push({ node: n, row: r });
      }
    }
  }
  const masks = want('mask-assign');
  if (masks.length) {
    for (const a of root.descendantsOfType('assignment')) {
      const left = a?.childForFieldName('left');
      const index = left?.type === 'subscript' ? left.childForFieldName('subscript') : null;
      if (left && index && maskLikeIndex(index)) for (const { r } of masks) out.push({ node: left, row: r });
    }
  }
  const attrs = want('attribute');
  if (attrs.length) {
    for (const n of root.descendantsOfType('attribute')) {
      if (!n || n.parent?.type === 'attribute') continue;
      const q = qualified(n);
      for (const { r, p } of attrs) if (p.kind === 'attribute' && q && p.names.includes(q)) out.push({ node: n, row: r });
    }
  }
  return out;
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

function hover(row: AicpuOpRow, ops: FindingOp[], f: ProfileFindings): string {
  const lines = [
    `**${pick(row.title)}** — ${l10n.t('seen on AI CPU in profile {0}', f.jobId)}${f.simulated ? ` (${l10n.t('SIMULATED')})` : ''}`,
    '',
    `| ${l10n.t('Operator')} | ${l10n.t('Count')} | ${l10n.t('Total')} | ${l10n.t('Max')} | ${l10n.t('Input dtypes')} |`,
    '|---|---:|---:|---:|---|',
    ...ops.map((o) => `| ${o.type} | ${o.count} | ${fmtUs(o.totalUs)} | ${fmtUs(o.maxUs)} | ${o.dtypes.join(', ') || '-'} |`),
    '',
    `${l10n.t('Fix')}: ${pick(row.fix)}`,
    '',
    `${l10n.t('Source')}: [${row.source}](${row.href}) · ${l10n.t('profile on {0}, {1}', f.host, f.capturedAt)}`,
  ];
  return lines.join('\n');
}

/** The diagnostics a profile's AI CPU operators put on one Python file (its tree from tree-sitter). */
export function profileCodeFindings(root: Node, text: string, f: ProfileFindings): Finding[] {
  const seen = new Map<string, { row: AicpuOpRow; ops: FindingOp[] }>();
  for (const op of f.ops) {
    if (op.coreType !== 'AI_CPU') continue;
    for (const row of aicpuRowsFor(op.type, op.dtypes)) {
      const s = seen.get(row.id) ?? { row, ops: [] };
      s.ops.push(op);
      seen.set(row.id, s);
    }
  }
  if (!seen.size) return [];
  const rows = AICPU_OPS.filter((r) => seen.has(r.id) && r.code.length);
  const done = new Set<string>();
  const out: Finding[] = [];
  for (const h of hitsIn(root, text, rows)) {
    const key = `${h.row.id}@${h.node.startIndex}`;
    if (done.has(key)) continue;
    done.add(key);
    const { ops } = seen.get(h.row.id)!;
    const total = ops.reduce((a, o) => a + o.totalUs, 0);
    const names = ops.map((o) => o.type).join(', ');
    out.push({
      range: nodeRange(h.node),
      severity: 'warning',
      code: 'profile-aicpu',
      message: l10n.t('{0} seen on AI CPU in profile {1} ({2} total){3}: {4}', names, f.jobId, fmtUs(total), f.simulated ? ` [${l10n.t('SIMULATED')}]` : '', pick(h.row.fix)),
      href: h.row.href,
      source: h.row.source,
      fixes: [],
      hover: hover(h.row, ops, f),
    });
  }
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
