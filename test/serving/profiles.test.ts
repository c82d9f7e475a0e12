import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildServeCommand } from '../../src/core/serving/command';
import {
  ConfigError,
  configJsonSchema,
  DEFAULT_SMOKE_PROMPTS,
  getProfile,
  loadConfigFile,
  parseConfig,
  profileSchema,
} from '../../src/core/profiles';
import { quoteArgv } from '../../src/core/transport/quote';

const root = path.resolve(__dirname, '..', '..');
const SCHEMA_FILE = path.join(root, 'schemas', 'ascend-adapt.schema.json');

describe('ascend-adapt.json profiles', () => {
  it('applies defaults: TP/PP/DP 1, port 8000, the four standard Chinese prompts', () => {
    const cfg = parseConfig(JSON.stringify({ profiles: { a: { modelPath: '/m' } } }));
    const p = getProfile(cfg, 'a');
    assert.equal(p.name, 'a');
    assert.equal(p.tensorParallelSize, 1);
    assert.equal(p.port, 8000);
    assert.deepEqual(p.vllmCommand, ['vllm']);
    assert.deepEqual(p.smokePrompts, [...DEFAULT_SMOKE_PROMPTS]);
    assert.deepEqual(p.smokePrompts, ['你好,请介绍一下你自己', '什么是大语言模型?', '用Python写一个快速排序算法', '解释一下什么是transformer架构']);
  });

  it('names every wrong field with its path, and unknown keys (typos) too', () => {
    const text = JSON.stringify({ profiles: { p1: { modelPath: '/m', tensorParallelSize: 0, port: 'x', tensorParallel: 2, env: { 'BAD-NAME': '1' } } } });
    try {
      parseConfig(text, 'ws/ascend-adapt.json');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const msg = e.problems.join('\n');
      assert.match(e.message, /ws\/ascend-adapt\.json/);
      assert.match(msg, /profiles\.p1\.tensorParallelSize:/);
      assert.match(msg, /profiles\.p1\.port:/);
      assert.match(msg, /profiles\.p1.*tensorParallel/);
      assert.match(msg, /profiles\.p1\.env\.BAD-NAME/);
    }
  });

  it('gives a clear error for bad JSON, a missing file and an unknown profile', () => {
    assert.throws(() => parseConfig('{"profiles": {', 'x.json'), (e: Error) => e instanceof ConfigError && /x\.json is not valid JSON/.test(e.message));
    assert.throws(() => loadConfigFile('/nonexistent/ascend-adapt.json'), /not found/);
    const cfg = parseConfig(JSON.stringify({ profiles: { a: { modelPath: '/m' }, b: { modelPath: '/n' } } }));
    assert.throws(() => getProfile(cfg, 'zz'), /no profile "zz".*profiles: a, b/);
    assert.throws(() => getProfile(parseConfig('{}'), 'zz'), /no profiles yet/);
  });

  it('loads a file from disk and keeps other top-level sections', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-prof-'));
    const f = path.join(dir, 'ascend-adapt.json');
    fs.writeFileSync(f, '\uFEFF' + JSON.stringify({ $schema: './schemas/ascend-adapt.schema.json', profiles: { a: { modelPath: '/m' } }, accuracy: { x: 1 } }));
    const cfg = loadConfigFile(f);
    assert.equal(cfg.profiles.a.modelPath, '/m');
    assert.deepEqual((cfg as Record<string, unknown>).accuracy, { x: 1 });
    fs.rmSync(dir, { recursive: true });
  });

  it('schemas/ascend-adapt.schema.json is generated from the zod schema (set UPDATE_SCHEMAS=1 to rewrite)', () => {
    const expected = JSON.stringify(configJsonSchema(), null, 2) + '\n';
    if (process.env.UPDATE_SCHEMAS === '1') fs.writeFileSync(SCHEMA_FILE, expected);
    assert.equal(fs.readFileSync(SCHEMA_FILE, 'utf8'), expected, 'the JSON schema is out of date: run with UPDATE_SCHEMAS=1');
    const s = JSON.parse(expected) as { properties: { profiles: { additionalProperties: { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean } } } };
    const prof = s.properties.profiles.additionalProperties;
    assert.deepEqual(prof.required, ['modelPath']);
    assert.equal(prof.additionalProperties, false);
    for (const k of Object.keys(profileSchema.shape)) assert.ok(k in prof.properties, `${k} in JSON schema`);
  });
});

