import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonDir } from '../paths';
import { quoteArg as shq } from '../transport/quote';

/**
 * The simulated AISBench of a simulated Atlas host (called by `sim create`): the `ais_bench` command
 * (python/sim/ais_bench.py, which sends real requests through python/httpclient.py and writes AISBench's
 * output formats) and its dataset folder holding the demo GSM8K items where AISBench keeps datasets
 * (<root>/aisbench/ais_bench/datasets/gsm8k/test.jsonl). Everything says SIMULATED.
 */

const MARK = 'SIMULATED by ascend-adapt — not a real AISBench installation';

function write(file: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, mode !== undefined ? { mode } : undefined);
}

export function layoutSimAisBench(root: string, o: { python: string; simDir: string; bin: string }): { datasets: string } {
  const script = path.join(o.simDir, 'ais_bench.py');
  // the stand-in speaks HTTP through the host scripts' client, beside it in the simulator folder
  fs.copyFileSync(path.join(pythonDir(), 'httpclient.py'), path.join(o.simDir, 'httpclient.py'));
  write(path.join(o.bin, 'ais_bench'), [
    '#!/bin/sh',
    `# ais_bench: ${MARK}`,
    `if [ ! -f ${shq(script)} ]; then echo ${shq(`ais_bench (simulated): ${script} is missing`)} >&2; exit 127; fi`,
    `ASCEND_ADAPT_SIM_AISBENCH_ROOT=${shq(path.join(root, 'aisbench'))} exec ${shq(o.python)} ${shq(script)} "$@"`,
    '',
  ].join('\n'), 0o755);
  const datasets = path.join(root, 'aisbench', 'ais_bench', 'datasets');
  fs.mkdirSync(path.join(datasets, 'gsm8k'), { recursive: true });
  fs.copyFileSync(path.join(pythonDir(), 'data', 'demo', 'gsm8k.jsonl'), path.join(datasets, 'gsm8k', 'test.jsonl'));
  write(path.join(root, 'aisbench', 'README-SIMULATED.txt'), `${MARK}\nThe demo GSM8K items (python/data/demo) as AISBench's gsm8k dataset; \`ais_bench\` is on PATH after sourcing env.sh.\n`);
  return { datasets };
}
