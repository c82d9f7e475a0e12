// Multi-node serving on two and three "hosts": network namespaces on one bridge, each with its own sshd,
// throwaway user and simulated Atlas host (test/harness/cluster.ts). Everything goes through the CLI or the
// core API as a user's run would: pre-checks on every node, launch head first, ready, smoke through the head,
// stop — then nothing of ours is left on any node. Broken states are caught before launch with the node
// named; a node whose cable is pulled mid-run fails the job naming it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchCluster, type ClusterJobRecord } from '../../src/core/cluster/job';
import { precheckCluster } from '../../src/core/cluster/precheck';
import { jobControl } from '../../src/core/jobs/index';
import { getProfile, parseConfig } from '../../src/core/profiles';
import { updateSimConfig } from '../../src/core/sim/config';
import { runCli } from '../harness/cli';
import { clusterAvailable, nodeConnections, startCluster, type TestCluster } from '../harness/cluster';

const skip = clusterAvailable();

function writeConfig(c: TestCluster, profiles: Record<string, Record<string, unknown>>): string {
  const file = path.join(c.dir, 'ascend-adapt.json');
  fs.writeFileSync(file, JSON.stringify({ profiles }, null, 2));
  return file;
}

const model = (c: TestCluster) => path.join(c.nodes[0].simRoot, 'models', 'qwen3-moe-tiny-bf16');
const nodesOf = (c: TestCluster, extra: Array<Record<string, unknown>> = []) => c.nodes.map((n, i) => ({ host: n.alias, simRoot: n.simRoot, ...(extra[i] ?? {}) }));

async function cli(c: TestCluster, config: string, args: string[]) {
  return runCli([...args, '--config', config, '--ssh-config', c.sshConfig], { cwd: c.dir });
}

