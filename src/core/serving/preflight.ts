import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { Profile } from '../profiles/schema';
import { CUDA_ONLY_QUANT_SOURCE } from './architectures';
import type { ServeCommand } from './command';
import type { ModelFacts } from './model';

/**
 * Pre-launch checks: a profile against the host's last environment check and the model folder, so the
 * user hears "this will not fit" before an eight-NPU launch fails ten minutes in. Pure: data in, verdicts
 * out, each with the facts used and a fix — the same shape as the environment check's checks.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface PreflightCheck {
  id: string;
  status: CheckStatus;
  title: string;
  detail: string;
  fix: string | null;
  source?: string;
}

/**
 * What serving needs from an environment-check result (`ascend-adapt env-check --json`, one host). Loose:
 * other fields are allowed and ignored, so the env check can grow without breaking this.
 */
export const envSnapshotSchema = z.looseObject({
  host: z.string().optional(),
  simulated: z.boolean().optional(),
  npu: z.looseObject({
    family: z.string().optional(),
    devices: z.array(
      z.looseObject({
        npuId: z.number(),
        chipId: z.number().optional(),
        name: z.string().optional(),
        health: z.string().optional(),
        hbmUsedMB: z.number().nullable().optional(),
        hbmTotalMB: z.number().nullable().optional(),
      }),
    ),
    processes: z
      .array(z.looseObject({ npuId: z.number(), chipId: z.number().optional(), pid: z.number(), name: z.string().optional(), memoryMB: z.number() }))
      .default([]),
  }),
});
export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;

export interface PreflightInput {
  profile: Profile;
  command: ServeCommand;
  /** null when the model folder could not be read at all (with the reason in modelError). */
  model: ModelFacts | null;
  modelError?: string;
  /** Files in the model folder (to tell "no folder" from "no config.json"). */
  modelFolder?: { exists: boolean; isDir: boolean; hasConfig: boolean };
  /** The host's last environment check, or undefined when none was run. */
  env?: EnvSnapshot;
}

export interface PreflightResult {
  checks: PreflightCheck[];
  /** True when no check failed. */
  ok: boolean;
  /** Weight bytes per device under TP×PP (null when unknown). */
  weightBytesPerDevice: number | null;
}

const GiB = 1024 ** 3;
const gib = (b: number) => (b / GiB).toFixed(1);

export function preflight(input: PreflightInput): PreflightResult {
  const { profile, command, model, env } = input;
  const tpp = profile.tensorParallelSize * profile.pipelineParallelSize;
  const perDevice = model?.weightBytes ? model.weightBytes / tpp : null;
  const checks: PreflightCheck[] = [
    folderCheck(input),
    ...(model ? [architectureCheck(model, profile), quantizationCheck(model, profile), ...shapeChecks(model, profile)] : []),
    ...deviceChecks(env, command, profile, perDevice),
    ...envVarChecks(command, profile.tensorParallelSize),
  ];
  return { checks, ok: !checks.some((c) => c.status === 'fail'), weightBytesPerDevice: perDevice };
}

function folderCheck(input: PreflightInput): PreflightCheck {
  const { profile, model } = input;
  const folder = input.modelFolder;
  if (!model || (folder && (!folder.exists || !folder.isDir || !folder.hasConfig))) {
    const why = input.modelError
      ?? (folder && !folder.exists ? l10n.t('{0} does not exist on the host', profile.modelPath)
        : folder && !folder.isDir ? l10n.t('{0} is not a folder', profile.modelPath)
          : l10n.t('{0} has no config.json', profile.modelPath));
    return { id: 'model.folder', status: 'fail', title: l10n.t('Model folder'), detail: why, fix: l10n.t('Set modelPath in the profile to the model folder on the host (the one holding config.json and the weights).') };
  }
  return {
    id: 'model.folder',
    status: model.weightFiles > 0 || model.weightBytes ? 'pass' : 'warn',
    title: l10n.t('Model folder'),
    detail: model.weightBytes
      ? l10n.t('{0}: config.json and {1} weight file(s), {2} GiB', profile.modelPath, model.weightFiles, gib(model.weightBytes))
      : l10n.t('{0}: config.json but no weight files', profile.modelPath),
    fix: model.weightFiles > 0 || model.weightBytes ? null : l10n.t('Copy the *.safetensors weights into the model folder.'),
  };
}

