// The ssh transport against a real OpenSSH server on 127.0.0.1 (test/harness/sshd.ts): logins, host keys,
// ProxyJump, argv/env fidelity, channels, port forwarding, reconnect. No mocks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { currentLanguage, inLanguage } from '../../src/core/l10n';
import { hashHostName } from '../../src/core/hosts/known-hosts';
import { HostManager, type HostStateEvent } from '../../src/core/hosts/manager';
import { SshError, SshTransport, type SshCallbacks } from '../../src/core/transport/ssh';
import { makeKey, sshdAvailable, startSshd, writeClientFiles, type Sshd } from '../harness/sshd';

const skip = sshdAvailable();
const ARGV_PY = 'import sys,json;print(json.dumps(sys.argv[1:]))';

function transportFor(configText: string, alias: string, knownHosts: string, callbacks: SshCallbacks = {}, extra: Partial<ConstructorParameters<typeof SshTransport>[1]> = {}) {
  const host = SshConfigFile.fromText(configText).resolve(alias);
  return new SshTransport(host, { callbacks, knownHosts: { files: [knownHosts] }, reconnect: { maxAttempts: 0 }, ...extra });
}

function hostBlock(sshd: Sshd, lines: string[]): string {
  return ['Host t', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, ...lines.map((l) => `  ${l}`)].join('\n') + '\n';
}

