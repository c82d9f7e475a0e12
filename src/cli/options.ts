import * as l10n from '@vscode/l10n';
import { UsageError } from './command';

/**
 * Option declarations: one object per option says its type, range, default, whether it repeats and its
 * help text. The parser, the checks and `--help` all read the same declaration, so they cannot drift.
 */
export type Help = () => string;

interface Base {
  /** One line for --help (a thunk: translated when help is shown, in the chosen language). */
  help: Help;
  /** Placeholder in --help, e.g. FILE, N. */
  metavar?: string;
  /** One-letter alias, e.g. 'f' for -f. */
  short?: string;
}
export interface FlagDecl extends Base {
  kind: 'flag';
}
export interface StringDecl extends Base {
  kind: 'string';
  repeat?: boolean;
  default?: string;
  choices?: readonly string[];
}
export interface NumberDecl extends Base {
  kind: 'int' | 'float';
  repeat?: boolean;
  default?: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive lower bound (a rate or a ratio above 0). */
  above?: number;
  /** `inf` accepted (→ Infinity). */
  inf?: boolean;
}
/** Comma-separated whole numbers, e.g. `--concurrency 1,8,32`; `inf` → Infinity where declared. */
export interface IntListDecl extends Base {
  kind: 'int-list';
  min?: number;
  max?: number;
  inf?: boolean;
}
export type OptionDecl = FlagDecl | StringDecl | NumberDecl | IntListDecl;
export type OptionDecls = Record<string, OptionDecl>;

type Spec<D> = Omit<D, 'kind'>;
/** Builders keep the literal types (repeat: true, choices) so `Values<…>` knows each value's type. */
export const opt = {
  flag: (help: Help, short?: string): FlagDecl => ({ kind: 'flag', help, ...(short ? { short } : {}) }),
  string: <const S extends Spec<StringDecl>>(s: S) => ({ kind: 'string' as const, ...s }),
  int: <const S extends Spec<NumberDecl>>(s: S) => ({ kind: 'int' as const, ...s }),
  float: <const S extends Spec<NumberDecl>>(s: S) => ({ kind: 'float' as const, ...s }),
  intList: <const S extends Spec<IntListDecl>>(s: S) => ({ kind: 'int-list' as const, ...s }),
};

type One<D> = D extends { kind: 'flag' }
  ? boolean
  : D extends { kind: 'int' | 'float' }
    ? number
    : D extends { kind: 'int-list' }
      ? number[]
      : D extends { choices: readonly (infer C)[] }
        ? C
        : string;
export type Values<O extends OptionDecls> = {
  [K in keyof O]: O[K] extends { kind: 'flag' }
    ? boolean
    : O[K] extends { repeat: true }
      ? Array<One<O[K]>>
      : O[K] extends { default: unknown }
        ? One<O[K]>
        : One<O[K]> | undefined;
};

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INF = /^\+?inf(?:inity)?$/i;

/** What a number option wants, in words (used by the error message and by --help). */
export function describeNumber(d: NumberDecl | IntListDecl): string {
  const int = d.kind !== 'float';
  const lo = d.min;
  const hi = d.max;
  const above = d.kind === 'float' ? d.above : undefined;
  let s: string;
  if (int) {
    if (lo !== undefined && hi !== undefined) s = l10n.t('a whole number from {0} to {1}', lo, hi);
    else if (lo !== undefined) s = l10n.t('a whole number of {0} or more', lo);
    else if (hi !== undefined) s = l10n.t('a whole number up to {0}', hi);
    else s = l10n.t('a whole number');
  } else if (above !== undefined) s = hi !== undefined ? l10n.t('a number above {0} and up to {1}', above, hi) : l10n.t('a number above {0}', above);
  else if (lo !== undefined && hi !== undefined) s = l10n.t('a number from {0} to {1}', lo, hi);
  else if (lo !== undefined) s = l10n.t('a number of {0} or more', lo);
  else s = l10n.t('a number');
  return d.inf ? l10n.t('{0} or inf', s) : s;
}

/**
 * The one number parser of the CLI. Decimal digits only: no hex (`0x10`), no exponent (`1e9`), no
 * empty string or whitespace (all of which `Number()` accepts); `inf` only where declared.
 */
