import { z } from 'zod';
import { ProtocolSchema } from '../lmeval/protocol';

/**
 * The validation report: `validation_report_YYYYMMDD.json`.
 *
 * Every number a person reads in a rendered report is a `Figure`: a value plus the id of the `Evidence`
 * entry it came from (a job's log at a byte offset, or a result file and a JSON pointer into it, or an
 * input file the user typed a reference into). Derived numbers (absolute / relative error, NPU/GPU ratio)
 * are plain numbers computed from two figures; their evidence is the evidence of those figures.
 *
 * Versioning: `schemaVersion` is an integer bumped on any incompatible change. Readers accept
 * versions ≤ REPORT_SCHEMA_VERSION and load newer files best-effort with a warning (see load.ts).
 * The JSON Schema in schemas/validation-report.schema.json is generated from this file
 * (test/report/schema.test.ts fails when they drift apart).
 */
export const REPORT_SCHEMA_ID = 'ascend-adapt/validation-report';
export const REPORT_SCHEMA_VERSION = 1;

const IsoTime = z.string().min(1).describe('ISO 8601 time, UTC');

/** pass / warn / fail / skip as the env-check verdicts, plus not-run for pipeline steps that never ran. */
export const Status = z.enum(['pass', 'warn', 'fail', 'skip', 'not-run']);
export type Status = z.infer<typeof Status>;

export const Evidence = z
  .object({
    /** Short id that figures refer to, e.g. "E3". Unique within the report. */
    id: z.string().min(1),
    kind: z.enum(['log', 'result', 'probe', 'input']).describe('log: job log at a byte offset; result: result file (+JSON pointer); probe: environment snapshot; input: a file the user wrote (reference values, profile)'),
    jobId: z.string().nullable().describe('detached job id on the host, null when not produced by a job'),
    host: z.string().min(1).describe('host label (ssh alias or "local") where `file` lives'),
    startedAt: IsoTime.nullable(),
    endedAt: IsoTime.nullable(),
    command: z.array(z.string()).describe('argv of the command that produced the file (empty for input files)'),
    file: z.string().min(1).describe('absolute path of the log / result file on `host`'),
    offset: z.number().int().nonnegative().optional().describe('byte offset in the log where the figure is printed'),
    length: z.number().int().nonnegative().optional().describe('bytes from offset that hold the figure'),
    line: z.number().int().positive().optional().describe('1-based line at offset'),
    pointer: z.string().optional().describe('RFC 6901 JSON pointer inside a result file'),
    copy: z.string().optional().describe('copy of the file saved beside the report, relative to the report file'),
  })
  .describe('Where a figure came from');
export type Evidence = z.infer<typeof Evidence>;

export const Figure = z
  .object({
    /** Stable id of this figure in the report (e.g. "accuracy.gsm8k.measured"): webviews post it back. */
    id: z.string().min(1),
    value: z.number().nullable().describe('null = not measured (the evidence says why)'),
    unit: z.string().describe('"%", "ms", "s", "req/s", "tok/s", "MB", "count", "" …'),
    evidence: z.string().min(1).describe('Evidence.id'),
    pointer: z.string().optional().describe('RFC 6901 JSON pointer to this very value inside the evidence result file'),
    scale: z.number().optional().describe('value = (number at pointer) × scale, e.g. 100 for a fraction shown in percent'),
  })
  .describe('A number with its evidence');
export type Figure = z.infer<typeof Figure>;

/** The validation steps, in run order (quantize and profile run only when the profile asks for them). */
export const StepName = z.enum(['env', 'analysis', 'quantize', 'serve', 'smoke', 'accuracy', 'perf', 'profile', 'stop']);
export type StepName = z.infer<typeof StepName>;

/** A step's outcome: a section status, or `interrupted` for the step a stop request cut short. */
export const StepStatus = z.enum(['pass', 'warn', 'fail', 'skip', 'not-run', 'interrupted']);
export type StepStatus = z.infer<typeof StepStatus>;

/** Every section says whether it ran and, when not passing, why. */
const sectionBase = {
  status: Status,
  reason: z.string().nullable().describe('why it failed / was not run; null when it passed'),
};

export const Check = z.object({
  id: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'skip']),
  title: z.string(),
  detail: z.string(),
  fix: z.string().nullable(),
});

