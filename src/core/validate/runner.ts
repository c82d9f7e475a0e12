import { stepName } from '../report/format';
import { en, translator } from '../l10n';
import type { StepStatus } from '../report/schema';
import type { RunEvent, StepContext, StepId, StepRecord, StepResult, StepSelection, ValidateStep } from './types';

/**
 * Runs validation steps in order. It alone decides what runs (selection, needs, reuse of an earlier
 * run's results) and handles a stop request: the step that was running ends `interrupted` (its partial
 * data stays in the state), the steps after it are `not-run` "interrupted during <step>", except steps
 * marked `always` (stopping the server), which still run.
 */
export type RunnerContext = Omit<StepContext, 'progress'>;

export interface RunStepsOptions {
  selection?: StepSelection;
  onEvent?: (e: RunEvent) => void;
}

const EN = translator('en');

/** English step title, as the reports store it (translated when rendered). */
export function stepTitle(id: StepId): string {
  return stepName(EN, id);
}

/** Throws on a programming error in the list: duplicate ids, a need that is not an earlier step. */
export function checkStepList(steps: readonly ValidateStep[]): void {
  const seen = new Set<StepId>();
  for (const s of steps) {
    if (seen.has(s.id)) throw new Error(`validation step ${s.id} is listed twice`);
    for (const n of s.needs) if (!seen.has(n)) throw new Error(`validation step ${s.id} needs ${n}, which is not an earlier step`);
    seen.add(s.id);
  }
}

type Action = 'run' | 'reuse' | 'absent';

/**
 * What each step does in this run. Selected steps run; a step a running step needs is reused when an
 * earlier run left a usable, still valid result for it, else it runs too (and its needs are checked the same
 * way). Decided from the last step back, so a reused step does not pull in its own needs.
 */
export async function planSteps(steps: readonly ValidateStep[], ctx: RunnerContext, selection: StepSelection = { kind: 'all' }): Promise<Map<StepId, Action>> {
  const ids = steps.map((s) => s.id);
  const selected = new Set<StepId>(
    selection.kind === 'all' ? ids : selection.kind === 'from' ? ids.slice(Math.max(0, ids.indexOf(selection.step))) : selection.steps.filter((s) => ids.includes(s)),
  );
  if (selection.kind === 'from' && !ids.includes(selection.step)) throw new Error(`no validation step ${selection.step} in this run`);
  const required = new Set<StepId>();
  const plan = new Map<StepId, Action>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    let action: Action = 'absent';
    if (selected.has(s.id)) action = 'run';
    else if (required.has(s.id)) {
      const prev = ctx.state.records.get(s.id);
      const valid = prev?.usable === true && (s.stillValid ? await s.stillValid({ ...ctx, progress: () => undefined }).catch(() => false) : true);
      action = valid ? 'reuse' : 'run';
    } else if (ctx.state.records.has(s.id)) action = 'reuse';
    if (action === 'run') for (const n of s.needs) required.add(n);
    plan.set(s.id, action);
  }
  return new Map(ids.map((id) => [id, plan.get(id)!]));
}

function record(id: StepId, status: StepStatus, reason: string | null, extra: Partial<StepRecord> = {}): StepRecord {
  return { id, status, reason, startedAt: null, endedAt: null, durationMs: null, usable: false, figures: [], ...extra };
}

function whyNotRun(step: ValidateStep, need: StepId, status: StepStatus): string {
  if (step.notRunBecause) return step.notRunBecause(need, status);
  return status === 'not-run' || status === 'interrupted'
    ? en('needs {0}, which did not run', stepTitle(need))
    : en('an earlier step failed: {0}', stepTitle(need));
}

export async function runSteps(steps: readonly ValidateStep[], ctx: RunnerContext, opts: RunStepsOptions = {}): Promise<void> {
  checkStepList(steps);
  const emit = opts.onEvent ?? (() => undefined);
  // A need on a step that is not part of this validation (quantize when the profile asks for none) is void.
  const applicable = steps
    .filter((s) => s.applies?.({ ...ctx, progress: () => undefined }) ?? true)
    .map((s, _i, all) => (s.needs.every((n) => all.some((a) => a.id === n)) ? s : { ...s, needs: s.needs.filter((n) => all.some((a) => a.id === n)) }));
  const plan = await planSteps(applicable, ctx, opts.selection);
  emit({ type: 'plan', steps: applicable.map((s) => ({ id: s.id, action: plan.get(s.id) === 'absent' ? 'not-run' : (plan.get(s.id) as 'run' | 'reuse') })) });
  const records = ctx.state.records;
  const end = (r: StepRecord) => {
    records.set(r.id, r);
    emit({ type: 'end', step: r.id, record: r });
  };
  for (const step of applicable) {
    const action = plan.get(step.id)!;
    if (action === 'reuse') continue;
    if (action === 'absent') {
      end(record(step.id, 'not-run', en('not part of this run')));
      continue;
    }
    if (ctx.signal.aborted && !step.always) {
      markInterrupted(ctx, null, emit);
      end(record(step.id, 'not-run', interruptedReason(ctx)));
      continue;
    }
    const missing = step.needs.map((n) => ({ n, r: records.get(n) })).find((x) => !x.r?.usable);
    if (missing) {
      end(record(step.id, 'not-run', whyNotRun(step, missing.n, missing.r?.status ?? 'not-run')));
      continue;
    }
    const stepCtx: StepContext = { ...ctx, progress: (text) => emit({ type: 'progress', step: step.id, text }) };
    const skip = step.skipReason?.(stepCtx) ?? null;
    if (skip !== null) {
      end(record(step.id, 'not-run', skip));
      continue;
    }
    end(await runOne(step, stepCtx, emit));
  }
}

async function runOne(step: ValidateStep, ctx: StepContext, emit: (e: RunEvent) => void): Promise<StepRecord> {
  const started = ctx.now();
  const startedAt = started.toISOString();
  emit({ type: 'start', step: step.id, at: startedAt });
  let r: StepResult;
  try {
    r = await step.run(ctx);
  } catch (e) {
    r = { status: 'fail', reason: (e as Error)?.message ?? String(e) };
  }
  const ended = ctx.now();
  const times = { startedAt, endedAt: ended.toISOString(), durationMs: ended.getTime() - started.getTime(), figures: r.figures ?? [] };
  if (ctx.signal.aborted && !step.always) {
    markInterrupted(ctx, step.id, emit);
    return record(step.id, 'interrupted', en('interrupted during this step'), times);
  }
  return record(step.id, r.status, r.reason, { ...times, usable: r.usable ?? r.status !== 'fail' });
}

function markInterrupted(ctx: RunnerContext, step: StepId | null, emit: (e: RunEvent) => void): void {
  if (ctx.state.interrupted) return;
  ctx.state.interrupted = { step, at: ctx.now().toISOString() };
  emit({ type: 'interrupt', step, at: ctx.state.interrupted.at });
}

function interruptedReason(ctx: RunnerContext): string {
  const s = ctx.state.interrupted?.step;
  return s ? en('interrupted during {0}', stepTitle(s)) : en('interrupted before this step started');
}
