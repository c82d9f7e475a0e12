import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { MessageUi } from '../../../src/extension/notify';
import { api, logText, recorder, services, until } from './util';

// Commands in a real VS Code: a bad argument is refused by the command's zod schema with a message naming
// the command and the argument, before anything runs; every error toast offers "Show Log", which opens the
// extension's log, where the error is written in full (with its stack).

// Commands that take arguments, each given something it cannot use.
const BAD: Array<[string, unknown[]]> = [
  ['ascend.hosts.select', [{ bogus: true }]],
  ['ascend.hosts.connect', [42]],
  ['ascend.hosts.disconnect', [['ssh:x']]],
  ['ascend.env.check', [{ host: { id: '' } }]],
  ['ascend.env.rerun', [{ result: {} }]],
  ['ascend.env.saveSnapshot', [{ uri: '/not/a/uri' }]],
  ['ascend.env.copyFix', [undefined]],
  ['ascend.env.openSource', ['https://example.invalid']],
  ['ascend.sim.create', [{ directory: '/tmp/x' }]],
  ['ascend.serve.start', [{ profile: 7 }]],
  ['ascend.serve.smoke', [{ job: {} }]],
  ['ascend.jobs.attach', [null]],
  ['ascend.jobs.stop', [{ jobId: '' }]],
  ['ascend.jobs.openLog', [true]],
  ['ascend.jobs.copyEndpoint', [{}]],
  ['ascend.accuracy.run', [undefined, { tasks: 'gsm8k' }]],
  ['ascend.perf.run', [undefined, { concurrency: [0] }]],
  ['ascend.reports.open', ['validation_report_x.json']],
  ['ascend.reports.export', [undefined, 'pdf']],
  ['ascend.reports.compare', [{ entry: {} }]],
  ['ascend.lint.checkFile', [{ fsPath: '/x.py' }]],
];

describe('Command arguments and error toasts', () => {
  let ui: ReturnType<typeof recorder>;
  let original: MessageUi;

  beforeEach(async () => {
    const svc = await services();
    original = svc.notifier.ui;
    ui = recorder();
    svc.notifier.ui = ui;
  });

  afterEach(async () => {
    (await services()).notifier.ui = original;
  });

  it('refuses a bad argument of every command with a message naming it, and offers Show Log', async () => {
    const contributed = new Set((vscode.extensions.getExtension('ascend-adapt.ascend-adapt')!.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command));
    for (const [id, args] of BAD) {
      assert.ok(contributed.has(id), `${id} is a contributed command`);
      ui.toasts.length = 0;
      const r = await vscode.commands.executeCommand(id, ...args);
      assert.equal(r, undefined, `${id} returns nothing`);
      assert.equal(ui.toasts.length, 1, `${id}: one toast, got ${JSON.stringify(ui.toasts)}`);
      const t = ui.toasts[0];
      assert.equal(t.kind, 'error', id);
      assert.ok(t.message.startsWith(`Ascend: ${id}: argument `), `${id}: ${t.message}`);
      assert.match(t.message, /is not valid: .+; got /, id);
      assert.deepEqual(t.items, ['Show Log'], id);
    }
  });

  it('a failing command: error toast with Show Log, which opens the log holding the whole error', async () => {
    const svc = await services();
    ui = recorder('Show Log');
    svc.notifier.ui = ui;
    let shown = 0;
    const show = svc.log.show.bind(svc.log);
    svc.log.show = ((...a: Parameters<typeof show>) => {
      shown++;
      return show(...a);
    }) as typeof svc.log.show;
    try {
      const r = await vscode.commands.executeCommand('ascend.jobs.openLog', 'no-such-job-4711');
      assert.equal(r, undefined);
      assert.equal(ui.toasts.length, 1, JSON.stringify(ui.toasts));
      assert.equal(ui.toasts[0].message, 'Ascend: Unknown job no-such-job-4711');
      assert.deepEqual(ui.toasts[0].items, ['Show Log']);
      await until('Show Log to open the log', () => shown > 0 || undefined, 10_000);
    } finally {
      svc.log.show = show;
    }
    // The log has the message and the stack (not just the one line of the toast).
    const text = await until('the error in the log file', async () => {
      const t = await logText();
      return /Unknown job no-such-job-4711[^\n]*\n[\s\S]*?\n\s+at /.test(t) ? t : undefined;
    }, 20_000);
    assert.match(text, /\[error\]/);
  });

  it('keeps the commands of the palette free of "command not found" (every contributed command answers)', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (vscode.extensions.getExtension('ascend-adapt.ascend-adapt')!.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command);
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    assert.deepEqual((await api()).startupProblems, [], 'nothing failed to start');
  });
});
