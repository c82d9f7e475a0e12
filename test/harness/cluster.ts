/**
 * Several "Atlas hosts" on one network, for multi-node tests: a bridge in the root namespace and, per node, a
 * network namespace whose `eth0` (a veth end) is on that bridge, with its own sshd, throwaway user and
 * simulated host. The nodes reach each other and this machine reaches them over the bridge, like hosts on a
 * switch; `cut(i)` takes a node's cable out (its veth end on the bridge goes down) and `restore(i)` puts it back.
 *
 *   const c = await startCluster(3, { extraNic: true });   // node i: 10.214.X.(10+i) on eth0 (+ eth1 on another net)
 *   c.sshConfig, c.knownHosts, c.nodes[i].alias / address / simRoot / sshd
 *   await c.stop();
 *
 * Names (namespaces, bridge, veths) and the /24 are unique per call, so runs can share the machine. Needs root.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { updateSimConfig } from '../../src/core/sim/config';
import { createSim } from '../../src/core/sim/create';
import { SshTransport } from '../../src/core/transport/ssh';
import type { Transport } from '../../src/core/transport/transport';
import { chownR } from './files';
import { netnsAvailable } from './netns';
import { sshdAvailable, startSshd, type Sshd } from './sshd';

export interface ClusterNode {
  index: number;
  alias: string;
  /** Address on the nodes' network (eth0 in its namespace). */
  address: string;
  netns: string;
  /** The root-namespace veth end (on the bridge). */
  hostIf: string;
  sshd: Sshd;
  simRoot: string;
  /** A second interface (eth1) on a network the others are not on, when asked for. */
  otherAddress?: string;
}

export interface TestCluster {
  nodes: ClusterNode[];
  bridge: string;
  subnet: string;
  dir: string;
  sshConfig: string;
  knownHosts: string;
  /** The simulated RoCE network (hccn_tool -ping). */
  fabric: string;
  cut(i: number): void;
  restore(i: number): void;
  /** Processes of node i's throwaway user still alive (nothing must be left after a stop). */
  leftovers(i: number): number[];
  stop(): Promise<void>;
}

function ip(args: string[]): { code: number; err: string; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { code: r.error ? -1 : (r.status ?? -1), err: (r.stderr ?? '') + (r.error ? String(r.error) : ''), out: r.stdout ?? '' };
}

