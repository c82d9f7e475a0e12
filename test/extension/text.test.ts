import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bar, gb } from '../../src/extension/views/text';

describe('view text helpers', () => {
  it('draws HBM bars of ten cells with eighth-cell precision', () => {
    assert.equal(bar(0, 64), '░░░░░░░░░░');
    assert.equal(bar(64, 64), '██████████');
    assert.equal(bar(32, 64), '█████░░░░░');
    assert.equal(bar(3.2, 64), '▌░░░░░░░░░', 'five percent is half a cell');
    assert.equal(bar(100, 64), '██████████', 'clamped');
    assert.equal(bar(1, 0), '', 'no total, no bar');
    for (let used = 0; used <= 65536; used += 977) assert.equal([...bar(used, 65536)].length, 10);
  });

  it('formats MB as GB with one decimal', () => {
    assert.equal(gb(65536), '64.0');
    assert.equal(gb(3174), '3.1');
  });
});
