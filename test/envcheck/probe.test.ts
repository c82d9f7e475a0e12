import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnvReportSchema, envCheckExitCode, type EnvReport } from '../../src/core/checks/report';
import { analyzeSnapshot, parseSnapshot, reportsForJson, runEnvCheck, runEnvChecks, toSnapshot } from '../../src/core/probe/envcheck';
import { interpretProbeOutput } from '../../src/core/probe/run';
import { readSimConfig, updateSimConfig } from '../../src/core/sim/config';
import { simExecEnv } from '../../src/core/sim/env';
import { LocalTransport } from '../../src/core/transport/local';
import { makeSim, tmpDir } from './helpers';

function check(r: EnvReport, id: string) {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} missing; have ${r.checks.map((x) => x.id).join(',')}`);
  return c;
}

/**
 * A local transport with the simulated host's environment. Its PATH is prefixed with a folder whose
 * `python3` is the sim's resolved interpreter, so each probe skips a version-manager shim (faster tests;
 * the probe itself still runs as `python3` from PATH, as on a real host).
 */
function simTransport(root: string, extra: Record<string, string> = {}) {
  const env = simExecEnv(root, process.env);
  const py = readSimConfig(root).python;
  const fast = path.join(root, 'test-python');
  if (py && py !== 'python3' && !fs.existsSync(fast)) {
    fs.mkdirSync(fast);
    fs.symlinkSync(py, path.join(fast, 'python3'));
  }
  return new LocalTransport('sim', { ...env, PATH: `${fast}:${env.PATH}`, ASCEND_ADAPT_SIM_QUIET: '1', ...extra });
}

/** The fields `env-check --json` promises per host (docs/cli.md). */
function assertIssueShape(j: Record<string, unknown>) {
  const o = j as { host: unknown; simulated: unknown; npu: { family: unknown; devices: Array<Record<string, unknown>>; processes: Array<Record<string, unknown>> }; versions: Record<string, unknown>; checks: Array<Record<string, unknown>> };
  assert.equal(typeof o.host, 'string');
  assert.equal(typeof o.simulated, 'boolean');
  assert.equal(typeof o.npu.family, 'string');
  for (const d of o.npu.devices) for (const k of ['npuId', 'chipId', 'name', 'health', 'powerW', 'tempC', 'aicorePercent', 'hbmUsedMB', 'hbmTotalMB', 'busId']) assert.ok(k in d, k);
  for (const p of o.npu.processes) for (const k of ['npuId', 'chipId', 'pid', 'name', 'memoryMB']) assert.ok(k in p, k);
  for (const k of ['cann', 'driver', 'firmware', 'python', 'torch', 'torch_npu', 'vllm', 'vllm_ascend']) assert.ok(k in o.versions, k);
  for (const c of o.checks) {
    for (const k of ['id', 'status', 'title', 'detail', 'fix']) assert.ok(k in c, k);
    assert.ok(['pass', 'warn', 'fail', 'skip'].includes(c.status as string));
  }
}

describe('env check over the local transport on a simulated host', () => {
  let sim: ReturnType<typeof makeSim>;
  before(() => { sim = makeSim(); });
  after(() => sim.cleanup());

  it('a healthy simulated host: every fact read, nothing fails, and it says simulated', async () => {
    const r = await runEnvCheck(simTransport(sim.root));
    assert.equal(r.raw.ok, true, JSON.stringify(r.raw));
    EnvReportSchema.parse(reportsForJson([r])[0]);
    assertIssueShape(JSON.parse(JSON.stringify(reportsForJson([r])[0])));
    assert.equal(r.simulated, true);
    assert.equal(check(r, 'host.simulated').status, 'warn');
    assert.equal(r.role, 'npu');
    assert.equal(r.npu.family, 'A2');
    assert.equal(r.npu.devices.length, 8);
    assert.deepEqual(
      { cann: r.versions.cann, driver: r.versions.driver, firmware: r.versions.firmware, torch: r.versions.torch, torch_npu: r.versions.torch_npu, vllm: r.versions.vllm, vllm_ascend: r.versions.vllm_ascend },
      { cann: '8.5.1', driver: '25.5.1', firmware: '7.8.0.6.201', torch: '2.9.0', torch_npu: '2.9.0.post1+git4c901a4', vllm: '0.18.0+empty', vllm_ascend: '0.18.0' },
    );
    for (const id of ['npu.smi', 'npu.family', 'npu.health', 'npu.memory', 'versions.cann', 'versions.driver', 'versions.vllm_ascend', 'versions.vllm', 'versions.torch', 'versions.torch_npu', 'versions.cann_compat', 'versions.python', 'env.cann_set_env', 'env.atb_set_env', 'env.visible_devices', 'disk.space']) {
      assert.equal(check(r, id).status, 'pass', `${id}: ${check(r, id).detail}`);
    }
    assert.equal(envCheckExitCode([r]), 0);
    assert.ok(r.raw.ok && r.raw.data.commands.npuSmiInfo?.stdout.includes('npu-smi 25.5.1'), 'raw npu-smi output travels with the facts');
  });

  it('a process holding HBM is named with its pid; a plan that needs that memory fails', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const file = path.join(sim.root, 'state', 'npu_procs', `${child.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ pid: child.pid, name: 'VLLMWorker_TP', devices: [0, 1], memoryMB: 50000 }));
    try {
      const r = await runEnvCheck(simTransport(sim.root));
      const m = check(r, 'npu.memory');
      assert.equal(m.status, 'warn');
      assert.match(m.detail, new RegExp(`${child.pid}`));
      assert.match(m.fix ?? '', new RegExp(`kill ${child.pid}`));
      assert.deepEqual(r.npu.processes.map((p) => [p.npuId, p.pid, p.memoryMB]), [[0, child.pid, 50000], [1, child.pid, 50000]]);
      const planned = await runEnvCheck(simTransport(sim.root), { plan: { requiredFreeMBPerDevice: 30000, env: { ASCEND_RT_VISIBLE_DEVICES: '1,2' } } });
      assert.equal(check(planned, 'npu.memory').status, 'fail');
      const elsewhere = await runEnvCheck(simTransport(sim.root), { plan: { requiredFreeMBPerDevice: 30000, env: { ASCEND_RT_VISIBLE_DEVICES: '4,5' } } });
      assert.equal(check(elsewhere, 'npu.memory').status, 'warn', 'devices 4,5 are free; the busy ones are only reported');
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(file, { force: true });
    }
  });

  it('a hung npu-smi is reported as a failure within its own timeout, the rest of the facts still arrive', async () => {
    updateSimConfig(sim.root, (c) => ({ ...c, faults: { npuSmiHang: true } }));
    try {
      const r = await runEnvCheck(simTransport(sim.root), { commandTimeoutS: 1 });
      assert.equal(r.raw.ok, true);
      const s = check(r, 'npu.smi');
      assert.equal(s.status, 'fail');
      assert.match(s.detail, /did not answer/);
      assert.equal(check(r, 'versions.cann').status, 'pass');
      assert.equal(envCheckExitCode([r]), 1);
      const left = spawnSync('pgrep', ['-f', `${sim.root}/sim/npu_smi.py`], { encoding: 'utf8' });
      assert.equal(left.stdout.trim(), '', 'the hung npu-smi was killed with its process group');
    } finally {
      updateSimConfig(sim.root, (c) => ({ ...c, faults: {} }));
    }
  });

  it('npu-smi missing: a clear failure with what to install or mount', async () => {
    const env = simExecEnv(sim.root, process.env);
    const t = new LocalTransport('no-smi', { ...env, PATH: env.PATH.split(':').filter((p) => p !== path.join(sim.root, 'bin')).join(':') });
    const r = await runEnvCheck(t);
    const s = check(r, 'npu.smi');
    assert.equal(s.status, 'fail');
    assert.match(s.detail, /npu-smi was not found/);
    assert.match(s.fix ?? '', /driver/);
  });

  it('set_env.sh not sourced: CANN still found from the default location, set_env checks fail with the file to source', async () => {
    const t = new LocalTransport('plain', { ...process.env, ASCEND_ADAPT_SIM_ROOT: sim.root, ASCEND_ADAPT_SIMULATED: '1', PATH: `${path.join(sim.root, 'bin')}:${process.env.PATH}` });
    const r = await runEnvCheck(t);
    assert.equal(check(r, 'versions.cann').status, 'pass');
    const c = check(r, 'env.cann_set_env');
    assert.equal(c.status, 'fail');
    assert.match(c.fix ?? '', /source .*\/cann\/set_env\.sh/);
    const a = check(r, 'env.atb_set_env');
    assert.equal(a.status, 'fail');
    assert.match(a.detail, /libatb\.so/);
    assert.match(a.fix ?? '', /nnal\/atb\/set_env\.sh/);
    assert.equal(check(r, 'versions.vllm_ascend').status, 'fail', 'packages are not on this Python path');
  });

  it('torch from another release: torch and torch_npu fail with the pip command', async () => {
    const s2 = makeSim({ devices: 2 });
    try {
      const site = path.join(s2.root, 'site-packages');
      fs.rmSync(path.join(site, 'torch-2.9.0.dist-info'), { recursive: true });
      fs.mkdirSync(path.join(site, 'torch-2.8.0+cpu.dist-info'));
      fs.writeFileSync(path.join(site, 'torch-2.8.0+cpu.dist-info', 'METADATA'), 'Metadata-Version: 2.1\nName: torch\nVersion: 2.8.0+cpu\n');
      const r = await runEnvCheck(simTransport(s2.root));
      assert.equal(check(r, 'versions.torch').status, 'fail');
      assert.equal(check(r, 'versions.torch').fix, 'pip install torch==2.9.0');
      assert.equal(check(r, 'versions.torch_npu').status, 'fail');
      assert.equal(check(r, 'versions.vllm').status, 'pass');
    } finally {
      s2.cleanup();
    }
  });

  it('a classic Ascend 910 ("910B") host fails the family check: it is not an A2', async () => {
    const s2 = makeSim({ chip: '910B', devices: 2 });
    try {
      const r = await runEnvCheck(simTransport(s2.root));
      assert.equal(r.npu.family, '910');
      const f = check(r, 'npu.family');
      assert.equal(f.status, 'fail');
      assert.match(f.fix ?? '', /classic Ascend 910/);
    } finally {
      s2.cleanup();
    }
  });

  it('env vars of the planned run: bad ASCEND_RT_VISIBLE_DEVICES, TP larger than the visible devices, AIV and alloc conf', async () => {
    const r = await runEnvCheck(simTransport(sim.root), { plan: { tp: 4, env: { ASCEND_RT_VISIBLE_DEVICES: '0,1,8', HCCL_OP_EXPANSION_MODE: 'AIV' } } });
    const v = check(r, 'env.visible_devices');
    assert.equal(v.status, 'fail');
    assert.match(v.detail, /no such device: 8/);
    assert.equal(check(r, 'env.parallel_devices').status, 'fail');
    assert.equal(check(r, 'env.hccl_aiv').status, 'pass');
    assert.equal(check(r, 'env.alloc_conf').status, 'warn');
    const ok = await runEnvCheck(simTransport(sim.root, { PYTORCH_NPU_ALLOC_CONF: 'expandable_segments:True' }), { plan: { tp: 2, env: { ASCEND_RT_VISIBLE_DEVICES: '2,3' } } });
    assert.equal(check(ok, 'env.visible_devices').status, 'pass');
    assert.equal(check(ok, 'env.parallel_devices').status, 'pass');
    assert.equal(check(ok, 'env.hccl_aiv').status, 'warn');
    assert.equal(check(ok, 'env.alloc_conf').status, 'pass');
    const single = await runEnvCheck(simTransport(sim.root), { plan: { tp: 1 } });
    assert.equal(check(single, 'env.hccl_aiv').status, 'skip');
  });

  it('disk space where the model lives', async () => {
    const dir = tmpDir();
    try {
      const r = await runEnvCheck(simTransport(sim.root), { plan: { modelPath: dir } });
      const d = check(r, 'disk.space');
      assert.ok(d.status === 'pass' || d.status === 'warn');
      assert.equal(d.facts.path, dir);
      const missing = await runEnvCheck(simTransport(sim.root), { plan: { modelPath: path.join(dir, 'not-yet') } });
      assert.equal(check(missing, 'disk.space').status, 'warn');
      assert.match(check(missing, 'disk.space').detail, /does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('several hosts: checked in parallel and compared; differing versions fail on every node', async () => {
    const other = makeSim({ devices: 8, release: '0.17.0rc1' });
    try {
      const same = await runEnvChecks([
        { name: 'a', open: async () => simTransport(sim.root) },
        { name: 'b', open: async () => simTransport(sim.root) },
      ]);
      assert.deepEqual(same.map((r) => check(r, 'cluster.versions').status), ['pass', 'pass']);
      const diff = await runEnvChecks([
        { name: 'a', open: async () => simTransport(sim.root) },
        { name: 'b', open: async () => simTransport(other.root) },
        { name: 'c', open: async () => { throw new Error('connection refused'); } },
      ]);
      const c = check(diff[0], 'cluster.versions');
      assert.equal(c.status, 'fail');
      assert.match(c.detail, /vllm_ascend: a 0\.18\.0 \/ b 0\.17\.0rc1/);
      assert.equal(check(diff[1], 'cluster.versions').status, 'fail');
      assert.equal(diff[2].checks.length, 1);
      assert.equal(check(diff[2], 'probe').status, 'fail');
      assert.match(check(diff[2], 'probe').detail, /connection refused/);
      assert.ok(diff[0].raw.ok && diff[0].raw.data.commands.hccn?.requested, 'hccn links are queried for multi-node');
      assert.equal(check(diff[0], 'net.hccn').status, 'pass');
    } finally {
      other.cleanup();
    }
  });

  it('a link that is down fails net.hccn', async () => {
    updateSimConfig(sim.root, (c) => ({ ...c, faults: { hccnLinkDown: [3] } }));
    try {
      const r = await runEnvCheck(simTransport(sim.root), { hccn: true });
      const h = check(r, 'net.hccn');
      assert.equal(h.status, 'fail');
      assert.match(h.detail, /3=DOWN/);
    } finally {
      updateSimConfig(sim.root, (c) => ({ ...c, faults: {} }));
    }
  });

  it('a GPU host (nvidia-smi, no npu-smi) is a baseline host: NPU checks are skipped, not failed', async () => {
    const bin = tmpDir();
    try {
      fs.writeFileSync(path.join(bin, 'nvidia-smi'), '#!/bin/sh\necho "0, NVIDIA A100-SXM4-80GB, 81920, 1024, 535.104.05"\necho "1, NVIDIA A100-SXM4-80GB, 81920, 900, 535.104.05"\n', { mode: 0o755 });
      const t = new LocalTransport('gpu', { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: process.env.HOME ?? '/root' });
      const r = await runEnvCheck(t, { python: process.execPath.includes('node') ? spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim() : 'python3' });
      assert.equal(r.role, 'gpu');
      assert.equal(check(r, 'npu.smi').status, 'skip');
      assert.equal(check(r, 'gpu.nvidia').status, 'pass');
      assert.match(check(r, 'gpu.nvidia').detail, /2 GPU\(s\): NVIDIA A100-SXM4-80GB/);
      assert.ok(!r.checks.some((c) => c.id === 'versions.cann' || c.id === 'env.cann_set_env'));
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('npu-smi output with bytes that are not UTF-8 is still read, and flagged', async () => {
    const bin = tmpDir();
    try {
      fs.writeFileSync(path.join(bin, 'npu-smi'), `#!/bin/sh\n'${path.join(sim.root, 'bin', 'npu-smi')}' "$@"\nprintf '\\377\\376 broken tail\\n'\n`, { mode: 0o755 });
      const env = simExecEnv(sim.root, process.env);
      const r = await runEnvCheck(new LocalTransport('bytes', { ...env, PATH: `${bin}:${env.PATH}`, ASCEND_ADAPT_SIM_QUIET: '1' }));
      assert.equal(r.raw.ok, true);
      assert.equal(r.npu.devices.length, 8);
      assert.equal(check(r, 'npu.smi').facts.nonUtf8, true);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('snapshot round trip: saved raw outcomes re-analyse to the same verdicts; bad snapshots are named', async () => {
    const reports = await runEnvChecks([{ name: 'atlas-sim', open: async () => simTransport(sim.root) }], { plan: { tp: 2 } });
    const text = JSON.stringify(toSnapshot(reports, { plan: { tp: 2 } }));
    const again = analyzeSnapshot(parseSnapshot(text));
    assert.deepEqual(reportsForJson(again), reportsForJson(reports));
    assert.throws(() => parseSnapshot('{"kind":"something else"}', 'x.json'), /x\.json: not an ascend-adapt environment snapshot/);
    assert.throws(() => parseSnapshot(text.slice(0, 200), 'cut.json'), /cut\.json: not JSON/);
  });
});

describe('bad probe output never crashes: each ends as one clear failure', () => {
  let dir: string;
  let sim: ReturnType<typeof makeSim>;
  before(() => { dir = tmpDir(); sim = makeSim({ devices: 1 }); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); sim.cleanup(); });

  const fake = (name: string, body: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };
  const cases: Array<[string, string, RegExp, number?]> = [
    ['garbage', 'echo "Welcome to EulerOS"; echo "this is not json"', /unusable output.*not the probe's JSON/],
    ['truncated', `printf '{"probe":"ascend-adapt env_probe","schema":1,"startedAt":"2026'`, /stops after/],
    ['non-utf8', `printf '\\377\\376{\\n'`, /not UTF-8/],
    ['killed', 'kill -9 $$', /killed by SIGKILL/],
    ['empty-exit', 'echo "Traceback: boom" >&2; exit 3', /exited with code 3.*boom/],
    ['wrong-schema', `echo '{"probe":"ascend-adapt env_probe","schema":2}'`, /not what this version understands/],
    ['slow', 'sleep 20', /did not finish/, 1500],
  ];
  for (const [name, body, re, timeoutMs] of cases) {
    it(name, async () => {
      const python = fake(name, body);
      const r = await runEnvCheck(simTransport(sim.root), { python, ...(timeoutMs ? { timeoutMs } : {}) });
      assert.equal(r.checks.length, 1);
      const p = check(r, 'probe');
      assert.equal(p.status, 'fail');
      assert.match(p.detail, re);
      assert.ok(p.fix && p.fix.length > 10);
      assert.equal(envCheckExitCode([r]), 1);
      EnvReportSchema.parse(reportsForJson([r])[0]);
    });
  }
  it('no python3 on the host', async () => {
    const r = await runEnvCheck(simTransport(sim.root), { python: '/nonexistent/python3' });
    const p = check(r, 'probe');
    assert.equal(p.status, 'fail');
    assert.match(p.detail, /Python 3 is not available/);
    assert.match(p.fix ?? '', /Install Python 3\.8/);
  });
  it('a login banner before the JSON is kept aside, not fatal', () => {
    const good = spawnSync('python3', [path.join(__dirname, '..', '..', 'python', 'env_probe.py')], { env: { ...simExecEnv(sim.root, process.env), ASCEND_ADAPT_SIM_QUIET: '1' } });
    const out = Buffer.concat([Buffer.from('Authorized users only!\n'), good.stdout]);
    const r = interpretProbeOutput(out, Buffer.alloc(0), 0, null, false, 5);
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.noise, 'Authorized users only!');
  });
});
