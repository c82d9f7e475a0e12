import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../../src/core/report/schema';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'report');
export const fixtureFile = path.join(fixturesDir, 'fixture_report.json');

export function fixtureText(): string {
  return fs.readFileSync(fixtureFile, 'utf8');
}

export function fixture(): Report {
  return JSON.parse(fixtureText()) as Report;
}

/** Golden files: compare, or rewrite them when UPDATE_GOLDEN=1 (then review the diff in git). */
export function golden(name: string, actual: string): string {
  const file = path.join(fixturesDir, name);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) fs.writeFileSync(file, actual);
  return fs.readFileSync(file, 'utf8');
}
