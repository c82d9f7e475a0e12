import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSim, type SimCreateOptions, type SimCreated } from '../../src/core/sim/create';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixtures = path.join(repoRoot, 'test', 'fixtures', 'envcheck');
/** Shared reference material beside the checkout (tests may read it; the product must not). */
export const sharedSamples = path.resolve(repoRoot, '..', 'shared', 'samples');

export function fixture(name: string): string {
  return fs.readFileSync(path.join(fixtures, name), 'utf8');
}

export function tmpDir(prefix = 'aa-envcheck-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A simulated host in a fresh temp dir; `cleanup()` removes it. */
export function makeSim(opts: SimCreateOptions = {}): SimCreated & { cleanup(): void } {
  const parent = tmpDir('aa-envsim-');
  const created = createSim(path.join(parent, 'sim'), opts);
  return { ...created, cleanup: () => fs.rmSync(parent, { recursive: true, force: true }) };
}
