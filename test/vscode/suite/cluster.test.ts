import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { updateSimConfig } from '../../../src/core/sim/config';
import { ClusterServing, type TrackedCluster } from '../../../src/extension/cluster';
import { clusterAvailable, type TestCluster } from '../../harness/cluster';
import { addProfiles, closeCluster, clusterRows, nothingLeft as nothingLeftOn, openCluster } from './clusterHosts';
import { api, labelOf, recorder, services, until } from './util';

// Multi-node serving from VS Code on two SIMULATED Atlas hosts: network namespaces on one bridge, each with
// its own sshd and simulated host (test/harness/cluster.ts), reached by the extension host over the bridge
// as ssh hosts of an ssh_config. The extension runs the same core as the CLI: pre-checks on every node,
// launch head first, one Jobs entry with a row per node, a terminal tab per node; re-attach from the saved
// record; a node whose cable is pulled fails the job naming it; Stop leaves nothing on any node.
describe('Multi-node serving on namespace hosts', function () {
  const skip = clusterAvailable();
  let c: TestCluster;
  const PROFILE = 'dp-cluster';
  const RAY = 'ray-cluster';
  /** Puts the workspace's ascend-adapt.json back as these tests found it. */
  let restoreConfig: (() => void) | undefined;

  /** The job's rows in the Jobs view (it must have them). */
  const rowsOf = async (id: string) => {
    const rows = await clusterRows(id);
    assert.ok(rows, `no row for the multi-node job ${id}`);
    return rows;
  };
  const nothingLeft = () => nothingLeftOn(c);

  before(async function () {
    if (skip) {
      console.log(`    skipped: ${skip}`);
      this.skip();
    }
    c = await openCluster(2);
    // No address or NIC: both are found on the nodes. Every node sees the same model folder (one filesystem).
    const dp = {
      multiNode: 'dp',
      modelPath: path.join(c.nodes[0].simRoot, 'models', 'qwen3-moe-tiny-bf16'),
      tensorParallelSize: 2,
      dataParallelSize: 2,
      port: 18400 + Math.floor(Math.random() * 500),
      readyTimeoutSec: 120,
      nodes: c.nodes.map((n) => ({ host: n.alias, simRoot: n.simRoot })),
    };
    restoreConfig = addProfiles({
      [PROFILE]: dp,
      [RAY]: { ...dp, multiNode: 'ray', dataParallelSize: 1, pipelineParallelSize: 2, port: 18950 + Math.floor(Math.random() * 40) },
    });
  });

  after(async () => {
    if (skip) return;
    await closeCluster(c);
    restoreConfig?.();
  });

  let jobId: string;

  it('a link DOWN on a node refuses the launch, naming the node and NPU, with the profile as the default button', async () => {
    const svc = await services();
    const original = svc.serving.refusalUi;
    const seen: Array<{ message: string; detail: string; actions: string[] }> = [];
    svc.serving.refusalUi = (message, detail, actions) => (seen.push({ message, detail, actions }), Promise.resolve(undefined));
    updateSimConfig(c.nodes[1].simRoot, (x) => ({ ...x, faults: { hccnLinkDown: [0] } }));
    try {
      const id = await vscode.commands.executeCommand<string | undefined>('ascend.serve.start', { profile: PROFILE });
      assert.equal(id, undefined, 'not launched');
      assert.equal(seen.length, 1);
      assert.match(seen[0].message, new RegExp(`pre-launch check\\(s\\) failed on the nodes of ${PROFILE}`));
      assert.match(seen[0].detail, new RegExp(`✗ \\[${c.nodes[1].alias}\\] .*NPU 0: link status DOWN`));
      assert.deepEqual(seen[0].actions, ['Open Serving Profile', 'Launch Anyway'], 'the safe button first, Launch Anyway last');
      assert.equal(svc.clusters.all().filter((j) => j.record.profileName === PROFILE).length, 0, 'no job');
    } finally {
      svc.serving.refusalUi = original;
      updateSimConfig(c.nodes[1].simRoot, (x) => ({ ...x, faults: {} }));
    }
  });

  it('shows the job row with a row per node at once (waiting, starting) and Stop while starting stops what was started; the tabs stop following', async () => {
    const svc = await services();
    const seen: string[][] = [];
    let rows: Awaited<ReturnType<typeof rowsOf>> | undefined;
    let stopping: Promise<{ idle: boolean; nodes: Array<{ host: string }> } | undefined> | undefined;
    let id: string | undefined;
    // Reacts to the job's events: the first says every node waiting; once the head's job runs, the rows are
    // read and Stop is sent while the launch is still under way.
    const sub = svc.clusters.onDidChange((changed) => {
      const t = svc.clusters.get(changed);
      if (!t || t.record.profileName !== PROFILE || (id && id !== changed)) return;
      id = changed;
      seen.push(t.record.nodes.map((n) => n.state));
      if (!stopping && t.record.state === 'starting' && t.record.nodes[0].state === 'starting') {
        stopping = rowsOf(changed).then((r) => {
          rows = r;
          return vscode.commands.executeCommand<{ idle: boolean; nodes: Array<{ host: string }> }>('ascend.jobs.stop', r.job.node);
        });
      }
    });
    try {
      const started = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: PROFILE });
      assert.equal(started, id);
      const rep = await until('the stop sent while starting', () => stopping);
      assert.ok(rep?.idle, JSON.stringify(rep));
    } finally {
      sub.dispose();
    }
    assert.deepEqual(seen[0], ['pending', 'pending'], 'the row shows before any node starts');
    assert.ok(rows);
    assert.equal(rows.job.item.contextValue, 'ascend.job.cluster.starting');
    assert.match(String(rows.job.item.description), /^starting · data parallel \(dp\) · 2 nodes/);
    assert.deepEqual(rows.nodes.map((r) => labelOf(r.item)), c.nodes.map((n) => `node ${n.index}: ${n.alias}`));
    assert.equal(rows.nodes[0].item.contextValue, 'ascend.job.clusterNode.starting');
    assert.match(String(rows.nodes[1].item.contextValue), /^ascend\.job\.clusterNode\.(pending|starting)$/);
    const t = svc.clusters.get(id!)!;
    assert.equal(t.record.state, 'stopped');
    assert.ok(t.record.nodes.every((n) => n.state === 'stopped'), JSON.stringify(t.record.nodes.map((n) => n.state)));
    // Every node's tab ends: a node never started, or stopped, is not followed after the job ended.
    // (A tab follows once VS Code has opened it: waited for, then how its following ended.)
    const ends = await Promise.all(c.nodes.map((n) => until(`the tab of node ${n.index} following`, () => svc.clusters.followEnd(id!, n.alias))));
    for (const [i, e] of ends.entries()) assert.ok(['log-ended', 'job-ended'].includes(e), `tab of node ${i}: ${e}`);
    if (t.record.nodes[1].jobs.length === 0) assert.equal(ends[1], 'job-ended');
    await nothingLeft();
    // The other tests look for one row of this profile.
    svc.clusters.forget(id!);
  });

  it('serves the profile as ONE job with a row per node, a terminal per node, and reaches ready', async () => {
    const svc = await services();
    const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: PROFILE });
    assert.ok(id && svc.clusters.get(id), 'a cluster job');
    jobId = id;
    await vscode.commands.executeCommand('ascend.jobs.focus');
    for (const n of c.nodes) {
      await until(`the terminal of node ${n.index}`, () => vscode.window.terminals.find((t) => t.name === `vllm serve ${PROFILE} · node ${n.index} (${n.alias})`));
    }
    const ready = await until('ready', () => (svc.clusters.get(id)?.record.state === 'ready' ? svc.clusters.get(id) : undefined), 120_000);
    assert.ok(ready.record.simulated);
    const { job, nodes, roots } = await rowsOf(id);
    assert.equal(roots.filter((r) => labelOf(r.item) === PROFILE).length, 1, 'one entry for the whole job');
    assert.equal(job.item.contextValue, 'ascend.job.cluster.ready');
    assert.match(String(job.item.description), /^ready · data parallel \(dp\) · 2 nodes · up .* · load .* · SIMULATED$/);
    assert.deepEqual(nodes.map((r) => labelOf(r.item)), c.nodes.map((n) => `node ${n.index}: ${n.alias}`));
    for (const [i, r] of nodes.entries()) {
      assert.equal(r.item.contextValue, 'ascend.job.clusterNode.ready');
      assert.match(String(r.item.description), new RegExp(`^ready · ${i === 0 ? 'head' : 'worker'} · ${c.nodes[i].address.replace(/\./g, '\\.')} on eth0 · NPUs 0,1$`));
    }
    // The node tabs colour the log with the log grammar, loaded in this extension host (Oniguruma's wasm).
    const { colorLine, logGrammar } = await import('../../../src/extension/logColors');
    assert.match(colorLine(await logGrammar(), 'ERROR 06-09 06:57:49 [core.py:1] Engine core initialization failed', null).text, /^\x1b\[1;31mERROR\x1b\[0m/);
    // The head's API answers through the forwarded port.
    const url = await (await svc.clusters.liveJob(id)).endpointUrl();
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.ok(models.data.length > 0);
    // The smoke test through the head, from the job's row.
    const smoke = await vscode.commands.executeCommand<{ passed: number; simulated: boolean; results: unknown[] }>('ascend.serve.smoke', job.node);
    assert.ok(smoke && smoke.results.length > 0 && smoke.passed === smoke.results.length && smoke.simulated, JSON.stringify(smoke));
    assert.ok(vscode.window.terminals.some((t) => t.name === `Smoke test ${PROFILE}`));
    const withSmoke = await rowsOf(id);
    assert.ok(withSmoke.kids.some((r) => r.item.contextValue === 'ascend.job.smoke' && new RegExp(`^${smoke.passed}/${smoke.passed} passed · SIMULATED$`).test(String(r.item.description))));
    // Accuracy and performance from the row, as jobs on the head reaching its API on the head's loopback
    // (nothing serves that port on the worker, nor on this machine), results under the row.
    const demo = path.join(vscode.extensions.getExtension('ascend-adapt.ascend-adapt')!.extensionPath, 'python', 'data', 'demo');
    const acc = await vscode.commands.executeCommand<{ simulated: boolean; error: string | null; datasets: Array<{ name: string; value: number | null; n: number }> }>('ascend.accuracy.run', job.node, { tasks: ['gsm8k'], dataDir: demo, limit: 2 });
    assert.ok(acc && acc.simulated && acc.error === null, JSON.stringify(acc));
    // One figure per metric of the task (each on the 2 questions asked).
    assert.ok(acc.datasets.length > 0 && acc.datasets.every((x) => x.name === 'gsm8k' && x.n === 2 && x.value !== null), JSON.stringify(acc.datasets));
    const perf = await vscode.commands.executeCommand<{ simulated: boolean; error: string | null; runs: Array<{ concurrency: number | null; outputThroughput: number | null; failed: number }> }>('ascend.perf.run', job.node, { concurrency: [1], numPrompts: 3, inputLen: 16, outputLen: 4 });
    assert.ok(perf && perf.simulated && perf.error === null, JSON.stringify(perf));
    assert.deepEqual(perf.runs.map((x) => [x.concurrency, x.failed]), [[1, 0]]);
    assert.ok((perf.runs[0].outputThroughput ?? 0) > 0);
    const withEval = await rowsOf(id);
    assert.ok(withEval.kids.some((r) => r.item.contextValue === 'ascend.job.accuracy' && /SIMULATED/.test(String(r.item.description))), 'accuracy under the row');
    assert.ok(withEval.kids.some((r) => r.item.contextValue === 'ascend.job.perf' && /SIMULATED/.test(String(r.item.description))), 'performance under the row');
    assert.ok(vscode.window.terminals.some((t) => t.name === `Accuracy ${PROFILE}`) && vscode.window.terminals.some((t) => t.name === `Performance ${PROFILE}`));
    // A worker's log, read back (grammar-highlighted document): its engine reached the ready line.
    const uri = await vscode.commands.executeCommand<vscode.Uri>('ascend.jobs.openNodeLog', nodes[1].node);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri?.toString());
    assert.equal(doc?.languageId, 'ascend-log');
    assert.match(doc!.getText(), /init engine \(profile, create kv cache, warmup model\) took/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('re-attaches per node from the saved record after a reload, reopens a node terminal, and Stop leaves nothing on any node', async () => {
    const svc = await services();
    // What closing the window does: nothing watches the job, the nodes' connections are closed.
    await svc.clusters.detachAll();
    for (const t of vscode.window.terminals.filter((x) => x.name.startsWith(`vllm serve ${PROFILE} · `))) t.dispose();
    assert.equal(svc.clusters.attached(jobId), false);
    // A new window reads the record from workspace state.
    const a = await api();
    const fresh = new ClusterServing({ hosts: svc.hosts, config: svc.config, notifier: svc.notifier, log: svc.log, serving: svc.serving, state: a.ctx.extension.workspaceState });
    const saved: TrackedCluster | undefined = fresh.get(jobId);
    fresh.dispose();
    assert.equal(saved?.record.state, 'ready');
    assert.deepEqual(saved.record.nodes.map((n) => [n.host, n.role, n.state]), c.nodes.map((n, i) => [n.alias, i === 0 ? 'head' : 'worker', 'ready']));
    // Shown again: the Jobs view re-attaches running jobs, node by node.
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand('ascend.jobs.focus');
    await until('re-attached', () => svc.clusters.attached(jobId) || undefined);
    const { nodes } = await rowsOf(jobId);
    const name = await vscode.commands.executeCommand<string>('ascend.jobs.showNodeLog', nodes[1].node);
    assert.equal(name, `vllm serve ${PROFILE} · node 1 (${c.nodes[1].alias})`);
    assert.ok(vscode.window.terminals.some((t) => t.name === name));
    const { job } = await rowsOf(jobId);
    const rep = await vscode.commands.executeCommand<{ idle: boolean; nodes: Array<{ host: string; idle: boolean }> }>('ascend.jobs.stop', job.node);
    assert.ok(rep?.idle, JSON.stringify(rep));
    assert.deepEqual(rep.nodes.map((n) => n.host), c.nodes.map((n) => n.alias));
    assert.equal(svc.clusters.get(jobId)?.record.state, 'stopped');
    const after = await rowsOf(jobId);
    assert.ok(after.nodes.every((r) => r.item.contextValue === 'ascend.job.clusterNode.stopped'));
    assert.ok(after.kids.some((r) => labelOf(r.item) === 'After stop' && /NPUs idle, no process left/.test(String(r.item.description))));
    await nothingLeft();
  });

  it('a node whose link drops fails the job: the view and a notification name it, the others are stopped', async () => {
    const svc = await services();
    const original = svc.notifier.ui;
    const ui = recorder();
    svc.notifier.ui = ui;
    try {
      const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: PROFILE });
      assert.ok(id);
      await until('ready', () => svc.clusters.get(id)?.record.state === 'ready' || undefined, 120_000);
      c.cut(1);
      const failed = await until('failed', () => (svc.clusters.get(id)?.record.state === 'failed' ? svc.clusters.get(id) : undefined), 60_000);
      assert.equal(failed.record.failure?.node, c.nodes[1].alias);
      const toast = await until('the failure toast', () => ui.toasts.find((t) => t.kind === 'error' && t.message.startsWith(`${PROFILE} failed:`)));
      assert.match(toast.message, new RegExp(`node 1 \\(${c.nodes[1].alias}\\): the link dropped`));
      assert.match(toast.message, /\[SIMULATED\]$/);
      assert.deepEqual(toast.items, ['Show Log of Node 1', 'Show Log']);
      // The core stopped the head once node 1 was lost.
      const stopped = await until('the others stopped', () => svc.clusters.get(id)?.stop);
      assert.deepEqual(stopped.nodes.map((n) => [n.host, n.idle]), [[c.nodes[0].alias, true]]);
      const { job, nodes } = await rowsOf(id);
      assert.equal(job.item.contextValue, 'ascend.job.cluster.failed');
      assert.equal(nodes[1].item.contextValue, 'ascend.job.clusterNode.lost');
      assert.match(String(nodes[1].item.description), /^lost · worker · .*the link dropped/);
      assert.equal(nodes[0].item.contextValue, 'ascend.job.clusterNode.stopped');
      // The lost node's tab stops retrying its log once the job has ended (still cut off).
      assert.equal(await until('the tab of node 1 following', () => svc.clusters.followEnd(id, c.nodes[1].alias)), 'job-ended');
      c.restore(1);
      // Back on the network: Stop ends what the cut node still ran.
      const rep = await vscode.commands.executeCommand<{ idle: boolean }>('ascend.jobs.stop', id);
      assert.ok(rep?.idle, JSON.stringify(rep));
      await nothingLeft();
    } finally {
      svc.notifier.ui = original;
      c.restore(1);
    }
  });

  it('a node whose process dies fails the job naming it; the others are stopped', async () => {
    const svc = await services();
    const original = svc.notifier.ui;
    const ui = recorder();
    svc.notifier.ui = ui;
    try {
      const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: PROFILE });
      assert.ok(id);
      await until('ready', () => svc.clusters.get(id)?.record.state === 'ready' || undefined, 120_000);
      // The worker's vllm serve (its headless engine) is killed on node 1.
      const worker = c.leftovers(1).filter((pid) => {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes('serve') && argv.includes('--headless');
      });
      assert.equal(worker.length, 1, 'one headless vllm serve on node 1');
      process.kill(worker[0], 'SIGKILL');
      const failed = await until('failed', () => (svc.clusters.get(id)?.record.state === 'failed' ? svc.clusters.get(id) : undefined), 60_000);
      assert.equal(failed.record.failure?.node, c.nodes[1].alias, JSON.stringify(failed.record.failure));
      const toast = await until('the failure toast', () => ui.toasts.find((t) => t.kind === 'error' && t.message.startsWith(`${PROFILE} failed:`)));
      assert.match(toast.message, new RegExp(`node 1 \\(${c.nodes[1].alias}\\): `));
      assert.deepEqual(toast.items, ['Show Log of Node 1', 'Show Log']);
      await until('the others stopped', () => svc.clusters.get(id)?.stop);
      const { nodes } = await rowsOf(id);
      assert.equal(nodes[1].item.contextValue, 'ascend.job.clusterNode.failed');
      assert.match(String(nodes[1].item.description), /^failed · worker · /);
      assert.notEqual(nodes[0].item.contextValue, 'ascend.job.clusterNode.ready');
      await nothingLeft();
    } finally {
      svc.notifier.ui = original;
    }
  });

  it('Ray: ray start on every node, vllm serve on the head; Stop runs ray stop on every node and leaves nothing', async () => {
    const svc = await services();
    const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: RAY });
    assert.ok(id);
    const ready = await until('ready', () => (svc.clusters.get(id)?.record.state === 'ready' ? svc.clusters.get(id) : undefined), 120_000);
    assert.deepEqual(ready.record.nodes.map((n) => n.jobs.map((j) => j.kind)), [['ray-start', 'serve'], ['ray-start']]);
    const { job, nodes } = await rowsOf(id);
    assert.match(String(job.item.description), /^ready · Ray \(ray\) · 2 nodes · /);
    assert.deepEqual(nodes.map((r) => String(r.item.description).split(' · ').slice(0, 2).join(' · ')), ['ready · head', 'ready · worker']);
    // The worker's log is its `ray start`.
    const uri = await vscode.commands.executeCommand<vscode.Uri>('ascend.jobs.openNodeLog', nodes[1].node);
    assert.match(vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri?.toString())!.getText(), /Ray runtime started/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const rep = await vscode.commands.executeCommand<{ idle: boolean; nodes: Array<{ host: string; rayStop: string | null }> }>('ascend.jobs.stop', job.node);
    assert.ok(rep?.idle, JSON.stringify(rep));
    assert.ok(rep.nodes.every((n) => n.rayStop !== null), `ray stop on every node: ${JSON.stringify(rep.nodes)}`);
    await nothingLeft();
  });
});
