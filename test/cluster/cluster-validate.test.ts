// `validate` of a multi-node profile on two namespace hosts (test/harness/cluster.ts), through the CLI as a
// user runs it: the cluster pre-checks on both nodes, one job over both, smoke / accuracy / perf through the
// head, stop on every node — and a report whose nodes, per-node versions and log evidence are checked
// against what the nodes really have. A broken node stops the run before launch, naming the node.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterJob } from '../../src/core/cluster/job';
import { getProfile, parseConfig } from '../../src/core/profiles';
import { parseReportText } from '../../src/core/report/load';
import { renderMarkdown } from '../../src/core/report/markdown';
import type { Report } from '../../src/core/report/schema';
import { updateSimConfig } from '../../src/core/sim/config';
import { clusterSteps, runValidation, type ValidateStep } from '../../src/core/validate';
import { demoDataDir } from '../../src/core/validate/demo';
import { interruptCli, runCli } from '../harness/cli';
import { clusterAvailable, nodeConnections, startCluster, type TestCluster } from '../harness/cluster';
import { chownR } from '../harness/files';

const skip = clusterAvailable();

/** The Version: line of a package's METADATA in a node's simulated site-packages. */
function distMeta(simRoot: string, dist: string): string {
  const site = path.join(simRoot, 'site-packages');
  return path.join(site, fs.readdirSync(site).find((d) => d.startsWith(`${dist}-`))!, 'METADATA');
}
const versionOf = (simRoot: string, dist: string) => /^Version: (.*)$/m.exec(fs.readFileSync(distMeta(simRoot, dist), 'utf8'))![1];

