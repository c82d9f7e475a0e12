// `ascend-adapt profile` on a simulated host over the local transport: the real detached-job layer, the
// simulated vllm with --profiler-config (its /start_profile and /stop_profile, SIMULATED ASCEND_PROFILER_OUTPUT
// per rank), the perf client and the host scripts. Figures are checked against the CSVs on disk, read here.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jobControl } from '../../src/core/jobs/index';
import { readFindings } from '../../src/core/profile/findings';
import { runProfile, type ProfileEvent } from '../../src/core/profile/run';
import { profileSchema } from '../../src/core/profiles/schema';
import { SIM_MODELS } from '../../src/core/sim/models';
import { LocalTransport } from '../../src/core/transport/local';
import { runCli } from '../harness/cli';
import { freePort, makeSim, ROOT } from '../serving/helpers';
import { csvTotals, processesOf, profilerLines, readCsv, runningJobs, servingLogs, writeKnownProfile } from './helpers';

let sim: ReturnType<typeof makeSim>;
let ws: string;
let model: string;

interface ProfileOut {
  jobId: string;
  state: string;
  simulated: boolean;
  outputDirs: string[];
  ranks: number;
  topOps: Array<{ type: string; coreType: string; count: number; totalUs: number; avgUs: number; maxUs: number; sharePct: number; evidence: { rank: number; file: string; row: number } }>;
  byCoreType: Record<string, number>;
  aicpu: Array<{ type: string; count: number; totalUs: number; maxUs: number; hint: string; dtypes: string[] }>;
  steps: Array<{ rank: number; step: number; computingUs: number; communicationUs: number; freeUs: number }>;
  traceFiles: string[];
  server: { startedByUs: boolean; stopped: boolean; idle: boolean | null } | null;
  profiling: { started: boolean; stopped: boolean } | null;
  error: string | null;
  errorKind: string | null;
}

function writeProfiles(extra: Record<string, unknown> = {}): Promise<number> {
  return freePort().then((port) => {
    const base = { modelPath: model, servedModelName: 'tiny', port, readyTimeoutSec: 120, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5' } };
    const profiles = {
      tiny: { ...base, tensorParallelSize: 2 },
      'tiny-old': { ...base, env: { ...base.env, ASCEND_ADAPT_SIM_PROFILER_HEADERS: 'old' } },
      ...extra,
    };
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({ profiles }, null, 2));
    return port;
  });
}

const cliEnv = (jobsRoot: string) => ({ ...process.env, ASCEND_ADAPT_JOBS_ROOT: jobsRoot, LANG: 'C' });
const newRoot = (name: string) => path.join(sim.parent, `jobs-${name}`);

function assertClean(jobsRoot: string): void {
  assert.deepEqual(runningJobs(jobsRoot), [], 'no job of ours still running');
  assert.deepEqual(processesOf(jobsRoot), [], 'no process of ours left');
  const p = profilerLines(servingLogs(jobsRoot));
  assert.equal(p.started, p.stopped, `every /start_profile has its /stop_profile (${p.started} / ${p.stopped})`);
  assert.equal(p.leftOn, false);
}

