// Patterns of real CUDA and NPU code (our own fixtures in test/fixtures/lsp/patterns, see its README): every
// line marked `# expect: <code> <severity>` gets exactly that diagnostic, every other line none — so each rule is
// checked in both directions (must flag, must stay quiet). Then the same files through the language server.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LINT_SETTINGS, lintPaths, LintSettings, type FileFinding } from '../../src/core/analysis/index';
import { signatureReleases } from '../../src/core/knowledge/torch-npu-signatures';
import { fixtures, startServer, uriOf, type Session } from './client';

const root = path.join(fixtures, 'patterns');
const ws = path.join(root, 'ws');
const extra = path.join(root, 'extra');

/** `line → ["code severity", …]` from the markers; `@VERSION` markers apply only when checking that release. */
function expected(file: string, release: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /# expect(?:@([\w.]+))?: (.+)$/.exec(line);
      if (m && (!m[1] || m[1] === release)) out.set(i, m[2].split(',').map((x) => x.trim()));
    });
  return out;
}

function actual(found: { range: { start: { line: number } }; code?: string | number; severity?: string | number }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const names: Record<string, string> = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' }; // LSP DiagnosticSeverity
  for (const f of found) out.set(f.range.start.line, [...(out.get(f.range.start.line) ?? []), `${f.code} ${names[String(f.severity)] ?? f.severity}`]);
  for (const v of out.values()) v.sort();
  return out;
}

const show = (m: Map<number, string[]>) => [...m].sort((a, b) => a[0] - b[0]).map(([l, v]) => `${l + 1}: ${v.join(', ')}`);

async function lintWs(torchNpu = '', extraPaths = [extra]): Promise<FileFinding[]> {
  const settings = LintSettings.parse({ ...DEFAULT_LINT_SETTINGS, extraPaths, torchNpuVersion: torchNpu });
  return (await lintPaths([ws], { settings, roots: [ws] })).findings;
}

function pyFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.py')).map((f) => path.join(dir, f)).sort();
}

