// The quantize "done when" scenarios over a real OpenSSH server on 127.0.0.1 (throwaway user owning the
// simulated host and the models): host scripts uploaded, msModelSlim run as a detached job on "the host",
// its output checked over the link; a detached job stopped from a second command leaves no process.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readNpuSmi } from '../../src/core/serving/job';
import { LocalTransport } from '../../src/core/transport/local';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import { runCli } from '../harness/cli';
import { chownR, makeSim } from '../serving/helpers';
import { SIM_MODELS } from '../../src/core/sim/models';
import { cli, gptqRefused, oomExplained, promptEndsWithQuestion, quantizeLintServe, setSimMsModelSlim, type QuantWorld } from './scenario';

const skip = sshdAvailable();

describe('quantize over ssh (real sshd, simulated host)', { skip }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let sim: ReturnType<typeof makeSim>;
  let w: QuantWorld;
  let out: string;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    sim = makeSim({ devices: 2 });
    // The simulated host's own model folders (sim create lays them out; env.sh exports ASCEND_ADAPT_SIM_MODELS).
    const models = path.join(sim.dir, 'models');
    out = path.join(sim.parent, 'out');
    fs.mkdirSync(out);
    setSimMsModelSlim(sim.dir, { secondsPerBlock: 0 });
    chownR(sim.parent, sshd.uid, fs.statSync(sshd.home).gid); // the host's files belong to its login user
    const ws = fs.mkdtempSync(path.join(sim.parent, 'ws-'));
    w = { sim: sim.dir, float: path.join(models, SIM_MODELS.bf16), gptq: path.join(models, SIM_MODELS.gptq), ws, target: ['--host', 'atlas', '--ssh-config', files.configPath, '--known-hosts', files.knownHostsPath, '--sim-root', sim.dir] };
  });
  after(async () => {
    await sshd?.stop();
    sim?.cleanup();
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  it('BF16 MoE → w8a8 on the host → lint 0 errors → the profile serves over ssh', async () => {
    const dir = path.join(out, 'Qwen3-30B-A3B-w8a8');
    await quantizeLintServe(w, dir, dir);
    assert.equal(fs.statSync(path.join(dir, 'quant_model_description.json')).uid, sshd.uid, 'written by the host user');
  });

  it('GPTQ refused with the float original; the "Enter y" question ends the run; an OOM kill is explained', async () => {
    await gptqRefused(w, path.join(out, 'never'));
    await promptEndsWithQuestion(w, path.join(out, 'asked'));
    await oomExplained(w, path.join(out, 'oom'));
  });

  it('--detach returns at once; jobs stop from another command leaves no process and the NPU idle', async () => {
    setSimMsModelSlim(sim.dir, { secondsPerBlock: 30 });
    try {
      const r = await cli(w, ['quantize', '--model', w.float, '--out', path.join(out, 'stopped'), '--yes', '--detach', '--devices', '1', '--json']);
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out) as { jobId: string; state: string };
      assert.equal(j.state, 'running');
      const hint = /Follow it with: (.*)$/m.exec(r.err)![1]!;
      assert.match(hint, /^ascend-adapt jobs logs --host atlas --ssh-config \S+ --known-hosts \S+ \S+ --follow$/);
      const local = new LocalTransport();
      try {
        // the job holds device 1 while it runs (the simulated npu-smi reads the shared state of the host)
        for (let i = 0; i < 100 && !(await readNpuSmi(local, { simRoot: sim.dir }))!.processes.length; i++) await new Promise((res) => setTimeout(res, 100));
        assert.ok((await readNpuSmi(local, { simRoot: sim.dir }))!.processes.some((p) => /msmodelslim/.test(p.name)));
        // the printed hint, copied: the same flags reach the same host (logs → stop)
        const words = hint.split(' ').slice(1).map((x) => (x === 'logs' ? 'stop' : x)).filter((x) => x !== '--follow');
        const stop = await runCli(words, { cwd: w.ws, env: { ...process.env, LANG: 'C' } });
        assert.equal(stop.code, 0, stop.err);
        assert.match(stop.err + stop.out, /no process left/);
        assert.deepEqual((await readNpuSmi(local, { simRoot: sim.dir }))!.processes, []);
      } finally {
        await local.close();
      }
    } finally {
      setSimMsModelSlim(sim.dir, { secondsPerBlock: 0 });
    }
  });
});
