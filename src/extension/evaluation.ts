import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccuracyRunResult } from '../core/accuracy/run';
import type { PerfRunResult } from '../core/perf/run';
import type { PerfRun } from '../core/perf/schema';
import { estimate, PERF_PLAN_DEFAULTS, rememberedPlan, rememberPlan, type PerfPlan } from './perfPlan';
import { accuracyOptions, jobRef, perfOptions } from './args';
import type { Commands } from './commands';
import type { Config } from './config';
import type { Hosts } from './hosts';
import type { ClusterServing } from './cluster';
import type { Transport } from '../core/transport/transport';
import { accuracyOutcome, accuracyRunOutcome, LATENCY_METRICS, type AccuracySummary, type LatencyStats, type PerfSummary, type TrackedJob } from './jobResults';
import type { Notifier } from './notify';
import type { Serving } from './serving';
import { requireTrust } from './trust';

/**
 * Accuracy and performance jobs against a ready serving job (one host, or a multi-node job's head), from
 * VS Code: the core's runAccuracy / runPerf (detached jobs on the host, next to the server), their log in a
 * terminal, progress in a notification, and a results table when the job ends (terminal + Jobs view rows
 * under the serving job).
 */

export interface EvaluationFeature {
  serving: Serving;
  /** Multi-node jobs: runs go through the head. */
  clusters: ClusterServing;
  /** Workspace state: the perf settings last used per profile. */
  state: vscode.Memento;
  hosts: Hosts;
  config: Config;
  notifier: Notifier;
  /** The python/ folder shipped with the extension (demo data for the simulated host). */
  pythonDir: string;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function evalTerminal(name: string): { write: (s: string) => void; ready: Promise<void> } {
  const emitter = new vscode.EventEmitter<string>();
  let opened: () => void = () => undefined;
  const ready = new Promise<void>((r) => (opened = r));
  const term = vscode.window.createTerminal({ name, iconPath: new vscode.ThemeIcon('beaker'), pty: { onDidWrite: emitter.event, open: () => opened(), close: () => undefined } });
  term.show(true);
  return { write: (s) => emitter.fire(s.replace(/\r?\n/g, '\r\n')), ready: Promise.race([ready, new Promise<void>((r) => setTimeout(r, 3000))]) };
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((c, i) => c + ' '.repeat(w[i] - [...c].length)).join('  ')).join('\n') + '\n';
}

const fmt = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));

/**
 * What a run goes against: a ready single-host job, or a ready multi-node job through its head. Either way
 * the run is a job on the host that serves the API, reaching it on that host's loopback.
 */
interface EvalTarget {
  id: string;
  profileName: string;
  /** Suggest the bundled demo data (the run's host is a simulated one on this machine's files). */
  suggestDemo: boolean;
  baseUrl: string;
  model: string;
  simRoot?: string;
  /** Smoke and earlier perf results (for the time estimate). */
  results: Pick<TrackedJob, 'perf' | 'smoke'>;
  transport(): Promise<Transport>;
  setResult(change: Pick<TrackedJob, 'accuracy' | 'perf'>): void;
}

