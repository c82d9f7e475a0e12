import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseNpuSmiInfo } from '../../src/core/npu/smi';
import { readSimConfig, updateSimConfig } from '../../src/core/sim/config';
import { createSim, SimCreateError } from '../../src/core/sim/create';
import { applyEnvSteps, readSimEnv, simExecEnv } from '../../src/core/sim/env';
import { makeSim, tmpDir } from './helpers';

function shEnv(shell: string, script: string, base: Record<string, string>): Record<string, string> {
  const r = spawnSync(shell, ['-c', `${script}\nenv -0`], { env: base, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const env: Record<string, string> = {};
  for (const kv of r.stdout.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  for (const k of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete env[k];
  return env;
}

const BASE = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C' };
const shells = ['/bin/sh', '/bin/dash', '/bin/bash'].filter((s) => fs.existsSync(s));

describe('sim create: the simulated Atlas host layout', () => {
  let sim: ReturnType<typeof makeSim>;
  before(() => { sim = makeSim(); });
  after(() => sim.cleanup());

  it('lays out the CANN ≥ 8.5 tree with real version files, all marked simulated', () => {
    const r = sim.root;
    const c = readSimConfig(r);
    assert.equal(c.simulated, true);
    assert.equal(c.release.vllmAscend, '0.18.0');
    assert.equal(c.release.cann, '8.5.1');
    const info = fs.readFileSync(c.paths.cannInstallInfo, 'utf8');
    assert.match(info, /^package_name=Ascend-cann-toolkit$/m);
    assert.match(info, /^version=8\.5\.1$/m);
    assert.match(info, /SIMULATED/);
    assert.equal(fs.readlinkSync(path.join(r, 'Ascend', 'cann')), 'cann-8.5.1');
    assert.ok(fs.existsSync(path.join(r, 'Ascend', 'ascend-toolkit', 'latest', `${c.arch}-linux`, 'ascend_toolkit_install.info')), 'old path still resolves');
    assert.match(fs.readFileSync(path.join(r, 'Ascend', 'driver', 'version.info'), 'utf8'), /^Version=25\.5\.1$/m);
    assert.match(fs.readFileSync(path.join(r, 'Ascend', 'firmware', 'version.info'), 'utf8'), /^Version=7\.8\.0\.6\.201$/m);
    assert.ok(fs.statSync(path.join(r, 'bin', 'npu-smi')).mode & 0o111);
    assert.ok(fs.existsSync(path.join(r, 'sim', 'npu_smi.py')));
    assert.ok(fs.existsSync(path.join(r, 'state', 'npu_procs')));
    assert.match(fs.readFileSync(path.join(r, 'README-SIMULATED.txt'), 'utf8'), /SIMULATED/);
  });

  it('CANN ≤ 8.3 rows use the ascend-toolkit/<version> layout', () => {
    const old = makeSim({ release: '0.11.0' });
    try {
      const c = readSimConfig(old.root);
      assert.equal(c.release.cann, '8.3.RC2');
      assert.equal(c.paths.toolkitHome, path.join(old.root, 'Ascend', 'ascend-toolkit', 'latest'));
      assert.equal(fs.readlinkSync(path.join(old.root, 'Ascend', 'ascend-toolkit', 'latest')), '8.3.RC2');
      assert.ok(!fs.existsSync(path.join(old.root, 'Ascend', 'cann')));
    } finally {
      old.cleanup();
    }
  });

  for (const shell of shells) {
    it(`env.sh sourced from ${shell} gives exactly env.json's variables, and sourcing twice changes nothing`, () => {
      const once = shEnv(shell, `. '${sim.envFile}'`, BASE);
      const twice = shEnv(shell, `. '${sim.envFile}'; . '${sim.envFile}'`, BASE);
      assert.deepEqual(twice, once);
      const fromJson = applyEnvSteps(readSimEnv(sim.root).steps, BASE);
      assert.deepEqual(once, fromJson);
      assert.equal(once.ASCEND_ADAPT_SIMULATED, '1');
      assert.equal(once.ASCEND_ADAPT_SIM_ROOT, sim.root);
      assert.equal(once.PATH.split(':')[0], path.join(sim.root, 'bin'));
      assert.ok(once.LD_LIBRARY_PATH.split(':').includes(path.join(once.ASCEND_TOOLKIT_HOME, 'lib64')));
      assert.ok(once.ATB_HOME_PATH.endsWith('/atb/cxx_abi_1'));
      const leak = shEnv(shell, `. '${sim.envFile}'; if type _aa_prepend >/dev/null 2>&1; then LEAK=1; export LEAK; fi`, BASE);
      assert.equal(leak.LEAK, undefined, 'the helper function does not stay in the user\'s shell');
    });
  }

  it('env.sh keeps entries the user already has, and is safe with a path containing spaces and quotes', () => {
    const parent = tmpDir();
    try {
      const odd = path.join(parent, "my 'sim' dir");
      const s = createSim(odd, { devices: 2 });
      const env = shEnv('/bin/sh', `. "${s.envFile.replace(/"/g, '\\"')}"`, { ...BASE, LD_LIBRARY_PATH: '/opt/mine' });
      assert.equal(env.ASCEND_ADAPT_SIM_ROOT, odd);
      assert.ok(env.LD_LIBRARY_PATH.endsWith(':/opt/mine'));
      assert.deepEqual(env, simExecEnv(odd, { ...BASE, LD_LIBRARY_PATH: '/opt/mine' }));
      const r = spawnSync('npu-smi', ['info'], { env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseNpuSmiInfo(r.stdout).devices.length, 2);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('importlib.metadata finds torch, torch_npu, vllm, vllm_ascend, transformers at the row\'s versions', () => {
    const env = simExecEnv(sim.root, BASE);
    const code = 'import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in ["torch","torch_npu","vllm","vllm_ascend","transformers"]}))';
    const r = spawnSync('python3', ['-c', code], { env: { ...process.env, ...env, PATH: `${env.PATH}:${process.env.PATH}` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { torch: '2.9.0', torch_npu: '2.9.0.post1+git4c901a4', vllm: '0.18.0+empty', vllm_ascend: '0.18.0', transformers: '4.57.3' });
  });

  it('refuses to write into a folder that is not a simulated host, and replaces one only with force', () => {
    const parent = tmpDir();
    try {
      fs.writeFileSync(path.join(parent, 'precious.txt'), 'x');
      assert.throws(() => createSim(parent), SimCreateError);
      assert.ok(fs.existsSync(path.join(parent, 'precious.txt')));
      assert.throws(() => createSim(sim.root), /--force/);
      assert.throws(() => createSim(path.join(parent, 'a'), { chip: 'H100' }), /not simulated/);
      assert.throws(() => createSim(path.join(parent, 'b'), { release: '0.0.1' }), /not in the compatibility matrix/);
      assert.throws(() => createSim(path.join(parent, 'c'), { devices: 0 }), /1\.\.64/);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('simulated npu-smi', () => {
  let sim: ReturnType<typeof makeSim>;
  let env: Record<string, string>;
  before(() => {
    sim = makeSim({ devices: 8 });
    env = { ...simExecEnv(sim.root, process.env), ASCEND_ADAPT_SIM_QUIET: '1' };
  });
  after(() => sim.cleanup());
  const smi = (...args: string[]) => spawnSync('npu-smi', args, { env, encoding: 'utf8' });

  it('info: every table line is 98 columns, 8 healthy idle 910B3 devices, a process table with no processes', () => {
    const r = smi('info');
    assert.equal(r.status, 0, r.stderr);
    const table = r.stdout.split('\n').filter((l) => l.startsWith('|') || l.startsWith('+'));
    assert.ok(table.length > 40);
    assert.ok(table.every((l) => l.length === 98), table.find((l) => l.length !== 98));
    const p = parseNpuSmiInfo(r.stdout);
    assert.equal(p.devices.length, 8);
    assert.ok(p.devices.every((d) => d.family === 'A2' && d.health === 'OK' && d.hbmTotalMB === 65536 && d.hbmUsedMB! < 4096));
    assert.deepEqual(p.idleNpus, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(p.issues, []);
  });

  it('says it is simulated on stderr (not in the table)', () => {
    const r = spawnSync('npu-smi', ['info'], { env: { ...env, ASCEND_ADAPT_SIM_QUIET: '0' }, encoding: 'utf8' });
    assert.match(r.stderr, /simulated/);
    assert.doesNotMatch(r.stdout, /simulated/i);
  });

  it('a live process in state/npu_procs shows in the table and adds to HBM; it vanishes when the process ends', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const file = path.join(sim.root, 'state', 'npu_procs', `${child.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ pid: child.pid, name: 'VLLMWorker_TP', devices: [2, 3], memoryMB: 40000 }));
    try {
      const before = parseNpuSmiInfo(smi('info').stdout);
      assert.deepEqual(before.processes.map((p) => [p.npuId, p.pid, p.name, p.memoryMB]), [[2, child.pid, 'VLLMWorker_TP', 40000], [3, child.pid, 'VLLMWorker_TP', 40000]]);
      assert.ok(before.devices[2].hbmUsedMB! > 40000 && before.devices[3].hbmUsedMB! > 40000 && before.devices[1].hbmUsedMB! < 4096);
      const table = smi('info').stdout.split('\n').filter((l) => l.startsWith('|'));
      assert.ok(table.every((l) => l.length === 98));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const afterExit = parseNpuSmiInfo(smi('info').stdout);
    assert.equal(afterExit.processes.length, 0, 'the file of a dead pid is ignored');
    assert.ok(afterExit.devices[2].hbmUsedMB! < 4096);
    fs.rmSync(file);
  });

  it('malformed state files are ignored', () => {
    const dir = path.join(sim.root, 'state', 'npu_procs');
    fs.writeFileSync(path.join(dir, '1.json'), '{not json');
    fs.writeFileSync(path.join(dir, '2.json'), JSON.stringify({ pid: process.pid, devices: 'all', memoryMB: 5 }));
    try {
      const r = smi('info');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseNpuSmiInfo(r.stdout).processes.length, 0);
    } finally {
      fs.rmSync(path.join(dir, '1.json'));
      fs.rmSync(path.join(dir, '2.json'));
    }
  });

  it('info -l, -t board, -t usages, -t health answer in key : value form', () => {
    assert.match(smi('info', '-l').stdout, /Total Count\s+: 8/);
    const board = smi('info', '-t', 'board', '-i', '0', '-c', '0').stdout;
    assert.match(board, /Chip Name\s+: 910B3/);
    const usages = smi('info', '-t', 'usages', '-i', '3').stdout;
    assert.match(usages, /HBM Capacity\(MB\)\s+: 65536/);
    assert.match(smi('info', '-t', 'health', '-i', '1').stdout, /Health Status\s+: OK/);
    assert.notEqual(smi('info', '-t', 'board', '-i', '42').status, 0);
    assert.notEqual(smi('info', '-t', 'nonsense', '-i', '0').status, 0);
  });

  it('faults from sim.json: health alarm on one device, an error exit', () => {
    updateSimConfig(sim.root, (c) => ({ ...c, faults: { health: { '5': 'Alarm' } } }));
    try {
      const p = parseNpuSmiInfo(smi('info').stdout);
      assert.equal(p.devices[5].health, 'Alarm');
      updateSimConfig(sim.root, (c) => ({ ...c, faults: { npuSmiError: 'dcmi model initialized failed, because the device is used. ret is -8020' } }));
      const r = smi('info');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /dcmi/);
    } finally {
      updateSimConfig(sim.root, (c) => ({ ...c, faults: {} }));
    }
  });

  for (const [chip, width, fam, count] of [['Ascend910', 98, 'A3', 8], ['310P3', 106, '310P', 4], ['910B', 98, '910', 2], ['910B4', 98, 'A2', 1]] as const) {
    it(`--chip ${chip}: ${width}-column table, family ${fam}`, () => {
      const s = makeSim({ chip, devices: count });
      try {
        const r = spawnSync('npu-smi', ['info'], { env: { ...simExecEnv(s.root, process.env), ASCEND_ADAPT_SIM_QUIET: '1' }, encoding: 'utf8' });
        const table = r.stdout.split('\n').filter((l) => /^[|+]/.test(l));
        assert.ok(table.every((l) => l.length === width));
        const p = parseNpuSmiInfo(r.stdout);
        const per = fam === 'A3' || fam === '310P' ? 2 : 1;
        assert.equal(p.devices.length, count * per);
        assert.ok(p.devices.every((d) => d.family === fam));
      } finally {
        s.cleanup();
      }
    });
  }
});
