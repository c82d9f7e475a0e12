import type { HostJobEvidence } from '../jobs/index';
import { aicpuHint } from './findings';
import type { ProfileRecord } from './run';
import type { ProfileSummary } from './schema';

/**
 * `ascend-adapt profile --json` and `profile summarize --json`: one object shape for both —
 * {jobId, outputDirs[], ranks, topOps[{type, coreType, count, totalUs, avgUs, maxUs, sharePct}],
 *  byCoreType{core: pct}, aicpu[{type, count, totalUs, maxUs, hint}], steps[{step, computingUs,
 *  communicationUs, freeUs}], traceFiles[]} plus where each row can be checked (rank, file, row).
 */

export function summaryJson(s: ProfileSummary | null): Record<string, unknown> {
  if (!s) return { outputDirs: [], ranks: 0, topOps: [], byCoreType: {}, aicpu: [], steps: [], traceFiles: [], simulated: false };
  return {
    simulated: s.simulated,
    outputDirs: s.outputDirs,
    unparsed: s.unparsed,
    ranks: s.ranks,
    totalUs: s.totalUs,
    topOps: s.topOps,
    byCoreType: s.byCoreType,
    byCoreTypeUs: s.byCoreTypeUs,
    aicpu: s.aicpu.map((a) => ({ ...a, hint: aicpuHint(a).fix, advisor: a.hint })),
    aicpuMinUs: s.aicpuMinUs,
    steps: s.steps,
    traceFiles: s.traceFiles,
    perRank: s.perRank.map((r) => ({ rank: r.rank, dir: r.dir, totalUs: r.totalUs, byCoreType: r.byCoreType, kernels: r.kernels, traceFile: r.traceFile })),
  };
}

export function summarizeJson(s: ProfileSummary, ev: HostJobEvidence, interrupted: boolean): Record<string, unknown> {
  return { jobId: ev.jobId, host: ev.host, ...summaryJson(s), interrupted, error: s.error, evidence: { resultFile: ev.resultFile, logFile: ev.logFile } };
}

export function profileJson(r: ProfileRecord): Record<string, unknown> {
  const c = r.result;
  return {
    jobId: r.id,
    host: r.host,
    profile: r.profileName,
    state: r.state,
    ...summaryJson(c?.summary ?? null),
    simulated: r.simulated || (c?.summary?.simulated ?? false),
    runDir: r.runDir,
    profilerDir: r.profilerDir,
    load: c?.load ?? null,
    profiling: c ? { started: c.startedProfile, stopped: c.stoppedProfile, phase: c.phase } : null,
    server: r.server ? { jobId: r.server.jobId, startedByUs: r.server.startedByUs, stopped: r.stop !== null, idle: r.stop?.idle ?? null, leftoverPids: r.stop?.leftoverPids ?? [] } : null,
    interrupted: r.state === 'interrupted',
    error: r.error,
    errorKind: r.errorKind,
    evidence: r.evidence ? { resultFile: r.evidence.resultFile, logFile: r.evidence.logFile } : null,
  };
}
