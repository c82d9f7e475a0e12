// `sim create`: the model checkpoints it lays out, ASCEND_ADAPT_SIM_MODELS in env.sh, and folders it
// cannot use failing at once.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSafetensorsHeader } from '../../src/core/quantize/safetensors';
import { createSim, SimCreateError } from '../../src/core/sim/create';
import { SIM_MODELS } from '../../src/core/sim/models';
import { runCli } from '../harness/cli';

let parent: string;
let root: string;

before(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-simcreate-'));
  root = createSim(path.join(parent, 'atlas'), { devices: 2 }).root;
});
after(() => fs.rmSync(parent, { recursive: true, force: true }));

const BYTES: Record<string, number> = { BF16: 2, F16: 2, I32: 4 };

function readModel(name: string) {
  const dir = path.join(root, 'models', name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
  const tensors = new Map<string, { dtype: string; shape: number[] }>();
  let dataBytes = 0;
  for (const shard of new Set(Object.values(index.weight_map))) {
    const file = path.join(dir, shard);
    const h = readSafetensorsHeader(file);
    assert.equal(h.dataStart % 8, 0, `${shard}: data starts 8-byte aligned`);
    assert.equal(fs.statSync(file).size, h.dataStart + h.dataBytes, `${shard}: file holds exactly the data the header describes`);
    dataBytes += h.dataBytes;
    for (const [t, info] of h.tensors) {
      assert.equal(index.weight_map[t], shard, `${t} is mapped to the shard that holds it`);
      assert.equal(info.data_offsets[1] - info.data_offsets[0], info.shape.reduce((a, b) => a * b, 1) * BYTES[info.dtype]!, `${t}: offsets match shape × dtype`);
      tensors.set(t, info);
    }
  }
  assert.equal(index.metadata.total_size, dataBytes, 'index total_size = the data bytes of the shards');
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(index.weight_map).sort(), 'every tensor of the index is in a shard');
  return { dir, config, tensors, dataBytes };
}

describe('sim create: model checkpoints', () => {
  it('a BF16 MoE checkpoint: config.json, index, two real safetensors shards, a few hundred KB', () => {
    const m = readModel(SIM_MODELS.bf16);
    assert.deepEqual(m.config.architectures, ['Qwen3MoeForCausalLM']);
    assert.equal(m.config.torch_dtype, 'bfloat16');
    assert.equal(m.config.quantization_config, undefined);
    assert.ok(m.dataBytes < 1_000_000, `${m.dataBytes} bytes`);
    const c = m.config as { num_hidden_layers: number; num_experts: number; hidden_size: number; moe_intermediate_size: number };
    for (let l = 0; l < c.num_hidden_layers; l++) {
      for (let e = 0; e < c.num_experts; e++) {
        assert.deepEqual(m.tensors.get(`model.layers.${l}.mlp.experts.${e}.down_proj.weight`)?.shape, [c.hidden_size, c.moe_intermediate_size]);
      }
    }
    assert.ok([...m.tensors.values()].every((t) => t.dtype === 'BF16'));
    assert.match(fs.readFileSync(path.join(m.dir, 'README-SIMULATED.txt'), 'utf8'), /SIMULATED/);
  });

  it('its GPTQ 4-bit version: same sizes, quantization_config, qweight/qzeros/scales/g_idx per linear layer, router in FP16', () => {
    const f = readModel(SIM_MODELS.bf16);
    const q = readModel(SIM_MODELS.gptq);
    const { quantization_config: qc, torch_dtype: _d, ...rest } = q.config as Record<string, unknown>;
    const { torch_dtype: _d2, ...floatRest } = f.config;
    assert.deepEqual(rest, floatRest, 'the same model apart from dtype and quantization');
    assert.equal((qc as { quant_method: string; bits: number }).quant_method, 'gptq');
    assert.equal((qc as { bits: number }).bits, 4);
    const linear = [...f.tensors.keys()].filter((t) => /(proj)\.weight$/.test(t));
    assert.ok(linear.length > 0);
    for (const t of linear) {
      const p = t.replace(/\.weight$/, '');
      const [out, inp] = f.tensors.get(t)!.shape as [number, number];
      assert.deepEqual(q.tensors.get(`${p}.qweight`)?.shape, [inp / 8, out], p);
      assert.equal(q.tensors.get(`${p}.qweight`)?.dtype, 'I32');
      assert.deepEqual(q.tensors.get(`${p}.scales`)?.shape, [inp / 32, out], p);
      assert.equal(q.tensors.get(`${p}.scales`)?.dtype, 'F16');
      assert.deepEqual(q.tensors.get(`${p}.qzeros`)?.shape, [inp / 32, out / 8], p);
      assert.deepEqual(q.tensors.get(`${p}.g_idx`)?.shape, [inp], p);
      assert.equal(q.tensors.has(t), false, `${t} is quantized, not kept in float`);
    }
    assert.equal(q.tensors.get('model.layers.0.mlp.gate.weight')?.dtype, 'F16');
    assert.ok(fs.existsSync(path.join(q.dir, 'quantize_config.json')));
  });

  it('env.sh (and env.json) export ASCEND_ADAPT_SIM_MODELS, their parent folder', () => {
    const r = spawnSync('/bin/sh', ['-c', '. "$1/env.sh" && printf %s "$ASCEND_ADAPT_SIM_MODELS"', 'sh', root], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(r.stdout, path.join(root, 'models'));
    for (const name of Object.values(SIM_MODELS)) assert.ok(fs.existsSync(path.join(r.stdout, name, 'config.json')), name);
    const env = JSON.parse(fs.readFileSync(path.join(root, 'env.json'), 'utf8')) as { steps: Array<{ set: Record<string, string> }> };
    assert.equal(env.steps[0]!.set.ASCEND_ADAPT_SIM_MODELS, path.join(root, 'models'));
  });
});

describe('sim create: a folder it cannot use fails at once with a clear message', () => {
  it('/proc/x (where a recursive mkdir loops forever), a file, an unwritable parent', async () => {
    assert.throws(() => createSim('/proc/x'), (e: unknown) => e instanceof SimCreateError && /cannot create the simulated host in \/proc\/x/.test(e.message));
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, '');
    assert.throws(() => createSim(path.join(file, 'sim')), SimCreateError);
    const r = await runCli(['sim', 'create', '/proc/x/y'], { env: { LANG: 'C' } });
    assert.equal(r.code, 2);
    assert.match(r.err, /ascend-adapt sim create: cannot create the simulated host in \/proc\/x\/y/);
  });
});

