import { coreClass, hbarChart } from '../profile/charts';
import { pick, type Translator } from '../l10n';
import { fmtNum, fmtPct } from './format';
import type { Md } from './md-writer';
import type { PartialReport } from './schema';

/**
 * 3.x Profile (when the run profiled the served model): device time by core type, the top operators, the AI CPU
 * operators with what to change, computing / communication / free per step, and where the timeline is. Each
 * total is a figure whose evidence is the CSV row it was summed from (job, file on the host, line).
 */
export function renderProfiling(md: Md, report: PartialReport): void {
  const p = report.profiling;
  if (p === undefined) return;
  const t = md.t;
  md.p(`### ${t.tr('Profile: where the NPU time goes')}`);
  md.p();
  if (md.notRun(p)) return;
  if (p.load) md.p(t.tr('Ascend PyTorch Profiler (--profiler-config) over a load of {0} requests ({1}/{2} tokens, concurrency {3}); {4} rank(s); profile job {5}.', p.load.numPrompts, p.load.inputLen, p.load.outputLen, p.load.concurrency, p.ranks, md.text(p.jobId)) + md.ref(p.evidence));
  md.p();
  if (p.totalUs) {
    md.p(`${t.tr('Device time of all tasks')}: ${md.fig(p.totalUs, 1)} µs`);
    md.p();
  }
  if (p.byCoreType.length) md.table([t.tr('Core type'), t.tr('Share'), t.tr('Time (µs)')], p.byCoreType.map((c) => [md.text(c.coreType), fmtPct(c.sharePct), fmtNum(c.us, 1)]));
  md.chart('profile-cores');
  if (p.topOps.length) {
    md.table(
      [t.tr('Operator'), t.tr('Core type'), t.tr('Count'), t.tr('Total (µs)'), t.tr('Avg (µs)'), t.tr('Max (µs)'), t.tr('Share')],
      p.topOps.map((o) => [md.text(o.type), o.coreType === 'AI_CPU' ? `**${md.text(o.coreType)}**` : md.text(o.coreType), String(o.count), md.fig(o.total, 1), fmtNum(o.avgUs, 1), fmtNum(o.maxUs, 1), fmtPct(o.sharePct)]),
    );
  }
  md.chart('profile-ops');
  renderAicpu(md, t, p);
  if (p.steps.length) {
    md.table(
      [t.tr('Rank'), t.tr('Step'), t.tr('Computing (µs)'), t.tr('Communication, not overlapped (µs)'), t.tr('Free (µs)')],
      p.steps.map((s) => [String(s.rank), s.step === null ? '—' : md.text(String(s.step)), md.fig(s.computing, 1), fmtNum(s.communicationUs, 1), fmtNum(s.freeUs, 1)]),
    );
  }
  for (const f of p.traceFiles) md.p(`- ${t.tr('Timeline for MindStudio Insight: {0}', md.code(f))}`);
  if (p.traceFiles.length) md.p();
}

function renderAicpu(md: Md, t: Translator, p: NonNullable<PartialReport['profiling']>): void {
  if (!p.aicpu.length) {
    md.p(`✅ ${t.tr('No operator fell back to the AI CPU (no AI CPU task of 20 µs or more).')}`);
    md.p();
    return;
  }
  md.p(`⚠️ **${t.tr('AI CPU operators')}** — ${t.tr('operators that fell back from the AI Core to the AI CPU (a task ≥ 20 µs, the msprof-analyze advisor\'s rule)')}`);
  md.p();
  md.table(
    [t.tr('Operator'), t.tr('Count'), t.tr('Total (µs)'), t.tr('Max (µs)'), t.tr('Input dtypes'), t.tr('Fix')],
    p.aicpu.map((a) => [md.text(a.type), String(a.count), md.fig(a.total, 1), fmtNum(a.maxUs, 1), md.text(a.dtypes.join(', ')), md.text(pick(a.fix, t.lang))]),
  );
}

/** The profile section's charts (keyed by the slots renderProfiling leaves). */
export function profilingCharts(report: PartialReport, t: Translator): Record<string, string> {
  const p = report.profiling;
  if (!p || !p.topOps.length) return {};
  return {
    'profile-cores': hbarChart(t.tr('Device time by core type'), p.byCoreType.map((c) => ({ label: c.coreType, value: c.sharePct, text: fmtPct(c.sharePct, 1), cls: coreClass(c.coreType) }))),
    'profile-ops': hbarChart(t.tr('Top operators by device time'), p.topOps.map((o) => ({ label: `${o.type} (${o.coreType})`, value: o.total.value ?? 0, text: fmtPct(o.sharePct, 1), cls: coreClass(o.coreType), figureId: o.total.id }))),
  };
}
