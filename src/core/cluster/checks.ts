import * as l10n from '@vscode/l10n';
import { busyThresholdMB } from '../checks/checks';
import { compareHosts } from '../checks/analyze';
import type { Check, CheckStatus, EnvReport } from '../checks/report';
import type { ProbeOutcome } from '../probe/schema';
import { HCCN_SOURCE, hccnFacts, netHealthy, type HccnPort, type PingResult } from './hccn';
import type { ConnectResult, RouteInfo } from './netinfo';
import type { NodeRole } from './plan';

/**
 * The cluster pre-checks, pure: what vllm-ascend's installation guide ("Verify Multi-Node Communication")
 * has people run by hand on every node — hccn_tool link / net_health / ip / tls, /etc/hccn.conf, a ping to
 * an NPU of each other node — plus what a multi-node launch trips over: the node's NIC and its reach to the
 * head's address and port, the same software everywhere, the same model folder, free HBM on the listed
 * devices. Every failure names the node (and device) and says how to fix it.
 */

export interface ClusterCheck extends Check {
  /** The node the check is about (null: the cluster as a whole). */
  node: string | null;
  device?: number;
}

export interface NodeCheckInput {
  index: number;
  host: string;
  role: NodeRole;
  /** The node's environment check (with its raw probe outcome), or null when it could not be probed. */
  report: (EnvReport & { raw: ProbeOutcome }) | null;
  /** Why it could not be reached or probed at all. */
  error?: string;
  /** Logical devices the launch uses on this node (null: env-check without a profile). */
  devices: number[] | null;
  /** Address and interface the launch uses (null: not planned). */
  net: { address: string; nic: string } | null;
  route?: RouteInfo | null;
  /** Workers: their TCP connect from the NIC's address to the head's address and port. */
  reach?: ConnectResult | null;
  /** Head: whether it could listen on its address and port. */
  listen?: { listening: boolean; error?: string } | null;
  /** hccn_tool -i 0 -ping from this node to one NPU of each other node. */
  pings?: Array<{ toHost: string; target: string; result: PingResult }>;
}

export interface ClusterCheckOptions {
  headAddress?: string;
  port?: number;
  /** Weights each device holds (bytes), when the model is known. */
  weightBytesPerDevice?: number | null;
  modelPath?: string;
}

const nodeName = (n: { index: number; host: string }) => l10n.t('node {0} ({1})', n.index, n.host);

function mk(id: string, status: CheckStatus, title: string, detail: string, fix: string | null, node: string | null, extra: { device?: number; facts?: Check['facts']; source?: string | null } = {}): ClusterCheck {
  const facts: Check['facts'] = { ...(extra.facts ?? {}), ...(node ? { node } : {}), ...(extra.device !== undefined ? { device: extra.device } : {}) };
  return { id, status, title, detail, fix, facts, source: extra.source ?? null, node, ...(extra.device !== undefined ? { device: extra.device } : {}) };
}

/** All cluster checks, in the order a person would go through them. */
export function clusterChecks(nodes: readonly NodeCheckInput[], opts: ClusterCheckOptions = {}): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  for (const n of nodes) {
    if (!n.report || !n.report.raw.ok) {
      out.push(mk('cluster.reach-node', 'fail', l10n.t('Node reachable'), l10n.t('{0} could not be checked: {1}', nodeName(n), n.error ?? (n.report && !n.report.raw.ok ? n.report.raw.message : '?')),
        l10n.t('Make {0} reachable with plain `ssh {0}` and run the check again.', n.host), n.host));
    }
  }
  out.push(...portChecks(nodes), ...hccnCrossChecks(nodes), ...pingChecks(nodes));
  out.push(...networkChecks(nodes, opts));
  const versions = compareHosts(nodes.flatMap((n) => (n.report ? [{ ...n.report, host: n.host }] : [])));
  if (versions) out.push({ ...versions, node: null });
  out.push(...modelChecks(nodes, opts), ...hbmChecks(nodes, opts));
  return out;
}

