import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compareRun, higherIsBetter, matchBaselineRun, perfRatio } from '../../src/core/perf/baseline';
import { parsePerfProgress, perfArgv } from '../../src/core/perf/run';
import { normalizeVllmBench, parsePerfFile, PerfFileError, type PerfRun } from '../../src/core/perf/schema';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'perf');

describe('vllm bench serve results', () => {
  it('reads a --save-result file (vLLM keys kept, p50 from median, per-request arrays dropped)', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(FIX, 'vllm_bench_serve_result.json'), 'utf8')) as unknown;
    const v = normalizeVllmBench(raw, 'r.json');
    assert.equal(v.concurrency, 32);
    assert.equal(v.requestRate, 'inf');
    assert.equal(v.numPrompts, 200);
    assert.equal(v.metrics.completed, 198);
    assert.equal(v.metrics.failed, 2);
    assert.equal(v.metrics.request_throughput, 4.7976);
    assert.equal(v.metrics.p99_e2el_ms, 7420.8);
    assert.equal(v.metrics.p50_tpot_ms, 47.9);
    assert.equal(v.metrics.request_goodput, undefined); // null in the file
    assert.equal((v.metrics as Record<string, unknown>).input_lens, undefined);
  });

  it('takes older files without "failed" and refuses what is not a bench result', () => {
    const v = normalizeVllmBench({ completed: 8, num_prompts: 10, request_throughput: 1, request_rate: 4, median_ttft_ms: 10 }, 'old.json');
    assert.equal(v.metrics.failed, 2);
    assert.equal(v.requestRate, 4);
    assert.equal(v.metrics.p50_ttft_ms, 10);
    assert.throws(() => normalizeVllmBench({ avg_latency: 1.2 }, 'latency.json'), (e: Error) => e instanceof PerfFileError && /latency\.json: no "completed"/.test(e.message));
    assert.throws(() => normalizeVllmBench([1, 2], 'arr.json'), PerfFileError);
  });

  it('accepts three baseline formats and names the file when it is none of them', () => {
    const vb = parsePerfFile(fs.readFileSync(path.join(FIX, 'vllm_bench_serve_result.json'), 'utf8'), 'gpu.json');
    assert.equal(vb.source, 'vllm-bench');
    assert.equal(vb.runs[0]!.concurrency, 32);
    const js = parsePerfFile(JSON.stringify({ simulated: true, runs: [{ concurrency: 8, metrics: { request_throughput: 2 } }] }), 'out.json');
    assert.deepEqual([js.source, js.simulated, js.runs[0]!.metrics.request_throughput], ['perf-json', true, 2]);
    assert.throws(() => parsePerfFile('{"runs": []}', 'empty.json'), (e: Error) => e instanceof PerfFileError && /empty\.json/.test(e.message));
    assert.throws(() => parsePerfFile('not json', 'x.json'), (e: Error) => /x\.json is not JSON/.test(e.message));
  });
});

describe('NPU/GPU ratios', () => {
  it('is NPU performance over GPU performance, as a hand-written adaptation report\'s 0.94×', () => {
    assert.equal(higherIsBetter('request_throughput'), true);
    assert.equal(higherIsBetter('mean_ttft_ms'), false);
    // seed: QPS 45.2 (GPU) → 42.5 (NPU); TTFT 118 → 125 ms; TPOT 30 → 32 ms
    assert.equal(Math.round(perfRatio(45.2, 42.5, true)! * 100) / 100, 0.94);
    assert.equal(Math.round(perfRatio(118, 125, false)! * 100) / 100, 0.94);
    assert.equal(Math.round(perfRatio(30, 32, false)! * 100) / 100, 0.94);
    assert.equal(perfRatio(0, 3, true), null);
    assert.equal(perfRatio(null, 3, true), null);
  });

  it('compares runs of the same concurrency and judges with minRatio', () => {
    const gpu: PerfRun[] = [
      { concurrency: 8, requestRate: 'inf', metrics: { request_throughput: 10, mean_ttft_ms: 100, mean_tpot_ms: 20 }, errors: {} },
      { concurrency: 32, requestRate: 'inf', metrics: { request_throughput: 30, mean_ttft_ms: 200 }, errors: {} },
    ];
    const npu: PerfRun = { concurrency: 32, requestRate: 'inf', metrics: { request_throughput: 28.5, mean_ttft_ms: 250, p99_itl_ms: 5 }, errors: {} };
    assert.equal(matchBaselineRun(npu, gpu), gpu[1]);
    assert.equal(matchBaselineRun({ ...npu, concurrency: 4 }, gpu), null);
    assert.equal(matchBaselineRun({ ...npu, concurrency: 4 }, [gpu[0]!]), gpu[0]);
    const c = compareRun(npu, gpu[1]!, 0.9);
    const by = Object.fromEntries(c.map((x) => [x.key, x]));
    assert.deepEqual([by.request_throughput!.ratio, by.request_throughput!.verdict], [0.95, 'pass']);
    assert.deepEqual([by.mean_ttft_ms!.ratio, by.mean_ttft_ms!.verdict], [0.8, 'fail']);
    assert.deepEqual([by.p99_itl_ms!.baseline, by.p99_itl_ms!.verdict], [null, null]);
  });
});

describe('perf job argv and progress', () => {
  it('builds the host command', () => {
    const argv = perfArgv({ baseUrl: 'http://127.0.0.1:8000', model: 'q', concurrency: [1, 8, null], requestRate: 4, numPrompts: 100, inputLen: 512, outputLen: 128, engine: 'bundled', hbmIntervalS: 0.5 }, '/s', '/r', '/py');
    assert.deepEqual(argv, ['/py', '/s/perf/bench_serve.py', '--base-url', 'http://127.0.0.1:8000', '--out', '/r/perf.json', '--requests-file', '/r/requests.jsonl',
      '--model', 'q', '--max-concurrency', '1,8,inf', '--request-rate', '4', '--num-prompts', '100', '--input-len', '512', '--output-len', '128',
      '--engine', 'bundled', '--hbm-interval', '0.5']);
    assert.throws(() => perfArgv({ baseUrl: 'http://x', concurrency: [0] }, '/s', '/r'));
  });
  it('reads progress lines', () => {
    assert.deepEqual(parsePerfProgress('progress: run 2/3 concurrency=inf 40/100 failed=2'), { run: 2, runs: 3, concurrency: null, done: 40, total: 100, failed: 2 });
  });
});
