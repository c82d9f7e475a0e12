import { dimensionName, fmtNum, STATUS_ICON, statusCell } from './format';
import type { ReportProblem } from './load';
import type { Md } from './md-writer';
import type { PartialReport } from './schema';

/** Title, SIMULATED / fixture banners, load problems, target line and the four-dimension summary. */
export function renderHead(md: Md, report: PartialReport, modelName: string, problems: ReportProblem[] | undefined): void {
  const t = md.t;
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
  if (problems && problems.length) {
    md.p(`> ⚠️ ${t.tr('Problems reading the report file:')}`);
    for (const p of problems) md.p(`> - ${md.text(p.message)}`);
    md.p();
  }
  if (report.interrupted) {
    const step = report.interrupted.step;
    md.p(`> ${STATUS_ICON.interrupted} **${t.tr('Interrupted')}** — ${t.tr('the run was stopped during {0}; steps after it did not run, partial results are marked.', step ? md.data(stepTitleEn(step)) : '—')}`);
    md.p();
  }
  md.p(t.tr('Adaptation target: vLLM-Ascend {0} | Hardware: {1}', md.text(report.target?.vllmAscend), md.text(report.target?.hardware)));
  md.p();
  md.p(t.tr('The tables below show the environment check, operator compatibility, accuracy and performance benchmark results of {0} on Ascend NPUs.', modelName));
  md.p();
  const dims = report.verdict?.dimensions ?? [];
  const rows = ['adaptation', 'accuracy', 'performance', 'environment'].map((n) => {
    const d = dims.find((x) => x.name === n);
    return [dimensionName(t, n), d ? statusCell(t, d.status) : '—', d ? md.data(d.summary) : '—'];
  });
  md.table([t.tr('Dimension'), t.tr('Status'), t.tr('Description')], rows);
}

const STEP_EN: Record<string, string> = {
  env: 'Environment check',
  analysis: 'Model and operator analysis',
  quantize: 'Model quantization',
  serve: 'Serving',
  smoke: 'Inference test',
  accuracy: 'Accuracy validation',
  perf: 'Performance benchmark',
  profile: 'Profiling',
  stop: 'Stop serving',
};

function stepTitleEn(step: string): string {
  return STEP_EN[step] ?? step;
}

/** 1. Model adaptation: items, operator findings, quantization rows, model parameters from config.json. */
export function renderAdaptation(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 1. ${t.tr('Model adaptation')}`);
  md.p();
  const ad = report.adaptation;
  if (!md.notRun(ad) && ad) {
    md.table(
      [t.tr('Adaptation item'), t.tr('Status'), t.tr('Basis')],
      ad.items.map((i) => [md.data(i.title), STATUS_ICON[i.status], md.data(i.basis)]),
    );
    if (ad.operatorFindings.length) {
      md.p(`### ${t.tr('Operator compatibility findings')}`);
      md.p();
      md.table(
        [t.tr('File'), t.tr('Line'), t.tr('Severity'), t.tr('Rule'), t.tr('Description')],
        ad.operatorFindings.map((f) => [md.text(f.file), String(f.line + 1), md.text(f.severity), md.text(f.code), md.data(f.message)]),
      );
    }
    md.table(
      [t.tr('Quantization'), t.tr('Adaptation status'), t.tr('Description')],
      ad.quantization.map((q) => [md.data(q.format), `${STATUS_ICON[q.status]}${q.status === 'warn' ? ` ${t.tr('Needs conversion')}` : ''}`, md.data(q.note)]),
    );
  }
  if (report.model) renderModelParameters(md, report.model);
}

function renderModelParameters(md: Md, model: NonNullable<PartialReport['model']>): void {
  const t = md.t;
  md.p(`### ${t.tr('Model parameters (config.json)')}${md.ref(model.evidence)}`);
  md.p();
  const gqa = model.attentionHeads && model.kvHeads && model.kvHeads < model.attentionHeads ? ' (GQA)' : '';
  const rope = model.rope ? `${md.text(model.rope.style)}${model.rope.theta !== null ? `, θ=${fmtNum(model.rope.theta)}` : ''}${model.rope.scaling ? `, ${md.text(model.rope.scaling)}` : ''}` : '—';
  const q = model.quantization;
  const quant = q
    ? `${md.text(q.format)}${q.bits ? ` Int${q.bits}` : ''}${q.groupSize ? ` (group ${q.groupSize})` : ''} — ${q.loadableOnNpu ? t.tr('loadable on NPU') : t.tr('not loadable on NPU as is')}`
    : t.tr('none (float)');
  const rows: string[][] = [
    [t.tr('Architecture'), md.text(model.architecture)],
    [t.tr('Model type'), md.text(model.modelType)],
    [t.tr('Layers'), fmtNum(model.numLayers)],
    [t.tr('Hidden size'), fmtNum(model.hiddenSize)],
    [t.tr('Attention heads / KV heads'), `${fmtNum(model.attentionHeads)} / ${fmtNum(model.kvHeads)}${gqa}`],
    [t.tr('Head dim'), fmtNum(model.headDim)],
    ['MoE', model.moe ? t.tr('{0} experts, top-{1}, {2} shared', model.moe.experts, fmtNum(model.moe.topK), fmtNum(model.moe.sharedExperts)) : t.tr('no (dense)')],
    ['RoPE', rope],
    [t.tr('Data type'), md.text(model.dtype)],
    [t.tr('Quantization format'), quant],
    [t.tr('Max position embeddings'), fmtNum(model.maxPositionEmbeddings)],
  ];
  md.table([t.tr('Parameter'), t.tr('Value')], rows);
}
