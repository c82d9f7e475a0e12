import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalTransport } from '../../src/core/transport/local';
import { createDemo, runValidation, type RunEvent, type RunState } from '../../src/core/validate';

/**
 * What the VS Code run panel does with the runner, on a real simulated server: run up to serving and keep
 * the server, re-run one step against it (the server is used again, not relaunched), then stop it. Each run
 * rewrites the report in the same folder with everything known so far.
 */
describe('validate: re-run one step against a server that still runs', { timeout: 240_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-rerun-'));
  let live: RunState | undefined;
  after(async () => {
    // A failed assertion must not leave the server running.
    await live?.server?.job.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serve once, smoke twice on the same server, then stop', async () => {
    const demo = await createDemo(root, { devices: 2 });
    const out = path.join(root, 'out');
    const base = { transport: new LocalTransport(), profile: demo.profile, outDir: out, jobsRoot: demo.jobsRoot, langs: ['en' as const] };
    const plans: RunEvent[] = [];
    const onEvent = (e: RunEvent) => e.type === 'plan' && plans.push(e);

    const first = await runValidation({ ...base, selection: { kind: 'only', steps: ['serve'] }, onEvent });
    const state: RunState = (live = first.state);
    const st1 = Object.fromEntries(first.report.steps.map((s) => [s.name, s.status]));
    assert.deepEqual(st1, { env: 'warn', analysis: 'not-run', serve: 'pass', smoke: 'not-run', accuracy: 'not-run', perf: 'not-run', stop: 'not-run' });
    assert.ok(state.server?.endpoint, 'the server is kept for later runs');
    const jobId = state.server.job.id;

    const second = await runValidation({ ...base, previous: state, selection: { kind: 'only', steps: ['smoke'] }, onEvent });
    const plan = plans[1];
    assert.ok(plan.type === 'plan');
    assert.deepEqual(Object.fromEntries(plan.steps.map((s) => [s.id, s.action])).serve, 'reuse', 'the running server is used again');
    assert.equal(second.state.server?.job.id, jobId);
    assert.equal(second.report.smoke.status, 'pass');
    assert.equal(second.report.serving.status, 'pass', 'earlier results stay in the report');
    assert.equal(second.jsonFile, first.jsonFile, 'the report is rewritten in the same folder');

    const third = await runValidation({ ...base, previous: state, selection: { kind: 'only', steps: ['stop'] } });
    assert.equal(third.report.steps.find((s) => s.name === 'stop')?.status, 'pass');
    assert.equal(third.state.server, null);
    const job = JSON.parse(fs.readFileSync(path.join(demo.jobsRoot, jobId, 'job.json'), 'utf8')) as { pid: number };
    assert.throws(() => process.kill(job.pid, 0), 'the server process is gone');
    const log = third.report.evidence.find((e) => e.kind === 'log');
    assert.ok(log?.copy && fs.existsSync(path.join(out, log.copy)), 'the stopped server log is copied beside the report');
    assert.equal(third.report.evidence.filter((e) => e.file.endsWith('hbm.json')).length, 1, 'HBM evidence once, however often the report is written');
  });
});
