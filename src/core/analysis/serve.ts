import * as l10n from '@vscode/l10n';
import { findQuantMethod, QUANT_METHODS } from '../knowledge/quant';
import { say, vaUrl } from '../knowledge/text';
import { type Finding, type Fix, type Range, range } from './types';

/**
 * serve-args: `vllm serve` command lines in shell scripts and in Markdown code blocks. A small shell
 * word splitter (quotes, backslash continuations, comments, `;` `&&` `|` separators, `export` and
 * `VAR=value` prefixes) keeps every word's position so findings point at the flag.
 */

export interface ServeOptions {
  /** Target chip (npu-smi Name, e.g. 910B3, 310P3); '' = unknown. */
  chip: string;
  /** --max-model-len at or above which --enforce-eager is advised. */
  longContextThreshold: number;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = { chip: '', longContextThreshold: 8192 };

interface Word {
  text: string;
  line: number;
  start: number;
  endLine: number;
  end: number;
}

interface PhysLine {
  line: number;
  col: number;
  text: string;
}

const SRC = {
  tuning: { source: 'VA@182b75e docs/source/developer_guide/performance_and_debug/optimization_and_tuning.md (HCCL_OP_EXPANSION_MODE=AIV)', href: vaUrl('docs/source/developer_guide/performance_and_debug/optimization_and_tuning.md') },
  eager: { source: 'VA@182b75e tests/e2e/models/configs/Hunyuan-A13B-Instruct.yaml (enforce_eager)', href: vaUrl('tests/e2e/models/configs/Hunyuan-A13B-Instruct.yaml') },
  platform: { source: 'VA@182b75e vllm_ascend/platform.py (attention backends, device communicator, supported_quantization)', href: vaUrl('vllm_ascend/platform.py') },
  devices: { source: 'ascend-facts §d: CUDA_VISIBLE_DEVICES is meaningless on NPU (vllm-ascend issue #6063); NPUPlatform.device_control_env_var', href: 'https://github.com/vllm-project/vllm-ascend/issues/6063' },
  support: { source: 'VA@182b75e docs/source/user_guide/support_matrix/supported_models.md (Atlas 300I Duo: W8A8, no BF16)', href: vaUrl('docs/source/user_guide/support_matrix/supported_models.md') },
};

function mk(r: Range, severity: Finding['severity'], message: string, src: { source: string; href: string }, fixes: Fix[] = []): Finding {
  return { range: r, severity, code: 'serve-args', message, source: src.source, href: src.href, fixes, hover: `${message}\n\n${l10n.t('Source')}: [${src.source}](${src.href})` };
}

/** Splits physical lines into commands of words. */
function commands(lines: PhysLine[]): Word[][] {
  const out: Word[][] = [];
  let cur: Word[] = [];
  let word: Word | undefined;
  let quote: string | undefined;
  const flushWord = () => {
    if (word) cur.push(word);
    word = undefined;
  };
  const flushCmd = () => {
    flushWord();
    if (cur.length) out.push(cur);
    cur = [];
  };
  for (const pl of lines) {
    const t = pl.text;
    let i = 0;
    let continued = false;
    for (; i < t.length; i++) {
      const ch = t[i];
      const col = pl.col + i;
      if (quote) {
        if (ch === quote) quote = undefined;
        else if (ch === '\\' && quote === '"' && i + 1 < t.length) word!.text += t[++i];
        else word!.text += ch;
        word!.endLine = pl.line;
        word!.end = col + 1;
        continue;
      }
      if (ch === '\\' && i === t.length - 1) {
        continued = true;
        break;
      }
      if (ch === ' ' || ch === '\t') {
        flushWord();
        continue;
      }
      if (ch === '#' && !word) break;
      if (ch === ';' || ch === '&' || ch === '|' || ch === '(' || ch === ')' || ch === '`') {
        flushCmd();
        continue;
      }
      if (!word) word = { text: '', line: pl.line, start: col, endLine: pl.line, end: col };
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < t.length) word.text += t[++i];
      else word.text += ch;
      word.end = col + 1;
      word.endLine = pl.line;
    }
    if (quote) {
      if (word) word.text += '\n';
      continue;
    }
    if (!continued) flushCmd();
    else flushWord();
  }
  flushCmd();
  return out;
}

