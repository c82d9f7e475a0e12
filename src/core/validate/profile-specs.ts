import * as path from 'node:path';
import { en } from '../l10n';
import type { NamedProfile } from '../profiles/schema';
import type { AccuracyStepSpec } from './accuracy';
import type { PerfStepSpec } from './perf';

/**
 * A profile's `validation` block as step configuration: what the VS Code run panel and
 * `ascend-adapt validate --profile` measure when no flag says otherwise. Files named in it (reference,
 * baseline, workspace) are on this machine, relative to the folder of ascend-adapt.json.
 */
export interface ProfileSpecs {
  accuracy: AccuracyStepSpec | null;
  /** English reason stored in the report when accuracy does not run. */
  accuracyNotRun: string;
  perf: PerfStepSpec | null;
  perfNotRun: string;
  /** Absolute paths analysed for operator compatibility. */
  workspace: string[];
}

export const PERF_DEFAULTS = { concurrency: 8, numPrompts: 100, inputLen: 256, outputLen: 128 } as const;

export interface PerfOverrides {
  concurrency?: number;
  numPrompts?: number;
  inputLen?: number;
  outputLen?: number;
  requestRate?: number;
  baselineFile?: string;
}

/**
 * @param configDir folder of ascend-adapt.json (relative files are resolved against it)
 * @param perfOverrides values given on a command line, each taking precedence over the profile's
 */
export function specsFromProfile(profile: NamedProfile, configDir: string, perfOverrides: PerfOverrides = {}): ProfileSpecs {
  const v = profile.validation;
  const local = (f: string | undefined) => (f ? path.resolve(configDir, f) : undefined);
  const a = v?.accuracy;
  const accuracy: AccuracyStepSpec | null = a
    ? { tasks: a.tasks, dataDir: a.dataDir, limit: a.limit, concurrency: a.concurrency, referenceFile: local(a.reference) }
    : null;
  const perf = v?.perf === false ? null : perfSpec(v?.perf ?? PERF_DEFAULTS, configDir, perfOverrides);
  return {
    accuracy,
    accuracyNotRun: en('no accuracy datasets in the profile (validation.accuracy)'),
    perf,
    perfNotRun: en('left out by the profile (validation.perf: false)'),
    workspace: (v?.workspace ?? ['.']).map((w) => path.resolve(configDir, w)),
  };
}

/** A perf run from settings (the profile's or the defaults) with command-line values taking precedence. */
export function perfSpec(
  p: { concurrency: number; numPrompts: number; inputLen: number; outputLen: number; requestRate?: number; baseline?: string },
  configDir: string,
  o: PerfOverrides = {},
): PerfStepSpec {
  return {
    concurrency: o.concurrency ?? p.concurrency,
    numPrompts: o.numPrompts ?? p.numPrompts,
    inputLen: o.inputLen ?? p.inputLen,
    outputLen: o.outputLen ?? p.outputLen,
    requestRate: o.requestRate ?? p.requestRate,
    baselineFile: o.baselineFile ?? (p.baseline ? path.resolve(configDir, p.baseline) : undefined),
  };
}
