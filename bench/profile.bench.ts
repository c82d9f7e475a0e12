// profile.summarize_mb_per_s: python/profile/summarize.py (the host script, as the profile job runs it) over a
// generated 500 MB kernel_details.csv of Level1 width (47 columns, quoted shapes; written by the simulated
// profiler's generator). Wall-clock MB/s (what a person waits for; on a loaded machine it follows the load),
// CPU MB/s (the script's own work), and the script's peak memory (flat: the file is streamed, never loaded).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SummarySchema } from '../src/core/profile/schema';
import type { Figure } from './run';

const ROOT = path.resolve(__dirname, '..');
const MB = Number(process.env.ASCEND_ADAPT_BENCH_PROFILE_MB ?? 500);

export default async function bench(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-pbench-'));
  try {
    const out = path.join(dir, 'rank0_ascend_pt', 'ASCEND_PROFILER_OUTPUT');
    fs.mkdirSync(out, { recursive: true });
    const gen = spawnSync('python3', [path.join(ROOT, 'python', 'sim', 'profiler_output.py'), '--kernels', path.join(out, 'kernel_details.csv'), '--mb', String(MB)], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`generating kernel_details.csv failed: ${gen.stderr}`);
    const bytes = fs.statSync(path.join(out, 'kernel_details.csv')).size;
    const res = path.join(dir, 'summary.json');
    const t0 = performance.now();
    const run = spawnSync('python3', [path.join(ROOT, 'python', 'profile', 'summarize.py'), dir, '--out', res], { encoding: 'utf8' });
    const wallS = (performance.now() - t0) / 1000;
    if (run.status !== 0) throw new Error(`summarize.py failed: ${run.stderr}`);
    const s = SummarySchema.parse(JSON.parse(fs.readFileSync(res, 'utf8')));
    if (s.perRank[0]?.kernels?.bytes !== bytes) throw new Error('the summary did not read the whole file');
    const mb = bytes / (1 << 20);
    const rows = s.perRank[0]!.kernels!.rows;
    return [
      { name: 'profile.summarize_mb_per_s', value: Number((mb / wallS).toFixed(1)), unit: `MB/s wall (${mb.toFixed(0)} MB kernel_details.csv, ${rows} rows, goal ≥ 100)` },
      { name: 'profile.summarize_cpu_mb_per_s', value: Number((mb / (s.stats?.cpuSeconds ?? wallS)).toFixed(1)), unit: 'MB/s of the script\'s CPU time' },
      { name: 'profile.summarize_peak_mb', value: s.stats?.maxRssMB ?? -1, unit: `MB peak resident memory (file ${mb.toFixed(0)} MB)` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
