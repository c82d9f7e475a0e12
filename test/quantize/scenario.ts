// The quantize scenarios of the "done when" list, shared by the local and the real-sshd suites: a simulated
// host with a BF16 MoE folder and a GPTQ folder beside it, driven through the CLI as a user would.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, type CliRun } from '../harness/cli';
import { freePort } from '../serving/helpers';
import { setSimMsModelSlim, writeModels } from './helpers';

export { setSimMsModelSlim, writeModels };

export interface QuantWorld {
  /** Simulated host folder (on the host). */
  sim: string;
  /** The BF16 MoE folder and the GPTQ Int4 folder beside it (on the host). */
  float: string;
  gptq: string;
  /** Local workspace (ascend-adapt.json is written here). */
  ws: string;
  /** Target arguments: --sim DIR, or --host A --sim DIR plus ssh files. */
  target: string[];
}

export const cli = (w: QuantWorld, args: string[], lang = 'C'): Promise<CliRun> => runCli([...args, ...w.target], { cwd: w.ws, env: { ...process.env, LANG: lang } });

/** BF16 MoE → quantize w8a8 --yes --json → lint passes with 0 errors → the written profile serves. */
export async function quantizeLintServe(w: QuantWorld, outDir: string, lintDir: string): Promise<void> {
  const r = await cli(w, ['quantize', '--model', w.float, '--out', outDir, '--quant-type', 'w8a8', '--yes', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown>;
  for (const k of ['jobId', 'state', 'outDir', 'description', 'profile']) assert.ok(k in j, k);
  assert.equal(j.state, 'succeeded');
  assert.equal(j.outDir, outDir);
  assert.equal(j.simulated, true);
  const d = j.description as { file: string; modelQuantType: string; tensors: number; covered: number; missing: string[] };
  assert.deepEqual(Object.keys(d).sort(), ['covered', 'file', 'missing', 'modelQuantType', 'tensors']);
  assert.equal(d.file, 'quant_model_description.json');
  assert.ok(['W8A8', 'W8A8_DYNAMIC'].includes(d.modelQuantType), d.modelQuantType);
  // every linear / MoE weight of the float checkpoint: projections, routers, embedding, lm_head
  const names = Object.keys((JSON.parse(fs.readFileSync(path.join(w.float, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> }).weight_map);
  assert.equal(d.covered, names.filter((n) => /(_proj|\.gate|embed_tokens|lm_head)\.weight$/.test(n)).length);
  assert.deepEqual(d.missing, []);
  assert.match(r.err, /\[quantize\] 100% done 2\/2/);
  assert.match(r.err, /Started quantize job .* \(SIMULATED\): .*ASCEND_RT_VISIBLE_DEVICES=0 PYTORCH_NPU_ALLOC_CONF=expandable_segments:False msmodelslim quant --model_path/);

  // the output as msModelSlim lays it out, checked by lint with no error
  const files = fs.readdirSync(lintDir);
  for (const f of ['quant_model_description.json', 'quant_model_weights.safetensors.index.json', 'config.json']) assert.ok(files.includes(f), f);
  assert.ok(files.some((f) => f.endsWith('_best_practice.yaml')), files.join(', '));
  assert.ok(files.filter((f) => /^quant_model_weights-\d{5}-of-\d{5}\.safetensors$/.test(f)).length >= 2, 'sharded');
  assert.ok(!('quantization_config' in JSON.parse(fs.readFileSync(path.join(lintDir, 'config.json'), 'utf8'))));
  const lint = await runCli(['lint', lintDir, '--format', 'json'], { cwd: w.ws });
  assert.equal(lint.code, 0, lint.out);
  assert.deepEqual((JSON.parse(lint.out) as Array<{ severity: string }>).filter((x) => x.severity === 'error'), []);

  // the profile it wrote serves
  const cfgFile = path.join(w.ws, 'ascend-adapt.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
  const profile = cfg.profiles[j.profile as string];
  assert.equal(profile.modelPath, outDir);
  assert.equal(profile.quantization, 'ascend');
  profile.port = await freePort(); // the user's choice of port; other suites run servers at the same time
  profile.env = { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '1' };
  fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  const hostArgs = w.target.filter((a, i, all) => !['--sim', '--sim-root'].includes(a) && !['--sim', '--sim-root'].includes(all[i - 1]!));
  const serve = await runCli(['serve', '--profile', j.profile as string, '--detach', '--json', ...hostArgs], { cwd: w.ws, env: { ...process.env, LANG: 'C' } });
  assert.equal(serve.code, 0, serve.err);
  const rec = (JSON.parse(serve.out) as { job: { state: string; jobId: string } }).job;
  assert.equal(rec.state, 'ready', serve.err);
  const stop = await runCli(['jobs', 'stop', rec.jobId, ...(hostArgs.length ? hostArgs : ['--local'])], { cwd: w.ws, env: { ...process.env, LANG: 'C' } });
  assert.equal(stop.code, 0, stop.err);
}

/** GPTQ → a refusal (exit 2) naming the float checkpoint it needs. */
export async function gptqRefused(w: QuantWorld, outDir: string): Promise<void> {
  const r = await cli(w, ['quantize', '--model', w.gptq, '--out', outDir, '--quant-type', 'w8a8', '--yes']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /GPTQ Int4 checkpoint: vLLM-Ascend has no GPTQ loader and msModelSlim quantizes from floating-point weights/);
  assert.ok(r.err.includes(`--model ${w.float}`), r.err);
  assert.match(r.err, /\(SIMULATED\)/);
  const j = await cli(w, ['quantize', '--model', w.gptq, '--out', outDir, '--json']);
  assert.equal(j.code, 2);
  const o = JSON.parse(j.out) as { state: string; simulated: boolean; plan: { floatModel: string } };
  assert.equal(o.state, 'refused');
  assert.equal(o.simulated, true);
  assert.equal(o.plan.floatModel, w.float);
}

/** No best practice for an unknown model type, no --yes: the run ends with the tool's own question. */
export async function promptEndsWithQuestion(w: QuantWorld, outDir: string): Promise<void> {
  const r = await cli(w, ['quantize', '--model', w.float, '--out', outDir, '--model-type', 'MyQwen-30B', '--json']);
  assert.equal(r.code, 1, r.err);
  const j = JSON.parse(r.out) as { state: string; question: string };
  assert.equal(j.state, 'needs-confirmation');
  assert.match(j.question, /^No best practice found for model_type=MyQwen-30B and quant_type=QuantType\.W8A8\. The default practice:default-w8a8 for QuantType\.W8A8 will be used\. ?\(Enter y to continue, otherwise it will exit\)$/);
  assert.match(r.err, /msModelSlim asks: No best practice found/);
  assert.match(r.err, /Run again with --yes/);
}

/** An OOM kill ends failed, with the explanation (en and zh-CN). */
export async function oomExplained(w: QuantWorld, outDir: string): Promise<void> {
  setSimMsModelSlim(w.sim, { fault: 'oom', secondsPerBlock: 0 });
  try {
    const r = await cli(w, ['quantize', '--model', w.float, '--out', outDir, '--yes', '--json']);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out) as { state: string; failure: { id: string; title: string; fix: string } };
    assert.equal(j.state, 'failed');
    assert.equal(j.failure.id, 'quant-oom-killed');
    assert.match(j.failure.fix, /layer_wise/);
    assert.match(r.err, /Killed \(out of host memory\)/);
    const zh = await cli(w, ['--lang', 'zh-CN', 'quantize', '--model', w.float, '--out', `${outDir}-zh`, '--yes'], 'zh_CN.UTF-8');
    assert.equal(zh.code, 1);
    assert.match(zh.err, /进程被终止（主机内存不足）/);
  } finally {
    setSimMsModelSlim(w.sim, {});
  }
}
