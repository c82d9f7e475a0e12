import * as l10n from '@vscode/l10n';
import { isCluster } from '../cluster/plan';
import { jobControl } from '../jobs/index';
import type { NamedProfile } from '../profiles/schema';
import { en, inLanguage, type Lang } from '../l10n';
import type { Report } from '../report/schema';
import type { Transport } from '../transport/transport';
import { accuracyStep, type AccuracyStepSpec } from './accuracy';
import { analysisStep, type AnalysisConfig } from './analysis';
import { clusterEnvStep, type NodeOpener } from './cluster-env';
import { clusterServeStep, type ClusterServeConfig } from './cluster-serve';
import { envStep } from './env';
import { EvidenceBook } from './evidence';
import { prepareOutDir } from './outdir';
import { perfStep, type PerfStepSpec } from './perf';
import { profileStep } from './profile';
import { quantizeStep } from './quantize';
import { runSteps } from './runner';
import { serveStep } from './serve';
import { smokeStep } from './smoke';
import { newRunState, type RunState } from './state';
import { stopStep } from './stop';
import type { RunEvent, StepSelection, ValidateStep } from './types';
import { writeReport, type WrittenReport } from './write';

/**
 * `ascend-adapt validate` and the VS Code run panel: env check → model and operator analysis → serve →
 * smoke → accuracy → perf → stop → report. A failing step does not stop the report: steps that need it are
 * recorded as not run with the reason, and the report is written anyway.
 */

export interface StandardStepsConfig extends AnalysisConfig {
  /** Accuracy datasets; null / absent: accuracy is recorded as not run with `accuracyNotRun`. */
  accuracy?: AccuracyStepSpec | null;
  accuracyNotRun?: string;
  /** Performance run; null / absent: perf is recorded as not run with `perfNotRun`. */
  perf?: PerfStepSpec | null;
  perfNotRun?: string;
  /** HBM sampling period while serving (default 1000 ms). */
  hbmSampleMs?: number;
}

/** The validation's steps in order. A new step goes into this list at its place (its needs come before it). */
export function standardSteps(c: StandardStepsConfig = {}): ValidateStep[] {
  return [
    envStep,
    // Before the analysis: it reads config.json of the folder that is served, which quantize writes.
    quantizeStep,
    analysisStep({ findings: c.findings, workspace: c.workspace }),
    serveStep({ hbmSampleMs: c.hbmSampleMs }),
    smokeStep,
    accuracyStep(c.accuracy ?? null, c.accuracyNotRun),
    perfStep(c.perf ?? null, c.perfNotRun ?? en('no performance run was asked for')),
    // After perf (a profiler slows the server down); only when the profile asks for profiling.
    profileStep,
    stopStep,
  ];
}

/**
 * The validation of a multi-node profile: the same steps, with the cluster pre-checks on every node as the
 * environment step and the multi-node job as the server. Smoke, accuracy and perf go through the head's API
 * as on one host; the stop step stops every node. Quantization and profiling run on one host only: they are
 * recorded as not run, saying why.
 */
export function clusterSteps(c: StandardStepsConfig, open: NodeOpener, hooks: Pick<ClusterServeConfig, 'onJob'> = {}): ValidateStep[] {
  return [
    clusterEnvStep(open),
    { ...quantizeStep, skipReason: () => en('msModelSlim quantizes on one host: quantize on one node, copy the output to modelPath on every node, then validate the multi-node profile') },
    analysisStep({ findings: c.findings, workspace: c.workspace }),
    clusterServeStep(open, { hbmSampleMs: c.hbmSampleMs, onJob: hooks.onJob }),
    smokeStep,
    accuracyStep(c.accuracy ?? null, c.accuracyNotRun),
    perfStep(c.perf ?? null, c.perfNotRun ?? en('no performance run was asked for')),
    { ...profileStep, skipReason: () => en('the profiler is started with a one-host server; profiling a multi-node server is not supported') },
    stopStep,
  ];
}