const WRAPPERS = new Set(['nohup', 'exec', 'time', 'sudo', 'env', 'command', 'stdbuf', 'numactl', 'taskset']);
const VALUE_FLAGS = new Set([
  'model', 'tokenizer', 'quantization', 'q', 'dtype', 'max-model-len', 'tensor-parallel-size', 'tp', 'pipeline-parallel-size', 'pp',
  'data-parallel-size', 'dp', 'port', 'host', 'gpu-memory-utilization', 'served-model-name', 'kv-cache-dtype', 'load-format', 'device',
  'attention-backend', 'max-num-seqs', 'max-num-batched-tokens', 'block-size', 'compilation-config', 'additional-config', 'seed',
  'distributed-executor-backend', 'swap-space', 'revision', 'download-dir', 'chat-template', 'api-key', 'data-parallel-size-local',
  'data-parallel-address', 'data-parallel-rpc-port', 'data-parallel-start-rank', 'speculative-config', 'hf-overrides', 'generation-config',
]);

interface ServeCmd {
  words: Word[];
  env: Map<string, Word>;
  flags: Map<string, { flag: Word; value?: Word }>;
  model?: Word;
}

function parseServe(words: Word[], fileEnv: Map<string, Word>): ServeCmd | undefined {
  let i = 0;
  const env = new Map(fileEnv);
  for (;;) {
    const w = words[i];
    if (!w) return undefined;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) {
      env.set(w.text.split('=')[0], w);
      i++;
    } else if (WRAPPERS.has(w.text) || (w.text.startsWith('-') && i > 0 && WRAPPERS.has(words[i - 1].text))) i++;
    else break;
  }
  const w0 = words[i]?.text ?? '';
  let rest: Word[];
  if ((w0 === 'vllm' || w0.endsWith('/vllm')) && words[i + 1]?.text === 'serve') rest = words.slice(i + 2);
  else if (/^python[0-9.]*$/.test(w0.split('/').pop() ?? '') && words[i + 1]?.text === '-m' && words[i + 2]?.text === 'vllm.entrypoints.openai.api_server') rest = words.slice(i + 3);
  else return undefined;
  const flags = new Map<string, { flag: Word; value?: Word }>();
  let model: Word | undefined;
  for (let k = 0; k < rest.length; k++) {
    const w = rest[k];
    if (w.text.startsWith('-') && w.text.length > 1) {
      const eq = w.text.indexOf('=');
      const name = (eq > 0 ? w.text.slice(0, eq) : w.text).replace(/^--?/, '').replace(/_/g, '-');
      if (eq > 0) {
        const vt = w.text.slice(eq + 1);
        flags.set(name, { flag: w, value: { ...w, text: vt, start: w.start + eq + 1 } });
      } else if (VALUE_FLAGS.has(name) || (rest[k + 1] && !rest[k + 1].text.startsWith('-') && !name.startsWith('enable') && !name.startsWith('disable') && !name.startsWith('no-') && name !== 'enforce-eager' && name !== 'trust-remote-code' && name !== 'headless')) {
        flags.set(name, { flag: w, value: rest[k + 1] });
        k++;
      } else flags.set(name, { flag: w });
    } else if (!model) model = w;
  }
  if (!model && flags.get('model')?.value) model = flags.get('model')!.value;
  return { words, env, flags, model };
}

const wr = (w: Word): Range => range(w.line, w.start, w.endLine, w.end);
const span = (a: Word, b: Word): Range => range(a.line, a.start, b.endLine, b.end);

const CUDA_ATTENTION_BACKENDS = /^(FLASH_ATTN|FLASHINFER|XFORMERS|TRITON_ATTN|FLASHMLA|CUTLASS_MLA|FLASH_ATTN_MLA|TRITON_MLA)/i;

