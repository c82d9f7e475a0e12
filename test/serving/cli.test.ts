import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';
import { copyModel, freePort, makeSim, ROOT } from './helpers';
import { runCli, type CliRun } from '../harness/cli';

/** `ascend-adapt serve` and `ascend-adapt smoke` on the simulated host (--sim DIR), in-process and as a real process. */

let sim: ReturnType<typeof makeSim>;
let ws: string;
let port: number;
let env: NodeJS.ProcessEnv;

async function cli(...argv: string[]): Promise<CliRun> {
  return runCli(argv, { cwd: ws, env });
}

// What the issue asks `smoke --json` to print at least.
const smokeJson = z.object({
  results: z.array(z.object({
    prompt: z.string(), output: z.string(), ttftMs: z.number().nullable(), totalMs: z.number().nullable(),
    promptTokens: z.number().nullable(), completionTokens: z.number().nullable(), finishReason: z.string().nullable(),
  })),
});

before(async () => {
  sim = makeSim();
  ws = path.join(sim.parent, 'ws');
  fs.mkdirSync(ws);
  const model = copyModel('tiny-dense-sim', sim.parent);
  const big = copyModel('hunyuan-moe-sim', sim.parent);
  port = await freePort();
  env = { LANG: 'C', ASCEND_ADAPT_JOBS_ROOT: path.join(sim.parent, 'jobs') };
  fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({
    profiles: {
      tiny: { modelPath: model, servedModelName: 'tiny-sim', port, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5' }, smokeMaxTokens: 16 },
      big: { modelPath: big, port: port + 1, trustRemoteCode: true },
      nohost: { modelPath: model },
    },
  }, null, 2));
});

after(async () => {
  // Nothing of ours may be left running, whatever happened above.
  const jobs = new DetachedJobs(new LocalTransport(), { root: env.ASCEND_ADAPT_JOBS_ROOT });
  for (const j of await jobs.list().catch(() => [])) if (j.state === 'running') await jobs.stop(j.id, { graceMs: 2000 });
  sim.cleanup();
});

