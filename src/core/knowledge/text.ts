import { z } from 'zod';
import { currentLanguage } from '../l10n';

/**
 * Prose that lives in knowledge rows (an op's purpose, a constraint, a replacement note) is data, not a
 * source literal, so each row carries both languages itself; `say` picks the one in use.
 */
export const Bilingual = z.object({ en: z.string().min(1), zh: z.string().min(1) });
export type Bilingual = z.infer<typeof Bilingual>;

export function say(text: Bilingual): string {
  return currentLanguage() === 'zh-cn' ? text.zh : text.en;
}

/** Sources are cited as text; `href` is a URL a diagnostic's codeDescription can open. */
export const Sourced = z.object({ source: z.string().min(3), href: z.url() });

const VA = 'https://github.com/vllm-project/vllm-ascend/blob/182b75ea';
export const vaUrl = (p: string) => `${VA}/${p}`;
export const vllmUrl = (p: string) => `https://github.com/vllm-project/vllm/blob/main/${p}`;
