import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMPAT_MATRIX, DEFAULT_SIM_RELEASE, compareCann, findCompatRow, type CompatRow } from '../knowledge/compat';
import { chipFamily } from '../npu/family';
import { pythonDir } from '../paths';
import { SimConfigSchema, type SimConfig } from './config';
import { quoteArg as shq } from '../transport/quote';
import { stepToShell, type EnvStep, type SimEnvFile } from './env';
import { writeSimModels } from './models';
import { layoutSimMsModelSlim } from '../quantize/simlayout';
import { layoutSimAisBench } from '../perf/simlayout';
import { makeDirs } from '../validate/outdir';

/**
 * `ascend-adapt sim create DIR`: lays out a SIMULATED Atlas host in DIR — a stand-in Ascend toolchain
 * that the real probes and jobs run against unchanged. Nothing in it is real; every file says so.
 *
 *   DIR/sim.json, DIR/env.sh, DIR/env.json, DIR/README-SIMULATED.txt
 *   DIR/bin/{npu-smi,vllm,ray}                  wrappers → DIR/sim/{npu_smi,vllm_cli,ray_cli}.py
 *   DIR/sim/*.py                                copy of python/sim/
 *   DIR/Ascend/driver/version.info, firmware/version.info, driver/tools/hccn_tool
 *   DIR/Ascend/ascend-toolkit/<v>/<arch>-linux/ascend_toolkit_install.info + latest + set_env.sh  (CANN ≤ 8.3)
 *   DIR/Ascend/cann-<v>/<arch>-linux/ascend_toolkit_install.info + cann → cann-<v> + set_env.sh   (CANN ≥ 8.5)
 *   DIR/Ascend/nnal/atb/set_env.sh, nnal/atb/<v>/atb/cxx_abi_1/lib/libatb.so (a text stub)
 *   DIR/etc/ascend_install.info, DIR/etc/hccn.conf (the NPU ports' addresses, as /etc/hccn.conf on a real host)
 *   DIR/site-packages/<dist>-<version>.dist-info   torch, torch_npu, vllm, vllm_ascend, transformers, …
 *   DIR/state/npu_procs/                        live simulated NPU processes (see python/sim/simhost.py)
 *   DIR/models/<name>/                          tiny model checkpoints (see models.ts); env.sh exports ASCEND_ADAPT_SIM_MODELS
 */

export interface SimCreateOptions {
  /** npu-smi Name, e.g. 910B3 (default), 910B4, Ascend910 (A3), 310P3, 910B (classic 910). */
  chip?: string;
  /** NPU cards (default 8). */
  devices?: number;
  /** vllm-ascend release whose compatibility-matrix row gives the versions (default 0.18.0). */
  release?: string;
  /** Replace an existing simulated host in DIR. */
  force?: boolean;
  faults?: SimConfig['faults'];
  /** Interpreter for the simulated tools (default: the python3 on PATH, resolved to its real path). */
  python?: string;
  /** NPU ports' addresses in etc/hccn.conf: 192.168.{npuNetwork}.{npuFirstHost + device} (defaults 100 and 10). */
  npuNetwork?: number;
  npuFirstHost?: number;
}

export interface SimCreated {
  root: string;
  config: SimConfig;
  envFile: string;
  envJsonFile: string;
  env: SimEnvFile;
  /** DIR/models: the simulated model checkpoints (ASCEND_ADAPT_SIM_MODELS). */
  modelsDir: string;
}

export class SimCreateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimCreateError';
  }
}

const SIM_MARK = 'SIMULATED by ascend-adapt — not a real Ascend installation';

/** transformers is not in the matrix; the version seen next to vllm-ascend 0.13 in a real collect_env report. */
const TRANSFORMERS_VERSION = '4.57.3';
/** Driver (npu-smi) and firmware versions seen together on a real 910B host (npu-smi 25.5.1 board output). */
const DRIVER_VERSION = '25.5.1';
const FIRMWARE_VERSION = '7.8.0.6.201';

