import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { interruptCli } from '../harness/cli';

/**
 * Ctrl-C during the performance step of `validate --demo` (a real process, a real SIGINT once requests have
 * completed): the perf job keeps what completed, and the report says "interrupted during Performance
 * benchmark", keeps those figures (marked partial, with TTFT/TPOT/ITL/E2EL percentiles) and the step table
 * says interrupted — not "Failed", not an empty reason.
 */
describe('validate interrupted during perf', { timeout: 300_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-perf-int-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('keeps the completed requests as partial performance data', async () => {
    // once the perf job reports finished requests (a condition, not a timer)
    const { code, stdout, stderr, sent } = await interruptCli(['validate', '--demo', '--out', out, '--json'], /▶ Performance benchmark[\s\S]*\b([1-9]\d*)\/\d+ requests/);
    assert.ok(sent, `never reached the perf step with finished requests:\n${stderr}`);
    assert.equal(code, 1, stderr);
    const summary = JSON.parse(stdout.trim()) as { report: string; markdown: string[] };
    const rep = JSON.parse(fs.readFileSync(summary.report, 'utf8')) as {
      steps: Array<{ name: string; status: string; reason: string | null }>;
      interrupted: { step: string } | null;
      performance: {
        status: string; reason: string | null; partial?: boolean;
        metrics: Array<{ key: string; measured: { value: number | null } }>;
        latencies?: Array<{ metric: string; p50: { value: number | null }; p99: { value: number | null } }>;
      };
    };
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s]));
    assert.equal(st.perf.status, 'interrupted');
    assert.equal(st.stop.status, 'pass', JSON.stringify(st.stop));
    assert.equal(rep.interrupted?.step, 'perf');
    assert.equal(rep.performance.reason, 'interrupted during Performance benchmark');
    assert.equal(rep.performance.partial, true);
    const qps = rep.performance.metrics.find((m) => m.key === 'request_throughput');
    assert.ok(qps && qps.measured.value !== null && qps.measured.value > 0, JSON.stringify(rep.performance.metrics));
    assert.deepEqual(rep.performance.latencies?.map((l) => l.metric), ['ttft', 'tpot', 'itl', 'e2el']);
    assert.ok(rep.performance.latencies!.every((l) => l.p50.value !== null && l.p99.value !== null));
    const md = fs.readFileSync(summary.markdown.find((f) => !/zh/i.test(path.basename(f))) ?? summary.markdown[0]!, 'utf8');
    assert.match(md, /interrupted during Performance benchmark/);
    assert.match(md, /partial results: only what completed before the stop/);
    assert.match(md, /\| ITL \|/);
  });
});
