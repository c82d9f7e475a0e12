import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { DetachedJobs, followHostJob, HostJobError, startHostJob, unwrapSimEnv, type HostJobKind, type HostJobRef, type HostJobSite, type JobRecord } from '../jobs/index';
import type { DescriptionSummary } from '../analysis/quantdesc';
import { readNpuSmi } from '../serving/job';
import { quoteCommand } from '../transport/quote';
import type { Transport } from '../transport/transport';
import { QuantFailureWatcher, type QuantFinding } from './failures';
import { checkOutput, hostSite, OutputFactsSchema, probeHost, probeModel, type HostSite } from './host';
import { planQuantization, type QuantizePlan } from './plan';
import { precheck, type QuantCheck } from './precheck';
import { QuantProgressTracker, type QuantProgress } from './progress';

/**
 * A msModelSlim quantization as a detached job on the host: planned from the model folder, pre-checked,
 * started (python/quantize/run_quant.py around `msmodelslim quant …` or a legacy example script), followed
 * through its log (phases → progress, known failures), its result file read with zod and its output folder
 * checked like `ascend-adapt lint` would. The job survives this process and the link: `attachQuantize` picks
 * it up again from its record (or from the host's job list), `stop` ends it with nothing left.
 */

export interface QuantizeSpec {
  /** Float checkpoint on the host. */
  model: string;
  /** Output folder on the host. */
  out: string;
  quantType?: string;
  /** A quantization YAML (uploaded to the run folder) instead of --quant_type. */
  config?: { name: string; text: string };
  /** A legacy example script (relative to the msModelSlim checkout, or absolute) and its own arguments. */
  script?: { path: string; args: string[] };
  modelType?: string;
  /** Logical devices (ASCEND_RT_VISIBLE_DEVICES); default [0]. */
  devices?: number[];
  /** Answer msModelSlim's "Enter y to continue" with y. */
  yes?: boolean;
  trustRemoteCode?: boolean;
  /** npu-smi chip name, for the chip-family scheme check of the result. */
  chip?: string;
}

export const QuantResultSchema = z.object({
  schema: z.literal(1),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  prompt: z.string().nullable(),
  answered: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  command: z.array(z.string()),
  output: OutputFactsSchema.nullable(),
});
export type QuantResult = z.infer<typeof QuantResultSchema>;

export type QuantizeState = 'running' | 'succeeded' | 'needs-confirmation' | 'failed' | 'stopped';

/** Everything a face shows, stores and re-attaches with. Plain data. */
export interface QuantizeRecord {
  jobId: string;
  host: string;
  simulated: boolean;
  simRoot: string | null;
  model: string;
  outDir: string;
  runDir: string;
  resultFile: string;
  /** Host python the job runs with (to follow it again). */
  python: string;
  logFile: string;
  /** The tool's argv (what a person would run) and, with its environment, as one shell line. */
  command: string[];
  display: string;
  state: QuantizeState;
  startedAt: string;
  endedAt: string | null;
  progress: QuantProgress;
  /** msModelSlim's own question when it asked for confirmation. */
  question: string | null;
  failure: (QuantFinding & { message: string }) | null;
  /** Known non-fatal findings of the log (e.g. the default adapter used for an unknown model type). */
  notices: QuantFinding[];
  description: DescriptionSummary | null;
  check: { errors: number; warnings: number; messages: string[] } | null;
  /** Log lines that carry the evidence: phase markers, saving, failures (1-based line numbers). */
  evidence: Array<{ line: number; text: string }>;
}

export class QuantizeRefusedError extends Error {
  constructor(message: string, readonly plan: QuantizePlan, readonly checks: QuantCheck[] = []) {
    super(message);
    this.name = 'QuantizeRefusedError';
  }
}

export interface Prepared {
  site: HostSite;
  plan: QuantizePlan;
  checks: QuantCheck[];
  modelType: string;
  source: string | null;
  simulated: boolean;
}

