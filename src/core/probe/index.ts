/** The environment probe (python/env_probe.py) over any Transport, and the env check built on it. */
export { runProbe, interpretProbeOutput, type ProbeOptions } from './run';
export { ProbeDataSchema, ProbeOutcomeSchema, CommandResultSchema, type ProbeData, type ProbeOutcome, type ProbeFailure, type ProbeFailureKind, type ProbeSuccess, type CommandResult } from './schema';
export {
  runEnvCheck, runEnvChecks, analyzeSnapshot, parseSnapshot, toSnapshot, reportsForJson, EnvSnapshotSchema, RunPlanSchema,
  type EnvCheckOptions, type EnvCheckTarget, type EnvReportWithRaw, type EnvSnapshot,
} from './envcheck';
