import * as l10n from '@vscode/l10n';
import { analyzeHosts, type HostProbe } from '../checks/analyze';
import type { RunPlan } from '../checks/checks';
import type { EnvCheckTarget, EnvReportWithRaw } from '../probe/envcheck';
import { runProbe } from '../probe/run';
import type { ProbeOutcome } from '../probe/schema';
import type { Transport } from '../transport/transport';
import { clusterChecks, type ClusterCheck, type NodeCheckInput } from './checks';
import { netFromRoute, readRoute, type RouteInfo } from './netinfo';
import { pingEveryNode, pingTargets, reachHead } from './precheck';

/**
 * `env-check` of several hosts without a serving profile: the hosts are the nodes of one cluster (the first
 * is the head) and get every cluster pre-check that needs no profile — hccn_tool ports, NPU addresses and
 * TLS across nodes, NPU pings between nodes, each node's route to the head and a TCP connect from it to the
 * head's address and port, versions. What needs a profile (the model folder, free HBM on the NPUs a launch
 * uses) is named as such, not silently left out.
 */

/** The port the reach check listens on without a profile: vLLM's default data-parallel RPC port. */
export const DEFAULT_REACH_PORT = 13389;

export interface HostsCheckOptions {
  plan?: RunPlan;
  python?: string;
  sourceFirst?: string;
  commandTimeoutS?: number;
  /** The head's address on the nodes' network; default: the address the head's SSH session came in on. */
  headAddress?: string;
  port?: number;
  /** Seconds the head listens while the workers connect (default 10). */
  reachSeconds?: number;
}

export interface HostsCheck {
  reports: EnvReportWithRaw[];
  checks: ClusterCheck[];
  /** The head's address the reach check used, and where it came from. */
  head: { host: string; address: string | null; from: 'option' | 'ssh' | 'route' | 'default-route' | null; port: number };
  ok: boolean;
}

const failed = (message: string, ms: number): ProbeOutcome => ({ ok: false, kind: 'transport', message, exitCode: null, signal: null, stderr: '', stdoutHead: '', ms });

function nodeCheck(id: string, status: ClusterCheck['status'], title: string, detail: string, fix: string | null, node: string | null): ClusterCheck {
  return { id, status, title, detail, fix, facts: node ? { node } : {}, source: null, node };
}

/** Each host opened once (kept for the pings and the reach check); a failed open is remembered as such. */
function opener(targets: readonly EnvCheckTarget[]) {
  const open = new Map<string, Promise<Transport>>();
  const get = (host: string): Promise<Transport> => {
    let t = open.get(host);
    if (!t) {
      t = targets.find((x) => x.name === host)!.open();
      open.set(host, t);
    }
    return t;
  };
  const closeAll = () => Promise.all([...open.values()].map((p) => p.then((t) => t.close(), () => undefined)));
  return { get, closeAll };
}

/** The probe and the route toward the head, side by side on one connection. */
async function probeAndRoute(get: (h: string) => Promise<Transport>, target: EnvCheckTarget, opts: HostsCheckOptions, head: Promise<string | null> | null) {
  const t0 = Date.now();
  let t: Transport;
  try {
    t = await get(target.name);
  } catch (e) {
    return { outcome: failed((e as Error).message, Date.now() - t0), route: null, routeError: null, error: (e as Error).message };
  }
  const python = opts.python ?? 'python3';
  const sourceFirst = target.sourceFirst ?? opts.sourceFirst;
  const paths = opts.plan?.modelPath ? [opts.plan.modelPath] : [];
  const route = (async (): Promise<RouteInfo | string | null> => {
    const toward = head ? await head : null;
    if (head && !toward) return null;
    return readRoute(t, toward, python).catch((e: Error) => e.message);
  })();
  const [outcome, r] = await Promise.all([
    runProbe(t, { python, hccn: true, paths, ...(sourceFirst !== undefined ? { sourceFirst } : {}), ...(opts.commandTimeoutS !== undefined ? { commandTimeoutS: opts.commandTimeoutS } : {}) }),
    route,
  ]);
  return { outcome, route: typeof r === 'string' ? null : r, routeError: typeof r === 'string' ? r : null, error: undefined };
}

type Probed = Awaited<ReturnType<typeof probeAndRoute>>;