async function target(d: EvaluationFeature, given: string | undefined, what: string): Promise<EvalTarget | undefined> {
  requireTrust(what);
  const ready = d.serving.all().filter((j) => j.record.state === 'ready');
  const readyClusters = d.clusters.all().filter((j) => j.record.state === 'ready');
  let id = given;
  if (!id) {
    const items = [
      ...ready.map((j) => ({ label: j.record.profileName, description: j.record.host, id: j.record.jobId })),
      ...readyClusters.map((j) => ({ label: j.record.profileName, description: l10n.t('{0} nodes, API on {1}', j.record.nodes.length, j.record.nodes[0]?.host ?? '?'), id: j.record.id })),
    ];
    if (items.length === 0) {
      void d.notifier.info(l10n.t('{0} needs a ready server: start one with "Ascend: Start Serving".', what));
      return undefined;
    }
    id = items.length === 1 ? items[0].id : (await vscode.window.showQuickPick(items, { placeHolder: l10n.t('Against which server?') }))?.id;
  }
  if (!id) return undefined;
  const cluster = d.clusters.get(id);
  if (cluster) {
    const head = await d.clusters.headTarget(id);
    const cid = id;
    return {
      id, profileName: cluster.record.profileName, suggestDemo: cluster.record.simulated, baseUrl: head.baseUrl, model: head.model, simRoot: head.simRoot,
      results: cluster, transport: () => Promise.resolve(head.transport), setResult: (c) => d.clusters.setResult(cid, c),
    };
  }
  const job = d.serving.get(id);
  if (!job) throw new Error(l10n.t('Unknown job {0}', id));
  if (job.record.state !== 'ready') throw new Error(l10n.t('{0} is not ready.', job.record.profileName));
  // The endpoint as the HOST sees it: the job runs next to the server.
  return {
    id, profileName: job.record.profileName, suggestDemo: job.hostId === 'sim', baseUrl: `http://127.0.0.1:${job.record.command.port}`, model: job.record.command.servedModelName, simRoot: job.simRoot,
    results: job, transport: () => d.hosts.transport(job.hostId), setResult: (c) => d.serving.setResult(job.record.jobId, c),
  };
}

/** Request timeouts (s) for a job against a serving job: the command's own, else its profile's. */
async function timeoutsFor(d: EvaluationFeature, profileName: string, o: { requestTimeout?: number; stallTimeout?: number }): Promise<{ requestTimeoutS?: number; stallTimeoutS?: number }> {
  const profile = (await d.serving.loadConfig())?.config.profiles[profileName];
  return { requestTimeoutS: o.requestTimeout ?? profile?.requestTimeoutSec, stallTimeoutS: o.stallTimeout ?? profile?.stallTimeoutSec };
}

