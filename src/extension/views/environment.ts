import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { Check, EnvReport, ReportDevice } from '../../core/checks/report';
import type { HostResult } from '../envResults';
import { bar, gb, statusIcon, statusWord, when, worst } from './format';
import type { Node } from './index';

/**
 * Environment view: per host, the checks as a tree with status icons (facts, fix and source under each),
 * the NPUs with HBM bars, and the processes holding NPU memory. A simulated host says so on every row that
 * carries a result.
 */

function simulatedMark(r: EnvReport): string {
  return r.simulated ? l10n.t('SIMULATED') : '';
}

export function summaryText(r: EnvReport): string {
  const s = r.summary;
  const parts: string[] = [];
  if (s.fail) parts.push(l10n.t('{0} failed', s.fail));
  if (s.warn) parts.push(l10n.t('{0} warnings', s.warn));
  parts.push(l10n.t('{0} passed', s.pass));
  if (s.skip) parts.push(l10n.t('{0} skipped', s.skip));
  return parts.join(', ');
}

export class HostResultNode implements Node {
  constructor(readonly result: HostResult) {}

  item(): vscode.TreeItem {
    const r = this.result.report;
    const it = new vscode.TreeItem(this.result.hostName, vscode.TreeItemCollapsibleState.Expanded);
    it.id = `env:${this.result.hostId}`;
    it.description = [simulatedMark(r), when(this.result.at), summaryText(r)].filter(Boolean).join(' · ');
    it.iconPath = statusIcon(worst(r.checks.map((c) => c.status)));
    it.contextValue = 'ascend.envHost';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${this.result.hostName}**${r.simulated ? ` — ${l10n.t('SIMULATED: these are not NPU results')}` : ''}\n\n`);
    md.appendMarkdown(`${l10n.t('Checked at {0}', new Date(this.result.at).toLocaleString())} · ${summaryText(r)}\n\n`);
    if (r.hostInfo) md.appendText(`${r.hostInfo.os ?? ''} ${r.hostInfo.kernel ?? ''} ${r.hostInfo.arch ?? ''}`.trim());
    it.tooltip = md;
    return it;
  }

  children(): Node[] {
    const r = this.result.report;
    const out: Node[] = [];
    if (r.npu.devices.length > 0) out.push(new DevicesNode(this.result));
    out.push(new VersionsNode(this.result));
    // Failures first, then warnings, passes, skips: what needs attention is on top.
    const order = { fail: 0, warn: 1, pass: 2, skip: 3 } as const;
    const checks = [...r.checks].sort((a, b) => order[a.status] - order[b.status]);
    for (const c of checks) out.push(new CheckNode(this.result, c));
    return out;
  }
}

class DevicesNode implements Node {
  constructor(private readonly result: HostResult) {}

  item(): vscode.TreeItem {
    const r = this.result.report;
    const names = [...new Set(r.npu.devices.map((d) => d.name))].join(', ');
    const it = new vscode.TreeItem(l10n.t('NPUs'), vscode.TreeItemCollapsibleState.Collapsed);
    it.id = `env:${this.result.hostId}:devices`;
    it.description = [l10n.t('{0} × {1} ({2})', r.npu.devices.length, names, r.npu.family), simulatedMark(r)].filter(Boolean).join(' · ');
    it.iconPath = new vscode.ThemeIcon('circuit-board');
    it.contextValue = 'ascend.envDevices';
    return it;
  }

  children(): Node[] {
    const r = this.result.report;
    const out: Node[] = r.npu.devices.map((d) => new DeviceNode(this.result, d));
    if (r.npu.processes.length > 0) out.push(new ProcessesNode(this.result));
    return out;
  }
}

class DeviceNode implements Node {
  constructor(private readonly result: HostResult, private readonly d: ReportDevice) {}

  item(): vscode.TreeItem {
    const d = this.d;
    const label = l10n.t('NPU {0}', d.npuId) + (d.chipId > 0 || this.result.report.npu.devices.some((x) => x.npuId === d.npuId && x.chipId !== d.chipId) ? ` / ${l10n.t('chip {0}', d.chipId)}` : '');
    const it = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    it.id = `env:${this.result.hostId}:npu:${d.npuId}:${d.chipId}`;
    const used = d.hbmUsedMB ?? d.memUsedMB;
    const total = d.hbmTotalMB ?? d.memTotalMB;
    const mem = used !== null && total !== null && total > 0 ? `${bar(used, total)} ${gb(used)} / ${gb(total)} GB` : l10n.t('memory unknown');
    it.description = `${d.name} · ${d.health} · ${mem}`;
    const ok = /^(ok|healthy)$/i.test(d.health);
    it.iconPath = new vscode.ThemeIcon(ok ? 'chip' : 'error', new vscode.ThemeColor(ok ? 'testing.iconPassed' : 'testing.iconFailed'));
    it.contextValue = 'ascend.envDevice';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${label}** — ${d.name} (${d.family})${this.result.report.simulated ? ` — ${l10n.t('SIMULATED')}` : ''}\n\n`);
    const rows: Array<[string, string]> = [
      [l10n.t('Health'), d.health],
      [l10n.t('HBM'), used !== null && total !== null ? `${used} / ${total} MB` : '—'],
      [l10n.t('Power'), d.powerW !== null ? `${d.powerW} W` : '—'],
      [l10n.t('Temperature'), d.tempC !== null ? `${d.tempC} °C` : '—'],
      [l10n.t('AI Core'), d.aicorePercent !== null ? `${d.aicorePercent} %` : '—'],
      [l10n.t('Bus ID'), d.busId ?? '—'],
      [l10n.t('Logical device'), String(d.logicalId)],
    ];
    md.appendMarkdown(rows.map(([k, v]) => `- ${k}: \`${v}\``).join('\n'));
    it.tooltip = md;
    return it;
  }
}

