import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { aicpuHint } from '../../core/profile/findings';
import { stateWord, summaryOf, type TrackedProfile } from '../profiling';
import { statusIcon } from './format';
import type { Node } from './index';

/**
 * The Profile view: one row per profile run (state, AI CPU count), under it device time by core type, the AI
 * CPU operators (highlighted, the fix in the tooltip), the top operators and each rank's timeline
 * (trace_view.json: copy its path, download it). A run row opens the run's webview.
 */

const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);

function row(label: string, description: string, icon: vscode.ThemeIcon, o: { tooltip?: string | vscode.MarkdownString; contextValue?: string; id?: string; children?: Node[]; command?: vscode.Command } = {}): Node {
  return {
    item: () => {
      const it = new vscode.TreeItem(label, o.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      it.description = description;
      it.iconPath = icon;
      if (o.tooltip) it.tooltip = o.tooltip;
      if (o.contextValue) it.contextValue = o.contextValue;
      if (o.id) it.id = o.id;
      if (o.command) it.command = o.command;
      return it;
    },
    ...(o.children ? { children: () => o.children! } : {}),
  };
}

/** A timeline row: the commands take it as their argument (tracked key + rank index). */
export class TraceNode implements Node {
  constructor(readonly tracked: { key: string }, readonly traceIndex: number, private readonly file: string) {}
  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(l10n.t('Timeline {0}', this.traceIndex + 1));
    it.description = this.file;
    it.tooltip = l10n.t('trace_view.json for MindStudio Insight: {0}', this.file);
    it.iconPath = new vscode.ThemeIcon('graph-line');
    it.contextValue = 'ascend.profile.trace';
    return it;
  }
}

export class ProfileNode implements Node {
  constructor(readonly tracked: TrackedProfile, private readonly running: boolean) {}

  item(): vscode.TreeItem {
    const t = this.tracked;
    const r = t.record;
    const s = summaryOf(t);
    const it = new vscode.TreeItem(t.title, vscode.TreeItemCollapsibleState.Expanded);
    it.id = `profile:${t.key}`;
    const aicpu = s ? (s.aicpu.length ? l10n.t('{0} AI CPU operator(s)', s.aicpu.length) : l10n.t('no AI CPU operator')) : '';
    it.description = [r.simulated ? l10n.t('SIMULATED') : '', r.host, stateWord(r.state), aicpu].filter(Boolean).join(' · ');
    it.iconPath = this.running ? new vscode.ThemeIcon('loading~spin') : r.state === 'done' ? statusIcon(s?.aicpu.length ? 'warn' : 'pass') : r.state === 'interrupted' ? new vscode.ThemeIcon('debug-stop') : statusIcon('fail');
    it.contextValue = this.running ? 'ascend.profile.running' : 'ascend.profile.run';
    it.tooltip = r.error ?? (r.id ? l10n.t('Profile job {0} on {1}', r.id, r.host) : r.host);
    it.command = { command: 'ascend.profile.open', title: l10n.t('Open Profile'), arguments: [t.key] };
    return it;
  }

  children(): Node[] {
    const t = this.tracked;
    const s = summaryOf(t);
    const out: Node[] = [];
    if (t.record.error) out.push(row(l10n.t('Error'), t.record.error, statusIcon('fail')));
    if (!s || !s.ranks) return out;
    out.push(row(l10n.t('Device time'), l10n.t('{0} over {1} rank(s)', us(s.totalUs), s.ranks), new vscode.ThemeIcon('clock'), {
      children: Object.entries(s.byCoreType).sort((a, b) => b[1] - a[1]).map(([k, p]) => row(k, `${p.toFixed(1)} % · ${us(s.byCoreTypeUs[k] ?? 0)}`, new vscode.ThemeIcon(k === 'AI_CPU' ? 'warning' : 'circuit-board'))),
    }));
    for (const a of s.aicpu) {
      const h = aicpuHint(a);
      const md = new vscode.MarkdownString(`**${h.title}**\n\n${h.fix}\n\n${l10n.t('Source')}: ${h.source}`);
      out.push(row(`AI_CPU ${a.type}`, l10n.t('{0} tasks, {1} total, max {2}', a.count, us(a.totalUs), us(a.maxUs)), statusIcon('warn'), { tooltip: md, contextValue: 'ascend.profile.aicpu', id: `profile:${t.key}:aicpu:${a.type}` }));
    }
    out.push(row(l10n.t('Top operators'), String(s.topOps.length), new vscode.ThemeIcon('list-ordered'), {
      children: s.topOps.map((o) => row(o.type, `${o.coreType} · ${us(o.totalUs)} · ${o.sharePct.toFixed(1)} %`, new vscode.ThemeIcon(o.coreType === 'AI_CPU' ? 'warning' : 'symbol-operator'))),
    }));
    s.traceFiles.forEach((f, i) => out.push(new TraceNode(t, i, f)));
    return out;
  }
}