/**
 * `python3` resolved once (a pyenv shim costs ~0.3 s per call; the interpreter itself does not). When the
 * resolved interpreter is not usable by other users (e.g. under /root/.pyenv) and a system python3 is,
 * the system one is taken, so the simulated tools also work for another login (an SSH test user).
 */
export function resolvePython(): string {
  let resolved: string | undefined;
  try {
    const out = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 20_000 }).trim();
    if (out && path.isAbsolute(out)) resolved = out;
  } catch {
    /* no python3 on PATH */
  }
  if (resolved && worldUsable(resolved)) return resolved;
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (fs.existsSync(p) && worldUsable(p)) return p;
  return resolved ?? 'python3';
}

function worldUsable(file: string): boolean {
  try {
    const real = fs.realpathSync(file);
    if ((fs.statSync(real).mode & 0o005) !== 0o005) return false;
    for (let d = path.dirname(real); ; d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
      if (path.dirname(d) === d) return true;
    }
  } catch {
    return false;
  }
}

export function hostArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

interface ChipSpec { family: SimConfig['family']; hbm: number; ddr: number; perNpu: number; socName?: string }

function chipSpec(chip: string): ChipSpec {
  const fam = chipFamily(chip);
  switch (fam) {
    case 'A2':
      return { family: 'A2', hbm: /^910B4$/i.test(chip) ? 32768 : 65536, ddr: 0, perNpu: 1 };
    case 'A3':
      return { family: 'A3', hbm: 65536, ddr: 0, perNpu: 2, socName: '9391' };
    case '910':
      return { family: '910', hbm: 32768, ddr: 13553, perNpu: 1 };
    case '310P':
      return { family: '310P', hbm: 0, ddr: 44278, perNpu: 2 };
    default:
      throw new SimCreateError(`chip ${JSON.stringify(chip)} is not simulated (use 910B1-4, 910B2C, 910B4-1, Ascend910, 910B, 910A, 910ProB or 310P3)`);
  }
}

function write(file: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, mode !== undefined ? { mode } : undefined);
}

function symlink(target: string, link: string): void {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link);
}

function distInfo(site: string, name: string, version: string): void {
  const dir = path.join(site, `${name}-${version}.dist-info`);
  write(path.join(dir, 'METADATA'), [
    'Metadata-Version: 2.1',
    `Name: ${name}`,
    `Version: ${version}`,
    `Summary: ${SIM_MARK} (metadata only; the package cannot be imported)`,
    '',
  ].join('\n'));
  write(path.join(dir, 'INSTALLER'), 'ascend-adapt-sim\n');
  write(path.join(dir, 'RECORD'), '');
}

function releaseRow(release: string | undefined): CompatRow {
  const want = release ?? DEFAULT_SIM_RELEASE;
  const row = findCompatRow(want);
  if (!row) {
    throw new SimCreateError(`vllm-ascend ${want} is not in the compatibility matrix (known: ${COMPAT_MATRIX.map((r) => r.vllmAscend).join(', ')})`);
  }
  return row;
}

/** Lists what a simulated host's creation wrote, so that re-creating it removes exactly those files. */
const MANIFEST = '.ascend-adapt-sim-files.json';
/** Folders the simulated tools fill while they run (simulated NPU processes): theirs entirely. */
const RUNTIME_TREES = ['state'];

/** Files and links under root (relative, '/'-separated), not following links. */
function filesUnder(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Removes what an earlier `sim create` wrote into root (by its manifest) and the runtime state; files
 * anyone else put there (a model copied into models/, notes) stay. Returns those kept files.
 */
function removeOurFiles(root: string): Set<string> {
  let listed: string[];
  try {
    listed = (JSON.parse(fs.readFileSync(path.join(root, MANIFEST), 'utf8')) as { files: string[] }).files;
  } catch {
    throw new SimCreateError(`${root} holds a simulated host without a list of the files it made (an older version made it): move your own files out of it, delete the folder, and create it again`);
  }
  const dirs = new Set<string>();
  for (const rel of [...listed, MANIFEST]) {
    fs.rmSync(path.join(root, rel), { force: true });
    for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const t of RUNTIME_TREES) fs.rmSync(path.join(root, t), { recursive: true, force: true });
  // Folders that only held our files go too (deepest first); a folder with someone's file in it stays.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(path.join(root, d));
    } catch {
      /* not empty: it holds files we did not make */
    }
  }
  return new Set(filesUnder(root));
}

