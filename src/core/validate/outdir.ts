import * as fs from 'node:fs';
import * as path from 'node:path';
import { en } from '../l10n';

/** The output folder cannot be used; the message says why and what to do (the CLI exits 2 with it). */
export class OutDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutDirError';
  }
}

/**
 * mkdir -p that fails at once. Node's `fs.mkdirSync(dir, { recursive: true })` loops forever under /proc
 * (mkdir answers ENOENT for a parent that exists), so the folders are made one level at a time from the
 * nearest existing ancestor, and any error ends it.
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(cur);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} is not a folder`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

const REPORT_FILE = /^validation_report_\d{8}.*\.json$/;

/**
 * The folder a run writes into: made when missing, checked writable. A folder that already holds a
 * validation run (a report file or an evidence folder) is refused — a second run there would mix its
 * evidence with the first one's; each run gets its own folder.
 */
export function prepareOutDir(dir: string): void {
  try {
    makeDirs(dir);
    fs.accessSync(dir, fs.constants.W_OK);
    const probe = path.join(dir, `.ascend-adapt-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    throw new OutDirError(en('cannot write the report to {0}: {1}', dir, (e as Error).message));
  }
  const held = fs.readdirSync(dir).filter((f) => REPORT_FILE.test(f) || f === 'evidence');
  if (held.length) throw new OutDirError(en('{0} already holds a validation run ({1}): give each run its own --out folder, or leave --out out for a new dated one', dir, held.join(', ')));
}
