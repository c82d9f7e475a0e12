import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './paths';

declare const PACKAGE_VERSION: string | undefined;

/** The product version: injected by esbuild into the bundles, read from package.json under tsx. */
export function packageVersion(): string {
  if (typeof PACKAGE_VERSION === 'string') return PACKAGE_VERSION;
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
