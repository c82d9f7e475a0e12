// Shared by the real-VS-Code suite (run-code-server.mjs) and the UI smoke test (test/ui/run-ui-smoke.mjs):
// installs code-server 4.100.3 (VS Code 1.100.3) once into .vscode-test/code-server, starts it in its own
// session (setsid) on a free loopback port, stops it by process group, and opens the workbench in headless
// Chromium through playwright-core. Nothing is downloaded except npm packages from the npm registry:
// @vscode/ripgrep's GitHub download is pre-seeded from Debian's /usr/bin/rg.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const base = path.join(root, '.vscode-test');
const installDir = path.join(base, 'code-server');
const pkgDir = path.join(installDir, 'node_modules', 'code-server');
const marker = path.join(installDir, `.installed-${CODE_SERVER_VERSION}`);
export const codeServerEntry = path.join(pkgDir, 'out', 'node', 'entry.js');

function log(msg) {
  process.stderr.write(`[code-server] ${msg}\n`);
}

/** What code-server's postinstall leaves behind; missing pieces mean it did not run (or failed). */
function postinstallProblems() {
  const vs = path.join(pkgDir, 'lib', 'vscode');
  const want = [
    [path.join(vs, 'node_modules.asar'), 'lib/vscode/node_modules.asar symlink'],
    [path.join(vs, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'), 'node-pty native module'],
    [path.join(vs, 'node_modules', '@vscode', 'spdlog', 'build', 'Release', 'spdlog.node'), '@vscode/spdlog native module'],
    [path.join(vs, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'), '@vscode/ripgrep binary'],
    [path.join(vs, 'extensions', 'node_modules'), 'lib/vscode/extensions dependencies'],
    [path.join(pkgDir, 'lib', 'vscode', 'bin', 'remote-cli', 'code-server'), 'remote CLI symlink'],
  ];
  return want.filter(([p]) => !fs.existsSync(p)).map(([, what]) => what);
}

/** Packages with install scripts in a vendored lockfile (code-server ships npm-shrinkwrap.json files). */
function scriptedPackages(lockFile) {
  if (!fs.existsSync(lockFile)) return [];
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  return Object.entries(lock.packages ?? {})
    .filter(([k, v]) => k && v.hasInstallScript && k.includes('node_modules/'))
    .map(([k, v]) => `${k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${v.version}`);
}

/** npm ≥ 11 runs dependency install scripts only when approved: approve exactly the vendored ones. */
function approveScripts(dir) {
  const pj = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
  pkg.allowScripts = Object.fromEntries(scriptedPackages(path.join(dir, 'npm-shrinkwrap.json')).map((p) => [p, true]));
  fs.writeFileSync(pj, JSON.stringify(pkg, null, 2) + '\n');
}

function seedRipgrep(tmpdir) {
  const dir = path.join(tmpdir, RIPGREP_CACHE);
  const asset = path.join(dir, RIPGREP_ASSET);
  if (fs.existsSync(asset)) return;
  if (!fs.existsSync('/usr/bin/rg')) throw new Error('/usr/bin/rg missing: apt-get install ripgrep (see .ci/run)');
  fs.mkdirSync(dir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(tmpdir, 'rg-'));
  fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const r = spawnSync('tar', ['-C', stage, '-czf', asset, 'rg'], { stdio: 'inherit' });
  fs.rmSync(stage, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('could not pre-seed the ripgrep cache');
}

function installEnv(tmpdir) {
  return {
    ...process.env,
    TMPDIR: tmpdir,
    // code-server's postinstall refuses to run as root without it (npm warns it is unknown; the script reads it).
    npm_config_unsafe_perm: 'true',
    // node-pty's build runs `npx node-gyp`.
    npm_config_yes: 'true',
    // Nested installs (lib/vscode, lib/vscode/extensions) must run their native builds.
    npm_config_ignore_scripts: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** Installs code-server into .vscode-test/code-server unless a verified install is already there. */
export function ensureCodeServer() {
  if (fs.existsSync(marker) && fs.existsSync(codeServerEntry) && postinstallProblems().length === 0) return codeServerEntry;
  const t0 = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(root, installDir)} (first run only, ~2 min)`);
  for (const cmd of ['/usr/bin/chromium', '/usr/bin/rg']) {
    if (!fs.existsSync(cmd)) throw new Error(`${cmd} missing: apt-get install chromium libkrb5-dev pkg-config ripgrep (see .ci/run)`);
  }
  fs.rmSync(installDir, { recursive: true, force: true });
  fs.mkdirSync(installDir, { recursive: true });
  const tmpdir = path.join(base, 'tmp');
  fs.mkdirSync(tmpdir, { recursive: true });
  seedRipgrep(tmpdir);
  // Its own little project, so code-server is never a dependency of ours; the two packages with install
  // scripts at this level are approved by pinned version.
  fs.writeFileSync(
    path.join(installDir, 'package.json'),
    JSON.stringify(
      {
        name: 'ascend-adapt-code-server',
        private: true,
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, 'argon2@0.31.2': true },
      },
      null,
      2,
    ) + '\n',
  );
  const env = installEnv(tmpdir);
  const r = spawnSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: installDir, env, encoding: 'utf8' });
  process.stderr.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0) throw new Error(`npm install code-server failed (exit ${r.status})`);
  let missing = postinstallProblems();
  if (missing.length) {
    // npm did not run code-server's postinstall (install scripts blocked by policy) or it stopped short:
    // approve the vendored packages' scripts in lib/vscode and lib/vscode/extensions and run it ourselves.
    log(`postinstall did not complete (${missing.join(', ')}); running it explicitly`);
    approveScripts(path.join(pkgDir, 'lib', 'vscode'));
    approveScripts(path.join(pkgDir, 'lib', 'vscode', 'extensions'));
    const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const p = spawnSync('sh', ['./postinstall.sh'], {
      cwd: pkgDir,
      stdio: 'inherit',
      env: { ...env, npm_config_user_agent: `npm/${npmVersion} node/${process.version} ${process.platform} ${process.arch}` },
    });
    if (p.status !== 0) throw new Error(`code-server postinstall failed (exit ${p.status})`);
    missing = postinstallProblems();
    if (missing.length) throw new Error(`code-server install incomplete: ${missing.join(', ')}`);
  }
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return codeServerEntry;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server in its own session and process group (Node's `detached` calls setsid) on a free port,
 * with throwaway XDG/user-data/extensions folders. `stop()` ends the whole group: a plain kill would leave
 * the file watcher and extension host behind.
 */
export async function startCodeServer({ folder, extensionsDir, userSettings = {}, env = {}, logFile }) {
  const entry = ensureCodeServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-cs-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extDir = extensionsDir ?? path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'security.workspace.trust.enabled': false,
        'window.commandCenter': false,
        ...userSettings,
      },
      null,
      2,
    ),
  );
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const port = await freePort();
  const args = [
    entry,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--config', config,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    folder,
  ];
  const out = fs.openSync(logFile ?? path.join(tmp, 'code-server.log'), 'a');
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
      ...env,
    },
  });
  fs.closeSync(out);
  let exited = false;
  child.on('exit', () => { exited = true; });
  const url = `http://127.0.0.1:${port}`;
  // Ready when /healthz answers (well under a second here); give up if the process dies first.
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`code-server exited during start; log: ${logFile ?? path.join(tmp, 'code-server.log')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 600) throw new Error('code-server did not answer /healthz within 60 s');
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    port,
    url,
    tmp,
    userDataDir,
    extensionsDir: extDir,
    pid: child.pid,
    async stop() {
      for (const sig of ['SIGTERM', 'SIGKILL']) {
        try {
          process.kill(-child.pid, sig);
        } catch {
          break; // group gone
        }
        for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((res) => setTimeout(res, 100));
        if (!groupAlive(child.pid)) break;
      }
      fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `code-server --install-extension VSIX` into the given extensions folder (no server needed). */
export function installExtension(vsix, extensionsDir) {
  const entry = ensureCodeServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-csx-'));
  const r = spawnSync(process.execPath, [entry, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(tmp, 'ud'), '--install-extension', vsix, '--force'], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'c'), XDG_DATA_HOME: path.join(tmp, 'd'), XDG_CACHE_HOME: path.join(tmp, 'k') },
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`installing ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}