/** Plan + pre-checks. Throws QuantizeRefusedError (with the plan and checks) when it must not start. */
export async function prepareQuantize(transport: Transport, spec: QuantizeSpec, o: { simRoot?: string; force?: boolean } = {}): Promise<Prepared> {
  const site = await hostSite(transport, o.simRoot);
  const { facts, siblings } = await probeModel(site, spec.model, true);
  const plan = planQuantization({ model: facts, siblings, modelType: spec.modelType });
  if (plan.action !== 'quantize') throw new QuantizeRefusedError(plan.notes.join('\n'), plan);
  // No name msModelSlim knows: pass config.json's model_type; msModelSlim then falls back to its default
  // adapter and asks before a default practice (--yes answers), which the plan's notes explain.
  const modelType = plan.modelType.name ?? plan.modelType.hf;
  if (!modelType && !spec.script) throw new QuantizeRefusedError(plan.notes.join('\n'), plan);
  const host = await probeHost(site, spec.out);
  const npu = await readNpuSmi(transport, { simRoot: o.simRoot });
  const { checks, ok } = precheck({ plan, host, npu, devices: spec.devices ?? [0], mode: spec.script ? 'script' : 'cli', quantType: spec.config ? undefined : spec.quantType ?? 'w8a8' });
  if (!ok && !o.force) {
    const failed = checks.filter((c) => c.status === 'fail').map((c) => `${c.title}: ${c.detail}${c.fix ? ` — ${c.fix}` : ''}`);
    throw new QuantizeRefusedError(l10n.t('pre-checks failed:\n{0}', failed.join('\n')), plan, checks);
  }
  return { site, plan, checks, modelType: modelType ?? '', source: host.msmodelslim.source, simulated: host.simulated || Boolean(o.simRoot) };
}

/** The tool's argv (what a person would run), its working folder and the environment the docs set. Pure. */
export function toolCommand(spec: QuantizeSpec, p: { python: string; modelType: string; source: string | null; configPath?: string }): { argv: string[]; env: Record<string, string>; cwd: string | null } {
  const devices = spec.devices?.length ? spec.devices : [0];
  const env = { ASCEND_RT_VISIBLE_DEVICES: devices.join(','), PYTORCH_NPU_ALLOC_CONF: 'expandable_segments:False' };
  if (spec.script) {
    const script = path.posix.isAbsolute(spec.script.path) ? spec.script.path : path.posix.join(p.source ?? '.', spec.script.path);
    const args = [...spec.script.args];
    if (!args.includes('--model_path')) args.unshift('--model_path', spec.model);
    if (!args.includes('--save_path') && !args.includes('--save_directory')) args.push('--save_path', spec.out);
    return { argv: [p.python, script, ...args], env, cwd: path.posix.dirname(script) };
  }
  const device = devices.length > 1 ? `npu:${devices.map((_, i) => i).join(',')}` : 'npu';
  const argv = ['msmodelslim', 'quant', '--model_path', spec.model, '--save_path', spec.out, '--device', device, '--model_type', p.modelType];
  if (p.configPath) argv.push('--config_path', p.configPath);
  else argv.push('--quant_type', (spec.quantType ?? 'w8a8').toLowerCase());
  argv.push('--trust_remote_code', spec.trustRemoteCode ? 'True' : 'False');
  return { argv, env, cwd: null };
}

/**
 * The quantize job as a host-script job kind: python/quantize/run_quant.py around the tool, its result file
 * quantize.json (zod), a YAML given with --config uploaded into the run folder first.
 */
export const QUANTIZE_KIND: HostJobKind<{ spec: QuantizeSpec; prep: Prepared }, never, QuantResult> = {
  name: 'quantize',
  title: () => l10n.t('quantize job'),
  resultFile: 'quantize.json',
  result: QuantResultSchema,
  async argv({ spec, prep }, at: HostJobSite) {
    const configPath = spec.config ? await at.upload(spec.config.name || 'quant.yaml', spec.config.text) : undefined;
    const tool = toolCommand(spec, { python: at.python, modelType: prep.modelType, source: prep.source, configPath });
    const opts = ['--result', at.resultPath, '--out', spec.out, ...(spec.yes ? ['--yes'] : []), ...(tool.cwd ? ['--cwd', tool.cwd] : [])];
    return { argv: [at.python, `${at.scriptsDir}/quantize/run_quant.py`, ...opts, '--', ...tool.argv], env: tool.env };
  },
};