async function expectSshError(p: Promise<unknown>, kind: string, re: RegExp): Promise<SshError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SshError, `expected SshError, got ${(e as Error).stack}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, re);
    return e;
  }
  assert.fail('expected the connection to be refused');
}

describe('ssh transport against a real sshd', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  let known: string;

  before(async () => {
    sshd = await startSshd({ bastion: true, password: 'correct horse' });
    dir = fs.mkdtempSync('/tmp/aa-ssht-');
    known = path.join(dir, 'known_hosts');
    fs.writeFileSync(known, `${sshd.hostKeyLine}\n${sshd.bastion!.hostKeyLine}\n`);
  });
  after(async () => {
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with a key file (IdentityFile, IdentitiesOnly) and runs a command', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentitiesOnly yes', 'IdentityAgent none']), 't', known);
    const states: string[] = [];
    t.on('state', (s: string) => states.push(s));
    await t.connect();
    const r = await t.exec(['id', '-un']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString().trim(), sshd.user);
    await t.close();
    assert.deepEqual(states, ['connecting', 'connected', 'disconnected']);
  });

  it('runs exec callbacks in the caller\'s language, not the connection\'s', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentitiesOnly yes', 'IdentityAgent none']), 't', known);
    // Connected while speaking zh-CN (e.g. the CLI opening the host), then used for a run that stores English.
    await inLanguage('zh-CN', () => t.connect());
    const seen: string[] = [];
    const r = await inLanguage('en', () => t.exec(['echo', 'x'], { onStdout: () => seen.push(currentLanguage()) }));
    assert.equal(r.stdout.toString(), 'x\n');
    assert.deepEqual(seen, ['en']);
    await t.close();
  });

  it('logs in through a real ssh-agent holding a key that exists nowhere else', async () => {
    const sock = path.join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      const k = makeKey(dir, 'agent_only');
      sshd.authorize(k.publicKey);
      const add = spawnSync('ssh-add', [k.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      assert.equal(add.status, 0, add.stderr);
      fs.rmSync(k.keyPath);
      fs.rmSync(`${k.keyPath}.pub`);
      const t = transportFor(hostBlock(sshd, [`IdentityAgent ${sock}`, `IdentityFile ${path.join(dir, 'does-not-exist')}`, 'PasswordAuthentication no']), 't', known);
      await t.connect();
      assert.equal((await t.exec(['echo', 'agent-ok'])).stdout.toString(), 'agent-ok\n');
      await t.close();
    } finally {
      agent.kill();
    }
  });

  it('a wrong password gives a clear "password rejected" error; the right one works and is reported as accepted', async () => {
    const cfg = hostBlock(sshd, ['IdentityAgent none', `IdentityFile ${path.join(dir, 'none')}`, 'NumberOfPasswordPrompts 2']);
    const asked: number[] = [];
    const results: boolean[] = [];
    const bad = transportFor(cfg, 't', known, {
      askPassword: async ({ attempt }) => { asked.push(attempt); return 'wrong'; },
      onSecretResult: (r) => results.push(r.accepted),
    });
    const err = await expectSshError(bad.connect(), 'auth', /permission denied/i);
    assert.match(err.message, /password rejected/);
    assert.doesNotMatch(err.message, /wrong/); // the secret itself never appears
    assert.deepEqual(asked, [1, 2]);
    assert.deepEqual(results, [false, false]);
    const good = transportFor(cfg, 't', known, {
      askPassword: async () => 'correct horse',
      onSecretResult: (r) => results.push(r.accepted),
    });
    await good.connect();
    assert.equal((await good.exec(['true'])).code, 0);
    assert.equal(results.at(-1), true);
    await good.close();
  });

  it('a passphrase-locked key without a passphrase is a clear error; with it the login works', async () => {
    const k = makeKey(dir, 'locked', 's3cret phrase');
    sshd.authorize(k.publicKey);
    const cfg = hostBlock(sshd, ['IdentityAgent none', `IdentityFile ${k.keyPath}`, 'PasswordAuthentication no']);
    const err = await expectSshError(transportFor(cfg, 't', known).connect(), 'auth', /protected by a passphrase and none was given/);
    assert.ok(err.message.includes(k.keyPath));
    const wrong = transportFor(cfg, 't', known, { askPassphrase: async () => 'nope' });
    await expectSshError(wrong.connect(), 'auth', /wrong passphrase/);
    const asked: string[] = [];
    const t = transportFor(cfg, 't', known, { askPassphrase: async ({ keyPath }) => { asked.push(keyPath); return 's3cret phrase'; } });
    await t.connect();
    assert.deepEqual(asked, [k.keyPath]);
    assert.equal((await t.exec(['true'])).code, 0);
    await t.close();
  });

  it('goes through a bastion with ProxyJump (each hop checked against known_hosts)', async () => {
    const files = writeClientFiles(sshd, { dir: fs.mkdtempSync(path.join(dir, 'pj-')), viaBastion: true });
    const host = SshConfigFile.load(files.configPath).resolve(files.alias);
    assert.equal(host.proxyJump.length, 1);
    assert.equal(host.proxyJump[0].port, sshd.bastion!.port);
    const before = (sshd.bastion!.log().match(/Connection from/g) ?? []).length;
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    const r = await t.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
    await t.close();
    assert.equal(r.code, 0);
    assert.ok((sshd.bastion!.log().match(/Connection from/g) ?? []).length > before, 'the bastion saw a connection');
    assert.match(r.stdout.toString(), new RegExp(` ${sshd.port}\\n$`), 'the command ran on the target sshd');
    // The bastion's key must be trusted too: with only the target's key known, the jump is refused.
    fs.writeFileSync(files.knownHostsPath, sshd.hostKeyLine + '\n');
    const t2 = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await expectSshError(t2.connect(), 'host-key-unknown', new RegExp(`\\[127\\.0\\.0\\.1\\]:${sshd.bastion!.port}`));
  });

  it('goes through a ProxyCommand (OpenSSH ssh -W via the bastion)', async () => {
    const files = writeClientFiles(sshd, { dir: fs.mkdtempSync(path.join(dir, 'pc-')), viaBastion: false });
    fs.appendFileSync(files.configPath, `\nHost via-pc\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.keyPath}\n` +
      `  ProxyCommand ssh -F ${files.configPath} -o BatchMode=yes -W %h:%p ${files.alias}-bastion\n`);
    const host = SshConfigFile.load(files.configPath).resolve('via-pc');
    assert.equal(host.proxyCommand, `ssh -F ${files.configPath} -o BatchMode=yes -W 127.0.0.1:${sshd.port} ${files.alias}-bastion`);
    const before = (sshd.bastion!.log().match(/Connection from/g) ?? []).length;
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    assert.equal((await t.exec(['echo', 'proxied'])).stdout.toString(), 'proxied\n');
    await t.close();
    assert.ok((sshd.bastion!.log().match(/Connection from/g) ?? []).length > before, 'the bastion carried it');
    const proxies = () => fs.readdirSync('/proc').filter((e) => {
      try { return /^\d+$/.test(e) && fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(`-W\u0000127.0.0.1:${sshd.port}`); } catch { return false; }
    });
    for (let i = 0; i < 100 && proxies().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(proxies(), [], 'the ProxyCommand ended with the connection');
  });

  it('refuses an unknown host key unless trusted; the trusted key is appended and then known', async () => {
    const kh = path.join(dir, 'kh-unknown');
    fs.writeFileSync(kh, '');
    const cfg = hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']);
    const e = await expectSshError(transportFor(cfg, 't', kh).connect(), 'host-key-unknown', /not known/);
    assert.ok(e.message.includes(sshd.hostFingerprint), 'the message shows the SHA256 fingerprint');
    assert.equal(e.hostKey?.fingerprint, sshd.hostFingerprint);
    assert.equal(fs.readFileSync(kh, 'utf8'), '');
    const seen: string[] = [];
    const t = transportFor(cfg, 't', kh, { onUnknownHostKey: async (info) => { seen.push(info.fingerprint); return true; } });
    await t.connect();
    await t.close();
    assert.deepEqual(seen, [sshd.hostFingerprint]);
    assert.equal(fs.readFileSync(kh, 'utf8'), `${sshd.hostKeyLine}\n`);
    // OpenSSH agrees with what was written.
    assert.equal(spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', kh]).status, 0);
    const again = transportFor(cfg, 't', kh, { onUnknownHostKey: async () => assert.fail('must not ask again') });
    await again.connect();
    await again.close();
  });

  it('accepts a hashed |1| known_hosts entry and names its line when the key differs', async () => {
    const kh = path.join(dir, 'kh-hashed');
    const name = `[127.0.0.1]:${sshd.port}`;
    const [type, b64] = sshd.hostKey.split(' ');
    fs.writeFileSync(kh, `# comment\n${hashHostName(name)} ${type} ${b64}\n`);
    const cfg = hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']);
    const t = transportFor(cfg, 't', kh);
    await t.connect();
    await t.close();
    const other = makeKey(dir, 'not-the-host-key').publicKey.split(' ');
    fs.writeFileSync(kh, `# comment\n\n${hashHostName(name)} ${other[0]} ${other[1]}\n`);
    await expectSshError(transportFor(cfg, 't', kh, { onUnknownHostKey: async () => true }).connect(), 'host-key-changed', new RegExp(`${kh}:3`));
  });

  it('runs a hostile argv corpus byte for byte, and nothing else', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known);
    const pwned = path.join(sshd.home, 'pwned');
    const corpus = [
      "it's", '"double"', "'", "''", '\\', '\\\'', '$(touch ~/pwned)', '`touch ~/pwned`', '${HOME}', '$HOME',
      '; touch ~/pwned', '| touch ~/pwned', '&& touch ~/pwned', '|| true', '> ~/pwned', '< /etc/passwd',
      'a\nb', '\ntouch ~/pwned\n', '\r\n', '\t', ' ', '', '*', '?', '[a-z]*', '~', '~root', '-n', '--', '-e',
      '--help', '!', '!!', '#not a comment', '%s%n', 'пример', '中文参数', '😀', 'é', '\u00a0', '\u202e',
      'x'.repeat(5000), "a'b\"c$d`e\\f",
    ];
    const r = await t.exec(['python3', '-c', ARGV_PY, ...corpus]);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.deepEqual(JSON.parse(r.stdout.toString()), corpus);
    // A leading "-" is the program's argv[0]-level first argument too.
    const r2 = await t.exec(['printf', '%s|', '-n', '-e', '--']);
    assert.equal(r2.stdout.toString(), '-n|-e|--|');
    assert.equal(fs.existsSync(pwned), false, 'no injected command ran');
    await t.close();
  });

  it('passes environment variables literally', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known);
    const env = { A_DOLLAR: '$(touch ~/pwned-env)', B_QUOTE: "it's \"q\"", C_NL: 'line1\nline2', D_GLOB: '*', E_EMPTY: '', F_UNI: '昇腾 910B', G_BT: '`id`' };
    const r = await t.exec(['python3', '-c', 'import os,json,sys;print(json.dumps({k:os.environ.get(k) for k in sys.argv[1:]}))', ...Object.keys(env)], { env, cwd: '/tmp' });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.deepEqual(JSON.parse(r.stdout.toString()), env);
    assert.equal(fs.existsSync(path.join(sshd.home, 'pwned-env')), false);
    await assert.rejects(t.exec(['true'], { env: { 'BAD;NAME': 'x' } }), /invalid environment variable name/);
    await t.close();
  });

  it('runs many channels over one connection (more than sshd MaxSessions at once), with stdin and exit codes', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known);
    const rs = await Promise.all(Array.from({ length: 24 }, (_, i) => t.exec(['sh', '-c', `cat; exit ${i % 5}`], { stdin: `in-${i}` })));
    rs.forEach((r, i) => {
      assert.equal(r.code, i % 5);
      assert.equal(r.stdout.toString(), `in-${i}`);
    });
    const connections = (sshd.log().match(/Accepted publickey/g) ?? []).length;
    await t.exec(['true']);
    assert.equal((sshd.log().match(/Accepted publickey/g) ?? []).length, connections, 'no new login for another command');
    await t.close();
  });

  it('a timeout stops the remote command (signal through the channel)', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known);
    let pid = 0;
    const r = await t.exec(['sh', '-c', 'echo $$; exec sleep 30'], { timeoutMs: 500, onStdout: (b) => { pid ||= Number(b.toString().trim()); } });
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(pid > 0);
    const alive = () => { try { return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(alive(), false, 'the remote sleep is gone');
    await t.close();
  });

  it('forwards a local port to a server bound to 127.0.0.1 on the host', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known);
    const serve = 'import http.server,socketserver,sys\nclass H(http.server.BaseHTTPRequestHandler):\n def do_GET(s):\n  b=("hello from "+s.client_address[0]+" "+s.path).encode()\n  s.send_response(200);s.send_header("Content-Length",str(len(b)));s.end_headers();s.wfile.write(b)\n def log_message(s,*a): pass\nsrv=socketserver.TCPServer(("127.0.0.1",0),H)\nprint(srv.server_address[1],flush=True)\nsrv.serve_forever()\n';
    let port = 0;
    const ac = new AbortController();
    const running = t.exec(['python3', '-c', serve], { signal: ac.signal, onStdout: (b) => { port ||= Number(b.toString().trim()); } });
    while (!port) await new Promise((r) => setTimeout(r, 20));
    const fwd = await t.forwardPort(port);
    assert.notEqual(fwd.localPort, port);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: fwd.localPort, path: '/v1/models' }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    assert.equal(body, 'hello from 127.0.0.1 /v1/models');
    await fwd.close();
    ac.abort();
    const r = await running;
    assert.equal(r.signal, 'SIGTERM');
    await t.close();
  });

  it('reconnects after the link drops: connecting → connected → reconnecting → connected', async () => {
    const files = writeClientFiles(sshd, { dir: fs.mkdtempSync(path.join(dir, 'rc-')), viaBastion: false });
    const hm = new HostManager({ sshConfigPath: files.configPath, knownHostsFile: files.knownHostsPath, reconnect: { initialDelayMs: 50 } });
    const events: HostStateEvent[] = [];
    hm.on('state', (e: HostStateEvent) => events.push(e));
    const t = await hm.connect(files.alias);
    assert.equal(hm.transport(files.alias), t, 'one transport per host');
    assert.equal((await t.exec(['echo', '1'])).stdout.toString(), '1\n');
    const reconnected = new Promise<void>((r) => hm.on('state', (e: HostStateEvent) => { if (e.state === 'connected') r(); }));
    t.simulateLinkDrop();
    await reconnected;
    assert.equal((await t.exec(['echo', '2'])).stdout.toString(), '2\n');
    assert.deepEqual(events.map((e) => e.state), ['connecting', 'connected', 'reconnecting', 'connected']);
    assert.equal(events[2].attempt, 1);
    assert.equal(hm.state(files.alias), 'connected');
    await hm.dispose();
  });

  it('reconnects after the server side kills the session, and a command issued meanwhile waits for it', async () => {
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known, {}, { reconnect: { initialDelayMs: 50 } });
    await t.connect();
    const states: string[] = [];
    t.on('state', (s: string) => states.push(s));
    // Kill the per-connection sshd process that holds this link (the server end: "sshd: USER@notty").
    const r = await t.exec(['sh', '-c', 'echo $PPID']);
    const netChild = Number(r.stdout.toString().trim());
    assert.match(fs.readFileSync(`/proc/${netChild}/cmdline`, 'utf8'), /sshd/);
    const dropped = new Promise<void>((res) => t.once('state', () => res()));
    process.kill(netChild, 'SIGKILL');
    await dropped;
    const after = await t.exec(['echo', 'back']);
    assert.equal(after.stdout.toString(), 'back\n');
    assert.deepEqual(states, ['reconnecting', 'connected']);
    await t.close();
  });

  it('HostManager: a host added in settings connects; the unknown-key callback decides, and a refusal is clear', async () => {
    const empty = path.join(dir, 'empty_config');
    fs.writeFileSync(empty, '');
    const kh = path.join(dir, 'kh-manager');
    fs.writeFileSync(kh, '');
    const answers = [false, true];
    const asked: string[] = [];
    const hm = new HostManager({
      sshConfigPath: empty, knownHostsFile: kh,
      extraHosts: [{ alias: 'lab', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.keyPath }],
      callbacks: { onUnknownHostKey: async (info) => { asked.push(`${info.alias} ${info.fingerprint}`); return answers.shift()!; } },
    });
    assert.deepEqual(hm.hosts().map((h) => [h.alias, h.port]), [['lab', sshd.port]]);
    const events: string[] = [];
    hm.on('state', (e: HostStateEvent) => events.push(`${e.state}${e.error ? `:${(e.error as SshError).kind}` : ''}`));
    await expectSshError(hm.connect('lab'), 'host-key-unknown', /not known/);
    assert.equal(hm.state('lab'), 'failed');
    const t = await hm.connect('lab');
    assert.equal((await t.exec(['echo', 'lab'])).stdout.toString(), 'lab\n');
    assert.deepEqual(asked, [`lab ${sshd.hostFingerprint}`, `lab ${sshd.hostFingerprint}`]);
    assert.deepEqual(events, ['connecting', 'failed:host-key-unknown', 'connecting', 'connected']);
    await hm.disconnect('lab');
    assert.equal(hm.state('lab'), 'disconnected');
    await hm.dispose();
  });

  it('reports a connection refused as a connect error (no retry loop on first connect)', async () => {
    const cfg = ['Host gone', '  HostName 127.0.0.1', '  Port 1', `  User ${sshd.user}`].join('\n');
    await expectSshError(transportFor(cfg, 'gone', known).connect(), 'connect', /ECONNREFUSED/);
  });
});