describe('profile → vllm serve argv + env', () => {
  const profile = (o: Record<string, unknown>) => profileSchema.parse({ modelPath: '/data/hunyuan', ...o });

  it('builds the documented command line for TP 2 with the env it prescribes', () => {
    const c = buildServeCommand(profile({ servedModelName: 'hunyuan-a13b', tensorParallelSize: 2, maxModelLen: 8192, dtype: 'bfloat16', enforceEager: true, trustRemoteCode: true }));
    assert.deepEqual(c.argv, [
      'vllm', 'serve', '/data/hunyuan', '--served-model-name', 'hunyuan-a13b', '--port', '8000', '--tensor-parallel-size', '2',
      '--max-model-len', '8192', '--dtype', 'bfloat16', '--enforce-eager', '--trust-remote-code',
    ]);
    assert.deepEqual(c.env, { ASCEND_RT_VISIBLE_DEVICES: '0,1', PYTORCH_NPU_ALLOC_CONF: 'expandable_segments:True', HCCL_OP_EXPANSION_MODE: 'AIV' });
    assert.deepEqual(c.devices, [0, 1]);
    assert.equal(c.worldSize, 2);
    assert.match(c.display, /^exec env ASCEND_RT_VISIBLE_DEVICES=0,1 .*HCCL_OP_EXPANSION_MODE=AIV vllm serve \/data\/hunyuan/);
  });

  it('TP 1: no HCCL_OP_EXPANSION_MODE; profile env wins; extra args verbatim after the generated ones', () => {
    const c = buildServeCommand(profile({ visibleDevices: [6], env: { PYTORCH_NPU_ALLOC_CONF: 'max_split_size_mb:250', TASK_QUEUE_ENABLE: '1' }, extraArgs: ['--max-num-seqs', '16', "--chat-template=$(rm -rf /)'"] }));
    assert.equal(c.env.HCCL_OP_EXPANSION_MODE, undefined);
    assert.equal(c.env.ASCEND_RT_VISIBLE_DEVICES, '6');
    assert.equal(c.env.PYTORCH_NPU_ALLOC_CONF, 'max_split_size_mb:250');
    assert.equal(c.env.TASK_QUEUE_ENABLE, '1');
    assert.deepEqual(c.argv.slice(-3), ['--max-num-seqs', '16', "--chat-template=$(rm -rf /)'"]);
    assert.equal(c.servedModelName, '/data/hunyuan');
    // Quoting for display keeps the hostile argument one literal word.
    assert.ok(c.display.endsWith(quoteArgv(["--chat-template=$(rm -rf /)'"])));
  });

  it('wraps the command to source a simulated host\'s env.sh, leaving the vllm argv unchanged', () => {
    const c = buildServeCommand(profile({ simRoot: '/tmp/sim dir', quantization: 'ascend', gpuMemoryUtilization: 0.85, pipelineParallelSize: 2, dataParallelSize: 2 }));
    assert.deepEqual(c.argv.slice(0, 5), ['sh', '-c', 'r=$1; shift; . "$r/env.sh" && exec "$@"', 'ascend-adapt-sim', '/tmp/sim dir']);
    assert.deepEqual(c.argv.slice(5), c.vllmArgv);
    assert.ok(c.vllmArgv.includes('--quantization'));
    assert.deepEqual(c.devices, [0, 1, 2, 3]);
    assert.ok(c.vllmArgv.includes('--pipeline-parallel-size') && c.vllmArgv.includes('--data-parallel-size'));
  });
});

describe('writing profiles', () => {
  it('creates the file with a first profile, then adds another keeping everything else', async () => {
    const { upsertProfile } = await import('../../src/core/profiles');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-prof-w-'));
    const f = path.join(dir, 'ascend-adapt.json');
    upsertProfile(f, 'first', { host: 'atlas', modelPath: '/data/m', tensorParallelSize: 2 }, { schemaRef: './schemas/ascend-adapt.schema.json' });
    let j = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
    assert.equal(j.$schema, './schemas/ascend-adapt.schema.json');
    assert.deepEqual(j.profiles, { first: { host: 'atlas', modelPath: '/data/m', tensorParallelSize: 2 } });
    fs.writeFileSync(f, JSON.stringify({ ...j, accuracy: { keep: true } }, null, 2));
    upsertProfile(f, 'second', { modelPath: '/data/n' });
    j = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j.profiles as object), ['first', 'second']);
    assert.deepEqual(j.accuracy, { keep: true });
    assert.equal(getProfile(loadConfigFile(f), 'second').port, 8000);
    // a bad profile is refused with the field named, and the file is unchanged
    const before = fs.readFileSync(f, 'utf8');
    assert.throws(() => upsertProfile(f, 'bad', { modelPath: '/x', port: 70000 } as never), /profiles\.bad\.port/);
    assert.throws(() => upsertProfile(f, 'has space', { modelPath: '/x' }), /spaces/);
    fs.writeFileSync(f, '{ broken');
    assert.throws(() => upsertProfile(f, 'third', { modelPath: '/x' }), /not valid JSON/);
    assert.equal(fs.readFileSync(f, 'utf8'), '{ broken');
    assert.notEqual(before, '{ broken');
    fs.rmSync(dir, { recursive: true });
  });
});
