// The validation's profile step, end to end on a simulated host: a profile with `profiling: {…}` serves with
// --profiler-config, profiles after perf, and the report's profile section (JSON, Markdown en/zh-CN, HTML)
// holds the figures of the CSVs, each with evidence that names the job, the file on the host and its line.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReportText } from '../../src/core/report/load';
import type { Report } from '../../src/core/report/schema';
import { SIM_MODELS } from '../../src/core/sim/models';
import { runCli } from '../harness/cli';
import { freePort, makeSim } from '../serving/helpers';
import { csvTotals, processesOf, profilerLines, readCsv, runningJobs, servingLogs } from './helpers';

describe('validate with a profile step (simulated host)', { timeout: 300_000 }, () => {
  let sim: ReturnType<typeof makeSim>;
  let ws: string;
  let root: string;
  before(async () => {
    sim = makeSim({ devices: 2 });
    ws = path.join(sim.parent, 'ws');
    root = path.join(sim.parent, 'jobs');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({
      profiles: {
        p: {
          host: 'local', simRoot: sim.dir, modelPath: path.join(sim.dir, 'models', SIM_MODELS.bf16), servedModelName: 'tiny', port: await freePort(),
          tensorParallelSize: 2, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5' }, readyTimeoutSec: 60, profiling: { numPrompts: 4, outputLen: 16 },
        },
      },
    }, null, 2));
  });
  after(() => sim.cleanup());

  it('serves with --profiler-config, profiles after perf; the report section cites job, file and row', async () => {
    const out = path.join(ws, 'r1');
    const r = await runCli(['validate', '--profile', 'p', '--out', out, '--num-prompts', '4', '--output-len', '8', '--json'], { cwd: ws, env: { ...process.env, LANG: 'C', ASCEND_ADAPT_JOBS_ROOT: root } });
    assert.ok([0, 1].includes(r.code), r.err);
    const file = (JSON.parse(r.out.trim()) as { report: string }).report;
    const loaded = parseReportText(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(loaded.problems, []);
    const rep = loaded.report as Report;
    const names = rep.steps.map((s) => s.name);
    assert.ok(names.indexOf('perf') < names.indexOf('profile') && names.indexOf('profile') < names.indexOf('stop'), names.join(','));
    const step = rep.steps.find((s) => s.name === 'profile')!;
    assert.equal(step.status, 'warn', 'AI CPU operators found');
    assert.match(step.reason ?? '', /operator\(s\) fell back to the AI CPU .*IndexPutV2/);
    assert.ok(rep.serving.command.includes('--profiler-config'), 'the served command shows the profiler');
    const p = rep.profiling!;
    assert.equal(p.status, 'warn');
    assert.equal(p.ranks, 2);
    // figures: the section's totals are the CSVs' totals, and each points at its row
    const capture = rep.evidence.find((e) => e.id === p.evidence)!;
    const copied = JSON.parse(fs.readFileSync(path.join(out, capture.copy!), 'utf8')) as { summary: { outputDirs: string[] } };
    const csv = csvTotals(copied.summary.outputDirs);
    for (const o of p.topOps) {
      const c = csv.ops.get(`${o.type}|${o.coreType}`)!;
      assert.ok(Math.abs(o.total.value! - c.total) < 0.002, o.type);
      const ev = rep.evidence.find((e) => e.id === o.total.evidence)!;
      assert.equal(ev.jobId, p.jobId);
      assert.match(ev.file, /ASCEND_PROFILER_OUTPUT\/kernel_details\.csv$/);
      const row = readCsv(ev.file)[ev.line! - 2]!;
      assert.equal(row.Type, o.type);
      assert.equal(Number(row['Duration(us)']), o.maxUs, 'the row of the slowest task');
    }
    assert.deepEqual(p.aicpu.map((a) => a.type).sort(), ['Cast', 'IndexPutV2', 'NonZero']);
    const step0 = p.steps[0]!;
    const stepEv = rep.evidence.find((e) => e.id === step0.computing.evidence)!;
    assert.ok(stepEv.copy, 'step_trace_time.csv copied beside the report');
    assert.equal(Number(readCsv(path.join(out, stepEv.copy!))[stepEv.line! - 2]!.Computing), step0.computing.value);
    // renderings
    const base = file.replace(/\.json$/, '');
    const mdEn = fs.readFileSync(`${base}.en.md`, 'utf8');
    const mdZh = fs.readFileSync(`${base}.zh-CN.md`, 'utf8');
    const html = fs.readFileSync(`${base}.html`, 'utf8');
    assert.match(mdEn, /### Profile: where the NPU time goes/);
    assert.match(mdEn, /\| IndexPutV2 \| \d+ \| [\d.]+\[\^E\d+\] \|.*torch\.where/);
    assert.match(mdEn, /kernel_details\.csv \(line \d+\)/, 'the footnote names the line');
    assert.match(mdZh, /### 性能分析：NPU 时间花在哪里/);
    assert.match(mdZh, /torch\.where\(mask, v, x\)（返回新张量）/);
    assert.match(html, /<svg class="chart" role="img" aria-label="设备耗时最高的算子"/, "the HTML speaks the first language, zh-CN");
    assert.match(html, /<rect class="bar bad"/, 'AI CPU bars stand out');
    // nothing left, profiling off
    assert.deepEqual(runningJobs(root), []);
    assert.deepEqual(processesOf(root), []);
    const lines = profilerLines(servingLogs(root));
    assert.equal(lines.started, 1);
    assert.equal(lines.stopped, 1);
  });
});
