import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { hostPython } from '../../src/core/jobs/index';
import { runAccuracy } from '../../src/core/accuracy/run';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';
import { ACC_FIX, cli, SHARED, startSimServer, tmpDir, type SimServer } from './helpers';

/**
 * `ascend-adapt accuracy` end to end on this machine: the bundled runner as a detached job against the
 * simulated server (whose answer key makes the accuracy known), references and verdicts, the --json shape of
 * the issue, evidence files; and the lm-eval path with a vllm-ascend config through the stand-in lm_eval.
 */

// What the issue asks `accuracy --json` to print at least.
const issueShape = z.object({
  datasets: z.array(z.object({
    name: z.string(), metric: z.string().nullable(), value: z.number().min(0).max(1).nullable(), n: z.number(),
    reference: z.number().nullable(), verdict: z.enum(['pass', 'fail']).nullable(), comparable: z.boolean().nullable(),
    protocol: z.object({ task: z.string(), version: z.number().nullable(), nShot: z.number(), fewshotSeed: z.number(), chat: z.boolean(), maxTokens: z.number().nullable(), filter: z.string() }).passthrough(),
  })),
});

let srv: SimServer;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  srv = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '1', '--tpot-base-ms', '0.1', '--answer-key', path.join(ACC_FIX, 'answer_key.jsonl')]);
  work = tmpDir('aa-acc-cli-');
  env = { ...process.env, ASCEND_ADAPT_JOBS_ROOT: path.join(work, 'jobs') };
});
after(async () => {
  await srv?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('accuracy CLI (bundled runner, simulated server)', () => {
  it('measures the known accuracy, judges it against a reference file and keeps the evidence', async () => {
    // GPU reference: gsm8k strict 70.5 % (0.5 pt away: pass at 1.0 pt), mmlu 62 % (18 pt away: fail at 1.5 pt);
    // no protocol stated: lm-eval's defaults are assumed and said
    const ref = path.join(work, 'gpu.json');
    fs.writeFileSync(ref, JSON.stringify({ references: [{ name: 'gsm8k', metric: 'exact_match,strict-match', value: 70.5, unit: '%' }, { name: 'mmlu', value: 0.62 }] }));
    const runDir = path.join(work, 'run-a');
    const r = await cli(['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k,mmlu,math', '--data', path.join(ACC_FIX, 'data'),
      '--reference', ref, '--run-dir', runDir, '--json'], { cwd: work, env });
    assert.equal(r.code, 1, r.err); // mmlu is outside its threshold
    const out = issueShape.parse(JSON.parse(r.out));
    const row = (n: string, m: string) => out.datasets.find((d) => d.name === n && d.metric === m)!;
    assert.equal(row('gsm8k', 'exact_match,strict-match').value, 0.7);
    assert.equal(row('gsm8k', 'exact_match,flexible-extract').value, 0.9);
    assert.equal(row('mmlu', 'acc,none').value, 0.8);
    assert.equal(row('minerva_math', 'exact_match,none').value, 0.8); // math = minerva_math
    assert.equal(row('gsm8k', 'exact_match,strict-match').n, 10);
    assert.deepEqual([row('gsm8k', 'exact_match,strict-match').reference, row('gsm8k', 'exact_match,strict-match').verdict], [0.705, 'pass']);
    assert.deepEqual([row('mmlu', 'acc,none').reference, row('mmlu', 'acc,none').verdict], [0.62, 'fail']);
    assert.deepEqual([row('gsm8k', 'exact_match,flexible-extract').comparable, row('gsm8k', 'exact_match,flexible-extract').verdict], [false, null]);
    assert.deepEqual([row('minerva_math', 'exact_match,none').reference, row('minerva_math', 'exact_match,none').comparable], [null, false]);
    assert.deepEqual(row('gsm8k', 'exact_match,strict-match').protocol, { task: 'gsm8k', version: 3, nShot: 5, fewshotSeed: 1234, chat: false, maxTokens: 256, filter: 'strict-match', outputType: 'generate_until', source: 'lm-evaluation-harness 0.4.12' });
    assert.equal(row('mmlu', 'acc,none').protocol.outputType, 'multiple_choice');
    const full = JSON.parse(r.out) as { simulated: boolean; notes: string[]; evidence: { jobId: string; resultFile: string; itemsFile: string; logFile: string; command: string[] } };
    assert.equal(full.simulated, true);
    assert.match(full.notes[0]!, /math is not an lm-eval task name: running lm-eval's minerva_math/);
    assert.ok(fs.existsSync(full.evidence.resultFile) && fs.existsSync(full.evidence.itemsFile) && fs.existsSync(full.evidence.logFile));
    assert.equal(fs.readFileSync(full.evidence.itemsFile, 'utf8').trim().split('\n').length, 30);
    assert.ok(full.evidence.command.some((a) => a.endsWith('run_accuracy.py')));
    assert.match(r.err, /gsm8k: 10\/10 items/);
  });

  it('an lm-eval results file as reference: a verdict where the protocol matches, the reason where not', async () => {
    const r = await cli(['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--num-fewshot', '2', '--data', path.join(ACC_FIX, 'data'),
      '--reference', path.join(ACC_FIX, 'lm_eval_results_0.4.12.json'), '--run-dir', path.join(work, 'run-lm-ref')], { cwd: work, env });
    assert.equal(r.code, 0, r.err); // nothing comparable, nothing failed
    assert.match(r.out, /gsm8k\s+exact_match,strict-match\s+\S+\s+-\s.*not comparable\s+2-shot · seed 1234 · completions · ≤256 tokens · strict-match · v3/);
    assert.match(r.out, /76\.12% from lm_eval_results_0\.4\.12\.json not compared: 2-shot here, 5-shot in the reference/);
  });

  it('prints a table (SIMULATED marked) and resumes an existing run folder without asking again', async () => {
    const runDir = path.join(work, 'run-b');
    const first = await cli(['accuracy', '--endpoint', srv.url, '--model', 'sim-model', '--tasks', 'hendrycks_math', '--data', path.join(ACC_FIX, 'data'), '--run-dir', runDir], { cwd: work, env });
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /hendrycks_math\s+exact_match,none\s+70\.00%.*0-shot · completions · ≤256 tokens · v1/);
    assert.match(first.out, /SIMULATED/);
    const asked = srv.records().length;
    const again = await cli(['accuracy', '--endpoint', srv.url, '--model', 'sim-model', '--tasks', 'hendrycks_math', '--data', path.join(ACC_FIX, 'data'), '--run-dir', runDir], { cwd: work, env });
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /70\.00%/);
    assert.equal(srv.records().length, asked, 'every item came from the items file');
  });

  it('--profile: the port of the profile on its host and its served model name', async () => {
    const ws = path.join(work, 'ws');
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({
      profiles: { sim: { host: 'local', modelPath: '/models/Qwen3-8B', servedModelName: 'sim-model', port: srv.port } },
    }));
    const r = await cli(['accuracy', '--profile', 'sim', '--tasks', 'gsm8k', '--data', path.join(ACC_FIX, 'data'), '--limit', '4', '--run-dir', path.join(work, 'run-p'), '--json'], { cwd: ws, env });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { model: string; datasets: Array<{ n: number }>; evidence: { command: string[] } };
    assert.equal(out.model, 'sim-model');
    assert.equal(out.datasets[0]!.n, 4);
    const argv = out.evidence.command;
    assert.equal(argv[argv.indexOf('--base-url') + 1], `http://127.0.0.1:${srv.port}`);
    const bad = await cli(['accuracy', '--profile', 'nope', '--tasks', 'math'], { cwd: ws, env });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /no profile "nope"/);
  });

  it('says what is wrong with bad usage and bad files (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['accuracy', '--tasks', 'gsm8k'], /--profile NAME or --endpoint URL/],
      [['accuracy', '--endpoint', srv.url], /--tasks LIST or --lm-eval-config FILE/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--engine', 'bundled', '--tasks', 'arc'], /the bundled runner implements the lm-eval tasks gsm8k, mmlu, mmlu_generative, hendrycks_math, minerva_math \(math = minerva_math\), not arc/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'arc_easy', '--data', path.join(ACC_FIX, 'data'), '--run-dir', path.join(work, 'run-u')], /not 'arc_easy'/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'mmlu', '--chat', 'yes', '--data', path.join(ACC_FIX, 'data'), '--run-dir', path.join(work, 'run-v')], /needs the completions API/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--score-reasoning'], /--chat yes/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--num-fewshot', '1.5'], /--num-fewshot wants a whole number/],
      [['accuracy', '--endpoint', srv.url, '--lm-eval-config', path.join(ACC_FIX, 'data', 'gsm8k.jsonl')], /not an lm_eval config|not valid YAML/],
      [['accuracy', '--endpoint', 'ftp://x', '--tasks', 'gsm8k'], /http/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--threshold', 'gsm8k=abc'], /--threshold/],
      [['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--reference', path.join(ACC_FIX, 'data', 'gsm8k.jsonl')], /not JSON/],
      [['accuracy', '--endpoint', srv.url, '--lm-eval-config', '/nonexistent.yaml'], /cannot read/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(argv, { cwd: work, env });
      assert.equal(r.code, 2, `${argv.join(' ')} → ${r.code} ${r.err}`);
      assert.match(r.err, re, argv.join(' '));
    }
  });

  it('a server that does not answer ends the job with a clear message (exit 1)', async () => {
    const r = await cli(['accuracy', '--endpoint', 'http://127.0.0.1:9', '--tasks', 'gsm8k', '--data', path.join(ACC_FIX, 'data'), '--run-dir', path.join(work, 'run-c')], { cwd: work, env });
    assert.equal(r.code, 1);
    assert.match(r.err, /no server answers at http:\/\/127\.0\.0\.1:9/);
  });

  it('items that got no answer are named once per task, not once per metric', async () => {
    const failing = await startSimServer(['--model', 'sim-model', '--ttft-base-ms', '1', '--error-rate', '1']);
    try {
      const r = await cli(['accuracy', '--endpoint', failing.url, '--tasks', 'gsm8k', '--limit', '3', '--data', path.join(ACC_FIX, 'data'), '--run-dir', path.join(work, 'run-e')],
        { cwd: work, env });
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out.match(/items failed to get an answer/g)?.length, 1, r.out); // gsm8k has two metrics
      assert.match(r.out, /gsm8k: 3 items failed to get an answer/);
    } finally {
      await failing.stop();
    }
  });

  it('--engine lm-eval on a host without it says so in a sentence (exit 2)', async () => {
    const r = await cli(['accuracy', '--endpoint', srv.url, '--tasks', 'gsm8k', '--engine', 'lm-eval', '--run-dir', path.join(work, 'run-n')],
      { cwd: work, env: { ...env, PATH: '/usr/bin:/bin' } });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /lm-eval is not installed on this host: there is no 'lm_eval' command on PATH/);
    assert.doesNotMatch(r.err, /Errno/);
  });
});

