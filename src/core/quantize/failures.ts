import { z } from 'zod';
import { knownErrorSchema, localize, type KnownError, type LocalizedError } from '../knowledge/errors';
import { msUrl } from './facts';

/**
 * Known failures of a msModelSlim run, as its log (or the way it ended) shows them, with the explanation and
 * the fix in English and 简体中文 — the same row shape as serving's known failures. Rows are tried in order,
 * most specific first; `fatal` rows end the run.
 */

const FAQ = msUrl('docs/en/appendix/faq.md');
const USAGE = msUrl('docs/en/feature_guide/quick_quantization_v1/usage.md');
const APP = msUrl('msmodelslim/app/naive_quantization/application.py');

const rows: KnownError[] = [
  {
    id: 'quant-oom-killed',
    codes: [],
    pattern: '^Killed$|main process disappeared|SIGKILL',
    severity: 'fatal',
    title: { en: 'Killed (out of host memory)', zh: '进程被终止（主机内存不足）' },
    explanation: {
      en: 'The quantization process was killed by the kernel (SIGKILL), almost always the out-of-memory killer: model-wise quantization holds 2–3 times the model in host memory.',
      zh: '量化进程被内核终止（SIGKILL），几乎都是内存不足（OOM killer）所致：按模型（model-wise）量化需要约 2–3 倍模型大小的主机内存。',
    },
    fix: {
      en: 'Check `dmesg | grep -i "killed process\\|oom-kill"` and `free -h`; make sure nobody else holds the memory or the NPUs, then quantize layer by layer (a --config YAML with runner: layer_wise needs 2–3 times one layer) or use a host with more RAM.',
      zh: '用 `dmesg | grep -i "killed process\\|oom-kill"` 和 `free -h` 确认原因；确保没有其他进程占用内存或 NPU，然后改为逐层量化（在 --config YAML 中设置 runner: layer_wise，只需约 2–3 倍单层大小的内存），或换用内存更大的主机。',
    },
    source: FAQ,
  },
  {
    id: 'quant-bf16-300i',
    codes: [],
    pattern: 'param dtype not implemented for DT_BFLOAT16',
    severity: 'fatal',
    title: { en: 'BF16 weights on Atlas 300I', zh: 'Atlas 300I 不支持 BF16 权重' },
    explanation: {
      en: 'Atlas 300I/300T cards compute only in float16; a bfloat16 checkpoint cannot be calibrated on them.',
      zh: 'Atlas 300I/300T 系列只支持 float16 计算，无法在其上校准 bfloat16 权重。',
    },
    fix: { en: 'Set "torch_dtype": "float16" in the model\'s config.json and run again.', zh: '将模型 config.json 中的 "torch_dtype" 改为 "float16" 后重新运行。' },
    source: FAQ,
  },
  {
    id: 'quant-inplace-index-add',
    codes: [],
    pattern: 'InplaceIndexAdd',
    severity: 'fatal',
    title: { en: 'InplaceIndexAdd error on Atlas 300I', zh: 'Atlas 300I 上 InplaceIndexAdd 报错' },
    explanation: { en: 'The operator is compiled on the fly on 300I and fails there.', zh: '该算子在 300I 上即时编译失败。' },
    fix: { en: 'Call torch_npu.npu.set_compile_mode(jit_compile=False) before quantizing (in the example script).', zh: '量化前调用 torch_npu.npu.set_compile_mode(jit_compile=False)（在示例脚本中添加）。' },
    source: FAQ,
  },
  {
    id: 'quant-pydantic',
    codes: [],
    pattern: "requires pydantic|pydantic.*(incompatible|cannot import|has no attribute)|No module named 'pydantic",
    severity: 'fatal',
    title: { en: 'pydantic version conflict', zh: 'pydantic 版本冲突' },
    explanation: { en: 'msModelSlim needs pydantic >= 2.10.1; an older pydantic (or a package pinning one) is installed.', zh: 'msModelSlim 需要 pydantic >= 2.10.1，但环境中装的是旧版本（或有包锁定了旧版本）。' },
    fix: { en: 'pip install "pydantic>=2.10.1" (and upgrade or remove the packages that pin an older one).', zh: '执行 pip install "pydantic>=2.10.1"（并升级或卸载锁定旧版本的包）。' },
    source: FAQ,
  },
  {
    id: 'quant-no-best-practice',
    codes: ['301'],
    pattern: 'No best practice found for model_type=',
    severity: 'fatal',
    title: { en: 'No best practice for this model and quant type', zh: '该模型与量化类型没有最佳实践' },
    explanation: {
      en: 'msModelSlim has no verified practice for this --model_type and --quant_type and asked before falling back to a default one (Enter y to continue).',
      zh: 'msModelSlim 没有该 --model_type 与 --quant_type 的已验证最佳实践，回退到默认实践前需要确认（Enter y to continue）。',
    },
    fix: {
      en: 'Accept the default practice (--yes, or Continue in VS Code), pass --model-type with a name msModelSlim knows, or give your own YAML with --config.',
      zh: '接受默认实践（--yes，或在 VS Code 中选择继续），或用 --model-type 指定 msModelSlim 认识的名称，或用 --config 指定自己的 YAML。',
    },
    source: APP,
  },
  {
    id: 'quant-no-adapter',
    codes: ['301'],
    pattern: "No adapter found for '",
    severity: 'fatal',
    title: { en: 'No model adapter', zh: '没有可用的模型适配器' },
    explanation: { en: 'msModelSlim has no adapter for this --model_type and no default adapter is registered.', zh: 'msModelSlim 没有该 --model_type 的适配器，也没有注册默认适配器。' },
    fix: { en: 'Pass a --model-type from msModelSlim\'s support matrix (case-sensitive), or reinstall msModelSlim (bash install.sh).', zh: '使用 msModelSlim 支持列表中的 --model-type（区分大小写），或重新安装 msModelSlim（bash install.sh）。' },
    source: msUrl('msmodelslim/model/plugin_factory/plugin_model_factory.py'),
  },
  {
    id: 'quant-pedigree',
    codes: ['400'],
    pattern: 'model_pedigree .* does NOT exist',
    severity: 'fatal',
    title: { en: 'Unknown model pedigree', zh: '未知的模型系列' },
    explanation: { en: 'The model adapter names a model family msModelSlim has no practices for.', zh: '模型适配器指向的模型系列在 msModelSlim 中没有任何实践。' },
    fix: { en: 'Give a quantization YAML with --config, or use a --model-type from the support matrix.', zh: '用 --config 指定量化 YAML，或使用支持列表中的 --model-type。' },
    source: APP,
  },
  {
    id: 'quant-default-adapter',
    codes: [],
    pattern: "Model adapter '.*' not found, trying default adapter",
    severity: 'warning',
    title: { en: 'Unknown model type: default adapter', zh: '未知模型类型：使用默认适配器' },
    explanation: {
      en: 'msModelSlim does not know this --model_type and falls back to its default adapter, with a default practice (it asks first). The result may be less accurate than with a dedicated adapter.',
      zh: 'msModelSlim 不认识该 --model_type，回退到默认适配器并使用默认实践（会先询问）。结果精度可能不如专用适配器。',
    },
    fix: { en: 'Use the exact, case-sensitive name from msModelSlim\'s support matrix (e.g. Qwen3-30B, Qwen2.5-7B-Instruct).', zh: '使用 msModelSlim 支持列表中的准确名称（区分大小写，例如 Qwen3-30B、Qwen2.5-7B-Instruct）。' },
    source: msUrl('config/config.ini'),
  },
  {
    id: 'quant-bad-arguments',
    codes: ['203'],
    pattern: 'SchemaValidateError',
    severity: 'fatal',
    title: { en: 'msModelSlim rejected the arguments', zh: 'msModelSlim 拒绝了参数' },
    explanation: { en: 'An argument failed msModelSlim\'s own validation (the message says which).', zh: '某个参数未通过 msModelSlim 自身的校验（报错信息中说明了是哪个）。' },
    fix: { en: 'Correct the argument named in the message (e.g. give --quant-type or --config, not both).', zh: '按报错信息修正对应参数（例如 --quant-type 与 --config 只能二选一）。' },
    source: USAGE,
  },
];

