import type { CliCommand } from '../command';

/**
 * Every subcommand, in --help order. Only commands whose feature works are listed (no dead commands).
 * Each lives in its own module next to this file.
 */
export const commands: CliCommand[] = [];
