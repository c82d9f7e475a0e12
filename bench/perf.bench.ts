// The bundled benchmark client measured against the simulated server's TRUE timings (the server's own record of
// when each request reached it and when each token left it):
//   perf.client_ttft_error_pct / perf.client_tpot_error_pct: |client mean − true mean| / true mean, in %, with
//     about 256 streams in flight (Poisson arrivals at 48/s, 128 output tokens, TPOT ≈ 43 ms);
//   perf.client_peak_streams: the most streams started at once (1,024 → 2,048 → 4,096, every request sent at
//     once, no cap) for which the client's mean TTFT is within 2 % of the truth AND the truth server held its
//     own timing (mean true TTFT within 2 % of the nominal 4 s: it runs as 3 processes on one port,
//     SO_REUSEPORT, so the figure measures the client, not an overloaded server);
//   perf.client_ttft_error_pct_4096 / perf.truth_server_late_pct_4096: the two sides of that check at 4,096;
//   perf.aiohttp_ttft_error_pct_1024 / _4096: an aiohttp client in the style of `vllm bench serve`
//     (bench/perf_aiohttp_client.py) on the same server setup, side by side (only when Debian's
//     python3-aiohttp is installed);
//   perf.client_max_tokens_per_s: the most streamed tokens per second the client took on ONE core (taskset) while
//     its TTFT and TPOT errors stayed within 2 % (the server gets the other core; 256 streams, TPOT lowered step
//     by step). When the server is the one that saturates first, the figure is a lower bound for the client;
//   perf.client_reconnects_handled / perf.client_requests_lost: through a real nginx (keepalive_requests 3,
//     keepalive_timeout 1s), 256 streams, then a second 256 while the client is busy for 1.5 s: the kept-alive
//     connections nginx closed meanwhile are found before writing and every request goes on a fresh one
//     (reconnects), none lost, none sent twice (the upstream counts what reached it).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nginxAvailable, startNginx } from '../test/harness/http-stacks';
import type { Figure } from './run';

const ROOT = path.resolve(__dirname, '..');
const PY = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p)) ?? 'python3';
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.cpus().length >= 2;
const haveAiohttp = spawnSync(PY, ['-c', 'import aiohttp']).status === 0;

function pinned(core: number | null, argv: string[]): string[] {
  if (core === null) return argv;
  const a = haveTaskset ? ['taskset', '-c', String(core), ...argv] : argv;
  // the client (core 1) first in line on a shared machine; `nice` still runs it when not permitted
  return core === 1 ? ['nice', '-n', '-10', ...a] : a;
}

interface Truth { status: string; ttft_ms: number; tpot_ms: number | null; nominal_ttft_ms: number }

interface Measured {
  ttftErr: number;
  tpotErr: number;
  tokensPerS: number;
  peakInFlight: number;
  failed: number;
  /** Mean (true TTFT − nominal) / nominal, in %: how far the truth server fell behind its own model. */
  serverLatePct: number;
}

