// Multi-node profiles → the commands and variables per node, compared with the vllm-ascend docs' own examples
// (../shared/notes/ascend-facts-2.md §3.2–3.4), the size checks, and `serve --dry-run --json` without a network.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { dryRun, planCluster, resolveNet, type ClusterPlan } from '../../src/core/cluster/plan';
import { sizeChecks } from '../../src/core/cluster/sizes';
import { ConfigError, getProfile, parseConfig, profileSchema } from '../../src/core/profiles';
import { runCli } from '../harness/cli';

const named = (o: Record<string, unknown>) => ({ name: 't', ...profileSchema.parse({ modelPath: '/m', ...o }) });

/** argv → flag → value (true for a bare flag); positionals under '_'. */
function flags(argv: string[]): Map<string, string | true> {
  const m = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      m.set(`_${i}`, a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) m.set(a.slice(0, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) m.set(a, argv[++i]);
    else m.set(a, true);
  }
  return m;
}

function expectFlags(argv: string[], want: Record<string, string | true>): void {
  const f = flags(argv);
  for (const [k, v] of Object.entries(want)) assert.equal(f.get(k), v, `${k} in ${argv.join(' ')}`);
}

const NIC_VARS = (address: string, nic: string) => ({ HCCL_IF_IP: address, GLOO_SOCKET_IFNAME: nic, TP_SOCKET_IFNAME: nic });

describe('multi-node DP (DeepSeek-V3.1 tutorial §5.2)', () => {
  const profile = named({
    multiNode: 'dp', modelPath: '/weights/DeepSeek-V3.1-w8a8-mtp-QuaRot', bindAddress: '0.0.0.0', port: 8004,
    dataParallelSize: 4, dataParallelSizeLocal: 2, dataParallelRpcPort: 13389, tensorParallelSize: 4, quantization: 'ascend', enableExpertParallel: true,
    nodes: [{ host: 'atlas-a', address: '192.0.2.10', nic: 'enp189s0f0' }, { host: 'atlas-b', address: '192.0.2.11', nic: 'enp189s0f1' }],
  });
  const plan = planCluster(profile);

  it('node 0 serves with the DP flags and its own NIC variables', () => {
    const [head] = plan.nodes;
    assert.equal(head.role, 'head');
    assert.equal(head.commands.length, 1);
    const c = head.commands[0];
    assert.deepEqual(c.argv.slice(0, 3), ['vllm', 'serve', '/weights/DeepSeek-V3.1-w8a8-mtp-QuaRot']);
    expectFlags(c.argv, {
      '--host': '0.0.0.0', '--port': '8004', '--data-parallel-size': '4', '--data-parallel-size-local': '2',
      '--data-parallel-address': '192.0.2.10', '--data-parallel-rpc-port': '13389', '--tensor-parallel-size': '4', '--quantization': 'ascend',
      '--enable-expert-parallel': true,
    });
    assert.ok(!c.argv.includes('--headless'), '--headless only on the others');
    assert.ok(!c.argv.includes('--data-parallel-start-rank'));
    assert.deepEqual({ ...c.env }, { ...c.env, ...NIC_VARS('192.0.2.10', 'enp189s0f0'), HCCL_SOCKET_IFNAME: 'enp189s0f0', ASCEND_RT_VISIBLE_DEVICES: '0,1,2,3,4,5,6,7' });
  });

  it('node 1: the same plus --headless --data-parallel-start-rank 2, with its own address and NIC', () => {
    const head = plan.nodes[0].commands[0].argv;
    const w = plan.nodes[1].commands[0];
    assert.equal(plan.nodes[1].role, 'worker');
    const i = w.argv.indexOf('--headless');
    assert.ok(i > 0);
    assert.deepEqual(w.argv.slice(i, i + 3), ['--headless', '--data-parallel-start-rank', '2']);
    assert.deepEqual([...w.argv.slice(0, i), ...w.argv.slice(i + 3)], head, 'otherwise the same command (same rpc port, same head address)');
    assert.equal(w.env.HCCL_IF_IP, '192.0.2.11');
    assert.equal(w.env.GLOO_SOCKET_IFNAME, 'enp189s0f1');
    assert.equal(w.env.TP_SOCKET_IFNAME, 'enp189s0f1');
    assert.equal(w.env.HCCL_SOCKET_IFNAME, 'enp189s0f1');
  });

  it('ranks add up over three nodes', () => {
    const p3 = named({ multiNode: 'dp', dataParallelSize: 6, tensorParallelSize: 2, nodes: ['a', 'b', 'c'].map((h, i) => ({ host: h, address: `10.0.0.${i + 1}`, nic: 'eth0' })) });
    const pl = planCluster(p3);
    const starts = pl.nodes.map((n) => flags(n.commands[0].argv).get('--data-parallel-start-rank') ?? '0');
    assert.deepEqual(starts, ['0', '2', '4']);
    assert.ok(pl.nodes.every((n) => flags(n.commands[0].argv).get('--data-parallel-size-local') === '2'));
    assert.deepEqual(sizeChecks({ profile: p3 }).map((c) => c.status), ['pass']);
  });
});