export function parseNumber(text: string, d: NumberDecl | IntListDecl, flag: string): number {
  const bad = () => new UsageError(l10n.t('{0} wants {1}, got {2}', flag, describeNumber(d), JSON.stringify(text)));
  let n: number;
  if (d.inf && INF.test(text)) n = Infinity;
  else if (d.kind === 'float' ? FLOAT.test(text) : INT.test(text)) n = Number(text);
  else throw bad();
  if (d.kind !== 'float' && Number.isFinite(n) && !Number.isSafeInteger(n)) throw bad();
  if (d.min !== undefined && n < d.min) throw bad();
  if (d.max !== undefined && n > d.max && n !== Infinity) throw bad();
  if (d.kind === 'float' && d.above !== undefined && !(n > d.above)) throw bad();
  return n;
}

/** "a, b or c" for choices. */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return l10n.t('{0} or {1}', items.slice(0, -1).join(', '), items[items.length - 1]!);
}

export function convert(d: OptionDecl, raw: string, flag: string): unknown {
  switch (d.kind) {
    case 'flag':
      return true;
    case 'string':
      if (d.choices && !d.choices.includes(raw)) throw new UsageError(l10n.t('{0} must be {1}, got {2}', flag, orList(d.choices), JSON.stringify(raw)));
      return raw;
    case 'int':
    case 'float':
      return parseNumber(raw, d, flag);
    case 'int-list': {
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.some((p) => p === '')) throw new UsageError(l10n.t('{0} wants {1} separated by commas, got {2}', flag, describeNumber(d), JSON.stringify(raw)));
      return parts.map((p) => parseNumber(p, d, flag));
    }
  }
}

/** The default a declaration gives when the option is absent (flags: false; repeatable: []). */
export function defaultOf(d: OptionDecl): unknown {
  if (d.kind === 'flag') return false;
  if ('repeat' in d && d.repeat) return [];
  return 'default' in d ? d.default : undefined;
}

export interface Parsed {
  values: Record<string, unknown>;
  positionals: string[];
  /** Everything after `--`, verbatim (never read as options). */
  rest: string[] | undefined;
}

function takesValue(d: OptionDecl): boolean {
  return d.kind !== 'flag';
}

/**
 * argv → values. `--name value`, `--name=value`, `-f`; a value may not start with `--` (say
 * `--name=--x` to mean it); a repeated single-value option keeps the last one; `--` ends the options.
 */
export function parseTokens(tokens: readonly string[], decls: OptionDecls): Parsed {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(decls).filter(([, d]) => d.short).map(([k, d]) => [d.short!, k]));
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '--') return finish(decls, values, positionals, tokens.slice(i + 1));
    let name: string | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      inline = eq < 0 ? undefined : tok.slice(eq + 1);
    } else if (tok.length > 1 && tok.startsWith('-') && !/^-[\d.]/.test(tok)) name = byShort.get(tok.slice(1)) ?? tok;
    else {
      positionals.push(tok);
      continue;
    }
    const d = decls[name];
    const flag = name.startsWith('-') ? name : `--${name}`;
    if (!d) throw new UsageError(l10n.t('unknown option {0}', tok.split('=')[0]!));
    let raw: string;
    if (!takesValue(d)) {
      if (inline !== undefined) throw new UsageError(l10n.t('{0} takes no value', flag));
      raw = '';
    } else if (inline !== undefined) raw = inline;
    else {
      const next = tokens[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(l10n.t('{0} needs a value', flag));
      raw = next;
      i++;
    }
    const v = convert(d, raw, flag);
    if ('repeat' in d && d.repeat) values[name] = [...((values[name] as unknown[] | undefined) ?? []), v];
    else values[name] = v;
  }
  return finish(decls, values, positionals, undefined);
}

function finish(decls: OptionDecls, values: Record<string, unknown>, positionals: string[], rest: string[] | undefined): Parsed {
  for (const [k, d] of Object.entries(decls)) if (!(k in values)) values[k] = defaultOf(d);
  return { values, positionals, rest };
}
