import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSim } from '../../src/core/sim';
import { cli, python, ROOT, startSimServer, tmpDir, type SimServer } from '../accuracy/helpers';

/**
 * AISBench as the third engine, end to end on a simulated host: `sim create` lays out a stand-in ais_bench
 * (python/sim/ais_bench.py: AISBench's command line, config lookup, output files and formats); perf and accuracy
 * run its documented commands with this run's model config and read its files into the same result schema.
 */

let srv: SimServer;
let work: string;
let sim: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '5', '--tpot-base-ms', '2',
    '--answer-key', path.join(ROOT, 'python', 'data', 'demo', 'answer_key.jsonl')]);
  work = tmpDir('aa-aisbench-');
  sim = path.join(work, 'sim');
  createSim(sim, { devices: 1, python: python() });
  env = { ...process.env, ASCEND_ADAPT_JOBS_ROOT: path.join(work, 'jobs') };
});
after(async () => {
  await srv?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('AISBench engine on a simulated host', () => {
  it('sim create lays out ais_bench and its GSM8K dataset, marked simulated', () => {
    const wrapper = fs.readFileSync(path.join(sim, 'bin', 'ais_bench'), 'utf8');
    assert.match(wrapper, /SIMULATED/);
    assert.ok(fs.existsSync(path.join(sim, 'aisbench', 'ais_bench', 'datasets', 'gsm8k', 'test.jsonl')));
  });

  it('perf --engine aisbench: one documented ais_bench run per concurrency, its CSV/JSON read with their units', async () => {
    const r = await cli(['perf', '--sim', sim, '--endpoint', srv.url, '--model', 'sim-model', '--engine', 'aisbench', '--concurrency', '2,4',
      '--num-prompts', '6', '--output-len', '8', '--hbm-interval', '0', '--run-dir', path.join(work, 'perf'), '--json'], { cwd: work, env });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { engine: string; simulated: boolean; runs: Array<{ concurrency: number; metrics: Record<string, number> }> };
    assert.equal(out.engine, 'aisbench');
    assert.equal(out.simulated, true);
    assert.deepEqual(out.runs.map((x) => x.concurrency), [2, 4]);
    for (const run of out.runs) {
      assert.equal(run.metrics.completed, 6);
      for (const k of ['mean_ttft_ms', 'p50_ttft_ms', 'p90_tpot_ms', 'p99_itl_ms', 'p99_e2el_ms', 'output_throughput']) assert.ok(run.metrics[k]! > 0, k);
    }
    const csv = fs.readFileSync(fs.readdirSync(path.join(work, 'perf', 'aisbench-c2', 'outputs'), { recursive: true, withFileTypes: false })
      .map((f) => path.join(work, 'perf', 'aisbench-c2', 'outputs', String(f))).find((f) => f.endsWith('gsm8k.csv'))!, 'utf8');
    assert.match(csv, /^Performance Parameters,Stage,Average,Min,Max,Median,P75,P90,P99,N/);
    assert.match(csv, /\nTTFT,total,[0-9.]+ ms,/);
    assert.match(r.err, /running: ais_bench --models vllm_api_stream_chat --datasets gsm8k_gen_0_shot_cot_str_perf --summarizer default_perf --mode perf/);
  });

  it('accuracy --engine aisbench: the summary CSV read as the GSM8K accuracy', async () => {
    const r = await cli(['accuracy', '--sim', sim, '--endpoint', srv.url, '--model', 'sim-model', '--engine', 'aisbench', '--tasks', 'gsm8k',
      '--run-dir', path.join(work, 'acc'), '--json'], { cwd: work, env });
    const out = JSON.parse(r.out) as { engine: string; datasets: Array<{ name: string; metric: string; value: number | null; n: number }> };
    assert.equal(out.engine, 'aisbench', r.err);
    const g = out.datasets.find((d) => d.name === 'gsm8k')!;
    assert.equal(g.metric, 'accuracy');
    assert.ok(g.value !== null && g.value > 0 && g.value <= 1, JSON.stringify(out.datasets));
    assert.ok(g.n > 0);
  });
});