function architectureCheck(model: ModelFacts, profile: Profile): PreflightCheck {
  const a = model.architectureInfo;
  if (!model.architecture) {
    return { id: 'model.architecture', status: 'warn', title: l10n.t('Architecture'), detail: l10n.t('config.json names no architectures'), fix: l10n.t('Check that config.json is the model\'s own (it needs an "architectures" list).') };
  }
  if (!a) {
    return {
      id: 'model.architecture',
      status: 'warn',
      title: l10n.t('Architecture'),
      detail: l10n.t('{0} is not in Ascend Adapt\'s list of vLLM architectures', model.architecture),
      fix: profile.trustRemoteCode
        ? l10n.t('If vLLM does not know it, the model needs a vLLM model class (or a plugin registering it) before it can be served.')
        : l10n.t('If the model ships its own code, enable trustRemoteCode; otherwise it needs a vLLM model class first.'),
    };
  }
  return {
    id: 'model.architecture',
    status: a.ascend === 'unlisted' ? 'warn' : 'pass',
    title: l10n.t('Architecture'),
    detail: a.ascend === 'supported'
      ? l10n.t('{0} ({1}): supported by vLLM and listed by vllm-ascend', a.name, a.family)
      : a.ascend === 'experimental'
        ? l10n.t('{0} ({1}): supported by vLLM, experimental on vllm-ascend', a.name, a.family)
        : l10n.t('{0} ({1}): supported by vLLM, not in vllm-ascend\'s model list', a.name, a.family),
    fix: a.ascend === 'unlisted' ? l10n.t('Expect to validate it yourself: run the smoke test and the accuracy job before relying on it.') : null,
    source: a.source,
  };
}

function quantizationCheck(model: ModelFacts, profile: Profile): PreflightCheck {
  const title = l10n.t('Quantization format');
  if (model.cudaOnlyQuant) {
    return {
      id: 'model.quantization',
      status: 'fail',
      title,
      detail: l10n.t('The checkpoint is {0}-quantized: vllm-ascend cannot load it as is (CUDA-only kernels).', (model.quantMethod ?? '').toUpperCase()),
      fix: l10n.t('Serve the BF16/FP16 checkpoint, or re-quantize with ModelSlim (e.g. W4A16 / W8A8) and serve with quantization "ascend".'),
      source: CUDA_ONLY_QUANT_SOURCE,
    };
  }
  if (model.modelSlimType && profile.quantization !== 'ascend') {
    return {
      id: 'model.quantization',
      status: 'warn',
      title,
      detail: l10n.t('quant_model_description.json says {0} (ModelSlim) but the profile does not set quantization "ascend".', model.modelSlimType),
      fix: l10n.t('Set "quantization": "ascend" in the profile (recent vllm-ascend versions pick it automatically).'),
    };
  }
  if (profile.quantization === 'ascend' && !model.modelSlimType) {
    return {
      id: 'model.quantization',
      status: 'fail',
      title,
      detail: l10n.t('quantization "ascend" needs quant_model_description.json in the model folder; there is none.'),
      fix: l10n.t('Copy quant_model_description.json from the ModelSlim output, or remove "quantization" for a float checkpoint.'),
    };
  }
  return {
    id: 'model.quantization',
    status: 'pass',
    title,
    detail: model.modelSlimType
      ? l10n.t('ModelSlim {0}, served with quantization "ascend"', model.modelSlimType)
      : model.quantMethod
        ? l10n.t('{0} (loadable on NPU)', model.quantMethod)
        : l10n.t('not quantized ({0})', model.dtype ?? l10n.t('dtype not stated')),
    fix: null,
  };
}

