import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildServeCommand } from '../../src/core/serving/command';
import { analyzeModel, inspectModel, type ModelFacts } from '../../src/core/serving/model';
import { envSnapshotSchema, preflight, type EnvSnapshot } from '../../src/core/serving/preflight';
import { profileSchema } from '../../src/core/profiles/schema';
import { LocalTransport } from '../../src/core/transport/local';
import { MODELS } from './helpers';

/** Model folder facts (read over a transport with the real python snippet) and the pre-launch verdicts. */

const t = new LocalTransport();
const facts = async (name: string): Promise<ModelFacts> => analyzeModel(await inspectModel(t, path.join(MODELS, name)));

function env(devices: number, usedMB = 3300, totalMB = 65536, extra: Partial<EnvSnapshot['npu']> = {}): EnvSnapshot {
  return envSnapshotSchema.parse({
    host: 'atlas',
    npu: {
      family: 'A2',
      devices: Array.from({ length: devices }, (_, i) => ({ npuId: i, chipId: 0, name: '910B3', health: 'OK', hbmUsedMB: usedMB, hbmTotalMB: totalMB, busId: null, extraField: 1 })),
      processes: [],
      ...extra,
    },
    versions: { cann: '8.5.1' },
  });
}

function run(o: Record<string, unknown>, model: ModelFacts | null, e?: EnvSnapshot) {
  const profile = profileSchema.parse({ modelPath: model?.path ?? '/nowhere', ...o });
  const r = preflight({ profile, command: buildServeCommand(profile), model, env: e });
  return { ...r, status: (id: string) => r.checks.find((c) => c.id === id)?.status, check: (id: string) => r.checks.find((c) => c.id === id) };
}

describe('model folder facts', () => {
  it('reads the MoE fixture like Hunyuan-A13B: architecture, experts, GQA, RoPE, dtype, weight size from the index', async () => {
    const f = await facts('hunyuan-moe-sim');
    assert.equal(f.architecture, 'HunYuanMoEV1ForCausalLM');
    assert.equal(f.architectureInfo?.moe, true);
    assert.equal(f.moe, true);
    assert.equal(f.numExperts, 64);
    assert.equal(f.numAttentionHeads, 32);
    assert.equal(f.numKeyValueHeads, 8);
    assert.equal(f.headDim, 128);
    assert.equal(f.maxPositionEmbeddings, 32768);
    assert.deepEqual(f.rope, { theta: 10000, scalingType: 'dynamic', neoxStyle: true });
    assert.equal(f.dtype, 'bfloat16');
    assert.equal(f.quantMethod, null);
    assert.equal(f.weightSource, 'index');
    assert.equal(f.weightBytes, 160_434_471_936);
    assert.equal(f.weightFiles, 4);
  });

  it('recognises a GPTQ checkpoint and an msModelSlim W8A8 one', async () => {
    const g = await facts('gptq-int4-sim');
    assert.equal(g.quantMethod, 'gptq');
    assert.equal(g.cudaOnlyQuant, true);
    const m = await facts('modelslim-w8a8-sim');
    assert.equal(m.quantMethod, 'ascend');
    assert.equal(m.modelSlimType, 'W8A8');
    assert.equal(m.cudaOnlyQuant, false);
    assert.equal(m.weightSource, 'files');
  });

  it('reports a missing folder without throwing', async () => {
    const insp = await inspectModel(t, '/no/such/folder');
    assert.equal(insp.exists, false);
    assert.equal(insp.config, null);
    const weird = await inspectModel(t, "/tmp/it's $(not) a `path`");
    assert.equal(weird.exists, false);
    assert.equal(weird.path, "/tmp/it's $(not) a `path`");
  });
});

