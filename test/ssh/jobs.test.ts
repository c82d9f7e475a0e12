// Detached jobs over a real sshd (and over the local transport): they survive the link, their log reads
// resume byte-exactly, and stop leaves nothing of the job behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';
import { SshTransport } from '../../src/core/transport/ssh';
import { sshdAvailable, startSshd, type Sshd } from '../harness/sshd';

const skip = sshdAvailable();

/** Every live (non-zombie) process on this machine that belongs to the job: same group/session or its marker. */
function jobProcesses(id: string, pgid: number): number[] {
  const out: number[] = [];
  const mark = `ASCEND_ADAPT_JOB_ID=${id}`;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' || f[0] === 'X') continue;
      const inGroup = Number(f[2]) === pgid || Number(f[3]) === pgid;
      const marked = fs.readFileSync(`/proc/${e}/environ`).toString('latin1').split('\0').includes(mark);
      if (inGroup || marked) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

// Prints numbered lines (some long, some non-ASCII, partial lines too) with small pauses.
const WRITER = [
  'import sys,time',
  'n=int(sys.argv[1])',
  'for i in range(n):',
  '  sys.stdout.write("line %05d %s\\n" % (i, "昇腾-" * (i % 7)))',
  '  if i % 10 == 0: sys.stdout.write("partial-"); sys.stdout.flush(); time.sleep(0.01); sys.stdout.write("rest\\n")',
  '  sys.stdout.flush()',
  '  time.sleep(0.02)',
  'sys.stderr.write("done\\n")',
].join('\n');

// A job whose children hide in every way but setsid's escape hatch: background child, orphaned
// grandchild, a child in its own process group, and one that calls setsid itself.
const FAMILY = [
  'sleep 300 &',
  '(sleep 301 &)',
  'python3 -c "import os,time; os.setpgid(0,0); time.sleep(302)" &',
  'setsid sleep 303 &',
  'python3 -c "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(\'ignoring TERM\', flush=True); time.sleep(304)" &',
  'echo started',
  'wait',
].join('\n');

describe('detached jobs over ssh', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  let cfg: string;
  const open = () => {
    const host = SshConfigFile.fromText(cfg).resolve('t');
    return new SshTransport(host, { knownHosts: { files: [path.join(dir, 'known_hosts')] }, reconnect: { initialDelayMs: 50 } });
  };

  before(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync('/tmp/aa-sshjobs-');
    fs.writeFileSync(path.join(dir, 'known_hosts'), sshd.hostKeyLine + '\n');
    cfg = ['Host t', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keyPath}`, '  IdentityAgent none'].join('\n');
  });
  after(async () => {
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records argv, env, pid/pgid/sid and the exit code in ~/.ascend-adapt/jobs/<id>/ on the host', async () => {
    const t = open();
    const jobs = new DetachedJobs(t);
    const job = await jobs.start({ argv: ['sh', '-c', 'echo "$GREETING"; echo err >&2; exit 3'], env: { GREETING: "hi $(x) 'q'" }, name: 'Exit Three' });
    assert.match(job.id, /^\d{8}-\d{6}-exit-three-[0-9a-f]{6}$/);
    assert.equal(job.pid, job.pgid);
    assert.equal(job.sid, job.pid);
    const jobDir = path.join(sshd.home, '.ascend-adapt', 'jobs', job.id);
    assert.equal(job.logPath, path.join(jobDir, 'log'));
    let done = job;
    while (done.state === 'running') done = await jobs.get(job.id);
    assert.equal(done.state, 'exited');
    assert.equal(done.exitCode, 3);
    const onHost = JSON.parse(fs.readFileSync(path.join(jobDir, 'job.json'), 'utf8'));
    assert.deepEqual(onHost.argv, job.argv);
    assert.deepEqual(onHost.env, { GREETING: "hi $(x) 'q'" });
    assert.equal(JSON.parse(fs.readFileSync(path.join(jobDir, 'exit.json'), 'utf8')).code, 3);
    assert.equal(fs.readFileSync(path.join(jobDir, 'log'), 'utf8'), "hi $(x) 'q'\nerr\n");
    assert.ok((await jobs.list()).some((j) => j.id === job.id && j.exitCode === 3));
    const missing = await jobs.start({ argv: ['/no/such/program'] });
    assert.equal(missing.state, 'failed-to-start');
    assert.match(missing.startError ?? '', /No such file/);
    await assert.rejects(jobs.get('../../etc'), /invalid job id/);
    await assert.rejects(jobs.get('20990101-000000-nope-000000'), /no job/);
    await t.close();
  });

  it('survives the link being cut; following resumes from the last byte and matches the host file exactly', async () => {
    const t = open();
    const jobs = new DetachedJobs(t);
    const job = await jobs.start({ argv: ['python3', '-c', WRITER, '150'], name: 'writer' });
    const got: Buffer[] = [];
    let cut = false;
    const states: string[] = [];
    t.on('state', (s: string) => states.push(s));
    const end = await jobs.followLog(job.id, 0, (b, at) => {
      got.push(b);
      if (!cut && at > 2000) { cut = true; t.simulateLinkDrop(); }
    });
    assert.ok(cut, 'the link was cut mid-job');
    assert.deepEqual(states.slice(0, 2), ['reconnecting', 'connected']);
    const hostFile = fs.readFileSync(job.logPath);
    assert.equal(end, hostFile.length);
    assert.ok(Buffer.concat(got).equals(hostFile), 'followed bytes are the host file, no gap and no duplicate');
    assert.equal((await jobs.get(job.id)).exitCode, 0);
    await t.close();
  });

  it('keeps running when the client goes away entirely; a new connection reads on from the saved offset', async () => {
    const first = open();
    const job = await new DetachedJobs(first).start({ argv: ['python3', '-c', WRITER, '120'], name: 'orphaned' });
    const part = await new DetachedJobs(first).readLog(job.id, 0, 700);
    assert.equal(part.offset, part.data.length);
    await first.close(); // the whole ssh connection ends (channel, session, socket)
    const second = open();
    const jobs = new DetachedJobs(second);
    const chunks = [part.data];
    let at = part.offset;
    for (;;) {
      const r = await jobs.readLog(job.id, at, 1000);
      chunks.push(r.data);
      at = r.offset;
      if (r.data.length === 0 && r.job.state !== 'running' && at >= r.job.logSize) break;
      if (r.data.length === 0) await new Promise((res) => setTimeout(res, 50));
    }
    const hostFile = fs.readFileSync(job.logPath);
    assert.ok(Buffer.concat(chunks).equals(hostFile), 'pieces read across connections are the host file');
    assert.match(hostFile.toString(), /line 00119/);
    assert.equal((await jobs.get(job.id)).state, 'exited');
    await second.close();
  });

  it('stop leaves zero processes of the job (background, orphaned, own-group, setsid and TERM-ignoring children)', async () => {
    const t = open();
    const jobs = new DetachedJobs(t);
    const job = await jobs.start({ argv: ['bash', '-c', FAMILY], name: 'family' });
    // Wait until every child is up (and the TERM-ignoring one has set that up).
    const up = async () => jobProcesses(job.id, job.pgid!).length >= 6 && (await jobs.readLog(job.id)).data.toString().includes('ignoring TERM');
    while (!(await up())) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await jobs.readLog(job.id)).data.toString().includes('started'));
    const r = await jobs.stop(job.id, { graceMs: 1500 });
    assert.equal(r.wasRunning, true);
    assert.deepEqual(r.leftovers, []);
    assert.ok(r.killed.length >= 1, 'the TERM-ignoring child needed KILL');
    assert.deepEqual(jobProcesses(job.id, job.pgid!), [], 'nothing of the job is alive on the host');
    assert.equal(r.job?.state, 'exited');
    assert.equal(r.job?.exitSignal, 'SIGTERM');
    const again = await jobs.stop(job.id, { graceMs: 100 });
    assert.equal(again.wasRunning, false);
    assert.deepEqual(again.termed, []);
    await t.close();
  });
});

describe('detached jobs over the local transport', () => {
  let root: string;
  before(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-localjobs-')); });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('start → follow → exit code, and stop of a running job', async () => {
    const jobs = new DetachedJobs(new LocalTransport(), { root });
    const job = await jobs.start({ argv: ['sh', '-c', 'printf "a\\nb"; exit 5'] });
    const chunks: Buffer[] = [];
    await jobs.followLog(job.id, 0, (b) => chunks.push(b));
    assert.equal(Buffer.concat(chunks).toString(), 'a\nb');
    assert.equal((await jobs.get(job.id)).exitCode, 5);
    const long = await jobs.start({ argv: ['sleep', '300'], name: 'sleeper' });
    const r = await jobs.stop(long.id, { graceMs: 2000 });
    assert.deepEqual(r.leftovers, []);
    assert.equal(r.job?.exitSignal, 'SIGTERM');
    assert.equal((await jobs.list()).length, 2);
  });

  it('follows in bounded pieces without losing or repeating a byte', async () => {
    const jobs = new DetachedJobs(new LocalTransport(), { root, followPieceBytes: 1000 });
    const job = await jobs.start({ argv: ['python3', '-c', WRITER, '200'], name: 'pieces' });
    const chunks: Buffer[] = [];
    const end = await jobs.followLog(job.id, 0, (b) => chunks.push(b));
    const file = fs.readFileSync(job.logPath);
    assert.ok(file.length > 5000);
    assert.equal(end, file.length);
    assert.ok(Buffer.concat(chunks).equals(file));
  });
});
