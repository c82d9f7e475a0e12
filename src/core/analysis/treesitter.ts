import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Language, Parser } from 'web-tree-sitter';
// `require` (not `import`) so esbuild bundles the package's CommonJS build: its ESM build needs
// import.meta.url, which a CommonJS bundle does not have.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import WebTreeSitter = require('web-tree-sitter');

/**
 * One place that loads web-tree-sitter and the Python grammar. The bundles (dist/*.js) find
 * `tree-sitter.wasm` and `tree-sitter-python.wasm` beside themselves (scripts/build.mjs copies them);
 * under tsx (tests, bench) they come from node_modules.
 */
const FILES = {
  runtime: ['tree-sitter.wasm', 'node_modules/web-tree-sitter/tree-sitter.wasm'],
  python: ['tree-sitter-python.wasm', 'node_modules/tree-sitter-python/tree-sitter-python.wasm'],
};

function locate(candidates: string[]): string {
  const tried: string[] = [];
  let dir = __dirname;
  for (;;) {
    for (const c of candidates) {
      for (const p of [path.join(dir, c), path.join(dir, 'dist', c)]) {
        tried.push(p);
        if (fs.existsSync(p)) return p;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`tree-sitter: ${candidates[0]} not found (looked in ${tried.slice(0, 6).join(', ')} …)`);
}

let loading: Promise<Language> | undefined;

/** Initialises the runtime once and returns the Python language. */
export function pythonLanguage(): Promise<Language> {
  if (!loading) {
    loading = (async () => {
      const runtime = locate(FILES.runtime);
      await WebTreeSitter.Parser.init({ locateFile: () => runtime, wasmBinary: fs.readFileSync(runtime) } as unknown as Parameters<typeof WebTreeSitter.Parser.init>[0]);
      return WebTreeSitter.Language.load(fs.readFileSync(locate(FILES.python)));
    })();
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** A parser for Python (one per document store / CLI run; parsers are not shared across concurrent parses). */
export async function pythonParser(): Promise<Parser> {
  const lang = await pythonLanguage();
  const p = new WebTreeSitter.Parser();
  p.setLanguage(lang);
  return p;
}

/** Feeds a JS string to the parser in 4 KiB slices (avoids copying the whole remainder at each read). */
export function input(text: string): (index: number) => string {
  return (index) => text.slice(index, index + 4096);
}
