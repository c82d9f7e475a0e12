// Back to the code: the real language server (dist/server.js over JSON-RPC) reads the workspace's
// .ascend-adapt/profile-findings.json and marks the Python that produces the AI CPU operators the profile saw,
// with a diagnostic and a hover "seen on AI CPU in profile <job> (N total)"; a new profile replaces it, none
// removes the marks. Code of operators the profile did not see is left alone.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findingsOf, writeFindings, FINDINGS_SCHEMA, type ProfileFindings } from '../../src/core/profile/findings';
import type { ProfileSummary } from '../../src/core/profile/schema';
import { startServer, uriOf, type Session } from '../lsp/client';

const PATCH = `import torch
import torch_npu


def route(x: torch.Tensor, mask: torch.Tensor, table: dict):
    x[mask] = 0                          # IndexPut
    table["key"] = 1                     # a dict: left alone
    idx = torch.nonzero(mask)            # NonZero
    again = mask.nonzero()               # NonZero
    where = torch.where(mask)            # NonZero (one argument)
    keep = torch.where(mask, x, 0)       # three arguments: a select, left alone
    scale = x.double()                   # DOUBLE → Cast on the AI CPU
    eps = torch.tensor(1e-6, dtype=torch.float64)
    low = torch.argmin(x)                # ArgMin: not in this profile
    return idx, again, where, keep, scale, eps, low
`;

function findings(jobId: string, ops: ProfileFindings['ops']): ProfileFindings {
  return { schema: FINDINGS_SCHEMA, jobId, host: 'atlas', simulated: true, capturedAt: new Date().toISOString(), ops };
}

const OPS: ProfileFindings['ops'] = [
  { type: 'IndexPutV2', coreType: 'AI_CPU', count: 32, totalUs: 911.25, maxUs: 32.9, dtypes: ['FLOAT', 'BOOL'] },
  { type: 'NonZero', coreType: 'AI_CPU', count: 8, totalUs: 338.8, maxUs: 48, dtypes: ['BOOL'] },
  { type: 'Cast', coreType: 'AI_CPU', count: 8, totalUs: 1209.9, maxUs: 28.5, dtypes: ['DOUBLE'] },
];

describe('language server: AI CPU operators of a profile on the code', () => {
  let s: Session;
  let ws: string;
  let uri: string;
  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-lsp-profile-'));
    const file = path.join(ws, 'patch_route.py');
    fs.writeFileSync(file, PATCH);
    uri = uriOf(file);
    s = await startServer({ root: ws });
    await s.open(uri, 'python', PATCH);
  });
  after(async () => {
    await s?.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const profileDiags = async () => (await s.diagnostics(uri)).filter((d) => d.code === 'profile-aicpu');
  const lineOf = (needle: string) => PATCH.split('\n').findIndex((l) => l.includes(needle));

  it('no findings file: no profile diagnostics', async () => {
    assert.deepEqual(await profileDiags(), []);
  });

  it('marks the code of every operator the profile saw on the AI CPU, with a hover', async () => {
    writeFindings(ws, findings('20261204-101010-profile-abc123', OPS));
    const d = await profileDiags();
    const lines = d.map((x) => x.range.start.line).sort((a, b) => a - b);
    assert.deepEqual(lines, [lineOf('x[mask] = 0'), lineOf('torch.nonzero(mask)'), lineOf('mask.nonzero()'), lineOf('torch.where(mask)'), lineOf('x.double()'), lineOf('torch.float64')]);
    const put = d.find((x) => x.range.start.line === lineOf('x[mask] = 0'))!;
    assert.equal(put.severity, 2);
    assert.equal(put.source, 'ascend-adapt');
    assert.match(put.message, /^IndexPutV2 seen on AI CPU in profile 20261204-101010-profile-abc123 \(911\.3 µs total\) \[SIMULATED\]: .*x \*= ~mask/);
    assert.match(d.find((x) => x.range.start.line === lineOf('x.double()'))!.message, /^Cast seen on AI CPU .*\(1\.21 ms total\).*float32/);
    const col = PATCH.split('\n')[lineOf('mask.nonzero()')]!.indexOf('nonzero');
    const h = await s.hover(uri, lineOf('mask.nonzero()'), col + 2);
    const text = JSON.stringify(h?.contents);
    assert.match(text, /seen on AI CPU in profile 20261204-101010-profile-abc123/);
    assert.match(text, /\| NonZero \| 8 \| 338\.8 µs \| 48\.0 µs \| BOOL \|/);
    assert.match(text, /aicpu_operator_replacement_example/);
  });

  it('a new profile replaces the marks; a profile without AI CPU operators removes them', async () => {
    writeFindings(ws, findings('20261205-090000-profile-def456', [OPS[1]!]));
    const d = await profileDiags();
    assert.equal(d.length, 3, 'only the NonZero code');
    assert.ok(d.every((x) => x.message.includes('20261205-090000-profile-def456')));
    writeFindings(ws, findings('20261205-100000-profile-0', []));
    assert.deepEqual(await profileDiags(), []);
  });

  it('the file a CLI profile run writes is what the server reads', () => {
    const summary = { simulated: false, aicpu: [{ type: 'NonZero', name: null, count: 2, totalUs: 50, maxUs: 30, dtypes: ['BOOL'], hint: '', evidence: { rank: 0, file: 'kernel_details.csv', row: 2 } }] } as unknown as ProfileSummary;
    const f = findingsOf(summary, { jobId: 'j', host: 'h' });
    assert.deepEqual(f.ops, [{ type: 'NonZero', coreType: 'AI_CPU', count: 2, totalUs: 50, maxUs: 30, dtypes: ['BOOL'] }]);
  });
});
