import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_MIN_RATIO } from '../../core/perf/baseline';
import { perfJson, PerfJobError, plannedMismatches, runPerf, type PerfJobSpec, type PerfRunResult } from '../../core/perf/run';
import { parsePerfFile, PerfFileError, PerfJsonSchema, type PerfRun } from '../../core/perf/schema';
import { defineCommand, UsageError, type CliIO } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';
import { EVAL_TARGET, evalOptions, readOptionFile, runEvalJob } from './evaljob';
import { timeoutOptions } from './timeouts';

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

const conc = (c: number | null) => (c === null ? l10n.t('unlimited') : String(c));

/** Where an interrupt left the runs: which completed, how far the cut one got, which never started. */
export function interruptionLines(r: PerfRunResult): string[] {
  if (!r.interrupted) return [];
  const planned = r.raw.concurrencies ?? r.runs.map((x) => x.concurrency);
  const out: string[] = [];
  const cut = r.runs.findIndex((x) => x.interrupted);
  if (cut >= 0) {
    const x = r.runs[cut]!;
    out.push(l10n.t('Interrupted during run {0} of {1} (concurrency {2}): {3} of {4} requests finished and are kept; {5} cut in flight, {6} not sent.',
      cut + 1, planned.length, conc(x.concurrency), (x.metrics.completed ?? 0) + (x.metrics.failed ?? 0), x.numRequests ?? '-', x.cutInFlight ?? 0, x.notStarted ?? 0));
  } else out.push(l10n.t('Interrupted after {0} of {1} runs.', r.runs.length, planned.length));
  for (let i = r.runs.length; i < planned.length; i++) out.push(l10n.t('Run {0} (concurrency {1}) was not started.', i + 1, conc(planned[i] ?? null)));
  return out;
}

const FIELD: Record<string, () => string> = {
  model: () => l10n.t('model'), engine: () => l10n.t('engine'), concurrency: () => l10n.t('concurrency'),
  requestRate: () => l10n.t('request rate'), inputLen: () => l10n.t('input length'), outputLen: () => l10n.t('output length'),
};

/** The warning (or refusal) for a run compared with a baseline measured differently. */
export function mismatchLine(run: PerfRunResult['runs'][number]): string | null {
  if (!run.baselineMismatch.length) return null;
  const diffs = run.baselineMismatch.map((d) => l10n.t('{0} {1} (baseline {2})', FIELD[d.field]!(), d.measured, d.baseline)).join(', ');
  return run.baselineRefused
    ? l10n.t('Not compared with the baseline (--strict-baseline): it was measured differently: {0}', diffs)
    : l10n.t('Warning: the baseline was measured differently: {0}; ratios compare unlike runs (--strict-baseline refuses)', diffs);
}

function printMetrics(run: PerfRunResult['runs'][number], io: CliIO): void {
  const m = run.metrics;
  const cmp = new Map(run.comparison.map((c) => [c.key, c]));
  const head = [l10n.t('Metric'), l10n.t('Measured'), l10n.t('Baseline'), l10n.t('Ratio'), l10n.t('Verdict')];
  const rows = SHOWN.filter((k) => m[k] !== undefined).map((k) => {
    const c = cmp.get(k);
    return [k, fmt(m[k]), fmt(c?.baseline), c?.ratio == null ? '-' : `${c.ratio.toFixed(2)}x`,
      c?.verdict === 'pass' ? l10n.t('pass') : c?.verdict === 'fail' ? l10n.t('FAIL') : '-'];
  });
  io.stdout.write(formatTable([head, ...rows]));
}

