import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EnvSnapshotSchema } from '../../../src/core/probe/envcheck';
import { flatten } from '../../../src/extension/views';
import { services, labelOf } from './util';

// A simulated Atlas host (the core's sim create, through the extension's command) probed through the local
// transport: the Environment view fills with checks, facts, fixes and NPUs with HBM bars, all marked
// SIMULATED; the Hosts view lists the NPUs; a snapshot is saved; results stay after the host is gone.
describe('Environment check of a simulated Atlas host', function () {
  const work = process.env.ASCEND_SUITE_WORKDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-env-'));
  const simDir = path.join(work, 'sim-atlas');

  it('creates the simulated host and lists it in the Hosts view, marked SIMULATED', async () => {
    const svc = await services();
    const id = await vscode.commands.executeCommand<string>('ascend.sim.create', { dir: simDir, chip: '910B3', devices: 8 });
    assert.equal(id, 'sim');
    assert.ok(fs.existsSync(path.join(simDir, 'env.sh')), 'env.sh written');
    const rows = await flatten(svc.views.trees['ascend.hosts'], 1);
    const sim = rows.find((r) => labelOf(r.item) === 'Simulated Atlas host');
    assert.ok(sim, `hosts: ${rows.map((r) => labelOf(r.item)).join(', ')}`);
    assert.match(String(sim.item.description), /SIMULATED/);
    assert.match(svc.statusBar.text, /Simulated Atlas host \[SIMULATED\]/);
  });

  it('runs the environment probe through the local transport and fills the Environment view', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.environment.focus');
    const res = await vscode.commands.executeCommand<{ report: { simulated: boolean; npu: { devices: unknown[] } } }>('ascend.env.check', 'sim');
    assert.ok(res, 'the command returns the result');
    assert.equal(res.report.simulated, true);
    const rows = await flatten(svc.views.trees['ascend.environment'], 3);
    const host = rows.find((r) => r.depth === 0);
    assert.ok(host, 'a host row');
    assert.equal(labelOf(host.item), 'Simulated Atlas host');
    assert.match(String(host.item.description), /SIMULATED/);
    assert.match(String(host.item.description), /passed/);
    // Checks with status icons, facts under them.
    const checks = rows.filter((r) => r.depth === 1 && String(r.item.contextValue).startsWith('ascend.envCheck'));
    assert.ok(checks.length >= 5, `checks: ${checks.length}`);
    for (const c of checks) assert.ok(['pass', 'warning', 'error', 'circle-slash'].includes((c.item.iconPath as vscode.ThemeIcon).id), `icon of ${labelOf(c.item)}`);
    assert.ok(rows.some((r) => r.depth === 2 && r.item.contextValue === 'ascend.envFact'), 'facts under checks');
    // NPUs with HBM bars.
    const devices = rows.find((r) => r.depth === 1 && r.item.contextValue === 'ascend.envDevices');
    assert.ok(devices, 'an NPUs row');
    assert.match(String(devices.item.description), /8 × 910B3 \(A2\)/);
    const npus = rows.filter((r) => r.depth === 2 && r.item.contextValue === 'ascend.envDevice');
    assert.equal(npus.length, 8);
    for (const n of npus) assert.match(String(n.item.description), /910B3 · OK · [█▏▎▍▌▋▊▉░]{10} \d+\.\d \/ 64\.0 GB/);
    assert.match(String(svc.views.views['ascend.environment'].message), /SIMULATED/);
  });

  it('shows the NPUs under the host in the Hosts view', async () => {
    const svc = await services();
    const rows = await flatten(svc.views.trees['ascend.hosts'], 2);
    const npus = rows.filter((r) => r.depth === 1 && String(r.item.id).startsWith('host:sim:npu:'));
    assert.equal(npus.length, 8);
  });

  it('copies a check\'s fix and saves a snapshot that re-analyses', async () => {
    const svc = await services();
    const rows = await flatten(svc.views.trees['ascend.environment'], 2);
    const withFix = rows.find((r) => String(r.item.contextValue).includes('.fix'));
    assert.ok(withFix, 'the simulated host (no HCCL_OP_EXPANSION_MODE set) has a check with a fix');
    const fix = await vscode.commands.executeCommand<string>('ascend.env.copyFix', withFix.node);
    assert.ok(fix);
    assert.equal(await vscode.env.clipboard.readText(), fix);
    const uri = vscode.Uri.file(path.join(work, 'snapshot.json'));
    const saved = await vscode.commands.executeCommand<vscode.Uri>('ascend.env.saveSnapshot', { uri });
    assert.equal(saved?.fsPath, uri.fsPath);
    const snap = EnvSnapshotSchema.parse(JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')));
    assert.equal(snap.hosts.length, 1);
    assert.equal(snap.hosts[0].host, 'Simulated Atlas host');
    assert.ok(svc.envResults.get('sim'));
  });

  it('keeps the result with its time after the host is gone', async () => {
    const svc = await services();
    const before = svc.envResults.get('sim');
    assert.ok(before);
    await svc.hosts.setSimDir(path.join(work, 'no-such-sim'));
    const hostRows = await flatten(svc.views.trees['ascend.hosts'], 1);
    assert.ok(!hostRows.some((r) => labelOf(r.item) === 'Simulated Atlas host'), 'host no longer listed');
    const rows = await flatten(svc.views.trees['ascend.environment'], 1);
    const host = rows.find((r) => r.depth === 0 && labelOf(r.item) === 'Simulated Atlas host');
    assert.ok(host, 'result still shown');
    assert.equal(svc.envResults.get('sim')?.at, before.at);
    await svc.hosts.setSimDir(simDir);
  });
});
