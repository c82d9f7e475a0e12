import * as l10n from '@vscode/l10n';
import type { MultiNodeMode, NamedProfile, NodeSpec, Profile } from '../profiles/schema';
import { buildServeCommand, defaultServeEnv, servedModelName } from '../serving/command';

/**
 * A multi-node profile → what runs on each node, as the vllm-ascend docs give it (sources below). Pure:
 * the nodes' addresses and interfaces come from the profile or from detection on the nodes (detect.ts).
 *
 *   dp     docs/source/tutorials/models/DeepSeek-V3.1.md §5.2: every node `vllm serve` with
 *          --data-parallel-size/-size-local/-address/-rpc-port; the others add --headless and
 *          --data-parallel-start-rank; HCCL_IF_IP, GLOO_SOCKET_IFNAME, TP_SOCKET_IFNAME, HCCL_SOCKET_IFNAME.
 *   ray    docs/source/tutorials/features/ray.md: the same variables plus
 *          RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES=1 and ASCEND_RT_VISIBLE_DEVICES exported before
 *          `ray start --head` / `ray start --address=HEAD:6379 --node-ip-address=IP`; `vllm serve …
 *          --distributed-executor-backend ray` on the head only.
 *   pp-mp  docs/source/user_guide/feature_guide/pipeline_parallel.md: --distributed-executor-backend mp
 *          --nnodes N --node-rank i --master-addr HEAD --master-port P; the others add --headless.
 */

export const CLUSTER_SOURCES: Record<MultiNodeMode, string> = {
  dp: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/tutorials/models/DeepSeek-V3.1.md',
  ray: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/tutorials/features/ray.md',
  'pp-mp': 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/user_guide/feature_guide/pipeline_parallel.md',
};

export type NodeRole = 'head' | 'worker';

/** One command of a node: `ray start …` (returns once Ray runs) or `vllm serve …` (the long-lived server). */
export interface NodeCommand {
  kind: 'ray-start' | 'serve';
  argv: string[];
  env: Record<string, string>;
}

export interface NodeNet {
  address: string;
  nic: string;
}

export interface ClusterNodePlan {
  index: number;
  host: string;
  role: NodeRole;
  address: string;
  nic: string;
  /** Logical device ids (ASCEND_RT_VISIBLE_DEVICES) on this node. */
  devices: number[];
  /** The node's simulated host (its own, else the profile's). */
  simRoot?: string;
  /** In the order they run on this node. */
  commands: NodeCommand[];
}

export interface ClusterPlan {
  mode: MultiNodeMode;
  profileName: string;
  nodes: ClusterNodePlan[];
  headAddress: string;
  /** The port the head listens on for the others: DP rpc port, torch master port or the Ray head port. */
  rendezvousPort: number;
  /** The API port on the head. */
  apiPort: number;
  servedModelName: string;
  /** TP × PP × DP over the whole cluster. */
  worldSize: number;
  source: string;
}

/** The dry-run answer of `serve --dry-run --json`. */
export interface DryRun {
  profile: string;
  multiNode: MultiNodeMode;
  nodes: Array<{ host: string; role: NodeRole; address: string; nic: string; devices: number[]; commands: Array<{ argv: string[]; env: Record<string, string> }> }>;
}

export class ClusterPlanError extends Error {
  constructor(message: string, readonly problems: string[] = []) {
    super(message);
    this.name = 'ClusterPlanError';
  }
}

/** Variables that are one node's own: set per node, whatever the profile's env says. */
export const PER_NODE_ENV = ['HCCL_IF_IP', 'GLOO_SOCKET_IFNAME', 'TP_SOCKET_IFNAME', 'HCCL_SOCKET_IFNAME', 'ASCEND_RT_VISIBLE_DEVICES'] as const;

export function isCluster(p: Profile): p is Profile & { multiNode: MultiNodeMode; nodes: NodeSpec[] } {
  return p.multiNode !== undefined && Array.isArray(p.nodes) && p.nodes.length >= 2;
}

/** DP ranks on each node (multiNode dp). */
export function dpLocal(p: Profile): number {
  const n = p.nodes?.length ?? 1;
  return p.dataParallelSizeLocal ?? Math.max(1, Math.floor(p.dataParallelSize / n));
}

/** How many NPUs a node of this profile needs. */
export function devicesPerNode(p: Profile): number {
  const n = p.nodes?.length ?? 1;
  const tpp = p.tensorParallelSize * p.pipelineParallelSize;
  switch (p.multiNode) {
    case 'dp':
      return dpLocal(p) * tpp;
    case 'pp-mp':
    case 'ray':
      return Math.ceil((tpp * p.dataParallelSize) / n);
    default:
      return tpp * p.dataParallelSize;
  }
}

export function nodeDevices(p: Profile, node: NodeSpec): number[] {
  return node.devices ? [...node.devices] : Array.from({ length: devicesPerNode(p) }, (_, i) => i);
}

/** Nodes whose address or interface must be found on the node itself. */
export function nodesToDetect(p: Profile): NodeSpec[] {
  return (p.nodes ?? []).filter((n) => !n.address || !n.nic);
}

/**
 * Each node's address and interface: the profile's, else `detected[host]`. Throws ClusterPlanError naming
 * every node still without one.
 */
