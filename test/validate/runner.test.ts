import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { jobControl } from '../../src/core/jobs/index';
import { profileSchema, type NamedProfile } from '../../src/core/profiles/schema';
import { LocalTransport } from '../../src/core/transport/local';
import { EvidenceBook } from '../../src/core/validate/evidence';
import { checkStepList, runSteps, type RunnerContext } from '../../src/core/validate/runner';
import { newRunState, type RunState } from '../../src/core/validate/state';
import type { RunEvent, StepContext, StepId, StepResult, StepSelection, ValidateStep } from '../../src/core/validate/types';

/**
 * The runner on its own, with small steps that record what happened: order, needs, skip reasons, one stop
 * request, re-running one step against a kept result, running from a step onward.
 */
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const profile: NamedProfile = { name: 't', ...profileSchema.parse({ modelPath: '/nowhere' }) };

function context(state?: RunState, signal = new AbortController().signal): RunnerContext {
  const t = new LocalTransport();
  if (!state) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
    dirs.push(out);
    state = newRunState(out, new EvidenceBook(out, t.label));
  }
  const control = jobControl();
  return { transport: t, profile, state, book: state.book, control, jobs: control.on(t), signal, now: () => new Date() };
}

/** A step that logs its run and returns `result` (or what `fn` returns). */
function step(id: StepId, needs: StepId[], log: string[], result: StepResult | ((ctx: StepContext) => Promise<StepResult> | StepResult) = { status: 'pass', reason: null }, extra: Partial<ValidateStep> = {}): ValidateStep {
  return {
    id,
    needs,
    async run(ctx) {
      log.push(id);
      return typeof result === 'function' ? result(ctx) : result;
    },
    ...extra,
  };
}

async function run(steps: ValidateStep[], ctx: RunnerContext, selection?: StepSelection): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await runSteps(steps, ctx, { selection, onEvent: (e) => events.push(e) });
  return events;
}

const rows = (ctx: RunnerContext) => Object.fromEntries([...ctx.state.records.values()].map((r) => [r.id, [r.status, r.reason]]));

