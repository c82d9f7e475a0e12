import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeWorkspaceFiles, expandPaths } from '../analysis/index';
import { jobControl, withSimEnv, type DetachedJobs } from '../jobs/index';
import { publicVersion } from '../knowledge/compat';
import { runEnvCheck, toSnapshot } from '../probe';
import { hostFamily } from '../npu/family';
import type { NamedProfile } from '../profiles/schema';
import { buildServeCommand, servedModelName } from '../serving/command';
import { readNpuSmi, startServing, PreflightFailedError, type ServingJob } from '../serving/job';
import { analyzeModel, inspectModel, type ModelFacts } from '../serving/model';
import { runSmoke, smokePassed } from '../smoke/client';
import type { Transport } from '../transport/transport';
import { adaptationFromModel, configExtras, modelInfo, verdictOf } from './assemble';
import { EvidenceBook, findInLog } from './evidence';
import { withAccuracyDerived, withPerfDerived } from './figures';
import { reportFileName } from './format';
import { en, type Lang } from '../l10n';
import { serializeReport } from './load';
import { renderMarkdown } from './markdown';
import { renderReportHtml } from './html';
import {
  REPORT_SCHEMA_ID,
  REPORT_SCHEMA_VERSION,
  Report,
  type Accuracy,
  type HostSnapshot,
  type Performance,
  type Serving,
  type Smoke,
  type Step,
  type StepName,
} from './schema';

/**
 * `ascend-adapt validate`: env check → model → serve → smoke → accuracy → perf → stop → report.
 *
 * Each step records its status, times and evidence; a failing step does not stop the report — later steps
 * that depend on it are recorded as not run, with the reason, and the report is written anyway. Steps whose
 * engine is not part of this build yet (see `engines`) are recorded as not run, never faked.
 */

export interface ProgressEvent {
  step: StepName | 'report';
  phase: 'start' | 'end' | 'info';
  status?: Step['status'];
  /** English detail (the CLI translates known forms). */
  detail?: string;
}

/** Accuracy / performance engines, provided by the accuracy-and-performance area when present. */
export interface AccuracyEngine {
  run(ctx: StepContext): Promise<Omit<Accuracy, 'status' | 'reason'> & { status?: Accuracy['status']; reason?: string | null }>;
}
export interface PerfEngine {
  run(ctx: StepContext): Promise<Omit<Performance, 'status' | 'reason' | 'memory' | 'hbmSamples'> & { status?: Performance['status']; reason?: string | null }>;
}

export interface StepContext {
  transport: Transport;
  profile: NamedProfile;
  /** The server as this machine reaches it (through the forwarded port). */
  endpoint: string;
  /** The server as the HOST reaches it (jobs on the host use this). */
  hostEndpoint: string;
  model: string;
  book: EvidenceBook;
  jobs: DetachedJobs;
  onProgress: (detail: string) => void;
  signal?: AbortSignal;
}

export interface ValidateOptions {
  transport: Transport;
  profile: NamedProfile;
  /** Local folder for the report and the evidence copies. */
  outDir: string;
  /** Where detached jobs keep their folders on the host (default ~/.ascend-adapt/jobs). */
  jobsRoot?: string;
  /** Languages of the Markdown rendering written beside the JSON (default both). */
  langs?: Lang[];
  accuracy?: AccuracyEngine;
  perf?: PerfEngine;
  /** Why accuracy / perf are not run when no engine is given (shown in the report). */
  accuracyNotRun?: string;
  perfNotRun?: string;
  /** Operator-compatibility findings for the adaptation section (from the language-server analysis). */
  findings?: Report['adaptation']['operatorFindings'];
  /**
   * Workspace files / folders (on this machine) with the port's patch, mapping and quantization files:
   * analysed with the language server's rules for the adaptation section (when `findings` is not given).
   */
  workspace?: string[];
  target?: { vllmAscend: string | null; hardware: string | null };
  onProgress?: (e: ProgressEvent) => void;
  /** HBM sampling period while serving (default 1000 ms). */
  hbmSampleMs?: number;
  generator?: { name: string; version: string };
  signal?: AbortSignal;
  now?: () => Date;
}

export interface ValidateResult {
  report: Report;
  jsonFile: string;
  markdownFiles: string[];
  htmlFile: string;
}

