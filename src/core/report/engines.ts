import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseReferenceFile, primaryMetric, runAccuracy, type Reference, type Threshold } from '../accuracy/index';
import { DEFAULT_MIN_RATIO, parsePerfFile, runPerf, type PerfRun } from '../perf/index';
import { parseReportText } from './load';
import type { AccuracyEngine, PerfEngine, StepContext } from './pipeline';
import { REPORT_SCHEMA_ID, type AccuracyDataset, type Evidence, type Figure, type PartialReport, type PerfMetric } from './schema';

/**
 * The accuracy and performance steps of `validate`, on top of the accuracy-and-performance area's core
 * (src/core/accuracy, src/core/perf: host scripts run as detached jobs next to the server). This file only
 * turns their results into report sections with evidence: the job's result file (copied beside the report)
 * with a JSON pointer per figure, and the reference / baseline file as input evidence.
 */

const LABELS: Record<string, string> = { gsm8k: 'GSM8K', mmlu: 'MMLU (avg)', math: 'MATH (val)' };

export interface AccuracyStepSpec {
  tasks: string[];
  /** Dataset folder ON THE HOST. */
  dataDir: string;
  limit?: number;
  concurrency?: number;
  /** Reference file on THIS machine (GPU result, typed list, or a validation report from a GPU host), see src/core/accuracy/schema.ts. */
  referenceFile?: string;
  thresholds?: Record<string, Partial<Threshold>>;
}

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

function inputEvidence(ctx: StepContext, file: string, rel: string): string {
  let copy: string | undefined;
  try {
    const dst = path.join(ctx.book.evidenceDir, rel);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(file, dst);
    copy = path.relative(ctx.book.outDir, dst);
  } catch {
    copy = undefined;
  }
  return ctx.book.add({ kind: 'input', jobId: null, host: 'local', startedAt: null, endedAt: null, command: [], file: path.resolve(file), ...(copy ? { copy } : {}) });
}

async function resultEvidence(
  ctx: StepContext,
  ev: { jobId: string; startedAt: string; endedAt: string | null; command: string[]; resultFile: string },
  name: string,
  pointer: string,
): Promise<string> {
  const copy = await ctx.book.copyFromHost(ctx.transport, ev.resultFile, `${ev.jobId}/${name}`);
  const e: Omit<Evidence, 'id'> = {
    kind: 'result',
    jobId: ev.jobId,
    host: ctx.transport.label,
    startedAt: ev.startedAt,
    endedAt: ev.endedAt,
    command: ev.command,
    file: ev.resultFile,
    pointer,
    ...(copy ? { copy } : {}),
  };
  return ctx.book.add(e);
}

const pct = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 100);

/** A validation report (e.g. produced on a GPU host) used as reference / baseline: its measured figures. */
function asReport(text: string): PartialReport | null {
  try {
    const raw = JSON.parse(text) as { schema?: unknown };
    if (raw?.schema !== REPORT_SCHEMA_ID) return null;
  } catch {
    return null;
  }
  return parseReportText(text, 'reference').report;
}

export function referencesFromReport(r: PartialReport, source: string): Reference[] {
  return (r.accuracy?.datasets ?? [])
    .filter((d) => d.measured.value !== null)
    .map((d) => ({ name: d.name, metric: null, value: Math.round(d.measured.value! * 1e4) / 1e6, source }));
}

export function baselineFromReport(r: PartialReport): PerfRun[] {
  const metrics: Record<string, number> = {};
  for (const m of r.performance?.metrics ?? []) if (m.measured.value !== null) metrics[m.key] = m.measured.value;
  if (!Object.keys(metrics).length) return [];
  return [{ concurrency: r.performance?.concurrency ?? null, requestRate: 'inf', metrics, errors: {} }];
}

