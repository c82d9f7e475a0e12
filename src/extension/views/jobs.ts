import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { accuracyOutcome, accuracyRunOutcome, LATENCY_METRICS, type AccuracyOutcome, type AccuracySummary, type LatencyStats, type PerfSummary, type TrackedJob } from '../jobResults';
import { duration, stateText, statusIcon } from './format';
import type { SmokeReport } from '../../core/smoke/index';
import type { Node } from './index';

/** Jobs view: serving jobs with state, uptime and load time; smoke, accuracy and performance results under each. */

type PerfRunSummary = PerfSummary['runs'][number];
type RowMaker = (label: string, description: string, icon: vscode.ThemeIcon, contextValue?: string) => Node;

const LATENCY_LABEL: Record<(typeof LATENCY_METRICS)[number], string> = { ttft: 'TTFT', tpot: 'TPOT', itl: 'ITL', e2el: 'E2EL' };
const ms = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));

function latencyText(s: LatencyStats): string {
  return l10n.t('mean {0} · P50 {1} · P90 {2} · P99 {3} ms', ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p99));
}

/** One benchmark run: throughput on its row, TTFT / TPOT / ITL / E2EL with P50/P90/P99 under it. */
function perfRunNode(x: PerfRunSummary, row: RowMaker): Node {
  const lat = x.latency;
  const description = [
    `${x.requestThroughput?.toFixed(2) ?? '—'} req/s · ${x.outputThroughput?.toFixed(1) ?? '—'} tok/s${x.throughputRatio ? ` (${l10n.t('{0}× GPU', x.throughputRatio.toFixed(2))})` : ''} · TTFT ${ms(x.meanTtftMs)} ms · TPOT ${ms(x.meanTpotMs, 2)} ms`,
    x.failed ? l10n.t('{0} failed', x.failed) : '',
    x.interrupted ? l10n.t('interrupted') : '',
  ].filter(Boolean).join(' · ');
  return {
    item: () => {
      const it = new vscode.TreeItem(l10n.t('concurrency {0}', String(x.concurrency ?? '∞')), lat ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      it.description = description;
      it.iconPath = statusIcon(x.failed || x.interrupted ? 'warn' : 'pass');
      it.contextValue = 'ascend.job.perfRun';
      return it;
    },
    children: lat ? () => LATENCY_METRICS.map((k) => row(LATENCY_LABEL[k], latencyText(lat[k]), new vscode.ThemeIcon('watch'), 'ascend.job.perfLatency')) : undefined,
  };
}

/** A smoke test's results: passed/total on its row, one row per prompt under it. */
export function smokeNode(s: SmokeReport, row: RowMaker): Node {
  return {
    item: () => {
      const it = new vscode.TreeItem(l10n.t('Smoke test'), vscode.TreeItemCollapsibleState.Expanded);
      it.description = l10n.t('{0}/{1} passed', s.passed, s.results.length) + (s.simulated ? ` · ${l10n.t('SIMULATED')}` : '');
      it.iconPath = statusIcon(s.failed ? 'fail' : 'pass');
      it.contextValue = 'ascend.job.smoke';
      return it;
    },
    children: () =>
      s.results.map((x) =>
        row(
          x.prompt,
          x.error
            ? l10n.t('failed after {0} ms: {1}', Math.round(x.elapsedMs), x.error)
            : l10n.t('TTFT {0} ms · total {1} ms · {2} tokens · {3}', x.ttftMs === null ? '—' : Math.round(x.ttftMs), x.totalMs === null ? '—' : Math.round(x.totalMs), String(x.completionTokens ?? '?'), x.finishReason ?? '?'),
          statusIcon(x.error ? 'fail' : 'pass'),
          'ascend.job.smokeResult',
        ),
      ),
  };
}

/** A plain row of the Jobs view. */
export const plainRow: RowMaker = (label, description, icon, contextValue) => ({
  item: () => {
    const it = new vscode.TreeItem(label);
    it.description = description;
    it.iconPath = icon;
    it.contextValue = contextValue;
    return it;
  },
});

export class JobNode implements Node {
  constructor(readonly job: TrackedJob) {}

  item(): vscode.TreeItem {
    const r = this.job.record;
    const it = new vscode.TreeItem(r.profileName, vscode.TreeItemCollapsibleState.Collapsed);
    it.id = `job:${r.jobId}`;
    // State first: a narrow sidebar cuts the end of the line, never the state.
    const parts = [stateText(r.state)];
    const end = r.endedAt ?? Date.now();
    if (r.state === 'ready' || r.state === 'starting') parts.push(l10n.t('up {0}', duration(end - r.startedAt)));
    if (r.loadTimeMs !== null) parts.push(l10n.t('load {0}', duration(r.loadTimeMs)));
    parts.push(r.simulated ? l10n.t('SIMULATED') : '', r.host);
    it.description = parts.filter(Boolean).join(' · ');
    it.accessibilityInformation = { label: `${r.profileName}: ${it.description}`, role: 'treeitem' };
    it.iconPath =
      r.state === 'ready'
        ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'))
        : r.state === 'starting'
          ? new vscode.ThemeIcon('loading~spin')
          : r.state === 'failed'
            ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
            : new vscode.ThemeIcon('debug-stop');
    it.contextValue = `ascend.job.serve.${r.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${r.profileName}** — ${stateText(r.state)}${r.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    md.appendCodeblock(r.command.display, 'shell');
    if (r.failure) md.appendMarkdown(`\n\n${r.failure.error ? `**${r.failure.error.title}** — ${r.failure.error.explanation}\n\n${l10n.t('Fix: {0}', r.failure.error.fix)}` : r.failure.message}`);
    it.tooltip = md;
    it.command = { command: 'ascend.jobs.attach', title: l10n.t('Attach'), arguments: [this] };
    return it;
  }

  children(): Node[] {
    const r = this.job.record;
    const out: Node[] = [];
    const row = plainRow;
    out.push(row(l10n.t('Job'), `${r.jobId} · ${new Date(r.startedAt).toLocaleString()}`, new vscode.ThemeIcon('tag')));
    out.push(row(l10n.t('Model'), `${r.command.servedModelName} · TP ${r.command.worldSize} · NPUs ${r.command.devices.join(',')}`, new vscode.ThemeIcon('symbol-namespace')));
    if (r.failure) out.push(row(l10n.t('Failure'), r.failure.error ? `${r.failure.error.title}: ${r.failure.error.fix}` : r.failure.message, statusIcon('fail')));
    if (this.job.smoke) out.push(smokeNode(this.job.smoke, row));
    if (this.job.accuracy) out.push(accuracyNode(this.job.accuracy, row));
    if (this.job.perf) out.push(perfNode(this.job.perf, row));
    const st = this.job.stop;
    if (st) {
      out.push(row(l10n.t('After stop'), st.idle ? l10n.t('NPUs idle, no process left') : l10n.t('NPUs not idle: {0} process(es) left', st.npuProcesses.length + st.leftoverPids.length), statusIcon(st.idle ? 'pass' : st.checked ? 'fail' : 'skip')));
    }
    return out;
  }
}

/** A run's accuracy figures (under a serving job's row, single-host or multi-node). */
export function accuracyNode(acc: AccuracySummary, row: RowMaker): Node {
  return {
    item: () => {
      const it = new vscode.TreeItem(l10n.t('Accuracy'), vscode.TreeItemCollapsibleState.Expanded);
      const o = accuracyRunOutcome(acc);
      it.description = [outcomeWord(o), acc.simulated ? l10n.t('SIMULATED') : '', acc.engine, acc.error ?? ''].filter(Boolean).join(' · ');
      it.iconPath = outcomeIcon(o);
      it.contextValue = 'ascend.job.accuracy';
      it.accessibilityInformation = { label: `${l10n.t('Accuracy')}: ${it.description}`, role: 'treeitem' };
      return it;
    },
    children: () =>
      acc.datasets.map((d) => {
        const o = accuracyOutcome(d);
        const node = row(
          d.name,
          `${outcomeWord(o)} · ${d.metric ?? ''} ${d.value === null ? '—' : `${(d.value * 100).toFixed(2)} %`} · n=${d.n}${d.reference !== null ? ` · ${l10n.t('reference {0} %', (d.reference * 100).toFixed(2))}` : ''}`,
          outcomeIcon(o),
          'ascend.job.accuracyRow',
        );
        return { item: () => Object.assign(node.item(), { accessibilityInformation: { label: `${d.name}: ${node.item().description as string}`, role: 'treeitem' } }) };
      }),
  };
}

/** A run's performance figures (under a serving job's row, single-host or multi-node). */
export function perfNode(perf: PerfSummary, row: RowMaker): Node {
  return {
    item: () => {
      const it = new vscode.TreeItem(l10n.t('Performance'), vscode.TreeItemCollapsibleState.Expanded);
      it.description = [perf.error ? l10n.t('warning') : perf.interrupted ? l10n.t('interrupted') : l10n.t('done'), perf.simulated ? l10n.t('SIMULATED') : '', perf.engine, perf.error ?? ''].filter(Boolean).join(' · ');
      it.iconPath = statusIcon(perf.error || perf.interrupted ? 'warn' : 'pass');
      it.contextValue = 'ascend.job.perf';
      return it;
    },
    children: () => perf.runs.map((x) => perfRunNode(x, row)),
  };
}

/** The outcome in words (the icon is never the only carrier of it). */
export function outcomeWord(o: AccuracyOutcome | 'error'): string {
  switch (o) {
    case 'pass':
      return l10n.t('passed');
    case 'fail':
      return l10n.t('failed');
    case 'error':
      return l10n.t('error');
    default:
      return l10n.t('no reference');
  }
}

function outcomeIcon(o: AccuracyOutcome | 'error'): vscode.ThemeIcon {
  if (o === 'pass') return statusIcon('pass');
  if (o === 'fail') return statusIcon('fail');
  if (o === 'error') return statusIcon('warn');
  // Neutral: nothing was compared, so nothing passed or failed.
  return new vscode.ThemeIcon('circle-large-outline');
}
