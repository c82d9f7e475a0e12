import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  COMPAT_MATRIX, CompatRowSchema, compareCann, comparePep440, findCompatRow, nearestCompatRow, parseCannVersion, publicVersion, pythonInRange, sameRelease,
} from '../../src/core/knowledge/compat';

describe('vllm-ascend compatibility matrix (data)', () => {
  it('every row validates and names its source', () => {
    for (const r of COMPAT_MATRIX) {
      assert.doesNotThrow(() => CompatRowSchema.parse(r));
      assert.match(r.source, /^https:\/\/github\.com\/vllm-project\/vllm-ascend\//);
    }
  });
  it('one row per release, newest first by release order', () => {
    const ids = COMPAT_MATRIX.map((r) => r.vllmAscend);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(COMPAT_MATRIX.length >= 35);
  });
  it('torch_npu always belongs to the torch of its row', () => {
    for (const r of COMPAT_MATRIX) assert.ok(sameRelease(r.torchNpu, r.torch), `${r.vllmAscend}: ${r.torchNpu} vs ${r.torch}`);
  });
  it('rows as the versioning policy gives them', () => {
    const r = findCompatRow('0.18.0')!;
    assert.deepEqual([r.vllm, r.cann, r.torch, r.torchNpu, r.python], [['0.18.0'], '8.5.1', '2.9.0', '2.9.0.post1+git4c901a4', ['3.10', '3.12']]);
    const r2 = findCompatRow('v0.13.0rc1')!;
    assert.equal(r2.cann, '8.3.RC2');
    assert.deepEqual(findCompatRow('0.10.1rc1')!.vllm, ['0.10.1', '0.10.1.1']);
    assert.equal(findCompatRow('0.11.0rc0')!.vllm[0], '0.11.0rc3');
    assert.match(findCompatRow('0.7.3')!.note ?? '', /mindie-turbo/);
    assert.equal(findCompatRow('0.24.0rc1')!.source.includes('v0.24.0rc1'), true);
  });
  it('lookup ignores local labels; unknown releases fall back to the nearest older row of the same minor', () => {
    assert.equal(findCompatRow('0.13.0rc1+g1234abc')?.vllmAscend, '0.13.0rc1');
    assert.equal(findCompatRow('0.13.1'), null);
    assert.equal(nearestCompatRow('0.13.1.dev12+gdeadbee')?.vllmAscend, '0.13.0');
    assert.equal(nearestCompatRow('0.11.0rc4')?.vllmAscend, '0.11.0rc3');
    assert.equal(nearestCompatRow('0.99.0'), null);
    assert.equal(nearestCompatRow('not a version'), null);
  });
});

describe('version arithmetic', () => {
  it('PEP 440 ordering', () => {
    const ordered = ['0.9.0rc1', '0.9.0rc2', '0.9.0', '0.9.0.post1', '0.9.1.dev3', '0.9.1rc1', '0.9.1', '0.10.0'];
    for (let i = 0; i + 1 < ordered.length; i++) assert.equal(comparePep440(ordered[i], ordered[i + 1]), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(comparePep440('2.8.0+cpu', '2.8.0'), 0);
    assert.equal(comparePep440('v0.11.0', '0.11.0'), 0);
    assert.equal(comparePep440('2.5.1.post1.dev20250619', '2.5.1.post1'), -1);
    // Cases a lenient hand-written parser got wrong: epochs, dev releases of pre-releases, implicit
    // post releases, alternative spellings (pip's normalisation).
    const pip = ['1.0.dev0', '1.0a1.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0-1', '1.0.post2', '1.1', '1!0.1'];
    for (let i = 0; i + 1 < pip.length; i++) assert.equal(comparePep440(pip[i]!, pip[i + 1]!), -1, `${pip[i]} < ${pip[i + 1]}`);
    assert.equal(comparePep440('1.0c1', '1.0rc1'), 0);
    assert.equal(comparePep440('1.0-alpha.1', '1.0a1'), 0);
    assert.equal(comparePep440('1.0', '1.0.0'), 0);
    assert.equal(comparePep440('not a version', '1.0'), 1);
  });
  it('public version and same release', () => {
    assert.equal(publicVersion('0.11.0+empty'), '0.11.0');
    assert.equal(publicVersion('v2.9.0.post1+git4c901a4'), '2.9.0.post1');
    assert.ok(sameRelease('2.8.0.post2', '2.8.0'));
    assert.ok(!sameRelease('2.8.0', '2.7.1'));
    assert.ok(!sameRelease('garbage', '2.7.1'));
  });
  it('CANN ordering: RC builds before the dotted release of the same minor', () => {
    const ordered = ['7.0.1', '8.0.RC1', '8.0.RC3', '8.0.0', '8.1.RC1', '8.3.RC1', '8.3.RC2', '8.5.0', '8.5.1', '9.0.0', '9.1.0'];
    for (let i = 0; i + 1 < ordered.length; i++) assert.equal(compareCann(ordered[i], ordered[i + 1]), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(compareCann('8.3.rc2', '8.3.RC2'), 0);
    assert.deepEqual(parseCannVersion('8.0.RC3.alpha003'), { major: 8, minor: 0, rc: 3, patch: null, suffix: '.alpha003' });
    assert.equal(parseCannVersion('eight'), null);
  });
  it('python range is [min, max)', () => {
    assert.ok(pythonInRange('3.10.12', ['3.10', '3.12']));
    assert.ok(pythonInRange('3.11.7', ['3.10', '3.12']));
    assert.ok(!pythonInRange('3.12.0', ['3.10', '3.12']));
    assert.ok(!pythonInRange('3.9.18', ['3.10', '3.12']));
    assert.ok(!pythonInRange('x', ['3.10', '3.12']));
  });
});
