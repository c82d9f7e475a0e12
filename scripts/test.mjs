// `npm test`: everything, in order, on a fresh machine or a developer's.
//   build → typecheck → lint → l10n completeness → node:test suites (core, CLI, python host scripts over
//   local and a real loopback sshd, language server over JSON-RPC) → the suite inside a real VS Code
//   (code-server + headless Chromium, installed on first run into .vscode-test/) → UI smoke test.
// `npm test unit` runs only the node:test suites. Prints "N passed, N failed" at the end.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedPhases = [];

function step(name, cmd, args, opts = {}) {
  const t0 = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...opts.env } });
  const ok = r.status === 0;
  process.stdout.write(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (!ok) failedPhases.push(name);
  return ok;
}

/** Every *.test.ts under test/, except the suites run by their own runners (vscode, ui) and fixtures. */
function testFiles(dir) {
  const skip = new Set(['vscode', 'fixtures', 'ui']);
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => rel.endsWith('.test.ts') && !rel.split(path.sep).some((part) => skip.has(part)))
    .map((rel) => path.join(dir, rel))
    .sort();
}

function addCounts(file) {
  if (!fs.existsSync(file)) return;
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped ?? 0;
}

const countsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-test-'));
step('build', process.execPath, ['scripts/build.mjs']);
if (only !== 'unit') {
  step('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
  step('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', 'src', 'test', 'scripts', 'bench']);
}
const nodeCounts = path.join(countsDir, 'node.json');
step('node:test suites', process.execPath, ['--import', 'tsx', 'scripts/run-node-tests.mjs', ...testFiles(path.join(root, 'test'))], {
  env: { COUNTS_FILE: nodeCounts },
});
addCounts(nodeCounts);
if (fs.existsSync(path.join(root, 'test/python'))) {
  // Host-side scripts are stdlib Python: their own unit tests run under unittest.
  step('python unittest (host scripts)', 'python3', ['-m', 'unittest', 'discover', '-s', 'test/python', '-t', '.', '-p', 'test_*.py']);
}
if (only !== 'unit') {
  for (const suite of ['test/vscode/run-code-server.mjs', 'test/ui/run-ui-smoke.mjs']) {
    if (!fs.existsSync(path.join(root, suite))) continue;
    const f = path.join(countsDir, `${path.basename(suite)}.json`);
    step(suite, process.execPath, [suite], { env: { COUNTS_FILE: f } });
    addCounts(f);
  }
}
fs.rmSync(countsDir, { recursive: true, force: true });
process.stdout.write(`\n${failedPhases.length ? `failed phases: ${failedPhases.join(', ')}\n` : ''}`);
process.stdout.write(`${totals.passed} passed, ${totals.failed + (failedPhases.length && !totals.failed ? 1 : 0)} failed, ${totals.skipped} skipped\n`);
process.exitCode = failedPhases.length ? 1 : 0;
