import * as l10n from '@vscode/l10n';
import { DetachedJobs, type JobRecord } from '../jobs/detached';
import { SIM_WRAPPER } from '../serving/command';
import type { Transport } from '../transport/transport';

/**
 * Small host-side file operations for evaluation jobs (accuracy, perf), through `python3 -c` so they work
 * the same over local and ssh transports (no sftp, no shell). Paths may start with `~/`.
 */

const MKDIR = 'import os,sys;p=os.path.abspath(os.path.expanduser(sys.argv[1]));os.makedirs(p,exist_ok=True);print(p)';
const PUT = 'import os,sys;p=os.path.expanduser(sys.argv[1]);d=os.path.dirname(p);os.makedirs(d or ".",exist_ok=True);open(p,"wb").write(sys.stdin.buffer.read())';
const GET = [
  'import os,sys',
  'p=os.path.expanduser(sys.argv[1])',
  'if not os.path.exists(p):',
  ' sys.exit(3)',
  'sys.stdout.buffer.write(open(p,"rb").read()[:int(sys.argv[2])])',
].join('\n');

export class HostIoError extends Error {
  constructor(message: string, readonly code: 'missing' | 'host') {
    super(message);
    this.name = 'HostIoError';
  }
}

const resolved = new WeakMap<Transport, Promise<string>>();

/**
 * The host's python3 as an absolute path (asked once per transport). Version-manager shims (pyenv …) can take
 * seconds per start on a busy machine; the jobs start python many times, so they use the real interpreter.
 * Falls back to "python3" when it cannot be asked.
 */
export function hostPython(t: Transport): Promise<string> {
  let p = resolved.get(t);
  if (!p) {
    p = t.exec(['python3', '-c', 'import sys;print(sys.executable or "")'], { timeoutMs: 60_000 }).then(
      (r) => {
        const exe = r.stdout.toString().trim();
        return r.code === 0 && exe.startsWith('/') ? exe : 'python3';
      },
      () => 'python3',
    );
    resolved.set(t, p);
  }
  return p;
}

/** Creates the folder on the host (with parents) and returns its absolute path there. */
export async function hostMkdir(t: Transport, dir: string, python = 'python3'): Promise<string> {
  const r = await t.exec([python, '-c', MKDIR, dir], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new HostIoError(l10n.t('cannot create {0} on {1}: {2}', dir, t.label, r.stderr.toString().trim()), 'host');
  return r.stdout.toString().trim();
}

export async function hostWriteFile(t: Transport, file: string, data: string | Buffer, python = 'python3'): Promise<void> {
  const r = await t.exec([python, '-c', PUT, file], { stdin: data, timeoutMs: 60_000 });
  if (r.code !== 0) throw new HostIoError(l10n.t('cannot write {0} on {1}: {2}', file, t.label, r.stderr.toString().trim()), 'host');
}

export async function hostReadFile(t: Transport, file: string, maxBytes = 256 << 20, python = 'python3'): Promise<Buffer> {
  const r = await t.exec([python, '-c', GET, file, String(maxBytes)], { timeoutMs: 120_000 });
  if (r.code === 3) throw new HostIoError(l10n.t('{0} does not exist on {1}', file, t.label), 'missing');
  if (r.code !== 0) throw new HostIoError(l10n.t('cannot read {0} on {1}: {2}', file, t.label, r.stderr.toString().trim()), 'host');
  return r.stdout;
}

/** argv run through a simulated host's env.sh (its toolchain on PATH, marked simulated) when simRoot is set. */
export function withSimEnv(simRoot: string | undefined, argv: string[]): string[] {
  return simRoot ? ['sh', '-c', SIM_WRAPPER, 'ascend-adapt-sim', simRoot, ...argv] : argv;
}

/** A new run folder name: UTC stamp + kind + random suffix. */
export function runFolderName(kind: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${kind}-${Math.random().toString(16).slice(2, 8)}`;
}

/** Progress-line reader: splits a byte stream into lines (keeping a partial tail). */
export class LineSplitter {
  private tail = '';
  push(chunk: Buffer | string, onLine: (line: string) => void): void {
    const text = this.tail + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.tail = parts.pop() ?? '';
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  }
  flush(onLine: (line: string) => void): void {
    if (this.tail) onLine(this.tail);
    this.tail = '';
  }
}

export interface JobRunEvidence {
  jobId: string;
  host: string;
  startedAt: string;
  endedAt: string | null;
  command: string[];
  logFile: string;
  exitCode: number | null;
  state: JobRecord['state'];
}

/**
 * Starts argv as a detached job, streams its log to `onLine` until it ends (or `signal` aborts: then the
 * job is stopped — TERM to its group — and the wait continues until it is gone), and returns its record.
 */
export async function runJobToEnd(
  t: Transport,
  spec: { argv: string[]; env?: Record<string, string>; name: string },
  opts: { jobs?: DetachedJobs; onLine?: (line: string) => void; onStart?: (job: JobRecord) => void; signal?: AbortSignal } = {},
): Promise<{ job: JobRecord; evidence: JobRunEvidence }> {
  const jobs = opts.jobs ?? new DetachedJobs(t);
  const started = await jobs.start({ argv: spec.argv, env: spec.env, name: spec.name });
  opts.onStart?.(started);
  const split = new LineSplitter();
  const onLine = opts.onLine ?? (() => undefined);
  const follow = new AbortController();
  let stopping: Promise<unknown> | null = null;
  const onAbort = () => {
    stopping ??= jobs.stop(started.id, { graceMs: 15_000 }).catch(() => undefined);
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await jobs.followLog(started.id, 0, (chunk) => split.push(chunk, onLine), { signal: follow.signal });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  split.flush(onLine);
  if (stopping) await stopping;
  const job = await jobs.get(started.id);
  return {
    job,
    evidence: {
      jobId: job.id, host: t.label, startedAt: job.startedAt, endedAt: job.endedAt ?? null, command: job.argv,
      logFile: job.logPath, exitCode: job.exitCode, state: job.state,
    },
  };
}