interface Setup {
  server: string[];
  /** Server processes sharing the port (SO_REUSEPORT). */
  processes?: number;
  /** Pin server to core 0 and client to core 1. */
  pin?: boolean;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function withServer<T>(dir: string, setup: Setup, run: (url: string) => T): Promise<{ out: T; truth: Truth[] }> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const k = setup.processes ?? 1;
  const port = await freePort();
  const procs = Array.from({ length: k }, (_, i) => {
    const argv = pinned(setup.pin ? 0 : null, [PY, path.join(ROOT, 'python', 'sim', 'openai_server.py'), '--port', String(port), '--reuse-port',
      '--port-file', path.join(dir, `port-${i}`), '--no-access-log', '--stats-file', path.join(dir, `stats-${i}.jsonl`), '--max-model-len', '100000',
      '--model', 'm', ...setup.server]);
    return spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  });
  try {
    for (let i = 0; i < 400 && !procs.every((_, j) => fs.existsSync(path.join(dir, `port-${j}`))); i++) await new Promise((r) => setTimeout(r, 25));
    const out = run(`http://127.0.0.1:${port}`);
    const truth = procs.flatMap((_, i) => fs.readFileSync(path.join(dir, `stats-${i}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Truth));
    return { out, truth: truth.filter((r) => r.status === 'ok') };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number, truth: number) => (Math.abs(x - truth) / truth) * 100;

function late(truth: Truth[]): number {
  return (mean(truth.map((r) => r.ttft_ms - r.nominal_ttft_ms)) / mean(truth.map((r) => r.nominal_ttft_ms))) * 100;
}

async function measure(dir: string, setup: Setup, client: string[]): Promise<Measured> {
  const out = path.join(dir, 'r.json');
  const { truth } = await withServer(dir, setup, (url) => {
    const cargv = pinned(setup.pin ? 1 : null, [PY, path.join(ROOT, 'python', 'perf', 'bench_serve.py'), '--base-url', url, '--model', 'm', '--out', out, '--hbm-interval', '0', ...client]);
    const c = spawnSync(cargv[0]!, cargv.slice(1), { encoding: 'utf8', timeout: 600_000 });
    if (c.status !== 0) throw new Error(`bench client failed: ${c.stderr.slice(-500)}`);
  });
  const m = (JSON.parse(fs.readFileSync(out, 'utf8')) as { runs: Array<{ metrics: Record<string, number> }> }).runs[0]!.metrics;
  const tpots = truth.filter((r) => r.tpot_ms !== null).map((r) => r.tpot_ms!);
  return {
    ttftErr: pct(m.mean_ttft_ms!, mean(truth.map((r) => r.ttft_ms))),
    tpotErr: pct(m.mean_tpot_ms!, mean(tpots)),
    tokensPerS: m.output_throughput!,
    peakInFlight: m.max_concurrent_requests!,
    failed: m.failed!,
    serverLatePct: late(truth),
  };
}

/** The aiohttp client (vllm bench serve style) on the same setup: its mean TTFT error against the truth, in %. */
async function measureAiohttp(dir: string, setup: Setup, n: number, outputLen: number): Promise<{ ttftErr: number; failed: number; serverLatePct: number }> {
  const out = path.join(dir, 'aio.json');
  const { truth } = await withServer(dir, setup, (url) => {
    const c = spawnSync(PY, [path.join(ROOT, 'bench', 'perf_aiohttp_client.py'), '--url', url, '--model', 'm', '--n', String(n), '--output-len', String(outputLen), '--out', out],
      { encoding: 'utf8', timeout: 600_000 });
    if (c.status !== 0) throw new Error(`aiohttp client failed: ${c.stderr.slice(-500)}`);
  });
  const a = JSON.parse(fs.readFileSync(out, 'utf8')) as { ttft_s: number[]; failed: number };
  return { ttftErr: pct(mean(a.ttft_s) * 1000, mean(truth.map((r) => r.ttft_ms))), failed: a.failed, serverLatePct: late(truth) };
}

const PEAK_SERVER = ['--ttft-base-ms', '4000', '--ttft-per-prompt-token-ms', '0', '--tpot-base-ms', '1000', '--tpot-per-inflight-ms', '0'];
const peakClient = (n: number) => ['--num-prompts', String(n), '--input-len', '16', '--output-len', '4', '--seed', '3'];

async function peakStreams(dir: string, figures: Figure[]): Promise<void> {
  let best = 0;
  for (const n of [1024, 2048, 4096]) {
    const r = await measure(path.join(dir, `peak${n}`), { server: PEAK_SERVER, processes: 3 }, peakClient(n));
    const ok = r.ttftErr <= 2 && r.serverLatePct <= 2 && r.failed === 0 && r.peakInFlight === n;
    process.stderr.write(`perf bench: ${n} streams at once: ttft err ${r.ttftErr.toFixed(3)} %, truth server late ${r.serverLatePct.toFixed(2)} %, peak in flight ${r.peakInFlight}, failed ${r.failed}${ok ? '' : ' (not within bounds)'}\n`);
    if (n === 4096) {
      figures.push({ name: 'perf.client_ttft_error_pct_4096', value: Number(r.ttftErr.toFixed(4)), unit: '%' });
      figures.push({ name: 'perf.truth_server_late_pct_4096', value: Number(r.serverLatePct.toFixed(3)), unit: '%' });
    }
    if (!ok) break;
    best = n;
  }
  figures.push({ name: 'perf.client_peak_streams', value: best, unit: 'streams' });
  if (!haveAiohttp) {
    process.stderr.write('perf bench: python3-aiohttp not installed (apt-get install python3-aiohttp): no side-by-side figures\n');
    return;
  }
  for (const n of [1024, 4096]) {
    const a = await measureAiohttp(path.join(dir, `aio${n}`), { server: PEAK_SERVER, processes: 3 }, n, 4);
    process.stderr.write(`perf bench: aiohttp client (vllm bench serve style), ${n} streams at once: ttft err ${a.ttftErr.toFixed(2)} %, truth server late ${a.serverLatePct.toFixed(2)} %, failed ${a.failed}\n`);
    figures.push({ name: `perf.aiohttp_ttft_error_pct_${n}`, value: Number(a.ttftErr.toFixed(2)), unit: '%' });
  }
}

async function reconnects(dir: string, figures: Figure[]): Promise<void> {
  const why = nginxAvailable();
  if (why) {
    process.stderr.write(`perf bench: ${why}: no reconnect figures\n`);
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const statsFile = path.join(dir, 'stats.jsonl');
  const portFile = path.join(dir, 'port');
  const up = spawn(PY, [path.join(ROOT, 'python', 'sim', 'openai_server.py'), '--port', String(port), '--port-file', portFile, '--no-access-log', '--stats-file', statsFile,
    '--model', 'm', '--ttft-base-ms', '5', '--tpot-base-ms', '1'], { stdio: 'ignore' });
  let ngx: Awaited<ReturnType<typeof startNginx>> | null = null;
  try {
    for (let i = 0; i < 400 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 25));
    ngx = await startNginx({ upstreamPort: port, keepaliveRequests: 3, keepaliveTimeout: '1s' });
    const c = spawnSync(PY, [path.join(ROOT, 'test', 'fixtures', 'http', 'drive_clients.py'), 'busy', ngx.url, 'm', '--n', '256', '--block', '1.5'], { encoding: 'utf8', timeout: 300_000 });
    if (c.status !== 0) throw new Error(`reconnect driver failed: ${c.stderr.slice(-500)}`);
    const r = JSON.parse(c.stdout.trim().split('\n').pop()!) as { sent: number; completed: number; reconnects: number };
    const seen = fs.readFileSync(statsFile, 'utf8').split('\n').filter(Boolean).length;
    const lost = r.sent - r.completed + Math.abs(seen - r.sent);
    process.stderr.write(`perf bench: through nginx: ${r.sent} requests, ${r.reconnects} reconnects handled, ${r.sent - r.completed} failed, upstream saw ${seen}\n`);
    figures.push({ name: 'perf.client_reconnects_handled', value: lost === 0 ? r.reconnects : 0, unit: 'requests' });
    figures.push({ name: 'perf.client_requests_lost', value: lost, unit: 'requests' });
  } finally {
    await ngx?.stop();
    up.kill('SIGTERM');
  }
}

export default async function bench(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-perf-bench-'));
  const figures: Figure[] = [];
  try {
    const at256 = await measure(path.join(dir, 'a'),
      { server: ['--ttft-base-ms', '100', '--ttft-per-prompt-token-ms', '0.1', '--tpot-base-ms', '30', '--tpot-per-inflight-ms', '0.05'], pin: true },
      ['--num-prompts', '420', '--input-len', '256', '--output-len', '128', '--request-rate', '48', '--seed', '1']);
    process.stderr.write(`perf bench: 256 streams: ttft err ${at256.ttftErr.toFixed(3)} %, tpot err ${at256.tpotErr.toFixed(3)} %, peak in flight ${at256.peakInFlight}, ${at256.tokensPerS.toFixed(0)} tok/s\n`);
    figures.push(
      { name: 'perf.client_ttft_error_pct', value: Number(at256.ttftErr.toFixed(4)), unit: '%' },
      { name: 'perf.client_tpot_error_pct', value: Number(at256.tpotErr.toFixed(4)), unit: '%' },
    );

    await peakStreams(dir, figures);

    let best = 0;
    for (const tpot of [40, 20, 10, 5, 2.5, 1.25]) {
      const r = await measure(path.join(dir, `t${tpot}`),
        { server: ['--ttft-base-ms', '50', '--ttft-per-prompt-token-ms', '0', '--tpot-base-ms', String(tpot), '--tpot-per-inflight-ms', '0'], pin: true },
        ['--num-prompts', '512', '--input-len', '32', '--output-len', '128', '--max-concurrency', '256', '--seed', '2']);
      const ok = r.ttftErr <= 2 && r.tpotErr <= 2 && r.failed === 0;
      process.stderr.write(`perf bench: tpot ${tpot} ms × 256 streams: ${r.tokensPerS.toFixed(0)} tok/s, ttft err ${r.ttftErr.toFixed(2)} %, tpot err ${r.tpotErr.toFixed(2)} %${ok ? '' : ' (over 2 %)'}\n`);
      if (!ok) break;
      best = Math.max(best, r.tokensPerS);
    }
    figures.push({ name: 'perf.client_max_tokens_per_s', value: Math.round(best), unit: 'tok/s' });

    await reconnects(path.join(dir, 'reconnects'), figures);
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
