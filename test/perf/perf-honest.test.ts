import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DetachedJobs, hostPython } from '../../src/core/jobs/index';
import { perfJson, runPerf } from '../../src/core/perf/run';
import { LocalTransport } from '../../src/core/transport/local';
import { cli, PERF_FIX, startSimServer, tmpDir, type SimServer } from '../accuracy/helpers';

/**
 * perf end to end on what goes wrong: Ctrl-C / Stop keep what completed (per run, marked interrupted, in --json
 * too), failures counted by kind without latencies, stalls ended by --stall-timeout, bounded and strictly
 * parsed numbers, baselines compared only like with like.
 */

let srv: SimServer;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '5', '--tpot-base-ms', '20']);
  work = tmpDir('aa-perf-honest-');
  env = { ...process.env, ASCEND_ADAPT_JOBS_ROOT: path.join(work, 'jobs') };
});
after(async () => {
  await srv?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function lines(file: string): number {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}

describe('perf: interrupts keep what was done', () => {
  it('Stop during the second run: run 1 whole, run 2 with its completed requests, the third not started', async () => {
    const transport = new LocalTransport();
    const jobs = new DetachedJobs(transport, { root: path.join(work, 'jobs'), python: await hostPython(transport) });
    const runDir = path.join(work, 'run-stop');
    const ac = new AbortController();
    const req = path.join(runDir, 'requests.jsonl');
    const watch = until(() => lines(req) >= 6 + 2, 'two requests of run 2 finished').then(() => ac.abort());
    const r = await runPerf({
      transport, jobs, signal: ac.signal,
      spec: { baseUrl: srv.url, concurrency: [8, 1, 4], numPrompts: 6, inputLen: 8, outputLen: 10, hbmIntervalS: 0, runDir },
    });
    await watch;
    assert.equal(r.interrupted, true);
    assert.equal(r.error, null, 'an interrupt is not an error');
    assert.deepEqual(r.runs.map((x) => [x.concurrency, x.interrupted]), [[8, false], [1, true]]);
    assert.equal(r.runs[0]!.metrics.completed, 6);
    const done = r.runs[1]!.metrics.completed!;
    assert.ok(done >= 2 && done < 6, `${done}`);
    assert.equal(lines(req), 6 + done, 'every finished request is in requests.jsonl');
    const j = perfJson(r) as { interrupted: boolean; runs: Array<{ interrupted?: boolean; completedRequests?: number }> };
    assert.equal(j.interrupted, true);
    assert.equal(j.runs[1]!.interrupted, true);
    assert.equal(j.runs[1]!.completedRequests, done);
  });

  it('Ctrl-C in the CLI: --json still prints the result, marked interrupted, and the text names what is left', async () => {
    const runDir = path.join(work, 'run-ctrlc');
    const req = path.join(runDir, 'requests.jsonl');
    const pending = cli(['perf', '--endpoint', srv.url, '--concurrency', '1', '--num-prompts', '100', '--input-len', '8', '--output-len', '10',
      '--hbm-interval', '0', '--run-dir', runDir, '--json'], { cwd: work, env });
    await until(() => lines(req) >= 3, 'three requests finished');
    process.emit('SIGINT');
    const r = await pending;
    assert.equal(r.code, 1);
    const out = JSON.parse(r.out) as { interrupted: boolean; runs: Array<{ interrupted: boolean; metrics: Record<string, number>; completedRequests: number }> };
    assert.equal(out.interrupted, true);
    assert.equal(out.runs.length, 1);
    assert.equal(out.runs[0]!.interrupted, true);
    assert.equal(out.runs[0]!.completedRequests, lines(req));
    assert.equal(typeof out.runs[0]!.metrics.mean_ttft_ms, 'number');
    assert.doesNotMatch(r.err, /left no usable result|exit code/);
  });
});

describe('perf: honest records and bounded inputs', () => {
  it('a wrong model: every request failed, counted by kind, no latency figures', async () => {
    const r = await cli(['perf', '--endpoint', srv.url, '--model', 'nope', '--concurrency', '2', '--num-prompts', '4', '--input-len', '8', '--output-len', '4',
      '--hbm-interval', '0', '--run-dir', path.join(work, 'run-404')], { cwd: work, env });
    assert.equal(r.code, 1);
    assert.match(r.out, /0 completed, 4 failed/);
    assert.match(r.out, /No request succeeded: no latency or throughput figures/);
    assert.match(r.out, /Failed requests by kind: http_404 ×4/);
    assert.doesNotMatch(r.out, /mean_ttft_ms|request_throughput/);
  });

  it('a stalling server: requests end after --stall-timeout and the run goes on', async () => {
    const stall = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '2', '--tpot-base-ms', '2', '--stall-rate', '0.5']);
    try {
      const r = await cli(['perf', '--endpoint', stall.url, '--concurrency', '4', '--num-prompts', '6', '--input-len', '8', '--output-len', '6',
        '--stall-timeout', '1', '--hbm-interval', '0', '--run-dir', path.join(work, 'run-stall'), '--json'], { cwd: work, env });
      const out = JSON.parse(r.out) as { runs: Array<{ metrics: Record<string, number>; failures: Record<string, number>; errors: Record<string, number> }> };
      assert.deepEqual([out.runs[0]!.metrics.completed, out.runs[0]!.failures], [3, { stalled: 3 }]);
      assert.deepEqual(out.runs[0]!.errors, { 'no data for 1 s': 3 });
    } finally {
      await stall.stop();
    }
  });

  it('numbers are strict and bounded; --request-rate inf is vLLM\'s "all at once"', async () => {
    for (const [argv, re] of [
      [['--num-prompts', '1e9'], /--num-prompts/], [['--num-prompts', '0x10'], /--num-prompts/], [['--num-prompts', '1000001'], /--num-prompts/],
      [['--stall-timeout', '0'], /--stall-timeout/], [['--request-timeout', 'abc'], /--request-timeout/],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(['perf', '--endpoint', srv.url, ...argv], { cwd: work, env });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
    }
    const ok = await cli(['perf', '--endpoint', srv.url, '--request-rate', 'inf', '--num-prompts', '2', '--input-len', '4', '--output-len', '2',
      '--hbm-interval', '0', '--run-dir', path.join(work, 'run-inf'), '--json'], { cwd: work, env });
    assert.equal(ok.code, 0, ok.err);
    assert.equal((JSON.parse(ok.out) as { runs: Array<{ requestRate: unknown }> }).runs[0]!.requestRate, 'inf');
  });
});

describe('perf: baselines compared like with like', () => {
  const BASE = path.join(PERF_FIX, 'vllm_bench_serve_result.json'); // Qwen/Qwen3-8B, concurrency 32, 512 in / 128 out

  it('a baseline measured differently is named in a warning; --strict-baseline refuses before running', async () => {
    const r = await cli(['perf', '--endpoint', srv.url, '--concurrency', '2', '--num-prompts', '4', '--input-len', '64', '--output-len', '16',
      '--hbm-interval', '0', '--baseline', BASE, '--run-dir', path.join(work, 'run-base')], { cwd: work, env });
    assert.match(r.out, /Warning: the baseline was measured differently: model sim-model \(baseline Qwen\/Qwen3-8B\), engine bundled \(baseline vllm\), concurrency 2 \(baseline 32\), input length 64 \(baseline 512\), output length 16 \(baseline 128\)/);
    const asked = srv.records().length;
    const s = await cli(['perf', '--endpoint', srv.url, '--concurrency', '2', '--input-len', '64', '--baseline', BASE, '--strict-baseline'], { cwd: work, env });
    assert.equal(s.code, 2, s.err);
    assert.match(s.err, /--strict-baseline: .*vllm_bench_serve_result\.json.* was measured differently: concurrency 2: concurrency 2 \(baseline 32\), input length 64 \(baseline 512\)/);
    assert.equal(srv.records().length, asked, 'nothing was sent');
  });

  it('the --json of a run is a baseline for the same run: no warning, compared, strict accepted', async () => {
    const args = ['--concurrency', '2', '--num-prompts', '4', '--input-len', '16', '--output-len', '4', '--hbm-interval', '0'];
    const first = await cli(['perf', '--endpoint', srv.url, ...args, '--run-dir', path.join(work, 'run-b1'), '--json'], { cwd: work, env });
    const baseFile = path.join(work, 'gpu-baseline.json');
    fs.writeFileSync(baseFile, first.out);
    const second = await cli(['perf', '--endpoint', srv.url, ...args, '--baseline', baseFile, '--strict-baseline', '--run-dir', path.join(work, 'run-b2'), '--json'], { cwd: work, env });
    const out = JSON.parse(second.out) as { runs: Array<{ baselineMismatch: unknown[]; comparison: Array<{ key: string; ratio: number | null }> }> };
    assert.deepEqual(out.runs[0]!.baselineMismatch, []);
    assert.ok(out.runs[0]!.comparison.some((c) => c.key === 'mean_ttft_ms' && c.ratio !== null));
  });
});
