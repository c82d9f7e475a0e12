import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnvReportSchema, type EnvReport } from '../../src/core/checks/report';
import { repoRoot, tmpDir } from './helpers';
import { runCli } from '../harness/cli';

async function cli(argv: string[], env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C' }, cwd = process.cwd()) {
  return runCli(argv, { env, cwd });
}

describe('CLI: sim create and env-check', () => {
  let dir: string;
  let sim: string;
  before(async () => {
    dir = tmpDir('aa-envcli-');
    sim = path.join(dir, 'atlas');
    const r = await cli(['sim', 'create', sim, '--devices', '4', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { simulated: boolean; root: string; config: { devices: number } };
    assert.equal(j.simulated, true);
    assert.equal(j.root, sim);
    assert.equal(j.config.devices, 4);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sim create refuses to overwrite without --force, and names bad options', async () => {
    const again = await cli(['sim', 'create', sim]);
    assert.equal(again.code, 2);
    assert.match(again.err, /--force/);
    assert.equal((await cli(['sim', 'create', path.join(dir, 'x'), '--chip', 'A100'])).code, 2);
    assert.equal((await cli(['sim', 'create', path.join(dir, 'y'), '--devices', 'many'])).code, 2);
    assert.equal((await cli(['sim', 'make', path.join(dir, 'z')])).code, 2);
    const text = await cli(['sim', 'create', path.join(dir, 'classic'), '--chip', '910B', '--devices', '2']);
    assert.equal(text.code, 0);
    assert.match(text.out, /SIMULATED Atlas host/);
    assert.match(text.out, /\. .*env\.sh/);
  });

  it('env-check --sim DIR --json: the issue-4 shape, validated, simulated, exit 0', async () => {
    const r = await cli(['env-check', '--sim', sim, '--json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = EnvReportSchema.parse(JSON.parse(r.out));
    assert.equal(j.simulated, true);
    assert.equal(j.npu.devices.length, 4);
    assert.equal(j.versions.vllm_ascend, '0.18.0');
    assert.ok(!('raw' in (JSON.parse(r.out) as object)), 'raw probe data stays out of --json');
    assert.ok(j.checks.every((c) => c.status !== 'fail'));
  });

  it('text output says SIMULATED, lists devices and fixes; zh-CN too', async () => {
    const r = await cli(['env-check', '--sim', sim, '--tp', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /== sim {2}\[SIMULATED\]/);
    assert.match(r.out, /910B3/);
    assert.match(r.out, /fix: export HCCL_OP_EXPANSION_MODE=AIV/);
    assert.match(r.out, /SIMULATED host: not NPU results/);
    const zh = await cli(['--lang', 'zh-CN', 'env-check', '--sim', sim]);
    assert.equal(zh.code, 0);
    assert.match(zh.out, /模拟主机/);
    assert.match(zh.out, /通过/);
  });

  it('a failing check gives exit 1 (classic 910 host)', async () => {
    const r = await cli(['env-check', '--sim', path.join(dir, 'classic'), '--json']);
    assert.equal(r.code, 1);
    const j = EnvReportSchema.parse(JSON.parse(r.out));
    assert.equal(j.checks.find((c) => c.id === 'npu.family')?.status, 'fail');
  });

  it('several hosts: an array, compared; differing versions fail', async () => {
    const other = path.join(dir, 'older');
    assert.equal((await cli(['sim', 'create', other, '--devices', '4', '--release', 'v0.13.0'])).code, 0);
    const r = await cli(['env-check', '--sim', sim, '--sim', other, '--json']);
    assert.equal(r.code, 1);
    const arr = (JSON.parse(r.out) as unknown[]).map((x) => EnvReportSchema.parse(x));
    assert.deepEqual(arr.map((x) => x.host), ['sim:atlas', 'sim:older']);
    assert.ok(arr.every((x) => x.checks.find((c) => c.id === 'cluster.versions')?.status === 'fail'));
  });

  it('--save-snapshot then --snapshot re-analyses to the same result; collect_env layout', async () => {
    const snap = path.join(dir, 'snap.json');
    const a = await cli(['env-check', '--sim', sim, '--json', '--save-snapshot', snap]);
    assert.equal(a.code, 0);
    assert.match(a.err, /Snapshot saved/);
    const b = await cli(['env-check', '--snapshot', snap, '--json']);
    assert.equal(b.code, 0, b.err);
    assert.deepEqual(JSON.parse(b.out), JSON.parse(a.out));
    const c = await cli(['env-check', '--snapshot', snap, '--format', 'collect-env']);
    assert.equal(c.code, 0);
    for (const re of [/^# SIMULATED HOST/m, /^vLLM Ascend Version: 0\.18\.0$/m, /^\[pip3\] torch_npu==2\.9\.0\.post1\+git4c901a4$/m, /^NPU:$/m, /^\| npu-smi 25\.5\.1 /m, /^CANN:$/m, /^version=8\.5\.1$/m, /^ASCEND_TOOLKIT_HOME=/m]) {
      assert.match(c.out, re);
    }
  });

  it('--local --source DIR/env.sh: the login environment plus the sourced file', async () => {
    const r = await cli(['env-check', '--local', '--source', path.join(sim, 'env.sh'), '--json'], { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C' });
    assert.equal(r.code, 0, r.err + r.out);
    const j = EnvReportSchema.parse(JSON.parse(r.out));
    assert.equal(j.simulated, true);
    assert.equal(j.checks.find((c) => c.id === 'env.atb_set_env')?.status, 'pass');
  });

  it('bad input: exit 2 with a message naming the problem', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"kind":"ascend-adapt.env-snapshot","version":1,"hosts":[]}');
    const r1 = await cli(['env-check', '--snapshot', bad]);
    assert.equal(r1.code, 2);
    assert.match(r1.err, /bad\.json: not an ascend-adapt environment snapshot/);
    const r2 = await cli(['env-check', '--snapshot', path.join(dir, 'missing.json')]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /cannot read/);
    assert.equal((await cli(['env-check', '--snapshot', bad, '--local'])).code, 2);
    assert.equal((await cli(['env-check', '--sim', sim, '--tp', '0'])).code, 2);
    assert.equal((await cli(['env-check', '--sim', sim, '--format', 'xml'])).code, 2);
    const r3 = await cli(['env-check', '--sim', path.join(dir, 'nope')]);
    assert.equal(r3.code, 2);
    assert.match(r3.err, /not a simulated host/);
    assert.equal((await cli(['env-check'])).code, 2);
  });
});

// The way README/npm start use it: the built CLI, a fresh sim, env.sh sourced by a real shell, --local.
const built = path.join(repoRoot, 'dist', 'cli.js');
describe('built CLI end to end (node dist/cli.js)', { skip: fs.existsSync(built) ? false : 'run npm run build first' }, () => {
  it('sim create /tmp/x && . /tmp/x/env.sh && env-check --local --json', () => {
    const dir = tmpDir('aa-envcli-e2e-');
    try {
      const x = path.join(dir, 'x');
      const script = `node '${built}' sim create '${x}' >/dev/null && . '${x}/env.sh' && node '${built}' env-check --local --json`;
      const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, LANG: 'C' } });
      assert.equal(r.status, 0, r.stderr);
      const j: EnvReport = EnvReportSchema.parse(JSON.parse(r.stdout));
      assert.equal(j.host, 'local');
      assert.equal(j.simulated, true);
      assert.equal(j.npu.devices.length, 8);
      assert.equal(j.checks.find((c) => c.id === 'env.cann_set_env')?.status, 'pass');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