export const QUANT_FAILURES: readonly KnownError[] = Object.freeze(z.array(knownErrorSchema).parse(rows));
const compiled = QUANT_FAILURES.map((row) => ({ row, re: new RegExp(row.pattern) }));

export function recogniseQuantLine(line: string): KnownError | undefined {
  for (const { row, re } of compiled) if (re.test(line)) return row;
  return undefined;
}

export interface QuantFinding {
  error: LocalizedError;
  /** 1-based log line (null when it comes from how the process ended). */
  line: number | null;
  text: string;
}

/** Collects the known failures of one run as its log streams in; `primary` is the likeliest cause. */
export class QuantFailureWatcher {
  private lineNo = 0;
  private readonly seen = new Map<string, { row: KnownError; line: number | null; text: string }>();

  feedLine(text: string): void {
    this.lineNo++;
    const row = recogniseQuantLine(text);
    if (row && !this.seen.has(row.id)) this.seen.set(row.id, { row, line: this.lineNo, text });
  }

  /** How the tool ended, when the log cannot say it (a SIGKILL leaves no line). */
  feedEnd(signal: string | null): void {
    if (signal === 'SIGKILL') {
      const row = QUANT_FAILURES.find((r) => r.id === 'quant-oom-killed')!;
      if (!this.seen.has(row.id)) this.seen.set(row.id, { row, line: null, text: signal });
    }
  }

  all(): QuantFinding[] {
    return [...this.seen.values()].map((s) => ({ error: localize(s.row), line: s.line, text: s.text }));
  }

  primary(): QuantFinding | undefined {
    const list = [...this.seen.values()];
    const fatal = list.filter((s) => s.row.severity === 'fatal');
    const pool = fatal.length ? fatal : list;
    pool.sort((a, b) => QUANT_FAILURES.indexOf(a.row) - QUANT_FAILURES.indexOf(b.row));
    const s = pool[0];
    return s ? { error: localize(s.row), line: s.line, text: s.text } : undefined;
  }
}
