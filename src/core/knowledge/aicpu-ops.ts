import { z } from 'zod';
import { Bilingual, Sourced } from './text';

/**
 * Operators that fall back to the AI CPU in a profile (Accelerator Core / Task Type `AI_CPU`), what in Python
 * code produces them, and what to change. A profile's AI CPU rows are matched by op type; the language server
 * marks the code patterns of the rows a profile saw ("seen on AI CPU in profile <job>"). msprof-analyze's
 * advisor (aicpu_checker.py, rules/*\/aicpu_rules.yaml) flags AI_CPU tasks and links its replacement examples
 * (docs/zh/aicpu_operator_replacement_example.md), which these rows follow.
 */

const RULES = {
  source: 'msprof-analyze advisor: msprof_analyze/advisor/rules/en/aicpu_rules.yaml (AICPU Issues; double_suggestion; ExampleGuideChecker for index, indexput/indexputv2, argmin, nonzero)',
  href: 'https://github.com/Ascend/msprof-analyze/blob/master/msprof_analyze/advisor/rules/en/aicpu_rules.yaml',
};
const EXAMPLES = {
  source: 'msprof-analyze docs/zh/aicpu_operator_replacement_example.md (AI CPU 算子替换样例)',
  href: 'https://gitcode.com/Ascend/msprof-analyze/blob/master/docs/zh/aicpu_operator_replacement_example.md',
};

/**
 * Where an operator comes from in Python:
 *  call            a call of a qualified name through imports (torch.nonzero)
 *  method          a method call on any expression (x.nonzero(), x.index_put_())
 *  where1          torch.where with one argument (it returns indices, like nonzero)
 *  mask-assign     x[index] = value with a tensor-looking index (a comparison, ~mask, a call, or a name such as
 *                  mask / idx / indices): PyTorch runs it as IndexPut
 *  attribute       a dtype named in the code (torch.float64 / torch.double)
 */
export const CodePattern = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), names: z.array(z.string().min(1)).min(1) }),
  z.object({ kind: z.literal('method'), names: z.array(z.string().min(1)).min(1) }),
  z.object({ kind: z.literal('where1') }),
  z.object({ kind: z.literal('mask-assign') }),
  z.object({ kind: z.literal('attribute'), names: z.array(z.string().min(1)).min(1) }),
]);
export type CodePattern = z.infer<typeof CodePattern>;

export const AicpuOpRow = Sourced.extend({
  id: z.string().min(1),
  /** CANN operator types as the profiler names them (matched case-insensitively). */
  opTypes: z.array(z.string().min(1)),
  /** Rows that apply to any AI CPU operator whose inputs have one of these data types (DOUBLE). */
  dtypes: z.array(z.string().min(1)).default([]),
  title: Bilingual,
  fix: Bilingual,
  code: z.array(CodePattern),
});
export type AicpuOpRow = z.infer<typeof AicpuOpRow>;

