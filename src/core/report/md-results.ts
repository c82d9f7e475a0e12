import { protocolText } from '../lmeval/protocol';
import { inLanguage } from '../l10n';
import { round } from './figures';
import { fmtNum, fmtPct, fmtRatio, isThroughput, perfLabel, thresholdText, verdictIcon } from './format';
import { renderServedBy } from './md-cluster';
import { curlLine, prettyJson, shellLine, type Md } from './md-writer';
import type { PartialReport } from './schema';

/** 2. Accuracy: parameters, NPU vs GPU reference per dataset, the overall error. */
export function renderAccuracy(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 2. ${t.tr('Accuracy validation')}`);
  md.p();
  const acc = report.accuracy;
  if (md.notRun(acc) || !acc) return;
  renderServedBy(md, report);
  const th = acc.datasets.map((d) => `${thresholdText(t, d.threshold)} (${md.text(d.label)})`).join(' / ');
  md.table(
    [t.tr('Parameter'), t.tr('Value')],
    [
      [t.tr('Data type'), md.text(acc.dtype)],
      [t.tr('Sampling temperature'), acc.temperature === 0 ? t.tr('0.0 (greedy decoding)') : fmtNum(acc.temperature)],
      [t.tr('Error threshold'), th ? `< ${th}` : '—'],
      [t.tr('Evaluation engine'), acc.engine ? md.data(acc.engine) : '—'],
    ],
  );
  // Every figure with the protocol it was measured under (lm-eval task, n-shot, seed, chat, max tokens, filter).
  md.table(
    [t.tr('Dataset'), t.tr('GPU reference'), t.tr('NPU measured'), t.tr('Absolute error'), t.tr('Relative error'), t.tr('Threshold'), t.tr('Status'), t.tr('Protocol')],
    acc.datasets.map((d) => [
      `${md.text(d.label)} (n=${d.n})`, md.fig(d.reference), md.fig(d.measured), fmtPct(d.absError), fmtPct(d.relError), thresholdText(t, d.threshold),
      d.comparable === false ? t.tr('not comparable') : verdictIcon(d.verdict),
      md.text(`${d.protocol?.task ?? d.name}, ${d.metric}: ${inLanguage(t.lang, () => protocolText(d.protocol))}`),
    ]),
  );
  for (const d of acc.datasets) if (d.note) md.p(`- ${md.text(d.label)}: ${md.data(d.note)}`);
  if (acc.datasets.some((d) => d.note)) md.p();
  md.chart('accuracy');
  const errs = acc.datasets.map((d) => d.absError).filter((x): x is number => x !== null);
  if (!errs.length) {
    md.p(t.tr('No GPU reference was given: accuracy is reported without a verdict.'));
    md.p();
    return;
  }
  const mean = fmtPct(round(errs.reduce((a, b) => a + b, 0) / errs.length, 4));
  const max = fmtPct(Math.max(...errs));
  md.p(
    acc.datasets.every((d) => d.verdict === 'pass')
      ? t.tr('Overall accuracy error: mean absolute error {0}, max absolute error {1}; all within their thresholds.', mean, max)
      : t.tr('Overall accuracy error: mean absolute error {0}, max absolute error {1}; NOT all within their thresholds.', mean, max),
  );
  md.p();
}

/** 3. Performance: NPU vs GPU baseline per metric, latency percentiles, throughput, memory and load time. */
export function renderPerformance(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 3. ${t.tr('Performance benchmark')}`);
  md.p();
  const perf = report.performance;
  if (!md.notRun(perf) && perf) {
    renderServedBy(md, report);
    md.p(t.tr('Engine: {0}; concurrency {1}; {2} prompts; input/output length {3}/{4} tokens.', perf.engine ? md.data(perf.engine) : '—', fmtNum(perf.concurrency), fmtNum(perf.numPrompts), fmtNum(perf.inputLen), fmtNum(perf.outputLen)));
    if (perf.baselineMismatch?.length) {
      const field = {
        model: () => t.tr('model'), engine: () => t.tr('engine'), concurrency: () => t.tr('concurrency'),
        requestRate: () => t.tr('request rate'), inputLen: () => t.tr('input length'), outputLen: () => t.tr('output length'),
      };
      const diffs = perf.baselineMismatch.map((d) => t.tr('{0} {1} (baseline {2})', field[d.field](), md.data(d.measured), md.data(d.baseline)));
      md.p(`⚠️ ${t.tr('The GPU baseline was measured differently: {0}; its ratios compare unlike runs.', diffs.join(t.tr(', ')))}`);
    }
    md.p();
    const label = (m: (typeof perf.metrics)[number]) => md.text(perfLabel(t, m.key, m.label));
    const main = perf.metrics.filter((m) => !isThroughput(m.key));
    const thr = perf.metrics.filter((m) => isThroughput(m.key));
    if (main.length) {
      md.table(
        [t.tr('Metric'), t.tr('GPU baseline'), t.tr('NPU measured'), t.tr('Ratio'), t.tr('Status')],
        main.map((m) => [label(m), md.fig(m.baseline), md.fig(m.measured), fmtRatio(m.ratio), verdictIcon(m.verdict)]),
      );
    }
    if (perf.latencies?.length) {
      md.table(
        [t.tr('Latency (ms)'), t.tr('Mean'), 'P50', 'P90', 'P99'],
        perf.latencies.map((l) => [l.metric.toUpperCase(), md.fig(l.mean), md.fig(l.p50), md.fig(l.p90), md.fig(l.p99)]),
      );
    } else if (perf.latency) {
      const l = perf.latency;
      md.table([t.tr('Metric'), 'P50', 'P90', 'P99', t.tr('Status')], [[t.tr('Latency ({0}, ms)', md.text(l.metric)), md.fig(l.p50), md.fig(l.p90), md.fig(l.p99), l.p50.value !== null ? '✅' : '—']]);
    }
    if (thr.length) {
      md.table(
        [t.tr('Metric'), t.tr('GPU baseline'), t.tr('NPU measured'), t.tr('Status')],
        thr.map((m) => [label(m), md.fig(m.baseline), md.fig(m.measured), verdictIcon(m.verdict)]),
      );
    }
    md.chart('perf');
    md.chart('latency');
    md.table(
      [t.tr('Metric'), t.tr('Value')],
      [
        [t.tr('HBM per device'), md.fig(perf.memory.perDeviceMB)],
        [t.tr('Model load time'), md.fig(perf.memory.loadTime)],
        [t.tr('NPU peak HBM'), md.fig(perf.memory.peakMB)],
      ],
    );
  }
  if (perf && perf.hbmSamples.length) md.chart('hbm');
}