function portsOf(n: NodeCheckInput): HccnPort[] | null {
  if (!n.report?.raw.ok) return null;
  const f = hccnFacts(n.report.raw.data);
  return f.queried ? f.ports : null;
}

/** Per node: hccn_tool present, /etc/hccn.conf there, each port UP, healthy, with an address. */
function portChecks(nodes: readonly NodeCheckInput[]): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  for (const n of nodes) {
    if (!n.report?.raw.ok) continue;
    const f = hccnFacts(n.report.raw.data);
    if (!f.path) {
      out.push(mk('cluster.hccn', 'fail', l10n.t('hccn_tool'), l10n.t('hccn_tool not found on {0}', nodeName(n)),
        l10n.t('Install the driver\'s tools or mount /usr/local/Ascend/driver/tools/hccn_tool into the container on {0}.', n.host), n.host, { source: HCCN_SOURCE }));
      continue;
    }
    if (f.conf && !f.conf.exists) {
      out.push(mk('cluster.hccn-conf', 'fail', l10n.t('/etc/hccn.conf'), l10n.t('{0} has no {1}', nodeName(n), f.conf.path),
        l10n.t('Configure the NPU ports on {0} (hccn_tool -i N -ip -s address A netmask M writes /etc/hccn.conf); in a container, mount /etc/hccn.conf.', n.host), n.host, { source: HCCN_SOURCE }));
    }
    const used = new Set(n.devices ?? f.ports.map((p) => p.device));
    for (const p of f.ports) {
      const inUse = used.has(p.device);
      if (p.link !== 'UP') {
        out.push(mk('cluster.hccn-link', inUse ? 'fail' : 'warn', l10n.t('NPU port link'), l10n.t('{0} NPU {1}: link status {2}', nodeName(n), p.device, p.link ?? '?'),
          l10n.t('Check the cable and switch port of NPU {0} on {1}: `hccn_tool -i {0} -link -g` must say UP.', p.device, n.host), n.host, { device: p.device, source: HCCN_SOURCE }));
      } else if (p.netHealth !== null && !netHealthy(p.netHealth)) {
        out.push(mk('cluster.hccn-health', inUse ? 'fail' : 'warn', l10n.t('NPU port health'), l10n.t('{0} NPU {1}: net health status {2}', nodeName(n), p.device, p.netHealth),
          l10n.t('On {1}, `hccn_tool -i {0} -net_health -g` must say Success: check the port\'s detect IP and gateway (`-netdetect -g`, `-gateway -g`).', p.device, n.host), n.host, { device: p.device, source: HCCN_SOURCE }));
      }
      if (p.ip === null && p.unread.includes('-ip')) {
        out.push(mk('cluster.hccn-ip', inUse ? 'fail' : 'warn', l10n.t('NPU port address'), l10n.t('{0} NPU {1}: no address', nodeName(n), p.device),
          l10n.t('Give NPU {0} on {1} an address: hccn_tool -i {0} -ip -s address A netmask M.', p.device, n.host), n.host, { device: p.device, source: HCCN_SOURCE }));
      }
    }
  }
  if (nodes.some((n) => portsOf(n)) && !out.some((c) => c.status === 'fail')) {
    const counted = nodes.map((n) => portsOf(n)?.length ?? 0);
    out.push(mk('cluster.hccn-link', 'pass', l10n.t('NPU port link'), l10n.t('{0} NPU ports UP and healthy on {1} nodes', counted.reduce((a, b) => a + b, 0), nodes.length), null, null, { source: HCCN_SOURCE }));
  }
  return out;
}