export function registerEvaluationCommands(commands: Commands, d: EvaluationFeature): void {
  commands.register('ascend.accuracy.run', [jobRef.optional(), accuracyOptions.optional()], async (given, options) => {
    const t = await target(d, given, l10n.t('Run Accuracy Test'));
    if (!t) return undefined;
    const o = options ?? {};
    const tasks =
      o.tasks ??
      (await vscode.window.showQuickPick(['gsm8k', 'mmlu', 'math'], { canPickMany: true, placeHolder: l10n.t('Datasets (the bundled runner reads your local copies on the host)') }));
    if (!tasks || tasks.length === 0) return undefined;
    const demo = t.suggestDemo ? path.join(d.pythonDir, 'data', 'demo') : '';
    const dataDir =
      o.dataDir ??
      (await vscode.window.showInputBox({ prompt: l10n.t('Folder with the dataset files on the host (gsm8k.jsonl, mmlu.jsonl or .csv, math.jsonl)'), value: demo, ignoreFocusOut: true }));
    if (!dataDir) return undefined;
    const limit = o.limit;
    const term = evalTerminal(l10n.t('Accuracy {0}', t.profileName));
    await term.ready;
    const { runAccuracy } = await import('../core/accuracy/run');
    const transport = await t.transport();
    const limits = await timeoutsFor(d, t.profileName, o);
    const r: AccuracyRunResult = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: l10n.t('Accuracy test on {0}', t.profileName), cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return runAccuracy({
          transport,
          spec: { baseUrl: t.baseUrl, model: t.model, tasks, dataDir, limit, ...limits },
          simRoot: t.simRoot,
          python: d.config.settings.pythonPath,
          signal: ac.signal,
          onLine: (line) => term.write(`${line}\n`),
          onProgress: (p) => progress.report({ message: `${p.task} ${p.done}/${p.total} · ${(p.accuracy * 100).toFixed(1)} %` }),
        });
      },
    );
    const rows = [[l10n.t('Dataset'), l10n.t('Metric'), l10n.t('Value'), 'n', l10n.t('Reference'), l10n.t('Verdict')]];
    for (const d of r.datasets) rows.push([d.name, d.metric ?? '', d.value === null ? '—' : `${(d.value * 100).toFixed(2)} %`, String(d.n), d.reference === null ? '—' : `${(d.reference * 100).toFixed(2)} %`, d.verdict ?? '—']);
    term.write(`\n${r.simulated ? `[${l10n.t('SIMULATED')}] ` : ''}${l10n.t('Accuracy results')}\n${table(rows)}`);
    const summary: AccuracySummary = {
      at: new Date().toISOString(),
      simulated: r.simulated,
      engine: r.engine,
      datasets: r.datasets.map((d) => ({ name: d.name, metric: d.metric, value: d.value, n: d.n, reference: d.reference, verdict: d.verdict ?? null })),
      error: r.error,
      runDir: r.evidence.runDir,
    };
    t.setResult({ accuracy: summary });
    // Each figure with its metric and what it means: "gsm8k exact_match 75.0 % (no reference)".
    const figure = (x: AccuracySummary['datasets'][number]) => {
      const o = accuracyOutcome(x);
      const why = o === 'no-reference' ? l10n.t('no reference') : x.value === 0 ? l10n.t('failed: no answer right') : o === 'pass' ? l10n.t('passed') : l10n.t('failed');
      return `${x.name}${x.metric ? ` ${x.metric}` : ''} ${x.value === null ? '—' : `${(x.value * 100).toFixed(1)} %`} (${why})`;
    };
    const text = l10n.t('Accuracy: {0}', summary.datasets.map(figure).join(', ')) + (r.simulated ? ` [${l10n.t('SIMULATED')}]` : '');
    const outcome = accuracyRunOutcome(summary);
    if (r.error) void d.notifier.warn(`${text} — ${r.error}`);
    else if (outcome === 'fail') void d.notifier.warn(text);
    else void d.notifier.info(text);
    return summary;
  });

  commands.register('ascend.perf.run', [jobRef.optional(), perfOptions.optional()], async (given, options) => {
    const t = await target(d, given, l10n.t('Run Performance Benchmark'));
    if (!t) return undefined;
    const o = options ?? {};
    const profileName = t.profileName;
    let plan: PerfPlan;
    if (o.concurrency) {
      // Given (a test, a task, a link): no questions.
      plan = { ...PERF_PLAN_DEFAULTS, concurrency: o.concurrency, numPrompts: o.numPrompts ?? 64, inputLen: o.inputLen ?? 256, outputLen: o.outputLen ?? 128, requestRate: o.requestRate ?? null, baseline: o.baseline ?? null };
    } else {
      const initial = rememberedPlan(d.state, profileName, await profilePerf(d, profileName));
      const chosen = await d.serving.prompts.perfPlan(initial, (p) => estimate(p, t.results), l10n.t('Performance benchmark on {0}', profileName));
      if (!chosen) return undefined;
      plan = chosen;
      await rememberPlan(d.state, profileName, plan);
    }
    const { concurrency } = plan;
    let baseline: { runs: PerfRun[]; source: string } | null = null;
    if (plan.baseline) {
      const { parsePerfFile } = await import('../core/perf/schema');
      const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(plan.baseline))).toString('utf8');
      baseline = { runs: parsePerfFile(text, path.basename(plan.baseline)).runs, source: path.basename(plan.baseline) };
    }
    const term = evalTerminal(l10n.t('Performance {0}', t.profileName));
    await term.ready;
    const { runPerf } = await import('../core/perf/run');
    const transport = await t.transport();
    const limits = await timeoutsFor(d, t.profileName, o);
    const r: PerfRunResult = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: l10n.t('Performance benchmark on {0}', t.profileName), cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return runPerf({
          transport,
          spec: { baseUrl: t.baseUrl, model: t.model, concurrency, numPrompts: plan.numPrompts, inputLen: plan.inputLen, outputLen: plan.outputLen, ...(plan.requestRate ? { requestRate: plan.requestRate } : {}), ...limits },
          baseline,
          simRoot: t.simRoot,
          python: d.config.settings.pythonPath,
          signal: ac.signal,
          onLine: (line) => term.write(`${line}\n`),
          onProgress: (p) => progress.report({ message: l10n.t('run {0}/{1} (concurrency {2}): {3}/{4}', p.run, p.runs, String(p.concurrency ?? '∞'), p.done, p.total) }),
        });
      },
    );
    const runs = r.runs.map((x) => {
      const m = x.metrics as unknown as Record<string, unknown>;
      return {
        concurrency: x.concurrency,
        requestThroughput: num(m.request_throughput),
        outputThroughput: num(m.output_throughput),
        meanTtftMs: num(m.mean_ttft_ms),
        meanTpotMs: num(m.mean_tpot_ms),
        p99E2elMs: num(m.p99_e2el_ms),
        failed: Object.values(x.errors).reduce((a, b) => a + b, 0),
        latency: Object.fromEntries(LATENCY_METRICS.map((k) => [k, {
          mean: num(m[`mean_${k}_ms`]), p50: num(m[`p50_${k}_ms`] ?? m[`median_${k}_ms`]), p90: num(m[`p90_${k}_ms`]), p99: num(m[`p99_${k}_ms`]),
        } satisfies LatencyStats])) as Record<(typeof LATENCY_METRICS)[number], LatencyStats>,
        interrupted: x.interrupted === true,
        reconnects: x.reconnects ?? 0,
        throughputRatio: x.comparison.find((c) => c.key === 'output_throughput')?.ratio ?? null,
      };
    });
    const rows = [[l10n.t('Concurrency'), 'QPS', 'tok/s', 'TTFT ms', 'TPOT ms', 'P99 E2E ms', l10n.t('Failed')]];
    for (const x of runs) rows.push([String(x.concurrency ?? '∞'), fmt(x.requestThroughput, 2), fmt(x.outputThroughput), fmt(x.meanTtftMs), fmt(x.meanTpotMs, 2), fmt(x.p99E2elMs), String(x.failed)]);
    term.write(`\n${r.simulated ? `[${l10n.t('SIMULATED')}] ` : ''}${l10n.t('Performance results')}\n${table(rows)}`);
    const summary: PerfSummary = { at: new Date().toISOString(), simulated: r.simulated, engine: r.engine, runs, interrupted: r.interrupted, error: r.error, runDir: r.evidence.runDir, baseline: r.baselineSource, plan };
    t.setResult({ perf: summary });
    const text = l10n.t('Performance: {0}', runs.map((x) => `c=${x.concurrency ?? '∞'} ${fmt(x.outputThroughput)} tok/s${x.throughputRatio !== null ? ` (${l10n.t('{0}× GPU', x.throughputRatio.toFixed(2))})` : ''}`).join(', ')) + (r.simulated ? ` [${l10n.t('SIMULATED')}]` : '');
    if (r.error) void d.notifier.warn(`${text} — ${r.error}`);
    else void d.notifier.info(text);
    return summary;
  });
}

/** The profile's validation.perf as the starting plan (one concurrency), when it has one. */
async function profilePerf(d: EvaluationFeature, name: string): Promise<Partial<PerfPlan> | undefined> {
  const cfg = await d.serving.loadConfig().catch(() => undefined);
  const v = cfg?.config.profiles[name]?.validation?.perf;
  if (!v) return undefined;
  const dir = path.dirname(cfg!.file.fsPath);
  return { concurrency: [v.concurrency], numPrompts: v.numPrompts, inputLen: v.inputLen, outputLen: v.outputLen, requestRate: v.requestRate ?? null, baseline: v.baseline ? path.resolve(dir, v.baseline) : null };
}
