import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { createDemo } from '../../src/core/validate/demo';
import { parseReportText } from '../../src/core/report/load';
import { renderMarkdown } from '../../src/core/report/markdown';
import { runValidation } from '../../src/core/validate';
import { LocalTransport } from '../../src/core/transport/local';

/**
 * A failing step still produces a report that says what failed and why: the model folder does not exist on
 * the (simulated) host, so the model analysis and the launch fail, and everything that needs a server is
 * recorded as not run — with the reason — instead of being left out or invented.
 */
describe('validate with a failing step', { timeout: 180_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-fail-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes a failed report naming the failed steps and why', async () => {
    const demo = await createDemo(root, { devices: 2 });
    const profile = { ...demo.profile, modelPath: path.join(demo.simRoot, 'models', 'no-such-model') };
    const out = path.join(root, 'out');
    const r = await runValidation({ transport: new LocalTransport(), profile, outDir: out, jobsRoot: demo.jobsRoot, langs: ['en'] });
    const loaded = parseReportText(fs.readFileSync(r.jsonFile, 'utf8'), r.jsonFile);
    assert.deepEqual(loaded.problems, []);
    const rep = r.report;
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s]));
    assert.equal(st.analysis.status, 'fail');
    assert.match(st.analysis.reason ?? '', /no-such-model|config\.json|does not exist|not found/i);
    assert.equal(st.serve.status, 'fail');
    assert.ok((st.serve.reason ?? '').length > 10, 'serve failure has a reason');
    for (const n of ['smoke', 'accuracy', 'perf'] as const) {
      assert.equal(st[n].status, 'not-run', n);
      assert.match(st[n].reason ?? '', /an earlier step failed: Serving/);
    }
    assert.equal(rep.verdict.overall, 'fail');
    assert.equal(rep.adaptation.status, 'fail');
    assert.equal(rep.simulated, true);
    const md = renderMarkdown(rep, { lang: 'en' });
    assert.match(md, /## 4\. Inference test\n\n⏸️ Not run: an earlier step failed: Serving/);
    assert.match(md, /\| Serving \| ❌ Failed \|/);
    assert.match(md, /❌ .*Ascend NPU adaptation validation failed \(SIMULATED\)/);
    // No server was left behind: no job is running.
    const jobsDir = demo.jobsRoot;
    if (fs.existsSync(jobsDir)) {
      for (const id of fs.readdirSync(jobsDir)) {
        const pidFile = path.join(jobsDir, id, 'pid');
        if (!fs.existsSync(pidFile)) continue;
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
        assert.equal(alive, false, `job ${id} still running`);
      }
    }
  });
});
