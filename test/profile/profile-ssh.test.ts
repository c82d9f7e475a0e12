// `ascend-adapt profile` over a real OpenSSH server on 127.0.0.1 (throwaway user owning the simulated host):
// host scripts uploaded, the server and the capture as detached jobs of that user, the CSVs summarised on the
// host; an interrupt and a dropped client over the link leave the server unprofiled and nothing running.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { jobControl } from '../../src/core/jobs/index';
import { runProfile } from '../../src/core/profile/run';
import { profileSchema } from '../../src/core/profiles/schema';
import { SIM_MODELS } from '../../src/core/sim/models';
import { SshTransport } from '../../src/core/transport/ssh';
import { runCli } from '../harness/cli';
import { sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../harness/sshd';
import { chownR, freePort, makeSim } from '../serving/helpers';
import { csvTotals, processesOf, profilerLines, runningJobs, servingLogs } from './helpers';

const skip = sshdAvailable();

describe('profile over ssh (real sshd, simulated host)', { skip }, () => {
  let sshd: Sshd;
  let files: ClientFiles;
  let sim: ReturnType<typeof makeSim>;
  let ws: string;
  let root: string;

  before(async () => {
    sshd = await startSshd();
    files = writeClientFiles(sshd, { alias: 'atlas' });
    sim = makeSim({ devices: 4 });
    ws = fs.mkdtempSync(path.join(sim.parent, 'ws-'));
    chownR(sim.parent, sshd.uid, fs.statSync(sshd.home).gid); // the host's files belong to its login user
    root = path.join(sshd.home, '.ascend-adapt', 'jobs');
  });
  after(async () => {
    await sshd?.stop();
    sim?.cleanup();
    if (files) fs.rmSync(files.dir, { recursive: true, force: true });
  });

  const assertClean = () => {
    assert.deepEqual(runningJobs(root), [], 'no job of ours still running on the host');
    assert.deepEqual(processesOf(root), [], 'no process of ours left on the host');
    const p = profilerLines(servingLogs(root));
    assert.equal(p.started, p.stopped, 'every /start_profile has its /stop_profile');
    assert.equal(p.leftOn, false);
  };

  const profileFile = async (env: Record<string, string> = {}) => {
    const profile = {
      host: 'atlas', simRoot: sim.dir, modelPath: path.join(sim.dir, 'models', SIM_MODELS.bf16), servedModelName: 'tiny', port: await freePort(),
      tensorParallelSize: 2, readyTimeoutSec: 120, env: { ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.5', ...env },
    };
    fs.writeFileSync(path.join(ws, 'ascend-adapt.json'), JSON.stringify({ profiles: { tiny: profile } }));
    return profile;
  };

  it('profile --json over ssh: figures equal the CSVs on the host; the server is stopped', async () => {
    await profileFile();
    const r = await runCli(['profile', '--profile', 'tiny', '--ssh-config', files.configPath, '--known-hosts', files.knownHostsPath, '--num-prompts', '4', '--top', '1000', '--json'], { cwd: ws, env: { ...process.env, LANG: 'C' } });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { ranks: number; host: string; outputDirs: string[]; topOps: Array<{ type: string; coreType: string; count: number; totalUs: number }>; server: { idle: boolean } };
    assert.equal(j.host, 'atlas');
    assert.equal(j.ranks, 2);
    for (const d of j.outputDirs) assert.ok(d.startsWith(sshd.home), `written by the host user under its home: ${d}`);
    assert.equal(fs.statSync(j.outputDirs[0]!).uid, sshd.uid);
    const csv = csvTotals(j.outputDirs);
    for (const o of j.topOps) {
      const c = csv.ops.get(`${o.type}|${o.coreType}`)!;
      assert.equal(o.count, c.count);
      assert.ok(Math.abs(o.totalUs - c.total) < 0.002);
    }
    assert.equal(j.server.idle, true);
    assertClean();
  });

  it('interrupted during the load over the link, then a client that vanishes: profiling is off, nothing left', async () => {
    const p = await profileFile({ ASCEND_ADAPT_SIM_SERVER_CONFIG: JSON.stringify({ tpot_base_ms: 300 }) });
    const host = SshConfigFile.fromText(fs.readFileSync(files.configPath, 'utf8')).resolve('atlas');
    const profile = { name: 'tiny', ...profileSchema.parse(p) };
    // 1. Ctrl-C during the load: the capture job is stopped over the link and sends /stop_profile; the server stops.
    const t = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t.connect();
    const ac = new AbortController();
    try {
      const rec = await runProfile({
        transport: t, profile, control: jobControl({ graceMs: 5000 }), pollMs: 200, spec: { numPrompts: 4, outputLen: 32, pollS: 0.2 }, signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'progress' && 'phase' in e.progress && e.progress.phase === 'load') ac.abort();
        },
      });
      assert.equal(rec.state, 'interrupted');
      assert.equal(rec.result?.stoppedProfile, true);
      assert.deepEqual(rec.stop?.leftoverPids, []);
    } finally {
      await t.close();
    }
    assertClean();
    // 2. The link dies during the load (the client closes its connection without a word): the detached capture
    //    job finishes on the host, turns profiling off and stops the server it was given.
    const t2 = new SshTransport(host, { knownHosts: { files: [files.knownHostsPath] }, reconnect: { maxAttempts: 0 } });
    await t2.connect();
    const gone = new AbortController();
    const run = runProfile({
      transport: t2, profile, control: jobControl({ graceMs: 5000 }), pollMs: 200, spec: { numPrompts: 4, outputLen: 32, pollS: 0.2 }, signal: gone.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && 'phase' in e.progress && e.progress.phase === 'load') void t2.close();
      },
    });
    await run.catch(() => undefined); // the link is gone: this client can only fail
    const deadline = Date.now() + 180_000;
    while (runningJobs(root).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assertClean();
  });
});
