import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nginxAvailable, startNginx, startUvicornApp, uvicornAvailable, type HttpStack, type UvicornApp } from '../harness/http-stacks';
import { runSmoke } from '../../src/core/smoke/index';
import { cli, python, ROOT, startSimServer, tmpDir, type SimServer } from '../accuracy/helpers';

/**
 * The host scripts' HTTP clients against HTTP stacks nobody here wrote: nginx as a reverse proxy with
 * keepalive_requests 3 and keepalive_timeout 1s in front of the simulated server, and a FastAPI app on uvicorn
 * (timeout_keep_alive 1 s). No request may be lost, none may reach the server twice.
 */

const BENCH = path.join(ROOT, 'python', 'perf', 'bench_serve.py');
const DRIVE = path.join(ROOT, 'test', 'fixtures', 'http', 'drive_clients.py');
const skip = nginxAvailable() ?? uvicornAvailable() ?? false;

interface Run { code: number | null; out: string; err: string }

function py(args: string[], timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(python(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

interface Drive { sent: number; completed: number; failed: number; errors: Record<string, number>; reconnects: number }

async function drive(args: string[]): Promise<Drive> {
  const r = await py([DRIVE, ...args]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out.trim().split('\n').pop()!) as Drive;
}

interface PerfOut { runs: Array<{ concurrency: number; metrics: Record<string, number>; errors: Record<string, number>; reconnects: number }> }

async function benchSweep(url: string, model: string, n: number, work: string, name: string): Promise<PerfOut> {
  const out = path.join(work, `${name}.json`);
  const r = await py([BENCH, '--base-url', url, '--model', model, '--num-prompts', String(n), '--input-len', '8', '--output-len', '4',
    '--max-concurrency', '1,8,64,256', '--out', out, '--hbm-interval', '0']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as PerfOut;
}

function generationRequests(up: SimServer): number {
  return up.records().length;
}

describe('HTTP clients against real HTTP stacks', { skip }, () => {
  let work: string;
  let up: SimServer;
  let ngx: HttpStack;
  let uv: UvicornApp;

  before(async () => {
    work = tmpDir('aa-http-stacks-');
    up = await startSimServer(['--model', 'm', '--ttft-base-ms', '5', '--tpot-base-ms', '1', '--max-model-len', '8192']);
    ngx = await startNginx({ upstreamPort: up.port, keepaliveRequests: 3, keepaliveTimeout: '1s' });
    uv = await startUvicornApp({ ttftMs: 5, tpotMs: 1, timeoutKeepAlive: 1 });
  });
  after(async () => {
    await ngx?.stop();
    await uv?.stop();
    await up?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('perf client through nginx (keepalive_requests 3, keepalive_timeout 1s): 0 lost at concurrency 1, 8, 64, 256', async () => {
    const before = generationRequests(up);
    const res = await benchSweep(ngx.url, 'm', 512, work, 'nginx');
    assert.deepEqual(res.runs.map((r) => r.concurrency), [1, 8, 64, 256]);
    for (const run of res.runs) assert.deepEqual([run.metrics.completed, run.metrics.failed, run.errors], [512, 0, {}], `concurrency ${run.concurrency}`);
    assert.equal(res.runs[3]!.metrics.max_concurrent_requests, 256);
    assert.equal(generationRequests(up) - before, 4 * 512, 'every request reached the server exactly once');
  });

  it('perf client on uvicorn (FastAPI, timeout_keep_alive 1 s): 0 lost at concurrency 1, 8, 64, 256', async () => {
    const s0 = await uv.stats();
    const res = await benchSweep(uv.url, 'fastapi-model', 512, work, 'uvicorn');
    for (const run of res.runs) assert.deepEqual([run.metrics.completed, run.metrics.failed, run.errors], [512, 0, {}], `concurrency ${run.concurrency}`);
    const s1 = await uv.stats();
    assert.equal(s1.requests - s0.requests, 4 * 512, 'every request reached the app exactly once');
  });

  it('bursts of 256 streams just inside nginx\'s keep-alive timeout: none lost, none sent twice', async () => {
    // The client re-uses connections the server is about to close (or has closed): it must notice before it
    // writes, resend only what the server provably never saw, and learn the server's idle limit.
    const before = generationRequests(up);
    const r = await drive(['bursts', ngx.url, 'm', '--n', '256', '--rounds', '4', '--gap', '0.98']);
    assert.deepEqual([r.completed, r.failed, r.errors], [r.sent, 0, {}]);
    assert.equal(generationRequests(up) - before, r.sent);
  });

  it('bursts of 256 streams on uvicorn around its keep-alive timeout: none lost', async () => {
    const s0 = await uv.stats();
    const r = await drive(['bursts', uv.url, 'fastapi-model', '--n', '256', '--rounds', '4', '--gap', '0.98']);
    assert.deepEqual([r.completed, r.failed, r.errors], [r.sent, 0, {}]);
    assert.equal((await uv.stats()).requests - s0.requests, r.sent);
  });

  it('a busy client: the 256 connections nginx and uvicorn closed meanwhile are found before writing, every request goes once', async () => {
    // round 2's first prompt takes 1.5 s to make on the loop's thread: the servers close the idle connections
    // (keepalive_timeout 1s / timeout_keep_alive 1) before the client can see it
    const before = generationRequests(up);
    const r = await drive(['busy', ngx.url, 'm', '--n', '256', '--block', '1.5']);
    assert.deepEqual([r.completed, r.failed, r.reconnects], [512, 0, 256]);
    assert.equal(generationRequests(up) - before, 512);
    const s0 = await uv.stats();
    const u = await drive(['busy', uv.url, 'fastapi-model', '--n', '256', '--block', '1.5']);
    assert.deepEqual([u.completed, u.failed, u.reconnects], [512, 0, 256]);
    assert.equal((await uv.stats()).requests - s0.requests, 512);
  });

  it('blocking client (accuracy, endpoint checks): idle connections nginx closed are replaced before writing', async () => {
    const r = await drive(['sync', ngx.url, 'm', '--threads', '8', '--requests', '10', '--block', '1.5']);
    assert.deepEqual([r.completed, r.failed], [80, 0]);
    assert.ok(r.reconnects >= 1, `a closed idle connection was found and replaced (${r.reconnects})`);
  });

  it('a request written on a connection nginx had closed goes again on a fresh one, once', async () => {
    // the before-write check is switched off in the driver: only the after-write rule (FIN, nothing acknowledged)
    // can save it
    const before = generationRequests(up);
    const r = (await drive(['stale-write', ngx.url, 'm', '--idle', '1.5'])) as unknown as { first: number; second: number | null; moved: number; error?: string };
    assert.equal(r.first, 200);
    assert.equal(r.second, 200, r.error);
    assert.equal(r.moved, 1);
    assert.equal(generationRequests(up) - before, 2, 'the server saw each request once');
  });

  it('Keep-Alive: timeout=N announced by nginx is honoured (connections retired before it, nothing to replace)', async () => {
    const ka = await startNginx({ upstreamPort: up.port, keepaliveTimeout: '1s', keepaliveHeader: true });
    try {
      const r = await drive(['sync', ka.url, 'm', '--threads', '4', '--requests', '6', '--block', '1.5']);
      assert.deepEqual([r.completed, r.failed, r.reconnects], [24, 0, 0]);
    } finally {
      await ka.stop();
    }
  });

  it('smoke client (TypeScript) through nginx and on uvicorn: every prompt answered, each once', async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => `prompt ${i}`);
    const before = generationRequests(up);
    const viaNginx = await runSmoke(ngx.url, prompts, { model: 'm', maxTokens: 4 });
    assert.deepEqual([viaNginx.passed, viaNginx.failed], [8, 0]);
    assert.equal(generationRequests(up) - before, 8);
    const s0 = await uv.stats();
    const onUvicorn = await runSmoke(uv.url, prompts, { model: 'fastapi-model', maxTokens: 4 });
    assert.deepEqual([onUvicorn.passed, onUvicorn.failed], [8, 0], JSON.stringify(onUvicorn.results.map((r) => r.error)));
    assert.equal((await uv.stats()).requests - s0.requests, 8);
  });

  it('a uvicorn stream that goes silent: smoke fails it after the stall timeout, with no latencies', async () => {
    const stalled = await startUvicornApp({ ttftMs: 2, tpotMs: 1, stallAfter: 2 });
    try {
      const r = await runSmoke(stalled.url, ['hello'], { model: 'fastapi-model', maxTokens: 8, stallTimeoutMs: 1000 });
      const x = r.results[0]!;
      assert.equal(x.error, 'no data for 1 s');
      assert.equal(x.output, 'alpha beta', 'what arrived is kept');
      assert.deepEqual([x.ttftMs, x.totalMs], [null, null]);
      assert.ok(x.elapsedMs >= 1000);
      const viaCli = await cli(['smoke', '--endpoint', stalled.url, '--prompt', 'hi', '--stall-timeout', '0.5'], { cwd: work });
      assert.equal(viaCli.code, 1);
      assert.match(viaCli.out, /Failed after \d+\.\d+ s: no data for 0\.5 s/);
    } finally {
      await stalled.stop();
    }
  });
});
