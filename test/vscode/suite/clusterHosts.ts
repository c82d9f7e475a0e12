import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { flatten } from '../../../src/extension/views';
import { startCluster, type TestCluster } from '../../harness/cluster';
import { services, until } from './util';

// What the multi-node suites share: namespace hosts reached through the extension's ssh settings, the
// workspace's ascend-adapt.json put back as it was found, the Jobs view's rows of a multi-node job, and the
// check that nothing is left on any node.

/** Starts `n` namespace hosts and points the extension's ssh settings at them. */
export async function openCluster(n: number): Promise<TestCluster> {
  const c = await startCluster(n);
  const cfg = vscode.workspace.getConfiguration('ascendAdapt');
  await cfg.update('ssh.configFile', c.sshConfig, vscode.ConfigurationTarget.Global);
  await cfg.update('ssh.knownHostsFile', c.knownHosts, vscode.ConfigurationTarget.Global);
  const svc = await services();
  await until('the cluster ssh settings', () => svc.config.settings['ssh.configFile'] === c.sshConfig || undefined);
  return c;
}

/** Stops whatever multi-node job a failed test left running, forgets the jobs, resets the settings, stops the hosts. */
export async function closeCluster(c: TestCluster | undefined): Promise<void> {
  const svc = await services();
  for (const j of svc.clusters.all()) if (j.record.state === 'starting' || j.record.state === 'ready') await svc.clusters.stop(j.record.id).catch(() => undefined);
  await svc.clusters.detachAll();
  const cfg = vscode.workspace.getConfiguration('ascendAdapt');
  await cfg.update('ssh.configFile', undefined, vscode.ConfigurationTarget.Global);
  await cfg.update('ssh.knownHostsFile', undefined, vscode.ConfigurationTarget.Global);
  await c?.stop();
}

/** Adds profiles to the workspace's ascend-adapt.json; the returned function puts the file back as it was. */
export function addProfiles(profiles: Record<string, unknown>): () => void {
  const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'ascend-adapt.json');
  const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const config = saved !== undefined ? (JSON.parse(saved) as { profiles: Record<string, unknown> }) : { profiles: {} };
  Object.assign(config.profiles, profiles);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return () => {
    if (saved !== undefined) fs.writeFileSync(file, saved);
    else fs.rmSync(file, { force: true });
  };
}

/** The Jobs view's row of a multi-node job, its children, its node rows and every top-level row; undefined while it has no row. */
export async function clusterRows(id: string) {
  const svc = await services();
  const rows = await flatten(svc.views.trees['ascend.jobs'], 2);
  const i = rows.findIndex((r) => r.depth === 0 && r.item.id === `cluster:${id}`);
  if (i < 0) return undefined;
  const kids: typeof rows = [];
  for (let k = i + 1; k < rows.length && rows[k].depth > 0; k++) kids.push(rows[k]);
  return { job: rows[i], nodes: kids.filter((r) => String(r.item.contextValue).startsWith('ascend.job.clusterNode.')), kids, roots: rows.filter((r) => r.depth === 0) };
}

/** A process that still runs (the simulated npu-smi counts only their NPU memory, as the driver frees a dead one's). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Nothing of the test users' is left on any node and no NPU memory is held (waits for processes on their way out). */
export async function nothingLeft(c: TestCluster): Promise<void> {
  await until('no process left on any node', () => c.nodes.every((n) => c.leftovers(n.index).length === 0) || undefined, 20_000).catch(() => undefined);
  for (const n of c.nodes) {
    assert.deepEqual(c.leftovers(n.index), [], `processes left on ${n.alias}`);
    assert.deepEqual(fs.readdirSync(path.join(n.simRoot, 'state', 'npu_procs')).filter((f) => f.endsWith('.json') && alive(Number(f.slice(0, -5)))), [], `NPU memory still held on ${n.alias}`);
  }
}
