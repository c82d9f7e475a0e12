import type { LiveServer } from './state';
import type { StepContext, StepId, StepResult, ValidateStep } from './types';

/**
 * A step that works against the served model when it is configured (accuracy, perf; profile): it needs
 * `serve`, and without a spec it is recorded as not run with `notRunReason` ("no datasets given" …).
 */
export function serverStep<S>(id: StepId, spec: S | null, notRunReason: string, run: (ctx: StepContext, spec: S, server: LiveServer) => Promise<StepResult>): ValidateStep {
  return {
    id,
    needs: ['serve'],
    skipReason: () => (spec === null ? notRunReason : null),
    run: (ctx) => run(ctx, spec as S, ctx.state.server!),
  };
}
