import * as path from 'node:path';
import type { Reference } from '../accuracy/index';
import type { PerfRun } from '../perf/index';
import { parseReportText } from '../report/load';
import { REPORT_SCHEMA_ID, type Evidence, type PartialReport } from '../report/schema';
import type { StepContext } from './types';

/**
 * What accuracy and perf read and produce, as evidence: the reference / baseline file the user gave (input
 * evidence, copied beside the report) and the job's result file on the host (result evidence, copied).
 * A validation report made on a GPU host serves as reference or baseline too.
 */

export function inputEvidence(ctx: StepContext, file: string, rel: string): string {
  const copy = ctx.book.copyLocal(file, rel);
  return ctx.book.add({ kind: 'input', jobId: null, host: 'local', startedAt: null, endedAt: null, command: [], file: path.resolve(file), ...(copy ? { copy } : {}) });
}

export async function resultEvidence(
  ctx: StepContext,
  ev: { jobId: string; startedAt: string; endedAt: string | null; command: string[]; resultFile: string },
  name: string,
  pointer: string,
): Promise<string> {
  const copy = await ctx.book.copyFromHost(ctx.transport, ev.resultFile, `${ev.jobId}/${name}`);
  const e: Omit<Evidence, 'id'> = {
    kind: 'result',
    jobId: ev.jobId,
    host: ctx.transport.label,
    startedAt: ev.startedAt,
    endedAt: ev.endedAt,
    command: ev.command,
    file: ev.resultFile,
    pointer,
    ...(copy ? { copy } : {}),
  };
  return ctx.book.add(e);
}

/** The text as a validation report, or null when it is not one. */
export function reportFromText(text: string): PartialReport | null {
  try {
    const raw = JSON.parse(text) as { schema?: unknown };
    if (raw?.schema !== REPORT_SCHEMA_ID) return null;
  } catch {
    return null;
  }
  return parseReportText(text, 'reference').report;
}

/** A report's measured accuracy as references (fractions, like the accuracy results). */
export function referencesFromReport(r: PartialReport, source: string): Reference[] {
  return (r.accuracy?.datasets ?? [])
    .filter((d) => d.measured.value !== null)
    // A report written before figures carried their protocol has none: its figures are not compared.
    .map((d) => ({ name: d.name, metric: d.metric || null, value: Math.round(d.measured.value! * 1e4) / 1e6, source, protocol: d.protocol ?? null }));
}

/** A report's measured performance as a baseline run. */
export function baselineFromReport(r: PartialReport): PerfRun[] {
  const metrics: Record<string, number> = {};
  for (const m of r.performance?.metrics ?? []) if (m.measured.value !== null) metrics[m.key] = m.measured.value;
  if (!Object.keys(metrics).length) return [];
  return [{ concurrency: r.performance?.concurrency ?? null, requestRate: 'inf', metrics, errors: {} }];
}
