import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseReferenceFile, primaryMetric, runAccuracy, withVerdicts, type Reference, type Threshold } from '../accuracy/index';
import { withAccuracyDerived } from '../report/figures';
import { en, inLanguage } from '../l10n';
import { protocolText } from '../lmeval/protocol';
import type { AccuracyDataset, Figure } from '../report/schema';
import { inputEvidence, referencesFromReport, reportFromText, resultEvidence } from './inputs';
import { serverStep } from './server-step';
import type { StepContext, StepResult, ValidateStep } from './types';

/**
 * Accuracy on the served model: the accuracy host script as a detached job next to the server (see
 * src/core/accuracy), judged against a GPU reference. This step turns its result into the report's
 * section: one row per dataset (its primary metric), each figure pointing into the job's result file
 * (copied beside the report) and carrying the protocol it was measured under, the reference file as input
 * evidence; a reference of another protocol is not compared (`comparable: false`, the note says why).
 */

const LABELS: Record<string, string> = { gsm8k: 'GSM8K', mmlu: 'MMLU', mmlu_generative: 'MMLU (generative)', hendrycks_math: 'MATH (hendrycks_math)', minerva_math: 'MATH (minerva_math)' };

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

const pct = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 100);

function readReferences(ctx: StepContext, file: string): { references: Reference[]; evidence: string } {
  const text = fs.readFileSync(file, 'utf8');
  const rep = reportFromText(text);
  return {
    references: rep ? referencesFromReport(rep, path.basename(file)) : parseReferenceFile(text, path.basename(file)),
    evidence: inputEvidence(ctx, file, `reference/${path.basename(file)}`),
  };
}

/** Each figure with the protocol it was measured under, shown as the run goes (the report has the same column). */
function protocolLines(datasets: AccuracyDataset[]): string[] {
  return datasets.map((d) => {
    const what = `${d.protocol?.task ?? d.name} ${d.metric} · ${protocolText(d.protocol)}${d.comparable === false ? ` · ${en('not comparable')}` : ''}`;
    return d.reference
      ? en('{0}: {1}% (reference {2}%) · {3}', d.label, d.measured.value ?? '—', d.reference.value ?? '—', what)
      : en('{0}: {1}% · {2}', d.label, d.measured.value ?? '—', what);
  });
}

/**
 * @param spec what to run; null: the step is recorded as not run with `notRunReason` (e.g. no datasets given).
 */
export function accuracyStep(spec: AccuracyStepSpec | null, notRunReason = en('no datasets given (--tasks and --data)')): ValidateStep {
  return serverStep('accuracy', spec, notRunReason, async (ctx, s, server): Promise<StepResult> => {
    ctx.state.accuracy = null;
    const ref = s.referenceFile ? readReferences(ctx, s.referenceFile) : null;
    const r = await runAccuracy({
      transport: ctx.transport,
      spec: { baseUrl: server.hostEndpoint, model: server.model, tasks: s.tasks, dataDir: s.dataDir, limit: s.limit, concurrency: s.concurrency },
      jobs: ctx.jobs,
      simRoot: ctx.profile.simRoot,
      references: ref?.references ?? [],
      thresholds: s.thresholds,
      onProgress: (p) => ctx.progress(`${p.task} ${p.done}/${p.total} acc=${(p.accuracy * 100).toFixed(1)}%`),
      signal: ctx.signal,
    });
    const ev = await resultEvidence(ctx, r.evidence, 'accuracy.json', '/datasets');
    if (r.evidence.itemsFile) await ctx.book.copyFromHost(ctx.transport, r.evidence.itemsFile, `${r.evidence.jobId}/items.jsonl`);
    // One row per dataset, as hand-written reports have it: the primary metric (GSM8K strict-match, MMLU acc …);
    // MMLU's category rows stay in the result file.
    const names = [...new Set(r.datasets.filter((d) => !d.group).map((d) => d.name))];
    // The report stores English (it is translated when rendered): the notes again, in English.
    const english = inLanguage('en', () => withVerdicts(r.raw.datasets, r.references, s.thresholds));
    const datasets: AccuracyDataset[] = names.map((n) => {
      const rows = r.datasets.map((d, i) => ({ d, i })).filter((x) => x.d.name === n);
      const primary = primaryMetric(n, rows.map((x) => x.d.metric));
      const { d, i } = rows.find((x) => x.d.reference !== null && x.d.metric === primary) ?? rows.find((x) => x.d.metric === primary) ?? rows[0];
      const measured: Figure = ctx.book.figure(`accuracy.${d.name}.measured`, pct(d.value), '%', ev, `/datasets/${i}/value`, 100);
      const reference: Figure | null = d.reference !== null && ref ? ctx.book.figure(`accuracy.${d.name}.reference`, pct(d.reference), '%', ref.evidence) : null;
      const note = english[i]?.note;
      return withAccuracyDerived({
        name: d.name, label: LABELS[d.name] ?? d.name, metric: d.metric ?? '', n: d.n, reference, measured, threshold: d.threshold,
        protocol: d.protocol, comparable: d.comparable, ...(note ? { note } : {}),
      });
    });
    for (const line of protocolLines(datasets)) ctx.progress(line);
    ctx.state.accuracy = { engine: { bundled: 'bundled runner', 'lm-eval': 'lm-eval', aisbench: 'AISBench' }[r.engine], dtype: ctx.profile.dtype ?? null, temperature: 0, datasets };
    const figures = datasets.map((d) => ({ label: d.label, value: d.measured.value, unit: '%', reference: d.reference?.value ?? null }));
    const failed = datasets.filter((d) => d.verdict === 'fail').length;
    if (r.error) return { status: 'fail', reason: r.error, figures };
    if (!datasets.length) return { status: 'fail', reason: en('the accuracy job returned no dataset'), figures };
    // No answer right is never a pass, reference or not (a broken chat template or stop token looks like this).
    const zero = datasets.filter((d) => d.measured.value === 0);
    if (zero.length) return { status: 'fail', reason: en('accuracy is 0 % on {0}: no answer was right', zero.map((d) => d.label).join(', ')), figures };
    if (failed) return { status: 'fail', reason: en('{0} of {1} datasets outside their threshold', failed, datasets.length), figures };
    // Without a reference nothing is judged: not a pass.
    const judged = datasets.filter((d) => d.verdict !== null).length;
    if (judged < datasets.length) return { status: 'warn', reason: judged ? en('{0} of {1} datasets have no comparable GPU reference', datasets.length - judged, datasets.length) : en('no GPU reference: accuracy not judged'), figures };
    return { status: 'pass', reason: null, figures };
  });
}
