import { precheckCluster, type ClusterPrecheck } from '../cluster/precheck';
import { CLUSTER_SOURCES, PER_NODE_ENV, type ClusterNodePlan } from '../cluster/plan';
import { withSimEnv } from '../jobs/index';
import { en } from '../l10n';
import { toSnapshot } from '../probe';
import type { NamedProfile } from '../profiles/schema';
import type { Cluster, ClusterNode, HostSnapshot } from '../report/schema';
import type { Transport } from '../transport/transport';
import { hostSnapshotOf } from './env';
import { redactArgv, redactEnv } from './redact';
import type { StepContext, StepResult, ValidateStep } from './types';

/** A node's transport by its host alias (opened once, kept for the whole run). */
export type NodeOpener = (host: string) => Promise<Transport>;

/** Variables that are the node's own, plus the one Ray needs to leave the NPU list alone. */
const NODE_VARS: readonly string[] = [...PER_NODE_ENV, 'RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES'];

/** The per-node variables out of a command's environment. */
export function pickNodeVars(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(NODE_VARS.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

/** The per-node variables of a node's command (its last one: `vllm serve`, or `ray start` on a Ray worker). */
export function nodeVars(p: ClusterNodePlan | undefined): Record<string, string> {
  return pickNodeVars(p?.commands.at(-1)?.env ?? {});
}

/** The report's cluster section as the pre-checks leave it: the nodes and what would run on each. */
export function clusterSection(profile: NamedProfile, pre: Pick<ClusterPrecheck, 'plan' | 'checks'>): Cluster {
  const plan = pre.plan;
  const mode = profile.multiNode ?? 'dp';
  const nodes: ClusterNode[] = (profile.nodes ?? []).map((spec, i) => {
    const p = plan?.nodes[i];
    return {
      index: i,
      host: spec.host,
      role: i === 0 ? 'head' : 'worker',
      address: p?.address ?? spec.address ?? '',
      nic: p?.nic ?? spec.nic ?? '',
      devices: p?.devices ?? spec.devices ?? [],
      env: redactEnv(nodeVars(p)),
      commands: (p?.commands ?? []).map((c) => ({ kind: c.kind, argv: redactArgv(c.argv), env: redactEnv(c.env), jobId: null })),
      log: null,
      state: null,
      failure: null,
      stop: null,
    };
  });
  return {
    mode,
    source: plan?.source ?? CLUSTER_SOURCES[mode],
    jobId: null,
    headAddress: plan?.headAddress ?? null,
    rendezvousPort: plan?.rendezvousPort ?? null,
    apiPort: plan?.apiPort ?? profile.port,
    nodes,
    checks: pre.checks.map((c) => ({
      id: c.id, status: c.status, title: c.title, detail: c.detail, fix: c.fix, node: c.node ?? null,
      ...('device' in c && typeof c.device === 'number' ? { device: c.device } : {}),
    })),
    failure: null,
  };
}

/** A failed or warning check as one line that names its node (most details do already). */
function checkLine(c: { title: string; detail: string; node: string | null }): string {
  return c.node && !c.detail.includes(c.node) ? en('{0} on {1}: {2}', c.title, c.node, c.detail) : en('{0}: {1}', c.title, c.detail);
}

/**
 * The environment step of a multi-node profile: the cluster pre-checks on every node at once (each node's
 * environment check with hccn_tool, the NIC and route to the head, NPU pings, versions and model folder the
 * same everywhere, free NPUs). Each node's environment becomes one host of the report; the checks, each naming
 * its node, the cluster section. A failed check stops the run before launch: nothing is started on any node
 * when the nodes cannot form the cluster.
 */
export function clusterEnvStep(open: NodeOpener): ValidateStep {
  return {
    id: 'env',
    needs: [],
    async run(ctx: StepContext): Promise<StepResult> {
      const { profile, book, state } = ctx;
      const specs = profile.nodes ?? [];
      const started = ctx.now();
      ctx.progress(en('checking {0} nodes: environment, NPU network (hccn_tool), NIC and route to the head, versions, model folder', specs.length));
      const pre = await precheckCluster(profile, { open });
      const plan = { tp: profile.tensorParallelSize, pp: profile.pipelineParallelSize, modelPath: profile.modelPath };
      const reports = pre.reports.map((r, i) => ({ r, i })).filter((x) => x.r !== null);
      const snap = book.writeJson('env_snapshot.json', toSnapshot(reports.map((x) => x.r!), { plan, tool: 'ascend-adapt validate' }));
      const checksFile = book.writeJson('cluster_checks.json', { profile: profile.name, multiNode: profile.multiNode, ok: pre.ok, checks: pre.checks });
      const hosts: HostSnapshot[] = reports.map(({ r, i }, k) => {
        const simRoot = specs[i].simRoot ?? profile.simRoot;
        const evidence = book.add({
          kind: 'probe', jobId: null, host: 'local', startedAt: started.toISOString(), endedAt: ctx.now().toISOString(),
          command: withSimEnv(simRoot, ['python3', 'env_probe.py', '--hccn']), file: snap.file, pointer: `/hosts/${k}`, copy: snap.rel,
        });
        return hostSnapshotOf(r!, { simulated: Boolean(simRoot), env: nodeVars(pre.plan?.nodes[i]), evidence });
      });
      book.add({ kind: 'result', jobId: null, host: 'local', startedAt: started.toISOString(), endedAt: ctx.now().toISOString(), command: ['ascend-adapt', 'env-check', '--profile', profile.name, '--json'], file: checksFile.file, pointer: '/checks', copy: checksFile.rel });
      state.cluster = { plan: pre.plan, hosts, section: clusterSection(profile, pre) };
      state.host = hosts.find((h) => h.name === specs[0]?.host) ?? null;
      const fails = pre.checks.filter((c) => c.status === 'fail');
      const warns = pre.checks.filter((c) => c.status === 'warn');
      const figures = [
        { label: 'nodes', value: specs.length, unit: 'count' },
        { label: 'NPU', value: hosts.reduce((n, h) => n + h.devices.length, 0), unit: 'count' },
      ];
      if (fails.length || !pre.plan) {
        const why = fails.map(checkLine).join('; ') || en('the launch could not be planned');
        return { status: 'fail', reason: en('not launched: {0}', why), usable: false, figures };
      }
      return { status: warns.length ? 'warn' : 'pass', reason: warns.length ? warns.map(checkLine).join('; ') : null, figures };
    },
  };
}