/**
 * DIR made (one level at a time: fails at once under /proc), or — with --force, over a simulated host —
 * cleared of the files the earlier creation made. Never someone else's folder, never their files.
 * Returns the files found there that are not ours (kept).
 */
function prepareRoot(root: string, force: boolean | undefined): Set<string> {
  let kept = new Set<string>();
  if (fs.existsSync(root)) {
    let entries: string[];
    try {
      entries = fs.readdirSync(root);
    } catch (e) {
      throw new SimCreateError(`cannot use ${root}: ${(e as Error).message}`);
    }
    if (entries.length > 0) {
      if (!fs.existsSync(path.join(root, 'sim.json'))) throw new SimCreateError(`${root} is not empty and is not a simulated host; refusing to write into it`);
      if (!force) throw new SimCreateError(`${root} already holds a simulated host (use --force to replace it)`);
      kept = removeOurFiles(root);
    }
  }
  try {
    makeDirs(root);
    fs.accessSync(root, fs.constants.W_OK);
  } catch (e) {
    throw new SimCreateError(`cannot create the simulated host in ${root}: ${(e as Error).message}`);
  }
  return kept;
}

/** Records every file this creation wrote (everything under root but the kept files). */
function writeManifest(root: string, kept: Set<string>): void {
  const files = filesUnder(root).filter((f) => !kept.has(f) && f !== MANIFEST);
  write(path.join(root, MANIFEST), JSON.stringify({ note: `${SIM_MARK}: files written by sim create (removed by sim create --force; nothing else is)`, files }, null, 1) + '\n');
}

interface CannLayout {
  toolkitHome: string;
  cannSetEnv: string;
  infoFile: string;
  newLayout: boolean;
}

/** CANN ≥ 8.5: Ascend/cann-<v> + cann → cann-<v>; older: Ascend/ascend-toolkit/<v> + latest. */
function layoutCann(A: string, cann: string, arch: string): CannLayout {
  const newLayout = compareCann(cann, '8.5.0') >= 0;
  const installDir = newLayout ? path.join(A, `cann-${cann}`) : path.join(A, 'ascend-toolkit', cann);
  fs.mkdirSync(installDir, { recursive: true });
  if (newLayout) {
    symlink(`cann-${cann}`, path.join(A, 'cann'));
    symlink(`../cann-${cann}`, path.join(A, 'ascend-toolkit', 'latest'));
  } else symlink(cann, path.join(A, 'ascend-toolkit', 'latest'));
  const toolkitHome = newLayout ? installDir : path.join(A, 'ascend-toolkit', 'latest');
  const cannSetEnv = newLayout ? path.join(A, 'cann', 'set_env.sh') : path.join(A, 'ascend-toolkit', 'set_env.sh');
  const infoFile = path.join(installDir, `${arch}-linux`, 'ascend_toolkit_install.info');
  write(infoFile, [
    'package_name=Ascend-cann-toolkit',
    `version=${cann}`,
    `arch=${arch}`,
    'os=linux',
    `path=${path.join(installDir, `${arch}-linux`)}`,
    `# ${SIM_MARK}`,
    '',
  ].join('\n'));
  for (const d of ['lib64', 'opp', 'bin', 'python/site-packages', 'tools/aml/lib64']) fs.mkdirSync(path.join(installDir, d), { recursive: true });
  return { toolkitHome, cannSetEnv, infoFile, newLayout };
}

