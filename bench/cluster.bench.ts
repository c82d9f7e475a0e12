// Multi-node figures, on three network-namespace hosts (each its own sshd and simulated Atlas host, one
// bridge between them; test/harness/cluster.ts). Needs root and iproute2.
//   envcheck.cluster3_ms            env-check of the three nodes in parallel (fresh connections, hccn_tool
//                                   queried, versions compared) — median of 7.
//   envcheck.cluster1_ms            the same check of one of those nodes alone, same options — median of 7,
//                                   interleaved with the three-node runs so both see the same load.
//   envcheck.cluster3_vs_one_ratio  cluster3 / cluster1. Goal ≤ 1.2.
//   envcheck.cluster{1,3}_client_cpu_ms   this process's CPU per check (ssh2, analysis) — median.
//   Where the nodes' CPU goes (each node's sshd in a cpuacct cgroup of its own, so everything a check starts
//   there is counted; left out where cgroup v1 cpuacct cannot be written), medians per check:
//   envcheck.cluster{1,3}_host_cpu_ms      all nodes' CPU (the three-node figure is the sum over the nodes)
//   envcheck.cluster{1,3}_node_sshd_cpu_ms  per node: the per-connection sshd processes (key exchange,
//                                   authentication, session) = the node's total minus what the probe counted
//   envcheck.cluster{1,3}_node_probe_cpu_ms per node: our probe's process (login shell → sh → python3, as
//                                   getrusage(RUSAGE_SELF) in the probe sees it)
//   envcheck.cluster{1,3}_node_tools_cpu_ms per node: the commands it ran (the simulated npu-smi and 16
//                                   hccn_tool queries, each a sh wrapper printing a cached answer)
//   envcheck.cluster1_node_{npusmi,hccn}_cpu_ms  of those, npu-smi's and hccn_tool's
//   envcheck.cluster1_cpu_per_wall  CPU (client + node) per wall ms of one node's check (≈1: CPU-bound)
//   envcheck.cluster3_cpu_bound_ratio  the three nodes' CPU spread over this machine's cores / cluster1: the
//                                   ratio the CPU alone forces when the stand-in hosts share those cores
//   cluster.link_cut_to_failed_ms   a ready DP job (one rank per node) over the three nodes; one node's cable
//                                   is pulled: time until the job has failed naming that node (SSH keepalive
//                                   1 s × 3 as `serve` uses, then a 2 s grace). Goal ≤ 15 000. One run.
import * as fs from 'node:fs';
import * as os from 'node:os';
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

/**
 * CPU spent on each node's side: its sshd listener (and so everything a check starts there: the sshd session,
 * the login shell, our probe, the simulated tools) in a cpuacct cgroup of its own. Null where cgroup v1
 * cpuacct cannot be written (the figures are then left out).
 */
