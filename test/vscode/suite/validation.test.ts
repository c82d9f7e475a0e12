import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseReportText } from '../../../src/core/report/load';
import { updateSimConfig } from '../../../src/core/sim/config';
import { flatten } from '../../../src/extension/views';
import { EXTENSION_ID, labelOf, logText, services, until, writeValidationProfiles } from './util';

// The whole validation from the sidebar, on the simulated Atlas host: Run Validation from the Validation
// view takes every step to its end state with figures inline, opens the report and puts it on top of the
// Reports view; a step runs again against the server a re-run left up; a second run stopped mid-perf ends
// with an interrupted report that keeps the partial results; a step's log opens at its line and its
// evidence at the value; the status bar shows the running step.

interface RunSummary {
  report: string | null;
  verdict: string | null;
  interrupted: { step: string | null } | null;
  error: string | null;
  steps: Array<{ id: string; phase: string; reason: string | null; figures: Array<{ label: string; value: number | null; reference?: number | null; ratio?: number | null }> }>;
}

const END = new Set(['pass', 'warn', 'fail', 'skip', 'not-run', 'interrupted']);

describe('Validation view: the whole validation from the sidebar', function () {
  // A whole validation on a loaded machine takes minutes; the steps' progress goes to the suite's output.
  this.timeout(600_000);
  const work = process.env.ASCEND_SUITE_WORKDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-validation-'));
  let folder: string;
  let first: RunSummary;
  let traceSub: vscode.Disposable | undefined;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(work, 'sim-validation') });
    }
    await vscode.commands.executeCommand('ascend.hosts.select', 'sim');
    const demo = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'python', 'data', 'demo');
    // The simulated server answers the demo datasets from their answer key (as `validate --demo` does).
    updateSimConfig(svc.hosts.simDir!, (c) => ({ ...c, serve: { ...(c.serve ?? {}), server: { ...((c.serve?.server as object) ?? {}), answer_key: path.join(demo, 'answer_key.jsonl') } } }));
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    writeValidationProfiles(folder, demo, 19000 + Math.floor(Math.random() * 500) * 2);
    let last = '';
    const t0 = Date.now();
    traceSub = svc.validation.onDidChange(() => {
      const run = svc.validation.last;
      const now = run ? `${run.profile}: ${run.steps.map((s) => `${s.id}=${s.phase}`).join(' ')}${run.running ? '' : ' (ended)'}` : '';
      if (now !== last) console.log(`      [${((Date.now() - t0) / 1000).toFixed(0)} s] ${now}`);
      last = now;
    });
  });

  after(() => traceSub?.dispose());

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log((await logText()).split('\n').slice(-40).join('\n'));
  });

  it('contributes the view, Run Validation and the step actions', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { views: Record<string, Array<{ id: string }>>; commands: Array<{ command: string; title: string }> } };
    assert.ok(pkg.contributes.views.ascend.some((v) => v.id === 'ascend.validation'));
    const run = pkg.contributes.commands.find((c) => c.command === 'ascend.validate.run');
    assert.equal(run?.title, 'Run Validation');
  });

  it('runs the validation from the view: every step reaches its end state, figures inline, report opened and on top', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.validation.focus');
    await svc.validation.setActiveProfile('val-sim');
    // Before the run the view lists the profile's steps, pending.
    const before = await until('pending steps', async () => {
      const rows = await flatten(svc.views.trees['ascend.validation'], 1);
      return rows.some((r) => /^pending/.test(String(r.item.description))) ? rows : undefined;
    });
    assert.equal(labelOf(before[0].item), 'Profile: val-sim');
    const panelsBefore = svc.reports.panels.size;
    let sawRunning = false;
    let sawStatus = '';
    const sub = svc.validation.onDidChange(() => {
      const run = svc.validation.last;
      if (run?.running && run.current) {
        sawRunning ||= run.steps.some((s) => s.phase === 'running');
        if (svc.validationStatus.item.text.includes('Validation:')) sawStatus = svc.validationStatus.item.text;
      }
    });
    const r = await vscode.commands.executeCommand<RunSummary>('ascend.validate.run');
    sub.dispose();
    assert.ok(r, 'a run summary');
    first = r;
    assert.equal(r.error, null);
    assert.ok(sawRunning, 'a step was shown running');
    assert.match(sawStatus, /Validation: .+ \(\d+\/\d+\) · \d+ s/, 'the status bar showed the step and the elapsed time');
    assert.deepEqual(
      r.steps.map((s) => s.id),
      ['env', 'analysis', 'serve', 'smoke', 'accuracy', 'perf', 'stop'],
    );
    for (const s of r.steps) assert.ok(END.has(s.phase), `${s.id} ended in ${s.phase}`);
    for (const id of ['serve', 'smoke', 'accuracy', 'perf', 'stop']) assert.notEqual(r.steps.find((s) => s.id === id)?.phase, 'not-run', `${id} ran: ${JSON.stringify(r.steps.find((s) => s.id === id))}`);
    assert.ok(r.report && fs.existsSync(r.report));
    // Rows: state word first, duration, figures inline; accessible labels carry the same.
    const rows = await flatten(svc.views.trees['ascend.validation'], 1);
    const acc = rows.find((x) => labelOf(x.item) === 'Accuracy evaluation' || x.item.id === 'validation:step:accuracy');
    assert.ok(acc, rows.map((x) => labelOf(x.item)).join(', '));
    assert.match(String(acc.item.description), /^(passed|failed|warning) · \d+ s · GSM8K \d+(\.\d)? % \([+−±]\d+(\.\d)?\)/);
    assert.match(acc.item.accessibilityInformation?.label ?? '', /GSM8K \d/);
    const perf = rows.find((x) => x.item.id === 'validation:step:perf');
    assert.match(String(perf?.item.description), /^(passed|failed|warning) · \d+ s · QPS [\d.]+ req\/s, [\d.]+× GPU/);
    const report = rows.find((x) => x.item.id === 'validation:report');
    assert.ok(report, 'a Report row');
    // The report opened, and tops the Reports view.
    await until('the report panel', () => (svc.reports.panels.size > panelsBefore ? true : undefined));
    const top = await until('the new report on top', async () => {
      const list = await flatten(svc.views.trees['ascend.reports'], 1);
      return list[0]?.item.resourceUri?.fsPath === r.report ? list[0] : undefined;
    });
    assert.ok(top);
    const parsed = parseReportText(fs.readFileSync(r.report, 'utf8'), r.report).report;
    assert.equal(parsed.simulated, true);
    assert.equal(parsed.profile, 'val-sim');
  });

  it("opens a step's log at its line and its evidence at the value", async () => {
    const log = await vscode.commands.executeCommand<{ file: string; line: number }>('ascend.validate.openStepLog', 'serve');
    assert.ok(log, 'the serve log');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(log.file));
    assert.match(doc.lineAt(log.line - 1).text, /Application startup complete|Uvicorn running on|Available routes|Starting vLLM API server/);
    const ev = await vscode.commands.executeCommand<{ file: string; selected: string }>('ascend.validate.openStepEvidence', 'accuracy', 'accuracy.gsm8k.measured');
    assert.ok(ev, 'accuracy evidence');
    assert.match(ev.file, /accuracy\.json$/);
    assert.match(ev.selected, /^\d+(\.\d+)?(e-?\d+)?$/, `the cursor is on the value, not a key: ${JSON.stringify(ev.selected)}`);
    const other = await vscode.commands.executeCommand<{ file: string }>('ascend.validate.openStepLog', 'env');
    assert.ok(other);
    const env = await vscode.workspace.openTextDocument(vscode.Uri.file(other.file));
    assert.ok(env.getText().length > 0);
  });

  it('runs one step again against the server a re-run left up', async () => {
    const svc = await services();
    const again = await vscode.commands.executeCommand<RunSummary>('ascend.validate.rerunStep', 'smoke');
    assert.ok(again);
    assert.equal(again.error, null);
    assert.equal(again.steps.find((s) => s.id === 'smoke')?.phase, 'pass');
    const server = svc.validation.keptServer;
    assert.ok(server, 'the server is left up after a re-run of one step');
    const third = await vscode.commands.executeCommand<RunSummary>('ascend.validate.rerunStep', 'smoke');
    assert.ok(third);
    assert.equal(svc.validation.keptServer?.jobId, server.jobId, 'the same server answered the second re-run');
    assert.ok(svc.validation.last?.steps.find((s) => s.id === 'serve')?.reused, 'serve was kept from the earlier run');
    const rows = await flatten(svc.views.trees['ascend.validation'], 1);
    assert.ok(rows.some((x) => x.item.id === 'validation:server'), 'the view shows the server still running');
    await vscode.commands.executeCommand('ascend.validate.stopServer');
    assert.equal(svc.validation.keptServer, undefined);
    assert.ok(first.report);
  });

  it('stops a second run during perf: the report is marked interrupted and keeps the partial results', async () => {
    const svc = await services();
    await svc.validation.setActiveProfile('val-sim-long');
    const running = vscode.commands.executeCommand<RunSummary>('ascend.validate.run');
    await until('perf running with progress', () => {
      const s = svc.validation.last?.steps.find((x) => x.id === 'perf');
      return svc.validation.last?.profile === 'val-sim-long' && s?.phase === 'running' && s.progress ? true : undefined;
    }, 240_000);
    await vscode.commands.executeCommand('ascend.validate.stop');
    const r = await running;
    assert.ok(r?.report, JSON.stringify(r));
    assert.deepEqual(r.interrupted, { step: 'perf' });
    assert.equal(r.steps.find((s) => s.id === 'perf')?.phase, 'interrupted');
    assert.equal(r.steps.find((s) => s.id === 'stop')?.phase, 'pass', 'the server was still stopped');
    const rep = parseReportText(fs.readFileSync(r.report, 'utf8'), r.report).report;
    assert.equal(rep.interrupted?.step, 'perf');
    assert.notEqual(rep.verdict?.overall, 'pass');
    assert.equal(rep.steps?.find((x) => x.name === 'perf')?.status, 'interrupted');
    assert.equal(rep.steps?.find((x) => x.name === 'accuracy')?.status, 'not-run');
    assert.equal(svc.validation.keptServer, undefined);
    const rows = await flatten(svc.views.trees['ascend.validation'], 1);
    assert.match(String(rows.find((x) => x.item.id === 'validation:step:perf')?.item.description), /^interrupted/);
    await svc.validation.setActiveProfile('val-sim');
  });
});