/** Starts the job (after prepareQuantize) and returns a handle; the job runs on whether it is followed or not. */
export async function startQuantize(transport: Transport, spec: QuantizeSpec, prep: Prepared, o: { jobs?: DetachedJobs } = {}): Promise<QuantizeJob> {
  const { site } = prep;
  const { ref, job } = await startHostJob(QUANTIZE_KIND, { spec, prep }, { transport, simRoot: site.simRoot, python: site.python, jobs: o.jobs });
  const record: QuantizeRecord = { ...quantizeRecordFromJob(job, transport.label, ref.python)!, simulated: prep.simulated, progress: new QuantProgressTracker(prep.plan.layers).current() };
  return new QuantizeJob(transport, record, { jobs: o.jobs ?? new DetachedJobs(transport, { python: site.python }), blocks: prep.plan.layers, chip: spec.chip });
}

/** A quantize job found in the host's job list → a record to attach with (null when it is not one). */
export function quantizeRecordFromJob(job: JobRecord, host: string, python = 'python3'): QuantizeRecord | null {
  const { simRoot, argv } = unwrapSimEnv(job.argv);
  const at = argv.findIndex((a) => a.endsWith('/quantize/run_quant.py'));
  if (at < 0 || job.name !== 'quantize') return null;
  const opt = (f: string) => (argv.indexOf(f) > 0 ? argv[argv.indexOf(f) + 1] : undefined);
  const tool = argv.slice(argv.indexOf('--') + 1);
  const resultFile = opt('--result') ?? '';
  const model = tool[tool.indexOf('--model_path') + 1] ?? '';
  const env = Object.fromEntries(Object.entries(job.env).filter(([k]) => k === 'ASCEND_RT_VISIBLE_DEVICES' || k === 'PYTORCH_NPU_ALLOC_CONF'));
  return {
    jobId: job.id, host, simulated: simRoot !== null, simRoot, model, outDir: opt('--out') ?? '', runDir: path.posix.dirname(resultFile), resultFile, python: argv[0] ?? python,
    logFile: job.logPath, command: tool, display: quoteCommand(tool, env), state: job.state === 'running' ? 'running' : 'failed', startedAt: job.startedAt, endedAt: job.endedAt ?? null,
    progress: new QuantProgressTracker(null).current(), question: null, failure: null, notices: [], description: null, check: null, evidence: [],
  };
}

export function attachQuantize(transport: Transport, record: QuantizeRecord, o: { jobs?: DetachedJobs; chip?: string } = {}): QuantizeJob {
  return new QuantizeJob(transport, { ...record }, { jobs: o.jobs ?? new DetachedJobs(transport, { python: record.python }), blocks: record.progress.blocks, chip: o.chip });
}

const EVIDENCE = /={5,}[A-Z ]+={5,}|Save safetensors files to|Path of quant_model_description_json|Save quant_model_description_json success|Using model adapter|Get best practice|Enter y to continue|^error: /;

export class QuantizeJob {
  private stopping = false;
  private readonly tracker: QuantProgressTracker;
  private readonly watcher = new QuantFailureWatcher();
  private lineNo = 0;

  constructor(private transport: Transport, private rec: QuantizeRecord, private readonly o: { jobs: DetachedJobs; blocks: number | null; chip?: string }) {
    this.tracker = new QuantProgressTracker(o.blocks);
  }

  get id(): string {
    return this.rec.jobId;
  }

  record(): QuantizeRecord {
    return JSON.parse(JSON.stringify(this.rec)) as QuantizeRecord;
  }

  useTransport(t: Transport): void {
    this.transport = t;
  }

  private ref(): HostJobRef {
    return { jobId: this.rec.jobId, host: this.rec.host, runDir: this.rec.runDir, resultFile: this.rec.resultFile, python: this.rec.python };
  }

