// quantize.check_ms: checking an msModelSlim output folder whose index names 1,000 shards — the description
// parsed, every linear/MoE weight looked up, every shard's safetensors header read (never the weights).
// Cold = headers read from disk; warm = the language server re-checking after an edit (headers cached).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectQuantDescription, quantDescriptionContext } from '../src/core/analysis/quantdesc';
import { writeQuantizedModel, type TinyModel } from '../test/quantize/helpers';
import type { Figure } from './run';

const MODEL: TinyModel = { layers: 94, experts: 16, hidden: 8, inter: 4, vocab: 16 };

export default async function bench(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-qbench-'));
  try {
    writeQuantizedModel(dir, MODEL, { shards: 1000 });
    const file = path.join(dir, 'quant_model_description.json');
    const text = fs.readFileSync(file, 'utf8');
    const run = () => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = inspectQuantDescription(text, quantDescriptionContext(file));
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000;
      if (!r.summary || r.summary.missing.length || r.findings.some((f) => f.severity === 'error')) throw new Error(`bench folder does not check clean: ${r.findings[0]?.message}`);
      return { ms, cpu, tensors: r.summary.tensors };
    };
    const cold = run();
    const warm = Array.from({ length: 5 }, run);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    const shards = new Set(Object.values((JSON.parse(fs.readFileSync(path.join(dir, 'quant_model_weights.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> }).weight_map)).size;
    return [
      { name: 'quantize.check_ms', value: Number(cold.ms.toFixed(1)), unit: `ms (${shards} shards, ${cold.tensors} tensor entries, headers read)` },
      { name: 'quantize.check_cpu_ms', value: Number(cold.cpu.toFixed(1)), unit: 'ms CPU (user+system) of the same cold check: wall time counts other processes on a busy machine' },
      { name: 'quantize.check_warm_ms', value: Number(median(warm.map((w) => w.ms)).toFixed(1)), unit: 'ms (median of 5, headers cached)' },
      { name: 'quantize.check_warm_cpu_ms', value: Number(median(warm.map((w) => w.cpu)).toFixed(1)), unit: 'ms CPU (median of 5, headers cached)' },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