/** Parallelism against the model's shape: heads and KV heads vs TP, experts vs TP, max-model-len. */
function shapeChecks(model: ModelFacts, profile: Profile): PreflightCheck[] {
  const out: PreflightCheck[] = [];
  const tp = profile.tensorParallelSize;
  const h = model.numAttentionHeads;
  const kv = model.numKeyValueHeads;
  if (h === null) {
    out.push({ id: 'parallel.heads', status: 'skip', title: l10n.t('Attention heads vs TP'), detail: l10n.t('config.json gives no num_attention_heads'), fix: null });
  } else if (h % tp !== 0) {
    out.push({ id: 'parallel.heads', status: 'fail', title: l10n.t('Attention heads vs TP'), detail: l10n.t('{0} attention heads cannot be split over TP {1}', h, tp), fix: l10n.t('Choose a tensor-parallel size that divides {0}.', h) });
  } else if (kv !== null && kv % tp !== 0 && tp % kv !== 0) {
    out.push({ id: 'parallel.heads', status: 'fail', title: l10n.t('Attention heads vs TP'), detail: l10n.t('{0} KV heads and TP {1}: neither divides the other', kv, tp), fix: l10n.t('Choose a tensor-parallel size that divides {0} or is a multiple of it.', kv) });
  } else {
    out.push({
      id: 'parallel.heads',
      status: 'pass',
      title: l10n.t('Attention heads vs TP'),
      detail: kv !== null && kv !== h ? l10n.t('GQA {0} heads / {1} KV heads over TP {2}', h, kv, tp) : l10n.t('{0} heads over TP {1}', h, tp),
      fix: null,
    });
  }
  if (model.moe && model.numExperts !== null && tp > model.numExperts) {
    out.push({ id: 'parallel.experts', status: 'fail', title: l10n.t('Experts vs TP'), detail: l10n.t('TP {0} is larger than the {1} experts', tp, model.numExperts), fix: l10n.t('Use a tensor-parallel size no larger than the number of experts.') });
  }
  if (profile.maxModelLen !== undefined && model.maxPositionEmbeddings !== null) {
    const over = profile.maxModelLen > model.maxPositionEmbeddings && !model.rope.scalingType;
    out.push({
      id: 'model.max-len',
      status: over ? 'fail' : 'pass',
      title: l10n.t('max-model-len'),
      detail: l10n.t('max-model-len {0}, the model\'s max_position_embeddings {1}', profile.maxModelLen, model.maxPositionEmbeddings),
      fix: over ? l10n.t('Lower maxModelLen to {0} or less.', model.maxPositionEmbeddings) : null,
    });
  }
  return out;
}

/** Devices and HBM against the last environment check. */
function deviceChecks(env: EnvSnapshot | undefined, command: ServeCommand, profile: Profile, perDevice: number | null): PreflightCheck[] {
  if (!env) {
    return [{ id: 'devices.exist', status: 'skip', title: l10n.t('NPUs for this profile'), detail: l10n.t('no environment check of this host yet'), fix: l10n.t('Run the environment check first to have devices and free HBM checked before launching.') }];
  }
  const devs = env.npu.devices;
  const wanted = command.devices;
  const missing = wanted.filter((d) => d >= devs.length);
  if (devs.length === 0) {
    return [{ id: 'devices.exist', status: 'fail', title: l10n.t('NPUs for this profile'), detail: l10n.t('the environment check found no NPU on this host'), fix: l10n.t('Check the driver with npu-smi info on the host.') }];
  }
  if (missing.length > 0 || wanted.length < command.worldSize) {
    return [{
      id: 'devices.exist',
      status: 'fail',
      title: l10n.t('NPUs for this profile'),
      detail: missing.length > 0
        ? l10n.t('ASCEND_RT_VISIBLE_DEVICES={0} but the host has {1} device(s) (logical ids 0–{2})', wanted.join(','), devs.length, devs.length - 1)
        : l10n.t('TP×PP×DP = {0} needs {0} devices; {1} are visible', command.worldSize, wanted.length),
      fix: l10n.t('List {0} existing device ids in visibleDevices, or lower the parallel sizes.', command.worldSize),
    }];
  }
  const out: PreflightCheck[] = [{ id: 'devices.exist', status: 'pass', title: l10n.t('NPUs for this profile'), detail: l10n.t('devices {0} of {1}', wanted.join(','), devs.length), fix: null }];
  const chosen = wanted.map((i) => devs[i]);
  const unhealthy = chosen.filter((d) => d.health && d.health.toUpperCase() !== 'OK');
  if (unhealthy.length) {
    out.push({ id: 'devices.health', status: 'warn', title: l10n.t('Device health'), detail: unhealthy.map((d) => `NPU ${d.npuId}: ${d.health}`).join(', '), fix: l10n.t('Check npu-smi info -t health -i N on the host before launching.') });
  }
  const busy = env.npu.processes.filter((p) => chosen.some((d) => d.npuId === p.npuId && (d.chipId === undefined || p.chipId === undefined || d.chipId === p.chipId)));
  if (busy.length) {
    out.push({
      id: 'devices.busy',
      status: 'warn',
      title: l10n.t('Devices in use'),
      detail: busy.map((p) => l10n.t('pid {0} ({1}) holds {2} MB on NPU {3}', p.pid, p.name || '?', p.memoryMB, p.npuId)).join('; '),
      fix: l10n.t('Stop those processes (or choose other devices) before launching.'),
    });
  }
  out.push(hbmCheck(chosen, profile, perDevice));
  return out;
}