describe('patterns of real code, both directions', () => {
  const newest = signatureReleases()[0].torchNpu;

  it(`flags exactly the marked lines (torch_npu ${newest}, vllm checkout as extra path)`, async () => {
    const found = await lintWs();
    for (const file of pyFiles(ws)) {
      const mine = found.filter((f) => f.file === file);
      assert.deepEqual(show(actual(mine)), show(expected(file, newest)), path.relative(ws, file) + '\n' + mine.map((f) => `${f.range.start.line + 1}: ${f.message}`).join('\n'));
    }
  });

  it('checks torch_npu keywords against the release asked for, and says which', async () => {
    const file = path.join(ws, 'npu_ops_versions.py');
    const old = (await lintWs('2.9.0')).filter((f) => f.file === file);
    assert.deepEqual(show(actual(old)), show(expected(file, '2.9.0')));
    const cast = old.find((f) => /npu_format_cast/.test(f.message))!;
    assert.match(cast.message, /`input_dtype`/);
    assert.doesNotMatch(cast.message, /`customize_dtype`/, 'customize_dtype exists in 2.9.0');
    assert.match(cast.message, /torch_npu 2\.9\.0/);
    assert.match(cast.href, /^https:\/\/github\.com\/Ascend\/pytorch\/blob\/[0-9a-f]{40}\/torch_npu\/csrc\/aten\/npu_native_functions\.yaml#L\d+$/);
    const now = (await lintWs()).filter((f) => f.file === file);
    assert.ok(now.every((f) => /torch_npu 2\.10\.0\.post4 \(the newest known release/.test(f.message)), now.map((f) => f.message).join('\n'));
    const near = (await lintWs('2.10.0.post3+gitabc')).filter((f) => f.file === file);
    assert.ok(near.length && near.every((f) => /torch_npu 2\.10\.0\.post2 \(the nearest known release to 2\.10\.0\.post3\+gitabc\)/.test(f.message)));
  });

  it('without the vllm checkout, names re-exported by it are not known (and nothing else changes)', async () => {
    const file = path.join(ws, 'portmodel', 'attention.py');
    const found = (await lintWs('', [])).filter((f) => f.file === file);
    assert.deepEqual(found, []);
    const norms = (await lintWs('', [])).filter((f) => f.file.endsWith('norms.py'));
    assert.ok(norms.some((f) => f.code === 'cuda-kernel' && f.severity === 'error'), 'vllm._custom_ops is itself in the knowledge tables');
  });

  it('says which module of the package imports transfer_to_npu when CUDA spellings are only information', async () => {
    const found = (await lintWs()).filter((f) => f.file.endsWith(path.join('mixed_backends', 'memory.py')) && f.code === 'cuda-api');
    assert.equal(found.length, 4);
    for (const f of found) assert.match(f.message, /mixed_backends\/npu\/setup\.py in this package imports torch_npu\.contrib\.transfer_to_npu/);
  });

  it('names the origin and the path to it', async () => {
    const found = await lintWs();
    const fa = found.find((f) => f.file.endsWith('attention.py') && /flash_attn_varlen_func\(q, k, v, causal=False/.test(lineOf(f)))!;
    assert.match(fa.message, /`vllm\.vllm_flash_attn\.flash_attn_varlen_func` \(through vllm\.attn_utils\.flash_attn_varlen_func\)/);
    const merge = found.find((f) => f.file.endsWith('attention.py') && f.severity === 'warning')!;
    assert.match(merge.message, /Triton kernel `vllm\.triton_merge\.merge_kernel` \(through vllm\.merge_states\.merge_attn_states → vllm\.triton_merge\.merge\)/);
    const op = found.find((f) => f.file.endsWith('norms.py') && f.severity === 'information' && f.code === 'cuda-kernel' && /forward_oot/.test(f.message))!;
    assert.match(op.message, /MyNorm\.forward_cuda/);
    const one = found.find((f) => /\+ flash_attn_varlen_func\(k, q, v\)/.test(lineOf(f)))!;
    assert.match(one.message, /and 1 more in this statement/);
  });
});

function lineOf(f: FileFinding): string {
  return fs.readFileSync(f.file, 'utf8').split('\n')[f.range.start.line];
}

describe('the same patterns through the language server', () => {
  let s: Session;
  before(async () => {
    s = await startServer({ settings: { extraPaths: ['patterns/extra'] } });
  });
  after(async () => {
    await s.stop();
  });

  it('resolves re-exports through the configured extra path and keeps NPU packages quiet', async () => {
    for (const rel of ['portmodel/attention.py', 'portmodel/norms.py', 'npu_pkg/kernels.py', 'npu_pkg/runner.py', 'cuda_triton.py', 'mixed_backends/memory.py']) {
      const file = path.join(ws, rel);
      const uri = uriOf(file);
      await s.open(uri, 'python', fs.readFileSync(file, 'utf8'));
      const d = await s.diagnostics(uri);
      assert.deepEqual(show(actual(d)), show(expected(file, signatureReleases()[0].torchNpu)), rel);
    }
  });

  it('checks torch_npu keywords against the host version the client reports', async () => {
    const file = path.join(ws, 'npu_ops_versions.py');
    const uri = uriOf(file);
    await s.open(uri, 'python', fs.readFileSync(file, 'utf8'));
    assert.deepEqual(show(actual(await s.diagnostics(uri))), show(expected(file, '2.10.0.post4')));
    await s.conn.sendNotification('ascendAdapt/hostEnvironment', { torchNpu: '2.9.0' });
    const d = await s.diagnostics(uri);
    assert.deepEqual(show(actual(d)), show(expected(file, '2.9.0')));
    assert.ok(d.some((x) => /torch_npu 2\.9\.0;/.test(x.message)), d.map((x) => x.message).join('\n'));
    await s.conn.sendNotification('ascendAdapt/hostEnvironment', {});
    assert.deepEqual(show(actual(await s.diagnostics(uri))), show(expected(file, '2.10.0.post4')));
  });

  it('keeps an edit cheap and correct: the re-exported call is found again after retyping it', async () => {
    const file = path.join(ws, 'portmodel/attention.py');
    const uri = uriOf(file);
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const l = lines.findIndex((x) => x.includes('prefix = flash_attn_varlen_func'));
    const col = lines[l].indexOf('flash_attn_varlen_func');
    await s.change(uri, 2, [{ range: { start: { line: l, character: col }, end: { line: l, character: col + 5 } }, text: 'xlash' }]);
    assert.ok(!(await s.diagnostics(uri)).some((d) => d.range.start.line === l), 'renamed: no longer the kernel');
    await s.change(uri, 3, [{ range: { start: { line: l, character: col }, end: { line: l, character: col + 5 } }, text: 'flash' }]);
    assert.ok((await s.diagnostics(uri)).some((d) => d.range.start.line === l && d.code === 'cuda-library'));
  });
});
