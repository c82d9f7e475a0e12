// Bad input at the CLI: what it says and which exit code, without losing work already done.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSim } from '../../src/core/sim/create';
import { runCli } from '../harness/cli';

let dir: string;
let sim: string;
const env = { LANG: 'C', PATH: process.env.PATH, HOME: process.env.HOME };

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-badinput-'));
  sim = createSim(path.join(dir, 'sim'), { devices: 2 }).root;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bad input at the CLI', () => {
  it('smoke --endpoint that is not a URL: exit 2 naming --endpoint (nothing is sent)', async () => {
    for (const bad of ['not-a-url', 'ftp://127.0.0.1:21', '']) {
      const r = await runCli(['smoke', '--endpoint', bad], { env });
      assert.equal(r.code, 2, `${bad}: ${r.err}`);
      assert.match(r.err, /--endpoint wants (a URL|an http:\/\/ URL)/, bad);
    }
  });

  it('env-check --save-snapshot to a path that cannot be written: the results are still printed, the failure said, exit 2', async () => {
    for (const where of ['/proc/x/snap.json', path.join(dir, 'no-such-dir', 'snap.json'), dir]) {
      const r = await runCli(['env-check', '--sim', sim, '--json', '--save-snapshot', where], { env });
      assert.equal(r.code, 2, `${where}: ${r.err}`);
      const report = JSON.parse(r.out) as { host: string; checks: unknown[] };
      assert.equal(report.host, 'sim');
      assert.ok(report.checks.length > 5, 'the results are printed');
      assert.match(r.err, /The snapshot could not be saved to /);
    }
    const text = await runCli(['env-check', '--sim', sim, '--save-snapshot', '/proc/x/snap.json'], { env });
    assert.equal(text.code, 2);
    assert.match(text.out, /passed, \d+ warnings, \d+ failed/);
  });

  it('--help of env-check documents that exit code', async () => {
    const r = await runCli(['env-check', '--help'], { env });
    assert.match(r.out, /--save-snapshot could not be written \(the results are still printed\)/);
  });
});
