// The validation's quantize step, end to end on a simulated host: a profile with `quantize: {from, …}` runs
// msModelSlim into its modelPath before the analysis and serving, and the report's adaptation item
// "GPTQ Int4 → ascend W8A8" cites the job (command, log lines, description and coverage) with evidence
// that exists; a second validation finds the checked output and does not quantize again.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReportText } from '../../src/core/report/load';
import type { Report } from '../../src/core/report/schema';
import { runCli } from '../harness/cli';
import { freePort, makeSim } from '../serving/helpers';
import { setSimMsModelSlim, writeModels } from './scenario';

describe('validate with a quantize step (simulated host)', { timeout: 300_000 }, () => {
  let sim: ReturnType<typeof makeSim>;
  let ws: string;
  let out: string;
  before(async () => {
    sim = makeSim({ devices: 2 });
    const models = path.join(sim.parent, 'models');
    const { float, gptq } = writeModels(models);
    setSimMsModelSlim(sim.dir, { secondsPerBlock: 0 });
    ws = path.join(sim.parent, 'ws');
    fs.mkdirSync(ws);
    out = path.join(sim.parent, 'out', 'Qwen3-30B-A3B-w8a8');
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({
      profiles: {
        q: {
          host: 'local', simRoot: sim.dir, modelPath: out, servedModelName: 'qwen3-w8a8', port: await freePort(), enforceEager: true,
          env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '1' }, readyTimeoutSec: 60,
          quantize: { from: float, quantType: 'w8a8', replaces: gptq },
        },
      },
    }, null, 2));
  });
  after(() => sim.cleanup());

  const validate = async (dir: string): Promise<Report> => {
    const r = await runCli(['validate', '--profile', 'q', '--out', dir, '--json'], { cwd: ws, env: { ...process.env, LANG: 'C' } });
    assert.ok([0, 1].includes(r.code), r.err);
    const summary = JSON.parse(r.out.trim()) as { report: string };
    const loaded = parseReportText(fs.readFileSync(summary.report, 'utf8'), summary.report);
    assert.deepEqual(loaded.problems, []);
    return loaded.report as Report;
  };

  it('quantizes before serving and the adaptation item cites the job', async () => {
    const rep = await validate(path.join(ws, 'r1'));
    const st = Object.fromEntries(rep.steps.map((s) => [s.name, s.status]));
    assert.equal(st.quantize, 'pass');
    assert.equal(st.analysis, 'pass', 'the analysis reads the quantized folder');
    assert.equal(st.serve, 'pass');
    const names = rep.steps.map((s) => s.name);
    assert.ok(names.indexOf('quantize') < names.indexOf('analysis') && names.indexOf('analysis') < names.indexOf('serve'));
    const item = rep.adaptation.items.find((i) => i.title === 'GPTQ Int4 → ascend W8A8')!;
    assert.ok(item, JSON.stringify(rep.adaptation.items));
    assert.equal(item.status, 'pass');
    assert.match(item.basis, /^job \S+-quantize-\S+ on local: .*msmodelslim quant --model_path .*; log lines [\d, ]+ \(E\d+\); quant_model_description\.json: 36 linear\/MoE weights covered, 0 missing \(E\d+\)$/);
    const [, logId] = /\((E\d+)\); quant_model/.exec(item.basis)!;
    const log = rep.evidence.find((e) => e.id === logId)!;
    assert.equal(log.kind, 'log');
    assert.match(log.jobId!, /quantize/);
    assert.deepEqual(log.command.slice(0, 2), ['msmodelslim', 'quant']);
    const copied = fs.readFileSync(path.join(ws, 'r1', log.copy!), 'utf8').split('\n');
    assert.match(copied[log.line! - 1]!, /===========SUCCESS===========/);
    assert.ok(rep.adaptation.quantization.some((q) => q.format === 'ascend W8A8' && q.status === 'pass'));
  });

  it('a second validation uses the checked output and does not quantize again', async () => {
    const rep = await validate(path.join(ws, 'r2'));
    const q = rep.steps.find((s) => s.name === 'quantize')!;
    assert.equal(q.status, 'pass');
    assert.match(q.reason ?? '', /already holds a checked msModelSlim output; not quantized again/);
    assert.ok(rep.adaptation.items.some((i) => i.title === 'GPTQ Int4 → ascend W8A8'));
  });
});
