import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_MIN_RATIO } from '../../core/perf/baseline';
import { perfJson, PerfJobError, runPerf, type PerfRunResult } from '../../core/perf/run';
import { parsePerfFile, PerfFileError, PerfJsonSchema, type PerfRun } from '../../core/perf/schema';
import { parse } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { evalTargetOptions, interruptOnSigint, openEvalTarget, positiveInt, positiveNumber, table } from './evaljob';

const usage = () => [
  l10n.t('Usage: ascend-adapt perf (--profile NAME [--config FILE] [--host ALIAS | --local | --sim DIR] | --endpoint URL [--model NAME])'),
  l10n.t('         [--concurrency 1,8,32] [--request-rate R] [--num-prompts N] [--input-len I --output-len O]'),
  l10n.t('         [--sharegpt FILE] [--api /v1/completions|/v1/chat/completions] [--baseline FILE] [--min-ratio 0.9]'),
  l10n.t('         [--engine auto|bundled|vllm] [--run-dir DIR] [--json]'),
  '',
  l10n.t('Runs on the host next to the server as a detached job: `vllm bench serve` when the host has it, else the bundled'),
  l10n.t('streaming client. --concurrency caps requests in flight (one run per value); --request-rate paces arrivals'),
  l10n.t('per second (Poisson) as vLLM\'s benchmark does; both together are allowed. HBM is sampled from npu-smi meanwhile.'),
  l10n.t('Metric names are vLLM\'s (request_throughput, output_throughput, mean_ttft_ms, p99_tpot_ms …).'),
  l10n.t('--baseline: the same job\'s result from a GPU host, its --json output, or a vllm bench serve --save-result file.'),
  l10n.t('Ratios are NPU performance / GPU performance (> 1 = NPU better); a metric passes at ratio ≥ --min-ratio.'),
  '',
  l10n.t('Exit codes: 0 done (and every compared metric passed), 1 a metric failed, requests failed or the job failed, 2 bad usage.'),
].join('\n');

const SHOWN = [
  'request_throughput', 'output_throughput', 'total_token_throughput',
  'mean_ttft_ms', 'median_ttft_ms', 'p90_ttft_ms', 'p99_ttft_ms',
  'mean_tpot_ms', 'median_tpot_ms', 'p90_tpot_ms', 'p99_tpot_ms',
  'mean_itl_ms', 'p99_itl_ms',
  'mean_e2el_ms', 'median_e2el_ms', 'p90_e2el_ms', 'p99_e2el_ms',
];

function fmt(v: number | undefined | null): string {
  if (v === undefined || v === null) return '-';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2);
}

