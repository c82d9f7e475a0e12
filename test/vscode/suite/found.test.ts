import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lintPaths } from '../../../src/core/analysis/index';
import { inLanguage } from '../../../src/core/l10n';
import { parseReportText } from '../../../src/core/report/load';
import { renderMarkdown } from '../../../src/core/report/markdown';
import { readSimConfig, updateSimConfig } from '../../../src/core/sim/config';
import type { MessageUi } from '../../../src/extension/notify';
import type { PerfPlan } from '../../../src/extension/perfPlan';
import { hostPickItems } from '../../../src/extension/hostPick';
import { flatten } from '../../../src/extension/views';
import { writeQuantizedModel } from '../../quantize/helpers';
import { EXTENSION_ID, labelOf, recorder, services, until, writeValidationProfiles } from './util';

// What a new user ran into in a real VS Code, each checked here the way they met it.

/** ≥ 3 Latin words in a row once code, identifiers and numbers are taken out: English prose. */
function englishProse(msg: string): string | undefined {
  const s = msg.replace(/`[^`]*`/g, '').replace(/\S*[._/=()[\]\d:@#]\S*/g, '');
  return /\b[A-Za-z]+ [A-Za-z]+ [A-Za-z]+\b/.exec(s)?.[0];
}

describe('Found by trying it in a real VS Code', function () {
  this.timeout(300_000);
  const work = fs.mkdtempSync(path.join(process.env.ASCEND_SUITE_WORKDIR ?? os.tmpdir(), 'found-'));
  const ext = () => vscode.extensions.getExtension(EXTENSION_ID)!;
  let folder: string;
  let demo: string;
  let jobId: string;
  let ui: ReturnType<typeof recorder>;
  let original: MessageUi;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(work, 'sim') });
    }
    await vscode.commands.executeCommand('ascend.hosts.select', 'sim');
    demo = path.join(ext().extensionPath, 'python', 'data', 'demo');
    updateSimConfig(svc.hosts.simDir!, (c) => ({ ...c, serve: { ...(c.serve ?? {}), server: { ...((c.serve?.server as object) ?? {}), answer_key: path.join(demo, 'answer_key.jsonl') } } }));
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'ascend-adapt.json');
    const cfg = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { profiles: Record<string, unknown> }) : { profiles: {} };
    const base = { host: 'sim', modelPath: path.join(folder, 'models', 'small-qwen'), servedModelName: 'small-qwen', enforceEager: true, smokeMaxTokens: 16, readyTimeoutSec: 120 };
    cfg.profiles['found-sim'] = { ...base, port: 21000 + Math.floor(Math.random() * 1000) };
    cfg.profiles['found-tp16'] = { ...base, tensorParallelSize: 16, port: 23000 };
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
    original = svc.notifier.ui;
  });

  beforeEach(async () => {
    ui = recorder();
    (await services()).notifier.ui = ui;
  });

  after(async () => {
    const svc = await services();
    svc.notifier.ui = original;
    if (jobId && svc.serving.get(jobId)?.record.state === 'ready') await vscode.commands.executeCommand('ascend.jobs.stop', jobId);
  });

  it('job rows put the state first; accuracy and perf are on the job row and in the view title', async () => {
    const svc = await services();
    const id = await vscode.commands.executeCommand<string>('ascend.serve.start', { profile: 'found-sim' });
    assert.ok(id);
    jobId = id;
    await until('ready', () => (svc.serving.get(id)?.record.state === 'ready' ? true : undefined), 180_000);
    const rows = await flatten(svc.views.trees['ascend.jobs'], 1);
    const row = rows.find((r) => r.item.id === `job:${id}`);
    assert.match(String(row?.item.description), /^ready · up /, 'the state is the first word, never cut off');
    assert.match(row?.item.accessibilityInformation?.label ?? '', /found-sim: ready/);
    const menus = ext().packageJSON.contributes.menus as Record<string, Array<{ command: string; when?: string; group?: string }>>;
    // The row's own context value against each menu's viewItem test (`==` or `=~ /re/`), however it is spelt.
    const ctx = String(row?.item.contextValue);
    assert.equal(ctx, 'ascend.job.serve.ready');
    const onRow = (when: string | undefined) => {
      const eq = /viewItem == (\S+)/.exec(when ?? '');
      const re = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when ?? '');
      return (eq !== null && eq[1] === ctx) || (re !== null && new RegExp(re[1]).test(ctx));
    };
    for (const c of ['ascend.accuracy.run', 'ascend.perf.run']) {
      assert.ok(menus['view/item/context'].some((m) => m.command === c && onRow(m.when) && /^inline/.test(m.group ?? '')), `${c} inline on the job row`);
      assert.ok(menus['view/title'].some((m) => m.command === c && m.when === 'view == ascend.jobs'), `${c} in the view title`);
    }
  });

  it('accuracy without a reference is "no reference" (neutral), 0 % is never a pass, toasts name the metric', async () => {
    const svc = await services();
    const a = await vscode.commands.executeCommand<{ datasets: Array<{ value: number | null; metric: string | null; verdict: string | null }> }>('ascend.accuracy.run', jobId, { tasks: ['gsm8k'], dataDir: demo, limit: 4 });
    assert.ok(a && a.datasets[0].value! > 0);
    let rows = await flatten(svc.views.trees['ascend.jobs'], 3);
    assert.match(String(rows.find((r) => r.item.contextValue === 'ascend.job.accuracy')?.item.description), /^no reference/);
    assert.match(String(rows.find((r) => r.item.contextValue === 'ascend.job.accuracyRow')?.item.description), /^no reference · /);
    const t1 = ui.toasts.find((t) => /^Accuracy: /.test(t.message));
    assert.ok(t1, JSON.stringify(ui.toasts));
    assert.equal(t1.kind, 'info');
    const metric = (a.datasets[0].metric ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(t1.message, new RegExp(`gsm8k ${metric} \\d+\\.\\d % \\(no reference\\)`));
    // Questions the simulated model has no answer for: 0 % — a failure, not a pass.
    const data = path.join(work, 'unanswerable');
    fs.mkdirSync(data, { recursive: true });
    fs.copyFileSync(path.join(demo, 'gsm8k_train.jsonl'), path.join(data, 'gsm8k_train.jsonl'));
    fs.writeFileSync(path.join(data, 'gsm8k.jsonl'), [1, 2, 3].map((i) => JSON.stringify({ question: `[found] ${i} apples and ${i + 40} pears: how many fruits?`, answer: `#### ${2 * i + 40}` })).join('\n') + '\n');
    ui.toasts.length = 0;
    const z = await vscode.commands.executeCommand<{ datasets: Array<{ value: number | null }> }>('ascend.accuracy.run', jobId, { tasks: ['gsm8k'], dataDir: data });
    assert.equal(z?.datasets[0].value, 0);
    rows = await flatten(svc.views.trees['ascend.jobs'], 3);
    assert.match(String(rows.find((r) => r.item.contextValue === 'ascend.job.accuracy')?.item.description), /^failed/);
    const t2 = ui.toasts.find((t) => /^Accuracy: /.test(t.message));
    assert.equal(t2?.kind, 'warning');
    assert.match(t2!.message, /gsm8k \S+ 0\.0 % \(failed: no answer right\)/);
  });

  it('Run Performance Benchmark asks for prompts, lengths, rate and baseline, remembers them, and estimates the time', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.serve.smoke', jobId);
    const asked: Array<{ initial: PerfPlan; estimate: string }> = [];
    const prompts = svc.serving.prompts;
    const chosen: PerfPlan = { concurrency: [2], numPrompts: 6, inputLen: 32, outputLen: 8, requestRate: 20, baseline: path.join(demo, 'baseline_gpu_demo.json') };
    svc.serving.prompts = { ...prompts, perfPlan: async (initial, estimate) => (asked.push({ initial, estimate: estimate(initial) }), chosen) };
    try {
      const r = await vscode.commands.executeCommand<{ plan: PerfPlan; runs: Array<{ concurrency: number | null; throughputRatio: number | null }> }>('ascend.perf.run', jobId);
      assert.deepEqual(asked[0].initial, { concurrency: [1, 8, 32], numPrompts: 64, inputLen: 256, outputLen: 128, requestRate: null, baseline: null });
      assert.match(asked[0].estimate, /^about .+ or more \(from the smoke prompts\)$/);
      assert.deepEqual(r?.plan, chosen);
      assert.equal(r!.runs[0].concurrency, 2);
      assert.ok(typeof r!.runs[0].throughputRatio === 'number', 'compared with the baseline');
      await vscode.commands.executeCommand('ascend.perf.run', jobId);
      assert.deepEqual(asked[1].initial, chosen, 'the answers are remembered for the profile');
      assert.match(asked[1].estimate, /from the last performance run/);
    } finally {
      svc.serving.prompts = prompts;
    }
  });

  it('the pre-launch refusal makes the safe choice the default and offers Open Serving Profile', async () => {
    const svc = await services();
    const refusal = svc.serving.refusalUi;
    let items: string[] = [];
    svc.serving.refusalUi = (_m, _d, it) => ((items = it), Promise.resolve('Open Serving Profile'));
    try {
      const id = await vscode.commands.executeCommand('ascend.serve.start', { profile: 'found-tp16' });
      assert.equal(id, undefined, 'not launched');
      assert.equal(items[0], 'Open Serving Profile', 'the first button is the default one (Enter)');
      assert.equal(items[items.length - 1], 'Launch Anyway');
      const ed = await until('ascend-adapt.json opened at the profile', () => (vscode.window.activeTextEditor?.document.fileName.endsWith('ascend-adapt.json') ? vscode.window.activeTextEditor : undefined));
      assert.equal(ed.document.getText(ed.selection), '"found-tp16"');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      svc.serving.refusalUi = refusal;
    }
  });

  it('the profile wizard checks the model folder on the host (config.json) before writing the profile', async () => {
    const file = path.join(folder, 'ascend-adapt.json');
    const missing = path.join(work, 'no-model-here');
    fs.mkdirSync(missing, { recursive: true });
    await vscode.commands.executeCommand('ascend.serve.createProfile', { host: 'sim', modelPath: missing, name: 'found-bad', tensorParallelSize: 1 });
    assert.ok(!fs.readFileSync(file, 'utf8').includes('found-bad'), 'nothing written');
    assert.ok(ui.toasts.some((t) => t.kind === 'error' && /No config\.json in .*no-model-here/.test(t.message)), JSON.stringify(ui.toasts));
    const name = await vscode.commands.executeCommand<string>('ascend.serve.createProfile', { host: 'sim', modelPath: path.join(folder, 'models', 'small-qwen'), name: 'found-good', tensorParallelSize: 1 });
    assert.equal(name, 'found-good');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as { profiles: Record<string, { host?: string }> };
    assert.equal(cfg.profiles['found-good'].host, 'sim');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('re-creating the simulated host asks first and never deletes files it did not make', async () => {
    const svc = await services();
    const keep = svc.hosts.simDir!;
    const keepPrompts = svc.hosts.simPrompts;
    const dir = path.join(work, 'sim-again');
    try {
      await vscode.commands.executeCommand('ascend.sim.create', { dir, devices: 2 });
      fs.mkdirSync(path.join(dir, 'models', 'my-model'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'models', 'my-model', 'config.json'), '{"mine": true}');
      const asked: string[] = [];
      const before = readSimConfig(dir).createdAt;
      svc.hosts.simPrompts = { confirmRecreate: (d) => (asked.push(d), Promise.resolve(false)) };
      assert.equal(await vscode.commands.executeCommand('ascend.sim.create', { dir, devices: 2 }), undefined);
      assert.deepEqual(asked, [dir]);
      assert.equal(readSimConfig(dir).createdAt, before, 'declined: nothing changed');
      svc.hosts.simPrompts = { confirmRecreate: (d) => (asked.push(d), Promise.resolve(true)) };
      assert.equal(await vscode.commands.executeCommand('ascend.sim.create', { dir, devices: 4 }), 'sim');
      assert.equal(readSimConfig(dir).devices, 4, 'created again');
      assert.equal(fs.readFileSync(path.join(dir, 'models', 'my-model', 'config.json'), 'utf8'), '{"mine": true}', 'the user file is kept');
    } finally {
      svc.hosts.simPrompts = keepPrompts;
      await svc.hosts.setSimDir(keep);
      await svc.hosts.setActive('sim');
    }
  });

  it('in a remote window the Hosts view still offers "Create Simulated Atlas Host…"; host pickers offer "Add Host…"', async () => {
    const svc = await services();
    assert.ok(vscode.env.remoteName, 'this VS Code is remote-style: "This machine" is always listed, so the welcome text never shows');
    const keep = svc.hosts.simDir;
    try {
      await svc.hosts.setSimDir(undefined);
      const rows = await flatten(svc.views.trees['ascend.hosts'], 1);
      const sim = rows.find((r) => labelOf(r.item) === 'Create Simulated Atlas Host…');
      assert.ok(sim, rows.map((r) => labelOf(r.item)).join(', '));
      assert.equal(sim.item.command?.command, 'ascend.sim.create');
      const items = hostPickItems(svc.hosts, await svc.hosts.list(), true);
      assert.ok(items.some((i) => /Add Host…/.test(i.label) && i.command === 'ascend.hosts.add'));
      assert.ok(items.some((i) => /Create Simulated Atlas Host…/.test(i.label) && i.command === 'ascend.sim.create'));
    } finally {
      await svc.hosts.setSimDir(keep);
    }
  });

  it('a new environment check replaces the old result and is revealed', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.environment.focus');
    const first = await vscode.commands.executeCommand<{ at: string }>('ascend.env.check', 'sim');
    const second = await vscode.commands.executeCommand<{ at: string }>('ascend.env.check', 'sim');
    assert.ok(first && second && second.at >= first.at);
    const roots = await flatten(svc.views.trees['ascend.environment'], 1);
    assert.equal(roots.filter((r) => r.item.id === 'env:sim').length, 1, 'one row for the host');
    assert.equal(roots[0].item.id, 'env:sim', 'the newest check is on top');
    const view = svc.views.views['ascend.environment'];
    await until('the result selected', () => (view.selection.some((n) => n.item().id === 'env:sim') ? true : undefined), 10_000);
  });

  it('Problems lists files that are not open (background lint of the workspace), without doubles when they are', async () => {
    const svc = await services();
    const file = path.join(folder, 'closed_patch.py');
    fs.writeFileSync(file, 'import torch\n\n\ndef move(x):\n    return x.cuda()\n');
    const uri = vscode.Uri.file(file);
    await svc.workspaceLint.run();
    const d = await until('a finding for the closed file', () => {
      const x = vscode.languages.getDiagnostics(uri).filter((y) => y.source === 'ascend-adapt');
      return x.length ? x : undefined;
    });
    assert.ok(d.some((x) => x.severity === vscode.DiagnosticSeverity.Error && /cuda/i.test(x.message)));
    assert.ok(!vscode.workspace.textDocuments.some((t) => t.uri.fsPath === file), 'the file was never opened');
    // Opened: the language server reports it, the background list steps aside (no doubles).
    await vscode.window.showTextDocument(uri);
    await until('the background list steps aside for the tab', () => ((svc.workspaceLint.collection.get(uri)?.length ?? 0) === 0 ? true : undefined));
    await until('the language server finding', () => (vscode.languages.getDiagnostics(uri).length ? true : undefined));
    const lines = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'ascend-adapt' && x.range.start.line === 4 && /cuda/i.test(x.message));
    assert.equal(lines.length, 1, JSON.stringify(lines.map((x) => x.message)));
    // Closed again: still listed.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await until('still in Problems after closing the tab', () => ((svc.workspaceLint.collection.get(uri) ?? []).some((x) => /cuda/i.test(x.message)) ? true : undefined));
    assert.equal(vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'ascend-adapt' && x.range.start.line === 4 && /cuda/i.test(x.message)).length, 1, 'listed once');
    // Excluded by the settings: not linted.
    await vscode.workspace.getConfiguration('ascendAdapt').update('lint.exclude', ['**/closed_patch.py'], vscode.ConfigurationTarget.Workspace);
    try {
      await until('excluded', async () => {
        await svc.workspaceLint.run();
        return (svc.workspaceLint.collection.get(uri)?.length ?? 0) === 0 ? true : undefined;
      });
    } finally {
      await vscode.workspace.getConfiguration('ascendAdapt').update('lint.exclude', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(file, { force: true });
    }
  });

  it('a GPTQ serve script gets "quantize" as its fix, not a flag rewrite; a missing description entry gets an Add fix on the weight key', async () => {
    const sh = path.join(folder, 'found_serve_gptq.sh');
    fs.writeFileSync(sh, '#!/bin/sh\nvllm serve /data/models/Qwen3-30B-A3B-GPTQ-Int4 --quantization gptq --tensor-parallel-size 1\n');
    const doc = await vscode.workspace.openTextDocument(sh);
    await vscode.window.showTextDocument(doc);
    // The language server's diagnostic (the background lint's steps aside once the file is in a tab).
    const svc = await services();
    const fromServer = (uri: vscode.Uri, re: RegExp) => ((svc.workspaceLint.collection.get(uri)?.length ?? 0) ? undefined : vscode.languages.getDiagnostics(uri).find((d) => re.test(d.message)));
    const q = await until('the gptq diagnostic', () => fromServer(doc.uri, /--quantization gptq/), 60_000);
    let actions: vscode.CodeAction[] = [];
    const quantize = await until('the Quantize action', async () => {
      actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, q.range);
      return actions.find((a) => /Quantize/.test(a.title));
    }).catch(() => assert.fail(actions.map((a) => a.title).join(' | ') || 'no code action'));
    assert.equal(quantize.command?.command, 'ascend.quantizeModel');
    assert.equal(quantize.isPreferred, true);
    assert.ok(!actions.some((a) => JSON.stringify(a.edit ?? {}).includes('--quantization ascend')), 'no rewrite of the flag while the folder holds GPTQ weights');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    const model = path.join(folder, 'models', 'found-w8a8');
    writeQuantizedModel(model, undefined, { mutate: (desc) => void delete desc['model.layers.1.self_attn.v_proj.weight'] });
    const descDoc = await vscode.workspace.openTextDocument(path.join(model, 'quant_model_description.json'));
    const ed = await vscode.window.showTextDocument(descDoc);
    const miss = await until('the missing-entry diagnostic', () => fromServer(descDoc.uri, /v_proj\.weight.*has no entry/), 60_000);
    assert.match(descDoc.getText(miss.range), /^"model\.layers\.1\.self_attn\.v_proj\./, `on a weight key, not on a lone brace: ${JSON.stringify(descDoc.getText(miss.range))}`);
    let fixes: vscode.CodeAction[] = [];
    const add = await until('the Add fix', async () => {
      fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', descDoc.uri, miss.range);
      return fixes.find((a) => /^Add "model\.layers\.1\.self_attn\.v_proj\.weight": "(W8A8|FLOAT)"/.test(a.title) && a.edit);
    }).catch(() => assert.fail(fixes.map((a) => a.title).join(' | ') || 'no code action'));
    await vscode.workspace.applyEdit(add.edit!);
    assert.equal(JSON.parse(ed.document.getText())['model.layers.1.self_attn.v_proj.weight'], 'W8A8');
    await until('the diagnostic gone', () => (vscode.languages.getDiagnostics(descDoc.uri).some((d) => /v_proj\.weight.*has no entry/.test(d.message)) ? undefined : true), 60_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('the report webview: marks instead of emoji, NPU bars not red, one evidence editor with the cursor on the value, export asks the language and offers Open', async () => {
    const svc = await services();
    if (!fs.existsSync(path.join(folder, '.ascend-adapt-out'))) {
      // Run on its own: a validation of its own to look at.
      writeValidationProfiles(folder, demo, 25000 + Math.floor(Math.random() * 500) * 2);
      await vscode.commands.executeCommand('ascend.validate.run', { profile: 'val-sim' });
    }
    const runs = fs.readdirSync(path.join(folder, '.ascend-adapt-out')).sort();
    const dir = path.join(folder, '.ascend-adapt-out', runs[0]);
    const file = path.join(dir, fs.readdirSync(dir).find((f) => /^validation_report_\d{8}\.json$/.test(f))!);
    const rp = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; entries: Array<{ uri: vscode.Uri }> }>('ascend.reports.open', vscode.Uri.file(file));
    const html = rp!.panel.webview.html;
    assert.doesNotMatch(html, /[\u2705\u274C\u26A0\u23F8\u23F9\u23ED\u{1F389}]/u, 'no emoji left to fall back to boxes');
    assert.match(html, /<svg class="mark (pass|fail|warn|idle)"[^>]*aria-label="[^"]+"/);
    assert.match(html, /--npu: var\(--vscode-charts-blue/, 'NPU series in blue; red means something is wrong');
    // Several figures: one evidence editor, the cursor on each value.
    const report = parseReportText(fs.readFileSync(file, 'utf8'), file).report;
    const figs = ['perf.mean_ttft_ms.measured', 'perf.request_throughput.measured', 'accuracy.gsm8k.measured'].filter((id) => JSON.stringify(report).includes(`"${id}"`));
    assert.ok(figs.length >= 2, 'figures to click');
    const panel = [...svc.reports.panels].find((p) => p.panel === rp!.panel)!;
    for (const id of figs) {
      const uri = await svc.reports.openEvidence(panel, id);
      assert.ok(uri, id);
      const e = vscode.window.activeTextEditor!;
      assert.match(e.document.getText(e.selection), /^-?\d+(\.\d+)?(e-?\d+)?$/, `${id}: the cursor on the value`);
    }
    const evidenceTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.startsWith(path.join(dir, 'evidence')));
    assert.equal(evidenceTabs.length, 1, evidenceTabs.map((t) => t.label).join(', '));
    // Export: which language, then "Open".
    const asked: string[] = [];
    const reportsUi = svc.reports.ui;
    svc.reports.ui = { pickLanguage: (cur) => (asked.push(cur), Promise.resolve('zh-CN')) };
    try {
      const out = await vscode.commands.executeCommand<vscode.Uri>('ascend.reports.export', vscode.Uri.file(file), 'md', vscode.Uri.file(path.join(work, 'export.md')));
      assert.equal(asked.length, 1, 'the language was asked');
      assert.match(fs.readFileSync(out!.fsPath, 'utf8'), /验证报告/);
      assert.ok(ui.toasts.some((t) => /Report exported/.test(t.message) && t.items.includes('Open')), JSON.stringify(ui.toasts));
    } finally {
      svc.reports.ui = reportsUi;
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('zh-CN: diagnostics are Chinese end to end, times follow the locale', async () => {
    const fixtures = path.join(ext().extensionPath, 'test', 'fixtures', 'lsp');
    const run = await inLanguage('zh-CN', () => lintPaths([fixtures], { roots: [fixtures] }));
    assert.ok(run.findings.length > 20);
    const prose = run.findings.map((f) => ({ f, p: englishProse(f.message) })).filter((x) => x.p);
    assert.deepEqual(prose.map((x) => `${path.basename(x.f.file)}: ${x.f.message}`), [], 'English prose inside zh-CN diagnostics');
    for (const f of run.findings) assert.match(f.message, /[\u4e00-\u9fff]/, f.message);
    const fixture = parseReportText(fs.readFileSync(path.join(ext().extensionPath, 'test', 'fixtures', 'report', 'fixture_report.json'), 'utf8'), 'fixture').report;
    const md = renderMarkdown(fixture, { lang: 'zh-CN' });
    const iso = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z/.exec(md);
    assert.equal(iso, null, `ISO times left in the zh-CN report: ${iso?.[0]}`);
    assert.match(md, /\d{4}年\d{1,2}月\d{1,2}日/, 'dates written the Chinese way');
  });
});
