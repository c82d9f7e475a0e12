import zhReport from '../../../l10n/zh-cn/report.json';

/**
 * Reports are rendered in a language chosen per call (a zh-CN Markdown from an English CLI session, both
 * panes of a comparison …), so the renderers do not use the process-wide @vscode/l10n bundle. They call
 * `tr("English text", …)` with a literal first argument, translated through l10n/zh-cn/report.json
 * (test/report/l10n.test.ts checks every literal has a translation with the same placeholders).
 *
 * Text stored in a report (check titles, adaptation items, reasons) is English — the canonical form — and
 * is translated at render time by `data()`, which also matches templates: the stored
 * "GQA attention (40H/8KV)" finds the entry "GQA attention ({0}H/{1}KV)" and fills the Chinese with 40, 8.
 */
export type ReportLang = 'en' | 'zh-CN';

export function normalizeReportLang(v: string | undefined): ReportLang {
  return v && /^zh/i.test(v) ? 'zh-CN' : 'en';
}

export interface Translator {
  lang: ReportLang;
  /** A literal UI string of the report renderers. */
  tr(message: string, ...args: Array<string | number>): string;
  /** A string stored in a report (English): exact or template match, else unchanged. */
  data(text: string): string;
}

export function format(message: string, args: Array<string | number>): string {
  return message.replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < args.length ? String(args[Number(n)]) : m));
}

/** English-only formatting, for text the pipeline stores in a report (translated when rendered). */
export function en(message: string, ...args: Array<string | number>): string {
  return format(message, args);
}

interface Template {
  re: RegExp;
  order: number[];
  zh: string;
  /** Characters outside placeholders: the most specific template is tried first. */
  literal: number;
}

const templateCache = new WeakMap<Record<string, string>, Template[]>();

function templatesOf(dict: Record<string, string>): Template[] {
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
    t.push({ re: new RegExp(`^${src}$`, 's'), order, zh: v, literal: k.replace(/\{\d+\}/g, '').length });
  }
  t.sort((a, b) => b.literal - a.literal);
  templateCache.set(dict, t);
  return t;
}

const own = zhReport as Record<string, string>;

/**
 * @param extra more English → Chinese entries (the faces pass the merged l10n bundle so strings other
 *   areas put in a report — check titles, fixes — are translated too).
 */
export function translator(lang: ReportLang, extra?: Record<string, string>): Translator {
  if (lang === 'en') return { lang, tr: (m, ...a) => format(m, a), data: (s) => s };
  const dicts = extra ? [own, extra] : [own];
  const lookup = (s: string): string | undefined => {
    for (const d of dicts) if (Object.prototype.hasOwnProperty.call(d, s)) return d[s];
    return undefined;
  };
  // Captured pieces are translated too ("{0}; {1}" of two stored sentences), a few levels deep.
  const data = (s: string, depth = 0): string => {
    const exact = lookup(s);
    if (exact !== undefined) return exact;
    if (depth > 3 || s.length > 2000) return s;
    for (const d of dicts) {
      for (const t of templatesOf(d)) {
        if (t.literal < 2) continue;
        const m = t.re.exec(s);
        if (!m) continue;
        const args: string[] = [];
        t.order.forEach((n, i) => (args[n] = /[A-Za-z]{3}/.test(m[i + 1]) ? data(m[i + 1], depth + 1) : m[i + 1]));
        return format(t.zh, args);
      }
    }
    return s;
  };
  return { lang, tr: (m, ...a) => format(lookup(m) ?? m, a), data: (s) => data(s) };
}
