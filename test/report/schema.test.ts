import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { accuracyErrors, accuracyVerdict, checkReferences, collectFigures, evidenceTarget, perfRatio, REPORT_FILE_PATTERN, reportSummary, withAccuracyDerived, withPerfDerived } from '../../src/core/report/figures';
import { parseReportText, serializeReport } from '../../src/core/report/load';
import { Report, reportJsonSchema, REPORT_SCHEMA_VERSION } from '../../src/core/report/schema';
import { fixture, repoRoot } from './helpers';

describe('report schema', () => {
  it('the hand-written fixture parses and round-trips unchanged', () => {
    const r = Report.parse(fixture());
    const text = serializeReport(r);
    const again = parseReportText(text, 'roundtrip.json');
    assert.deepEqual(again.problems, []);
    assert.equal(again.complete, true);
    assert.deepEqual(again.report, r);
    assert.equal(serializeReport(again.report as Report), text);
  });

  it('every figure in the fixture points at an evidence entry, ids unique', () => {
    const r = fixture();
    const figs = collectFigures(r);
    assert.equal(figs.length, 29);
    assert.deepEqual(checkReferences(r), []);
    const broken = structuredClone(r);
    broken.accuracy.datasets[0].measured.evidence = 'E404';
    assert.match(checkReferences(broken)[0].message, /E404/);
  });

  it('derived numbers in the fixture are what the formulas give', () => {
    const r = fixture();
    for (const d of r.accuracy.datasets) {
      const re = withAccuracyDerived(d);
      assert.ok(Math.abs((re.absError ?? NaN) - (d.absError ?? NaN)) < 0.005, d.name);
      assert.ok(Math.abs((re.relError ?? NaN) - (d.relError ?? NaN)) < 0.005, d.name);
      assert.equal(re.verdict, d.verdict);
    }
    for (const m of r.performance.metrics) {
      const re = withPerfDerived(m);
      assert.ok(Math.abs((re.ratio ?? NaN) - (m.ratio ?? NaN)) < 0.0005, m.key);
      assert.equal(re.verdict, m.verdict);
    }
  });

  it('ratios point the right way and verdicts follow the thresholds', () => {
    assert.equal(perfRatio(118, 125, false), 0.944);
    assert.equal(perfRatio(45.2, 42.5, true), 0.9403);
    assert.equal(perfRatio(null, 1, true), null);
    const e = accuracyErrors(96.74, 95.82);
    assert.equal(e.absError, 0.92);
    assert.equal(accuracyVerdict(e.absError, e.relError, { absPoints: 1.0, relPercent: null }), 'pass');
    assert.equal(accuracyVerdict(1.2, 1.3, { absPoints: 1.0, relPercent: null }), 'fail');
    assert.equal(accuracyVerdict(0.5, 5.1, { absPoints: null, relPercent: 5 }), 'fail');
    assert.equal(accuracyVerdict(0.5, 0.6, { absPoints: null, relPercent: null }), null);
  });

  it('schemas/validation-report.schema.json is the JSON Schema generated from the zod schema (UPDATE_SCHEMA=1 rewrites it)', () => {
    const file = path.join(repoRoot, 'schemas', 'validation-report.schema.json');
    const generated = JSON.stringify(reportJsonSchema(), null, 2) + '\n';
    if (process.env.UPDATE_SCHEMA === '1') fs.writeFileSync(file, generated);
    assert.ok(fs.existsSync(file), 'schemas/validation-report.schema.json is missing: run with UPDATE_SCHEMA=1');
    assert.equal(fs.readFileSync(file, 'utf8'), generated, 'JSON Schema out of date: run the test with UPDATE_SCHEMA=1 and commit it');
    const s = JSON.parse(generated) as { properties: Record<string, unknown>; required: string[] };
    for (const k of ['model', 'hosts', 'adaptation', 'serving', 'smoke', 'accuracy', 'performance', 'verdict', 'evidence', 'simulated']) {
      assert.ok(k in s.properties, k);
      assert.ok(s.required.includes(k), `${k} required`);
    }
    assert.equal(REPORT_SCHEMA_VERSION, 1);
  });

  it('a clicked figure leads to its evidence: the copy beside the report, the host file, the line', () => {
    const r = fixture();
    const t = evidenceTarget(r, '/home/u/reports/validation_report_20260519.json', 'serving.loadTime')!;
    assert.equal(t.evidence.id, 'E3');
    assert.equal(t.localCopy, '/home/u/reports/evidence/20260519-0912-serve-7f3a/log');
    assert.equal(t.host, 'atlas-a2-01');
    assert.equal(t.line, 412);
    assert.equal(t.byteOffset, 48211);
    const b = evidenceTarget(r, '/x/r.json', 'B:accuracy.math.measured')!;
    assert.equal(b.evidence.id, 'E5');
    assert.equal(b.pointer, '/datasets');
    assert.equal(evidenceTarget(r, '/x/r.json', 'no.such.figure'), null);
  });

  it('summaries and file names for report lists', () => {
    assert.deepEqual(reportSummary(fixture()), {
      model: 'Hunyuan-A13B-Instruct-GPTQ-Int4',
      generatedAt: '2026-05-19T09:40:00.000Z',
      verdict: 'pass',
      simulated: false,
      fixture: true,
      host: 'atlas-a2-01',
      profile: 'hunyuan-tp2',
    });
    assert.equal(reportSummary({}).verdict, null);
    assert.ok(REPORT_FILE_PATTERN.test('validation_report_20260519.json'));
    assert.ok(!REPORT_FILE_PATTERN.test('validation_report_20260519.en.md'));
  });
});

describe('a validation report as reference and baseline', () => {
  it('its measured accuracy becomes the reference and its measured performance the baseline', async () => {
    const { referencesFromReport, baselineFromReport } = await import('../../src/core/validate/inputs');
    const r = fixture();
    assert.deepEqual(
      referencesFromReport(r, 'gpu.json').map((x) => [x.name, x.value]),
      [
        ['gsm8k', 0.9582],
        ['mmlu', 0.683],
        ['math', 0.721],
      ],
    );
    const b = baselineFromReport(r);
    assert.equal(b.length, 1);
    assert.equal(b[0].concurrency, 32);
    assert.deepEqual(b[0].metrics, { request_throughput: 42.5, mean_ttft_ms: 125, mean_tpot_ms: 32, output_throughput: 1250 });
    assert.deepEqual(baselineFromReport({}), []);
  });
});

describe('secrets stay out of reports', () => {
  it('env values of secret-like names and secret flag values are redacted', async () => {
    const { redactEnv, redactArgv, REDACTED } = await import('../../src/core/validate/redact');
    assert.deepEqual(redactEnv({ HF_TOKEN: 'hf_abc', VLLM_API_KEY: 'k', HCCL_OP_EXPANSION_MODE: 'AIV', AWS_SECRET_ACCESS_KEY: 's' }), {
      HF_TOKEN: REDACTED,
      VLLM_API_KEY: REDACTED,
      HCCL_OP_EXPANSION_MODE: 'AIV',
      AWS_SECRET_ACCESS_KEY: REDACTED,
    });
    assert.deepEqual(redactArgv(['vllm', 'serve', 'm', '--api-key', 'sk-1', '--port', '8000', '--hf-token=abc']), [
      'vllm',
      'serve',
      'm',
      '--api-key',
      REDACTED,
      '--port',
      '8000',
      `--hf-token=${REDACTED}`,
    ]);
  });
});
