import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { flatten } from '../../../src/extension/views';
import { services, labelOf, until } from './util';

// Serving on the simulated Atlas host from VS Code: a profile of the workspace's ascend-adapt.json is
// launched as a detached job (the simulated `vllm serve`), a terminal follows its log, the Jobs view shows
// starting → ready with the load time, the smoke test streams the four prompts and records every field,
// stop leaves the NPUs idle.
describe('Serving on the simulated host', function () {
  const work = process.env.ASCEND_SUITE_WORKDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-serve-'));
  let jobId: string;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(work, 'sim-serve') });
    }
    await vscode.commands.executeCommand('ascend.hosts.select', 'sim');
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const profile = {
      profiles: {
        'small-sim': {
          description: 'small Qwen2-shaped model on the simulated host',
          host: 'sim',
          modelPath: path.join(folder, 'models', 'small-qwen'),
          servedModelName: 'small-qwen',
          tensorParallelSize: 1,
          maxModelLen: 4096,
          dtype: 'bfloat16',
          enforceEager: true,
          port: 18000 + Math.floor(Math.random() * 1000),
          smokeMaxTokens: 32,
        },
      },
    };
    fs.writeFileSync(path.join(folder, 'ascend-adapt.json'), JSON.stringify(profile, null, 2));
  });

  it('starts the profile: a terminal follows the log, the Jobs view goes starting → ready with the load time', async () => {
    const svc = await services();
    const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: 'small-sim' });
    assert.ok(id, 'a job id');
    jobId = id;
    const term = await until('the job terminal', () => vscode.window.terminals.find((t) => t.name.startsWith('vllm serve small-sim')));
    assert.ok(term);
    await vscode.commands.executeCommand('ascend.jobs.focus');
    const ready = await until('ready', () => (svc.serving.get(id)?.record.state === 'ready' ? svc.serving.get(id) : undefined), 120_000);
    assert.ok(ready.record.loadTimeMs !== null && ready.record.loadTimeMs > 0);
    assert.equal(ready.record.simulated, true);
    const rows = await flatten(svc.views.trees['ascend.jobs'], 2);
    const row = rows.find((r) => r.depth === 0 && labelOf(r.item) === 'small-sim');
    assert.ok(row, `jobs: ${rows.map((r) => labelOf(r.item)).join(', ')}`);
    assert.match(String(row.item.description), /^ready · up .* · load \d.* · SIMULATED · /);
    assert.equal(row.item.contextValue, 'ascend.job.serve.ready');
    // The log, read back through the job layer, is vLLM-shaped and marked simulated.
    const uri = await vscode.commands.executeCommand<vscode.Uri>('ascend.jobs.openLog', id);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri?.toString());
    assert.equal(doc?.languageId, 'ascend-log');
    assert.match(doc!.getText(), /SIMULATED/i);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('runs the smoke test: four prompts streamed, every field recorded', async () => {
    const svc = await services();
    const rep = await vscode.commands.executeCommand<{ passed: number; simulated: boolean; results: Array<{ ttftMs: number; totalMs: number; completionTokens: number | null; finishReason: string | null; output: string }> }>('ascend.serve.smoke', jobId);
    assert.ok(rep);
    assert.equal(rep.results.length, 4);
    assert.equal(rep.passed, 4);
    assert.equal(rep.simulated, true);
    for (const r of rep.results) {
      assert.ok(r.ttftMs > 0 && r.totalMs >= r.ttftMs);
      assert.ok(r.output.length > 0 && r.completionTokens !== null && r.finishReason !== null);
    }
    assert.ok(vscode.window.terminals.some((t) => t.name.startsWith('Smoke test small-sim')));
    const rows = await flatten(svc.views.trees['ascend.jobs'], 3);
    const smoke = rows.find((r) => r.item.contextValue === 'ascend.job.smoke');
    assert.match(String(smoke?.item.description), /4\/4 passed · SIMULATED/);
    assert.equal(rows.filter((r) => r.item.contextValue === 'ascend.job.smokeResult').length, 4);
  });

  it('runs an accuracy test and a performance benchmark against it, with results in the Jobs view', async () => {
    const svc = await services();
    const demo = path.join(vscode.extensions.getExtension('ascend-adapt.ascend-adapt')!.extensionPath, 'python', 'data', 'demo');
    const acc = await vscode.commands.executeCommand<{ simulated: boolean; datasets: Array<{ name: string; value: number | null; n: number }> }>('ascend.accuracy.run', jobId, { tasks: ['gsm8k'], dataDir: demo, limit: 4 });
    assert.ok(acc, 'accuracy summary');
    assert.equal(acc.simulated, true);
    const g = acc.datasets.find((d) => d.name === 'gsm8k');
    assert.ok(g && g.n === 4 && g.value !== null && g.value >= 0 && g.value <= 1, JSON.stringify(acc.datasets));
    const perf = await vscode.commands.executeCommand<{ simulated: boolean; runs: Array<{ concurrency: number | null; outputThroughput: number | null; meanTtftMs: number | null; failed: number }> }>('ascend.perf.run', jobId, { concurrency: [2], numPrompts: 6, inputLen: 32, outputLen: 8 });
    assert.ok(perf, 'perf summary');
    assert.equal(perf.simulated, true);
    assert.equal(perf.runs.length, 1);
    assert.equal(perf.runs[0].concurrency, 2);
    assert.ok((perf.runs[0].outputThroughput ?? 0) > 0 && (perf.runs[0].meanTtftMs ?? 0) > 0);
    assert.equal(perf.runs[0].failed, 0);
    const rows = await flatten(svc.views.trees['ascend.jobs'], 3);
    assert.ok(rows.some((r) => r.item.contextValue === 'ascend.job.accuracyRow' && labelOf(r.item) === 'gsm8k'));
    assert.ok(rows.some((r) => r.item.contextValue === 'ascend.job.perfRun' && /tok\/s/.test(String(r.item.description))));
    const deep = await flatten(svc.views.trees['ascend.jobs'], 4);
    for (const m of ['TTFT', 'TPOT', 'ITL', 'E2EL']) {
      assert.ok(deep.some((r) => r.item.contextValue === 'ascend.job.perfLatency' && labelOf(r.item) === m && /P50 .* P90 .* P99 /.test(String(r.item.description))), `${m} percentiles in the Jobs view`);
    }
    assert.ok(vscode.window.terminals.some((t) => t.name.startsWith('Accuracy small-sim')) && vscode.window.terminals.some((t) => t.name.startsWith('Performance small-sim')));
  });

  it('stops the server: the NPUs are back to idle and no process is left', async () => {
    const svc = await services();
    const rep = await vscode.commands.executeCommand<{ idle: boolean; checked: boolean; leftoverPids: number[] }>('ascend.jobs.stop', jobId);
    assert.ok(rep?.checked, 'npu-smi read after stop');
    assert.ok(rep.idle, JSON.stringify(rep));
    assert.deepEqual(rep.leftoverPids, []);
    assert.equal(svc.serving.get(jobId)?.record.state, 'stopped');
    const rows = await flatten(svc.views.trees['ascend.jobs'], 2);
    assert.ok(rows.some((r) => r.depth === 1 && labelOf(r.item) === 'After stop' && /idle/.test(String(r.item.description))));
  });
});