/** Free HBM on the tightest device vs the weights each device must hold. */
function hbmCheck(chosen: EnvSnapshot['npu']['devices'], profile: Profile, perDevice: number | null): PreflightCheck {
  const free = chosen.map((d) => (d.hbmTotalMB != null && d.hbmUsedMB != null ? (d.hbmTotalMB - d.hbmUsedMB) * 1024 * 1024 : null));
  const known = free.filter((f): f is number => f !== null);
  if (perDevice === null || known.length === 0) {
    return { id: 'hbm.fit', status: 'skip', title: l10n.t('Weights vs free HBM'), detail: perDevice === null ? l10n.t('weight size unknown') : l10n.t('free HBM unknown'), fix: null };
  }
  const minFree = Math.min(...known);
  const util = profile.gpuMemoryUtilization ?? 0.9;
  const status: CheckStatus = perDevice > minFree ? 'fail' : perDevice > minFree * util * 0.85 ? 'warn' : 'pass';
  return {
    id: 'hbm.fit',
    status,
    title: l10n.t('Weights vs free HBM'),
    detail: l10n.t('{0} GiB of weights per device at TP×PP {1}; {2} GiB free on the fullest device', gib(perDevice), profile.tensorParallelSize * profile.pipelineParallelSize, gib(minFree)),
    fix: status === 'fail'
      ? l10n.t('Raise tensorParallelSize (weights are split over TP×PP), use a quantized checkpoint, or free the devices.')
      : status === 'warn'
        ? l10n.t('Little room is left for the KV cache: lower maxModelLen or raise tensorParallelSize.')
        : null,
  };
}

/** The environment variables hand-written adaptation reports set for serving. */
function envVarChecks(command: ServeCommand, tp: number): PreflightCheck[] {
  const out: PreflightCheck[] = [];
  if (tp > 1) {
    const v = command.env.HCCL_OP_EXPANSION_MODE;
    out.push({
      id: 'env.hccl-aiv',
      status: v === 'AIV' ? 'pass' : 'warn',
      title: 'HCCL_OP_EXPANSION_MODE',
      detail: v === undefined ? l10n.t('not set (TP {0})', tp) : `HCCL_OP_EXPANSION_MODE=${v}`,
      fix: v === 'AIV' ? null : l10n.t('Set HCCL_OP_EXPANSION_MODE=AIV for TP > 1 (the profile\'s env overrides the default).'),
    });
  }
  const alloc = command.env.PYTORCH_NPU_ALLOC_CONF ?? '';
  out.push({
    id: 'env.alloc-conf',
    status: /expandable_segments:True/.test(alloc) ? 'pass' : 'warn',
    title: 'PYTORCH_NPU_ALLOC_CONF',
    detail: alloc ? `PYTORCH_NPU_ALLOC_CONF=${alloc}` : l10n.t('not set'),
    fix: /expandable_segments:True/.test(alloc) ? null : l10n.t('Set PYTORCH_NPU_ALLOC_CONF=expandable_segments:True to reduce memory fragmentation.'),
  });
  return out;
}
