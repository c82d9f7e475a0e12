// Runs test files with node:test (under tsx, inherited through execArgv), prints the spec report, and
// writes the pass/fail/skip counts to the file named by COUNTS_FILE for scripts/test.mjs to total up.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import * as fs from 'node:fs';

const files = process.argv.slice(2);
const counts = { passed: 0, failed: 0, skipped: 0 };
const stream = run({ files, concurrency: Number(process.env.TEST_CONCURRENCY ?? 2), timeout: 15 * 60_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type === 'suite') return;
  if (e.skip || e.todo) counts.skipped++;
  else counts.passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type === 'suite' && e.details?.error?.failureType === 'subtestsFailed') return;
  counts.failed++;
});
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, JSON.stringify(counts));
  process.exitCode = counts.failed > 0 ? 1 : 0;
});
