// The sshd harness itself, checked with OpenSSH's own client: if these fail, every over-SSH test is moot.
import { spawn, spawnSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fingerprintOf, sshdAvailable, startSshd, writeClientFiles, type Sshd } from '../harness/sshd';

const skip = sshdAvailable();

describe('sshd harness', { skip }, () => {
  let sshd: Sshd;
  before(async () => { sshd = await startSshd({ bastion: true }); });
  after(async () => { await sshd?.stop(); });

  it('serves the throwaway user over key auth, checked by OpenSSH ssh against the written known_hosts', () => {
    const f = writeClientFiles(sshd, { viaBastion: false });
    const r = spawnSync('ssh', ['-F', f.configPath, '-o', `UserKnownHostsFile=${f.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes', f.alias, 'id', '-un'], { encoding: 'utf8' });
    assert.equal(r.stderr.includes('WARNING'), false, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), sshd.user);
    fs.rmSync(f.dir, { recursive: true, force: true });
  });

  it('reaches the target through the bastion with OpenSSH ProxyJump', () => {
    const f = writeClientFiles(sshd, { viaBastion: true });
    const r = spawnSync('ssh', ['-F', f.configPath, '-o', `UserKnownHostsFile=${f.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes', f.alias, 'echo', 'via-bastion'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'via-bastion');
    assert.match(sshd.bastion!.log(), /Connection from 127.0.0.1/);
    fs.rmSync(f.dir, { recursive: true, force: true });
  });

  it('reports the host key fingerprint exactly as ssh-keygen -l does', () => {
    const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeyPath}.pub`], { encoding: 'utf8' });
    assert.equal(r.stdout.split(/\s+/)[1], sshd.hostFingerprint);
    assert.equal(fingerprintOf(sshd.hostKey), sshd.hostFingerprint);
  });

  it('sweeps users and daemons left by a harness process that was SIGKILLed', async () => {
    const code = "const {startSshd}=require('./test/harness/sshd.ts');startSshd().then((s)=>{console.log(s.user+' '+s.dir+' '+s.pid)})";
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => { let b = ''; child.stdout!.on('data', (d) => { b += d; if (b.includes('\n')) resolve(b.trim()); }); });
    const [user, dir, sshdPid] = line.split(' ');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // (Another test file's harness may sweep it first: any harness start sweeps.)
    const next = await startSshd(); // sweeps on start
    await next.stop();
    assert.equal(spawnSync('id', [user]).status, 1, 'the stale user is gone');
    assert.equal(fs.existsSync(dir), false);
    // Killed is enough: a zombie waits for whoever reaps orphans here (pid 1 in a container may be slow to).
    assert.equal(running(Number(sshdPid)), false, 'its sshd is gone');
  });

  it('stop() removes the user and its home', async () => {
    const other = await startSshd();
    const { user, dir } = other;
    await other.stop();
    assert.equal(spawnSync('id', [user]).status, 1);
    assert.equal(fs.existsSync(dir), false);
  });
});

/** Whether pid is a live process (not gone, not a zombie). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
