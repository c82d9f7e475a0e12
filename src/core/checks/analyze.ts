import * as l10n from '@vscode/l10n';
import type { ProbeOutcome } from '../probe/schema';
import { analyzeHost, probeFailureCheck, type RunPlan } from './checks';
import { deriveFacts } from './facts';
import { EnvReportSchema, summarize, type Check, type EnvReport, type Versions } from './report';

/** One host's probe outcome, named. */
export interface HostProbe {
  host: string;
  outcome: ProbeOutcome;
}

const EMPTY_VERSIONS: Versions = {
  cann: null, driver: null, firmware: null, python: null, torch: null, torch_npu: null, vllm: null, vllm_ascend: null,
  transformers: null, lm_eval: null, msmodelslim: null, triton_ascend: null,
};

/** Probe outcome → the issue-4 report of that host (pure). */
export function buildReport(host: string, outcome: ProbeOutcome, plan: RunPlan = {}): EnvReport {
  if (!outcome.ok) {
    const checks = [probeFailureCheck(outcome, host)];
    return EnvReportSchema.parse({
      host, simulated: false, npu: { family: 'unknown', devices: [], processes: [], npuSmiVersion: null }, versions: EMPTY_VERSIONS,
      checks, checkedAt: null, durationMs: outcome.ms, role: 'unknown', summary: summarize(checks), hostInfo: null,
    });
  }
  const f = deriveFacts(outcome.data);
  const checks = analyzeHost(f, plan);
  const h = outcome.data.host;
  return EnvReportSchema.parse({
    host,
    simulated: f.simulated,
    npu: {
      family: f.family,
      devices: f.devices.map((d) => ({
        npuId: d.npuId, chipId: d.chipId, name: d.name, health: d.health, powerW: d.powerW, tempC: d.tempC,
        aicorePercent: d.aicorePercent, hbmUsedMB: d.hbmUsedMB, hbmTotalMB: d.hbmTotalMB, busId: d.busId,
        family: d.family, logicalId: d.logicalId, phyId: d.phyId, memUsedMB: d.memUsedMB, memTotalMB: d.memTotalMB,
      })),
      processes: f.processes,
      npuSmiVersion: f.smi.info?.version ?? null,
    },
    versions: f.versions,
    checks,
    checkedAt: outcome.data.startedAt,
    durationMs: outcome.ms,
    role: f.role,
    summary: summarize(checks),
    hostInfo: h
      ? { hostname: h.hostname, os: h.os, kernel: h.kernel, arch: h.arch, cpuModel: h.cpuModel, cpuCount: h.cpuCount, memTotalMB: h.memTotalMB }
      : null,
  });
}

const COMPARED: Array<keyof Versions> = ['cann', 'driver', 'firmware', 'python', 'torch', 'torch_npu', 'vllm', 'vllm_ascend', 'transformers', 'triton_ascend'];

/**
 * Several hosts of one cluster: the software must be the same everywhere. Compares the NPU hosts that
 * answered (GPU baseline hosts and failed probes are left out). Returns null for fewer than two.
 */
export function compareHosts(reports: readonly EnvReport[]): Check | null {
  const npu = reports.filter((r) => r.role === 'npu');
  if (npu.length < 2) return null;
  const facts: Check['facts'] = {};
  const diffs: string[] = [];
  for (const k of COMPARED) {
    const values = npu.map((r) => r.versions[k]);
    const distinct = new Set(values.map((v) => v ?? '—'));
    facts[k] = npu.map((r) => `${r.host}=${r.versions[k] ?? '—'}`).join(', ');
    if (distinct.size > 1) diffs.push(`${k}: ${npu.map((r) => `${r.host} ${r.versions[k] ?? '—'}`).join(' / ')}`);
  }
  const fams = new Set(npu.map((r) => r.npu.family));
  facts.family = npu.map((r) => `${r.host}=${r.npu.family}`).join(', ');
  if (fams.size > 1) diffs.push(`family: ${npu.map((r) => `${r.host} ${r.npu.family}`).join(' / ')}`);
  const counts = new Set(npu.map((r) => r.npu.devices.length));
  facts.devices = npu.map((r) => `${r.host}=${r.npu.devices.length}`).join(', ');
  const title = l10n.t('Same software on every node');
  if (diffs.length) {
    return {
      id: 'cluster.versions', status: 'fail', title,
      detail: l10n.t('The nodes differ: {0}.', diffs.join('; ')),
      fix: l10n.t('Install the same CANN, driver, torch, torch_npu, vLLM and vllm-ascend versions on every node (the same container image is the easy way).'),
      facts, source: null,
    };
  }
  return {
    id: 'cluster.versions', status: counts.size > 1 ? 'warn' : 'pass', title,
    detail: counts.size > 1
      ? l10n.t('Same versions on {0} nodes, but different device counts ({1}).', String(npu.length), facts.devices as string)
      : l10n.t('{0} nodes run the same versions.', String(npu.length)),
    fix: null, facts, source: null,
  };
}

/** Many hosts: each host's report, plus the cross-host comparison appended to each NPU host's checks. */
export function analyzeHosts(probes: readonly HostProbe[], plan: RunPlan = {}): EnvReport[] {
  const reports = probes.map((p) => buildReport(p.host, p.outcome, plan));
  const cluster = compareHosts(reports);
  if (!cluster) return reports;
  return reports.map((r) => {
    if (r.role !== 'npu') return r;
    const checks = [...r.checks, cluster];
    return { ...r, checks, summary: summarize(checks) };
  });
}
