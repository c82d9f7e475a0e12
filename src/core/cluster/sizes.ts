import * as l10n from '@vscode/l10n';
import type { Profile } from '../profiles/schema';
import type { PreflightCheck } from '../serving/preflight';
import { CLUSTER_SOURCES, devicesPerNode, dpLocal, nodeDevices, PER_NODE_ENV } from './plan';

/**
 * Parallel sizes of a multi-node profile against its nodes: TP × PP × DP vs the NPUs of each node and of
 * the whole cluster, ranks and local sizes that add up, and the pipeline-parallel guide's rule for MoE over
 * RoCE ("Keep either the PP size or the DP size at 1"). Pure; `deviceCounts` (NPUs found on each node)
 * makes the per-node checks exact when the nodes were probed.
 */
export interface SizeInput {
  profile: Profile;
  /** NPUs (logical devices) found on each node, by host; absent before the nodes were probed. */
  deviceCounts?: Record<string, number>;
  /** Whether the model is a mixture of experts (config.json), when known. */
  moe?: boolean | null;
}

const PP_SOURCE = CLUSTER_SOURCES['pp-mp'];

export function sizeChecks(input: SizeInput): PreflightCheck[] {
  const p = input.profile;
  if (!p.multiNode || !p.nodes) return [];
  const out: PreflightCheck[] = [];
  const n = p.nodes.length;
  const tp = p.tensorParallelSize;
  const pp = p.pipelineParallelSize;
  const dp = p.dataParallelSize;
  const world = tp * pp * dp;
  const title = l10n.t('Parallel sizes over {0} nodes', n);
  const fail = (detail: string, fix: string) => out.push({ id: 'cluster.sizes', status: 'fail', title, detail, fix, source: CLUSTER_SOURCES[p.multiNode!] });

  if (p.multiNode === 'dp') {
    const local = dpLocal(p);
    if (local * n !== dp) {
      fail(
        l10n.t('DP {0} over {1} nodes with {2} rank(s) per node adds up to {3}', dp, n, local, local * n),
        l10n.t('Set dataParallelSize to nodes × dataParallelSizeLocal ({0} × {1} = {2}), or change dataParallelSizeLocal.', n, local, n * local),
      );
    }
  } else if (p.multiNode === 'pp-mp') {
    if (dp !== 1) fail(l10n.t('pp-mp with DP {0}: the pipeline-parallel guide runs DP 1', dp), l10n.t('Set dataParallelSize to 1, or use multiNode "dp" for data parallel.'));
    if ((tp * pp) % n !== 0) fail(l10n.t('TP × PP = {0} cannot be split evenly over {1} nodes', tp * pp, n), l10n.t('Choose TP and PP whose product is a multiple of the node count.'));
  }

  const need = devicesPerNode(p);
  const short: string[] = [];
  let total = 0;
  for (const [i, node] of p.nodes.entries()) {
    const listed = nodeDevices(p, node);
    const found = input.deviceCounts?.[node.host];
    const usable = found !== undefined ? listed.filter((d) => d < found).length : listed.length;
    total += usable;
    if (p.multiNode !== 'ray' && usable < need) {
      short.push(found !== undefined && listed.some((d) => d >= found)
        ? l10n.t('node {0} ({1}): devices {2} but it has {3} NPU(s)', i, node.host, listed.join(','), found)
        : l10n.t('node {0} ({1}): {2} NPU(s) for {3} needed', i, node.host, usable, need));
    }
  }
  if (short.length) {
    fail(l10n.t('{0} per node (TP {1} × PP {2} × local DP {3}): {4}', need, tp, pp, p.multiNode === 'dp' ? dpLocal(p) : 1, short.join('; ')), l10n.t('List enough NPUs in each node\'s "devices", or lower the parallel sizes.'));
  }
  if (total < world) {
    fail(l10n.t('TP × PP × DP = {0} NPUs, the nodes give {1}', world, total), l10n.t('Add nodes or devices, or lower TP, PP or DP.'));
  }

  if (pp > 1 && dp > 1) {
    const status = input.moe === true ? 'fail' : input.moe === false ? 'pass' : p.enableExpertParallel ? 'warn' : 'pass';
    if (status !== 'pass') {
      out.push({
        id: 'cluster.moe-pp-dp',
        status,
        title: l10n.t('MoE across nodes: PP or DP at 1'),
        detail: l10n.t('PP {0} and DP {1} are both above 1 for a mixture-of-experts model across nodes', pp, dp),
        fix: l10n.t('Keep either the PP size or the DP size at 1 (MoeDistributeDispatch over RoCE, vllm-ascend pipeline-parallel guide).'),
        source: PP_SOURCE,
      });
    }
  }

  const overridden = PER_NODE_ENV.filter((k) => k in p.env);
  if (overridden.length) {
    out.push({
      id: 'cluster.env',
      status: 'warn',
      title: l10n.t('Per-node variables in the profile\'s env'),
      detail: l10n.t('{0} are set per node; the profile\'s values are not used', overridden.join(', ')),
      fix: l10n.t('Give each node its own "address", "nic" and "devices" instead.'),
    });
  }
  if (!out.some((c) => c.id === 'cluster.sizes')) {
    out.unshift({ id: 'cluster.sizes', status: 'pass', title, detail: l10n.t('TP {0} × PP {1} × DP {2} = {3} NPUs, {4} per node', tp, pp, dp, world, need), fix: null, source: CLUSTER_SOURCES[p.multiNode] });
  }
  return out;
}
