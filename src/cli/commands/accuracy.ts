import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { AccuracyJobError, accuracyJson, runAccuracy, type AccuracyRunResult } from '../../core/accuracy/run';
import { AccuracyJsonSchema, parseReferenceFile, ReferenceError, type Reference, type Threshold } from '../../core/accuracy/schema';
import { defineCommand, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';
import { EVAL_TARGET, evalOptions, readOptionFile, runEvalJob } from './evaljob';
import { timeoutOptions } from './timeouts';

function parseThresholds(list: readonly string[]): Record<string, Partial<Threshold>> {
  const out: Record<string, Partial<Threshold>> = {};
  for (const item of list) {
    const m = /^([A-Za-z0-9_.-]+)=([0-9]*\.?[0-9]+)(%?)$/.exec(item);
    if (!m) throw new UsageError(l10n.t('--threshold wants NAME=POINTS or NAME=PERCENT%, got {0}', JSON.stringify(item)));
    const name = m[1]!.toLowerCase();
    out[name] = { ...(out[name] ?? {}), ...(m[3] ? { relPercent: Number(m[2]) } : { absPoints: Number(m[2]) }) };
  }
  return out;
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);

function verdictText(v: 'pass' | 'fail' | null): string {
  return v === 'pass' ? l10n.t('pass') : v === 'fail' ? l10n.t('FAIL') : l10n.t('no reference');
}

function thresholdText(t: Threshold): string {
  const parts: string[] = [];
  if (t.absPoints !== null) parts.push(l10n.t('{0} pt', t.absPoints.toFixed(2)));
  if (t.relPercent !== null) parts.push(l10n.t('{0}% rel', t.relPercent.toFixed(1)));
  return parts.join(' + ') || '-';
}

function printResult(r: AccuracyRunResult, io: CliIO): void {
  const head = [l10n.t('Dataset'), l10n.t('Metric'), l10n.t('Measured'), l10n.t('Reference'), l10n.t('Abs. error'), l10n.t('Rel. error'), l10n.t('Threshold'), l10n.t('n'), l10n.t('Verdict')];
  const rows = r.datasets.map((d) => [
    d.name, d.metric ?? '-', pct(d.value), pct(d.reference),
    d.absError === null ? '-' : l10n.t('{0} pt', d.absError.toFixed(2)),
    d.relError === null ? '-' : `${d.relError.toFixed(2)}%`,
    thresholdText(d.threshold), String(d.n), verdictText(d.verdict),
  ]);
  io.stdout.write('\n' + formatTable([head, ...rows]));
  for (const d of r.datasets) {
    if (d.note && d.value === null) io.stdout.write(`${d.name}: ${d.note}\n`);
    if (d.errors > 0) io.stdout.write(l10n.t('{0}: {1} items failed to get an answer (not scored; run again with --run-dir to retry them)', d.name, d.errors) + '\n');
  }
  io.stdout.write(l10n.t('Engine: {0}; model: {1}{2}', r.engine, r.model, r.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
  io.stdout.write(l10n.t('Evidence: job {0} on {1}; result {2}; items {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.itemsFile ?? r.evidence.samplesFiles.join(', ') ?? '-') + '\n');
  if (r.error) io.stdout.write(l10n.t('Error: {0}', r.error) + '\n');
}

const options = {
  ...evalOptions,
  ...timeoutOptions,
  tasks: opt.string({ metavar: 'LIST', help: () => l10n.t('datasets, comma-separated: gsm8k, mmlu, math (lm-eval task names with --engine lm-eval)') }),
  data: opt.string({ metavar: 'DIR', help: () => l10n.t('folder ON THE HOST with the dataset files (bundled runner)') }),
  limit: opt.float({ metavar: 'N', above: 0, help: () => l10n.t('items per dataset (a fraction below 1: that share of them)') }),
  'num-fewshot': opt.int({ metavar: 'K', min: 0, help: () => l10n.t('few-shot examples per prompt') }),
  'lm-eval-config': opt.string({ metavar: 'FILE', help: () => l10n.t('a vllm-ascend lm-eval config (YAML) naming tasks, settings and reference values') }),
  reference: opt.string({ metavar: 'FILE', help: () => l10n.t('reference results to compare with (GPU run)') }),
  threshold: opt.string({ metavar: 'NAME=POINTS[%]', repeat: true, help: () => l10n.t('tolerance for one dataset: points, or a relative percentage with %') }),
  concurrency: opt.int({ metavar: 'N', min: 1, help: () => l10n.t('requests in flight') }),
  'max-tokens': opt.int({ metavar: 'N', min: 1, help: () => l10n.t('most tokens per answer') }),
  chat: opt.string({ choices: ['yes', 'no'], help: () => l10n.t('use the chat template (default: per dataset)') }),
  engine: opt.string({ choices: ['auto', 'bundled', 'lm-eval'], default: 'auto', help: () => l10n.t('lm-eval when the host has it (auto), or force one') }),
};
type Values = RunContext<typeof options>['values'];

function tasksFrom(values: Values): string[] | undefined {
  if ((values.tasks === undefined) === (values['lm-eval-config'] === undefined)) throw new UsageError(l10n.t('give either --tasks LIST or --lm-eval-config FILE'));
  const tasks = values.tasks?.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.tasks !== undefined && !tasks?.length) throw new UsageError(l10n.t('--tasks is empty'));
  if (tasks && values.engine === 'bundled') {
    const bad = tasks.filter((t) => !['gsm8k', 'mmlu', 'math'].includes(t.toLowerCase()));
    if (bad.length) throw new UsageError(l10n.t('the bundled runner knows gsm8k, mmlu and math, not {0}', bad.join(', ')));
  }
  return tasks;
}

function referencesFrom(io: CliIO, file: string | undefined): Reference[] {
  if (!file) return [];
  const { file: f, text } = readOptionFile(io, file);
  try {
    return parseReferenceFile(text, f);
  } catch (e) {
    if (e instanceof ReferenceError) throw new UsageError(e.message);
    throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
  }
}

export const accuracyCommand = defineCommand({
  name: 'accuracy',
  summary: () => l10n.t('accuracy job (lm-eval or the bundled GSM8K/MMLU/MATH runner) against a reference'),
  synopsis: '(--tasks gsm8k,mmlu,math --data DIR | --lm-eval-config FILE)',
  description: () => [
    l10n.t('Runs on the host next to the server as a detached job: lm-eval when the host has it, else the bundled runner'),
    l10n.t('(GSM8K JSONL, MMLU CSV/JSONL, MATH JSONL read from --data on the host; temperature 0). Every item is kept in'),
    l10n.t('items.jsonl in the run folder; --run-dir with an earlier run folder resumes it.'),
    l10n.t('--reference: the same job\'s result from a GPU host, its --json output, an lm-eval results file, or {"references":[...]}.'),
    l10n.t('Thresholds (symmetric): GSM8K 1.0 point, MMLU and MATH 1.5 points; references from a vllm-ascend config use 5 % relative.'),
    l10n.t('--threshold gsm8k=0.5 sets points; gsm8k=5% sets a relative tolerance.'),
  ],
  target: EVAL_TARGET,
  options,
  exitCodes: () => l10n.t('Exit codes: 0 every compared dataset within its threshold, 1 a dataset failed or the job failed, 2 bad usage.'),
  async run(ctx) {
    const { values, io } = ctx;
    const tasks = tasksFrom(values);
    const thresholds = parseThresholds(values.threshold);
    const cfg = values['lm-eval-config'] ? readOptionFile(io, values['lm-eval-config']) : undefined;
    const lmEvalConfig = cfg ? { name: path.basename(cfg.file), text: cfg.text } : undefined;
    const references = referencesFrom(io, values.reference);
    return runEvalJob(ctx, (e): e is AccuracyJobError => e instanceof AccuracyJobError, (target, signal) => runAccuracy({
      transport: target.transport,
      jobs: target.jobs,
      simRoot: target.simRoot,
      spec: {
        baseUrl: target.baseUrl, model: target.model, tasks, lmEvalConfig, dataDir: values.data, limit: values.limit, numFewshot: values['num-fewshot'],
        chat: values.chat === undefined ? undefined : values.chat === 'yes', concurrency: values.concurrency, maxTokens: values['max-tokens'],
        engine: values.engine, runDir: values['run-dir'],
        requestTimeoutS: values['request-timeout'] ?? target.requestTimeoutS, stallTimeoutS: values['stall-timeout'] ?? target.stallTimeoutS,
      },
      references, thresholds,
      signal,
      onStart: (job, runDir) => io.stderr.write(l10n.t('Started job {0} on {1} (run folder {2})', job.id, target.hostLabel, runDir) + '\n'),
      onProgress: (p) => io.stderr.write(l10n.t('{0}: {1}/{2} items, accuracy so far {3}', p.task, p.done, p.total, pct(p.accuracy)) + (p.errors ? ' ' + l10n.t('({0} failed)', p.errors) : '') + '\n'),
      onLine: (line) => {
        if (/^(error|warning|note|resume|interrupted):/.test(line)) io.stderr.write(line + '\n');
      },
    }), (r) => {
      if (values.json) io.stdout.write(JSON.stringify(AccuracyJsonSchema.parse(accuracyJson(r)), null, 2) + '\n');
      else printResult(r, io);
      const failed = r.datasets.some((d) => d.verdict === 'fail');
      return failed || r.error || !r.complete ? 1 : 0;
    });
  },
});
