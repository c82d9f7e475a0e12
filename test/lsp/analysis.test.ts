// The pure analysis core: import / alias resolution, strings and comments, chunked incremental documents
// against a fresh parse, quant descriptions, mappings, serve command lines, knowledge tables, schema.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeText, analyzeWorkspaceFiles, DEFAULT_LINT_SETTINGS, type Finding, parseLintSettings, PythonDocument, summarizeFindings } from '../../src/core/analysis/index';
import { quantDescriptionJsonSchema } from '../../src/core/analysis/quantschema';
import { analyzeMarkdown, analyzeShell } from '../../src/core/analysis/serve';
import { pythonParser } from '../../src/core/analysis/treesitter';
import { CUDA_KERNELS, CUDA_LIBRARIES, TORCH_NPU_MEMBERS } from '../../src/core/knowledge/cuda';
import { QUANT_METHODS, QUANT_TYPES } from '../../src/core/knowledge/quant';
import { TORCH_NPU_OPS } from '../../src/core/knowledge/torch-npu-ops';
import { overloadsOf, parseSchema, pickRelease, signatureReleases } from '../../src/core/knowledge/torch-npu-signatures';
import { repoRoot, fixtures } from './client';

const py = (text: string) => analyzeText('/x/t.py', text);
const brief = (fs: Finding[]) => fs.map((f) => `${f.range.start.line}:${f.range.start.character} ${f.code}`);

describe('python rules resolve what the code calls', () => {
  it('follows import aliases', async () => {
    const text = [
      'import torch as t',
      'from torch.cuda import synchronize as sync',
      'from vllm._custom_ops import rms_norm',
      'import vllm._custom_ops as kops',
      't.cuda.synchronize()',
      'sync()',
      'rms_norm(out, x, w, 1e-6)',
      'kops.silu_and_mul(out, x)',
      '',
    ].join('\n');
    const f = await py(text);
    assert.deepEqual(brief(f), ['4:0 cuda-api', '5:0 cuda-api', '6:0 cuda-kernel', '7:0 cuda-kernel']);
    assert.equal(f[0].fixes[0].edits[0].newText, 't.npu.synchronize');
    assert.equal(f[1].fixes[0].edits[0].newText, 't.npu.synchronize');
    assert.match(f[3].message, /npu_swiglu/);
  });

  it('ignores strings, comments, unrelated .cuda attributes and non-torch receivers', async () => {
    const text = [
      'import torch',
      'import mylib.gpu',
      'from mylib import backend as mb',
      '# torch.cuda.synchronize()',
      's = "torch.cuda.synchronize() and x.cuda()"',
      'flag = config.cuda',
      'k = mylib.cuda()',
      'mb.cuda()',
      'print("cuda")',
      'ok = x.device.type == "cuda"',
      'def f(cuda=True): return cuda',
      'x.is_cuda',
      'torch.version.cuda',
      '',
    ].join('\n');
    assert.deepEqual(brief(await py(text)), []);
    // numba.cuda itself is a CUDA-only library: flagged where imported, not where used
    assert.deepEqual(brief(await py('import torch\nfrom numba import cuda\ncuda.jit(f)\n')), ['1:18 cuda-library']);
  });

  it('does not analyse files that import none of torch / vllm / vllm_ascend / torch_npu, unless asked', async () => {
    const text = 'def f(x):\n    return x.cuda()\n';
    assert.deepEqual(await py(text), []);
    assert.equal((await analyzeText('/x/t.py', text, { force: true })).length, 1);
    assert.equal((await analyzeText('/x/t.py', text, { settings: { ...DEFAULT_LINT_SETTINGS, include: ['*.py'] } })).length, 1);
    assert.deepEqual(await analyzeText('/x/node_modules/t.py', 'import torch\nx.cuda()\n'), []);
  });

  it('downgrades to information when torch_npu.contrib.transfer_to_npu is imported', async () => {
    const f = await py('import torch\nfrom torch_npu.contrib import transfer_to_npu\ntorch.cuda.synchronize()\n');
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, 'information');
    assert.deepEqual(f[0].fixes.map((x) => x.title), ['Replace `torch.cuda.synchronize` with `torch.npu.synchronize`']);
  });

  it('treats `torch.cuda.X = torch.npu.X` as an NPU redirect: neither it nor later uses of X are CUDA calls', async () => {
    const f = await py('import torch\nimport torch_npu\ntorch.cuda.Event = torch.npu.Event\ntorch.cuda.Event()\ntorch.cuda.Stream()\n');
    assert.deepEqual(brief(f), ['4:0 cuda-api']);
  });

  it('keeps triton quiet in NPU-native files and warns elsewhere', async () => {
    assert.deepEqual(await py('import torch\nimport torch_npu\nimport triton\n'), []);
    const f = await py('import torch\nimport triton\n');
    assert.equal(f[0].code, 'cuda-library');
    assert.equal(f[0].severity, 'warning');
  });
});

