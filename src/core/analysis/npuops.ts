import * as l10n from '@vscode/l10n';
import type { Node } from 'web-tree-sitter';
import { say } from '../knowledge/text';
import { findOp, TORCH_NPU_OPS, type TorchNpuOp } from '../knowledge/torch-npu-ops';
import { opNames, overloadsOf, type ReleaseChoice } from '../knowledge/torch-npu-signatures';
import { literal, nodeRange, stringContentRange } from './pytree';
import type { Finding, Fix, Range, Severity } from './types';

/**
 * torch_npu operator calls: keyword arguments against the signatures of the torch_npu release in use
 * (op-plugin's op_plugin_functions.yaml at that release), literal arguments against documented constraints,
 * hovers and keyword completion.
 */

/** `torch_npu.<op>[.<overload>]` / `torch.ops.npu.<op>…` / `torch.ops.atb.<op>…` → op and overload. */
export function npuOpName(q: string): { op: string; overload?: string } | undefined {
  const p = q.split('.');
  const at = p[0] === 'torch_npu' ? 1 : p[0] === 'torch' && p[1] === 'ops' && (p[2] === 'npu' || p[2] === 'atb') ? 3 : -1;
  if (at < 0 || !p[at]) return undefined;
  return { op: p[at], ...(p[at + 1] ? { overload: p[at + 1] } : {}) };
}

/** "torch_npu 2.10.0.post4" plus how that release was chosen. */
export function releaseLabel(c: ReleaseChoice): string {
  const v = c.release.torchNpu;
  if (c.how === 'exact') return l10n.t('torch_npu {0}', v);
  if (c.how === 'nearest') return l10n.t('torch_npu {0} (the nearest known release to {1})', v, c.requested ?? '?');
  return c.requested
    ? l10n.t('torch_npu {0} (the newest known release; {1} is not one)', v, c.requested)
    : l10n.t('torch_npu {0} (the newest known release; set ascendAdapt.lint.torchNpuVersion or --torch-npu to check another)', v);
}

function mk(r: Range, severity: Severity, message: string, src: { source: string; href: string }, fixes: Fix[] = []): Finding {
  return { range: r, severity, code: 'npu-op-constraint', message, source: src.source, href: src.href, fixes, hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}


/** Keyword names no overload of the release accepts → warnings naming the release. */
function checkKeywords(name: string, overload: string | undefined, args: Node[], rel: ReleaseChoice, out: Finding[]): void {
  let sigs = overloadsOf(rel.release, name);
  if (overload !== undefined && overload !== 'default') sigs = sigs.filter((s) => s.overload === overload);
  else if (overload === 'default') sigs = sigs.filter((s) => s.overload === '');
  else if (!args.some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'out')) {
    // calling the packet without out=: the functional overloads are the ones that can match
    const functional = sigs.filter((s) => !s.mutates);
    if (functional.length) sigs = functional;
  }
  if (!sigs.length) return;
  const unknown: Node[] = [];
  for (const a of args) {
    if (a.type !== 'keyword_argument') continue;
    const kw = a.childForFieldName('name');
    if (!kw) continue;
    const k = kw.text;
    if (!sigs.some((s) => s.names.has(k) || (k === 'out' && s.mutates))) unknown.push(kw);
  }
  if (!unknown.length) return;
  // one diagnostic per call: every unknown keyword named, on the first one
  const full = `torch_npu.${name}${overload ? '.' + overload : ''}`;
  const params = [...new Set(sigs.flatMap((s) => s.params.map((p) => p.name)))].join(', ');
  const kws = unknown.map((k) => `\`${k.text}\``).join(', ');
  const msg =
    unknown.length === 1
      ? l10n.t('`{0}` has no keyword argument {1} in {2}; its parameters: {3}.', full, kws, releaseLabel(rel), params)
      : l10n.t('`{0}` has no keyword arguments {1} in {2}; its parameters: {3}.', full, kws, releaseLabel(rel), params);
  out.push(mk(nodeRange(unknown[0]), 'warning', msg, sigs[0]));
}

function closest(v: string, options: string[]): string | undefined {
  const lv = v.toLowerCase();
  return options.find((o) => o.toLowerCase() === lv) ?? options.find((o) => o.startsWith(lv) || lv.startsWith(o));
}