function printResult(r: PerfRunResult, io: CliIO): void {
  for (const run of r.runs) {
    const m = run.metrics;
    io.stdout.write('\n' + l10n.t('Concurrency {0}, request rate {1}: {2} completed, {3} failed in {4} s',
      conc(run.concurrency), String(run.requestRate),
      String(m.completed ?? '-'), String(m.failed ?? '-'), fmt(m.duration)) + (run.interrupted ? ` (${l10n.t('interrupted')})` : '') + '\n');
    const warn = mismatchLine(run);
    if (warn) io.stdout.write(warn + '\n');
    if (m.completed === 0) io.stdout.write(l10n.t('No request succeeded: no latency or throughput figures.') + '\n');
    else printMetrics(run, io);
    for (const [msg, n] of Object.entries(run.errors)) io.stdout.write(l10n.t('{0} requests failed: {1}', n, msg) + '\n');
    const kinds = Object.entries(run.failures ?? {});
    if (kinds.length) io.stdout.write(l10n.t('Failed requests by kind: {0}', kinds.map(([k, n]) => `${k} ×${n}`).join(', ')) + '\n');
    if (run.reconnects) io.stdout.write(l10n.t('{0} requests went on a fresh connection after the server closed a kept-alive one (not failures).', run.reconnects) + '\n');
  }
  for (const line of interruptionLines(r)) io.stdout.write(line + '\n');
  if (r.hbm) {
    const peaks = Object.entries(r.hbm.peakMB).map(([d, v]) => `${d}: ${v} / ${r.hbm!.totalMB[d]} MB`);
    io.stdout.write(l10n.t('HBM peak per device: {0}', peaks.join(', ') || '-') + '\n');
  }
  io.stdout.write(l10n.t('Engine: {0}; model: {1}{2}', r.engine, r.model ?? '-', r.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
  if (r.baselineSource) io.stdout.write(l10n.t('Baseline: {0}', r.baselineSource) + '\n');
  io.stdout.write(l10n.t('Evidence: job {0} on {1}; result {2}; per-request timings {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.requestsFile ?? '-') + '\n');
  if (r.error) io.stdout.write(l10n.t('Error: {0}', r.error) + '\n');
}

const options = {
  ...evalOptions,
  concurrency: opt.intList({ metavar: 'N', min: 1, inf: true, help: () => l10n.t('requests in flight, one run per value; inf: no cap') }),
  'request-rate': opt.float({ metavar: 'R', above: 0, inf: true, help: () => l10n.t('arrivals per second, Poisson-paced; inf, the default, sends them all at once') }),
  'num-prompts': opt.int({ metavar: 'N', min: 1, max: 1_000_000, help: () => l10n.t('requests per run') }),
  'input-len': opt.int({ metavar: 'I', min: 1, help: () => l10n.t('prompt length in tokens (random dataset)') }),
  'output-len': opt.int({ metavar: 'O', min: 1, help: () => l10n.t('answer length in tokens') }),
  sharegpt: opt.string({ metavar: 'FILE', help: () => l10n.t('ShareGPT JSON on the host to take prompts from') }),
  api: opt.string({ metavar: 'PATH', choices: ['/v1/completions', '/v1/chat/completions'], help: () => l10n.t('the API to measure') }),
  baseline: opt.string({ metavar: 'FILE', help: () => l10n.t('GPU baseline to compare with') }),
  'min-ratio': opt.float({ metavar: 'R', above: 0, default: DEFAULT_MIN_RATIO, help: () => l10n.t('a metric passes at NPU/GPU ratio ≥ R') }),
  'strict-baseline': opt.flag(() => l10n.t('compare only with a baseline measured the same way (model, engine, concurrency, rate, lengths)')),
  ...timeoutOptions,
  engine: opt.string({ choices: ['auto', 'bundled', 'vllm', 'aisbench'], default: 'auto', help: () => l10n.t('vllm bench serve when the host has it (auto), or force one; aisbench runs AISBench (ais_bench)') }),
  'hbm-interval': opt.float({ metavar: 'SECONDS', min: 0, help: () => l10n.t('seconds between HBM samples from npu-smi; 0 turns sampling off') }),
  seed: opt.int({ metavar: 'N', help: () => l10n.t('random seed of the dataset') }),
};

function baselineFrom(io: CliIO, file: string | undefined): { runs: PerfRun[]; source: string } | null {
  if (!file) return null;
  const { file: f, text } = readOptionFile(io, file);
  try {
    const b = parsePerfFile(text, f);
    return { runs: b.runs, source: `${path.basename(f)} (${b.source}${b.simulated ? `, ${l10n.t('SIMULATED')}` : ''})` };
  } catch (e) {
    if (e instanceof PerfFileError) throw new UsageError(e.message);
    throw e;
  }
}

export const perfCommand = defineCommand({
  name: 'perf',
  summary: () => l10n.t('serving benchmark (vllm bench serve or the bundled client) against a GPU baseline'),
  description: () => [
    l10n.t('Runs on the host next to the server as a detached job: `vllm bench serve` when the host has it, else the bundled'),
    l10n.t('streaming client. --concurrency caps requests in flight (one run per value); --request-rate paces arrivals'),
    l10n.t('per second (Poisson) as vLLM\'s benchmark does; both together are allowed. HBM is sampled from npu-smi meanwhile.'),
    l10n.t('Metric names are vLLM\'s (request_throughput, output_throughput, mean_ttft_ms, p99_tpot_ms …).'),
    l10n.t('--baseline: the same job\'s result from a GPU host, its --json output, or a vllm bench serve --save-result file.'),
    l10n.t('Ratios are NPU performance / GPU performance (> 1 = NPU better); a metric passes at ratio ≥ --min-ratio.'),
  ],
  target: EVAL_TARGET,
  options,
  exitCodes: () => l10n.t('Exit codes: 0 done (and every compared metric passed), 1 a metric failed, requests failed or the job failed, 2 bad usage.'),
  async run(ctx) {
    const { values, io } = ctx;
    const baseline = baselineFrom(io, values.baseline);
    const concurrency = values.concurrency?.map((c) => (c === Infinity ? null : c));
    const rate = values['request-rate'];
    const spec = (baseUrl: string, model: string | undefined, t: { requestTimeoutS?: number; stallTimeoutS?: number } = {}): PerfJobSpec => ({
      baseUrl, model, endpoint: values.api, concurrency, requestRate: rate === Infinity ? undefined : rate,
      numPrompts: values['num-prompts'], inputLen: values['input-len'], outputLen: values['output-len'],
      sharegptPath: values.sharegpt, engine: values.engine, hbmIntervalS: values['hbm-interval'], seed: values.seed, runDir: values['run-dir'],
      requestTimeoutS: values['request-timeout'] ?? t.requestTimeoutS, stallTimeoutS: values['stall-timeout'] ?? t.stallTimeoutS,
    });
    if (baseline && values['strict-baseline']) {
      // refuse before spending the run: what differs already in what was asked
      const off = plannedMismatches(spec('', values.model), baseline.runs).filter((p) => p.mismatch.length);
      if (off.length) {
        throw new UsageError(l10n.t('--strict-baseline: {0} was measured differently: {1}', baseline.source,
          off.map((p) => `${l10n.t('concurrency')} ${conc(p.concurrency)}: ${p.mismatch.map((d) => l10n.t('{0} {1} (baseline {2})', FIELD[d.field]!(), d.measured, d.baseline)).join(', ')}`).join('; ')));
      }
    }
    return runEvalJob(ctx, (e): e is PerfJobError => e instanceof PerfJobError, (target, signal) => runPerf({
      transport: target.transport,
      jobs: target.jobs,
      simRoot: target.simRoot,
      spec: spec(target.baseUrl, target.model, target),
      baseline, minRatio: values['min-ratio'], strictBaseline: values['strict-baseline'],
      signal,
      onStart: (job, runDir) => io.stderr.write(l10n.t('Started job {0} on {1} (run folder {2})', job.id, target.hostLabel, runDir) + '\n'),
      onProgress: (p) => io.stderr.write(l10n.t('run {0}/{1} (concurrency {2}): {3}/{4} requests, {5} failed', p.run, p.runs, p.concurrency === null ? l10n.t('unlimited') : String(p.concurrency), p.done, p.total, p.failed) + '\n'),
      onLine: (line) => {
        if (/^(error|warning|model|running|interrupted):/.test(line)) io.stderr.write(line + '\n');
      },
    }), (r) => {
      if (values.json) io.stdout.write(JSON.stringify(PerfJsonSchema.parse(perfJson(r)), null, 2) + '\n');
      else printResult(r, io);
      const cmpFail = r.runs.some((x) => x.comparison.some((c) => c.verdict === 'fail') || x.baselineRefused);
      const reqFail = r.runs.some((x) => (x.metrics.failed ?? 0) > 0 || (x.metrics.completed ?? 0) === 0);
      return cmpFail || reqFail || r.error || r.interrupted || r.runs.length === 0 ? 1 : 0;
    });
  },
});
