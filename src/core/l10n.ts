import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { packageRoot } from './paths';

/**
 * The one translation path of core, CLI, language server and extension.
 *
 *  - Source strings are English literals: `l10n.t('English {0}', x)` from @vscode/l10n (extracted and
 *    checked by test/unit/l10n.test.ts), or `translator(lang).tr('…')` where a caller renders in a
 *    language it names (reports, both languages from one run).
 *  - One dictionary per language: the zh-CN fragments under l10n/zh-cn/ (merged by scripts/build.mjs into
 *    the bundle VS Code loads for its `zh-cn` display language).
 *  - Data that carries its own translations (knowledge rows) is `Bilingual`, rendered with `pick`.
 *
 * The language a string renders in is the caller's: a face sets its language once at start
 * (`setProcessLanguage`: CLI --lang/LANG, the LSP client's locale, VS Code's display language); a call that
 * must speak another language runs inside `inLanguage(lang, fn)`, which holds for everything `fn` awaits
 * and nothing else running at the same time — there is no global switch mid-run.
 */

/** The languages the product speaks (BCP 47 tags). */
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

/** A language tag we speak, from a --lang value, a locale or LANG (zh, zh-cn, zh_CN.UTF-8 …); else undefined. */
export function parseLang(v: string | undefined): Lang | undefined {
  const s = (v ?? '').trim();
  if (/^zh(?:$|[-_.@])/i.test(s)) return 'zh-CN';
  if (/^(?:en(?:$|[-_.@])|c(?:$|\.)|posix$)/i.test(s)) return 'en';
  return undefined;
}

/** Like parseLang, falling back to English for a language we do not speak. */
export function langOf(v: string | undefined): Lang {
  return parseLang(v) ?? 'en';
}

/** The language the environment asks for (ASCEND_ADAPT_LANG, then the POSIX locale variables). */
export function languageFromEnv(env: NodeJS.ProcessEnv = process.env): Lang {
  return langOf(env.ASCEND_ADAPT_LANG || env.LC_ALL || env.LC_MESSAGES || env.LANG || '');
}

/** Prose kept as data with both languages (knowledge rows, known errors); `zh` is the zh-CN text. */
export const BilingualSchema = z.strictObject({ en: z.string().min(1), zh: z.string().min(1) });
export type Bilingual = z.infer<typeof BilingualSchema>;

/** The text of `b` in `lang` (by default the language of the current call). */
export function pick(b: Bilingual, lang: Lang = currentLanguage()): string {
  return lang === 'zh-CN' ? b.zh : b.en;
}

// ---- dictionaries ----------------------------------------------------------------------------------

const dictionaries = new Map<Lang, Readonly<Record<string, string>>>([['en', {}]]);

/**
 * English → translation for `lang`, loaded once per process on first use: from the l10n/zh-cn/*.json
 * fragments in a source tree (always current while developing), else the merged bundle a VSIX ships.
 */
export function dictionary(lang: Lang): Readonly<Record<string, string>> {
  let d = dictionaries.get(lang);
  if (d) return d;
  d = loadDictionary(lang);
  dictionaries.set(lang, d);
  return d;
}

function loadDictionary(lang: Lang): Record<string, string> {
  const dirName = lang.toLowerCase();
  const root = packageRoot();
  const fragments = path.join(root, 'l10n', dirName);
  const merged: Record<string, string> = {};
  if (fs.existsSync(fragments)) {
    for (const f of fs.readdirSync(fragments).filter((n) => n.endsWith('.json')).sort()) {
      Object.assign(merged, JSON.parse(fs.readFileSync(path.join(fragments, f), 'utf8')) as Record<string, string>);
    }
    return merged;
  }
  const bundle = path.join(root, 'l10n', `bundle.l10n.${dirName}.json`);
  return fs.existsSync(bundle) ? (JSON.parse(fs.readFileSync(bundle, 'utf8')) as Record<string, string>) : merged;
}

function lookup(lang: Lang, key: string): string | undefined {
  if (lang === 'en') return undefined;
  const d = dictionary(lang);
  return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : undefined;
}