describe('accuracy through lm-eval (stand-in lm_eval on the host PATH)', () => {
  it('runs a vllm-ascend config and judges with its references (5 % relative)', async (t) => {
    const cfg = path.join(SHARED, 'samples', 'lm_eval_config_Qwen3-8B-W8A8.yaml');
    if (!fs.existsSync(cfg)) return t.skip('shared samples not beside the repo');
    const lm = await startSimServer(['--model', 'vllm-ascend/Qwen3-8B-W8A8']);
    try {
      const transport = new LocalTransport();
      const r = await runAccuracy({
        transport,
        jobs: new DetachedJobs(transport, { root: path.join(work, 'jobs'), python: await hostPython(transport) }),
        spec: { baseUrl: lm.url, lmEvalConfig: { name: path.basename(cfg), text: fs.readFileSync(cfg, 'utf8') }, runDir: path.join(work, 'run-lm') },
        env: {
          PATH: `${path.join(ACC_FIX, 'bin')}:${process.env.PATH ?? ''}`,
          FAKE_LM_EVAL_VALUES: JSON.stringify({ gsm8k: { 'exact_match,strict-match': 0.79, 'exact_match,flexible-extract': 0.7 } }),
        },
      });
      assert.equal(r.engine, 'lm-eval');
      assert.equal(r.model, 'vllm-ascend/Qwen3-8B-W8A8');
      const strict = r.datasets.find((d) => d.metric === 'exact_match,strict-match')!;
      const flex = r.datasets.find((d) => d.metric === 'exact_match,flexible-extract')!;
      assert.deepEqual([strict.value, strict.reference, strict.threshold, strict.verdict], [0.79, 0.8, { absPoints: null, relPercent: 5 }, 'pass']);
      assert.equal(flex.verdict, 'fail'); // 0.70 vs 0.82: 14.6 % off
      assert.equal(strict.referenceSource, 'lm_eval_config_Qwen3-8B-W8A8.yaml');
      assert.equal(r.evidence.samplesFiles.length, 1);
      assert.ok(fs.existsSync(path.join(work, 'run-lm', 'lm_eval_config_Qwen3-8B-W8A8.yaml')), 'the config travels with the run');
      assert.equal(r.error, null);
    } finally {
      await lm.stop();
    }
  });
});