  /**
   * Follows the log from its first byte until the job ends, then reads and checks its result. `signal`
   * stops the job (as Ctrl-C does); the log is still read to its end.
   */
  async follow(h: { onProgress?: (p: QuantProgress) => void; onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<QuantizeRecord> {
    const onLine = (line: string) => {
      this.lineNo++;
      this.watcher.feedLine(line);
      if (EVIDENCE.test(line) && this.rec.evidence.length < 200) this.rec.evidence.push({ line: this.lineNo, text: line.slice(0, 500) });
      h.onLine?.(line);
      const p = this.tracker.feed(line);
      if (p) {
        this.rec.progress = p;
        h.onProgress?.(p);
      }
    };
    h.signal?.addEventListener('abort', () => (this.stopping = true), { once: true });
    try {
      const outcome = await followHostJob(QUANTIZE_KIND, this.transport, this.ref(), { jobs: this.o.jobs, onLine, signal: h.signal, stopGraceMs: 10_000 });
      this.rec.endedAt = outcome.evidence.endedAt ?? new Date().toISOString();
      this.finish(outcome.result);
    } catch (e) {
      if (!(e instanceof HostJobError)) throw e;
      this.rec.endedAt = e.evidence?.endedAt ?? new Date().toISOString();
      this.fail(e.message);
    }
    return this.record();
  }

  /** TERM the job's process group, KILL after the grace period; reports pids left (none expected). */
  async stop(graceMs = 10_000): Promise<{ leftovers: number[] }> {
    this.stopping = true;
    const r = await this.o.jobs.stop(this.rec.jobId, { graceMs });
    if (this.rec.state === 'running') {
      this.rec.state = 'stopped';
      this.rec.endedAt = new Date().toISOString();
    }
    return { leftovers: r.leftovers.map((p) => p.pid) };
  }

  private finish(result: QuantResult): void {
    this.watcher.feedEnd(result.signal);
    this.rec.notices = this.watcher.all().filter((f) => f.error.severity === 'warning');
    if (result.exitCode === 0 && result.output) {
      const c = checkOutput(result.output, this.o.chip);
      this.rec.description = c.description;
      this.rec.check = { errors: c.errors, warnings: c.warnings, messages: c.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => f.message) };
      this.rec.state = 'succeeded';
    } else if (result.prompt && result.answered !== 'y') {
      this.rec.question = result.prompt;
      this.rec.state = 'needs-confirmation';
    } else if (this.stopping) {
      this.rec.state = 'stopped';
    } else {
      this.fail(l10n.t('msModelSlim ended with {0}', result.signal ?? l10n.t('exit code {0}', String(result.exitCode))));
    }
  }

  private fail(message: string): void {
    const f = this.watcher.primary();
    this.rec.failure = f ? { ...f, message: `${f.error.title}: ${f.error.explanation}` } : { error: { id: 'unknown', codes: [], severity: 'fatal', title: message, explanation: message, fix: '', source: '' }, line: null, text: message, message };
    this.rec.state = 'failed';
  }
}

/** Plan, pre-check, start and follow to the end — what the CLI and the validate step do. */
export async function runQuantize(transport: Transport, spec: QuantizeSpec, o: { simRoot?: string; force?: boolean; jobs?: DetachedJobs; detach?: boolean; signal?: AbortSignal; onPrepared?: (p: Prepared) => void; onStart?: (r: QuantizeRecord) => void; onProgress?: (p: QuantProgress) => void; onLine?: (line: string) => void } = {}): Promise<QuantizeRecord> {
  const prep = await prepareQuantize(transport, spec, o);
  o.onPrepared?.(prep);
  const job = await startQuantize(transport, spec, prep, o);
  o.onStart?.(job.record());
  if (o.detach) return job.record();
  const aborted = () => void job.stop().catch(() => undefined);
  o.signal?.addEventListener('abort', aborted, { once: true });
  try {
    return await job.follow({ onProgress: o.onProgress, onLine: o.onLine });
  } finally {
    o.signal?.removeEventListener('abort', aborted);
  }
}