export function accuracyEngine(spec: AccuracyStepSpec): AccuracyEngine {
  return {
    async run(ctx) {
      let references: Reference[] = [];
      let refEv: string | null = null;
      if (spec.referenceFile) {
        const text = fs.readFileSync(spec.referenceFile, 'utf8');
        const rep = asReport(text);
        references = rep ? referencesFromReport(rep, path.basename(spec.referenceFile)) : parseReferenceFile(text, path.basename(spec.referenceFile));
        refEv = inputEvidence(ctx, spec.referenceFile, `reference/${path.basename(spec.referenceFile)}`);
      }
      const r = await runAccuracy({
        transport: ctx.transport,
        spec: { baseUrl: ctx.hostEndpoint, model: ctx.model, tasks: spec.tasks, dataDir: spec.dataDir, limit: spec.limit, concurrency: spec.concurrency },
        jobs: ctx.jobs,
        simRoot: ctx.profile.simRoot,
        references,
        thresholds: spec.thresholds,
        onProgress: (p) => ctx.onProgress(`${p.task} ${p.done}/${p.total} acc=${(p.accuracy * 100).toFixed(1)}%`),
        signal: ctx.signal,
      });
      const ev = await resultEvidence(ctx, { ...r.evidence, command: r.evidence.command }, 'accuracy.json', '/datasets');
      if (r.evidence.itemsFile) await ctx.book.copyFromHost(ctx.transport, r.evidence.itemsFile, `${r.evidence.jobId}/items.jsonl`);
      // One row per dataset, as the seed: the primary metric (GSM8K strict-match, MMLU subject average …).
      const names = [...new Set(r.datasets.map((d) => d.name))];
      const chosen = names.map((n) => {
        const rows = r.datasets.map((d, i) => ({ d, i })).filter((x) => x.d.name === n);
        const primary = primaryMetric(n, rows.map((x) => x.d.metric));
        return rows.find((x) => x.d.reference !== null && x.d.metric === primary) ?? rows.find((x) => x.d.metric === primary) ?? rows[0];
      });
      const datasets: Array<Omit<AccuracyDataset, 'absError' | 'relError' | 'verdict'>> = chosen.map(({ d, i }) => {
        const measured: Figure = ctx.book.figure(`accuracy.${d.name}.measured`, pct(d.value), '%', ev, `/datasets/${i}/value`, 100);
        const reference: Figure | null = d.reference !== null && refEv ? ctx.book.figure(`accuracy.${d.name}.reference`, pct(d.reference), '%', refEv) : null;
        return {
          name: d.name,
          label: LABELS[d.name] ?? d.name,
          metric: d.metric ?? '',
          n: d.n,
          reference,
          measured,
          threshold: d.threshold,
        };
      });
      return {
        engine: r.engine === 'bundled' ? 'bundled runner' : 'lm-eval',
        dtype: ctx.profile.dtype ?? null,
        temperature: 0,
        datasets: datasets as AccuracyDataset[],
        ...(r.error ? { status: 'fail' as const, reason: r.error } : {}),
      };
    },
  };
}

/** The seed's performance rows: QPS, TTFT, TPOT, tokens/s. */
const PERF_ROWS: Array<{ key: string; label: string; unit: string; hib: boolean }> = [
  { key: 'request_throughput', label: 'QPS', unit: 'req/s', hib: true },
  { key: 'mean_ttft_ms', label: 'TTFT (ms)', unit: 'ms', hib: false },
  { key: 'mean_tpot_ms', label: 'TPOT (ms)', unit: 'ms', hib: false },
  { key: 'output_throughput', label: 'Tokens/sec', unit: 'tok/s', hib: true },
];

const r2 = (v: number) => Math.round(v * 100) / 100;

