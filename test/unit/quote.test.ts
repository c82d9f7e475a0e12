import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LocalTransport } from '../../src/core/transport/local';
import { quoteArg, quoteCommand } from '../../src/core/transport/quote';

const hostile = [
  'plain', '', ' ', "it's", '"double"', '$(touch /tmp/pwned)', '`id`', 'a;b', 'a|b', 'a&&b', 'line1\nline2',
  '*', '?', '[a-z]', '~', '-n', '--help', '昇腾 NPU', '\\', "'", "''", '$HOME', '${PATH}', '!event', '\t', 'a=b',
];

describe('shell quoting', () => {
  it('leaves safe words bare and quotes the rest', () => {
    assert.equal(quoteArg('abc-1.2/x'), 'abc-1.2/x');
    assert.equal(quoteArg("it's"), `'it'\\''s'`);
    assert.equal(quoteArg(''), "''");
  });

  it('round-trips a hostile corpus through a real /bin/sh byte for byte', async () => {
    const t = new LocalTransport();
    const cmd = quoteCommand(['printf', '%s\\0', ...hostile], { ODD_VALUE: "x'; rm -rf / #" });
    const r = await t.exec(['/bin/sh', '-c', cmd]);
    assert.equal(r.code, 0, r.stderr.toString());
    const got = r.stdout.toString('utf8').split('\0').slice(0, -1);
    assert.deepEqual(got, hostile);
  });

  it('passes environment values literally', async () => {
    const t = new LocalTransport();
    const cmd = quoteCommand(['sh', '-c', 'printf %s "$ODD_VALUE"'], { ODD_VALUE: "$(id) `id` 'q'" });
    const r = await t.exec(['/bin/sh', '-c', cmd]);
    assert.equal(r.stdout.toString(), "$(id) `id` 'q'");
  });

  it('rejects invalid environment names', () => {
    assert.throws(() => quoteCommand(['true'], { 'A B': '1' }), /invalid environment variable name/);
  });
});
