import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every .ts file under `dir` (absolute paths, sorted). */
export function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => rel.endsWith('.ts'))
    .map((rel) => path.join(dir, rel))
    .sort();
}

/** `chown -R` without following symlinks (a throwaway SSH user must own what it works in). */
export function chownR(p: string, uid: number, gid: number): void {
  fs.lchownSync(p, uid, gid);
  if (!fs.lstatSync(p).isDirectory()) return;
  for (const rel of fs.readdirSync(p, { recursive: true, encoding: 'utf8' })) fs.lchownSync(path.join(p, rel), uid, gid);
}
