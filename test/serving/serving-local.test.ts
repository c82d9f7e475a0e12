import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSmoke } from '../../src/core/smoke/index';
import { parseNpuSmiInfo } from '../../src/core/npu/smi';
import { jobControl } from '../../src/core/jobs/index';
import { attachServing, PreflightFailedError, servingRecordFromJob, startServing, type ServingJobRecord } from '../../src/core/serving/job';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';
import { copyModel, freePort, makeSim, simProfile } from './helpers';

/**
 * Serving on the simulated host over the local transport, through the real detached-job layer and the
 * simulated toolchain (vllm, npu-smi, the OpenAI server): the lifecycle and every failed-launch path.
 * (The same lifecycle over a real sshd, with the link cut, is in serving-ssh.test.ts.)
 */

const t = new LocalTransport();
let sim: ReturnType<typeof makeSim>;
let jobsRoot: string;
let models: { tiny: string; hunyuan: string };
const jobs = () => jobControl({ root: jobsRoot, graceMs: 3000 });
const FAST = { pollMs: 200, failGraceMs: 3000 };

before(() => {
  sim = makeSim();
  jobsRoot = path.join(sim.parent, 'jobs');
  models = { tiny: copyModel('tiny-dense-sim', sim.parent), hunyuan: copyModel('hunyuan-moe-sim', sim.parent) };
});
after(() => sim.cleanup());

async function npuSmi() {
  const r = await t.exec(['sh', '-c', '. "$1/env.sh" && ASCEND_ADAPT_SIM_QUIET=1 npu-smi info', 'x', sim.dir]);
  return parseNpuSmiInfo(r.stdout.toString());
}

