import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { flatten } from '../../../src/extension/views';
import { labelOf, services, until } from './util';

// Profiling from VS Code on the simulated host: "Ascend: Profile Serving" runs a profile of the workspace's
// ascend-adapt.json (server with --profiler-config, load, /stop_profile, summary, server stopped); the Profile
// view shows the run with its AI CPU rows highlighted and the fix in the tooltip; its webview lists the AI CPU
// operators (highlighted rows) and the timelines; copying a timeline path works through a webview message;
// the run's profiler folder summarised on its own gives the same figures;
// the editor marks the code that produces an AI CPU operator ("seen on AI CPU in profile <job>").
describe('Profile Serving on the simulated host', function () {
  this.timeout(300_000);
  const work = process.env.ASCEND_SUITE_WORKDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-profile-'));
  let folder: string;
  let saved: string | undefined;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(work, 'sim-profile') });
    }
    await vscode.commands.executeCommand('ascend.hosts.select', 'sim');
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'ascend-adapt.json');
    saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    fs.writeFileSync(file, JSON.stringify({
      profiles: {
        'prof-sim': {
          host: 'sim', modelPath: path.join(folder, 'models', 'small-qwen'), servedModelName: 'small-qwen', tensorParallelSize: 1, maxModelLen: 4096,
          enforceEager: true, port: 19000 + Math.floor(Math.random() * 1000), env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5' },
          profiling: { numPrompts: 2, outputLen: 8 },
        },
      },
    }, null, 2));
  });
  after(() => {
    const file = path.join(folder, 'ascend-adapt.json');
    if (saved === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, saved);
  });

  it('profiles the served model; the Profile view and its webview show the AI CPU rows; the code is marked', async () => {
    const svc = await services();
    const key = await vscode.commands.executeCommand<string>('ascend.profile.start', { profile: 'prof-sim' });
    assert.ok(key, 'a run key');
    const done = await until('the profile run to end', () => {
      const t = svc.profiling.get(key);
      return t && !svc.profiling.isRunning(key) && t.record.state !== 'starting-server' && t.record.state !== 'capturing' ? t : undefined;
    }, 240_000).catch((e: Error) => {
      throw new Error(`${e.message}; record: ${JSON.stringify(svc.profiling.get(key)?.record)}`);
    });
    assert.equal(done.record.state, 'done', done.record.error ?? '');
    assert.equal(done.record.simulated, true);
    assert.equal(done.record.stop?.idle, true, 'the server it started is stopped, NPUs idle');

    await vscode.commands.executeCommand('ascend.profile.focus');
    const rows = await flatten(svc.views.trees['ascend.profile'], 2);
    const run = rows.find((r) => r.depth === 0 && r.item.id === `profile:${key}`);
    assert.ok(run, rows.map((r) => labelOf(r.item)).join(', '));
    assert.match(String(run.item.description), /^SIMULATED · .* · profiled · 3 AI CPU operator\(s\)$/);
    const aicpu = rows.find((r) => r.depth === 1 && labelOf(r.item) === 'AI_CPU IndexPutV2');
    assert.ok(aicpu, `rows: ${rows.map((r) => labelOf(r.item)).join(', ')}`);
    assert.equal(aicpu.item.contextValue, 'ascend.profile.aicpu');
    assert.equal((aicpu.item.iconPath as vscode.ThemeIcon).id, 'warning', 'highlighted');
    assert.match((aicpu.item.tooltip as vscode.MarkdownString).value, /torch\.where\(mask, v, x\)/);
    const trace = rows.find((r) => r.depth === 1 && r.item.contextValue === 'ascend.profile.trace');
    assert.ok(trace, 'a timeline row');
    assert.match(String(trace.item.description), /ASCEND_PROFILER_OUTPUT\/trace_view\.json$/);

    // the webview: strict CSP with a nonce, the AI CPU row highlighted, copy a timeline path by message
    const panel = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; accepted: string[]; rejected: string[] }>('ascend.profile.open', key);
    const html = panel.panel.webview.html;
    assert.match(html, /Content-Security-Policy" content="default-src 'none';[^"]*script-src 'nonce-[A-Za-z0-9_-]{22}'/);
    assert.ok(!/https?:\/\//.test(html.replace(/<td class="fix">[\s\S]*?<\/td>/g, '')), 'nothing remote in the page');
    assert.match(html, /<tr class="aicpu" data-aicpu="IndexPutV2">/);
    assert.match(html, /<tr class="aicpu" data-op="IndexPutV2">/);
    assert.match(html, /SIMULATED/);
    const svcPanel = [...svc.profiling.panels].find((p) => p.key === key)!;
    await svc.profiling.onMessage(svcPanel, { type: 'copyPath', index: 0 });
    assert.equal(await vscode.env.clipboard.readText(), svc.profiling.tracePath(key, 0));
    await svc.profiling.onMessage(svcPanel, { type: 'runCommand', command: 'workbench.action.quit' });
    // the page itself posts 'ready' when it loads; nothing else was accepted
    assert.deepEqual(svcPanel.accepted.filter((m) => m !== 'ready'), ['copyPath']);
    assert.equal(svcPanel.rejected.length, 1, 'anything else is dropped');
    // download a timeline to a chosen file
    const dest = vscode.Uri.file(path.join(work, 'trace_rank0.json'));
    await vscode.commands.executeCommand('ascend.profile.downloadTrace', { key, index: 0 }, dest);
    assert.ok(Array.isArray(JSON.parse(fs.readFileSync(dest.fsPath, 'utf8'))));
    panel.panel.dispose();


    // back to the code: the language server reads the workspace's findings file
    assert.ok(fs.existsSync(path.join(folder, '.ascend-adapt', 'profile-findings.json')));
    const patch = path.join(folder, 'patch_mask.py');
    fs.writeFileSync(patch, 'import torch\n\n\ndef clear(x, mask):\n    x[mask] = 0\n    return torch.nonzero(mask)\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(patch));
    await vscode.window.showTextDocument(doc);
    const diag = await until('the profile diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => String(typeof d.code === 'object' ? d.code.value : d.code) === 'profile-aicpu' && d.range.start.line === 4), 60_000);
    assert.match(diag.message, new RegExp(`^IndexPutV2 seen on AI CPU in profile ${done.record.id} \\([\\d.]+ (µs|ms) total\\) \\[SIMULATED\\]`));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(patch, { force: true });

    // a profiler folder on this machine (the simulated host's run folder) summarised on its own: same figures
    const sumKey = await vscode.commands.executeCommand<string>('ascend.profile.summarizeFolder', vscode.Uri.file(done.record.profilerDir));
    const summed = svc.profiling.get(sumKey)!;
    assert.equal(summed.record.state, 'done', summed.record.error ?? '');
    const [a, b] = [summed.summary!, done.record.result!.summary!];
    assert.deepEqual({ ranks: a.ranks, topOps: a.topOps, byCoreType: a.byCoreType, aicpu: a.aicpu.map((x) => [x.type, x.totalUs]) }, { ranks: b.ranks, topOps: b.topOps, byCoreType: b.byCoreType, aicpu: b.aicpu.map((x) => [x.type, x.totalUs]) });
    const sumPanel = [...svc.profiling.panels].find((p) => p.key === sumKey);
    assert.ok(sumPanel, 'the summary opens in a webview');
    assert.match(sumPanel.panel.webview.html, /<tr class="aicpu" data-aicpu="IndexPutV2">/);
    sumPanel.panel.dispose();
    // …and it is now the newest profile the language server names
    const findings = JSON.parse(fs.readFileSync(path.join(folder, '.ascend-adapt', 'profile-findings.json'), 'utf8')) as { jobId: string };
    assert.equal(findings.jobId, summed.record.id);
  });
});
