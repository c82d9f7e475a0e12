import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { configPath } from '../../core/profiles/load';
import type { NamedProfile } from '../../core/profiles/schema';
import { statusCell, stepName } from '../../core/report/format';
import { en, translator, type Translator } from '../../core/l10n';
import { LocalTransport } from '../../core/transport/local';
import type { Transport } from '../../core/transport/transport';
import { isCluster } from '../../core/cluster/plan';
import { createDemo, OutDirError, prepareOutDir, runValidation, type AccuracyStepSpec, type PerfStepSpec, type RunEvent, type ValidateOptions } from '../../core/validate';
import { PERF_DEFAULTS, perfSpec, specsFromProfile, type PerfOverrides } from '../../core/validate/profile-specs';
import { packageVersion } from '../../core/version';
import { defineCommand, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { resolveProfile, type TargetDecl } from '../target';
import { reportLang } from './report';
import { NodeTransports } from './serve-cluster';

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

const TARGET: TargetDecl = { profile: true, sim: 'root' };

const OPTIONS = {
  out: opt.string({ metavar: 'DIR', help: () => l10n.t('folder for the report and its evidence (default ./.ascend-adapt-out/<date-time>/); a folder that already holds a validation run is refused') }),
  demo: opt.flag(() => l10n.t('run everything on a SIMULATED host with a demo model, made in a temporary folder')),
  'keep-host': opt.flag(() => l10n.t('with --demo: keep the simulated host, inside the --out folder')),
  json: opt.flag(() => l10n.t('print where the report went and its verdict as JSON on stdout')),
  workspace: opt.string({ metavar: 'PATH', repeat: true, help: () => l10n.t('files and folders of the port analysed for operator compatibility (default: the folder of ascend-adapt.json)') }),
  tasks: opt.string({ metavar: 'LIST', help: () => l10n.t('lm-eval tasks, comma-separated: gsm8k, mmlu, mmlu_generative, hendrycks_math, minerva_math (math = minerva_math; without it accuracy is not run)') }),
  data: opt.string({ metavar: 'DIR', help: () => l10n.t('folder ON THE HOST with the dataset files') }),
  limit: opt.float({ metavar: 'N', above: 0, help: () => l10n.t('items per dataset') }),
  reference: opt.string({ metavar: 'FILE', help: () => l10n.t('reference results to compare with (GPU run)') }),
  concurrency: opt.int({ metavar: 'N', min: 1, help: () => l10n.t('requests in flight (default: the profile\'s validation.perf, else 8)') }),
  'num-prompts': opt.int({ metavar: 'N', min: 1, help: () => l10n.t('requests per run (default: the profile\'s validation.perf, else 100)') }),
  'input-len': opt.int({ metavar: 'I', min: 1, help: () => l10n.t('prompt length in tokens, random dataset (default: the profile\'s validation.perf, else 256)') }),
  'output-len': opt.int({ metavar: 'O', min: 1, help: () => l10n.t('answer length in tokens (default: the profile\'s validation.perf, else 128)') }),
  'request-rate': opt.float({ metavar: 'R', above: 0, help: () => l10n.t('arrivals per second (Poisson)') }),
  baseline: opt.string({ metavar: 'FILE', help: () => l10n.t('GPU baseline to compare with') }),
  'no-perf': opt.flag(() => l10n.t('leave out the performance step')),
};
type Ctx = RunContext<typeof OPTIONS>;
type Values = Ctx['values'];

/**
 * Accuracy and perf: the flags first, then the profile's `validation` block (the run panel's settings), then
 * the built-in perf defaults. The demo replaces them with its own.
 */
function stepSpecs(values: Values, cwd: string, profile: NamedProfile, configDir: string): { acc: AccuracyStepSpec | null; perf: PerfStepSpec | null; accNotRun: string; perfNotRun: string; workspace: string[] } {
  const local = (f: string | undefined) => (f ? path.resolve(cwd, f) : undefined);
  const overrides: PerfOverrides = {
    concurrency: values.concurrency,
    numPrompts: values['num-prompts'],
    inputLen: values['input-len'],
    outputLen: values['output-len'],
    requestRate: values['request-rate'],
    baselineFile: local(values.baseline),
  };
  const fromProfile = specsFromProfile(profile, configDir, overrides);
  const acc = values.tasks
    ? { tasks: values.tasks.split(',').map((x) => x.trim()).filter(Boolean), dataDir: values.data ?? '', limit: values.limit, referenceFile: local(values.reference) }
    : fromProfile.accuracy;
  // --no-perf wins; a profile that leaves perf out still runs it when a perf flag asks for it.
  const perfFlag = Object.values(overrides).some((x) => x !== undefined);
  const perf = values['no-perf'] ? null : (fromProfile.perf ?? (perfFlag ? perfSpec(PERF_DEFAULTS, configDir, overrides) : null));
  return {
    acc,
    perf,
    accNotRun: en('no datasets given (--tasks and --data)'),
    perfNotRun: values['no-perf'] ? en('left out with --no-perf') : fromProfile.perfNotRun,
    workspace: fromProfile.workspace,
  };
}

interface Target {
  transport: Transport;
  profile: NamedProfile;
  jobsRoot?: string;
  workspace: string[];
  acc: AccuracyStepSpec | null;
  perf: PerfStepSpec | null;
  accNotRun?: string;
  perfNotRun?: string;
  /** The temporary simulated host of --demo, deleted after the run (unless --keep-host). */
  tempHost?: string;
  /** A multi-node profile's nodes (the transport is the head's, one of them). */
  nodes?: NodeTransports;
}

/**
 * --demo: a simulated host with a demo model, profile, datasets, reference and baseline. In a temporary
 * folder deleted after the run; with --keep-host inside the output folder, where it stays.
 */
function demoTarget(ctx: Ctx, workspace: string[]): (outDir: string, say: (s: string) => void, t: Translator) => Promise<Target> {
  const { values, where: w } = ctx;
  if (w.profile || w.host.length || w.local || w.sim.length) throw new UsageError(l10n.t('--demo takes no --profile, --host, --local or --sim'));
  const keep = values['keep-host'] === true;
  return async (outDir, say, t) => {
    const root = keep ? path.join(outDir, 'simulated-host') : fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-adapt-demo-'));
    say(t.tr('SIMULATED demo: creating a simulated Atlas host (8 × 910B3) in {0}', root));
    const demo = await createDemo(root).catch((e: unknown) => {
      if (!keep) fs.rmSync(root, { recursive: true, force: true });
      throw e;
    });
    return {
      transport: new LocalTransport(),
      profile: demo.profile,
      jobsRoot: demo.jobsRoot,
      workspace: workspace.length ? workspace : [demo.workspace],
      acc: { tasks: ['gsm8k', 'mmlu', 'minerva_math'], dataDir: demo.dataDir, referenceFile: demo.referenceFile, concurrency: 4 },
      perf: values['no-perf'] ? null : { concurrency: 8, numPrompts: 64, inputLen: 128, outputLen: 32, baselineFile: demo.baselineFile },
      ...(keep ? {} : { tempHost: root }),
    };
  };
}

/** --profile NAME: checked here (usage errors before anything is made); the host is reached when opened. */
function profileTarget(ctx: Ctx, workspace: string[]): () => Promise<Target> {
  const { values, io } = ctx;
  if (!ctx.where.profile) throw new UsageError(l10n.t('say which profile: --profile NAME (or --demo)'));
  if (values['keep-host']) throw new UsageError(l10n.t('--keep-host goes with --demo'));
  if (values.tasks && !values.data) throw new UsageError(l10n.t('--tasks needs --data DIR (the dataset files on the host)'));
  const { profile, target } = resolveProfile(ctx, TARGET);
  // The port's files (patches, mappings, quant descriptions) live next to ascend-adapt.json by default.
  const configDir = path.dirname(configPath(io.cwd, ctx.where.config));
  const specs = stepSpecs(values, io.cwd, profile, configDir);
  const ws = workspace.length ? workspace : specs.workspace;
  const jobsRoot = io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
  const { acc, perf, accNotRun, perfNotRun } = specs;
  if (isCluster(profile)) {
    const w = ctx.where;
    if (w.host.length || w.local || w.sim.length) throw new UsageError(l10n.t('profile "{0}" runs on its nodes: --host, --local and --sim do not apply', profile.name));
    // Every node opened once for the whole run; smoke, accuracy and perf go through the head's.
    return async () => {
      const nodes = new NodeTransports(ctx);
      return { transport: await nodes.get(profile.nodes![0].host), profile, jobsRoot, workspace: ws, acc, perf, accNotRun, perfNotRun, nodes };
    };
  }
  return async () => ({ transport: await target.open(), profile, jobsRoot, workspace: ws, acc, perf, accNotRun, perfNotRun });
}

/** Progress lines on stderr: ▶ step …, its progress, its end state with the reason. */
function progressPrinter(t: Translator, say: (s: string) => void): (e: RunEvent) => void {
  const t0 = Date.now();
  return (e) => {
    const at = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
    if (e.type === 'start') say(`${at} ▶ ${stepName(t, e.step)} …`);
    else if (e.type === 'progress') say(`${at}   ${t.data(e.text)}`);
    else if (e.type === 'end') say(`${at} ${statusCell(t, e.record.status)} ${stepName(t, e.step)}${e.record.reason ? ` — ${t.data(e.record.reason)}` : ''}`);
  };
}

export const validateCommand = defineCommand({
  name: 'validate',
  summary: () => l10n.t('run the whole validation pipeline and write the validation report'),
  synopsis: '| ascend-adapt validate --demo [--keep-host]',
  description: () => [
    l10n.t('Runs the whole validation — environment check, model and operator analysis, serve, smoke prompts, accuracy, performance, stop — and writes validation_report_YYYYMMDD.json with Markdown (zh-CN, en) and HTML beside it. A failing step still produces a report that says what failed and why.'),
    l10n.t('--sim DIR runs against a simulated Atlas host made by `ascend-adapt sim create DIR` (results are marked SIMULATED).'),
    l10n.t('A multi-node profile ("multiNode" and "nodes") is checked on every node first (the cluster pre-checks; a failure stops the run before launch), served as one job over all nodes, measured through the head\'s API and stopped on every node; the report lists the nodes, each node\'s environment and command, and every node\'s log.'),
    l10n.t('--demo creates a simulated Atlas host, a demo model and profile in a temporary folder and runs everything on it (SIMULATED); the folder is removed afterwards. --keep-host keeps it, inside the --out folder.'),
  ],
  target: TARGET,
  options: OPTIONS,
  exitCodes: () => l10n.t('Exit 0 when the report passes, 1 when it fails or is incomplete, 2 for bad usage or an --out that cannot be used.'),
  async run(ctx) {
    const { values, io } = ctx;
    const t = translator(reportLang());
    const say = (s: string) => io.stderr.write(s + '\n');
    const outDir = path.resolve(io.cwd, values.out ?? path.join('.ascend-adapt-out', stamp()));
    const workspace = values.workspace.map((w) => path.resolve(io.cwd, w));
    const open = values.demo ? demoTarget(ctx, workspace) : profileTarget(ctx, workspace);
    try {
      prepareOutDir(outDir);
    } catch (e) {
      if (e instanceof OutDirError) throw new UsageError(t.data(e.message));
      throw e;
    }
    const target = await open(outDir, say, t);
    const { transport, profile } = target;
    say(t.tr('Profile {0} on {1}; outputs go to {2}', profile.name, transport.label, outDir));
    if (profile.simRoot) say(`⚠️ ${t.tr('SIMULATED')}: ${t.tr('every result comes from a simulated Ascend host, not from real NPUs.')}`);
    const opts: ValidateOptions = {
      transport,
      profile,
      outDir,
      jobsRoot: target.jobsRoot,
      workspace: target.workspace,
      accuracy: target.acc,
      accuracyNotRun: target.accNotRun ?? en('no datasets given (--tasks and --data)'),
      perf: target.perf,
      perfNotRun: target.perfNotRun ?? en('left out with --no-perf'),
      ...(target.tempHost ? { ephemeralHostRoot: target.tempHost } : {}),
      onEvent: progressPrinter(t, say),
      generator: { name: 'ascend-adapt', version: packageVersion() },
    };
    const nodes = target.nodes;
    if (nodes) {
      opts.nodes = (h) => nodes.get(h);
      say(t.tr('{0} nodes ({1}): {2}; the head {3} serves the API', profile.nodes!.length, profile.multiNode ?? '', profile.nodes!.map((n) => n.host).join(', '), transport.label));
    }
    // Ctrl-C: stop what runs, stop the server (it is a detached job: it would outlive us), write the report.
    const ac = new AbortController();
    opts.signal = ac.signal;
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      say(`\n${t.tr('Interrupted: stopping the jobs and the server, then writing the report (Ctrl-C again to quit at once)…')}`);
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    // The run stores English (runValidation says so itself); the console (t.tr) speaks the user's language.
    let result;
    try {
      result = await runValidation(opts);
    } finally {
      process.off('SIGINT', onSigint);
      await (nodes ? nodes.closeAll() : transport.close());
      if (target.tempHost) fs.rmSync(target.tempHost, { recursive: true, force: true });
    }
    if (target.tempHost) say(t.tr('Removed the temporary simulated host {0} (keep it with --keep-host)', target.tempHost));
    return summarize(result, outDir, values.json, t, say, io);
  },
});

function summarize(result: Awaited<ReturnType<typeof runValidation>>, outDir: string, json: boolean, t: Translator, say: (s: string) => void, io: CliIO): number {
  const r = result.report;
  const sim = r.simulated ? ` (${t.tr('SIMULATED')})` : '';
  say('');
  if (r.interrupted) say(`⏹️ ${t.tr('Interrupted during {0}: the report keeps what completed', r.interrupted.step ? stepName(t, r.interrupted.step) : '—')}`);
  say(
    r.verdict.overall === 'pass'
      ? `🎉 ${t.tr('Validation passed')}${sim}`
      : r.verdict.overall === 'fail'
        ? `❌ ${t.tr('Validation failed')}${sim}`
        : `⏸️ ${t.tr('Validation incomplete: some steps did not run')}${sim}`,
  );
  for (const d of r.verdict.dimensions) say(`  ${statusCell(t, d.status)}  ${t.data(d.summary)}`);
  say(t.tr('Report: {0}', result.jsonFile));
  for (const f of result.markdownFiles) say(t.tr('Markdown: {0}', f));
  say(t.tr('HTML: {0}', result.htmlFile));
  say(t.tr('Evidence: {0}', path.join(outDir, 'evidence')));
  if (json) io.stdout.write(JSON.stringify({ report: result.jsonFile, markdown: result.markdownFiles, html: result.htmlFile, verdict: r.verdict.overall, simulated: r.simulated, interrupted: r.interrupted ?? null }) + '\n');
  return r.verdict.overall === 'pass' ? 0 : 1;
}