/** Literal arguments against the documented constraints of the op (values, ranges, head ratios). */
function checkConstraints(op: TorchNpuOp, args: Node[], out: Finding[]): void {
  const positional = op.params.filter((p) => !p.keywordOnly);
  const values = new Map<string, { value: string | number | boolean | undefined; node: Node }>();
  let pi = 0;
  for (const a of args) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name');
      const val = a.childForFieldName('value');
      const param = name ? op.params.find((p) => p.name === name.text) : undefined;
      if (param && val) values.set(param.name, { value: literal(val), node: val });
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
      const fixes: Fix[] = fix && cr ? [{ title: l10n.t('Replace `{0}` with `{1}`', v as string, fix), edits: [{ range: cr, newText: fix }], preferred: true }] : [];
      out.push(mk(nodeRange(got.node), 'error', msg, op, fixes));
    } else if (typeof v === 'number' && ((param.min !== undefined && v < param.min) || (param.max !== undefined && v > param.max))) {
      const msg = l10n.t('`{0}` of `{1}` must be between {2} and {3}; got {4}.', param.name, `torch_npu.${op.name}`, String(param.min ?? '-∞'), String(param.max ?? '∞'), String(v));
      out.push(mk(nodeRange(got.node), 'error', msg, op));
    }
  }
  if (op.checks.includes('heads-divisible')) {
    const h = values.get('num_heads')?.value;
    const kvEntry = values.get('num_key_value_heads') ?? values.get('num_kv_heads');
    const kv = kvEntry?.value;
    if (typeof h === 'number' && typeof kv === 'number' && kv > 0 && h % kv !== 0) {
      const msg = l10n.t('`{0}`: num_heads ({1}) must be a multiple of the number of KV heads ({2}).', `torch_npu.${op.name}`, String(h), String(kv));
      out.push(mk(nodeRange(kvEntry!.node), 'error', msg, op));
    }
  }
}

/** All checks of one torch_npu call (`q` is the qualified callee). */
export function checkNpuCall(q: string, call: Node, rel: ReleaseChoice, out: Finding[]): void {
  const id = npuOpName(q);
  const al = call.childForFieldName('arguments');
  if (!id || !al || al.type !== 'argument_list') return;
  const args = al.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment');
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return; // *args / **kwargs: nothing is knowable
  checkKeywords(id.op, id.overload, args, rel, out);
  const op = findOp(id.op);
  if (op && !id.overload) checkConstraints(op, args, out);
}

// ---------------------------------------------------------------------------------------------------
// Hover and completion

export function opHover(op: TorchNpuOp | undefined, name: string, rel: ReleaseChoice): string | undefined {
  const sigs = overloadsOf(rel.release, name);
  if (!op && !sigs.length) return undefined;
  const lines = [`**torch_npu.${name}**${op ? ` — ${say(op.purpose)}` : ''}`, '', '```python', ...(sigs.length ? sigs.map((s) => s.schema) : [op!.signature]), '```'];
  if (sigs.length) lines.push('', `${releaseLabel(rel)}: [${sigs[0].source}](${sigs[0].href})`);
  if (op?.constraints.length) lines.push('', `**${l10n.t('Constraints')}**`, ...op.constraints.map((c) => `- ${say(c)}`));
  if (op?.replaces) lines.push('', `${l10n.t('Replaces')}: \`${op.replaces}\``);
  if (op) lines.push('', `${l10n.t('Source')}: [${op.source}](${op.href})`);
  return lines.join('\n');
}

export interface KeywordCompletion {
  label: string;
  insertText: string;
  detail: string;
  documentation: string;
}

/** Op names after `torch_npu.` (the release's ops; documented ones first). */
export function opCompletions(prefix: string, rel: ReleaseChoice): KeywordCompletion[] {
  const documented = new Set(TORCH_NPU_OPS.map((o) => o.name));
  const names = [...new Set([...TORCH_NPU_OPS.map((o) => o.name), ...opNames(rel.release)])].filter((n) => n.startsWith(prefix));
  return names.map((n) => {
    const op = findOp(n);
    const sig = overloadsOf(rel.release, n)[0];
    return {
      label: n,
      insertText: n,
      detail: sig?.schema ?? op?.signature ?? n,
      documentation: op ? `${say(op.purpose)}\n\n${op.constraints.map((c) => `- ${say(c)}`).join('\n')}` : documented.has(n) ? '' : releaseLabel(rel),
    };
  });
}

/** Keyword arguments of an op not yet used in the call. */
export function keywordItems(name: string, used: Set<string>, rel: ReleaseChoice): KeywordCompletion[] {
  const op = findOp(name);
  const sigs = overloadsOf(rel.release, name);
  const params = new Map<string, string>();
  for (const s of sigs) for (const p of s.params) if (!params.has(p.name)) params.set(p.name, `${p.type}${p.default !== undefined ? ` = ${p.default}` : ''}`);
  for (const p of op?.params ?? []) {
    if (sigs.length && !params.has(p.name)) continue; // the release's signature decides which names exist
    const t = params.get(p.name) ?? p.type;
    params.set(p.name, `${t}${p.values ? ` ∈ {${p.values.map((v) => JSON.stringify(v)).join(', ')}}` : ''}`);
  }
  const doc = `torch_npu.${name}${op ? `: ${say(op.purpose)}` : ''}\n\n${sigs[0]?.schema ?? op?.signature ?? ''}`;
  return [...params].filter(([n]) => !used.has(n)).map(([n, detail]) => ({ label: `${n}=`, insertText: `${n}=`, detail, documentation: doc }));
}
