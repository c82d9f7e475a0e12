import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { accuracyErrors, accuracyVerdict, checkReferences, collectFigures, perfRatio, withAccuracyDerived, withPerfDerived } from '../../src/core/report/figures';
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
});
