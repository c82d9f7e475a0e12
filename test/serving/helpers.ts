import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileSchema, type NamedProfile } from '../../src/core/profiles/schema';
import { createSim } from '../../src/core/sim';
import { chownR } from '../harness/files';

export { chownR };

export const ROOT = path.resolve(__dirname, '..', '..');
export const MODELS = path.join(ROOT, 'test', 'fixtures', 'serving', 'models');

/** An interpreter every user can run (the sim wrappers must work for the sshd harness's throwaway user too). */
export function sharedPython(): string | undefined {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (fs.existsSync(p)) return p;
  return undefined;
}

/** A simulated Atlas host (8 × 910B3) in a fresh temp dir, readable by everyone. */
export function makeSim(opts: { devices?: number; owner?: { uid: number; gid: number } } = {}): { dir: string; parent: string; cleanup(): void } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-serving-'));
  fs.chmodSync(parent, 0o755);
  const dir = path.join(parent, 'sim');
  createSim(dir, { devices: opts.devices ?? 8, python: sharedPython() });
  if (opts.owner) chownR(parent, opts.owner.uid, opts.owner.gid);
  return { dir, parent, cleanup: () => fs.rmSync(parent, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function simProfile(name: string, o: Record<string, unknown>): NamedProfile {
  return { name, ...profileSchema.parse(o) };
}

/** Copy a fixture model folder somewhere a given user can read. */
export function copyModel(name: string, destParent: string): string {
  const dest = path.join(destParent, 'models', name);
  fs.cpSync(path.join(MODELS, name), dest, { recursive: true });
  return dest;
}
