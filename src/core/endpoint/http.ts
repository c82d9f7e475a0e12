import * as http from 'node:http';
import * as https from 'node:https';

/**
 * The one HTTP request path of the OpenAI-compatible client (plain node:http / node:https): every call of
 * ./openai.ts goes through `request`, so connection handling and timeouts are decided here, once.
 * Each request has its own connection (`Connection: close`): the client never writes on a kept-alive
 * connection the server may be closing, so a server's keep-alive limits cannot lose a request.
 * Timeouts have the meaning they have in every tool here: `requestTimeoutMs` bounds the whole request,
 * `stallTimeoutMs` (default 60 s) the silence between two bytes from the server.
 */

export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

const secs = (ms: number) => String(Math.round(ms) / 1000);

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

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text; '' when a streaming handler took it. */
  body: string;
}

export interface RequestOptions {
  method: string;
  /** JSON text. */
  body?: string;
  apiKey?: string;
  /** The whole request (connect to last byte) may take this long; default: no limit. */
  requestTimeoutMs?: number;
  /** No byte from the server for this long → the request fails ("no data for S s"). Default 60 s. */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  accept?: string;
}

/**
 * One request. With `onResponse`, a 2xx response is handed over as it arrives (streaming) and the promise
 * resolves when it ends; any other response is read whole into `body`. Rejects on network errors, on a
 * response cut mid-way and on the idle timeout.
 */
export function request(url: string, opts: RequestOptions, onResponse?: (res: http.IncomingMessage) => void): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  if (opts.apiKey) headers.Authorization = `Bearer ${opts.apiKey}`;
  return new Promise((resolve, reject) => {
    let total: NodeJS.Timeout | undefined;
    const done = <T>(f: (v: T) => void) => (v: T) => {
      clearTimeout(total);
      f(v);
    };
    resolve = done(resolve);
    reject = done(reject);
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
    const stall = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    req.setTimeout(stall, () => req.destroy(new Error(`no data for ${secs(stall)} s`)));
    const whole = opts.requestTimeoutMs;
    if (whole !== undefined) total = setTimeout(() => req.destroy(new Error(`no complete answer within ${secs(whole)} s`)), whole);
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An error response in a line: the server's own message when it sent one (OpenAI or vLLM error shapes). */
export function errorText(body: string, status: number): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } | string };
    const m = typeof j.error === 'object' && j.error ? j.error.message : typeof j.error === 'string' ? j.error : j.message;
    if (typeof m === 'string' && m) return `HTTP ${status}: ${m}`;
  } catch {
    /* not JSON */
  }
  return `HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`;
}