function must(args: string[]): void {
  const r = ip(args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.err.trim()}`);
}

export function clusterAvailable(): string | undefined {
  return sshdAvailable() ?? netnsAvailable();
}

/** A /24 out of 10.214.0.0/16 that no route here uses yet. */
function freeSubnet(): string {
  for (let i = 0; i < 50; i++) {
    const x = randomBytes(1)[0];
    const net = `10.214.${x}`;
    if (!ip(['route', 'show', 'match', `${net}.0/24`]).out.includes(`${net}.`)) return net;
  }
  throw new Error('no free 10.214.x.0/24 found');
}

const liveNs = new Set<string>();
const liveLinks = new Set<string>();
let hooked = false;
function cleanupSync(): void {
  for (const l of liveLinks) ip(['link', 'del', l]);
  for (const n of liveNs) ip(['netns', 'del', n]);
}

export interface ClusterOptions {
  /** Also give every node an eth1 on a network no other node is on (to name a wrong NIC). */
  extraNic?: boolean;
  /** NPUs per node (default 4). */
  devices?: number;
  /** Simulated vllm load time (default 1 s). */
  loadTimeSec?: number;
}

export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<TestCluster> {
  const tag = randomBytes(3).toString('hex');
  const net = freeSubnet();
  const other = `10.215.${net.split('.')[2]}`;
  const bridge = `aab${tag}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-cluster-'));
  fs.chmodSync(dir, 0o755);
  const fabric = path.join(dir, 'fabric');
  fs.mkdirSync(fabric, { mode: 0o755 });
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanupSync);
  }
  must(['link', 'add', bridge, 'type', 'bridge']);
  liveLinks.add(bridge);
  must(['addr', 'add', `${net}.1/24`, 'dev', bridge]);
  must(['link', 'set', bridge, 'up']);
  const nodes: ClusterNode[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const ns = `aac${tag}n${i}`;
      const hostIf = `aah${tag}${i}`;
      const peer = `aap${tag}${i}`;
      must(['netns', 'add', ns]);
      liveNs.add(ns);
      must(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peer]);
      liveLinks.add(hostIf);
      must(['link', 'set', peer, 'netns', ns]);
      must(['-n', ns, 'link', 'set', peer, 'name', 'eth0']);
      must(['link', 'set', hostIf, 'master', bridge]);
      must(['link', 'set', hostIf, 'up']);
      const address = `${net}.${10 + i}`;
      must(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      must(['-n', ns, 'link', 'set', 'eth0', 'up']);
      must(['-n', ns, 'link', 'set', 'lo', 'up']);
      let otherAddress: string | undefined;
      if (opts.extraNic) {
        otherAddress = `${other}.${10 + i}`;
        // A veth whose other end stays unplugged in the root namespace: a NIC on a network nobody else is on.
        const stub = `aax${tag}${i}`;
        must(['link', 'add', stub, 'type', 'veth', 'peer', 'name', `aay${tag}${i}`]);
        liveLinks.add(stub);
        must(['link', 'set', `aay${tag}${i}`, 'netns', ns]);
        must(['-n', ns, 'link', 'set', `aay${tag}${i}`, 'name', 'eth1']);
        must(['-n', ns, 'addr', 'add', `${otherAddress}/24`, 'dev', 'eth1']);
        must(['-n', ns, 'link', 'set', 'eth1', 'up']);
      }
      const sshd = await startSshd({ netns: ns, listenAddress: address });
      const simRoot = path.join(dir, `node${i}`);
      const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));
      // One RoCE subnet for all nodes, each node's ports on their own addresses in it.
      createSim(simRoot, { devices: opts.devices ?? 4, npuNetwork: 100, npuFirstHost: 10 + 16 * i, python });
      updateSimConfig(simRoot, (c) => ({ ...c, hccnFabric: fabric, serve: { ...(c.serve ?? {}), loadTimeSec: opts.loadTimeSec ?? 1 } }));
      fs.symlinkSync(simRoot, path.join(fabric, `node${i}`));
      chownR(simRoot, sshd.uid, fs.statSync(sshd.home).gid);
      nodes.push({ index: i, alias: `node${i}-${tag}`, address, netns: ns, hostIf, sshd, simRoot, otherAddress });
    }
  } catch (e) {
    for (const x of nodes) await x.sshd.stop();
    cleanupSync();
    throw e;
  }
  const sshConfig = path.join(dir, 'ssh_config');
  const knownHosts = path.join(dir, 'known_hosts');
  fs.writeFileSync(sshConfig, nodes.map((x) => [
    `Host ${x.alias}`, `  HostName ${x.address}`, `  Port ${x.sshd.port}`, `  User ${x.sshd.user}`, `  IdentityFile ${x.sshd.keyPath}`,
    '  IdentitiesOnly yes', '  IdentityAgent none', '  ConnectTimeout 2', '',
  ].join('\n')).join('') + `Host *\n  UserKnownHostsFile ${knownHosts}\n`);
  fs.writeFileSync(knownHosts, nodes.map((x) => x.sshd.hostKeyLine + '\n').join(''));
  const cleanupAll = async () => {
    for (const x of nodes) await x.sshd.stop();
    for (const x of nodes) {
      ip(['link', 'del', `aax${tag}${x.index}`]);
      liveLinks.delete(`aax${tag}${x.index}`);
      ip(['link', 'del', x.hostIf]);
      liveLinks.delete(x.hostIf);
      ip(['netns', 'del', x.netns]);
      liveNs.delete(x.netns);
    }
    ip(['link', 'del', bridge]);
    liveLinks.delete(bridge);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return {
    nodes, bridge, subnet: `${net}.0/24`, dir, sshConfig, knownHosts, fabric,
    cut: (i) => must(['link', 'set', nodes[i].hostIf, 'down']),
    restore: (i) => must(['link', 'set', nodes[i].hostIf, 'up']),
    leftovers: (i) => nodes[i].sshd.userPids().filter((pid) => {
      // The user's sshd session processes (our own open connections) are not something a job left.
      try {
        return !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sshd:');
      } catch {
        return false;
      }
    }),
    stop: cleanupAll,
  };
}

/**
 * One connection per node alias, opened on first use, with the keepalive `serve` gives a multi-node job
 * (1 s × 3, reconnecting) so a cut cable is noticed as it would be in use; `close()` ends them all.
 */
export function nodeConnections(c: TestCluster): { get: (alias: string) => Promise<Transport>; close: () => Promise<void> } {
  const cfg = SshConfigFile.fromText(fs.readFileSync(c.sshConfig, 'utf8'));
  const open = new Map<string, Promise<Transport>>();
  const get = (alias: string) => {
    let t = open.get(alias);
    if (!t) {
      const s = new SshTransport(cfg.resolve(alias), { knownHosts: { files: [c.knownHosts] }, keepaliveIntervalMs: 1000, keepaliveCountMax: 3, reconnect: { maxAttempts: 100, maxDelayMs: 1000 } });
      t = s.connect().then(() => s);
      open.set(alias, t);
    }
    return t;
  };
  const close = async () => {
    for (const t of open.values()) await (await t).close();
  };
  return { get, close };
}
