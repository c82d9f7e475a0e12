import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chatCompletion, checkHealth, listModels, normalizeEndpoint, streamChat } from '../../src/core/endpoint/index';
import { runSmoke, smokePrompt, smokeReportSchema, usageCheck } from '../../src/core/smoke/index';

/**
 * The smoke client against a hand-written OpenAI-compatible server with odd-but-valid streaming habits
 * (each one allowed by the SSE spec / the OpenAI format), and against broken ones.
 */

type Mode = 'odd' | 'no-usage' | 'bad-usage' | 'http-400' | 'cut' | 'no-done' | 'length' | 'error-event' | 'json' | 'garbage';

const ANSWER = '你好！我是测试模型。';

function oddStream(res: http.ServerResponse, req: { max_tokens: number }, mode: Mode): void {
  const w = (s: string | Buffer) => res.write(s);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
  w(': keep-alive\r\n\r\n'); // a comment before anything
  w('retry: 3000\r\n\r\n'); // a retry field (no data → no event)
  w(`event: message\r\nid: 1\r\ndata: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] })}\r\n\r\n`); // role only
  const pieces = mode === 'length' ? ['a', 'b', 'c'] : ['你好！', '我是', '测试', '模型。'];
  pieces.forEach((p, i) => {
    const line = `data:${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`; // no space after "data:", LF only
    const b = Buffer.from(line, 'utf8');
    if (i === 0) {
      // split inside a UTF-8 sequence: "你" is 3 bytes; cut after its first byte
      const at = b.indexOf(Buffer.from('你', 'utf8')) + 1;
      w(b.subarray(0, at));
      w(b.subarray(at));
    } else w(b);
    if (i === 1) w(':\n\n'); // an empty comment between tokens
  });
  // A second choice index must be ignored; an empty delta then finish_reason in its own chunk.
  w(`data: ${JSON.stringify({ choices: [{ index: 1, delta: { content: 'IGNORED' } }] })}\n\n`);
  w(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: mode === 'length' ? 'length' : 'stop' }] })}\n\n`);
  if (mode === 'error-event') {
    w(`data: ${JSON.stringify({ error: { message: 'engine died', code: 500 } })}\n\n`);
  }
  if (mode !== 'no-usage') {
    const ct = mode === 'length' ? req.max_tokens : mode === 'bad-usage' ? 2 : 6;
    const usage = { prompt_tokens: 9, completion_tokens: ct, total_tokens: mode === 'bad-usage' ? 99 : 9 + ct };
    // The usage chunk split over two data lines (joined with "\n" by the SSE rules; still one JSON value).
    const json = JSON.stringify({ id: 'c1', choices: [], usage });
    const cut = json.indexOf(',');
    w(`data: ${json.slice(0, cut + 1)}\ndata: ${json.slice(cut + 1)}\n\n`);
  }
  if (mode === 'cut') {
    res.socket?.end(); // flush what was written, then close without the last chunk
    return;
  }
  if (mode !== 'no-done') w('data: [DONE]\r\n\r\n');
  res.end();
}

let server: http.Server;
let base = '';
let mode: Mode = 'odd';
const seenBodies: Array<Record<string, unknown>> = [];

before(async () => {
  server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'odd-model', object: 'model', owned_by: 'test' }] }));
      return;
    }
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200);
      res.end();
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { max_tokens: number };
      seenBodies.push(body as unknown as Record<string, unknown>);
      if (mode === 'json' || mode === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(mode === 'garbage' ? '<html>proxy error</html>' : JSON.stringify({
          id: 'c2', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
        }));
        return;
      }
      if (mode === 'http-400') {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: "This model's maximum context length is 4096 tokens", type: 'BadRequestError', code: 400 }));
        return;
      }
      oddStream(res, body, mode);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('endpoint client (src/core/endpoint)', () => {
  it('streams a chat completion: raw usage, finish reason, chunks; a JSON answer is flagged not streamed', async () => {
    mode = 'odd';
    const r = await streamChat(base, 'q', { model: 'odd-model', maxTokens: 64 });
    assert.equal(r.error, null);
    assert.equal(r.output, ANSWER);
    assert.deepEqual({ p: r.usage?.prompt_tokens, c: r.usage?.completion_tokens, t: r.usage?.total_tokens }, { p: 9, c: 6, t: 15 });
    assert.equal(r.notStreamed, false);
    assert.equal(seenBodies.at(-1)!.max_tokens, 64);
    mode = 'json';
    const j = await streamChat(base, 'q', { model: 'odd-model' });
    assert.equal(j.notStreamed, true);
    assert.equal(j.output, ANSWER);
  });

  it('one whole chat completion, the raw answer kept; an HTTP error with the server\'s message', async () => {
    mode = 'json';
    const body = { model: 'odd-model', messages: [{ role: 'user', content: 'q' }], max_tokens: 8 };
    const r = await chatCompletion(base + '/v1', body);
    assert.equal(r.status, 200);
    assert.equal(r.error, null);
    assert.equal(r.content, ANSWER);
    assert.equal(r.usage?.completion_tokens, 6);
    assert.equal(JSON.parse(r.text).id, 'c2');
    assert.deepEqual(seenBodies.at(-1), body);
    mode = 'http-400';
    const bad = await chatCompletion(base, body);
    assert.equal(bad.status, 400);
    assert.equal(bad.content, null);
    assert.match(bad.error ?? '', /^HTTP 400: This model's maximum context length/);
    mode = 'garbage';
    assert.match((await chatCompletion(base, body)).error ?? '', /not JSON/);
  });

  it('health: true on 200, false (never a throw) when nothing answers', async () => {
    assert.equal(await checkHealth(base), true);
    assert.equal(await checkHealth('http://127.0.0.1:1', { timeoutMs: 2000 }), false);
  });
});

describe('smoke prompts over the endpoint client (OpenAI streaming format)', () => {
  it('normalises endpoints with or without /v1', () => {
    assert.equal(normalizeEndpoint('http://h:1/v1/'), 'http://h:1');
    assert.equal(normalizeEndpoint('http://h:1'), 'http://h:1');
    assert.equal(normalizeEndpoint('https://h/proxy/v1'), 'https://h/proxy');
    assert.throws(() => normalizeEndpoint('ftp://h'), /not an http/);
    assert.throws(() => normalizeEndpoint('no url'), /not a URL/);
  });

  it('reads a stream with comments, a role-only chunk, split UTF-8, CRLF/LF, a second choice and a split usage chunk', async () => {
    mode = 'odd';
    const deltas: string[] = [];
    const r = await smokePrompt(base + '/v1', '你好,请介绍一下你自己', { model: 'odd-model', maxTokens: 64 }, (d) => deltas.push(d));
    assert.equal(r.error, null);
    assert.equal(r.output, ANSWER);
    assert.deepEqual(deltas, ['你好！', '我是', '测试', '模型。']);
    assert.equal(r.chunks, 4);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.promptTokens, 9);
    assert.equal(r.completionTokens, 6);
    assert.equal(r.usageConsistent, true);
    assert.ok(r.ttftMs !== null && r.totalMs !== null && r.ttftMs > 0 && r.ttftMs <= r.totalMs);
    const sent = seenBodies.at(-1)!;
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    assert.deepEqual(sent.messages, [{ role: 'user', content: '你好,请介绍一下你自己' }]);
  });

  it('says usage is missing (null, with a note) when the server sends no usage chunk', async () => {
    mode = 'no-usage';
    const r = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.equal(r.error, null);
    assert.equal(r.usageConsistent, null);
    assert.equal(r.promptTokens, null);
    assert.match(r.usageNote ?? '', /no usage/);
  });

  it('flags usage that does not add up', async () => {
    mode = 'bad-usage';
    const r = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.equal(r.usageConsistent, false);
    assert.match(r.usageNote ?? '', /total_tokens 99/);
    assert.match(r.usageNote ?? '', /4 content chunks but only 2/);
  });

  it('accepts finish_reason "length" when completion_tokens equals max_tokens', async () => {
    mode = 'length';
    const r = await smokePrompt(base, 'q', { model: 'odd-model', maxTokens: 3 });
    assert.equal(r.finishReason, 'length');
    assert.equal(r.completionTokens, 3);
    assert.equal(r.usageConsistent, true);
  });

  it('reports an HTTP error with the server\'s message', async () => {
    mode = 'http-400';
    const r = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.match(r.error ?? '', /^HTTP 400: This model's maximum context length/);
    assert.equal(r.output, '');
  });

  it('reports a stream cut before [DONE] and a stream that ends without [DONE]', async () => {
    mode = 'cut';
    const cut = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.match(cut.error ?? '', /aborted|closed|DONE|reset/i);
    assert.equal(cut.output, ANSWER, 'what arrived is kept');
    mode = 'no-done';
    const nd = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.match(nd.error ?? '', /without data: \[DONE\]/);
  });

  it('reports an error event inside the stream', async () => {
    mode = 'error-event';
    const r = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.match(r.error ?? '', /engine died/);
  });

  it('reads a server that ignores "stream": true and answers one JSON completion, and says so', async () => {
    mode = 'json';
    const deltas: string[] = [];
    const r = await smokePrompt(base, 'q', { model: 'odd-model' }, (d) => deltas.push(d));
    assert.equal(r.error, null);
    assert.equal(r.output, ANSWER);
    assert.deepEqual(deltas, [ANSWER]);
    assert.equal(r.completionTokens, 6);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.usageConsistent, true);
    assert.match(r.usageNote ?? '', /did not stream/);
    assert.equal(r.ttftMs, r.totalMs);
    mode = 'garbage';
    const g = await smokePrompt(base, 'q', { model: 'odd-model' });
    assert.match(g.error ?? '', /neither an event stream nor JSON/);
  });

  it('runs several prompts in order and returns a report that passes its schema', async () => {
    mode = 'odd';
    const seen: Array<[number, string]> = [];
    const rep = await runSmoke(base, ['一', '二', '三'], { model: 'odd-model' }, (i, d) => seen.push([i, d]));
    assert.equal(smokeReportSchema.safeParse(rep).success, true);
    assert.equal(rep.results.length, 3);
    assert.deepEqual(rep.results.map((r) => r.prompt), ['一', '二', '三']);
    assert.equal(rep.passed, 3);
    assert.equal(rep.simulated, false);
    assert.deepEqual([...new Set(seen.map(([i]) => i))], [0, 1, 2]);
  });

  it('lists models', async () => {
    const m = await listModels(base + '/v1');
    assert.deepEqual(m.ids, ['odd-model']);
    assert.equal(m.simulated, false);
  });

  it('checks usage rules on their own', () => {
    assert.deepEqual(usageCheck({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }, { output: 'ab', chunks: 2, finishReason: 'stop', maxTokens: 10 }), { consistent: true, note: null });
    assert.equal(usageCheck({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 }, { output: 'x', chunks: 1, finishReason: 'stop', maxTokens: 10 }).consistent, false);
    assert.equal(usageCheck({ prompt_tokens: 3, completion_tokens: 11, total_tokens: 14 }, { output: 'x', chunks: 1, finishReason: 'length', maxTokens: 10 }).consistent, false);
  });
});