/** Driver and firmware version files, the install record, NNAL/ATB; returns ATB's home. */
function layoutDriverAndAtb(root: string, A: string, cann: string): string {
  write(path.join(A, 'driver', 'version.info'), [
    `Version=${DRIVER_VERSION}`, 'aicpu_version=1.0', 'tdt_version=1.0', 'log_version=1.0', 'prof_version=2.0',
    'dvppkernels_version=1.1', 'tsfw_version=1.0', `# ${SIM_MARK}`, '',
  ].join('\n'));
  fs.mkdirSync(path.join(A, 'driver', 'lib64', 'common'), { recursive: true });
  fs.mkdirSync(path.join(A, 'driver', 'lib64', 'driver'), { recursive: true });
  write(path.join(A, 'firmware', 'version.info'), [
    `Version=${FIRMWARE_VERSION}`, 'firmware_version=1.0', `package_version=${DRIVER_VERSION}`, `# ${SIM_MARK}`, '',
  ].join('\n'));
  write(path.join(root, 'etc', 'ascend_install.info'), [
    'UserName=HwHiAiUser', 'UserGroup=HwHiAiUser', 'Driver_Install_Type=full', `Driver_Install_Path_Param=${A}`,
    'Driver_Install_For_All=yes', 'Driver_Install_Mode=normal', 'Firmware_Install_Type=full',
    `Firmware_Install_Path_Param=${A}`, `# ${SIM_MARK}`, '',
  ].join('\n'));
  write(path.join(A, 'nnal', 'atb', cann, 'atb', 'cxx_abi_1', 'lib', 'libatb.so'), `${SIM_MARK}: stand-in for libatb.so\n`);
  symlink(cann, path.join(A, 'nnal', 'atb', 'latest'));
  return path.join(A, 'nnal', 'atb', 'latest', 'atb', 'cxx_abi_1');
}

/** Python packages (metadata only) at versions from one row of the compatibility matrix; returns site-packages. */
function layoutPackages(root: string, row: CompatRow): string {
  const site = path.join(root, 'site-packages');
  const pkgs: Array<[string, string]> = [
    ['torch', row.torch],
    ['torch_npu', row.torchNpu],
    // vLLM is installed from source with VLLM_TARGET_DEVICE=empty on Ascend → "+empty" local label.
    ['vllm', `${row.vllm[0]}+empty`],
    ['vllm_ascend', row.vllmAscend],
    ['transformers', TRANSFORMERS_VERSION],
  ];
  if (row.tritonAscend) pkgs.push(['triton_ascend', row.tritonAscend]);
  for (const [n, v] of pkgs) distInfo(site, n, v);
  return site;
}

// The simulated npu-smi and hccn_tool keep their answers in DIR/state/render (python/sim/render_cache.py); the
// wrapper prints a kept answer with cat while its sources are not newer than the stamp, so a check does not pay
// a Python start per query (a real npu-smi or hccn_tool is a native binary). The shell code is data: $R is DIR.
const NPU_SMI_CACHED = [
  'if [ $# -eq 1 ] && [ "$1" = info ] && [ -f "$r/npu-smi.stamp" ] && [ ! "$R/sim.json" -nt "$r/npu-smi.stamp" ] && [ ! "$R/state/npu_procs" -nt "$r/npu-smi.stamp" ]; then',
  '  ok=1',
  '  while read -r p; do [ -d "/proc/$p" ] || ok=; done < "$r/npu-smi.pids"',
  '  [ -n "$ok" ] && k=info',
  'fi',
];
const HCCN_CACHED = [
  'if [ $# -eq 4 ] && [ "$1" = -i ] && [ "$4" = -g ] && [ -f "$r/hccn.stamp" ] && [ ! "$R/sim.json" -nt "$r/hccn.stamp" ] && [ ! "$R/etc/hccn.conf" -nt "$r/hccn.stamp" ]; then',
  '  case "$2$3" in *[!0-9a-z_-]*) ;; *) [ -f "$r/hccn.$2$3" ] && k="$2$3" ;; esac',
  'fi',
];

function cachedWrapper(root: string, tool: string, test: string[], plain: string): string {
  const file = tool === 'hccn_tool' ? 'hccn' : tool;
  const [shebang, mark, ...rest] = plain.split('\n');
  return [
    shebang, mark,
    `R=${shq(root)}; r="$R/state/render"; k=`,
    ...test,
    'if [ -n "$k" ]; then',
    `  [ "$ASCEND_ADAPT_SIM_QUIET" = 1 ] || echo ${shq(`[simulated ${tool} — ascend-adapt simulated Atlas host, not real NPU data]`)} >&2`,
    `  exec cat "$r/${file}.$k"`,
    'fi',
    ...rest,
  ].join('\n');
}

