import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { jobControl } from '../../src/core/jobs/index';
import { profileSchema, type NamedProfile } from '../../src/core/profiles/schema';
import { LocalTransport } from '../../src/core/transport/local';
import { clusterSteps, runValidation, standardSteps } from '../../src/core/validate';
import { EvidenceBook } from '../../src/core/validate/evidence';
import { runSteps } from '../../src/core/validate/runner';
import { newRunState } from '../../src/core/validate/state';

/**
 * The steps of a multi-node validation without hosts: the same steps in the same order as on one host; the
 * one-host-only steps say why they do not run; nodes that cannot be reached stop the run before anything is
 * launched, naming each node; a multi-node profile is never validated on its head alone.
 */
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-steps-'));
  dirs.push(d);
  return d;
};

const profile: NamedProfile = {
  name: 'dsv3',
  ...profileSchema.parse({
    multiNode: 'dp', modelPath: '/nowhere', tensorParallelSize: 2, dataParallelSize: 2,
    nodes: [{ host: 'atlas-a', address: '10.0.0.11', nic: 'eth0' }, { host: 'atlas-b', address: '10.0.0.12', nic: 'eth0' }],
  }),
};
const unreachable = (host: string) => Promise.reject(new Error(`ssh: connect to host ${host} port 22: No route to host`));

describe('validation steps of a multi-node profile', () => {
  it('the same steps as on one host, in the same order; quantize and profile say why they do not run', () => {
    const steps = clusterSteps({}, unreachable);
    assert.deepEqual(steps.map((s) => s.id), standardSteps().map((s) => s.id));
    const ctx = {} as Parameters<NonNullable<(typeof steps)[number]['skipReason']>>[0];
    assert.match(steps.find((s) => s.id === 'quantize')!.skipReason!(ctx)!, /^msModelSlim quantizes on one host/);
    assert.match(steps.find((s) => s.id === 'profile')!.skipReason!(ctx)!, /profiling a multi-node server is not supported/);
  });

  it('nodes that cannot be reached: the environment step fails naming each node, nothing is launched', async () => {
    const out = tmp();
    const t = new LocalTransport();
    const state = newRunState(out, new EvidenceBook(out, t.label));
    const control = jobControl();
    await runSteps(clusterSteps({}, unreachable), { transport: t, profile, state, book: state.book, control, jobs: control.on(t), signal: new AbortController().signal, now: () => new Date() });
    const rows = Object.fromEntries([...state.records.values()].map((r) => [r.id, [r.status, r.reason]]));
    assert.equal(rows.env[0], 'fail');
    for (const [i, h] of ['atlas-a', 'atlas-b'].entries()) assert.match(rows.env[1] as string, new RegExp(`^not launched: .*node ${i} \\(${h}\\) could not be checked: ssh: connect to host ${h}`));
    assert.deepEqual(rows.serve, ['not-run', 'not launched on any node: the cluster pre-checks failed']);
    assert.deepEqual(rows.stop, ['not-run', 'no server was started']);
    assert.equal(state.server, null);
    const section = state.cluster!.section;
    assert.deepEqual(section.nodes.map((n) => [n.host, n.role, n.address, n.nic]), [['atlas-a', 'head', '10.0.0.11', 'eth0'], ['atlas-b', 'worker', '10.0.0.12', 'eth0']]);
    assert.deepEqual(section.checks.filter((c) => c.id === 'cluster.reach-node').map((c) => [c.node, c.status]), [['atlas-a', 'fail'], ['atlas-b', 'fail']]);
  });

  it('a multi-node profile is not validated on its head alone', async () => {
    const out = path.join(tmp(), 'never');
    await assert.rejects(runValidation({ transport: new LocalTransport(), profile, outDir: out }), /profile "dsv3" is served over several nodes: validate it with `ascend-adapt validate --profile dsv3`/);
    assert.equal(fs.existsSync(out), false, 'nothing written');
  });
});
