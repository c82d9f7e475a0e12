import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers';

// The report renderers translate per call with tr()/en() (not the process-wide l10n bundle), and the
// validation steps store English text with en(); every literal they use must have a zh-CN entry in one of the
// l10n/zh-cn/*.json area files (merged into the one bundle at build time) with the same {n} placeholders.
const files = [
  ...fs.readdirSync(path.join(repoRoot, 'src/core/report')).map((f) => path.join(repoRoot, 'src/core/report', f)),
  ...fs.readdirSync(path.join(repoRoot, 'src/core/validate')).map((f) => path.join(repoRoot, 'src/core/validate', f)),
  path.join(repoRoot, 'src/cli/commands/report.ts'),
  path.join(repoRoot, 'src/cli/commands/validate.ts'),
].filter((f) => f.endsWith('.ts') && fs.existsSync(f));

const placeholders = (s: string) => [...s.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort().join(',');

describe('report strings (en + zh-CN)', () => {
  it('every tr()/en() literal has a zh-CN translation with the same placeholders', () => {
    const dir = path.join(repoRoot, 'l10n/zh-cn');
    const zh: Record<string, string> = Object.assign(
      {},
      ...fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, string>),
    );
    const missing: string[] = [];
    const mismatched: string[] = [];
    let count = 0;
    for (const f of files) {
      const src = fs.readFileSync(f, 'utf8');
      for (const m of src.matchAll(/\b(?:tr|en)\(\s*'((?:[^'\\]|\\.)*)'/g)) {
        const key = m[1].replace(/\\'/g, "'");
        count++;
        if (!(key in zh)) missing.push(`${path.basename(f)}: ${key}`);
        else if (placeholders(key) !== placeholders(zh[key])) mismatched.push(key);
      }
    }
    assert.ok(count > 100, `only ${count} strings found`);
    assert.deepEqual(missing, []);
    assert.deepEqual(mismatched, []);
  });
});
