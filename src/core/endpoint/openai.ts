import type * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { z } from 'zod';
import { errorText, normalizeEndpoint, request } from './http';

/**
 * The OpenAI-compatible client: /health, /v1/models, /v1/chat/completions (streamed and whole). Streaming
 * follows the OpenAI format, not one server's habits: a first chunk that carries only the role,
 * `: keep-alive` comments, chunks with empty or missing deltas, CRLF or LF line ends, events split anywhere
 * (even inside a UTF-8 character), a usage chunk with no choices, `data: [DONE]`, and servers that ignore
 * `"stream": true` and answer one JSON completion. eventsource-parser reads the event stream.
 */

// ---- what a server may send (zod, loose: servers add fields) ----------------------------------------
const usageSchema = z
  .looseObject({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish(), total_tokens: z.number().nullish() })
  .nullish();
export type Usage = z.infer<typeof usageSchema>;

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
  usage: usageSchema,
  error: z.unknown().optional(),
  simulated: z.boolean().optional(),
});

const wholeSchema = z.looseObject({
  choices: z.array(z.looseObject({ message: z.looseObject({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() })).min(1),
  usage: usageSchema,
  simulated: z.boolean().optional(),
});

const modelsSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string(), owned_by: z.string().optional() })) });

export interface ModelList {
  ids: string[];
  simulated: boolean;
}