export const HostSnapshot = z.object({
  name: z.string().min(1),
  role: z.enum(['npu', 'gpu']),
  simulated: z.boolean(),
  os: z.string().nullable(),
  chipFamily: z.string().nullable().describe('A2, A3, 310P, classic-910 … (from npu-smi Name)'),
  devices: z.array(
    z.object({
      npuId: z.number().int(),
      chipId: z.number().int(),
      name: z.string(),
      health: z.string(),
      hbmUsedMB: z.number().nullable(),
      hbmTotalMB: z.number().nullable(),
    }),
  ),
  versions: z.record(z.string(), z.string().nullable()).describe('cann, driver, firmware, python, torch, torch_npu, vllm, vllm_ascend, transformers …'),
  env: z.record(z.string(), z.string()).describe('environment variables that matter (secrets filtered)'),
  checks: z.array(Check),
  evidence: z.string().describe('Evidence.id of the probe snapshot'),
});
export type HostSnapshot = z.infer<typeof HostSnapshot>;

export const ModelInfo = z.object({
  name: z.string().min(1),
  path: z.string().nullable().describe('model folder on the host'),
  servedName: z.string().nullable(),
  architecture: z.string().nullable().describe('config.json architectures[0]'),
  modelType: z.string().nullable(),
  numLayers: z.number().int().nullable(),
  hiddenSize: z.number().int().nullable(),
  attentionHeads: z.number().int().nullable(),
  kvHeads: z.number().int().nullable().describe('num_key_value_heads; < attentionHeads means GQA'),
  headDim: z.number().int().nullable(),
  moe: z
    .object({
      experts: z.number().int(),
      topK: z.number().int().nullable(),
      sharedExperts: z.number().int().nullable(),
    })
    .nullable(),
  rope: z
    .object({
      style: z.enum(['neox', 'gptj', 'unknown']),
      theta: z.number().nullable(),
      scaling: z.string().nullable(),
    })
    .nullable(),
  dtype: z.string().nullable(),
  quantization: z
    .object({
      format: z.string().describe('gptq, awq, ascend (msModelSlim), compressed-tensors, fp8 …'),
      bits: z.number().int().nullable(),
      groupSize: z.number().int().nullable(),
      loadableOnNpu: z.boolean(),
    })
    .nullable(),
  maxPositionEmbeddings: z.number().int().nullable(),
  evidence: z.string().nullable().describe('Evidence.id of config.json'),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const AdaptationItem = z.object({
  title: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'skip']),
  basis: z.string().describe('why: a file, a source, a rule'),
});

export const OperatorFinding = z.object({
  file: z.string(),
  line: z.number().int().nonnegative().describe('0-based like LSP'),
  severity: z.enum(['error', 'warning', 'information', 'hint']),
  code: z.string(),
  message: z.string(),
});

export const QuantizationStatus = z.object({
  format: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'skip']),
  note: z.string(),
});

export const Adaptation = z.object({
  ...sectionBase,
  items: z.array(AdaptationItem),
  operatorFindings: z.array(OperatorFinding),
  quantization: z.array(QuantizationStatus),
});

export const Serving = z.object({
  ...sectionBase,
  profile: z.string().nullable(),
  jobId: z.string().nullable(),
  command: z.array(z.string()).describe('argv of vllm serve'),
  env: z.record(z.string(), z.string()),
  endpoint: z.string().nullable(),
  loadTime: Figure.nullable().describe('launch → /health ok and model listed, seconds'),
  apiCheck: z
    .object({
      ok: z.boolean(),
      request: z.string().describe('the request body sent'),
      response: z.string().describe('response excerpt'),
      promptTokens: z.number().int().nullable(),
      completionTokens: z.number().int().nullable(),
      evidence: z.string(),
    })
    .nullable(),
});

export const SmokeResult = z.object({
  index: z.number().int().positive(),
  prompt: z.string(),
  output: z.string(),
  ok: z.boolean(),
  problem: z.string().nullable(),
  ttftMs: Figure,
  totalMs: Figure,
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  finishReason: z.string().nullable(),
});

export const Smoke = z.object({
  ...sectionBase,
  results: z.array(SmokeResult),
});

