import { z } from 'zod';

/**
 * The environment-check result of one host, in the shape of `env-check --json` (extra fields allowed
 * by "at least"): validated with zod where it is produced and where it is read (extension, report).
 */

export const CheckStatusSchema = z.enum(['pass', 'warn', 'fail', 'skip']);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const FactValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const CheckSchema = z.object({
  id: z.string(),
  status: CheckStatusSchema,
  title: z.string(),
  detail: z.string(),
  fix: z.string().nullable(),
  /** The facts the verdict used (name → value), shown under the check. */
  facts: z.record(z.string(), FactValueSchema),
  /** Where the rule comes from (doc URL / repo path), when there is one. */
  source: z.string().nullable(),
});
export type Check = z.infer<typeof CheckSchema>;

export const ReportDeviceSchema = z.object({
  npuId: z.number(),
  chipId: z.number(),
  name: z.string(),
  health: z.string(),
  powerW: z.number().nullable(),
  tempC: z.number().nullable(),
  aicorePercent: z.number().nullable(),
  hbmUsedMB: z.number().nullable(),
  hbmTotalMB: z.number().nullable(),
  busId: z.string().nullable(),
  // beyond the minimum:
  family: z.string(),
  /** Logical device index (what ASCEND_RT_VISIBLE_DEVICES counts). */
  logicalId: z.number(),
  phyId: z.number().nullable(),
  /** DDR `Memory-Usage` (the device memory of 310/310P). */
  memUsedMB: z.number().nullable(),
  memTotalMB: z.number().nullable(),
});
export type ReportDevice = z.infer<typeof ReportDeviceSchema>;

export const ReportProcessSchema = z.object({
  npuId: z.number(),
  chipId: z.number(),
  pid: z.number(),
  name: z.string(),
  memoryMB: z.number(),
  /** From /proc on the host when npu-smi left the name blank (containers). */
  cmdline: z.string().nullable(),
  user: z.string().nullable(),
});

export const VersionsSchema = z.object({
  cann: z.string().nullable(),
  driver: z.string().nullable(),
  firmware: z.string().nullable(),
  python: z.string().nullable(),
  torch: z.string().nullable(),
  torch_npu: z.string().nullable(),
  vllm: z.string().nullable(),
  vllm_ascend: z.string().nullable(),
  transformers: z.string().nullable(),
  lm_eval: z.string().nullable(),
  msmodelslim: z.string().nullable(),
  triton_ascend: z.string().nullable(),
});
export type Versions = z.infer<typeof VersionsSchema>;

export const EnvReportSchema = z.object({
  host: z.string(),
  simulated: z.boolean(),
  npu: z.object({
    family: z.string(),
    devices: z.array(ReportDeviceSchema),
    processes: z.array(ReportProcessSchema),
    npuSmiVersion: z.string().nullable(),
  }),
  versions: VersionsSchema,
  checks: z.array(CheckSchema),
  // beyond the minimum:
  /** ISO time the probe started on the host (results stay visible with their time). */
  checkedAt: z.string().nullable(),
  durationMs: z.number(),
  /** What kind of host this is: an NPU host, a GPU host (baseline), or neither. */
  role: z.enum(['npu', 'gpu', 'none', 'unknown']),
  summary: z.object({ pass: z.number(), warn: z.number(), fail: z.number(), skip: z.number() }),
  hostInfo: z
    .object({
      hostname: z.string().nullable(),
      os: z.string().nullable(),
      kernel: z.string().nullable(),
      arch: z.string().nullable(),
      cpuModel: z.string().nullable(),
      cpuCount: z.number().nullable(),
      memTotalMB: z.number().nullable(),
    })
    .nullable(),
});
export type EnvReport = z.infer<typeof EnvReportSchema>;

/** Exit code of an env check: 1 when any check of any host failed. */
export function envCheckExitCode(reports: readonly EnvReport[]): 0 | 1 {
  return reports.some((r) => r.checks.some((c) => c.status === 'fail')) ? 1 : 0;
}

export function summarize(checks: readonly Check[]): EnvReport['summary'] {
  const s = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}