describe('Ray (tutorials/features/ray.md)', () => {
  const profile = named({
    multiNode: 'ray', modelPath: 'Qwen/Qwen3-235B-A22B', tensorParallelSize: 8, pipelineParallelSize: 2, enableExpertParallel: true,
    nodes: [{ host: 'h', address: '10.1.0.1', nic: 'eth0' }, { host: 'w', address: '10.1.0.2', nic: 'eth1' }],
  });
  const plan: ClusterPlan = planCluster(profile);

  it('every node exports the NIC variables, RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES=1 and its devices before ray start', () => {
    for (const [i, n] of plan.nodes.entries()) {
      const env = n.commands[0].env;
      assert.equal(n.commands[0].kind, 'ray-start');
      for (const [k, v] of Object.entries(NIC_VARS(i === 0 ? '10.1.0.1' : '10.1.0.2', i === 0 ? 'eth0' : 'eth1'))) assert.equal(env[k], v, k);
      assert.equal(env.RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES, '1');
      assert.equal(env.ASCEND_RT_VISIBLE_DEVICES, '0,1,2,3,4,5,6,7');
    }
  });

  it('ray start --head on the head, then vllm serve there only; ray start --address=HEAD:6379 --node-ip-address=IP on the other', () => {
    assert.deepEqual(plan.nodes[0].commands.map((c) => c.kind), ['ray-start', 'serve']);
    assert.deepEqual(plan.nodes[0].commands[0].argv, ['ray', 'start', '--head']);
    assert.deepEqual(plan.nodes[1].commands.map((c) => c.argv), [['ray', 'start', '--address=10.1.0.1:6379', '--node-ip-address=10.1.0.2']]);
    expectFlags(plan.nodes[0].commands[1].argv, {
      _2: 'Qwen/Qwen3-235B-A22B', '--distributed-executor-backend': 'ray', '--pipeline-parallel-size': '2', '--tensor-parallel-size': '8', '--enable-expert-parallel': true,
    });
  });
});

describe('pipeline parallel with the mp backend (feature_guide/pipeline_parallel.md)', () => {
  const profile = named({
    multiNode: 'pp-mp', tensorParallelSize: 8, pipelineParallelSize: 2, masterPort: 29555,
    nodes: [{ host: 'h', address: '10.2.0.1', nic: 'ib0' }, { host: 'w', address: '10.2.0.2', nic: 'ib0' }],
  });

  it('--nnodes/--node-rank/--master-addr/--master-port on both, --headless on the other only', () => {
    const plan = planCluster(profile);
    for (const [i, n] of plan.nodes.entries()) {
      expectFlags(n.commands[0].argv, {
        '--distributed-executor-backend': 'mp', '--tensor-parallel-size': '8', '--pipeline-parallel-size': '2',
        '--nnodes': '2', '--node-rank': String(i), '--master-addr': '10.2.0.1', '--master-port': '29555',
      });
      assert.equal(n.commands[0].argv.includes('--headless'), i > 0);
      assert.equal(n.commands[0].env.ASCEND_RT_VISIBLE_DEVICES, '0,1,2,3,4,5,6,7', 'TP×PP / nodes per node');
    }
  });
});