describe('ascend-adapt serve / smoke (simulated host)', () => {
  it('serve --detach: checks, launches, returns when ready; smoke --profile and --endpoint print the JSON the issue asks for', async () => {
    const s = await cli('serve', '--profile', 'tiny', '--sim', sim.dir, '--detach', '--json');
    assert.equal(s.code, 0, s.err);
    const out = JSON.parse(s.out) as { launched: boolean; job: { state: string; jobId: string; loadTimeMs: number; simulated: boolean; command: { argv: string[] } }; checks: Array<{ id: string }> };
    assert.equal(out.launched, true);
    assert.equal(out.job.state, 'ready');
    assert.equal(out.job.simulated, true);
    assert.ok(out.job.loadTimeMs >= 500);
    assert.ok(out.checks.some((c) => c.id === 'hbm.fit'));
    assert.match(s.err, /Pre-launch checks:/);
    assert.match(s.err, /Ready: "tiny-sim"/);
    assert.match(s.err, /SIMULATED/);

    const sm = await cli('smoke', '--profile', 'tiny', '--sim', sim.dir, '--json');
    assert.equal(sm.code, 0, sm.err);
    const rep = smokeJson.parse(JSON.parse(sm.out));
    assert.deepEqual(rep.results.map((r) => r.prompt), ['你好,请介绍一下你自己', '什么是大语言模型?', '用Python写一个快速排序算法', '解释一下什么是transformer架构']);
    for (const r of rep.results) {
      assert.ok(r.output.length > 0 && r.promptTokens !== null && r.completionTokens !== null && r.completionTokens <= 16 && r.finishReason !== null);
    }
    assert.equal((JSON.parse(sm.out) as { simulated: boolean }).simulated, true);

    const text = await cli('smoke', '--endpoint', `http://127.0.0.1:${port}/v1`, '--prompt', '你好', '--max-tokens', '8');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /--- Test 1 ---\nInput: 你好\nOutput: /);
    assert.match(text.out, /1\/1 prompts passed \(SIMULATED server\)/);

    const stop = await new DetachedJobs(new LocalTransport(), { root: env.ASCEND_ADAPT_JOBS_ROOT }).stop(out.job.jobId, { graceMs: 2000 });
    assert.deepEqual(stop.leftovers, []);
    const gone = await cli('smoke', '--endpoint', `http://127.0.0.1:${port}`);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /cannot reach/);
  });

  it('refuses to launch a profile that cannot fit (exit 1, the failing check and its fix on stderr)', async () => {
    const r = await cli('serve', '--profile', 'big', '--sim', sim.dir, '--detach');
    assert.equal(r.code, 1);
    assert.match(r.err, /✗ Weights vs free HBM: 149\.4 GiB of weights per device/);
    assert.match(r.err, /fix: Raise tensorParallelSize/);
    assert.match(r.err, /Not launched/);
  });

  it('serve --env-check FILE: devices and HBM are checked against a saved environment check', async () => {
    const f = path.join(ws, 'envcheck.json');
    fs.writeFileSync(f, JSON.stringify([{ host: 'other', npu: { devices: [] } }, {
      host: 'local', simulated: true, npu: { family: 'A2', devices: [{ npuId: 0, chipId: 0, name: '910B3', health: 'OK', hbmUsedMB: 3300, hbmTotalMB: 65536 }], processes: [] }, checks: [],
    }]));
    fs.writeFileSync(path.join(ws, 'two.json'), JSON.stringify({ profiles: { tp2: { host: 'local', modelPath: '/nowhere', tensorParallelSize: 2 } } }));
    const r = await cli('serve', '--profile', 'tp2', '--config', 'two.json', '--sim', sim.dir, '--env-check', 'envcheck.json');
    assert.equal(r.code, 1);
    assert.match(r.err, /✗ NPUs for this profile: ASCEND_RT_VISIBLE_DEVICES=0,1 but the host has 1 device\(s\)/);
    fs.writeFileSync(f, '{"npu": {"devices": [{"name": "x"}]}}');
    const bad = await cli('serve', '--profile', 'tp2', '--config', 'two.json', '--sim', sim.dir, '--env-check', 'envcheck.json');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not an env-check --json result \(npu\.devices\.0\.npuId/);
  });

  it('bad usage exits 2 with a message', async () => {
    assert.equal((await cli('serve')).code, 2);
    const r = await cli('serve', '--profile', 'nope', '--sim', sim.dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /no profile "nope".*profiles: tiny, big, nohost/);
    const nohost = await cli('serve', '--profile', 'nohost');
    assert.equal(nohost.code, 2);
    assert.match(nohost.err, /names no host/);
    assert.equal((await cli('smoke')).code, 2);
    assert.equal((await cli('smoke', '--endpoint', 'http://x', '--profile', 'tiny')).code, 2);
    assert.equal((await cli('serve', '--profile', 'tiny', '--local', '--sim', sim.dir)).code, 2);
    const badCfg = await cli('serve', '--profile', 'tiny', '--config', path.join(ws, 'missing.json'), '--sim', sim.dir);
    assert.equal(badCfg.code, 2);
    assert.match(badCfg.err, /not found/);
  });

  it('foreground serve follows the log; Ctrl-C stops the server and checks the NPUs are idle', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--profile', 'tiny', '--config', path.join(ws, 'ascend-adapt.json'), '--sim', sim.dir], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const ready = new Promise<void>((res) => child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (/Following the log/.test(err)) res();
    }));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await Promise.race([ready, exited]);
    assert.match(err, /Ready: "tiny-sim"/, err);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, err);
    assert.match(err, /Stopped; NPUs 0 are back to idle HBM and no process is left\./);
    assert.match(out, /Starting vLLM API server/, 'the server log went to stdout');
  });

  it('Ctrl-C while the server is still loading stops it too (no detached leftover)', async () => {
    fs.writeFileSync(path.join(ws, 'slow.json'), JSON.stringify({ profiles: { slow: { modelPath: path.join(sim.parent, 'models', 'tiny-dense-sim'), port: port + 2, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '60' } } } }));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--profile', 'slow', '--config', path.join(ws, 'slow.json'), '--sim', sim.dir], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const loading = new Promise<void>((res) => {
      const check = () => { if (/Loading model weights/.test(out)) res(); };
      child.stdout.on('data', check);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await Promise.race([loading, exited]);
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.match(err, /Stopping…/);
    assert.match(err, /back to idle HBM and no process is left/);
    const jobs = await new DetachedJobs(new LocalTransport(), { root: env.ASCEND_ADAPT_JOBS_ROOT }).list();
    assert.deepEqual(jobs.filter((j) => j.name === 'serve-slow' && j.state === 'running'), []);
  });
});
