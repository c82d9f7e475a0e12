import * as fs from 'node:fs';
import * as path from 'node:path';
import { baselineMismatches, DEFAULT_MIN_RATIO, parsePerfFile, runPerf, type PerfRun, type PerfRunResult } from '../perf/index';
import { withPerfDerived } from '../report/figures';
import { en } from '../l10n';
import type { PerfMetric, Performance } from '../report/schema';
import { baselineFromReport, inputEvidence, reportFromText, resultEvidence } from './inputs';
import { serverStep } from './server-step';
import type { StepContext, StepResult, ValidateStep } from './types';

/**
 * Performance of the served model: the perf host script as a detached job next to the server (see
 * src/core/perf), compared with a GPU baseline. The report's rows are QPS, TTFT, TPOT and tokens/s and
 * the E2E latency percentiles, each pointing into the job's result file (copied beside the report).
 */

export interface PerfStepSpec {
  concurrency: number;
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  requestRate?: number;
  /** Baseline file on THIS machine (GPU perf result, perf --json, vllm bench serve result, or a validation report from a GPU host). */
  baselineFile?: string;
  minRatio?: number;
}

const PERF_ROWS: Array<{ key: string; label: string; unit: string; hib: boolean }> = [
  { key: 'request_throughput', label: 'QPS', unit: 'req/s', hib: true },
  { key: 'mean_ttft_ms', label: 'TTFT (ms)', unit: 'ms', hib: false },
  { key: 'mean_tpot_ms', label: 'TPOT (ms)', unit: 'ms', hib: false },
  { key: 'output_throughput', label: 'Tokens/sec', unit: 'tok/s', hib: true },
];

const r2 = (v: number) => Math.round(v * 100) / 100;

function readBaseline(ctx: StepContext, file: string): { baseline: { runs: PerfRun[]; source: string }; evidence: string } {
  const text = fs.readFileSync(file, 'utf8');
  const rep = reportFromText(text);
  const runs = rep ? baselineFromReport(rep) : parsePerfFile(text, path.basename(file)).runs;
  return { baseline: { runs, source: path.basename(file) }, evidence: inputEvidence(ctx, file, `baseline/${path.basename(file)}`) };
}

function metricsOf(ctx: StepContext, run: PerfRun, base: PerfRun | null, ev: string, baseEv: string | null, minRatio: number): PerfMetric[] {
  const out: PerfMetric[] = [];
  for (const row of PERF_ROWS) {
    const v = run.metrics[row.key];
    if (v === undefined) continue;
    const b = base?.metrics[row.key];
    out.push(
      withPerfDerived({
        key: row.key,
        label: row.label,
        higherIsBetter: row.hib,
        baseline: b !== undefined && baseEv ? ctx.book.figure(`perf.${row.key}.baseline`, r2(b), row.unit, baseEv) : null,
        measured: ctx.book.figure(`perf.${row.key}.measured`, r2(v), row.unit, ev, `/runs/0/metrics/${row.key}`),
        minRatio,
      }),
    );
  }
  return out;
}

function latencyOf(ctx: StepContext, run: PerfRun, ev: string): Performance['latency'] {
  const m = run.metrics;
  const p50Key = m.p50_e2el_ms !== undefined ? 'p50_e2el_ms' : 'median_e2el_ms';
  if (m[p50Key] === undefined || m.p90_e2el_ms === undefined || m.p99_e2el_ms === undefined) return null;
  const fig = (name: string, key: string) => ctx.book.figure(`perf.latency.${name}`, r2(m[key]!), 'ms', ev, `/runs/0/metrics/${key}`);
  return { metric: 'e2el', p50: fig('p50', p50Key), p90: fig('p90', 'p90_e2el_ms'), p99: fig('p99', 'p99_e2el_ms') };
}

const LATENCIES = ['ttft', 'tpot', 'itl', 'e2el'] as const;
const ENGINE_LABEL = { bundled: 'bundled client', vllm: 'vllm bench serve', aisbench: 'AISBench' } as const;