describe('sim create --force over a simulated host: its own files go, nobody else\'s', () => {
  it('keeps files it did not make (a model copied in, notes, a file in its own model folder) and clears the simulated runtime state', () => {
    const dir = path.join(parent, 'again');
    createSim(dir, { devices: 2 });
    const ours = path.join(dir, 'models', Object.values(SIM_MODELS)[0]!);
    fs.mkdirSync(path.join(dir, 'models', 'my-model'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'my-model', 'config.json'), '{"mine": true}');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes');
    fs.writeFileSync(path.join(ours, 'my-remark.txt'), 'kept');
    fs.mkdirSync(path.join(dir, 'state', 'npu_procs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state', 'npu_procs', '4242.json'), '{}');
    fs.writeFileSync(path.join(dir, 'env.sh'), '# edited: ours, so it is written again\n');
    assert.throws(() => createSim(dir, { devices: 2 }), /already holds a simulated host/);
    createSim(dir, { devices: 4, force: true });
    assert.equal(fs.readFileSync(path.join(dir, 'models', 'my-model', 'config.json'), 'utf8'), '{"mine": true}');
    assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'my notes');
    assert.equal(fs.readFileSync(path.join(ours, 'my-remark.txt'), 'utf8'), 'kept');
    assert.ok(fs.existsSync(path.join(ours, 'config.json')), 'its own model written again');
    assert.equal(fs.existsSync(path.join(dir, 'state', 'npu_procs', '4242.json')), false, 'no simulated process survives');
    assert.match(fs.readFileSync(path.join(dir, 'env.sh'), 'utf8'), /ASCEND_ADAPT_SIM_MODELS/);
    assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'sim.json'), 'utf8')) as { devices: number }).devices, 4);
    // The manifest never lists the files it kept, so a third creation keeps them too.
    const listed = (JSON.parse(fs.readFileSync(path.join(dir, '.ascend-adapt-sim-files.json'), 'utf8')) as { files: string[] }).files;
    assert.ok(!listed.includes('notes.txt') && !listed.includes('models/my-model/config.json'));
    assert.ok(listed.includes('sim.json') && listed.includes('env.sh'));
  });

  it('refuses to clear a simulated host that has no list of its files (made by an older version)', () => {
    const dir = path.join(parent, 'old');
    createSim(dir, { devices: 2 });
    fs.rmSync(path.join(dir, '.ascend-adapt-sim-files.json'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    assert.throws(() => createSim(dir, { devices: 2, force: true }), /without a list of the files it made/);
    assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
  });
});
