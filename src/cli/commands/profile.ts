import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { jobControl } from '../../core/jobs/index';
import { aicpuHint, findingsOf, writeFindings } from '../../core/profile/findings';
import { profileJson, summarizeJson } from '../../core/profile/json';
import { ProfileJobError, summarizeProfile } from '../../core/profile/jobs';
import { profileEndpoint, PROFILE_DEFAULTS, runProfile, type ProfileEvent, type ProfileRecord, type ProfileSpec } from '../../core/profile/run';
import type { ProfileSummary } from '../../core/profile/schema';
import { defineCommand, defineGroup, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';
import { endpointHost, endpointUrl, localTarget, profileOrEndpoint, resolveHosts, resolveProfile, type TargetDecl } from '../target';
import { interruptOnSigint } from './evaljob';

/**
 * `ascend-adapt profile --profile NAME [--host|--local|--sim] [--num-prompts N] [--with-stack] [--json]`: the
 * profile's server with vLLM's --profiler-config, /start_profile, a short load, /stop_profile, the profiler's
 * output summarised on the host, the server stopped — where the NPU time goes and what fell back to the AI CPU.
 * `--endpoint URL --profiler-dir DIR`: a server already running with a profiler (nothing is stopped).
 * `ascend-adapt profile summarize DIR… [--json]`: the same summary of a profiler folder already on disk.
 */

const TARGET: TargetDecl = { profile: true, endpoint: true, sim: 'root' };

const shared = {
  top: opt.int({ metavar: 'N', min: 1, max: 1000, default: 20, help: () => l10n.t('operators listed in the top table') }),
  'aicpu-min-us': opt.float({ metavar: 'US', min: 0, default: 20, help: () => l10n.t('report an AI CPU operator when one of its tasks takes at least this many µs (msprof-analyze advisor: 20)') }),
  json: opt.flag(() => l10n.t('print the result as JSON on stdout')),
};

const captureOptions = {
  'num-prompts': opt.int({ metavar: 'N', min: 1, max: 1000, default: PROFILE_DEFAULTS.numPrompts, help: () => l10n.t('requests of the load while profiling (keep it short: traces grow fast)') }),
  'input-len': opt.int({ metavar: 'I', min: 1, max: 1_000_000, default: PROFILE_DEFAULTS.inputLen, help: () => l10n.t('prompt length in tokens of the load') }),
  'output-len': opt.int({ metavar: 'O', min: 1, max: 1_000_000, default: PROFILE_DEFAULTS.outputLen, help: () => l10n.t('answer length in tokens of the load') }),
  concurrency: opt.int({ metavar: 'C', min: 1, max: 1024, default: PROFILE_DEFAULTS.concurrency, help: () => l10n.t('requests in flight during the load') }),
  'with-stack': opt.flag(() => l10n.t('record Python call stacks (torch_profiler_with_stack; much larger traces)')),
  restart: opt.flag(() => l10n.t('a server of the profile that runs without --profiler-config is stopped and started again with it')),
  'parse-timeout': opt.int({ metavar: 'S', min: 1, max: 86_400, default: 600, help: () => l10n.t('seconds to wait for the profiler output of every rank after /stop_profile') }),
  'profiler-dir': opt.string({ metavar: 'DIR', help: () => l10n.t('with --endpoint: the torch_profiler_dir of that server, on the host') }),
  ranks: opt.int({ metavar: 'N', min: 1, max: 4096, help: () => l10n.t('with --endpoint: ranks that write output (TP × PP × DP; default 1)') }),
  model: opt.string({ metavar: 'NAME', help: () => l10n.t('with --endpoint: the served model name (default: the first the server lists)') }),
  'no-findings': opt.flag(() => l10n.t('do not write .ascend-adapt/profile-findings.json (what the language server shows on the code)')),
  ...shared,
};
type CaptureCtx = RunContext<typeof captureOptions>;

const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);
const pct = (v: number) => `${v.toFixed(1)} %`;