/** The simulators (a copy of python/sim) and their wrappers npu-smi, vllm, hccn_tool, ray; returns the bin folder. */
function layoutTools(root: string, A: string, python: string): string {
  const simDir = path.join(root, 'sim');
  fs.mkdirSync(simDir, { recursive: true });
  const srcSim = path.join(pythonDir(), 'sim');
  for (const f of fs.readdirSync(srcSim)) {
    if (f.endsWith('.py')) fs.copyFileSync(path.join(srcSim, f), path.join(simDir, f));
  }
  const bin = path.join(root, 'bin');
  // npu-smi and hccn_tool are stdlib-only and run often: -S skips site-packages for a faster start.
  const wrapper = (tool: string, script: string, fast: boolean) => [
    '#!/bin/sh',
    `# ${tool}: ${SIM_MARK}`,
    `if [ ! -f ${shq(script)} ]; then echo ${shq(`${tool} (simulated): ${script} is missing`)} >&2; exit 127; fi`,
    `exec ${shq(python)}${fast ? ' -S' : ''} ${shq(script)} "$@"`,
    '',
  ].join('\n');
  write(path.join(bin, 'npu-smi'), cachedWrapper(root, 'npu-smi', NPU_SMI_CACHED, wrapper('npu-smi', path.join(simDir, 'npu_smi.py'), true)), 0o755);
  write(path.join(bin, 'vllm'), wrapper('vllm', path.join(simDir, 'vllm_cli.py'), false), 0o755);
  write(path.join(A, 'driver', 'tools', 'hccn_tool'), cachedWrapper(root, 'hccn_tool', HCCN_CACHED, wrapper('hccn_tool', path.join(simDir, 'hccn_tool.py'), true)), 0o755);
  write(path.join(bin, 'ray'), wrapper('ray', path.join(simDir, 'ray_cli.py'), true), 0o755);
  // Shared like /tmp (sticky, world-writable): simulated processes of another login (an SSH user) register here too.
  const procs = path.join(root, 'state', 'npu_procs');
  fs.mkdirSync(procs, { recursive: true });
  fs.chmodSync(procs, 0o1777);
  const render = path.join(root, 'state', 'render');
  fs.mkdirSync(render, { recursive: true });
  fs.chmodSync(render, 0o1777);
  return bin;
}

const ATB_ENV: Record<string, string> = {
  ATB_STREAM_SYNC_EVERY_KERNEL_ENABLE: '0',
  ATB_STREAM_SYNC_EVERY_RUNNER_ENABLE: '0',
  ATB_STREAM_SYNC_EVERY_OPERATION_ENABLE: '0',
  ATB_OPSRUNNER_SETUP_CACHE_ENABLE: '1',
  ATB_OPSRUNNER_KERNEL_CACHE_LOCAL_COUNT: '1',
  ATB_OPSRUNNER_KERNEL_CACHE_GLOABL_COUNT: '5',
  ATB_WORKSPACE_MEM_ALLOC_GLOBAL: '1',
  ATB_WORKSPACE_MEM_ALLOC_ALG_TYPE: '1',
  ATB_DEVICE_TILING_BUFFER_BLOCK_NUM: '32',
  ATB_HOST_TILING_BUFFER_BLOCK_NUM: '128',
  ATB_COMPARE_TILING_EVERY_KERNEL: '0',
  ATB_MATMUL_SHUFFLE_K_ENABLE: '1',
  ATB_SHARE_MEMORY_NAME_SUFFIX: '',
};

interface EnvPaths { root: string; A: string; arch: string; site: string; bin: string; models: string; atbHome: string; cann: CannLayout }

