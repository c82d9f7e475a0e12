import { en } from '../l10n';
import { runSmoke, smokePassed } from '../smoke/index';
import type { StepContext, StepResult, ValidateStep } from './types';

/** The profile's smoke prompts, streamed against the server: outputs, TTFT and totals, usage checked. */
export const smokeStep: ValidateStep = {
  id: 'smoke',
  needs: ['serve'],
  async run(ctx: StepContext): Promise<StepResult> {
    const { profile, book, state } = ctx;
    const server = state.server!;
    const started = ctx.now();
    state.smoke = [];
    const opts = {
      model: server.model, maxTokens: profile.smokeMaxTokens, temperature: profile.smokeTemperature, signal: ctx.signal,
      requestTimeoutMs: profile.requestTimeoutSec === undefined ? undefined : profile.requestTimeoutSec * 1000, stallTimeoutMs: profile.stallTimeoutSec * 1000,
    };
    const rep = await runSmoke(server.endpoint!, profile.smokePrompts, opts, undefined, (i, r) =>
      ctx.progress(en('prompt {0}: {1} ms', i + 1, Math.round(r.elapsedMs))),
    );
    const saved = book.writeJson('smoke.json', rep);
    const ev = book.add({ kind: 'result', jobId: null, host: 'local', startedAt: started.toISOString(), endedAt: ctx.now().toISOString(), command: ['ascend-adapt', 'smoke', '--profile', profile.name, '--json'], file: saved.file, pointer: '/results', copy: saved.rel });
    state.smoke = rep.results.map((r, i) => ({
      index: i + 1,
      prompt: r.prompt,
      output: r.output,
      ok: smokePassed(r),
      problem: r.error ?? (r.usageConsistent === false ? r.usageNote : null),
      ttftMs: book.figure(`smoke.${i + 1}.ttftMs`, r.ttftMs === null ? null : Math.round(r.ttftMs), 'ms', ev, `/results/${i}/ttftMs`),
      totalMs: book.figure(`smoke.${i + 1}.totalMs`, r.totalMs === null ? null : Math.round(r.totalMs), 'ms', ev, `/results/${i}/totalMs`),
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      finishReason: r.finishReason,
    }));
    const passed = rep.failed === 0 && rep.results.length > 0;
    return {
      status: passed ? 'pass' : 'fail',
      reason: rep.failed === 0 ? (rep.results.length ? null : en('no prompt was answered')) : en('{0} of {1} prompts failed', rep.failed, rep.results.length),
      // Smoke failing does not stop accuracy and perf: they say for themselves whether the server serves.
      usable: true,
      figures: [{ label: 'prompts answered', value: rep.passed, unit: 'count' }],
    };
  },
};
