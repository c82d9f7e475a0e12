import * as path from 'node:path';
import { hostMkdir, hostPython, runFolderName, startHostJob, followHostJob, type HostJobEvidence } from '../jobs/index';
import { en } from '../l10n';
import { aicpuRowsFor, AICPU_GENERAL } from '../knowledge/aicpu-ops';
import { withProfiler } from '../profile/config';
import { PROFILE_CAPTURE_JOB, type CaptureSpec } from '../profile/jobs';
import type { ProfileSummary, RowEvidence } from '../profile/schema';
import type { NamedProfile } from '../profiles/schema';
import type { Profiling } from '../report/schema';
import { worldSize } from '../serving/command';
import type { StepContext, StepResult, ValidateStep } from './types';

/**
 * Where the NPU time goes, when the profile asks (`profiling: {…}`): the serve step starts the server with
 * --profiler-config (a folder in a run folder made here first), and this step — after perf — runs the capture
 * job against it (src/core/profile: /start_profile, a short load, /stop_profile, the output of every rank
 * summarised on the host). The stop step stops the server as always; the capture job turns the profiler off
 * on its own, also when this run is interrupted or its link drops. Every figure of the report's profile section
 * points at the CSV row it was summed from (job, file on the host, line); capture.json and the small CSVs
 * (op_statistic.csv, step_trace_time.csv) are copied beside the report.
 */

export type ProfilingData = Omit<Profiling, 'status' | 'reason'>;

/** The profile the serve step launches: with --profiler-config when profiling is asked for (else as it is). */
export async function profilerLaunch(ctx: StepContext): Promise<NamedProfile> {
  const p = ctx.profile.profiling;
  if (!p) return ctx.profile;
  const python = await hostPython(ctx.transport);
  const runDir = await hostMkdir(ctx.transport, `~/.ascend-adapt/runs/${runFolderName('profile')}`, python);
  const { profile, dir } = withProfiler(ctx.profile, `${runDir}/torch_profile`, p.withStack);
  ctx.state.profiler = { runDir, dir };
  return profile;
}

const TOP_ROWS = 10;

function rowEvidence(ctx: StepContext, ev: HostJobEvidence, s: ProfileSummary, where: RowEvidence, copies: Map<string, string>): string {
  const dir = s.perRank.find((r) => r.rank === where.rank)?.dir ?? s.outputDirs[0] ?? '';
  const file = path.posix.join(dir, where.file);
  const copy = copies.get(file);
  return ctx.book.add({ kind: 'result', jobId: ev.jobId, host: ev.host, startedAt: ev.startedAt, endedAt: ev.endedAt, command: ev.command, file, line: where.row, ...(copy ? { copy } : {}) });
}

/** The small CSVs of each rank beside the report (kernel_details.csv stays on the host: it can be huge). */
async function copySmallFiles(ctx: StepContext, ev: HostJobEvidence, s: ProfileSummary): Promise<Map<string, string>> {
  const copies = new Map<string, string>();
  for (const r of s.perRank) {
    for (const f of ['op_statistic.csv', 'step_trace_time.csv']) {
      if (!r.files.includes(f)) continue;
      const file = path.posix.join(r.dir, f);
      const copy = await ctx.book.copyFromHost(ctx.transport, file, `${ev.jobId}/rank${r.rank}/${f}`);
      if (copy) copies.set(file, copy);
    }
  }
  return copies;
}

