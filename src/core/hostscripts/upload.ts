import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonDir } from '../paths';
import type { Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';

/**
 * Host-side scripts (python/) are uploaded once per content hash under ~/.ascend-adapt/scripts/<hash>/ by
 * piping a JSON bundle through `exec` (hardened hosts often disable the SFTP subsystem), and re-uploaded
 * only when they change. The local transport uses the shipped folder in place.
 */

interface Bundle { hash: string; files: Record<string, string> }
let cached: Bundle | undefined;

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name === '__pycache__' || e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
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
