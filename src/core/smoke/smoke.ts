import { z } from 'zod';
import { normalizeEndpoint, streamChat, type ChatOptions, type Usage } from '../endpoint/index';

/**
 * Smoke test: the profile's prompts through `/v1/chat/completions`, streamed (the endpoint client does the
 * HTTP and the stream), one after another; each answer judged: text arrived, the stream ended properly, and
 * the usage the server reported adds up.
 */

// ---- results -----------------------------------------------------------------------------------------
export const smokeResultSchema = z.object({
  prompt: z.string(),
  output: z.string(),
  /** Request sent → first token; null when none came or the prompt failed (a failed request has no latencies). */
  ttftMs: z.number().nullable(),
  /** Request sent → whole answer; null when the prompt failed. */
  totalMs: z.number().nullable(),
  /** How long the prompt took, whatever happened. */
  elapsedMs: z.number(),
  promptTokens: z.number().nullable(),
  completionTokens: z.number().nullable(),
  finishReason: z.string().nullable(),
  /** Whether the usage the server reported adds up (null when it reported none). */
  usageConsistent: z.boolean().nullable(),
  /** Why usage is not consistent (or missing), in plain words. */
  usageNote: z.string().nullable(),
  /** Content-bearing chunks received. */
  chunks: z.number(),
  /** Set when the request failed (HTTP error, broken stream, timeout); output holds what arrived. */
  error: z.string().nullable(),
});
export type SmokeResult = z.infer<typeof smokeResultSchema>;

export const smokeReportSchema = z.object({
  endpoint: z.string(),
  model: z.string(),
  simulated: z.boolean(),
  startedAt: z.string(),
  results: z.array(smokeResultSchema),
  passed: z.number(),
  failed: z.number(),
});
export type SmokeReport = z.infer<typeof smokeReportSchema>;

export type SmokeOptions = ChatOptions;

export type DeltaListener = (promptIndex: number, delta: string) => void;

/** Check the usage a server reported against what the stream showed. */
export function usageCheck(
  usage: { prompt_tokens?: number | null; completion_tokens?: number | null; total_tokens?: number | null } | null,
  seen: { output: string; chunks: number; finishReason: string | null; maxTokens: number },
): { consistent: boolean | null; note: string | null } {
  if (!usage) return { consistent: null, note: 'the server reported no usage (stream_options.include_usage ignored)' };
  const pt = usage.prompt_tokens;
  const ct = usage.completion_tokens;
  const tt = usage.total_tokens;
  const problems: string[] = [];
  if (typeof pt !== 'number' || pt <= 0) problems.push(`prompt_tokens is ${pt ?? 'missing'}`);
  if (typeof ct !== 'number' || ct < 0) problems.push(`completion_tokens is ${ct ?? 'missing'}`);
  if (typeof pt === 'number' && typeof ct === 'number' && typeof tt === 'number' && tt !== pt + ct) problems.push(`total_tokens ${tt} ≠ ${pt} + ${ct}`);
  if (typeof ct === 'number') {
    if (seen.output.length > 0 && ct === 0) problems.push('text was streamed but completion_tokens is 0');
    if (ct < seen.chunks) problems.push(`${seen.chunks} content chunks but only ${ct} completion tokens`);
    if (ct > seen.maxTokens) problems.push(`completion_tokens ${ct} > max_tokens ${seen.maxTokens}`);
    if (seen.finishReason === 'length' && ct !== seen.maxTokens) problems.push(`finish_reason "length" but completion_tokens ${ct} ≠ max_tokens ${seen.maxTokens}`);
  }
  return problems.length ? { consistent: false, note: problems.join('; ') } : { consistent: true, note: null };
}

/** One smoke prompt: streamed, then judged. Never throws for a server-side failure: the result carries `error`. */
export async function smokePrompt(endpoint: string, prompt: string, opts: SmokeOptions, onDelta?: (delta: string) => void): Promise<SmokeResult & { simulated: boolean }> {
  const maxTokens = opts.maxTokens ?? 256;
  const r = await streamChat(endpoint, prompt, { ...opts, maxTokens }, onDelta);
  const u: Usage = r.usage;
  const checked = r.error ? { consistent: null, note: null } : usageCheck(u ?? null, { output: r.output, chunks: r.chunks, finishReason: r.finishReason, maxTokens });
  const check = r.notStreamed && !r.error
    ? { ...checked, note: ['the server did not stream (one JSON answer): time to first token = total time', checked.note].filter(Boolean).join('; ') }
    : checked;
  return {
    prompt,
    output: r.output,
    ttftMs: r.ttftMs,
    totalMs: r.totalMs,
    elapsedMs: r.elapsedMs,
    promptTokens: typeof u?.prompt_tokens === 'number' ? u.prompt_tokens : null,
    completionTokens: typeof u?.completion_tokens === 'number' ? u.completion_tokens : null,
    finishReason: r.finishReason,
    usageConsistent: check.consistent,
    usageNote: check.note,
    chunks: r.chunks,
    error: r.error,
    simulated: r.simulated,
  };
}

/** A result passes when it streamed text, ended properly and its usage (if any) adds up. */
export function smokePassed(r: SmokeResult): boolean {
  return r.error === null && r.output.trim().length > 0 && r.usageConsistent !== false;
}

/**
 * The smoke test: each prompt in turn (sequentially, so TTFT and total time are not skewed by each other),
 * answers streamed to onDelta as they arrive.
 */
export async function runSmoke(
  endpoint: string,
  prompts: readonly string[],
  opts: SmokeOptions,
  onDelta?: DeltaListener,
  onResult?: (index: number, r: SmokeResult) => void,
): Promise<SmokeReport> {
  const startedAt = new Date().toISOString();
  const results: SmokeResult[] = [];
  let simulated = false;
  for (let i = 0; i < prompts.length; i++) {
    if (opts.signal?.aborted) break;
    const { simulated: sim, ...r } = await smokePrompt(endpoint, prompts[i], opts, onDelta ? (d) => onDelta(i, d) : undefined);
    simulated ||= sim;
    results.push(r);
    onResult?.(i, r);
  }
  const passed = results.filter(smokePassed).length;
  return smokeReportSchema.parse({
    endpoint: normalizeEndpoint(endpoint),
    model: opts.model,
    simulated,
    startedAt,
    results,
    passed,
    failed: results.length - passed,
  });
}
