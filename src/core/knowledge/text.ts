import { z } from 'zod';
import { BilingualSchema, pick, type Bilingual as BilingualText } from '../l10n';

/**
 * Prose that lives in knowledge rows (an op's purpose, a constraint, a replacement note) is data, not a
 * source literal, so each row carries both languages itself (the core's one Bilingual type); `say` picks
 * the one of the current call.
 */
export const Bilingual = BilingualSchema;
export type Bilingual = BilingualText;
export const say = (text: Bilingual): string => pick(text);

/** Sources are cited as text; `href` is a URL a diagnostic's codeDescription can open. */
export const Sourced = z.object({ source: z.string().min(3), href: z.url() });

const VA = 'https://github.com/vllm-project/vllm-ascend/blob/182b75ea';
export const vaUrl = (p: string) => `${VA}/${p}`;
export const vllmUrl = (p: string) => `https://github.com/vllm-project/vllm/blob/main/${p}`;
