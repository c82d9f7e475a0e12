import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { z } from 'zod';

/**
 * Smoke test: the profile's prompts through `/v1/chat/completions`, streamed, with
 * `stream_options.include_usage`. Follows the OpenAI streaming format, not one server's habits: a first
 * chunk that carries only the role, `: keep-alive` comments, chunks with empty or missing deltas, CRLF or
 * LF line ends, events split anywhere (even inside a UTF-8 character), a usage chunk with no choices, and
 * `data: [DONE]`. Plain node:http + eventsource-parser.
 */

// ---- what a server may send (zod, loose: servers add fields) ----------------------------------------
const chunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        index: z.number().optional(),
        delta: z
          .looseObject({
            role: z.string().nullish(),
            content: z.string().nullish(),
            reasoning_content: z.string().nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z
    .looseObject({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish(), total_tokens: z.number().nullish() })
    .nullish(),
  error: z.unknown().optional(),
  simulated: z.boolean().optional(),
});

const modelsSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string(), owned_by: z.string().optional() })) });

// ---- results -----------------------------------------------------------------------------------------
export const smokeResultSchema = z.object({
  prompt: z.string(),
  output: z.string(),
  ttftMs: z.number(),
  totalMs: z.number(),
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

export interface SmokeOptions {
  model: string;
  maxTokens?: number;
  temperature?: number;
  apiKey?: string;
  /** Per prompt. Default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type DeltaListener = (promptIndex: number, delta: string) => void;

/** `http://h:p`, `http://h:p/`, `http://h:p/v1` → `http://h:p` (paths are added per call). */
export function normalizeEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new Error(`not a URL: ${endpoint}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http(s) URL: ${endpoint}`);
  const p = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${u.protocol}//${u.host}${p}`;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  url: string,
  opts: { method: string; body?: string; apiKey?: string; timeoutMs: number; signal?: AbortSignal; accept?: string },
  onResponse?: (res: http.IncomingMessage) => void,
): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  if (opts.apiKey) headers.Authorization = `Bearer ${opts.apiKey}`;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: opts.method, headers, signal: opts.signal, agent: false }, (res) => {
      if (onResponse && (res.statusCode ?? 0) < 300) {
        onResponse(res);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('connection closed mid-response')));
        return;
      }
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function errorText(body: string, status: number): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } | string };
    const m = typeof j.error === 'object' && j.error ? j.error.message : typeof j.error === 'string' ? j.error : j.message;
    if (typeof m === 'string' && m) return `HTTP ${status}: ${m}`;
  } catch {
    /* not JSON */
  }
  return `HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`;
}

export interface ModelList {
  ids: string[];
  simulated: boolean;
}

