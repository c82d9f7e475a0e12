import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { ConnectionState } from '../../core/transport/transport';
import type { EnvResults } from '../envResults';
import type { HostTarget, Hosts } from '../hosts';
import { bar, gb, when } from './format';
import type { Node } from './index';

/** Hosts view: every host with its state, connect / disconnect, and its NPUs from the last environment check. */

export function stateWord(s: ConnectionState): string {
  switch (s) {
    case 'connected':
      return l10n.t('connected');
    case 'connecting':
      return l10n.t('connecting');
    case 'reconnecting':
      return l10n.t('reconnecting');
    case 'failed':
      return l10n.t('failed');
    default:
      return l10n.t('disconnected');
  }
}

export function stateIcon(s: ConnectionState): vscode.ThemeIcon {
  switch (s) {
    case 'connected':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
    case 'reconnecting':
      return new vscode.ThemeIcon('sync~spin');
    case 'failed':
      return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon('vm-outline');
  }
}

export class HostNode implements Node {
  constructor(
    readonly host: HostTarget,
    private readonly hosts: Hosts,
    private readonly env: EnvResults,
  ) {}

  get state(): ConnectionState {
    return this.hosts.state(this.host.id);
  }

  item(): vscode.TreeItem {
    const h = this.host;
    const res = this.env.get(h.id);
    const it = new vscode.TreeItem(h.name, res?.report.npu.devices.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    it.id = `host:${h.id}`;
    const parts: string[] = [];
    if (h.simulated) parts.push(l10n.t('SIMULATED'));
    if (h.kind === 'ssh') parts.push(stateWord(this.state));
    else parts.push(l10n.t('local'));
    if (this.hosts.activeId === h.id) parts.push(l10n.t('active'));
    it.description = parts.join(' · ');
    it.iconPath = h.kind === 'sim' ? new vscode.ThemeIcon('beaker') : h.kind === 'local' ? new vscode.ThemeIcon('device-desktop') : stateIcon(this.state);
    it.contextValue = `ascend.host.${h.kind}${h.kind === 'ssh' ? `.${this.state}` : ''}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${h.name}**${h.simulated ? ` — ${l10n.t('SIMULATED: nothing it reports is an NPU result')}` : ''}\n\n`);
    if (h.address) md.appendMarkdown(`\`${h.address}\`\n\n`);
    if (h.source) md.appendMarkdown(`${l10n.t('Defined in {0}', h.source)}\n\n`);
    const err = this.hosts.lastError(h.id);
    if (err) md.appendMarkdown(`${l10n.t('Last error: {0}', err)}\n\n`);
    if (res) md.appendMarkdown(l10n.t('Last environment check: {0}', when(res.at)));
    it.tooltip = md;
    return it;
  }

  children(): Node[] {
    const res = this.env.get(this.host.id);
    if (!res) return [];
    return res.report.npu.devices.map((d) => ({
      item: () => {
        const it = new vscode.TreeItem(l10n.t('NPU {0}', d.npuId) + (d.chipId ? ` / ${l10n.t('chip {0}', d.chipId)}` : ''));
        it.id = `host:${this.host.id}:npu:${d.npuId}:${d.chipId}`;
        const used = d.hbmUsedMB ?? d.memUsedMB;
        const total = d.hbmTotalMB ?? d.memTotalMB;
        it.description = `${d.name} · ${d.health}` + (used !== null && total ? ` · ${bar(used, total)} ${gb(used)}/${gb(total)} GB` : '') + ` · ${when(res.at)}`;
        it.iconPath = new vscode.ThemeIcon('chip');
        return it;
      },
    }));
  }
}