export const AICPU_OPS: AicpuOpRow[] = z.array(AicpuOpRow).parse([
  {
    id: 'index-put',
    opTypes: ['IndexPut', 'IndexPutV2'],
    title: { en: 'Masked / indexed assignment (IndexPut) runs on the AI CPU', zh: '掩码/索引赋值（IndexPut）在 AI CPU 上执行' },
    fix: {
      en: 'Replace the indexed assignment with a tensor operation that stays on the AI Core: x[mask] = 0 → x *= ~mask; x[mask] = v → x = torch.where(mask, v, x) (a new tensor); or build a mask instead of an index.',
      zh: '用留在 AI Core 上的张量运算替换索引赋值：x[mask] = 0 → x *= ~mask；x[mask] = v → x = torch.where(mask, v, x)（返回新张量）；或一开始就生成 mask 而不是 index。',
    },
    code: [{ kind: 'method', names: ['index_put_', 'index_put'] }, { kind: 'call', names: ['torch.index_put'] }, { kind: 'mask-assign' }],
    ...EXAMPLES,
  },
  {
    id: 'nonzero',
    opTypes: ['NonZero', 'NonZeroWithValue'],
    title: { en: 'nonzero runs on the AI CPU', zh: 'nonzero 在 AI CPU 上执行' },
    fix: {
      en: 'Avoid turning a mask into indices: multiply by the mask instead (x[torch.nonzero(m)].sum() → (x * m).sum()), or keep the shape with torch.where(m, x, 0).',
      zh: '避免把 mask 转成索引：改为与 mask 相乘（x[torch.nonzero(m)].sum() → (x * m).sum()），或用 torch.where(m, x, 0) 保持形状。',
    },
    code: [{ kind: 'call', names: ['torch.nonzero', 'torch.argwhere'] }, { kind: 'method', names: ['nonzero', 'argwhere'] }, { kind: 'where1' }],
    ...EXAMPLES,
  },
  {
    id: 'index',
    opTypes: ['Index'],
    title: { en: 'Indexing a tensor by an index tensor (Index) runs on the AI CPU', zh: '用索引张量取值（Index）在 AI CPU 上执行' },
    fix: { en: 'Use torch.index_select (GatherV2 on the AI Core) for x[idx] with a 1-D index tensor.', zh: '对一维索引张量的 x[idx] 使用 torch.index_select（在 AI Core 上以 GatherV2 执行）。' },
    code: [],
    ...EXAMPLES,
  },
  {
    id: 'argmin',
    opTypes: ['ArgMin', 'ArgMinD', 'ArgMinWithValue'],
    title: { en: 'ArgMin runs on the AI CPU (CANN before 7.0.RC1)', zh: 'ArgMin 在 AI CPU 上执行（CANN 7.0.RC1 之前）' },
    fix: { en: 'Upgrade CANN to 7.0.RC1 or later, where ArgMin runs on the AI Core.', zh: '将 CANN 升级到 7.0.RC1 及以上版本，ArgMin 即在 AI Core 上执行。' },
    code: [{ kind: 'call', names: ['torch.argmin'] }, { kind: 'method', names: ['argmin'] }],
    ...EXAMPLES,
  },
  {
    id: 'double',
    opTypes: [],
    dtypes: ['DOUBLE', 'FLOAT64', 'DT_DOUBLE'],
    title: { en: 'A double (float64) input sends the operator to the AI CPU', zh: 'double（float64）输入使算子在 AI CPU 上执行' },
    fix: { en: 'Try to convert double type operators to float: use float32 (or the model dtype) instead of float64 / .double().', zh: '尝试将 double 类型的算子转换为 float：用 float32（或模型的数据类型）代替 float64 / .double()。' },
    code: [{ kind: 'method', names: ['double'] }, { kind: 'attribute', names: ['torch.float64', 'torch.double'] }],
    ...RULES,
  },
]);

/** The general advice for an AI CPU operator no row knows (the advisor's "AICPU Issues" suggestion). */
export const AICPU_GENERAL = {
  title: { en: 'Operator runs on the AI CPU', zh: '算子在 AI CPU 上执行' } satisfies Bilingual,
  fix: { en: 'Modify the code to avoid this AI CPU operator (another operator or data type that runs on the AI Core).', zh: '修改代码避免使用该 AI CPU 算子（改用在 AI Core 上执行的算子或数据类型）。' } satisfies Bilingual,
  ...RULES,
};

/** The rows that explain one AI CPU operator of a profile (by type, and by its input data types). */
export function aicpuRowsFor(type: string, dtypes: readonly string[] = []): AicpuOpRow[] {
  const t = type.toLowerCase();
  const dts = new Set(dtypes.map((d) => d.toUpperCase()));
  return AICPU_OPS.filter((r) => r.opTypes.some((o) => o.toLowerCase() === t) || r.dtypes.some((d) => dts.has(d)));
}
