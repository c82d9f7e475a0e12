import type { CliCommand } from '../command';
import { hostsCommand } from './hosts';
import { runCommand } from './run';
import { jobsCommand } from './jobs';
import { lintCommand } from './lint';
import { envCheckCommand } from './envcheck';
import { simCommand } from './sim';
import { serveCommand } from './serve';
import { smokeCommand } from './smoke';
import { reportCommand } from './report';
import { validateCommand } from './validate';
import { accuracyCommand } from './accuracy';
import { perfCommand } from './perf';
import { quantizeCommand } from './quantize';
import { profileCommand } from './profile';

/**
 * Every subcommand, in --help order. Only commands whose feature works are listed (no dead commands).
 * Each lives in its own module next to this file.
 */
export const commands: CliCommand[] = [
  hostsCommand,
  runCommand,
  jobsCommand,
  lintCommand,
  envCheckCommand,
  simCommand,
  quantizeCommand,
  serveCommand,
  smokeCommand,
  accuracyCommand,
  perfCommand,
  profileCommand,
  validateCommand,
  reportCommand,
];
