import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { ensureScripts } from '../hostscripts/upload';
import type { DetachedJobs, JobRecord } from '../jobs/detached';
import type { Transport } from '../transport/transport';
import { hostMkdir, hostPython, hostReadFile, hostWriteFile, runFolderName, runJobToEnd, withSimEnv, type JobRunEvidence } from './hostio';
import { parseHostResult, type AccuracyHostResult, type AccuracyRow, type Reference, type Threshold } from './schema';
import { withVerdicts } from './verdict';

/**
 * An accuracy job: python/accuracy/run_accuracy.py as a detached job on the host (next to the server), its
 * log followed for progress, its result file read back and judged against references.
 *
 *   const r = await runAccuracy({ transport, spec: { baseUrl: 'http://127.0.0.1:8000', model: 'qwen',
 *                                   tasks: ['gsm8k'], dataDir: '/data/evals' }, references });
 *   r.datasets  // rows with value (0..1), reference, threshold, verdict
 *   r.evidence  // job id, host, start/end, argv, log, result file, per-item file
 */

export interface AccuracyJobSpec {
  /** The endpoint as the HOST sees it (e.g. http://127.0.0.1:8000); `/v1` optional. */
  baseUrl: string;
  /** Served model name; omitted → the first model the endpoint lists. */
  model?: string;
  /** Bundled runner tasks (gsm8k, mmlu, math) or lm-eval task names. */
  tasks?: string[];
  /** A vllm-ascend lm_eval config: its text, uploaded to the run folder (the name is kept for the record). */
  lmEvalConfig?: { name: string; text: string };
  /** Folder (or file) with the dataset files ON THE HOST (bundled runner). */
  dataDir?: string;
  limit?: number;
  numFewshot?: number;
  /** Use /v1/chat/completions (default: config's apply_chat_template, else true). */
  chat?: boolean;
  concurrency?: number;
  maxTokens?: number;
  engine?: 'auto' | 'bundled' | 'lm-eval';
  /** Extra key=value,... for lm-eval's --model_args. */
  lmEvalModelArgs?: string;
  /** Run folder on the host (an existing one resumes its per-item file). Default ~/.ascend-adapt/runs/<new>. */
  runDir?: string;
}

export class AccuracyJobError extends Error {
  constructor(message: string, readonly evidence?: JobRunEvidence) {
    super(message);
    this.name = 'AccuracyJobError';
  }
}

/** argv of the host script for a spec (paths on the host). Pure: tested directly. */
export function accuracyArgv(spec: AccuracyJobSpec, scriptsDir: string, runDir: string, configPath?: string, python = 'python3'): string[] {
  const argv = [python, `${scriptsDir}/accuracy/run_accuracy.py`, '--base-url', spec.baseUrl, '--out', `${runDir}/accuracy.json`, '--items', `${runDir}/items.jsonl`];
  if (spec.model) argv.push('--model', spec.model);
  if (configPath) argv.push('--lm-eval-config', configPath);
  if (spec.tasks?.length) argv.push('--tasks', spec.tasks.join(','));
  if (!configPath && !spec.tasks?.length) throw new AccuracyJobError(l10n.t('say what to run: tasks or an lm-eval config'));
  if (spec.dataDir) argv.push('--data', spec.dataDir);
  if (spec.limit !== undefined) argv.push('--limit', String(spec.limit));
  if (spec.numFewshot !== undefined) argv.push('--num-fewshot', String(spec.numFewshot));
  if (spec.chat !== undefined) argv.push('--chat', spec.chat ? 'yes' : 'no');
  if (spec.concurrency !== undefined) argv.push('--concurrency', String(spec.concurrency));
  if (spec.maxTokens !== undefined) argv.push('--max-tokens', String(spec.maxTokens));
  if (spec.engine && spec.engine !== 'auto') argv.push('--engine', spec.engine);
  if (spec.lmEvalModelArgs) argv.push('--lm-eval-model-args', spec.lmEvalModelArgs);
  return argv;
}

export interface AccuracyProgress {
  task: string;
  done: number;
  total: number;
  /** Running accuracy of the first metric, 0..1. */
  accuracy: number;
  errors: number;
}

const PROGRESS = /^progress: (\S+) (\d+)\/(\d+) acc=([0-9.]+) errors=(\d+)/;

export function parseAccuracyProgress(line: string): AccuracyProgress | null {
  const m = PROGRESS.exec(line);
  if (!m) return null;
  return { task: m[1]!, done: Number(m[2]), total: Number(m[3]), accuracy: Number(m[4]), errors: Number(m[5]) };
}

export interface AccuracyRunEvidence extends JobRunEvidence {
  /** Result JSON on the host. */
  resultFile: string;
  /** Per-item JSONL (bundled runner) or lm-eval's samples files. */
  itemsFile: string | null;
  samplesFiles: string[];
  runDir: string;
}