export const AccuracyDataset = z.object({
  name: z.string().describe('gsm8k, mmlu, math …'),
  label: z.string().describe('as shown: "GSM8K", "MMLU (avg)", "MATH (val)"'),
  metric: z.string(),
  n: z.number().int().nonnegative(),
  reference: Figure.nullable().describe('GPU reference accuracy, percent'),
  measured: Figure.describe('NPU accuracy, percent'),
  absError: z.number().nullable().describe('|reference − measured|, percentage points (derived)'),
  relError: z.number().nullable().describe('absError / reference × 100, percent (derived)'),
  threshold: z.object({
    absPoints: z.number().nullable().describe('max absolute error in percentage points'),
    relPercent: z.number().nullable().describe('max relative error in percent'),
  }),
  verdict: z.enum(['pass', 'fail']).nullable().describe('null: no reference to compare with'),
  protocol: ProtocolSchema.nullable().optional().describe('how the figure was measured: lm-eval task, version, n-shot, few-shot seed, chat template, max tokens, filter'),
  comparable: z.boolean().nullable().optional().describe('false: a reference was given but measured under another protocol (note says how); null: no reference'),
  note: z.string().optional().describe('why a reference was not compared, or what was assumed about it'),
});

/** Set when the run was interrupted while this section's step ran: the data holds what completed. */
const partial = z.boolean().optional().describe('true: interrupted part-way; the figures cover only what completed');

export const Accuracy = z.object({
  ...sectionBase,
  partial,
  engine: z.string().nullable().describe('bundled runner / lm-eval'),
  dtype: z.string().nullable(),
  temperature: z.number().nullable(),
  datasets: z.array(AccuracyDataset),
});

export const PerfMetric = z.object({
  key: z.string().describe("vLLM's name: request_throughput, mean_ttft_ms, output_throughput …"),
  label: z.string(),
  higherIsBetter: z.boolean(),
  baseline: Figure.nullable().describe('GPU baseline'),
  measured: Figure,
  ratio: z.number().nullable().describe('NPU performance / GPU performance (>1 = NPU better), derived'),
  minRatio: z.number().describe('verdict threshold for ratio'),
  verdict: z.enum(['pass', 'fail']).nullable(),
});

export const Performance = z.object({
  ...sectionBase,
  partial,
  engine: z.string().nullable(),
  concurrency: z.number().int().nullable(),
  numPrompts: z.number().int().nullable(),
  inputLen: z.number().int().nullable(),
  outputLen: z.number().int().nullable(),
  metrics: z.array(PerfMetric).describe('QPS, TTFT, TPOT, tokens/s with baselines'),
  baselineMismatch: z
    .array(
      z.object({
        field: z.enum(['model', 'engine', 'concurrency', 'requestRate', 'inputLen', 'outputLen']),
        measured: z.string(),
        baseline: z.string(),
      }),
    )
    .optional()
    .describe('how the GPU baseline run was measured differently from this run: its ratios compare unlike runs'),
  latency: z
    .object({
      metric: z.string().describe('e2el / ttft …'),
      p50: Figure,
      p90: Figure,
      p99: Figure,
    })
    .nullable(),
  latencies: z
    .array(
      z.object({
        metric: z.enum(['ttft', 'tpot', 'itl', 'e2el']),
        mean: Figure,
        p50: Figure,
        p90: Figure,
        p99: Figure,
      }),
    )
    .optional()
    .describe('TTFT, TPOT, ITL and E2EL: mean, P50, P90, P99 (ms) of the successful requests'),
  memory: z.object({
    perDeviceMB: Figure.nullable().describe('HBM used per device while serving'),
    peakMB: Figure.nullable().describe('HBM peak over all devices during the run'),
    loadTime: Figure.nullable(),
  }),
  hbmSamples: z
    .array(
      z.object({
        t: z.number().describe('seconds since the run started'),
        device: z.number().int(),
        usedMB: z.number(),
        host: z.string().optional().describe('the node the device is on (a multi-node run)'),
      }),
    )
    .describe('HBM over the run (for the chart); evidence: memory.peakMB'),
});

