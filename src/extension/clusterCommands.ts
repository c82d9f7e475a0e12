import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { nodeRef } from './args';
import { isClusterRunning, type ClusterServing } from './cluster';
import type { Commands } from './commands';
import type { Views } from './views';
import { ClusterJobNode } from './views/cluster';

/** Multi-node jobs in the Jobs view (a row per job, a row per node) and the per-node log commands. */

export interface ClusterFeature {
  clusters: ClusterServing;
  views: Views;
  log: vscode.LogOutputChannel;
}

export function registerClusterCommands(commands: Commands, d: ClusterFeature): vscode.Disposable {
  const { clusters } = d;
  const tree = d.views.trees['ascend.jobs'];
  const jobsView = d.views.views['ascend.jobs'];
  tree.addRoots(() => clusters.all().map((t) => new ClusterJobNode(t)));
  const subs: vscode.Disposable[] = [clusters.onDidChange(() => tree.refresh())];
  // Uptime moves while a job runs.
  const timer = setInterval(() => {
    if (clusters.all().some(isClusterRunning)) tree.refresh();
  }, 10_000);
  subs.push({ dispose: () => clearInterval(timer) });
  // After a reload the saved records come back; running jobs are watched again per node once the Jobs view shows.
  subs.push(jobsView.onDidChangeVisibility((e) => e.visible && clusters.reattachRunning()));
  if (jobsView.visible) clusters.reattachRunning();

  const pickNode = async (given: { clusterId: string; host: string } | undefined) => {
    if (given) return given;
    const items = clusters.all().flatMap((j) => j.record.nodes.map((n) => ({
      label: l10n.t('node {0}: {1}', n.index, n.host),
      description: `${j.record.profileName} · ${n.role === 'head' ? l10n.t('head') : l10n.t('worker')}`,
      clusterId: j.record.id,
      host: n.host,
    })));
    if (items.length <= 1) return items[0];
    return vscode.window.showQuickPick(items, { placeHolder: l10n.t('The log of which node?') });
  };

  commands.register('ascend.jobs.showNodeLog', [nodeRef.optional()], async (given) => {
    const n = await pickNode(given);
    if (!n) return undefined;
    return clusters.openTerminal(n.clusterId, n.host).name;
  });

  commands.register('ascend.jobs.openNodeLog', [nodeRef.optional()], async (given) => {
    const n = await pickNode(given);
    if (!n) return undefined;
    const doc = await vscode.workspace.openTextDocument({ language: 'ascend-log', content: await clusters.readNodeLog(n.clusterId, n.host) });
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc.uri;
  });

  return vscode.Disposable.from(...subs);
}
