import type { ParseArgsConfig } from 'node:util';

/** Where a command writes: machine output (--json) to stdout, messages to stderr. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Current working directory (for relative paths). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** First word(s) on the command line, e.g. "env-check", "jobs". */
  name: string;
  /** One line for --help (already translated with l10n.t at call time). */
  summary(): string;
  /** Usage lines for `ascend-adapt NAME --help`. */
  usage(): string;
  /** Returns the exit code: 0 ok, 1 a check failed, 2 bad usage or bad input. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Thrown for bad usage / bad input: main prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every subcommand that reaches hosts accepts (issue "SSH host layer"). */
export const hostOptions = {
  host: { type: 'string', multiple: true },
  local: { type: 'boolean' },
  'ssh-config': { type: 'string' },
  'known-hosts': { type: 'string' },
  'accept-new': { type: 'boolean' },
} as const satisfies OptionSpec;
