// The CLI's SSH face against a real sshd: host-key policy (--accept-new, changed keys always refused),
// run (argv verbatim, exit code passed through), jobs start/list/logs/stop, hosts.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';

const skip = sshdAvailable();
const root = path.resolve(__dirname, '..', '..');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write(c, _e, cb) { f(c.toString()); cb(); } });
  const code = await main(args, {
    stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), cwd: process.cwd(), env: { ...process.env, ASCEND_ADAPT_LANG: 'en', ...env },
  });
  return { code, out, err };
}

describe('CLI over ssh', { skip }, () => {
  let sshd: Sshd;
  let f: ClientFiles;
  let common: string[];
  before(async () => {
    sshd = await startSshd();
    f = writeClientFiles(sshd, { trust: false, knownHostsInConfig: false });
    common = ['--host', f.alias, '--ssh-config', f.configPath, '--known-hosts', f.knownHostsPath];
  });
  after(async () => {
    await sshd?.stop();
    if (f) fs.rmSync(f.dir, { recursive: true, force: true });
  });

  it('hosts lists the ssh_config aliases', async () => {
    const r = await cli(['hosts', '--ssh-config', f.configPath, '--json']);
    assert.equal(r.code, 0, r.err);
    const hosts = JSON.parse(r.out).hosts;
    assert.deepEqual(hosts.map((h: { alias: string; port: number; user: string }) => [h.alias, h.port, h.user]), [[f.alias, sshd.port, sshd.user]]);
    const text = await cli(['hosts', '--ssh-config', f.configPath]);
    assert.match(text.out, new RegExp(`${f.alias}\\s+${sshd.user}@127\\.0\\.0\\.1:${sshd.port}`));
  });

  it('refuses an unknown host without --accept-new, accepts and appends it with, then knows it', async () => {
    const refused = await cli(['run', ...common, '--', 'echo', 'x']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /is not known/);
    assert.ok(refused.err.includes(sshd.hostFingerprint), 'the refusal shows the SHA256 fingerprint');
    assert.match(refused.err, /--accept-new/);
    assert.equal(refused.out, '');
    assert.equal(fs.readFileSync(f.knownHostsPath, 'utf8'), '');

    const accepted = await cli(['run', ...common, '--accept-new', '--', 'echo', 'first']);
    assert.equal(accepted.code, 0, accepted.err);
    assert.equal(accepted.out, 'first\n');
    assert.equal(fs.readFileSync(f.knownHostsPath, 'utf8'), `${sshd.hostKeyLine}\n`);

    const known = await cli(['run', ...common, '--', 'echo', 'second']);
    assert.equal(known.code, 0, known.err);
    assert.equal(known.out, 'second\n');
  });

  it('run passes argv verbatim, streams output and passes the exit code through', async () => {
    const r = await cli(['run', ...common, '--env', 'V=$(nope) it\'s', '--', 'python3', '-c',
      'import os,sys,json;print(json.dumps([sys.argv[1:],os.environ["V"]]));sys.stderr.write("e\\n");sys.exit(7)', '; rm -rf ~', '-x', '*']);
    assert.equal(r.code, 7);
    assert.deepEqual(JSON.parse(r.out), [['; rm -rf ~', '-x', '*'], "$(nope) it's"]);
    assert.equal(r.err, 'e\n');
    const bad = await cli(['run', ...common]);
    assert.equal(bad.code, 2);
  });

  it('jobs start / list / logs / stop', async () => {
    const jroot = path.join(sshd.home, 'cli-jobs');
    const env = { ASCEND_ADAPT_JOBS_ROOT: jroot };
    const s = await cli(['jobs', 'start', ...common, '--name', 'srv', '--env', 'X=1', '--json', '--', 'sh', '-c', 'echo "x=$X"; exec sleep 300'], env);
    assert.equal(s.code, 0, s.err);
    const job = JSON.parse(s.out);
    assert.equal(job.state, 'running');
    const l = await cli(['jobs', 'list', ...common, '--json'], env);
    assert.deepEqual(JSON.parse(l.out).jobs.map((j: { id: string }) => j.id), [job.id]);
    let logs = '';
    for (let i = 0; i < 100 && !logs.includes('x=1'); i++) logs = (await cli(['jobs', 'logs', ...common, job.id], env)).out;
    assert.equal(logs, 'x=1\n');
    const tail = await cli(['jobs', 'logs', ...common, job.id, '--from', '2'], env);
    assert.equal(tail.out, '1\n');
    const st = await cli(['jobs', 'stop', ...common, job.id, '--grace', '2'], env);
    assert.equal(st.code, 0, st.err);
    assert.match(st.err, /no process left/);
    const followed = await cli(['jobs', 'logs', ...common, job.id, '--follow'], env);
    assert.equal(followed.out, 'x=1\n', 'follow of an ended job prints the log and returns');
    const text = await cli(['jobs', 'list', ...common], env);
    assert.match(text.out, new RegExp(`${job.id}\\s+exited`));
    const nojob = await cli(['jobs', 'stop', ...common, 'no-such-job'], env);
    assert.equal(nojob.code, 2);
    assert.match(nojob.err, /no job no-such-job/);
  });

  it('refuses a changed host key always, even with --accept-new, naming file and line', async () => {
    fs.writeFileSync(f.knownHostsPath, `# trusted hosts\n${sshd.hostKeyLine}\n`);
    await sshd.rotateHostKey();
    for (const extra of [[], ['--accept-new']]) {
      const r = await cli(['run', ...common, ...extra, '--', 'echo', 'never']);
      assert.equal(r.code, 2);
      assert.equal(r.out, '');
      assert.match(r.err, /HOST KEY CHANGED/);
      assert.ok(r.err.includes(`${f.knownHostsPath}:2`), r.err);
      assert.ok(r.err.includes(sshd.hostFingerprint), 'shows the new fingerprint');
    }
    assert.equal(fs.readFileSync(f.knownHostsPath, 'utf8').split('\n').filter(Boolean).length, 2, 'nothing appended');
  });

  it('the bundled CLI (dist/cli.js) runs over ssh too, and speaks Chinese with --lang zh-CN', { skip: !fs.existsSync(path.join(root, 'dist/cli.js')) && 'run npm run build first' }, () => {
    fs.writeFileSync(f.knownHostsPath, '');
    const r = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), '--lang', 'zh-CN', 'run', ...common, '--', 'echo', 'x'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.ok(r.stderr.includes(sshd.hostFingerprint));
    assert.match(r.stderr, /主机密钥/);
    const ok = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'run', ...common, '--accept-new', '--', 'echo', 'bundled'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'bundled\n');
    assert.match(ok.stderr, new RegExp(`Permanently added .*${sshd.hostFingerprint.replace(/[+/]/g, '\\$&')}.* to .*known_hosts:1`));
  });
});
