import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { AccuracyJobError, accuracyJson, runAccuracy, type AccuracyRunResult } from '../../core/accuracy/run';
import { LmEvalConfigError, parseLmEvalConfig } from '../../core/accuracy/lmevalconfig';
import { protocolText } from '../../core/lmeval/protocol';
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

function verdictCell(d: AccuracyRunResult['datasets'][number]): string {
  return d.comparable === false ? l10n.t('not comparable') : verdictText(d.verdict);
}

function printResult(r: AccuracyRunResult, io: CliIO): void {
  const head = [l10n.t('Task'), l10n.t('Metric'), l10n.t('Measured'), l10n.t('Reference'), l10n.t('Abs. error'), l10n.t('Rel. error'), l10n.t('Threshold'), l10n.t('n'), l10n.t('Verdict'), l10n.t('Protocol')];
  const rows = r.datasets.map((d) => [
    d.group ? `  ${d.name}` : d.name, d.metric ?? '-', pct(d.value), pct(d.reference),
    d.absError === null ? '-' : l10n.t('{0} pt', d.absError.toFixed(2)),
    d.relError === null ? '-' : `${d.relError.toFixed(2)}%`,
    thresholdText(d.threshold), String(d.n), verdictCell(d), protocolText(d.protocol),
  ]);
  io.stdout.write('\n' + formatTable([head, ...rows]));
  const seen = new Set<string>();
  for (const d of r.datasets) {
    if (d.note && !seen.has(`${d.name}\u0000${d.note}`)) {
      seen.add(`${d.name}\u0000${d.note}`);
      io.stdout.write(`${d.name} ${d.metric ?? ''}: ${d.note}\n`);
    }
  }
  // One line per task, not per metric: a task's metrics score the same items.
  const failed = new Map<string, number>();
  for (const d of r.datasets) if (d.errors > 0 && !d.group) failed.set(d.name, d.errors);
  for (const [name, n] of failed) io.stdout.write(l10n.t('{0}: {1} items failed to get an answer (not scored; run again with --run-dir to retry them)', name, n) + '\n');
  for (const n of r.notes) io.stdout.write(l10n.t('Note: {0}', n) + '\n');
  io.stdout.write(l10n.t('Engine: {0}; model: {1}{2}', r.engine, r.model, r.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
  io.stdout.write(l10n.t('Evidence: job {0} on {1}; result {2}; items {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.itemsFile ?? r.evidence.samplesFiles.join(', ') ?? '-') + '\n');
  if (r.error) io.stdout.write(l10n.t('Error: {0}', r.error) + '\n');
}

const BUNDLED_TASKS = ['gsm8k', 'mmlu', 'mmlu_generative', 'hendrycks_math', 'minerva_math', 'math'];

const options = {
  ...evalOptions,
  ...timeoutOptions,
  tasks: opt.string({ metavar: 'LIST', help: () => l10n.t('lm-eval tasks, comma-separated: gsm8k, mmlu, mmlu_generative, hendrycks_math, minerva_math (math = minerva_math); any lm-eval task when lm-eval runs') }),
  data: opt.string({ metavar: 'DIR', help: () => l10n.t('folder ON THE HOST with the dataset files (bundled runner)') }),
  limit: opt.float({ metavar: 'N', above: 0, help: () => l10n.t('items per dataset (a fraction below 1: that share of them)') }),
  'num-fewshot': opt.int({ metavar: 'K', min: 0, help: () => l10n.t('few-shot examples per prompt (default: the task\'s, gsm8k 5, minerva_math 4, others 0)') }),
  'fewshot-seed': opt.int({ metavar: 'S', min: 0, help: () => l10n.t('seed of the few-shot draws (default 1234, as lm-eval)') }),
  'fewshot-as-multiturn': opt.flag(() => l10n.t('with --chat yes: each few-shot example as its own user/assistant turn')),
  'score-reasoning': opt.flag(() => l10n.t('with --chat yes: score reasoning_content when an answer is empty (lm-eval does not; it becomes part of the protocol)')),
  'lm-eval-config': opt.string({ metavar: 'FILE', help: () => l10n.t('a vllm-ascend lm-eval config (YAML) naming tasks, settings and reference values') }),
  reference: opt.string({ metavar: 'FILE', help: () => l10n.t('reference results to compare with (GPU run)') }),
  threshold: opt.string({ metavar: 'NAME=POINTS[%]', repeat: true, help: () => l10n.t('tolerance for one dataset: points, or a relative percentage with %') }),
  concurrency: opt.int({ metavar: 'N', min: 1, help: () => l10n.t('requests in flight') }),
  'max-tokens': opt.int({ metavar: 'N', min: 1, help: () => l10n.t('most tokens per answer (default 256, lm-eval\'s max_gen_toks)') }),
  chat: opt.string({ choices: ['yes', 'no'], help: () => l10n.t('apply the server\'s chat template (default: the config\'s apply_chat_template, else no, as lm-eval)') }),
  engine: opt.string({ choices: ['auto', 'bundled', 'lm-eval', 'aisbench'], default: 'auto', help: () => l10n.t('lm-eval when the host has it (auto), or force one; aisbench runs AISBench (ais_bench)') }),
};
type Values = RunContext<typeof options>['values'];

function tasksFrom(values: Values): string[] | undefined {
  if ((values.tasks === undefined) === (values['lm-eval-config'] === undefined)) throw new UsageError(l10n.t('give either --tasks LIST or --lm-eval-config FILE'));
  const tasks = values.tasks?.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.tasks !== undefined && !tasks?.length) throw new UsageError(l10n.t('--tasks is empty'));
  if (tasks && values.engine === 'bundled') {
    const bad = tasks.filter((t) => !BUNDLED_TASKS.includes(t.toLowerCase()));
    if (bad.length) throw new UsageError(l10n.t('the bundled runner implements the lm-eval tasks {0} (math = minerva_math), not {1}', BUNDLED_TASKS.filter((t) => t !== 'math').join(', '), bad.join(', ')));
  }
  if ((values['score-reasoning'] || values['fewshot-as-multiturn']) && values.chat !== 'yes') {
    throw new UsageError(l10n.t('{0} applies to chat answers: add --chat yes', values['score-reasoning'] ? '--score-reasoning' : '--fewshot-as-multiturn'));
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
  synopsis: '(--tasks gsm8k,mmlu,mmlu_generative,hendrycks_math,minerva_math --data DIR | --lm-eval-config FILE)',
  description: () => [
    l10n.t('Runs on the host next to the server as a detached job: lm-eval when the host has it, else the bundled runner,'),
    l10n.t('which measures lm-eval\'s tasks as lm-eval 0.4.12 defines them (prompts, n-shot, seeded few-shot draws, filters,'),
    l10n.t('metrics): gsm8k (5-shot), mmlu (0-shot, log-likelihood of the answer letters: needs the completions API),'),
    l10n.t('mmlu_generative, hendrycks_math, minerva_math (4-shot; math is an alias of it). Data from --data on the host:'),
    l10n.t('gsm8k.jsonl (+ gsm8k_train.jsonl for few-shot), mmlu/ (CSV/JSONL per subject, *_dev for few-shot), math.jsonl.'),
    l10n.t('Every figure carries its protocol (n-shot, seed, chat, max tokens, filter). Every item is kept in items.jsonl'),
    l10n.t('in the run folder; --run-dir with an earlier run folder resumes it.'),
    l10n.t('--reference: the same job\'s result from a GPU host, its --json output, an lm-eval results file, or {"references":[...]};'),
    l10n.t('a reference is compared only when task, metric and filter, n-shot and chat setting match.'),
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
    if (lmEvalConfig) {
      try {
        parseLmEvalConfig(lmEvalConfig.text, cfg!.file); // a bad config is bad usage, before anything starts
      } catch (e) {
        if (e instanceof LmEvalConfigError) throw new UsageError(e.message);
        throw e;
      }
    }
    const references = referencesFrom(io, values.reference);
    return runEvalJob(ctx, (e): e is AccuracyJobError => e instanceof AccuracyJobError, (target, signal) => runAccuracy({
      transport: target.transport,
      jobs: target.jobs,
      simRoot: target.simRoot,
      spec: {
        baseUrl: target.baseUrl, model: target.model, tasks, lmEvalConfig, dataDir: values.data, limit: values.limit, numFewshot: values['num-fewshot'],
        chat: values.chat === undefined ? undefined : values.chat === 'yes', concurrency: values.concurrency, maxTokens: values['max-tokens'],
        fewshotSeed: values['fewshot-seed'], fewshotAsMultiturn: values['fewshot-as-multiturn'] || undefined,
        scoreReasoning: values['score-reasoning'] || undefined, engine: values.engine, runDir: values['run-dir'],
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
