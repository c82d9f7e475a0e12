// The quant_model_description.json check on real folders (tiny safetensors written by the helpers): what
// vLLM-Ascend does at load time — file name, schemes per layer type, fused shards, coverage, tensors, dtypes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeWorkspaceFiles } from '../../src/core/analysis/index';
import { inspectQuantDescription, quantDescriptionContext } from '../../src/core/analysis/quantdesc';
import type { Finding } from '../../src/core/analysis/types';
import { parseHeaderJson, readSafetensorsHeader, SafetensorsError } from '../../src/core/quantize/safetensors';
import { TINY_MOE, writeQuantizedModel, writeSafetensors } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qdesc-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const folder = () => path.join(tmp, `m${n++}`);

function check(dir: string, name = 'quant_model_description.json', chip?: string) {
  const file = path.join(dir, name);
  return inspectQuantDescription(fs.readFileSync(file, 'utf8'), quantDescriptionContext(file, undefined, chip));
}
const errors = (f: Finding[]) => f.filter((x) => x.severity === 'error');

function applyEdits(text: string, fix: Finding['fixes'][number]): string {
  const lines = text.split('\n');
  const off = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => off(b.range.start) - off(a.range.start))) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}

describe('quant description check', () => {
  it('passes what msModelSlim writes for w8a8 on a MoE model, and counts its coverage', () => {
    const dir = folder();
    writeQuantizedModel(dir);
    const { findings, summary } = check(dir);
    assert.deepEqual(findings.map((x) => x.message), []);
    // 2 layers × (4 attention + gate + 4 experts × 3) + embed + lm_head
    assert.equal(summary!.covered, 2 * (4 + 1 + 12) + 2);
    assert.deepEqual(summary!.missing, []);
    assert.equal(summary!.modelQuantType, 'W8A8');
  });

  it('an msModelSlim --mindie_format name is an error with a rename fix; beside the exact name it is only noted', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, { descName: 'quant_model_description_w8a8.json' });
    const f = check(dir, 'quant_model_description_w8a8.json').findings;
    const e = errors(f);
    assert.equal(e.length, 1);
    assert.match(e[0].message, /reads exactly quant_model_description\.json/);
    assert.equal(e[0].fixes[0].renameTo, 'quant_model_description.json');
    fs.copyFileSync(path.join(dir, 'quant_model_description_w8a8.json'), path.join(dir, 'quant_model_description.json'));
    const again = check(dir, 'quant_model_description_w8a8.json').findings;
    assert.deepEqual(again.map((x) => x.severity), ['information']);
  });

  it('W4A16 on a dense linear layer is an error; on MoE experts it is registered', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, {
      mutate: (d) => {
        for (const k of Object.keys(d)) if (/experts\.\d+\..*\.weight$/.test(k)) d[k] = 'W4A16';
        d['model.layers.0.self_attn.o_proj.weight'] = 'W4A16';
      },
    });
    const e = errors(check(dir).findings);
    assert.equal(e.length, 1, e.map((x) => x.message).join('\n'));
    assert.match(e[0].message, /"W4A16" on a dense linear layer.*MoE experts/);
  });

  it('shards of one fused layer must share a type (q/k/v, gate/up, experts)', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, {
      mutate: (d, t) => {
        d['model.layers.1.self_attn.k_proj.weight'] = 'FLOAT';
        t['model.layers.1.self_attn.k_proj.weight'] = { dtype: 'BF16', shape: [16, 16] };
        d['model.layers.0.mlp.experts.3.up_proj.weight'] = 'W8A16';
      },
    });
    const e = errors(check(dir).findings).map((x) => x.message);
    assert.ok(e.some((m) => /k_proj\.weight" is FLOAT but other shards of the fused layer model\.layers\.1\.self_attn\.qkv_proj/.test(m)), e.join('\n'));
    assert.ok(e.some((m) => /experts\.3\.up_proj\.weight" is W8A16 .*model\.layers\.0\.mlp\.experts /.test(m)), e.join('\n'));
  });

  it('a linear weight without an entry: squiggle on the nearest key, a fix that inserts it with the type its dtype implies', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, { mutate: (d) => { delete d['model.layers.1.self_attn.v_proj.weight']; delete d['lm_head.weight']; } });
    const file = path.join(dir, 'quant_model_description.json');
    const text = fs.readFileSync(file, 'utf8');
    const { findings, summary } = check(dir);
    assert.deepEqual(summary!.missing.sort(), ['lm_head.weight', 'model.layers.1.self_attn.v_proj.weight']);
    const v = findings.find((x) => /"model\.layers\.1\.self_attn\.v_proj\.weight" \(in quant_model_weights\.safetensors\.index\.json\) has no entry/.test(x.message))!;
    assert.equal(v.severity, 'error');
    const squiggled = text.split('\n')[v.range.start.line].slice(v.range.start.character, v.range.end.character);
    assert.match(squiggled, /^"model\.layers\.1\.self_attn\.v_proj\./, 'on the key nearest to the missing weight');
    assert.match(v.fixes[0].title, /"W8A8"/, 'int8 in the shard + fused siblings W8A8');
    const lm = findings.find((x) => /"lm_head\.weight"/.test(x.message))!;
    assert.match(lm.fixes[0].title, /"FLOAT"/, 'BF16 in the shard');
    const fixed = applyEdits(applyEdits(text, v.fixes[0]), lm.fixes[0]);
    JSON.parse(fixed);
    fs.writeFileSync(file, fixed);
    assert.deepEqual(check(dir).findings.map((x) => x.message), []);
  });

  it('quantization_config left in config.json, a missing companion tensor, a dtype that contradicts the type', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, {
      mutate: (_d, t) => {
        delete t['model.layers.0.self_attn.q_proj.deq_scale'];
        t['model.layers.1.mlp.experts.0.down_proj.weight'] = { dtype: 'BF16', shape: [16, 8] };
      },
    });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.quantization_config = { quant_method: 'gptq', bits: 4 };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    const e = errors(check(dir).findings).map((x) => x.message);
    assert.equal(e.length, 3, e.join('\n'));
    assert.ok(e.some((m) => /still has quantization_config \(quant_method "gptq"\)/.test(m)));
    assert.ok(e.some((m) => /q_proj\.weight" is W8A8: its deq_scale must be in the weights/.test(m)));
    assert.ok(e.some((m) => /experts\.0\.down_proj\.weight" is described as W8A8_DYNAMIC but .* stores it as BF16/.test(m)));
  });

  it('shards: a missing or corrupt one is an error when others are present; an index kept without weights is fine', () => {
    const dir = folder();
    writeQuantizedModel(dir);
    fs.rmSync(path.join(dir, 'quant_model_weights-00002-of-00003.safetensors'));
    fs.writeFileSync(path.join(dir, 'quant_model_weights-00003-of-00003.safetensors'), Buffer.from([255, 255, 255, 255, 0, 0, 0, 0, 1]));
    const e = errors(check(dir).findings).map((x) => x.message);
    assert.equal(e.length, 2, e.join('\n'));
    assert.ok(e.some((m) => /00002-of-00003\.safetensors .*cannot be read as safetensors: the file is missing/.test(m)));
    assert.ok(e.some((m) => /00003-of-00003\.safetensors .*header length/.test(m)));
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.safetensors')) fs.rmSync(path.join(dir, f));
    assert.deepEqual(errors(check(dir).findings), []);
  });

  it('chip family: 310P has its own registry', () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, { mutate: (d) => { d['model.layers.0.self_attn.o_proj.weight'] = 'W8A8S'; } });
    const a2 = errors(check(dir, undefined, '910B3').findings);
    assert.equal(a2.length, 1);
    assert.match(a2[0].message, /registers no scheme for "W8A8S" on Atlas A2\/A3/);
    assert.deepEqual(check(dir).findings.map((x) => x.severity), ['warning'], 'chip unknown: says where it is registered');
    assert.deepEqual(errors(check(dir, undefined, '310P3').findings), []);
  });

  it('lint DIR finds the description of a quantized folder and checks it the same way', async () => {
    const dir = folder();
    writeQuantizedModel(dir, TINY_MOE, { mutate: (d) => { d['model.layers.0.self_attn.q_proj.weight'] = 'W4A16'; } });
    const f = await analyzeWorkspaceFiles([dir]);
    assert.ok(f.some((x) => x.file.endsWith('quant_model_description.json') && x.severity === 'error' && /dense linear/.test(x.message)));
  });
});

