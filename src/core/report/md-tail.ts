import { dimensionName, fmtTime, reportDate, reportFileName, STATUS_ICON, statusCell, stepName } from './format';
import { footnoteLabel } from './mdtext';
import { renderNodes } from './md-cluster';
import { evidenceLine, type Md } from './md-writer';
import type { HostSnapshot, PartialReport } from './schema';

/** 5. Environment: per host, versions against the compatibility matrix, devices, env exports, checks. */
export function renderEnvironment(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 5. ${t.tr('Environment check')}`);
  md.p();
  if (!report.hosts) md.notRun(undefined);
  else if (report.hosts.length === 0) {
    md.p(`${STATUS_ICON['not-run']} ${t.tr('Not run')}`);
    md.p();
  }
  renderNodes(md, report);
  for (const h of report.hosts ?? []) renderHost(md, h);
}

function renderHost(md: Md, h: HostSnapshot): void {
  const t = md.t;
  const name = md.text(h.name);
  md.p(`### ${h.role === 'gpu' ? t.tr('GPU host {0}', name) : t.tr('NPU host {0}', name)}${h.simulated ? ` (${t.tr('simulated host')})` : ''}${md.ref(h.evidence)}`);
  md.p();
  const v = h.versions;
  const failIds = new Set(h.checks.filter((c) => c.status === 'fail').map((c) => c.id));
  const compat = failIds.has('compat') || failIds.has('versions') ? '❌' : '✅';
  const row = (label: string, val: string | null | undefined) => [label, md.text(val), val ? compat : '❌'];
  const devs = h.devices;
  const devName = devs.length ? `${md.text(devs[0].name)} × ${devs.length}` : '—';
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
      [t.tr('NPU devices'), h.chipFamily ? `${devName} (${md.text(h.chipFamily)})` : devName, devOk ? '✅' : '❌'],
    ],
  );
  const envLines = Object.entries(h.env).map(([k, val]) => `export ${k}=${JSON.stringify(val)}`);
  if (envLines.length) md.block('bash', envLines.join('\n'));
  if (h.checks.length) {
    md.table(
      [t.tr('Check'), t.tr('Status'), t.tr('Description'), t.tr('Fix')],
      h.checks.map((c) => [md.data(c.title), statusCell(t, c.status), md.data(c.detail), c.fix ? md.data(c.fix) : '']),
    );
  }
}

/** 6. Evidence files: the step table and every file the run produced. 7. Notes. */
export function renderFiles(md: Md, report: PartialReport): void {
  const t = md.t;
  md.p(`## 6. ${t.tr('Evidence files')}`);
  md.p();
  if (report.steps && report.steps.length) {
    md.table(
      [t.tr('Step'), t.tr('Status'), t.tr('Start'), t.tr('End'), t.tr('Description')],
      report.steps.map((s) => [stepName(t, s.name), statusCell(t, s.status), md.text(fmtTime(t, s.startedAt)), md.text(fmtTime(t, s.endedAt)), md.data(s.reason ?? '')]),
    );
  }
  md.p(t.tr('All evidence files produced during this validation run:'));
  md.p();
  md.table(
    [t.tr('File'), t.tr('Content'), t.tr('Produced by')],
    (report.files ?? []).map((f) => [md.code(f.path, true), md.data(f.description), md.data(f.producedBy)]),
  );
  if (report.notes && report.notes.length) {
    md.p(`## 7. ${t.tr('Notes')}`);
    md.p();
    for (const n of report.notes) md.p(`- ${md.data(n)}`);
    md.p();
  }
}

const CHAPTER: Record<string, (md: Md, jsonName: string) => string> = {
  adaptation: (md) => md.t.tr('chapter 1'),
  accuracy: (md, j) => md.t.tr('chapter 2 + {0}', j),
  performance: (md, j) => md.t.tr('chapter 3 + {0}', j),
  smoke: (md) => md.t.tr('chapter 4'),
  serving: (md) => md.t.tr('chapter 4'),
};

/** 8. Conclusion: the dimensions with where their evidence is, the overall verdict, the version line. */
export function renderConclusion(md: Md, report: PartialReport, modelName: string): void {
  const t = md.t;
  const jsonName = report.generatedAt ? reportFileName(report.generatedAt) : 'validation_report.json';
  md.p(`## 8. ${t.tr('Conclusion')}`);
  md.p();
  md.table(
    [t.tr('Dimension'), t.tr('Status'), t.tr('Description'), t.tr('Evidence location')],
    (report.verdict?.dimensions ?? []).map((d) => [dimensionName(t, d.name), STATUS_ICON[d.status], md.data(d.summary), (CHAPTER[d.name] ?? ((m: Md) => m.t.tr('chapter 5')))(md, jsonName)]),
  );
  const sim = report.simulated ? ` (${t.tr('SIMULATED')})` : '';
  const overall = report.verdict?.overall;
  if (overall === 'pass') md.p(`🎉 ${t.tr('{0}: Ascend NPU adaptation validation passed', modelName)}${sim}`);
  else if (overall === 'fail') md.p(`❌ ${t.tr('{0}: Ascend NPU adaptation validation failed', modelName)}${sim}`);
  else md.p(`⏸️ ${t.tr('{0}: Ascend NPU adaptation validation incomplete', modelName)}${sim}`);
  md.p();
  const host = report.hosts?.find((h) => h.role === 'npu') ?? report.hosts?.[0];
  md.p(t.tr('Report version: {0} | Adaptation target: vLLM-Ascend {1} | Hardware platform: {2}', reportDate(report) || '—', md.text(report.target?.vllmAscend), md.text(report.target?.hardware ?? host?.chipFamily)));
  md.p();
}

/** The footnotes of every evidence entry a figure or reference used, in the report's evidence order. */
export function renderFootnotes(md: Md, report: PartialReport): void {
  const t = md.t;
  const ev = new Map((report.evidence ?? []).map((e) => [e.id, e]));
  const order = [...ev.keys()];
  const used = [...md.used].sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9));
  if (!used.length) return;
  md.p(`### ${t.tr('Evidence')}`);
  md.p();
  for (const id of used) {
    const e = ev.get(id);
    md.p(`[^${footnoteLabel(id)}]: ${e ? evidenceLine(md, e) : t.tr('evidence {0} is missing from the report file', md.text(id))}`);
  }
  md.p();
}