function nodeCpu(c: TestCluster) {
  const root = '/sys/fs/cgroup/cpuacct';
  if (!fs.existsSync(path.join(root, 'cgroup.procs'))) return null;
  const dir = path.join(root, `aa-bench-${path.basename(c.dir)}`);
  try {
    fs.mkdirSync(dir);
    for (const n of c.nodes) {
      fs.mkdirSync(path.join(dir, `node${n.index}`));
      fs.writeFileSync(path.join(dir, `node${n.index}`, 'cgroup.procs'), String(n.sshd.pid));
    }
  } catch {
    return null;
  }
  const ms = (i: number) => Number(fs.readFileSync(path.join(dir, `node${i}`, 'cpuacct.usage'), 'utf8')) / 1e6;
  const tasks = (i: number) => fs.readFileSync(path.join(dir, `node${i}`, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
  return {
    ms,
    /** Until every process a check started on the nodes has ended (their CPU is then all counted). */
    async settled() {
      for (let k = 0; k < 500 && c.nodes.some((n) => tasks(n.index).length > 1); k++) await new Promise((r) => setTimeout(r, 10));
    },
    close() {
      for (const n of c.nodes) {
        const g = path.join(dir, `node${n.index}`);
        for (const pid of tasks(n.index)) fs.writeFileSync(path.join(root, 'cgroup.procs'), pid);
        fs.rmdirSync(g);
      }
      fs.rmdirSync(dir);
    },
  };
}

type Reports = Awaited<ReturnType<typeof runEnvChecks>>;
interface Sample { wall: number; client: number; host: number[]; reports: Reports }

/** The probe's own account of a node: its process (login shell → sh → python3) and the commands it ran. */
function probeCpu(r: Reports[number]) {
  if (!r.raw.ok) return null;
  const d = r.raw.data as { cpu?: { selfMs: number; childrenMs: number }; steps: Array<{ name: string; childrenCpuMs?: number }> };
  if (!d.cpu) return null;
  const step = (n: string) => d.steps.find((s) => s.name === n)?.childrenCpuMs ?? 0;
  return { self: d.cpu.selfMs, tools: d.cpu.childrenMs, npuSmi: step('npu-smi'), hccn: step('hccn_tool') };
}

export async function envcheckFigures(c: TestCluster): Promise<Figure[]> {
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
  const checkOk = (r: Reports) => {
    for (const x of r) if (!x.raw.ok) throw new Error(`env check of ${x.host} failed: ${x.raw.message}`);
  };
  const cpu = nodeCpu(c);
  const sample = async (targets: EnvCheckTarget[]): Promise<Sample> => {
    await cpu?.settled();
    const h0 = c.nodes.map((n) => cpu?.ms(n.index) ?? 0);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const reports = await runEnvChecks(targets, opts);
    const wall = performance.now() - t0;
    const cu = process.cpuUsage(c0);
    checkOk(reports);
    await cpu?.settled();
    return { wall, client: (cu.user + cu.system) / 1000, host: c.nodes.map((n, i) => (cpu?.ms(n.index) ?? 0) - h0[i]), reports };
  };
  try {
    checkOk(await runEnvChecks(all, opts)); // warm-up: uploads the host scripts once per node
    const one: Sample[] = [];
    const three: Sample[] = [];
    for (let i = 0; i < 7; i++) {
      one.push(await sample([all[0]]));
      three.push(await sample(all));
    }
    return [
      ...ratioFigures(one, three),
      ...(cpu ? cpuFigures(one, three) : []),
    ];
  } finally {
    cpu?.close();
  }
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function ratioFigures(one: Sample[], three: Sample[]): Figure[] {
  const m1 = median(one.map((s) => s.wall));
  const m3 = median(three.map((s) => s.wall));
  return [
    { name: 'envcheck.cluster3_ms', value: r1(m3), unit: 'ms' },
    { name: 'envcheck.cluster1_ms', value: r1(m1), unit: 'ms' },
    { name: 'envcheck.cluster3_vs_one_ratio', value: Math.round((m3 / m1) * 100) / 100, unit: 'x' },
    { name: 'envcheck.cluster1_client_cpu_ms', value: r1(median(one.map((s) => s.client))), unit: 'ms' },
    { name: 'envcheck.cluster3_client_cpu_ms', value: r1(median(three.map((s) => s.client))), unit: 'ms' },
  ];
}

/**
 * Host-side CPU per check (medians): all of it on the node(s), and per node where it went — the sshd side
 * (the per-connection sshd processes: key exchange, authentication, session; everything the probe does not
 * account for), our probe process, and the simulated tools it ran (npu-smi, hccn_tool).
 */
function cpuFigures(one: Sample[], three: Sample[]): Figure[] {
  const per = (s: Sample[], nodes: number[]) => nodes.map((i) => s.map((x) => {
    const p = probeCpu(x.reports[x.reports.length === 1 ? 0 : i]);
    return { total: x.host[i], self: p?.self ?? NaN, tools: p?.tools ?? NaN, npuSmi: p?.npuSmi ?? NaN, hccn: p?.hccn ?? NaN };
  })).flat();
  const fig = (name: string, xs: number[]) => ({ name, value: r1(median(xs)), unit: 'ms' });
  const a = per(one, [0]);
  const b = per(three, [0, 1, 2]);
  const cpuOf = (x: Sample) => x.client + x.host.reduce((p, q) => p + q, 0);
  const cores = os.cpus().length;
  return [
    // CPU (client + nodes) per wall-clock ms of one node's check: near 1, it is CPU-bound on about one core.
    { name: 'envcheck.cluster1_cpu_per_wall', value: Math.round(median(one.map((x) => cpuOf(x) / x.wall)) * 100) / 100, unit: 'x' },
    // The ratio the three nodes' CPU alone forces: all of it spread over this machine's cores, vs one node's wall.
    { name: 'envcheck.cluster3_cpu_bound_ratio', value: Math.round((median(three.map(cpuOf)) / cores / median(one.map((x) => x.wall))) * 100) / 100, unit: 'x' },
    fig('envcheck.cluster1_host_cpu_ms', one.map((s) => s.host[0])),
    fig('envcheck.cluster3_host_cpu_ms', three.map((s) => s.host.reduce((x, y) => x + y, 0))),
    fig('envcheck.cluster1_node_sshd_cpu_ms', a.map((x) => x.total - x.self - x.tools)),
    fig('envcheck.cluster1_node_probe_cpu_ms', a.map((x) => x.self)),
    fig('envcheck.cluster1_node_tools_cpu_ms', a.map((x) => x.tools)),
    fig('envcheck.cluster1_node_npusmi_cpu_ms', a.map((x) => x.npuSmi)),
    fig('envcheck.cluster1_node_hccn_cpu_ms', a.map((x) => x.hccn)),
    fig('envcheck.cluster3_node_sshd_cpu_ms', b.map((x) => x.total - x.self - x.tools)),
    fig('envcheck.cluster3_node_probe_cpu_ms', b.map((x) => x.self)),
    fig('envcheck.cluster3_node_tools_cpu_ms', b.map((x) => x.tools)),
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
