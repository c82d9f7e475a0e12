import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildReport, compareHosts } from '../../src/core/checks/analyze';
import type { RunPlan } from '../../src/core/checks/checks';
import { EnvReportSchema, type EnvReport } from '../../src/core/checks/report';
import { ProbeDataSchema, type ProbeData } from '../../src/core/probe/schema';
import { fixture } from './helpers';

/** Pure analysis on hand-built probe data: every branch, no processes spawned. */

interface Opts {
  smi?: string | null;
  smiTimedOut?: boolean;
  cann?: string | null;
  cannLayout?: 'cann' | 'ascend-toolkit';
  python?: string;
  pkgs?: Record<string, string | null>;
  env?: Record<string, string>;
  setEnv?: { cann: boolean; atb: boolean };
  simulated?: boolean;
}

function data(o: Opts = {}): ProbeData {
  const pk = { torch: '2.9.0', torch_npu: '2.9.0', vllm: '0.17.0+empty', vllm_ascend: '0.17.0rc1', transformers: '4.57.3', ...o.pkgs };
  const cann = o.cann === undefined ? '8.5.1' : o.cann;
  const setEnv = o.setEnv ?? { cann: true, atb: true };
  return ProbeDataSchema.parse({
    probe: 'ascend-adapt env_probe', schema: 1, startedAt: '2026-01-01T00:00:00Z', durationMs: 10, simulated: o.simulated ?? false, simRoot: null,
    steps: [{ name: 'host', ms: 1, ok: true, error: null }],
    host: { hostname: 'atlas', os: 'openEuler 22.03', kernel: '5.10', arch: 'aarch64', cpuModel: 'Kunpeng-920', cpuCount: 192, memTotalMB: 1_000_000, memAvailableMB: 900_000, user: 'root', home: '/root' },
    python: { version: o.python ?? '3.11.6', executable: '/usr/bin/python3', implementation: 'CPython' },
    disk: [{ path: '/root', exists: true, probePath: '/root', freeMB: 500_000, totalMB: 1_000_000, error: null }],
    ascend: {
      arch: 'aarch64', roots: [{ path: '/usr/local/Ascend', source: 'default location' }],
      cann: cann ? { version: cann, file: '/usr/local/Ascend/cann/aarch64-linux/ascend_toolkit_install.info', raw: `version=${cann}\n`, realFile: '/x', found: 'ASCEND_TOOLKIT_HOME', layout: o.cannLayout ?? 'cann' } : null,
      cannInstalls: cann ? [{ version: cann, realFile: '/x', layout: o.cannLayout ?? 'cann' }] : [],
      driver: { version: '25.2.3', file: '/usr/local/Ascend/driver/version.info', raw: 'Version=25.2.3\n' },
      firmware: { version: '7.7.0.6.236', file: '/usr/local/Ascend/firmware/version.info', raw: 'Version=7.7.0.6.236\n' },
      installInfo: null,
      nnal: { atbHome: setEnv.atb ? '/usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_1' : null, libatb: setEnv.atb ? '/usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_1/lib/libatb.so' : null, setEnvFile: '/usr/local/Ascend/nnal/atb/set_env.sh', installedLibatb: [] },
      setEnv: { cann: setEnv.cann, cannEvidence: 'e', atb: setEnv.atb, atbEvidence: 'e' },
    },
    packages: Object.fromEntries(Object.entries(pk).map(([k, v]) => [k, v === null ? null : { version: v, location: '/site' }])),
    env: o.env ?? {},
    envRedacted: [],
    commands: o.smi === null ? {} : {
      npuSmiInfo: { argv: ['npu-smi', 'info'], found: true, code: o.smiTimedOut ? null : 0, signal: o.smiTimedOut ? 9 : null, timedOut: !!o.smiTimedOut, ms: 40, stdout: o.smiTimedOut ? '' : (o.smi ?? fixture('npu_smi_a2_910b4x4_procs.txt')), stderr: '', nonUtf8: false, error: null, path: '/usr/local/bin/npu-smi' },
    },
    processes: { '51234': { alive: true, comm: 'python3', cmdline: 'python3 -m vllm.entrypoints.openai.api_server --model /models/qwen', user: 'root' } },
  });
}

function report(o: Opts = {}, plan: RunPlan = {}, host = 'atlas'): EnvReport {
  const r = buildReport(host, { ok: true, data: data(o), noise: '', stderr: '', ms: 10 }, plan);
  return EnvReportSchema.parse(r);
}
const st = (r: EnvReport, id: string) => r.checks.find((c) => c.id === id)?.status;
const ck = (r: EnvReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, id);
  return c;
};

