import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostPython } from '../../src/core/jobs/index';
import { runAccuracy } from '../../src/core/accuracy/run';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';
import { ACC_FIX, startSimServer, tmpDir, type SimServer } from './helpers';

/** Stopping an accuracy job (Ctrl-C in the CLI, Stop in VS Code) keeps what it scored; the same run folder resumes. */

let srv: SimServer;
let work: string;

before(async () => {
  srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '250', '--tpot-base-ms', '0.1', '--answer-key', path.join(ACC_FIX, 'answer_key.jsonl')]);
  work = tmpDir('aa-acc-abort-');
});
after(async () => {
  await srv?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('accuracy job stop and resume', () => {
  it('abort stops the detached job, the partial result says incomplete, a rerun completes with the same accuracy', async () => {
    const transport = new LocalTransport();
    const jobs = new DetachedJobs(transport, { root: path.join(work, 'jobs'), python: await hostPython(transport) });
    const runDir = path.join(work, 'run');
    const spec = { baseUrl: srv.url, tasks: ['gsm8k', 'minerva_math'], dataDir: path.join(ACC_FIX, 'data'), concurrency: 1, runDir };
    const ac = new AbortController();
    const first = await runAccuracy({
      transport, jobs, spec, signal: ac.signal,
      onProgress: (p) => {
        if (p.done >= 3) ac.abort(); // stop once a few items are scored (a condition, not a timer)
      },
    });
    assert.equal(first.complete, false);
    assert.notEqual(first.evidence.exitCode, 0);
    const scored = fs.readFileSync(path.join(runDir, 'items.jsonl'), 'utf8').trim().split('\n').length;
    assert.ok(scored >= 3 && scored < 20, `${scored} items scored before the stop`);
    const job = await jobs.get(first.evidence.jobId);
    assert.notEqual(job.state, 'running');

    const asked = srv.records().length;
    const second = await runAccuracy({ transport, jobs, spec: { ...spec, concurrency: 8 } });
    assert.equal(second.complete, true);
    assert.equal(second.error, null);
    assert.equal(srv.records().length - asked, 20 - scored, 'only the missing items were asked');
    const v = (r: typeof second, n: string, m: string) => r.datasets.find((d) => d.name === n && d.metric === m)!.value;
    assert.equal(v(second, 'gsm8k', 'exact_match,strict-match'), 0.7);
    assert.equal(v(second, 'gsm8k', 'exact_match,flexible-extract'), 0.9);
    assert.equal(v(second, 'minerva_math', 'exact_match,none'), 0.8);
  });
});