/** CANN set_env.sh, ATB set_env.sh, and env.sh's own lines — one model, rendered as shell and as JSON. */
function envSteps(p: EnvPaths): EnvStep[] {
  const th = p.cann.toolkitHome;
  return [
    {
      name: 'simulated host',
      file: null,
      set: { ASCEND_ADAPT_SIM_ROOT: p.root, ASCEND_ADAPT_SIMULATED: '1', ASCEND_ADAPT_SIM_MODELS: p.models },
      prepend: {
        LD_LIBRARY_PATH: [path.join(p.A, 'driver', 'lib64', 'common'), path.join(p.A, 'driver', 'lib64', 'driver')],
        PYTHONPATH: [p.site],
      },
    },
    {
      name: 'CANN set_env.sh',
      file: p.cann.cannSetEnv,
      set: { ASCEND_TOOLKIT_HOME: th, ASCEND_HOME_PATH: th, ASCEND_AICPU_PATH: th, ASCEND_OPP_PATH: path.join(th, 'opp'), TOOLCHAIN_HOME: path.join(th, 'toolkit') },
      prepend: {
        LD_LIBRARY_PATH: [
          path.join(th, 'tools', 'aml', 'lib64'),
          path.join(th, 'tools', 'aml', 'lib64', 'plugin'),
          path.join(th, 'lib64'),
          path.join(th, 'lib64', 'plugin', 'opskernel'),
          path.join(th, 'lib64', 'plugin', 'nnengine'),
          path.join(th, 'opp', 'built-in', 'op_impl', 'ai_core', 'tbe', 'op_tiling', 'lib', 'linux', p.arch),
        ],
        PYTHONPATH: [path.join(th, 'python', 'site-packages'), path.join(th, 'opp', 'built-in', 'op_impl', 'ai_core', 'tbe')],
        PATH: [path.join(th, 'bin'), path.join(th, 'compiler', 'ccec_compiler', 'bin'), path.join(th, 'tools', 'ccec_compiler', 'bin')],
      },
    },
    {
      name: 'NNAL/ATB set_env.sh',
      file: path.join(p.A, 'nnal', 'atb', 'set_env.sh'),
      set: { ATB_HOME_PATH: p.atbHome, ...ATB_ENV },
      prepend: { LD_LIBRARY_PATH: [path.join(p.atbHome, 'lib'), path.join(p.atbHome, 'examples'), path.join(p.atbHome, 'tests', 'atbopstest')] },
    },
    { name: 'simulated tools first on PATH', file: null, set: {}, prepend: { PATH: [p.bin] } },
  ];
}

/** The set_env.sh files, DIR/env.sh and DIR/env.json. */
function writeEnv(p: EnvPaths, steps: EnvStep[]): { envFile: string; envJsonFile: string; env: SimEnvFile } {
  for (const s of steps) {
    if (s.file) write(s.file, `# ${s.name}: ${SIM_MARK}.\n# Exports what the real one exports (resolved paths); safe to source repeatedly.\n${stepToShell(s)}`);
  }
  // Older instructions still say `source …/ascend-toolkit/set_env.sh`: keep that working too.
  if (p.cann.newLayout) write(path.join(p.A, 'ascend-toolkit', 'set_env.sh'), `# ${SIM_MARK}\n. ${shq(p.cann.cannSetEnv)}\n`);
  const envSh = [
    '# Environment of a SIMULATED Atlas host (ascend-adapt sim create). Source it: . DIR/env.sh',
    '# POSIX sh; idempotent (sourcing twice changes nothing). Sets ASCEND_ADAPT_SIMULATED=1;',
    '# ASCEND_ADAPT_SIM_MODELS is the folder of the simulated model checkpoints.',
    stepToShell(steps[0]!).trimEnd(),
    `. ${shq(steps[1]!.file as string)}`,
    `. ${shq(steps[2]!.file as string)}`,
    stepToShell(steps[3]!).trimEnd(),
    '',
  ].join('\n');
  const envFile = path.join(p.root, 'env.sh');
  write(envFile, envSh);
  const env: SimEnvFile = { simulated: true, root: p.root, steps };
  const envJsonFile = path.join(p.root, 'env.json');
  write(envJsonFile, JSON.stringify(env, null, 2) + '\n');
  return { envFile, envJsonFile, env };
}

