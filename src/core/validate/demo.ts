import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pythonDir } from '../paths';
import { profileSchema, type NamedProfile } from '../profiles/schema';
import { createSim, updateSimConfig } from '../sim';

/**
 * `ascend-adapt validate --demo`: a SIMULATED Atlas host in a folder, a small MoE model folder on it
 * (config.json only — the simulator runs no model), a demo profile, and the demo datasets shipped in
 * python/data/demo/. Everything it produces is marked simulated.
 */
export interface DemoSetup {
  root: string;
  simRoot: string;
  modelPath: string;
  profile: NamedProfile;
  jobsRoot: string;
  dataDir: string;
  referenceFile: string;
  baselineFile: string;
  /** A small workspace with the port's files (runtime patch, launch script), analysed for the report. */
  workspace: string;
}

const DEMO_PATCH = `# DEMO runtime patch shipped with \`ascend-adapt validate --demo\` (SIMULATED host): NPU-native code.
import torch
import torch_npu


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    out, _ = torch_npu.npu_rms_norm(x, weight, epsilon=eps)
    return out


def swiglu(x: torch.Tensor) -> torch.Tensor:
    return torch_npu.npu_swiglu(x, dim=-1)


def free_cache() -> None:
    torch.npu.synchronize()
    torch.npu.empty_cache()
`;

const DEMO_LAUNCH = `#!/bin/sh
# DEMO launch script (SIMULATED host)
export HCCL_OP_EXPANSION_MODE=AIV
export PYTORCH_NPU_ALLOC_CONF=expandable_segments:True
vllm serve ./demo-moe-a4b --tensor-parallel-size 2 --max-model-len 8192 --dtype bfloat16 --enforce-eager --trust-remote-code
`;

/** A MoE config in the shape of a HunYuan-A13B-class model (numbers chosen for the demo). */
export const DEMO_MODEL_CONFIG = {
  architectures: ['HunYuanMoEV1ForCausalLM'],
  model_type: 'hunyuan_v1_moe',
  _comment: 'DEMO model folder made by ascend-adapt validate --demo on a SIMULATED host; no weights, nothing real.',
  hidden_size: 4096,
  intermediate_size: 3072,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  num_experts: 16,
  moe_topk: 4,
  num_shared_expert: 1,
  moe_intermediate_size: 1024,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
  rope_theta: 10000.0,
  rope_scaling: { type: 'dynamic', factor: 1.0, alpha: 1000.0 },
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
  tie_word_embeddings: false,
};

export function demoDataDir(): string {
  return path.join(pythonDir(), 'data', 'demo');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function createDemo(
  root: string,
  opts: { loadTimeSec?: number; devices?: number; python?: string; dataDir?: string; host?: string } = {},
): Promise<DemoSetup> {
  fs.mkdirSync(root, { recursive: true });
  const sim = createSim(path.join(root, 'atlas-sim'), { devices: opts.devices ?? 8, chip: '910B3', force: true, ...(opts.python ? { python: opts.python } : {}) });
  // The simulated server answers the demo datasets from the demo answer key (one item per dataset wrong).
  const answerKey = path.join(opts.dataDir ?? demoDataDir(), 'answer_key.jsonl');
  updateSimConfig(sim.root, (c) => ({
    ...c,
    serve: { ...(c.serve ?? {}), loadTimeSec: opts.loadTimeSec ?? 2, server: { ...((c.serve?.server as object) ?? {}), answer_key: answerKey } },
  }));
  const modelPath = path.join(sim.root, 'models', 'demo-moe-a4b');
  fs.mkdirSync(modelPath, { recursive: true });
  fs.writeFileSync(path.join(modelPath, 'config.json'), JSON.stringify(DEMO_MODEL_CONFIG, null, 2) + '\n');
  fs.writeFileSync(path.join(modelPath, 'README-SIMULATED.txt'), 'Demo model folder for ascend-adapt validate --demo. SIMULATED: no weights.\n');
  const port = await freePort();
  const profile: NamedProfile = {
    name: 'demo',
    ...profileSchema.parse({
      description: 'SIMULATED demo profile (ascend-adapt validate --demo)',
      host: opts.host ?? 'local',
      simRoot: sim.root,
      modelPath,
      servedModelName: 'demo-moe-a4b',
      tensorParallelSize: 2,
      maxModelLen: 8192,
      dtype: 'bfloat16',
      enforceEager: true,
      trustRemoteCode: true,
      port,
      smokeMaxTokens: 64,
      readyTimeoutSec: 120,
    }),
  };
  const dataDir = opts.dataDir ?? demoDataDir();
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'patch_demo_moe.py'), DEMO_PATCH);
  fs.writeFileSync(path.join(workspace, 'run_demo.sh'), DEMO_LAUNCH);
  return {
    workspace,
    root,
    simRoot: sim.root,
    modelPath,
    profile,
    jobsRoot: path.join(root, 'jobs'),
    dataDir,
    referenceFile: path.join(dataDir, 'reference_gpu_demo.json'),
    baselineFile: path.join(dataDir, 'baseline_gpu_demo.json'),
  };
}
