import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { ClusterJobRecord, ClusterNodeRecord, NodeState } from '../../core/cluster/job';
import type { TrackedCluster } from '../cluster';
import { duration, stateText, statusIcon } from './format';
import type { Node } from './index';
import { accuracyNode, perfNode, plainRow, smokeNode } from './jobs';

/**
 * A multi-node job in the Jobs view: one row (profile, mode, state) with a row per node under it (index,
 * host, head/worker, address on its interface, NPUs, the node's own state and why it failed).
 */

export function modeText(m: ClusterJobRecord['mode']): string {
  switch (m) {
    case 'dp':
      return l10n.t('data parallel (dp)');
    case 'ray':
      return l10n.t('Ray (ray)');
    default:
      return l10n.t('pipeline parallel (pp-mp)');
  }
}

export function nodeStateText(s: NodeState): string {
  switch (s) {
    case 'pending':
      return l10n.t('waiting');
    case 'lost':
      return l10n.t('lost');
    default:
      return stateText(s);
  }
}

function stateIcon(s: ClusterJobRecord['state'] | NodeState): vscode.ThemeIcon {
  switch (s) {
    case 'ready':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'starting':
      return new vscode.ThemeIcon('loading~spin');
    case 'pending':
      return new vscode.ThemeIcon('clock');
    case 'failed':
    case 'lost':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon('debug-stop');
  }
}

export class ClusterNodeNode implements Node {
  /** What the node commands take (shape-checked in args.ts). */
  readonly clusterId: string;
  readonly host: string;

  constructor(readonly job: TrackedCluster, readonly node: ClusterNodeRecord) {
    this.clusterId = job.record.id;
    this.host = node.host;
  }

  item(): vscode.TreeItem {
    const n = this.node;
    const it = new vscode.TreeItem(l10n.t('node {0}: {1}', n.index, n.host));
    it.id = `cluster:${this.clusterId}:${n.index}`;
    const role = n.role === 'head' ? l10n.t('head') : l10n.t('worker');
    const where = n.address ? (n.nic ? l10n.t('{0} on {1}', n.address, n.nic) : n.address) : '';
    // State first, then the reason: a failed or lost node says why without a hover.
    it.description = [nodeStateText(n.state), role, where, n.devices.length ? l10n.t('NPUs {0}', n.devices.join(',')) : '', n.failure ?? ''].filter(Boolean).join(' · ');
    it.accessibilityInformation = { label: `${String(it.label)}: ${it.description}`, role: 'treeitem' };
    it.iconPath = stateIcon(n.state);
    it.contextValue = `ascend.job.clusterNode.${n.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${l10n.t('node {0}: {1}', n.index, n.host)}** — ${role} · ${nodeStateText(n.state)}${this.job.record.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    if (n.failure) md.appendMarkdown(`${n.failure}\n\n`);
    for (const j of n.jobs) md.appendCodeblock(j.display, 'shell');
    it.tooltip = md;
    it.command = { command: 'ascend.jobs.showNodeLog', title: l10n.t('Show Node Log'), arguments: [this] };
    return it;
  }
}

export class ClusterJobNode implements Node {
  /** The job id, for the commands that take a job (Stop, Attach). */
  readonly jobId: string;

  constructor(readonly job: TrackedCluster) {
    this.jobId = job.record.id;
  }

  item(): vscode.TreeItem {
    const r = this.job.record;
    const it = new vscode.TreeItem(r.profileName, vscode.TreeItemCollapsibleState.Expanded);
    it.id = `cluster:${r.id}`;
    const parts = [stateText(r.state), modeText(r.mode), l10n.t('{0} nodes', r.nodes.length)];
    if (r.state === 'ready' || r.state === 'starting') parts.push(l10n.t('up {0}', duration((r.endedAt ?? Date.now()) - r.startedAt)));
    if (r.loadTimeMs !== null) parts.push(l10n.t('load {0}', duration(r.loadTimeMs)));
    if (r.simulated) parts.push(l10n.t('SIMULATED'));
    it.description = parts.join(' · ');
    it.accessibilityInformation = { label: `${r.profileName}: ${it.description}`, role: 'treeitem' };
    it.iconPath = stateIcon(r.state);
    it.contextValue = `ascend.job.cluster.${r.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${r.profileName}** — ${stateText(r.state)} · ${modeText(r.mode)}${r.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    md.appendMarkdown(l10n.t('API on {0}, port {1}', r.nodes[0]?.host ?? '?', r.apiPort) + '\n\n');
    if (r.failure) md.appendMarkdown(r.failure.message);
    it.tooltip = md;
    return it;
  }

  children(): Node[] {
    const r = this.job.record;
    const out: Node[] = r.nodes.map((n) => new ClusterNodeNode(this.job, n));
    const row = plainRow;
    if (this.job.smoke) out.push(smokeNode(this.job.smoke, row));
    if (this.job.accuracy) out.push(accuracyNode(this.job.accuracy, row));
    if (this.job.perf) out.push(perfNode(this.job.perf, row));
    if (r.failure) out.push(row(l10n.t('Failure'), r.failure.message, statusIcon('fail'), 'ascend.job.cluster.failure'));
    const st = this.job.stop;
    if (st) {
      const left = st.nodes.filter((n) => !n.idle).map((n) => n.host);
      out.push(row(l10n.t('After stop'), st.idle ? l10n.t('NPUs idle, no process left') : l10n.t('not idle on: {0}', left.join(', ')), statusIcon(st.idle ? 'pass' : 'fail'), 'ascend.job.cluster.afterStop'));
    }
    return out;
  }
}
