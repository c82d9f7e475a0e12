// Bundles the real-VS-Code suite (test/vscode/suite/index.ts and the tests it imports, plus the core
// modules they use) into out/test/vscode/index.js. `vscode` and mocha stay external: VS Code provides the
// first, the second is resolved from node_modules at run time.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { root } from './code-server.mjs';

export const suiteEntry = path.join(root, 'out', 'test', 'vscode', 'index.js');

export async function buildSuite() {
  await esbuild.build({
    entryPoints: [path.join(root, 'test', 'vscode', 'suite', 'index.ts')],
    outfile: suiteEntry,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
    logLevel: 'warning',
  });
  return suiteEntry;
}
