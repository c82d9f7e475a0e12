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

/**
 * A row that runs a command (the Hosts view's way in when its welcome text cannot show: in a remote
 * window "This machine" is always listed, so the view is never empty).
 */
export class ActionNode implements Node {
  constructor(
    private readonly id: string,
    private readonly label: string,
    private readonly detail: string,
    private readonly icon: string,
    readonly command: string,
  ) {}

  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    it.id = `host-action:${this.id}`;
    it.description = this.detail;
    it.iconPath = new vscode.ThemeIcon(this.icon);
    it.contextValue = 'ascend.hostAction';
    it.command = { command: this.command, title: this.label };
    return it;
  }
}

/** What the Hosts view offers after the hosts: a simulated host when there is none, a first ssh host, the walkthrough. */
export function hostActions(list: readonly HostTarget[]): Node[] {
  const out: Node[] = [];
  if (!list.some((h) => h.kind === 'sim')) {
    out.push(new ActionNode('sim', l10n.t('Create Simulated Atlas Host…'), l10n.t('try everything without an Atlas server (SIMULATED)'), 'beaker', 'ascend.sim.create'));
  }
  if (!list.some((h) => h.kind === 'ssh')) {
    out.push(new ActionNode('add', l10n.t('Add Host…'), l10n.t('an Atlas server reached over SSH'), 'add', 'ascend.hosts.add'));
    out.push(new ActionNode('start', l10n.t('Get Started…'), l10n.t('the walkthrough, from a host to a report'), 'book', 'ascend.walkthrough.open'));
  }
  return out;
}