const IMPORTANT_ENV = /^(ASCEND_RT_VISIBLE_DEVICES|HCCL_|PYTORCH_NPU_ALLOC_CONF|TASK_QUEUE_ENABLE|VLLM_|ASCEND_ADAPT_SIMULATED)/;

/** Names collect_env treats as secret (and a few more): their values never enter a report. */
const SECRET_NAME = /secret|token|api[_-]?key|apikey|access|passw|credential|private/i;
export const REDACTED = '<redacted>';

export function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : v]));
}

/** argv with the values of secret-bearing flags (--api-key X, --api-key=X, --hf-token …) replaced. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^(--?[A-Za-z0-9-]+)=(.*)$/.exec(a);
    if (m && SECRET_NAME.test(m[1])) out.push(`${m[1]}=${REDACTED}`);
    else if (/^--?[A-Za-z0-9-]+$/.test(a) && SECRET_NAME.test(a) && i + 1 < argv.length) {
      out.push(a, REDACTED);
      i++;
    } else out.push(a);
  }
  return out;
}

function iso(ms: number | Date): string {
  return new Date(ms).toISOString();
}

function notRun<T extends { status: Step['status']; reason: string | null }>(base: Omit<T, 'status' | 'reason'>, reason: string): T {
  return { ...base, status: 'not-run', reason } as T;
}

const EMPTY_SERVING: Omit<Serving, 'status' | 'reason'> = { profile: null, jobId: null, command: [], env: {}, endpoint: null, loadTime: null, apiCheck: null };
const EMPTY_SMOKE: Omit<Smoke, 'status' | 'reason'> = { results: [] };
const EMPTY_ACC: Omit<Accuracy, 'status' | 'reason'> = { engine: null, dtype: null, temperature: null, datasets: [] };
const EMPTY_PERF: Omit<Performance, 'status' | 'reason'> = {
  engine: null,
  concurrency: null,
  numPrompts: null,
  inputLen: null,
  outputLen: null,
  metrics: [],
  latency: null,
  memory: { perDeviceMB: null, peakMB: null, loadTime: null },
  hbmSamples: [],
};

export async function runValidation(opts: ValidateOptions): Promise<ValidateResult> {
  const now = opts.now ?? (() => new Date());
  const t = opts.transport;
  const profile = opts.profile;
  const progress = opts.onProgress ?? (() => undefined);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const book = new EvidenceBook(opts.outDir, t.label);
  const steps: Step[] = [];
  const control = jobControl({ root: opts.jobsRoot });
  const jobs = control.on(t);
  const simulatedProfile = Boolean(profile.simRoot);

  async function step<T>(name: StepName, fn: () => Promise<{ status: Step['status']; reason: string | null; value: T }>): Promise<T | undefined> {
    const startedAt = iso(now());
    progress({ step: name, phase: 'start' });
    let r: { status: Step['status']; reason: string | null; value?: T };
    try {
      r = await fn();
    } catch (e) {
      r = { status: 'fail', reason: (e as Error).message ?? String(e) };
    }
    steps.push({ name, status: r.status, reason: r.reason, startedAt, endedAt: iso(now()) });
    progress({ step: name, phase: 'end', status: r.status, detail: r.reason ?? undefined });
    return r.value;
  }
  function skipped(name: StepName, reason: string) {
    steps.push({ name, status: 'not-run', reason, startedAt: null, endedAt: null });
    progress({ step: name, phase: 'end', status: 'not-run', detail: reason });
  }

  // ---- 1. environment ------------------------------------------------------------------------------
  let host: HostSnapshot | null = null;
  await step('env', async () => {
    const started = now();
    const plan = { tp: profile.tensorParallelSize, pp: profile.pipelineParallelSize, modelPath: profile.modelPath, env: buildServeCommand(profile).env };
    const rep = await runEnvCheck(t, { plan, ...(profile.simRoot ? { sourceFirst: path.posix.join(profile.simRoot, 'env.sh') } : {}) });
    // The snapshot in env-check's own format: `ascend-adapt env-check --snapshot FILE` re-analyses it.
    const snap = book.writeJson('env_snapshot.json', toSnapshot([rep], { plan, tool: 'ascend-adapt validate' }));
    const ev = book.add({
      kind: 'probe',
      jobId: null,
      host: 'local',
      startedAt: iso(started),
      endedAt: iso(now()),
      command: withSimEnv(profile.simRoot, ['python3', 'env_probe.py']),
      file: snap.file,
      pointer: '/hosts/0',
      copy: snap.rel,
    });
    const raw = rep.raw.ok ? (rep.raw.data as unknown as { env?: Record<string, string>; host?: { os?: string; arch?: string } }) : null;
    const devices = rep.npu.devices.map((x) => ({ npuId: x.npuId, chipId: x.chipId, name: x.name, health: x.health, hbmUsedMB: x.hbmUsedMB ?? x.memUsedMB, hbmTotalMB: x.hbmTotalMB ?? x.memTotalMB }));
    const env = redactEnv(Object.fromEntries(Object.entries({ ...(raw?.env ?? {}), ...plan.env }).filter(([k, v]) => IMPORTANT_ENV.test(k) && typeof v === 'string')));
    const versions: Record<string, string | null> = { ...rep.versions };
    if (!rep.raw.ok) {
      return { status: 'fail', reason: rep.checks.filter((c) => c.status === 'fail').map((c) => `${c.title}: ${c.detail}`).join('; ') || rep.raw.message, value: undefined };
    }
    host = {
      name: rep.host,
      // A GPU host (nvidia-smi, no NPU) runs the same pipeline to produce the reference / baseline report.
      role: rep.role === 'gpu' ? 'gpu' : 'npu',
      simulated: rep.simulated || simulatedProfile,
      os: rep.hostInfo?.os ? `${rep.hostInfo.os}${rep.hostInfo.arch ? ` (${rep.hostInfo.arch})` : ''}` : null,
      chipFamily: devices.length ? hostFamily(devices.map((x) => x.name)) : rep.npu.family || null,
      devices,
      versions,
      env,
      checks: rep.checks.map((c) => ({ id: c.id, status: c.status, title: c.title, detail: c.detail, fix: c.fix })),
      evidence: ev,
    };
    const checks = rep.checks;
    const status = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
    return { status, reason: status === 'pass' ? null : checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.title}: ${c.detail}`).join('; '), value: undefined };
  });

  // ---- 2. model (config.json on the host) + operator analysis --------------------------------------
  let facts: ModelFacts | null = null;
  let extras = configExtras(null);
  let modelError: string | null = null;
  let modelEvidence: string | null = null;
  let findings: Report['adaptation']['operatorFindings'] = opts.findings ?? [];
  let analysedFiles: number | null = opts.findings ? 0 : null;
  let workspaceFiles: Array<{ file: string; quantType: string | null }> = [];
  await step('analysis', async () => {
    const insp = await inspectModel(t, profile.modelPath);
    if (insp.config === null) {
      modelError = insp.configError ?? en('no config.json in {0}', profile.modelPath);
      return { status: 'fail', reason: modelError, value: undefined };
    }
    facts = analyzeModel(insp);
    extras = configExtras(insp.config as Record<string, unknown>);
    const copy = await book.copyFromHost(t, path.posix.join(profile.modelPath, 'config.json'), 'model/config.json');
    modelEvidence = book.add({ kind: 'input', jobId: null, host: t.label, startedAt: null, endedAt: null, command: [], file: path.posix.join(profile.modelPath, 'config.json'), ...(copy ? { copy } : {}) });
    if (!opts.findings && opts.workspace && opts.workspace.length) {
      const { files } = expandPaths(opts.workspace);
      analysedFiles = files.length;
      const base = opts.workspace.length === 1 && fs.existsSync(opts.workspace[0]) && fs.statSync(opts.workspace[0]).isDirectory() ? opts.workspace[0] : process.cwd();
      const rel = (f: string) => path.relative(base, f) || path.basename(f);
      findings = (await analyzeWorkspaceFiles(opts.workspace)).map((f) => ({
        file: rel(f.file),
        line: f.range.start.line,
        severity: f.severity,
        code: f.code,
        message: f.message,
      }));
      workspaceFiles = files.map((f) => {
        let quantType: string | null = null;
        if (/quant_model_description[^/]*\.json$/.test(f)) {
          try {
            const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { model_quant_type?: unknown };
            quantType = typeof j.model_quant_type === 'string' ? j.model_quant_type : null;
          } catch {
            quantType = null;
          }
        }
        return { file: rel(f), quantType };
      });
    }
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const reason = findings.length
      ? en('{0} errors, {1} warnings in the analysed files', errors, warnings)
      : analysedFiles === null
        ? en('config.json read; no workspace files analysed')
        : en('{0} workspace files analysed, no operator problem found', analysedFiles);
    return { status: errors ? 'fail' : findings.length ? 'warn' : 'pass', reason, value: undefined };
  });
  const adaptation = adaptationFromModel(facts, extras, { modelError, findings, analysedFiles, workspaceFiles });

  // ---- 3. serve ------------------------------------------------------------------------------------
  const command = buildServeCommand(profile);
  let serving: Serving = notRun<Serving>({ ...EMPTY_SERVING, profile: profile.name, command: redactArgv(command.vllmArgv), env: redactEnv(command.env) }, '');
  let job: ServingJob | null = null;
  let endpoint: string | null = null;
  let logEvidence: string | null = null;
  const hbm: Array<{ t: number; device: number; usedMB: number }> = [];
  let hbmTimer: NodeJS.Timeout | null = null;
  let hbmT0 = 0;
  let hbmBusy = false;
  const envFailed = steps.find((s) => s.name === 'env')?.status === 'fail' && !host;
  if (opts.signal?.aborted) {
    serving = notRun<Serving>({ ...EMPTY_SERVING, profile: profile.name, command: redactArgv(command.vllmArgv), env: redactEnv(command.env) }, en('interrupted'));
    skipped('serve', serving.reason!);
  } else if (envFailed) {
    serving = notRun<Serving>({ ...EMPTY_SERVING, profile: profile.name, command: redactArgv(command.vllmArgv), env: redactEnv(command.env) }, en('an earlier step failed: {0}', en('Environment check')));
    skipped('serve', serving.reason!);
  } else {
    await step('serve', async () => {
      const startMs = Date.now();
      hbmT0 = startMs;
      const sample = async () => {
        if (hbmBusy) return;
        hbmBusy = true;
        try {
          const smi = await readNpuSmi(t, profile);
          const tSec = Math.round((Date.now() - hbmT0) / 100) / 10;
          for (const d of command.devices) {
            const dev = smi?.devices[d];
            const used = dev ? (dev.hbmUsedMB ?? dev.memUsedMB) : null;
            if (used !== null) hbm.push({ t: tSec, device: d, usedMB: used });
          }
        } finally {
          hbmBusy = false;
        }
      };
      await sample();
      hbmTimer = setInterval(() => void sample(), opts.hbmSampleMs ?? 1000);
      try {
        job = await startServing(t, profile, { jobs: control, force: false, pollMs: 500 });
      } catch (e) {
        if (e instanceof PreflightFailedError) return { status: 'fail', reason: e.message, value: undefined };
        throw e;
      }
      progress({ step: 'serve', phase: 'info', detail: en('job {0} started; waiting for the server to answer', job.id) });
      const launched = job;
      const abort = new Promise<null>((resolve) => {
        if (opts.signal?.aborted) resolve(null);
        opts.signal?.addEventListener('abort', () => resolve(null), { once: true });
      });
      const waited = await Promise.race([launched.waitReady(), abort]);
      if (!waited) return { status: 'fail', reason: en('interrupted'), value: undefined };
      const rec = waited;
      const jobRec = await jobs.get(job.id).catch(() => null);
      const logPath = jobRec?.logPath ?? '';
      const logCopyRel = `${job.id}/log`;
      // The whole log so far, to find the line where the server said it was up.
      let log = Buffer.alloc(0);
      for (let off = 0; ; ) {
        const r = await jobs.readLog(job.id, off, 1 << 20).catch(() => null);
        if (!r || r.data.length === 0) break;
        log = Buffer.concat([log, r.data]);
        off = r.offset;
      }
      const mark = findInLog(log, /Application startup complete|Uvicorn running on|Available routes are|Starting vLLM API server/);
      logEvidence = book.add({
        kind: 'log',
        jobId: job.id,
        host: t.label,
        startedAt: iso(rec.startedAt),
        endedAt: null,
        command: redactArgv(command.argv),
        file: logPath,
        ...(mark ? { offset: mark.offset, length: mark.length, line: mark.line } : { offset: 0 }),
      });
      serving = {
        status: rec.state === 'ready' ? 'pass' : 'fail',
        reason: rec.state === 'ready' ? null : (rec.failure?.message ?? en('the server did not become ready ({0})', rec.state)),
        profile: profile.name,
        jobId: job.id,
        command: redactArgv(command.vllmArgv),
        env: redactEnv(command.env),
        endpoint: rec.endpoint,
        loadTime: rec.loadTimeMs !== null ? book.figure('serving.loadTime', Math.round(rec.loadTimeMs / 100) / 10, 's', logEvidence) : null,
        apiCheck: null,
      };
      if (rec.state !== 'ready' || !rec.endpoint) return { status: 'fail', reason: serving.reason, value: undefined };
      endpoint = rec.endpoint;
      // The seed's curl check: one non-streamed chat completion, request and response kept.
      const body = { model: command.servedModelName, messages: [{ role: 'user', content: profile.smokePrompts[0] }], temperature: 0.7, max_tokens: 128 };
      const started = now();
      let responseText = '';
      let ok = false;
      let usage: { prompt_tokens?: number; completion_tokens?: number } = {};
      try {
        const res = await fetch(`${endpoint}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
        responseText = await res.text();
        const j = JSON.parse(responseText) as { choices?: Array<{ message?: { content?: string } }>; usage?: typeof usage };
        usage = j.usage ?? {};
        ok = res.ok && typeof j.choices?.[0]?.message?.content === 'string';
      } catch (e) {
        responseText ||= String((e as Error).message);
      }
      const saved = book.writeJson('api_check.json', { request: body, endpoint: `${endpoint}/v1/chat/completions`, status: ok ? 'ok' : 'failed', response: responseText });
      const apiEv = book.add({ kind: 'result', jobId: null, host: 'local', startedAt: iso(started), endedAt: iso(now()), command: ['POST', '/v1/chat/completions'], file: saved.file, pointer: '/response', copy: saved.rel });
      serving.apiCheck = {
        ok,
        request: JSON.stringify(body),
        response: responseText.slice(0, 2000),
        promptTokens: usage.prompt_tokens ?? null,
        completionTokens: usage.completion_tokens ?? null,
        evidence: apiEv,
      };
      if (!ok) {
        serving.status = 'fail';
        serving.reason = en('the API check did not get a chat completion back');
      }
      void logCopyRel;
      return { status: serving.status, reason: serving.reason, value: undefined };
    });
  }
  const model = servedModelName(profile);

  // ---- 4. smoke ------------------------------------------------------------------------------------
  let smoke: Smoke;
  if (endpoint && opts.signal?.aborted) {
    smoke = notRun<Smoke>(EMPTY_SMOKE, en('interrupted'));
    skipped('smoke', smoke.reason!);
  } else if (!endpoint) {
    smoke = notRun<Smoke>(EMPTY_SMOKE, en('an earlier step failed: {0}', en('Serving')));
    skipped('smoke', smoke.reason!);
  } else {
    smoke = notRun<Smoke>(EMPTY_SMOKE, '');
    const ep = endpoint;
    await step('smoke', async () => {
      const started = now();
      const rep = await runSmoke(ep, profile.smokePrompts, { model, maxTokens: profile.smokeMaxTokens, temperature: profile.smokeTemperature }, undefined, (i, r) =>
        progress({ step: 'smoke', phase: 'info', detail: en('prompt {0}: {1} ms', i + 1, Math.round(r.totalMs)) }),
      );
      const saved = book.writeJson('smoke.json', rep);
      const ev = book.add({ kind: 'result', jobId: null, host: 'local', startedAt: iso(started), endedAt: iso(now()), command: ['ascend-adapt', 'smoke', '--profile', profile.name, '--json'], file: saved.file, pointer: '/results', copy: saved.rel });
      smoke = {
        status: rep.failed === 0 && rep.results.length > 0 ? 'pass' : 'fail',
        reason: rep.failed === 0 ? null : en('{0} of {1} prompts failed', rep.failed, rep.results.length),
        results: rep.results.map((r, i) => ({
          index: i + 1,
          prompt: r.prompt,
          output: r.output,
          ok: smokePassed(r),
          problem: r.error ?? (r.usageConsistent === false ? r.usageNote : null),
          ttftMs: book.figure(`smoke.${i + 1}.ttftMs`, Math.round(r.ttftMs), 'ms', ev, `/results/${i}/ttftMs`),
          totalMs: book.figure(`smoke.${i + 1}.totalMs`, Math.round(r.totalMs), 'ms', ev, `/results/${i}/totalMs`),
          promptTokens: r.promptTokens,
          completionTokens: r.completionTokens,
          finishReason: r.finishReason,
        })),
      };
      return { status: smoke.status, reason: smoke.reason, value: undefined };
    });
  }

  // ---- 5. accuracy, 6. perf -------------------------------------------------------------------------
  const ctx = (): StepContext => ({ transport: t, profile, endpoint: endpoint!, hostEndpoint: `http://127.0.0.1:${command.port}`, model, book, jobs, onProgress: (detail) => progress({ step: 'accuracy', phase: 'info', detail }), signal: opts.signal });
  let accuracy: Accuracy;
  if (endpoint && opts.signal?.aborted) {
    accuracy = notRun<Accuracy>(EMPTY_ACC, en('interrupted'));
    skipped('accuracy', accuracy.reason!);
  } else if (!endpoint) {
    accuracy = notRun<Accuracy>(EMPTY_ACC, en('an earlier step failed: {0}', en('Serving')));
    skipped('accuracy', accuracy.reason!);
  } else if (!opts.accuracy) {
    accuracy = notRun<Accuracy>(EMPTY_ACC, opts.accuracyNotRun ?? en('this step\'s engine is not available in this build yet'));
    skipped('accuracy', accuracy.reason!);
  } else {
    accuracy = notRun<Accuracy>(EMPTY_ACC, '');
    const engine = opts.accuracy;
    await step('accuracy', async () => {
      const r = await engine.run(ctx());
      const datasets = r.datasets.map((d) => withAccuracyDerived(d));
      const status = r.status ?? (datasets.some((d) => d.verdict === 'fail') ? 'fail' : datasets.length ? 'pass' : 'fail');
      accuracy = { ...r, datasets, status, reason: r.reason ?? (status === 'fail' ? en('{0} of {1} datasets outside their threshold', datasets.filter((d) => d.verdict === 'fail').length, datasets.length) : null) };
      return { status, reason: accuracy.reason, value: undefined };
    });
  }
  let performance: Performance;
  if (endpoint && opts.signal?.aborted) {
    performance = notRun<Performance>(EMPTY_PERF, en('interrupted'));
    skipped('perf', performance.reason!);
  } else if (!endpoint) {
    performance = notRun<Performance>(EMPTY_PERF, en('an earlier step failed: {0}', en('Serving')));
    skipped('perf', performance.reason!);
  } else if (!opts.perf) {
    performance = notRun<Performance>(EMPTY_PERF, opts.perfNotRun ?? en('this step\'s engine is not available in this build yet'));
    skipped('perf', performance.reason!);
  } else {
    performance = notRun<Performance>(EMPTY_PERF, '');
    const engine = opts.perf;
    await step('perf', async () => {
      const r = await engine.run({ ...ctx(), onProgress: (detail) => progress({ step: 'perf', phase: 'info', detail }) });
      const metrics = r.metrics.map((m) => withPerfDerived(m));
      const status = r.status ?? (metrics.some((m) => m.verdict === 'fail') ? 'fail' : 'pass');
      performance = { ...EMPTY_PERF, ...r, metrics, status, reason: r.reason ?? (status === 'fail' ? en('{0} of {1} metrics below the required ratio', metrics.filter((m) => m.verdict === 'fail').length, metrics.length) : null) };
      return { status, reason: performance.reason, value: undefined };
    });
  }

  // ---- 7. stop -------------------------------------------------------------------------------------
  if (hbmTimer) clearInterval(hbmTimer);
  const runningJob = job as ServingJob | null;
  if (runningJob) {
    await step('stop', async () => {
      const rep = await runningJob.stop();
      const status: Step['status'] = rep.leftoverPids.length ? 'fail' : rep.checked && !rep.idle ? 'warn' : 'pass';
      const reason =
        status === 'pass'
          ? null
          : rep.leftoverPids.length
            ? en('processes left after stop: {0}', rep.leftoverPids.join(', '))
            : en('HBM not back to idle on every device after stop');
      return { status, reason, value: undefined };
    });
    // The finished log, copied beside the report; the log evidence gets its end time and copy.
    const jr = await jobs.get(runningJob.id).catch(() => null);
    const ev = logEvidence ? book.get(logEvidence) : undefined;
    if (ev && jr) {
      ev.file = jr.logPath;
      ev.endedAt = jr.endedAt ?? iso(now());
      const copy = await book.copyFromHost(t, jr.logPath, `${runningJob.id}/log`);
      if (copy) ev.copy = copy;
    }
  } else {
    skipped('stop', en('no server was started'));
  }

  // ---- HBM over the run ------------------------------------------------------------------------------
  if (hbm.length) {
    const first = new Map<number, number>();
    const maxBy = new Map<number, number>();
    for (const x of hbm) {
      if (!first.has(x.device)) first.set(x.device, x.usedMB);
      maxBy.set(x.device, Math.max(maxBy.get(x.device) ?? 0, x.usedMB));
    }
    // HBM the server took on one device (peak minus what the device held before launch), and the peak.
    const perDeviceMB = Math.max(...[...maxBy.entries()].map(([d, m]) => m - (first.get(d) ?? 0)));
    const peakMB = Math.max(...hbm.map((x) => x.usedMB));
    const saved = book.writeJson('hbm.json', {
      unit: 'MB',
      simulated: (host as HostSnapshot | null)?.simulated ?? simulatedProfile,
      devices: command.devices,
      perDeviceMB,
      peakMB,
      samples: hbm,
    });
    const ev = book.add({ kind: 'result', jobId: serving.jobId, host: 'local', startedAt: iso(hbmT0), endedAt: iso(now()), command: withSimEnv(profile.simRoot, ['npu-smi', 'info']), file: saved.file, copy: saved.rel });
    performance = {
      ...performance,
      hbmSamples: hbm,
      memory: {
        perDeviceMB: book.figure('perf.memory.perDeviceMB', perDeviceMB, 'MB', ev, '/perDeviceMB'),
        peakMB: book.figure('perf.memory.peakMB', peakMB, 'MB', ev, '/peakMB'),
        loadTime: serving.loadTime ? { ...serving.loadTime, id: 'perf.memory.loadTime' } : null,
      },
    };
  }

  // ---- the report ----------------------------------------------------------------------------------
  const generatedAt = iso(now());
  const simulated = (host as HostSnapshot | null)?.simulated === true || simulatedProfile;
  const hostsList: HostSnapshot[] = host ? [host] : [];
  const files: Report['files'] = [];
  const jsonName = reportFileName(generatedAt);
  // Notes start with the model's; evidence files marked demo (bundled with --demo) add their own below.
  const report0Notes = notesFor(facts, profile);
  const base: Omit<Report, 'verdict'> = {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    generator: opts.generator ?? { name: 'ascend-adapt', version: '0.0.0' },
    simulated,
    target: opts.target ?? {
      vllmAscend: hostsList[0]?.versions.vllm_ascend ? publicVersion(hostsList[0].versions.vllm_ascend) : null,
      hardware: hostsList[0]?.devices.length ? `${hostsList[0].chipFamily ?? ''} / ${hostsList[0].devices[0].name} × ${hostsList[0].devices.length}`.trim() : null,
    },
    profile: profile.name,
    model: modelInfo(profile.servedModelName ?? path.posix.basename(profile.modelPath), model, facts, modelEvidence, extras.bits, extras.groupSize),
    hosts: hostsList,
    adaptation,
    serving,
    smoke,
    accuracy,
    performance,
    steps,
    files,
    notes: report0Notes,
    evidence: book.entries,
  };
  if (base.model.moe && extras.topK !== null) base.model.moe.topK = extras.topK;
  if (base.model.moe && extras.shared !== null) base.model.moe.sharedExperts = extras.shared;
  const langs = opts.langs ?? ['zh-CN', 'en'];
  files.push({ path: jsonName, description: en('this report (JSON)'), producedBy: 'ascend-adapt validate' });
  for (const l of langs) files.push({ path: reportFileName(generatedAt, `${l}.md`), description: en('this report (Markdown)'), producedBy: 'ascend-adapt validate' });
  files.push({ path: reportFileName(generatedAt, 'html'), description: en('this report (HTML, with charts)'), producedBy: 'ascend-adapt validate' });
  for (const rel of listFiles(book.evidenceDir)) {
    const p = path.posix.join('evidence', rel);
    const job = /^(\d{8}-\d{6}-[^/]+)\//.exec(rel)?.[1];
    const demo = isDemoFile(path.join(book.evidenceDir, rel));
    files.push({ path: p, description: describeEvidenceFile(rel, demo), producedBy: job ? en('job {0}', job) : 'ascend-adapt validate' });
    if (demo) report0Notes.push(en('{0} is DEMO data: made-up GPU numbers, not measured on any GPU', p));
  }
  const report: Report = Report.parse({ ...base, verdict: verdictOf(base) });
  const jsonFile = path.join(opts.outDir, jsonName);
  fs.writeFileSync(jsonFile, serializeReport(report));
  const markdownFiles: string[] = [];
  for (const l of langs) {
    const f = path.join(opts.outDir, reportFileName(generatedAt, `${l}.md`));
    fs.writeFileSync(f, renderMarkdown(report, { lang: l }));
    markdownFiles.push(f);
  }
  const htmlFile = path.join(opts.outDir, reportFileName(generatedAt, 'html'));
  fs.writeFileSync(htmlFile, renderReportHtml(report, { lang: langs[0] ?? 'en', mode: 'standalone' }));
  progress({ step: 'report', phase: 'end', status: report.verdict.overall === 'pass' ? 'pass' : report.verdict.overall === 'fail' ? 'fail' : 'not-run', detail: jsonFile });
  return { report, jsonFile, markdownFiles, htmlFile };
}

function notesFor(facts: ModelFacts | null, profile: NamedProfile): string[] {
  const notes: string[] = [];
  if (facts?.cudaOnlyQuant && facts.quantMethod) notes.push(en('Quantization: the {0} checkpoint uses CUDA kernels; convert it with msModelSlim before serving on NPU', facts.quantMethod.toUpperCase()));
  if (facts?.moe) notes.push(en('MoE memory: a MoE model needs TP >= 2 or more NPUs'));
  if ((profile.maxModelLen ?? 0) >= 512 && !profile.enforceEager) notes.push(en('Long sequences: use --enforce-eager to avoid graph capture problems'));
  if (profile.tensorParallelSize > 1) notes.push(en('TP > 1 needs HCCL_OP_EXPANSION_MODE=AIV'));
  return notes;
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** A reference/baseline file that says of itself it is demo data (`"demo": true`, as python/data/demo/ does). */
function isDemoFile(file: string): boolean {
  if (!file.endsWith('.json')) return false;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof j === 'object' && j !== null && (j as { demo?: unknown }).demo === true;
  } catch {
    return false;
  }
}

function describeEvidenceFile(rel: string, demo = false): string {
  const base = path.posix.basename(rel);
  if (demo && rel.startsWith('reference/')) return en('DEMO GPU reference (accuracy): made-up, not measured');
  if (demo && rel.startsWith('baseline/')) return en('DEMO GPU baseline (performance): made-up, not measured');
  if (rel === 'env_snapshot.json') return en('environment snapshot');
  if (rel === 'model/config.json') return en('model config.json');
  if (rel === 'api_check.json') return en('API check (request and response)');
  if (rel === 'smoke.json') return en('smoke test results');
  if (rel === 'hbm.json') return en('HBM samples over the run');
  if (rel.startsWith('reference/')) return en('GPU reference (accuracy)');
  if (rel.startsWith('baseline/')) return en('GPU baseline (performance)');
  if (base === 'log') return en('job log');
  if (base === 'accuracy.json') return en('accuracy results');
  if (base === 'items.jsonl') return en('accuracy results, per item');
  if (base === 'perf.json') return en('performance results');
  if (base === 'requests.jsonl') return en('performance results, per request');
  return en('result file');
}
