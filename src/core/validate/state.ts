import type { ConfigExtras } from '../report/assemble';
import { configExtras } from '../report/assemble';
import type { ClusterJob } from '../cluster/job';
import type { ClusterPlan } from '../cluster/plan';
import type { Accuracy, Adaptation, AdaptationItem, Cluster, HostSnapshot, Performance, QuantizationStatus, Serving, SmokeResult } from '../report/schema';
import type { ServingJob } from '../serving/job';
import type { ModelFacts } from '../serving/model';
import type { EvidenceBook } from './evidence';
import type { HbmSampler } from './hbm';
import type { ProfilingData } from './profile';
import type { StepId, StepRecord } from './types';

/**
 * What the steps of a run found, as plain data (plus the live server handle). The report is assembled
 * from it; a later run that re-runs one step or continues from a step starts from it, so a server that
 * still runs is used again and earlier results stay in the report.
 */
export interface LiveServer {
  /** The server's job: one host's, or a multi-node job whose head serves the API. */
  job: ServingJob | ClusterJob;
  /** The server as this machine reaches it (through the forwarded port); null until it is ready. */
  endpoint: string | null;
  /** The server as the host reaches it (jobs on the host use this). */
  hostEndpoint: string;
  /** The served model name requests use. */
  model: string;
}

export type ServingData = Omit<Serving, 'status' | 'reason'>;
export type AccuracyData = Omit<Accuracy, 'status' | 'reason'>;
export type PerfData = Omit<Performance, 'status' | 'reason' | 'memory' | 'hbmSamples'>;

/** What the quantize step adds to the adaptation section: the item citing its job, and the quantization row. */
export interface QuantizeData {
  jobId: string | null;
  item: AdaptationItem;
  row: QuantizationStatus;
}

/** A multi-node run: the plan the pre-checks made (null when it could not be made), each node's environment, the report's section. */
export interface ClusterRunData {
  plan: ClusterPlan | null;
  /** One snapshot per node, in node order (the report's hosts). */
  hosts: HostSnapshot[];
  section: Cluster;
}

export interface RunState {
  readonly outDir: string;
  readonly book: EvidenceBook;
  /** The step table so far, in step order. */
  readonly records: Map<StepId, StepRecord>;
  interrupted: { step: StepId | null; at: string } | null;
  host: HostSnapshot | null;
  model: { facts: ModelFacts | null; extras: ConfigExtras; error: string | null; evidence: string | null };
  analysis: { findings: Adaptation['operatorFindings']; analysedFiles: number | null; workspaceFiles: Array<{ file: string; quantType: string | null }> };
  serving: ServingData | null;
  server: LiveServer | null;
  smoke: SmokeResult[];
  accuracy: AccuracyData | null;
  performance: PerfData | null;
  /** The quantize step's job and the adaptation item citing it (null when the profile asks for none). */
  quantize: QuantizeData | null;
  hbm: HbmSampler | null;
  /** Evidence id of the serving log, completed (end time, copy) when the server stops. */
  servingLogEvidence: string | null;
  /** Evidence id of hbm.json: updated, not added again, each time the report is written. */
  hbmEvidence: string | null;
  /** The server's profiler (--profiler-config) when the profile asks for profiling: the run folder and its dir. */
  profiler: { runDir: string; dir: string } | null;
  /** The profile step's section data. */
  profiling: ProfilingData | null;
  /** Set when the profile is served over several nodes. */
  cluster: ClusterRunData | null;
}

export function newRunState(outDir: string, book: EvidenceBook): RunState {
  return {
    outDir,
    book,
    records: new Map(),
    interrupted: null,
    host: null,
    model: { facts: null, extras: configExtras(null), error: null, evidence: null },
    analysis: { findings: [], analysedFiles: null, workspaceFiles: [] },
    serving: null,
    server: null,
    smoke: [],
    accuracy: null,
    performance: null,
    quantize: null,
    hbm: null,
    servingLogEvidence: null,
    hbmEvidence: null,
    profiler: null,
    profiling: null,
    cluster: null,
  };
}