describe('validation runner', () => {
  it('runs the steps in list order and tells a UI each start, progress and end with duration and figures', async () => {
    const log: string[] = [];
    const ctx = context();
    const steps = [
      step('env', [], log),
      step('serve', ['env'], log, (c) => {
        c.progress('waiting');
        return { status: 'pass', reason: null, figures: [{ label: 'load time', value: 2.5, unit: 's' }] };
      }),
      step('smoke', ['serve'], log),
    ];
    const events = await run(steps, ctx);
    assert.deepEqual(log, ['env', 'serve', 'smoke']);
    assert.deepEqual(events[0], { type: 'plan', steps: [{ id: 'env', action: 'run' }, { id: 'serve', action: 'run' }, { id: 'smoke', action: 'run' }] });
    assert.deepEqual(
      events.slice(1).map((e) => `${e.type}:${'step' in e ? e.step : ''}`),
      ['start:env', 'end:env', 'start:serve', 'progress:serve', 'end:serve', 'start:smoke', 'end:smoke'],
    );
    const end = events.find((e) => e.type === 'end' && e.step === 'serve');
    assert.ok(end && end.type === 'end');
    assert.equal(end.record.status, 'pass');
    assert.ok(end.record.durationMs !== null && end.record.durationMs >= 0 && end.record.startedAt && end.record.endedAt);
    assert.deepEqual(end.record.figures, [{ label: 'load time', value: 2.5, unit: 's' }]);
  });

  it('refuses a list whose needs are not earlier steps, or with a step twice', () => {
    assert.throws(() => checkStepList([step('smoke', ['serve'], []), step('serve', [], [])]), /smoke needs serve/);
    assert.throws(() => checkStepList([step('env', [], []), step('env', [], [])]), /listed twice/);
  });

  it('a step whose need failed is not run, with the reason in its own words or the default', async () => {
    const log: string[] = [];
    const ctx = context();
    await run(
      [
        step('env', [], log, { status: 'fail', reason: 'checks failed', usable: true }),
        step('serve', ['env'], log, { status: 'fail', reason: 'did not start' }),
        step('smoke', ['serve'], log),
        step('accuracy', ['serve'], log, undefined, { notRunBecause: (n, s) => `no server (${n} ${s})` }),
        step('perf', ['smoke'], log),
      ],
      ctx,
    );
    // env failed but said its facts are usable: serve still ran.
    assert.deepEqual(log, ['env', 'serve']);
    assert.deepEqual(rows(ctx), {
      env: ['fail', 'checks failed'],
      serve: ['fail', 'did not start'],
      smoke: ['not-run', 'an earlier step failed: Serving'],
      accuracy: ['not-run', 'no server (serve fail)'],
      perf: ['not-run', 'needs Inference test, which did not run'],
    });
  });

  it('records a step that throws as failed with the message, and a skip reason as not run', async () => {
    const ctx = context();
    await run(
      [
        step('env', [], [], () => {
          throw new Error('probe exploded');
        }),
        step('accuracy', [], [], undefined, { skipReason: () => 'no datasets given (--tasks and --data)' }),
      ],
      ctx,
    );
    assert.deepEqual(rows(ctx), { env: ['fail', 'probe exploded'], accuracy: ['not-run', 'no datasets given (--tasks and --data)'] });
  });

  it('steps that do not apply are left out of the run entirely, and needs on them are void', async () => {
    const ctx = context();
    const log: string[] = [];
    const events = await run([step('env', [], log), step('quantize', [], log, undefined, { applies: () => false }), step('serve', ['env', 'quantize'], log)], ctx);
    assert.deepEqual([...ctx.state.records.keys()], ['env', 'serve']);
    assert.deepEqual(log, ['env', 'serve']);
    assert.ok(events[0].type === 'plan' && events[0].steps.length === 2);
    const failing = context();
    await run([step('quantize', [], [], { status: 'fail', reason: 'OOM' }), step('serve', ['quantize'], [])], failing);
    assert.deepEqual(rows(failing).serve, ['not-run', 'an earlier step failed: Model quantization'], 'a quantize that applies and fails still stops serving');
  });

  it('handles a stop request once: the running step ends interrupted with its data, later steps say during which step, cleanup still runs', async () => {
    const ac = new AbortController();
    const ctx = context(undefined, ac.signal);
    const log: string[] = [];
    const events = await run(
      [
        step('serve', [], log),
        step('accuracy', ['serve'], log, (c) => {
          c.state.accuracy = { engine: 'x', dtype: null, temperature: 0, datasets: [] };
          ac.abort();
          return { status: 'fail', reason: 'job stopped' };
        }),
        step('perf', ['serve'], log),
        step('stop', [], log, undefined, { always: true }),
      ],
      ctx,
    );
    assert.deepEqual(log, ['serve', 'accuracy', 'stop']);
    assert.deepEqual(rows(ctx), {
      serve: ['pass', null],
      accuracy: ['interrupted', 'interrupted during this step'],
      perf: ['not-run', 'interrupted during Accuracy validation'],
      stop: ['pass', null],
    });
    assert.equal(ctx.state.interrupted?.step, 'accuracy');
    assert.ok(ctx.state.accuracy, 'the partial data the step left is kept');
    assert.equal(events.filter((e) => e.type === 'interrupt').length, 1);
  });

  it('a stop request before any step: every step not run, the cleanup step runs', async () => {
    const ac = new AbortController();
    ac.abort();
    const ctx = context(undefined, ac.signal);
    const log: string[] = [];
    await run([step('env', [], log), step('stop', [], log, undefined, { always: true })], ctx);
    assert.deepEqual(log, ['stop']);
    assert.deepEqual(rows(ctx).env, ['not-run', 'interrupted before this step started']);
    assert.deepEqual(ctx.state.interrupted?.step, null);
  });

  it('re-runs one step against a kept result that is still valid, and re-runs the need when it is not', async () => {
    const log: string[] = [];
    let serverUp = true;
    const steps = [
      step('env', [], log),
      step('serve', ['env'], log, undefined, { stillValid: async () => serverUp }),
      step('smoke', ['serve'], log),
      step('accuracy', ['serve'], log),
    ];
    const ctx = context();
    await run(steps, ctx);
    const firstSmoke = ctx.state.records.get('smoke');
    log.length = 0;
    const events = await run(steps, context(ctx.state), { kind: 'only', steps: ['accuracy'] });
    assert.deepEqual(log, ['accuracy'], 'serve was reused: the server still answers');
    assert.ok(events[0].type === 'plan');
    assert.deepEqual(events[0].steps.map((s) => s.action), ['reuse', 'reuse', 'reuse', 'run']);
    assert.equal(ctx.state.records.get('smoke'), firstSmoke, 'earlier results stay in the state (and the report)');
    serverUp = false;
    log.length = 0;
    await run(steps, context(ctx.state), { kind: 'only', steps: ['accuracy'] });
    assert.deepEqual(log, ['serve', 'accuracy'], 'the server is gone: serve runs again, env is still reused');
  });

  it('runs from a step onward, reusing what came before; on a fresh state the needs run and the rest is not part of the run', async () => {
    const log: string[] = [];
    const steps = [step('env', [], log), step('analysis', [], log), step('serve', ['env'], log), step('smoke', ['serve'], log), step('perf', ['serve'], log)];
    const ctx = context();
    await run(steps, ctx);
    log.length = 0;
    await run(steps, context(ctx.state), { kind: 'from', step: 'smoke' });
    assert.deepEqual(log, ['smoke', 'perf']);
    const fresh = context();
    log.length = 0;
    await run(steps, fresh, { kind: 'from', step: 'smoke' });
    assert.deepEqual(log, ['env', 'serve', 'smoke', 'perf']);
    assert.deepEqual(rows(fresh).analysis, ['not-run', 'not part of this run']);
    await assert.rejects(run(steps, fresh, { kind: 'from', step: 'quantize' }), /no validation step quantize/);
  });
});
