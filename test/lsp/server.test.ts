// The real language server (dist/server.js --stdio) spoken to over JSON-RPC: initialize, didOpen, didChange,
// pull diagnostics, hover, code actions, completion, executeCommand, settings pulled from the client.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DocumentDiagnosticRequest, type Diagnostic } from 'vscode-languageserver-protocol/node';
import { CHECK_FILE_COMMAND } from '../../src/server/protocol';
import { applyEdits, fixtures, startServer, uriOf, type Session } from './client';

const read = (rel: string) => fs.readFileSync(path.join(fixtures, rel), 'utf8');
const codes = (d: Diagnostic[]) => [...new Set(d.map((x) => String(x.code)))].sort();
const onLine = (d: Diagnostic[], line: number) => d.filter((x) => x.range.start.line === line);
/** The first line containing `needle` that is not a comment. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle) && !l.trimStart().startsWith('#'));

describe('language server over stdio', () => {
  let s: Session;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.stop();
  });

  it('lights up the CUDA-flavoured HunYuan MoE patch with every Python rule', async () => {
    const text = read('hunyuan/patch_hunyuan_moe.py');
    const uri = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'));
    await s.open(uri, 'python', text);
    const d = await s.diagnostics(uri);
    assert.deepEqual(codes(d), ['cuda-api', 'cuda-kernel', 'cuda-library', 'npu-op-constraint']);
    for (const x of d) {
      assert.equal(x.source, 'ascend-adapt');
      assert.match(x.codeDescription?.href ?? '', /^https:\/\//);
      assert.ok(x.message.length > 20);
    }
    // what it calls, through imports and aliases
    assert.match(onLine(d, lineOf(text, 'torch.cuda.synchronize()'))[0].message, /torch\.npu\.synchronize/);
    assert.match(onLine(d, lineOf(text, 'cuda.mem_get_info()'))[0].message, /torch\.cuda\.mem_get_info/);
    assert.equal(onLine(d, lineOf(text, 'ops.topk_softmax'))[0].code, 'cuda-kernel');
    assert.equal(onLine(d, lineOf(text, 'torch.ops._C.rms_norm'))[0].code, 'cuda-kernel');
    assert.equal(onLine(d, lineOf(text, 'from flash_attn import'))[0].code, 'cuda-library');
    assert.equal(onLine(d, lineOf(text, 'import xformers'))[0].severity, 3, 'guarded import is information');
    assert.equal(onLine(d, lineOf(text, 'backend="nccl"'))[0].code, 'cuda-library');
    assert.equal(onLine(d, lineOf(text, 'torch.backends.cudnn'))[0].severity, 2);
    // never in comments or strings that are not device arguments
    assert.deepEqual(onLine(d, 1), [], 'comment mentioning torch.cuda.synchronize()');
    assert.deepEqual(onLine(d, lineOf(text, '"""Docstring')), [], 'docstring mentioning x.cuda()');
  });

  it('answers "unchanged" when the report is the same as the one the client holds', async () => {
    const uri = 'untitled:result-id.py';
    await s.open(uri, 'python', 'import torch\ntorch.cuda.synchronize()\n');
    const first = await s.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    assert.equal(first.kind, 'full');
    const again = await s.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri }, previousResultId: first.resultId });
    assert.equal(again.kind, 'unchanged');
    await s.change(uri, 2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: 'x.cuda()\n' }]);
    const changed = await s.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri }, previousResultId: first.resultId });
    assert.equal(changed.kind, 'full');
    assert.equal(changed.kind === 'full' && changed.items.length, 2);
  });

  it('stays quiet on NPU-native code written the vllm-ascend way', async () => {
    for (const [rel, lang] of [
      ['npu_native/ascend_ops.py', 'python'],
      ['npu_native/hunyuan_mapping.py', 'python'],
      ['npu_native/quant_model_description.json', 'json'],
      ['npu_native/serve_npu.sh', 'shellscript'],
    ]) {
      const uri = uriOf(path.join(fixtures, rel));
      await s.open(uri, lang, read(rel));
      assert.deepEqual(await s.diagnostics(uri), [], rel);
    }
  });

  it('checks mapping files, quant descriptions and serve scripts against the checkpoint index beside them', async () => {
    const get = async (rel: string, lang: string) => {
      const uri = uriOf(path.join(fixtures, rel));
      await s.open(uri, lang, read(rel));
      return s.diagnostics(uri);
    };
    const mapping = await get('hunyuan/hunyuan_moe_mapping.py', 'python');
    assert.deepEqual(codes(mapping), ['weight-mapping']);
    assert.ok(mapping.some((x) => /experts\.0\.gate_proj/.test(x.message) && x.severity === 1), 'unmapped expert weights from model.safetensors.index.json');
    assert.ok(mapping.some((x) => /must be 0 \(gate\) or 1 \(up\); got 2/.test(x.message)));
    const quant = await get('hunyuan/quant_model_description.json', 'json');
    assert.deepEqual(codes(quant), ['quant-description']);
    assert.ok(quant.some((x) => /W4A61/.test(x.message) && x.severity === 1));
    assert.ok(quant.some((x) => /model_quant_type is "W8A8"/.test(x.message)));
    assert.ok(quant.some((x) => /lm_head\.weight" names no tensor/.test(x.message)));
    const sh = await get('hunyuan/run_hunyuan_adaptation.sh', 'shellscript');
    assert.deepEqual(codes(sh), ['serve-args']);
    for (const re of [/--quantization gptq/, /HCCL_OP_EXPANSION_MODE=AIV/, /--enforce-eager/, /ASCEND_RT_VISIBLE_DEVICES/]) assert.ok(sh.some((x) => re.test(x.message)), String(re));
    const md = await get('hunyuan/README.md', 'markdown');
    assert.equal(md.length, 1, JSON.stringify(md));
    assert.match(md[0].message, /FLASH_ATTN/);
  });

  it('follows incremental edits', async () => {
    const file = path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py');
    const uri = uriOf(file) + '?edit';
    let text = read('hunyuan/patch_hunyuan_moe.py');
    await s.open(uri, 'python', text);
    const before = await s.diagnostics(uri);
    const line = lineOf(text, 'def norm(');
    const insert = '    def extra(self):\n        torch.cuda.empty_cache()\n\n';
    await s.change(uri, 2, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: insert }]);
    text = applyEdits(text, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: insert }]);
    const after1 = await s.diagnostics(uri);
    assert.equal(after1.length, before.length + 1);
    assert.match(onLine(after1, line + 1)[0].message, /torch\.npu\.empty_cache/);
    // findings below the edit moved down by the inserted lines
    const sync = lineOf(text, 'torch.cuda.synchronize()');
    assert.equal(onLine(after1, sync).length, 1);
    // one-character edit inside a string: "cuda" → "npu" removes that finding
    const dev = lineOf(text, 'torch.device("cuda:0")');
    const col = text.split('\n')[dev].indexOf('cuda:0');
    await s.change(uri, 3, [{ range: { start: { line: dev, character: col }, end: { line: dev, character: col + 4 } }, text: 'npu' }]);
    const after2 = await s.diagnostics(uri);
    assert.equal(after2.length, after1.length - 1);
    // break the syntax (unclosed bracket), then repair it: diagnostics keep coming
    await s.change(uri, 4, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x = (\n' }]);
    assert.ok(Array.isArray(await s.diagnostics(uri)));
    await s.change(uri, 5, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
    assert.equal((await s.diagnostics(uri)).length, after2.length);
    // full-text replacement
    await s.change(uri, 6, [{ text: 'import torch\ntorch.cuda.synchronize()\n' }]);
    const full = await s.diagnostics(uri);
    assert.equal(full.length, 1);
    assert.equal(full[0].range.start.line, 1);
  });

  it('re-checks a mapping file when the checkpoint index beside it is edited in the editor', async () => {
    const mapUri = uriOf(path.join(fixtures, 'hunyuan/hunyuan_moe_mapping.py'));
    await s.open(mapUri, 'python', read('hunyuan/hunyuan_moe_mapping.py'));
    const unmapped = (d: Diagnostic[]) => d.find((x) => /not mapped onto a model parameter/.test(x.message));
    assert.ok(unmapped(await s.diagnostics(mapUri)));
    const idxUri = uriOf(path.join(fixtures, 'hunyuan/model.safetensors.index.json'));
    const idx = JSON.parse(read('hunyuan/model.safetensors.index.json')) as { weight_map: Record<string, string> };
    for (const k of Object.keys(idx.weight_map)) if (k.includes('.experts.')) delete idx.weight_map[k];
    await s.open(idxUri, 'json', JSON.stringify(idx));
    assert.equal(unmapped(await s.diagnostics(mapUri)), undefined, 'the open (unsaved) index wins over the file on disk');
  });

  it('hovers on flagged calls and on torch_npu ops', async () => {
    const patch = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'));
    const text = read('hunyuan/patch_hunyuan_moe.py');
    const l = lineOf(text, 'torch.cuda.synchronize()');
    const h = await s.hover(patch, l, text.split('\n')[l].indexOf('synchronize') + 2);
    assert.ok(h && typeof h.contents === 'object' && 'value' in h.contents);
    assert.match((h!.contents as { value: string }).value, /torch\.npu\.synchronize[\s\S]*Source/);
    const native = uriOf(path.join(fixtures, 'npu_native/ascend_ops.py'));
    const ntext = read('npu_native/ascend_ops.py');
    const nl = lineOf(ntext, 'torch_npu.npu_rms_norm(');
    const nh = await s.hover(native, nl, ntext.split('\n')[nl].indexOf('npu_rms_norm') + 3);
    // the signature of the torch_npu release checked against, with its op-plugin source line, then the documented constraints
    assert.match((nh!.contents as { value: string }).value, /npu_rms_norm\(Tensor self, Tensor gamma, float epsilon=1e-06\)[\s\S]*torch_npu 2\.10\.0\.post4[\s\S]*op_plugin_functions\.yaml#L\d+[\s\S]*fp16 \/ bf16 \/ fp32/);
    assert.equal(await s.hover(native, 0, 2), null, 'comment');
  });

  it('offers quick fixes that produce NPU code', async () => {
    const text = read('hunyuan/patch_hunyuan_moe.py');
    const uri = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'));
    const d = await s.diagnostics(uri);
    const fixFor = async (needle: string, title: RegExp) => {
      const diag = onLine(d, lineOf(text, needle))[0];
      const actions = await s.codeActions(uri, diag.range, [diag]);
      const a = actions.find((x) => title.test(x.title));
      assert.ok(a, `${needle}: ${actions.map((x) => x.title).join(' | ')}`);
      assert.deepEqual(a!.diagnostics?.[0].code, diag.code);
      return applyEdits(text, a!.edit!.changes![uri]);
    };
    assert.match(await fixFor('nn.Linear(hidden_size', /Replace `cuda` with `npu`/), /bias=False\)\.npu\(\)/);
    assert.match(await fixFor('torch.cuda.set_device(rank)', /Replace/), /torch\.npu\.set_device\(rank\)/);
    assert.match(await fixFor('torch.device("cuda:0")', /Replace/), /torch\.device\("npu:0"\)/);
    assert.match(await fixFor('backend="nccl"', /Replace/), /backend="hccl"/);
    const withImport = await fixFor('torch.cuda.synchronize()', /import torch_npu/);
    assert.match(withImport, /^import torch_npu$/m);
    assert.ok(withImport.indexOf('import torch_npu') > withImport.indexOf('from flash_attn import'), 'inserted after the top-level imports');

    // all replacements at once, plus the import: the result has no cuda-api findings left
    const first = onLine(d, lineOf(text, 'torch.cuda.synchronize()'))[0];
    const bulk = (await s.codeActions(uri, first.range, [first])).find((x) => /Apply all \d+ NPU replacements/.test(x.title))!;
    const fixedPy = applyEdits(text, bulk.edit!.changes![uri]);
    await s.open(uri + '?all', 'python', fixedPy);
    const left = await s.diagnostics(uri + '?all');
    assert.deepEqual(left.filter((x) => x.code === 'cuda-api' && x.severity === 1), [], fixedPy);
    assert.match(fixedPy, /^import torch_npu$/m);

    const shUri = uriOf(path.join(fixtures, 'hunyuan/run_hunyuan_adaptation.sh'));
    const sd = await s.diagnostics(shUri);
    const q = sd.find((x) => /--quantization gptq/.test(x.message))!;
    assert.match(q.message, /ModelSlim/);
    // Rewriting the flag to `ascend` would clear the error while the folder still holds GPTQ weights: the
    // server offers no text fix; the editor offers the msModelSlim conversion (a command) instead.
    const qa = await s.codeActions(shUri, q.range, [q]);
    assert.ok(!qa.some((a) => JSON.stringify(a.edit ?? {}).includes('--quantization ascend')), JSON.stringify(qa));
  });

  it('completes torch_npu keyword arguments, also in an unfinished call', async () => {
    const uri = 'untitled:complete.py';
    const text = 'import torch\nimport torch_npu\n\ny = torch_npu.npu_rotary_mul(x, r1, r2, ';
    await s.open(uri, 'python', text);
    const items = await s.complete(uri, 3, text.split('\n')[3].length);
    assert.ok(items.some((i) => i.label === 'rotary_mode=' && /half/.test(String(i.detail))), JSON.stringify(items.map((i) => i.label)));
    const used = 'import torch_npu as tnpu\nout = tnpu.npu_rms_norm(x, gamma, epsilon=1e-5, ';
    await s.open('untitled:c2.py', 'python', used);
    const labels = (await s.complete('untitled:c2.py', 1, used.split('\n')[1].length)).map((i) => i.label);
    assert.ok(labels.includes('gamma=') && !labels.includes('epsilon='), labels.join());
    assert.deepEqual(await s.complete('untitled:c2.py', 0, 3), []);
    const dot = 'import torch_npu\ntorch_npu.npu_moe_';
    await s.open('untitled:c3.py', 'python', dot);
    const ops = (await s.complete('untitled:c3.py', 1, dot.split('\n')[1].length)).map((i) => i.label);
    assert.ok(ops.includes('npu_moe_gating_top_k_softmax') && ops.includes('npu_moe_init_routing_v2') && !ops.includes('npu_rms_norm'), ops.join());
  });

  it('checks literal arguments of torch_npu ops against documented constraints', async () => {
    const text = [
      'import torch_npu',
      'a = torch_npu.npu_rotary_mul(x, c, s, rotary_mode="interleaved")',
      'b = torch_npu.npu_mrope(p, q, k, cache, 128, rotary_mode="interleave")',
      'c = torch_npu.npu_fused_infer_attention_score(q, k, v, num_heads=40, num_key_value_heads=6, input_layout="BHSD")',
      'd = torch_npu.npu_moe_gating_top_k_softmax(logits, None, k=0)',
      'e = torch_npu.npu_rms_norm(x, w, eps=1e-6)',
      'f = torch_npu.npu_fused_infer_attention_score(q, k, v, num_heads=40, num_key_value_heads=8, input_layout="TND")',
      '',
    ].join('\n');
    await s.open('untitled:ops.py', 'python', text);
    const d = await s.diagnostics('untitled:ops.py');
    assert.ok(d.every((x) => x.code === 'npu-op-constraint'));
    assert.deepEqual(d.map((x) => x.range.start.line).sort(), [1, 2, 3, 3, 4, 5]);
    assert.match(onLine(d, 1)[0].message, /"half", "interleave"/);
    assert.match(onLine(d, 2)[0].message, /"half", "interleaved"/);
    const fix = await s.codeActions('untitled:ops.py', onLine(d, 2)[0].range, [onLine(d, 2)[0]]);
    assert.match(applyEdits(text, fix[0].edit!.changes!['untitled:ops.py']), /rotary_mode="interleaved"\)/);
  });

  it('runs "check current file" on demand and pulls settings from the client', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsp-check-'));
    const file = path.join(dir, 'helper.py');
    const text = 'def move(x):\n    return x.cuda()\n';
    fs.writeFileSync(file, text);
    const uri = uriOf(file);
    await s.open(uri, 'python', text);
    assert.deepEqual(await s.diagnostics(uri), [], 'no torch import: not analysed by default');
    const r = (await s.execute(CHECK_FILE_COMMAND, [uri])) as { errors: number; diagnostics: Diagnostic[] };
    assert.equal(r.errors, 1);
    assert.equal((await s.diagnostics(uri)).length, 1, 'forced from now on');
    const closed = path.join(dir, 'closed.py');
    fs.writeFileSync(closed, 'import torch\ntorch.cuda.synchronize()\n');
    const rc = (await s.execute(CHECK_FILE_COMMAND, [uriOf(closed)])) as { errors: number };
    assert.equal(rc.errors, 1, 'a file not open in the editor is read from disk');

    const patch = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'));
    assert.ok((await s.diagnostics(patch)).length > 0);
    s.settings = { exclude: ['**/patch_*.py'] };
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(await s.diagnostics(patch), []);
    s.settings = { enable: false };
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(await s.diagnostics(uriOf(path.join(fixtures, 'hunyuan/run_hunyuan_adaptation.sh'))), []);
    s.settings = { exclude: ['hunyuan/*.sh'] };
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(await s.diagnostics(uriOf(path.join(fixtures, 'hunyuan/run_hunyuan_adaptation.sh'))), [], 'globs relative to the workspace folder');
    s.settings = { include: ['**/helper.py'], chip: 42 };
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.ok((await s.diagnostics(patch)).length > 0, 'a bad setting falls back to the default, the rest still applies');
    s.settings = {};
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('language server in Chinese', () => {
  it('answers in 简体中文 when the client locale is zh-cn', async () => {
    const s = await startServer({ locale: 'zh-cn' });
    try {
      const uri = uriOf(path.join(fixtures, 'hunyuan/run_hunyuan_adaptation.sh'));
      await s.open(uri, 'shellscript', read('hunyuan/run_hunyuan_adaptation.sh'));
      const d = await s.diagnostics(uri);
      assert.ok(d.length >= 4);
      for (const x of d) assert.match(x.message, /[\u4e00-\u9fff]/, x.message);
      const text = read('hunyuan/patch_hunyuan_moe.py');
      const puri = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'));
      await s.open(puri, 'python', text);
      const pd = await s.diagnostics(puri);
      for (const x of pd) assert.match(x.message, /[\u4e00-\u9fff]/, x.message);
      const l = lineOf(text, 'torch.cuda.synchronize()');
      const actions = await s.codeActions(puri, onLine(pd, l)[0].range, [onLine(pd, l)[0]]);
      assert.ok(actions.every((a) => /[\u4e00-\u9fff]/.test(a.title)), actions.map((a) => a.title).join());
    } finally {
      await s.stop();
    }
  });
});
