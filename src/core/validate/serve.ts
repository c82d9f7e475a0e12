import { en } from '../l10n';
import { buildServeCommand, servedModelName, type ServeCommand } from '../serving/command';
import { PreflightFailedError, startServing, type ServingJob, type ServingJobRecord } from '../serving/job';
import { chatCompletion, checkHealth } from '../endpoint/index';
import { findInLog } from './evidence';
import { HbmSampler } from './hbm';
import { profilerLaunch } from './profile';
import { redactArgv, redactEnv } from './redact';
import type { ServingData } from './state';
import type { StepContext, StepResult, ValidateStep } from './types';

/** The line where vLLM says it is up: the load-time figure points at it. */
export const READY_LINE = /Application startup complete|Uvicorn running on|Available routes are|Starting vLLM API server/;

export interface ServeConfig {
  /** HBM sampling period while serving (default 1000 ms). */
  hbmSampleMs?: number;
}

/** The serving section before (or without) a launch: what would run. */
export function plannedServing(ctx: Pick<StepContext, 'profile'>): ServingData {
  const command = buildServeCommand(ctx.profile);
  return { profile: ctx.profile.name, jobId: null, command: redactArgv(command.vllmArgv), env: redactEnv(command.env), endpoint: null, loadTime: null, apiCheck: null };
}

/**
 * `vllm serve` from the profile as a detached job (pre-launch checks first), waited on until it answers,
 * its load time taken from the log line where it came up, then one non-streamed chat completion with the
 * request and response kept (the curl check of a hand-written report). The server stays up for the steps
 * after it; the stop step ends it. A later run re-uses it while it still answers.
 */
export function serveStep(config: ServeConfig = {}): ValidateStep {
  return {
    id: 'serve',
    needs: ['env'],
    async stillValid(ctx) {
      const s = ctx.state.server;
      return Boolean(s?.endpoint && s.job.state === 'ready' && (await checkHealth(s.endpoint, { timeoutMs: 5_000 })));
    },
    async run(ctx: StepContext): Promise<StepResult> {
      const { transport: t, state } = ctx;
      // With --profiler-config when the profile asks for profiling (the profile step captures later).
      const profile = await profilerLaunch(ctx);
      const command = buildServeCommand(profile);
      state.serving = plannedServing({ profile });
      state.hbm?.stop();
      state.hbm = new HbmSampler({ transport: t, simRoot: profile.simRoot, devices: command.devices }, config.hbmSampleMs ?? 1000);
      await state.hbm.sample();
      state.hbm.start();
      let job: ServingJob;
      try {
        job = await startServing(t, profile, { jobs: ctx.control, force: false, pollMs: 500 });
      } catch (e) {
        if (e instanceof PreflightFailedError) return { status: 'fail', reason: e.message };
        throw e;
      }
      const model = servedModelName(profile);
      state.server = { job, endpoint: null, hostEndpoint: `http://127.0.0.1:${command.port}`, model };
      state.serving = { ...state.serving, jobId: job.id };
      ctx.progress(en('job {0} started; waiting for the server to answer', job.id));
      const rec = await untilAborted(job.waitReady(), ctx.signal);
      if (!rec) return { status: 'fail', reason: en('interrupted') };
      const logEv = await logEvidence(ctx, job, rec, command);
      state.servingLogEvidence = logEv;
      const ready = rec.state === 'ready' && rec.endpoint !== null;
      state.serving = {
        ...state.serving,
        endpoint: rec.endpoint,
        loadTime: rec.loadTimeMs !== null ? ctx.book.figure('serving.loadTime', Math.round(rec.loadTimeMs / 100) / 10, 's', logEv) : null,
      };
      if (!ready) return { status: 'fail', reason: rec.failure?.message ?? en('the server did not become ready ({0})', rec.state) };
      state.server.endpoint = rec.endpoint;
      const ok = await apiCheck(ctx, rec.endpoint!, command);
      const figures = [{ label: 'load time', value: state.serving.loadTime?.value ?? null, unit: 's' }];
      if (!ok) return { status: 'fail', reason: en('the API check did not get a chat completion back'), usable: true, figures };
      return { status: 'pass', reason: null, figures };
    },
  };
}

/** Resolves with the promise's value, or null as soon as the signal fires. */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The server log as evidence, at the line where the server said it was up (completed when it stops). */
async function logEvidence(ctx: StepContext, job: ServingJob, rec: ServingJobRecord, command: ServeCommand): Promise<string> {
  const jobRec = await ctx.jobs.get(job.id).catch(() => null);
  let log = Buffer.alloc(0);
  for (let off = 0; ; ) {
    const r = await ctx.jobs.readLog(job.id, off, 1 << 20).catch(() => null);
    if (!r || r.data.length === 0) break;
    log = Buffer.concat([log, r.data]);
    off = r.offset;
  }
  const mark = findInLog(log, READY_LINE);
  return ctx.book.add({
    kind: 'log',
    jobId: job.id,
    host: ctx.transport.label,
    startedAt: new Date(rec.startedAt).toISOString(),
    endedAt: null,
    command: redactArgv(command.argv),
    file: jobRec?.logPath ?? '',
    ...(mark ? { offset: mark.offset, length: mark.length, line: mark.line } : { offset: 0 }),
  });
}

/** One non-streamed chat completion; request and response kept as evidence. True when it answered. */
export async function apiCheck(ctx: StepContext, endpoint: string, command: ServeCommand): Promise<boolean> {
  const body = { model: command.servedModelName, messages: [{ role: 'user', content: ctx.profile.smokePrompts[0] }], temperature: 0.7, max_tokens: 128 };
  const started = ctx.now();
  // Not streamed: no byte comes before the whole answer, so the stall limit is the request limit.
  const answer = await chatCompletion(endpoint, body, { requestTimeoutMs: 120_000, stallTimeoutMs: 120_000, signal: ctx.signal });
  const responseText = answer.text;
  const ok = answer.content !== null;
  const usage = answer.usage ?? {};
  const saved = ctx.book.writeJson('api_check.json', { request: body, endpoint: `${endpoint}/v1/chat/completions`, status: ok ? 'ok' : 'failed', response: responseText });
  const evidence = ctx.book.add({ kind: 'result', jobId: null, host: 'local', startedAt: started.toISOString(), endedAt: ctx.now().toISOString(), command: ['POST', '/v1/chat/completions'], file: saved.file, pointer: '/response', copy: saved.rel });
  ctx.state.serving = {
    ...ctx.state.serving!,
    apiCheck: {
      ok,
      request: JSON.stringify(body),
      response: responseText.slice(0, 2000),
      promptTokens: usage.prompt_tokens ?? null,
      completionTokens: usage.completion_tokens ?? null,
      evidence,
    },
  };
  return ok;
}