/** One operator row of the profile section: its total device time is a figure pointing at its CSV row. */
export const ProfileOpRow = z.object({
  type: z.string(),
  coreType: z.string().describe('AI_CORE, AI_VECTOR_CORE, MIX_AIC, MIX_AIV, AI_CPU, COMMUNICATION / HCCL …'),
  count: z.number().int().nonnegative(),
  total: Figure.describe('total device time, µs; evidence: the CSV row (kernel_details.csv: the slowest task)'),
  avgUs: z.number(),
  maxUs: z.number(),
  sharePct: z.number().describe('percent of all device time of the profile'),
});

export const Profiling = z
  .object({
    ...sectionBase,
    partial,
    jobId: z.string().nullable().describe('the capture job on the host'),
    ranks: z.number().int().nonnegative(),
    load: z.object({ numPrompts: z.number().int(), inputLen: z.number().int(), outputLen: z.number().int(), concurrency: z.number().int() }).nullable(),
    totalUs: Figure.nullable().describe('device time of every task of every rank, µs'),
    byCoreType: z.array(z.object({ coreType: z.string(), sharePct: z.number(), us: z.number() })),
    topOps: z.array(ProfileOpRow),
    aicpu: z.array(
      ProfileOpRow.omit({ avgUs: true, sharePct: true }).extend({
        dtypes: z.array(z.string()),
        fix: z.object({ en: z.string(), zh: z.string() }).describe('what to change (knowledge base), both languages'),
        source: z.string(),
      }),
    ).describe("AI CPU operators with a task ≥ 20 µs (msprof-analyze advisor's rule)"),
    steps: z.array(z.object({ rank: z.number().int(), step: z.union([z.number(), z.string()]).nullable(), computing: Figure, communicationUs: z.number(), freeUs: z.number() })),
    traceFiles: z.array(z.string()).describe('trace_view.json per rank, on the host (MindStudio Insight)'),
    evidence: z.string().nullable().describe('Evidence.id of the capture result (capture.json)'),
  })
  .describe('Where the NPU time goes (Ascend PyTorch Profiler through --profiler-config); present when the profile asked for it');

/** A pre-check of a multi-node run, naming the node (null: the cluster as a whole) and the NPU it is about. */
export const NodeCheck = Check.extend({
  node: z.string().nullable().describe('host alias of the node the check is about; null: across the nodes'),
  device: z.number().int().optional().describe('the NPU (logical id) the check is about'),
});

export const ClusterNode = z.object({
  index: z.number().int().nonnegative().describe('0 is the head'),
  host: z.string().min(1).describe('ssh alias; its environment is the hosts[] entry of the same name'),
  role: z.enum(['head', 'worker']),
  address: z.string().describe('the IP the other nodes reach (HCCL_IF_IP)'),
  nic: z.string().describe('the interface of that address (GLOO_SOCKET_IFNAME, TP_SOCKET_IFNAME, HCCL_SOCKET_IFNAME)'),
  devices: z.array(z.number().int()).describe('logical NPU ids used on this node (ASCEND_RT_VISIBLE_DEVICES)'),
  env: z.record(z.string(), z.string()).describe('the per-node variables the launch set on this node'),
  commands: z
    .array(
      z.object({
        kind: z.enum(['ray-start', 'serve']),
        argv: z.array(z.string()),
        env: z.record(z.string(), z.string()).describe('environment of the command (secrets redacted)'),
        jobId: z.string().nullable().describe('the detached job that ran it; null: planned, not started'),
      }),
    )
    .describe('what ran on this node, in order'),
  log: z.string().nullable().describe("Evidence.id of this node's log (its vllm serve; `ray start` on a Ray worker)"),
  state: z.string().nullable().describe('the node at the end: ready, failed, lost, stopped …'),
  failure: z.string().nullable(),
  stop: z
    .object({ reached: z.boolean(), leftoverPids: z.array(z.number().int()), rayStop: z.string().nullable(), idle: z.boolean() })
    .nullable()
    .describe('what stopping found on this node: processes left, `ray stop`, NPUs idle'),
});
export type ClusterNode = z.infer<typeof ClusterNode>;

