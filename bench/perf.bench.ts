// Accuracy of the bundled benchmark client against the simulated server's TRUE timings (issue 7).
//   perf.client_ttft_error_pct / perf.client_tpot_error_pct: |client mean − true mean| / true mean, in %, with
//     about 256 streams in flight (Poisson arrivals at 48/s, 128 output tokens, TPOT ≈ 43 ms);
//   perf.client_max_tokens_per_s: the most streamed tokens per second the client took on ONE core (taskset) while
//     its TTFT and TPOT errors stayed within 2 % (the server gets the other core; 256 streams, TPOT lowered step
//     by step). When the server is the one that saturates first, the figure is a lower bound for the client.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Figure } from './run';

const ROOT = path.resolve(__dirname, '..');
const PY = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p)) ?? 'python3';
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.cpus().length >= 2;

function pinned(core: number, argv: string[]): string[] {
  const a = haveTaskset ? ['taskset', '-c', String(core), ...argv] : argv;
  // the client (core 1) first in line on a shared machine; `nice` still runs it when not permitted
  return core === 1 ? ['nice', '-n', '-10', ...a] : a;
}

interface Measured {
  ttftErr: number;
  tpotErr: number;
  tokensPerS: number;
  peakInFlight: number;
  failed: number;
}

async function measure(dir: string, server: string[], client: string[]): Promise<Measured> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const portFile = path.join(dir, 'port');
  const stats = path.join(dir, 'stats.jsonl');
  const sargv = pinned(0, [PY, path.join(ROOT, 'python', 'sim', 'openai_server.py'), '--port', '0', '--port-file', portFile, '--no-access-log',
    '--stats-file', stats, '--max-model-len', '8192', '--model', 'm', ...server]);
  const srv = spawn(sargv[0]!, sargv.slice(1), { stdio: 'ignore' });
  try {
    for (let i = 0; i < 400 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 25));
    const out = path.join(dir, 'r.json');
    const cargv = pinned(1, [PY, path.join(ROOT, 'python', 'perf', 'bench_serve.py'), '--base-url', `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8')}`,
      '--model', 'm', '--out', out, '--hbm-interval', '0', ...client]);
    const c = spawnSync(cargv[0]!, cargv.slice(1), { encoding: 'utf8', timeout: 600_000 });
    if (c.status !== 0) throw new Error(`bench client failed: ${c.stderr.slice(-500)}`);
    const m = (JSON.parse(fs.readFileSync(out, 'utf8')) as { runs: Array<{ metrics: Record<string, number> }> }).runs[0]!.metrics;
    const truth = fs.readFileSync(stats, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { status: string; ttft_ms: number; tpot_ms: number })
      .filter((r) => r.status === 'ok');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const tt = mean(truth.map((r) => r.ttft_ms));
    const tp = mean(truth.map((r) => r.tpot_ms));
    return {
      ttftErr: (Math.abs(m.mean_ttft_ms! - tt) / tt) * 100,
      tpotErr: (Math.abs(m.mean_tpot_ms! - tp) / tp) * 100,
      tokensPerS: m.output_throughput!,
      peakInFlight: m.max_concurrent_requests!,
      failed: m.failed!,
    };
  } finally {
    srv.kill('SIGTERM');
  }
}

export default async function bench(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-perf-bench-'));
  try {
    const at256 = await measure(path.join(dir, 'a'),
      ['--ttft-base-ms', '100', '--ttft-per-prompt-token-ms', '0.1', '--tpot-base-ms', '30', '--tpot-per-inflight-ms', '0.05'],
      ['--num-prompts', '420', '--input-len', '256', '--output-len', '128', '--request-rate', '48', '--seed', '1']);
    process.stderr.write(`perf bench: 256 streams: ttft err ${at256.ttftErr.toFixed(3)} %, tpot err ${at256.tpotErr.toFixed(3)} %, peak in flight ${at256.peakInFlight}, ${at256.tokensPerS.toFixed(0)} tok/s\n`);

    let best = 0;
    for (const tpot of [40, 20, 10, 5, 2.5, 1.25]) {
      const r = await measure(path.join(dir, `t${tpot}`),
        ['--ttft-base-ms', '50', '--ttft-per-prompt-token-ms', '0', '--tpot-base-ms', String(tpot), '--tpot-per-inflight-ms', '0'],
        ['--num-prompts', '512', '--input-len', '32', '--output-len', '128', '--max-concurrency', '256', '--seed', '2']);
      const ok = r.ttftErr <= 2 && r.tpotErr <= 2 && r.failed === 0;
      process.stderr.write(`perf bench: tpot ${tpot} ms × 256 streams: ${r.tokensPerS.toFixed(0)} tok/s, ttft err ${r.ttftErr.toFixed(2)} %, tpot err ${r.tpotErr.toFixed(2)} %${ok ? '' : ' (over 2 %)'}\n`);
      if (!ok) break;
      best = Math.max(best, r.tokensPerS);
    }
    return [
      { name: 'perf.client_ttft_error_pct', value: Number(at256.ttftErr.toFixed(4)), unit: '%' },
      { name: 'perf.client_tpot_error_pct', value: Number(at256.tpotErr.toFixed(4)), unit: '%' },
      { name: 'perf.client_peak_streams', value: at256.peakInFlight, unit: 'streams' },
      { name: 'perf.client_max_tokens_per_s', value: Math.round(best), unit: 'tok/s' },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
