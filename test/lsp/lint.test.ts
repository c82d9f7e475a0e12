// `ascend-adapt lint` through the built CLI (dist/cli.js): JSON shape, text output, exit codes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeSnapshot, parseSnapshot } from '../../src/core/probe/envcheck';
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
    // The severity word stays English for problem matchers ($ascend-adapt-lint); the message is Chinese.
    assert.match(zh.stdout, /:10:5: error \[serve-args\] --quantization gptq：昇腾 NPU/);
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

describe('ascend-adapt lint says what it checked and skipped', () => {
  it('skips FIFOs without opening them, too-large, binary and dangling files, and says why', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-skip-'));
    try {
      spawnSync('mkfifo', [path.join(dir, 'pipe.py')]);
      fs.writeFileSync(path.join(dir, 'model.py'), 'import torch\nx.cuda()\n');
      fs.writeFileSync(path.join(dir, 'huge.py'), 'import torch\n' + '#'.repeat(5 * 1024 * 1024));
      fs.writeFileSync(path.join(dir, 'blob.py'), Buffer.from([0x69, 0x6d, 0x70, 0x00, 0x01]));
      fs.symlinkSync(path.join(dir, 'gone.py'), path.join(dir, 'link.py'));
      // a FIFO nobody writes to blocks a reader forever: the timeout turns a regression into a failure, not a hang
      const r = spawnSync(process.execPath, [cli, 'lint', dir, '--format', 'json', '--summary'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: 'C' } });
      assert.equal(r.signal, null, 'lint did not finish');
      assert.equal(r.status, 1, r.stderr);
      const out = JSON.parse(r.stdout) as { files: string[]; skipped: { file: string; reason: string; detail?: string }[]; diagnostics: { file: string; code: string }[] };
      assert.deepEqual(out.files, ['model.py']);
      const reasons = Object.fromEntries(out.skipped.map((s) => [s.file, `${s.reason}${s.detail ? ':' + s.detail : ''}`]));
      assert.deepEqual(reasons, {
        'pipe.py': 'not-a-regular-file:fifo',
        'huge.py': `too-large:${fs.statSync(path.join(dir, 'huge.py')).size}`,
        'blob.py': 'binary',
        'link.py': 'unreadable:dangling-link',
      });
      assert.deepEqual(out.diagnostics.map((d) => `${d.file} ${d.code}`), ['model.py cuda-api']);
      assert.match(r.stderr, /skipped pipe\.py: not a regular file \(a FIFO\); never opened/);
      assert.match(r.stderr, /skipped huge\.py: too large \(5121 KB/);
      assert.match(r.stderr, /1 file\(s\) checked, 4 skipped: 1 error\(s\), 0 warning\(s\), 0 other finding\(s\)/);
      // the array stays the default JSON shape
      const plain = spawnSync(process.execPath, [cli, 'lint', path.join(dir, 'model.py'), '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.ok(Array.isArray(JSON.parse(plain.stdout)));
      // a FIFO named on the command line is skipped too
      const named = spawnSync(process.execPath, [cli, 'lint', path.join(dir, 'pipe.py')], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: 'C' } });
      assert.equal(named.status, 0);
      assert.match(named.stderr, /0 file\(s\) checked, 1 skipped/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows --extra-path and checks against --torch-npu / the host of --env-snapshot', () => {
    const ws = path.join(fixtures, 'patterns', 'ws');
    const extra = path.join(fixtures, 'patterns', 'extra');
    const lint = (...a: string[]) => spawnSync(process.execPath, [cli, 'lint', ...a, '--format', 'json'], { cwd: ws, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LANG: 'C' } });
    const without = JSON.parse(lint('portmodel/attention.py').stdout) as unknown[];
    assert.deepEqual(without, []);
    const withExtra = JSON.parse(lint('portmodel/attention.py', '--extra-path', extra).stdout) as { code: string }[];
    assert.equal(withExtra.length, 6);
    const v = (args: string[]) => (JSON.parse(lint('npu_ops_versions.py', ...args).stdout) as { message: string }[]).map((x) => x.message);
    assert.equal(v([]).length, 2);
    assert.equal(v(['--torch-npu', '2.9.0']).length, 4);
    assert.ok(v(['--torch-npu', '2.9.0']).every((m) => /torch_npu 2\.9\.0;/.test(m)));
    const snap = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-snap-'));
    try {
      const simDir = path.join(snap, 'sim');
      assert.equal(spawnSync(process.execPath, [cli, 'sim', 'create', simDir], { encoding: 'utf8' }).status, 0);
      const file = path.join(snap, 'env.json');
      spawnSync(process.execPath, [cli, 'env-check', '--sim', simDir, '--save-snapshot', file], { encoding: 'utf8', timeout: 120_000 });
      const host = analyzeSnapshot(parseSnapshot(fs.readFileSync(file, 'utf8')))[0].versions.torch_npu!;
      assert.ok(host, 'the simulated host has a torch_npu');
      const msgs = v(['--env-snapshot', file]);
      assert.ok(msgs.length >= 2 && msgs.every((m) => m.includes(`torch_npu ${host}`) || m.includes(`nearest known release to ${host}`)), msgs.join('\n'));
    } finally {
      fs.rmSync(snap, { recursive: true, force: true });
    }
    assert.equal(lint('npu_ops_versions.py', '--extra-path', path.join(ws, 'missing')).status, 2);
  });
});
