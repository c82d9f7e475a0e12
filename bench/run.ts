// `npm run bench`: runs every bench/*.bench.ts (each default-exports an async function returning figures)
// and prints one JSON line per figure: {"name","value","unit"}. Progress goes to stderr.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  let failed = 0;
  for (const f of files) {
    process.stderr.write(`bench: ${f}\n`);
    try {
      const mod = (await import(path.join(__dirname, f))) as { default: () => Promise<Figure[]> };
      for (const fig of await mod.default()) process.stdout.write(JSON.stringify(fig) + '\n');
    } catch (e) {
      failed++;
      process.stderr.write(`bench: ${f} failed: ${(e as Error).stack ?? String(e)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
