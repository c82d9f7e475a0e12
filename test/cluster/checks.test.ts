// hccn_tool answers as the published samples print them, and the cluster checks over three simulated hosts
// probed for real (local transport): each broken state is caught and names its node and device.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterChecks, type NodeCheckInput } from '../../src/core/cluster/checks';
import { hccnFacts, netHealthy, parseHccnConf, parseIp, parseLink, parseNetHealth, parsePing, parseTls } from '../../src/core/cluster/hccn';
import { pingPeers, pingTargets } from '../../src/core/cluster/precheck';
import { analyzeHosts } from '../../src/core/checks/analyze';
import { runProbe } from '../../src/core/probe/run';
import type { ProbeOutcome } from '../../src/core/probe/schema';
import { readSimConfig, updateSimConfig } from '../../src/core/sim/config';
import { simExecEnv } from '../../src/core/sim/env';
import { LocalTransport } from '../../src/core/transport/local';
import { makeSim } from '../envcheck/helpers';

describe('hccn_tool outputs (mind-cluster samples)', () => {
  it('reads link, net health, ip, tls and a ping summary', () => {
    assert.equal(parseLink('link status: UP\n'), 'UP');
    assert.equal(parseLink('link status: DOWN'), 'DOWN');
    assert.equal(parseNetHealth('net health status: Init\n'), 'Init');
    assert.ok(netHealthy('Init') && netHealthy('Success') && !netHealthy('Fault') && !netHealthy(null));
    assert.deepEqual(parseIp('ipaddr:10.xx.xx.10\nnetmask:255.255.255.0\n'), { address: '10.xx.xx.10', netmask: '255.255.255.0' });
    assert.deepEqual(parseTls('dev_id:0, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), tls alarm time threshold[60]days'), { switch: 0, preconfigured: 1 });
    assert.equal(parseTls('something else'), null);
    assert.deepEqual(parsePing('3 packets transmitted, 0 received, 100.00% packet loss', 0), { transmitted: 3, received: 0, ok: false });
    assert.equal(parsePing('3 packets transmitted, 3 received, 0.00% packet loss', 0).ok, true);
    assert.deepEqual(parseHccnConf('address_0=192.168.1.8\nnetmask_0=255.255.255.0\n# x\naddress_1=192.168.1.9\n'), {
      0: { address: '192.168.1.8', netmask: '255.255.255.0' }, 1: { address: '192.168.1.9' },
    });
  });
});

function transportFor(root: string): LocalTransport {
  return new LocalTransport(path.basename(path.dirname(root)), simExecEnv(root, process.env));
}

async function probeAll(roots: string[]): Promise<NodeCheckInput[]> {
  const outcomes: ProbeOutcome[] = await Promise.all(roots.map((r) => runProbe(transportFor(r), { python: readSimConfig(r).python, hccn: true, model: path.join(roots[0], 'models', 'qwen3-moe-tiny-bf16') })));
  const hosts = roots.map((_, i) => `node${i}`);
  const reports = analyzeHosts(outcomes.map((o, i) => ({ host: hosts[i], outcome: o })));
  const targets = pingTargets(hosts.map((h, i) => ({ host: h, outcome: outcomes[i], devices: null })));
  return Promise.all(roots.map(async (r, i) => {
    const path0 = outcomes[i].ok ? hccnFacts((outcomes[i] as Extract<ProbeOutcome, { ok: true }>).data).path : null;
    const peers = [...targets].filter(([h]) => h !== hosts[i]).map(([toHost, target]) => ({ toHost, target }));
    return {
      index: i, host: hosts[i], role: i === 0 ? 'head' : 'worker', report: { ...reports[i], raw: outcomes[i] }, devices: [0, 1], net: null,
      pings: path0 ? await pingPeers(transportFor(r), path0, undefined, peers) : [],
    } satisfies NodeCheckInput;
  }));
}

describe('cluster checks over three simulated hosts', () => {
  const sims: Array<ReturnType<typeof makeSim>> = [];
  let fabric: string;
  before(() => {
    for (let i = 0; i < 3; i++) sims.push(makeSim({ devices: 2, npuFirstHost: 10 + 16 * i }));
    fabric = fs.mkdtempSync(path.join(path.dirname(sims[0].root), 'fabric-'));
    for (const [i, s] of sims.entries()) {
      fs.symlinkSync(s.root, path.join(fabric, `n${i}`));
      updateSimConfig(s.root, (c) => ({ ...c, hccnFabric: fabric }));
    }
  });
  after(() => {
    for (const s of sims) s.cleanup();
  });

  const failing = (checks: ReturnType<typeof clusterChecks>) => checks.filter((c) => c.status === 'fail');

  it('healthy: every port UP, distinct addresses, pings answered, same versions, same model, free NPUs', async () => {
    const checks = clusterChecks(await probeAll(sims.map((s) => s.root)), { modelPath: path.join(sims[0].root, 'models', 'qwen3-moe-tiny-bf16') });
    assert.deepEqual(failing(checks), []);
    assert.deepEqual(checks.map((c) => c.id), ['cluster.hccn-link', 'cluster.hccn-ip-unique', 'cluster.hccn-ping', 'cluster.versions', 'cluster.model', 'cluster.hbm']);
  });

  it('a link DOWN names the node and device; the others cannot ping it', async () => {
    updateSimConfig(sims[1].root, (c) => ({ ...c, faults: { hccnLinkDown: [0] } }));
    try {
      const f = failing(clusterChecks(await probeAll(sims.map((s) => s.root))));
      const link = f.find((c) => c.id === 'cluster.hccn-link')!;
      assert.equal(link.node, 'node1');
      assert.equal(link.device, 0);
      assert.match(link.detail, /node 1 \(node1\) NPU 0: link status DOWN/);
      assert.match(link.fix!, /hccn_tool -i 0 -link -g/);
      assert.ok(f.some((c) => c.id === 'cluster.hccn-ping' && /node1/.test(c.detail)));
    } finally {
      updateSimConfig(sims[1].root, (c) => ({ ...c, faults: {} }));
    }
  });

  it('a duplicate NPU address names both nodes', async () => {
    const conf = path.join(sims[2].root, 'etc', 'hccn.conf');
    const saved = fs.readFileSync(conf, 'utf8');
    fs.writeFileSync(conf, saved.replace('address_1=192.168.100.43', 'address_1=192.168.100.11'));
    try {
      const dup = failing(clusterChecks(await probeAll(sims.map((s) => s.root)))).find((c) => c.id === 'cluster.hccn-ip-unique')!;
      assert.match(dup.detail, /192\.168\.100\.11 is used by node 0 \(node0\) NPU 1, node 2 \(node2\) NPU 1/);
      assert.equal(dup.node, 'node2');
    } finally {
      fs.writeFileSync(conf, saved);
    }
  });

  it('a TLS switch that differs names the odd node', async () => {
    updateSimConfig(sims[0].root, (c) => ({ ...c, faults: { hccnTlsEnabled: [0, 1] } }));
    try {
      const tls = failing(clusterChecks(await probeAll(sims.map((s) => s.root)))).find((c) => c.id === 'cluster.hccn-tls')!;
      assert.equal(tls.node, 'node0');
      assert.match(tls.detail, /node0=1, node1=0, node2=0/);
      assert.match(tls.fix!, /node0.*-tls -s enable 0/);
    } finally {
      updateSimConfig(sims[0].root, (c) => ({ ...c, faults: {} }));
    }
  });
});