/** The summary as tables (stdout). */
export function printSummary(s: ProfileSummary, io: CliIO): void {
  const w = (t: string) => io.stdout.write(t);
  w(l10n.t('Profile of {0} rank(s): {1} of device time{2}', s.ranks, us(s.totalUs), s.simulated ? ` (${l10n.t('SIMULATED')})` : '') + '\n\n');
  w(l10n.t('Time by core type') + '\n');
  w(formatTable(Object.entries(s.byCoreType).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v), us(s.byCoreTypeUs[k] ?? 0)]), { indent: '  ', right: [1, 2] }));
  w('\n' + l10n.t('Top operators by total device time') + '\n');
  const head = [l10n.t('Operator'), l10n.t('Core'), l10n.t('Count'), l10n.t('Total'), l10n.t('Avg'), l10n.t('Max'), l10n.t('Share')];
  w(formatTable([head, ...s.topOps.map((o) => [o.type, o.coreType, String(o.count), us(o.totalUs), us(o.avgUs), us(o.maxUs), pct(o.sharePct)])], { indent: '  ', right: [2, 3, 4, 5, 6] }));
  if (s.aicpu.length) {
    w('\n' + l10n.t('AI CPU operators (a task ≥ {0} µs)', s.aicpuMinUs) + '\n');
    for (const a of s.aicpu) {
      const h = aicpuHint(a);
      w(`  ${a.type}: ${l10n.t('{0} tasks, {1} total, max {2}', a.count, us(a.totalUs), us(a.maxUs))}${a.dtypes.length ? ` [${a.dtypes.join(', ')}]` : ''}\n`);
      w(`    ${h.title} — ${h.fix}\n    ${l10n.t('Source')}: ${h.source}\n`);
    }
  } else w('\n' + l10n.t('No AI CPU operator with a task of {0} µs or more.', s.aicpuMinUs) + '\n');
  if (s.steps.length) {
    w('\n' + l10n.t('Per step (µs): computing / communication (not overlapped) / free') + '\n');
    const rows = s.steps.map((x) => [String(x.rank), String(x.step ?? '-'), x.computingUs.toFixed(1), x.communicationUs.toFixed(1), x.freeUs.toFixed(1)]);
    w(formatTable([[l10n.t('Rank'), l10n.t('Step'), l10n.t('Computing'), l10n.t('Communication'), l10n.t('Free')], ...rows], { indent: '  ', right: [2, 3, 4] }));
  }
  for (const f of s.traceFiles) w(l10n.t('Timeline for MindStudio Insight: {0}', f) + '\n');
  for (const d of s.unparsed) w(l10n.t('Not parsed yet (run torch_npu.profiler.profiler.analyse on it): {0}', d) + '\n');
}

function onEvent(io: CliIO, json: boolean): (e: ProfileEvent) => void {
  return (e) => {
    if (e.type === 'server') {
      const words: Record<typeof e.state, string> = {
        found: l10n.t('Using the running server job {0} (it has --profiler-config)', e.jobId),
        starting: l10n.t('Started server job {0} with --profiler-config; waiting until it is ready', e.jobId),
        ready: l10n.t('Server ready'),
        stopping: l10n.t('Stopping server job {0}…', e.jobId),
        stopped: e.report?.idle ? l10n.t('Server stopped; the NPUs are idle again') : l10n.t('Server stopped'),
      };
      io.stderr.write(words[e.state] + '\n');
    } else if (e.type === 'capture') io.stderr.write(l10n.t('Started profile job {0} (run folder {1})', e.jobId, e.runDir) + '\n');
    else if (e.type === 'progress' && 'phase' in e.progress) io.stderr.write(`[profile] ${e.progress.phase}\n`);
    else if (e.type === 'line' && !json && /^(error|POST \/|interrupted|stopped the serving job)/.test(e.line)) io.stderr.write(`  ${e.line}\n`);
  };
}

function specOf(v: CaptureCtx['values']): ProfileSpec {
  return {
    numPrompts: v['num-prompts'], inputLen: v['input-len'], outputLen: v['output-len'], concurrency: v.concurrency,
    withStack: v['with-stack'], restart: v.restart, parseTimeoutS: v['parse-timeout'], top: v.top, aicpuMinUs: v['aicpu-min-us'],
  };
}

function report(ctx: CaptureCtx, r: ProfileRecord): number {
  const { io, values } = ctx;
  const s = r.result?.summary ?? null;
  if (s && r.id && !values['no-findings'] && s.aicpu.length) {
    const file = writeFindings(io.cwd, findingsOf(s, { jobId: r.id, host: r.host, summaryFile: r.evidence?.resultFile ?? null }));
    io.stderr.write(l10n.t('AI CPU operators written to {0} (the language server marks the code that produces them)', file) + '\n');
  }
  if (values.json) io.stdout.write(JSON.stringify(profileJson(r), null, 2) + '\n');
  else if (s) printSummary(s, io);
  if (r.error) io.stderr.write(l10n.t('Error: {0}', r.error) + '\n');
  if (r.state === 'interrupted') io.stderr.write(l10n.t('Interrupted; profiling was turned off ({0}).', r.result?.stoppedProfile || !r.result?.startedProfile ? l10n.t('no /start_profile left without its /stop_profile') : l10n.t('the server was stopped')) + '\n');
  if (r.evidence) io.stderr.write(l10n.t('Evidence: job {0} on {1}; result {2}; log {3}', r.evidence.jobId, r.evidence.host, r.evidence.resultFile, r.evidence.logFile) + '\n');
  if (r.stop && !r.stop.idle) io.stderr.write(l10n.t('The NPUs are not idle after the stop; leftover processes: {0}', r.stop.leftoverPids.join(', ') || '-') + '\n');
  return r.state === 'done' && !r.error ? 0 : 1;
}