/** Across nodes: every NPU address distinct, one netmask, one TLS switch state. */
function hccnCrossChecks(nodes: readonly NodeCheckInput[]): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  const owners = new Map<string, Array<{ n: NodeCheckInput; device: number }>>();
  const masks = new Map<string, string[]>();
  const tls = new Map<number, string[]>();
  for (const n of nodes) {
    for (const p of portsOf(n) ?? []) {
      if (p.ip) {
        owners.set(p.ip.address, [...(owners.get(p.ip.address) ?? []), { n, device: p.device }]);
        if (p.ip.netmask) masks.set(p.ip.netmask, [...(masks.get(p.ip.netmask) ?? []), `${n.host}:${p.device}`]);
      }
      if (p.tls) tls.set(p.tls.switch, [...(tls.get(p.tls.switch) ?? []), `${n.host}:${p.device}`]);
    }
  }
  for (const [addr, list] of owners) {
    if (list.length < 2) continue;
    const where = list.map((o) => l10n.t('{0} NPU {1}', nodeName(o.n), o.device)).join(', ');
    const last = list[list.length - 1];
    out.push(mk('cluster.hccn-ip-unique', 'fail', l10n.t('NPU addresses distinct'), l10n.t('{0} is used by {1}', addr, where),
      l10n.t('Give each NPU port its own address: on {0}, hccn_tool -i {1} -ip -s address A netmask M with an unused A.', last.n.host, last.device), last.n.host, { device: last.device, facts: { address: addr }, source: HCCN_SOURCE }));
  }
  if (masks.size > 1) {
    const detail = [...masks.entries()].map(([m, ports]) => `${m}: ${ports.slice(0, 4).join(', ')}${ports.length > 4 ? ' …' : ''}`).join('; ');
    out.push(mk('cluster.hccn-netmask', 'fail', l10n.t('NPU netmask'), l10n.t('the NPU ports use different netmasks: {0}', detail), l10n.t('Use the same netmask on every NPU port of the cluster.'), null, { source: HCCN_SOURCE }));
  }
  if (tls.size > 1) {
    const byNode = nodes.map((n) => `${n.host}=${[...new Set((portsOf(n) ?? []).map((p) => p.tls?.switch ?? '?'))].join('/')}`).join(', ');
    const minority = [...tls.entries()].sort((a, b) => a[1].length - b[1].length)[0]!;
    const odd = [...new Set(minority[1].map((s) => s.split(':')[0]!))];
    out.push(mk('cluster.hccn-tls', 'fail', l10n.t('TLS the same on every node'), l10n.t('the NPU ports\' TLS switch differs between nodes ({0})', byNode),
      l10n.t('TLS settings must be the same on all nodes: on {0}, hccn_tool -i N -tls -s enable {1} for each NPU N (or switch the others).', odd.join(', '), String(1 - minority[0])), odd[0] ?? null, { source: HCCN_SOURCE }));
  }
  if (owners.size > 0 && !out.length) {
    out.push(mk('cluster.hccn-ip-unique', 'pass', l10n.t('NPU addresses distinct'), l10n.t('{0} distinct NPU addresses, one netmask, one TLS setting', owners.size), null, null, { source: HCCN_SOURCE }));
  }
  return out;
}

function pingChecks(nodes: readonly NodeCheckInput[]): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  let tried = 0;
  for (const n of nodes) {
    for (const p of n.pings ?? []) {
      tried++;
      if (p.result.ok) continue;
      const peer = nodes.find((x) => x.host === p.toHost);
      out.push(mk('cluster.hccn-ping', 'fail', l10n.t('NPU ping between nodes'), l10n.t('NPU 0 of {0} gets no answer from {1} of {2}', nodeName(n), p.target, peer ? nodeName(peer) : p.toHost),
        l10n.t('Check both ports\' links, that they share a subnet and the RoCE switch between them: hccn_tool -i 0 -ping -g address {0} on {1}.', p.target, n.host), n.host, { device: 0, facts: { target: p.target }, source: HCCN_SOURCE }));
    }
  }
  if (tried > 0 && out.length === 0) out.push(mk('cluster.hccn-ping', 'pass', l10n.t('NPU ping between nodes'), l10n.t('{0} pings between nodes answered', tried), null, null, { source: HCCN_SOURCE }));
  return out;
}

