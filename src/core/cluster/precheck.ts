import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { analyzeHosts, type HostProbe } from '../checks/analyze';
import { withSimEnv } from '../jobs/simhost';
import { runProbe } from '../probe/run';
import type { EnvReportWithRaw } from '../probe/envcheck';
import type { ProbeOutcome } from '../probe/schema';
import type { NamedProfile } from '../profiles/schema';
import { buildServeCommand } from '../serving/command';
import { analyzeModel, inspectModel } from '../serving/model';
import { preflight, type PreflightCheck } from '../serving/preflight';
import type { Transport } from '../transport/transport';
import { clusterChecks, type ClusterCheck, type NodeCheckInput } from './checks';
import { hccnFacts, parsePing, type PingResult } from './hccn';
import { connectFrom, detectNet, headListen, readRoute, type RouteInfo } from './netinfo';
import { ClusterPlanError, planCluster, type ClusterPlan } from './plan';
import { sizeChecks } from './sizes';

/**
 * The cluster pre-checks, run: every node probed at once (env_probe with hccn_tool and the model folder's
 * fingerprint), each node's route toward the head, NPU pings between nodes, the head listening on its
 * address and port while each worker connects from its NIC, the model's own checks on the head — then the
 * pure verdicts of checks.ts and sizes.ts. Used before a multi-node launch and by `env-check --profile`.
 */

export interface ClusterPrecheckOptions {
  /** A node's transport (opened once by the caller, kept for the launch). */
  open(host: string): Promise<Transport>;
  python?: string;
  /** Seconds the head listens while the workers connect (default 15). */
  reachSeconds?: number;
}

export interface ClusterPrecheck {
  plan: ClusterPlan | null;
  checks: Array<ClusterCheck | (PreflightCheck & { node: string | null })>;
  /** Each node's environment check (host = the node's alias), in node order. */
  reports: Array<EnvReportWithRaw | null>;
  ok: boolean;
}

const failed = (message: string): ProbeOutcome => ({ ok: false, kind: 'transport', message, exitCode: null, signal: null, stderr: '', stdoutHead: '', ms: 0 });

function simEnvFile(simRoot: string | undefined): string | undefined {
  return simRoot ? path.posix.join(simRoot, 'env.sh') : undefined;
}

/** hccn_tool -i 0 -ping -g address IP from `host` to one NPU of every other node, side by side. */
export async function pingPeers(
  t: Transport,
  hccnPath: string,
  simRoot: string | undefined,
  targets: Array<{ toHost: string; target: string }>,
): Promise<Array<{ toHost: string; target: string; result: PingResult }>> {
  return Promise.all(targets.map(async (x) => {
    try {
      const r = await t.exec(withSimEnv(simRoot, [hccnPath, '-i', '0', '-ping', '-g', 'address', x.target]), { timeoutMs: 30_000 });
      return { ...x, result: parsePing(r.stdout.toString('utf8'), r.code) };
    } catch {
      return { ...x, result: { transmitted: null, received: null, ok: false } };
    }
  }));
}

/** Every node pings one NPU of each other node (`targets`, from pingTargets), all nodes side by side. */
export function pingEveryNode(
  nodes: ReadonlyArray<{ host: string; outcome: ProbeOutcome | null; simRoot?: string }>,
  targets: ReadonlyMap<string, string>,
  open: (host: string) => Promise<Transport>,
): Promise<Array<Awaited<ReturnType<typeof pingPeers>>>> {
  return Promise.all(nodes.map(async (n) => {
    const hccn = n.outcome?.ok ? hccnFacts(n.outcome.data).path : null;
    const peers = [...targets].filter(([h]) => h !== n.host).map(([toHost, target]) => ({ toHost, target }));
    return hccn && peers.length ? pingPeers(await open(n.host), hccn, n.simRoot, peers) : [];
  }));
}

/** One NPU address of each node, for the others to ping: its first used port that has one. */
export function pingTargets(reports: ReadonlyArray<{ host: string; outcome: ProbeOutcome | null; devices: number[] | null }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of reports) {
    if (!r.outcome?.ok) continue;
    const ports = hccnFacts(r.outcome.data).ports.filter((p) => p.ip && (!r.devices || r.devices.includes(p.device)));
    if (ports[0]?.ip) out.set(r.host, ports[0].ip.address);
  }
  return out;
}

/** Who listens where and who connects from where, for the reach check. */
export interface ReachPlan {
  head: string;
  headAddress: string;
  port: number;
  /** The API port, only to see it is free (a launch's); none for a check without a profile. */
  apiPort?: number;
  workers: ReadonlyArray<{ host: string; address: string }>;
}

/** The head listens on its address and port; every worker connects from its own address. */
export async function reachHead(plan: ReachPlan, open: (h: string) => Promise<Transport>, seconds: number, python: string) {
  const ht = await open(plan.head);
  const l = headListen(ht, plan.headAddress, plan.port, seconds, plan.workers.length, plan.apiPort, python);
  const listen = await l.listening;
  const reach = listen.listening
    ? await Promise.all(plan.workers.map(async (w) => connectFrom(await open(w.host), plan.headAddress, plan.port, w.address, Math.min(seconds, 10), w.host, python)
      .catch((e: Error) => ({ ok: false, error: e.message, ms: 0, source: w.address }))))
    : plan.workers.map(() => null);
  await l.done.catch(() => undefined);
  return { listen, reach };
}