class ProcessesNode implements Node {
  constructor(private readonly result: HostResult) {}

  item(): vscode.TreeItem {
    const p = this.result.report.npu.processes;
    const it = new vscode.TreeItem(l10n.t('Processes holding NPU memory'), vscode.TreeItemCollapsibleState.Collapsed);
    it.description = String(p.length);
    it.iconPath = new vscode.ThemeIcon('server-process');
    return it;
  }

  children(): Node[] {
    return this.result.report.npu.processes.map((p) => ({
      item: () => {
        const it = new vscode.TreeItem(`${p.name || p.cmdline || '?'} (${p.pid})`);
        it.description = l10n.t('NPU {0} · {1} MB', p.npuId, p.memoryMB) + (p.user ? ` · ${p.user}` : '');
        it.iconPath = new vscode.ThemeIcon('debug-stackframe-dot');
        it.tooltip = p.cmdline ?? undefined;
        return it;
      },
    }));
  }
}

class VersionsNode implements Node {
  constructor(private readonly result: HostResult) {}

  item(): vscode.TreeItem {
    const v = this.result.report.versions;
    const it = new vscode.TreeItem(l10n.t('Versions'), vscode.TreeItemCollapsibleState.Collapsed);
    it.id = `env:${this.result.hostId}:versions`;
    it.description = [v.cann && `CANN ${v.cann}`, v.vllm_ascend && `vllm-ascend ${v.vllm_ascend}`, simulatedMark(this.result.report)].filter(Boolean).join(' · ');
    it.iconPath = new vscode.ThemeIcon('versions');
    return it;
  }

  children(): Node[] {
    const v = this.result.report.versions as Record<string, string | null>;
    return Object.entries(v).map(([k, val]) => new FactNode(k, val));
  }
}

class FactNode implements Node {
  constructor(private readonly name: string, private readonly value: string | number | boolean | null) {}

  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(this.name);
    it.description = this.value === null ? '—' : String(this.value);
    it.tooltip = `${this.name} = ${it.description}`;
    it.contextValue = 'ascend.envFact';
    return it;
  }
}

export class CheckNode implements Node {
  constructor(readonly result: HostResult, readonly check: Check) {}

  item(): vscode.TreeItem {
    const c = this.check;
    const hasChildren = Object.keys(c.facts).length > 0 || c.fix || c.source;
    const it = new vscode.TreeItem(c.title, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    it.id = `env:${this.result.hostId}:check:${c.id}`;
    it.description = c.detail;
    it.iconPath = statusIcon(c.status);
    it.contextValue = ['ascend.envCheck', c.fix ? 'fix' : '', c.source ? 'source' : ''].filter(Boolean).join('.');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${statusWord(c.status)}** — ${c.title}${this.result.report.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    md.appendText(c.detail);
    if (c.fix) {
      md.appendMarkdown(`\n\n**${l10n.t('Fix')}**\n\n`);
      md.appendCodeblock(c.fix, 'shell');
    }
    it.tooltip = md;
    return it;
  }

  children(): Node[] {
    const c = this.check;
    const out: Node[] = Object.entries(c.facts).map(([k, v]) => new FactNode(k, v));
    if (c.fix) {
      const fix = c.fix;
      out.push({
        item: () => {
          const it = new vscode.TreeItem(l10n.t('Fix: {0}', fix.split('\n')[0]));
          it.iconPath = new vscode.ThemeIcon('lightbulb', new vscode.ThemeColor('editorLightBulb.foreground'));
          it.tooltip = l10n.t('Click to copy the fix command');
          it.command = { command: 'ascend.env.copyFix', title: l10n.t('Copy Fix Command'), arguments: [this] };
          it.contextValue = 'ascend.envFix';
          return it;
        },
      });
    }
    if (c.source) {
      const src = c.source;
      out.push({
        item: () => {
          const it = new vscode.TreeItem(l10n.t('Source: {0}', src));
          it.iconPath = new vscode.ThemeIcon('link-external');
          it.command = { command: 'ascend.env.openSource', title: l10n.t('Open Source'), arguments: [this] };
          return it;
        },
      });
    }
    return out;
  }
}
