import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, services, until } from './util';

// Tasks of type "ascend-adapt": the provider offers the CLI's commands for the workspace's profiles and the
// active host; a tasks.json task (lint) runs the CLI in a terminal and `$ascend-adapt-lint` turns its output
// into Problems entries.
describe('Tasks: type ascend-adapt and the lint problem matcher', function () {
  this.timeout(300_000);
  let folder: string;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(process.env.ASCEND_SUITE_WORKDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-tasks-')), 'sim-tasks') });
    }
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  it('contributes the task type and the $ascend-adapt-lint problem matcher', () => {
    const c = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as {
      taskDefinitions: Array<{ type: string; required: string[]; properties: { command: { enum: string[] } } }>;
      problemMatchers: Array<{ name: string; pattern: { regexp: string } }>;
    };
    const def = c.taskDefinitions.find((t) => t.type === 'ascend-adapt');
    assert.ok(def);
    assert.deepEqual(def.required, ['command']);
    for (const cmd of ['validate', 'env-check', 'lint', 'perf', 'accuracy', 'serve', 'quantize']) assert.ok(def.properties.command.enum.includes(cmd), cmd);
    const m = c.problemMatchers.find((x) => x.name === 'ascend-adapt-lint');
    assert.ok(m);
    const re = new RegExp(m.pattern.regexp);
    assert.deepEqual(re.exec('patch_block.py:9:20: error [cuda-api] .cuda() moves to a CUDA device')?.slice(1, 7), ['patch_block.py', '9', '20', 'error', 'cuda-api', '.cuda() moves to a CUDA device']);
  });

  it('offers lint, env-check and the profile commands as tasks', async () => {
    const tasks = await until('ascend-adapt tasks', async () => {
      const t = await vscode.tasks.fetchTasks({ type: 'ascend-adapt' });
      return t.some((x) => x.definition.command === 'lint') ? t : undefined;
    });
    const names = tasks.map((t) => t.name);
    assert.ok(names.includes('lint'), names.join(', '));
    assert.ok(names.includes('env-check'), names.join(', '));
    const lint = tasks.find((t) => t.name === 'lint')!;
    assert.ok(lint.execution instanceof vscode.ProcessExecution);
    assert.match((lint.execution as vscode.ProcessExecution).args.join(' '), /dist\/cli\.js lint \./);
    assert.deepEqual(lint.problemMatchers, ['$ascend-adapt-lint']);
    const env = tasks.find((t) => t.name === 'env-check')!;
    assert.match((env.execution as vscode.ProcessExecution).args.join(' '), /env-check (--sim \S+|--local|--host \S+)/);
  });

  it('runs a tasks.json task of type ascend-adapt (lint) in a terminal and its problems appear', async () => {
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    const tasksJson = {
      version: '2.0.0',
      tasks: [{ label: 'lint the patch', type: 'ascend-adapt', command: 'lint', paths: ['patch_block.py'], problemMatcher: '$ascend-adapt-lint' }],
    };
    fs.writeFileSync(path.join(folder, '.vscode', 'tasks.json'), JSON.stringify(tasksJson, null, 2));
    const task = await until('the tasks.json task', async () => (await vscode.tasks.fetchTasks({ type: 'ascend-adapt' })).find((t) => t.name === 'lint the patch'), 60_000);
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name !== 'lint the patch') return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.tasks.executeTask(task);
    const code = await ended;
    assert.equal(code, 1, 'lint exits 1 when it finds an error');
    const file = vscode.Uri.file(path.join(folder, 'patch_block.py'));
    // The matcher reads the terminal's output, which a loaded renderer may process well after the process ended;
    // a timeout names what the file did have, so a failure says whether the matcher or the lint went wrong.
    const found = await until('Problems from the task', () => {
      const all = vscode.languages.getDiagnostics(file);
      const d = all.filter((x) => x.source === 'ascend-adapt lint');
      if (!d.length) throw new Error(`${all.length} other diagnostic(s): ${all.map((x) => `${x.source ?? '?'}@${x.range.start.line}: ${x.message}`).join(' | ')}`);
      return d;
    }, 90_000);
    const cuda = found.find((d) => /cuda/i.test(d.message));
    assert.ok(cuda, found.map((d) => d.message).join(' | '));
    assert.equal(cuda.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(cuda.range.start.line, 8, 'the line of .cuda() in the fixture');
  });
});

// The walkthrough: from a host to a report, in English and 简体中文, each step with its command button,
// completion events and Markdown; the Hosts welcome links to it.
describe('Walkthrough: Get started with Ascend Adapt', function () {
  this.timeout(120_000);
  const ext = () => vscode.extensions.getExtension(EXTENSION_ID)!;

  it('has ≥ 5 steps, each with a command button, completion events and Markdown in en and zh-CN', () => {
    const pkg = ext().packageJSON as { contributes: { walkthroughs: Array<{ id: string; title: string; steps: Array<{ id: string; description: string; completionEvents: string[]; media: { markdown: string } }> }>; viewsWelcome: Array<{ view: string; contents: string }> } };
    const w = pkg.contributes.walkthroughs.find((x) => x.id === 'ascend.gettingStarted');
    assert.ok(w);
    assert.equal(w.title, 'Get started with Ascend Adapt');
    assert.ok(w.steps.length >= 5, `${w.steps.length} steps`);
    const root = ext().extensionPath;
    const zh = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    for (const s of w.steps) {
      assert.match(s.description, /\n\[[^\]]+\]\(command:ascend\.[\w.]+\)/, `${s.id}: a command button`);
      assert.ok(s.completionEvents.length > 0 && s.completionEvents.every((e) => e.startsWith('onCommand:ascend.')), s.id);
      assert.ok(fs.existsSync(path.join(root, s.media.markdown)), s.media.markdown);
      const zhMedia = zh[`walkthrough.${s.id}.media`];
      assert.ok(zhMedia && fs.existsSync(path.join(root, zhMedia)) && /[\u4e00-\u9fff]/.test(fs.readFileSync(path.join(root, zhMedia), 'utf8')), `${s.id}: zh-CN Markdown`);
      assert.match(zh[`walkthrough.${s.id}.description`], /[\u4e00-\u9fff][\s\S]*\(command:ascend\./, `${s.id}: zh-CN description with its button`);
    }
    const hosts = pkg.contributes.viewsWelcome.find((v) => v.view === 'ascend.hosts');
    assert.match(hosts!.contents, /\(command:ascend\.walkthrough\.open\)/);
  });

  it('opens from "Ascend: Get Started with Ascend Adapt"', async () => {
    // The workbench of an extension test run does not list the walkthroughs of the extension under
    // development (the installed VSIX's walkthrough opens, with its title, in the UI smoke test); here the
    // command must reach VS Code's walkthrough editor without an error.
    await vscode.commands.executeCommand('ascend.walkthrough.open');
    const tab = await until('a walkthrough editor', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t && /^Walkthrough: /.test(t.label) ? t : undefined;
    }, 30_000);
    console.log(`      walkthrough tab: ${tab.label}`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('"Check Folder for NPU Problems" (its lint step) runs the lint task on a folder into Problems', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const r = await vscode.commands.executeCommand<{ exitCode: number }>('ascend.lint.folder', folder);
    assert.equal(r?.exitCode, 1);
    const d = await until('Problems from the folder lint', () => {
      const x = vscode.languages.getDiagnostics(vscode.Uri.joinPath(folder, 'patch_block.py')).filter((y) => y.source === 'ascend-adapt lint');
      return x.length ? x : undefined;
    });
    assert.ok(d.some((x) => /cuda/i.test(x.message)));
  });
});