export interface AccuracyRunResult {
  kind: 'accuracy';
  simulated: boolean;
  engine: 'bundled' | 'lm-eval';
  model: string;
  baseUrl: string;
  complete: boolean;
  datasets: AccuracyRow[];
  /** References used (from the config, a reference file, typed). */
  references: Reference[];
  evidence: AccuracyRunEvidence;
  /** The host's result file as parsed. */
  raw: AccuracyHostResult;
  /** Set when the job ended with an error (the result may still hold partial rows). */
  error: string | null;
}

export interface RunAccuracyOptions {
  transport: Transport;
  spec: AccuracyJobSpec;
  /** Detached-jobs handle (default: one over `transport` with the default root). */
  jobs?: DetachedJobs;
  /** Extra environment for the job. */
  env?: Record<string, string>;
  /** Path ON THE HOST of a simulated Atlas host: the job runs through its env.sh and says simulated. */
  simRoot?: string;
  /** References from a file or typed in; they override the config's for the same (dataset, metric). */
  references?: Reference[];
  thresholds?: Record<string, Partial<Threshold>>;
  python?: string;
  onProgress?: (p: AccuracyProgress) => void;
  onLine?: (line: string) => void;
  onStart?: (job: JobRecord, runDir: string) => void;
  signal?: AbortSignal;
}

export async function runAccuracy(o: RunAccuracyOptions): Promise<AccuracyRunResult> {
  const t = o.transport;
  const python = o.python ?? (await hostPython(t));
  const scripts = await ensureScripts(t, python);
  const runDir = await hostMkdir(t, o.spec.runDir ?? `~/.ascend-adapt/runs/${runFolderName('accuracy')}`, python);
  let configPath: string | undefined;
  if (o.spec.lmEvalConfig) {
    configPath = `${runDir}/${path.basename(o.spec.lmEvalConfig.name).replace(/[^A-Za-z0-9._-]/g, '_') || 'lm_eval_config.yaml'}`;
    await hostWriteFile(t, configPath, o.spec.lmEvalConfig.text, python);
  }
  const argv = withSimEnv(o.simRoot, accuracyArgv(o.spec, scripts, runDir, configPath, python));
  let lastError: string | null = null;
  const { evidence } = await runJobToEnd(t, { argv, env: o.env, name: 'accuracy' }, {
    jobs: o.jobs, signal: o.signal,
    onStart: (job) => o.onStart?.(job, runDir),
    onLine: (line) => {
      if (line.startsWith('error: ')) lastError = line.slice(7);
      o.onLine?.(line);
      const p = parseAccuracyProgress(line);
      if (p) o.onProgress?.(p);
    },
  });
  const resultFile = `${runDir}/accuracy.json`;
  let raw: AccuracyHostResult;
  try {
    raw = parseHostResult((await hostReadFile(t, resultFile, undefined, python)).toString('utf8'), `${t.label}:${resultFile}`);
  } catch (e) {
    throw new AccuracyJobError(
      lastError
        ? l10n.t('the accuracy job {0} failed: {1}', evidence.jobId, lastError)
        : l10n.t('the accuracy job {0} left no usable result (exit {1}): {2}', evidence.jobId, String(evidence.exitCode), (e as Error).message),
      evidence,
    );
  }
  const references = mergeReferences(raw.references.map((r) => ({ name: r.name, metric: r.metric, value: r.value, rtol: r.rtol, source: r.source ?? 'config' })), o.references ?? []);
  const datasets = withVerdicts(raw.datasets, references, o.thresholds);
  return {
    kind: 'accuracy', simulated: raw.simulated, engine: raw.engine, model: raw.model, baseUrl: raw.base_url,
    complete: raw.complete ?? false, datasets, references,
    evidence: {
      ...evidence, resultFile, runDir, itemsFile: raw.items_file, samplesFiles: raw.lm_eval?.samples_files ?? [],
    },
    raw,
    error: raw.error ?? (evidence.exitCode !== 0 ? l10n.t('the job ended with exit code {0}', String(evidence.exitCode ?? evidence.state)) : null),
  };
}

/** Later lists win for the same (dataset, metric). */
export function mergeReferences(...lists: Reference[][]): Reference[] {
  const out = new Map<string, Reference>();
  for (const list of lists) for (const r of list) out.set(`${r.name.toLowerCase()}\u0000${r.metric ?? ''}`, r);
  return [...out.values()];
}

/** The issue's `--json` shape (plus simulated, engine and evidence). */
export function accuracyJson(r: AccuracyRunResult): Record<string, unknown> {
  return {
    simulated: r.simulated,
    engine: r.engine,
    model: r.model,
    complete: r.complete,
    datasets: r.datasets.map((d) => ({
      name: d.name, metric: d.metric, value: d.value, n: d.n, reference: d.reference, verdict: d.verdict,
      errors: d.errors, absError: d.absError, relError: d.relError, threshold: d.threshold,
      ...(d.subjects ? { subjects: d.subjects } : {}),
    })),
    evidence: r.evidence,
    error: r.error,
  };
}
