import * as l10n from '@vscode/l10n';
import { HostJobError, runHostJob, type DetachedJobs, type HostJobEvidence, type HostJobKind, type JobRecord } from '../jobs/index';
import type { Transport } from '../transport/transport';
import { baselineMismatches, compareRun, DEFAULT_MIN_RATIO, matchBaselineRun, type BaselineMismatch, type MetricComparison } from './baseline';
import { hostRuns, PerfHostResultSchema, type PerfHostResult, type PerfRun } from './schema';

/**
 * A performance job: python/perf/bench_serve.py (bundled client, or `vllm bench serve` when the host has it)
 * as a detached job on the host, one run per concurrency, HBM sampled from npu-smi meanwhile; the result file
 * is read back and compared with a baseline.
 *
 *   const r = await runPerf({ transport, spec: { baseUrl: 'http://127.0.0.1:8000', concurrency: [1, 8, 32],
 *                              numPrompts: 200, inputLen: 512, outputLen: 128 }, baseline });
 *   r.runs[i].metrics.mean_ttft_ms; r.runs[i].comparison → ratios NPU/GPU; r.evidence → job, files
 */

export interface PerfJobSpec {
  /** The endpoint as the HOST sees it, e.g. http://127.0.0.1:8000. */
  baseUrl: string;
  model?: string;
  /** /v1/completions (default) or /v1/chat/completions. */
  endpoint?: string;
  /** One run per value; null = no cap. Default [null]. */
  concurrency?: Array<number | null>;
  /** Poisson arrivals per second (default: all at once, "inf"). */
  requestRate?: number;
  burstiness?: number;
  numPrompts?: number;
  inputLen?: number;
  outputLen?: number;
  /** ShareGPT JSON on the host; default random prompts. */
  sharegptPath?: string;
  /** auto: vllm bench serve when the host has it, else bundled; aisbench: AISBench's documented perf command. */
  engine?: 'auto' | 'bundled' | 'vllm' | 'aisbench';
  /** npu-smi sampling period (s); 0 = off. */
  hbmIntervalS?: number;
  seed?: number;
  warmups?: number;
  runDir?: string;
  /** Seconds for a whole request (default: no limit). */
  requestTimeoutS?: number;
  /** Seconds without a byte from the server before a request fails (host script default 60). */
  stallTimeoutS?: number;
}

export class PerfJobError extends HostJobError {
  constructor(message: string, evidence?: HostJobEvidence) {
    super(message, evidence);
    this.name = 'PerfJobError';
  }
}

export function perfArgv(spec: PerfJobSpec, scriptsDir: string, runDir: string, python = 'python3'): string[] {
  const argv = [python, `${scriptsDir}/perf/bench_serve.py`, '--base-url', spec.baseUrl, '--out', `${runDir}/perf.json`, '--requests-file', `${runDir}/requests.jsonl`];
  if (spec.model) argv.push('--model', spec.model);
  if (spec.endpoint) argv.push('--endpoint', spec.endpoint);
  const conc = spec.concurrency ?? [];
  if (conc.some((c) => c !== null && (!Number.isInteger(c) || c < 1))) throw new PerfJobError(l10n.t('concurrency values must be whole numbers ≥ 1'));
  if (conc.length) argv.push('--max-concurrency', conc.map((c) => (c === null ? 'inf' : String(c))).join(','));
  if (spec.requestRate !== undefined) argv.push('--request-rate', String(spec.requestRate));
  if (spec.burstiness !== undefined) argv.push('--burstiness', String(spec.burstiness));
  if (spec.numPrompts !== undefined) argv.push('--num-prompts', String(spec.numPrompts));
  if (spec.inputLen !== undefined) argv.push('--input-len', String(spec.inputLen));
  if (spec.outputLen !== undefined) argv.push('--output-len', String(spec.outputLen));
  if (spec.sharegptPath) argv.push('--dataset-name', 'sharegpt', '--dataset-path', spec.sharegptPath);
  if (spec.engine && spec.engine !== 'auto') argv.push('--engine', spec.engine);
  if (spec.hbmIntervalS !== undefined) argv.push('--hbm-interval', String(spec.hbmIntervalS));
  if (spec.seed !== undefined) argv.push('--seed', String(spec.seed));
  if (spec.warmups !== undefined) argv.push('--warmups', String(spec.warmups));
  if (spec.requestTimeoutS !== undefined) argv.push('--request-timeout', String(spec.requestTimeoutS));
  if (spec.stallTimeoutS !== undefined) argv.push('--stall-timeout', String(spec.stallTimeoutS));
  return argv;
}

