import * as path from 'node:path';
import { hostFamily } from '../npu/family';
import { runEnvCheck, toSnapshot } from '../probe';
import type { EnvReportWithRaw } from '../probe/envcheck';
import type { HostSnapshot } from '../report/schema';
import { buildServeCommand } from '../serving/command';
import { withSimEnv } from '../jobs/index';
import { redactEnv } from './redact';
import type { StepContext, StepResult, ValidateStep } from './types';

/** Environment variables that matter for serving on Ascend, kept in the report (secrets redacted). */
const IMPORTANT_ENV = /^(ASCEND_RT_VISIBLE_DEVICES|HCCL_|GLOO_SOCKET_IFNAME|TP_SOCKET_IFNAME|RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES|PYTORCH_NPU_ALLOC_CONF|TASK_QUEUE_ENABLE|VLLM_|ASCEND_ADAPT_SIMULATED)/;

/** One host's environment check as the report keeps it: devices, versions, the variables that matter, the checks. */
export function hostSnapshotOf(rep: EnvReportWithRaw, o: { simulated: boolean; env: Record<string, string>; evidence: string }): HostSnapshot {
  const raw = (rep.raw.ok ? rep.raw.data : {}) as unknown as { env?: Record<string, string> };
  const devices = rep.npu.devices.map((x) => ({ npuId: x.npuId, chipId: x.chipId, name: x.name, health: x.health, hbmUsedMB: x.hbmUsedMB ?? x.memUsedMB, hbmTotalMB: x.hbmTotalMB ?? x.memTotalMB }));
  const env = Object.fromEntries(Object.entries({ ...(raw.env ?? {}), ...o.env }).filter(([k, v]) => IMPORTANT_ENV.test(k) && typeof v === 'string'));
  return {
    name: rep.host,
    // A GPU host (nvidia-smi, no NPU) runs the same validation to produce the reference / baseline report.
    role: rep.role === 'gpu' ? 'gpu' : 'npu',
    simulated: rep.simulated || o.simulated,
    os: rep.hostInfo?.os ? `${rep.hostInfo.os}${rep.hostInfo.arch ? ` (${rep.hostInfo.arch})` : ''}` : null,
    chipFamily: devices.length ? hostFamily(devices.map((x) => x.name)) : rep.npu.family || null,
    devices,
    versions: { ...rep.versions },
    env: redactEnv(env),
    checks: rep.checks.map((c) => ({ id: c.id, status: c.status, title: c.title, detail: c.detail, fix: c.fix })),
    evidence: o.evidence,
  };
}

/**
 * Environment check of the host: the same probe and checks as `env-check`, saved as an env-check snapshot
 * (`ascend-adapt env-check --snapshot FILE` re-analyses it). Failed checks fail the step, but the host
 * facts stay usable: serving still tries (its own pre-launch checks decide).
 */
export const envStep: ValidateStep = {
  id: 'env',
  needs: [],
  async run(ctx: StepContext): Promise<StepResult> {
    const { transport: t, profile, book } = ctx;
    const started = ctx.now();
    const plan = { tp: profile.tensorParallelSize, pp: profile.pipelineParallelSize, modelPath: profile.modelPath, env: buildServeCommand(profile).env };
    const rep = await runEnvCheck(t, { plan, ...(profile.simRoot ? { sourceFirst: path.posix.join(profile.simRoot, 'env.sh') } : {}) });
    const snap = book.writeJson('env_snapshot.json', toSnapshot([rep], { plan, tool: 'ascend-adapt validate' }));
    const ev = book.add({
      kind: 'probe',
      jobId: null,
      host: 'local',
      startedAt: started.toISOString(),
      endedAt: ctx.now().toISOString(),
      command: withSimEnv(profile.simRoot, ['python3', 'env_probe.py']),
      file: snap.file,
      pointer: '/hosts/0',
      copy: snap.rel,
    });
    const failing = (statuses: string[]) => rep.checks.filter((c) => statuses.includes(c.status)).map((c) => `${c.title}: ${c.detail}`).join('; ');
    if (!rep.raw.ok) return { status: 'fail', reason: failing(['fail']) || rep.raw.message, usable: false };
    const host = hostSnapshotOf(rep, { simulated: Boolean(profile.simRoot), env: plan.env, evidence: ev });
    const devices = host.devices;
    ctx.state.host = host;
    const status = rep.checks.some((c) => c.status === 'fail') ? 'fail' : rep.checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
    return {
      status,
      reason: status === 'pass' ? null : failing(['fail', 'warn']),
      usable: true,
      figures: [{ label: 'NPU', value: devices.length, unit: 'count' }],
    };
  },
};