/** Each node's address and NIC toward the head (the head's: the interface holding its address). */
function nodeNets(targets: readonly EnvCheckTarget[], probed: readonly Probed[], headAddress: string | null) {
  const problems: ClusterCheck[] = [];
  const title = l10n.t('Network interface to the head');
  if (!headAddress && probed[0]?.outcome.ok) {
    problems.push(nodeCheck('cluster.nic', 'fail', title, l10n.t('the head\'s address on the nodes\' network is unknown: {0}', probed[0].routeError ?? probed[0].route?.error ?? '?'),
      l10n.t('Give it with --head-address IP.'), targets[0].name));
  }
  const nets = probed.map((p, i) => {
    const host = targets[i].name;
    if (!p.outcome.ok || !headAddress) return null;
    if (!p.route) {
      problems.push(nodeCheck('cluster.nic', 'fail', title, l10n.t('node {0} ({1}): its network facts could not be read: {2}', i, host, p.routeError ?? '?'),
        l10n.t('Check that python3 runs on {0}; the route toward the head is read with it.', host), host));
      return null;
    }
    const r = i === 0 ? netFromRoute({ address: headAddress }, p.route) : netFromRoute({}, p.route);
    if (r.problem || !r.address || !r.nic) {
      problems.push(nodeCheck('cluster.nic', 'fail', title, l10n.t('node {0} ({1}): no interface toward the head {2}: {3}', i, host, headAddress, r.problem ?? '?'),
        i === 0 ? l10n.t('Give --head-address an address of {0} on the nodes\' network.', host) : l10n.t('Connect {0} to the head\'s network (an interface with a route to {1}).', host, headAddress), host));
      return null;
    }
    return { address: r.address, nic: r.nic };
  });
  return { nets, problems };
}

/** The checks a profile is needed for, named with what to run instead. */
function needsProfile(): ClusterCheck {
  return nodeCheck('cluster.needs-profile', 'skip', l10n.t('Model folder and free NPU memory'),
    l10n.t('not checked: they depend on the model and the NPUs a launch uses'),
    l10n.t('Run env-check --profile NAME with a multi-node profile for the model folder on every node (same config.json and index) and free HBM on its NPUs.'), null);
}

/** Several hosts as one cluster (targets[0] is the head). Never throws for host-side trouble. */
export async function checkHosts(targets: readonly EnvCheckTarget[], opts: HostsCheckOptions = {}): Promise<HostsCheck> {
  const python = opts.python ?? 'python3';
  const port = opts.port ?? DEFAULT_REACH_PORT;
  const { get, closeAll } = opener(targets);
  try {
    const head = probeAndRoute(get, targets[0], opts, null);
    const headAddress = opts.headAddress !== undefined ? Promise.resolve(opts.headAddress) : head.then((p) => p.route?.address ?? null);
    const probed = [await head, ...(await Promise.all(targets.slice(1).map((t) => probeAndRoute(get, t, opts, headAddress))))];
    const address = await headAddress;
    const hostProbes: HostProbe[] = probed.map((p, i) => ({ host: targets[i].name, outcome: p.outcome }));
    const reports: EnvReportWithRaw[] = analyzeHosts(hostProbes, opts.plan ?? {}).map((r, i) => ({ ...r, raw: hostProbes[i].outcome }));
    const { nets, problems } = nodeNets(targets, probed, address);
    const targetsOf = pingTargets(probed.map((p, i) => ({ host: targets[i].name, outcome: p.outcome, devices: null })));
    const workers = nets.slice(1).flatMap((n, i) => (n ? [{ host: targets[i + 1].name, address: n.address }] : []));
    const [pings, reach] = await Promise.all([
      pingEveryNode(probed.map((p, i) => ({ host: targets[i].name, outcome: p.outcome })), targetsOf, get),
      address && nets[0] && workers.length
        ? reachHead({ head: targets[0].name, headAddress: address, port, workers }, get, opts.reachSeconds ?? 10, python).catch(() => null)
        : Promise.resolve(null),
    ]);
    const inputs: NodeCheckInput[] = targets.map((t, i) => ({
      index: i,
      host: t.name,
      role: i === 0 ? 'head' : 'worker',
      report: reports[i],
      error: probed[i].error,
      devices: null,
      net: nets[i],
      route: probed[i].route,
      reach: i > 0 ? reach?.reach[workers.findIndex((w) => w.host === t.name)] ?? null : null,
      listen: i === 0 ? reach?.listen ?? null : null,
      pings: pings[i],
    }));
    const checks = [...problems, ...clusterChecks(inputs, { headAddress: address ?? undefined, port }), needsProfile()];
    const from = opts.headAddress !== undefined ? 'option' : probed[0].route?.how ?? null;
    return { reports, checks, head: { host: targets[0].name, address, from, port }, ok: !checks.some((c) => c.status === 'fail') };
  } finally {
    await closeAll();
  }
}
