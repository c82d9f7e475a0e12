import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { KNOWN_ERRORS, knownErrorSchema, localize, LogWatcher, recogniseLine } from '../../src/core/knowledge/errors';

const root = path.resolve(__dirname, '..', '..');
const shared = path.resolve(root, '..', 'shared');
const sample = (name: string) => fs.readFileSync(path.join(shared, 'samples', name));
const haveShared = fs.existsSync(path.join(shared, 'samples'));

function watch(buf: Buffer, chunk = 4096) {
  const w = new LogWatcher();
  for (let i = 0; i < buf.length; i += chunk) w.feed(buf.subarray(i, i + chunk));
  w.end();
  return w;
}

describe('known failures table', () => {
  it('every row is valid, has a source, both languages and a compilable pattern; ids are unique', () => {
    const ids = new Set<string>();
    for (const row of KNOWN_ERRORS) {
      assert.equal(knownErrorSchema.safeParse(row).success, true, row.id);
      assert.ok(!ids.has(row.id), `duplicate ${row.id}`);
      ids.add(row.id);
      assert.doesNotThrow(() => new RegExp(row.pattern));
      assert.match(row.source, /github\.com|\//);
      assert.match(row.title.zh, /[\u4e00-\u9fff]/, `${row.id} zh title is Chinese`);
    }
    for (const code of ['EZ9999', 'EI0006', '507011', 'EH9999', 'E69999', '500001']) {
      assert.ok(KNOWN_ERRORS.some((r) => r.codes.includes(code)), `a row for ${code}`);
    }
  });

  it('localizes to zh-CN and English', () => {
    const row = KNOWN_ERRORS.find((r) => r.id === 'npu-oom')!;
    assert.equal(localize(row, 'zh-CN').title, 'NPU 显存不足');
    assert.equal(localize(row, 'en').title, 'NPU out of memory');
  });

  it('recognises single lines', () => {
    assert.equal(recogniseLine('OSError: [Errno 98] Address already in use')?.id, 'port-in-use');
    assert.equal(recogniseLine("ValueError: gptq quantization is currently not supported in npu.")?.id, 'quant-not-supported');
    assert.equal(recogniseLine('[PID: 9] Get_Socket_Timeout(EI0006): Getting socket times out.')?.id, 'hccl-ei0006');
    assert.equal(recogniseLine('EZ9999: Inner Error! num_heads / num_kv_heads must be in {32, 64, 128}')?.id, 'op-inner-ez9999');
    assert.equal(recogniseLine('INFO 05-19 10:00:00 [api_server.py:1] vLLM API server version 0.18.0'), undefined);
    // an error code inside a longer number is not a match
    assert.equal(recogniseLine('loaded 15070110 tokens'), undefined);
  });
});

describe('log watcher on real failure logs', { skip: haveShared ? false : 'shared/samples not found beside the repo' }, () => {
  const cases: Array<[string, string, string[]]> = [
    ['error_01_acl_500001_EH9999_SocVersion_init_failed.txt', 'cann-socversion', ['acl-500001', 'inner-eh9999', 'engine-core-failed']],
    ['error_02_E69999_aclnnQuantMatmulWeightNz_310P_w8a8.txt', 'tiling-e69999', []],
    ['error_03_507011_EL0003_aicore_exception_HCCL_watchdog.txt', 'aicore-exception', ['acl-507011', 'hccl-watchdog']],
    ['error_05_HCCL_socket_listen_fail_link_establish_timeout.txt', 'hccl-listen-fail', ['hccl-link-timeout']],
    ['error_07_NPU_out_of_memory_load_model_ray.txt', 'npu-oom', []],
    ['error_09_ImportError_libatb_so_not_found.txt', 'libatb-missing', ['no-platform']],
  ];
  for (const [file, primary, also] of cases) {
    it(`${file} → ${primary}`, () => {
      const buf = sample(file);
      const w = watch(buf);
      assert.equal(w.primary()?.error.id, primary);
      const ids = w.findings.map((f) => f.error.id);
      for (const a of also) assert.ok(ids.includes(a), `${a} in ${ids.join(',')}`);
      // each finding points at the line it was seen on, by number and by byte offset
      const lines = buf.toString('utf8').split('\n');
      for (const f of w.findings) {
        assert.equal(lines[f.line - 1].replace(/\r$/, ''), f.text);
        assert.equal(buf.subarray(f.offset, f.offset + Buffer.byteLength(f.text)).toString('utf8'), f.text);
      }
    });
  }

  it('gives the same findings whatever the chunking (1 byte, 7 bytes, whole)', () => {
    const buf = sample('error_01_acl_500001_EH9999_SocVersion_init_failed.txt');
    const key = (w: LogWatcher) => w.findings.map((f) => `${f.error.id}@${f.line}:${f.offset}x${f.count}`).join(' ');
    const whole = key(watch(buf, buf.length));
    assert.equal(key(watch(buf, 1)), whole);
    assert.equal(key(watch(buf, 7)), whole);
  });

  it('counts repeats and reports each failure once, to the callback too', () => {
    const seen: string[] = [];
    const w = new LogWatcher((f) => seen.push(f.error.id), 100);
    w.feed('EH9999: a\nEH9999: b\r\npartial EH99');
    w.feed('99 line\n');
    assert.deepEqual(seen, ['inner-eh9999']);
    assert.equal(w.findings[0].count, 3);
    assert.equal(w.findings[0].offset, 100, 'offsets count from the start offset given');
  });
});
