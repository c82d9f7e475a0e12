import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { interruptCli } from '../harness/cli';

/**
 * Ctrl-C during the accuracy step of `validate --demo` once items have been scored (a real process, a real
 * SIGINT on a condition, not a timer): the items already scored stay in the report as partial accuracy data
 * (datasets with their measured value, marked partial), the reason says "interrupted during Accuracy
 * validation", and the verdict does not claim the run passed.
 */
describe('validate interrupted during accuracy', { timeout: 300_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-acc-int-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('keeps the scored items as partial accuracy data', async () => {
    // once the accuracy job reports scored items
    const { code, stdout, stderr, sent } = await interruptCli(['validate', '--demo', '--out', out, '--json'], /▶ Accuracy validation[\s\S]*\b[1-9]\d*\/\d+ acc=/);
    assert.ok(sent, `never reached the accuracy step with scored items:\n${stderr}`);
    assert.equal(code, 1, stderr);
    const summary = JSON.parse(stdout.trim()) as { report: string; markdown: string[] };
    const rep = JSON.parse(fs.readFileSync(summary.report, 'utf8')) as {
      steps: Array<{ name: string; status: string; reason: string | null }>;
      interrupted: { step: string } | null;
      verdict: { overall: string };
      accuracy: { status: string; reason: string | null; partial?: boolean; datasets: Array<{ name: string; n: number; measured: { value: number | null } }> };
    };
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s]));
    assert.equal(st.accuracy.status, 'interrupted');
    assert.equal(rep.interrupted?.step, 'accuracy');
    assert.equal(rep.accuracy.reason, 'interrupted during Accuracy validation');
    assert.equal(rep.accuracy.partial, true, JSON.stringify(rep.accuracy));
    assert.ok(rep.accuracy.datasets.length > 0 && rep.accuracy.datasets.every((d) => d.n > 0 && d.measured.value !== null), JSON.stringify(rep.accuracy.datasets));
    assert.notEqual(rep.verdict.overall, 'pass');
    const md = fs.readFileSync(summary.markdown.find((f) => !/zh/i.test(path.basename(f))) ?? summary.markdown[0]!, 'utf8');
    assert.match(md, /interrupted during Accuracy validation/);
    assert.match(md, /partial results: only what completed before the stop/);
    assert.doesNotMatch(md, /no GPU reference given/);
  });
});
