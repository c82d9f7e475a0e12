import { constants } from 'node:os';
import * as l10n from '@vscode/l10n';
import { parse } from '../args';
import { hostOptions, UsageError, type CliCommand, type CliIO } from '../command';
import { targetsFrom } from '../target';

/** `KEY=VALUE` options → an env record (names checked again by quoteCommand). */
export function envFrom(list: string[] | undefined): Record<string, string> {
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

/** `ascend-adapt run --host ALIAS -- CMD [ARG...]`: argv run verbatim, output streamed, exit code passed through. */
export const runCommand: CliCommand = {
  name: 'run',
  summary: () => l10n.t('run a command on a host (argv verbatim, exit code passed through)'),
  usage: () => [
    l10n.t('Usage: ascend-adapt run (--host ALIAS | --local) [--env KEY=VALUE]... [--cwd DIR] [--timeout SECONDS] -- CMD [ARG...]'),
    '',
    l10n.t('Every argument reaches the program exactly as given: nothing is interpreted by a shell.'),
    l10n.t('Options: --ssh-config FILE, --known-hosts FILE, --accept-new (trust an unknown host key and add it).'),
  ].join('\n'),
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...hostOptions,
      env: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      timeout: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError(l10n.t('say what to run after --'));
    const env = envFrom(values.env);
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!Number.isFinite(s) || s <= 0) throw new UsageError(l10n.t('--timeout wants a number of seconds'));
      timeoutMs = s * 1000;
    }
    const [target] = targetsFrom(values);
    const t = await target.open();
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    try {
      const r = await t.exec(positionals, {
        env, cwd: values.cwd, timeoutMs, signal: ac.signal,
        onStdout: (b) => io.stdout.write(b), onStderr: (b) => io.stderr.write(b),
      });
      if (r.timedOut) io.stderr.write(l10n.t('timed out after {0} s', String(values.timeout)) + '\n');
      if (r.code !== null) return r.code;
      const n = r.signal ? (constants.signals as Record<string, number>)[r.signal] : undefined;
      return n ? 128 + n : 1;
    } finally {
      process.removeListener('SIGINT', onSig);
      await t.close();
    }
  },
};
