import * as path from 'node:path';
import { publicVersion } from '../knowledge/compat';
import type { ModelFacts } from '../serving/model';
import { adaptationFromModel, modelInfo, verdictOf, type ConfigExtras } from './assemble';
import { reportFileName, stepName } from './format';
import { en, translator } from '../l10n';
import {
  REPORT_SCHEMA_ID,
  REPORT_SCHEMA_VERSION,
  Report,
  type Accuracy,
  type Adaptation,
  type Cluster,
  type Evidence,
  type HostSnapshot,
  type Performance,
  type Profiling,
  type Serving,
  type SmokeResult,
  type Status,
  type Step,
  type StepName,
} from './schema';

/**
 * A validation run's data → the report. Pure: the runner (src/core/validate) hands over what its steps
 * found; section statuses come from the step table (one truth), an interrupted step's section keeps its
 * partial data and says so.
 */
export interface RunData {
  generatedAt: string;
  generator: { name: string; version: string };
  profile: { name: string; servedModelName?: string; modelPath: string; tensorParallelSize: number; maxModelLen?: number; enforceEager: boolean; simRoot?: string };
  servedName: string;
  target?: Report['target'];
  host: HostSnapshot | null;
  /** Every host of a multi-node run, in node order (default: `host` alone). */
  hosts?: HostSnapshot[];
  /** The nodes of a multi-node run and what ran on each. */
  cluster?: Cluster;
  model: { facts: ModelFacts | null; extras: ConfigExtras; error: string | null; evidence: string | null };
  analysis: { findings: Adaptation['operatorFindings']; analysedFiles: number | null; workspaceFiles: Array<{ file: string; quantType: string | null }> };
  /** The quantize step's adaptation item (citing its job) and quantization row, when it ran. */
  quantize?: { item: Adaptation['items'][number]; row: Adaptation['quantization'][number] } | null;
  steps: Step[];
  interrupted: { step: StepName | null; at: string } | null;
  serving: Omit<Serving, 'status' | 'reason'>;
  smoke: SmokeResult[];
  accuracy: Omit<Accuracy, 'status' | 'reason'> | null;
  performance: Omit<Performance, 'status' | 'reason' | 'memory' | 'hbmSamples'> | null;
  memory: Performance['memory'] | null;
  /** The profile step's section (null when it did not produce one); absent when profiling was not asked for. */
  profiling?: Omit<Profiling, 'status' | 'reason'> | null;
  hbmSamples: Performance['hbmSamples'];
  /** Files this run put under evidence/ (relative to it); `demo`: a bundled file that says it is made-up. */
  evidenceFiles: Array<{ rel: string; demo: boolean }>;
  /** Languages of the Markdown files written beside the JSON. */
  langs: string[];
  evidence: Evidence[];
}

const EMPTY_ACC: Omit<Accuracy, 'status' | 'reason'> = { engine: null, dtype: null, temperature: null, datasets: [] };
const EMPTY_PERF: Omit<Performance, 'status' | 'reason' | 'memory' | 'hbmSamples'> = {
  engine: null,
  concurrency: null,
  numPrompts: null,
  inputLen: null,
  outputLen: null,
  metrics: [],
  latency: null,
};

/** A section's status and reason from its step's row; an interrupted step → not run, partial data kept. */
export function sectionStatus(steps: Step[], id: StepName, hasData: boolean): { status: Status; reason: string | null; partial?: boolean } {
  const s = steps.find((x) => x.name === id);
  if (!s) return { status: 'not-run', reason: en('not part of this run') };
  if (s.status === 'interrupted') return { status: 'not-run', reason: en('interrupted during {0}', stepName(translator('en'), id)), ...(hasData ? { partial: true } : {}) };
  return { status: s.status, reason: s.reason };
}