function sectionData(ctx: StepContext, ev: HostJobEvidence, s: ProfileSummary, spec: CaptureSpec, resultEv: string, copies: Map<string, string>): ProfilingData {
  const fig = (id: string, v: number, where: RowEvidence) => ctx.book.figure(id, v, 'µs', rowEvidence(ctx, ev, s, where, copies));
  return {
    jobId: ev.jobId,
    ranks: s.ranks,
    load: { numPrompts: spec.numPrompts, inputLen: spec.inputLen, outputLen: spec.outputLen, concurrency: spec.concurrency },
    totalUs: ctx.book.figure('profile.totalUs', s.totalUs, 'µs', resultEv, '/summary/totalUs'),
    byCoreType: Object.entries(s.byCoreType).sort((a, b) => b[1] - a[1]).map(([coreType, sharePct]) => ({ coreType, sharePct, us: s.byCoreTypeUs[coreType] ?? 0 })),
    topOps: s.topOps.slice(0, TOP_ROWS).map((o, i) => ({
      type: o.type, coreType: o.coreType, count: o.count, total: fig(`profile.top.${i}.total`, o.totalUs, o.evidence), avgUs: o.avgUs, maxUs: o.maxUs, sharePct: o.sharePct,
    })),
    aicpu: s.aicpu.map((a, i) => {
      const row = aicpuRowsFor(a.type, a.dtypes)[0];
      return {
        type: a.type, coreType: 'AI_CPU', count: a.count, total: fig(`profile.aicpu.${i}.total`, a.totalUs, a.evidence), maxUs: a.maxUs, dtypes: a.dtypes,
        fix: row ? row.fix : AICPU_GENERAL.fix, source: row ? row.source : AICPU_GENERAL.source,
      };
    }),
    steps: s.steps.slice(0, 16).map((st, i) => ({
      rank: st.rank, step: st.step, communicationUs: st.communicationUs, freeUs: st.freeUs,
      computing: fig(`profile.step.${i}.computing`, st.computingUs, { rank: st.rank, file: 'step_trace_time.csv', row: st.row }),
    })),
    traceFiles: s.traceFiles,
    evidence: resultEv,
  };
}

export const profileStep: ValidateStep = {
  id: 'profile',
  needs: ['serve'],
  applies: (ctx) => ctx.profile.profiling !== undefined,
  skipReason: (ctx) => (ctx.state.profiler ? null : en('the server was started without --profiler-config (serve again with profiling in the profile)')),
  async run(ctx: StepContext): Promise<StepResult> {
    const p = ctx.profile.profiling!;
    const server = ctx.state.server!;
    const spec: CaptureSpec = {
      baseUrl: server.hostEndpoint, model: server.model, profilerDir: ctx.state.profiler!.dir, ranks: worldSize(ctx.profile),
      numPrompts: p.numPrompts, inputLen: p.inputLen, outputLen: p.outputLen, concurrency: p.concurrency, parseTimeoutS: p.parseTimeoutSec,
    };
    ctx.state.profiling = null;
    const { ref } = await startHostJob(PROFILE_CAPTURE_JOB, spec, { transport: ctx.transport, jobs: ctx.jobs, runDir: ctx.state.profiler!.runDir });
    ctx.progress(en('profile job {0} started', ref.jobId));
    const out = await followHostJob(PROFILE_CAPTURE_JOB, ctx.transport, ref, {
      jobs: ctx.jobs, signal: ctx.signal, stopGraceMs: 60_000,
      onProgress: (pr) => ctx.progress('phase' in pr ? en('profiling: {0}', pr.phase) : en('summarising rank {0}/{1}', pr.rank, pr.ranks)),
    });
    const r = out.result;
    const resultEv = await ctx.book.copyFromHost(ctx.transport, ref.resultFile, `${ref.jobId}/capture.json`).then((copy) =>
      ctx.book.add({ kind: 'result', jobId: ref.jobId, host: ctx.transport.label, startedAt: out.evidence.startedAt, endedAt: out.evidence.endedAt, command: out.evidence.command, file: ref.resultFile, pointer: '/summary', ...(copy ? { copy } : {}) }),
    );
    if (!r.summary) return { status: 'fail', reason: r.error ?? en('the profile job left no summary ({0})', r.phase) };
    const copies = await copySmallFiles(ctx, out.evidence, r.summary);
    ctx.state.profiling = sectionData(ctx, out.evidence, r.summary, spec, resultEv, copies);
    const aicpuPct = r.summary.byCoreType.AI_CPU ?? 0;
    const figures = [
      { label: 'AI CPU share', value: aicpuPct, unit: '%' },
      { label: 'top operator share', value: r.summary.topOps[0]?.sharePct ?? null, unit: '%' },
    ];
    if (r.error) return { status: 'warn', reason: r.error, figures };
    if (r.summary.aicpu.length) return { status: 'warn', reason: en('{0} operator(s) fell back to the AI CPU ({1} % of device time): {2}', r.summary.aicpu.length, aicpuPct, r.summary.aicpu.map((a) => a.type).join(', ')), figures };
    return { status: 'pass', reason: null, figures };
  },
};
