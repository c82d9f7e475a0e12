import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { resolvePointer } from '../../src/core/report/evidence';
import { collectFigures, referencedEvidenceIds } from '../../src/core/report/figures';
import { parseReportText } from '../../src/core/report/load';
import type { Evidence, Report } from '../../src/core/report/schema';

/**
 * `ascend-adapt validate --demo` end to end, in-process through the CLI entry: a simulated Atlas host is
 * created, the real pipeline runs over the local transport (probe, model inspection, vllm serve as a
 * detached job, smoke prompts, stop), and the report it writes is checked figure by figure: every figure's
 * evidence exists, log offsets point into the copied log at the line they name, JSON pointers resolve to
 * the very value shown.
 */
class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

function readEvidenceFile(outDir: string, e: Evidence): Buffer {
  const candidates = [e.copy ? path.join(outDir, e.copy) : null, e.host === 'local' ? e.file : null].filter((x): x is string => !!x);
  for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c);
  throw new Error(`evidence ${e.id}: neither copy ${e.copy} nor ${e.file} exists`);
}

describe('validate --demo (simulated host, end to end)', { timeout: 240_000 }, () => {
  let out: string;
  let code: number;
  let stderr: Sink;
  let stdout: Sink;
  let report: Report;

  before(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-e2e-'));
    stderr = new Sink();
    stdout = new Sink();
    code = await main(['validate', '--demo', '--out', out, '--json'], { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WritableStream, cwd: out, env: { ...process.env, LANG: 'en_US.UTF-8' } });
    const summary = JSON.parse(stdout.text.trim()) as { report: string };
    const loaded = parseReportText(fs.readFileSync(summary.report, 'utf8'), summary.report);
    assert.deepEqual(loaded.problems, [], 'the written report reads back without any problem');
    report = loaded.report as Report;
  });

  after(() => {
    if (out && !process.env.KEEP_E2E) fs.rmSync(out, { recursive: true, force: true });
  });

  it('prints progress, says SIMULATED and where the outputs went', () => {
    assert.match(stderr.text, /SIMULATED/);
    assert.match(stderr.text, /▶ Environment check/);
    assert.match(stderr.text, /Passed Serving/);
    assert.match(stderr.text, new RegExp(`Report: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/validation_report_\\d{8}\\.json`));
    assert.ok([0, 1].includes(code));
  });

  it('the report is marked simulated, and the renderings say so', () => {
    assert.equal(report.simulated, true);
    assert.equal(report.hosts[0].simulated, true);
    const files = fs.readdirSync(out);
    const zh = files.find((f) => f.endsWith('.zh-CN.md'))!;
    const en = files.find((f) => f.endsWith('.en.md'))!;
    const html = files.find((f) => f.endsWith('.html'))!;
    assert.match(fs.readFileSync(path.join(out, zh), 'utf8'), /\*\*模拟\*\*/);
    assert.match(fs.readFileSync(path.join(out, en), 'utf8'), /\*\*SIMULATED\*\*/);
    assert.match(fs.readFileSync(path.join(out, html), 'utf8'), /class="banner"/);
  });

  it('env, model, serving, smoke and stop ran and passed on the simulated host', () => {
    const st = Object.fromEntries(report.steps.map((s) => [s.name, s.status]));
    assert.notEqual(st.env, 'fail');
    assert.equal(st.analysis, 'pass');
    assert.equal(st.serve, 'pass');
    assert.equal(st.smoke, 'pass');
    assert.equal(st.stop, 'pass');
    assert.equal(report.model.architecture, 'HunYuanMoEV1ForCausalLM');
    assert.equal(report.model.kvHeads, 8);
    assert.equal(report.model.moe?.experts, 16);
    assert.equal(report.smoke.results.length, 4);
    assert.ok(report.serving.loadTime && report.serving.loadTime.value! >= 2, 'load time covers the simulated 2 s load');
    assert.ok(report.hosts[0].devices.length === 8);
    assert.ok(report.performance.hbmSamples.length > 0);
    assert.ok(report.performance.memory.perDeviceMB!.value! > 0, 'the server held HBM while it ran');
  });

  it('every figure has evidence that exists: files present, log offsets on the line they name, pointers resolve to the value', () => {
    const byId = new Map(report.evidence.map((e) => [e.id, e]));
    const figs = collectFigures(report);
    assert.ok(figs.length >= 10, `only ${figs.length} figures`);
    for (const id of referencedEvidenceIds(report)) {
      const e = byId.get(id);
      assert.ok(e, `evidence ${id} missing`);
      const data = readEvidenceFile(out, e);
      if (e.kind === 'log') {
        assert.ok(e.offset !== undefined && e.offset < data.length, `${id}: offset ${e.offset} beyond ${data.length}`);
        const line = data.subarray(e.offset, e.offset + (e.length ?? 200)).toString();
        assert.match(line, /Application startup complete|Uvicorn running on|Available routes are|Starting vLLM API server/, `${id}: bytes at offset`);
        const upto = data.subarray(0, e.offset).toString('latin1').split('\n').length;
        assert.equal(upto, e.line, `${id}: line number`);
        assert.ok(e.jobId && e.startedAt && e.endedAt && e.command.length > 0);
      } else if (e.kind === 'result' || e.kind === 'probe') {
        const doc = JSON.parse(data.toString('utf8')) as unknown;
        if (e.pointer) assert.notEqual(resolvePointer(doc, e.pointer), undefined, `${id}: pointer ${e.pointer}`);
      }
    }
    for (const { path: p, figure } of figs) {
      if (!figure.pointer) continue;
      const e = byId.get(figure.evidence)!;
      const doc = JSON.parse(readEvidenceFile(out, e).toString('utf8')) as unknown;
      const v = resolvePointer(doc, figure.pointer);
      assert.equal(typeof v, 'number', `${p}: ${figure.pointer}`);
      const expected = (v as number) * (figure.scale ?? 1);
      // Figures are rounded for display (ms to 1, percentages to 2 decimals): compare within that rounding.
      assert.ok(Math.abs(expected - (figure.value ?? NaN)) <= 0.5 + Math.abs(expected) * 1e-6, `${p}: ${figure.value} vs ${expected}`);
    }
  });

  it('accuracy and performance ran as jobs on the host, against the demo reference and baseline', () => {
    const st = Object.fromEntries(report.steps.map((s) => [s.name, s.status]));
    assert.equal(st.accuracy, 'pass');
    assert.notEqual(st.perf, 'not-run');
    assert.deepEqual(report.accuracy.datasets.map((d) => d.name), ['gsm8k', 'mmlu', 'minerva_math']);
    // every figure says how it was measured (lm-eval's defaults for each task here)
    assert.deepEqual(report.accuracy.datasets.map((d) => [d.protocol?.nShot, d.protocol?.chat, d.comparable]), [[5, false, true], [0, false, true], [4, false, true]]);
    // The demo answer key makes exactly one item per dataset wrong: 9/10, 7/8, 7/8.
    assert.deepEqual(report.accuracy.datasets.map((d) => d.measured.value), [90, 87.5, 87.5]);
    assert.deepEqual(report.accuracy.datasets.map((d) => d.reference?.value), [90.5, 88, 88.5]);
    assert.deepEqual(report.accuracy.datasets.map((d) => d.verdict), ['pass', 'pass', 'pass']);
    const keys = report.performance.metrics.map((m) => m.key);
    assert.deepEqual(keys, ['request_throughput', 'mean_ttft_ms', 'mean_tpot_ms', 'output_throughput']);
    for (const m of report.performance.metrics) {
      assert.ok(m.measured.value! > 0 && m.baseline && m.ratio! > 0, m.key);
      const ev = report.evidence.find((e) => e.id === m.measured.evidence)!;
      assert.ok(ev.jobId && ev.kind === 'result', `${m.key}: evidence is the perf job's result file`);
    }
    assert.ok(report.performance.latency && report.performance.latency.p99.value! >= report.performance.latency.p50.value!);
  });

  it('removes the temporary simulated host it made; evidence then points inside the output folder', () => {
    const root = /SIMULATED demo: creating a simulated Atlas host \(8 × 910B3\) in (\S+)/.exec(stderr.text)?.[1];
    assert.ok(root && !root.startsWith(out), `demo root printed: ${root}`);
    assert.equal(fs.existsSync(root), false, 'the temporary host is gone');
    assert.match(stderr.text, /Removed the temporary simulated host .* \(keep it with --keep-host\)/);
    for (const e of report.evidence) {
      assert.ok(!e.file.startsWith(root), `${e.id} points into the deleted host: ${e.file}`);
      if (e.host === 'local') assert.ok(fs.existsSync(e.file), `${e.id}: ${e.file} exists`);
    }
    const log = report.evidence.find((e) => e.kind === 'log')!;
    assert.ok(log.file.startsWith(out) && log.copy && path.join(out, log.copy) === log.file, 'the serving log points at its copy');
  });

  it('lists as files exactly what this run wrote: no stray file in the folder becomes evidence', () => {
    for (const f of report.files) assert.ok(fs.existsSync(path.join(out, f.path)), f.path);
    const listed = new Set(report.files.map((f) => f.path));
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.relative(out, path.join(d, e.name))]));
    assert.deepEqual(walk(path.join(out, 'evidence')).filter((f) => !listed.has(f)), []);
  });

  it('steps that could not run say not-run and why (never invented numbers)', () => {
    for (const s of report.steps.filter((x) => x.status === 'not-run')) {
      assert.ok(s.reason && s.reason.length > 5, `${s.name} has no reason`);
      const section = s.name === 'accuracy' ? report.accuracy : s.name === 'perf' ? report.performance : null;
      if (section) {
        assert.equal(section.status, 'not-run');
        assert.ok('datasets' in section ? section.datasets.length === 0 : section.metrics.length === 0);
      }
    }
  });
});
