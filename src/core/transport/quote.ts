/**
 * POSIX shell quoting: the single function every remote command goes through.
 * Single quotes make everything literal; an embedded ' becomes '\'' . Safe words are left bare so
 * logs stay readable. Works for any byte sequence (newlines, $(), backticks, globs, unicode, leading -).
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(arg: string): string {
  if (arg.length > 0 && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argv');
  return argv.map(quoteArg).join(' ');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `[cd DIR &&] exec [env -- K=V …] argv` as one line for a POSIX shell. Env names are validated,
 * values quoted; `exec` replaces the shell so signals reach the program itself.
 */
export function quoteCommand(argv: readonly string[], env?: Record<string, string>, cwd?: string): string {
  const assignments = Object.entries(env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
    return quoteArg(`${k}=${v}`);
  });
  const envPart = assignments.length > 0 ? `env ${assignments.join(' ')} ` : '';
  const run = `exec ${envPart}${quoteArgv(argv)}`;
  return cwd !== undefined ? `cd ${quoteArg(cwd)} && ${run}` : run;
}