/** TTFT, TPOT, ITL, E2EL: mean and P50/P90/P99, each a figure pointing at its key in the result file. */
function latenciesOf(ctx: StepContext, run: PerfRun, ev: string): NonNullable<Performance['latencies']> {
  const m = run.metrics;
  const out: NonNullable<Performance['latencies']> = [];
  for (const metric of LATENCIES) {
    if (m[`mean_${metric}_ms`] === undefined) continue; // not measured (e.g. no successful request)
    const fig = (stat: string, key: string) =>
      ctx.book.figure(`perf.latency.${metric}.${stat}`, m[key] === undefined ? null : r2(m[key]!), 'ms', ev, `/runs/0/metrics/${key}`);
    const p50Key = m[`p50_${metric}_ms`] !== undefined ? `p50_${metric}_ms` : `median_${metric}_ms`;
    out.push({ metric, mean: fig('mean', `mean_${metric}_ms`), p50: fig('p50', p50Key), p90: fig('p90', `p90_${metric}_ms`), p99: fig('p99', `p99_${metric}_ms`) });
  }
  return out;
}

/**
 * @param spec what to run; null: the step is recorded as not run with `notRunReason` (e.g. --no-perf).
 */
export function perfStep(spec: PerfStepSpec | null, notRunReason = en('left out with --no-perf')): ValidateStep {
  return serverStep('perf', spec, notRunReason, async (ctx, s, server): Promise<StepResult> => {
    const minRatio = s.minRatio ?? DEFAULT_MIN_RATIO;
    ctx.state.performance = null;
    const base = s.baselineFile ? readBaseline(ctx, s.baselineFile) : null;
    const r: PerfRunResult = await runPerf({
      transport: ctx.transport,
      spec: {
        baseUrl: server.hostEndpoint,
        model: server.model,
        concurrency: [s.concurrency],
        numPrompts: s.numPrompts,
        inputLen: s.inputLen,
        outputLen: s.outputLen,
        ...(s.requestRate !== undefined ? { requestRate: s.requestRate } : {}),
        hbmIntervalS: 0,
      },
      jobs: ctx.jobs,
      simRoot: ctx.profile.simRoot,
      baseline: base?.baseline ?? null,
      minRatio,
      onProgress: (p) => ctx.progress(`${p.done}/${p.total} requests, ${p.failed} failed (concurrency ${p.concurrency ?? '∞'})`),
      signal: ctx.signal,
    });
    const shape = { engine: ENGINE_LABEL[r.engine], numPrompts: r.numPrompts, inputLen: r.inputLen, outputLen: r.outputLen };
    const run = r.runs[0];
    if (!run) {
      ctx.state.performance = { ...shape, concurrency: s.concurrency, metrics: [], latency: null };
      return { status: 'fail', reason: r.error ?? en('no run in the result') };
    }
    const ev = await resultEvidence(ctx, r.evidence, 'perf.json', '/runs/0/metrics');
    if (r.evidence.requestsFile) await ctx.book.copyFromHost(ctx.transport, r.evidence.requestsFile, `${r.evidence.jobId}/requests.jsonl`);
    const baseRun = base ? (base.baseline.runs.find((b) => b.concurrency === run.concurrency) ?? (base.baseline.runs.length === 1 ? base.baseline.runs[0] : null)) : null;
    const metrics = metricsOf(ctx, run, baseRun, ev, base?.evidence ?? null, minRatio);
    // compared all the same (as the CLI does without --strict-baseline), but the report says how they differ
    const mismatch = baseRun ? baselineMismatches(run, baseRun) : [];
    ctx.state.performance = {
      ...shape, concurrency: run.concurrency, metrics, latency: latencyOf(ctx, run, ev), latencies: latenciesOf(ctx, run, ev),
      ...(mismatch.length ? { baselineMismatch: mismatch } : {}),
    };
    const figures = metrics.map((m) => ({ label: m.label, value: m.measured.value, unit: m.measured.unit, reference: m.baseline?.value ?? null, ratio: m.ratio }));
    if (r.error) return { status: 'fail', reason: r.error, figures };
    const failed = metrics.filter((m) => m.verdict === 'fail').length;
    return { status: failed ? 'fail' : 'pass', reason: failed ? en('{0} of {1} metrics below the required ratio', failed, metrics.length) : null, figures };
  });
}
