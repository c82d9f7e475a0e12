import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { TrackedJob } from './jobResults';
import { duration } from './views/format';

/**
 * What "Run Performance Benchmark" asks before it runs: concurrencies, prompts per run, input/output
 * lengths, request rate and the GPU baseline — starting from the last answers for this profile, else the
 * profile's `validation.perf`, else the defaults — with an estimate of how long it takes, from what this
 * server measured before (an earlier perf run, else its smoke prompts).
 */

export interface PerfPlan {
  concurrency: number[];
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  /** Requests per second; null: all at once. */
  requestRate: number | null;
  /** Baseline file on this machine, or null. */
  baseline: string | null;
}

export const PERF_PLAN_DEFAULTS: PerfPlan = { concurrency: [1, 8, 32], numPrompts: 64, inputLen: 256, outputLen: 128, requestRate: null, baseline: null };

const key = (profile: string) => `ascend.perfPlan.v1:${profile}`;

export function rememberedPlan(state: vscode.Memento, profile: string, fromProfile: Partial<PerfPlan> | undefined): PerfPlan {
  const saved = state.get<PerfPlan>(key(profile));
  return { ...PERF_PLAN_DEFAULTS, ...(fromProfile ?? {}), ...(saved ?? {}) };
}

export async function rememberPlan(state: vscode.Memento, profile: string, plan: PerfPlan): Promise<void> {
  await state.update(key(profile), plan);
}

/** Milliseconds one request takes on this server, from an earlier perf run or the smoke prompts; null when unknown. */
function perRequestMs(job: Pick<TrackedJob, 'perf' | 'smoke'>, outputLen: number): { ms: number; from: string } | null {
  const run = job.perf?.runs.find((r) => r.meanTtftMs !== null && r.meanTpotMs !== null);
  if (run) return { ms: run.meanTtftMs! + outputLen * run.meanTpotMs!, from: l10n.t('the last performance run') };
  const ok = job.smoke?.results.filter((r) => !r.error && r.ttftMs !== null && r.totalMs !== null && (r.completionTokens ?? 0) > 1) ?? [];
  if (ok.length) {
    const ttft = ok.reduce((a, r) => a + r.ttftMs!, 0) / ok.length;
    const perToken = ok.reduce((a, r) => a + (r.totalMs! - r.ttftMs!) / Math.max(1, (r.completionTokens ?? 1) - 1), 0) / ok.length;
    return { ms: ttft + outputLen * perToken, from: l10n.t('the smoke prompts') };
  }
  return null;
}

/**
 * How long the plan takes, in words. Each concurrency runs `numPrompts` requests, `concurrency` at a time
 * (at most `requestRate` a second); the server is assumed not to slow down with load, so this is a floor.
 */
export function estimate(plan: PerfPlan, job: Pick<TrackedJob, 'perf' | 'smoke'>): string {
  const one = perRequestMs(job, plan.outputLen);
  if (!one) return l10n.t('no estimate yet: nothing was measured on this server (run the smoke test first)');
  let ms = 0;
  for (const c of plan.concurrency) {
    const waves = Math.ceil(plan.numPrompts / Math.max(1, Math.min(c, plan.numPrompts)));
    const paced = plan.requestRate ? (plan.numPrompts / plan.requestRate) * 1000 : 0;
    ms += Math.max(waves * one.ms, paced);
  }
  return l10n.t('about {0} or more (from {1})', duration(Math.max(1000, ms)), one.from);
}

export function planLines(plan: PerfPlan): { concurrency: string; prompts: string; lengths: string; rate: string; baseline: string } {
  return {
    concurrency: l10n.t('Concurrency: {0}', plan.concurrency.join(', ')),
    prompts: l10n.t('Prompts per concurrency: {0}', plan.numPrompts),
    lengths: l10n.t('Input / output length: {0} / {1} tokens', plan.inputLen, plan.outputLen),
    rate: plan.requestRate ? l10n.t('Request rate: {0} per second', plan.requestRate) : l10n.t('Request rate: all at once (inf)'),
    baseline: plan.baseline ? l10n.t('GPU baseline: {0}', vscode.workspace.asRelativePath(plan.baseline)) : l10n.t('GPU baseline: none'),
  };
}

