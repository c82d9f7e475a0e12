import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
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
    await services();
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
    const found = await until('Problems from the task', () => {
      const d = vscode.languages.getDiagnostics(file).filter((x) => x.source === 'ascend-adapt lint');
      return d.length ? d : undefined;
    }, 30_000);
    const cuda = found.find((d) => /cuda/i.test(d.message));
    assert.ok(cuda, found.map((d) => d.message).join(' | '));
    assert.equal(cuda.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(cuda.range.start.line, 8, 'the line of .cuda() in the fixture');
  });
});