// ---- the language of a call -------------------------------------------------------------------------

let processLang: Lang = 'en';
const scope = new AsyncLocalStorage<Lang>();

/**
 * The face's language, set once at start. `contents` is the dictionary when the face already holds it
 * (VS Code hands the extension its bundle), so nothing is read from disk.
 */
export function setProcessLanguage(lang: Lang, contents?: Record<string, string>): void {
  processLang = lang;
  if (contents && lang !== 'en') dictionaries.set(lang, contents);
}

/** The language of the current call: the innermost `inLanguage`, else the face's. */
export function currentLanguage(): Lang {
  return scope.getStore() ?? processLang;
}

/** Runs `fn` (and everything it awaits) with `l10n.t` and `pick` speaking `lang`. */
export function inLanguage<T>(lang: Lang, fn: () => T): T {
  return scope.run(lang, fn);
}

// @vscode/l10n reads `bundle[key]` on every t(): a view of the current call's dictionary makes its t()
// follow the language of the call.
l10n.config({
  contents: new Proxy({} as Record<string, string>, {
    get: (_target, key) => (typeof key === 'string' ? lookup(currentLanguage(), key) : undefined),
  }),
});

// ---- explicit-language rendering ----------------------------------------------------------------------

export function format(message: string, args: ReadonlyArray<string | number>): string {
  return message.replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < args.length ? String(args[Number(n)]) : m));
}

/**
 * English-only formatting for text stored as data (reports keep English, the canonical form, and
 * translate when rendered); its literals are checked like l10n.t's.
 */
export function en(message: string, ...args: Array<string | number>): string {
  return format(message, args);
}

export interface Translator {
  lang: Lang;
  /** A literal UI string: `tr('English {0}', x)`. */
  tr(message: string, ...args: Array<string | number>): string;
  /** Stored English text (a report's titles, reasons …): exact or template match, else unchanged. */
  data(text: string): string;
}

interface Template {
  re: RegExp;
  order: number[];
  to: string;
  /** Characters outside placeholders: the most specific template is tried first. */
  literal: number;
}

const templateCache = new WeakMap<object, Template[]>();

function templatesOf(dict: Readonly<Record<string, string>>): Template[] {
  let t = templateCache.get(dict);
  if (t) return t;
  t = [];
  for (const [k, v] of Object.entries(dict)) {
    if (!/\{\d+\}/.test(k)) continue;
    const order: number[] = [];
    const src = k
      .split(/(\{\d+\})/)
      .map((part) => {
        const m = /^\{(\d+)\}$/.exec(part);
        if (m) {
          order.push(Number(m[1]));
          return '(.+?)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    t.push({ re: new RegExp(`^${src}$`, 's'), order, to: v, literal: k.replace(/\{\d+\}/g, '').length });
  }
  t.sort((a, b) => b.literal - a.literal);
  templateCache.set(dict, t);
  return t;
}

/**
 * Renders in `lang` whatever the caller's language: the stored English "GQA attention (40H/8KV)" finds the
 * entry "GQA attention ({0}H/{1}KV)" and fills the translation with 40, 8; captured pieces are translated
 * too ("{0}; {1}" of two stored sentences), a few levels deep.
 */
export function translator(lang: Lang): Translator {
  if (lang === 'en') return { lang, tr: (m, ...a) => format(m, a), data: (s) => s };
  const dict = dictionary(lang);
  const data = (s: string, depth = 0): string => {
    const exact = lookup(lang, s);
    if (exact !== undefined) return exact;
    if (depth > 3 || s.length > 2000) return s;
    for (const t of templatesOf(dict)) {
      if (t.literal < 2) continue;
      const m = t.re.exec(s);
      if (!m) continue;
      const args: string[] = [];
      t.order.forEach((n, i) => (args[n] = /[A-Za-z]{3}/.test(m[i + 1]) ? data(m[i + 1], depth + 1) : m[i + 1]));
      return format(t.to, args);
    }
    return s;
  };
  return { lang, tr: (m, ...a) => format(lookup(lang, m) ?? m, a), data: (s) => data(s) };
}
