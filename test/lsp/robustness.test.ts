// Bad input never crashes the real server: broken Python, a 50,000-line file, binary and non-UTF-8 text,
// empty files, JSON that is not JSON, and random truncations / edits of every fixture.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtures, startServer, uriOf, type Session } from './client';

const FIXTURES: [string, string][] = [
  ['hunyuan/patch_hunyuan_moe.py', 'python'],
  ['hunyuan/hunyuan_moe_mapping.py', 'python'],
  ['hunyuan/quant_model_description.json', 'json'],
  ['hunyuan/run_hunyuan_adaptation.sh', 'shellscript'],
  ['hunyuan/README.md', 'markdown'],
  ['npu_native/ascend_ops.py', 'python'],
  ['npu_native/hunyuan_mapping.py', 'python'],
  ['npu_native/quant_model_description.json', 'json'],
  ['npu_native/serve_npu.sh', 'shellscript'],
];

let seed = 12345;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % Math.max(1, n);
}

describe('language server robustness', () => {
  let s: Session;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.stop();
  });

  const alive = async () => {
    assert.equal(s.proc.exitCode, null, `server exited: ${s.logs.join('')}`);
    const uri = uriOf(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py')) + '?alive';
    await s.open(uri, 'python', 'import torch\ntorch.cuda.synchronize()\n');
    assert.equal((await s.diagnostics(uri)).length, 1);
  };

  it('survives random truncations, edits and requests on every fixture', async () => {
    let n = 0;
    for (const [rel, lang] of FIXTURES) {
      const full = fs.readFileSync(path.join(fixtures, rel), 'utf8');
      for (let k = 0; k < 12; k++) {
        const cut = full.slice(0, rnd(full.length + 1));
        const uri = uriOf(path.join(fixtures, rel)) + `?trunc${k}`;
        await s.open(uri, lang, cut);
        const d = await s.diagnostics(uri);
        assert.ok(Array.isArray(d));
        // a few random edits at random places, including ones that leave half a token
        let text = cut;
        for (let e = 0; e < 4; e++) {
          const lines = text.split('\n');
          const line = rnd(lines.length);
          const ch = rnd(lines[line].length + 1);
          const ins = ['(', '"""', ')', '\n    ', 'torch.cuda.', '{', '"', '\\\n', ''][rnd(9)];
          await s.change(uri, e + 2, [{ range: { start: { line, character: ch }, end: { line, character: ch } }, text: ins }]);
          lines[line] = lines[line].slice(0, ch) + ins + lines[line].slice(ch);
          text = lines.join('\n');
        }
        await s.diagnostics(uri);
        const lines = text.split('\n');
        const hl = rnd(lines.length);
        await s.hover(uri, hl, rnd(lines[hl].length + 1));
        await s.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } }, []);
        await s.complete(uri, hl, rnd(lines[hl].length + 1));
        n++;
      }
    }
    assert.equal(n, FIXTURES.length * 12);
    await alive();
  });

  it('handles a 50,000-line Python file', async () => {
    const unit = fs.readFileSync(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'), 'utf8').split('\n').slice(16).join('\n');
    const parts = ['import torch\nfrom vllm import _custom_ops as ops\n'];
    let lines = 2;
    while (lines < 50_000) {
      parts.push(unit);
      lines += unit.split('\n').length - 1;
    }
    const text = parts.join('');
    const uri = 'untitled:big.py';
    await s.open(uri, 'python', text);
    const d = await s.diagnostics(uri);
    assert.ok(d.length > 1000, String(d.length));
    const mid = Math.floor(text.split('\n').length / 2);
    await s.change(uri, 2, [{ range: { start: { line: mid, character: 0 }, end: { line: mid, character: 0 } }, text: 'torch.cuda.empty_cache()\n' }]);
    const d2 = await s.diagnostics(uri);
    assert.equal(d2.filter((x) => x.range.start.line === mid).length, 1);
    await alive();
  });

  it('stays silent on binary, non-UTF-8 and empty documents', async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, () => rnd(256)));
    const binary = bytes.toString('latin1');
    const lossy = new TextDecoder('utf-8').decode(Buffer.concat([Buffer.from('import torch\nx = "'), Buffer.from(Array.from({ length: 300 }, () => 0x80 + rnd(128))), Buffer.from('"\ntorch.cuda.synchronize()\n')]));
    const surrogate = 'import torch\ns = "\ud800\udfff\ud800"\ntorch.cuda.synchronize()\n';
    for (const [name, lang, text] of [
      ['bin.py', 'python', binary],
      ['bin.sh', 'shellscript', binary],
      ['quant_model_description.bin.json', 'json', binary],
      ['lossy.py', 'python', lossy],
      ['surrogate.py', 'python', surrogate],
      ['empty.py', 'python', ''],
      ['empty.sh', 'shellscript', ''],
      ['empty.md', 'markdown', ''],
      ['quant_model_description_empty.json', 'json', ''],
      ['quant_model_description_bad.json', 'json', '{"model_quant_type": "W8A8", "a.weight": '],
      ['quant_model_description_list.json', 'json', '[{"a": 1}]'],
      ['quant_model_description_nul.json', 'json', '{"a\u0000": "W8A8"}'],
    ] as const) {
      const uri = `untitled:${name}`;
      await s.open(uri, lang, text);
      const d = await s.diagnostics(uri);
      if (name.startsWith('bin')) assert.deepEqual(d, [], name);
      if (name === 'lossy.py' || name === 'surrogate.py') assert.ok(d.some((x) => x.code === 'cuda-api'), name);
      if (name === 'quant_model_description_bad.json') assert.match(d[0].message, /Not valid JSON/);
      if (name.startsWith('empty')) assert.deepEqual(d, [], name);
    }
    await alive();
  });

  it('ignores requests for documents it never saw and malformed edits', async () => {
    assert.deepEqual(await s.diagnostics('file:///nowhere/x.py'), []);
    assert.equal(await s.hover('file:///nowhere/x.py', 0, 0), null);
    const uri = 'untitled:edits.py';
    await s.open(uri, 'python', 'import torch\n');
    // a range far past the end of the document
    await s.change(uri, 2, [{ range: { start: { line: 500, character: 9 }, end: { line: 900, character: 0 } }, text: 'torch.cuda.synchronize()\n' }]);
    assert.ok(Array.isArray(await s.diagnostics(uri)));
    await alive();
  });
});
