// The quant description check through the real language server (dist/server.js over JSON-RPC): a
// --mindie_format name offers a rename (a RenameFile document change), a missing weight entry offers an
// insert whose squiggle sits on the nearest key.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RenameFile, TextEdit } from 'vscode-languageserver-protocol';
import { startServer, uriOf, type Session } from '../lsp/client';
import { TINY_MOE, writeQuantizedModel } from './helpers';

let s: Session;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qlsp-'));
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('language server on quant_model_description*.json', () => {
  it('offers renaming a --mindie_format description to the exact name vLLM-Ascend reads', async () => {
    const dir = path.join(tmp, 'mindie');
    writeQuantizedModel(dir, TINY_MOE, { descName: 'quant_model_description_w8a8_dynamic.json' });
    const file = path.join(dir, 'quant_model_description_w8a8_dynamic.json');
    const uri = uriOf(file);
    await s.open(uri, 'json', fs.readFileSync(file, 'utf8'));
    const d = await s.diagnostics(uri);
    const e = d.find((x) => /reads exactly quant_model_description\.json/.test(x.message))!;
    assert.equal(e.severity, 1);
    const [a] = await s.codeActions(uri, e.range, [e]);
    assert.equal(a.title, 'Rename to quant_model_description.json');
    const change = a.edit!.documentChanges![0] as RenameFile;
    assert.equal(change.kind, 'rename');
    assert.equal(change.oldUri, uri);
    assert.equal(change.newUri, uriOf(path.join(dir, 'quant_model_description.json')));
  });

  it('a weight with no entry: diagnostic on the nearest key, a fix that inserts the entry', async () => {
    const dir = path.join(tmp, 'missing');
    writeQuantizedModel(dir, TINY_MOE, { mutate: (d) => { delete d['model.layers.0.mlp.experts.2.down_proj.weight']; } });
    const file = path.join(dir, 'quant_model_description.json');
    const text = fs.readFileSync(file, 'utf8');
    const uri = uriOf(file);
    await s.open(uri, 'json', text);
    const d = (await s.diagnostics(uri)).filter((x) => x.code === 'quant-description');
    assert.equal(d.length, 1, d.map((x) => x.message).join('\n'));
    const line = text.split('\n')[d[0].range.start.line];
    assert.match(line.slice(d[0].range.start.character, d[0].range.end.character), /^"model\.layers\.0\.mlp\.experts\.2\.down_proj\.weight_/);
    const [a] = await s.codeActions(uri, d[0].range, [d[0]]);
    assert.equal(a.title, 'Add "model.layers.0.mlp.experts.2.down_proj.weight": "W8A8_DYNAMIC"');
    const edits = a.edit!.changes![uri] as TextEdit[];
    const lines = text.split('\n');
    const at = edits[0].range.start;
    lines[at.line] = lines[at.line].slice(0, at.character) + edits[0].newText + lines[at.line].slice(at.character);
    const fixed = lines.join('\n');
    assert.equal(JSON.parse(fixed)['model.layers.0.mlp.experts.2.down_proj.weight'], 'W8A8_DYNAMIC');
    await s.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual((await s.diagnostics(uri)).map((x) => x.message), []);
  });
});
