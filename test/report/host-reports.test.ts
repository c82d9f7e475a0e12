import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { parseReportText } from '../../src/core/report/load';
import { listHostReports, readHostReport } from '../../src/core/report/host-reports';
import { LocalTransport } from '../../src/core/transport/local';
import { SshTransport } from '../../src/core/transport/ssh';
import { quoteArg } from '../../src/core/transport/quote';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import * as os from 'node:os';
import { fixtureText } from './helpers';

const fixture = fixtureText();
const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('reports on a host', () => {
  it('finds validation_report_*.json under the folders (newest first), skips other files and evidence copies', async () => {
    const dir = tmpDir('aa-hostrep-');
    try {
      const older = path.join(dir, 'run1', 'validation_report_20261101.json');
      const newer = path.join(dir, 'run2', 'validation_report_20261128.json');
      for (const f of [older, newer]) {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, fixture);
      }
      fs.utimesSync(older, new Date('2026-11-01'), new Date('2026-11-01'));
      fs.writeFileSync(path.join(dir, 'run2', 'notes.json'), '{}');
      fs.mkdirSync(path.join(dir, 'run2', 'evidence'));
      fs.writeFileSync(path.join(dir, 'run2', 'evidence', 'validation_report_20261128.json'), fixture);
      const t = new LocalTransport();
      const found = await listHostReports(t, [dir, path.join(dir, 'missing')]);
      assert.deepEqual(found.map((f) => f.path), [newer, older]);
      assert.equal(found[0].size, Buffer.byteLength(fixture));
      const text = await readHostReport(t, newer);
      assert.equal(text, fixture);
      await assert.rejects(readHostReport(t, newer, 10), /larger than 10 bytes/);
      await assert.rejects(readHostReport(t, path.join(dir, 'nope.json')), /failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('over ssh (real sshd)', { skip: sshdAvailable() }, () => {
    let sshd: Sshd;
    let files: ClientFiles;
    before(async () => {
      sshd = await startSshd();
      files = writeClientFiles(sshd, { alias: 'atlas' });
    });
    after(async () => {
      await sshd?.stop();
      if (files) fs.rmSync(files.dir, { recursive: true, force: true });
    });

    it("lists the login user's ~/.ascend-adapt/reports and reads a report back byte for byte", async () => {
      const host = SshConfigFile.fromText(fs.readFileSync(files.configPath, 'utf8')).resolve('atlas');
      const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
      await t.connect();
      try {
        const rel = '.ascend-adapt/reports/20261128-120000/validation_report_20261128.json';
        const w = await t.exec(['sh', '-c', `mkdir -p "$HOME"/${quoteArg(path.posix.dirname(rel))} && cat > "$HOME"/${quoteArg(rel)}`], { stdin: fixture });
        assert.equal(w.code, 0, w.stderr.toString());
        const found = await listHostReports(t);
        assert.equal(found.length, 1);
        assert.equal(found[0].path, path.posix.join(sshd.home, rel));
        const text = await readHostReport(t, found[0].path);
        assert.equal(text, fixture);
        assert.equal(parseReportText(text, found[0].path).problems.length, 0);
      } finally {
        await t.close();
      }
    });
  });
});
