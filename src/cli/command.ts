import type { Help, OptionDecls, Values } from './options';
import type { TargetDecl, TargetValues } from './target';

/** Something the CLI writes text to (a process stream, or a capture in tests). */
export interface Out {
  write(chunk: string | Uint8Array): unknown;
}

/** Where a command writes: machine output (--json) to stdout, messages to stderr. */
export interface CliIO {
  stdout: Out;
  stderr: Out;
  /** Current working directory (for relative paths). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Thrown for bad usage / bad input: main prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command accepts, before or after the command word. */
export interface GlobalValues {
  'ssh-config'?: string;
  'known-hosts'?: string;
  'accept-new': boolean;
}

export interface RunContext<O extends OptionDecls> {
  /** The command's own options, typed from its declarations (defaults applied). */
  values: Values<O>;
  /** --host/--local/--sim/--profile/--config/--endpoint as given (see target.ts to resolve them). */
  where: TargetValues;
  globals: GlobalValues;
  positionals: string[];
  /** For commands that run a program: everything after `--`, verbatim (plus positionals before it). */
  argv: string[];
  /** Text streams: control bytes from hosts and files are made visible (see terminal.ts). */
  io: CliIO;
  /** The unfiltered streams, for output that must stay byte-exact (run, jobs logs --raw). */
  rawIO: CliIO;
  /** "jobs logs", "env-check": the words that name this command. */
  words: string[];
  /** `ascend-adapt jobs logs --sim DIR ID`: a copyable command line (shell-quoted) for a hint. */
  hint(words: string[], args: string[]): string;
}

export interface CommandSpec<O extends OptionDecls> {
  name: string;
  summary: Help;
  /** Paragraphs under the usage line in --help. */
  description?: () => string[];
  /** Extra synopsis (flags and placeholders, not translated) between the target and [options]. */
  synopsis?: string;
  /** Positional arguments: their placeholder in --help and how many. */
  positionals?: { usage: string; min?: number; max?: number };
  /** Takes arguments after `--`, verbatim (run, jobs start): true, or their placeholder in --help. */
  argv?: true | string;
  /** Which of --host/--local/--sim/--profile/--endpoint the command takes. */
  target?: TargetDecl;
  options: O;
  /** Exit-code line of --help (default: the general one). */
  exitCodes?: Help;
  run(ctx: RunContext<O>): Promise<number>;
}

/** A leaf command with its options erased (what the dispatcher handles). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LeafCommand = CommandSpec<any> & { subcommands?: undefined };

export interface GroupCommand {
  name: string;
  summary: Help;
  description?: () => string[];
  subcommands: LeafCommand[];
  /**
   * What the group word does on its own (`profile --profile NAME` beside `profile summarize DIR`): run when the
   * next word is not a subcommand; its --help is the group's.
   */
  default?: LeafCommand;
}

export type CliCommand = LeafCommand | GroupCommand;

/** Declares a command: options once (type, range, default, help), run gets typed values. */
export function defineCommand<const O extends OptionDecls>(spec: CommandSpec<O>): LeafCommand {
  return spec as LeafCommand;
}

/** A command word with subcommands (`jobs start|list|logs|stop`). */
export function defineGroup(group: GroupCommand): GroupCommand {
  return group;
}
