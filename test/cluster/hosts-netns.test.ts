// `env-check --host A --host B --host C` without a profile, on three namespace hosts (each its own sshd,
// throwaway user and simulated Atlas host; test/harness/cluster.ts): the hosts are checked as one cluster,
// the first the head. A clean cluster passes every cross-node check; a link DOWN, a duplicate NPU address and
// a TLS mismatch are each caught, naming the node (and NPU).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { updateSimConfig } from '../../src/core/sim/config';
import { runCli } from '../harness/cli';
import { clusterAvailable, startCluster, type TestCluster } from '../harness/cluster';

const skip = clusterAvailable();

interface Out {
  ok: boolean;
  head: { host: string; address: string | null; from: string | null; port: number };
  nodes: Array<{ host: string; simulated: boolean }>;
  checks: Array<{ id: string; status: string; node: string | null; device?: number; detail: string; fix: string | null }>;
}

describe('env-check of several plain hosts: the cluster checks without a profile', { skip }, () => {
  let c: TestCluster;
  const hostArgs = () => c.nodes.flatMap((n) => ['--host', n.alias]);
  // A real cluster sources the same CANN set_env.sh path on every node; here each node's simulated host has
  // its own folder, so each user's home holds the same relative name for its own node's env.sh.
  const run = (extra: string[] = []) => runCli(['env-check', ...hostArgs(), '--source', './sim-env.sh', '--ssh-config', c.sshConfig, ...extra], { cwd: c.dir });
  const json = async (): Promise<{ code: number | null; out: Out; err: string }> => {
    const r = await run(['--json']);
    return { code: r.code, out: JSON.parse(r.out) as Out, err: r.err };
  };

  before(async () => {
    c = await startCluster(3);
    for (const n of c.nodes) fs.symlinkSync(path.join(n.simRoot, 'env.sh'), path.join(n.sshd.home, 'sim-env.sh'));
  });
  after(async () => c?.stop());

  it('a clean cluster passes every cross-node check; what needs a profile is named, not skipped silently', async () => {
    const { code, out, err } = await json();
    assert.equal(code, 0, err + JSON.stringify(out.checks.filter((x) => x.status === 'fail')));
    assert.ok(out.ok);
    assert.deepEqual(out.nodes.map((n) => n.host), c.nodes.map((n) => n.alias));
    assert.ok(out.nodes.every((n) => n.simulated));
    assert.deepEqual(out.head, { host: c.nodes[0].alias, address: c.nodes[0].address, from: 'ssh', port: 13389 });
    for (const id of ['cluster.hccn-link', 'cluster.hccn-ip-unique', 'cluster.hccn-ping', 'cluster.nic', 'cluster.versions']) {
      assert.ok(out.checks.some((x) => x.id === id && x.status === 'pass'), `${id} passes: ${JSON.stringify(out.checks.filter((x) => x.id === id))}`);
    }
    assert.match(out.checks.find((x) => x.id === 'cluster.hccn-ping')!.detail, /^6 pings/);
    assert.match(out.checks.find((x) => x.id === 'cluster.nic')!.detail, /2 worker\(s\) reached/);
    const skipped = out.checks.find((x) => x.id === 'cluster.needs-profile')!;
    assert.equal(skipped.status, 'skip');
    assert.match(skipped.fix!, /--profile NAME/);
  });

  it('a link DOWN is caught, naming the node and the NPU', async () => {
    const n1 = c.nodes[1];
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnLinkDown: [2] } }));
    try {
      const { code, out } = await json();
      assert.equal(code, 1);
      const f = out.checks.find((x) => x.id === 'cluster.hccn-link' && x.status === 'fail');
      assert.ok(f, JSON.stringify(out.checks));
      assert.equal(f.node, n1.alias);
      assert.equal(f.device, 2);
      assert.match(f.detail, new RegExp(`node 1 \\(${n1.alias}\\) NPU 2: link status DOWN`));
      assert.match(f.fix!, /hccn_tool -i 2 -link -g/);
    } finally {
      updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));
    }
  });

  it('a duplicate NPU address is caught, naming both nodes and the one to change', async () => {
    const n2 = c.nodes[2];
    const conf = path.join(n2.simRoot, 'etc', 'hccn.conf');
    const saved = fs.readFileSync(conf, 'utf8');
    const taken = /^address_1=(.*)$/m.exec(fs.readFileSync(path.join(c.nodes[0].simRoot, 'etc', 'hccn.conf'), 'utf8'))![1];
    fs.writeFileSync(conf, saved.replace(/^address_3=.*$/m, `address_3=${taken}`));
    try {
      const { code, out } = await json();
      assert.equal(code, 1);
      const dup = out.checks.find((x) => x.id === 'cluster.hccn-ip-unique')!;
      assert.equal(dup.status, 'fail');
      assert.equal(dup.node, n2.alias);
      assert.equal(dup.device, 3);
      assert.equal(dup.detail, `${taken} is used by node 0 (${c.nodes[0].alias}) NPU 1, node 2 (${n2.alias}) NPU 3`);
    } finally {
      fs.writeFileSync(conf, saved);
    }
  });

  it('a host that cannot be reached is named; the others are still checked against each other', async () => {
    const gone = `gone-${path.basename(c.dir)}.invalid`;
    const r = await runCli(['env-check', ...hostArgs(), '--host', gone, '--source', './sim-env.sh', '--ssh-config', c.sshConfig, '--json'], { cwd: c.dir });
    assert.equal(r.code, 1, r.err);
    const out = JSON.parse(r.out) as Out;
    const f = out.checks.filter((x) => x.status === 'fail');
    assert.deepEqual(f.map((x) => [x.id, x.node]), [['cluster.reach-node', gone]], JSON.stringify(f));
    assert.ok(out.checks.some((x) => x.id === 'cluster.hccn-ping' && x.status === 'pass'));
    assert.ok(out.checks.some((x) => x.id === 'cluster.versions' && x.status === 'pass'));
  });

  it('a TLS mismatch is caught naming the node, in English and in Chinese', async () => {
    const n1 = c.nodes[1];
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnTlsEnabled: [0, 1, 2, 3] } }));
    try {
      const { code, out } = await json();
      assert.equal(code, 1);
      const tls = out.checks.find((x) => x.id === 'cluster.hccn-tls')!;
      assert.equal(tls.status, 'fail');
      assert.equal(tls.node, n1.alias);
      const en = await run();
      assert.equal(en.code, 1);
      const line = en.out.split('\n').find((l) => l.includes('TLS the same on every node'));
      assert.ok(line?.includes('✗ FAIL') && line.includes(`${n1.alias}=1`), en.out);
      assert.match(en.out, /^== Cluster checks \(head .* from its SSH connection\):$/m);
      const zh = await runCli(['--lang', 'zh-CN', 'env-check', ...hostArgs(), '--source', './sim-env.sh', '--ssh-config', c.sshConfig], { cwd: c.dir });
      assert.equal(zh.code, 1);
      assert.match(zh.out, /^== 多节点检查（主节点 /m);
      assert.doesNotMatch(zh.out, /Cluster checks|TLS the same on every node|Model folder and free NPU memory/);
    } finally {
      updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));
    }
  });
});