async function probeNode(open: (h: string) => Promise<Transport>, host: string, simRoot: string | undefined, profile: NamedProfile, python: string, head: string | null) {
  let t: Transport;
  try {
    t = await open(host);
  } catch (e) {
    return { outcome: failed((e as Error).message), route: null as RouteInfo | null, error: (e as Error).message };
  }
  const [outcome, route] = await Promise.all([
    runProbe(t, { python, hccn: true, model: profile.modelPath, paths: [profile.modelPath], sourceFirst: simEnvFile(simRoot) }),
    readRoute(t, head, python).catch(() => null),
  ]);
  return { outcome, route, error: undefined };
}

/** The model's own checks (architecture, quantization, shape, env) on the head, without the one-host device checks. */
async function modelChecksOnHead(profile: NamedProfile, plan: ClusterPlan, t: Transport | null) {
  if (!t) return { checks: [] as PreflightCheck[], perDevice: null, moe: null };
  const command = { ...buildServeCommand(profile), env: plan.nodes[0].commands.at(-1)!.env };
  try {
    const insp = await inspectModel(t, profile.modelPath);
    const model = insp.config !== null ? analyzeModel(insp) : null;
    const r = preflight({ profile, command, model, modelFolder: { exists: insp.exists, isDir: insp.isDir, hasConfig: insp.config !== null } });
    return { checks: r.checks.filter((c) => !c.id.startsWith('devices.') && c.id !== 'hbm.fit'), perDevice: r.weightBytesPerDevice, moe: model ? model.moe : null };
  } catch (e) {
    return { checks: [{ id: 'model.folder', status: 'fail' as const, title: l10n.t('Model folder'), detail: (e as Error).message, fix: null }], perDevice: null, moe: null };
  }
}

export async function precheckCluster(profile: NamedProfile, opts: ClusterPrecheckOptions): Promise<ClusterPrecheck> {
  const python = opts.python ?? 'python3';
  const nodes = profile.nodes ?? [];
  const det = await detectNet(profile, opts.open);
  let plan: ClusterPlan | null = null;
  const early: Array<ClusterCheck | (PreflightCheck & { node: string | null })> = [];
  try {
    plan = planCluster(profile, det.detected);
  } catch (e) {
    if (!(e instanceof ClusterPlanError)) throw e;
    for (const p of det.problems) early.push({ id: 'cluster.detect', status: 'fail', title: l10n.t('Node address and interface'), detail: `${p.host}: ${p.message}`, fix: l10n.t('Give "address" and "nic" for {0} in the profile.', p.host), facts: { node: p.host }, source: null, node: p.host });
    if (!det.problems.length) early.push({ id: 'cluster.detect', status: 'fail', title: l10n.t('Node address and interface'), detail: e.message, fix: null, facts: {}, source: null, node: null });
  }
  const headAddress = plan?.headAddress ?? nodes[0]?.address ?? null;
  const probed = await Promise.all(nodes.map((n, i) => probeNode(opts.open, n.host, n.simRoot ?? profile.simRoot, profile, python, i === 0 ? null : headAddress)));
  const hostProbes: HostProbe[] = probed.map((p, i) => ({ host: nodes[i].host, outcome: p.outcome }));
  const reports: EnvReportWithRaw[] = analyzeHosts(hostProbes, { tp: profile.tensorParallelSize, pp: profile.pipelineParallelSize, modelPath: profile.modelPath })
    .map((r, i) => ({ ...r, raw: hostProbes[i].outcome }));
  const devices = nodes.map((n, i) => plan?.nodes[i].devices ?? n.devices ?? null);
  const targets = pingTargets(nodes.map((n, i) => ({ host: n.host, outcome: probed[i].outcome, devices: devices[i] })));
  const [pings, reach, model] = await Promise.all([
    pingEveryNode(nodes.map((n, i) => ({ host: n.host, outcome: probed[i].outcome, simRoot: n.simRoot ?? profile.simRoot })), targets, opts.open),
    plan ? reachHead({ head: plan.nodes[0].host, headAddress: plan.headAddress, port: plan.rendezvousPort, apiPort: plan.apiPort, workers: plan.nodes.slice(1) }, opts.open, opts.reachSeconds ?? 15, python).catch(() => null) : Promise.resolve(null),
    plan ? opts.open(nodes[0].host).then((t) => modelChecksOnHead(profile, plan!, t), () => modelChecksOnHead(profile, plan!, null)) : Promise.resolve(null),
  ]);
  const inputs: NodeCheckInput[] = nodes.map((n, i) => ({
    index: i,
    host: n.host,
    role: i === 0 ? 'head' : 'worker',
    report: reports[i],
    error: probed[i].error,
    devices: devices[i],
    net: plan ? { address: plan.nodes[i].address, nic: plan.nodes[i].nic } : null,
    route: probed[i].route ?? det.routes[n.host] ?? null,
    reach: i > 0 ? reach?.reach[i - 1] ?? null : null,
    listen: i === 0 ? reach?.listen ?? null : null,
    pings: pings[i],
  }));
  const counts = Object.fromEntries(reports.filter((r) => r.raw.ok).map((r) => [r.host, r.npu.devices.length]));
  const checks = [
    ...early,
    ...sizeChecks({ profile, deviceCounts: counts, moe: model?.moe ?? null }).map((c) => ({ ...c, node: null })),
    ...(model?.checks ?? []).map((c) => ({ ...c, node: nodes[0].host })),
    ...clusterChecks(inputs, { headAddress: plan?.headAddress, port: plan?.rendezvousPort, weightBytesPerDevice: model?.perDevice ?? null, modelPath: profile.modelPath }),
  ];
  return { plan, checks, reports, ok: !checks.some((c) => c.status === 'fail') };
}