describe('pre-launch checks', () => {
  it('Hunyuan MoE at TP 1 on 64 GB NPUs: the weights do not fit (fail, with the numbers)', async () => {
    const r = run({ trustRemoteCode: true }, await facts('hunyuan-moe-sim'), env(8));
    assert.equal(r.ok, false);
    const c = r.check('hbm.fit')!;
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /149\.4 GiB of weights per device at TP×PP 1; 60\.8 GiB free/);
    assert.match(c.fix ?? '', /tensorParallelSize/);
  });

  it('…at TP 4 it fits, the env for TP > 1 is right, the architecture is known', async () => {
    const r = run({ tensorParallelSize: 4, trustRemoteCode: true }, await facts('hunyuan-moe-sim'), env(8));
    assert.equal(r.ok, true, JSON.stringify(r.checks.filter((c) => c.status === 'fail')));
    assert.equal(r.status('hbm.fit'), 'pass');
    assert.equal(r.status('env.hccl-aiv'), 'pass');
    assert.equal(r.status('env.alloc-conf'), 'pass');
    assert.equal(r.status('model.architecture'), 'pass');
    assert.equal(r.status('parallel.heads'), 'pass');
    assert.ok(Math.abs(r.weightBytesPerDevice! - 160_434_471_936 / 4) < 1);
  });

  it('…at TP 3 the heads cannot be split; with fewer experts than TP it fails too', async () => {
    const f = await facts('hunyuan-moe-sim');
    assert.equal(run({ tensorParallelSize: 3 }, f, env(8)).status('parallel.heads'), 'fail');
    assert.equal(run({ tensorParallelSize: 16 }, f, env(16)).status('parallel.experts'), undefined);
    const few = run({ tensorParallelSize: 32 }, { ...f, numExperts: 16 }, env(32));
    assert.equal(few.status('parallel.experts'), 'fail');
    assert.equal(few.status('parallel.heads'), 'pass');
  });

  it('GPTQ cannot be served on NPU as is (fail, with the ModelSlim way out)', async () => {
    const r = run({}, await facts('gptq-int4-sim'), env(8));
    const c = r.check('model.quantization')!;
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /GPTQ-quantized/);
    assert.match(c.fix ?? '', /ModelSlim/);
  });

  it('ModelSlim output without quantization "ascend" is a warning; with it, a pass; "ascend" on a float model fails', async () => {
    const m = await facts('modelslim-w8a8-sim');
    assert.equal(run({}, m).status('model.quantization'), 'warn');
    assert.equal(run({ quantization: 'ascend' }, m).status('model.quantization'), 'pass');
    assert.equal(run({ quantization: 'ascend' }, await facts('tiny-dense-sim')).status('model.quantization'), 'fail');
  });

  it('devices that do not exist, too few devices, busy and unhealthy devices', async () => {
    const f = await facts('tiny-dense-sim');
    const missing = run({ visibleDevices: [6, 9] , tensorParallelSize: 2 }, f, env(8));
    assert.equal(missing.status('devices.exist'), 'fail');
    assert.match(missing.check('devices.exist')!.detail, /ASCEND_RT_VISIBLE_DEVICES=6,9 but the host has 8 device\(s\)/);
    const few = run({ visibleDevices: [0], tensorParallelSize: 2 }, f, env(8));
    assert.equal(few.status('devices.exist'), 'fail');
    const e = env(8);
    e.npu.processes.push({ npuId: 1, chipId: 0, pid: 4242, name: 'python', memoryMB: 30000 });
    e.npu.devices[1].hbmUsedMB = 33300;
    e.npu.devices[0].health = 'Alarm';
    const busy = run({ tensorParallelSize: 2 }, f, e);
    assert.equal(busy.status('devices.busy'), 'warn');
    assert.match(busy.check('devices.busy')!.detail, /pid 4242 \(python\) holds 30000 MB on NPU 1/);
    assert.equal(busy.status('devices.health'), 'warn');
    assert.equal(busy.status('hbm.fit'), 'pass');
  });

  it('without an environment check the device checks are skipped (and say how to get them)', async () => {
    const r = run({}, await facts('tiny-dense-sim'));
    assert.equal(r.status('devices.exist'), 'skip');
    assert.match(r.check('devices.exist')!.fix ?? '', /environment check/);
    assert.equal(r.status('hbm.fit'), undefined);
  });

  it('max-model-len beyond max_position_embeddings fails; an env override of the prescribed variables warns', async () => {
    const f = await facts('tiny-dense-sim');
    assert.equal(run({ maxModelLen: 16384 }, f).status('model.max-len'), 'fail');
    assert.equal(run({ maxModelLen: 8192 }, f).status('model.max-len'), 'pass');
    const o = run({ tensorParallelSize: 2, env: { HCCL_OP_EXPANSION_MODE: 'AI_CPU', PYTORCH_NPU_ALLOC_CONF: 'max_split_size_mb:250' } }, f);
    assert.equal(o.status('env.hccl-aiv'), 'warn');
    assert.equal(o.status('env.alloc-conf'), 'warn');
  });

  it('an unknown architecture is a warning, a missing model folder a failure', async () => {
    const f = await facts('tiny-dense-sim');
    assert.equal(run({}, { ...f, architecture: 'MyNewModelForCausalLM', architectureInfo: null }).status('model.architecture'), 'warn');
    const none = run({}, null);
    assert.equal(none.status('model.folder'), 'fail');
    assert.equal(none.ok, false);
  });

  it('reads an env-check result with extra fields, and rejects one without devices with a clear path', () => {
    assert.equal(envSnapshotSchema.safeParse(env(2)).success, true);
    const bad = envSnapshotSchema.safeParse({ npu: { devices: [{ name: 'x' }] } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0].path, ['npu', 'devices', 0, 'npuId']);
  });
});