export function resolveNet(p: Profile, detected: Record<string, Partial<NodeNet>> = {}): NodeNet[] {
  const out: NodeNet[] = [];
  const missing: string[] = [];
  for (const [i, n] of (p.nodes ?? []).entries()) {
    const address = n.address ?? detected[n.host]?.address;
    const nic = n.nic ?? detected[n.host]?.nic;
    if (!address || !nic) missing.push(l10n.t('node {0} ({1}): no {2}', i, n.host, [!address ? 'address' : '', !nic ? 'nic' : ''].filter(Boolean).join(', ')));
    out.push({ address: address ?? '', nic: nic ?? '' });
  }
  if (missing.length) throw new ClusterPlanError(l10n.t('the address or network interface of some nodes is not known: {0}', missing.join('; ')), missing);
  return out;
}

function nicEnv(mode: MultiNodeMode, net: NodeNet): Record<string, string> {
  const env: Record<string, string> = { HCCL_IF_IP: net.address, GLOO_SOCKET_IFNAME: net.nic, TP_SOCKET_IFNAME: net.nic };
  // ray.md exports three; the DP and PP tutorials add HCCL_SOCKET_IFNAME.
  if (mode !== 'ray') env.HCCL_SOCKET_IFNAME = net.nic;
  return env;
}

/** vllm serve argv of the profile without its extra arguments (the cluster flags go before them). */
function baseServeArgv(p: NamedProfile): string[] {
  return buildServeCommand({ ...p, extraArgs: [] }).vllmArgv;
}

function serveCommand(p: NamedProfile, extra: string[], env: Record<string, string>): NodeCommand {
  const argv = [...baseServeArgv(p), ...extra];
  if (p.enableExpertParallel) argv.push('--enable-expert-parallel');
  argv.push(...p.extraArgs);
  return { kind: 'serve', argv, env };
}

function nodeEnv(p: NamedProfile, node: NodeSpec, net: NodeNet): Record<string, string> {
  const env: Record<string, string> = { ...defaultServeEnv(p), ...p.env, ...nicEnv(p.multiNode!, net) };
  env.ASCEND_RT_VISIBLE_DEVICES = nodeDevices(p, node).join(',');
  if (p.multiNode === 'ray') env.RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES = '1';
  return env;
}

function commandsFor(p: NamedProfile, i: number, env: Record<string, string>, headAddress: string, net: NodeNet): NodeCommand[] {
  const n = p.nodes!.length;
  const head = i === 0;
  switch (p.multiNode!) {
    case 'dp': {
      const local = dpLocal(p);
      const flags = ['--data-parallel-size-local', String(local), '--data-parallel-address', headAddress, '--data-parallel-rpc-port', String(p.dataParallelRpcPort)];
      if (!head) flags.push('--headless', '--data-parallel-start-rank', String(i * local));
      return [serveCommand(p, flags, env)];
    }
    case 'pp-mp': {
      const flags = ['--distributed-executor-backend', 'mp', '--nnodes', String(n), '--node-rank', String(i), '--master-addr', headAddress, '--master-port', String(p.masterPort)];
      if (!head) flags.push('--headless');
      return [serveCommand(p, flags, env)];
    }
    case 'ray': {
      const start = head
        ? [...p.rayCommand, 'start', '--head', ...(p.rayPort !== 6379 ? ['--port', String(p.rayPort)] : [])]
        : [...p.rayCommand, 'start', `--address=${headAddress}:${p.rayPort}`, `--node-ip-address=${net.address}`];
      const cmds: NodeCommand[] = [{ kind: 'ray-start', argv: start, env }];
      if (head) cmds.push(serveCommand(p, ['--distributed-executor-backend', 'ray'], env));
      return cmds;
    }
  }
}

/** The whole plan. `detected` fills in addresses and interfaces the profile does not give. */
export function planCluster(p: NamedProfile, detected: Record<string, Partial<NodeNet>> = {}): ClusterPlan {
  if (!isCluster(p)) throw new ClusterPlanError(l10n.t('profile "{0}" is not a multi-node profile (no multiNode and nodes)', p.name));
  const nets = resolveNet(p, detected);
  const headAddress = nets[0].address;
  const nodes = p.nodes.map((node, i): ClusterNodePlan => {
    const env = nodeEnv(p, node, nets[i]);
    return {
      index: i,
      host: node.host,
      role: i === 0 ? 'head' : 'worker',
      address: nets[i].address,
      nic: nets[i].nic,
      devices: nodeDevices(p, node),
      ...(node.simRoot ?? p.simRoot ? { simRoot: node.simRoot ?? p.simRoot } : {}),
      commands: commandsFor(p, i, env, headAddress, nets[i]),
    };
  });
  return {
    mode: p.multiNode,
    profileName: p.name,
    nodes,
    headAddress,
    rendezvousPort: p.multiNode === 'dp' ? p.dataParallelRpcPort : p.multiNode === 'pp-mp' ? p.masterPort : p.rayPort,
    apiPort: p.port,
    servedModelName: servedModelName(p),
    worldSize: p.tensorParallelSize * p.pipelineParallelSize * p.dataParallelSize,
    source: CLUSTER_SOURCES[p.multiNode],
  };
}

export function dryRun(plan: ClusterPlan): DryRun {
  return {
    profile: plan.profileName,
    multiNode: plan.mode,
    nodes: plan.nodes.map((n) => ({
      host: n.host,
      role: n.role,
      address: n.address,
      nic: n.nic,
      devices: n.devices,
      commands: n.commands.map((c) => ({ argv: c.argv, env: c.env })),
    })),
  };
}
