/**
 * Serving — the API the faces use (extension: "Ascend: Start Serving", Jobs view, log terminal; CLI: serve).
 *
 *   const job = await startServing(transport, profile, { jobs: jobControl(), env: lastEnvCheck, onPreflight });
 *   job.on('state', (rec) => …)            // starting → ready | failed; ready → stopped | exited
 *   job.on('finding', (f, localized) => …) // a known failure recognised in the log (explanation + fix)
 *   await job.waitReady();                 // rec.endpoint (forwarded local URL), rec.loadTimeMs
 *   const f = job.attachLog(offset, (chunk, at) => terminal.write(chunk)); f.offset(); f.detach();
 *   const report = await job.stop();       // report.idle: HBM back to idle, no process left
 *   store(job.record());  …  attachServing(newTransport, record, profile, { jobs })   // after reconnect/reload
 */
export { buildServeCommand, defaultServeEnv, devicesFor, servedModelName, worldSize, type ServeCommand } from './command';
export {
  attachServing,
  checkBeforeLaunch,
  envSnapshotFromNpuSmi,
  PreflightFailedError,
  readNpuSmi,
  servingRecordFromJob,
  ServingJob,
  startServing,
  type DeviceAfterStop,
  type MonitorOptions,
  type ServingFailure,
  type ServingJobRecord,
  type ServingState,
  type StartServingOptions,
  type StopReport,
} from './job';
export { analyzeModel, inspectModel, ModelInspectionError, type ModelFacts, type ModelInspection } from './model';
export { envSnapshotSchema, preflight, type CheckStatus, type EnvSnapshot, type PreflightCheck, type PreflightInput, type PreflightResult } from './preflight';
export { ARCHITECTURES, lookupArchitecture, CUDA_ONLY_QUANT_METHODS, type ArchitectureInfo } from './architectures';