/** The settings picker: one row per setting (pick it to change it) and "Run" with the estimate. */
export async function choosePlan(initial: PerfPlan, estimateOf: (p: PerfPlan) => string, title: string): Promise<PerfPlan | undefined> {
  let plan = { ...initial };
  for (;;) {
    const lines = planLines(plan);
    type Row = vscode.QuickPickItem & { id: 'run' | keyof typeof lines };
    const rows: Row[] = [
      { id: 'run', label: `$(play) ${l10n.t('Run')}`, description: estimateOf(plan) },
      { id: 'concurrency', label: lines.concurrency },
      { id: 'prompts', label: lines.prompts },
      { id: 'lengths', label: lines.lengths },
      { id: 'rate', label: lines.rate },
      { id: 'baseline', label: lines.baseline },
    ];
    const pick = await vscode.window.showQuickPick(rows, { title, placeHolder: l10n.t('Pick a setting to change it, or Run') });
    if (!pick) return undefined;
    if (pick.id === 'run') return plan;
    const next = await editSetting(pick.id, plan);
    if (next) plan = next;
  }
}

const ints = (v: string) => v.split(',').map((x) => Number(x.trim()));

async function editSetting(id: 'concurrency' | 'prompts' | 'lengths' | 'rate' | 'baseline', plan: PerfPlan): Promise<PerfPlan | undefined> {
  const ask = (prompt: string, value: string, ok: (v: string) => boolean, example: string) =>
    vscode.window.showInputBox({ prompt, value, validateInput: (v) => (ok(v) ? undefined : l10n.t('e.g. {0}', example)) });
  const posInts = (v: string) => /^\s*\d+(\s*,\s*\d+)*\s*$/.test(v) && ints(v).every((n) => n > 0);
  switch (id) {
    case 'concurrency': {
      const v = await ask(l10n.t('Concurrencies to sweep, comma-separated'), plan.concurrency.join(','), posInts, '1,8,32');
      return v ? { ...plan, concurrency: ints(v) } : undefined;
    }
    case 'prompts': {
      const v = await ask(l10n.t('Prompts per concurrency'), String(plan.numPrompts), (x) => posInts(x) && ints(x).length === 1, '64');
      return v ? { ...plan, numPrompts: Number(v.trim()) } : undefined;
    }
    case 'lengths': {
      const v = await ask(l10n.t('Input and output length in tokens, comma-separated'), `${plan.inputLen},${plan.outputLen}`, (x) => posInts(x) && ints(x).length === 2, '256,128');
      return v ? { ...plan, inputLen: ints(v)[0], outputLen: ints(v)[1] } : undefined;
    }
    case 'rate': {
      const v = await ask(l10n.t('Requests per second (inf: all at once)'), plan.requestRate ? String(plan.requestRate) : 'inf', (x) => /^\s*(inf|\d+(\.\d+)?)\s*$/.test(x) && x.trim() !== '0', '4, 0.5 or inf');
      return v ? { ...plan, requestRate: v.trim() === 'inf' ? null : Number(v) } : undefined;
    }
    case 'baseline': {
      const none = l10n.t('No baseline');
      const file = l10n.t('Choose a File…');
      const p = await vscode.window.showQuickPick([file, none], { placeHolder: l10n.t('GPU baseline to compare with (perf --json, vllm bench serve result, or a GPU validation report)') });
      if (p === none) return { ...plan, baseline: null };
      if (p !== file) return undefined;
      const u = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { JSON: ['json'] }, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
      return u?.[0] ? { ...plan, baseline: u[0].fsPath } : undefined;
    }
  }
}

