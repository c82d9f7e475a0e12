import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { runCli, type CliRun } from '../harness/cli';

function cli(...argv: string[]): Promise<CliRun> {
  return runCli(argv, { env: { LANG: 'C' } });
}

describe('CLI frame', () => {
  it('prints help on stdout with exit 0, lists every registered command', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: ascend-adapt <command>/);
    const { commands } = await import('../../src/cli/commands/index');
    for (const c of commands) assert.ok(r.out.includes(`  ${c.name}`), `help lists ${c.name}`);
  });

  it('prints the package version', async () => {
    const r = await cli('--version');
    assert.equal(r.code, 0);
    assert.match(r.out.trim(), /^\d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with exit 2 on stderr', async () => {
    const r = await cli('no-such-command');
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /unknown command: no-such-command/);
  });

  it('speaks Chinese with --lang zh-CN', async () => {
    const r = await cli('--lang', 'zh-CN', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /用法：ascend-adapt/);
  });

  it('gives every command a usage text', async () => {
    const { commands } = await import('../../src/cli/commands/index');
    for (const c of commands) {
      const r = await cli(c.name, '--help');
      assert.equal(r.code, 0, c.name);
      assert.ok(r.out.trim().length > 0, `${c.name} has usage`);
    }
  });
});
