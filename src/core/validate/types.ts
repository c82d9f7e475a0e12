import type { DetachedJobs, JobControl } from '../jobs/index';
import type { NamedProfile } from '../profiles/schema';
import type { StepName, StepStatus } from '../report/schema';
import type { Transport } from '../transport/transport';
import type { EvidenceBook } from './evidence';
import type { RunState } from './state';

/**
 * The validation as a list of steps. A step is a small object: what it needs from earlier steps, how to
 * run, and why it would not run. The runner (runner.ts) orders them, decides what runs, handles stop
 * requests once for all steps and reports progress; steps write their data into the run state, and the
 * report is assembled from that state (write.ts → report/assemble.ts).
 *
 * Text a step returns (reasons, progress) is English, the canonical form stored in reports; the faces
 * translate when they show it.
 */
export type StepId = StepName;

/** What a step says when it ends. The runner adds `not-run` and `interrupted`. */
export interface StepResult {
  status: 'pass' | 'warn' | 'fail' | 'skip';
  /** Why it failed / warned / was skipped (English); null when it passed. */
  reason: string | null;
  /**
   * Whether what this step provides is there for the steps that need it (default: status is not fail).
   * An environment check with failed checks still provides the host facts serving needs.
   */
  usable?: boolean;
  /** Figures a UI shows on the step's row ("GSM8K 90 % vs 90.5 %"). */
  figures?: KeyFigure[];
}

export interface KeyFigure {
  label: string;
  value: number | null;
  unit: string;
  /** The GPU reference / baseline value, when there is one. */
  reference?: number | null;
  /** NPU vs GPU (> 1: NPU better), when there is a baseline. */
  ratio?: number | null;
}

/** Everything a step may use. One per run; `state` carries what earlier steps (or an earlier run) left. */
export interface StepContext {
  transport: Transport;
  profile: NamedProfile;
  state: RunState;
  book: EvidenceBook;
  /** Detached jobs by transport (the serving monitor keeps its job across reconnects with it). */
  control: JobControl;
  /** The same on this run's transport (accuracy / perf jobs, log reads). */
  jobs: DetachedJobs;
  /** Progress text for the current step (English). */
  progress(text: string): void;
  signal: AbortSignal;
  now(): Date;
}

export interface ValidateStep {
  readonly id: StepId;
  /** Steps whose results this one uses; they come earlier in the list. */
  readonly needs: readonly StepId[];
  /** Runs also after a stop request and when a need is missing (cleanup, e.g. stopping the server). */
  readonly always?: boolean;
  /** False: the step is not part of this validation at all (e.g. quantize when the profile asks for none). */
  applies?(ctx: StepContext): boolean;
  /** A reason not to run although the needs are met (no datasets given, no server started …); else null. */
  skipReason?(ctx: StepContext): string | null;
  /** This step's own words for "not run because <need> did not provide what I need". */
  notRunBecause?(need: StepId, needStatus: StepStatus): string;
  /** Whether a result kept from an earlier run can still be used now (serve: the server still answers). */
  stillValid?(ctx: StepContext): Promise<boolean>;
  run(ctx: StepContext): Promise<StepResult>;
}

/** One row of the step table, as the report stores it plus what a UI shows. */
export interface StepRecord {
  id: StepId;
  status: StepStatus;
  reason: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  usable: boolean;
  figures: KeyFigure[];
}

/** What a UI (the CLI's progress lines, the VS Code run panel) is told while a run goes. */
export type RunEvent =
  | { type: 'plan'; steps: Array<{ id: StepId; action: 'run' | 'reuse' | 'not-run' }> }
  | { type: 'start'; step: StepId; at: string }
  | { type: 'progress'; step: StepId; text: string }
  | { type: 'end'; step: StepId; record: StepRecord }
  | { type: 'interrupt'; step: StepId | null; at: string };

/** Which steps a run executes. */
export type StepSelection =
  /** Every step (the default). */
  | { kind: 'all' }
  /** This step and every step after it; earlier ones are reused from the run state when still valid. */
  | { kind: 'from'; step: StepId }
  /** Only these steps (e.g. one step again against a server that still runs), plus needs that are not valid any more. */
  | { kind: 'only'; steps: StepId[] };