/** Nothing of the test users' is left on any node (waits for processes that are on their way out). */
async function assertNothingLeft(c: TestCluster): Promise<void> {
  for (let i = 0; i < 100 && c.nodes.some((_, k) => c.leftovers(k).length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  for (const n of c.nodes) {
    assert.deepEqual(c.leftovers(n.index), [], `processes left on ${n.alias}`);
    assert.deepEqual(fs.readdirSync(path.join(n.simRoot, 'state', 'npu_procs')).filter((f) => f.endsWith('.json')), [], `NPU memory still held on ${n.alias}`);
  }
}

async function serveCheckSmokeStop(c: TestCluster, config: string, profile: string): Promise<ClusterJobRecord> {
  const up = await cli(c, config, ['serve', '--profile', profile, '--detach', '--json']);
  assert.equal(up.code, 0, up.err);
  const out = JSON.parse(up.out) as { launched: boolean; job: ClusterJobRecord };
  assert.equal(out.job.state, 'ready');
  assert.ok(out.job.nodes.every((n) => n.state === 'ready'), up.err);
  assert.ok(out.job.simulated);
  const smoke = await cli(c, config, ['smoke', '--profile', profile, '--prompt', '你好', '--json']);
  assert.equal(smoke.code, 0, smoke.err);
  assert.equal((JSON.parse(smoke.out) as { passed: number }).passed, 1);
  const stop = await cli(c, config, ['serve', '--stop', '--profile', profile, '--json']);
  assert.equal(stop.code, 0, stop.err);
  const rep = JSON.parse(stop.out) as { idle: boolean; nodes: Array<{ host: string; idle: boolean; rayStop: string | null }> };
  assert.ok(rep.idle, stop.err);
  await assertNothingLeft(c);
  return out.job;
}

describe('two namespace hosts: multi-node data parallel', { skip }, () => {
  let c: TestCluster;
  let config: string;
  before(async () => {
    c = await startCluster(2);
    // No address or NIC in the profile: both are found on the nodes.
    config = writeConfig(c, { dp: { multiNode: 'dp', modelPath: model(c), tensorParallelSize: 2, dataParallelSize: 2, port: 8301, readyTimeoutSec: 120, nodes: nodesOf(c) } });
  });
  after(async () => c?.stop());

  it('check → launch (head first) → ready → smoke through the head → stop, nothing left on either node', async () => {
    const job = await serveCheckSmokeStop(c, config, 'dp');
    assert.equal(job.nodes[1].jobs.length, 1);
    assert.equal(job.nodes[0].address, c.nodes[0].address);
    assert.equal(job.nodes[1].nic, 'eth0');
  });
});

describe('three namespace hosts', { skip }, () => {
  let c: TestCluster;
  let config: string;
  before(async () => {
    c = await startCluster(3, { extraNic: true });
    config = writeConfig(c, {
      ray: { multiNode: 'ray', modelPath: model(c), tensorParallelSize: 2, pipelineParallelSize: 3, port: 8302, readyTimeoutSec: 120, nodes: nodesOf(c) },
      pp: { multiNode: 'pp-mp', modelPath: model(c), tensorParallelSize: 1, pipelineParallelSize: 3, port: 8303, readyTimeoutSec: 120, nodes: nodesOf(c) },
      dp: { multiNode: 'dp', modelPath: model(c), tensorParallelSize: 1, dataParallelSize: 3, port: 8304, readyTimeoutSec: 120, nodes: nodesOf(c) },
      wrongNic: { multiNode: 'dp', modelPath: model(c), dataParallelSize: 3, port: 8305, nodes: nodesOf(c, [{}, {}, { nic: 'eth1' }]) },
    });
  });
  after(async () => c?.stop());

  it('Ray: ray start on every node, vllm serve on the head; smoke; stop runs ray stop everywhere and leaves nothing', async () => {
    const job = await serveCheckSmokeStop(c, config, 'ray');
    assert.deepEqual(job.nodes.map((n) => n.jobs.map((j) => j.kind)), [['ray-start', 'serve'], ['ray-start'], ['ray-start']]);
    assert.deepEqual(job.rayStarted.sort(), c.nodes.map((n) => n.alias).sort());
  });

  it('pipeline parallel over three nodes with the mp backend', async () => {
    await serveCheckSmokeStop(c, config, 'pp');
  });

  const refused = async (profile: string) => {
    // --detach: should a check let it through, the command returns instead of following the logs.
    const r = await cli(c, config, ['serve', '--profile', profile, '--detach', '--json']);
    if (r.code === 0) await cli(c, config, ['serve', '--stop', '--profile', profile, '--json']);
    assert.equal(r.code, 1, r.err);
    const out = JSON.parse(r.out) as { launched: boolean; checks: Array<{ id: string; status: string; node: string | null; detail: string; fix: string | null }> };
    assert.equal(out.launched, false);
    for (const n of c.nodes) assert.deepEqual(await listRunning(n.alias), [], `nothing started on ${n.alias}`);
    return out.checks.filter((x) => x.status === 'fail');
  };
  const listRunning = async (alias: string) => {
    const r = await runCli(['jobs', 'list', '--host', alias, '--ssh-config', c.sshConfig, '--json'], { cwd: c.dir });
    return (JSON.parse(r.out) as { jobs: Array<{ state: string; name: string }> }).jobs.filter((j) => j.state === 'running');
  };

  it('a wrong NIC is caught before launch, naming the node', async () => {
    const f = await refused('wrongNic');
    const nic = f.find((x) => x.id === 'cluster.nic')!;
    assert.equal(nic.node, c.nodes[2].alias);
    assert.match(nic.detail, /the route to the head .* leaves through eth0 .*, not eth1/);
    assert.match(nic.fix!, /Set "nic" of .* to eth0/);
    assert.ok(f.some((x) => x.id === 'cluster.reach' && x.node === c.nodes[2].alias), 'and its NIC does not reach the head\'s port');
  });

  it('a link DOWN, a duplicate NPU address, a TLS mismatch and a version mismatch are each caught before launch, naming the node', async () => {
    const n1 = c.nodes[1];
    const n2 = c.nodes[2];
    // NPU 0 is the one this profile uses on each node (a port the launch does not use is only a warning).
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnLinkDown: [0] } }));
    let f = await refused('dp');
    assert.ok(f.some((x) => x.id === 'cluster.hccn-link' && x.node === n1.alias && /NPU 0: link status DOWN/.test(x.detail)), JSON.stringify(f));
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));

    const conf = path.join(n2.simRoot, 'etc', 'hccn.conf');
    const saved = fs.readFileSync(conf, 'utf8');
    fs.writeFileSync(conf, saved.replace(/^address_0=.*$/m, 'address_0=192.168.100.10'));
    f = await refused('dp');
    const dup = f.find((x) => x.id === 'cluster.hccn-ip-unique')!;
    assert.equal(dup.node, n2.alias);
    assert.match(dup.detail, new RegExp(`192\\.168\\.100\\.10 is used by node 0 \\(${c.nodes[0].alias}\\) NPU 0, node 2 \\(${n2.alias}\\) NPU 0`));
    fs.writeFileSync(conf, saved);

    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnTlsEnabled: [0, 1, 2, 3] } }));
    f = await refused('dp');
    const tls = f.find((x) => x.id === 'cluster.hccn-tls')!;
    assert.equal(tls.node, n1.alias);
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));

    const site = path.join(n2.simRoot, 'site-packages');
    const dist = fs.readdirSync(site).find((d) => d.startsWith('vllm_ascend-'))!;
    const meta = path.join(site, dist, 'METADATA');
    const metaText = fs.readFileSync(meta, 'utf8');
    fs.writeFileSync(meta, metaText.replace(/^Version: .*$/m, 'Version: 0.9.1'));
    f = await refused('dp');
    const v = f.find((x) => x.id === 'cluster.versions')!;
    assert.match(v.detail, new RegExp(`vllm_ascend: .*${n2.alias} 0\\.9\\.1`));
    fs.writeFileSync(meta, metaText);
  });

  it('env-check --profile runs the same checks on every node: healthy passes; a TLS mismatch fails naming the node', async () => {
    const ok = await cli(c, config, ['env-check', '--profile', 'dp', '--json']);
    assert.equal(ok.code, 0, ok.err);
    const rep = JSON.parse(ok.out) as { ok: boolean; nodes: Array<{ host: string; simulated: boolean }>; checks: Array<{ id: string; status: string; node: string | null }> };
    assert.ok(rep.ok);
    assert.deepEqual(rep.nodes.map((n) => n.host), c.nodes.map((n) => n.alias));
    assert.ok(rep.nodes.every((n) => n.simulated));
    for (const id of ['cluster.hccn-link', 'cluster.hccn-ip-unique', 'cluster.hccn-ping', 'cluster.nic', 'cluster.versions', 'cluster.model', 'cluster.hbm']) {
      assert.ok(rep.checks.some((x) => x.id === id && x.status === 'pass'), `${id} passes: ${JSON.stringify(rep.checks.filter((x) => x.id === id))}`);
    }
    const n1 = c.nodes[1];
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnTlsEnabled: [0, 1, 2, 3] } }));
    try {
      const bad = await cli(c, config, ['env-check', '--profile', 'dp']);
      assert.equal(bad.code, 1, bad.err);
      const line = bad.out.split('\n').find((l) => l.includes('TLS the same on every node'));
      assert.ok(line?.includes('✗ FAIL') && line.includes(`${n1.alias}=1`), bad.out);
    } finally {
      updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));
    }
  });

  it('a node cut mid-run fails the job naming it, the others are stopped, and nothing is left once it is back', async () => {
    const { get, close } = nodeConnections(c);
    try {
      const profile = getProfile(parseConfig(fs.readFileSync(config, 'utf8')), 'dp');
      const pre = await precheckCluster(profile, { open: get });
      assert.ok(pre.ok, JSON.stringify(pre.checks.filter((x) => x.status === 'fail')));
      const job = await launchCluster(profile, pre.plan!, { open: get, jobs: jobControl(), readyTimeoutMs: 120_000 });
      assert.equal((await job.waitReady()).state, 'ready');
      c.cut(2);
      const failed = await job.waitFor(['failed']);
      assert.equal(failed.failure!.node, c.nodes[2].alias);
      assert.match(failed.failure!.message, /node 2 .*: the link dropped/);
      const rep = await job.settled();
      assert.deepEqual(rep!.nodes.map((n) => [n.host, n.idle]), [[c.nodes[0].alias, true], [c.nodes[1].alias, true]], 'the others are stopped');
      c.restore(2);
      const again = await job.stop();
      assert.ok(again.idle, JSON.stringify(again));
      await assertNothingLeft(c);
    } finally {
      c.restore(2);
      await close();
    }
  });
});
