import { translator, type Lang, type Translator } from '../l10n';
import {
  dimensionName,
  fmtFigure,
  fmtNum,
  fmtPct,
  fmtRatio,
  isThroughput,
  mdEscape,
  perfLabel,
  reportDate,
  reportFileName,
  STATUS_ICON,
  statusCell,
  stepName,
  thresholdText,
  verdictIcon,
} from './format';
import type { ReportProblem } from './load';
import type { Evidence, Figure, PartialReport, Status } from './schema';
import { round } from './figures';

/**
 * The report as Markdown, laid out like the hand-written reports users hand their managers (the seed):
 * summary table, adaptation items, quantization, accuracy, performance, inference outputs, serving,
 * batch smoke table, environment, files, notes, conclusion — in English or Chinese. Every figure carries a
 * footnote [^En] whose definition names the job, host, times, command and log offset / result file.
 */
export interface MarkdownOptions {
  lang: Lang;
  /** Problems found while loading (shown at the top). */
  problems?: ReportProblem[];
  /**
   * Internal: 'html' makes figures, evidence references and chart slots come out as markers that
   * html.ts turns into clickable elements and inline SVG (one layout for both formats).
   */
  target?: 'md' | 'html';
}

/** Markers used in the html target (NUL-delimited, so they survive HTML escaping untouched). */
export const MARK = {
  fig: (figureId: string, evidenceId: string, text: string) => `\u0000F${figureId}\u0001${evidenceId}\u0001${text}\u0000`,
  ref: (evidenceId: string) => `\u0000R${evidenceId}\u0000`,
  chart: (name: string) => `\u0000C${name}\u0000`,
};

class Md {
  lines: string[] = [];
  used = new Set<string>();
  constructor(
    readonly t: Translator,
    readonly html = false,
  ) {}
  chart(name: string) {
    if (!this.html) return;
    this.p(MARK.chart(name));
    this.p();
  }
  p(s = '') {
    this.lines.push(s);
  }
  table(head: string[], rows: string[][]) {
    this.p(`| ${head.join(' | ')} |`);
    this.p(`|${head.map(() => '---').join('|')}|`);
    for (const r of rows) this.p(`| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
    this.p();
  }
  /** A figure with its footnote. */
  fig(f: Figure | null | undefined, digits = 2): string {
    if (!f) return '—';
    this.used.add(f.evidence);
    if (this.html) return MARK.fig(f.id, f.evidence, fmtFigure(f, digits));
    return `${fmtFigure(f, digits)}[^${f.evidence}]`;
  }
  ref(evidenceId: string | null | undefined): string {
    if (!evidenceId) return '';
    this.used.add(evidenceId);
    if (this.html) return MARK.ref(evidenceId);
    return `[^${evidenceId}]`;
  }
}

function notRun(md: Md, section: { status: Status; reason: string | null } | undefined): boolean {
  const t = md.t;
  if (!section) {
    md.p(`⚠️ ${t.tr('This section is missing from the report file or could not be read.')}`);
    md.p();
    return true;
  }
  if (section.status === 'not-run' || section.status === 'skip') {
    md.p(`${STATUS_ICON[section.status]} ${section.status === 'skip' ? t.tr('Skipped') : t.tr('Not run')}: ${t.data(section.reason ?? '')}`);
    md.p();
    return true;
  }
  if (section.status === 'fail' && section.reason) {
    md.p(`❌ ${t.tr('Failed')}: ${t.data(section.reason)}`);
    md.p();
  }
  return false;
}

function codeBlock(md: Md, lang: string, body: string) {
  md.p('```' + lang);
  md.p(body);
  md.p('```');
  md.p();
}

/** argv → a shell line a person can read and copy (POSIX quoting, continued lines after 2 args). */
export function shellLine(argv: string[], env: Record<string, string> = {}): string {
  const q = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const parts: string[] = [];
  let cur = argv.slice(0, 3).map(q).join(' ');
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      parts.push(cur);
      cur = q(a);
    } else cur += ` ${q(a)}`;
  }
  parts.push(cur);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`);
  return [...exports, parts.join(' \\\n  ')].join('\n');
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The API check as the curl command users paste (the seed's "调用 API"). */
export function curlLine(endpoint: string | null, body: string): string {
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    /* keep as is */
  }
  const base = (endpoint ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  return [`curl -s ${base}/v1/chat/completions \\`, `  -H 'Content-Type: application/json' \\`, `  -d '${pretty.replace(/'/g, `'\\''`)}'`].join('\n');
}

