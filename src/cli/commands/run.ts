import { constants } from 'node:os';
import * as l10n from '@vscode/l10n';
import { defineCommand, UsageError } from '../command';
import { opt } from '../options';
import { resolveHosts, type TargetDecl } from '../target';

/** `KEY=VALUE` options → an env record (names checked again by quoteCommand). */
export function envFrom(list: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(l10n.t('--env wants KEY=VALUE, got {0}', JSON.stringify(kv)));
    const k = kv.slice(0, i);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UsageError(l10n.t('invalid environment variable name: {0}', JSON.stringify(k)));
    env[k] = kv.slice(i + 1);
  }
  return env;
}

/** `--env KEY=VALUE`, repeatable: shared by run, jobs start and env-check. */
export const envOption = opt.string({ metavar: 'KEY=VALUE', repeat: true, help: () => l10n.t('environment variable for the command') });

const TARGET: TargetDecl = { sim: 'env' };

/** `ascend-adapt run --host ALIAS -- CMD [ARG...]`: argv run verbatim, output streamed, exit code passed through. */
export const runCommand = defineCommand({
  name: 'run',
  summary: () => l10n.t('run a command on a host (argv verbatim, exit code passed through)'),
  description: () => [
    l10n.t('Every argument reaches the program exactly as given: nothing is interpreted by a shell.'),
    l10n.t('Its output is passed through unchanged (byte for byte), as ssh does.'),
  ],
  target: TARGET,
  argv: true,
  options: {
    env: envOption,
    cwd: opt.string({ metavar: 'DIR', help: () => l10n.t('working directory on the host') }),
    timeout: opt.float({ metavar: 'SECONDS', above: 0, help: () => l10n.t('stop the command after this many seconds') }),
  },
  async run(ctx) {
    const { values, argv, rawIO } = ctx;
    if (argv.length === 0) throw new UsageError(l10n.t('say what to run after --'));
    const env = envFrom(values.env);
    const [target] = resolveHosts(ctx, TARGET);
    const t = await target!.open();
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    try {
      const r = await t.exec(argv, {
        env, cwd: values.cwd, timeoutMs: values.timeout === undefined ? undefined : values.timeout * 1000, signal: ac.signal,
        onStdout: (b) => rawIO.stdout.write(b), onStderr: (b) => rawIO.stderr.write(b),
      });
      if (r.timedOut) ctx.io.stderr.write(l10n.t('timed out after {0} s', String(values.timeout)) + '\n');
      if (r.code !== null) return r.code;
      const n = r.signal ? (constants.signals as Record<string, number>)[r.signal] : undefined;
      return n ? 128 + n : 1;
    } finally {
      process.removeListener('SIGINT', onSig);
      await t.close();
    }
  },
});
