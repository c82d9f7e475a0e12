/** Environment-check analysis: pure functions from probe facts to verdicts. */
export { analyzeHost, npuChecks, versionChecks, envChecks, diskChecks, extraChecks, probeFailureCheck, busyThresholdMB, type RunPlan } from './checks';
export { analyzeHosts, buildReport, compareHosts, type HostProbe } from './analyze';
export { deriveFacts, type HostFacts } from './facts';
export { renderCollectEnv } from './collectEnv';
export {
  CheckSchema, CheckStatusSchema, EnvReportSchema, ReportDeviceSchema, VersionsSchema, envCheckExitCode, summarize,
  type Check, type CheckStatus, type EnvReport, type ReportDevice, type Versions,
} from './report';
