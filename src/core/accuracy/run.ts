import * as l10n from '@vscode/l10n';
import { HostJobError, runHostJob, type DetachedJobs, type HostJobEvidence, type HostJobKind, type JobRecord } from '../jobs/index';
import type { Transport } from '../transport/transport';
import { parseLmEvalConfig, type LmEvalConfig } from './lmevalconfig';
import { AccuracyHostResultSchema, type AccuracyHostResult, type AccuracyRow, type Reference, type Threshold } from './schema';
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
  /** lm-eval task names: gsm8k, mmlu, mmlu_generative, hendrycks_math, minerva_math (math = minerva_math), or
   * any lm-eval task when lm-eval runs. Overrides the config's tasks. */
  tasks?: string[];
  /** A vllm-ascend lm_eval config (YAML text): parsed here, sent to the host as JSON; the YAML is kept in the
   * run folder for the record; its reference metrics judge the run. */
  lmEvalConfig?: { name: string; text: string };
  /** Folder (or file) with the dataset files ON THE HOST (bundled runner). */
  dataDir?: string;
  limit?: number;
  /** Default: the task's (gsm8k 5, minerva_math 4, others 0) or the config's num_fewshot. */
  numFewshot?: number;
  /** Seed of the few-shot draws (lm-eval's default 1234). */
  fewshotSeed?: number;
  /** Apply the server's chat template (/v1/chat/completions); default: the config's apply_chat_template, else no
   * (lm-eval's default). */
  chat?: boolean;
  fewshotAsMultiturn?: boolean;
  /** Score reasoning_content when a chat answer is empty (not lm-eval's behaviour; it is part of the protocol). */
  scoreReasoning?: boolean;
  concurrency?: number;
  maxTokens?: number;
  engine?: 'auto' | 'bundled' | 'lm-eval' | 'aisbench';
  /** Extra key=value,... for lm-eval's --model_args. */
  lmEvalModelArgs?: string;
  /** Run folder on the host (an existing one resumes its per-item file). Default ~/.ascend-adapt/runs/<new>. */
  runDir?: string;
  /** Seconds for a whole request (default: no limit). */
  requestTimeoutS?: number;
  /** Seconds without a byte from the server before a request fails (host script default 60). */
  stallTimeoutS?: number;
}

export class AccuracyJobError extends HostJobError {
  constructor(message: string, evidence?: HostJobEvidence) {
    super(message, evidence);
    this.name = 'AccuracyJobError';
  }
}