/** The summary's figures are the CSVs' figures. */
function assertMatchesCsv(j: ProfileOut): void {
  const csv = csvTotals(j.outputDirs);
  assert.equal(j.topOps.length, csv.ops.size, 'every operator listed (--top large enough)');
  for (const o of j.topOps) {
    const c = csv.ops.get(`${o.type}|${o.coreType}`);
    assert.ok(c, `${o.type} ${o.coreType} is in the CSVs`);
    assert.equal(o.count, c.count, `${o.type} count`);
    assert.ok(Math.abs(o.totalUs - c.total) < 0.002, `${o.type} total ${o.totalUs} vs ${c.total}`);
    assert.ok(Math.abs(o.maxUs - c.max) < 0.0005, `${o.type} max`);
    assert.ok(Math.abs(o.avgUs - c.total / c.count) < 0.002, `${o.type} avg`);
    assert.ok(Math.abs(o.sharePct - (100 * c.total) / csv.grand) < 0.002, `${o.type} share`);
  }
  for (const [core, us] of csv.byCore) assert.ok(Math.abs(j.byCoreType[core]! - (100 * us) / csv.grand) < 0.002, `${core} share`);
  const aicpu = [...csv.ops].filter(([k, v]) => k.endsWith('|AI_CPU') && v.max >= 20).map(([k]) => k.split('|')[0]).sort();
  assert.deepEqual(j.aicpu.map((a) => a.type).sort(), aicpu);
  assert.deepEqual(j.steps.map((s) => [s.computingUs, s.communicationUs, s.freeUs]), csv.steps.map((s) => [s.computing, s.communication, s.free]));
}

before(() => {
  sim = makeSim({ devices: 4 });
  ws = fs.mkdtempSync(path.join(sim.parent, 'ws-'));
  model = path.join(sim.dir, 'models', SIM_MODELS.bf16);
});
after(() => sim.cleanup());