describe('validate a multi-node profile on two namespace hosts', { skip, timeout: 600_000 }, () => {
  let c: TestCluster;
  let config: string;
  let data: string;
  let outRoot: string;

  before(async () => {
    c = await startCluster(2);
    const head = c.nodes[0];
    data = path.join(head.simRoot, 'data');
    fs.cpSync(demoDataDir(), data, { recursive: true });
    chownR(data, head.sshd.uid, fs.statSync(head.sshd.home).gid);
    // The head serves the API: its simulated server answers the demo questions from their key (as the demo does).
    updateSimConfig(head.simRoot, (x) => ({ ...x, serve: { ...(x.serve ?? {}), server: { ...((x.serve?.server as object) ?? {}), answer_key: path.join(data, 'answer_key.jsonl') } } }));
    config = path.join(c.dir, 'ascend-adapt.json');
    const model = path.join(head.simRoot, 'models', 'qwen3-moe-tiny-bf16');
    const nodes = c.nodes.map((n) => ({ host: n.alias, simRoot: n.simRoot }));
    fs.writeFileSync(config, JSON.stringify({ profiles: {
      dp: { multiNode: 'dp', modelPath: model, tensorParallelSize: 2, dataParallelSize: 2, port: 8311, readyTimeoutSec: 120, nodes },
      ray: { multiNode: 'ray', modelPath: model, tensorParallelSize: 2, pipelineParallelSize: 2, port: 8312, readyTimeoutSec: 120, nodes },
    } }, null, 2));
    outRoot = path.join(c.dir, 'out');
  });
  after(async () => c?.stop());

  const validate = (out: string, extra: string[], profile = 'dp') =>
    runCli(['validate', '--profile', profile, '--config', config, '--ssh-config', c.sshConfig, '--out', path.join(outRoot, out), '--json', ...extra], { cwd: c.dir });
  const readReport = (stdout: string): { report: Report; file: string } => {
    const file = (JSON.parse(stdout) as { report: string }).report;
    const loaded = parseReportText(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(loaded.problems, []);
    return { report: loaded.report as Report, file };
  };
  const running = async (alias: string) => {
    const r = await runCli(['jobs', 'list', '--host', alias, '--ssh-config', c.sshConfig, '--json'], { cwd: c.dir });
    return (JSON.parse(r.out) as { jobs: Array<{ state: string; name: string }> }).jobs.filter((j) => j.state === 'running');
  };

  it('env → serve → smoke → accuracy → perf → stop; the report lists the nodes, their versions and logs', async () => {
    const r = await validate('ok', ['--tasks', 'gsm8k', '--data', data, '--limit', '4', '--num-prompts', '8', '--concurrency', '2', '--input-len', '16', '--output-len', '8']);
    const { report, file } = readReport(r.out);
    const steps = Object.fromEntries(report.steps.map((s) => [s.name, s.status]));
    assert.deepEqual(Object.keys(steps), ['env', 'analysis', 'serve', 'smoke', 'accuracy', 'perf', 'stop'], r.err);
    assert.match(steps.env, /^(pass|warn)$/, r.err);
    assert.deepEqual([steps.serve, steps.smoke, steps.stop], ['pass', 'pass', 'pass'], r.err);
    assert.equal(steps.accuracy, 'warn', r.err);
    assert.match(steps.perf, /^(pass|warn)$/, r.err);
    assert.ok(report.accuracy.datasets[0].measured.value! > 0);
    assert.ok(report.performance.metrics.some((m) => m.key === 'request_throughput' && m.measured.value! > 0));

    // The nodes: where, on which NPUs, with which per-node variables and command.
    const cl = report.cluster!;
    assert.equal(cl.mode, 'dp');
    assert.equal(cl.headAddress, c.nodes[0].address);
    assert.deepEqual(cl.nodes.map((n) => [n.index, n.host, n.role, n.address, n.nic, n.devices]), c.nodes.map((n, i) => [i, n.alias, i ? 'worker' : 'head', n.address, 'eth0', [0, 1]]));
    for (const [i, n] of cl.nodes.entries()) {
      assert.equal(n.env.HCCL_IF_IP, c.nodes[i].address);
      for (const k of ['GLOO_SOCKET_IFNAME', 'TP_SOCKET_IFNAME', 'HCCL_SOCKET_IFNAME']) assert.equal(n.env[k], 'eth0', k);
      assert.equal(n.env.ASCEND_RT_VISIBLE_DEVICES, '0,1');
      assert.equal(n.commands.length, 1);
      assert.ok(n.commands[0].jobId, 'the job that ran it');
      assert.equal(n.commands[0].argv.includes('--headless'), i > 0);
      assert.ok(n.commands[0].argv.includes(c.nodes[0].address), '--data-parallel-address is the head');
      assert.deepEqual(n.stop, { reached: true, leftoverPids: [], rayStop: null, idle: true });
    }
    // Each node's environment is its own probe: versions as installed on that node.
    assert.deepEqual(report.hosts.map((h) => h.name), c.nodes.map((n) => n.alias));
    for (const [i, h] of report.hosts.entries()) {
      const sim = c.nodes[i].simRoot;
      assert.equal(h.versions.vllm_ascend, versionOf(sim, 'vllm_ascend'));
      assert.equal(h.versions.torch_npu, versionOf(sim, 'torch_npu'));
      assert.equal(h.versions.transformers, versionOf(sim, 'transformers'));
      assert.equal(h.devices.length, 4);
      assert.ok(h.simulated);
    }
    // …each from that node's own probe, kept in the environment snapshot beside the report.
    const byId = new Map(report.evidence.map((e) => [e.id, e]));
    for (const [i, h] of report.hosts.entries()) {
      const e = byId.get(h.evidence)!;
      const snap = JSON.parse(fs.readFileSync(path.join(path.dirname(file), e.copy!), 'utf8')) as { hosts: Array<{ host: string }> };
      assert.equal(snap.hosts[Number(e.pointer!.split('/')[2])].host, c.nodes[i].alias);
    }
    assert.ok(cl.checks.some((x) => x.id === 'cluster.hccn-link' && x.status === 'pass'));
    // Each node's own checks (its NPU links among them) stay with its environment.
    for (const h of report.hosts) assert.ok(h.checks.some((x) => x.id === 'net.hccn' && x.status === 'pass'), `${h.name}: ${JSON.stringify(h.checks.map((x) => x.id))}`);

    // Every node's log: on that node (host + path), copied beside the report, at the line that made it ready.
    const ev = new Map(report.evidence.map((e) => [e.id, e]));
    const ready = [/Application startup complete|Uvicorn running on|Available routes are|Starting vLLM API server/, /init engine \(profile, create kv cache, warmup model\) took/];
    for (const [i, n] of cl.nodes.entries()) {
      const e = ev.get(n.log!)!;
      assert.equal(e.kind, 'log');
      assert.equal(e.host, c.nodes[i].alias);
      assert.equal(e.jobId, n.commands[0].jobId);
      assert.ok(e.file.startsWith(c.nodes[i].sshd.home), `${e.file} is on node ${i}`);
      // The variables and command in the report are what the node's own job record says it ran with.
      const rec = JSON.parse(fs.readFileSync(path.join(path.dirname(e.file), 'job.json'), 'utf8')) as { env: Record<string, string>; argv: string[] };
      assert.deepEqual(n.commands[0].env, rec.env);
      assert.equal(rec.env.HCCL_IF_IP, c.nodes[i].address);
      assert.ok(rec.argv.join(' ').includes(n.commands[0].argv.join(' ')), rec.argv.join(' '));
      for (const bytes of [fs.readFileSync(e.file), fs.readFileSync(path.join(path.dirname(file), e.copy!))]) {
        assert.match(bytes.subarray(e.offset!, e.offset! + e.length!).toString(), ready[i]);
      }
    }
    assert.ok(cl.nodes.some((n) => n.log === report.serving.loadTime!.evidence), 'the load time points at a node\'s log');
    // HBM is sampled on every node: each node's serving NPUs took memory while the cluster served.
    for (const n of c.nodes) {
      for (const d of [0, 1]) {
        const mine = report.performance.hbmSamples.filter((x) => x.host === n.alias && x.device === d);
        assert.ok(mine.length >= 2, `${n.alias} NPU ${d} sampled`);
        assert.ok(Math.max(...mine.map((x) => x.usedMB)) > mine[0].usedMB, `${n.alias} NPU ${d}: HBM taken while serving`);
      }
    }
    assert.ok(report.performance.memory.perDeviceMB!.value! > 0);
    assert.equal(report.serving.jobId, cl.nodes[0].commands[0].jobId);

    // The rendered report: a Nodes section, and the logs named where smoke, accuracy and perf figures are.
    for (const lang of ['en', 'zh-CN'] as const) {
      const md = renderMarkdown(report, { lang });
      for (const n of c.nodes) assert.ok(md.includes(n.alias));
      assert.ok(md.includes(lang === 'en' ? '### Nodes (dp, 2)' : '### 节点 (dp, 2)'), md);
      const served = lang === 'en' ? 'Served by one vLLM over 2 nodes' : '由一个 vLLM 跨 2 个节点提供服务';
      assert.equal(md.split(served).length - 1, 4, 'accuracy, performance, inference and serving name the logs');
      for (const n of cl.nodes) assert.ok(md.includes(ev.get(n.log!)!.file), `${n.host}'s log path is in the footnotes`);
    }

    for (const n of c.nodes) assert.deepEqual(await running(n.alias), [], `nothing runs on ${n.alias}`);
    for (let k = 0; k < 100 && c.nodes.some((n) => c.leftovers(n.index).length); k++) await new Promise((res) => setTimeout(res, 100));
    for (const n of c.nodes) assert.deepEqual(c.leftovers(n.index), [], `processes left on ${n.alias}`);
  });

  it('Ray: ray start on both nodes, vllm serve on the head; the worker\'s log is its ray start; stop runs ray stop on both', async () => {
    const r = await validate('ray', ['--no-perf'], 'ray');
    const { report, file } = readReport(r.out);
    const steps = Object.fromEntries(report.steps.map((s) => [s.name, s.status]));
    assert.deepEqual([steps.serve, steps.smoke, steps.stop], ['pass', 'pass', 'pass'], r.err);
    const cl = report.cluster!;
    assert.equal(cl.mode, 'ray');
    assert.deepEqual(cl.nodes.map((n) => n.commands.map((x) => x.kind)), [['ray-start', 'serve'], ['ray-start']]);
    assert.ok(cl.nodes.every((n) => n.commands.every((x) => x.jobId)), 'every command has its job');
    for (const n of cl.nodes) {
      assert.equal(n.env.RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES, '1');
      assert.ok(n.stop!.rayStop, `ray stop ran on ${n.host}`);
      assert.ok(n.stop!.idle);
    }
    const ev = new Map(report.evidence.map((e) => [e.id, e]));
    const head = ev.get(cl.nodes[0].log!)!;
    const worker = ev.get(cl.nodes[1].log!)!;
    assert.equal(head.jobId, cl.nodes[0].commands[1].jobId, 'the head\'s log is its vllm serve');
    assert.equal(worker.jobId, cl.nodes[1].commands[0].jobId, 'the worker\'s log is its ray start');
    const text = fs.readFileSync(path.join(path.dirname(file), worker.copy!));
    assert.match(text.subarray(worker.offset!, worker.offset! + worker.length!).toString(), /Ray runtime started/);
    for (const n of c.nodes) assert.deepEqual(await running(n.alias), [], `nothing runs on ${n.alias}`);
  });

  it('Ctrl-C once the nodes are launched stops every node, and the report is still written', async () => {
    const out = path.join(outRoot, 'int');
    const r = await interruptCli(['validate', '--profile', 'dp', '--config', config, '--ssh-config', c.sshConfig, '--out', out, '--json'], /waiting for the head's API/);
    assert.ok(r.sent, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    const { report } = readReport(r.stdout);
    // Where the interrupt lands depends on how fast the nodes came up: serving, or the smoke test after it.
    assert.match(report.interrupted?.step ?? '', /^(serve|smoke)$/, r.stderr);
    assert.equal(report.steps.find((s) => s.name === 'stop')!.status, 'pass', r.stderr);
    for (const n of report.cluster!.nodes) assert.deepEqual(n.stop, { reached: true, leftoverPids: [], rayStop: null, idle: true }, n.host);
    for (const n of c.nodes) assert.deepEqual(await running(n.alias), [], `nothing runs on ${n.alias}`);
    for (let k = 0; k < 100 && c.nodes.some((n) => c.leftovers(n.index).length); k++) await new Promise((res) => setTimeout(res, 100));
    for (const n of c.nodes) assert.deepEqual(c.leftovers(n.index), [], `processes left on ${n.alias}`);
  });

  it('a node cut mid-run: the job fails naming it, the stop still ends every node, the report says so', async () => {
    const { get, close } = nodeConnections(c);
    // In place of the performance run: pull node 1's cable, wait until the job has noticed, put it back.
    const cut: ValidateStep = {
      id: 'perf',
      needs: ['serve'],
      async run(ctx) {
        const job = ctx.state.server!.job as ClusterJob;
        c.cut(1);
        try {
          await job.waitFor(['failed']);
        } finally {
          c.restore(1);
        }
        return { status: 'pass', reason: null };
      },
    };
    const loaded = getProfile(parseConfig(fs.readFileSync(config, 'utf8')), 'dp');
    const profile = { ...loaded, host: c.nodes[0].alias, simRoot: c.nodes[0].simRoot };
    try {
      const res = await runValidation({
        transport: await get(c.nodes[0].alias), profile, outDir: path.join(outRoot, 'cut'), langs: ['en'], nodes: get,
        steps: clusterSteps({}, get).map((s) => (s.id === 'perf' ? cut : s)),
      });
      const report = res.report;
      const n1 = c.nodes[1].alias;
      assert.equal(report.cluster!.failure!.node, n1);
      assert.match(report.cluster!.failure!.message, /node 1 .*: the link dropped/);
      assert.equal(report.cluster!.nodes[1].state, 'lost');
      const stop = report.steps.find((s) => s.name === 'stop')!;
      assert.equal(stop.status, 'warn');
      assert.match(stop.reason!, new RegExp(`had failed before the stop: node 1 \\(${n1}\\)`));
      assert.deepEqual(report.cluster!.nodes.map((n) => n.stop?.idle), [true, true], 'every node stopped, the cut one once it was back');
      const serving = report.verdict.dimensions.find((d) => d.name === 'serving')!;
      assert.equal(serving.status, 'fail');
      assert.match(serving.summary, new RegExp(`failed during the run: node 1 \\(${n1}\\)`));
      assert.match(fs.readFileSync(res.markdownFiles[0], 'utf8'), new RegExp(`❌ ${n1}: node 1`));
    } finally {
      c.restore(1);
      await close();
    }
    for (const n of c.nodes) assert.deepEqual(await running(n.alias), [], `nothing runs on ${n.alias}`);
  });

  it('a link DOWN on one node stops the run before launch, naming the node; nothing is started', async () => {
    const n1 = c.nodes[1];
    updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: { hccnLinkDown: [0] } }));
    try {
      const r = await validate('down', []);
      assert.equal(r.code, 1, r.err);
      const { report } = readReport(r.out);
      const env = report.steps.find((s) => s.name === 'env')!;
      assert.equal(env.status, 'fail');
      assert.match(env.reason!, new RegExp(`not launched: .*${n1.alias}.*NPU 0: link status DOWN`));
      const serve = report.steps.find((s) => s.name === 'serve')!;
      assert.deepEqual([serve.status, serve.reason], ['not-run', 'not launched on any node: the cluster pre-checks failed']);
      assert.deepEqual(report.steps.filter((s) => ['smoke', 'stop'].includes(s.name)).map((s) => s.status), ['not-run', 'not-run']);
      const link = report.cluster!.checks.find((x) => x.id === 'cluster.hccn-link' && x.status === 'fail')!;
      assert.equal(link.node, n1.alias);
      assert.equal(report.verdict.dimensions.find((d) => d.name === 'environment')!.status, 'fail');
      assert.ok(report.cluster!.nodes.every((n) => n.commands.every((x) => x.jobId === null)), 'planned, not started');
      for (const n of c.nodes) assert.deepEqual(await running(n.alias), [], `nothing started on ${n.alias}`);
      assert.match(r.err, new RegExp(`${n1.alias}`));
    } finally {
      updateSimConfig(n1.simRoot, (x) => ({ ...x, faults: {} }));
    }
  });
});

