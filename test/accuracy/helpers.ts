import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliRun } from '../harness/cli';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const ACC_FIX = path.join(ROOT, 'test', 'fixtures', 'accuracy');
export const PERF_FIX = path.join(ROOT, 'test', 'fixtures', 'perf');

/** An interpreter every user can run (for the sshd harness's throwaway user too). */
export function python(): string {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (fs.existsSync(p)) return p;
  return 'python3';
}

export interface SimServer {
  url: string;
  port: number;
  statsFile: string;
  stop(): Promise<void>;
  records(): Array<Record<string, unknown>>;
}

/** python/sim/openai_server.py as its own process on 127.0.0.1 (a free port), true timings in a stats file. */
export async function startSimServer(args: string[] = []): Promise<SimServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-simsrv-'));
  const portFile = path.join(dir, 'port');
  const statsFile = path.join(dir, 'stats.jsonl');
  const child: ChildProcess = spawn(python(), [path.join(ROOT, 'python', 'sim', 'openai_server.py'), '--port', '0', '--port-file', portFile,
    '--no-access-log', '--stats-file', statsFile, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  for (let i = 0; i < 400 && !fs.existsSync(portFile); i++) {
    if (child.exitCode !== null) throw new Error(`simulated server exited: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    statsFile,
    records: () => (fs.existsSync(statsFile) ? fs.readFileSync(statsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []),
    stop: async () => {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The CLI in-process (src/cli/main.ts), output captured. */
export async function cli(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return runCli(argv, opts);
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
