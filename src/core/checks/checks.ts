import * as l10n from '@vscode/l10n';
import {
  compareCann,
  findCompatRow,
  nearestCompatRow,
  publicVersion,
  pythonInRange,
  sameRelease,
  comparePep440,
  type CompatRow,
} from '../knowledge/compat';
import { familyProduct, familySupport, chipFamily } from '../npu/family';
import { deviceMemory } from '../npu/smi';
import type { ProbeFailure } from '../probe/schema';
import type { HostFacts } from './facts';
import type { Check, CheckStatus } from './report';

/**
 * Facts → verdicts. Pure: no I/O, no clock. Every check says what it looked at (facts), what it
 * concluded (status, detail) and what to do about it (fix: a command or an action).
 */

/** What the user is about to run; checks that depend on it use it when given. */
export interface RunPlan {
  /** Tensor-parallel size (devices per model replica). */
  tp?: number;
  /** Pipeline-parallel size on this host. */
  pp?: number;
  /** Model folder on the host. */
  modelPath?: string;
  /** Size of the weights in MB (free disk / HBM estimates). */
  modelSizeMB?: number;
  /** Free device memory each planned device needs, in MB. */
  requiredFreeMBPerDevice?: number;
  /** Environment the run will set (a serving profile's env) — overrides the host's for the env checks. */
  env?: Record<string, string>;
}

const DOCS = {
  install: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/installation.md',
  faq: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/faqs.md',
  tuning: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/developer_guide/performance_and_debug/optimization_and_tuning.md',
  multiNode: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/installation.md#verify-multi-node-communication',
  platform: 'https://github.com/vllm-project/vllm-ascend/blob/main/vllm_ascend/platform.py',
  collectEnv: 'https://github.com/vllm-project/vllm-ascend/blob/main/collect_env.py',
};

type Facts = Check['facts'];

function mk(id: string, status: CheckStatus, title: string, detail: string, fix: string | null = null, facts: Facts = {}, source: string | null = null): Check {
  return { id, status, title, detail, fix, facts, source };
}

/** Idle driver reservation on a chip is ~3–3.5 GB on 64 GB HBM (ascend-facts §a.2): above this it is in use. */
export function busyThresholdMB(totalMB: number): number {
  return Math.max(4096, Math.round(totalMB * 0.08));
}

// ---------------------------------------------------------------------------------------------------
export function probeFailureCheck(f: ProbeFailure, host: string): Check {
  const facts: Facts = { kind: f.kind, exitCode: f.exitCode, signal: f.signal, ms: f.ms, stderr: f.stderr.slice(-300) || null, stdoutHead: f.stdoutHead.slice(0, 200) || null };
  const title = l10n.t('Environment probe');
  switch (f.kind) {
    case 'no-python':
      return mk('probe', 'fail', title, l10n.t('Python 3 is not available on {0}: {1}', host, f.message),
        l10n.t('Install Python 3.8 or newer on the host (e.g. `yum install -y python3` or `apt-get install -y python3`), or name the interpreter with --python.'), facts);
    case 'timeout':
      return mk('probe', 'fail', title, l10n.t('The probe did not finish on {0} in time ({1}).', host, f.message),
        l10n.t('Run `npu-smi info` on the host by hand. If it hangs, the NPU driver is in a bad state: look at `dmesg | tail`, restart the driver or reboot the host.'), facts);
    case 'killed':
      return mk('probe', 'fail', title, l10n.t('The probe was killed on {0} before it finished: {1}', host, f.message),
        l10n.t('Check whether something kills processes on the host (OOM killer: `dmesg | grep -i kill`, a watchdog, a container limit), then run the check again.'), facts);
    case 'non-utf8':
    case 'garbage':
    case 'truncated':
    case 'empty':
    case 'schema':
      return mk('probe', 'fail', title, l10n.t('The probe on {0} returned unusable output: {1}', host, f.message),
        l10n.t('Make non-interactive shells on the host print nothing (move banners and `echo` lines in ~/.bashrc behind an interactive-shell test), then run the check again.'), facts);
    case 'exit':
      return mk('probe', 'fail', title, l10n.t('The probe failed on {0}: {1}', host, f.message),
        l10n.t('Run `python3 ~/.ascend-adapt/scripts/*/env_probe.py` on the host to see the error, then run the check again.'), facts);
    default:
      return mk('probe', 'fail', title, l10n.t('Could not run the probe on {0}: {1}', host, f.message),
        l10n.t('Check that {0} answers over SSH (for example `ssh {0} true` in a terminal: it shows what fails), then run the check again.', host), facts);
  }
}

