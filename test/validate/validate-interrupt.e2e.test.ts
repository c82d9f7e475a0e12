import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { interruptCli } from '../harness/cli';

/**
 * Ctrl-C during `validate --demo` (a real process, a real SIGINT once the accuracy job is running): the
 * server — a detached job that would outlive the CLI — is stopped, the accuracy step ends interrupted, the
 * steps after it are recorded as not run "interrupted during Accuracy validation", and the report is still
 * written, marked interrupted. --keep-host keeps the simulated host (inside --out) so its job records can
 * be checked.
 */
describe('validate interrupted with SIGINT', { timeout: 240_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-int-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('stops the server and writes the report', async () => {
    const { code, stdout, stderr, sent } = await interruptCli(['validate', '--demo', '--keep-host', '--out', out, '--json'], /▶ Accuracy validation/);
    assert.ok(sent, `never reached the accuracy step:\n${stderr}`);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /Interrupted: stopping the jobs and the server/);
    const summary = JSON.parse(stdout.trim()) as { report: string };
    const rep = JSON.parse(fs.readFileSync(summary.report, 'utf8')) as {
      steps: Array<{ name: string; status: string; reason: string | null }>;
      serving: { jobId: string };
      verdict: { overall: string };
      interrupted: { step: string; at: string } | null;
      accuracy: { status: string; reason: string | null; partial?: boolean; datasets: unknown[] };
    };
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s]));
    assert.equal(st.serve.status, 'pass');
    assert.equal(st.accuracy.status, 'interrupted');
    assert.equal(st.stop.status, 'pass', JSON.stringify(st.stop));
    assert.equal(st.perf.status, 'not-run');
    assert.equal(st.perf.reason, 'interrupted during Accuracy validation');
    assert.equal(rep.interrupted?.step, 'accuracy');
    assert.equal(rep.accuracy.status, 'not-run');
    assert.equal(rep.accuracy.reason, 'interrupted during Accuracy validation');
    // What the accuracy job scored before the stop stays in the report, marked partial.
    assert.equal(rep.accuracy.partial === true, rep.accuracy.datasets.length > 0);
    assert.match(stderr, /Interrupted during Accuracy validation/);
    assert.notEqual(rep.verdict.overall, 'pass');
    // The serving job's process group is gone: the demo's job folder records its pid and pgid.
    const root = /SIMULATED demo: creating a simulated Atlas host \(8 × 910B3\) in (\S+)/.exec(stderr)?.[1];
    assert.equal(root, path.join(out, 'simulated-host'), 'with --keep-host the simulated host is kept inside --out');
    const job = JSON.parse(fs.readFileSync(path.join(root, 'jobs', rep.serving.jobId, 'job.json'), 'utf8')) as { pid: number; pgid: number };
    for (const target of [job.pid, -job.pgid]) {
      let alive = true;
      try {
        process.kill(target, 0);
      } catch {
        alive = false;
      }
      assert.equal(alive, false, `${target} still alive`);
    }
  });
});
