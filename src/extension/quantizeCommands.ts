import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { QuantizePlan } from '../core/quantize/plan';
import type { Commands } from './commands';
import { SIM_ID, type Hosts } from './hosts';
import type { Notifier } from './notify';
import type { Quantizations } from './quantize';
import { requireTrust } from './trust';
import type { Views } from './views';
import { QuantizeNode } from './views/quantize';

/**
 * "Ascend: Quantize Model…": a quick-pick flow (model folder → the float original when it is GPTQ/AWQ →
 * quant type → model type → output folder), offered as a code action on the GPTQ/AWQ diagnostics of serve
 * scripts and from the pre-launch refusal of a GPTQ profile. Arguments given (a test, a code action) skip
 * the questions they answer.
 */

const text = z.string().trim().min(1);
export const quantizeArgs = z.strictObject({
  host: text.optional(),
  model: text.optional(),
  out: text.optional(),
  quantType: text.optional(),
  modelType: text.optional(),
  devices: z.array(z.number().int().min(0)).optional(),
  yes: z.boolean().optional(),
});
export type QuantizeArgs = z.infer<typeof quantizeArgs>;

const jobArg = z.union([text, z.object({ tracked: z.object({ record: z.object({ jobId: text }) }) }).transform((n) => n.tracked.record.jobId)]);

const QUANT_TYPES: Array<[string, () => string]> = [
  ['w8a8', () => l10n.t('8-bit weights and activations (W8A8 linear, W8A8_DYNAMIC MoE) — the usual choice')],
  ['w8a16', () => l10n.t('8-bit weights only (W8A16; dense models)')],
  ['w4a8', () => l10n.t('4-bit weights, 8-bit activations (W4A8_DYNAMIC: MoE experts only)')],
];

export interface QuantizeFeature {
  quantize: Quantizations;
  hosts: Hosts;
  views: Views;
  notifier: Notifier;
}

async function must<T>(v: Promise<T | undefined>): Promise<T> {
  const r = await v;
  if (r === undefined) throw new vscode.CancellationError();
  return r;
}

/** GPTQ/AWQ → the float original: the one found beside it, or one the person names. */
async function floatModel(plan: QuantizePlan, q: Quantizations, hostId: string): Promise<{ model: string; plan: QuantizePlan }> {
  const title = l10n.t('Quantize Model');
  let model: string;
  if (plan.floatModel) {
    const other = l10n.t('Another folder…');
    const pick = await must(q.ui.pick(title, l10n.t('msModelSlim quantizes float weights: which BF16/FP16 checkpoint?'), [
      { label: plan.floatModel, description: l10n.t('found beside it, same architecture and sizes'), detail: plan.notes.join(' ') },
      { label: other },
    ]));
    model = pick === other ? await must(q.ui.text(title, l10n.t('The BF16/FP16 checkpoint on the host'), path.dirname(plan.model))) : pick;
  } else {
    model = await must(q.ui.text(title, plan.notes.join(' '), path.dirname(plan.model)));
  }
  const again = await q.plan(hostId, model);
  if (again.action !== 'quantize') throw new Error(again.notes.join(' '));
  return { model, plan: again };
}

/** The whole flow; returns the job id (or undefined when cancelled). */
export async function quantizeFlow(d: QuantizeFeature, a: QuantizeArgs = {}): Promise<string | undefined> {
  requireTrust(l10n.t('Quantize Model'));
  const ui = d.quantize.ui;
  const hostId = a.host ?? d.hosts.activeId ?? (d.hosts.simDir ? SIM_ID : undefined);
  if (!hostId) throw new Error(l10n.t('Select a host first ("Ascend: Select Active Host"), or create the simulated one.'));
  const title = l10n.t('Quantize Model');
  let model = a.model ?? (await must(ui.text(title, l10n.t('Model folder on the host (the float checkpoint, or the GPTQ/AWQ one it replaces)'))));
  let plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: l10n.t('Reading {0}…', model) }, () => d.quantize.plan(hostId, model));
  if (plan.action === 'needs-float') ({ model, plan } = await floatModel(plan, d.quantize, hostId));
  else if (plan.action !== 'quantize') throw new Error(plan.notes.join(' '));
  const quantType = a.quantType ?? (await must(ui.pick(title, plan.notes.slice(-1)[0] ?? '', QUANT_TYPES.map(([label, detail]) => ({ label, detail: detail() })))));
  let modelType = a.modelType ?? plan.modelType.name ?? undefined;
  if (!modelType && plan.modelType.candidates.length) modelType = await must(ui.pick(title, l10n.t('msModelSlim --model_type'), plan.modelType.candidates.map((label) => ({ label }))));
  const out = a.out ?? (await must(ui.text(title, l10n.t('Output folder on the host (new or empty)'), `${model.replace(/[\\/]+$/, '')}-${quantType}`)));
  return d.quantize.start(hostId, { model, out, quantType, modelType, devices: a.devices, yes: a.yes });
}

