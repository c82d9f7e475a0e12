// The quantize "done when" scenarios on a simulated host through the local transport (this machine):
// BF16 MoE → w8a8 → lint 0 errors → serve; GPTQ refused naming its float original; the "Enter y" question
// ends the run (no hang); an OOM kill explained; stop leaves no process and the NPU idle.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attachQuantize, prepareQuantize, quantizeRecordFromJob, startQuantize } from '../../src/core/quantize/job';
import { readNpuSmi } from '../../src/core/serving/job';
import { LocalTransport } from '../../src/core/transport/local';
import { makeSim } from '../serving/helpers';
import { SIM_MODELS } from '../../src/core/sim/models';
import { gptqRefused, oomExplained, promptEndsWithQuestion, quantizeLintServe, setSimMsModelSlim, type QuantWorld } from './scenario';

/** Polls a condition the host reaches by itself (a process appearing); fails after a minute. */
async function until(cond: () => Promise<boolean | undefined>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

describe('quantize on a simulated host (local transport)', () => {
  let sim: ReturnType<typeof makeSim>;
  let w: QuantWorld;
  before(() => {
    sim = makeSim({ devices: 2 });
    // The simulated host's own model folders (sim create lays them out; env.sh exports ASCEND_ADAPT_SIM_MODELS).
    const models = path.join(sim.dir, 'models');
    const ws = path.join(sim.parent, 'ws');
    fs.mkdirSync(ws);
    w = { sim: sim.dir, float: path.join(models, SIM_MODELS.bf16), gptq: path.join(models, SIM_MODELS.gptq), ws, target: ['--sim', sim.dir] };
    setSimMsModelSlim(sim.dir, { secondsPerBlock: 0 });
  });
  after(() => sim.cleanup());

  it('BF16 MoE → quantize --quant-type w8a8 --yes --json → lint 0 errors → its profile serves', async () => {
    const out = path.join(sim.parent, 'out', 'Qwen3-30B-A3B-w8a8');
    await quantizeLintServe(w, out, out);
  });

  it('the GPTQ folder is refused (exit 2) with the float checkpoint it needs', async () => {
    await gptqRefused(w, path.join(sim.parent, 'out', 'never'));
    assert.ok(!fs.existsSync(path.join(sim.parent, 'out', 'never')));
  });

  it('"Enter y to continue" without --yes ends with the tool\'s question', async () => {
    await promptEndsWithQuestion(w, path.join(sim.parent, 'out', 'asked'));
  });

  it('an OOM kill ends failed with the explanation', async () => {
    await oomExplained(w, path.join(sim.parent, 'out', 'oom'));
  });

  it('a detached job is re-attached and stopped: no process left, the NPU idle again', async () => {
    setSimMsModelSlim(sim.dir, { secondsPerBlock: 30 });
    const t = new LocalTransport();
    try {
      const spec = { model: w.float, out: path.join(sim.parent, 'out', 'stopped'), quantType: 'w8a8', yes: true, devices: [1] };
      const prep = await prepareQuantize(t, spec, { simRoot: sim.dir });
      const started = await startQuantize(t, spec, prep);
      const record = started.record();
      // The host's own job list is enough to find it again (a lost workspace state)
      const { DetachedJobs } = await import('../../src/core/jobs/index');
      const found = quantizeRecordFromJob(await new DetachedJobs(t).get(record.jobId), 'local')!;
      assert.deepEqual([found.outDir, found.resultFile, found.model, found.simRoot], [record.outDir, record.resultFile, record.model, sim.dir]);
      assert.deepEqual(found.command.slice(0, 2), ['msmodelslim', 'quant']);
      // a new handle from the stored record (as after a reload) follows it; the job holds device 1 while it runs
      const again = attachQuantize(t, record);
      const following = again.follow();
      await until(async () => (await readNpuSmi(t, { simRoot: sim.dir }))?.processes.some((p) => /msmodelslim/.test(p.name)));
      const stopped = await again.stop(3000);
      assert.deepEqual(stopped.leftovers, []);
      assert.equal((await following).state, 'stopped');
      const after = await readNpuSmi(t, { simRoot: sim.dir });
      assert.deepEqual(after!.processes, []);
    } finally {
      setSimMsModelSlim(sim.dir, { secondsPerBlock: 0 });
      await t.close();
    }
  });
});
