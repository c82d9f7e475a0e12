import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { commands } from '../../src/cli/commands/index';

// Every command a task of type "ascend-adapt" may name is a command of the CLI the task runs.
describe('ascend-adapt task commands', () => {
  it('are CLI commands, in package.json and in the provider', () => {
    const root = path.resolve(__dirname, '..', '..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      contributes: { taskDefinitions: Array<{ type: string; properties: { command: { enum: string[] } } }> };
    };
    const declared = pkg.contributes.taskDefinitions.find((t) => t.type === 'ascend-adapt')!.properties.command.enum;
    const cli = new Set(commands.map((c) => c.name));
    assert.deepEqual(declared.filter((c) => !cli.has(c)), [], 'task commands the CLI does not have');
    const src = fs.readFileSync(path.join(root, 'src', 'extension', 'tasks.ts'), 'utf8');
    const list = /TASK_COMMANDS = \[([^\]]+)\]/.exec(src)![1].match(/'([^']+)'/g)!.map((s) => s.slice(1, -1));
    assert.deepEqual([...list].sort(), [...declared].sort());
  });
});