describe('safetensors headers', () => {
  it('reads names, dtypes and shapes from the header only; rejects short, oversized and truncated files', () => {
    const file = path.join(tmp, 'x.safetensors');
    writeSafetensors(file, { a: { dtype: 'I8', shape: [4, 2] }, b: { dtype: 'BF16', shape: [3] } });
    const h = readSafetensorsHeader(file);
    assert.deepEqual([...h.tensors.keys()], ['a', 'b']);
    assert.deepEqual(h.tensors.get('b'), { dtype: 'BF16', shape: [3], data_offsets: [8, 14] });
    assert.equal(h.metadata.format, 'pt');
    fs.truncateSync(file, fs.statSync(file).size - 1);
    assert.throws(() => readSafetensorsHeader(file), (e: Error) => e instanceof SafetensorsError && /truncated/.test(e.message));
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    assert.throws(() => readSafetensorsHeader(file), /too short/);
    const big = Buffer.alloc(16);
    big.writeBigUInt64LE(200_000_000n);
    fs.writeFileSync(file, big);
    assert.throws(() => readSafetensorsHeader(file), /does not fit/);
    const bad = Buffer.concat([Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a": [1]}')]);
    fs.writeFileSync(file, bad.subarray(0, 17));
    assert.throws(() => readSafetensorsHeader(file), /tensor "a"|not JSON/);
  });

  it('takes exactly the entries the schema accepts; every other entry fails with the schema\'s message', () => {
    const ok = [
      { dtype: 'I8', shape: [4, 2], data_offsets: [0, 8] },
      { dtype: 'F32', shape: [], data_offsets: [8, 12] },
      { dtype: 'BF16', shape: [0], data_offsets: [12, 12] },
    ];
    for (const t of ok) {
      const h = parseHeaderJson(JSON.stringify({ a: { ...t, extra: 1 } }), 0);
      assert.deepEqual(h.tensors.get('a'), t, 'unknown keys dropped as the schema drops them');
    }
    const bad: Array<[unknown, RegExp]> = [
      [null, /tensor "a": entry: /],
      [[1], /tensor "a": entry: /],
      [{ shape: [1], data_offsets: [0, 1] }, /dtype/],
      [{ dtype: '', shape: [1], data_offsets: [0, 1] }, /dtype/],
      [{ dtype: 'I8', shape: [1.5], data_offsets: [0, 1] }, /shape\.0/],
      [{ dtype: 'I8', shape: [-1], data_offsets: [0, 1] }, /shape\.0/],
      [{ dtype: 'I8', shape: '4', data_offsets: [0, 1] }, /shape/],
      [{ dtype: 'I8', shape: [1], data_offsets: [0] }, /data_offsets/],
      [{ dtype: 'I8', shape: [1], data_offsets: [0, 1, 2] }, /data_offsets/],
      [{ dtype: 'I8', shape: [1], data_offsets: [2, 1] }, /data_offsets end before they start/],
      [{ dtype: 'I8', shape: [1], data_offsets: [0, 2 ** 60] }, /data_offsets\.1/],
    ];
    for (const [entry, message] of bad) {
      assert.throws(() => parseHeaderJson(JSON.stringify({ a: entry }), 0), (e: Error) => e instanceof SafetensorsError && /^tensor "a": /.test(e.message) && message.test(e.message), JSON.stringify(entry));
    }
  });
});