/** GET /v1/models. */
export async function listModels(endpoint: string, opts: { apiKey?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ModelList> {
  const base = normalizeEndpoint(endpoint);
  const r = await request(`${base}/v1/models`, { method: 'GET', apiKey: opts.apiKey, timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal });
  if (r.status !== 200) throw new Error(errorText(r.body, r.status));
  let j: unknown;
  try {
    j = JSON.parse(r.body);
  } catch {
    throw new Error(`/v1/models did not answer JSON`);
  }
  const p = modelsSchema.safeParse(j);
  if (!p.success) throw new Error(`/v1/models: unexpected shape (${p.error.issues[0]?.message ?? 'invalid'})`);
  return {
    ids: p.data.data.map((m) => m.id),
    simulated: r.headers['x-ascend-adapt-simulated'] === '1' || p.data.data.some((m) => /simulated/i.test(m.owned_by ?? '')),
  };
}

/** GET /health → true when it answers 200. Never throws. */
export async function checkHealth(endpoint: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
  try {
    const r = await request(`${normalizeEndpoint(endpoint)}/health`, { method: 'GET', timeoutMs: opts.timeoutMs ?? 5_000, signal: opts.signal });
    return r.status === 200;
  } catch {
    return false;
  }
}

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

const wholeSchema = z.looseObject({
  choices: z.array(z.looseObject({ message: z.looseObject({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() })).min(1),
  usage: chunkSchema.shape.usage,
  simulated: z.boolean().optional(),
});

function readWholeCompletion(body: string): { output: string; finishReason: string | null; usage: z.infer<typeof chunkSchema>['usage']; simulated: boolean } | { error: string } {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return { error: `the server answered neither an event stream nor JSON: ${body.slice(0, 120)}` };
  }
  const p = wholeSchema.safeParse(j);
  if (!p.success) return { error: `unexpected completion: ${p.error.issues[0]?.message ?? 'invalid'}` };
  const c = p.data.choices[0];
  return { output: c.message?.content ?? '', finishReason: c.finish_reason ?? null, usage: p.data.usage ?? null, simulated: p.data.simulated === true };
}

/** One streamed chat completion. Never throws for a server-side failure: the result carries `error`. */
export async function streamChat(endpoint: string, prompt: string, opts: SmokeOptions, onDelta?: (delta: string) => void): Promise<SmokeResult & { simulated: boolean }> {
  const base = normalizeEndpoint(endpoint);
  const maxTokens = opts.maxTokens ?? 256;
  const body = JSON.stringify({
    model: opts.model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: maxTokens,
    temperature: opts.temperature ?? 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let output = '';
  let chunks = 0;
  let finishReason: string | null = null;
  let usage: z.infer<typeof chunkSchema>['usage'] = null;
  let done = false;
  let simulated = false;
  let streamError: string | null = null;
  let notStreamed = false;
  let ttft: number | null = null;
  const t0 = performance.now();
  const decoder = new TextDecoder('utf-8');
  const parser = createParser({
    onEvent(ev) {
      if (done) return;
      const data = ev.data.trim();
      if (data === '[DONE]') {
        done = true;
        return;
      }
      if (data === '') return;
      let j: unknown;
      try {
        j = JSON.parse(data);
      } catch {
        streamError ??= `unreadable event: ${data.slice(0, 120)}`;
        return;
      }
      const p = chunkSchema.safeParse(j);
      if (!p.success) {
        streamError ??= `unexpected chunk: ${p.error.issues[0]?.message ?? 'invalid'}`;
        return;
      }
      const c = p.data;
      if (c.simulated) simulated = true;
      if (c.error !== undefined && c.error !== null) {
        const e = c.error as { message?: unknown };
        streamError ??= `server error in stream: ${typeof e === 'object' && typeof e.message === 'string' ? e.message : JSON.stringify(c.error)}`;
        return;
      }
      if (c.usage) usage = c.usage;
      for (const ch of c.choices ?? []) {
        if ((ch.index ?? 0) !== 0) continue;
        const piece = (ch.delta?.content ?? '') + (ch.delta?.reasoning_content ?? '');
        if (piece.length > 0) {
          if (ttft === null) ttft = performance.now() - t0;
          chunks++;
          output += piece;
          onDelta?.(piece);
        }
        if (ch.finish_reason) finishReason = ch.finish_reason;
      }
    },
  });
  let httpError: string | null = null;
  try {
    const r = await request(
      `${base}/v1/chat/completions`,
      { method: 'POST', body, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs ?? 600_000, signal: opts.signal, accept: 'text/event-stream' },
      (res) => {
        if (res.headers['x-ascend-adapt-simulated'] === '1') simulated = true;
        if (!/text\/event-stream/i.test(String(res.headers['content-type'] ?? ''))) {
          // A server that ignored "stream": true and answered one JSON completion: read it as such.
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => {
            notStreamed = true;
            const whole = readWholeCompletion(Buffer.concat(parts).toString('utf8'));
            if ('error' in whole) {
              streamError = whole.error;
              return;
            }
            output = whole.output;
            finishReason = whole.finishReason;
            usage = whole.usage;
            simulated ||= whole.simulated;
            chunks = output ? 1 : 0;
            if (output) onDelta?.(output);
            done = true;
          });
          return;
        }
        res.on('data', (b: Buffer) => parser.feed(decoder.decode(b, { stream: true })));
        res.on('end', () => parser.feed(decoder.decode()));
      },
    );
    if (r.status >= 300) httpError = errorText(r.body, r.status);
  } catch (e) {
    httpError = (e as Error).message;
  }
  const totalMs = performance.now() - t0;
  const error = httpError ?? streamError ?? (done ? null : 'the stream ended without data: [DONE]');
  const u = usage as z.infer<typeof chunkSchema>['usage'];
  const checked = error ? { consistent: null, note: null } : usageCheck(u ?? null, { output, chunks, finishReason, maxTokens });
  const check = notStreamed && !error ? { ...checked, note: ['the server did not stream (one JSON answer): time to first token = total time', checked.note].filter(Boolean).join('; ') } : checked;
  return {
    prompt,
    output,
    ttftMs: ttft ?? totalMs,
    totalMs,
    promptTokens: typeof u?.prompt_tokens === 'number' ? u.prompt_tokens : null,
    completionTokens: typeof u?.completion_tokens === 'number' ? u.completion_tokens : null,
    finishReason,
    usageConsistent: check.consistent,
    usageNote: check.note,
    chunks,
    error,
    simulated,
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
    const { simulated: sim, ...r } = await streamChat(endpoint, prompts[i], opts, onDelta ? (d) => onDelta(i, d) : undefined);
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
