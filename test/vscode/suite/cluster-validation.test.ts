import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseReportText } from '../../../src/core/report/load';
import { updateSimConfig } from '../../../src/core/sim/config';
import { flatten } from '../../../src/extension/views';
import { clusterAvailable, type TestCluster } from '../../harness/cluster';
import { chownR } from '../../harness/files';
import { addProfiles, closeCluster, clusterRows, nothingLeft as nothingLeftOn, openCluster } from './clusterHosts';
import { EXTENSION_ID, labelOf, logText, services, until } from './util';

// A multi-node profile validated from the Validation view, on two SIMULATED Atlas hosts in network namespaces
// (each its own sshd): the cluster pre-checks on both nodes, the serve step's job shown in the Jobs view as
// the multi-node job with a row per node, smoke / accuracy / perf through the head, every node stopped, the
// report opened with its Nodes section. Stopping a run once the nodes are launched stops every node.

interface RunSummary {
  report: string | null;
  verdict: string | null;
  interrupted: { step: string | null } | null;
  error: string | null;
  steps: Array<{ id: string; phase: string; reason: string | null }>;
}

const END = new Set(['pass', 'warn', 'fail', 'skip', 'not-run', 'interrupted']);

describe('Validation view: a multi-node profile on namespace hosts', function () {
  this.timeout(600_000);
  const skip = clusterAvailable();
  let c: TestCluster;
  const PROFILE = 'val-dp';
  let activeBefore: string | undefined;
  /** Puts the workspace's ascend-adapt.json back as this suite found it. */
  let restoreConfig: (() => void) | undefined;
  const rowsOf = clusterRows;
  const nothingLeft = () => nothingLeftOn(c);

  before(async function () {
    if (skip) {
      console.log(`    skipped: ${skip}`);
      this.skip();
    }
    c = await openCluster(2);
    const svc = await services();
    // The demo data on the head, readable by its user; its simulated server answers from the key.
    const head = c.nodes[0];
    const demo = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'python', 'data', 'demo');
    const data = path.join(head.simRoot, 'data');
    fs.cpSync(demo, data, { recursive: true });
    chownR(data, head.sshd.uid, fs.statSync(head.sshd.home).gid);
    updateSimConfig(head.simRoot, (x) => ({ ...x, serve: { ...(x.serve ?? {}), server: { ...((x.serve?.server as object) ?? {}), answer_key: path.join(data, 'answer_key.jsonl') } } }));
    // Small on purpose: two questions, a few short requests.
    restoreConfig = addProfiles({
      [PROFILE]: {
        multiNode: 'dp',
        modelPath: path.join(head.simRoot, 'models', 'qwen3-moe-tiny-bf16'),
        tensorParallelSize: 2,
        dataParallelSize: 2,
        port: 19600 + Math.floor(Math.random() * 300),
        readyTimeoutSec: 120,
        smokeMaxTokens: 8,
        nodes: c.nodes.map((n) => ({ host: n.alias, simRoot: n.simRoot })),
        validation: {
          accuracy: { tasks: ['gsm8k'], dataDir: data, limit: 2 },
          perf: { concurrency: 2, numPrompts: 4, inputLen: 16, outputLen: 4 },
        },
      },
    });
    activeBefore = svc.validation.activeProfile;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log((await logText()).split('\n').slice(-40).join('\n'));
  });

  after(async () => {
    if (skip) return;
    const svc = await services();
    if (svc.validation.isRunning) await svc.validation.stop();
    await svc.validation.setActiveProfile(activeBefore);
    await closeCluster(c);
    restoreConfig?.();
  });

  it('runs every step over both nodes: the job with its node rows in the Jobs view, the report with its Nodes, nothing left', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.validation.focus');
    await svc.validation.setActiveProfile(PROFILE);
    const profileRow = await until('the profile row naming the nodes', async () => {
      const rows = await flatten(svc.views.trees['ascend.validation'], 1);
      return rows.find((r) => r.item.id === 'validation:profile' && String(r.item.description).includes(c.nodes[1].alias));
    });
    assert.equal(labelOf(profileRow.item), `Profile: ${PROFILE}`);
    assert.match(String(profileRow.item.description), /^SIMULATED · /);
    const jobsBefore = new Set(svc.clusters.all().map((j) => j.record.id));
    const panelsBefore = svc.reports.panels.size;
    // Every node of the run's job seen ready (recorded as it happens: the run goes on to stop it).
    let allReady = false;
    const sub = svc.clusters.onDidChange((id) => {
      const t = svc.clusters.get(id);
      if (t && !jobsBefore.has(id) && t.record.nodes.every((n) => n.state === 'ready')) allReady = true;
    });
    const running = vscode.commands.executeCommand<RunSummary>('ascend.validate.run');
    // While the run goes on, the serve step's job is one row of the Jobs view with a row per node.
    await vscode.commands.executeCommand('ascend.jobs.focus');
    const job = await until('the multi-node job of the run', () => svc.clusters.all().find((j) => !jobsBefore.has(j.record.id) && j.record.profileName === PROFILE), 240_000);
    const id = job.record.id;
    const shown = await until('its rows', () => rowsOf(id));
    assert.equal(labelOf(shown.job.item), PROFILE);
    assert.deepEqual(shown.nodes.map((r) => labelOf(r.item)), c.nodes.map((n) => `node ${n.index}: ${n.alias}`));
    const r = await running.then((x) => (sub.dispose(), x));
    assert.ok(r, 'a run summary');
    assert.ok(allReady, 'every node of the job was ready');
    assert.equal(r.error, null);
    assert.deepEqual(r.steps.map((s) => s.id), ['env', 'analysis', 'serve', 'smoke', 'accuracy', 'perf', 'stop']);
    for (const s of r.steps) assert.ok(END.has(s.phase), `${s.id} ended in ${s.phase}`);
    for (const id of ['env', 'serve', 'smoke', 'stop']) assert.equal(r.steps.find((s) => s.id === id)?.phase, 'pass', JSON.stringify(r.steps.find((s) => s.id === id)));
    for (const id of ['accuracy', 'perf']) assert.notEqual(r.steps.find((s) => s.id === id)?.phase, 'not-run', JSON.stringify(r.steps.find((s) => s.id === id)));
    // The report: one host and one Nodes row per node, opened in a panel that shows the Nodes section.
    assert.ok(r.report && fs.existsSync(r.report));
    const rep = parseReportText(fs.readFileSync(r.report, 'utf8'), r.report).report;
    assert.equal(rep.simulated, true);
    assert.deepEqual(rep.cluster?.nodes.map((n) => [n.host, n.role, n.state]), c.nodes.map((n, i) => [n.alias, i === 0 ? 'head' : 'worker', 'stopped']));
    assert.deepEqual((rep.hosts ?? []).map((h) => h.name).sort(), c.nodes.map((n) => n.alias).sort());
    const panel = await until('the report panel', () => [...svc.reports.panels].find((p) => p.entries.some((e) => e.uri.fsPath === r.report)), 60_000);
    assert.ok(svc.reports.panels.size > panelsBefore);
    assert.match(panel.panel.webview.html, /Nodes \(dp, 2\)/);
    // The job's row ended stopped, every node with it, and nothing runs on either node.
    assert.equal(svc.clusters.get(id)?.record.state, 'stopped');
    const after = await until('stopped rows', async () => {
      const x = await rowsOf(id);
      return x?.nodes.every((n) => n.item.contextValue === 'ascend.job.clusterNode.stopped') ? x : undefined;
    });
    assert.equal(after.job.item.contextValue, 'ascend.job.cluster.stopped');
    await nothingLeft();
  });

  it('runs one step again: the nodes are served for it and left up as one job, used again by the next re-run; Stop Server stops every node', async () => {
    const svc = await services();
    const again = await vscode.commands.executeCommand<RunSummary>('ascend.validate.rerunStep', 'smoke');
    assert.equal(again?.error, null, JSON.stringify(again));
    assert.equal(again.steps.find((s) => s.id === 'smoke')?.phase, 'pass');
    const server = svc.validation.keptServer;
    assert.ok(server, 'the server is left up after a re-run of one step');
    assert.equal(svc.clusters.get(server.jobId)?.record.state, 'ready', 'the kept server is the multi-node job of the Jobs view');
    const third = await vscode.commands.executeCommand<RunSummary>('ascend.validate.rerunStep', 'smoke');
    assert.equal(third?.steps.find((s) => s.id === 'smoke')?.phase, 'pass', JSON.stringify(third));
    assert.equal(svc.validation.keptServer?.jobId, server.jobId, 'the same job answered the second re-run');
    await vscode.commands.executeCommand('ascend.validate.stopServer');
    assert.equal(svc.validation.keptServer, undefined);
    assert.equal(svc.clusters.get(server.jobId)?.record.state, 'stopped');
    await nothingLeft();
  });

  it('Stop once the nodes are launched stops every node; the report is written, marked interrupted', async () => {
    const svc = await services();
    const jobsBefore = new Set(svc.clusters.all().map((j) => j.record.id));
    // The serve step's job shows before its nodes start; stopped the moment every node's command runs.
    let launched: string | undefined;
    let shown = false;
    const sub = svc.clusters.onDidChange((id) => {
      if (launched || jobsBefore.has(id)) return;
      shown = true;
      if (!svc.clusters.get(id)?.record.nodes.every((n) => n.jobs.length > 0)) return;
      launched = id;
      void vscode.commands.executeCommand('ascend.validate.stop');
    });
    const r = await vscode.commands.executeCommand<RunSummary>('ascend.validate.run').then((x) => (sub.dispose(), x));
    assert.ok(shown, 'the job was shown');
    assert.ok(launched, 'every node was launched, then stopped');
    const job = svc.clusters.get(launched)!;
    assert.ok(r?.report, JSON.stringify(r));
    assert.deepEqual(r.interrupted, { step: 'serve' }, 'stopped while serving waited for the nodes');
    assert.equal(r.steps.find((s) => s.id === 'stop')?.phase, 'pass', JSON.stringify(r.steps.find((s) => s.id === 'stop')));
    assert.equal(svc.clusters.get(job.record.id)?.record.state, 'stopped');
    const rep = parseReportText(fs.readFileSync(r.report, 'utf8'), r.report).report;
    assert.ok(rep.interrupted);
    assert.deepEqual(rep.cluster?.nodes.map((n) => n.stop?.reached), [true, true]);
    await nothingLeft();
  });

  it("Stop on the job's row in the Jobs view during the run: the run ends with its report, its stop step finds every node stopped", async () => {
    const svc = await services();
    const jobsBefore = new Set(svc.clusters.all().map((j) => j.record.id));
    let shown: string | undefined;
    let stopped: Promise<unknown> | undefined;
    const sub = svc.clusters.onDidChange((id) => {
      if (shown || jobsBefore.has(id)) return;
      shown = id;
      stopped = Promise.resolve(vscode.commands.executeCommand('ascend.jobs.stop', id));
    });
    const r = await vscode.commands.executeCommand<RunSummary>('ascend.validate.run').then((x) => (sub.dispose(), x));
    assert.ok(shown && stopped, 'the job was shown and stopped from its row');
    const rep = (await stopped) as { idle: boolean } | undefined;
    assert.ok(rep?.idle, JSON.stringify(rep));
    assert.ok(r?.report, JSON.stringify(r));
    assert.equal(r.error, null);
    assert.equal(r.steps.find((s) => s.id === 'stop')?.phase, 'pass', JSON.stringify(r.steps.find((s) => s.id === 'stop')));
    assert.equal(svc.clusters.get(shown)?.record.state, 'stopped');
    await nothingLeft();
  });
});