/** argv of the host script for a spec (paths on the host). Pure: tested directly. */
export function accuracyArgv(spec: AccuracyJobSpec, scriptsDir: string, runDir: string, configJsonPath?: string, python = 'python3'): string[] {
  const argv = [python, `${scriptsDir}/accuracy/run_accuracy.py`, '--base-url', spec.baseUrl, '--out', `${runDir}/accuracy.json`, '--items', `${runDir}/items.jsonl`];
  if (spec.model) argv.push('--model', spec.model);
  if (configJsonPath) argv.push('--config-json', configJsonPath);
  if (spec.tasks?.length) argv.push('--tasks', spec.tasks.join(','));
  if (!configJsonPath && !spec.tasks?.length) throw new AccuracyJobError(l10n.t('say what to run: tasks or an lm-eval config'));
  if (spec.dataDir) argv.push('--data', spec.dataDir);
  if (spec.limit !== undefined) argv.push('--limit', String(spec.limit));
  if (spec.numFewshot !== undefined) argv.push('--num-fewshot', String(spec.numFewshot));
  if (spec.fewshotSeed !== undefined) argv.push('--fewshot-seed', String(spec.fewshotSeed));
  if (spec.chat !== undefined) argv.push('--chat', spec.chat ? 'yes' : 'no');
  if (spec.fewshotAsMultiturn) argv.push('--fewshot-as-multiturn');
  if (spec.scoreReasoning) argv.push('--score-reasoning');
  if (spec.concurrency !== undefined) argv.push('--concurrency', String(spec.concurrency));
  if (spec.maxTokens !== undefined) argv.push('--max-tokens', String(spec.maxTokens));
  if (spec.engine && spec.engine !== 'auto') argv.push('--engine', spec.engine);
  if (spec.lmEvalModelArgs) argv.push('--lm-eval-model-args', spec.lmEvalModelArgs);
  if (spec.requestTimeoutS !== undefined) argv.push('--request-timeout', String(spec.requestTimeoutS));
  if (spec.stallTimeoutS !== undefined) argv.push('--stall-timeout', String(spec.stallTimeoutS));
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

export interface AccuracyRunEvidence extends HostJobEvidence {
  /** Per-item JSONL (bundled runner) or lm-eval's samples files. */
  itemsFile: string | null;
  samplesFiles: string[];
}

export interface AccuracyRunResult {
  kind: 'accuracy';
  simulated: boolean;
  engine: 'bundled' | 'lm-eval' | 'aisbench';
  model: string;
  baseUrl: string;
  complete: boolean;
  datasets: AccuracyRow[];
  /** References given (from the config, a reference file, typed). */
  references: Reference[];
  /** What the host said about the run (task aliases, equivalence mode, capability problems). */
  notes: string[];
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

/** The accuracy job as a kind of host-script job (src/core/jobs/hostjob.ts). */
export const ACCURACY_JOB: HostJobKind<AccuracyJobSpec, AccuracyProgress, AccuracyHostResult> = {
  name: 'accuracy',
  title: () => l10n.t('accuracy job'),
  resultFile: 'accuracy.json',
  result: AccuracyHostResultSchema,
  argv: async (spec, at) => {
    let configJson: string | undefined;
    if (spec.lmEvalConfig) {
      const cfg = parseLmEvalConfig(spec.lmEvalConfig.text, spec.lmEvalConfig.name);
      await at.upload(spec.lmEvalConfig.name || 'lm_eval_config.yaml', spec.lmEvalConfig.text); // for the record
      configJson = await at.upload('lm_eval_config.json', JSON.stringify(cfg.job, null, 1));
    }
    return accuracyArgv(spec, at.scriptsDir, at.runDir, configJson, at.python);
  },
  progress: parseAccuracyProgress,
  error: AccuracyJobError,
};

export async function runAccuracy(o: RunAccuracyOptions): Promise<AccuracyRunResult> {
  // A bad config is bad input: refused before anything starts on the host.
  const config: LmEvalConfig | null = o.spec.lmEvalConfig ? parseLmEvalConfig(o.spec.lmEvalConfig.text, o.spec.lmEvalConfig.name) : null;
  const { result: raw, evidence, exitError } = await runHostJob(ACCURACY_JOB, o.spec, { ...o, runDir: o.spec.runDir });
  const references = mergeReferences(config?.references ?? [], o.references ?? []);
  const datasets = withVerdicts(raw.datasets, references, o.thresholds);
  return {
    kind: 'accuracy', simulated: raw.simulated, engine: raw.engine, model: raw.model, baseUrl: raw.base_url,
    complete: raw.complete ?? false, datasets, references, notes: raw.notes,
    evidence: { ...evidence, itemsFile: raw.items_file, samplesFiles: raw.lm_eval?.samples_files ?? [] },
    raw,
    error: raw.error ?? exitError,
  };
}

/** Later lists win for the same (task, metric, n-shot, chat). */
export function mergeReferences(...lists: Reference[][]): Reference[] {
  const out = new Map<string, Reference>();
  for (const list of lists) {
    for (const r of list) out.set([r.name.toLowerCase(), r.metric ?? '', r.protocol?.nShot ?? '', r.protocol?.chat ?? ''].join('\u0000'), r);
  }
  return [...out.values()];
}

/** `ascend-adapt accuracy --json` (datasets with verdicts, plus simulated, engine and evidence). */
export function accuracyJson(r: AccuracyRunResult): Record<string, unknown> {
  return {
    simulated: r.simulated,
    engine: r.engine,
    model: r.model,
    complete: r.complete,
    datasets: r.datasets.map((d) => ({
      name: d.name, metric: d.metric, value: d.value, n: d.n, protocol: d.protocol, reference: d.reference,
      referenceSource: d.referenceSource, comparable: d.comparable, verdict: d.verdict,
      errors: d.errors, absError: d.absError, relError: d.relError, threshold: d.threshold,
      ...(d.note ? { note: d.note } : {}), ...(d.group ? { group: d.group } : {}), ...(d.subjects ? { subjects: d.subjects } : {}),
    })),
    notes: r.notes,
    evidence: r.evidence,
    error: r.error,
  };
}
