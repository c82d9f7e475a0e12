// Serving figures, on the SIMULATED host over the local transport (no NPU here):
//   serving.ready_overhead_ms   load time the job records minus the load time the simulated vllm takes
//                               (launch through the job layer + readiness detection), median of 3
//   serving.stop_ms             job.stop(): TERM → process group gone → npu-smi shows HBM idle, median of 3
//   smoke.ttft_overhead_ms      smoke client's TTFT minus the server's true TTFT (from /sim/stats), median
//   logwatch.mb_per_s           LogWatcher throughput on a synthetic 16 MB vLLM log (one core)
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogWatcher } from '../src/core/knowledge/errors';
import { jobControl } from '../src/core/jobs/index';
import { startServing } from '../src/core/serving/job';
import { runSmoke } from '../src/core/smoke/index';
import { LocalTransport } from '../src/core/transport/local';
import { copyModel, freePort, makeSim, simProfile } from '../test/serving/helpers';
import type { Figure } from './run';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString('utf8'))));
    }).on('error', reject);
  });
}

function logWatchFigure(): Figure {
  const lines = [
    'INFO 11-28 17:14:31 [model_runner.py:2310] Loading weights took 37.46 GiB and 120.50 seconds',
    'INFO:     127.0.0.1:35426 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
    'INFO 11-28 17:14:41 [loggers.py:123] Engine 000: Avg prompt throughput: 120.3 tokens/s, Avg generation throughput: 1250.1 tokens/s, Running: 32 reqs',
    'WARNING 11-28 17:14:42 [utils.py:110] HCCL_OP_EXPANSION_MODE is not AIV',
    'ERROR 04-18 01:55:45 engine.py:400]   File "/usr/local/lib/python3.10/site-packages/vllm/utils.py", line 2196, in run_method',
  ];
  const unit = Buffer.from(lines.join('\n') + '\n');
  const buf = Buffer.concat(Array.from({ length: Math.ceil((16 << 20) / unit.length) }, () => unit));
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const w = new LogWatcher();
    const t0 = performance.now();
    for (let i = 0; i < buf.length; i += 64 * 1024) w.feed(buf.subarray(i, i + 64 * 1024));
    w.end();
    runs.push(buf.length / (1 << 20) / ((performance.now() - t0) / 1000));
  }
  return { name: 'logwatch.mb_per_s', value: Math.round(median(runs)), unit: 'MB/s' };
}

export default async function bench(): Promise<Figure[]> {
  const figures: Figure[] = [logWatchFigure()];
  const sim = makeSim();
  const t = new LocalTransport();
  const jobs = jobControl({ root: path.join(sim.parent, 'jobs'), graceMs: 3000 });
  const model = copyModel('tiny-dense-sim', sim.parent);
  const LOAD_S = 1;
  const overheads: number[] = [];
  const stops: number[] = [];
  const ttftGaps: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const profile = simProfile(`bench${i}`, { modelPath: model, servedModelName: 'bench', simRoot: sim.dir, port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: String(LOAD_S) } });
      const job = await startServing(t, profile, { jobs, pollMs: 100 });
      const rec = await job.waitReady();
      if (rec.state !== 'ready' || rec.loadTimeMs === null) throw new Error(`not ready: ${JSON.stringify(rec.failure)}`);
      overheads.push(rec.loadTimeMs - LOAD_S * 1000);
      if (i === 0) {
        const rep = await runSmoke(rec.endpoint!, profile.smokePrompts, { model: 'bench', maxTokens: 16 });
        const stats = (await getJson(`${rec.endpoint}/sim/stats`)) as { requests: Array<{ ttft_ms: number | null; endpoint: string }> };
        const truth = stats.requests.filter((r) => r.endpoint === 'chat' && r.ttft_ms !== null).map((r) => r.ttft_ms!);
        rep.results.forEach((r, k) => { if (truth[k] !== undefined && r.ttftMs !== null) ttftGaps.push(r.ttftMs - truth[k]); });
      }
      const t0 = performance.now();
      const rep = await job.stop();
      stops.push(performance.now() - t0);
      if (!rep.idle) throw new Error('not idle after stop');
    }
  } finally {
    sim.cleanup();
    fs.rmSync(path.join(sim.parent), { recursive: true, force: true });
  }
  figures.push({ name: 'serving.ready_overhead_ms', value: Math.round(median(overheads)), unit: 'ms' });
  figures.push({ name: 'serving.stop_ms', value: Math.round(median(stops)), unit: 'ms' });
  figures.push({ name: 'smoke.ttft_overhead_ms', value: Math.round(median(ttftGaps) * 100) / 100, unit: 'ms' });
  return figures;
}