/** The launch's own network: each node's NIC is real and carries the route to the head; workers reach its port. */
function networkChecks(nodes: readonly NodeCheckInput[], opts: ClusterCheckOptions): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  const title = l10n.t('Network interface to the head');
  for (const n of nodes) {
    if (!n.net || !n.route) continue;
    const iface = n.route.interfaces.find((i) => i.name === n.net!.nic);
    const names = n.route.interfaces.map((i) => `${i.name}=${i.address}`).join(', ');
    if (!iface) {
      out.push(mk('cluster.nic', 'fail', title, l10n.t('{0}: interface {1} has no IPv4 address (it has {2})', nodeName(n), n.net.nic, names),
        l10n.t('Set "nic" of {0} to the interface on the nodes\' network, or leave it out to use the one with the route to the head.', n.host), n.host));
    } else if (iface.address !== n.net.address) {
      out.push(mk('cluster.nic', 'fail', title, l10n.t('{0}: {1} holds {2}, not {3}', nodeName(n), n.net.nic, iface.address, n.net.address),
        l10n.t('Make "address" and "nic" of {0} agree (HCCL_IF_IP must be the address of that interface).', n.host), n.host));
    } else if (n.role === 'worker' && n.route.nic && n.route.nic !== n.net.nic) {
      out.push(mk('cluster.nic', 'fail', title, l10n.t('{0}: the route to the head {1} leaves through {2} ({3}), not {4}', nodeName(n), n.route.toward ?? '?', n.route.nic, n.route.address ?? '?', n.net.nic),
        l10n.t('Set "nic" of {0} to {1} (and "address" to {2}), or leave both out to use the route.', n.host, n.route.nic, n.route.address ?? '?'), n.host));
    }
    if (n.listen && !n.listen.listening) {
      out.push(mk('cluster.port', 'fail', l10n.t('Head address and port'), l10n.t('{0} cannot listen on {1}:{2}: {3}', nodeName(n), n.net.address, opts.port ?? '?', n.listen.error ?? '?'),
        l10n.t('Free the port on {0} (another server or an earlier run?) or choose another port in the profile; the head\'s address must be one of its own.', n.host), n.host));
    }
    if (n.reach && !n.reach.ok) {
      out.push(mk('cluster.reach', 'fail', l10n.t('Worker reaches the head'), l10n.t('{0} cannot reach the head at {1}:{2} from {3} ({4}): {5}', nodeName(n), opts.headAddress ?? '?', opts.port ?? '?', n.net.address, n.net.nic, n.reach.error ?? '?'),
        l10n.t('Check that {0} on {1} is on the head\'s network, the head\'s address, and that no firewall blocks port {2} between the nodes.', n.net.nic, n.host, opts.port ?? '?'), n.host));
    }
  }
  // A pass only when every worker was tried: one that could not be probed is no evidence of a route.
  const workers = nodes.filter((n) => n.role === 'worker');
  if (nodes.some((n) => n.route) && out.length === 0 && workers.every((n) => n.net && n.route && n.reach)) {
    const reached = nodes.filter((n) => n.reach?.ok).length;
    out.push(mk('cluster.nic', 'pass', title, l10n.t('every node\'s interface carries the route to the head; {0} worker(s) reached {1}:{2}', reached, opts.headAddress ?? '?', opts.port ?? '?'), null, null));
  }
  return out;
}