describe('ssh transport: a host whose key changes while connected', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync('/tmp/aa-sshrot-');
  });
  after(async () => {
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not reconnect to a changed key: the state ends in failed and commands are refused', async () => {
    const known = path.join(dir, 'known_hosts');
    fs.writeFileSync(known, sshd.hostKeyLine + '\n');
    const t = transportFor(hostBlock(sshd, [`IdentityFile ${sshd.keyPath}`, 'IdentityAgent none']), 't', known,
      { onUnknownHostKey: async () => assert.fail('a changed key is never offered for trust') },
      { reconnect: { initialDelayMs: 50, maxAttempts: 20 } });
    await t.connect();
    const states: string[] = [];
    const failed = new Promise<void>((res) => t.on('state', (s: string) => { states.push(s); if (s === 'failed') res(); }));
    const oldFingerprint = sshd.hostFingerprint;
    const knownBefore = fs.readFileSync(known, 'utf8');
    await sshd.rotateHostKey(); // the listener restarts on the same port with a new key…
    t.simulateLinkDrop(); // …and the link drops (the running session would otherwise outlive the listener)
    await failed;
    assert.notEqual(sshd.hostFingerprint, oldFingerprint);
    assert.equal(states[0], 'reconnecting');
    assert.equal(states.includes('connected'), false);
    assert.ok(t.error instanceof SshError && t.error.kind === 'host-key-changed', String(t.error));
    await assert.rejects(t.exec(['true']), /HOST KEY CHANGED/);
    assert.equal(fs.readFileSync(known, 'utf8'), knownBefore, 'known_hosts untouched');
    await t.close();
  });
});
