// Bundles the three faces with esbuild and assembles the zh-CN l10n bundle from per-area fragments.
//   dist/extension.js  VS Code extension (vscode external)
//   dist/server.js     language server (stdio)
//   dist/cli.js        ascend-adapt CLI
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');

/** l10n/zh-cn/*.json (one per area, so parallel work never edits one file) → l10n/bundle.l10n.zh-cn.json */
export function buildL10n() {
  const dir = path.join(root, 'l10n', 'zh-cn');
  const merged = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const part = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const [k, v] of Object.entries(part)) {
      if (k in merged && merged[k] !== v) throw new Error(`l10n: "${k}" translated differently in ${f}`);
      merged[k] = v;
    }
  }
  fs.writeFileSync(path.join(root, 'l10n', 'bundle.l10n.zh-cn.json'), JSON.stringify(merged, null, 2) + '\n');
  return merged;
}

const pkgVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

const common = {
  define: { PACKAGE_VERSION: JSON.stringify(pkgVersion) },
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // ssh2's optional native helpers: pure-JS fallbacks are used when absent.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};

async function main() {
  buildL10n();
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(root, 'src/extension/extension.ts')], outfile: path.join(root, 'dist/extension.js') }),
    esbuild.build({ ...common, entryPoints: [path.join(root, 'src/server/server.ts')], outfile: path.join(root, 'dist/server.js') }),
    esbuild.build({ ...common, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: path.join(root, 'dist/cli.js') }),
  ]);
  // web-tree-sitter loads its runtime wasm and the grammar at run time, Oniguruma (the log grammar in log
  // terminals) its wasm: ship them beside the bundles.
  for (const [from, to] of [
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm'],
    ['node_modules/tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'],
    ['node_modules/vscode-oniguruma/release/onig.wasm', 'dist/onig.wasm'],
  ]) {
    fs.copyFileSync(path.join(root, from), path.join(root, to));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
