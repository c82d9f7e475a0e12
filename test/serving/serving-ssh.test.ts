import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { parseNpuSmiInfo } from '../../src/core/npu/smi';
import { attachServing, startServing } from '../../src/core/serving/job';
import { jobControl } from '../../src/core/jobs/index';
import { runSmoke } from '../../src/core/smoke/index';
import { SshTransport } from '../../src/core/transport/ssh';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import * as net from 'node:net';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { chownR, copyModel, freePort, makeSim, simProfile } from './helpers';
import { runCli } from '../harness/cli';

/**
 * The serving lifecycle against a real OpenSSH server on 127.0.0.1 with the simulated Atlas toolchain
 * behind it: start → ready → smoke (four prompts, every field) → drop the link → reconnect → re-attach
 * (the log continues with no gap and no duplicate) → stop → HBM back to idle and no process left.
 */

const skip = sshdAvailable();

describe('serving over ssh (real sshd, simulated host)', { skip }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let sim: ReturnType<typeof makeSim>;
  let model: string;
  let big: string;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    sim = makeSim();
    model = copyModel('tiny-dense-sim', sim.parent);
    big = copyModel('hunyuan-moe-sim', sim.parent);
    const gid = fs.statSync(sshd.home).gid;
    chownR(sim.parent, sshd.uid, gid); // the host's files belong to the login user, as on a real host
  });
  after(async () => {
    await sshd?.stop();
    sim?.cleanup();
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  const connect = async () => {
    const host = SshConfigFile.fromText(fs.readFileSync(files.configPath, 'utf8')).resolve('atlas');
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    return t;
  };

  it('start → ready → smoke → link dropped → re-attach with no gap or duplicate → stop → idle', async () => {
    const jobs = jobControl({ graceMs: 3000 });
    const port = await freePort();
    const profile = simProfile('tiny-ssh', {
      host: 'atlas', modelPath: model, servedModelName: 'tiny-sim', simRoot: sim.dir, port, tensorParallelSize: 2,
      enforceEager: true, trustRemoteCode: true, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '1' }, readyTimeoutSec: 60,
    });

    // --- first connection: launch, wait for ready, smoke ------------------------------------------------
    const a = await connect();
    const job = await startServing(a, profile, { jobs, pollMs: 200 });
    const collected: Buffer[] = [];
    const follower = job.attachLog(0, (chunk, offset) => {
      assert.equal(offset, collected.reduce((n, b) => n + b.length, 0), 'each piece starts where the last ended');
      collected.push(chunk);
    }, { followMs: 100 });
    const ready = await job.waitReady();
    assert.equal(ready.state, 'ready', JSON.stringify(ready.failure));
    assert.equal(ready.host, 'atlas');
    assert.ok(ready.loadTimeMs !== null && ready.loadTimeMs >= 1000);
    assert.match(ready.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);

    const smoke = await runSmoke(ready.endpoint!, profile.smokePrompts, { model: 'tiny-sim', maxTokens: 24 });
    assert.equal(smoke.results.length, 4);
    assert.equal(smoke.simulated, true);
    for (const r of smoke.results) {
      assert.equal(r.error, null);
      assert.ok(r.output.length > 0 && r.ttftMs !== null && r.totalMs !== null && r.ttftMs > 0 && r.totalMs >= r.ttftMs);
      assert.ok(r.promptTokens !== null && r.completionTokens !== null && r.finishReason !== null);
      assert.equal(r.usageConsistent, true);
    }

    // --- the link drops (as when the laptop sleeps) -------------------------------------------------------
    const record = job.record();
    const dropped = new Promise<void>((res) => a.on('state', (s: string) => { if (s === 'disconnected') res(); }));
    a.simulateLinkDrop();
    await dropped;
    follower.detach();
    await follower.done;
    await job.dispose();
    const reached = follower.offset();
    assert.equal(reached, collected.reduce((n, b) => n + b.length, 0));

    // --- a new connection: re-attach from the record and the offset reached ------------------------------
    const b = await connect();
    const again = attachServing(b, record, profile, { jobs, pollMs: 200 });
    assert.equal(again.state, 'ready', 'the server kept running while the link was down');
    const follower2 = again.attachLog(reached, (chunk, offset) => {
      assert.equal(offset, collected.reduce((n, x) => n + x.length, 0), 'no gap, no overlap');
      collected.push(chunk);
    }, { followMs: 100 });
    const endpoint = await again.endpointUrl();
    const more = await runSmoke(endpoint, ['再说一次'], { model: 'tiny-sim', maxTokens: 8 });
    assert.equal(more.failed, 0);

    // npu-smi on the host shows the server on the two devices while it runs
    const smi = await b.exec(['sh', '-c', '. "$1/env.sh" && ASCEND_ADAPT_SIM_QUIET=1 npu-smi info', 'x', sim.dir]);
    const during = parseNpuSmiInfo(smi.stdout.toString());
    assert.deepEqual([...new Set(during.processes.map((p) => p.npuId))].sort(), [0, 1]);

    // --- stop: nothing left, HBM back to idle -------------------------------------------------------------
    const report = await again.stop();
    assert.equal(again.state, 'stopped');
    assert.deepEqual(report.leftoverPids, []);
    assert.equal(report.checked, true);
    assert.deepEqual(report.npuProcesses, []);
    assert.equal(report.idle, true, JSON.stringify(report));
    await follower2.done;

    const hostLog = fs.readFileSync(path.join(sshd.home, '.ascend-adapt', 'jobs', record.jobId, 'log'));
    const got = Buffer.concat(collected);
    assert.ok(got.equals(hostLog), `the log read across the reconnect is byte-identical to the host's (${got.length} vs ${hostLog.length} bytes)`);
    assert.ok(hostLog.toString().includes('POST /v1/chat/completions'), 'requests after the reconnect are in the log');
    const stray = sshd.userPids().filter((pid) => {
      try {
        return /vllm_cli|openai_server/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
    assert.deepEqual(stray, [], 'no server process of the user is left');
    await b.close();
  });

  it('failed launches over ssh end as failed with the explanation: bad model path, port taken, OOM', async () => {
    const jobs = jobControl({ graceMs: 3000 });
    const t = await connect();
    const launch = async (name: string, o: Record<string, unknown>) => {
      const job = await startServing(t, simProfile(name, { simRoot: sim.dir, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' }, ...o }), { jobs, pollMs: 200, force: true });
      const r = await job.waitReady();
      await job.dispose();
      return r;
    };
    try {
      const bad = await launch('bad', { modelPath: path.join(sim.parent, 'models', 'nope'), port: await freePort() });
      assert.equal(bad.state, 'failed');
      assert.equal(bad.failure?.error?.id, 'model-path-invalid');

      const blocker = net.createServer();
      await new Promise<void>((res) => blocker.listen(0, '0.0.0.0', res));
      try {
        const busy = await launch('busy', { modelPath: model, port: (blocker.address() as net.AddressInfo).port });
        assert.equal(busy.state, 'failed');
        assert.equal(busy.failure?.error?.id, 'port-in-use');
      } finally {
        blocker.close();
      }

      const oom = await launch('oom', { modelPath: big, port: await freePort(), trustRemoteCode: true });
      assert.equal(oom.state, 'failed');
      assert.equal(oom.failure?.error?.id, 'npu-oom');
      assert.match(oom.failure?.text ?? '', /NPU out of memory\. Tried to allocate/);
      assert.ok((oom.failure?.error?.fix ?? '').length > 0);
    } finally {
      await t.close();
    }
  });

  it('the CLI over ssh: serve --host --detach, then smoke --profile through a forwarded port', async () => {
    const ws = path.join(sim.parent, 'ws-cli');
    fs.mkdirSync(ws, { recursive: true });
    const port = await freePort();
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({
      profiles: { remote: { host: 'atlas', simRoot: sim.dir, modelPath: model, servedModelName: 'remote-sim', port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.3' }, smokeMaxTokens: 8 } },
    }));
    const cli = (...argv: string[]) =>
      runCli([...argv, '--ssh-config', files.configPath, '--known-hosts', files.knownHostsPath], { cwd: ws, env: { LANG: 'C' } });
    const s = await cli('serve', '--profile', 'remote', '--detach', '--json');
    assert.equal(s.code, 0, s.err);
    const job = (JSON.parse(s.out) as { job: { jobId: string; host: string; state: string } }).job;
    assert.equal(job.state, 'ready');
    assert.equal(job.host, 'atlas');
    assert.match(s.err, /jobs stop --host atlas/);

    const sm = await cli('smoke', '--profile', 'remote', '--json');
    assert.equal(sm.code, 0, sm.err);
    const rep = JSON.parse(sm.out) as { results: Array<{ output: string; completionTokens: number }>; simulated: boolean };
    assert.equal(rep.results.length, 4);
    assert.ok(rep.results.every((r) => r.output.length > 0 && r.completionTokens <= 8));
    assert.equal(rep.simulated, true);

    const t = await connect();
    try {
      const stop = await new DetachedJobs(t).stop(job.jobId, { graceMs: 3000 });
      assert.deepEqual(stop.leftovers, []);
    } finally {
      await t.close();
    }
  });
});