/** DIR/etc/hccn.conf, as a real host's: each NPU port's address and netmask (hccn_tool -ip -g reads it). */
function writeHccnConf(root: string, ports: number, net: number, first: number): void {
  if (!Number.isInteger(net) || net < 0 || net > 255) throw new SimCreateError(`npuNetwork must be 0..255, got ${net}`);
  if (!Number.isInteger(first) || first < 2 || first + ports > 255) throw new SimCreateError(`npuFirstHost must leave room for ${ports} ports below 255, got ${first}`);
  const lines = [`# ${SIM_MARK}`];
  for (let i = 0; i < ports; i++) {
    lines.push(`address_${i}=192.168.${net}.${first + i}`, `netmask_${i}=255.255.255.0`, `netdetect_${i}=192.168.${net}.1`, `gateway_${i}=192.168.${net}.1`);
  }
  write(path.join(root, 'etc', 'hccn.conf'), lines.join('\n') + '\n');
}

export function createSim(dirArg: string, opts: SimCreateOptions = {}): SimCreated {
  const root = path.resolve(dirArg);
  const chip = opts.chip ?? '910B3';
  const devices = opts.devices ?? 8;
  if (!Number.isInteger(devices) || devices < 1 || devices > 64) throw new SimCreateError(`--devices must be 1..64, got ${devices}`);
  const spec = chipSpec(chip);
  const row = releaseRow(opts.release);
  const kept = prepareRoot(root, opts.force);

  const arch = hostArch();
  const A = path.join(root, 'Ascend');
  const cann = layoutCann(A, row.cann, arch);
  const atbHome = layoutDriverAndAtb(root, A, row.cann);
  const site = layoutPackages(root, row);
  const python = opts.python ?? resolvePython();
  const bin = layoutTools(root, A, python);
  layoutSimMsModelSlim(root, { python, simDir: path.join(root, 'sim'), sitePackages: site, bin });
  layoutSimAisBench(root, { python, simDir: path.join(root, 'sim'), bin });
  const models = writeSimModels(root);
  writeHccnConf(root, devices * spec.perNpu, opts.npuNetwork ?? 100, opts.npuFirstHost ?? 10);
  const paths: EnvPaths = { root, A, arch, site, bin, models, atbHome, cann };
  const { envFile, envJsonFile, env } = writeEnv(paths, envSteps(paths));

  const config = SimConfigSchema.parse({
    simulated: true,
    schema: 1,
    createdBy: 'ascend-adapt sim create',
    createdAt: new Date().toISOString(),
    root,
    chip,
    family: spec.family,
    devices,
    chipsPerNpu: spec.perNpu,
    hbmTotalMB: spec.hbm,
    ddrTotalMB: spec.ddr,
    ...(spec.socName ? { socName: spec.socName } : {}),
    arch,
    python,
    driver: DRIVER_VERSION,
    firmware: FIRMWARE_VERSION,
    release: {
      vllmAscend: row.vllmAscend,
      vllm: row.vllm[0],
      cann: row.cann,
      torch: row.torch,
      torchNpu: row.torchNpu,
      tritonAscend: row.tritonAscend,
      transformers: TRANSFORMERS_VERSION,
      pythonRange: row.python,
      source: row.source,
    },
    paths: { ascendRoot: A, toolkitHome: cann.toolkitHome, cannInstallInfo: cann.infoFile, sitePackages: site, bin },
    faults: opts.faults ?? {},
  });
  write(path.join(root, 'sim.json'), JSON.stringify(config, null, 2) + '\n');
  write(path.join(root, 'README-SIMULATED.txt'), [
    SIM_MARK,
    '',
    `A stand-in for an Atlas host with ${devices} x ${chip} (${spec.family}), vllm-ascend ${row.vllmAscend}, CANN ${row.cann}.`,
    'Source env.sh to use it:  . ' + envFile,
    `Model checkpoints to try serving, quantization and lint on (tiny, made up): ${models}`,
    'Every result obtained from it is SIMULATED and says so.',
    '',
  ].join('\n'));
  writeManifest(root, kept);
  return { root, config, envFile, envJsonFile, env, modelsDir: models };
}