function checkServe(cmd: ServeCmd, opts: ServeOptions, out: Finding[]): void {
  const f = cmd.flags;
  const first = cmd.words[0];
  const q = f.get('quantization') ?? f.get('q');
  if (q?.value) {
    const m = findQuantMethod(q.value.text);
    if (m && m.loadable === 'no') {
      // No text fix: `--quantization ascend` on a folder that still holds GPTQ/AWQ weights only moves the
      // failure to the server. The editor offers the conversion itself (msModelSlim) as a code action.
      out.push(mk(span(q.flag, q.value), 'error', l10n.t('--quantization {0}: {1}', q.value.text, say(m.advice!)), m));
    } else if (m && m.loadable === 'a5-only') {
      out.push(mk(span(q.flag, q.value), 'warning', l10n.t('--quantization {0}: {1}', q.value.text, say(m.advice!)), m));
    }
  }
  const explicit = q?.value ? findQuantMethod(q.value.text) : undefined;
  if (cmd.model && !explicit) {
    const hinted = QUANT_METHODS.find((m) => m.loadable === 'no' && m.nameHints.some((h) => cmd.model!.text.includes(h)));
    if (hinted) {
      out.push(
        mk(wr(cmd.model), 'warning', l10n.t('"{0}" looks like a {1} checkpoint: vLLM picks the quantization from its config.json and Ascend NPUs cannot load {1}. {2}', cmd.model.text, hinted.name.toUpperCase(), say(hinted.advice!)), hinted),
      );
    }
  }
  const tp = f.get('tensor-parallel-size') ?? f.get('tp');
  const tpN = tp?.value ? Number(tp.value.text) : NaN;
  if (tp?.value && tpN > 1 && cmd.env.get('HCCL_OP_EXPANSION_MODE')?.text.split('=').slice(1).join('=').replace(/["']/g, '') !== 'AIV') {
    const indent = ' '.repeat(first.start);
    out.push(
      mk(span(tp.flag, tp.value), 'warning', l10n.t('Tensor parallel size {0} without HCCL_OP_EXPANSION_MODE=AIV: set it for multi-card serving (faster collectives, stable ACL graph capture).', tp.value.text), SRC.tuning, [
        { title: l10n.t('Add `export HCCL_OP_EXPANSION_MODE=AIV` before the command'), preferred: true, edits: [{ range: range(first.line, first.start, first.line, first.start), newText: `export HCCL_OP_EXPANSION_MODE=AIV\n${indent}` }] },
      ]),
    );
  }
  const dtype = f.get('dtype');
  if (dtype?.value) {
    const d = dtype.value.text.toLowerCase();
    if ((d === 'bfloat16' || d === 'bf16') && /^310/i.test(opts.chip)) {
      out.push(mk(span(dtype.flag, dtype.value), 'error', l10n.t('--dtype {0}: the {1} chip has no bfloat16; use --dtype float16.', dtype.value.text, opts.chip), SRC.support, [{ title: l10n.t('Replace `{0}` with `{1}`', dtype.value.text, 'float16'), edits: [{ range: wr(dtype.value), newText: 'float16' }], preferred: true }]));
    }
    if (d === 'float64' || d === 'double') out.push(mk(span(dtype.flag, dtype.value), 'error', l10n.t('float64 is not supported on the NPU; use float32.'), SRC.platform));
  }
  const mml = f.get('max-model-len');
  if (mml?.value && !f.has('enforce-eager')) {
    const n = parseMaxLen(mml.value.text);
    if (n !== undefined && n >= opts.longContextThreshold) {
      out.push(
        mk(span(mml.flag, mml.value), 'warning', l10n.t('--max-model-len {0} without --enforce-eager: long sequences can break ACL graph capture; add --enforce-eager (or validate graph mode first).', mml.value.text), SRC.eager, [
          { title: l10n.t('Add `--enforce-eager`'), edits: [{ range: range(mml.value.endLine, mml.value.end, mml.value.endLine, mml.value.end), newText: ' --enforce-eager' }] },
        ]),
      );
    }
  }
  const device = f.get('device');
  if (device?.value && /^cuda/i.test(device.value.text)) {
    out.push(mk(span(device.flag, device.value), 'error', l10n.t('--device {0} does not exist on Ascend; remove it (the vllm-ascend platform plugin selects the NPU).', device.value.text), SRC.platform, [{ title: l10n.t('Remove `{0}`', `--device ${device.value.text}`), edits: [{ range: span(device.flag, device.value), newText: '' }] }]));
  }
  const ab = f.get('attention-backend');
  if (ab?.value && CUDA_ATTENTION_BACKENDS.test(ab.value.text)) {
    out.push(mk(span(ab.flag, ab.value), 'error', l10n.t('Attention backend {0} is CUDA-only; remove the flag (vllm-ascend selects its Ascend attention backend).', ab.value.text), SRC.platform));
  }
  const envAb = cmd.env.get('VLLM_ATTENTION_BACKEND');
  if (envAb && CUDA_ATTENTION_BACKENDS.test(envAb.text.split('=')[1] ?? '')) {
    out.push(mk(wr(envAb), 'error', l10n.t('Attention backend {0} is CUDA-only; remove the flag (vllm-ascend selects its Ascend attention backend).', envAb.text.split('=')[1]), SRC.platform));
  }
  const kv = f.get('kv-cache-dtype');
  if (kv?.value && /^fp8/i.test(kv.value.text)) {
    out.push(mk(span(kv.flag, kv.value), 'error', l10n.t('--kv-cache-dtype {0}: Atlas A2/A3 have no FP8; use the default KV cache dtype (or a C8 KV-quantized model).', kv.value.text), SRC.platform));
  }
  const lf = f.get('load-format');
  if (lf?.value && /^(bitsandbytes|gguf)$/i.test(lf.value.text)) {
    out.push(mk(span(lf.flag, lf.value), 'error', l10n.t('--load-format {0} is not supported on Ascend; convert the checkpoint with msModelSlim.', lf.value.text), SRC.platform));
  }
  const car = f.get('disable-custom-all-reduce');
  if (car) out.push(mk(wr(car.flag), 'information', l10n.t('--disable-custom-all-reduce does nothing on Ascend: custom all-reduce is CUDA-only and HCCL is always used.'), SRC.platform));
}

function parseMaxLen(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) return undefined;
  const mul = m[2] === '' ? 1 : m[2] === 'k' ? 1000 : m[2] === 'K' ? 1024 : m[2] === 'm' ? 1_000_000 : 1024 * 1024;
  return Math.round(Number(m[1]) * mul);
}

function analyzeLines(lines: PhysLine[], opts: ServeOptions, fileEnv: Map<string, Word>, out: Finding[]): void {
  for (const words of commands(lines)) {
    if (words[0]?.text === 'export' || words[0]?.text === 'declare') {
      for (const w of words.slice(1)) {
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) {
          fileEnv.set(w.text.split('=')[0], w);
          checkEnvWord(w, out);
        }
      }
      continue;
    }
    for (const w of words) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) break;
      checkEnvWord(w, out);
    }
    const cmd = parseServe(words, fileEnv);
    if (cmd) checkServe(cmd, opts, out);
  }
}

