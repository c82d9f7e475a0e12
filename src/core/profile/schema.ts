import { z } from 'zod';

/**
 * What the host scripts of a profile write (python/profile/summarize.py, capture.py), checked with zod where
 * they are read. Figures are µs summed from the CSVs of ASCEND_PROFILER_OUTPUT (kernel_details.csv, else
 * op_statistic.csv; step_trace_time.csv); shares are percent of all device time. Every operator row says where
 * it can be checked: the rank, the file and its 1-based line (`row`: the slowest task's row in
 * kernel_details.csv; `statRow`: the operator's own row in op_statistic.csv).
 */

export const SUMMARY_SCHEMA = 'ascend-adapt.profile-summary/1';
export const CAPTURE_SCHEMA = 'ascend-adapt.profile-capture/1';

const Us = z.number().nonnegative();

export const RowEvidenceSchema = z.object({
  rank: z.number().int(),
  file: z.string(),
  row: z.number().int().positive(),
  statRow: z.number().int().positive().nullable().optional(),
});
export type RowEvidence = z.infer<typeof RowEvidenceSchema>;

export const TopOpSchema = z.object({
  type: z.string(),
  coreType: z.string(),
  count: z.number().int().nonnegative(),
  totalUs: Us,
  avgUs: Us,
  maxUs: Us,
  sharePct: z.number().min(0).max(100.001),
  evidence: RowEvidenceSchema,
});
export type TopOp = z.infer<typeof TopOpSchema>;

export const AicpuOpSchema = z.object({
  type: z.string(),
  name: z.string().nullable().optional(),
  count: z.number().int().nonnegative(),
  totalUs: Us,
  maxUs: Us,
  dtypes: z.array(z.string()).default([]),
  /** The advisor's suggestion as the host script words it (English); faces show the knowledge base's hint. */
  hint: z.string(),
  evidence: RowEvidenceSchema,
  ranks: z.array(z.number().int()).optional(),
});
export type AicpuOp = z.infer<typeof AicpuOpSchema>;

export const StepSchema = z.object({
  rank: z.number().int(),
  step: z.union([z.number().int(), z.string()]).nullable(),
  computingUs: Us,
  communicationUs: Us,
  overlappedUs: Us.nullable().optional(),
  freeUs: Us,
  row: z.number().int().positive(),
});
export type ProfileStep = z.infer<typeof StepSchema>;

const CoreShares = z.record(z.string(), z.number());

export const RankSummarySchema = z.object({
  rank: z.number().int(),
  dir: z.string(),
  simulated: z.boolean().default(false),
  files: z.array(z.string()),
  kernels: z.object({ rows: z.number().int(), bytes: z.number().int(), headers: z.enum(['old', 'new']), blockColumn: z.string().nullable() }).nullable(),
  totalUs: Us,
  topOps: z.array(TopOpSchema),
  byCoreType: CoreShares,
  byCoreTypeUs: CoreShares,
  aicpu: z.array(AicpuOpSchema),
  traceFile: z.string().nullable(),
});
export type RankSummary = z.infer<typeof RankSummarySchema>;

export const SummarySchema = z.object({
  schema: z.literal(SUMMARY_SCHEMA),
  ranks: z.number().int().nonnegative(),
  outputDirs: z.array(z.string()),
  unparsed: z.array(z.string()),
  simulated: z.boolean().default(false),
  traceFiles: z.array(z.string()),
  totalUs: Us,
  topOps: z.array(TopOpSchema),
  byCoreType: CoreShares,
  byCoreTypeUs: CoreShares,
  aicpu: z.array(AicpuOpSchema),
  aicpuMinUs: z.number(),
  steps: z.array(StepSchema),
  perRank: z.array(RankSummarySchema),
  error: z.string().nullable(),
  stats: z.object({ seconds: z.number(), cpuSeconds: z.number(), maxRssMB: z.number().nullable() }).optional(),
});
export type ProfileSummary = z.infer<typeof SummarySchema>;

export const LoadSchema = z.object({
  exitCode: z.number().int().nullable(),
  file: z.string(),
  command: z.array(z.string()),
  model: z.string().nullable().optional(),
  numPrompts: z.number().int().nullable().optional(),
  inputLen: z.number().int().nullable().optional(),
  outputLen: z.number().int().nullable().optional(),
  concurrency: z.number().int().nullable().optional(),
  completed: z.number().nullable().optional(),
  failed: z.number().nullable().optional(),
  durationS: z.number().nullable().optional(),
  outputThroughput: z.number().nullable().optional(),
  meanTtftMs: z.number().nullable().optional(),
});
export type ProfileLoad = z.infer<typeof LoadSchema>;

export const CapturePhase = z.enum(['init', 'start', 'load', 'stop', 'wait', 'server', 'summary']);
export type CapturePhase = z.infer<typeof CapturePhase>;

export const CaptureSchema = z.object({
  schema: z.literal(CAPTURE_SCHEMA),
  phase: CapturePhase,
  startedProfile: z.boolean(),
  stoppedProfile: z.boolean(),
  profilerDir: z.string(),
  newDirs: z.array(z.string()),
  unparsed: z.array(z.string()),
  analysed: z.object({ dirs: z.array(z.string()), exitCode: z.number().int().nullable() }).nullable(),
  load: LoadSchema.nullable(),
  serverStopped: z.boolean(),
  summary: SummarySchema.nullable(),
  error: z.string().nullable(),
  errorKind: z.string().nullable(),
  interrupted: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type CaptureResult = z.infer<typeof CaptureSchema>;
