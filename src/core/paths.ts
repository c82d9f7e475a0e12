import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/**
 * The package root (where package.json and python/ live). Found by walking up from this module, so it
 * works from src/ under tsx, from dist/ in the bundles, and from an installed VSIX alike.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'python'))) return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`ascend-adapt: package root not found above ${__dirname}`);
    dir = up;
  }
}

/** Host-side scripts shipped with the product (stdlib-only Python). */
export function pythonDir(): string {
  return path.join(packageRoot(), 'python');
}