/** The model folder on every node, the same config.json and weight index as the head's. */
function modelChecks(nodes: readonly NodeCheckInput[], opts: ClusterCheckOptions): ClusterCheck[] {
  if (!opts.modelPath) return [];
  const out: ClusterCheck[] = [];
  const title = l10n.t('The same model folder on every node');
  const models = nodes.map((n) => ({ n, m: n.report?.raw.ok ? n.report.raw.data.model : undefined }));
  const ref = models.find((x) => x.m?.exists)?.m;
  for (const { n, m } of models) {
    if (!m) continue;
    if (!m.exists) {
      out.push(mk('cluster.model', 'fail', title, l10n.t('{0} does not exist on {1}', opts.modelPath, nodeName(n)), l10n.t('Copy the model folder to {0} on {1} (every node loads its own copy).', opts.modelPath, n.host), n.host));
    } else if (ref && (m.config !== ref.config || m.index !== ref.index)) {
      const what = [m.config !== ref.config ? 'config.json' : '', m.index !== ref.index ? (m.indexName ?? ref.indexName ?? 'index') : ''].filter(Boolean).join(', ');
      out.push(mk('cluster.model', 'fail', title, l10n.t('{0} on {1} differs from the first node\'s ({2})', opts.modelPath, nodeName(n), what),
        l10n.t('Copy the same model folder to every node (compare sha256sum {0}/config.json on each).', opts.modelPath), n.host, { facts: { config: m.config, index: m.index } }));
    }
  }
  if (ref && out.length === 0) out.push(mk('cluster.model', 'pass', title, l10n.t('{0}: the same config.json and index on {1} nodes', opts.modelPath, models.filter((x) => x.m).length), null, null));
  return out;
}

/** The devices a node's part of the launch uses exist, are not taken, and have room for the weights. */
function hbmChecks(nodes: readonly NodeCheckInput[], opts: ClusterCheckOptions): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  const title = l10n.t('Free NPUs on every node');
  let checked = 0;
  for (const n of nodes) {
    if (!n.report?.raw.ok || !n.devices) continue;
    const devs = n.report.npu.devices;
    for (const d of n.devices) {
      const dev = devs[d];
      if (!dev) {
        out.push(mk('cluster.hbm', 'fail', title, l10n.t('{0} has no NPU {1} ({2} found)', nodeName(n), d, devs.length), l10n.t('List devices that exist in "devices" of {0}.', n.host), n.host, { device: d }));
        continue;
      }
      checked++;
      const procs = n.report.npu.processes.filter((p) => p.npuId === dev.npuId && p.chipId === dev.chipId);
      const used = dev.hbmUsedMB ?? dev.memUsedMB;
      const total = dev.hbmTotalMB ?? dev.memTotalMB;
      if (procs.length || (used !== null && total !== null && used > busyThresholdMB(total))) {
        const who = procs.map((p) => l10n.t('pid {0} ({1}) holds {2} MB', p.pid, p.name || '?', p.memoryMB)).join('; ') || l10n.t('{0} MB of {1} MB in use', used ?? '?', total ?? '?');
        out.push(mk('cluster.hbm', 'fail', title, l10n.t('{0} NPU {1}: {2}', nodeName(n), d, who), l10n.t('Stop what runs on NPU {0} of {1}, or list other devices in its "devices".', d, n.host), n.host, { device: d }));
      } else if (opts.weightBytesPerDevice && used !== null && total !== null && opts.weightBytesPerDevice > (total - used) * 1024 * 1024) {
        out.push(mk('cluster.hbm', 'fail', title, l10n.t('{0} NPU {1}: {2} GiB free for {3} GiB of weights', nodeName(n), d, ((total - used) / 1024).toFixed(1), (opts.weightBytesPerDevice / 1024 ** 3).toFixed(1)),
          l10n.t('Raise TP or PP (weights are split over them) or use a quantized checkpoint.'), n.host, { device: d }));
      }
    }
  }
  if (checked > 0 && out.length === 0) out.push(mk('cluster.hbm', 'pass', title, l10n.t('{0} NPU(s) free on {1} nodes', checked, nodes.length), null, null));
  return out;
}