export interface ValidateOptions extends StandardStepsConfig {
  transport: Transport;
  profile: NamedProfile;
  /** Local folder for the report and the evidence copies (must not hold another run). */
  outDir: string;
  /** Where detached jobs keep their folders on the host (default ~/.ascend-adapt/jobs). */
  jobsRoot?: string;
  /** Languages of the Markdown written beside the JSON (default both); the HTML uses the first. */
  langs?: Lang[];
  /** The steps to run (default: clusterSteps for a multi-node profile, else standardSteps, of these options). */
  steps?: ValidateStep[];
  /** A multi-node profile's nodes by host alias (`transport` is the head's). Required for such a profile. */
  nodes?: NodeOpener;
  /** All steps (default), from a step onward, or only some steps. */
  selection?: StepSelection;
  /**
   * The state an earlier run of this validation returned: its results are kept and its server, when it
   * still answers, is used again. The report is written again into the same folder.
   */
  previous?: RunState;
  /**
   * A host folder that is deleted after the run (a temporary simulated host): evidence files under it are
   * pointed at their copies in the output folder before the report is written.
   */
  ephemeralHostRoot?: string;
  target?: Report['target'];
  generator?: { name: string; version: string };
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface ValidateResult extends WrittenReport {
  /** Pass it as `previous` to re-run a step or continue; holds the server when no stop step ran. */
  state: RunState;
}

/** The steps for the profile: over its nodes when it is a multi-node profile (never on its head alone). */
function defaultSteps(opts: ValidateOptions): ValidateStep[] {
  if (!isCluster(opts.profile)) return standardSteps(opts);
  if (!opts.nodes) throw new Error(l10n.t('profile "{0}" is served over several nodes: validate it with `ascend-adapt validate --profile {0}`, which reaches every node', opts.profile.name));
  return clusterSteps(opts, opts.nodes);
}

/** Text a run stores is English (the canonical form; renderers translate), whatever language the caller speaks. */
export async function runValidation(opts: ValidateOptions): Promise<ValidateResult> {
  // Chosen in the caller's language: a profile that cannot be validated here is told in it.
  const steps = opts.steps ?? defaultSteps(opts);
  return inLanguage('en', () => validateInEnglish(opts, steps));
}

async function validateInEnglish(opts: ValidateOptions, steps: ValidateStep[]): Promise<ValidateResult> {
  const now = opts.now ?? (() => new Date());
  const t = opts.transport;
  let state = opts.previous;
  if (!state) {
    prepareOutDir(opts.outDir);
    state = newRunState(opts.outDir, new EvidenceBook(opts.outDir, t.label));
  }
  if (state.server) state.hbm?.start(t);
  const control = jobControl({ root: opts.jobsRoot });
  try {
    await runSteps(steps, { transport: t, profile: opts.profile, state, book: state.book, control, jobs: control.on(t), signal: opts.signal ?? new AbortController().signal, now }, { selection: opts.selection, onEvent: opts.onEvent });
  } finally {
    state.hbm?.stop();
  }
  if (opts.ephemeralHostRoot) state.book.relocateFrom(opts.ephemeralHostRoot);
  const written = writeReport(state, { profile: opts.profile, steps, langs: opts.langs ?? ['zh-CN', 'en'], generator: opts.generator ?? { name: 'ascend-adapt', version: '0.0.0' }, target: opts.target, now });
  return { ...written, state };
}

export { accuracyStep, type AccuracyStepSpec } from './accuracy';
export { analysisStep, type AnalysisConfig } from './analysis';
export { createDemo, demoDataDir, freePort, DEMO_MODEL_CONFIG, type DemoSetup } from './demo';
export { clusterEnvStep, clusterSection, type NodeOpener } from './cluster-env';
export { clusterServeStep, type ClusterServeConfig } from './cluster-serve';
export { envStep } from './env';
export { EvidenceBook } from './evidence';
export { baselineFromReport, referencesFromReport } from './inputs';
export { makeDirs, OutDirError, prepareOutDir } from './outdir';
export { perfStep, type PerfStepSpec } from './perf';
export { profileStep, profilerLaunch, type ProfilingData } from './profile';
export { redactArgv, redactEnv, REDACTED } from './redact';
export { checkStepList, planSteps, runSteps, stepTitle } from './runner';
export { serveStep } from './serve';
export { serverStep } from './server-step';
export { smokeStep } from './smoke';
export { newRunState, type LiveServer, type RunState } from './state';
export { stopStep } from './stop';
export type { KeyFigure, RunEvent, StepContext, StepId, StepRecord, StepResult, StepSelection, ValidateStep } from './types';