export interface PerfProgress {
  run: number;
  runs: number;
  concurrency: number | null;
  done: number;
  total: number;
  failed: number;
}

const PROGRESS = /^progress: run (\d+)\/(\d+) concurrency=(\S+) (\d+)\/(\d+) failed=(\d+)/;

export function parsePerfProgress(line: string): PerfProgress | null {
  const m = PROGRESS.exec(line);
  if (!m) return null;
  return { run: Number(m[1]), runs: Number(m[2]), concurrency: m[3] === 'inf' ? null : Number(m[3]), done: Number(m[4]), total: Number(m[5]), failed: Number(m[6]) };
}

export interface PerfRunEvidence extends HostJobEvidence {
  /** Every request's timings (bundled client), JSONL. */
  requestsFile: string | null;
}

export interface PerfRunWithComparison extends PerfRun {
  comparison: MetricComparison[];
  /** How the baseline run it was compared with was measured differently (empty: like with like). */
  baselineMismatch: BaselineMismatch[];
  /** With a strict baseline, a run whose baseline differs is not compared at all. */
  baselineRefused: boolean;
}

export interface PerfRunResult {
  kind: 'perf';
  simulated: boolean;
  engine: 'bundled' | 'vllm' | 'aisbench';
  model: string | null;
  baseUrl: string;
  endpoint: string;
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  runs: PerfRunWithComparison[];
  /** HBM peak per device (MB) and samples over the run, when npu-smi was there. */
  hbm: { peakMB: Record<string, number>; totalMB: Record<string, number>; samples: Array<{ t: number; device: string; usedMB: number }> } | null;
  baselineSource: string | null;
  evidence: PerfRunEvidence;
  raw: PerfHostResult;
  /** Stopped by Ctrl-C / Stop / SIGTERM: runs hold what completed before (the last one marked interrupted). */
  interrupted: boolean;
  /** Requests moved to a fresh connection because the server closed a kept-alive one (never failures). */
  reconnects: number;
  error: string | null;
}

export interface RunPerfOptions {
  transport: Transport;
  spec: PerfJobSpec;
  jobs?: DetachedJobs;
  env?: Record<string, string>;
  /** Path ON THE HOST of a simulated Atlas host: the job runs through its env.sh and says simulated. */
  simRoot?: string;
  baseline?: { runs: PerfRun[]; source: string } | null;
  minRatio?: number;
  /** Compare only like with like: a baseline run measured differently is not compared (default: compared, with a warning). */
  strictBaseline?: boolean;
  python?: string;
  onProgress?: (p: PerfProgress) => void;
  onLine?: (line: string) => void;
  onStart?: (job: JobRecord, runDir: string) => void;
  signal?: AbortSignal;
}

export function comparedRuns(runs: PerfRun[], baseline: PerfRun[] | null, minRatio = DEFAULT_MIN_RATIO, strict = false): PerfRunWithComparison[] {
  return runs.map((r) => {
    const base = baseline ? matchBaselineRun(r, baseline) : null;
    const baselineMismatch = base ? baselineMismatches(r, base) : [];
    const baselineRefused = strict && baselineMismatch.length > 0;
    return { ...r, comparison: compareRun(r, baselineRefused ? null : base, minRatio), baselineMismatch, baselineRefused };
  });
}

/** What bench_serve.py uses when the spec leaves it out. */
const HOST_DEFAULTS = { inputLen: 256, outputLen: 128 };

/**
 * Before running: how the baseline differs from what the spec will measure (per planned run), from what is
 * known up front (concurrency, rate, lengths, a forced engine, a given model). The rest is checked after.
 */