function evidenceLine(t: Translator, e: Evidence): string {
  const where =
    e.kind === 'log'
      ? t.tr('log {0}, byte {1}', e.file, e.offset ?? 0) + (e.line ? t.tr(' (line {0})', e.line) : '')
      : e.pointer
        ? t.tr('file {0}, at {1}', e.file, e.pointer)
        : t.tr('file {0}', e.file);
  const parts = [
    e.jobId ? t.tr('job {0}', e.jobId) : t.tr('no job'),
    t.tr('host {0}', e.host),
    e.startedAt ? `${e.startedAt} → ${e.endedAt ?? '…'}` : '',
    e.command.length ? `\`${e.command.join(' ')}\`` : '',
    where,
    e.copy ? t.tr('copy: {0}', e.copy) : '',
  ].filter(Boolean);
  return parts.join(' · ');
}

export function renderMarkdown(report: PartialReport, opts: MarkdownOptions): string {
  const t = translator(opts.lang);
  const md = new Md(t, opts.target === 'html');
  const model = report.model;
  const modelName = model?.name ?? t.tr('(unknown model)');
  const host = report.hosts?.find((h) => h.role === 'npu') ?? report.hosts?.[0];
  const date = reportDate(report);
  const jsonName = report.generatedAt ? reportFileName(report.generatedAt) : 'validation_report.json';

  md.p(`# ${t.tr('{0} — Ascend NPU adaptation validation report', modelName)}`);
  md.p();
  if (report.simulated) {
    md.p(`> **${t.tr('SIMULATED')}** — ${t.tr('every result in this report comes from a simulated Ascend host, not from real NPUs.')}`);
    md.p();
  }
  if (report.fixture) {
    md.p(`> **${t.tr('TEST FIXTURE')}** — ${t.tr('hand-written sample data for tests, not produced by a run.')}`);
    md.p();
  }
  if (opts.problems && opts.problems.length) {
    md.p(`> ⚠️ ${t.tr('Problems reading the report file:')}`);
    for (const p of opts.problems) md.p(`> - ${mdEscape(p.message)}`);
    md.p();
  }
  md.p(
    t.tr('Adaptation target: vLLM-Ascend {0} | Hardware: {1}', report.target?.vllmAscend ?? '—', report.target?.hardware ?? '—'),
  );
  md.p();
  md.p(t.tr('The tables below show the environment check, operator compatibility, accuracy and performance benchmark results of {0} on Ascend NPUs.', modelName));
  md.p();

  // Summary (four dimensions as in the seed).
  const dims = report.verdict?.dimensions ?? [];
  const dim = (n: string) => dims.find((d) => d.name === n);
  const summaryRows = ['adaptation', 'accuracy', 'performance', 'environment'].map((n) => {
    const d = dim(n);
    return [dimensionName(t, n), d ? statusCell(t, d.status) : '—', d ? mdEscape(t.data(d.summary)) : '—'];
  });
  md.table([t.tr('Dimension'), t.tr('Status'), t.tr('Description')], summaryRows);

  // 1. Model adaptation
  md.p(`## 1. ${t.tr('Model adaptation')}`);
  md.p();
  const ad = report.adaptation;
  if (!notRun(md, ad) && ad) {
    md.table(
      [t.tr('Adaptation item'), t.tr('Status'), t.tr('Basis')],
      ad.items.map((i) => [mdEscape(t.data(i.title)), STATUS_ICON[i.status], mdEscape(t.data(i.basis))]),
    );
    if (ad.operatorFindings.length) {
      md.p(`### ${t.tr('Operator compatibility findings')}`);
      md.p();
      md.table(
        [t.tr('File'), t.tr('Line'), t.tr('Severity'), t.tr('Rule'), t.tr('Description')],
        ad.operatorFindings.map((f) => [f.file, String(f.line + 1), f.severity, f.code, mdEscape(t.data(f.message))]),
      );
    }
    md.table(
      [t.tr('Quantization'), t.tr('Adaptation status'), t.tr('Description')],
      ad.quantization.map((q) => [mdEscape(t.data(q.format)), `${STATUS_ICON[q.status]}${q.status === 'warn' ? ` ${t.tr('Needs conversion')}` : ''}`, mdEscape(t.data(q.note))]),
    );
  }
  if (model) {
    md.p(`### ${t.tr('Model parameters (config.json)')}${md.ref(model.evidence)}`);
    md.p();
    const rows: string[][] = [
      [t.tr('Architecture'), model.architecture ?? '—'],
      [t.tr('Model type'), model.modelType ?? '—'],
      [t.tr('Layers'), fmtNum(model.numLayers)],
      [t.tr('Hidden size'), fmtNum(model.hiddenSize)],
      [
        t.tr('Attention heads / KV heads'),
        `${fmtNum(model.attentionHeads)} / ${fmtNum(model.kvHeads)}${model.attentionHeads && model.kvHeads && model.kvHeads < model.attentionHeads ? ' (GQA)' : ''}`,
      ],
      [t.tr('Head dim'), fmtNum(model.headDim)],
      [
        'MoE',
        model.moe
          ? t.tr('{0} experts, top-{1}, {2} shared', model.moe.experts, fmtNum(model.moe.topK), fmtNum(model.moe.sharedExperts))
          : t.tr('no (dense)'),
      ],
      ['RoPE', model.rope ? `${model.rope.style}${model.rope.theta !== null ? `, θ=${fmtNum(model.rope.theta)}` : ''}${model.rope.scaling ? `, ${model.rope.scaling}` : ''}` : '—'],
      [t.tr('Data type'), model.dtype ?? '—'],
      [
        t.tr('Quantization format'),
        model.quantization
          ? `${model.quantization.format}${model.quantization.bits ? ` Int${model.quantization.bits}` : ''}${model.quantization.groupSize ? ` (group ${model.quantization.groupSize})` : ''} — ${model.quantization.loadableOnNpu ? t.tr('loadable on NPU') : t.tr('not loadable on NPU as is')}`
          : t.tr('none (float)'),
      ],
      [t.tr('Max position embeddings'), fmtNum(model.maxPositionEmbeddings)],
    ];
    md.table([t.tr('Parameter'), t.tr('Value')], rows);
  }

  // 2. Accuracy
  md.p(`## 2. ${t.tr('Accuracy validation')}`);
  md.p();
  const acc = report.accuracy;
  if (!notRun(md, acc) && acc) {
    const th = acc.datasets.map((d) => `${thresholdText(t, d.threshold)} (${d.label})`).join(' / ');
    md.table(
      [t.tr('Parameter'), t.tr('Value')],
      [
        [t.tr('Data type'), acc.dtype ?? '—'],
        [t.tr('Sampling temperature'), acc.temperature === 0 ? t.tr('0.0 (greedy decoding)') : fmtNum(acc.temperature)],
        [t.tr('Error threshold'), th ? `< ${th}` : '—'],
        [t.tr('Evaluation engine'), acc.engine ? t.data(acc.engine) : '—'],
      ],
    );
    md.table(
      [t.tr('Dataset'), t.tr('GPU reference'), t.tr('NPU measured'), t.tr('Absolute error'), t.tr('Relative error'), t.tr('Threshold'), t.tr('Status')],
      acc.datasets.map((d) => [
        `${d.label} (n=${d.n})`,
        md.fig(d.reference),
        md.fig(d.measured),
        fmtPct(d.absError),
        fmtPct(d.relError),
        thresholdText(t, d.threshold),
        verdictIcon(d.verdict),
      ]),
    );
    md.chart('accuracy');
    const errs = acc.datasets.map((d) => d.absError).filter((x): x is number => x !== null);
    if (errs.length) {
      const mean = round(errs.reduce((a, b) => a + b, 0) / errs.length, 4);
      const max = Math.max(...errs);
      const allPass = acc.datasets.every((d) => d.verdict === 'pass');
      md.p(
        allPass
          ? t.tr('Overall accuracy error: mean absolute error {0}, max absolute error {1}; all within their thresholds.', fmtPct(mean), fmtPct(max))
          : t.tr('Overall accuracy error: mean absolute error {0}, max absolute error {1}; NOT all within their thresholds.', fmtPct(mean), fmtPct(max)),
      );
      md.p();
    } else {
      md.p(t.tr('No GPU reference was given: accuracy is reported without a verdict.'));
      md.p();
    }
  }

  // 3. Performance
  md.p(`## 3. ${t.tr('Performance benchmark')}`);
  md.p();
  const perf = report.performance;
  if (!notRun(md, perf) && perf) {
    md.p(
      t.tr(
        'Engine: {0}; concurrency {1}; {2} prompts; input/output length {3}/{4} tokens.',
        perf.engine ? t.data(perf.engine) : '—',
        fmtNum(perf.concurrency),
        fmtNum(perf.numPrompts),
        fmtNum(perf.inputLen),
        fmtNum(perf.outputLen),
      ),
    );
    md.p();
    const main = perf.metrics.filter((m) => !isThroughput(m.key));
    const thr = perf.metrics.filter((m) => isThroughput(m.key));
    if (main.length) {
      md.table(
        [t.tr('Metric'), t.tr('GPU baseline'), t.tr('NPU measured'), t.tr('Ratio'), t.tr('Status')],
        main.map((m) => [perfLabel(t, m.key, m.label), md.fig(m.baseline), md.fig(m.measured), fmtRatio(m.ratio), verdictIcon(m.verdict)]),
      );
    }
    if (perf.latency) {
      const l = perf.latency;
      md.table(
        [t.tr('Metric'), 'P50', 'P90', 'P99', t.tr('Status')],
        [[t.tr('Latency ({0}, ms)', l.metric), md.fig(l.p50), md.fig(l.p90), md.fig(l.p99), l.p50.value !== null ? '✅' : '—']],
      );
    }
    if (thr.length) {
      md.table(
        [t.tr('Metric'), t.tr('GPU baseline'), t.tr('NPU measured'), t.tr('Status')],
        thr.map((m) => [perfLabel(t, m.key, m.label), md.fig(m.baseline), md.fig(m.measured), verdictIcon(m.verdict)]),
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

  // 4. Inference test: outputs, serving, batch table
  md.p(`## 4. ${t.tr('Inference test')}`);
  md.p();
  const smoke = report.smoke;
  const serving = report.serving;
  if (!notRun(md, smoke) && smoke) {
    md.p(t.tr('The outputs below were produced on the Ascend NPU through the served OpenAI-compatible API.'));
    md.p();
    const out: string[] = [];
    for (const r of smoke.results) {
      out.push(`--- ${t.tr('Test {0}', r.index)} ---`);
      out.push(`${t.tr('Input:')} ${r.prompt}`);
      out.push(`${t.tr('Output:')} ${r.output}`);
      out.push(`${t.tr('Time:')} ${fmtNum((r.totalMs.value ?? 0) / 1000)}s`);
    }
    codeBlock(md, 'text', out.join('\n'));
  }
  md.p(`### ${t.tr('Serving')}`);
  md.p();
  if (!notRun(md, serving) && serving) {
    md.p(`**${t.tr('Command')}**` + (serving.profile ? ` — ${t.tr('profile {0}', serving.profile)}` : '') + (serving.jobId ? ` (${t.tr('job {0}', serving.jobId)})` : ''));
    md.p();
    codeBlock(md, 'bash', shellLine(serving.command, serving.env));
    if (serving.apiCheck) {
      const a = serving.apiCheck;
      md.p(`**${t.tr('Request')}**${md.ref(a.evidence)}`);
      md.p();
      codeBlock(md, 'bash', curlLine(serving.endpoint, a.request));
      md.p(`**${t.tr('Response')}**`);
      md.p();
      codeBlock(md, 'json', prettyJson(a.response));
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
  if (smoke && smoke.status !== 'not-run' && smoke.status !== 'skip') {
    md.p(`### ${t.tr('Batch inference check')}`);
    md.p();
    md.table(
      [t.tr('Test #'), 'Prompt', t.tr('Output status'), t.tr('Inference time'), 'TTFT', t.tr('Result')],
      smoke.results.map((r) => [
        String(r.index),
        mdEscape(r.prompt),
        r.ok ? t.tr('Complete output') : mdEscape(t.data(r.problem ?? t.tr('Incomplete'))),
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

  // 5. Environment
  md.p(`## 5. ${t.tr('Environment check')}`);
  md.p();
  if (!report.hosts) {
    notRun(md, undefined);
  } else if (report.hosts.length === 0) {
    md.p(`⏸️ ${t.tr('Not run')}`);
    md.p();
  }
  for (const h of report.hosts ?? []) {
    md.p(
      `### ${h.role === 'gpu' ? t.tr('GPU host {0}', h.name) : t.tr('NPU host {0}', h.name)}${h.simulated ? ` (${t.tr('simulated host')})` : ''}${md.ref(h.evidence)}`,
    );
    md.p();
    const v = h.versions;
    const failIds = new Set(h.checks.filter((c) => c.status === 'fail').map((c) => c.id));
    const compat = failIds.has('compat') || failIds.has('versions') ? '❌' : '✅';
    const row = (name: string, val: string | null | undefined) => [name, val ?? '—', val ? compat : '❌'];
    const devs = h.devices;
    const devName = devs.length ? `${devs[0].name} × ${devs.length}` : '—';
    const devOk = devs.length > 0 && devs.every((d) => d.health === 'OK');
    md.table(
      [t.tr('Component'), t.tr('Version'), t.tr('Status')],
      [
        row('vLLM', v.vllm),
        row('vLLM-Ascend', v.vllm_ascend),
        row('torch', v.torch),
        row('torch_npu', v.torch_npu),
        row('CANN', v.cann),
        row(t.tr('Driver'), v.driver),
        row('Python', v.python),
        [t.tr('NPU devices'), h.chipFamily ? `${devName} (${h.chipFamily})` : devName, devOk ? '✅' : '❌'],
      ],
    );
    const envLines = Object.entries(h.env).map(([k, val]) => `export ${k}=${JSON.stringify(val)}`);
    if (envLines.length) codeBlock(md, 'bash', envLines.join('\n'));
    if (h.checks.length) {
      md.table(
        [t.tr('Check'), t.tr('Status'), t.tr('Description'), t.tr('Fix')],
        h.checks.map((c) => [mdEscape(t.data(c.title)), statusCell(t, c.status), mdEscape(t.data(c.detail)), c.fix ? mdEscape(t.data(c.fix)) : '']),
      );
    }
  }

  // 6. Pipeline steps and files
  md.p(`## 6. ${t.tr('Evidence files')}`);
  md.p();
  if (report.steps && report.steps.length) {
    md.table(
      [t.tr('Step'), t.tr('Status'), t.tr('Start'), t.tr('End'), t.tr('Description')],
      report.steps.map((s) => [stepName(t, s.name), statusCell(t, s.status), s.startedAt ?? '—', s.endedAt ?? '—', mdEscape(t.data(s.reason ?? ''))]),
    );
  }
  md.p(t.tr('All evidence files produced during this validation run:'));
  md.p();
  md.table(
    [t.tr('File'), t.tr('Content'), t.tr('Produced by')],
    (report.files ?? []).map((f) => [`\`${f.path}\``, mdEscape(t.data(f.description)), mdEscape(t.data(f.producedBy))]),
  );

  // 7. Notes
  if (report.notes && report.notes.length) {
    md.p(`## 7. ${t.tr('Notes')}`);
    md.p();
    for (const n of report.notes) md.p(`- ${t.data(n)}`);
    md.p();
  }

  // 8. Conclusion
  md.p(`## 8. ${t.tr('Conclusion')}`);
  md.p();
  const evLoc = (n: string) => {
    switch (n) {
      case 'adaptation':
        return t.tr('chapter 1');
      case 'accuracy':
        return t.tr('chapter 2 + {0}', jsonName);
      case 'performance':
        return t.tr('chapter 3 + {0}', jsonName);
      case 'smoke':
        return t.tr('chapter 4');
      case 'serving':
        return t.tr('chapter 4');
      default:
        return t.tr('chapter 5');
    }
  };
  md.table(
    [t.tr('Dimension'), t.tr('Status'), t.tr('Description'), t.tr('Evidence location')],
    dims.map((d) => [dimensionName(t, d.name), STATUS_ICON[d.status], mdEscape(t.data(d.summary)), evLoc(d.name)]),
  );
  const overall = report.verdict?.overall;
  if (overall === 'pass') md.p(`🎉 ${t.tr('{0}: Ascend NPU adaptation validation passed', modelName)}${report.simulated ? ` (${t.tr('SIMULATED')})` : ''}`);
  else if (overall === 'fail') md.p(`❌ ${t.tr('{0}: Ascend NPU adaptation validation failed', modelName)}${report.simulated ? ` (${t.tr('SIMULATED')})` : ''}`);
  else md.p(`⏸️ ${t.tr('{0}: Ascend NPU adaptation validation incomplete', modelName)}${report.simulated ? ` (${t.tr('SIMULATED')})` : ''}`);
  md.p();
  md.p(
    t.tr(
      'Report version: {0} | Adaptation target: vLLM-Ascend {1} | Hardware platform: {2}',
      date || '—',
      report.target?.vllmAscend ?? '—',
      report.target?.hardware ?? (host?.chipFamily ?? '—'),
    ),
  );
  md.p();

  // Evidence footnotes
  const ev = new Map((report.evidence ?? []).map((e) => [e.id, e]));
  const order = [...ev.keys()];
  const used = [...md.used].sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9));
  if (used.length) {
    md.p(`### ${t.tr('Evidence')}`);
    md.p();
    for (const id of used) {
      const e = ev.get(id);
      md.p(`[^${id}]: ${e ? evidenceLine(t, e) : t.tr('evidence {0} is missing from the report file', id)}`);
    }
    md.p();
  }
  return md.lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
