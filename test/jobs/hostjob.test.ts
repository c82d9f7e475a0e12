// The host-script job skeleton (src/core/jobs/hostjob.ts) with a small host script of our own
// (test/fixtures/jobs/counter.py), over the local transport and a real sshd: progress lines, the result file
// read through its schema, abort that stops the host job and still reads its partial result, failures that
// name the job, the simulated-host wrapper; and the host-file helpers it stands on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { scriptBundle } from '../../src/core/hostscripts/upload';
import {
  copyFromHost,
  DetachedJobs,
  followHostJob,
  hostPython,
  hostReadFile,
  hostWriteFile,
  HostIoError,
  HostJobError,
  LineSplitter,
  readHostJobResult,
  runHostJob,
  startHostJob,
  type HostJobKind,
  type HostJobRef,
} from '../../src/core/jobs/index';
import { LocalTransport } from '../../src/core/transport/local';
import { SshTransport } from '../../src/core/transport/ssh';
import type { Transport } from '../../src/core/transport/transport';
import { sshdAvailable, startSshd, type Sshd } from '../harness/sshd';

const COUNTER = fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'jobs', 'counter.py'));

interface CountSpec {
  total: number;
  /** Run with COUNT_LABEL set and the run folder as working folder (the { argv, env, cwd } form). */
  label?: string;
  delayS?: number;
  fail?: string;
  badResult?: boolean;
}
interface CountProgress {
  done: number;
  total: number;
}
const CountResult = z.object({ done: z.number().int(), total: z.number().int(), complete: z.boolean(), simulated: z.boolean(), label: z.string().nullable(), cwd: z.string() });

class CountJobError extends HostJobError {}

// A whole job kind: this is all a new kind of host-script job has to say.
const COUNT_JOB: HostJobKind<CountSpec, CountProgress, z.infer<typeof CountResult>> = {
  name: 'count',
  title: () => 'count job',
  resultFile: 'count.json',
  result: CountResult,
  argv: async (spec, at) => {
    const script = await at.upload('counter.py', COUNTER);
    const argv = [at.python, script, '--out', at.resultPath, '--total', String(spec.total), '--delay', String(spec.delayS ?? 0)];
    if (spec.fail) argv.push('--fail', spec.fail);
    if (spec.badResult) argv.push('--bad-result');
    return spec.label ? { argv, env: { COUNT_LABEL: spec.label }, cwd: at.runDir } : argv;
  },
  progress: (line) => {
    const m = /^progress: (\d+)\/(\d+)$/.exec(line);
    return m ? { done: Number(m[1]), total: Number(m[2]) } : null;
  },
  error: CountJobError,
};

/**
 * The behaviour every transport must show. `place()`: jobs root and run folder for one job (undefined = the
 * defaults under the host user's home); `runsUnder()`: where run folders must then be, seen from this machine.
 */