function checkEnvWord(w: Word, out: Finding[]): void {
  if (!w.text.startsWith('CUDA_VISIBLE_DEVICES=')) return;
  const r = range(w.line, w.start, w.line, w.start + 'CUDA_VISIBLE_DEVICES'.length);
  out.push(
    mk(r, 'warning', l10n.t('CUDA_VISIBLE_DEVICES means nothing to an Ascend NPU; use ASCEND_RT_VISIBLE_DEVICES.'), SRC.devices, [
      { title: l10n.t('Replace `{0}` with `{1}`', 'CUDA_VISIBLE_DEVICES', 'ASCEND_RT_VISIBLE_DEVICES'), edits: [{ range: r, newText: 'ASCEND_RT_VISIBLE_DEVICES' }], preferred: true },
    ]),
  );
}

export const SERVE_RE = /\bvllm\s+serve\b|vllm\.entrypoints\.openai\.api_server/;

export function analyzeShell(text: string, opts: ServeOptions = DEFAULT_SERVE_OPTIONS): Finding[] {
  const out: Finding[] = [];
  const lines = text.split(/\r?\n/).map((t, i) => ({ line: i, col: 0, text: t }));
  analyzeLines(lines, opts, new Map(), out);
  return out;
}

const SHELL_INFO = /^(bash|sh|shell|zsh|console|shell-session|)$/i;

export function analyzeMarkdown(text: string, opts: ServeOptions = DEFAULT_SERVE_OPTIONS): Finding[] {
  const out: Finding[] = [];
  const all = text.split(/\r?\n/);
  const env = new Map<string, Word>();
  let fence: { marker: string; info: string; lines: PhysLine[] } | undefined;
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    const m = /^( {0,3})(`{3,}|~{3,})\s*([\w-]*)/.exec(t);
    if (!fence && m) {
      fence = { marker: m[2], info: m[3], lines: [] };
      continue;
    }
    if (fence && m && m[2].startsWith(fence.marker[0]) && m[2].length >= fence.marker.length && t.trim() === m[2]) {
      if (SHELL_INFO.test(fence.info)) analyzeLines(fence.lines, opts, env, out);
      fence = undefined;
      continue;
    }
    if (fence) {
      const p = /^(\s*(?:\$|#|>)\s+)(?=\S)/.exec(t);
      const console = /console|shell-session/i.test(fence.info);
      if (console && p && !t.trimStart().startsWith('#!')) fence.lines.push({ line: i, col: p[1].length, text: t.slice(p[1].length) });
      else fence.lines.push({ line: i, col: 0, text: t });
    }
  }
  return out;
}
