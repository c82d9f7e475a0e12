import { withSimEnv } from '../jobs/simhost';
import { quoteCommand } from '../transport/quote';
import type { Profile } from '../profiles/schema';

/**
 * Profile → the exact `vllm serve` argv and environment (the 服务化推理 command line of an adaptation report,
 * built from data, never from a pasted string). What is returned here is what the job records and the report quotes.
 */
export interface ServeCommand {
  /** argv as started by the detached job (wrapped to source the simulated host's env.sh when simRoot is set). */
  argv: string[];
  /** The `vllm serve …` argv alone (what a person would type). */
  vllmArgv: string[];
  /** Environment variables set for the server (defaults, then the profile's own env on top). */
  env: Record<string, string>;
  /** One shell line equivalent to argv + env, for showing and copying. */
  display: string;
  servedModelName: string;
  port: number;
  /** Logical device ids the server uses (ASCEND_RT_VISIBLE_DEVICES). */
  devices: number[];
  /** TP × PP × DP. */
  worldSize: number;
}

/** Default environment, as hand-written adaptation reports set it for serving; the profile's env wins. */
export function defaultServeEnv(profile: Profile): Record<string, string> {
  const env: Record<string, string> = {};
  env.ASCEND_RT_VISIBLE_DEVICES = devicesFor(profile).join(',');
  env.PYTORCH_NPU_ALLOC_CONF = 'expandable_segments:True';
  // Collectives on the AI Vector cores, the adaptation reports' rule for TP > 1 (also keeps ACL graph capture stable).
  if (profile.tensorParallelSize > 1) env.HCCL_OP_EXPANSION_MODE = 'AIV';
  return env;
}

export function worldSize(profile: Profile): number {
  return profile.tensorParallelSize * profile.pipelineParallelSize * profile.dataParallelSize;
}

export function devicesFor(profile: Profile): number[] {
  if (profile.visibleDevices && profile.visibleDevices.length > 0) return [...profile.visibleDevices];
  return Array.from({ length: worldSize(profile) }, (_, i) => i);
}

export function servedModelName(profile: Profile): string {
  return profile.servedModelName ?? profile.modelPath;
}

export function buildServeCommand(profile: Profile): ServeCommand {
  const v: string[] = [...profile.vllmCommand, 'serve', profile.modelPath];
  const name = servedModelName(profile);
  v.push('--served-model-name', name);
  v.push('--port', String(profile.port));
  if (profile.bindAddress) v.push('--host', profile.bindAddress);
  if (profile.tensorParallelSize > 1) v.push('--tensor-parallel-size', String(profile.tensorParallelSize));
  if (profile.pipelineParallelSize > 1) v.push('--pipeline-parallel-size', String(profile.pipelineParallelSize));
  if (profile.dataParallelSize > 1) v.push('--data-parallel-size', String(profile.dataParallelSize));
  if (profile.maxModelLen !== undefined) v.push('--max-model-len', String(profile.maxModelLen));
  if (profile.dtype) v.push('--dtype', profile.dtype);
  if (profile.quantization) v.push('--quantization', profile.quantization);
  if (profile.gpuMemoryUtilization !== undefined) v.push('--gpu-memory-utilization', String(profile.gpuMemoryUtilization));
  if (profile.enforceEager) v.push('--enforce-eager');
  if (profile.trustRemoteCode) v.push('--trust-remote-code');
  v.push(...profile.extraArgs);

  const env = { ...defaultServeEnv(profile), ...profile.env };
  const argv = withSimEnv(profile.simRoot, v);
  const devices = (env.ASCEND_RT_VISIBLE_DEVICES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
  return {
    argv,
    vllmArgv: v,
    env,
    display: quoteCommand(v, env),
    servedModelName: name,
    port: profile.port,
    devices,
    worldSize: worldSize(profile),
  };
}