/** 4. Inference test: the smoke outputs, the serving command and API check, the batch table. */
export function renderInference(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 4. ${t.tr('Inference test')}`);
  md.p();
  const smoke = report.smoke;
  if (!md.notRun(smoke) && smoke) {
    md.p(t.tr('The outputs below were produced on the Ascend NPU through the served OpenAI-compatible API.'));
    md.p();
    renderServedBy(md, report);
    const out = smoke.results.flatMap((r) => [
      `--- ${t.tr('Test {0}', r.index)} ---`,
      `${t.tr('Input:')} ${r.prompt}`,
      `${t.tr('Output:')} ${r.output}`,
      `${t.tr('Time:')} ${r.totalMs.value === null ? '—' : `${fmtNum(r.totalMs.value / 1000)}s`}`,
    ]);
    md.block('text', out.join('\n'));
  }
  renderServing(md, report);
  if (smoke && smoke.status !== 'not-run' && smoke.status !== 'skip') renderBatch(md, smoke);
}

function renderServing(md: Md, report: PartialReport): void {
  const t = md.t;
  const serving = report.serving;
  md.p(`### ${t.tr('Serving')}`);
  md.p();
  if (md.notRun(serving) || !serving) return;
  renderServedBy(md, report);
  md.p(`**${t.tr('Command')}**` + (serving.profile ? ` — ${t.tr('profile {0}', md.text(serving.profile))}` : '') + (serving.jobId ? ` (${t.tr('job {0}', md.text(serving.jobId))})` : ''));
  md.p();
  md.block('bash', shellLine(serving.command, serving.env));
  if (serving.apiCheck) {
    const a = serving.apiCheck;
    md.p(`**${t.tr('Request')}**${md.ref(a.evidence)}`);
    md.p();
    md.block('bash', curlLine(serving.endpoint, a.request));
    md.p(`**${t.tr('Response')}**`);
    md.p();
    md.block('json', prettyJson(a.response));
    md.p(
      a.ok
        ? `✅ ${t.tr('Serving works: the API answers in the expected format, token counts reported ({0} prompt + {1} completion).', fmtNum(a.promptTokens), fmtNum(a.completionTokens))}`
        : `❌ ${t.tr('Serving check failed: the API did not answer as expected.')}`,
    );
    md.p();
  }
  if (serving.loadTime) {
    md.p(`${t.tr('Model load time')}: ${md.fig(serving.loadTime)}`);
    md.p();
  }
}

function renderBatch(md: Md, smoke: NonNullable<PartialReport['smoke']>): void {
  const t = md.t;
  md.p(`### ${t.tr('Batch inference check')}`);
  md.p();
  md.table(
    [t.tr('Test #'), 'Prompt', t.tr('Output status'), t.tr('Inference time'), 'TTFT', t.tr('Result')],
    smoke.results.map((r) => [
      String(r.index),
      md.text(r.prompt),
      r.ok ? t.tr('Complete output') : md.data(r.problem ?? t.tr('Incomplete')),
      r.totalMs.value === null ? '—' : `${fmtNum(r.totalMs.value / 1000)}s${md.ref(r.totalMs.evidence)}`,
      md.fig(r.ttftMs, 0) + (r.ttftMs.value !== null ? ' ms' : ''),
      r.ok ? '✅' : '❌',
    ]),
  );
  const okN = smoke.results.filter((r) => r.ok).length;
  md.p(
    okN === smoke.results.length
      ? t.tr('Batch check conclusion: {0}/{1} tests passed, no abnormal interruption.', okN, smoke.results.length)
      : t.tr('Batch check conclusion: {0}/{1} tests passed.', okN, smoke.results.length),
  );
  md.p();
}
