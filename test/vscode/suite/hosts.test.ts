import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { makeKey, sshdAvailable, startSshd, writeClientFiles, type ClientFiles, type Sshd } from '../../harness/sshd';
import type { UnknownHostKeyInfo } from '../../../src/core/transport/ssh';
import { defaultPrompts, hostKeyMessage, type HostPrompts } from '../../../src/extension/hosts';
import { flatten } from '../../../src/extension/views';
import { api, services, EXTENSION_ID, labelOf, until } from './util';

// The Hosts view, the status bar and SecretStorage against a real OpenSSH server on 127.0.0.1 (the test
// harness's sshd, own config and keys, throwaway user). The prompts a person would answer are answered by
// the test; what they were asked (the host key's SHA256 fingerprint) is checked.
describe('SSH hosts against a real sshd', function () {
  const ALIAS = 'atlas-e2e';
  const ID = `ssh:${ALIAS}`;
  const PASSPHRASE = 'correct horse battery';
  let sshd: Sshd | undefined;
  let files: ClientFiles;
  let keyPath: string;
  const seenKeys: UnknownHostKeyInfo[] = [];
  const asked: string[] = [];
  let remembered = 0;
  const prompts: HostPrompts = {
    confirmHostKey: async (info) => {
      seenKeys.push(info);
      return true;
    },
    askSecret: async (title) => {
      asked.push(title);
      return PASSPHRASE;
    },
    offerToRemember: async () => {
      remembered++;
      return true;
    },
  };

  before(async function () {
    const why = sshdAvailable();
    if (why) {
      console.log(`    skipped: ${why}`);
      this.skip();
    }
    sshd = await startSshd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-vs-ssh-'));
    const key = makeKey(dir, 'id_locked', PASSPHRASE);
    keyPath = key.keyPath;
    sshd.authorize(key.publicKey);
    files = writeClientFiles(sshd, { alias: ALIAS, dir, trust: false, identityFile: keyPath });
    const svc = await services();
    svc.hosts.prompts = prompts;
    const cfg = vscode.workspace.getConfiguration('ascendAdapt');
    await cfg.update('ssh.configFile', files.configPath, vscode.ConfigurationTarget.Global);
    await cfg.update('ssh.knownHostsFile', files.knownHostsPath, vscode.ConfigurationTarget.Global);
    await until('the new ssh settings', () => svc.config.settings['ssh.configFile'] === files.configPath || undefined);
  });

  after(async () => {
    const svc = await services();
    await svc.hosts.disconnect(ID).catch(() => undefined);
    svc.hosts.prompts = defaultPrompts;
    const cfg = vscode.workspace.getConfiguration('ascendAdapt');
    await cfg.update('ssh.configFile', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('ssh.knownHostsFile', undefined, vscode.ConfigurationTarget.Global);
    await sshd?.stop();
  });

  it('lists the ssh_config host in the Hosts view, disconnected', async () => {
    const svc = await services();
    const rows = await flatten(svc.views.trees['ascend.hosts'], 1);
    const row = rows.find((r) => labelOf(r.item) === ALIAS);
    assert.ok(row, `hosts: ${rows.map((r) => labelOf(r.item)).join(', ')}`);
    assert.match(String(row.item.description), /disconnected/);
    assert.equal(row.item.contextValue, 'ascend.host.ssh.disconnected');
  });

  it('connects: shows the unknown host key\'s SHA256 fingerprint, asks the passphrase, keeps it on request', async () => {
    const svc = await services();
    const states: string[] = [];
    const sub = svc.hosts.onDidChange((id) => id === ID && states.push(svc.hosts.state(ID)));
    try {
      await vscode.commands.executeCommand('ascend.hosts.select', ID);
      const state = await vscode.commands.executeCommand<string>('ascend.hosts.connect', ID);
      assert.equal(state, 'connected');
    } finally {
      sub.dispose();
    }
    assert.ok(states.includes('connecting') && states.at(-1) === 'connected', `states: ${states.join(' → ')}`);
    assert.equal(seenKeys.length, 1, 'asked once about the unknown key');
    assert.equal(seenKeys[0].fingerprint, sshd!.hostFingerprint);
    const { detail } = hostKeyMessage(seenKeys[0]);
    assert.ok(detail.includes(sshd!.hostFingerprint), detail);
    assert.ok(fs.readFileSync(files.knownHostsPath, 'utf8').includes(sshd!.hostKey.split(' ')[1]), 'accepted key appended to known_hosts');
    assert.equal(asked.length, 1, 'passphrase asked once');
    await until('the passphrase in SecretStorage', async () => (await (await api()).ctx.extension.secrets.get(`ascend-adapt.passphrase:${keyPath}`)) === PASSPHRASE || undefined);
    assert.equal(remembered, 1);
    const rows = await flatten(svc.views.trees['ascend.hosts'], 1);
    const row = rows.find((r) => labelOf(r.item) === ALIAS);
    assert.match(String(row?.item.description), /connected/);
    assert.equal(row?.item.contextValue, 'ascend.host.ssh.connected');
    await until('status bar showing the connected host', () => svc.statusBar.text.endsWith(` ${ALIAS}`) || undefined);
    assert.match(svc.statusBar.text, /^\$\(vm-running\) /);
  });

  it('follows a dropped link in the view and status bar: reconnecting, then connected', async () => {
    const svc = await services();
    const seen = new Set<string>();
    const bar = new Set<string>();
    const sub = svc.hosts.onDidChange(() => {
      seen.add(svc.hosts.state(ID));
      setTimeout(() => bar.add(svc.statusBar.text), 0);
    });
    try {
      // Kill the server side of the session (the per-connection sshd processes, root monitor and user
      // child): the TCP link drops under the client.
      const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(sshd!.pid)], { encoding: 'utf8' }).stdout.split('\n').map((x) => Number(x.trim())).filter((x) => x > 0);
      for (const pid of [...children, ...sshd!.userPids()]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await until('reconnecting', () => seen.has('reconnecting') || undefined, 60_000);
      await until('connected again', () => svc.hosts.state(ID) === 'connected' || undefined, 60_000);
    } finally {
      sub.dispose();
    }
    assert.ok([...bar].some((t) => t.includes('reconnecting')), `status bar texts: ${[...bar].join(' | ')}`);
    const r = await (await svc.hosts.transport(ID)).exec(['echo', 'still here']);
    assert.equal(r.stdout.toString().trim(), 'still here');
    assert.equal(asked.length, 1, 'no new prompt on reconnect');
  });

  it('after disconnecting, reconnects with the passphrase from SecretStorage (no prompt)', async () => {
    const svc = await services();
    assert.equal(await vscode.commands.executeCommand('ascend.hosts.disconnect', ID), 'disconnected');
    assert.equal(await vscode.commands.executeCommand('ascend.hosts.connect', ID), 'connected');
    assert.equal(asked.length, 1, 'no new passphrase prompt');
    assert.equal(seenKeys.length, 1, 'the key is known now');
    assert.equal(svc.hosts.state(ID), 'connected');
  });

  it("lists the connected host's reports (~/.ascend-adapt/reports) in the Reports view, marked with the host", async () => {
    const svc = await services();
    const repo = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const text = fs.readFileSync(path.join(repo, 'test', 'fixtures', 'report', 'fixture_report.json'), 'utf8');
    const t = await svc.hosts.transport(ID);
    const w = await t.exec(['sh', '-c', 'mkdir -p "$HOME/.ascend-adapt/reports/ci-run" && cat > "$HOME/.ascend-adapt/reports/ci-run/validation_report_20261128.json"'], { stdin: text });
    assert.equal(w.code, 0, w.stderr.toString());
    const previous = svc.hosts.activeId;
    await svc.hosts.setActive(ID);
    try {
      const rows = await until('the host report listed', async () => {
        const r = await flatten(svc.views.trees['ascend.reports'], 1);
        return r.some((x) => String(x.item.description).includes(ALIAS)) ? r : undefined;
      }, 30_000);
      const row = rows.find((x) => String(x.item.description).includes(ALIAS))!;
      const uri = (row.item as vscode.TreeItem).resourceUri!;
      assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), text, 'the local copy is byte-identical to the host file');
    } finally {
      if (previous) await svc.hosts.setActive(previous);
    }
  });

  it('runs the environment check over ssh; the result stays, with its time, after disconnecting', async () => {
    const svc = await services();
    const res = await vscode.commands.executeCommand<{ at: string; report: { host: string; simulated: boolean } }>('ascend.env.check', ID);
    assert.equal(res?.report.host, ALIAS);
    assert.equal(res?.report.simulated, false);
    await vscode.commands.executeCommand('ascend.hosts.disconnect', ID);
    const rows = await flatten(svc.views.trees['ascend.environment'], 1);
    const row = rows.find((r) => r.depth === 0 && labelOf(r.item) === ALIAS);
    assert.ok(row, 'result still listed');
    assert.ok(!String(row.item.description).includes('SIMULATED'));
    assert.equal(svc.envResults.get(ID)?.at, res?.at);
  });
});