export function plannedMismatches(spec: PerfJobSpec, baseline: PerfRun[]): Array<{ concurrency: number | null; mismatch: BaselineMismatch[] }> {
  return (spec.concurrency?.length ? spec.concurrency : [null]).map((concurrency) => {
    const planned: PerfRun = {
      concurrency, requestRate: spec.requestRate ?? 'inf', metrics: {}, errors: {},
      conditions: {
        model: spec.model ?? null, engine: spec.engine && spec.engine !== 'auto' ? spec.engine : null,
        inputLen: spec.sharegptPath ? null : (spec.inputLen ?? HOST_DEFAULTS.inputLen), outputLen: spec.outputLen ?? HOST_DEFAULTS.outputLen,
      },
    };
    const base = matchBaselineRun(planned, baseline);
    return { concurrency, mismatch: base ? baselineMismatches(planned, base) : [] };
  });
}

export function hbmSummary(raw: PerfHostResult): PerfRunResult['hbm'] {
  const h = raw.hbm;
  if (!h || !h.available) return null;
  const peakMB: Record<string, number> = {};
  const totalMB: Record<string, number> = {};
  for (const [d, v] of Object.entries(h.peak)) {
    peakMB[d] = v.used_mb;
    totalMB[d] = v.total_mb;
  }
  return { peakMB, totalMB, samples: h.samples.map((s) => ({ t: s.t, device: s.device, usedMB: s.used_mb })) };
}

/** The perf job as a kind of host-script job (src/core/jobs/hostjob.ts). */
export const PERF_JOB: HostJobKind<PerfJobSpec, PerfProgress, PerfHostResult> = {
  name: 'perf',
  title: () => l10n.t('perf job'),
  resultFile: 'perf.json',
  result: PerfHostResultSchema,
  argv: (spec, at) => perfArgv(spec, at.scriptsDir, at.runDir, at.python),
  progress: parsePerfProgress,
  error: PerfJobError,
};

export async function runPerf(o: RunPerfOptions): Promise<PerfRunResult> {
  const { result: raw, evidence, exitError, interrupted } = await runHostJob(PERF_JOB, o.spec, { ...o, runDir: o.spec.runDir });
  const stopped = raw.interrupted || interrupted;
  return {
    kind: 'perf', simulated: raw.simulated, engine: raw.engine, model: raw.model, baseUrl: raw.base_url, endpoint: raw.endpoint,
    numPrompts: raw.num_prompts, inputLen: raw.input_len, outputLen: raw.output_len,
    runs: comparedRuns(hostRuns(raw), o.baseline?.runs ?? null, o.minRatio, o.strictBaseline),
    hbm: hbmSummary(raw),
    baselineSource: o.baseline?.source ?? null,
    evidence: { ...evidence, requestsFile: raw.requests_file },
    raw,
    interrupted: stopped,
    reconnects: raw.reconnects,
    // an interrupted job exits 130 on purpose: that is the `interrupted` mark, not an error
    error: raw.error ?? (stopped ? null : exitError),
  };
}

/**
 * `ascend-adapt perf --json`: {"runs":[{"concurrency", "metrics":{…}}]} plus what the runs were measured under
 * (so the output serves as a baseline), failures by kind, reconnects, interruption, comparison, HBM, evidence.
 */
export function perfJson(r: PerfRunResult): Record<string, unknown> {
  return {
    simulated: r.simulated,
    interrupted: r.interrupted,
    engine: r.engine,
    model: r.model,
    endpoint: r.endpoint,
    numPrompts: r.numPrompts,
    inputLen: r.inputLen,
    outputLen: r.outputLen,
    reconnects: r.reconnects,
    runs: r.runs.map((x) => ({
      concurrency: x.concurrency, requestRate: x.requestRate, metrics: x.metrics, errors: x.errors, failures: x.failures ?? {},
      reconnects: x.reconnects ?? 0,
      ...(x.interrupted ? { interrupted: true, completedRequests: (x.metrics.completed ?? 0) + (x.metrics.failed ?? 0), cutInFlight: x.cutInFlight ?? 0, notStarted: x.notStarted ?? 0 } : {}),
      comparison: x.comparison.filter((c) => c.baseline !== null),
      baselineMismatch: x.baselineMismatch,
      ...(x.baselineRefused ? { baselineRefused: true } : {}),
    })),
    hbm: r.hbm ? { peakMB: r.hbm.peakMB, totalMB: r.hbm.totalMB } : null,
    baselineSource: r.baselineSource,
    evidence: r.evidence,
    error: r.error,
  };
}
