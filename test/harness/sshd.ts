/**
 * Test harness: a real OpenSSH server (Debian's /usr/sbin/sshd) on 127.0.0.1, with its own config, host
 * key and a throwaway non-root user — never touching /etc/ssh. Needs root (useradd) and openssh-server.
 *
 *   const sshd = await startSshd();                 // or startSshd({ bastion: true, password: 'pw' })
 *   sshd.port, sshd.user, sshd.keyPath, sshd.hostKeyLine, sshd.hostFingerprint
 *   const files = writeClientFiles(sshd, { alias: 'atlas' });   // ssh_config + known_hosts for the client
 *   ...
 *   await sshd.stop();                              // kills sshd + the user's processes, removes the user
 *
 * With `bastion: true` a second sshd (same user, same key) is started as `sshd.bastion`; the ssh_config
 * written by writeClientFiles then reaches the target through `ProxyJump <alias>-bastion`.
 * `sshdAvailable()` says whether these tests can run here (a reason string when not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Also start a second sshd (same user and key) to use as a ProxyJump bastion. */
  bastion?: boolean;
  /** Give the user this password and enable PasswordAuthentication. */
  password?: string;
  /** Login shell of the throwaway user (default /bin/bash, as on EulerOS/openEuler hosts). */
  shell?: string;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
  /** Run sshd inside this network namespace (see ./netns.ts), listening on `listenAddress`. */
  netns?: string;
  /** Default 127.0.0.1. */
  listenAddress?: string;
}

export interface SshdInstance {
  /** Address sshd listens on (127.0.0.1 unless listenAddress was given). */
  host: string;
  port: number;
  pid: number;
  /** sshd_config of this instance. */
  configPath: string;
  /** `ssh-ed25519 AAAA…` (public host key, no comment). */
  hostKey: string;
  hostKeyPath: string;
  /** The known_hosts line for this instance: `[HOST]:PORT ssh-ed25519 AAAA…`. */
  hostKeyLine: string;
  /** As `ssh-keygen -lf` prints it: `SHA256:…` (base64, no padding). */
  hostFingerprint: string;
  /** sshd's own log (-e), for diagnostics. */
  log(): string;
  /** Replace the host key with a fresh one and restart (same port): a "changed host key". */
  rotateHostKey(): Promise<void>;
  /** Kill this sshd (the user's sessions stay until Sshd.stop()). */
  kill(): Promise<void>;
}

export interface Sshd extends SshdInstance {
  user: string;
  uid: number;
  home: string;
  /** Temp dir holding config, keys, home. */
  dir: string;
  /** Private key (ed25519, no passphrase) that is authorized for `user`. */
  keyPath: string;
  publicKey: string;
  password?: string;
  bastion?: SshdInstance;
  /** Append a public key line to the user's authorized_keys. */
  authorize(publicKeyLine: string): void;
  /** Pids of processes still owned by the throwaway user. */
  userPids(): number[];
  stop(): Promise<void>;
}

/** Undefined when a real sshd can run here, else why not (so tests can skip with a reason). */
export function sshdAvailable(): string | undefined {
  if (!fs.existsSync(SSHD)) return `${SSHD} missing (apt-get install openssh-server)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the sshd harness needs root (useradd)';
  if (spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error) return 'ssh-keygen missing (openssh-client)';
  return undefined;
}

function run(cmd: string, args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** useradd/usermod/userdel lock /etc/passwd; concurrent harnesses (other test files) retry. */
async function withPasswdRetry(cmd: string, args: string[], input?: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const r = run(cmd, args, input);
    if (r.code === 0) return;
    last = `${cmd} ${args.join(' ')}: exit ${r.code}: ${r.err.trim()}`;
    if (!/lock|busy|try again/i.test(r.err)) break;
    await sleep(100 + Math.random() * 200);
  }
  throw new Error(last);
}

/** `SHA256:<base64 without padding>` of an OpenSSH public key line, as ssh-keygen -l prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Make an ed25519 key pair (optionally passphrase-protected); returns the private key path and public line. */
export function makeKey(dir: string, name: string, passphrase = ''): { keyPath: string; publicKey: string } {
  const keyPath = path.join(dir, name);
  const r = run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', keyPath]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.err}`);
  fs.chmodSync(keyPath, 0o600);
  return { keyPath, publicKey: fs.readFileSync(`${keyPath}.pub`, 'utf8').trim() };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on 127.0.0.1:port sends an SSH banner. */
