import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { aicpuRowsFor, AICPU_GENERAL } from '../knowledge/aicpu-ops';
import { pick, type Lang } from '../l10n';
import type { AicpuOp, ProfileSummary } from './schema';

/**
 * What a profile tells the code: its AI CPU operators, as a small file in the workspace that the language
 * server reads (`.ascend-adapt/profile-findings.json`, written by `ascend-adapt profile` and by VS Code after a
 * profile run). The newest profile wins; the file names the job it came from, so a diagnostic can say
 * "seen on AI CPU in profile <job> (N µs total)".
 */

export const FINDINGS_SCHEMA = 'ascend-adapt.profile-findings/1';
export const FINDINGS_FILE = path.join('.ascend-adapt', 'profile-findings.json');

export const FindingOpSchema = z.object({
  type: z.string().min(1),
  coreType: z.string(),
  count: z.number().int().nonnegative(),
  totalUs: z.number().nonnegative(),
  maxUs: z.number().nonnegative(),
  dtypes: z.array(z.string()).default([]),
});
export type FindingOp = z.infer<typeof FindingOpSchema>;

export const ProfileFindingsSchema = z.object({
  schema: z.literal(FINDINGS_SCHEMA),
  jobId: z.string().min(1),
  host: z.string(),
  simulated: z.boolean(),
  capturedAt: z.string(),
  /** The profile's summary file (for "open the profile"). */
  summaryFile: z.string().nullable().optional(),
  ops: z.array(FindingOpSchema),
});
export type ProfileFindings = z.infer<typeof ProfileFindingsSchema>;

export function findingsOf(summary: ProfileSummary, o: { jobId: string; host: string; capturedAt?: string; summaryFile?: string | null }): ProfileFindings {
  return {
    schema: FINDINGS_SCHEMA, jobId: o.jobId, host: o.host, simulated: summary.simulated, capturedAt: o.capturedAt ?? new Date().toISOString(),
    summaryFile: o.summaryFile ?? null,
    ops: summary.aicpu.map((a) => ({ type: a.type, coreType: 'AI_CPU', count: a.count, totalUs: a.totalUs, maxUs: a.maxUs, dtypes: a.dtypes })),
  };
}

/** Writes the findings file into a workspace folder (its .ascend-adapt folder is made). Returns the path. */
export function writeFindings(workspace: string, f: ProfileFindings): string {
  const file = path.join(workspace, FINDINGS_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(f, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return file;
}

/** The findings file of a workspace folder; null when there is none or it is not ours (a bad file is ignored). */
export function readFindings(workspace: string): ProfileFindings | null {
  try {
    const r = ProfileFindingsSchema.safeParse(JSON.parse(fs.readFileSync(path.join(workspace, FINDINGS_FILE), 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The fix hint of one AI CPU operator, from the knowledge base (in `lang`), else the advisor's general one. */
export function aicpuHint(op: Pick<AicpuOp, 'type' | 'dtypes'>, lang?: Lang): { title: string; fix: string; source: string; href: string } {
  const rows = aicpuRowsFor(op.type, op.dtypes);
  if (!rows.length) return { title: pick(AICPU_GENERAL.title, lang), fix: pick(AICPU_GENERAL.fix, lang), source: AICPU_GENERAL.source, href: AICPU_GENERAL.href };
  return { title: pick(rows[0]!.title, lang), fix: rows.map((r) => pick(r.fix, lang)).join(' '), source: rows[0]!.source, href: rows[0]!.href };
}
