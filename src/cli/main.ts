import * as l10n from '@vscode/l10n';
import { inLanguage, languageFromEnv, parseLang } from '../core/l10n';
import { quoteArgv } from '../core/transport/quote';
import { packageVersion } from '../core/version';
import { UsageError, type CliCommand, type CliIO, type GlobalValues, type LeafCommand, type RunContext } from './command';
import { commands } from './commands/index';
import { GLOBAL_OPTIONS, groupHelp, leafHelp, leafOptions, mainHelp } from './help';
import { convert, orList, parseTokens, type OptionDecls } from './options';
import type { TargetValues } from './target';
import { VisibleOut } from './terminal';

const TARGET_KEYS = ['host', 'local', 'sim', 'profile', 'config', 'endpoint'] as const;

/** The last `--lang X` / `--lang=X` before `--` (read first, so even usage errors speak it). */
function langFlag(tokens: readonly string[]): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < tokens.length && tokens[i] !== '--'; i++) {
    if (tokens[i] === '--lang') v = tokens[i + 1] ?? '';
    else if (tokens[i]!.startsWith('--lang=')) v = tokens[i]!.slice(7);
  }
  return v;
}

interface Words {
  /** Global options given before the command word. */
  before: Record<string, unknown>;
  command?: CliCommand;
  word?: string;
  rest: string[];
}

/** Global options, then the command word; options of a command go after its name. */
function splitCommand(tokens: readonly string[]): Words {
  const before: Record<string, unknown> = {};
  const globals = GLOBAL_OPTIONS as OptionDecls;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '--version' || tok === '-V') before.version = true;
    else if (tok.startsWith('-') && tok !== '-' && tok !== '--') {
      const name = tok === '-h' ? 'help' : tok.replace(/^--/, '').split('=')[0]!;
      const d = globals[name];
      if (!d) throw new UsageError(l10n.t('unknown option {0} (options of a command go after its name)', tok.split('=')[0]!));
      const inline = tok.includes('=') ? tok.slice(tok.indexOf('=') + 1) : undefined;
      const raw = d.kind === 'flag' ? '' : inline ?? tokens[++i];
      if (raw === undefined) throw new UsageError(l10n.t('{0} needs a value', `--${name}`));
      before[name] = convert(d, raw, `--${name}`);
    } else {
      return { before, command: commands.find((c) => c.name === tok), word: tok, rest: tokens.slice(i + 1) };
    }
  }
  return { before, rest: [] };
}

function positionalsChecked(c: LeafCommand, positionals: string[]): void {
  const p = c.positionals;
  if (!p && !c.argv && positionals.length) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[0]!));
  if (!p) return;
  if (positionals.length < (p.min ?? 0)) throw new UsageError(l10n.t('missing {0}', p.usage));
  if (p.max !== undefined && positionals.length > p.max) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[p.max]!));
}

function hasHelp(tokens: readonly string[]): boolean {
  const end = tokens.indexOf('--');
  return tokens.slice(0, end < 0 ? undefined : end).some((t) => t === '--help' || t === '-h');
}

/** The parsed command line → what a command's run() gets. */
function contextFor(words: string[], c: LeafCommand, tokens: string[], before: Record<string, unknown>, io: CliIO) {
  const parsed = parseTokens(tokens, leafOptions(c));
  const all = { ...parsed.values, ...Object.fromEntries(Object.entries(before).filter(([, v]) => v !== undefined && v !== false)) };
  const argv = c.argv ? [...parsed.positionals, ...(parsed.rest ?? [])] : [];
  const positionals = c.argv ? [] : [...parsed.positionals, ...(parsed.rest ?? [])];
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const where = { ...Object.fromEntries(TARGET_KEYS.map((k) => [k, all[k]])), host: list(all.host), sim: list(all.sim), local: all.local === true } as TargetValues;
  const globals: GlobalValues = { 'ssh-config': all['ssh-config'] as string | undefined, 'known-hosts': all['known-hosts'] as string | undefined, 'accept-new': all['accept-new'] === true };
  const ctx: RunContext<OptionDecls> = {
    values: all as RunContext<OptionDecls>['values'],
    where, globals, positionals, argv, words,
    io: { ...io, stdout: new VisibleOut(io.stdout), stderr: new VisibleOut(io.stderr) },
    rawIO: io,
    hint: (w, args) => `ascend-adapt ${quoteArgv([...w, ...args])}`,
  };
  return { ctx, help: all.help === true };
}

