import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { configPath, getProfile, loadConfigFile } from '../../core/profiles/load';
import type { NamedProfile } from '../../core/profiles/schema';
import { createDemo } from '../../core/report/demo';
import { accuracyEngine, perfEngine, type AccuracyStepSpec, type PerfStepSpec } from '../../core/report/engines';
import { statusCell, stepName } from '../../core/report/format';
import { en, inLanguage, translator } from '../../core/l10n';
import { packageVersion } from '../../core/version';
import { runValidation, type ProgressEvent, type ValidateOptions } from '../../core/report/pipeline';
import { LocalTransport } from '../../core/transport/local';
import type { Transport } from '../../core/transport/transport';
import { parse } from '../args';
import { hostOptions, UsageError, type CliCommand, type CliIO } from '../command';
import { targetsFrom } from '../target';
import { reportLang } from './report';


const usage = () =>
  [
    l10n.t('Usage: ascend-adapt validate --profile NAME [--config FILE] [--out DIR] [--host ALIAS | --local | --sim DIR] [--workspace PATH]... [--json]'),
    l10n.t('       ascend-adapt validate --demo [--out DIR] [--no-perf] [--json]'),
    l10n.t('Accuracy: --tasks gsm8k,mmlu,math --data DIR (on the host) [--limit N] [--reference FILE]. Without --tasks accuracy is not run.'),
    l10n.t('Performance: [--concurrency 8] [--num-prompts 100] [--input-len 256] [--output-len 128] [--request-rate R] [--baseline FILE], or --no-perf.'),
    '',
    l10n.t('Runs the whole validation — environment check, model and operator analysis, serve, smoke prompts, accuracy, performance, stop — and writes validation_report_YYYYMMDD.json with Markdown (zh-CN, en) and HTML beside it. A failing step still produces a report that says what failed and why.'),
    l10n.t('--workspace: files and folders with the port\'s patches, mappings and quantization descriptions, analysed for operator compatibility (default: the folder of ascend-adapt.json).'),
    l10n.t('--sim DIR runs against a simulated Atlas host made by `ascend-adapt sim create DIR` (results are marked SIMULATED).'),
    l10n.t('--demo creates a simulated Atlas host, a demo model and profile in a temporary folder and runs everything on it (SIMULATED).'),
    l10n.t('Default --out: ./.ascend-adapt-out/<date-time>/. Exit 0 when the report passes, 1 when it fails or is incomplete.'),
  ].join('\n');

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: () => l10n.t('run the whole validation pipeline and write the validation report'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parse(
      args,
      {
        ...hostOptions,
        profile: { type: 'string' },
        config: { type: 'string' },
        out: { type: 'string' },
        sim: { type: 'string' },
        demo: { type: 'boolean' },
        json: { type: 'boolean' },
        workspace: { type: 'string', multiple: true },
        tasks: { type: 'string' },
        data: { type: 'string' },
        limit: { type: 'string' },
        reference: { type: 'string' },
        concurrency: { type: 'string' },
        'num-prompts': { type: 'string' },
        'input-len': { type: 'string' },
        'output-len': { type: 'string' },
        'request-rate': { type: 'string' },
        baseline: { type: 'string' },
        'no-perf': { type: 'boolean' },
      },
      false,
    );
    const lang = reportLang();
    const t = translator(lang);
    const say = (s: string) => io.stderr.write(s + '\n');
    const outDir = path.resolve(io.cwd, values.out ?? path.join('.ascend-adapt-out', stamp()));
    let transport: Transport;
    let profile: NamedProfile;
    let jobsRoot = io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
    let workspace = (values.workspace ?? []).map((w) => path.resolve(io.cwd, w));
    const num = (name: string, v: string | undefined, dflt: number | undefined, int = true): number | undefined => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) throw new UsageError(l10n.t('--{0} wants a positive number, got {1}', name, v));
      return n;
    };
    const local = (f: string | undefined) => (f ? path.resolve(io.cwd, f) : undefined);
    let acc: AccuracyStepSpec | null = values.tasks
      ? {
          tasks: values.tasks.split(',').map((x) => x.trim()).filter(Boolean),
          dataDir: values.data ?? '',
          limit: num('limit', values.limit, undefined, false),
          referenceFile: local(values.reference),
        }
      : null;
    if (acc && !values.data) throw new UsageError(l10n.t('--tasks needs --data DIR (the dataset files on the host)'));
    let perf: PerfStepSpec | null = values['no-perf']
      ? null
      : {
          concurrency: num('concurrency', values.concurrency, 8)!,
          numPrompts: num('num-prompts', values['num-prompts'], 100)!,
          inputLen: num('input-len', values['input-len'], 256)!,
          outputLen: num('output-len', values['output-len'], 128)!,
          requestRate: num('request-rate', values['request-rate'], undefined, false),
          baselineFile: local(values.baseline),
        };
    if (values.demo) {
      if (values.profile || values.host || values.local || values.sim) throw new UsageError(l10n.t('--demo takes no --profile, --host, --local or --sim'));
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-adapt-demo-'));
      say(t.tr('SIMULATED demo: creating a simulated Atlas host (8 × 910B3) in {0}', root));
      const demo = await createDemo(root);
      profile = demo.profile;
      jobsRoot = demo.jobsRoot;
      if (!workspace.length) workspace = [demo.workspace];
      acc = { tasks: ['gsm8k', 'mmlu', 'math'], dataDir: demo.dataDir, referenceFile: demo.referenceFile, concurrency: 4 };
      perf = values['no-perf'] ? null : { concurrency: 8, numPrompts: 64, inputLen: 128, outputLen: 32, baselineFile: demo.baselineFile };
      transport = new LocalTransport();
    } else {
      if (!values.profile) throw new UsageError(l10n.t('say which profile: --profile NAME (or --demo)'));
      const file = configPath(io.cwd, values.config);
      profile = getProfile(loadConfigFile(file), values.profile, file);
      // The port's files (patches, mappings, quant descriptions) live next to ascend-adapt.json by default.
      if (!workspace.length) workspace = [path.dirname(file)];
      if (values.sim) {
        if (values.host || values.local) throw new UsageError(l10n.t('--sim runs on this machine: leave out --host and --local'));
        const simRoot = path.resolve(io.cwd, values.sim);
        if (!fs.existsSync(path.join(simRoot, 'sim.json'))) throw new UsageError(l10n.t('{0} is not a simulated host (no sim.json): make one with ascend-adapt sim create DIR', simRoot));
        profile = { ...profile, simRoot };
        transport = new LocalTransport();
      } else {
        const hv = values.host || values.local ? values : profile.host === 'local' ? { ...values, local: true } : profile.host ? { ...values, host: [profile.host] } : values;
        const [target] = targetsFrom(hv);
        transport = await target.open();
      }
    }
    say(t.tr('Profile {0} on {1}; outputs go to {2}', profile.name, transport.label, outDir));
    if (profile.simRoot) say(`⚠️ ${t.tr('SIMULATED')}: ${t.tr('every result comes from a simulated Ascend host, not from real NPUs.')}`);
    // Reports store English (canonical) text and the renderers translate; the run speaks English, the
    // console (t.tr) the user's language.
    const t0 = Date.now();
    const onProgress = (e: ProgressEvent) => {
      const at = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
      if (e.phase === 'start') say(`${at} ▶ ${e.step === 'report' ? t.tr('Report') : stepName(t, e.step)} …`);
      else if (e.phase === 'info') say(`${at}   ${t.data(e.detail ?? '')}`);
      else if (e.step !== 'report') say(`${at} ${statusCell(t, e.status ?? 'not-run')} ${stepName(t, e.step)}${e.detail ? ` — ${t.data(e.detail)}` : ''}`);
    };
    const opts: ValidateOptions = {
      transport,
      profile,
      outDir,
      jobsRoot,
      workspace,
      accuracy: acc ? accuracyEngine(acc) : undefined,
      accuracyNotRun: en('no datasets given (--tasks and --data)'),
      perf: perf ? perfEngine(perf) : undefined,
      perfNotRun: en('left out with --no-perf'),
      onProgress,
      generator: { name: 'ascend-adapt', version: packageVersion() },
    };
    // Ctrl-C: stop what runs, stop the server (it is a detached job: it would outlive us), write the report.
    const ac = new AbortController();
    opts.signal = ac.signal;
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      say(`\n${t.tr('Interrupted: stopping the jobs and the server, then writing the report (Ctrl-C again to quit at once)…')}`);
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    let result;
    try {
      result = await inLanguage('en', () => runValidation(opts));
    } finally {
      process.off('SIGINT', onSigint);
      await transport.close();
    }
    const r = result.report;
    say('');
    say(
      r.verdict.overall === 'pass'
        ? `🎉 ${t.tr('Validation passed')}${r.simulated ? ` (${t.tr('SIMULATED')})` : ''}`
        : r.verdict.overall === 'fail'
          ? `❌ ${t.tr('Validation failed')}${r.simulated ? ` (${t.tr('SIMULATED')})` : ''}`
          : `⏸️ ${t.tr('Validation incomplete: some steps did not run')}${r.simulated ? ` (${t.tr('SIMULATED')})` : ''}`,
    );
    for (const d of r.verdict.dimensions) say(`  ${statusCell(t, d.status)}  ${t.data(d.summary)}`);
    say(t.tr('Report: {0}', result.jsonFile));
    for (const f of result.markdownFiles) say(t.tr('Markdown: {0}', f));
    say(t.tr('HTML: {0}', result.htmlFile));
    say(t.tr('Evidence: {0}', path.join(outDir, 'evidence')));
    if (values.json) io.stdout.write(JSON.stringify({ report: result.jsonFile, markdown: result.markdownFiles, html: result.htmlFile, verdict: r.verdict.overall, simulated: r.simulated }) + '\n');
    return r.verdict.overall === 'pass' ? 0 : 1;
  },
};
