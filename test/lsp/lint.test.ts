// `ascend-adapt lint` through the built CLI (dist/cli.js): JSON shape, text output, exit codes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fixtures, repoRoot } from './client';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, 'lint', ...args], { cwd: fixtures, encoding: 'utf8', env: { ...process.env, LANG: 'C', ...env } });

describe('ascend-adapt lint', () => {
  it('prints LSP-shaped JSON and exits 1 on errors', () => {
    const r = run(['hunyuan', '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const records = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(records.length > 20);
    for (const rec of records) {
      assert.deepEqual(Object.keys(rec).sort(), ['code', 'file', 'message', 'range', 'severity', 'source']);
      assert.equal(rec.source, 'ascend-adapt');
      assert.ok(['error', 'warning', 'information', 'hint'].includes(rec.severity as string));
      const rg = rec.range as { start: { line: number; character: number }; end: { line: number; character: number } };
      assert.deepEqual(Object.keys(rg.start).sort(), ['character', 'line']);
      assert.ok(rg.start.line >= 0 && rg.end.line >= rg.start.line);
      assert.ok(!path.isAbsolute(rec.file as string));
    }
    const files = new Set(records.map((x) => x.file));
    for (const f of ['patch_hunyuan_moe.py', 'hunyuan_moe_mapping.py', 'quant_model_description.json', 'run_hunyuan_adaptation.sh', 'README.md']) {
      assert.ok(files.has(path.join('hunyuan', f)), f);
    }
    const sync = records.find((x) => /torch\.cuda\.synchronize/.test(x.message as string))!;
    const line = fs.readFileSync(path.join(fixtures, 'hunyuan/patch_hunyuan_moe.py'), 'utf8').split('\n')[(sync.range as { start: { line: number } }).start.line];
    assert.match(line, /^\s+torch\.cuda\.synchronize\(\)/, '0-based lines like LSP');
    assert.match(r.stderr, /\d+ error\(s\), \d+ warning\(s\)/);
  });

  it('exits 0 with an empty array on NPU-native code', () => {
    const r = run(['npu_native', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it('prints file:line:col text, in Chinese with --lang zh-CN', () => {
    const r = run(['hunyuan/run_hunyuan_adaptation.sh']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^hunyuan\/run_hunyuan_adaptation\.sh:10:5: error \[serve-args\] --quantization gptq/m);
    const zh = spawnSync(process.execPath, [cli, '--lang', 'zh-CN', 'lint', 'hunyuan/run_hunyuan_adaptation.sh'], { cwd: fixtures, encoding: 'utf8' });
    assert.match(zh.stdout, /错误 \[serve-args\]/);
  });

  it('only warnings → exit 0; --exclude narrows; bad usage → exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'));
    fs.writeFileSync(path.join(dir, 'serve.sh'), 'vllm serve m --tensor-parallel-size 2\n');
    const w = run([dir]);
    assert.equal(w.status, 0, w.stdout);
    assert.match(w.stdout, /warning \[serve-args\]/);
    const ex = run([dir, '--exclude', '**/serve.sh', '--format', 'json']);
    assert.deepEqual(JSON.parse(ex.stdout), []);
    assert.equal(run([dir, '--format', 'xml']).status, 2);
    assert.equal(run([]).status, 2);
    assert.equal(run([path.join(dir, 'missing')]).status, 2);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