/** Parses a leaf's tokens against its declarations and runs it (help when --help is among them). */
async function runLeaf(words: string[], c: LeafCommand, tokens: string[], before: Record<string, unknown>, io: CliIO): Promise<number> {
  const err = new VisibleOut(io.stderr);
  let ctx: RunContext<OptionDecls> | undefined;
  try {
    let help: boolean;
    try {
      ({ ctx, help } = contextFor(words, c, tokens, before, io));
    } catch (e) {
      if (!hasHelp(tokens)) throw e;
      help = true;
    }
    if (help || before.help) {
      io.stdout.write(leafHelp(words, c));
      return 0;
    }
    positionalsChecked(c, ctx!.positionals);
    return await c.run(ctx!);
  } catch (e) {
    err.write(`ascend-adapt ${words.join(' ')}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!(e instanceof UsageError) && io.env.ASCEND_ADAPT_DEBUG) err.write(`${(e as Error).stack}\n`);
    return 2;
  } finally {
    (ctx?.io.stdout as VisibleOut | undefined)?.flush();
    (ctx?.io.stderr as VisibleOut | undefined)?.flush();
    err.flush();
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const { before, command, word, rest } = splitCommand(argv);
  if (before.version) {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (word === undefined || word === 'help') {
    const target = word === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    if (target) return dispatch([target.name, '--help'], io);
    (before.help || word === 'help' ? io.stdout : io.stderr).write(mainHelp(commands));
    return before.help || word === 'help' ? 0 : 2;
  }
  if (!command) {
    io.stderr.write(l10n.t('unknown command: {0}', word) + '\n\n' + mainHelp(commands));
    return 2;
  }
  if (!command.subcommands) return runLeaf([command.name], command, rest, before, io);
  const sub = command.subcommands.find((s) => s.name === rest[0]);
  if (!sub && command.default) {
    if (before.help || hasHelp(rest)) {
      io.stdout.write(groupHelp(command));
      return 0;
    }
    return runLeaf([command.name], command.default, rest, before, io);
  }
  if (!sub) {
    if (before.help || rest[0] === '--help' || rest[0] === '-h') {
      io.stdout.write(groupHelp(command));
      return 0;
    }
    const names = orList(command.subcommands.map((s) => s.name));
    throw new UsageError(rest[0] === undefined ? l10n.t('say what to do: {0}', names) : l10n.t('unknown {0} subcommand: {1} (one of {2})', command.name, rest[0], names));
  }
  return runLeaf([command.name, sub.name], sub, rest.slice(1), before, io);
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const flag = langFlag(argv);
  const known = flag === undefined ? undefined : parseLang(flag);
  // The whole command speaks one language (a --lang we do not have: English, with a warning); other runs
  // in the same process (tests) keep theirs.
  return inLanguage(flag === undefined ? languageFromEnv(io.env) : (known ?? 'en'), async () => {
    if (flag !== undefined && !known) io.stderr.write(l10n.t('ascend-adapt: language {0} is not available (en, zh-CN); using English', JSON.stringify(flag)) + '\n');
    try {
      return await dispatch(argv, io);
    } catch (e) {
      // Usage errors found before a command runs (unknown option, bad number, missing value).
      io.stderr.write(`ascend-adapt: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!(e instanceof UsageError) && io.env.ASCEND_ADAPT_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
      return 2;
    }
  });
}

/** Process entry: bin/ascend-adapt.js calls this, as does `node dist/cli.js`. */
export function cliEntry(): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`ascend-adapt: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) cliEntry();