describe('profile on a simulated host (local transport)', () => {
  it('profile --json: server with --profiler-config, load, output per rank; figures equal the CSVs; server stopped', async () => {
    await writeProfiles();
    const root = newRoot('main');
    const r = await runCli(['profile', '--profile', 'tiny', '--sim', sim.dir, '--num-prompts', '4', '--top', '1000', '--json'], { cwd: ws, env: cliEnv(root) });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as ProfileOut;
    assert.equal(j.state, 'done');
    assert.equal(j.simulated, true);
    assert.equal(j.ranks, 2, 'TP 2: one ASCEND_PROFILER_OUTPUT per rank');
    assert.equal(j.outputDirs.length, 2);
    for (const d of j.outputDirs) assert.match(d, /\/torch_profile\/dp0_pp0_tp[01]_dcp0_ep0_rank[01]_\d+_\d{17}_ascend_pt\/ASCEND_PROFILER_OUTPUT$/);
    assert.ok(j.topOps.some((o) => o.coreType === 'COMMUNICATION'), 'HCCL rows with TP 2');
    assertMatchesCsv(j);
    assert.ok(j.aicpu.find((a) => a.type === 'IndexPutV2')!.hint.includes('torch.where'), 'the knowledge base\'s fix');
    assert.equal(j.traceFiles.length, 2);
    assert.deepEqual(j.profiling, { started: true, stopped: true, phase: 'summary' });
    assert.equal(j.server?.startedByUs, true);
    assert.equal(j.server?.idle, true, 'NPUs idle after the stop');
    // the row evidence points at a real row of the named file
    const top = j.topOps[0]!;
    const rows = readCsv(path.join(j.outputDirs[top.evidence.rank]!, top.evidence.file));
    assert.equal(Number(rows[top.evidence.row - 2]!['Duration(us)']), top.maxUs);
    // what the language server reads
    const f = readFindings(ws);
    assert.equal(f?.jobId, j.jobId);
    assert.deepEqual(f?.ops.map((o) => o.type).sort(), j.aicpu.map((a) => a.type).sort());
    assert.match(r.err, /Started server job \S+ with --profiler-config/);
    assertClean(root);

    // the same folder summarised on its own gives the same figures
    const profDir = path.dirname(path.dirname(j.outputDirs[0]!));
    const s = await runCli(['profile', 'summarize', profDir, '--top', '1000', '--json'], { cwd: ws, env: cliEnv(root) });
    assert.equal(s.code, 0, s.err);
    const sj = JSON.parse(s.out) as ProfileOut;
    for (const k of ['outputDirs', 'ranks', 'topOps', 'byCoreType', 'aicpu', 'steps', 'traceFiles'] as const) assert.deepEqual(sj[k], j[k], k);
  });

  it('profile summarize: known totals in both header generations, every folder form; text output', async () => {
    for (const gen of ['new', 'old'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aa-known-${gen}-`));
      try {
        const known = writeKnownProfile(dir, gen);
        const pt = fs.readdirSync(dir)[0]!;
        for (const form of [dir, path.join(dir, pt), path.join(dir, pt, 'ASCEND_PROFILER_OUTPUT')]) {
          const r = await runCli(['profile', 'summarize', form, '--json'], { cwd: ws, env: cliEnv(newRoot('known')) });
          assert.equal(r.code, 0, r.err);
          const j = JSON.parse(r.out) as ProfileOut & { totalUs: number };
          assert.equal(j.totalUs, known.total, gen);
          const m = j.topOps.find((o) => o.type === 'MatMulV3')!;
          assert.deepEqual([m.count, m.totalUs, m.maxUs, m.avgUs, m.sharePct], [known.matmul.count, known.matmul.total, known.matmul.max, 50, 50]);
          assert.deepEqual(j.byCoreType, { AI_CORE: 50, AI_CPU: 50 });
          assert.deepEqual(j.aicpu.map((a) => [a.type, a.totalUs]), [['IndexPutV2', 60], ['Cast', 40]]);
          assert.match(j.aicpu[1]!.hint, /float32/, 'DOUBLE → the float hint');
          assert.deepEqual(j.steps.map((s) => [s.step, s.computingUs, s.communicationUs, s.freeUs]), [[1, 200, 0, 5.5]]);
        }
        const text = await runCli(['profile', 'summarize', dir], { cwd: ws, env: cliEnv(newRoot('known')) });
        assert.equal(text.code, 0, text.err);
        assert.match(text.out, /IndexPutV2 +AI_CPU +1 +60\.0 µs/);
        assert.match(text.out, /Timeline for MindStudio Insight: .*trace_view\.json/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    const none = await runCli(['profile', 'summarize', ws, '--json'], { cwd: ws, env: cliEnv(newRoot('known')) });
    assert.equal(none.code, 1);
    assert.match(none.err, /no ASCEND_PROFILER_OUTPUT under/);
  });

  it('a server without --profiler-config: 404 said plainly; a running one is refused, --restart profiles it', async () => {
    const port = await writeProfiles();
    const root = newRoot('plain');
    const serve = await runCli(['serve', '--profile', 'tiny-old', '--sim', sim.dir, '--detach'], { cwd: ws, env: cliEnv(root) });
    assert.equal(serve.code, 0, serve.err);
    const ep = await runCli(['profile', '--endpoint', `http://127.0.0.1:${port}`, '--profiler-dir', path.join(sim.parent, 'nowhere'), '--local', '--json'], { cwd: ws, env: cliEnv(root) });
    assert.equal(ep.code, 1);
    const ej = JSON.parse(ep.out) as ProfileOut;
    assert.equal(ej.errorKind, 'no-profiler-endpoint');
    assert.match(ep.err, /The server lacks --profiler-config: .*start_profile answered 404/);
    const refused = await runCli(['profile', '--profile', 'tiny-old', '--sim', sim.dir], { cwd: ws, env: cliEnv(root) });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /runs without --profiler-config.*--restart/);
    assert.match(refused.err, /Or stop it first: ascend-adapt jobs stop --sim \S+ \S+-serve-tiny-old-/);
    const restarted = await runCli(['profile', '--profile', 'tiny-old', '--sim', sim.dir, '--restart', '--num-prompts', '2', '--top', '1000', '--json'], { cwd: ws, env: cliEnv(root) });
    assert.equal(restarted.code, 0, restarted.err);
    const j = JSON.parse(restarted.out) as ProfileOut;
    assert.equal(j.ranks, 1);
    assert.ok(!j.topOps.some((o) => o.coreType === 'COMMUNICATION' || o.coreType === 'HCCL'), 'no HCCL rows with TP 1');
    assertMatchesCsv(j);
    assert.ok(readCsv(path.join(j.outputDirs[0]!, 'kernel_details.csv'))[0]!['OP Type'], 'old header generation');
    assertClean(root);
  });

  for (const point of ['server-starting', 'capture-started', 'load', 'stop', 'summary'] as const) {
    it(`interrupted at ${point}: the server ends unprofiled, nothing of ours is left`, async () => {
      await writeProfiles({
        slow: {
          modelPath: model, servedModelName: 'tiny', port: await freePort(), readyTimeoutSec: 120, tensorParallelSize: 2,
          env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '2', ASCEND_ADAPT_SIM_PROFILER_PARSE_SEC: point === 'stop' ? '3' : '0', ASCEND_ADAPT_SIM_SERVER_CONFIG: JSON.stringify({ tpot_base_ms: point === 'load' ? 300 : 5 }) },
        },
      });
      const root = newRoot(point);
      const cfg = JSON.parse(fs.readFileSync(path.join(ws, 'ascend-adapt.json'), 'utf8')) as { profiles: { slow: unknown } };
      const profile = { name: 'slow', ...profileSchema.parse({ ...(cfg.profiles.slow as object), simRoot: sim.dir }) };
      const ac = new AbortController();
      const hit = (e: ProfileEvent): boolean =>
        (point === 'server-starting' && e.type === 'server' && e.state === 'starting') ||
        (point === 'capture-started' && e.type === 'capture') ||
        (e.type === 'progress' && 'phase' in e.progress && e.progress.phase === point);
      const t = new LocalTransport();
      try {
        const rec = await runProfile({
          transport: t, profile, jobsRoot: root, control: jobControl({ root, graceMs: 5000 }), pollMs: 200,
          spec: { numPrompts: 4, outputLen: 32, pollS: 0.2 }, signal: ac.signal,
          onEvent: (e) => {
            if (hit(e)) ac.abort();
          },
        });
        assert.ok(ac.signal.aborted, `reached ${point}`);
        assert.ok(['interrupted', 'done'].includes(rec.state), rec.state);
        if (point !== 'summary') assert.equal(rec.state, 'interrupted');
        assert.equal(rec.stop?.leftoverPids.length ?? 0, 0);
        if (rec.result) assert.equal(rec.result.startedProfile, rec.result.stoppedProfile);
      } finally {
        await t.close();
      }
      assertClean(root);
    });
  }

  it('the client vanishing mid-load (SIGKILL): the capture job turns profiling off and stops the server itself', async () => {
    await writeProfiles({
      gone: { modelPath: model, servedModelName: 'tiny', port: await freePort(), readyTimeoutSec: 120, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5', ASCEND_ADAPT_SIM_SERVER_CONFIG: JSON.stringify({ tpot_base_ms: 150 }) } },
    });
    const root = newRoot('gone');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'profile', '--profile', 'gone', '--sim', sim.dir, '--num-prompts', '4', '--output-len', '32'], { cwd: ws, env: cliEnv(root), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('[profile] load')) resolve();
      });
      child.on('exit', () => reject(new Error(`the CLI ended before the load: ${err}`)));
    });
    child.kill('SIGKILL');
    // nothing talks to the host any more: the detached capture job finishes on its own
    const deadline = Date.now() + 180_000;
    while (runningJobs(root).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assertClean(root);
    const capture = fs.readdirSync(root).find((id) => /-profile-/.test(id))!;
    const job = JSON.parse(fs.readFileSync(path.join(root, capture, 'job.json'), 'utf8')) as { argv: string[] };
    const out = job.argv[job.argv.indexOf('--out') + 1]!;
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as { stoppedProfile: boolean; serverStopped: boolean; summary: { ranks: number } | null };
    assert.equal(res.stoppedProfile, true);
    assert.equal(res.serverStopped, true);
    assert.equal(res.summary?.ranks, 1);
  });
});
