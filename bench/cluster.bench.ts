// Multi-node figures, on three network-namespace hosts (each its own sshd and simulated Atlas host, one
// bridge between them; test/harness/cluster.ts). Needs root and iproute2.
//   envcheck.cluster3_ms            env-check of the three nodes in parallel (fresh connections, hccn_tool
//                                   queried, versions compared) — median of 7.
//   envcheck.cluster1_ms            the same check of one of those nodes alone, same options — median of 7,
//                                   interleaved with the three-node runs so both see the same load.
//   envcheck.cluster3_vs_one_ratio  cluster3 / cluster1. Goal ≤ 1.2.
//   cluster.link_cut_to_failed_ms   a ready DP job (one rank per node) over the three nodes; one node's cable
//                                   is pulled: time until the job has failed naming that node (SSH keepalive
//                                   1 s × 3 as `serve` uses, then a 2 s grace). Goal ≤ 15 000. One run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchCluster } from '../src/core/cluster/job';
import { precheckCluster } from '../src/core/cluster/precheck';
import { SshConfigFile } from '../src/core/hosts/ssh-config';
import { jobControl } from '../src/core/jobs/index';
import { runEnvChecks, type EnvCheckTarget } from '../src/core/probe/envcheck';
import { getProfile, parseConfig } from '../src/core/profiles';
import { SshTransport } from '../src/core/transport/ssh';
import type { Transport } from '../src/core/transport/transport';
import { clusterAvailable, startCluster, type TestCluster } from '../test/harness/cluster';
import type { Figure } from './run';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function transports(c: TestCluster, keepalive: boolean) {
  const cfg = SshConfigFile.fromText(fs.readFileSync(c.sshConfig, 'utf8'));
  return (alias: string): SshTransport => new SshTransport(cfg.resolve(alias), {
    knownHosts: { files: [c.knownHosts] },
    ...(keepalive ? { keepaliveIntervalMs: 1000, keepaliveCountMax: 3, reconnect: { maxAttempts: 100, maxDelayMs: 1000 } } : { reconnect: { maxAttempts: 0 } }),
  });
}

async function envcheckFigures(c: TestCluster): Promise<Figure[]> {
  const make = transports(c, false);
  const target = (i: number): EnvCheckTarget => ({
    name: c.nodes[i].alias,
    sourceFirst: path.join(c.nodes[i].simRoot, 'env.sh'),
    open: async () => {
      const t = make(c.nodes[i].alias);
      await t.connect();
      return t;
    },
  });
  // Each node's own simulated toolchain; hccn_tool queried on both sides so only the parallelism differs.
  const opts = { hccn: true };
  const all = c.nodes.map((_, i) => target(i));
  const checkOk = (r: Awaited<ReturnType<typeof runEnvChecks>>) => {
    for (const x of r) if (!x.raw.ok) throw new Error(`env check of ${x.host} failed: ${x.raw.message}`);
  };
  checkOk(await runEnvChecks(all, opts)); // warm-up: uploads the host scripts once per node
  const one: number[] = [];
  const three: number[] = [];
  for (let i = 0; i < 7; i++) {
    let t0 = performance.now();
    checkOk(await runEnvChecks([all[0]], opts));
    one.push(performance.now() - t0);
    t0 = performance.now();
    checkOk(await runEnvChecks(all, opts));
    three.push(performance.now() - t0);
  }
  const m1 = median(one);
  const m3 = median(three);
  return [
    { name: 'envcheck.cluster3_ms', value: Math.round(m3 * 10) / 10, unit: 'ms' },
    { name: 'envcheck.cluster1_ms', value: Math.round(m1 * 10) / 10, unit: 'ms' },
    { name: 'envcheck.cluster3_vs_one_ratio', value: Math.round((m3 / m1) * 100) / 100, unit: 'x' },
  ];
}

async function linkCutFigure(c: TestCluster): Promise<Figure> {
  const make = transports(c, true);
  const open = new Map<string, Promise<Transport>>();
  const get = (alias: string) => {
    let t = open.get(alias);
    if (!t) {
      const s = make(alias);
      t = s.connect().then(() => s);
      open.set(alias, t);
    }
    return t;
  };
  const model = path.join(c.nodes[0].simRoot, 'models', 'qwen3-moe-tiny-bf16');
  const nodes = c.nodes.map((n) => ({ host: n.alias, simRoot: n.simRoot }));
  const profile = getProfile(parseConfig(JSON.stringify({ profiles: { dp: { multiNode: 'dp', modelPath: model, dataParallelSize: 3, port: 8391, readyTimeoutSec: 120, nodes } } })), 'dp');
  try {
    const pre = await precheckCluster(profile, { open: get });
    if (!pre.ok || !pre.plan) throw new Error(`pre-checks failed: ${JSON.stringify(pre.checks.filter((x) => x.status === 'fail'))}`);
    const job = await launchCluster(profile, pre.plan, { open: get, jobs: jobControl(), readyTimeoutMs: 120_000 });
    if ((await job.waitReady()).state !== 'ready') throw new Error(`the job did not get ready: ${JSON.stringify(job.record().failure)}`);
    const t0 = performance.now();
    c.cut(2);
    const failed = await job.waitFor(['failed']);
    const ms = performance.now() - t0;
    if (failed.failure?.node !== c.nodes[2].alias) throw new Error(`the failure names ${failed.failure?.node ?? 'no node'}, not ${c.nodes[2].alias}`);
    await job.settled();
    c.restore(2);
    await job.stop();
    return { name: 'cluster.link_cut_to_failed_ms', value: Math.round(ms), unit: 'ms' };
  } finally {
    c.restore(2);
    for (const t of open.values()) await (await t).close().catch(() => undefined);
  }
}

export default async function clusterBench(): Promise<Figure[]> {
  const why = clusterAvailable();
  if (why) throw new Error(`cluster bench needs namespace hosts: ${why}`);
  const c = await startCluster(3);
  try {
    return [...(await envcheckFigures(c)), await linkCutFigure(c)];
  } finally {
    await c.stop();
  }
}
