import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import type { Transport } from '../transport/transport';
import { newJobId } from './detached';

/**
 * Files on a host, through small `python3 -c` programs so they work the same over the local and ssh
 * transports (no sftp, which hardened hosts often disable; no shell). Paths may start with `~/`.
 *
 *   await hostMkdir(t, '~/.ascend-adapt/runs/x')           // → absolute path on the host
 *   await hostWriteFile(t, file, text)                      // upload
 *   await hostReadFile(t, file, { offset, maxBytes })       // read back, from a byte offset
 *   await copyFromHost(t, hostFile, localFile)              // a host file onto this machine
 */

const MKDIR = 'import os,sys;p=os.path.abspath(os.path.expanduser(sys.argv[1]));os.makedirs(p,exist_ok=True);print(p)';
const PUT = 'import os,sys;p=os.path.expanduser(sys.argv[1]);d=os.path.dirname(p);os.makedirs(d or ".",exist_ok=True);open(p,"wb").write(sys.stdin.buffer.read())';
const MISSING = 3;
const GET = [
  'import os,sys',
  'p=os.path.expanduser(sys.argv[1])',
  'if not os.path.isfile(p):',
  ` sys.exit(${MISSING})`,
  'f=open(p,"rb")',
  'f.seek(int(sys.argv[2]))',
  'sys.stdout.buffer.write(f.read(int(sys.argv[3])))',
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

/** Writes (uploads) a file on the host, creating its folder. */
export async function hostWriteFile(t: Transport, file: string, data: string | Buffer, python = 'python3'): Promise<void> {
  const r = await t.exec([python, '-c', PUT, file], { stdin: data, timeoutMs: 60_000 });
  if (r.code !== 0) throw new HostIoError(l10n.t('cannot write {0} on {1}: {2}', file, t.label, r.stderr.toString().trim()), 'host');
}

export interface ReadOptions {
  /** Byte to start at (default 0): a file that only grows is read on from where the last read stopped. */
  offset?: number;
  /** Most bytes returned (default 256 MiB). */
  maxBytes?: number;
  python?: string;
}

/** Up to maxBytes of a host file from a byte offset. HostIoError 'missing' when it does not exist. */
export async function hostReadFile(t: Transport, file: string, opts: ReadOptions = {}): Promise<Buffer> {
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new HostIoError(l10n.t('invalid log offset: {0}', String(offset)), 'host');
  const r = await t.exec([opts.python ?? 'python3', '-c', GET, file, String(offset), String(opts.maxBytes ?? 256 << 20)], { timeoutMs: 120_000 });
  if (r.code === MISSING) throw new HostIoError(l10n.t('{0} does not exist on {1}', file, t.label), 'missing');
  if (r.code !== 0) throw new HostIoError(l10n.t('cannot read {0} on {1}: {2}', file, t.label, r.stderr.toString().trim()), 'host');
  return r.stdout;
}

/** Copies a host file to `localFile` on this machine (creating its folder); returns the bytes copied. */
export async function copyFromHost(t: Transport, hostFile: string, localFile: string, opts: Omit<ReadOptions, 'offset'> = {}): Promise<number> {
  const data = await hostReadFile(t, hostFile, opts);
  fs.mkdirSync(path.dirname(localFile), { recursive: true });
  fs.writeFileSync(localFile, data);
  return data.length;
}

/** A new run folder name: UTC stamp + kind + random suffix (the same shape as a job id). */
export function runFolderName(kind: string, now = new Date()): string {
  return newJobId(kind, now);
}
