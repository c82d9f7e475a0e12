import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { createSim } from '../../src/core/sim';
import { DEMO_MODEL_CONFIG, freePort } from '../../src/core/validate/demo';
import { fixtureFile, fixtureText } from './helpers';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

async function cli(args: string[], cwd = process.cwd()) {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WritableStream, cwd, env: { ...process.env, LANG: 'en_US.UTF-8' } });
  return { code, out: stdout.text, err: stderr.text };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ascend-adapt report', () => {
  it('render --format md prints the Markdown (zh-CN with --lang)', async () => {
    const r = await cli(['report', 'render', fixtureFile, '--format', 'md', '--lang', 'zh-CN']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# Hunyuan-A13B-Instruct-GPTQ-Int4 — 昇腾 NPU 适配验证报告/);
    assert.match(r.out, /\| 数据集 \| GPU 参考精度 \| NPU 实测 \|/);
  });

  it('render --format html --out writes one page with the CSP', async () => {
    const out = path.join(tmp, 'r.html');
    const r = await cli(['report', 'render', fixtureFile, '--format', 'html', '--out', out]);
    assert.equal(r.code, 0, r.err);
    const html = fs.readFileSync(out, 'utf8');
    assert.match(html, /Content-Security-Policy/);
    assert.match(html, /<svg class="chart"/);
    assert.match(r.err, /wrote /);
  });

  it('a damaged report is rendered as far as it goes, the problems on stderr, exit 1', async () => {
    const f = path.join(tmp, 'validation_report_20260519.json');
    const t = fixtureText();
    fs.writeFileSync(f, t.slice(0, t.indexOf('"performance"') + 300));
    const r = await cli(['report', 'render', f, '--format', 'md']);
    assert.equal(r.code, 1);
    assert.match(r.err, /error: .*validation_report_20260519\.json is not valid JSON .*truncated/);
    assert.match(r.out, /\| GSM8K \(n=1319\) \|/);
  });

  it('nothing readable → exit 2; bad usage → exit 2', async () => {
    const f = path.join(tmp, 'empty.json');
    fs.writeFileSync(f, '');
    assert.equal((await cli(['report', 'render', f, '--format', 'md'])).code, 2);
    assert.equal((await cli(['report', 'render', path.join(tmp, 'missing.json'), '--format', 'md'])).code, 2);
    const bad = await cli(['report', 'render', fixtureFile, '--format', 'pdf']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--format must be md or html/);
    assert.equal((await cli(['report'])).code, 2);
  });

  it('compare writes a side-by-side page', async () => {
    const out = path.join(tmp, 'cmp.html');
    const r = await cli(['report', 'compare', fixtureFile, fixtureFile, '--label-a', 'before', '--label-b', 'after', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(fs.readFileSync(out, 'utf8'), /<th>before<\/th><th>after<\/th>/);
  });
});

describe('ascend-adapt validate (usage)', () => {
  it('needs --profile or --demo; --demo takes no host; --tasks needs --data', async () => {
    const a = await cli(['validate']);
    assert.equal(a.code, 2);
    assert.match(a.err, /--profile NAME/);
    assert.equal((await cli(['validate', '--demo', '--local'])).code, 2);
    const cfg = path.join(tmp, 'ascend-adapt.json');
    fs.writeFileSync(cfg, JSON.stringify({ profiles: { p: { modelPath: '/nowhere' } } }));
    const c = await cli(['validate', '--profile', 'p', '--tasks', 'gsm8k', '--sim', tmp], tmp);
    assert.equal(c.code, 2);
    assert.match(c.err, /--tasks needs --data/);
    const d = await cli(['validate', '--profile', 'p', '--sim', tmp], tmp);
    assert.equal(d.code, 2);
    assert.match(d.err, /not a simulated host/);
    const e = await cli(['validate', '--profile', 'p', '--concurrency', 'x', '--sim', tmp], tmp);
    assert.equal(e.code, 2);
  });
});

describe('ascend-adapt validate --profile NAME --sim DIR', { timeout: 180_000 }, () => {
  it('runs the profile from ascend-adapt.json on a simulated host and writes the report (perf left out → incomplete, exit 1)', async () => {
    const ws = path.join(tmp, 'ws');
    fs.mkdirSync(ws);
    const sim = path.join(tmp, 'sim');
    createSim(sim, { devices: 2 });
    const model = path.join(sim, 'models', 'm');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify(DEMO_MODEL_CONFIG));
    fs.writeFileSync(
      path.join(ws, 'ascend-adapt.json'),
      JSON.stringify({ profiles: { moe: { modelPath: model, servedModelName: 'm', tensorParallelSize: 2, port: await freePort(), readyTimeoutSec: 120, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '1' } } } }),
    );
    const out = path.join(tmp, 'out');
    const r = await cli(['validate', '--profile', 'moe', '--sim', sim, '--no-perf', '--out', out, '--json'], ws);
    assert.equal(r.code, 1, r.err);
    const summary = JSON.parse(r.out) as { report: string; verdict: string; simulated: boolean };
    assert.equal(summary.verdict, 'incomplete');
    assert.equal(summary.simulated, true);
    const rep = JSON.parse(fs.readFileSync(summary.report, 'utf8')) as { steps: Array<{ name: string; status: string; reason: string | null }>; profile: string };
    assert.equal(rep.profile, 'moe');
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s]));
    assert.equal(st.serve.status, 'pass');
    assert.equal(st.smoke.status, 'pass');
    assert.equal(st.accuracy.status, 'not-run');
    assert.match(st.accuracy.reason ?? '', /no datasets given/);
    assert.equal(st.perf.status, 'not-run');
    assert.match(st.perf.reason ?? '', /--no-perf/);
  });
});
