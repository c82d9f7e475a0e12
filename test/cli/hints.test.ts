// Every command line the CLI prints as a hint is run here, as a user would paste it into a shell, against
// the built CLI and a simulated host: a hint that drops --sim / --local / --ssh-config, or names a command
// that does not exist, fails these tests.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../serving/helpers';
import { hintsIn, needBuild, ROOT, shell } from './helpers';

/** The sh block of docs/serving.md's "On a simulated host" section, verbatim. */
function docsSnippet(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'serving.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## On a simulated host'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'docs/serving.md has a sh block under "On a simulated host"');
  return m[1]!;
}

describe('hints printed by the CLI work when copied', { skip: needBuild, timeout: 300_000 }, () => {
  it('docs/serving.md on a simulated host, as written (port aside); then the stop command serve printed', async () => {
    const s = shell('aa-hints-docs-');
    try {
      // Only the port changes: 8000 may be taken on a shared machine.
      const script = docsSnippet().replace('"port": 8000', `"port": ${await freePort()}`);
      const r = s.sh(script);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /Ready: "qwen3-moe"/);
      assert.match(r.out, /4\/4 prompts passed \(SIMULATED server\)/);
      const hints = hintsIn(r.err.split('\n').find((l) => l.includes('The server keeps running'))!);
      assert.equal(hints.length, 2, r.err);
      assert.match(hints[1]!, /^ascend-adapt jobs stop --local \S+$/);
      const stop = s.sh(hints[1]!);
      assert.equal(stop.code, 0, stop.err);
      assert.match(stop.err, /no process left/);
      // The GPTQ checkpoint beside it stops at the pre-launch check, as the docs say.
      const gptq = s.sh(`sed -i 's/qwen3-moe-tiny-bf16/qwen3-moe-tiny-gptq-int4/' ascend-adapt.json && ascend-adapt serve --profile qwen3-moe-tp4 --detach`);
      assert.equal(gptq.code, 1);
      assert.match(gptq.err, /GPTQ-quantized: vllm-ascend cannot load it/);
    } finally {
      await s.cleanup();
    }
  });

  it('serve --sim DIR --detach: the smoke and stop hints carry --sim DIR (the profile names no host)', async () => {
    const s = shell('aa-hints-sim-');
    try {
      const port = await freePort();
      const made = s.sh(`ascend-adapt sim create 'my sim' --devices 2 && . 'my sim/env.sh' && printf '%s' "$ASCEND_ADAPT_SIM_MODELS"`);
      assert.equal(made.code, 0, made.err);
      // sim create's own hint (quoted: the folder has a space).
      const envHint = hintsIn(made.out).find((h) => h.includes('env-check'));
      assert.ok(envHint, made.out);
      const checked = s.sh(envHint);
      assert.equal(checked.code, 0, checked.err + checked.out);
      const models = made.out.split('\n').pop()!;
      fs.writeFileSync(path.join(s.dir, 'ascend-adapt.json'), JSON.stringify({ profiles: { p: { modelPath: `${models}/qwen3-moe-tiny-bf16`, port, smokeMaxTokens: 8 } } }));
      const r = s.sh(`ascend-adapt serve --profile p --sim 'my sim' --detach`);
      assert.equal(r.code, 0, r.err);
      const [smoke, stop] = hintsIn(r.err.split('\n').find((l) => l.includes('The server keeps running'))!);
      assert.equal(smoke, `ascend-adapt smoke --profile p --sim 'my sim'`);
      const sm = s.sh(smoke!);
      assert.equal(sm.code, 0, sm.err);
      assert.match(sm.out, /prompts passed \(SIMULATED server\)/);
      assert.match(stop!, /^ascend-adapt jobs stop --sim 'my sim' \S+$/);
      const st = s.sh(stop!);
      assert.equal(st.code, 0, st.err);
    } finally {
      await s.cleanup();
    }
  });

  it('jobs start --local suggests jobs logs --local, which prints the log', async () => {
    const s = shell('aa-hints-jobs-');
    try {
      const r = s.sh(`ascend-adapt jobs start --local -- sh -c 'echo from-the-job'`);
      assert.equal(r.code, 0, r.err);
      const [follow] = hintsIn(r.err);
      assert.match(follow!, /^ascend-adapt jobs logs --local \S+ --follow$/);
      const logs = s.sh(follow!);
      assert.equal(logs.code, 0, logs.err);
      assert.equal(logs.out, 'from-the-job\n');
    } finally {
      await s.cleanup();
    }
  });

  it('env-check --host of an unknown alias suggests a command that exists and shows the connection error', async () => {
    const s = shell('aa-hints-host-');
    try {
      fs.writeFileSync(path.join(s.dir, 'ssh_config'), 'Host nosuchhost\n  HostName nosuchhost.invalid\n');
      const r = s.sh(`ascend-adapt env-check --host nosuchhost --ssh-config ssh_config || true`);
      assert.doesNotMatch(r.out + r.err, /hosts test/);
      assert.match(r.out, /ssh nosuchhost true/);
      const [hint] = hintsIn(r.err);
      assert.equal(hint, 'ascend-adapt run --host nosuchhost --ssh-config ssh_config -- true');
      const tried = s.sh(`${hint} || echo "exit $?"`);
      assert.doesNotMatch(tried.err, /unknown (command|option)/);
      assert.match(tried.err, /cannot connect to nosuchhost\.invalid/);
      assert.match(tried.out, /exit 2/);
    } finally {
      await s.cleanup();
    }
  });
});
