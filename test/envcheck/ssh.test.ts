import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { EnvReportSchema } from '../../src/core/checks/report';
import { reportsForJson, runEnvCheck } from '../../src/core/probe/envcheck';
import { createSim } from '../../src/core/sim/create';
import { SshTransport } from '../../src/core/transport/ssh';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import { tmpDir } from './helpers';
import { chownR } from '../harness/files';

/**
 * The env check over a real OpenSSH server on 127.0.0.1 with the simulated Atlas toolchain behind it:
 * scripts uploaded once per content hash, the sim's env.sh sourced before the probe (as a host setup
 * script would), the same facts as over the local transport.
 */
const skip = sshdAvailable();

function systemPython(): string | undefined {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (fs.existsSync(p)) return p;
  return undefined;
}

describe('env check over ssh (real sshd, simulated host)', { skip }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let parent: string;
  let simRoot: string;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    parent = tmpDir('aa-envssh-');
    fs.chmodSync(parent, 0o755);
    simRoot = path.join(parent, 'sim');
    createSim(simRoot, { devices: 8, python: systemPython() });
    chownR(parent, sshd.uid, fs.statSync(sshd.home).gid);
  });
  after(async () => {
    await sshd?.stop();
    if (parent) fs.rmSync(parent, { recursive: true, force: true });
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  const connect = async () => {
    const host = SshConfigFile.fromText(fs.readFileSync(files.configPath, 'utf8')).resolve('atlas');
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    return t;
  };

  it('with env.sh sourced first: the simulated host, fully checked, says simulated', async () => {
    const t = await connect();
    try {
      const r = await runEnvCheck(t, { sourceFirst: path.join(simRoot, 'env.sh') });
      assert.equal(r.raw.ok, true, JSON.stringify(r.raw));
      const j = EnvReportSchema.parse(reportsForJson([r])[0]);
      assert.equal(j.host, 'atlas');
      assert.equal(j.simulated, true);
      assert.equal(j.npu.family, 'A2');
      assert.equal(j.npu.devices.length, 8);
      assert.equal(j.versions.cann, '8.5.1');
      assert.equal(j.versions.vllm_ascend, '0.18.0');
      assert.ok(r.raw.ok && r.raw.data.host?.user === sshd.user, 'ran as the login user');
      for (const id of ['npu.smi', 'versions.cann', 'versions.torch_npu', 'env.cann_set_env', 'env.atb_set_env']) {
        assert.equal(j.checks.find((c) => c.id === id)?.status, 'pass', id);
      }
    } finally {
      await t.close();
    }
  });

  it('without the setup script the login shell has no CANN: the checks say so instead of failing to run', async () => {
    const t = await connect();
    try {
      const r = await runEnvCheck(t);
      assert.equal(r.raw.ok, true);
      assert.equal(r.simulated, false);
      assert.equal(r.checks.find((c) => c.id === 'npu.smi')?.status, 'fail');
      assert.equal(r.checks.find((c) => c.id === 'versions.cann')?.status, 'fail');
    } finally {
      await t.close();
    }
  });

  it('a setup script that cannot be sourced is a clear probe failure', async () => {
    const t = await connect();
    try {
      const r = await runEnvCheck(t, { sourceFirst: '/nonexistent/env.sh' });
      assert.equal(r.checks.length, 1);
      assert.equal(r.checks[0].status, 'fail');
      assert.match(r.checks[0].detail, /exited with code 97.*cannot source/);
    } finally {
      await t.close();
    }
  });
});
