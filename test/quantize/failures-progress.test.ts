// msModelSlim's log, line by line, into known failures (explained in en and zh-CN) and progress — the lines
// written as the tool writes them (logger format '%(asctime)s - %(name)s - %(levelname)s - %(message)s', the
// application's phase markers, the runner's per-block lines, the legacy scripts' tqdm bar and save lines).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { inLanguage } from '../../src/core/l10n';
import { QUANT_FAILURES, QuantFailureWatcher, recogniseQuantLine } from '../../src/core/quantize/failures';
import { QuantProgressTracker, type QuantProgress } from '../../src/core/quantize/progress';

const log = (level: string, message: string) => `2026-12-05 02:45:14,123 - msmodelslim - ${level} - ${message}`;

describe('known msModelSlim failures', () => {
  const lines: Array<[string, string]> = [
    ['Killed', 'quant-oom-killed'],
    ['[Error] TBE Subprocess[task_distribute] raise error[], main process disappeared!', 'quant-oom-killed'],
    ['RuntimeError: PTA call acl api failed. *** The param dtype not implemented for DT_BFLOAT16, should be in dtype support list [DT_FLOAT16,].', 'quant-bf16-300i'],
    ['RuntimeError: InplaceIndexAdd inner error', 'quant-inplace-index-add'],
    ["ModuleNotFoundError: No module named 'pydantic_core'", 'quant-pydantic'],
    ['ImportError: msmodelslim requires pydantic>=2.10.1', 'quant-pydantic'],
    [log('ERROR', 'No best practice found for model_type=MyQwen and quant_type=QuantType.W8A8'), 'quant-no-best-practice'],
    [log('ERROR', "No adapter found for 'MyQwen'"), 'quant-no-adapter'],
    [log('ERROR', 'model_pedigree qwen9 does NOT exist'), 'quant-pedigree'],
    [log('WARNING', "Model adapter 'qwen3_moe' not found, trying default adapter..."), 'quant-default-adapter'],
    ['msmodelslim.utils.exception.SchemaValidateError: model_type is required unless config_path uses apiversion modelslim_convert', 'quant-bad-arguments'],
  ];

  it('recognises each documented failure line, and nothing in a clean run', () => {
    for (const [line, id] of lines) assert.equal(recogniseQuantLine(line)?.id, id, line);
    for (const clean of [
      log('INFO', '===========QUANTIZE MODEL==========='),
      log('INFO', 'Run processor linear_quant for "model.layers.3"'),
      log('INFO', 'Save safetensors files to /out successfully'),
      'Killed processes: 0', // "Killed" only as the whole line the shell prints
    ]) assert.equal(recogniseQuantLine(clean), undefined, clean);
    assert.deepEqual(new Set(lines.map(([, id]) => id)), new Set(QUANT_FAILURES.map((r) => r.id)), 'every row has a line here');
  });

  it('explains every row in English and 简体中文, with a source', () => {
    for (const row of QUANT_FAILURES) {
      for (const t of [row.title, row.explanation, row.fix]) {
        assert.ok(t.en.trim() && t.zh.trim(), row.id);
        assert.match(t.zh, /[\u4e00-\u9fff]/, `${row.id}: Chinese text`);
      }
      assert.match(row.source, /^https:\/\//, row.id);
    }
  });

  it('the primary cause is the first fatal row seen, in table order; a warning only when nothing fatal happened', () => {
    const w = new QuantFailureWatcher();
    w.feedLine(log('WARNING', "Model adapter 'x' not found, trying default adapter..."));
    assert.equal(w.primary()?.error.id, 'quant-default-adapter');
    w.feedLine(log('INFO', 'Start to init model'));
    w.feedLine(log('ERROR', 'No best practice found for model_type=x and quant_type=QuantType.W8A8'));
    w.feedLine('Killed');
    const p = w.primary()!;
    assert.equal(p.error.id, 'quant-oom-killed');
    assert.equal(p.line, 4, '1-based line of the log');
    assert.deepEqual(w.all().map((f) => f.error.id), ['quant-default-adapter', 'quant-no-best-practice', 'quant-oom-killed']);
  });

  it('a SIGKILL with no line in the log is the OOM kill; zh-CN texts when asked', () => {
    const w = new QuantFailureWatcher();
    w.feedLine(log('INFO', 'Run processor linear_quant for "model.layers.0"'));
    w.feedEnd('SIGTERM');
    assert.equal(w.primary(), undefined);
    w.feedEnd('SIGKILL');
    assert.deepEqual({ id: w.primary()?.error.id, line: w.primary()?.line }, { id: 'quant-oom-killed', line: null });
    const zh = inLanguage('zh-CN', () => w.primary()!);
    assert.equal(zh.error.title, '进程被终止（主机内存不足）');
    assert.match(zh.error.fix, /layer_wise/);
  });
});

describe('msModelSlim progress', () => {
  const feed = (t: QuantProgressTracker, line: string) => t.feed(line);

  it('modelslim_v1: phase markers, one line per processor and block, the saver, success', () => {
    const t = new QuantProgressTracker(4);
    const seen: QuantProgress[] = [];
    for (const line of [
      log('INFO', 'quantization with following parameters:'),
      log('INFO', '===========ANALYSE MODEL==========='),
      log('INFO', 'Using model adapter Qwen3MoeModelAdapter.'),
      log('INFO', '===========GET BEST PRACTICE==========='),
      log('INFO', '===========QUANTIZE MODEL==========='),
      log('INFO', 'Start to init model'),
      log('INFO', 'Init model success'),
      log('INFO', 'Run processor anti_outlier for "model.layers.0"'),
      log('INFO', 'Run processor linear_quant for "model.layers.0"'),
      log('INFO', 'Run processor linear_quant for "model.layers.1"'),
      log('INFO', 'Run processor linear_quant for "model.layers.3"'),
      log('INFO', 'Run processor linear_quant for "model.layers.2"'), // out of order: never backwards
      log('INFO', 'Save safetensors files to /out successfully'),
      log('INFO', '===========SUCCESS==========='),
    ]) {
      const p = feed(t, line);
      if (p) seen.push(p);
    }
    assert.deepEqual(seen.map((p) => p.phase), ['analyse', 'best-practice', 'quantize', 'quantize', 'quantize', 'quantize', 'quantize', 'quantize', 'save', 'done']);
    assert.deepEqual(seen.filter((p) => p.block !== null).map((p) => p.block), [1, 2, 4, 4, 4]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.fraction >= seen[i - 1]!.fraction, `fraction never goes back (${i})`);
    assert.equal(seen.at(-1)!.fraction, 1);
    assert.ok(Math.abs(seen.find((p) => p.block === 2)!.fraction - 0.55) < 1e-9, 'half the blocks: halfway between init (15 %) and the blocks\' end (95 %)');
  });

  it('legacy scripts: the tqdm bar with carriage returns gives blocks and their count', () => {
    const t = new QuantProgressTracker(null);
    const p = feed(t, 'Collect quant param:   0%|          | 0/2 [00:00<?, ?it/s]\rCollect quant param:  50%|█████     | 1/2 [00:03<00:03,  3.1s/it]')!;
    assert.deepEqual({ phase: p.phase, block: p.block, blocks: p.blocks }, { phase: 'quantize', block: 1, blocks: 2 });
    assert.equal(feed(t, 'Collect quant param:  50%|█████     | 1/2 [00:03<00:03,  3.1s/it]'), null, 'no move, no event');
    assert.equal(feed(t, "Path of quant_model_description_json is '/out/quant_model_description.json' ")!.phase, 'save');
    assert.equal(feed(t, 'Save quant_model_description_json success!')!.phase, 'done');
  });

  it('blocks without a known count keep the fraction and still count blocks', () => {
    const t = new QuantProgressTracker(null);
    feed(t, log('INFO', 'Init model success'));
    const p = feed(t, log('INFO', 'Run processor linear_quant for "model.language_model.layers.7"'))!;
    assert.deepEqual({ block: p.block, blocks: p.blocks, fraction: p.fraction }, { block: 8, blocks: null, fraction: 0.15 });
  });
});
