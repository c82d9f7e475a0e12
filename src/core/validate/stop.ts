import { ClusterJob } from '../cluster/job';
import { en } from '../l10n';
import { stopCluster } from './cluster-serve';
import type { StepContext, StepResult, ValidateStep } from './types';

/**
 * Stops the server this validation started (or re-used): its whole process group, then npu-smi shows
 * whether the devices are idle again. Runs also after a stop request — a detached server would outlive
 * the run. The serving log is copied beside the report and its evidence gets its end time. A multi-node
 * server is stopped on every node (cluster-serve.ts).
 */
export const stopStep: ValidateStep = {
  id: 'stop',
  needs: [],
  always: true,
  skipReason: (ctx) => (ctx.state.server ? null : en('no server was started')),
  async run(ctx: StepContext): Promise<StepResult> {
    const { state } = ctx;
    const job = state.server!.job;
    // A multi-node server: every node is stopped and checked, each node's log copied.
    if (job instanceof ClusterJob) return stopCluster(ctx, job);
    state.hbm?.stop();
    const rep = await job.stop();
    state.server = null;
    const jr = await ctx.jobs.get(job.id).catch(() => null);
    const ev = state.servingLogEvidence ? ctx.book.get(state.servingLogEvidence) : undefined;
    if (ev && jr) {
      ev.file = jr.logPath;
      ev.endedAt = jr.endedAt ?? ctx.now().toISOString();
      const copy = await ctx.book.copyFromHost(ctx.transport, jr.logPath, `${job.id}/log`);
      if (copy) ev.copy = copy;
    }
    if (rep.leftoverPids.length) return { status: 'fail', reason: en('processes left after stop: {0}', rep.leftoverPids.join(', ')) };
    if (rep.checked && !rep.idle) return { status: 'warn', reason: en('HBM not back to idle on every device after stop') };
    return { status: 'pass', reason: null };
  },
};
