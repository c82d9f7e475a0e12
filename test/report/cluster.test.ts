import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { verdictOf } from '../../src/core/report/assemble';
import { compareReports } from '../../src/core/report/compare';
import { referencedEvidenceIds } from '../../src/core/report/figures';
import { renderReportHtml } from '../../src/core/report/html';
import { parseReportText, serializeReport } from '../../src/core/report/load';
import { renderMarkdown } from '../../src/core/report/markdown';
import { Report, type Cluster } from '../../src/core/report/schema';
import { fixture, fixtureText } from './helpers';

/**
 * The report of a multi-node run: an optional `cluster` section (the nodes, what ran on each, each node's
 * log as evidence) next to one host per node. Reports without it (every report written before) load as
 * before; a damaged cluster section is reported and the rest still loads.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cluster-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cmd = (i: number) => ({
  kind: 'serve' as const,
  argv: ['vllm', 'serve', '/data/m', '--data-parallel-address', '10.0.0.11', ...(i ? ['--headless', '--data-parallel-start-rank', String(i)] : [])],
  env: { HCCL_IF_IP: `10.0.0.1${i + 1}`, GLOO_SOCKET_IFNAME: 'enp23s0f3' },
  jobId: `20261204-101010-serve-dsv3-n${i}-abc12${i}`,
});

/** The fixture as a two-node DP run: a second host, the cluster section, a log per node. */
function clusterReport(): Report {
  const r = fixture();
  const b = { ...structuredClone(r.hosts[0]), name: 'atlas-b', versions: { ...r.hosts[0].versions, transformers: '4.99.1' } };
  r.hosts[0].name = 'atlas-a';
  r.hosts.push(b);
  const at = r.evidence.length;
  for (const [i, host] of ['atlas-a', 'atlas-b'].entries()) {
    r.evidence.push({ id: `E${at + i + 1}`, kind: 'log', jobId: cmd(i).jobId, host, startedAt: r.generatedAt, endedAt: r.generatedAt, command: cmd(i).argv, file: `/home/u/.ascend-adapt/jobs/${cmd(i).jobId}/log`, offset: 100, length: 40, line: 3 });
  }
  const cluster: Cluster = {
    mode: 'dp', source: 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/tutorials/models/DeepSeek-V3.1.md', jobId: '20261204-101010-cluster-dsv3-abc123',
    headAddress: '10.0.0.11', rendezvousPort: 13389, apiPort: 8000,
    nodes: [0, 1].map((i) => ({
      index: i, host: i ? 'atlas-b' : 'atlas-a', role: i ? 'worker' : 'head', address: `10.0.0.1${i + 1}`, nic: 'enp23s0f3', devices: [0, 1, 2, 3],
      env: { HCCL_IF_IP: `10.0.0.1${i + 1}`, GLOO_SOCKET_IFNAME: 'enp23s0f3', ASCEND_RT_VISIBLE_DEVICES: '0,1,2,3' }, commands: [cmd(i)], log: `E${at + i + 1}`,
      state: 'stopped', failure: null, stop: { reached: true, leftoverPids: [], rayStop: null, idle: true },
    })),
    checks: [
      { id: 'cluster.hccn-link', status: 'pass', title: 'NPU port link', detail: '8 NPU ports UP and healthy on 2 nodes', fix: null, node: null },
      { id: 'cluster.hbm', status: 'fail', title: 'Free NPUs on every node', detail: 'node 1 (atlas-b) NPU 2: 1.5 GiB free for 30.0 GiB of weights', fix: 'Stop what runs on NPU 2 of atlas-b, or list other devices in its "devices".', node: 'atlas-b', device: 2 },
    ],
    failure: null,
  };
  const { verdict: _v, ...rest } = { ...r, cluster };
  return Report.parse({ ...rest, verdict: verdictOf(rest) });
}

