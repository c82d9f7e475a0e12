import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { createDemo, demoDataDir } from '../../src/core/validate/demo';

import { resolvePointer } from '../../src/core/report/evidence';
import { collectFigures, referencedEvidenceIds } from '../../src/core/report/figures';
import { parseReportText } from '../../src/core/report/load';
import { runValidation } from '../../src/core/validate';
import { SshTransport } from '../../src/core/transport/ssh';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import { chownR } from '../harness/files';

/**
 * `validate` against a host reached over a real OpenSSH server on 127.0.0.1 (the simulated Atlas toolchain
 * behind it, files owned by the login user): the jobs run on the "host", the report is written here, and
 * the evidence — serving log, accuracy and perf result files — is copied back over the link beside it.
 */
const skip = sshdAvailable();

function sharedPython(): string | undefined {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (fs.existsSync(p)) return p;
  return undefined;
}

describe('validate over ssh (real sshd, simulated host)', { skip, timeout: 300_000 }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let root: string;
  let out: string;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-ssh-'));
    fs.chmodSync(root, 0o755);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-ssh-out-'));
  });
  after(async () => {
    await sshd?.stop();
    for (const d of [root, out]) if (d) fs.rmSync(d, { recursive: true, force: true });
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  it('runs every step on the host and brings the evidence back', async () => {
    const data = path.join(root, 'data');
    fs.cpSync(demoDataDir(), data, { recursive: true });
    const demo = await createDemo(root, { devices: 2, python: sharedPython(), dataDir: data, host: 'atlas' });
    const gid = fs.statSync(sshd.home).gid;
    chownR(root, sshd.uid, gid);
    const host = SshConfigFile.fromText(fs.readFileSync(files.configPath, 'utf8')).resolve('atlas');
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    let rep;
    try {
      rep = await runValidation({
        transport: t,
        profile: demo.profile,
        outDir: out,
        langs: ['zh-CN'],
        workspace: [demo.workspace],
        accuracy: { tasks: ['gsm8k', 'math'], dataDir: data, referenceFile: demo.referenceFile, concurrency: 4 },
        perf: { concurrency: 4, numPrompts: 16, inputLen: 64, outputLen: 16 },
      });
    } finally {
      await t.close();
    }
    const report = parseReportText(fs.readFileSync(rep.jsonFile, 'utf8'), rep.jsonFile);
    assert.deepEqual(report.problems, []);
    const r = rep.report;
    const st = Object.fromEntries(r.steps.map((s) => [s.name, s.status]));
    assert.deepEqual({ serve: st.serve, smoke: st.smoke, accuracy: st.accuracy, perf: st.perf, stop: st.stop }, { serve: 'pass', smoke: 'pass', accuracy: 'pass', perf: 'pass', stop: 'pass' });
    assert.equal(r.hosts[0].name, 'atlas');
    assert.equal(r.simulated, true);
    assert.deepEqual(r.accuracy.datasets.map((d) => d.measured.value), [90, 87.5]);
    // Host-side evidence names the host and its path there, and has a copy here.
    const byId = new Map(r.evidence.map((e) => [e.id, e]));
    const hostSide = r.evidence.filter((e) => e.host === 'atlas' && e.jobId);
    assert.ok(hostSide.length >= 3, 'serving log, accuracy result, perf result');
    for (const e of hostSide) {
      assert.ok(e.copy, `${e.id} has a copy`);
      assert.ok(fs.existsSync(path.join(out, e.copy!)), `${e.id}: ${e.copy}`);
      assert.ok(e.file.startsWith('/'), `${e.id}: absolute path on the host`);
    }
    for (const id of referencedEvidenceIds(r)) assert.ok(byId.has(id), id);
    for (const { figure } of collectFigures(r)) {
      if (!figure.pointer) continue;
      const e = byId.get(figure.evidence)!;
      const file = e.copy ? path.join(out, e.copy) : e.file;
      const v = resolvePointer(JSON.parse(fs.readFileSync(file, 'utf8')), figure.pointer) as number;
      assert.ok(Math.abs(v * (figure.scale ?? 1) - (figure.value ?? NaN)) <= 0.5 + Math.abs(v) * 1e-6, figure.id);
    }
    const log = byId.get(r.serving.loadTime!.evidence)!;
    const text = fs.readFileSync(path.join(out, log.copy!));
    assert.match(text.subarray(log.offset!, log.offset! + (log.length ?? 0)).toString(), /Application startup complete|Uvicorn running on|Available routes are|Starting vLLM API server/);
  });
});
