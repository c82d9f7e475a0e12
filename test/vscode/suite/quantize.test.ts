import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { flatten } from '../../../src/extension/views';
import { setSimMsModelSlim, writeModels } from '../../quantize/helpers';
import { labelOf, services, until } from './util';

// Quantization from VS Code on the simulated host: the GPTQ diagnostic of a serve script offers "Quantize the
// float checkpoint with msModelSlim…"; its command runs the flow (the float original found beside the GPTQ
// folder is offered, w8a8, an output folder), the job shows in the Jobs view while it runs and ends quantized
// with its description checked, and the serving profile for the output is written into ascend-adapt.json.
// Launching a GPTQ profile is refused before launch with a "Quantize with msModelSlim…" button that starts the
// same flow; that job is stopped from the Jobs view's command with nothing left. A model type msModelSlim has
// no practice for ends the job at the tool's question, shown in its own words; Continue runs it with y.
describe('Quantize Model on the simulated host', function () {
  const work = fs.mkdtempSync(path.join(process.env.ASCEND_SUITE_WORKDIR ?? os.tmpdir(), 'ascend-quant-'));
  let gptq: string;
  let float: string;

  before(async () => {
    const svc = await services();
    if (!svc.hosts.simDir || !fs.existsSync(path.join(svc.hosts.simDir, 'env.json'))) {
      await vscode.commands.executeCommand('ascend.sim.create', { dir: path.join(work, 'sim') });
    }
    await vscode.commands.executeCommand('ascend.hosts.select', 'sim');
    ({ gptq, float } = writeModels(path.join(work, 'models')));
  });

  it('the code action on the GPTQ diagnostic starts the flow; the job shows in Jobs and ends quantized', async () => {
    const svc = await services();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const script = path.join(folder, 'serve_gptq.sh');
    fs.writeFileSync(script, `#!/bin/bash\nvllm serve ${gptq} \\\n  --quantization gptq --tensor-parallel-size 1\n`);
    const uri = vscode.Uri.file(script);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diag = await until('the GPTQ diagnostic', () =>
      vscode.languages.getDiagnostics(uri).find((d) => d.source === 'ascend-adapt' && /gptq/.test(doc.getText(d.range))), 60_000);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const action = actions.find((a) => a.title === 'Quantize the float checkpoint with msModelSlim…');
    assert.ok(action?.command, `actions: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(action.command.command, 'ascend.quantizeModel');
    assert.deepEqual(action.command.arguments, [{ model: gptq }]);

    // The person's answers: the float original it found, w8a8, an output folder.
    const asked: string[] = [];
    const out = path.join(work, 'out', 'Qwen3-30B-A3B-w8a8');
    svc.quantize.ui = {
      confirm: async () => false,
      startAnyway: async () => false,
      text: async (_t, prompt) => (asked.push(prompt), out),
      pick: async (_t, placeHolder, items) => {
        asked.push(placeHolder);
        return items.find((i) => i.label === float || i.label === 'w8a8')?.label;
      },
    };
    const id = await vscode.commands.executeCommand<string>(action.command.command, ...(action.command.arguments ?? []));
    assert.ok(id, 'a job id');
    assert.ok(asked.some((a) => /which BF16\/FP16 checkpoint/.test(a)), asked.join(' | '));

    await vscode.commands.executeCommand('ascend.jobs.focus');
    const row = await until('the job in the Jobs view', async () => (await flatten(svc.views.trees['ascend.jobs'], 1)).find((r) => labelOf(r.item) === 'quantize Qwen3-30B-A3B-w8a8'));
    assert.match(String(row.item.description), /^SIMULATED · .* · (quantizing|quantized)/);
    const done = await until('quantized', () => (svc.quantize.get(id)?.record.state === 'succeeded' ? svc.quantize.get(id) : undefined), 120_000);
    assert.equal(done.record.description?.modelQuantType, 'W8A8');
    assert.deepEqual(done.record.description?.missing, []);
    assert.equal(done.record.check?.errors, 0);
    const cfg = await until('the profile written', () => {
      const f = path.join(folder, 'ascend-adapt.json');
      const profiles = fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as { profiles: Record<string, { modelPath: string; quantization?: string; host?: string }> }).profiles : {};
      return Object.values(profiles).find((p) => p.modelPath === out);
    });
    assert.equal(cfg.quantization, 'ascend');
    assert.equal(cfg.host, 'sim');
    const rows = await flatten(svc.views.trees['ascend.jobs'], 2);
    assert.ok(rows.some((r) => r.depth === 1 && labelOf(r.item) === 'quant_model_description.json' && /W8A8 · \d+ tensor entries · 36 linear\/MoE weights covered · 0 missing/.test(String(r.item.description))), rows.map((r) => `${labelOf(r.item)}: ${String(r.item.description)}`).join('\n'));
    fs.rmSync(script, { force: true });
  });

  it('the pre-launch refusal of a GPTQ profile offers the flow; its job stops with no process left', async () => {
    const svc = await services();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const cfgFile = path.join(folder, 'ascend-adapt.json');
    const cfg = (fs.existsSync(cfgFile) ? JSON.parse(fs.readFileSync(cfgFile, 'utf8')) : { profiles: {} }) as { profiles: Record<string, unknown> };
    cfg.profiles['gptq-sim'] = { host: 'sim', modelPath: gptq, servedModelName: 'gptq-sim', tensorParallelSize: 1, port: 18000 + Math.floor(Math.random() * 1000) };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
    const simDir = svc.hosts.simDir!;
    setSimMsModelSlim(simDir, { secondsPerBlock: 60 }); // long enough to be stopped while it runs
    const refusals: Array<{ message: string; detail: string; actions: string[] }> = [];
    const originalRefusal = svc.serving.refusalUi;
    const out = path.join(work, 'out', 'from-refusal-w8a8');
    svc.serving.refusalUi = async (message, detail, actions) => (refusals.push({ message, detail, actions }), 'Quantize with msModelSlim…');
    svc.quantize.ui = {
      confirm: async () => false,
      startAnyway: async () => false,
      text: async () => out,
      pick: async (_t, _p, items) => items.find((i) => i.label === float || i.label === 'w8a8')?.label,
    };
    try {
      const before = new Set(svc.quantize.all().map((t) => t.record.jobId));
      const served = await vscode.commands.executeCommand('ascend.serve.start', { profile: 'gptq-sim' });
      assert.equal(served, undefined, 'nothing launched');
      assert.equal(refusals.length, 1);
      assert.match(refusals[0]!.detail, /GPTQ-quantized/);
      assert.deepEqual(refusals[0]!.actions, ['Quantize with msModelSlim…', 'Open Serving Profile', 'Launch Anyway'], 'the conversion is the default button, launching anyway never');
      const job = svc.quantize.all().find((t) => !before.has(t.record.jobId));
      assert.ok(job, 'a quantize job started from the refusal');
      assert.equal(job.record.outDir, out);
      assert.equal(job.record.model, float, 'the float original, not the GPTQ folder');
      assert.equal(job.record.state, 'running');
      await vscode.commands.executeCommand('ascend.jobs.focus');
      await until('the job in the Jobs view', async () => (await flatten(svc.views.trees['ascend.jobs'], 1)).find((r) => labelOf(r.item) === 'quantize from-refusal-w8a8'));
      const stopped = await vscode.commands.executeCommand<{ leftovers: number[] }>('ascend.quantize.stop', job.record.jobId);
      assert.deepEqual(stopped.leftovers, []);
      assert.equal(svc.quantize.get(job.record.jobId)?.record.state, 'stopped');
    } finally {
      svc.serving.refusalUi = originalRefusal;
      setSimMsModelSlim(simDir, {});
      delete cfg.profiles['gptq-sim'];
      fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
    }
  });

  it("msModelSlim's question is shown in the tool's words; Continue runs it again with y", async () => {
    const svc = await services();
    const questions: string[] = [];
    const out = path.join(work, 'out', 'asked-w8a8');
    svc.quantize.ui = {
      confirm: async (q) => (questions.push(q), true),
      startAnyway: async () => false,
      text: async () => out,
      pick: async () => undefined,
    };
    const before = new Set(svc.quantize.all().map((t) => t.record.jobId));
    const first = await vscode.commands.executeCommand<string>('ascend.quantizeModel', { model: float, quantType: 'w8a8', modelType: 'MyQwen-30B', out });
    assert.ok(first, 'a job id');
    const asked = await until('the question', () => (svc.quantize.get(first)?.record.state === 'needs-confirmation' && questions.length ? svc.quantize.get(first) : undefined), 120_000);
    assert.equal(questions[0], asked.record.question);
    assert.match(questions[0]!, /^No best practice found for model_type=MyQwen-30B and quant_type=QuantType\.W8A8\. .*\(Enter y to continue, otherwise it will exit\)$/);
    const again = await until('the job run again with y', () => svc.quantize.all().find((t) => !before.has(t.record.jobId) && t.record.jobId !== first));
    const done = await until('quantized', () => (['succeeded', 'failed', 'stopped'].includes(svc.quantize.get(again.record.jobId)?.record.state ?? '') ? svc.quantize.get(again.record.jobId) : undefined), 120_000);
    assert.equal(done.record.state, 'succeeded', done.record.failure?.message);
    assert.equal(done.record.outDir, out);
    assert.match(done.record.display, /msmodelslim quant .*--model_type MyQwen-30B/);
    assert.equal(questions.length, 1, 'asked once');
  });
});
