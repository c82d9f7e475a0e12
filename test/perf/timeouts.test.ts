import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACC_FIX, cli, startSimServer, tmpDir, type SimServer } from '../accuracy/helpers';

/**
 * One meaning for the request timeouts in accuracy and perf, from the CLI and from the profile: a server that
 * goes silent fails the request with "no data for S s" after --stall-timeout (stallTimeoutSec in the
 * profile), and the run goes on.
 */

let stall: SimServer;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  // every request goes silent: streams after half their tokens, whole answers before any byte
  stall = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '2', '--tpot-base-ms', '1', '--stall-rate', '1']);
  work = tmpDir('aa-timeouts-');
  env = { ...process.env, ASCEND_ADAPT_JOBS_ROOT: path.join(work, 'jobs') };
});
after(async () => {
  await stall?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('request timeouts', () => {
  it('accuracy: a stalled item fails after --stall-timeout, once (a stall is not retried), and the others go on', async () => {
    const r = await cli(['accuracy', '--endpoint', stall.url, '--tasks', 'gsm8k', '--data', path.join(ACC_FIX, 'data'), '--limit', '3', '--concurrency', '3',
      '--stall-timeout', '1', '--run-dir', path.join(work, 'acc'), '--json'], { cwd: work, env });
    assert.equal(r.code, 1, r.err);
    const items = fs.readFileSync(path.join(work, 'acc', 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { error: string | null });
    assert.deepEqual(items.map((i) => i.error), ['no data for 1 s', 'no data for 1 s', 'no data for 1 s']);
    assert.equal(stall.records().filter((x) => x.endpoint === 'completions').length, 3, 'each stalled item was asked once'); // lm-eval's default: no chat template
  });

  it('perf: --request-timeout bounds each request; the failures are counted as timeouts', async () => {
    const r = await cli(['perf', '--endpoint', stall.url, '--concurrency', '2', '--num-prompts', '2', '--input-len', '4', '--output-len', '4',
      '--request-timeout', '0.5', '--hbm-interval', '0', '--run-dir', path.join(work, 'perf-rt'), '--json'], { cwd: work, env });
    const out = JSON.parse(r.out) as { runs: Array<{ failures: Record<string, number>; errors: Record<string, number> }> };
    assert.deepEqual(out.runs[0]!.failures, { timeout: 2 });
    assert.deepEqual(out.runs[0]!.errors, { 'no complete answer within 0.5 s': 2 });
  });

  it('perf --profile: the profile\'s stallTimeoutSec applies, the command line overrides it', async () => {
    const cfg = path.join(work, 'ascend-adapt.json');
    fs.writeFileSync(cfg, JSON.stringify({ profiles: { here: { host: 'local', modelPath: '/models/x', servedModelName: 'sim-model', port: stall.port, stallTimeoutSec: 1 } } }));
    const args = ['perf', '--profile', 'here', '--config', cfg, '--concurrency', '1', '--num-prompts', '1', '--input-len', '4', '--output-len', '4', '--hbm-interval', '0', '--json'];
    const fromProfile = await cli([...args, '--run-dir', path.join(work, 'perf-p1')], { cwd: work, env });
    assert.deepEqual((JSON.parse(fromProfile.out) as { runs: Array<{ errors: Record<string, number> }> }).runs[0]!.errors, { 'no data for 1 s': 1 });
    const overridden = await cli([...args, '--stall-timeout', '0.5', '--run-dir', path.join(work, 'perf-p2')], { cwd: work, env });
    assert.deepEqual((JSON.parse(overridden.out) as { runs: Array<{ errors: Record<string, number> }> }).runs[0]!.errors, { 'no data for 0.5 s': 1 });
  });
});