function printResult(r: PerfRunResult, io: CliIO): void {
  for (const run of r.runs) {
    const m = run.metrics;
    io.stdout.write('\n' + l10n.t('Concurrency {0}, request rate {1}: {2} completed, {3} failed in {4} s',
      run.concurrency === null ? l10n.t('unlimited') : String(run.concurrency), String(run.requestRate),
      String(m.completed ?? '-'), String(m.failed ?? '-'), fmt(m.duration)) + '\n');
    const cmp = new Map(run.comparison.map((c) => [c.key, c]));
    const head = [l10n.t('Metric'), l10n.t('Measured'), l10n.t('Baseline'), l10n.t('Ratio'), l10n.t('Verdict')];
    const rows = SHOWN.filter((k) => m[k] !== undefined).map((k) => {
      const c = cmp.get(k);
      return [k, fmt(m[k]), fmt(c?.baseline), c?.ratio == null ? '-' : `${c.ratio.toFixed(2)}x`,
        c?.verdict === 'pass' ? l10n.t('pass') : c?.verdict === 'fail' ? l10n.t('FAIL') : '-'];
    });
    io.stdout.write(table([head, ...rows]));
    for (const [msg, n] of Object.entries(run.errors)) io.stdout.write(l10n.t('{0} requests failed: {1}', n, msg) + '\n');
  }
  if (r.hbm) {
    const peaks = Object.entries(r.hbm.peakMB).map(([d, v]) => `${d}: ${v} / ${r.hbm!.totalMB[d]} MB`);
    io.stdout.write(l10n.t('HBM peak per device: {0}', peaks.join(', ') || '-') + '\n');
  }
  io.stdout.write(l10n.t('Engine: {0}; model: {1}{2}', r.engine, r.model ?? '-', r.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
  if (r.baselineSource) io.stdout.write(l10n.t('Baseline: {0}', r.baselineSource) + '\n');
  io.stdout.write(l10n.t('Evidence: job {0} on {1}; result {2}; per-request timings {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.requestsFile ?? '-') + '\n');
  if (r.error) io.stdout.write(l10n.t('Error: {0}', r.error) + '\n');
}

function parseConcurrency(v: string | undefined): Array<number | null> | undefined {
  if (v === undefined) return undefined;
  const out: Array<number | null> = [];
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (part === 'inf') {
      out.push(null);
      continue;
    }
    const n = Number(part);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(l10n.t('--concurrency wants whole numbers ≥ 1 separated by commas, got {0}', JSON.stringify(v)));
    out.push(n);
  }
  if (!out.length) throw new UsageError(l10n.t('--concurrency is empty'));
  return out;
}

export const perfCommand: CliCommand = {
  name: 'perf',
  summary: () => l10n.t('serving benchmark (vllm bench serve or the bundled client) against a GPU baseline'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...evalTargetOptions,
      concurrency: { type: 'string' },
      'request-rate': { type: 'string' },
      'num-prompts': { type: 'string' },
      'input-len': { type: 'string' },
      'output-len': { type: 'string' },
      sharegpt: { type: 'string' },
      api: { type: 'string' },
      baseline: { type: 'string' },
      'min-ratio': { type: 'string' },
      engine: { type: 'string' },
      'hbm-interval': { type: 'string' },
      seed: { type: 'string' },
    }, false);
    if (positionals.length) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[0]));
    const engine = values.engine ?? 'auto';
    if (!['auto', 'bundled', 'vllm'].includes(engine)) throw new UsageError(l10n.t('--engine is auto, bundled or vllm'));
    if (values.api !== undefined && !['/v1/completions', '/v1/chat/completions'].includes(values.api)) throw new UsageError(l10n.t('--api is /v1/completions or /v1/chat/completions'));
    const concurrency = parseConcurrency(values.concurrency);
    const requestRate = positiveNumber(values['request-rate'], '--request-rate');
    const numPrompts = positiveInt(values['num-prompts'], '--num-prompts');
    const inputLen = positiveInt(values['input-len'], '--input-len');
    const outputLen = positiveInt(values['output-len'], '--output-len');
    const minRatio = positiveNumber(values['min-ratio'], '--min-ratio') ?? DEFAULT_MIN_RATIO;
    const hbmInterval = values['hbm-interval'] === undefined ? undefined : Number(values['hbm-interval']);
    if (hbmInterval !== undefined && (!Number.isFinite(hbmInterval) || hbmInterval < 0)) throw new UsageError(l10n.t('--hbm-interval wants seconds (0 = off)'));
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(l10n.t('--seed wants a whole number'));

    let baseline: { runs: PerfRun[]; source: string } | null = null;
    if (values.baseline) {
      const f = path.resolve(io.cwd, values.baseline);
      let text: string;
      try {
        text = fs.readFileSync(f, 'utf8');
      } catch (e) {
        throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
      }
      try {
        const b = parsePerfFile(text, f);
        baseline = { runs: b.runs, source: `${path.basename(f)} (${b.source}${b.simulated ? `, ${l10n.t('SIMULATED')}` : ''})` };
      } catch (e) {
        if (e instanceof PerfFileError) throw new UsageError(e.message);
        throw e;
      }
    }

    const target = await openEvalTarget(values, io);
    const sig = interruptOnSigint(io);
    try {
      const r = await runPerf({
        transport: target.transport,
        jobs: target.jobs,
        simRoot: target.simRoot,
        spec: {
          baseUrl: target.baseUrl, model: target.model, endpoint: values.api, concurrency, requestRate, numPrompts, inputLen, outputLen,
          sharegptPath: values.sharegpt, engine: engine as 'auto' | 'bundled' | 'vllm', hbmIntervalS: hbmInterval, seed, runDir: values['run-dir'],
        },
        baseline, minRatio,
        signal: sig.signal,
        onStart: (job, runDir) => io.stderr.write(l10n.t('Started job {0} on {1} (run folder {2})', job.id, target.hostLabel, runDir) + '\n'),
        onProgress: (p) => io.stderr.write(l10n.t('run {0}/{1} (concurrency {2}): {3}/{4} requests, {5} failed', p.run, p.runs, p.concurrency === null ? l10n.t('unlimited') : String(p.concurrency), p.done, p.total, p.failed) + '\n'),
        onLine: (line) => {
          if (/^(error|warning|model|running):/.test(line)) io.stderr.write(line + '\n');
        },
      });
      if (values.json) {
        const out = PerfJsonSchema.parse(perfJson(r));
        io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else printResult(r, io);
      const cmpFail = r.runs.some((x) => x.comparison.some((c) => c.verdict === 'fail'));
      const reqFail = r.runs.some((x) => (x.metrics.failed ?? 0) > 0 || (x.metrics.completed ?? 0) === 0);
      return cmpFail || reqFail || r.error || r.runs.length === 0 ? 1 : 0;
    } catch (e) {
      if (e instanceof PerfJobError) {
        io.stderr.write(e.message + '\n');
        if (e.evidence) io.stderr.write(l10n.t('Log: {0} on {1}', e.evidence.logFile, e.evidence.host) + '\n');
        return 1;
      }
      throw e;
    } finally {
      sig.dispose();
      await target.transport.close();
    }
  },
};
