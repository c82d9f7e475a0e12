import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import { ACC_FIX, cli, startSimServer, type SimServer } from './helpers';

/**
 * `accuracy` and `perf` with --host ALIAS against a real OpenSSH server on 127.0.0.1 (throwaway user): the host
 * scripts are uploaded, the jobs run detached on "the host" next to the (simulated) server, the results are read
 * back over SSH.
 */

const skip = sshdAvailable();

describe('accuracy and perf over ssh (real sshd)', { skip }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let srv: SimServer;
  const env = { ...process.env };
  delete env.ASCEND_ADAPT_JOBS_ROOT;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '2', '--tpot-base-ms', '0.5', '--answer-key', path.join(ACC_FIX, 'answer_key.jsonl')]);
  });
  after(async () => {
    await srv?.stop();
    await sshd?.stop();
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  const hostArgs = () => ['--host', 'atlas', '--ssh-config', files.configPath, '--known-hosts', files.knownHostsPath];

  it('accuracy --host: job on the host, result read back, evidence on the host', async () => {
    const r = await cli(['accuracy', ...hostArgs(), '--endpoint', srv.url, '--tasks', 'gsm8k,minerva_math', '--data', path.join(ACC_FIX, 'data'), '--json'], { env });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { datasets: Array<{ name: string; metric: string; value: number }>; simulated: boolean; evidence: { host: string; resultFile: string; itemsFile: string; jobId: string } };
    assert.equal(out.datasets.find((d) => d.metric === 'exact_match,strict-match')!.value, 0.7);
    assert.equal(out.datasets.find((d) => d.name === 'minerva_math')!.value, 0.8);
    assert.equal(out.simulated, true);
    assert.equal(out.evidence.host, 'atlas');
    assert.ok(out.evidence.resultFile.startsWith(sshd.home), `${out.evidence.resultFile} is in the host user's home`);
    assert.ok(fs.existsSync(out.evidence.itemsFile));
    assert.equal(fs.statSync(out.evidence.resultFile).uid, sshd.uid, 'written by the host user');
  });

  it('perf --host: bundled client on the host, per-request timings kept there', async () => {
    const r = await cli(['perf', ...hostArgs(), '--endpoint', srv.url, '--concurrency', '4', '--num-prompts', '8', '--input-len', '16', '--output-len', '8', '--json'], { env });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { runs: Array<{ concurrency: number; metrics: Record<string, number> }>; evidence: { host: string; requestsFile: string } };
    assert.equal(out.runs[0]!.concurrency, 4);
    assert.equal(out.runs[0]!.metrics.completed, 8);
    assert.equal(out.evidence.host, 'atlas');
    assert.equal(fs.readFileSync(out.evidence.requestsFile, 'utf8').trim().split('\n').length, 8);
  });
});
