import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { packageRoot } from './paths';

/**
 * Core, CLI and server strings go through @vscode/l10n's `l10n.t('English text')` (a literal first
 * argument, so the strings can be extracted and checked). The extension points @vscode/l10n at VS Code's
 * chosen bundle; the CLI and server call `useLanguage` with --lang / LANG / the client's locale.
 */
export type Lang = 'en' | 'zh-cn';

export function languageFromEnv(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.ASCEND_ADAPT_LANG ?? env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG ?? '';
  return normalizeLang(v);
}

export function normalizeLang(v: string): Lang {
  return /^zh/i.test(v) ? 'zh-cn' : 'en';
}

let current: Lang = 'en';

export function useLanguage(lang: Lang): void {
  current = lang;
  if (lang === 'en') {
    l10n.config({ contents: {} });
    return;
  }
  const file = path.join(packageRoot(), 'l10n', `bundle.l10n.${lang}.json`);
  const contents = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  l10n.config({ contents });
}

export function currentLanguage(): Lang {
  return current;
}