describe('serving on a simulated host (local transport)', () => {
  it('starts → ready → smoke (four prompts, every field) → stop → HBM back to idle, no process left', async () => {
    const port = await freePort();
    const profile = simProfile('tiny', {
      modelPath: models.tiny, servedModelName: 'tiny-sim', simRoot: sim.dir, port, tensorParallelSize: 2, maxModelLen: 4096,
      dtype: 'bfloat16', env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '1' }, readyTimeoutSec: 60,
    });
    const states: string[] = [];
    const job = await startServing(t, profile, { jobs: jobs(), ...FAST });
    job.on('state', (r) => states.push(r.state));
    const log: Buffer[] = [];
    const follower = job.attachLog(0, (c) => log.push(c), { followMs: 100 });

    const ready = await job.waitReady();
    assert.equal(ready.state, 'ready', JSON.stringify(ready.failure));
    assert.ok(ready.loadTimeMs !== null && ready.loadTimeMs >= 1000, 'load time covers the simulated 1 s load');
    assert.equal(ready.simulated, true);
    assert.ok(ready.endpoint);
    // The exact command and environment are recorded with the job, and the job layer has them too.
    assert.deepEqual(ready.command.env.HCCL_OP_EXPANSION_MODE, 'AIV');
    const recorded = JSON.parse(fs.readFileSync(path.join(jobsRoot, ready.jobId, 'job.json'), 'utf8')) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(recorded.argv, ready.command.argv);
    assert.deepEqual(recorded.env, ready.command.env);

    // While it runs, npu-smi shows its process and HBM on the two devices.
    const during = await npuSmi();
    assert.ok(during.processes.some((p) => p.npuId === 0) && during.processes.some((p) => p.npuId === 1));
    assert.ok(!during.processes.some((p) => p.npuId === 2));
    assert.ok((during.devices[0].hbmUsedMB ?? 0) > 50_000);

    const deltas: string[] = [];
    const smoke = await runSmoke(ready.endpoint!, profile.smokePrompts, { model: 'tiny-sim', maxTokens: 32 }, (_i, d) => deltas.push(d));
    assert.equal(smoke.results.length, 4);
    assert.equal(smoke.simulated, true);
    assert.equal(smoke.failed, 0);
    for (const r of smoke.results) {
      assert.ok(r.output.length > 0);
      assert.ok(r.ttftMs !== null && r.totalMs !== null && r.ttftMs > 0 && r.totalMs >= r.ttftMs);
      assert.ok(r.promptTokens !== null && r.promptTokens > 0);
      assert.ok(r.completionTokens !== null && r.completionTokens > 0 && r.completionTokens <= 32);
      assert.ok(r.finishReason === 'stop' || r.finishReason === 'length');
      assert.equal(r.usageConsistent, true, r.usageNote ?? '');
      assert.equal(r.error, null);
    }
    assert.equal(deltas.join(''), smoke.results.map((r) => r.output).join(''));

    const report = await job.stop();
    assert.equal(job.state, 'stopped');
    assert.deepEqual(report.leftoverPids, []);
    assert.equal(report.checked, true);
    assert.deepEqual(report.npuProcesses, []);
    assert.deepEqual(report.devices.map((d) => d.device), [0, 1]);
    assert.equal(report.idle, true, JSON.stringify(report));
    assert.deepEqual(states, ['ready', 'stopped']);

    await follower.done;
    const fileLog = fs.readFileSync(path.join(jobsRoot, ready.jobId, 'log'));
    assert.ok(Buffer.concat(log).equals(fileLog), 'the followed log is byte-identical to the file');
    assert.match(fileLog.toString(), /SIMULATED/);
    const after = await npuSmi();
    assert.deepEqual(after.processes, []);
  });

  async function failedLaunch(profile: ReturnType<typeof simProfile>): Promise<ServingJobRecord> {
    const job = await startServing(t, profile, { jobs: jobs(), ...FAST, force: true });
    const r = await job.waitReady();
    await job.dispose();
    return r;
  }

  it('bad model path: refused before launch; forced, it ends failed with the explanation', async () => {
    const port = await freePort();
    const profile = simProfile('bad', { modelPath: path.join(sim.parent, 'no-such-model'), simRoot: sim.dir, port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } });
    await assert.rejects(startServing(t, profile, { jobs: jobs(), ...FAST }), (e: Error) => {
      assert.ok(e instanceof PreflightFailedError);
      assert.equal(e.result.checks.find((c) => c.id === 'model.folder')?.status, 'fail');
      return true;
    });
    const r = await failedLaunch(profile);
    assert.equal(r.state, 'failed');
    assert.equal(r.failure?.error?.id, 'model-path-invalid');
    assert.match(r.failure?.text ?? '', /Invalid repository ID or local directory/);
    assert.equal(r.exitCode, 1);
  });

  it('port taken: ends failed (port in use), not a hang', async () => {
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(0, '0.0.0.0', res));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await failedLaunch(simProfile('busy', { modelPath: models.tiny, simRoot: sim.dir, port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } }));
      assert.equal(r.state, 'failed');
      assert.equal(r.failure?.error?.id, 'port-in-use');
      assert.match(r.failure?.message ?? '', /Port already in use/);
    } finally {
      blocker.close();
    }
  });

  it('a model too big for one NPU: the pre-launch check says so; forced, the OOM in the log fails it', async () => {
    const port = await freePort();
    const profile = simProfile('big', { modelPath: models.hunyuan, simRoot: sim.dir, port, trustRemoteCode: true, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } });
    await assert.rejects(startServing(t, profile, { jobs: jobs(), ...FAST }), (e: Error) => {
      assert.ok(e instanceof PreflightFailedError);
      const hbm = e.result.checks.find((c) => c.id === 'hbm.fit');
      assert.equal(hbm?.status, 'fail');
      assert.match(hbm?.detail ?? '', /149\.4 GiB of weights per device/);
      return true;
    });
    const r = await failedLaunch(profile);
    assert.equal(r.state, 'failed');
    assert.equal(r.failure?.error?.id, 'npu-oom', 'the OOM, not the "engine failed to start" that follows it');
    assert.match(r.failure?.text ?? '', /NPU out of memory\. Tried to allocate/);
    assert.ok(r.failure?.error?.fix.includes('--tensor-parallel-size'));
    assert.deepEqual((await npuSmi()).processes, []);
  });

  it('the same model at TP 4 passes the HBM check', async () => {
    const port = await freePort();
    const profile = simProfile('big4', { modelPath: models.hunyuan, simRoot: sim.dir, port, tensorParallelSize: 4, trustRemoteCode: true, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } });
    let checks: Array<{ id: string; status: string }> = [];
    const job = await startServing(t, profile, { jobs: jobs(), ...FAST, onPreflight: (p) => { checks = p.checks; } });
    try {
      assert.equal(checks.find((c) => c.id === 'hbm.fit')?.status, 'pass');
      assert.equal(checks.find((c) => c.id === 'parallel.heads')?.status, 'pass');
      const r = await job.waitReady();
      assert.equal(r.state, 'ready');
    } finally {
      const rep = await job.stop();
      assert.equal(rep.idle, true);
    }
  });

  it('an OOM while loading (fault injected) ends failed with the NPU-out-of-memory explanation', async () => {
    const port = await freePort();
    const r = await failedLaunch(simProfile('oom', { modelPath: models.tiny, simRoot: sim.dir, port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2', ASCEND_ADAPT_SIM_VLLM_FAULT: 'oom' } }));
    assert.equal(r.state, 'failed');
    assert.equal(r.failure?.error?.id, 'npu-oom');
    assert.ok(r.failure?.line !== null && r.failure!.line > 1);
  });

  it('after a reload with no record kept: finds the server in the host\'s job list and re-attaches to it', async () => {
    const port = await freePort();
    const profile = simProfile('lost', { modelPath: models.tiny, servedModelName: 'lost-sim', simRoot: sim.dir, port, tensorParallelSize: 2, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } });
    const first = await startServing(t, profile, { jobs: jobs(), ...FAST });
    const ready = await first.waitReady();
    assert.equal(ready.state, 'ready');
    await first.dispose(); // the face forgets it

    const listed = await new DetachedJobs(t, { root: jobsRoot }).list();
    const found = listed.map((j) => servingRecordFromJob(j, 'local')).filter((r): r is ServingJobRecord => r !== null && r.jobId === ready.jobId);
    assert.equal(found.length, 1);
    const rec = found[0];
    assert.equal(rec.profileName, 'lost');
    assert.equal(rec.command.port, port);
    assert.equal(rec.command.servedModelName, 'lost-sim');
    assert.deepEqual(rec.command.devices, [0, 1]);
    assert.equal(rec.simulated, true);
    assert.equal(servingRecordFromJob({ ...listed[0], name: 'other', argv: ['sleep', '1'] }, 'local'), null);

    const again = attachServing(t, rec, profile, { jobs: jobs(), ...FAST });
    const r = await again.waitReady();
    assert.equal(r.state, 'ready');
    assert.equal(r.loadTimeMs, null, 'when it became ready is not known after a reload');
    const smoke = await runSmoke(await again.endpointUrl(), ['你好'], { model: 'lost-sim', maxTokens: 4 });
    assert.equal(smoke.failed, 0);
    const rep = await again.stop();
    assert.equal(rep.idle, true);
  });

  it('vllm missing on the host: failed at once with the reason (not a hang), with and without a shell in between', async () => {
    const port = await freePort();
    const direct = await failedLaunch(simProfile('novllm', { modelPath: models.tiny, port, vllmCommand: ['/no/such/vllm'] }));
    assert.equal(direct.state, 'failed');
    assert.equal(direct.failure?.error?.id, 'vllm-not-found');
    assert.match(direct.failure?.message ?? '', /could not be started: .*No such file or directory/);
    const viaSim = await failedLaunch(simProfile('novllm2', { modelPath: models.tiny, simRoot: sim.dir, port, vllmCommand: ['no-such-vllm'] }));
    assert.equal(viaSim.state, 'failed');
    assert.equal(viaSim.failure?.error?.id, 'vllm-not-found');
    assert.equal(viaSim.exitCode, 127);
  });

  it('a server that dies while serving is reported as exited (not ready, not stopped)', async () => {
    const port = await freePort();
    const job = await startServing(t, simProfile('dies', { modelPath: models.tiny, simRoot: sim.dir, port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.2' } }), { jobs: jobs(), ...FAST });
    const ready = await job.waitReady();
    assert.equal(ready.state, 'ready');
    const pid = (JSON.parse(fs.readFileSync(path.join(jobsRoot, ready.jobId, 'job.json'), 'utf8')) as { pid: number }).pid;
    process.kill(pid, 'SIGKILL');
    const end = await job.waitFor(['exited', 'failed', 'stopped']);
    assert.equal(end.state, 'exited');
    assert.equal(end.exitCode, null, 'killed by a signal');
    assert.ok(end.endedAt !== null && end.loadTimeMs !== null);
    const rep = await job.stop();
    assert.equal(job.state, 'exited', 'stopping an exited job does not rewrite its end');
    assert.equal(rep.idle, true, 'the dead process\'s NPU state no longer counts');
  });
});
