import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

/**
 * The log grammar (syntaxes/vllm-log.tmLanguage.json, scope source.ascend-log) tokenised by the engine VS
 * Code uses (vscode-textmate + Oniguruma), on real vLLM / vllm-ascend / CANN lines.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const GRAMMAR = path.join(ROOT, 'syntaxes', 'vllm-log.tmLanguage.json');
const SHARED = path.resolve(ROOT, '..', 'shared', 'samples');

let grammar: vsctm.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => (scope === 'source.ascend-log' ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  const g = await registry.loadGrammar('source.ascend-log');
  assert.ok(g, 'grammar loads');
  grammar = g;
});

/** Scopes of the token(s) covering `needle` in the line (the innermost scope name of each). */
function scopesOf(line: string, needle: string): string[] {
  const at = line.indexOf(needle);
  assert.ok(at >= 0, `"${needle}" in the line`);
  const { tokens } = grammar.tokenizeLine(line, vsctm.INITIAL);
  const hit = tokens.filter((t) => t.startIndex < at + needle.length && t.endIndex > at);
  return [...new Set(hit.flatMap((t) => t.scopes))];
}

function has(line: string, needle: string, scope: RegExp): void {
  const s = scopesOf(line, needle);
  assert.ok(s.some((x) => scope.test(x)), `"${needle}" should have a scope matching ${scope}, got ${s.join(' | ')}`);
}

describe('ascend-log TextMate grammar', () => {
  it('is valid JSON with the documented scope name', () => {
    const g = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8')) as { scopeName: string };
    assert.equal(g.scopeName, 'source.ascend-log');
  });

  it('vLLM lines: level, date, source location, exception, error codes', () => {
    const l = 'ERROR 04-18 01:55:45 engine.py:400] RuntimeError: SetPrecisionMode NPU function error: at_npu::native::AclSetCompileopt, error code is 500001';
    has(l, 'ERROR', /log\.error/);
    has(l, '04-18 01:55:45', /log\.date/);
    has(l, 'engine.py:400]', /source-location/);
    has(l, 'RuntimeError', /exception/);
    has(l, '500001', /error-code\.acl/);
    const w = 'WARNING 07-08 19:23:04 [utils.py:110] HCCL_OP_EXPANSION_MODE is not AIV';
    has(w, 'WARNING', /log\.warning/);
    const i = 'INFO 11-28 17:14:31 [api_server.py:1971] Starting vLLM API server 0 on http://0.0.0.0:18123 (SIMULATED)';
    has(i, 'INFO', /log\.info/);
    has(i, 'http://0.0.0.0:18123', /link/);
    has(i, 'SIMULATED', /simulated/);
    const ray = '(NPURayWorkerWrapper pid=45198) ERROR 06-09 06:57:48 worker_base.py:581] RuntimeError: NPU out of memory. Tried to allocate 30.00 MiB (NPU 5; 60.96 GiB total capacity)';
    has(ray, '(NPURayWorkerWrapper pid=45198)', /process/);
    has(ray, 'NPU out of memory', /known/);
    has(ray, '60.96 GiB', /quantity/);
  });

  it('CANN codes and plog lines', () => {
    const l = 'EH9999: [PID: 352] 2025-04-18-01:55:45.332.619 [Init][PlatformInfo]init runtime platform info failed';
    has(l, 'EH9999', /error-code\.cann/);
    has(l, '2025-04-18-01:55:45.332.619', /log\.date/);
    for (const code of ['EZ9999', 'EI0006', 'E69999', 'EL0003']) has(`${code}: Inner Error!`, code, /error-code\.cann/);
    has('[ERROR] 2026-05-08-03:20:32 (PID:758, Device:9, RankID:-1) ERR02005 DIST internal error', 'ERR02005', /error-code\.pta/);
    has('[ERROR] 2026-05-08-03:20:32 (PID:758, Device:9, RankID:-1) ERR02005 DIST internal error', '[ERROR]', /log\.error/);
    const plog = '[ERROR] HCCL(2717288,python3):2025-07-23-03:49:57.177.194 [hccl_socket_manager.cc:778] [2734049][Wait][LinkEstablish]wait socket establish timeout, role[1] rank[12] timeout[120]';
    has(plog, 'HCCL', /module/);
    has(plog, '2025-07-23-03:49:57.177.194', /log\.date/);
    has(plog, 'wait socket establish timeout', /known/);
    has('[rank9]:[E508 03:20:31.678676591 compiler_depend.ts:1693] [Rank 9] HCCL watchdog thread terminated with exception:', 'E', /log\.error/);
    has('query: error code is 507011', '507011', /error-code/);
    // a long number that only contains a code is not one
    const s = scopesOf('loaded 15070110 tokens', '15070110');
    assert.ok(!s.some((x) => /error-code/.test(x)), s.join(' '));
  });

  it('tracebacks: header, file/line/function, chained-exception lines', () => {
    has('Traceback (most recent call last):', 'Traceback', /traceback/);
    const f = '  File "/usr/local/python3.10/lib/python3.10/site-packages/vllm_ascend/worker/worker.py", line 164, in init_device';
    has(f, '"/usr/local/python3.10/lib/python3.10/site-packages/vllm_ascend/worker/worker.py"', /path/);
    has(f, '164', /numeric\.line/);
    has(f, 'init_device', /function/);
    const prefixed = 'ERROR 04-18 01:55:45 engine.py:400]   File "/x/vllm/utils.py", line 2196, in run_method';
    has(prefixed, '"/x/vllm/utils.py"', /path/);
    has('ImportError: libatb.so: cannot open shared object file: No such file or directory', 'ImportError', /exception/);
    has('ImportError: libatb.so: cannot open shared object file: No such file or directory', 'libatb.so: cannot open shared object file', /known/);
    has('During handling of the above exception, another exception occurred:', 'During handling', /traceback/);
  });

  it('uvicorn access lines: peer, request, status', () => {
    const l = 'INFO:     127.0.0.1:35426 - "POST /v1/chat/completions HTTP/1.1" 200 OK';
    has(l, 'INFO', /log\.info/);
    has(l, '"POST /v1/chat/completions HTTP/1.1"', /request/);
    has(l, '200', /status\.ok/);
    has('INFO:     127.0.0.1:1 - "POST /v1/completions HTTP/1.1" 400 Bad Request', '400', /status\.error/);
  });

  it('tokenises every real failure log without error, and marks each error code in them', { skip: fs.existsSync(SHARED) ? false : 'shared/samples not found' }, () => {
    const files = fs.readdirSync(SHARED).filter((f) => f.startsWith('error_'));
    assert.ok(files.length >= 5);
    for (const f of files) {
      let state = vsctm.INITIAL;
      for (const line of fs.readFileSync(path.join(SHARED, f), 'utf8').split('\n')) {
        const r = grammar.tokenizeLine(line, state);
        state = r.ruleStack;
        const m = /\b(E[A-Z0-9]\d{4}|ERR\d{5})\b/.exec(line);
        if (m) {
          const tok = r.tokens.find((t) => t.startIndex <= m.index && t.endIndex >= m.index + m[0].length);
          assert.ok(tok?.scopes.some((s) => /error-code/.test(s)), `${f}: ${m[0]} in "${line.slice(0, 100)}"`);
        }
      }
    }
  });
});
