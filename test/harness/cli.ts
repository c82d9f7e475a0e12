import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process (src/cli/main.ts) with stdout and stderr captured. */
export async function runCli(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(argv, { stdout, stderr, cwd: opts.cwd ?? process.cwd(), env: opts.env ?? process.env });
  return { code, out, err };
}

export interface InterruptedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether the condition was met and SIGINT sent (false: the run ended before it). */
  sent: boolean;
}

/**
 * Runs the CLI as a real process (as a person at a terminal would) and sends it a real SIGINT once its stderr
 * matches `when` — a condition on its progress, never a timer.
 */
export async function interruptCli(argv: string[], when: RegExp): Promise<InterruptedRun> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...argv], {
    cwd: root,
    env: { ...process.env, LANG: 'en_US.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (!sent && when.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr, sent };
}
