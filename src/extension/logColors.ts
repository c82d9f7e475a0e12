import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IGrammar, StateStack } from 'vscode-textmate';
import { visible } from '../cli/terminal';
import { packageRoot } from '../core/paths';

/**
 * Colours for a serve log shown in a terminal. A terminal has no grammar, so the log grammar that highlights
 * a log opened as a document (syntaxes/vllm-log.tmLanguage.json) is run here by the engine VS Code runs it
 * with (vscode-textmate + Oniguruma), and each token's scopes become an ANSI colour. Loaded on the first log
 * terminal, never at activation. No vscode import.
 */

/** Scope words → SGR codes; the innermost scope that has one colours the token. */
const STYLES: Array<[RegExp, string]> = [
  [/\bsimulated\b/, '1;33'],
  [/log\.error|exception|traceback/, '1;31'],
  [/log\.warning/, '33'],
  [/log\.info/, '32'],
  [/log\.debug/, '34'],
  [/error-code/, '35'],
  [/\bcomment\b/, '2'],
  [/underline\.link/, '4'],
  [/entity\.name|string\.quoted/, '36'],
];

export function styleOf(scopes: readonly string[]): string | undefined {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const hit = STYLES.find(([re]) => re.test(scopes[i]));
    if (hit) return hit[1];
  }
  return undefined;
}

/** Where the shipped files are: the wasm beside the bundles (dist/), else in node_modules (tests from source). */
function onigWasm(root: string): Buffer {
  const shipped = path.join(root, 'dist', 'onig.wasm');
  return fs.readFileSync(fs.existsSync(shipped) ? shipped : path.join(root, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
}

let loading: Promise<IGrammar> | undefined;

/** The log grammar, loaded once. */
export function logGrammar(): Promise<IGrammar> {
  loading ??= (async () => {
    const [onig, tm] = await Promise.all([import('vscode-oniguruma'), import('vscode-textmate')]);
    const root = packageRoot();
    const wasm = onigWasm(root);
    await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const file = path.join(root, 'syntaxes', 'vllm-log.tmLanguage.json');
    const registry = new tm.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new onig.OnigScanner(s), createOnigString: (s: string) => new onig.OnigString(s) }),
      loadGrammar: async (scope: string) => (scope === 'source.ascend-log' ? tm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null),
    });
    const g = await registry.loadGrammar('source.ascend-log');
    if (!g) throw new Error(`log grammar not loaded from ${file}`);
    return g;
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

/** One line (no newline) with ANSI colours; the text itself is unchanged. */
export function colorLine(grammar: IGrammar, line: string, state: StateStack | null): { text: string; state: StateStack } {
  const r = grammar.tokenizeLine(line, state);
  let out = '';
  for (const t of r.tokens) {
    const piece = line.slice(t.startIndex, Math.min(t.endIndex, line.length));
    const s = styleOf(t.scopes);
    out += s && piece ? `\x1b[${s}m${piece}\x1b[0m` : piece;
  }
  return { text: out, state: r.ruleStack };
}

/**
 * A log stream's text → coloured terminal text: whole lines are coloured; the unfinished end of a chunk is
 * shown at once, uncoloured (a progress line need not wait for its newline), and so is the rest of that line.
 */
export function lineColorizer(grammar: IGrammar): (text: string) => string {
  let midLine = false;
  let state: StateStack | null = null;
  return (text) => {
    const parts = text.split('\n');
    const out = parts.map((p, i) => {
      // The host's text never drives the terminal: its control bytes are shown as \uXXXX (as the CLI does);
      // a line's CR before its newline is dropped (the terminal gets CRLF anyway).
      const shown = visible(p.replace(/\r$/, ''));
      const last = i === parts.length - 1;
      if ((i === 0 && midLine) || (last && p !== '') || shown === '') return shown;
      const c = colorLine(grammar, shown, state);
      state = c.state;
      return c.text;
    });
    midLine = parts[parts.length - 1] !== '';
    return out.join('\n');
  };
}