export function buildReport(d: RunData): Report {
  const hosts = d.hosts ?? (d.host ? [d.host] : []);
  const simulated = hosts.some((h) => h.simulated) || Boolean(d.profile.simRoot);
  const notes = notesFor(d.model.facts, d.profile);
  if (d.cluster) notes.push(en('Multi-node ({0}): HBM is sampled on every node ({1} nodes), the figures are the largest of any device; every node\'s log is in the nodes section', d.cluster.mode, d.cluster.nodes.length));
  const files: Report['files'] = reportFiles(d.generatedAt, d.langs);
  for (const f of d.evidenceFiles) {
    const p = path.posix.join('evidence', f.rel);
    const job = /^(\d{8}-\d{6}-[^/]+)\//.exec(f.rel)?.[1];
    files.push({ path: p, description: describeEvidenceFile(f.rel, f.demo), producedBy: job ? en('job {0}', job) : 'ascend-adapt validate' });
    if (f.demo) notes.push(en('{0} is DEMO data: made-up GPU numbers, not measured on any GPU', p));
  }
  const accuracy = d.accuracy ?? EMPTY_ACC;
  const perf = d.performance ?? EMPTY_PERF;
  const model = modelInfo(d.profile.servedModelName ?? path.posix.basename(d.profile.modelPath), d.servedName, d.model.facts, d.model.evidence, d.model.extras.bits, d.model.extras.groupSize);
  if (model.moe && d.model.extras.topK !== null) model.moe.topK = d.model.extras.topK;
  if (model.moe && d.model.extras.shared !== null) model.moe.sharedExperts = d.model.extras.shared;
  const base: Omit<Report, 'verdict'> = {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: d.generatedAt,
    generator: d.generator,
    simulated,
    target: d.target ?? targetOf(hosts[0]),
    profile: d.profile.name,
    model,
    hosts,
    adaptation: adaptationFromModel(d.model.facts, d.model.extras, { modelError: d.model.error, ...d.analysis, quantize: d.quantize ?? null }),
    serving: { ...d.serving, ...sectionStatus(d.steps, 'serve', false) },
    smoke: { results: d.smoke, ...sectionStatus(d.steps, 'smoke', false) },
    accuracy: { ...accuracy, ...sectionStatus(d.steps, 'accuracy', accuracy.datasets.length > 0) },
    performance: {
      ...perf,
      ...sectionStatus(d.steps, 'perf', perf.metrics.length > 0),
      memory: d.memory ?? { perDeviceMB: null, peakMB: null, loadTime: null },
      hbmSamples: d.hbmSamples,
    },
    ...profilingSection(d),
    ...(d.cluster ? { cluster: d.cluster } : {}),
    steps: d.steps,
    ...(d.interrupted ? { interrupted: d.interrupted } : {}),
    files,
    notes,
    evidence: d.evidence,
  };
  return Report.parse({ ...base, verdict: verdictOf(base) });
}

/** The profile section, when the run had a profile step (or data from one). */
function profilingSection(d: RunData): { profiling?: Profiling } {
  const step = d.steps.some((s) => s.name === 'profile');
  if (!step && !d.profiling) return {};
  const empty = { jobId: null, ranks: 0, load: null, totalUs: null, byCoreType: [], topOps: [], aicpu: [], steps: [], traceFiles: [], evidence: null };
  const data = d.profiling ?? empty;
  return { profiling: { ...data, ...sectionStatus(d.steps, 'profile', data.topOps.length > 0) } };
}

function targetOf(host: HostSnapshot | undefined): Report['target'] {
  return {
    vllmAscend: host?.versions.vllm_ascend ? publicVersion(host.versions.vllm_ascend) : null,
    hardware: host?.devices.length ? `${host.chipFamily ?? ''} / ${host.devices[0].name} × ${host.devices.length}`.trim() : null,
  };
}

/** The report's own files: JSON, one Markdown per language, HTML. */
export function reportFiles(generatedAt: string, langs: string[]): Report['files'] {
  return [
    { path: reportFileName(generatedAt), description: en('this report (JSON)'), producedBy: 'ascend-adapt validate' },
    ...langs.map((l) => ({ path: reportFileName(generatedAt, `${l}.md`), description: en('this report (Markdown)'), producedBy: 'ascend-adapt validate' })),
    { path: reportFileName(generatedAt, 'html'), description: en('this report (HTML, with charts)'), producedBy: 'ascend-adapt validate' },
  ];
}

export function notesFor(facts: ModelFacts | null, profile: RunData['profile']): string[] {
  const notes: string[] = [];
  if (facts?.cudaOnlyQuant && facts.quantMethod) notes.push(en('Quantization: the {0} checkpoint uses CUDA kernels; convert it with msModelSlim before serving on NPU', facts.quantMethod.toUpperCase()));
  if (facts?.moe) notes.push(en('MoE memory: a MoE model needs TP >= 2 or more NPUs'));
  if ((profile.maxModelLen ?? 0) >= 512 && !profile.enforceEager) notes.push(en('Long sequences: use --enforce-eager to avoid graph capture problems'));
  if (profile.tensorParallelSize > 1) notes.push(en('TP > 1 needs HCCL_OP_EXPANSION_MODE=AIV'));
  return notes;
}

const EVIDENCE_NAMES: Array<[RegExp, string]> = [
  [/^env_snapshot\.json$/, en('environment snapshot')],
  [/^model\/config\.json$/, en('model config.json')],
  [/^api_check\.json$/, en('API check (request and response)')],
  [/^smoke\.json$/, en('smoke test results')],
  [/^hbm\.json$/, en('HBM samples over the run')],
  [/^reference\//, en('GPU reference (accuracy)')],
  [/^baseline\//, en('GPU baseline (performance)')],
  [/(^|\/)log$/, en('job log')],
  [/(^|\/)accuracy\.json$/, en('accuracy results')],
  [/(^|\/)items\.jsonl$/, en('accuracy results, per item')],
  [/(^|\/)perf\.json$/, en('performance results')],
  [/(^|\/)requests\.jsonl$/, en('performance results, per request')],
];

export function describeEvidenceFile(rel: string, demo = false): string {
  if (demo && rel.startsWith('reference/')) return en('DEMO GPU reference (accuracy): made-up, not measured');
  if (demo && rel.startsWith('baseline/')) return en('DEMO GPU baseline (performance): made-up, not measured');
  const hit = EVIDENCE_NAMES.find(([re]) => re.test(rel));
  return hit ? hit[1] : en('result file');
}