/** `vllm serve MODEL …` on the diagnostic's line or the lines before it (a continued command). */
function modelOfCommand(doc: vscode.TextDocument, line: number): string | undefined {
  for (let l = line; l >= Math.max(0, line - 20); l--) {
    const m = /\bvllm\s+serve\s+("[^"]+"|'[^']+'|[^\s\\]+)/.exec(doc.lineAt(l).text);
    if (m) return m[1].replace(/^["']|["']$/g, '');
  }
  return undefined;
}

/** A code action on the GPTQ/AWQ diagnostics (ours, on serve scripts and descriptions of unconverted weights). */
export class QuantizeCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    for (const diag of ctx.diagnostics) {
      if (diag.source !== 'ascend-adapt' || !['serve-args', 'quant-description'].includes(String(typeof diag.code === 'object' ? diag.code.value : diag.code))) continue;
      if (!/gptq|awq|qweight|qzeros/i.test(doc.getText(diag.range) + diag.message)) continue;
      const model = modelOfCommand(doc, diag.range.start.line);
      const a = new vscode.CodeAction(l10n.t('Quantize the float checkpoint with msModelSlim…'), vscode.CodeActionKind.QuickFix);
      a.diagnostics = [diag];
      // The real fix (the server offers no text edit for a GPTQ/AWQ flag): Ctrl+. picks it first.
      a.isPreferred = true;
      a.command = { command: 'ascend.quantizeModel', title: a.title, arguments: [model ? { model } : {}] };
      out.push(a);
    }
    return out;
  }
}

export function registerQuantizeCommands(commands: Commands, d: QuantizeFeature): vscode.Disposable {
  const tree = d.views.trees['ascend.jobs'];
  tree.addRoots(() => d.quantize.all().map((t) => new QuantizeNode(t)));
  const subs: vscode.Disposable[] = [d.quantize.onDidChange(() => tree.refresh())];
  const jobsView = d.views.views['ascend.jobs'];
  subs.push(jobsView.onDidChangeVisibility((e) => e.visible && void d.quantize.resume()));
  if (jobsView.visible) void d.quantize.resume();
  commands.register('ascend.quantizeModel', [quantizeArgs.optional()], (a) => quantizeFlow(d, a ?? {}));
  commands.register('ascend.quantize.stop', [jobArg], async (id) => {
    const r = await vscode.window.withProgress({ location: { viewId: 'ascend.jobs' }, title: l10n.t('Stopping…') }, () => d.quantize.stop(id));
    if (r.leftovers.length) void d.notifier.warn(l10n.t('Stopped, but processes are left: {0}', r.leftovers.join(', ')));
    else void d.notifier.info(l10n.t('Quantization stopped; no process left.'));
    return r;
  });
  commands.register('ascend.quantize.clearFinished', [], () => d.quantize.clearFinished());
  subs.push(vscode.languages.registerCodeActionsProvider([{ language: 'shellscript' }, { language: 'markdown' }, { language: 'json' }, { pattern: '**/*.sh' }], new QuantizeCodeActions(), { providedCodeActionKinds: QuantizeCodeActions.kinds }));
  return vscode.Disposable.from(...subs);
}
