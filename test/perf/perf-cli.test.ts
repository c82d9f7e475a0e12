import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createSim, updateSimConfig } from '../../src/core/sim';
import { cli, PERF_FIX, python, startSimServer, tmpDir, type SimServer } from '../accuracy/helpers';

/** `ascend-adapt perf` end to end: bundled client as a detached job against the simulated server. */

// What the issue asks `perf --json` to print at least.
const KEYS = ['request_throughput', 'output_throughput', 'total_token_throughput',
  ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => ['mean', 'median', 'p50', 'p90', 'p99'].map((s) => `${s}_${m}_ms`))];
const issueShape = z.object({
  runs: z.array(z.object({ concurrency: z.number().nullable(), metrics: z.object(Object.fromEntries(KEYS.map((k) => [k, z.number()]))) })),
});

let srv: SimServer;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '20', '--tpot-base-ms', '5']);
  work = tmpDir('aa-perf-cli-');
  env = { ...process.env, ASCEND_ADAPT_JOBS_ROOT: path.join(work, 'jobs') };
});
after(async () => {
  await srv?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('perf CLI (bundled client, simulated server)', () => {
  it('sweeps concurrencies, prints vLLM metric names, compares with a vllm bench baseline', async () => {
    const r = await cli(['perf', '--endpoint', srv.url, '--concurrency', '2,8', '--num-prompts', '16', '--input-len', '64', '--output-len', '16',
      '--baseline', path.join(PERF_FIX, 'vllm_bench_serve_result.json'), '--run-dir', path.join(work, 'run-a'), '--json'], { cwd: work, env });
    const out = issueShape.parse(JSON.parse(r.out));
    assert.deepEqual(out.runs.map((x) => x.concurrency), [2, 8]);
    const full = JSON.parse(r.out) as {
      simulated: boolean; model: string;
      runs: Array<{ metrics: Record<string, number>; comparison: Array<{ key: string; ratio: number | null; baseline: number; verdict: string }> }>;
      evidence: { requestsFile: string; resultFile: string; logFile: string; jobId: string };
    };
    assert.equal(full.simulated, true);
    assert.equal(full.model, 'sim-model');
    for (const run of full.runs) {
      assert.equal(run.metrics.completed, 16);
      assert.equal(run.metrics.failed, 0);
      assert.equal(run.metrics.total_output_tokens, 256);
      const qps = run.comparison.find((c) => c.key === 'request_throughput')!;
      assert.equal(qps.baseline, 4.7976); // the baseline's only run goes with every run
      assert.equal(qps.ratio, Math.round((run.metrics.request_throughput! / 4.7976) * 1e4) / 1e4);
    }
    const lines = fs.readFileSync(full.evidence.requestsFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, 32);
    assert.ok(fs.existsSync(full.evidence.logFile));
    // the simulated server is far faster than the baseline's TTFT: ratio > 1, pass; exit depends on all metrics
    assert.ok([0, 1].includes(r.code), r.err);
    assert.match(r.err, /run 2\/2 \(concurrency 8\): 16\/16 requests, 0 failed/);
  });

  it('counts server errors and dropped streams as failed requests (exit 1)', async () => {
    const bad = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '5', '--tpot-base-ms', '1', '--error-rate', '0.1', '--drop-rate', '0.1']);
    try {
      const r = await cli(['perf', '--endpoint', bad.url, '--concurrency', '4', '--num-prompts', '20', '--input-len', '8', '--output-len', '10', '--run-dir', path.join(work, 'run-b')], { cwd: work, env });
      assert.equal(r.code, 1);
      assert.match(r.out, /18 completed, 2 failed|16 completed, 4 failed/);
      const statuses = bad.records().map((x) => x.status);
      const failed = statuses.filter((s) => s !== 'ok').length;
      assert.match(r.out, new RegExp(`${20 - failed} completed, ${failed} failed`));
      assert.match(r.out, /requests failed: HTTP 500/);
    } finally {
      await bad.stop();
    }
  });

  it('runs on a simulated host (--sim DIR): HBM peak comes from the simulated npu-smi', async () => {
    const dir = path.join(work, 'sim');
    createSim(dir, { devices: 2, python: python() });
    const r = await cli(['perf', '--sim', dir, '--endpoint', srv.url, '--concurrency', '2', '--num-prompts', '4', '--input-len', '8', '--output-len', '4',
      '--hbm-interval', '0.2', '--run-dir', path.join(work, 'run-c'), '--json'], { cwd: work, env });
    assert.equal(r.code, 0, r.err);
    const full = JSON.parse(r.out) as { simulated: boolean; hbm: { peakMB: Record<string, number>; totalMB: Record<string, number> } | null };
    assert.equal(full.simulated, true);
    assert.ok(full.hbm, 'npu-smi was sampled');
    assert.deepEqual(Object.keys(full.hbm.peakMB).sort(), ['0', '1']);
    assert.ok(Object.values(full.hbm.totalMB).every((v) => v > 0));
  });

  it('uses `vllm bench serve` when the host has it (the simulated vllm, configured with bench)', async () => {
    const dir = path.join(work, 'sim-bench');
    createSim(dir, { devices: 1, python: python() });
    updateSimConfig(dir, (c) => ({ ...c, serve: { ...(c.serve ?? {}), bench: true } }));
    const r = await cli(['perf', '--sim', dir, '--endpoint', srv.url, '--model', 'sim-model', '--concurrency', '2,4', '--num-prompts', '6',
      '--input-len', '16', '--output-len', '8', '--hbm-interval', '0', '--run-dir', path.join(work, 'run-d'), '--json'], { cwd: work, env });
    assert.equal(r.code, 0, r.err);
    const full = JSON.parse(r.out) as { engine: string; simulated: boolean; runs: Array<{ concurrency: number; metrics: Record<string, number> }> };
    assert.equal(full.engine, 'vllm');
    assert.equal(full.simulated, true);
    assert.deepEqual(full.runs.map((x) => x.concurrency), [2, 4]);
    for (const run of full.runs) {
      assert.equal(run.metrics.completed, 6);
      for (const k of ['request_throughput', 'output_throughput', 'mean_ttft_ms', 'p50_ttft_ms', 'p90_tpot_ms', 'p99_e2el_ms']) assert.equal(typeof run.metrics[k], 'number', k);
    }
    assert.match(r.err, /running: vllm bench serve/);
  });

  it('refuses bad usage with exit 2', async () => {
    for (const [argv, re] of [
      [['perf', '--endpoint', srv.url, '--concurrency', '0'], /--concurrency/],
      [['perf', '--endpoint', srv.url, '--request-rate', '-1'], /--request-rate/],
      [['perf', '--endpoint', srv.url, '--api', '/v1/embeddings'], /--api/],
      [['perf', '--endpoint', srv.url, '--baseline', path.join(PERF_FIX, 'bin', 'vllm')], /not JSON/],
      [['perf', '--profile', 'x', '--endpoint', srv.url], /either --profile/],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(argv, { cwd: work, env });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
    }
  });
});
