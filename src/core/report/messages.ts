import { z } from 'zod';

/**
 * Messages a report webview posts to the extension. Anything from a webview is untrusted input: the
 * extension parses it with `parseWebviewMessage` and ignores what does not fit.
 */
export const WebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('openEvidence'), figureId: z.string().min(1).max(200) }).strict(),
  z.object({ type: z.literal('export'), format: z.enum(['md', 'html']) }).strict(),
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

export function parseWebviewMessage(raw: unknown): { ok: true; message: WebviewMessage } | { ok: false; error: string } {
  const r = WebviewMessage.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `${issue.path.join('.') || '(message)'}: ${issue.message}` };
}