describe('chunked incremental documents', () => {
  it('give the same findings as a fresh parse after random edits', async () => {
    const parser = await pythonParser();
    const base = fs.readFileSync(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'), 'utf8') + fs.readFileSync(path.join(fixtures, 'npu_native/ascend_ops.py'), 'utf8');
    const snippets = ['    torch.cuda.empty_cache()\n', 'x = (\n', '"""\n', 'def g():\n    return y.cuda()\n', '\n', 'import torch_npu\n', ')', 'class A:\n', '    pass\n', '# c\n', 'torch.ops._C.silu_and_mul(a, b)\n', ' + \\\n', '@decorator\n', 'else:\n', '    ', 'from torch import cuda as c\nc.synchronize()\n',
      // what the document-level context is made of: redirects, CustomOp classes, platform guards
      'torch.cuda.synchronize = torch.npu.synchronize\n', '@CustomOp.register("n")\nclass N(CustomOp):\n    def forward_cuda(self):\n        torch.cuda.synchronize()\n',
      'if current_platform.is_cuda():\n    torch.cuda.empty_cache()\n', 'from vllm.model_executor.custom_op import CustomOp\n'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const doc = PythonDocument.create(parser, base, true);
    let text = base;
    const norm = (f: Finding[]) => f.map((x) => `${x.range.start.line}:${x.range.start.character}-${x.range.end.line}:${x.range.end.character} ${x.code} ${x.message}`).sort();
    for (let step = 0; step < 200; step++) {
      const lines = text.split('\n');
      const line = rnd(lines.length);
      const ch = rnd(lines[line].length + 1);
      const removeLines = rnd(4) === 0 ? rnd(3) : 0;
      const endLine = Math.min(lines.length - 1, line + removeLines);
      const endCh = endLine === line ? Math.min(lines[line].length, ch + rnd(5)) : rnd(lines[endLine].length + 1);
      const insert = rnd(3) === 0 ? '' : snippets[rnd(snippets.length)];
      const off = (l: number, c: number) => lines.slice(0, l).reduce((a, s) => a + s.length + 1, 0) + c;
      const so = off(line, ch);
      const eo = Math.max(so, off(endLine, endCh));
      const range = { start: { line, character: ch }, end: eo === so ? { line, character: ch } : { line: endLine, character: endCh } };
      doc.applyChange({ range, text: insert });
      text = text.slice(0, so) + insert + text.slice(eo);
      assert.equal(doc.text, text);
      const fresh = PythonDocument.create(parser, text, false);
      assert.deepEqual(norm(doc.findings(doc.context())), norm(fresh.findings(fresh.context())), `step ${step}`);
      fresh.dispose();
    }
    assert.ok(doc.stats.incremental > 30, JSON.stringify(doc.stats));
    doc.dispose();
  });
});

describe('quant descriptions', () => {
  it('reports bad JSON, wrong shapes and unknown types without throwing', async () => {
    const q = (t: string) => analyzeText('/m/quant_model_description.json', t);
    assert.match((await q('{"a": "W8A8",'))[0].message, /Not valid JSON/);
    assert.match((await q('[1,2]'))[0].message, /flat JSON object/);
    assert.deepEqual(await q(''), [(await q(''))[0]]);
    const f = await q('{"model_quant_type": 3, "x.weight": 5, "y.weight": "W9A9", "group_size": "abc"}');
    assert.equal(f.filter((x) => x.severity === 'error').length, 4);
  });

  it('matches the real msModelSlim example from the vllm-ascend design doc', async () => {
    const sample = path.resolve(repoRoot, '..', 'shared', 'samples', 'quant_model_description_01_vllm_ascend_design_doc.json.txt');
    if (!fs.existsSync(sample)) return;
    const json = fs.readFileSync(sample, 'utf8').split('\n').slice(1).join('\n');
    const f = await analyzeText('/m/quant_model_description.json', json);
    // the excerpt has no model_quant_type and omits some companions; every tensor type is known
    assert.ok(f.every((x) => x.severity !== 'error'), JSON.stringify(f.map((x) => x.message)));
    assert.ok(f.some((x) => /model_quant_type" is missing/.test(x.message)));
  });
});

describe('serve command lines', () => {
  it('parses continuations, quotes, env prefixes and equals-style flags', () => {
    const f = analyzeShell('HCCL_OP_EXPANSION_MODE=AIV vllm serve m --tensor-parallel-size=4\nvllm serve "/models/Qwen AWQ" --tp 2 --quantization=awq # trailing\n');
    assert.deepEqual(f.map((x) => `${x.range.start.line} ${x.severity}`), ['1 error', '1 warning']);
    assert.match(f[0].message, /--quantization awq/);
    assert.deepEqual(analyzeShell('echo "vllm serve m --quantization gptq"\n# vllm serve m --quantization gptq\n'), []);
  });

  it('uses the chip setting for bf16 and reads console blocks in Markdown', () => {
    const f = analyzeShell('vllm serve m --dtype bfloat16\n', { chip: '310P3', longContextThreshold: 8192 });
    assert.match(f[0].message, /310P3 chip has no bfloat16/);
    assert.deepEqual(analyzeShell('vllm serve m --dtype bfloat16\n', { chip: '910B3', longContextThreshold: 8192 }), []);
    const md = analyzeMarkdown('Text\n\n```console\n$ vllm serve m --device cuda\n```\n');
    assert.equal(md[0].range.start.line, 3);
    assert.equal(md[0].range.start.character, 2 + 'vllm serve m '.length);
  });
});

describe('mapping files', () => {
  it('accepts a complete mapping and reports unmapped checkpoint weights', async () => {
    const found = await analyzeWorkspaceFiles([path.join(fixtures, 'npu_native/hunyuan_mapping.py'), path.join(fixtures, 'hunyuan/hunyuan_moe_mapping.py')]);
    assert.ok(found.every((f) => f.file.endsWith('hunyuan_moe_mapping.py')));
    const unmapped = found.find((f) => /not mapped onto a model parameter/.test(f.message));
    assert.match(unmapped!.message, /^3 checkpoint weight/);
    const sum = summarizeFindings(found);
    assert.deepEqual(Object.keys(sum.byCode), ['weight-mapping']);
    assert.equal(sum.errors + sum.warnings + sum.information + sum.hints, found.length);
  });
});

describe('knowledge tables and settings', () => {
  it('cite a source for every row', () => {
    for (const row of [...TORCH_NPU_OPS, ...CUDA_KERNELS, ...CUDA_LIBRARIES, ...TORCH_NPU_MEMBERS, ...QUANT_METHODS, ...QUANT_TYPES]) {
      assert.ok(row.source.length > 5);
      assert.match(row.href, /^https:\/\//);
    }
    assert.ok(TORCH_NPU_OPS.length >= 15);
  });

  it('ships a JSON schema generated from the quant knowledge', () => {
    const file = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas', 'quant_model_description.schema.json'), 'utf8'));
    assert.deepEqual(file, quantDescriptionJsonSchema(), 'regenerate schemas/quant_model_description.schema.json from quantDescriptionJsonSchema()');
  });

  it('validates settings and keeps the good fields of a bad object', () => {
    const r = parseLintSettings({ enable: 'yes', include: ['**/*.py'] });
    assert.equal(r.settings.enable, true);
    assert.deepEqual(r.settings.include, ['**/*.py']);
    assert.match(r.problems[0], /ascendAdapt\.lint\.enable/);
    assert.deepEqual(parseLintSettings(null).settings, DEFAULT_LINT_SETTINGS);
  });
});

describe('torch_npu signatures per release', () => {
  it('cite, for every op row and release, the file and line it was read from; releases name their commits', () => {
    const data = JSON.parse(fs.readFileSync(path.join(repoRoot, 'src/core/knowledge/data/torch-npu-signatures.json'), 'utf8')) as {
      releases: { torchNpu: string; pytorch: { commit: string; tag: string }; opPlugin: { commit: string } }[];
      ops: { schema: string; in: Record<string, string> }[];
    };
    const versions = data.releases.map((r) => r.torchNpu);
    assert.ok(versions.includes('2.10.0.post4') && versions.includes('2.10.0.post2'), 'the release vllm-ascend pins and the one before');
    for (const r of data.releases) assert.match(r.opPlugin.commit + r.pytorch.commit, /^[0-9a-f]{80}$/);
    for (const op of data.ops) {
      assert.ok(Object.keys(op.in).length > 0, op.schema);
      for (const [v, where] of Object.entries(op.in)) {
        assert.ok(versions.includes(v), `${op.schema}: ${v}`);
        assert.match(where, /^(OP|PT):[\w/.-]+\.(yaml|cpp):\d+$/);
      }
    }
  });

  it('know the keywords vllm-ascend passes on its pinned release, and where each belongs', () => {
    const post4 = pickRelease('2.10.0.post4').release;
    const has = (op: string, kw: string, rel = post4) => overloadsOf(rel, op).some((s) => s.params.some((p) => p.name === kw));
    assert.ok(has('npu_mrope', 'cache_mode'));
    assert.ok(has('npu_moe_init_routing_v2', 'x_dtype'));
    assert.ok(has('npu_grouped_matmul', 'x_dtype'));
    assert.ok(has('npu_format_cast', 'customize_dtype') && has('npu_format_cast', 'input_dtype'));
    assert.ok(!has('npu_grouped_matmul', 'customize_dtype'), 'customize_dtype belongs to npu_format_cast');
    const fia = overloadsOf(post4, 'npu_fused_infer_attention_score');
    assert.ok(fia.find((s) => s.overload === 'out')!.params.some((p) => p.name === 'workspace'));
    assert.ok(!fia.find((s) => s.overload === '')!.params.some((p) => p.name === 'workspace'), 'workspace= only on .out');
    assert.ok(has('_npu_paged_attention', 'workspace'), 'ATB ops (m.def in op_plugin/ops/atb)');
    const v29 = pickRelease('2.9.0').release;
    assert.ok(!has('npu_mrope', 'cache_mode', v29) && !has('npu_format_cast', 'input_dtype', v29));
  });

  it('pick the host release, else the nearest older one of the same torch, else the newest', () => {
    assert.deepEqual([pickRelease('2.10.0.post4').how, pickRelease('2.10.0.post4').release.torchNpu], ['exact', '2.10.0.post4']);
    assert.deepEqual([pickRelease('2.10.0.post3').how, pickRelease('2.10.0.post3').release.torchNpu], ['nearest', '2.10.0.post2']);
    assert.equal(pickRelease('2.9.0.post1+git4c901a4').release.torchNpu, '2.9.0');
    assert.deepEqual([pickRelease('3.0.0').how, pickRelease('').how, pickRelease('not a version').how], ['newest', 'newest', 'newest']);
    assert.equal(pickRelease().release.torchNpu, signatureReleases()[0].torchNpu);
  });

  it('parse op-plugin schemas: keyword-only marker, defaults with brackets and quotes', () => {
    const p = parseSchema('npu_x.out(Tensor a, int[2] r=[], *, str m="a,b", Tensor(a!) out) -> Tensor(a!)');
    assert.equal(p.name, 'npu_x');
    assert.equal(p.overload, 'out');
    assert.deepEqual(p.params.map((x) => `${x.name}:${x.keywordOnly}:${x.default ?? ''}`), ['a:false:', 'r:false:[]', 'm:true:"a,b"', 'out:true:']);
  });
});