export function perfEngine(spec: PerfStepSpec): PerfEngine {
  return {
    async run(ctx) {
      let baseline: { runs: PerfRun[]; source: string } | null = null;
      let baseEv: string | null = null;
      if (spec.baselineFile) {
        const text = fs.readFileSync(spec.baselineFile, 'utf8');
        const rep = asReport(text);
        const runs = rep ? baselineFromReport(rep) : parsePerfFile(text, path.basename(spec.baselineFile)).runs;
        baseline = { runs, source: path.basename(spec.baselineFile) };
        baseEv = inputEvidence(ctx, spec.baselineFile, `baseline/${path.basename(spec.baselineFile)}`);
      }
      const r = await runPerf({
        transport: ctx.transport,
        spec: {
          baseUrl: ctx.hostEndpoint,
          model: ctx.model,
          concurrency: [spec.concurrency],
          numPrompts: spec.numPrompts,
          inputLen: spec.inputLen,
          outputLen: spec.outputLen,
          ...(spec.requestRate !== undefined ? { requestRate: spec.requestRate } : {}),
          hbmIntervalS: 0,
        },
        jobs: ctx.jobs,
        simRoot: ctx.profile.simRoot,
        baseline,
        minRatio: spec.minRatio ?? DEFAULT_MIN_RATIO,
        onProgress: (p) => ctx.onProgress(`${p.done}/${p.total} requests, ${p.failed} failed (concurrency ${p.concurrency ?? '∞'})`),
        signal: ctx.signal,
      });
      const idx = 0;
      const run = r.runs[idx];
      if (!run) return { engine: r.engine, concurrency: spec.concurrency, numPrompts: r.numPrompts, inputLen: r.inputLen, outputLen: r.outputLen, metrics: [], latency: null, status: 'fail', reason: r.error ?? 'no run in the result' };
      const ev = await resultEvidence(ctx, r.evidence, 'perf.json', `/runs/${idx}/metrics`);
      if (r.evidence.requestsFile) await ctx.book.copyFromHost(ctx.transport, r.evidence.requestsFile, `${r.evidence.jobId}/requests.jsonl`);
      const base = baseline ? (baseline.runs.find((b) => b.concurrency === run.concurrency) ?? (baseline.runs.length === 1 ? baseline.runs[0] : null)) : null;
      const metrics: Array<Omit<PerfMetric, 'ratio' | 'verdict'>> = [];
      for (const row of PERF_ROWS) {
        const v = run.metrics[row.key];
        if (v === undefined) continue;
        const b = base?.metrics[row.key];
        metrics.push({
          key: row.key,
          label: row.label,
          higherIsBetter: row.hib,
          baseline: b !== undefined && baseEv ? ctx.book.figure(`perf.${row.key}.baseline`, r2(b), row.unit, baseEv) : null,
          measured: ctx.book.figure(`perf.${row.key}.measured`, r2(v), row.unit, ev, `/runs/${idx}/metrics/${row.key}`),
          minRatio: spec.minRatio ?? DEFAULT_MIN_RATIO,
        });
      }
      const lat = (k: string) => run.metrics[k];
      const p50 = lat('p50_e2el_ms') ?? lat('median_e2el_ms');
      const latency =
        p50 !== undefined && lat('p90_e2el_ms') !== undefined && lat('p99_e2el_ms') !== undefined
          ? {
              metric: 'e2el',
              p50: ctx.book.figure('perf.latency.p50', r2(p50), 'ms', ev, `/runs/${idx}/metrics/${lat('p50_e2el_ms') !== undefined ? 'p50_e2el_ms' : 'median_e2el_ms'}`),
              p90: ctx.book.figure('perf.latency.p90', r2(lat('p90_e2el_ms')!), 'ms', ev, `/runs/${idx}/metrics/p90_e2el_ms`),
              p99: ctx.book.figure('perf.latency.p99', r2(lat('p99_e2el_ms')!), 'ms', ev, `/runs/${idx}/metrics/p99_e2el_ms`),
            }
          : null;
      return {
        engine: r.engine === 'bundled' ? 'bundled client' : 'vllm bench serve',
        concurrency: run.concurrency,
        numPrompts: r.numPrompts,
        inputLen: r.inputLen,
        outputLen: r.outputLen,
        metrics: metrics as PerfMetric[],
        latency,
        ...(r.error ? { status: 'fail' as const, reason: r.error } : {}),
      };
    },
  };
}
