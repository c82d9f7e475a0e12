import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { accuracyOptions, checkRef, hostRef, jobRef, parseArgs, perfOptions, reportFormat, reportRef, simCreateOptions, snapshotTarget, uri } from '../../src/extension/args';
import { ArgumentError, describeValue, errorDetail } from '../../src/extension/errors';

// Command arguments are parsed with zod in one place: rows of the views (by shape, whatever their class),
// ids, URIs and option objects; a bad argument is an ArgumentError naming the command, the position, what
// was expected and what came — never a crash deeper in a handler.

/** Shaped like a vscode.Uri (args.ts recognises URIs by shape; the real class is checked in VS Code). */
class FakeUri {
  readonly scheme = 'file';
  constructor(readonly fsPath: string) {}
  with(): FakeUri {
    return this;
  }
  toString(): string {
    return `file://${this.fsPath}`;
  }
}

class HostNode {
  constructor(readonly host: { id: string; name: string }) {}
  item(): unknown {
    return {};
  }
}

function expectArgError(fn: () => unknown, ...parts: RegExp[]): ArgumentError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ArgumentError, `expected ArgumentError, got ${String(e)}`);
    for (const p of parts) assert.match(e.message, p);
    return e;
  }
  assert.fail('expected an ArgumentError');
}

describe('command arguments', () => {
  it('a host: an id, a Hosts view row, an Environment row, { hostId }, or nothing', () => {
    const schemas = [hostRef.optional()] as const;
    assert.deepEqual(parseArgs('ascend.hosts.connect', schemas, ['ssh:atlas']), ['ssh:atlas']);
    assert.deepEqual(parseArgs('ascend.hosts.connect', schemas, [new HostNode({ id: 'sim', name: 'Simulated' })]), ['sim']);
    assert.deepEqual(parseArgs('ascend.env.rerun', schemas, [{ result: { hostId: 'local', report: {} } }]), ['local']);
    assert.deepEqual(parseArgs('ascend.hosts.connect', schemas, [{ hostId: 'ssh:b' }]), ['ssh:b']);
    assert.deepEqual(parseArgs('ascend.hosts.connect', schemas, []), [undefined]);
    // VS Code adds the tree's multi-selection after the row: ignored.
    assert.deepEqual(parseArgs('ascend.hosts.connect', schemas, ['sim', [{ x: 1 }]]), ['sim']);
  });

  it('a bad argument names the command, the position, what was expected and what came', () => {
    expectArgError(() => parseArgs('ascend.hosts.connect', [hostRef.optional()], [{ bogus: 1 }]), /^ascend\.hosts\.connect: argument 1 is not valid: expected a host id/, /got object \{"bogus":1\}/);
    expectArgError(() => parseArgs('ascend.hosts.connect', [hostRef.optional()], [42]), /got number 42/);
    expectArgError(() => parseArgs('ascend.hosts.select', [hostRef.optional()], ['  ']), /argument 1/);
    expectArgError(() => parseArgs('ascend.jobs.stop', [jobRef.optional()], [{ job: { record: {} } }]), /expected a job id or a Jobs view row/);
    expectArgError(() => parseArgs('ascend.reports.export', [reportRef.optional(), reportFormat.optional()], [new FakeUri('/r.json'), 'pdf']), /argument 2 is not valid: expected "md" or "html"/, /got string "pdf"/);
  });

  it('a job: an id, a Jobs view row or { jobId }', () => {
    assert.deepEqual(parseArgs('ascend.jobs.stop', [jobRef], ['j-1']), ['j-1']);
    assert.deepEqual(parseArgs('ascend.jobs.stop', [jobRef], [{ job: { record: { jobId: 'j-2', state: 'ready' } } }]), ['j-2']);
    assert.deepEqual(parseArgs('ascend.jobs.stop', [jobRef], [{ jobId: 'j-3' }]), ['j-3']);
    expectArgError(() => parseArgs('ascend.jobs.stop', [jobRef], [undefined]), /argument 1/, /got undefined/);
  });

  it('a URI by shape; a report row gives its URI; plain look-alikes without methods are refused', () => {
    const u = new FakeUri('/w/validation_report_20261204.json');
    assert.equal(parseArgs('ascend.lint.checkFile', [uri.optional()], [u])[0], u);
    assert.equal(parseArgs('ascend.reports.open', [reportRef.optional()], [{ entry: { uri: u, loaded: {} } }])[0], u);
    expectArgError(() => parseArgs('ascend.lint.checkFile', [uri.optional()], [{ scheme: 'file', fsPath: '/x' }]), /expected a file URI/);
    expectArgError(() => parseArgs('ascend.lint.checkFile', [uri.optional()], ['/etc/passwd']), /expected a file URI/);
  });

  it('an environment check row gives its fix and source', () => {
    const [c] = parseArgs('ascend.env.copyFix', [checkRef], [{ result: { hostId: 'sim' }, check: { id: 'cann', title: 'CANN', fix: 'source set_env.sh', status: 'fail' } }]);
    assert.deepEqual(c, { title: 'CANN', fix: 'source set_env.sh' });
    expectArgError(() => parseArgs('ascend.env.copyFix', [checkRef], [undefined]), /expected a check row/);
  });

  it('snapshot targets: a host row, { hostId, uri }, or { uri }', () => {
    const u = new FakeUri('/tmp/s.json');
    assert.deepEqual(parseArgs('ascend.env.saveSnapshot', [snapshotTarget.optional()], [{ uri: u }])[0], { hostId: undefined, uri: u });
    assert.deepEqual(parseArgs('ascend.env.saveSnapshot', [snapshotTarget.optional()], [{ result: { hostId: 'sim' } }])[0], { hostId: 'sim', uri: undefined });
    assert.deepEqual(parseArgs('ascend.env.saveSnapshot', [snapshotTarget.optional()], [{ hostId: 'sim', uri: u }])[0], { hostId: 'sim', uri: u });
  });

  it('option objects are strict: a misspelt option is an error, not silently ignored', () => {
    assert.deepEqual(parseArgs('ascend.sim.create', [simCreateOptions.optional()], [{ dir: '/tmp/s', devices: 8 }]), [{ dir: '/tmp/s', devices: 8 }]);
    expectArgError(() => parseArgs('ascend.sim.create', [simCreateOptions.optional()], [{ directory: '/tmp/s' }]), /directory/);
    expectArgError(() => parseArgs('ascend.sim.create', [simCreateOptions.optional()], [{ devices: 0 }]), /\(devices\)/);
    expectArgError(() => parseArgs('ascend.perf.run', [jobRef.optional(), perfOptions.optional()], ['j', { concurrency: [] }]), /argument 2/, /\(concurrency\)/);
    assert.deepEqual(parseArgs('ascend.accuracy.run', [jobRef.optional(), accuracyOptions.optional()], [undefined, { tasks: ['gsm8k'], limit: 5 }]), [undefined, { tasks: ['gsm8k'], limit: 5 }]);
  });

  it('describes values and errors for the log', () => {
    assert.equal(describeValue(undefined), 'undefined');
    assert.equal(describeValue(new HostNode({ id: 'a', name: 'b' })), 'HostNode {"host":{"id":"a","name":"b"}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeValue(cyclic), 'object (circular)');
    const e = new Error('outer', { cause: new Error('inner') });
    assert.match(errorDetail(e), /Error: outer[\s\S]*caused by: Error: inner/);
  });
});
