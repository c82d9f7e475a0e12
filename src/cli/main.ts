import * as l10n from '@vscode/l10n';
import { inLanguage, langOf, languageFromEnv } from '../core/l10n';
import { packageVersion } from '../core/version';
import { UsageError, type CliIO } from './command';
import { commands } from './commands/index';


function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = [
    l10n.t('ascend-adapt — validate LLM ports to Huawei Ascend NPUs (vLLM-Ascend)'),
    '',
    l10n.t('Usage: ascend-adapt <command> [options]'),
    '',
    l10n.t('Commands:'),
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary()}`),
    '',
    l10n.t('Global options:'),
    `  --help              ${l10n.t('show help (also after a command)')}`,
    `  --version           ${l10n.t('print the version')}`,
    `  --lang en|zh-CN     ${l10n.t('language of messages (default: from LANG)')}`,
    '',
    l10n.t('Exit codes: 0 ok, 1 a check failed, 2 bad usage or bad input.'),
  ];
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const args = [...argv];
  let lang = languageFromEnv(io.env);
  const li = args.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  if (li >= 0) {
    const value = args[li].includes('=') ? args[li].split('=')[1] : args[li + 1];
    args.splice(li, args[li].includes('=') ? 1 : 2);
    lang = langOf(value ?? '');
  }
  // The whole command speaks `lang`; other runs in the same process (tests) keep theirs.
  return inLanguage(lang, () => dispatch(args, io));
}

async function dispatch(args: string[], io: CliIO): Promise<number> {
  const first = args[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) {
    io.stderr.write(l10n.t('unknown command: {0}', first) + '\n\n' + help());
    return 2;
  }
  const rest = args.slice(1);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage().trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`ascend-adapt ${cmd.name}: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`ascend-adapt ${cmd.name}: ${(e as Error).message ?? String(e)}\n`);
    if (io.env.ASCEND_ADAPT_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return 2;
  }
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