async function waitForBanner(host: string, port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited early:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      let buf = '';
      const done = (v: boolean) => { s.destroy(); resolve(v); };
      s.setTimeout(1000, () => done(false));
      s.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes('SSH-2.0')) done(true); });
      s.on('error', () => done(false));
      s.on('close', () => resolve(buf.includes('SSH-2.0')));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`sshd on port ${port} never answered:\n${log()}`);
}

interface InstanceCtx {
  dir: string;
  name: string;
  user: string;
  authorizedKeys: string;
  password?: string;
  extra: string[];
  netns?: string;
  listen: string;
}

async function startInstance(ctx: InstanceCtx): Promise<SshdInstance & { kill(): Promise<void> }> {
  const hostKeyPath = path.join(ctx.dir, `${ctx.name}_host_ed25519`);
  const genHostKey = () => {
    fs.rmSync(hostKeyPath, { force: true });
    fs.rmSync(`${hostKeyPath}.pub`, { force: true });
    const r = run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', hostKeyPath]);
    if (r.code !== 0) throw new Error(`ssh-keygen (host key) failed: ${r.err}`);
  };
  genHostKey();
  const configPath = path.join(ctx.dir, `${ctx.name}_sshd_config`);
  let child!: ChildProcess;
  let logText = '';
  let port = 0;
  // `ip netns exec` execs sshd in place, so the child's pid is sshd's.
  const spawnSshd = () => ctx.netns
    ? spawn('ip', ['netns', 'exec', ctx.netns, SSHD, '-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });

  const launch = async () => {
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const config = [
        `Port ${port}`,
        `ListenAddress ${ctx.listen}`,
        `HostKey ${hostKeyPath}`,
        `PidFile ${path.join(ctx.dir, `${ctx.name}.pid`)}`,
        `AuthorizedKeysFile ${ctx.authorizedKeys}`,
        `AllowUsers ${ctx.user}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin no',
        'PubkeyAuthentication yes',
        `PasswordAuthentication ${ctx.password !== undefined ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        'PermitEmptyPasswords no',
        'AllowTcpForwarding yes',
        'AllowAgentForwarding no',
        'X11Forwarding no',
        'PrintMotd no',
        'PrintLastLog no',
        'UseDNS no',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        ...ctx.extra,
      ].join('\n') + '\n';
      fs.writeFileSync(configPath, config);
      const t = run(SSHD, ['-t', '-f', configPath]);
      if (t.code !== 0) throw new Error(`sshd -t rejected the config: ${t.err}\n${config}`);
      logText = '';
      child = spawnSshd();
      child.stderr!.on('data', (d: Buffer) => { logText += d.toString(); if (logText.length > 1_000_000) logText = logText.slice(-500_000); });
      try {
        await waitForBanner(ctx.listen, port, child, () => logText);
        return;
      } catch (e) {
        child.kill('SIGKILL');
        if (attempt < 5 && /Address already in use|Cannot bind/i.test(logText)) continue;
        throw e;
      }
    }
  };
  await launch();

  const hostKeyNow = () => fs.readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const inst = {
    host: ctx.listen,
    get port() { return port; },
    get pid() { return child.pid ?? -1; },
    configPath,
    get hostKey() { return hostKeyNow(); },
    hostKeyPath,
    get hostKeyLine() { return `[${ctx.listen}]:${port} ${hostKeyNow()}`; },
    get hostFingerprint() { return fingerprintOf(hostKeyNow()); },
    log: () => logText,
    kill,
    async rotateHostKey() {
      await kill();
      genHostKey();
      // Same port: clients must see the same [host]:port with a different key.
      const keepPort = port;
      fs.writeFileSync(configPath, fs.readFileSync(configPath, 'utf8').replace(/^Port \d+$/m, `Port ${keepPort}`));
      logText = '';
      child = spawnSshd();
      child.stderr!.on('data', (d: Buffer) => { logText += d.toString(); });
      await waitForBanner(ctx.listen, keepPort, child, () => logText);
    },
  };
  return inst;
}

const live = new Set<{ user: string; pids: () => number[]; dir: string }>();
let exitHook = false;
const COMMENT = 'ascend-adapt test pid=';

function cleanupLiveSync(): void {
  for (const e of live) {
    killPids(e.pids());
    for (let i = 0; i < 20 && spawnSync('userdel', [e.user], { stdio: 'ignore' }).status === 10; i++) spawnSync('sleep', ['0.1']);
    fs.rmSync(e.dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHooks(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', cleanupLiveSync);
  // A test process killed by a signal (runner timeout, Ctrl-C) still removes its users and daemons.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupLiveSync();
      process.exit(128 + (os.constants.signals[sig] ?? 0));
    });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove throwaway users (and their sshd daemons) left by harness processes that died without cleaning
 * up (SIGKILL). Only users this harness made (comment "ascend-adapt test pid=N") whose process N is gone.
 */
async function sweepStale(): Promise<void> {
  let passwd = '';
  try { passwd = fs.readFileSync('/etc/passwd', 'utf8'); } catch { return; }
  for (const line of passwd.split('\n')) {
    const [user, , uidText, , comment, home] = line.split(':');
    if (!user?.startsWith('aat') || !comment?.startsWith(COMMENT)) continue;
    const owner = Number(comment.slice(COMMENT.length));
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    const dir = path.dirname(home);
    if (!dir.startsWith(os.tmpdir()) || !path.basename(dir).startsWith('aa-sshd-')) continue;
    // sshd daemons started for that dir (root-owned) and the user's own processes.
    const daemons: number[] = [];
    for (const e of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(`${dir}/`)) daemons.push(Number(e));
      } catch { /* gone */ }
    }
    killPids([...daemons, ...pidsOfUser(Number(uidText))]);
    await sleep(100);
    await withPasswdRetry('userdel', [user]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pidsOfUser(uid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.statSync(`/proc/${e}`);
      if (st.uid === uid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

function killPids(pids: number[]): void {
  for (const p of pids) {
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** Start a real sshd (and optionally a bastion) with a throwaway user. Call stop() when done. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const why = sshdAvailable();
  if (why) throw new Error(why);
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await sweepStale();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-sshd-'));
  fs.chmodSync(dir, 0o711); // the user must traverse to its home
  const user = `aat${randomBytes(5).toString('hex')}`;
  const home = path.join(dir, 'home');
  await withPasswdRetry('useradd', ['-M', '-d', home, '-s', opts.shell ?? '/bin/bash', '-c', `${COMMENT}${process.pid}`, user]);
  const uid = Number(run('id', ['-u', user]).out.trim());
  const gid = Number(run('id', ['-g', user]).out.trim());
  const entry = { user, pids: () => pidsOfUser(uid), dir };
  live.add(entry);
  installExitHooks();
  const instances: Array<SshdInstance & { kill(): Promise<void> }> = [];
  try {
    // Unlocked without a usable password (UsePAM no refuses "!" accounts), or with the given password.
    await withPasswdRetry('usermod', ['-p', '*', user]);
    if (opts.password !== undefined) await withPasswdRetry('chpasswd', [], `${user}:${opts.password}\n`);
    fs.mkdirSync(home, { mode: 0o755 });
    fs.chownSync(home, uid, gid);
    const { keyPath, publicKey } = makeKey(dir, 'id_ed25519');
    const authorizedKeys = path.join(dir, 'authorized_keys');
    fs.writeFileSync(authorizedKeys, publicKey + '\n', { mode: 0o644 });
    fs.chownSync(authorizedKeys, uid, gid);
    const ctx: InstanceCtx = {
      dir, name: 'target', user, authorizedKeys, password: opts.password, extra: opts.extraConfig ?? [],
      netns: opts.netns, listen: opts.listenAddress ?? '127.0.0.1',
    };
    const main = await startInstance(ctx);
    instances.push(main);
    let bastion: (SshdInstance & { kill(): Promise<void> }) | undefined;
    if (opts.bastion) {
      bastion = await startInstance({ ...ctx, name: 'bastion', netns: undefined, listen: '127.0.0.1' });
      instances.push(bastion);
    }
    const sshd: Sshd = Object.assign(Object.create(null) as object, {
      user, uid, home, dir, keyPath, publicKey, password: opts.password, bastion,
      authorize(line: string) { fs.appendFileSync(authorizedKeys, line.trim() + '\n'); },
      userPids: () => pidsOfUser(uid),
      async stop() {
        for (const i of instances) await i.kill();
        for (let k = 0; k < 20; k++) {
          const left = pidsOfUser(uid);
          if (left.length === 0) break;
          killPids(left);
          await sleep(50);
        }
        await withPasswdRetry('userdel', [user]).catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
        live.delete(entry);
      },
    }) as Sshd;
    // Expose the target instance's fields on the handle itself.
    for (const k of ['host', 'port', 'pid', 'configPath', 'hostKey', 'hostKeyPath', 'hostKeyLine', 'hostFingerprint'] as const) {
      Object.defineProperty(sshd, k, { get: () => main[k], enumerable: true });
    }
    sshd.log = main.log;
    sshd.kill = main.kill;
    sshd.rotateHostKey = main.rotateHostKey;
    return sshd;
  } catch (e) {
    for (const i of instances) await i.kill();
    killPids(pidsOfUser(uid));
    await withPasswdRetry('userdel', [user]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
    throw e;
  }
}

export interface ClientFiles {
  /** Folder holding the files. */
  dir: string;
  configPath: string;
  knownHostsPath: string;
  /** Alias of the target in the ssh_config (and `${alias}-bastion` when a bastion runs). */
  alias: string;
}

/**
 * Write an ssh_config (Host ALIAS → the sshd, with IdentityFile and, with a bastion, ProxyJump) and a
 * known_hosts that trusts the instance(s). `trust: false` leaves known_hosts empty (an unknown host).
 * The config names that known_hosts in a trailing `Host *` block (UserKnownHostsFile) unless
 * `knownHostsInConfig: false`.
 */
export function writeClientFiles(
  sshd: Sshd,
  opts: { alias?: string; dir?: string; trust?: boolean; viaBastion?: boolean; identityFile?: string; extra?: string[]; knownHostsInConfig?: boolean } = {},
): ClientFiles {
  const alias = opts.alias ?? 'atlas';
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aa-sshcfg-'));
  const configPath = path.join(dir, 'ssh_config');
  const knownHostsPath = path.join(dir, 'known_hosts');
  const identity = opts.identityFile ?? sshd.keyPath;
  const viaBastion = opts.viaBastion ?? sshd.bastion !== undefined;
  const lines: string[] = [];
  if (sshd.bastion) {
    lines.push(`Host ${alias}-bastion`, `  HostName ${sshd.bastion.host}`, `  Port ${sshd.bastion.port}`, `  User ${sshd.user}`,
      `  IdentityFile ${identity}`, '  IdentitiesOnly yes', '');
  }
  lines.push(`Host ${alias}`, `  HostName ${sshd.host}`, `  Port ${sshd.port}`, `  User ${sshd.user}`,
    `  IdentityFile ${identity}`, '  IdentitiesOnly yes');
  if (viaBastion && sshd.bastion) lines.push(`  ProxyJump ${alias}-bastion`);
  for (const l of opts.extra ?? []) lines.push(`  ${l}`);
  // Self-contained: OpenSSH's ProxyJump child gets -F but not -o, so the file must name its known_hosts.
  if (opts.knownHostsInConfig !== false) lines.push('', 'Host *', `  UserKnownHostsFile ${knownHostsPath}`);
  fs.writeFileSync(configPath, lines.join('\n') + '\n');
  const known: string[] = [];
  if (opts.trust !== false) {
    known.push(sshd.hostKeyLine);
    if (sshd.bastion) known.push(sshd.bastion.hostKeyLine);
  }
  fs.writeFileSync(knownHostsPath, known.map((l) => l + '\n').join(''));
  return { dir, configPath, knownHostsPath, alias };
}
