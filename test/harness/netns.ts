/**
 * A network namespace standing in for a remote Atlas host: its own loopback, reached from here over a
 * veth pair with private addresses, and a link that a test can cut and restore.
 *
 *   const ns = await createNetns();          // undefined-safe: check netnsAvailable() first
 *   const sshd = await startSshd({ netns: ns.name, listenAddress: ns.nsAddr });
 *   ns.cut(); ns.restore(); await ns.destroy();
 *
 * Needs root and iproute2. Names are unique per call; destroy() (also run at process exit) removes
 * the namespace, which removes the veth pair with it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Netns {
  name: string;
  /** veth end in the root namespace (cut/restore act on it). */
  hostIf: string;
  hostAddr: string;
  /** Address of the namespace's end: where its sshd listens. */
  nsAddr: string;
  cut(): void;
  restore(): void;
  destroy(): Promise<void>;
}

function ip(args: string[]): { code: number; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { code: r.error ? -1 : (r.status ?? -1), err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function must(args: string[]): void {
  const r = ip(args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.err.trim()}`);
}

/** Undefined when namespaces can be made here, else why not. */
export function netnsAvailable(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  const probe = `aaprobe${randomBytes(3).toString('hex')}`;
  const r = ip(['netns', 'add', probe]);
  if (r.code !== 0) return `ip netns unavailable: ${r.err.trim() || 'no iproute2'}`;
  ip(['netns', 'del', probe]);
  return undefined;
}

const live = new Set<string>();
let hooked = false;

export async function createNetns(): Promise<Netns> {
  const tag = randomBytes(3).toString('hex');
  const name = `aans${tag}`;
  const hostIf = `aah${tag}`;
  const nsIf = `aan${tag}`;
  // A /30 out of 10.213.0.0/16 picked at random: only addresses inside namespaces we make.
  const n = randomBytes(2).readUInt16BE(0) & 0x3fff;
  const base = `10.213.${n >> 6}.${(n & 0x3f) * 4}`;
  const [a, b, c] = base.split('.').map(Number);
  const d = Number(base.split('.')[3]);
  const hostAddr = `${a}.${b}.${c}.${d + 1}`;
  const nsAddr = `${a}.${b}.${c}.${d + 2}`;
  must(['netns', 'add', name]);
  live.add(name);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => { for (const x of live) ip(['netns', 'del', x]); });
  }
  try {
    must(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    must(['link', 'set', nsIf, 'netns', name]);
    must(['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    must(['link', 'set', hostIf, 'up']);
    must(['-n', name, 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf]);
    must(['-n', name, 'link', 'set', nsIf, 'up']);
    must(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    ip(['link', 'del', hostIf]);
    ip(['netns', 'del', name]);
    live.delete(name);
    throw e;
  }
  return {
    name, hostIf, hostAddr, nsAddr,
    cut: () => must(['link', 'set', hostIf, 'down']),
    restore: () => must(['link', 'set', hostIf, 'up']),
    async destroy() {
      ip(['link', 'del', hostIf]);
      ip(['netns', 'del', name]);
      live.delete(name);
    },
  };
}