describe('checks: facts → verdicts', () => {
  it('a matching A2 host with busy devices: versions pass, memory warns with the holders', () => {
    const r = report();
    for (const id of ['npu.smi', 'npu.family', 'npu.health', 'versions.vllm_ascend', 'versions.vllm', 'versions.torch', 'versions.torch_npu', 'versions.cann_compat', 'versions.python', 'env.cann_set_env', 'env.atb_set_env']) {
      assert.equal(st(r, id), 'pass', `${id}: ${ck(r, id).detail}`);
    }
    const m = ck(r, 'npu.memory');
    assert.equal(m.status, 'warn');
    assert.match(m.detail, /NPU 1\/0: 30117\/32768 MB — 51234 \(VLLMWorker_TP\) 27150 MB/);
    assert.equal(m.fix, 'Stop what holds the devices (`kill 51234`), then confirm with `npu-smi info` that HBM usage is back to idle.');
    assert.equal(r.simulated, false);
    assert.ok(!r.checks.some((c) => c.id === 'host.simulated'));
  });

  it('process names blank in npu-smi (containers) are filled from /proc', () => {
    const smi = fixture('npu_smi_a2_910b4x4_procs.txt').replace(/VLLMWorker_TP/g, '             ');
    const r = report({ smi });
    assert.equal(r.npu.processes[0].name, 'python3');
    assert.match(r.npu.processes[0].cmdline ?? '', /api_server/);
  });

  it('family verdicts: A3 pass, 300I Duo experimental, classic 910 fail', () => {
    assert.equal(st(report({ smi: fixture('npu_smi_a3_2npu_4chip.txt') }), 'npu.family'), 'pass');
    const duo = report({ smi: fixture('npu_smi_duo_310p3_2cards.txt') });
    assert.equal(st(duo, 'npu.family'), 'warn');
    assert.equal(duo.npu.devices[0].hbmTotalMB, null);
    assert.equal(duo.npu.devices[0].memTotalMB, 44278);
    assert.equal(st(report({ smi: fixture('npu_smi_classic_910b_x2.txt') }), 'npu.family'), 'fail');
    const mixed = fixture('npu_smi_a2_910b4x4_procs.txt').replace('| 3     910B4 ', '| 3     910B  ');
    assert.equal(st(report({ smi: mixed }), 'npu.family'), 'warn');
  });

  it('health: Warning warns, anything else not OK fails', () => {
    assert.equal(st(report({ smi: fixture('npu_smi_wide_910b2x2_26.0.rc2.txt') }), 'npu.health'), 'warn');
    const alarm = fixture('npu_smi_a2_910b4x4_procs.txt').replace('| OK            | 100.2', '| Alarm         | 100.2');
    const r = report({ smi: alarm });
    assert.equal(st(r, 'npu.health'), 'fail');
    assert.match(ck(r, 'npu.health').fix ?? '', /npu-smi info -t health -i 1/);
  });

  it('npu-smi hung, missing, failing or printing no table', () => {
    assert.match(ck(report({ smiTimedOut: true }), 'npu.smi').detail, /did not answer/);
    const missing = report({ smi: null });
    assert.equal(st(missing, 'npu.smi'), 'fail');
    assert.equal(st(missing, 'env.visible_devices'), 'skip');
    assert.equal(st(missing, 'env.hccl_aiv'), 'skip');
    assert.equal(st(report({ smi: 'dcmi module initialize failed. ret is -8005' }), 'npu.smi'), 'fail');
    const cut = report({ smi: fixture('npu_smi_a2_truncated_mid_row.txt') });
    assert.equal(st(cut, 'npu.smi'), 'warn');
    assert.match(ck(cut, 'npu.smi').detail, /cut off or damaged at line/);
  });

  it('CANN older than the row fails (EH9999), newer warns, missing fails', () => {
    const older = report({ cann: '8.3.RC2' });
    assert.equal(st(older, 'versions.cann_compat'), 'fail');
    assert.match(ck(older, 'versions.cann_compat').detail, /EH9999/);
    assert.equal(st(report({ cann: '9.0.0' }), 'versions.cann_compat'), 'warn');
    const none = report({ cann: null });
    assert.equal(st(none, 'versions.cann'), 'fail');
    assert.ok(!none.checks.some((c) => c.id === 'versions.cann_compat'));
  });

  it('vLLM / torch / torch_npu / Python against the row', () => {
    const r = report({ pkgs: { vllm: '0.16.0', torch: '2.8.0+cpu', torch_npu: '2.8.0.post2' }, python: '3.12.1' });
    assert.equal(st(r, 'versions.vllm'), 'fail');
    assert.match(ck(r, 'versions.vllm').fix ?? '', /VLLM_TARGET_DEVICE=empty/);
    assert.equal(st(r, 'versions.torch'), 'fail');
    assert.equal(st(r, 'versions.torch_npu'), 'fail');
    assert.equal(st(r, 'versions.python'), 'fail');
    const build = report({ pkgs: { vllm_ascend: '0.13.0', vllm: '0.13.0', torch: '2.8.0', torch_npu: '2.8.0.post1' }, cann: '8.5.0' });
    assert.equal(st(build, 'versions.torch_npu'), 'warn', 'same release, other build');
    const mismatch = report({ pkgs: { torch_npu: '2.8.0' } });
    assert.match(ck(mismatch, 'versions.torch_npu').detail, /built for another torch/);
  });

  it('vllm-ascend missing, unknown or a dev build', () => {
    assert.equal(st(report({ pkgs: { vllm_ascend: null } }), 'versions.vllm_ascend'), 'fail');
    assert.equal(st(report({ pkgs: { vllm_ascend: '0.99.0' } }), 'versions.vllm_ascend'), 'warn');
    const dev = report({ pkgs: { vllm_ascend: '0.17.1.dev3+g1a2b3c' } });
    assert.equal(st(dev, 'versions.vllm_ascend'), 'warn');
    assert.match(ck(dev, 'versions.vllm_ascend').detail, /nearest release v0\.17\.0rc1/);
  });

  it('set_env not sourced; CUDA_VISIBLE_DEVICES; repeated and non-numeric device ids', () => {
    const r = report({ setEnv: { cann: false, atb: false }, env: { CUDA_VISIBLE_DEVICES: '0' } });
    assert.equal(st(r, 'env.cann_set_env'), 'fail');
    assert.equal(ck(r, 'env.cann_set_env').fix, "source /usr/local/Ascend/cann/set_env.sh  (add it to ~/.bashrc, or to the host's setup script in ascend-adapt)");
    assert.equal(st(r, 'env.atb_set_env'), 'fail');
    assert.equal(ck(r, 'env.atb_set_env').fix, 'source /usr/local/Ascend/nnal/atb/set_env.sh');
    assert.equal(st(r, 'env.visible_devices'), 'warn');
    const bad = report({}, { env: { ASCEND_RT_VISIBLE_DEVICES: '0,0,x' } });
    assert.match(ck(bad, 'env.visible_devices').detail, /not numbers: x; repeated: 0/);
    assert.equal(ck(bad, 'env.visible_devices').fix, 'export ASCEND_RT_VISIBLE_DEVICES=0,1,2,3');
  });

  it('disk: model too big for the free space, path missing, little space left', () => {
    const d = data();
    d.disk = [{ path: '/models/q', exists: false, probePath: '/models', freeMB: 10_000, totalMB: 100_000, error: null }, ...d.disk];
    const r1 = buildReport('h', { ok: true, data: d, noise: '', stderr: '', ms: 1 }, { modelPath: '/models/q' });
    assert.equal(r1.checks.find((c) => c.id === 'disk.space')?.status, 'warn');
    const d2 = data();
    d2.disk = [{ path: '/root', exists: true, probePath: '/root', freeMB: 30_000, totalMB: 100_000, error: null }];
    const r2 = buildReport('h', { ok: true, data: d2, noise: '', stderr: '', ms: 1 }, { modelSizeMB: 60_000 });
    assert.equal(r2.checks.find((c) => c.id === 'disk.space')?.status, 'fail');
    d2.disk[0].freeMB = 8_000;
    const r3 = buildReport('h', { ok: true, data: d2, noise: '', stderr: '', ms: 1 }, {});
    assert.equal(r3.checks.find((c) => c.id === 'disk.space')?.status, 'warn');
  });

  it('cluster: GPU hosts and failed probes are left out of the comparison; device counts differing warn', () => {
    const a = report({}, {}, 'a');
    const b = report({ smi: fixture('npu_smi_a2_910b4x4_procs.txt').split('\n').slice(0, 13).join('\n') }, {}, 'b');
    const c = compareHosts([a, b]);
    assert.equal(c?.status, 'warn');
    assert.match(c?.detail ?? '', /different device counts/);
    const failed = buildReport('c', { ok: false, kind: 'transport', message: 'x', exitCode: null, signal: null, stderr: '', stdoutHead: '', ms: 1 });
    assert.equal(compareHosts([a, failed]), null);
    const newer = report({ pkgs: { vllm_ascend: '0.18.0', vllm: '0.18.0' } }, {}, 'n');
    const diff = compareHosts([a, newer]);
    assert.equal(diff?.status, 'fail');
    assert.match(diff?.detail ?? '', /vllm_ascend: a 0\.17\.0rc1 \/ n 0\.18\.0/);
  });
});
