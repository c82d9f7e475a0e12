import type { ModelFacts } from '../serving/model';
import { worst } from './figures';
import { en } from '../l10n';
import type { Adaptation, Dimension, ModelInfo, Report, Status } from './schema';

/**
 * Pure pieces of report assembly: model facts (config.json, read on the host by the serving layer) →
 * the model section, the adaptation items and the quantization rows; sections → the verdict.
 * Text is stored in English (en()) and translated when rendered.
 */

const CUDA_QUANT = new Set(['gptq', 'gptq_marlin', 'awq', 'awq_marlin', 'marlin', 'bitsandbytes', 'gguf', 'squeezellm', 'exl2', 'hqq']);

export function modelInfo(name: string, servedName: string | null, facts: ModelFacts | null, evidence: string | null, quantBits?: number | null, groupSize?: number | null): ModelInfo {
  const f = facts;
  const q = f?.quantMethod ?? null;
  return {
    name,
    path: f?.path ?? null,
    servedName,
    architecture: f?.architecture ?? null,
    modelType: f?.modelType ?? null,
    numLayers: f?.numLayers ?? null,
    hiddenSize: f?.hiddenSize ?? null,
    attentionHeads: f?.numAttentionHeads ?? null,
    kvHeads: f?.numKeyValueHeads ?? null,
    headDim: f?.headDim ?? null,
    moe: f && f.moe && f.numExperts ? { experts: f.numExperts, topK: null, sharedExperts: null } : null,
    rope: f ? { style: f.rope.neoxStyle === true ? 'neox' : f.rope.neoxStyle === false ? 'gptj' : 'unknown', theta: f.rope.theta, scaling: f.rope.scalingType } : null,
    dtype: f?.dtype ?? null,
    quantization: q
      ? { format: q === 'ascend' && f?.modelSlimType ? `ascend ${f.modelSlimType}` : q, bits: quantBits ?? null, groupSize: groupSize ?? null, loadableOnNpu: !(f?.cudaOnlyQuant ?? CUDA_QUANT.has(q)) }
      : null,
    maxPositionEmbeddings: f?.maxPositionEmbeddings ?? null,
    evidence,
  };
}

export interface ConfigExtras {
  topK: number | null;
  shared: number | null;
  bits: number | null;
  groupSize: number | null;
  neox: boolean | null;
}

/** config.json fields the model section needs that ModelFacts does not carry (top-k, shared experts, bits). */
export function configExtras(config: Record<string, unknown> | null): ConfigExtras {
  if (!config) return { topK: null, shared: null, bits: null, groupSize: null, neox: null };
  const t = (config.text_config && typeof config.text_config === 'object' ? { ...config, ...(config.text_config as object) } : config) as Record<string, unknown>;
  const n = (v: unknown): number | null => (typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? Math.max(...(v as number[])) : null);
  const qc = (config.quantization_config && typeof config.quantization_config === 'object' ? config.quantization_config : {}) as Record<string, unknown>;
  return {
    topK: n(t.moe_topk) ?? n(t.num_experts_per_tok) ?? n(t.top_k) ?? null,
    shared: n(t.num_shared_expert) ?? n(t.n_shared_experts) ?? n(t.shared_expert_count) ?? null,
    bits: n(qc.bits) ?? n(qc.w_bit) ?? null,
    groupSize: n(qc.group_size) ?? n(qc.q_group_size) ?? null,
    neox: typeof t.rope_is_neox_style === 'boolean' ? t.rope_is_neox_style : null,
  };
}