const captureCommand = defineCommand({
  name: 'profile',
  summary: () => l10n.t('profile the served model: where the NPU time goes, which operators fell back to the AI CPU'),
  description: () => [
    l10n.t('Starts the profile\'s vllm serve with --profiler-config (a folder in the run folder on the host), waits until it is ready, sends /start_profile, drives a short load with the perf client, sends /stop_profile, waits for ASCEND_PROFILER_OUTPUT of every rank, summarises kernel_details.csv, op_statistic.csv and step_trace_time.csv on the host, and stops the server it started.'),
    l10n.t('Profiling is never left on: Ctrl-C, a failure or a lost connection still sends /stop_profile (the capture runs as a detached job on the host) or stops the server.'),
  ],
  target: TARGET,
  options: captureOptions,
  exitCodes: () => l10n.t('Exit codes: 0 profiled and summarised, 1 the run failed or was interrupted (the message says why), 2 bad usage.'),
  async run(ctx) {
    const { values, io } = ctx;
    const jobsRoot = io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
    const sig = interruptOnSigint(io);
    try {
      if (profileOrEndpoint(ctx.where) === 'endpoint') {
        if (!values['profiler-dir']) throw new UsageError(l10n.t('with --endpoint, say where that server\'s profiler writes: --profiler-dir DIR (its torch_profiler_dir)'));
        const target = endpointHost(ctx, TARGET);
        const transport = await target.open();
        try {
          const r = await profileEndpoint({ transport, baseUrl: endpointUrl(ctx.where), model: values.model, profilerDir: values['profiler-dir'], ranks: values.ranks, spec: specOf(values), jobsRoot, signal: sig.signal, onEvent: onEvent(io, values.json) });
          return report(ctx, r);
        } finally {
          await transport.close();
        }
      }
      if (values['profiler-dir'] || values.ranks !== undefined || values.model) throw new UsageError(l10n.t('--profiler-dir, --ranks and --model go with --endpoint; a profile names its own'));
      const pt = resolveProfile(ctx, TARGET);
      const transport = await pt.target.open();
      try {
        const r = await runProfile({ transport, profile: pt.profile, spec: specOf(values), jobsRoot, control: jobControl({ root: jobsRoot }), signal: sig.signal, onEvent: onEvent(io, values.json) });
        if (r.errorKind === 'server-without-profiler') io.stderr.write(l10n.t('Or stop it first: {0}', ctx.hint(['jobs', 'stop'], [...pt.target.args, r.error?.match(/job (\S+)\)/)?.[1] ?? 'JOB'])) + '\n');
        return report(ctx, r);
      } finally {
        await transport.close();
      }
    } catch (e) {
      if (!(e instanceof ProfileJobError)) throw e;
      io.stderr.write(e.message + '\n');
      if (e.evidence) io.stderr.write(l10n.t('Log: {0} on {1}', e.evidence.logFile, e.evidence.host) + '\n');
      return 1;
    } finally {
      sig.dispose();
    }
  },
});

const summarizeCommand = defineCommand({
  name: 'summarize',
  summary: () => l10n.t('summarise a profiler folder already on disk (profiler dir, *_ascend_pt or ASCEND_PROFILER_OUTPUT)'),
  description: () => [
    l10n.t('Streams kernel_details.csv (old and new headers), op_statistic.csv and step_trace_time.csv of every rank where the folder is — this machine by default, or --host / --sim — and prints the same figures as profile.'),
  ],
  positionals: { usage: 'DIR…', min: 1 },
  target: { sim: 'env' },
  options: shared,
  exitCodes: () => l10n.t('Exit codes: 0 summarised, 1 no profiler output found or unreadable, 2 bad usage.'),
  async run(ctx) {
    const { values, io } = ctx;
    const w = ctx.where;
    const target = w.local || w.sim.length || w.host.length ? resolveHosts(ctx, { sim: 'env' })[0]! : localTarget();
    const dirs = target.kind === 'ssh' ? ctx.positionals : ctx.positionals.map((d) => path.resolve(io.cwd, d));
    const transport = await target.open();
    const sig = interruptOnSigint(io);
    try {
      const { summary, evidence, interrupted } = await summarizeProfile({ transport, spec: { dirs, top: values.top, aicpuMinUs: values['aicpu-min-us'] }, signal: sig.signal });
      if (values.json) io.stdout.write(JSON.stringify(summarizeJson(summary, evidence, interrupted), null, 2) + '\n');
      else if (summary.ranks) printSummary(summary, io);
      if (summary.error) io.stderr.write(l10n.t('Error: {0}', summary.error) + '\n');
      return summary.error || interrupted || !summary.ranks ? 1 : 0;
    } catch (e) {
      if (!(e instanceof ProfileJobError)) throw e;
      io.stderr.write(e.message + '\n');
      return 1;
    } finally {
      sig.dispose();
      await transport.close();
    }
  },
});

export const profileCommand = defineGroup({
  name: 'profile',
  summary: () => l10n.t('profile the served model (Ascend PyTorch Profiler): top operators, core types, AI CPU fallbacks'),
  subcommands: [summarizeCommand],
  default: captureCommand,
});
