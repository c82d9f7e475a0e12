import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

describe('CLI frame: one declaration per option', () => {
  it('numbers are parsed strictly: no hex, no exponent, no blanks; ranges name the flag (exit 2)', async () => {
    const { parseNumber, opt } = await import('../../src/cli/options');
    const devices = opt.int({ min: 1, max: 64, help: () => '' });
    assert.equal(parseNumber('8', devices, '--devices'), 8);
    for (const bad of ['0x10', '1e1', '', ' 8', '8.0', '0', '65', 'Infinity', 'inf', '9007199254740993']) {
      assert.throws(() => parseNumber(bad, devices, '--devices'), /--devices wants a whole number from 1 to 64/, bad);
    }
    const rate = opt.float({ above: 0, inf: true, help: () => '' });
    assert.equal(parseNumber('0.5', rate, '--request-rate'), 0.5);
    assert.equal(parseNumber('.5', rate, '--request-rate'), 0.5);
    assert.equal(parseNumber('inf', rate, '--request-rate'), Infinity);
    for (const bad of ['0', '-1', '1e9', '0x1', 'nan', '1,5']) assert.throws(() => parseNumber(bad, rate, '--request-rate'), /--request-rate wants a number above 0 or inf/, bad);
    const ratio = opt.float({ above: 0, help: () => '' });
    assert.throws(() => parseNumber('inf', ratio, '--min-ratio'), /--min-ratio/);
    const r = await cli('sim', 'create', '/nonexistent-never-made', '--devices', '0x10');
    assert.equal(r.code, 2);
    assert.match(r.err, /--devices wants a whole number from 1 to 64, got "0x10"/);
    assert.equal((await cli('perf', '--endpoint', 'http://127.0.0.1:9', '--num-prompts', '1e9')).code, 2);
    assert.match((await cli('perf', '--endpoint', 'http://127.0.0.1:9', '--concurrency', '1,,8')).err, /--concurrency wants/);
  });

  it('lists: comma-separated whole numbers with inf where declared', async () => {
    const { parseTokens, opt } = await import('../../src/cli/options');
    const decls = { concurrency: opt.intList({ min: 1, inf: true, help: () => '' }), tag: opt.string({ repeat: true, help: () => '' }) };
    const p = parseTokens(['--concurrency', '1,8,inf', '--tag', 'a', '--tag=b'], decls);
    assert.deepEqual(p.values.concurrency, [1, 8, Infinity]);
    assert.deepEqual(p.values.tag, ['a', 'b']);
    assert.throws(() => parseTokens(['--concurrency', '0,8'], decls), /--concurrency/);
    assert.throws(() => parseTokens(['--tag'], decls), /--tag needs a value/);
    assert.throws(() => parseTokens(['--tag', '--concurrency'], decls), /--tag needs a value/);
    assert.throws(() => parseTokens(['--nope'], decls), /unknown option --nope/);
  });

  it('global options are accepted before or after the command word', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-cli-'));
    try {
      const cfg = path.join(dir, 'ssh_config');
      fs.writeFileSync(cfg, 'Host atlas\n  HostName 10.0.0.7\n  User root\n');
      for (const argv of [['--ssh-config', cfg, 'hosts', '--json'], ['hosts', '--json', '--ssh-config', cfg], ['hosts', `--ssh-config=${cfg}`, '--json', '--lang', 'zh-CN']]) {
        const r = await cli(...argv);
        assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
        assert.deepEqual(JSON.parse(r.out).hosts.map((h: { alias: string }) => h.alias), ['atlas'], argv.join(' '));
      }
      fs.writeFileSync(path.join(dir, 'empty'), '');
      const zh = await cli('hosts', '--ssh-config', path.join(dir, 'empty'), '--lang', 'zh-CN');
      assert.match(zh.err, /[\u4e00-\u9fff]/, 'a --lang after the command word is honoured too');
      const misplaced = await cli('--json', 'hosts');
      assert.equal(misplaced.code, 2);
      assert.match(misplaced.err, /unknown option --json \(options of a command go after its name\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('everything after -- is the program\'s argv, verbatim (even --help and --lang)', async () => {
    const r = await cli('run', '--local', '--', 'printf', '%s|', '--help', '-h', '--lang', 'fr', '--');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '--help|-h|--lang|fr|--|');
    assert.equal(r.err, '');
    const help = await cli('run', '--help');
    assert.match(help.out, /Usage: ascend-adapt run \(--host ALIAS \| --local \| --sim DIR\) \[options\] -- CMD/);
  });

  it('--help of every command is generated from its declarations: each option, its range and default', async () => {
    const { commands } = await import('../../src/cli/commands/index');
    const { leafOptions } = await import('../../src/cli/help');
    const { describeNumber } = await import('../../src/cli/options');
    for (const c of commands) {
      const leaves = c.subcommands ? [...c.subcommands.map((s) => [[c.name, s.name], s] as const), ...(c.default ? [[[c.name], c.default] as const] : [])] : [[[c.name], c] as const];
      for (const [words, leaf] of leaves) {
        const r = await cli(...words, '--help');
        assert.equal(r.code, 0, words.join(' '));
        assert.match(r.out, new RegExp(`^Usage: ascend-adapt ${words.join(' ')} `), words.join(' '));
        for (const [name, d] of Object.entries(leafOptions(leaf))) {
          if (name === 'help' || name === 'lang') continue;
          assert.ok(r.out.includes(`--${name}`), `${words.join(' ')} --help shows --${name}`);
          if (d.kind === 'int' || d.kind === 'float' || d.kind === 'int-list') assert.ok(r.out.includes(describeNumber(d)), `${words.join(' ')} --${name} range`);
          if ('default' in d && d.default !== undefined) assert.ok(r.out.includes(`default ${d.default}`), `${words.join(' ')} --${name} default`);
        }
      }
    }
    const zh = await cli('--lang', 'zh-CN', 'sim', 'create', '--help');
    assert.match(zh.out, /1 到 64 之间的整数/);
  });

  it('--lang with a language we do not have warns and falls back to English', async () => {
    const r = await cli('--lang', 'fr', '--help');
    assert.equal(r.code, 0);
    assert.match(r.err, /language "fr" is not available \(en, zh-CN\); using English/);
    assert.match(r.out, /Usage: ascend-adapt <command>/);
    for (const ok of ['en', 'zh-CN', 'zh_CN.UTF-8', 'zh']) assert.equal((await cli('--lang', ok, '--help')).err, '', ok);
  });

  it('one table printer: columns line up in terminal cells with Chinese text', async () => {
    const { formatTable } = await import('../../src/cli/table');
    const stringWidth = (await import('string-width')).default;
    const text = formatTable([['名称', '状态', '说明'], ['atlas-01', '通过', 'ok'], ['主机', 'failed', '显存不足']]);
    const lines = text.trimEnd().split('\n');
    const colStart = (line: string, cell: string) => stringWidth(line.slice(0, line.indexOf(cell)));
    assert.equal(colStart(lines[0]!, '状态'), colStart(lines[1]!, '通过'));
    assert.equal(colStart(lines[1]!, '通过'), colStart(lines[2]!, 'failed'));
    assert.equal(colStart(lines[0]!, '说明'), colStart(lines[2]!, '显存不足'));
    assert.ok(lines.every((l) => l === l.trimEnd()), 'no trailing spaces');
  });
});

describe('terminal output never echoes control bytes', () => {
  it('C0 (but newline and tab), DEL, C1, a lone CR and bidi overrides are shown as \\uXXXX', async () => {
    const { visible, VisibleOut } = await import('../../src/cli/terminal');
    assert.equal(visible('a\u001b[2Jb\u0007\tc\r\nd\re\u009b31m\u202eX\u007f'), 'a\\u001b[2Jb\\u0007\tc\r\nd\\u000de\\u009b31m\\u202eX\\u007f');
    assert.equal(visible('中文 ok\n'), '中文 ok\n');
    // JSON stays the same JSON value: the escape is JSON's own.
    const json = JSON.stringify({ s: 'x\u009by\u202e' });
    assert.deepEqual(JSON.parse(visible(json)), JSON.parse(json));
    let got = '';
    const out = new VisibleOut({ write: (c: string | Uint8Array) => (got += String(c)) });
    const bytes = Buffer.from('昇腾\u001b]0;owned\u0007', 'utf8');
    for (const b of bytes) out.write(Buffer.from([b])); // split inside every multi-byte character
    out.flush();
    assert.equal(got, '昇腾\\u001b]0;owned\\u0007');
  });
});
