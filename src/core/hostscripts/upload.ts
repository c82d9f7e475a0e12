import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonDir } from '../paths';
import type { ExecOptions, ExecResult, Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';

/**
 * Host-side scripts (python/) are uploaded once per content hash under ~/.ascend-adapt/scripts/<hash>/ by
 * piping a JSON bundle through `exec` (hardened hosts often disable the SFTP subsystem), and re-uploaded
 * only when they change. The local transport uses the shipped folder in place.
 */

interface Bundle { hash: string; files: Record<string, string> }
let cached: Bundle | undefined;

/** Files under python/ (relative, `/`-separated, sorted), without bytecode caches and dot-files. */
function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => rel.split(path.sep).join('/'))
    .filter((rel) => !rel.split('/').some((part) => part === '__pycache__' || part.startsWith('.')))
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .sort();
}

export function scriptBundle(): Bundle {
  if (cached) return cached;
  const dir = pythonDir();
  const h = createHash('sha256');
  const files: Record<string, string> = {};
  for (const rel of listFiles(dir)) {
    const data = fs.readFileSync(path.join(dir, rel));
    h.update(rel).update('\0').update(data).update('\0');
    files[rel] = data.toString('base64');
  }
  cached = { hash: h.digest('hex').slice(0, 16), files };
  return cached;
}

// Runs on the host with python3 -c: writes every file to a temp dir, then renames it into place, so a
// half-finished upload is never mistaken for a complete one.
const UNPACK = [
  'import sys,os,json,base64,tempfile,shutil',
  'b=json.load(sys.stdin)',
  'base=os.path.join(os.path.expanduser("~"),".ascend-adapt","scripts")',
  'dst=os.path.join(base,b["hash"])',
  'os.makedirs(base,exist_ok=True)',
  'tmp=tempfile.mkdtemp(dir=base,prefix=".up-")',
  'for rel,data in b["files"].items():',
  ' p=os.path.join(tmp,*rel.split("/"))',
  ' os.makedirs(os.path.dirname(p),exist_ok=True)',
  ' open(p,"wb").write(base64.b64decode(data))',
  ' os.chmod(p,0o755 if rel.endswith(".py") else 0o644)',
  'try:',
  ' os.rename(tmp,dst)',
  'except OSError:',
  ' shutil.rmtree(tmp,ignore_errors=True)',
  'print(dst)',
].join('\n');

const CHECK = 'import os,sys;d=os.path.join(os.path.expanduser("~"),".ascend-adapt","scripts",sys.argv[1]);print(d if os.path.isdir(d) else "")';

/** Where the host-side scripts are on this transport's host; uploads them when missing. */
export async function ensureScripts(transport: Transport, python = 'python3'): Promise<string> {
  if (transport.kind === 'local') return pythonDir();
  const b = scriptBundle();
  const check = await transport.exec([python, '-c', CHECK, b.hash], { timeoutMs: 30_000 });
  if (check.code !== 0) {
    throw new TransportError(`${python} is not usable on ${transport.label}: ${check.stderr.toString().trim() || `exit ${check.code}`}`, 'NO_PYTHON');
  }
  const existing = check.stdout.toString().trim();
  if (existing) return existing;
  const up = await transport.exec([python, '-c', UNPACK], { stdin: JSON.stringify(b), timeoutMs: 60_000 });
  if (up.code !== 0) throw new TransportError(`uploading host scripts to ${transport.label} failed: ${up.stderr.toString().trim()}`);
  return up.stdout.toString().trim();
}

/** Exit code of RUN when the scripts of this hash are not on the host (no script of ours exits with it). */
const NOT_UPLOADED = 98;

// Runs python/<rel> from ~/.ascend-adapt/scripts/<hash>/ as __main__ with the remaining argv, or exits
// NOT_UPLOADED before reading stdin when that folder is missing (a fresh host, or someone cleaned it).
const RUN = [
  'import os,sys,runpy',
  'p=os.path.join(os.path.expanduser("~"),".ascend-adapt","scripts",sys.argv[1],*sys.argv[2].split("/"))',
  `os.path.isfile(p) or sys.exit(${NOT_UPLOADED})`,
  'sys.argv=[p]+sys.argv[3:]',
  'sys.path[0]=os.path.dirname(p)',
  'runpy.run_path(p,run_name="__main__")',
].join('\n');

/**
 * Runs the host script python/<rel> with args. Over ssh the common case is one exec (the scripts are found
 * by content hash); only when they are missing are they uploaded and the script run again.
 */
export async function execHostScript(transport: Transport, python: string, rel: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  if (transport.kind === 'local') return transport.exec([python, path.join(pythonDir(), rel), ...args], opts);
  const hash = scriptBundle().hash;
  const first = await transport.exec([python, '-c', RUN, hash, rel, ...args], opts);
  if (first.code !== NOT_UPLOADED || first.stdout.length > 0) return first;
  await ensureScripts(transport, python);
  return transport.exec([python, '-c', RUN, hash, rel, ...args], opts);
}