export function adaptationFromModel(
  facts: ModelFacts | null,
  extras: ConfigExtras,
  opts: {
    modelError?: string | null;
    findings?: Adaptation['operatorFindings'];
    analysedFiles?: number | null;
    /** The analysed workspace files (paths as in findings), with model_quant_type for quant descriptions. */
    workspaceFiles?: Array<{ file: string; quantType: string | null }>;
    /** The quantize step's item (e.g. "GPTQ Int4 → ascend W8A8", citing its job) and quantization row. */
    quantize?: { item: Adaptation['items'][number]; row: Adaptation['quantization'][number] } | null;
  } = {},
): Adaptation {
  const findings = opts.findings ?? [];
  if (!facts) {
    return {
      status: 'fail',
      reason: opts.modelError ?? en('config.json of the model could not be read'),
      items: [],
      operatorFindings: findings,
      quantization: [],
    };
  }
  const items: Adaptation['items'] = [];
  const arch = facts.architecture ?? '—';
  const info = facts.architectureInfo;
  items.push(
    !info
      ? { title: arch, status: 'warn', basis: en('architecture not in the list known to vLLM / vllm-ascend') }
      : info.ascend === 'supported'
        ? { title: arch, status: 'pass', basis: en('supported by vLLM and vllm-ascend: {0}', info.family) }
        : info.ascend === 'experimental'
          ? { title: arch, status: 'pass', basis: en('supported by vLLM; experimental on vllm-ascend: {0}', info.family) }
          : { title: arch, status: 'warn', basis: en('supported by vLLM; not in vllm-ascend\'s model list: {0}', info.family) },
  );
  if (facts.moe && facts.numExperts) {
    items.push({ title: en('MoE layer ({0} experts, top-{1})', facts.numExperts, extras.topK ?? '?'), status: 'pass', basis: en('FusedMoE on NPU: npu_moe_init_routing + npu_grouped_matmul') });
  }
  const h = facts.numAttentionHeads;
  const kv = facts.numKeyValueHeads;
  if (h && kv && kv < h) {
    items.push(
      h % kv === 0
        ? { title: en('GQA attention ({0}H/{1}KV)', h, kv), status: 'pass', basis: en('{0} % {1} == 0: within the NPU attention operator limits', h, kv) }
        : { title: en('GQA attention ({0}H/{1}KV)', h, kv), status: 'fail', basis: en('{0} % {1} != 0: the NPU attention operators need heads divisible by KV heads', h, kv) },
    );
  } else if (h) {
    items.push({ title: en('MHA attention ({0}H)', h), status: 'pass', basis: en('supported natively by NPU operators') });
  }
  const neox = facts.rope.neoxStyle ?? extras.neox;
  if (neox !== null || facts.rope.theta !== null) {
    items.push({ title: en('RoPE {0} style', neox === false ? 'gptj' : 'neox'), status: 'pass', basis: en('supported natively by NPU operators') });
  }
  // Weight mappings: files the analysis checked as mappings (named *mapping*.py) or that it reported on.
  const ws = opts.workspaceFiles ?? [];
  const mappingFiles = new Set([...ws.filter((w) => /mapping[^/]*\.py$/.test(w.file)).map((w) => w.file), ...findings.filter((x) => x.code === 'weight-mapping').map((x) => x.file)]);
  for (const file of mappingFiles) {
    const probs = findings.filter((x) => x.file === file && x.code === 'weight-mapping');
    const st = probs.some((x) => x.severity === 'error') ? 'fail' : probs.length ? 'warn' : 'pass';
    items.push({ title: en('Weight mapping {0}', file), status: st, basis: st === 'pass' ? en('weight mapping complete') : en('{0} problems: {1}', probs.length, probs[0].message) });
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (opts.analysedFiles !== undefined && opts.analysedFiles !== null) {
    items.push({
      title: en('Operator compatibility ({0} files analysed)', opts.analysedFiles),
      status: errors ? 'fail' : warnings ? 'warn' : 'pass',
      basis: errors || warnings ? en('{0} errors, {1} warnings in the analysed files', errors, warnings) : en('no CUDA-only API, kernel or library found'),
    });
  }
  const quantization: Adaptation['quantization'] = [];
  const q = facts.quantMethod;
  const descriptions = ws.filter((w) => /quant_model_description[^/]*\.json$/.test(w.file));
  if (q && facts.cudaOnlyQuant) {
    const label = `${q.toUpperCase()}${extras.bits ? ` Int${extras.bits}` : ''}`;
    quantization.push({ format: en('{0} quantization (original checkpoint)', label), status: 'warn', note: en('uses CUDA kernels; convert to ascend W4A16/W8A8 with ModelSlim') });
    // Without a converted description in the workspace the checkpoint cannot be served on NPU as is.
    if (!descriptions.length) items.push({ title: en('{0} quantization (original checkpoint)', label), status: 'fail', basis: en('uses CUDA kernels; convert to ascend W4A16/W8A8 with ModelSlim') });
  }
  quantization.push({ format: 'FP16/BF16', status: 'pass', note: en('loads directly, full precision') });
  if (q === 'ascend' && facts.modelSlimType) {
    quantization.push({ format: en('ascend {0}', facts.modelSlimType), status: 'pass', note: 'quant_model_description.json' });
  } else if (descriptions.length) {
    for (const d of descriptions) {
      const probs = findings.filter((x) => x.file === d.file && x.code === 'quant-description');
      const st = probs.some((x) => x.severity === 'error') ? 'fail' : probs.length ? 'warn' : 'pass';
      const format = en('ascend {0}', d.quantType ?? '?');
      quantization.push({ format, status: st, note: st === 'pass' ? en('{0} present and complete', d.file) : en('{0} problems: {1}', probs.length, probs[0].message) });
      if (q && facts.cudaOnlyQuant) items.push({ title: `${q.toUpperCase()}${extras.bits ? ` Int${extras.bits}` : ''} → ${format}`, status: st, basis: d.file });
    }
  } else {
    quantization.push({ format: en('ascend {0}', 'W4A16/W8A8'), status: 'pass', note: en('re-quantize with ModelSlim (recommended)') });
  }
  if (opts.quantize) {
    items.push(opts.quantize.item);
    quantization.push(opts.quantize.row);
  }
  const statuses: Status[] = items.map((i) => i.status);
  if (errors) statuses.push('fail');
  else if (warnings) statuses.push('warn');
  const status = worst(statuses);
  return {
    status,
    reason: status === 'pass' ? null : errors || warnings ? en('{0} errors, {1} warnings in the analysed files', errors, warnings) : en('see the adaptation items'),
    items,
    operatorFindings: findings,
    quantization,
  };
}

/** The dimensions (summary table) and the overall verdict from the sections. */
export function verdictOf(r: Omit<Report, 'verdict'>): Report['verdict'] {
  const dims: Dimension[] = [];
  const a = r.adaptation;
  dims.push({
    name: 'adaptation',
    status: a.status,
    summary: a.status === 'pass' || a.status === 'warn' ? en('{0}/{1} adaptation items pass', a.items.filter((i) => i.status === 'pass').length, a.items.length) : (a.reason ?? ''),
  });
  const acc = r.accuracy;
  const judged = acc.datasets.filter((d) => d.verdict !== null);
  const accStatus: Status = acc.status !== 'pass' ? acc.status : judged.length && judged.every((d) => d.verdict === 'pass') ? 'pass' : judged.some((d) => d.verdict === 'fail') ? 'fail' : 'warn';
  dims.push({
    name: 'accuracy',
    status: accStatus,
    summary: acc.status === 'not-run' || acc.status === 'skip' ? en('not run: {0}', acc.reason ?? '') : judged.length ? en('{0}/{1} datasets within threshold', judged.filter((d) => d.verdict === 'pass').length, judged.length) : en('no GPU reference given'),
  });
  const perf = r.performance;
  const pj = perf.metrics.filter((m) => m.verdict !== null);
  const perfStatus: Status = perf.status !== 'pass' ? perf.status : pj.length && pj.every((m) => m.verdict === 'pass') ? 'pass' : pj.some((m) => m.verdict === 'fail') ? 'fail' : 'warn';
  const ratios = perf.metrics.map((m) => m.ratio).filter((x): x is number => x !== null);
  dims.push({
    name: 'performance',
    status: perfStatus,
    summary:
      perf.status === 'not-run' || perf.status === 'skip'
        ? en('not run: {0}', perf.reason ?? '')
        : ratios.length
          ? en('NPU performance reaches {0}% of the GPU baseline', Math.round(Math.min(...ratios) * 100))
          : en('no GPU baseline given'),
  });
  dims.push(r.cluster ? clusterEnvDimension(r) : hostEnvDimension(r));
  // A multi-node job that failed after it served (a node died or dropped off) fails serving, naming the node.
  const lost = r.cluster?.failure;
  dims.push(
    lost && r.serving.status === 'pass'
      ? { name: 'serving', status: 'fail', summary: en('the multi-node job failed during the run: {0}', lost.message) }
      : { name: 'serving', status: r.serving.status, summary: r.serving.status === 'pass' ? en('API answered; token counts reported') : (r.serving.reason ?? '') },
  );
  const okN = r.smoke.results.filter((x) => x.ok).length;
  dims.push({
    name: 'smoke',
    status: r.smoke.status,
    summary: r.smoke.status === 'not-run' ? en('not run: {0}', r.smoke.reason ?? '') : en('{0}/{1} prompts answered', okN, r.smoke.results.length),
  });
  const statuses = dims.map((d) => d.status);
  const overall = statuses.includes('fail') ? 'fail' : statuses.includes('not-run') ? 'incomplete' : 'pass';
  return { overall, dimensions: dims };
}

function hostEnvDimension(r: Omit<Report, 'verdict'>): Dimension {
  const host = r.hosts.find((h) => h.role === 'npu') ?? r.hosts[0];
  return {
    name: 'environment',
    status: !host ? 'not-run' : worst(host.checks.map((c) => c.status).concat(host.devices.length ? [] : ['fail'])),
    summary: host ? envSummary(host) : en('not run: {0}', r.steps.find((s) => s.name === 'env')?.reason ?? ''),
  };
}

/** Several nodes: every node's own checks and the checks across them; a node that could not be probed fails. */
function clusterEnvDimension(r: Omit<Report, 'verdict'>): Dimension {
  const c = r.cluster!;
  const statuses: Status[] = [...r.hosts.flatMap((h) => h.checks.map((x) => x.status)), ...c.checks.map((x) => x.status)];
  if (r.hosts.length < c.nodes.length || r.hosts.some((h) => !h.devices.length)) statuses.push('fail');
  const bad = c.checks.filter((x) => x.status === 'fail' || x.status === 'warn');
  const head = r.hosts[0];
  const base = en('{0} nodes ({1}): vLLM-Ascend {2}, CANN {3}, {4} NPU devices healthy', c.nodes.length, c.mode, head?.versions.vllm_ascend ?? '—', head?.versions.cann ?? '—', r.hosts.reduce((n, h) => n + h.devices.filter((d) => d.health === 'OK').length, 0));
  return {
    name: 'environment',
    status: r.hosts.length ? worst(statuses) : 'not-run',
    summary: !r.hosts.length ? en('not run: {0}', r.steps.find((s) => s.name === 'env')?.reason ?? '') : bad.length ? en('{0}; to look at: {1}', base, [...new Set(bad.map((x) => (x.node ? `${x.title} (${x.node})` : x.title)))].join(', ')) : base,
  };
}

function envSummary(host: Report['hosts'][number]): string {
  const base = en('vLLM-Ascend {0}, CANN {1}, {2} NPU devices healthy', host.versions.vllm_ascend ?? '—', host.versions.cann ?? '—', host.devices.filter((d) => d.health === 'OK').length);
  const bad = host.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  if (!bad.length) return base;
  return en('{0}; to look at: {1}', base, bad.map((c) => c.title).join(', '));
}
