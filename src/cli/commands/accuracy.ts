import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { AccuracyJobError, accuracyJson, runAccuracy, type AccuracyRunResult } from '../../core/accuracy/run';
import { AccuracyJsonSchema, parseReferenceFile, ReferenceError, type Reference, type Threshold } from '../../core/accuracy/schema';
import { parse } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { evalTargetOptions, interruptOnSigint, openEvalTarget, positiveInt, positiveNumber, table } from './evaljob';

const usage = () => [
  l10n.t('Usage: ascend-adapt accuracy (--profile NAME [--config FILE] [--host ALIAS | --local | --sim DIR] | --endpoint URL [--model NAME])'),
  l10n.t('         (--tasks gsm8k,mmlu,math --data DIR [--limit N] [--num-fewshot K] | --lm-eval-config FILE)'),
  l10n.t('         [--reference FILE] [--threshold NAME=POINTS[%]]... [--concurrency N] [--engine auto|bundled|lm-eval] [--run-dir DIR] [--json]'),
  '',
  l10n.t('Runs on the host next to the server as a detached job: lm-eval when the host has it, else the bundled runner'),
  l10n.t('(GSM8K JSONL, MMLU CSV/JSONL, MATH JSONL read from --data on the host; temperature 0). Every item is kept in'),
  l10n.t('items.jsonl in the run folder; --run-dir with an earlier run folder resumes it.'),
  l10n.t('--reference: the same job\'s result from a GPU host, its --json output, an lm-eval results file, or {"references":[...]}.'),
  l10n.t('Thresholds (symmetric): GSM8K 1.0 point, MMLU and MATH 1.5 points; references from a vllm-ascend config use 5 % relative.'),
  l10n.t('--threshold gsm8k=0.5 sets points; gsm8k=5% sets a relative tolerance.'),
  '',
  l10n.t('Exit codes: 0 every compared dataset within its threshold, 1 a dataset failed or the job failed, 2 bad usage.'),
].join('\n');

function parseThresholds(list: string[] | undefined): Record<string, Partial<Threshold>> {
  const out: Record<string, Partial<Threshold>> = {};
  for (const item of list ?? []) {
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
  io.stdout.write('\n' + table([head, ...rows]));
  for (const d of r.datasets) {
    if (d.note && d.value === null) io.stdout.write(`${d.name}: ${d.note}\n`);
    if (d.errors > 0) io.stdout.write(l10n.t('{0}: {1} items failed to get an answer (not scored; run again with --run-dir to retry them)', d.name, d.errors) + '\n');
  }
  io.stdout.write(l10n.t('Engine: {0}; model: {1}{2}', r.engine, r.model, r.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n');
  io.stdout.write(l10n.t('Evidence: job {0} on {1}; result {2}; items {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.itemsFile ?? r.evidence.samplesFiles.join(', ') ?? '-') + '\n');
  if (r.error) io.stdout.write(l10n.t('Error: {0}', r.error) + '\n');
}

export const accuracyCommand: CliCommand = {
  name: 'accuracy',
  summary: () => l10n.t('accuracy job (lm-eval or the bundled GSM8K/MMLU/MATH runner) against a reference'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...evalTargetOptions,
      tasks: { type: 'string' },
      data: { type: 'string' },
      limit: { type: 'string' },
      'num-fewshot': { type: 'string' },
      'lm-eval-config': { type: 'string' },
      reference: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      'max-tokens': { type: 'string' },
      chat: { type: 'string' },
      engine: { type: 'string' },
    }, false);
    if (positionals.length) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[0]));
    if ((values.tasks === undefined) === (values['lm-eval-config'] === undefined)) throw new UsageError(l10n.t('give either --tasks LIST or --lm-eval-config FILE'));
    const engine = values.engine ?? 'auto';
    if (!['auto', 'bundled', 'lm-eval'].includes(engine)) throw new UsageError(l10n.t('--engine is auto, bundled or lm-eval'));
    if (values.chat !== undefined && !['yes', 'no'].includes(values.chat)) throw new UsageError(l10n.t('--chat is yes or no'));
    const tasks = values.tasks?.split(',').map((s) => s.trim()).filter(Boolean);
    if (values.tasks !== undefined && !tasks?.length) throw new UsageError(l10n.t('--tasks is empty'));
    if (tasks && engine === 'bundled') {
      const bad = tasks.filter((t) => !['gsm8k', 'mmlu', 'math'].includes(t.toLowerCase()));
      if (bad.length) throw new UsageError(l10n.t('the bundled runner knows gsm8k, mmlu and math, not {0}', bad.join(', ')));
    }
    const limit = positiveNumber(values.limit, '--limit');
    const numFewshot = values['num-fewshot'] === undefined ? undefined : Number(values['num-fewshot']);
    if (numFewshot !== undefined && (!Number.isInteger(numFewshot) || numFewshot < 0)) throw new UsageError(l10n.t('--num-fewshot wants a whole number'));
    const concurrency = positiveInt(values.concurrency, '--concurrency');
    const maxTokens = positiveInt(values['max-tokens'], '--max-tokens');
    const thresholds = parseThresholds(values.threshold);

    let lmEvalConfig: { name: string; text: string } | undefined;
    if (values['lm-eval-config']) {
      const f = path.resolve(io.cwd, values['lm-eval-config']);
      try {
        lmEvalConfig = { name: path.basename(f), text: fs.readFileSync(f, 'utf8') };
      } catch (e) {
        throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
      }
    }
    let references: Reference[] = [];
    if (values.reference) {
      const f = path.resolve(io.cwd, values.reference);
      try {
        references = parseReferenceFile(fs.readFileSync(f, 'utf8'), f);
      } catch (e) {
        if (e instanceof ReferenceError) throw new UsageError(e.message);
        throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
      }
    }

    const target = await openEvalTarget(values, io);
    const sig = interruptOnSigint(io);
    try {
      const r = await runAccuracy({
        transport: target.transport,
        jobs: target.jobs,
        simRoot: target.simRoot,
        spec: {
          baseUrl: target.baseUrl, model: target.model, tasks, lmEvalConfig, dataDir: values.data, limit, numFewshot,
          chat: values.chat === undefined ? undefined : values.chat === 'yes', concurrency, maxTokens,
          engine: engine as 'auto' | 'bundled' | 'lm-eval', runDir: values['run-dir'],
        },
        references, thresholds,
        signal: sig.signal,
        onStart: (job, runDir) => io.stderr.write(l10n.t('Started job {0} on {1} (run folder {2})', job.id, target.hostLabel, runDir) + '\n'),
        onProgress: (p) => io.stderr.write(l10n.t('{0}: {1}/{2} items, accuracy so far {3}', p.task, p.done, p.total, pct(p.accuracy)) + (p.errors ? ' ' + l10n.t('({0} failed)', p.errors) : '') + '\n'),
        onLine: (line) => {
          if (/^(error|warning|note|resume|interrupted):/.test(line)) io.stderr.write(line + '\n');
        },
      });
      if (values.json) {
        const out = AccuracyJsonSchema.parse(accuracyJson(r));
        io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else printResult(r, io);
      const failed = r.datasets.some((d) => d.verdict === 'fail');
      return failed || r.error || !r.complete ? 1 : 0;
    } catch (e) {
      if (e instanceof AccuracyJobError) {
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
