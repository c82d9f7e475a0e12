// ssh_config resolution (Include, first match wins, tokens, ProxyJump chains) and known_hosts handling,
// checked against OpenSSH's own tools (ssh -G, ssh-keygen -H / -F / -l) where they have an answer.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { appendHostKey, checkHostKey, fingerprintSha256, hostFieldMatches, knownKeyTypes } from '../../src/core/hosts/known-hosts';
import { HostManager } from '../../src/core/hosts/manager';

const hasSsh = spawnSync('ssh', ['-V']).error === undefined;

function sshG(config: string, host: string): Record<string, string> {
  const r = spawnSync('ssh', ['-G', '-F', config, host], { encoding: 'utf8', env: { ...process.env, HOME: path.dirname(path.dirname(config)) } });
  const out: Record<string, string> = {};
  for (const l of r.stdout.split('\n')) {
    const i = l.indexOf(' ');
    if (i > 0 && !(l.slice(0, i) in out)) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

describe('ssh_config resolution', () => {
  let home: string;
  let oldHome: string | undefined;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-sshcfg-home-'));
    oldHome = process.env.HOME;
    process.env.HOME = home;
    const ssh = path.join(home, '.ssh');
    fs.mkdirSync(path.join(ssh, 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(ssh, 'config'), [
      'Include conf.d/*.conf',
      '',
      'Host atlas-*',
      '  User hw',
      '  IdentityFile ~/.ssh/id_atlas_%h',
      '  ServerAliveInterval 20',
      '',
      'Host atlas-01',
      '  HostName 10.0.0.11',
      '  Port 2222',
      '  User ignored-first-match-wins',
      '  ProxyJump bastion,jump2',
      '  Include nested.inc',
      '',
      'Host bastion',
      '  HostName bastion.example',
      '  User ops',
      '',
      'Host *',
      '  UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2',
      '  HashKnownHosts yes',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(ssh, 'conf.d', '10-jump.conf'), 'Host jump2\n  HostName 192.0.2.5\n  Port 2200\n  User j\n');
    fs.writeFileSync(path.join(ssh, 'conf.d', 'ignored.txt'), 'Host never\n  HostName nope\n');
    fs.writeFileSync(path.join(ssh, 'nested.inc'), 'IdentitiesOnly yes\nConnectTimeout 7\n');
  });
  after(() => {
    process.env.HOME = oldHome;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('follows Include (glob, relative to ~/.ssh, inside a Host block) and first-match-wins', () => {
    const cfg = SshConfigFile.load();
    const h = cfg.resolve('atlas-01');
    assert.equal(h.hostname, '10.0.0.11');
    assert.equal(h.port, 2222);
    assert.equal(h.user, 'hw');
    assert.deepEqual(h.identityFiles, [path.join(home, '.ssh', 'id_atlas_10.0.0.11')]);
    assert.equal(h.identitiesOnly, true, 'from nested.inc, included inside Host atlas-01');
    assert.equal(h.connectTimeoutS, 7);
    assert.equal(h.serverAliveIntervalS, 20);
    assert.deepEqual(h.userKnownHostsFiles, [path.join(home, '.ssh', 'kh1'), path.join(home, '.ssh', 'kh2')]);
    assert.equal(h.hashKnownHosts, true);
    assert.deepEqual(h.proxyJump.map((j) => `${j.user}@${j.hostname}:${j.port}`), ['ops@bastion.example:22', 'j@192.0.2.5:2200']);
    assert.equal(cfg.resolve('atlas-02').identitiesOnly, false, 'the nested include applies to atlas-01 only');
    assert.deepEqual(cfg.hosts().map((x) => x.alias), ['jump2', 'atlas-01', 'bastion']);
    assert.match(cfg.hosts()[1].source, /config:8$/);
  });

  it('agrees with ssh -G on the values both compute', { skip: !hasSsh && 'no ssh client' }, () => {
    const file = path.join(home, '.ssh', 'config');
    const cfg = SshConfigFile.load(file);
    for (const alias of ['atlas-01', 'atlas-02', 'bastion', 'jump2']) {
      const g = sshG(file, alias);
      const h = cfg.resolve(alias);
      assert.equal(h.hostname, g.hostname, alias);
      assert.equal(String(h.port), g.port, alias);
      assert.equal(h.user, g.user, alias);
      if (g.proxyjump) assert.equal(h.proxyJump.length, g.proxyjump.split(',').length, alias);
    }
  });

  it('parses user@host:port targets and the defaults OpenSSH uses', () => {
    const cfg = SshConfigFile.fromText('Host x\n  HostName 1.2.3.4\n');
    const h = cfg.resolve('root@x:2022');
    assert.deepEqual([h.user, h.hostname, h.port], ['root', '1.2.3.4', 2022]);
    assert.equal(h.identitiesOnly, false);
    assert.equal(h.identityFilesExplicit, false);
    assert.ok(h.identityFiles.some((f) => f.endsWith('id_ed25519')));
    assert.equal(h.strictHostKeyChecking, 'ask');
  });

  it('lists a host with a bad value with its error instead of failing the whole list', () => {
    const cfg = SshConfigFile.fromText('Host good\n  HostName 1.2.3.4\nHost bad\n  Port 99999\n');
    const hosts = cfg.hosts();
    assert.deepEqual(hosts.map((x) => [x.alias, x.error === undefined]), [['good', true], ['bad', false]]);
    assert.match(hosts[1].error ?? '', /bad Port/);
  });

  it('rejects values from settings that would inject config lines', () => {
    assert.throws(() => new HostManager({ sshConfigPath: path.join(home, '.ssh', 'config'), extraHosts: [{ alias: 'a', hostname: 'h\nProxyCommand evil' }] }), /invalid host setting/);
    const hm = new HostManager({ sshConfigPath: path.join(home, '.ssh', 'config'), extraHosts: [{ alias: 'lab', hostname: '10.1.1.1', user: 'me', port: 2201 }, { alias: 'bastion', hostname: 'shadowed' }] });
    assert.equal(hm.resolve('lab').port, 2201);
    assert.equal(hm.resolve('bastion').hostname, 'bastion.example', '~/.ssh/config wins over settings for the same alias');
  });
});

describe('known_hosts', () => {
  let dir: string;
  let pub: string;
  let blob: Buffer;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-kh-'));
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')]);
    pub = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8').trim();
    blob = Buffer.from(pub.split(' ')[1], 'base64');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('computes the fingerprint exactly as ssh-keygen -l', () => {
    const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'k.pub')], { encoding: 'utf8' });
    assert.equal(fingerprintSha256(blob), r.stdout.split(' ')[1]);
  });

  it('matches entries hashed by ssh-keygen -H, plain lists, patterns and negation', () => {
    const file = path.join(dir, 'kh');
    fs.writeFileSync(file, `[10.0.0.1]:2222,atlas-01 ${pub.split(' ').slice(0, 2).join(' ')}\n`);
    spawnSync('ssh-keygen', ['-H', '-f', file]);
    const hashed = fs.readFileSync(file, 'utf8');
    assert.match(hashed, /^\|1\|/);
    assert.equal(checkHostKey([file], '10.0.0.1', 2222, blob).status, 'known');
    assert.equal(checkHostKey([file], 'atlas-01', 22, blob).status, 'known');
    assert.equal(checkHostKey([file], '10.0.0.1', 22, blob).status, 'unknown', 'port 22 is the bare name, not [host]:22');
    assert.equal(hostFieldMatches('*.lab,!bad.lab', 'n1.lab'), true);
    assert.equal(hostFieldMatches('*.lab,!bad.lab', 'bad.lab'), false);
    assert.equal(hostFieldMatches('n?.lab', 'n1.lab'), true);
  });

  it('writes entries OpenSSH finds (plain and hashed) and reports the line', () => {
    const file = path.join(dir, 'sub', 'known_hosts');
    assert.deepEqual(appendHostKey(file, '10.0.0.2', 2200, blob), { file, line: 1 });
    fs.appendFileSync(file, '# no newline at end');
    assert.deepEqual(appendHostKey(file, 'atlas-02', 22, blob, true), { file, line: 3 });
    assert.equal(spawnSync('ssh-keygen', ['-F', '[10.0.0.2]:2200', '-f', file]).status, 0);
    assert.equal(spawnSync('ssh-keygen', ['-F', 'atlas-02', '-f', file]).status, 0);
    assert.equal((fs.statSync(file).mode & 0o777), 0o600);
    assert.deepEqual(knownKeyTypes([file], 'atlas-02', 22), ['ssh-ed25519']);
  });

  it('reports a changed key with the file and line, and honours @revoked', () => {
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const other = fs.readFileSync(path.join(dir, 'other.pub'), 'utf8').trim().split(' ');
    const file = path.join(dir, 'kh-changed');
    fs.writeFileSync(file, `# header\nunrelated ${other[0]} ${other[1]}\nhost1 ${other[0]} ${other[1]}\n`);
    const v = checkHostKey([file], 'host1', 22, blob);
    assert.deepEqual(v.status === 'changed' && [v.file, v.line, v.knownFingerprint], [file, 3, fingerprintSha256(Buffer.from(other[1], 'base64'))]);
    fs.writeFileSync(file, `host1 ${pub}\n@revoked * ${pub}\n`);
    assert.deepEqual(checkHostKey([file], 'host1', 22, blob), { status: 'revoked', file, line: 2 });
  });
});
