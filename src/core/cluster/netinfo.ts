import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { execHostScript } from '../hostscripts/upload';
import type { NamedProfile } from '../profiles/schema';
import type { Transport } from '../transport/transport';
import type { NodeNet } from './plan';

/**
 * The nodes' network facts, from python/cluster/netinfo.py run on each node: interfaces and the route
 * toward the head (to fill in a node's address and NIC), and a TCP check that a worker's NIC reaches the
 * head's address and port.
 */

const SCRIPT = 'cluster/netinfo.py';

const Iface = z.object({ name: z.string(), address: z.string(), netmask: z.string().nullable() });
export const RouteSchema = z.object({
  hostname: z.string(),
  interfaces: z.array(Iface),
  toward: z.string().nullable(),
  address: z.string().nullable(),
  nic: z.string().nullable(),
  how: z.enum(['route', 'ssh', 'default-route']).nullable(),
  error: z.string().nullable(),
});
export type RouteInfo = z.infer<typeof RouteSchema>;

const ConnectSchema = z.object({ ok: z.boolean(), error: z.string().nullable(), ms: z.number(), source: z.string(), head: z.string().nullable().optional() });
export type ConnectResult = z.infer<typeof ConnectSchema>;

export class NetInfoError extends Error {
  constructor(message: string, readonly host: string) {
    super(message);
    this.name = 'NetInfoError';
  }
}

function lastJson<T>(schema: z.ZodType<T>, text: string, host: string): T {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new NetInfoError(l10n.t('{0}: netinfo printed no result', host), host);
  const r = schema.safeParse(JSON.parse(line));
  if (!r.success) throw new NetInfoError(l10n.t('{0}: netinfo answered in an unexpected shape: {1}', host, r.error.message.slice(0, 200)), host);
  return r.data;
}

/** Interfaces of the node and the route toward `head` (none: the node is the head). */
export async function readRoute(t: Transport, head: string | null, python = 'python3'): Promise<RouteInfo> {
  const r = await execHostScript(t, python, SCRIPT, ['route', ...(head ? [head] : [])], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new NetInfoError(l10n.t('{0}: netinfo failed: {1}', t.label, r.stderr.toString().trim() || `exit ${r.code}`), t.label);
  return lastJson(RouteSchema, r.stdout.toString('utf8'), t.label);
}

/** The address and interface a node uses, from what the profile gives and the node's route facts. */
export function netFromRoute(given: { address?: string; nic?: string }, route: RouteInfo): Partial<NodeNet> & { problem?: string } {
  const byName = given.nic ? route.interfaces.find((i) => i.name === given.nic) : undefined;
  const byAddr = given.address ? route.interfaces.find((i) => i.address === given.address) : undefined;
  if (given.nic && !given.address) {
    if (!byName) return { nic: given.nic, problem: l10n.t('interface {0} has no IPv4 address on {1}', given.nic, route.hostname) };
    return { nic: given.nic, address: byName.address };
  }
  if (given.address && !given.nic) {
    if (!byAddr) return { address: given.address, problem: l10n.t('no interface of {0} holds {1}', route.hostname, given.address) };
    return { address: given.address, nic: byAddr.name };
  }
  if (route.error || !route.address || !route.nic) {
    return { problem: route.error ?? l10n.t('no interface of {0} holds the source address {1}', route.hostname, route.address ?? '?') };
  }
  return { address: route.address, nic: route.nic };
}

/**
 * Addresses and interfaces the profile leaves out, found on the nodes: the head's from the address its SSH
 * session came in on, each worker's from the route toward the head. `open(host)` gives a node's transport.
 */
export async function detectNet(
  profile: NamedProfile,
  open: (host: string) => Promise<Transport>,
): Promise<{ detected: Record<string, Partial<NodeNet>>; routes: Record<string, RouteInfo>; problems: Array<{ host: string; message: string }> }> {
  const nodes = profile.nodes ?? [];
  const detected: Record<string, Partial<NodeNet>> = {};
  const routes: Record<string, RouteInfo> = {};
  const problems: Array<{ host: string; message: string }> = [];
  const one = async (i: number, head: string | null) => {
    const n = nodes[i];
    try {
      const route = await readRoute(await open(n.host), head);
      routes[n.host] = route;
      const r = netFromRoute({ address: n.address, nic: n.nic }, route);
      detected[n.host] = { address: r.address, nic: r.nic };
      if (r.problem) problems.push({ host: n.host, message: r.problem });
    } catch (e) {
      problems.push({ host: n.host, message: (e as Error).message });
    }
  };
  const head = nodes[0];
  if (head && (!head.address || !head.nic)) await one(0, null);
  const headAddress = head?.address ?? detected[head?.host ?? '']?.address ?? null;
  if (headAddress) await Promise.all(nodes.map((n, i) => (i > 0 && (!n.address || !n.nic) ? one(i, headAddress) : undefined)));
  return { detected, routes, problems };
}

/** Run on the head: listen on address:port (and see the API port is free), accept `peers` hellos. */
export function headListen(t: Transport, address: string, port: number, seconds: number, peers: number, apiPort: number | undefined, python = 'python3') {
  let resolveListening: (v: { listening: boolean; error?: string }) => void;
  const listening = new Promise<{ listening: boolean; error?: string }>((r) => (resolveListening = r));
  let buf = '';
  const done = execHostScript(t, python, SCRIPT, ['listen', address, String(port), String(seconds), String(peers), ...(apiPort !== undefined ? [String(apiPort)] : [])], {
    timeoutMs: (seconds + 30) * 1000,
    onStdout: (b) => {
      buf += b.toString('utf8');
      const first = buf.split('\n')[0];
      if (buf.includes('\n')) {
        try {
          const j = JSON.parse(first) as { listening: boolean; error?: string; port?: number };
          resolveListening({ listening: j.listening, error: j.error ? `${j.port ?? port}: ${j.error}` : undefined });
        } catch {
          resolveListening({ listening: false, error: first.slice(0, 200) });
        }
      }
    },
  }).then(
    (r) => {
      resolveListening({ listening: false, error: r.stderr.toString().trim() || `exit ${r.code}` });
      return r;
    },
    (e: Error) => {
      resolveListening({ listening: false, error: e.message });
      throw e;
    },
  );
  return { listening, done };
}

/** Run on a worker: from `source` connect to the head's address:port within `seconds`. */
export async function connectFrom(t: Transport, address: string, port: number, source: string, seconds: number, name: string, python = 'python3'): Promise<ConnectResult> {
  const r = await execHostScript(t, python, SCRIPT, ['connect', address, String(port), source, String(seconds), name], { timeoutMs: (seconds + 30) * 1000 });
  try {
    return lastJson(ConnectSchema, r.stdout.toString('utf8'), t.label);
  } catch {
    return { ok: false, error: r.stderr.toString().trim().split('\n').pop() || `exit ${r.code}`, ms: 0, source };
  }
}

/** Run on the head: wait (up to `seconds`) until address:port accepts connections. */
export async function waitListening(t: Transport, address: string, port: number, seconds: number, python = 'python3'): Promise<boolean> {
  const r = await execHostScript(t, python, SCRIPT, ['wait', address, String(port), String(seconds)], { timeoutMs: (seconds + 30) * 1000 });
  return r.code === 0;
}