/** GET /v1/models. */
export async function listModels(endpoint: string, opts: { apiKey?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ModelList> {
  const base = normalizeEndpoint(endpoint);
  const t = opts.timeoutMs ?? 10_000;
  const r = await request(`${base}/v1/models`, { method: 'GET', apiKey: opts.apiKey, requestTimeoutMs: t, stallTimeoutMs: t, signal: opts.signal });
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
    const t = opts.timeoutMs ?? 5_000;
    const r = await request(`${normalizeEndpoint(endpoint)}/health`, { method: 'GET', requestTimeoutMs: t, stallTimeoutMs: t, signal: opts.signal });
    return r.status === 200;
  } catch {
    return false;
  }
}

export interface ChatOptions {
  model: string;
  maxTokens?: number;
  temperature?: number;
  apiKey?: string;
  /** The whole request may take this long (default: no limit). */
  requestTimeoutMs?: number;
  /** No byte from the server for this long → the request fails (default 60 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What one streamed chat completion showed. */
export interface ChatStreamResult {
  output: string;
  /** Request sent → first content token (= totalMs when the server did not stream); null when no token came or the request failed. */
  ttftMs: number | null;
  /** Request sent → complete answer; null when the request failed (a failed request has no latencies). */
  totalMs: number | null;
  /** How long it took, whatever happened (a failed request's time to failure). */
  elapsedMs: number;
  usage: Usage;
  finishReason: string | null;
  /** Content-bearing chunks received. */
  chunks: number;
  /** HTTP error, broken stream, timeout, error event; `output` holds what arrived before. */
  error: string | null;
  simulated: boolean;
  /** The server answered one JSON completion instead of a stream. */
  notStreamed: boolean;
}

/** Reads one chat completion response: an event stream, or one JSON completion from a server that does not stream. */
class ChatStreamReader {
  output = '';
  chunks = 0;
  finishReason: string | null = null;
  usage: Usage = null;
  done = false;
  simulated = false;
  error: string | null = null;
  notStreamed = false;
  ttft: number | null = null;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;

  constructor(
    private readonly t0: number,
    private readonly onDelta?: (delta: string) => void,
  ) {
    this.parser = createParser({ onEvent: (ev) => this.onEvent(ev.data) });
  }

  attach(res: http.IncomingMessage): void {
    if (res.headers['x-ascend-adapt-simulated'] === '1') this.simulated = true;
    if (!/text\/event-stream/i.test(String(res.headers['content-type'] ?? ''))) {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => this.readWhole(Buffer.concat(parts).toString('utf8')));
      return;
    }
    res.on('data', (b: Buffer) => this.parser.feed(this.decoder.decode(b, { stream: true })));
    res.on('end', () => this.parser.feed(this.decoder.decode()));
  }

  private onEvent(raw: string): void {
    if (this.done) return;
    const data = raw.trim();
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    if (data === '') return;
    let j: unknown;
    try {
      j = JSON.parse(data);
    } catch {
      this.error ??= `unreadable event: ${data.slice(0, 120)}`;
      return;
    }
    const p = chunkSchema.safeParse(j);
    if (!p.success) {
      this.error ??= `unexpected chunk: ${p.error.issues[0]?.message ?? 'invalid'}`;
      return;
    }
    const c = p.data;
    if (c.simulated) this.simulated = true;
    if (c.error !== undefined && c.error !== null) {
      const e = c.error as { message?: unknown };
      this.error ??= `server error in stream: ${typeof e === 'object' && typeof e.message === 'string' ? e.message : JSON.stringify(c.error)}`;
      return;
    }
    if (c.usage) this.usage = c.usage;
    for (const ch of c.choices ?? []) {
      if ((ch.index ?? 0) !== 0) continue;
      const piece = (ch.delta?.content ?? '') + (ch.delta?.reasoning_content ?? '');
      if (piece.length > 0) {
        this.ttft ??= performance.now() - this.t0;
        this.chunks++;
        this.output += piece;
        this.onDelta?.(piece);
      }
      if (ch.finish_reason) this.finishReason = ch.finish_reason;
    }
  }

  private readWhole(body: string): void {
    this.notStreamed = true;
    let j: unknown;
    try {
      j = JSON.parse(body);
    } catch {
      this.error = `the server answered neither an event stream nor JSON: ${body.slice(0, 120)}`;
      return;
    }
    const p = wholeSchema.safeParse(j);
    if (!p.success) {
      this.error = `unexpected completion: ${p.error.issues[0]?.message ?? 'invalid'}`;
      return;
    }
    const c = p.data.choices[0];
    this.output = c.message?.content ?? '';
    this.finishReason = c.finish_reason ?? null;
    this.usage = p.data.usage ?? null;
    this.simulated ||= p.data.simulated === true;
    this.chunks = this.output ? 1 : 0;
    if (this.output) this.onDelta?.(this.output);
    this.done = true;
  }
}

/** One streamed chat completion (with `stream_options.include_usage`). Never throws for a server-side failure: `error` says it. */
export async function streamChat(endpoint: string, prompt: string, opts: ChatOptions, onDelta?: (delta: string) => void): Promise<ChatStreamResult> {
  const base = normalizeEndpoint(endpoint);
  const body = JSON.stringify({
    model: opts.model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: opts.maxTokens ?? 256,
    temperature: opts.temperature ?? 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  const t0 = performance.now();
  const reader = new ChatStreamReader(t0, onDelta);
  let httpError: string | null = null;
  try {
    const r = await request(
      `${base}/v1/chat/completions`,
      { method: 'POST', body, apiKey: opts.apiKey, requestTimeoutMs: opts.requestTimeoutMs, stallTimeoutMs: opts.stallTimeoutMs, signal: opts.signal, accept: 'text/event-stream' },
      (res) => reader.attach(res),
    );
    if (r.status >= 300) httpError = errorText(r.body, r.status);
  } catch (e) {
    httpError = (e as Error).message;
  }
  const elapsedMs = performance.now() - t0;
  const error = httpError ?? reader.error ?? (reader.done ? null : 'the stream ended without data: [DONE]');
  return {
    output: reader.output,
    ttftMs: error ? null : (reader.ttft ?? (reader.notStreamed && reader.output ? elapsedMs : null)),
    totalMs: error ? null : elapsedMs,
    elapsedMs,
    usage: reader.usage ?? null,
    finishReason: reader.finishReason,
    chunks: reader.chunks,
    error,
    simulated: reader.simulated,
    notStreamed: reader.notStreamed,
  };
}

export interface ChatCompletion {
  /** HTTP status; 0 when no response came. */
  status: number;
  /** The response body as sent (or the error when none came). */
  text: string;
  /** choices[0].message.content, when the answer had one. */
  content: string | null;
  usage: Usage;
  error: string | null;
}

/** One non-streamed chat completion with the request body as given; the raw answer is kept. Never throws. */
export async function chatCompletion(
  endpoint: string,
  body: Record<string, unknown>,
  opts: { apiKey?: string; requestTimeoutMs?: number; stallTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ChatCompletion> {
  let r;
  try {
    r = await request(`${normalizeEndpoint(endpoint)}/v1/chat/completions`, {
      method: 'POST', body: JSON.stringify(body), apiKey: opts.apiKey, requestTimeoutMs: opts.requestTimeoutMs, stallTimeoutMs: opts.stallTimeoutMs, signal: opts.signal,
    });
  } catch (e) {
    return { status: 0, text: (e as Error).message, content: null, usage: null, error: (e as Error).message };
  }
  if (r.status >= 300) return { status: r.status, text: r.body, content: null, usage: null, error: errorText(r.body, r.status) };
  let j: unknown;
  try {
    j = JSON.parse(r.body);
  } catch {
    return { status: r.status, text: r.body, content: null, usage: null, error: `not JSON: ${r.body.slice(0, 120)}` };
  }
  const p = wholeSchema.safeParse(j);
  if (!p.success) return { status: r.status, text: r.body, content: null, usage: null, error: `unexpected completion: ${p.error.issues[0]?.message ?? 'invalid'}` };
  const content = p.data.choices[0].message?.content;
  return { status: r.status, text: r.body, content: typeof content === 'string' ? content : null, usage: p.data.usage ?? null, error: typeof content === 'string' ? null : 'the completion has no message content' };
}