describe('validate a pipeline-parallel (mp backend) profile on three namespace hosts', { skip, timeout: 300_000 }, () => {
  let c: TestCluster;
  let config: string;
  before(async () => {
    c = await startCluster(3);
    config = path.join(c.dir, 'ascend-adapt.json');
    const nodes = c.nodes.map((n) => ({ host: n.alias, simRoot: n.simRoot }));
    const model = path.join(c.nodes[0].simRoot, 'models', 'qwen3-moe-tiny-bf16');
    fs.writeFileSync(config, JSON.stringify({ profiles: { pp: { multiNode: 'pp-mp', modelPath: model, tensorParallelSize: 1, pipelineParallelSize: 3, port: 8313, readyTimeoutSec: 120, nodes } } }, null, 2));
  });
  after(async () => c?.stop());

  it('every node gets --nnodes/--node-rank/--master-addr (the others --headless); serve, smoke and stop pass; nothing left on any node', async () => {
    const r = await runCli(['validate', '--profile', 'pp', '--config', config, '--ssh-config', c.sshConfig, '--out', path.join(c.dir, 'out'), '--json', '--no-perf'], { cwd: c.dir });
    const file = (JSON.parse(r.out) as { report: string }).report;
    const loaded = parseReportText(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(loaded.problems, []);
    const report = loaded.report as Report;
    const steps = Object.fromEntries(report.steps.map((s) => [s.name, s.status]));
    assert.match(steps.env, /^(pass|warn)$/, r.err);
    assert.deepEqual([steps.serve, steps.smoke, steps.stop], ['pass', 'pass', 'pass'], r.err);
    const cl = report.cluster!;
    assert.equal(cl.mode, 'pp-mp');
    assert.deepEqual(cl.nodes.map((n) => n.host), c.nodes.map((n) => n.alias));
    assert.deepEqual(report.hosts.map((h) => h.name), c.nodes.map((n) => n.alias));
    for (const [i, n] of cl.nodes.entries()) {
      const argv = n.commands[0].argv;
      const flag = (f: string) => argv[argv.indexOf(f) + 1];
      assert.deepEqual([flag('--nnodes'), flag('--node-rank'), flag('--master-addr')], ['3', String(i), c.nodes[0].address], argv.join(' '));
      assert.equal(argv.includes('--headless'), i > 0);
      assert.equal(n.env.HCCL_IF_IP, c.nodes[i].address);
      assert.ok(n.commands[0].jobId, 'the job that ran it');
      assert.ok(n.log, `node ${i}'s log is evidence`);
      assert.deepEqual(n.stop, { reached: true, leftoverPids: [], rayStop: null, idle: true }, n.host);
    }
    for (let k = 0; k < 100 && c.nodes.some((n) => c.leftovers(n.index).length); k++) await new Promise((res) => setTimeout(res, 100));
    for (const n of c.nodes) assert.deepEqual(c.leftovers(n.index), [], `processes left on ${n.alias}`);
  });
});
