// `npm run corpus -- [--extra-path DIR]… [--torch-npu VERSION] DIR…`: lints real trees (checkouts of public
// code such as vllm-ascend or vllm; never committed here) and prints one JSON line per figure and tree:
//   lint.corpus_files         files checked (and lint.corpus_skipped: files skipped, with reasons on stderr)
//   lint.corpus_kloc          thousands of lines in the checked files
//   lint.corpus_per_kloc      diagnostics per KLOC: one line in total and one per {code, severity}
//   lint.corpus_errors        error-severity diagnostics (a CI gate fails on any)
//   lint.corpus_ms            wall time of the lint (module index cold, in-process); lint.corpus_cpu_ms its CPU time
//   lint.corpus_parse_ms      tree-sitter parsing the same Python files alone (wall), and lint.corpus_vs_parse_ratio;
//                             lint.corpus_vs_parse_cpu_ratio the same in CPU time (other processes on a shared
//                             machine move it less; garbage-collector threads count in it)
// With --list the diagnostics themselves go to stderr as file:line:col lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_LINT_SETTINGS, decodeText, fileKind, lintPaths, LintSettings } from '../src/core/analysis/index';
import { input, pythonParser } from '../src/core/analysis/treesitter';

interface Line {
  name: string;
  value: number;
  unit: string;
  dir: string;
  code?: string;
  severity?: string;
}

function args(argv: string[]): { dirs: string[]; extra: string[]; torchNpu: string; list: boolean } {
  const out = { dirs: [] as string[], extra: [] as string[], torchNpu: '', list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--extra-path') out.extra.push(argv[++i]);
    else if (a === '--torch-npu') out.torchNpu = argv[++i];
    else if (a === '--list') out.list = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else out.dirs.push(a);
  }
  if (!out.dirs.length) throw new Error('usage: npm run corpus -- [--extra-path DIR]… [--torch-npu VERSION] [--list] DIR…');
  return out;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Wall and CPU time of parsing the files with tree-sitter alone (reading them included, as the lint does). */
async function parseOnly(files: string[]): Promise<{ ms: number; cpu: number }> {
  const parser = await pythonParser();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const f of files) {
    if (fileKind(f) !== 'python') continue;
    const text = decodeText(fs.readFileSync(f));
    if (text !== undefined) parser.parse(input(text))?.delete();
  }
  return { cpu: cpuMs(process.cpuUsage(c0)), ms: performance.now() - t0 };
}

function pythonFilesOf(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile() && e.name.endsWith('.py'))
    .map((e) => path.join(e.parentPath, e.name));
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const settings = LintSettings.parse({ ...DEFAULT_LINT_SETTINGS, extraPaths: a.extra, torchNpuVersion: a.torchNpu });
  for (const d of a.dirs) {
    const dir = path.resolve(d);
    await parseOnly(pythonFilesOf(dir)); // warm the parser and the JIT, as a second lint run would be
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const run = await lintPaths([dir], { settings, roots: [process.cwd()] });
    const cpu = cpuMs(process.cpuUsage(c0));
    const ms = performance.now() - t0;
    const parse = await parseOnly(run.files);
    let lines = 0;
    for (const f of run.files) lines += (fs.readFileSync(f, 'utf8').match(/\n/g) ?? []).length + 1;
    const kloc = lines / 1000;
    const per = (n: number) => Math.round((n / kloc) * 10000) / 10000;
    const out: Line[] = [
      { name: 'lint.corpus_files', value: run.files.length, unit: 'files', dir: d },
      { name: 'lint.corpus_skipped', value: run.skipped.length, unit: 'files', dir: d },
      { name: 'lint.corpus_kloc', value: Math.round(kloc * 10) / 10, unit: 'KLOC', dir: d },
      { name: 'lint.corpus_per_kloc', value: per(run.findings.length), unit: '1/KLOC', dir: d },
    ];
    const groups = new Map<string, number>();
    for (const f of run.findings) groups.set(`${f.code}\u0000${f.severity}`, (groups.get(`${f.code}\u0000${f.severity}`) ?? 0) + 1);
    for (const [k, n] of [...groups].sort()) {
      const [code, severity] = k.split('\u0000');
      out.push({ name: 'lint.corpus_per_kloc', code, severity, value: per(n), unit: '1/KLOC', dir: d });
    }
    out.push(
      { name: 'lint.corpus_errors', value: run.findings.filter((f) => f.severity === 'error').length, unit: 'diagnostics', dir: d },
      { name: 'lint.corpus_ms', value: Math.round(ms), unit: 'ms', dir: d },
      { name: 'lint.corpus_cpu_ms', value: Math.round(cpu), unit: 'ms', dir: d },
      { name: 'lint.corpus_parse_ms', value: Math.round(parse.ms), unit: 'ms', dir: d },
      { name: 'lint.corpus_vs_parse_ratio', value: Math.round((ms / parse.ms) * 100) / 100, unit: 'x', dir: d },
      { name: 'lint.corpus_vs_parse_cpu_ratio', value: Math.round((cpu / parse.cpu) * 100) / 100, unit: 'x', dir: d },
    );
    for (const l of out) process.stdout.write(JSON.stringify(l) + '\n');
    for (const s of run.skipped) process.stderr.write(`corpus: skipped ${path.relative(dir, s.file)} (${s.reason}${s.detail ? `: ${s.detail}` : ''})\n`);
    if (a.list) {
      for (const f of run.findings) process.stderr.write(`${path.relative(dir, f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} [${f.code}] ${f.message}\n`);
    }
  }
}

main().catch((e) => {
  process.stderr.write(`corpus: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