// ---------------------------------------------------------------------------------------------------
function visibleDevicesSpec(env: Record<string, string>): string | undefined {
  const v = env.ASCEND_RT_VISIBLE_DEVICES;
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** The logical devices a run would use: ASCEND_RT_VISIBLE_DEVICES if valid, else all. */
function plannedDevices(f: HostFacts, env: Record<string, string>): number[] {
  const all = f.devices.map((d) => d.logicalId);
  const spec = visibleDevicesSpec(env);
  if (!spec) return all;
  const ids = spec.split(',').map((s) => s.trim());
  if (!ids.every((s) => /^\d+$/.test(s))) return all;
  return ids.map(Number).filter((n) => all.includes(n));
}

function pidList(f: HostFacts, logical: number): string {
  const dev = f.devices.find((d) => d.logicalId === logical);
  if (!dev) return '';
  return f.processes
    .filter((p) => p.npuId === dev.npuId && p.chipId === dev.chipId)
    .map((p) => `${p.pid}${p.name ? ` (${p.name})` : ''} ${p.memoryMB} MB`)
    .join(', ');
}

export function npuChecks(f: HostFacts, plan: RunPlan): Check[] {
  const out: Check[] = [];
  const r = f.smi.result;
  if (f.role === 'gpu') {
    out.push(mk('npu.smi', 'skip', l10n.t('NPU devices'), l10n.t('npu-smi is not installed and nvidia-smi is: this is a GPU host (baseline), NPU checks skipped.'), null, { gpus: f.gpus.length }));
    return out;
  }
  const smiFacts: Facts = { path: r?.path ?? null, exitCode: r?.code ?? null, ms: r?.ms ?? null };
  switch (f.smi.state) {
    case 'missing':
      out.push(mk('npu.smi', 'fail', l10n.t('NPU devices'), l10n.t('npu-smi was not found (PATH, /usr/local/bin).'),
        l10n.t('Install the Ascend driver (HDK) package; in a container mount /usr/local/bin/npu-smi, /usr/local/Ascend/driver and the /dev/davinci* devices.'), smiFacts, DOCS.install));
      return out;
    case 'timeout':
      out.push(mk('npu.smi', 'fail', l10n.t('NPU devices'), l10n.t('npu-smi info did not answer within {0} ms: the driver is probably hung.', String(r?.ms ?? '?')),
        l10n.t('Look at `dmesg | tail -50` for davinci/driver errors; restart the driver or reboot the host, then check again.'), smiFacts, DOCS.install));
      return out;
    case 'error':
      out.push(mk('npu.smi', 'fail', l10n.t('NPU devices'), l10n.t('npu-smi info failed (exit {0}): {1}', String(r?.code ?? r?.signal ?? '?'), (r?.stderr || r?.stdout || '').trim().split('\n').slice(-1)[0] ?? ''),
        l10n.t('Run `npu-smi info` as the same user: the user must be allowed to open /dev/davinci* (group HwHiAiUser); in a container pass the devices with --device.'), smiFacts, DOCS.install));
      return out;
    case 'unparsed':
      out.push(mk('npu.smi', 'fail', l10n.t('NPU devices'), l10n.t('npu-smi info printed no device table: {0}', (r?.stdout ?? '').trim().split('\n').slice(0, 2).join(' / ').slice(0, 200)),
        l10n.t('Run `npu-smi info` on the host and compare; if the driver reports no devices, reinstall the driver matching the firmware.'), smiFacts, DOCS.install));
      return out;
  }
  const info = f.smi.info!;
  const devFacts: Facts = {
    npuSmiVersion: info.version, layout: info.layout, width: info.width, devices: f.devices.length,
    npus: new Set(f.devices.map((d) => d.npuId)).size, names: [...new Set(f.devices.map((d) => d.name))].join(','),
    nonUtf8: r?.nonUtf8 ?? false, parseIssues: info.issues.filter((i) => i.code !== 'no-process-table').length,
  };
  const odd = info.issues.filter((i) => i.code === 'incomplete-device' || i.code === 'truncated-line');
  out.push(mk('npu.smi', odd.length ? 'warn' : 'pass', l10n.t('NPU devices'),
    odd.length
      ? l10n.t('{0} devices found by npu-smi {1}, but the output was cut off or damaged at line {2}.', String(f.devices.length), info.version ?? '?', String(odd[0].line))
      : l10n.t('{0} devices found by npu-smi {1}.', String(f.devices.length), info.version ?? '?'),
    odd.length ? l10n.t('Run `npu-smi info` again on the host; if the output keeps breaking, check the driver logs.') : null, devFacts));

  // Family → support.
  const fams = [...new Set(f.devices.map((d) => chipFamily(d.name)))];
  const famFacts: Facts = { family: f.family, names: devFacts.names, product: fams.map(familyProduct).join(' + ') };
  if (fams.length > 1) {
    out.push(mk('npu.family', 'warn', l10n.t('Chip family'), l10n.t('Mixed chip families on one host: {0}.', fams.join(', ')),
      l10n.t('Use devices of one family per run (ASCEND_RT_VISIBLE_DEVICES).'), famFacts, DOCS.faq));
  } else {
    const fam = fams[0];
    const support = familySupport(fam);
    if (support === 'supported') out.push(mk('npu.family', 'pass', l10n.t('Chip family'), l10n.t('{0}: supported by vllm-ascend.', familyProduct(fam)), null, famFacts, DOCS.faq));
    else if (support === 'experimental') out.push(mk('npu.family', 'warn', l10n.t('Chip family'), l10n.t('{0}: experimental in vllm-ascend (limited models and quantization).', familyProduct(fam)),
      l10n.t('Check the model against the vllm-ascend supported-models list for this device before porting.'), famFacts, DOCS.faq));
    else if (support === 'unsupported') out.push(mk('npu.family', 'fail', l10n.t('Chip family'), l10n.t('{0} ({1}): not supported by vllm-ascend — only Atlas A2 and A3 (and 300I Duo, experimental).', familyProduct(fam), devFacts.names as string),
      l10n.t('Run on an Atlas A2 (910B1–910B4) or A3 host. Note: a bare "910B" in npu-smi is the classic Ascend 910, not an A2 chip.'), famFacts, DOCS.faq));
    else out.push(mk('npu.family', 'warn', l10n.t('Chip family'), l10n.t('Chip name "{0}" is not one this tool knows.', devFacts.names as string),
      l10n.t('Check the chip with `npu-smi info -t board -i 0 -c 0` (Chip Name) and compare with the vllm-ascend FAQ.'), famFacts, DOCS.faq));
  }

  // Health.
  const bad = f.devices.filter((d) => d.health.toUpperCase() !== 'OK');
  const healthFacts: Facts = Object.fromEntries(f.devices.map((d) => [`npu${d.npuId}.chip${d.chipId}`, d.health || null]));
  if (bad.length === 0) out.push(mk('npu.health', 'pass', l10n.t('Device health'), l10n.t('All {0} devices report OK.', String(f.devices.length)), null, healthFacts));
  else {
    const worst: CheckStatus = bad.every((d) => /^warn/i.test(d.health)) ? 'warn' : 'fail';
    const list = bad.map((d) => `NPU ${d.npuId}/${d.chipId}: ${d.health || '?'}`).join(', ');
    out.push(mk('npu.health', worst, l10n.t('Device health'), l10n.t('Not healthy: {0}.', list),
      l10n.t('Read the error code with `npu-smi info -t health -i {0}`, then follow the Ascend fault guide; keep these devices out of ASCEND_RT_VISIBLE_DEVICES until fixed.', String(bad[0].npuId)), healthFacts));
  }

  // Device memory: free per device, and who holds it.
  const env = { ...f.data.env, ...(plan.env ?? {}) };
  const planned = plannedDevices(f, env);
  const memFacts: Facts = {};
  const busy: string[] = [];
  const short: string[] = [];
  for (const d of f.devices) {
    const m = deviceMemory(d);
    if (!m) continue;
    const free = m.totalMB - m.usedMB;
    memFacts[`npu${d.npuId}.chip${d.chipId}`] = `${m.usedMB}/${m.totalMB} MB ${m.kind}`;
    const holders = pidList(f, d.logicalId);
    const isBusy = holders !== '' || m.usedMB > busyThresholdMB(m.totalMB);
    if (isBusy) busy.push(`NPU ${d.npuId}/${d.chipId}: ${m.usedMB}/${m.totalMB} MB${holders ? ` — ${holders}` : ''}`);
    if (plan.requiredFreeMBPerDevice !== undefined && planned.includes(d.logicalId) && free < plan.requiredFreeMBPerDevice) {
      short.push(`NPU ${d.npuId}/${d.chipId}: ${free} MB free`);
    }
  }
  const pids = [...new Set(f.processes.map((p) => p.pid))];
  const killFix = pids.length
    ? l10n.t('Stop what holds the devices (`kill {0}`), then confirm with `npu-smi info` that HBM usage is back to idle.', pids.join(' '))
    : l10n.t('Find the processes with `npu-smi info` (process table) and stop them, then check again.');
  if (short.length) {
    out.push(mk('npu.memory', 'fail', l10n.t('Free device memory'), l10n.t('Not enough free device memory for the run ({0} MB needed per device): {1}.', String(plan.requiredFreeMBPerDevice), short.join('; ')), killFix, memFacts));
  } else if (busy.length) {
    out.push(mk('npu.memory', 'warn', l10n.t('Free device memory'), l10n.t('Devices in use: {0}.', busy.join('; ')), killFix, memFacts));
  } else if (Object.keys(memFacts).length) {
    out.push(mk('npu.memory', 'pass', l10n.t('Free device memory'), l10n.t('All devices idle (only the driver reservation is in use).'), null, memFacts));
  } else {
    out.push(mk('npu.memory', 'skip', l10n.t('Free device memory'), l10n.t('npu-smi printed no memory figures.'), null, memFacts));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
export function versionChecks(f: HostFacts): Check[] {
  const out: Check[] = [];
  const v = f.versions;
  const a = f.data.ascend;
  const npuSide = f.role !== 'gpu';

  // CANN
  if (npuSide) {
    const installs = a?.cannInstalls ?? [];
    const cannFacts: Facts = { cann: v.cann, file: a?.cann?.file ?? null, layout: a?.cann?.layout ?? null, installs: installs.map((i) => `${i.version}@${i.realFile}`).join(' ; ') || null };
    if (!v.cann) {
      out.push(mk('versions.cann', 'fail', l10n.t('CANN toolkit'), l10n.t('No CANN toolkit found (ascend_toolkit_install.info under /usr/local/Ascend, ~/Ascend or $ASCEND_TOOLKIT_HOME).'),
        l10n.t('Install the CANN toolkit (and kernels) version that your vllm-ascend release needs, then `source /usr/local/Ascend/ascend-toolkit/set_env.sh`.'), cannFacts, DOCS.install));
    } else if (new Set(installs.filter((i) => i.layout !== 'nnrt').map((i) => i.version)).size > 1) {
      out.push(mk('versions.cann', 'warn', l10n.t('CANN toolkit'), l10n.t('CANN {0} is active, but several toolkits are installed: {1}.', v.cann, installs.map((i) => i.version ?? '?').join(', ')),
        l10n.t('Make sure the set_env.sh you source is the version you mean (echo $ASCEND_TOOLKIT_HOME).'), cannFacts));
    } else {
      out.push(mk('versions.cann', 'pass', l10n.t('CANN toolkit'), l10n.t('CANN {0} ({1} layout).', v.cann, a?.cann?.layout ?? '?'), null, cannFacts));
    }
    const drvFacts: Facts = { driver: v.driver, firmware: v.firmware, driverFile: a?.driver?.file ?? null, firmwareFile: a?.firmware?.file ?? null };
    if (!v.driver) {
      out.push(mk('versions.driver', 'warn', l10n.t('Driver and firmware'), l10n.t('driver/version.info not found (normal in a container that does not mount it).'),
        l10n.t('On the host: `cat /usr/local/Ascend/driver/version.info`; in a container mount that file read-only.'), drvFacts, DOCS.install));
    } else {
      out.push(mk('versions.driver', 'pass', l10n.t('Driver and firmware'), l10n.t('Driver {0}, firmware {1}.', v.driver, v.firmware ?? '?'), null, drvFacts));
    }
  }

  // Python packages against the compatibility matrix.
  const pyFacts: Facts = { python: v.python, executable: f.data.python?.executable ?? null };
  if (!v.vllm_ascend) {
    if (npuSide) {
      out.push(mk('versions.vllm_ascend', 'fail', l10n.t('vllm-ascend'), l10n.t('vllm-ascend is not installed in this Python ({0}).', f.data.python?.executable ?? 'python3'),
        l10n.t('Install vllm-ascend and the vLLM release it pairs with (see the compatibility matrix), or activate the environment that has them.'), { vllm_ascend: null, vllm: v.vllm, ...pyFacts }, DOCS.install));
    } else {
      out.push(mk('versions.vllm', v.vllm ? 'pass' : 'warn', l10n.t('vLLM'), v.vllm ? l10n.t('vLLM {0} (GPU baseline host).', v.vllm) : l10n.t('vLLM is not installed in this Python.'),
        v.vllm ? null : l10n.t('Install the vLLM release the NPU host runs, so the baseline is comparable.'), { vllm: v.vllm, torch: v.torch }));
    }
    if (v.python) out.push(mk('versions.python', 'pass', l10n.t('Python'), l10n.t('Python {0}.', v.python), null, pyFacts));
    return out;
  }
  let row: CompatRow | null = findCompatRow(v.vllm_ascend);
  let exact = true;
  if (!row) {
    row = nearestCompatRow(v.vllm_ascend);
    exact = false;
  }
  const src = row?.source ?? null;
  if (!row) {
    out.push(mk('versions.vllm_ascend', 'warn', l10n.t('vllm-ascend'), l10n.t('vllm-ascend {0} is not in the compatibility matrix this tool knows; versions not checked.', v.vllm_ascend),
      l10n.t('Compare by hand with the release notes of vllm-ascend {0}.', v.vllm_ascend), { vllm_ascend: v.vllm_ascend }, null));
    return out;
  }
  const rowFacts: Facts = {
    vllm_ascend: v.vllm_ascend, row: `v${row.vllmAscend}`, 'row.vllm': row.vllm.join('/'), 'row.cann': row.cann,
    'row.torch': row.torch, 'row.torch_npu': row.torchNpu, 'row.python': `>=${row.python[0]},<${row.python[1]}`,
  };
  out.push(mk('versions.vllm_ascend', exact ? 'pass' : 'warn', l10n.t('vllm-ascend'),
    exact
      ? l10n.t('vllm-ascend {0}: matrix row v{1} wants vLLM {2}, CANN {3}, torch {4}, torch_npu {5}.', v.vllm_ascend, row.vllmAscend, row.vllm.join('/'), row.cann, row.torch, row.torchNpu)
      : l10n.t('vllm-ascend {0} has no row of its own; compared with the nearest release v{1}.', v.vllm_ascend, row.vllmAscend),
    exact ? null : l10n.t('Prefer a released vllm-ascend version (pip install vllm-ascend=={0}).', row.vllmAscend), rowFacts, src));

  // vLLM
  if (!v.vllm) {
    out.push(mk('versions.vllm', 'fail', l10n.t('vLLM'), l10n.t('vLLM is not installed (vllm-ascend {0} needs vLLM {1}).', v.vllm_ascend, row.vllm.join('/')),
      l10n.t('Install vLLM {0} from source with `VLLM_TARGET_DEVICE=empty pip install -e .` (as the vllm-ascend installation guide says).', row.vllm[0]), { vllm: null, ...rowFacts }, src));
  } else if (row.vllm.some((w) => comparePep440(publicVersion(v.vllm!), w) === 0)) {
    out.push(mk('versions.vllm', 'pass', l10n.t('vLLM'), l10n.t('vLLM {0} matches.', v.vllm), null, { vllm: v.vllm, 'row.vllm': row.vllm.join('/') }, src));
  } else {
    out.push(mk('versions.vllm', 'fail', l10n.t('vLLM'), l10n.t('vLLM {0} does not match vllm-ascend {1}, which pairs with vLLM {2}.', v.vllm, v.vllm_ascend, row.vllm.join('/')),
      l10n.t('Install vLLM {0} (`git checkout v{0}` then `VLLM_TARGET_DEVICE=empty pip install -e .`), or the vllm-ascend release that pairs with your vLLM.', row.vllm[0]), { vllm: v.vllm, 'row.vllm': row.vllm.join('/') }, src));
  }

  // torch
  if (!v.torch) {
    out.push(mk('versions.torch', 'fail', l10n.t('torch'), l10n.t('torch is not installed (needs {0}).', row.torch), l10n.t('pip install torch=={0}', row.torch), { torch: null, 'row.torch': row.torch }, src));
  } else if (sameRelease(v.torch, row.torch)) {
    out.push(mk('versions.torch', 'pass', l10n.t('torch'), l10n.t('torch {0} matches.', v.torch), null, { torch: v.torch, 'row.torch': row.torch }, src));
  } else {
    out.push(mk('versions.torch', 'fail', l10n.t('torch'), l10n.t('torch {0}, but vllm-ascend {1} needs {2}.', v.torch, v.vllm_ascend, row.torch), l10n.t('pip install torch=={0}', row.torch), { torch: v.torch, 'row.torch': row.torch }, src));
  }

  // torch_npu
  const tnFacts: Facts = { torch_npu: v.torch_npu, torch: v.torch, 'row.torch_npu': row.torchNpu };
  if (!v.torch_npu) {
    out.push(mk('versions.torch_npu', 'fail', l10n.t('torch_npu'), l10n.t('torch_npu is not installed (needs {0}).', row.torchNpu), l10n.t('pip install torch-npu=={0}', publicVersion(row.torchNpu)), tnFacts, src));
  } else if (v.torch && !sameRelease(v.torch_npu, v.torch)) {
    out.push(mk('versions.torch_npu', 'fail', l10n.t('torch_npu'), l10n.t('torch_npu {0} was built for another torch than the installed torch {1}.', v.torch_npu, v.torch),
      l10n.t('pip install torch-npu=={0}', publicVersion(row.torchNpu)), tnFacts, src));
  } else if (publicVersion(v.torch_npu) === publicVersion(row.torchNpu)) {
    out.push(mk('versions.torch_npu', 'pass', l10n.t('torch_npu'), l10n.t('torch_npu {0} matches.', v.torch_npu), null, tnFacts, src));
  } else if (sameRelease(v.torch_npu, row.torchNpu)) {
    out.push(mk('versions.torch_npu', 'warn', l10n.t('torch_npu'), l10n.t('torch_npu {0}: same release as the tested {1}, different build.', v.torch_npu, row.torchNpu),
      l10n.t('pip install torch-npu=={0}', publicVersion(row.torchNpu)), tnFacts, src));
  } else {
    out.push(mk('versions.torch_npu', 'fail', l10n.t('torch_npu'), l10n.t('torch_npu {0}, but vllm-ascend {1} needs {2}.', v.torch_npu, v.vllm_ascend, row.torchNpu),
      l10n.t('pip install torch-npu=={0}', publicVersion(row.torchNpu)), tnFacts, src));
  }

  // CANN against the row
  if (npuSide && v.cann) {
    const c = compareCann(v.cann, row.cann);
    const f2: Facts = { cann: v.cann, 'row.cann': row.cann };
    if (c === 0) out.push(mk('versions.cann_compat', 'pass', l10n.t('CANN for this vllm-ascend'), l10n.t('CANN {0} is the version vllm-ascend {1} was released with.', v.cann, v.vllm_ascend), null, f2, src));
    else if (c < 0) out.push(mk('versions.cann_compat', 'fail', l10n.t('CANN for this vllm-ascend'), l10n.t('CANN {0} is older than the {1} vllm-ascend {2} needs (typical symptom: "init runtime platform info failed", EH9999).', v.cann, row.cann, v.vllm_ascend),
      l10n.t('Install CANN {0} (toolkit, kernels for your chip, NNAL), or use the vllm-ascend release that matches CANN {1}.', row.cann, v.cann), f2, src));
    else out.push(mk('versions.cann_compat', 'warn', l10n.t('CANN for this vllm-ascend'), l10n.t('CANN {0} is newer than the {1} vllm-ascend {2} was tested with.', v.cann, row.cann, v.vllm_ascend),
      l10n.t('Usually works; if custom ops fail to load, install CANN {0} or a newer vllm-ascend.', row.cann), f2, src));
  }

  // Python
  if (!v.python) out.push(mk('versions.python', 'skip', l10n.t('Python'), l10n.t('Python version unknown.'), null, pyFacts));
  else if (pythonInRange(v.python, row.python)) out.push(mk('versions.python', 'pass', l10n.t('Python'), l10n.t('Python {0} is within >={1},<{2}.', v.python, row.python[0], row.python[1]), null, pyFacts, src));
  else out.push(mk('versions.python', 'fail', l10n.t('Python'), l10n.t('Python {0} is outside >={1},<{2} required by vllm-ascend {3}.', v.python, row.python[0], row.python[1], v.vllm_ascend),
    l10n.t('Create an environment with Python {0} (e.g. `conda create -n vllm python={0}`) and install there.', row.python[0] === '3.9' ? '3.10' : row.python[0]), pyFacts, src));
  return out;
}

// ---------------------------------------------------------------------------------------------------
export function envChecks(f: HostFacts, plan: RunPlan): Check[] {
  if (f.role === 'gpu') return [];
  const out: Check[] = [];
  const a = f.data.ascend;
  const env = { ...f.data.env, ...(plan.env ?? {}) };
  const se = a?.setEnv;
  const cannSetEnv = a?.cann?.layout === 'cann' ? '/usr/local/Ascend/cann/set_env.sh' : '/usr/local/Ascend/ascend-toolkit/set_env.sh';
  const setEnvFile = a?.roots[0] ? `${a.roots[0].path}/${a.cann?.layout === 'cann' ? 'cann' : 'ascend-toolkit'}/set_env.sh` : cannSetEnv;
  if (se?.cann) out.push(mk('env.cann_set_env', 'pass', l10n.t('CANN set_env.sh sourced'), se.cannEvidence, null, { evidence: se.cannEvidence }));
  else out.push(mk('env.cann_set_env', 'fail', l10n.t('CANN set_env.sh sourced'), l10n.t('The CANN environment is not set in this shell: {0}.', se?.cannEvidence ?? '?'),
    l10n.t('source {0}  (add it to ~/.bashrc, or to the host\'s setup script in ascend-adapt)', setEnvFile), { evidence: se?.cannEvidence ?? null }, DOCS.install));

  const nnal = a?.nnal;
  const atbSetEnv = nnal?.setEnvFile ?? '/usr/local/Ascend/nnal/atb/set_env.sh';
  if (se?.atb && nnal?.libatb) out.push(mk('env.atb_set_env', 'pass', l10n.t('NNAL/ATB set_env.sh sourced'), l10n.t('libatb.so found at {0}.', nnal.libatb), null, { evidence: se.atbEvidence, libatb: nnal.libatb }));
  else if (nnal?.setEnvFile || (nnal?.installedLibatb.length ?? 0) > 0) out.push(mk('env.atb_set_env', 'fail', l10n.t('NNAL/ATB set_env.sh sourced'),
    l10n.t('NNAL/ATB is installed but not set in this shell ({0}); torch_npu will fail with "ImportError: libatb.so".', se?.atbEvidence ?? '?'),
    l10n.t('source {0}', atbSetEnv), { evidence: se?.atbEvidence ?? null, setEnvFile: nnal?.setEnvFile ?? null }, DOCS.faq));
  else out.push(mk('env.atb_set_env', 'fail', l10n.t('NNAL/ATB set_env.sh sourced'), l10n.t('NNAL/ATB (libatb.so) is not installed; torch_npu needs it.'),
    l10n.t('Install the Ascend-cann-nnal package matching your CANN, then `source /usr/local/Ascend/nnal/atb/set_env.sh`.'), { evidence: se?.atbEvidence ?? null }, DOCS.install));

  // ASCEND_RT_VISIBLE_DEVICES names devices that exist.
  const spec = visibleDevicesSpec(env);
  const count = f.devices.length;
  const visFacts: Facts = { ASCEND_RT_VISIBLE_DEVICES: spec ?? null, devices: count, CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES ?? null };
  if (f.smi.state !== 'ok') {
    out.push(mk('env.visible_devices', 'skip', l10n.t('Visible devices'), l10n.t('No device list from npu-smi: ASCEND_RT_VISIBLE_DEVICES not checked.'), null, visFacts, DOCS.platform));
  } else if (spec === undefined) {
    out.push(mk('env.visible_devices', env.CUDA_VISIBLE_DEVICES !== undefined ? 'warn' : 'pass', l10n.t('Visible devices'),
      env.CUDA_VISIBLE_DEVICES !== undefined
        ? l10n.t('CUDA_VISIBLE_DEVICES is set but means nothing on NPU; all {0} devices are visible.', String(count))
        : l10n.t('ASCEND_RT_VISIBLE_DEVICES not set: all {0} devices are visible.', String(count)),
      env.CUDA_VISIBLE_DEVICES !== undefined ? l10n.t('Use ASCEND_RT_VISIBLE_DEVICES instead of CUDA_VISIBLE_DEVICES.') : null, visFacts, DOCS.platform));
  } else {
    const ids = spec.split(',').map((s) => s.trim());
    const badTok = ids.filter((s) => !/^\d+$/.test(s));
    const dup = ids.filter((s, i) => ids.indexOf(s) !== i);
    const missing = f.smi.state === 'ok' ? ids.filter((s) => /^\d+$/.test(s) && Number(s) >= count) : [];
    if (badTok.length || dup.length || missing.length) {
      const why = [
        badTok.length ? l10n.t('not numbers: {0}', badTok.join(',')) : '',
        dup.length ? l10n.t('repeated: {0}', dup.join(',')) : '',
        missing.length ? l10n.t('no such device: {0} (this host has logical devices 0..{1})', missing.join(','), String(count - 1)) : '',
      ].filter(Boolean).join('; ');
      out.push(mk('env.visible_devices', 'fail', l10n.t('Visible devices'), l10n.t('ASCEND_RT_VISIBLE_DEVICES={0} is wrong: {1}.', spec, why),
        l10n.t('export ASCEND_RT_VISIBLE_DEVICES={0}', Array.from({ length: Math.max(count, 1) }, (_, i) => i).join(',')), visFacts, DOCS.platform));
    } else {
      out.push(mk('env.visible_devices', 'pass', l10n.t('Visible devices'), l10n.t('ASCEND_RT_VISIBLE_DEVICES={0}: {1} of {2} devices.', spec, String(ids.length), String(count)), null, visFacts, DOCS.platform));
    }
  }

  // Env vars for the planned run.
  const tp = plan.tp;
  const multi = tp !== undefined ? tp > 1 : count > 1;
  const aiv = env.HCCL_OP_EXPANSION_MODE;
  const aivFacts: Facts = { HCCL_OP_EXPANSION_MODE: aiv ?? null, tp: tp ?? null };
  if (tp === undefined && f.smi.state !== 'ok') out.push(mk('env.hccl_aiv', 'skip', l10n.t('HCCL_OP_EXPANSION_MODE'), l10n.t('No devices found and no TP given: not checked.'), null, aivFacts, DOCS.tuning));
  else if (!multi) out.push(mk('env.hccl_aiv', 'skip', l10n.t('HCCL_OP_EXPANSION_MODE'), l10n.t('Single-device run: not needed.'), null, aivFacts, DOCS.tuning));
  else if (aiv === 'AIV') out.push(mk('env.hccl_aiv', 'pass', l10n.t('HCCL_OP_EXPANSION_MODE'), l10n.t('HCCL_OP_EXPANSION_MODE=AIV.'), null, aivFacts, DOCS.tuning));
  else out.push(mk('env.hccl_aiv', 'warn', l10n.t('HCCL_OP_EXPANSION_MODE'),
    tp !== undefined ? l10n.t('TP={0} without HCCL_OP_EXPANSION_MODE=AIV: slower collectives, and ACL graph capture may fail.', String(tp)) : l10n.t('Not set; recommended for every run with TP > 1 (faster collectives, stable ACL graph capture).'),
    'export HCCL_OP_EXPANSION_MODE=AIV', aivFacts, DOCS.tuning));
  const alloc = env.PYTORCH_NPU_ALLOC_CONF;
  const allocFacts: Facts = { PYTORCH_NPU_ALLOC_CONF: alloc ?? null };
  if (alloc && /expandable_segments:True/.test(alloc)) out.push(mk('env.alloc_conf', 'pass', l10n.t('PYTORCH_NPU_ALLOC_CONF'), `PYTORCH_NPU_ALLOC_CONF=${alloc}`, null, allocFacts, DOCS.tuning));
  else out.push(mk('env.alloc_conf', 'warn', l10n.t('PYTORCH_NPU_ALLOC_CONF'),
    alloc ? l10n.t('PYTORCH_NPU_ALLOC_CONF={0} does not enable expandable segments: more fragmentation, earlier out-of-memory.', alloc) : l10n.t('Not set: the NPU caching allocator fragments more and runs out of memory earlier.'),
    'export PYTORCH_NPU_ALLOC_CONF=expandable_segments:True', allocFacts, DOCS.tuning));

  if (tp !== undefined || plan.pp !== undefined) {
    const need = (tp ?? 1) * (plan.pp ?? 1);
    const avail = plannedDevices(f, env).length;
    const f3: Facts = { tp: tp ?? 1, pp: plan.pp ?? 1, needed: need, visible: avail };
    if (need <= avail) out.push(mk('env.parallel_devices', 'pass', l10n.t('Devices for TP x PP'), l10n.t('TP x PP = {0} of {1} visible devices.', String(need), String(avail)), null, f3));
    else out.push(mk('env.parallel_devices', 'fail', l10n.t('Devices for TP x PP'), l10n.t('TP x PP = {0} needs more devices than the {1} visible.', String(need), String(avail)),
      l10n.t('Lower --tensor-parallel-size / --pipeline-parallel-size, or make more devices visible (ASCEND_RT_VISIBLE_DEVICES).'), f3));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
export function diskChecks(f: HostFacts, plan: RunPlan): Check[] {
  const disk = f.data.disk;
  const target = plan.modelPath ? disk.find((d) => d.path === plan.modelPath) : disk.find((d) => d.path === f.data.host?.home) ?? disk[0];
  if (!target) return [mk('disk.space', 'skip', l10n.t('Disk space'), l10n.t('No disk figures from the host.'))];
  const facts: Facts = { path: target.path, exists: target.exists, measuredAt: target.probePath, freeMB: target.freeMB, totalMB: target.totalMB, modelSizeMB: plan.modelSizeMB ?? null };
  if (target.freeMB === null) return [mk('disk.space', 'skip', l10n.t('Disk space'), l10n.t('Could not read free space at {0}: {1}', target.path, target.error ?? '?'), null, facts)];
  const freeGB = (target.freeMB / 1024).toFixed(1);
  // The weights still have to come (no folder yet, or none named): they must fit.
  if (plan.modelSizeMB !== undefined && (!plan.modelPath || !target.exists) && target.freeMB < plan.modelSizeMB * 1.1) {
    return [mk('disk.space', 'fail', l10n.t('Disk space'), l10n.t('{0} GB free at {1}, the model needs {2} GB.', freeGB, target.probePath, (plan.modelSizeMB / 1024).toFixed(1)),
      l10n.t('Free space on that filesystem or put the model on a larger one (df -h).'), facts)];
  }
  if (plan.modelPath && !target.exists) {
    return [mk('disk.space', 'warn', l10n.t('Disk space'), l10n.t('{0} does not exist yet; {1} GB free at {2}.', target.path, freeGB, target.probePath),
      l10n.t('Copy or download the model to {0} first.', target.path), facts)];
  }
  if (target.freeMB < 20 * 1024) {
    return [mk('disk.space', 'warn', l10n.t('Disk space'), l10n.t('Only {0} GB free at {1}: logs, caches and compiled graphs need room.', freeGB, target.probePath),
      l10n.t('Free space (old checkpoints, ~/.cache, /tmp), then check again.'), facts)];
  }
  return [mk('disk.space', 'pass', l10n.t('Disk space'), l10n.t('{0} GB free at {1}.', freeGB, target.probePath), null, facts)];
}

export function extraChecks(f: HostFacts): Check[] {
  const out: Check[] = [];
  if (f.gpus.length) {
    out.push(mk('gpu.nvidia', 'pass', l10n.t('GPU (baseline host)'), l10n.t('{0} GPU(s): {1}.', String(f.gpus.length), [...new Set(f.gpus.map((g) => g.name))].join(', ')), null,
      Object.fromEntries(f.gpus.map((g) => [`gpu${g.index}`, `${g.name} ${g.memUsedMB ?? '?'}/${g.memTotalMB ?? '?'} MB`]))));
  }
  const h = f.data.commands.hccn;
  if (h?.requested) {
    if (!h.path) out.push(mk('net.hccn', 'skip', l10n.t('NPU network links'), l10n.t('hccn_tool not found: links not checked.'), l10n.t('Mount /usr/local/Ascend/driver/tools/hccn_tool into the container for multi-node runs.'), {}, DOCS.multiNode));
    else {
      const facts: Facts = Object.fromEntries(h.links.map((l) => [`device${l.device}`, l.status ?? (l.result.timedOut ? 'timeout' : 'unknown')]));
      const down = h.links.filter((l) => l.status !== 'UP');
      if (h.links.length === 0) out.push(mk('net.hccn', 'skip', l10n.t('NPU network links'), l10n.t('No devices to query.'), null, facts, DOCS.multiNode));
      else if (down.length) out.push(mk('net.hccn', 'fail', l10n.t('NPU network links'), l10n.t('Links not UP: {0}.', down.map((l) => `${l.device}=${l.status ?? '?'}`).join(', ')),
        l10n.t('Check cabling and switch ports (`hccn_tool -i {0} -link -g`, `hccn_tool -i {0} -net_health -g`, /etc/hccn.conf).', String(down[0].device)), facts, DOCS.multiNode));
      else out.push(mk('net.hccn', 'pass', l10n.t('NPU network links'), l10n.t('All {0} links UP.', String(h.links.length)), null, facts, DOCS.multiNode));
    }
  }
  const failedSteps = f.data.steps.filter((s) => !s.ok);
  if (failedSteps.length) {
    out.push(mk('probe.steps', 'warn', l10n.t('Environment probe'), l10n.t('Some probe steps failed: {0}.', failedSteps.map((s) => `${s.name} (${s.error ?? '?'})`).join('; ')),
      l10n.t('The other results stand; re-run the check, and report the step error if it persists.'), Object.fromEntries(failedSteps.map((s) => [s.name, s.error]))));
  }
  return out;
}

/** All per-host checks for one probe result, in display order. */
export function analyzeHost(f: HostFacts, plan: RunPlan = {}): Check[] {
  const out: Check[] = [];
  if (f.simulated) {
    out.push(mk('host.simulated', 'warn', l10n.t('Simulated host'),
      l10n.t('This host is SIMULATED by ascend-adapt (ASCEND_ADAPT_SIMULATED=1): its devices and versions are stand-ins, nothing here is an NPU measurement.'), null,
      { simRoot: f.data.simRoot }));
  }
  out.push(...npuChecks(f, plan), ...versionChecks(f), ...envChecks(f, plan), ...diskChecks(f, plan), ...extraChecks(f));
  return out;
}
