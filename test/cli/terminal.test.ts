// Text from hosts and models reaches the terminal with its control bytes made visible; --json and
// `jobs logs --raw` stay exact. A model answer and a job log carry terminal escapes (retitle the window,
// clear the screen, a CR that overwrites the line) and a bidi override.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../harness/cli';

const HOSTILE = 'ok\u001b]0;owned\u0007 \u001b[2J\rfake line \u009b31m\u202eevil';
const SHOWN = 'ok\\u001b]0;owned\\u0007 \\u001b[2J\\u000dfake line \\u009b31m\\u202eevil';

let server: http.Server;
let url = '';
let dir: string;

/** An OpenAI-compatible server whose streamed answer is HOSTILE (real HTTP, SSE as vLLM sends it). */
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-terminal-'));
  server = http.createServer((req, res) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const chunk = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
      chunk({ choices: [{ index: 0, delta: { role: 'assistant' } }] });
      for (const piece of [HOSTILE.slice(0, 9), HOSTILE.slice(9)]) chunk({ choices: [{ index: 0, delta: { content: piece } }] });
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ LANG: 'C', PATH: process.env.PATH, HOME: process.env.HOME, ASCEND_ADAPT_JOBS_ROOT: path.join(dir, 'jobs') });

describe('no raw control bytes on the terminal', () => {
  it('smoke: the streamed answer is shown with its escapes visible; --json keeps the exact text', async () => {
    const text = await runCli(['smoke', '--endpoint', url, '--prompt', 'hi'], { env: env() });
    assert.equal(text.code, 0, text.err);
    assert.ok(text.out.includes(`Output: ${SHOWN}`), text.out);
    assert.doesNotMatch(text.out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    const json = await runCli(['smoke', '--endpoint', url, '--prompt', 'hi', '--json'], { env: env() });
    assert.equal(json.code, 0, json.err);
    assert.equal((JSON.parse(json.out) as { results: Array<{ output: string }> }).results[0]!.output, HOSTILE);
  });

  it('jobs logs: escapes visible; --raw gives the bytes; jobs list --json the exact argv', async () => {
    const start = await runCli(['jobs', 'start', '--local', '--json', '--', 'printf', '%s\\n', HOSTILE], { env: env() });
    assert.equal(start.code, 0, start.err);
    const id = (JSON.parse(start.out) as { id: string }).id;
    let logs = '';
    for (let i = 0; i < 200 && !logs.includes('evil'); i++) logs = (await runCli(['jobs', 'logs', '--local', id], { env: env() })).out;
    assert.equal(logs, `${SHOWN}\n`);
    const raw = await runCli(['jobs', 'logs', '--local', id, '--raw'], { env: env() });
    assert.equal(raw.out, `${HOSTILE}\n`);
    const list = await runCli(['jobs', 'list', '--local', '--json'], { env: env() });
    assert.deepEqual((JSON.parse(list.out) as { jobs: Array<{ argv: string[] }> }).jobs[0]!.argv, ['printf', '%s\\n', HOSTILE]);
    const table = await runCli(['jobs', 'list', '--local'], { env: env() });
    assert.ok(table.out.includes('\\u001b]0;owned'), table.out);
    assert.doesNotMatch(table.out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