describe('sizes and profile checks', () => {
  const nodes = (n: number, devices?: number[]) => Array.from({ length: n }, (_, i) => ({ host: `n${i}`, address: `10.0.0.${i + 1}`, nic: 'eth0', ...(devices ? { devices } : {}) }));

  it('DP that does not add up, too few devices per node, and PP and DP both above 1 for MoE', () => {
    const bad = sizeChecks({ profile: named({ multiNode: 'dp', dataParallelSize: 4, dataParallelSizeLocal: 1, nodes: nodes(2) }) });
    assert.match(bad.find((c) => c.status === 'fail')!.detail, /DP 4 over 2 nodes with 1 rank\(s\) per node adds up to 2/);
    const few = sizeChecks({ profile: named({ multiNode: 'dp', dataParallelSize: 2, tensorParallelSize: 4, nodes: nodes(2, [0, 1]) }) });
    assert.match(few.find((c) => c.status === 'fail')!.detail, /node 0 \(n0\): 2 NPU\(s\) for 4 needed/);
    const found = sizeChecks({ profile: named({ multiNode: 'dp', dataParallelSize: 2, tensorParallelSize: 8, nodes: nodes(2) }), deviceCounts: { n0: 8, n1: 4 } });
    assert.match(found.find((c) => c.status === 'fail')!.detail, /node 1 \(n1\): devices 0,1,2,3,4,5,6,7 but it has 4 NPU\(s\)/);
    const moe = sizeChecks({ profile: named({ multiNode: 'ray', pipelineParallelSize: 2, dataParallelSize: 2, nodes: nodes(2) }), moe: true });
    const m = moe.find((c) => c.id === 'cluster.moe-pp-dp')!;
    assert.equal(m.status, 'fail');
    assert.match(m.fix!, /Keep either the PP size or the DP size at 1/);
    const ray = sizeChecks({ profile: named({ multiNode: 'ray', tensorParallelSize: 8, pipelineParallelSize: 2, nodes: nodes(2, [0, 1, 2, 3]) }) });
    assert.match(ray.find((c) => c.status === 'fail')!.detail, /TP × PP × DP = 16 NPUs, the nodes give 8/);
  });

  it('refuses half a cluster profile, a node listed twice and dataParallelSizeLocal outside dp', () => {
    const load = (p: Record<string, unknown>) => parseConfig(JSON.stringify({ profiles: { c: { modelPath: '/m', ...p } } }));
    assert.throws(() => load({ multiNode: 'dp' }), (e: ConfigError) => /profiles\.c\.nodes: a multiNode profile lists its nodes/.test(e.message));
    assert.throws(() => load({ nodes: nodes(2) }), (e: ConfigError) => /profiles\.c\.multiNode:/.test(e.message));
    assert.throws(() => load({ multiNode: 'dp', nodes: [{ host: 'a' }, { host: 'a' }] }), /profiles\.c\.nodes\[1\]\.host: a is listed twice/);
    assert.throws(() => load({ multiNode: 'ray', dataParallelSizeLocal: 2, nodes: nodes(2) }), /dataParallelSizeLocal belongs to multiNode "dp"/);
    assert.throws(() => load({ multiNode: 'dp', nodes: [{ host: 'a', address: '10.0.0.300' }, { host: 'b' }] }), /nodes\[0\]\.address: not an IPv4 address/);
    assert.equal(getProfile(load({ multiNode: 'dp', nodes: nodes(2) }), 'c').dataParallelRpcPort, 13389);
  });

  it('names the nodes whose address or NIC is still unknown', () => {
    assert.throws(() => resolveNet(named({ multiNode: 'dp', nodes: [{ host: 'a', address: '10.0.0.1', nic: 'eth0' }, { host: 'b' }] })), /node 1 \(b\): no address, nic/);
    const nets = resolveNet(named({ multiNode: 'dp', nodes: [{ host: 'a', address: '10.0.0.1', nic: 'eth0' }, { host: 'b' }] }), { b: { address: '10.0.0.2', nic: 'eth3' } });
    assert.deepEqual(nets[1], { address: '10.0.0.2', nic: 'eth3' });
  });
});

describe('serve --dry-run --json', () => {
  it('prints each node\'s commands in order without connecting when addresses and NICs are given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-dry-'));
    try {
      // The aliases exist nowhere: any connection attempt would fail the command.
      fs.writeFileSync(path.join(dir, 'ssh_config'), '');
      fs.writeFileSync(path.join(dir, 'ascend-adapt.json'), JSON.stringify({
        profiles: { r: { multiNode: 'ray', modelPath: '/w/Qwen3-235B-A22B', tensorParallelSize: 8, pipelineParallelSize: 2, nodes: [{ host: 'no-such-head', address: '10.3.0.1', nic: 'eth0' }, { host: 'no-such-worker', address: '10.3.0.2', nic: 'eth0' }] } },
      }));
      const r = await runCli(['serve', '--profile', 'r', '--dry-run', '--json', '--ssh-config', path.join(dir, 'ssh_config')], { cwd: dir });
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as ReturnType<typeof dryRun>;
      assert.deepEqual(out.nodes.map((n) => [n.host, n.role, n.commands.map((c) => c.argv.slice(0, 2).join(' '))]), [
        ['no-such-head', 'head', ['ray start', 'vllm serve']],
        ['no-such-worker', 'worker', ['ray start']],
      ]);
      assert.equal(out.nodes[1].commands[0].env.HCCL_IF_IP, '10.3.0.2');
      // A node without an address must be asked: it cannot be reached here, so the command says which one.
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'ascend-adapt.json'), 'utf8')) as { profiles: Record<string, { nodes: Array<Record<string, string>> }> };
      cfg.profiles.r2 = { ...cfg.profiles.r, nodes: [cfg.profiles.r.nodes[0], { host: 'no-such-worker' }] };
      fs.writeFileSync(path.join(dir, 'ascend-adapt.json'), JSON.stringify(cfg));
      const missing = await runCli(['serve', '--profile', 'r2', '--dry-run', '--json', '--ssh-config', path.join(dir, 'ssh_config')], { cwd: dir });
      assert.equal(missing.code, 2);
      assert.match(missing.err, /node 1 \(no-such-worker\): no address, nic/);
      assert.equal(missing.out, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