function skeletonCases(open: () => Promise<Transport>, place: () => { jobsRoot?: string; runDir?: string }, runsUnder: () => string) {
  it('runs the script as a job: every progress line, the result through its schema, evidence on the host', async () => {
    const t = await open();
    const lines: string[] = [];
    const progress: CountProgress[] = [];
    let startedIn = '';
    const { jobsRoot, runDir } = place();
    const jobs = new DetachedJobs(t, { root: jobsRoot });
    const r = await runHostJob(COUNT_JOB, { total: 12 }, {
      transport: t, jobs, runDir,
      onLine: (l) => lines.push(l),
      onProgress: (p) => progress.push(p),
      onStart: (_job, runDir) => (startedIn = runDir),
    });
    assert.deepEqual(progress.map((p) => p.done), [...Array(12).keys()].map((i) => i + 1));
    assert.ok(lines.includes('note: 昇腾 step 7'), 'non-ASCII lines arrive whole');
    assert.deepEqual({ ...r.result, cwd: undefined }, { done: 12, total: 12, complete: true, simulated: false, label: null, cwd: undefined });
    assert.equal(r.exitError, null);
    assert.equal(r.interrupted, false);
    assert.equal(r.evidence.exitCode, 0);
    assert.equal(r.evidence.state, 'exited');
    assert.equal(r.evidence.host, t.label);
    assert.equal(r.evidence.runDir, startedIn);
    assert.ok(r.evidence.runDir.startsWith(runsUnder()), r.evidence.runDir);
    if (!runDir) assert.match(path.basename(r.evidence.runDir), /^\d{8}-\d{6}-count-[0-9a-f]{6}$/);
    assert.equal(r.evidence.resultFile, `${r.evidence.runDir}/count.json`);
    assert.ok(fs.readFileSync(path.join(r.evidence.runDir, 'counter.py')).equals(COUNTER), 'the input was uploaded into the run folder');
    assert.match(fs.readFileSync(r.evidence.logFile, 'utf8'), /progress: 12\/12\n/);
    assert.equal(r.evidence.command[1], path.join(r.evidence.runDir, 'counter.py'));
    await t.close();
  });

  it('abort stops the host job and still reads the partial result it saved', async () => {
    const t = await open();
    const { jobsRoot, runDir } = place();
    const jobs = new DetachedJobs(t, { root: jobsRoot });
    const ac = new AbortController();
    const lines: string[] = [];
    const r = await runHostJob(COUNT_JOB, { total: 10_000, delayS: 0.02 }, {
      transport: t, jobs, runDir, signal: ac.signal, stopGraceMs: 5000,
      onLine: (l) => lines.push(l),
      onProgress: (p) => {
        if (p.done >= 3) ac.abort(); // a condition, not a timer
      },
    });
    assert.equal(r.interrupted, true);
    assert.equal(r.result.complete, false);
    assert.ok(r.result.done >= 3 && r.result.done < 10_000, `${r.result.done} steps before the stop`);
    assert.equal(r.evidence.exitCode, 143);
    assert.match(r.exitError ?? '', /143/);
    assert.ok(lines.some((l) => l.startsWith('interrupted: stopped after')), 'the script\'s last words are read after the stop');
    const job = await jobs.get(r.evidence.jobId);
    assert.equal(job.state, 'exited');
    await t.close();
  });

  it('started now, followed later from another connection: the same progress and result; env and cwd of the kind', async () => {
    const first = await open();
    const { jobsRoot, runDir } = place();
    const { ref, job } = await startHostJob(COUNT_JOB, { total: 5, delayS: 0.05, label: '昇腾 label' }, { transport: first, jobs: new DetachedJobs(first, { root: jobsRoot }), runDir });
    assert.equal(job.state, 'running');
    await first.close(); // the caller goes away; the job runs on
    const stored = JSON.parse(JSON.stringify(ref)) as HostJobRef;
    const second = await open();
    const jobs = new DetachedJobs(second, { root: jobsRoot });
    const progress: number[] = [];
    const r = await followHostJob(COUNT_JOB, second, stored, { jobs, onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(progress, [1, 2, 3, 4, 5], 'every progress line, from the first byte of the log');
    assert.equal(r.result.complete, true);
    assert.equal(r.result.label, '昇腾 label');
    assert.equal(r.result.cwd, ref.runDir);
    assert.equal(r.evidence.jobId, ref.jobId);
    assert.deepEqual(await readHostJobResult(COUNT_JOB, second, stored), r.result, 'an ended job reads the same');
    await second.close();
  });

  it('a failing script: the kind\'s error with the script\'s `error:` line and the evidence', async () => {
    const t = await open();
    const { jobsRoot, runDir } = place();
    const jobs = new DetachedJobs(t, { root: jobsRoot });
    const err = await runHostJob(COUNT_JOB, { total: 3, fail: 'no dataset here' }, { transport: t, jobs, runDir }).then(
      () => assert.fail('should have thrown'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CountJobError);
    assert.match(err.message, /^the count job \S+ failed: no dataset here$/);
    assert.equal(err.evidence?.exitCode, 1);
    assert.ok(err.evidence && fs.existsSync(err.evidence.logFile));
    await t.close();
  });

  it('a result that does not match the schema names the file and the field', async () => {
    const t = await open();
    const { jobsRoot, runDir } = place();
    const jobs = new DetachedJobs(t, { root: jobsRoot });
    await assert.rejects(runHostJob(COUNT_JOB, { total: 1, badResult: true }, { transport: t, jobs, runDir }), (e: Error) => {
      assert.ok(e instanceof HostJobError);
      assert.match(e.message, /left no usable result \(exit 0\): .*count\.json: unexpected content \(done: /);
      return true;
    });
    await t.close();
  });
}

describe('host-script jobs over the local transport', () => {
  let work: string;
  before(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-hostjob-')); });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  // Runs go to folders of this test, not to the home of whoever runs the suite.
  skeletonCases(async () => new LocalTransport(), () => ({ jobsRoot: path.join(work, 'jobs'), runDir: fs.mkdtempSync(path.join(work, 'run-')) }), () => work);

  it('runs through a simulated host\'s env.sh when simRoot is given', async () => {
    const sim = path.join(work, 'sim');
    fs.mkdirSync(sim, { recursive: true });
    fs.writeFileSync(path.join(sim, 'env.sh'), 'export ASCEND_ADAPT_SIMULATED=1\n');
    const t = new LocalTransport();
    const r = await runHostJob(COUNT_JOB, { total: 2 }, { transport: t, jobs: new DetachedJobs(t, { root: path.join(work, 'jobs') }), simRoot: sim, runDir: path.join(work, 'run-sim') });
    assert.equal(r.result.simulated, true);
    assert.deepEqual(r.evidence.command.slice(0, 2), ['sh', '-c']);
    assert.equal(r.evidence.command[4], sim);
    assert.equal(r.evidence.runDir, path.join(work, 'run-sim'));
  });

  it('host files: upload, read back from an offset, copy to this machine, a missing file', async () => {
    const t = new LocalTransport();
    const file = path.join(work, 'files', 'deep', 'log.txt');
    await hostWriteFile(t, file, 'line one\n昇腾 line two\n');
    assert.equal((await hostReadFile(t, file, { offset: 9 })).toString(), '昇腾 line two\n');
    assert.equal((await hostReadFile(t, file, { offset: 9, maxBytes: 3 })).toString(), '昇');
    assert.equal((await hostReadFile(t, file, { offset: 1000 })).length, 0);
    const copy = path.join(work, 'copies', 'a', 'log.txt');
    assert.equal(await copyFromHost(t, file, copy), Buffer.byteLength('line one\n昇腾 line two\n'));
    assert.equal(fs.readFileSync(copy, 'utf8'), 'line one\n昇腾 line two\n');
    await assert.rejects(hostReadFile(t, path.join(work, 'nope')), (e: Error) => e instanceof HostIoError && e.code === 'missing');
    await assert.rejects(hostReadFile(t, file, { offset: -1 }), /invalid log offset/);
  });

  it('splits a byte stream into lines, whatever the chunking (UTF-8 characters split across chunks too)', () => {
    const text = Buffer.from('a\r\n昇腾 b\n\nlast');
    for (let cut = 1; cut < text.length; cut++) {
      const s = new LineSplitter();
      const out: string[] = [];
      s.push(text.subarray(0, cut), (l) => out.push(l));
      s.push(text.subarray(cut), (l) => out.push(l));
      s.flush((l) => out.push(l));
      assert.deepEqual(out, ['a', '昇腾 b', '', 'last'], `cut at ${cut}`);
    }
  });
});

const skip = sshdAvailable();

describe('host-script jobs over ssh (real sshd)', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  let cfg: string;
  const open = async (): Promise<Transport> => {
    const host = SshConfigFile.fromText(cfg).resolve('t');
    return new SshTransport(host, { knownHosts: { files: [path.join(dir, 'known_hosts')] } });
  };

  before(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync('/tmp/aa-sshhostjob-');
    fs.writeFileSync(path.join(dir, 'known_hosts'), sshd.hostKeyLine + '\n');
    cfg = ['Host t', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keyPath}`, '  IdentityAgent none'].join('\n');
  });
  after(async () => {
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  skeletonCases(open, () => ({}), () => path.join(sshd.home, '.ascend-adapt', 'runs'));

  it('the job supervisor comes with the host scripts, and comes again when someone removed them', async () => {
    const t = await open();
    const scripts = path.join(sshd.home, '.ascend-adapt', 'scripts', scriptBundle().hash);
    const jobs = new DetachedJobs(t, { python: await hostPython(t) });
    assert.ok((await jobs.list()).length >= 4, 'the jobs of the cases above are listed');
    assert.ok(fs.existsSync(path.join(scripts, 'jobs', 'supervisor.py')));
    fs.rmSync(path.join(sshd.home, '.ascend-adapt', 'scripts'), { recursive: true, force: true });
    const job = await jobs.start({ argv: ['sh', '-c', 'echo again'], name: 'again' });
    assert.ok(fs.existsSync(path.join(scripts, 'jobs', 'supervisor.py')), 'uploaded again');
    await jobs.followLog(job.id, 0, () => undefined);
    assert.equal((await jobs.readLog(job.id)).data.toString(), 'again\n');
    await t.close();
  });
});