export const Cluster = z
  .object({
    mode: z.enum(['dp', 'ray', 'pp-mp']).describe('the multi-node mechanism (multiNode of the profile)'),
    source: z.string().nullable().describe('the vllm-ascend document the commands follow'),
    jobId: z.string().nullable().describe('the multi-node job (one per run)'),
    headAddress: z.string().nullable(),
    rendezvousPort: z.number().int().nullable().describe('DP rpc port, torch master port or Ray head port'),
    apiPort: z.number().int().nullable(),
    nodes: z.array(ClusterNode),
    checks: z.array(NodeCheck).describe('the cluster pre-checks, each naming its node'),
    failure: z.object({ node: z.string().nullable(), message: z.string() }).nullable(),
  })
  .describe('A run served by one vLLM spread over several hosts: the nodes, what ran on each, their logs');
export type Cluster = z.infer<typeof Cluster>;

export const Step = z.object({
  name: StepName,
  status: StepStatus,
  reason: z.string().nullable(),
  startedAt: IsoTime.nullable(),
  endedAt: IsoTime.nullable(),
});

export const ReportFile = z.object({
  path: z.string().describe('relative to the report file'),
  description: z.string(),
  producedBy: z.string(),
});

export const Dimension = z.object({
  name: z.enum(['adaptation', 'accuracy', 'performance', 'environment', 'smoke', 'serving']),
  status: Status,
  summary: z.string(),
});

export const Report = z
  .object({
    schema: z.literal(REPORT_SCHEMA_ID),
    schemaVersion: z.number().int().positive(),
    generatedAt: IsoTime,
    generator: z.object({ name: z.string(), version: z.string() }),
    simulated: z.boolean().describe('true when any host was simulated: every rendering says so'),
    fixture: z.boolean().optional().describe('hand-written test fixture, not produced by a run'),
    target: z.object({
      vllmAscend: z.string().nullable(),
      hardware: z.string().nullable(),
    }),
    profile: z.string().nullable(),
    model: ModelInfo,
    hosts: z.array(HostSnapshot),
    adaptation: Adaptation,
    serving: Serving,
    smoke: Smoke,
    accuracy: Accuracy,
    performance: Performance,
    profiling: Profiling.optional(),
    cluster: Cluster.optional(),
    steps: z.array(Step),
    interrupted: z
      .object({ step: StepName.nullable().describe('the step that was running; null: before any step'), at: IsoTime })
      .nullable()
      .optional()
      .describe('set when the run was stopped before its end; later steps are not run, partial data is kept'),
    verdict: z.object({
      overall: z.enum(['pass', 'fail', 'incomplete']),
      dimensions: z.array(Dimension),
    }),
    files: z.array(ReportFile),
    notes: z.array(z.string()),
    evidence: z.array(Evidence),
  })
  .describe('Ascend Adapt validation report');
export type Report = z.infer<typeof Report>;
export type Adaptation = z.infer<typeof Adaptation>;
export type AdaptationItem = z.infer<typeof AdaptationItem>;
export type QuantizationStatus = z.infer<typeof QuantizationStatus>;
export type Serving = z.infer<typeof Serving>;
export type Smoke = z.infer<typeof Smoke>;
export type SmokeResult = z.infer<typeof SmokeResult>;
export type Accuracy = z.infer<typeof Accuracy>;
export type AccuracyDataset = z.infer<typeof AccuracyDataset>;
export type Performance = z.infer<typeof Performance>;
export type PerfMetric = z.infer<typeof PerfMetric>;
export type Profiling = z.infer<typeof Profiling>;
export type Step = z.infer<typeof Step>;
export type Dimension = z.infer<typeof Dimension>;
export type ReportFile = z.infer<typeof ReportFile>;

/** The top-level sections, each loadable on its own when others are broken. */
export const SECTION_KEYS = [
  'generatedAt',
  'generator',
  'simulated',
  'fixture',
  'target',
  'profile',
  'model',
  'hosts',
  'adaptation',
  'serving',
  'smoke',
  'accuracy',
  'performance',
  'profiling',
  'cluster',
  'steps',
  'interrupted',
  'verdict',
  'files',
  'notes',
  'evidence',
] as const satisfies readonly (keyof Report)[];

/** What a reader gets back: every section may be missing when the file was damaged. */
export type PartialReport = Partial<Report> & { schemaVersion?: number };

/** JSON Schema (draft 2020-12) of the report, for other tools. */
export function reportJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(Report, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
  return {
    $id: 'https://ascend-adapt.invalid/schemas/validation-report.schema.json',
    title: 'Ascend Adapt validation report',
    ...s,
  };
}