describe('report of a multi-node run', () => {
  it('a report without a cluster section (every earlier report) still loads with no problem', () => {
    const loaded = parseReportText(fixtureText(), 'old.json');
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.report.cluster, undefined);
  });

  it('round-trips, and its node logs count as referenced evidence', () => {
    const r = clusterReport();
    const again = parseReportText(serializeReport(r), 'cluster.json');
    assert.deepEqual(again.problems, []);
    assert.deepEqual(again.report.cluster, r.cluster);
    const ids = referencedEvidenceIds(r);
    for (const n of r.cluster!.nodes) assert.ok(ids.has(n.log!), n.log!);
  });

  it('a damaged cluster section is named; the other sections still load', () => {
    const raw = JSON.parse(serializeReport(clusterReport())) as Record<string, unknown> & { cluster: { mode: string } };
    raw.cluster.mode = 'mpi';
    const loaded = parseReportText(JSON.stringify(raw), 'bad.json');
    assert.ok(loaded.problems.some((p) => p.path.startsWith('cluster') && /mode/.test(p.path)), JSON.stringify(loaded.problems));
    assert.equal(loaded.report.cluster, undefined);
    assert.equal(loaded.report.hosts?.length, 2);
  });

  it('the environment verdict covers every node and the checks across them, naming the node', () => {
    const r = clusterReport();
    const env = r.verdict.dimensions.find((d) => d.name === 'environment')!;
    assert.equal(env.status, 'fail');
    assert.match(env.summary, /^2 nodes \(dp\): .*to look at: Free NPUs on every node \(atlas-b\)/);
    const healthy = structuredClone(r);
    healthy.cluster!.checks.pop();
    const { verdict: _v, ...rest } = healthy;
    assert.notEqual(verdictOf(rest).dimensions.find((d) => d.name === 'environment')!.status, 'fail');
  });

  for (const lang of ['en', 'zh-CN'] as const) {
    it(`renders the nodes, each node's versions, variables and command, and the logs behind the figures (${lang})`, () => {
      const r = clusterReport();
      const md = renderMarkdown(r, { lang });
      const zh = lang === 'zh-CN';
      assert.ok(md.includes(zh ? '### 节点 (dp, 2)' : '### Nodes (dp, 2)'));
      assert.ok(md.includes(zh ? '| 1 | atlas-b | 从节点 | 10.0.0.12 | enp23s0f3 | 0,1,2,3 | dp --headless | 已停止 |' : '| 1 | atlas-b | worker | 10.0.0.12 | enp23s0f3 | 0,1,2,3 | dp --headless | stopped |'), md);
      assert.ok(md.includes('`HCCL_IF_IP=10.0.0.12`'));
      assert.ok(md.includes('--headless \\\n  --data-parallel-start-rank 1'), 'the worker\'s exact command');
      assert.ok(md.includes(zh ? '| atlas-b NPU 2 | 每个节点上的空闲 NPU | ❌' : '| atlas-b NPU 2 | Free NPUs on every node | ❌'), md);
      const served = zh ? '由一个 vLLM 跨 2 个节点提供服务' : 'Served by one vLLM over 2 nodes';
      assert.equal(md.split(served).length - 1, 4, 'accuracy, performance, inference and serving name the logs');
      for (const n of r.cluster!.nodes) {
        const e = r.evidence.find((x) => x.id === n.log)!;
        assert.ok(md.includes(`[^${e.id}]: `) && md.includes(e.file), `${n.host}: footnote with the log path`);
      }
    });
  }

  it('the HTML page carries the nodes section', () => {
    const html = renderReportHtml(clusterReport(), { lang: 'zh-CN', mode: 'standalone' });
    assert.ok(html.includes('atlas-b'));
    assert.ok(html.includes('节点'));
  });

  it('report compare: a multi-node NPU report against a one-host GPU baseline', async () => {
    const npu = clusterReport();
    const gpu = fixture();
    gpu.hosts[0] = { ...gpu.hosts[0], name: 'a100-01', role: 'gpu', devices: [] };
    const rows = compareReports(gpu, npu);
    assert.ok(rows.some((x) => x.section === 'performance' && x.delta !== null));
    const a = path.join(tmp, 'gpu.json');
    const b = path.join(tmp, 'cluster.json');
    fs.writeFileSync(a, JSON.stringify(gpu));
    fs.writeFileSync(b, serializeReport(npu));
    const out = path.join(tmp, 'cmp.html');
    let err = '';
    const sink = { write: (s: string | Uint8Array) => ((err += String(s)), true) } as unknown as NodeJS.WritableStream;
    const code = await main(['report', 'compare', a, b, '--label-a', 'GPU', '--label-b', 'NPU × 2 nodes', '--out', out], { stdout: sink, stderr: sink, cwd: tmp, env: { ...process.env, LANG: 'en_US.UTF-8' } });
    assert.equal(code, 0, err);
    assert.match(fs.readFileSync(out, 'utf8'), /<th>GPU<\/th><th>NPU × 2 nodes<\/th>/);
  });
});
