import { z } from 'zod';
import { analyzeHosts, buildReport, type HostProbe } from '../checks/analyze';
import type { RunPlan } from '../checks/checks';
import type { EnvReport } from '../checks/report';
import type { Transport } from '../transport/transport';
import { runProbe, type ProbeOptions } from './run';
import { ProbeOutcomeSchema, type ProbeOutcome } from './schema';

/**
 * The environment check, end to end: probe once per host (over any Transport), analyse, report.
 * These are the entry points the CLI, the extension's Environment view and the report use.
 */

export interface EnvCheckOptions extends ProbeOptions {
  /** The run being prepared (TP, model path, env of the serving profile …). */
  plan?: RunPlan;
  /** Name shown for the host (default: transport.label). */
  host?: string;
}

/** An EnvReport (issue-4 shape) with the raw probe outcome it was derived from. */
export type EnvReportWithRaw = EnvReport & { raw: ProbeOutcome };

function probeOptions(opts: EnvCheckOptions): ProbeOptions {
  const paths = [...(opts.paths ?? [])];
  if (opts.plan?.modelPath && !paths.includes(opts.plan.modelPath)) paths.push(opts.plan.modelPath);
  return { ...opts, paths };
}

/** One host: one probe round trip, then the pure analysis. Never throws for host-side trouble. */
export async function runEnvCheck(transport: Transport, opts: EnvCheckOptions = {}): Promise<EnvReportWithRaw> {
  const outcome = await runProbe(transport, probeOptions(opts));
  const host = opts.host ?? transport.label;
  return { ...buildReport(host, outcome, opts.plan ?? {}), raw: outcome };
}

export interface EnvCheckTarget {
  name: string;
  open(): Promise<Transport>;
  /** This host's own file to source first (e.g. each node's simulated env.sh), instead of the options' one. */
  sourceFirst?: string;
}

/**
 * Several hosts in parallel (each opened, probed, closed), then compared: versions that differ
 * between nodes are a failure. hccn_tool links are queried when there is more than one host.
 */
export async function runEnvChecks(targets: readonly EnvCheckTarget[], opts: EnvCheckOptions = {}): Promise<EnvReportWithRaw[]> {
  const popts = probeOptions({ ...opts, hccn: opts.hccn ?? targets.length > 1 });
  const probes: HostProbe[] = await Promise.all(
    targets.map(async (t): Promise<HostProbe> => {
      const t0 = Date.now();
      let transport: Transport;
      try {
        transport = await t.open();
      } catch (e) {
        return {
          host: t.name,
          outcome: { ok: false, kind: 'transport', message: (e as Error).message ?? String(e), exitCode: null, signal: null, stderr: '', stdoutHead: '', ms: Date.now() - t0 },
        };
      }
      try {
        return { host: t.name, outcome: await runProbe(transport, t.sourceFirst !== undefined ? { ...popts, sourceFirst: t.sourceFirst } : popts) };
      } finally {
        await transport.close().catch(() => undefined);
      }
    }),
  );
  const reports = analyzeHosts(probes, opts.plan ?? {});
  return reports.map((r, i) => ({ ...r, raw: probes[i].outcome }));
}

// ---------------------------------------------------------------------------------------------------
// Snapshots: the raw outcomes, saved so a check can be re-analysed later (what a user attaches to a bug).

export const RunPlanSchema = z.object({
  tp: z.number().int().positive().optional(),
  pp: z.number().int().positive().optional(),
  modelPath: z.string().optional(),
  modelSizeMB: z.number().nonnegative().optional(),
  requiredFreeMBPerDevice: z.number().nonnegative().optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const EnvSnapshotSchema = z.object({
  kind: z.literal('ascend-adapt.env-snapshot'),
  version: z.literal(1),
  savedAt: z.string(),
  tool: z.string(),
  plan: RunPlanSchema.default({}),
  hosts: z.array(z.object({ host: z.string(), outcome: ProbeOutcomeSchema })).min(1),
});
export type EnvSnapshot = z.infer<typeof EnvSnapshotSchema>;

export function toSnapshot(reports: readonly EnvReportWithRaw[], opts: { plan?: RunPlan; tool?: string; now?: Date } = {}): EnvSnapshot {
  return {
    kind: 'ascend-adapt.env-snapshot',
    version: 1,
    savedAt: (opts.now ?? new Date()).toISOString(),
    tool: opts.tool ?? 'ascend-adapt',
    plan: opts.plan ?? {},
    hosts: reports.map((r) => ({ host: r.host, outcome: r.raw })),
  };
}

/** Reads a snapshot file's text; throws an Error naming what is wrong (the CLI turns it into exit 2). */
export function parseSnapshot(text: string, file = 'snapshot'): EnvSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  const r = EnvSnapshotSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${file}: not an ascend-adapt environment snapshot (${issues})`);
  }
  return r.data;
}

/** Re-analyses a saved snapshot with today's rules (pure). `plan` overrides the one saved with it. */
export function analyzeSnapshot(snapshot: EnvSnapshot, plan?: RunPlan): EnvReportWithRaw[] {
  const probes: HostProbe[] = snapshot.hosts.map((h) => ({ host: h.host, outcome: h.outcome as ProbeOutcome }));
  const reports = analyzeHosts(probes, plan ?? snapshot.plan);
  return reports.map((r, i) => ({ ...r, raw: probes[i].outcome }));
}

/** The issue-4 JSON of reports (raw outcomes left out). */
export function reportsForJson(reports: readonly EnvReportWithRaw[]): EnvReport[] {
  return reports.map((r) => {
    const copy: Partial<EnvReportWithRaw> = { ...r };
    delete copy.raw;
    return copy as EnvReport;
  });
}
