import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type { IGrammar } from 'vscode-textmate';
import { colorLine, lineColorizer, logGrammar } from '../../src/extension/logColors';

// A serve log in a terminal tab is coloured by the same grammar (and engine) that highlights it as a
// document: vLLM / vllm-ascend shaped lines (the first as a Ray worker logs an NPU OOM), coloured where the grammar gives a scope,
// never changed in their text, and lines split across chunks still come out whole.
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

let grammar: IGrammar;
before(async () => {
  grammar = await logGrammar();
});

/** The SGR code that colours `needle` in the coloured line. */
function codeOf(colored: string, needle: string): string | undefined {
  const re = /\x1b\[([0-9;]*)m/g;
  let code: string | undefined;
  let plain = '';
  let last = 0;
  for (const m of colored.matchAll(re)) {
    plain += colored.slice(last, m.index);
    if (plain.endsWith(needle)) return code;
    code = m[1] === '0' ? undefined : m[1];
    last = m.index + m[0].length;
    if (colored.slice(last).startsWith(needle)) return code;
  }
  return undefined;
}

describe('log terminal colours from the log grammar', () => {
  it('colours the level, the process and the exception of a vLLM-Ascend error line, text unchanged', () => {
    const line = '(NPURayWorkerWrapper pid=45198) ERROR 06-09 06:57:48 worker_base.py:581] RuntimeError: NPU out of memory. Tried to allocate 30.00 MiB (NPU 5; 60.96 GiB total capacity)';
    const { text } = colorLine(grammar, line, null);
    assert.equal(strip(text), line);
    assert.notEqual(text, line, 'something is coloured');
    assert.equal(codeOf(text, 'ERROR'), '1;31');
    assert.equal(codeOf(text, 'RuntimeError'), '1;31');
    assert.equal(codeOf(text, '(NPURayWorkerWrapper pid=45198)'), '36');
  });

  it('warning, info and SIMULATED each get their own colour; a plain line stays plain', () => {
    const warn = colorLine(grammar, 'WARNING 06-09 06:57:48 [config.py:123] Using eager mode', null).text;
    assert.equal(codeOf(warn, 'WARNING'), '33');
    const info = colorLine(grammar, 'INFO 06-09 06:57:48 [core.py:1] init engine (SIMULATED)', null).text;
    assert.equal(codeOf(info, 'INFO'), '32');
    assert.equal(codeOf(info, 'SIMULATED'), '1;33');
    assert.equal(colorLine(grammar, 'hello world', null).text, 'hello world');
  });

  it('a line split across chunks is shown at once and comes out whole', () => {
    const color = lineColorizer(grammar);
    const a = color('ERROR 06-09 06:57:49 [worker_base.py:581] Traceback (most');
    const b = color(' recent call last):\nINFO 06-09 06:57:50 [api_server.py:1] ready\n');
    assert.equal(strip(a + b), 'ERROR 06-09 06:57:49 [worker_base.py:581] Traceback (most recent call last):\nINFO 06-09 06:57:50 [api_server.py:1] ready\n');
    assert.equal(codeOf(b, 'INFO'), '32', 'the next whole line is coloured');
  });

  it("the host's control bytes never reach the terminal: an escape sequence is shown as text", () => {
    const color = lineColorizer(grammar);
    const out = color('INFO 06-09 06:57:50 [api_server.py:1] \x1b]0;owned\x07\x1b[2Jready\r\nnext\rover\n');
    assert.ok(!out.includes('\x1b]') && !out.includes('\x1b[2J') && !out.includes('\x07'), JSON.stringify(out));
    assert.equal(strip(out), 'INFO 06-09 06:57:50 [api_server.py:1] \\u001b]0;owned\\u0007\\u001b[2Jready\nnext\\u000dover\n');
  });
});
