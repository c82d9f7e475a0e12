import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { EvidenceBook } from '../../src/core/validate/evidence';
import { makeDirs, OutDirError, prepareOutDir } from '../../src/core/validate/outdir';
import { runCli } from '../harness/cli';
import { repoRoot } from '../report/helpers';

/** Bad output folders for `validate`: refused at once with a message, never a hang, never mixed runs. */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, LANG: 'en_US.UTF-8' };

describe('validate --out', () => {
  it('an --out that cannot be made (/proc/x) fails at once with a clear message, exit 2 (a real process: a hang would be killed and fail)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'validate', '--demo', '--out', '/proc/x/report'], { cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `killed: it hung (${r.stderr})`);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot write the report to \/proc\/x\/report: .*ENOENT/);
    assert.doesNotMatch(r.stderr, /SIMULATED demo: creating/, 'nothing is set up before the output folder is known to work');
  });

  it('makeDirs makes nested folders, refuses a file in the way and never loops under /proc', () => {
    const d = path.join(tmp, 'a', 'b', 'c');
    makeDirs(d);
    assert.ok(fs.statSync(d).isDirectory());
    makeDirs(d);
    fs.writeFileSync(path.join(tmp, 'file'), '');
    assert.throws(() => makeDirs(path.join(tmp, 'file', 'x')), /not a folder/);
    assert.throws(() => makeDirs('/proc/x/y'), { code: 'ENOENT' });
  });

  it('a second validate into an --out that holds a run is refused (exit 2); the first run stays as it was', async () => {
    const out = path.join(tmp, 'run1');
    fs.mkdirSync(path.join(out, 'evidence'), { recursive: true });
    fs.writeFileSync(path.join(out, 'validation_report_20261204.json'), '{}');
    const r = await runCli(['validate', '--demo', '--out', out], { cwd: tmp, env });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /already holds a validation run \(evidence, validation_report_20261204\.json\): give each run its own --out folder/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['evidence', 'validation_report_20261204.json']);
    assert.throws(() => prepareOutDir(out), OutDirError);
    // An empty folder, or one with unrelated files, is fine.
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'x');
    prepareOutDir(other);
  });

  it('the evidence book lists only the files it wrote, not what else lies in evidence/', () => {
    const out = path.join(tmp, 'book');
    const book = new EvidenceBook(out, 'local');
    book.writeJson('smoke.json', { a: 1 });
    fs.writeFileSync(path.join(book.evidenceDir, 'stale-from-another-run.json'), '{}');
    assert.equal(book.copyLocal(path.join(tmp, 'missing'), 'reference/x.json'), null);
    assert.deepEqual(book.files(), ['smoke.json']);
  });

  it('--keep-host goes with --demo only', async () => {
    const r = await runCli(['validate', '--profile', 'p', '--keep-host'], { cwd: tmp, env });
    assert.equal(r.code, 2);
    assert.match(r.err, /--keep-host goes with --demo/);
  });
});
