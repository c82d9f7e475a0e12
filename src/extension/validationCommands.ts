import * as l10n from '@vscode/l10n';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Report } from '../core/report/schema';
import type { StepId, StepSelection } from '../core/validate';
import { figureRef, stepRef, validateRunOptions } from './args';
import type { Commands } from './commands';
import type { Notifier } from './notify';
import type { Reports } from './reports';
import type { RunView, StepView, Validation } from './validation';
import type { Node, Views } from './views';
import { duration } from './views/format';
import { ValidationMessageNode, ValidationProfileNode, ValidationReportNode, ValidationServerNode, ValidationStepNode, phaseWord, type StepText } from './views/validation';

/**
 * The Validation view and its commands: run all, run from a step, run one step again, stop, the active
 * profile, a step's log (at its line) and evidence, the report; plus the status-bar item that shows the
 * running step and the elapsed time. Every action is also in the command palette (it asks for the step).
 */

export interface ValidationFeature {
  validation: Validation;
  reports: Reports;
  views: Views;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  status: ValidationStatusBar;
}

/** Report sections whose figures and evidence belong to a step. */
const SECTIONS: Partial<Record<StepId, string[]>> = {
  env: ['hosts'],
  quantize: ['adaptation'],
  analysis: ['model', 'adaptation'],
  serve: ['serving'],
  smoke: ['smoke'],
  accuracy: ['accuracy'],
  perf: ['performance'],
  stop: ['serving'],
};

/** The running validation in the status bar: its step and elapsed time; clicking reveals the view. */
export class ValidationStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('ascend.validation', vscode.StatusBarAlignment.Left, 9);
  private timer: NodeJS.Timeout | undefined;
  private readonly sub: vscode.Disposable;

  /** Step titles come from the view once it has loaded them (the step id until then). */
  text: () => StepText | undefined = () => undefined;

  constructor(private readonly validation: Validation) {
    this.item.name = l10n.t('Ascend: validation');
    this.item.command = 'ascend.validation.focus';
    this.sub = validation.onDidChange(() => this.update());
  }

  update(): void {
    const run = this.validation.last;
    if (!run?.running) {
      this.item.hide();
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const t = this.text();
    const step = run.current ? (t?.title(run.current) ?? run.current) : l10n.t('starting');
    const total = run.steps.length;
    const index = run.current ? run.steps.findIndex((s) => s.id === run.current) + 1 : 0;
    const spent = duration(Date.now() - run.startedAt);
    this.item.text = `$(sync~spin) ${run.stopping ? l10n.t('Stopping validation…') : l10n.t('Validation: {0} ({1}/{2}) · {3}', step, index, total, spent)}`;
    this.item.tooltip = l10n.t('Validation of {0} on {1}: click to show the steps.', run.profile, run.hostLabel);
    this.item.accessibilityInformation = { label: l10n.t('Validation of {0}: step {1}, running for {2}', run.profile, step, spent) };
    this.item.show();
    this.timer ??= setInterval(() => this.update(), 1000);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.sub.dispose();
    this.item.dispose();
  }
}

export function registerValidationCommands(commands: Commands, d: ValidationFeature): vscode.Disposable {
  const { validation, notifier } = d;
  const tree = d.views.trees['ascend.validation'];
  const view = d.views.views['ascend.validation'];
  let text: StepText | undefined;
  const loadText = async (): Promise<StepText> => {
    if (text) return text;
    const { stepName } = await import('../core/report/format');
    const { translator, currentLanguage } = await import('../core/l10n');
    const t = translator(currentLanguage());
    return (text = { t, title: (id) => stepName(t, id) });
  };

  tree.setRoots(async () => roots(d, await loadText()));
  d.status.text = () => text;
  // The running step's elapsed time moves in the view too.
  const ticker = setInterval(() => {
    if (validation.isRunning && view.visible) tree.refresh();
  }, 1000);
  const subs: vscode.Disposable[] = [
    { dispose: () => clearInterval(ticker) },
    validation.onDidChange(() => {
      tree.refresh();
      void vscode.commands.executeCommand('setContext', 'ascend.validation.running', validation.isRunning);
      void vscode.commands.executeCommand('setContext', 'ascend.validation.serverUp', validation.keptServer !== undefined);
    }),
    vscode.workspace.onDidSaveTextDocument((doc) => path.basename(doc.fileName) === 'ascend-adapt.json' && tree.refresh()),
  ];
  view.message = undefined;

  const pickProfile = async (placeHolder: string): Promise<string | undefined> => {
    const cfg = await validation.loadConfig();
    const names = cfg ? Object.keys(cfg.config.profiles) : [];
    const create = { label: `$(new-file) ${l10n.t('New Serving Profile…')}`, create: true as const };
    if (names.length === 0) {
      const pick = await notifier.info(l10n.t('No serving profile yet: a validation runs a profile of ascend-adapt.json.'), l10n.t('New Serving Profile'));
      if (pick) return vscode.commands.executeCommand<string | undefined>('ascend.serve.createProfile');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { name?: string; create?: true }>(
      [...names.map((n) => ({ label: n, description: cfg!.config.profiles[n].description ?? cfg!.config.profiles[n].modelPath, name: n, picked: n === validation.activeProfile })), create],
      { placeHolder },
    );
    if (!picked) return undefined;
    const name = picked.create ? await vscode.commands.executeCommand<string | undefined>('ascend.serve.createProfile') : picked.name;
    if (name) await validation.setActiveProfile(name);
    return name;
  };

  /** The active profile, else the only one, else the user's pick. */
  const profileToRun = async (given?: string): Promise<string | undefined> => {
    if (given) return given;
    const cfg = await validation.loadConfig();
    const names = cfg ? Object.keys(cfg.config.profiles) : [];
    const active = validation.activeProfile;
    if (active && names.includes(active)) return active;
    if (names.length === 1) {
      await validation.setActiveProfile(names[0]);
      return names[0];
    }
    return pickProfile(l10n.t('Validate which profile?'));
  };

  const pickStep = async (given: StepId | undefined, placeHolder: string): Promise<StepId | undefined> => {
    const steps = await currentSteps(d);
    if (given) {
      if (!steps.some((s) => s.id === given)) throw new Error(l10n.t('No validation step {0} in this run (steps: {1}).', given, steps.map((s) => s.id).join(', ')));
      return given;
    }
    const t = await loadText();
    return (await vscode.window.showQuickPick(steps.map((s) => ({ label: t.title(s.id), description: phaseWord(s.phase), id: s.id })), { placeHolder }))?.id;
  };

  const start = async (selection: StepSelection, given?: string): Promise<ReturnType<typeof summary> | undefined> => {
    const name = await profileToRun(given ?? (selection.kind === 'all' ? undefined : validation.last?.profile));
    if (!name) return undefined;
    if (validation.isRunning) {
      const stop = l10n.t('Stop Validation');
      if ((await notifier.info(l10n.t('A validation is already running.'), stop)) === stop) await validation.stop();
      return undefined;
    }
    void vscode.commands.executeCommand('ascend.validation.focus');
    return summary(await validation.run(name, selection));
  };

  commands.register('ascend.validate.run', [validateRunOptions.optional()], (o) => start({ kind: 'all' }, o?.profile));

  commands.register('ascend.validate.runFrom', [stepRef.optional()], async (given) => {
    const id = await pickStep(given, l10n.t('Run the validation from which step?'));
    return id ? start({ kind: 'from', step: id }) : undefined;
  });

  commands.register('ascend.validate.rerunStep', [stepRef.optional()], async (given) => {
    const id = await pickStep(given, l10n.t('Run which step again?'));
    return id ? start({ kind: 'only', steps: [id] }) : undefined;
  });

  commands.register('ascend.validate.stop', [], async () => {
    if (!validation.isRunning) {
      void notifier.info(l10n.t('No validation is running.'));
      return undefined;
    }
    return summary(await validation.stop());
  });

  commands.register('ascend.validate.stopServer', [], async () => {
    if (!validation.keptServer) {
      void notifier.info(l10n.t('No server of a validation run is up.'));
      return undefined;
    }
    return start({ kind: 'only', steps: ['stop'] });
  });

  commands.register('ascend.validate.pickProfile', [], () => pickProfile(l10n.t('Validation profile')));

  commands.register('ascend.validate.openReport', [], async () => {
    const r = validation.last?.report;
    if (!r) {
      void notifier.info(l10n.t('No validation has written a report yet: run "Ascend: Run Validation".'));
      return undefined;
    }
    await d.reports.open([vscode.Uri.file(r.jsonFile)]);
    return r.jsonFile;
  });

  commands.register('ascend.validate.openStepLog', [stepRef.optional()], async (given) => {
    const id = await pickStep(given, l10n.t('Open the log of which step?'));
    if (!id) return undefined;
    const spot = await stepLog(d, id);
    if (!spot) {
      void notifier.info(l10n.t('This step has no log yet: run the validation first.'));
      return undefined;
    }
    const editor = await d.reports.evidenceEditor.show(spot);
    return { file: editor.document.uri.fsPath, line: editor.selection.active.line + 1 };
  });

  commands.register('ascend.validate.openStepEvidence', [stepRef.optional(), figureRef.optional()], async (given, figureId) => {
    const id = await pickStep(given, l10n.t('Open the evidence of which step?'));
    if (!id) return undefined;
    const last = validation.lastReport;
    const items = last ? stepEvidence(last.report, id) : [];
    if (!last || items.length === 0) {
      void notifier.info(l10n.t('No evidence recorded for this step.'));
      return undefined;
    }
    const t = await loadText();
    const pick = figureId ? items.find((i) => i.figureId === figureId) : items.length === 1 ? items[0] : await vscode.window.showQuickPick(items.map((i) => ({ ...i, label: i.label, description: i.detail })), { placeHolder: l10n.t('Evidence of {0}', t.title(id)) });
    if (!pick) return undefined;
    const uri = pick.figureId ? await d.reports.showFigureEvidence(last.file, last.report, pick.figureId) : await d.reports.showEvidence(last.file, last.report.evidence.find((e) => e.id === pick.evidenceId)!);
    if (!uri) return undefined;
    const editor = vscode.window.activeTextEditor;
    return { file: uri.fsPath, line: editor ? editor.selection.active.line + 1 : null, selected: editor ? editor.document.getText(editor.selection) : null };
  });

  return vscode.Disposable.from(...subs);
}

/** The commands' return value (tests and tasks read it). */
function summary(v: RunView | undefined) {
  if (!v) return undefined;
  return {
    profile: v.profile,
    outDir: v.outDir,
    report: v.report?.jsonFile ?? null,
    verdict: v.report?.verdict ?? null,
    interrupted: v.interrupted,
    error: v.error,
    steps: v.steps.map((s) => ({ id: s.id, phase: s.phase, reason: s.reason, durationMs: s.durationMs, figures: s.figures })),
  };
}

async function currentSteps(d: ValidationFeature): Promise<StepView[]> {
  const v = d.validation;
  if (v.last && (!v.activeProfile || v.last.profile === v.activeProfile)) return v.last.steps;
  const name = v.activeProfile;
  if (!name) return [];
  const { profile } = await v.profile(name);
  return (await v.plannedSteps(profile)).map((id) => ({ id, phase: 'pending', reason: null, progress: null, startedAt: null, durationMs: null, figures: [], logLine: null, reused: false }));
}

async function roots(d: ValidationFeature, text: StepText): Promise<Node[]> {
  const v = d.validation;
  const cfg = await v.loadConfig().catch(() => undefined);
  const names = cfg ? Object.keys(cfg.config.profiles) : [];
  // No profile at all: the welcome text (with "New Serving Profile") shows instead of rows.
  if (names.length === 0 && !v.last) return [];
  const active = v.activeProfile && names.includes(v.activeProfile) ? v.activeProfile : names.length === 1 ? names[0] : v.last?.profile;
  const run = v.last && v.last.profile === active ? v.last : undefined;
  const p = active ? cfg?.config.profiles[active] : undefined;
  // A multi-node profile runs on its nodes, named in order (the head first).
  const where = run?.hostLabel ?? (p?.nodes?.length ? p.nodes.map((n) => n.host).join(', ') : (p?.host ?? undefined));
  const out: Node[] = [new ValidationProfileNode(active, where, run?.simulated ?? Boolean(p?.simRoot || p?.host === 'sim' || p?.nodes?.some((n) => n.simRoot)))];
  let steps: StepView[] = run?.steps ?? [];
  if (!run && active) {
    try {
      steps = await currentSteps(d);
    } catch (e) {
      out.push(new ValidationMessageNode(e instanceof Error ? e.message : String(e)));
    }
  }
  out.push(...steps.map((s) => new ValidationStepNode(run, s, text)));
  if (run?.report) out.push(new ValidationReportNode(run));
  const server = v.keptServer;
  if (server && run) out.push(new ValidationServerNode(server.jobId, server.endpoint));
  if (run?.error) out.push(new ValidationMessageNode(run.error));
  return out;
}

interface EvidenceItem {
  label: string;
  detail: string;
  figureId?: string;
  evidenceId?: string;
}

/** A step's figures (with their values) and the evidence entries of its section that carry no figure. */
export function stepEvidence(report: Report, id: StepId): EvidenceItem[] {
  const sections = SECTIONS[id] ?? [id];
  const out: EvidenceItem[] = [];
  const walk = (v: unknown, p: string) => {
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.id === 'string' && 'value' in o && typeof o.evidence === 'string' && typeof o.unit === 'string') {
      out.push({ label: o.id, detail: `${o.value === null ? '—' : String(o.value)} ${o.unit}`.trim(), figureId: o.id });
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, `${p}.${k}`);
  };
  for (const s of sections) walk((report as unknown as Record<string, unknown>)[s], s);
  const extra: Array<string | undefined> =
    id === 'env' ? report.hosts.map((h) => h.evidence) : id === 'serve' ? [report.serving.apiCheck?.evidence] : id === 'analysis' ? [report.model.evidence ?? undefined] : [];
  for (const e of extra) {
    const ev = e ? report.evidence.find((x) => x.id === e) : undefined;
    if (ev) out.push({ label: path.basename(ev.copy ?? ev.file), detail: ev.kind, evidenceId: ev.id });
  }
  if (id === 'stop' || id === 'serve') {
    const log = report.evidence.find((e) => e.kind === 'log' && e.jobId === report.serving.jobId);
    if (log && !out.some((o) => o.evidenceId === log.id)) out.push({ label: path.basename(log.copy ?? log.file), detail: log.kind, evidenceId: log.id });
  }
  return out;
}

/**
 * Where a step's log is, at the right line: the server log at the line where it came up (serve, stop);
 * a host job's log (accuracy, perf, quantize …) copied here, at its last error line when the step failed,
 * else its end; otherwise the run log at the line where the step started.
 */
async function stepLog(d: ValidationFeature, id: StepId): Promise<{ file: string; line: number | null } | undefined> {
  const run = d.validation.last;
  const step = run?.steps.find((s) => s.id === id);
  if (!run || !step) return undefined;
  const kept = d.validation.keptRun;
  const report = kept?.report;
  if (kept && report) {
    const logEv = id === 'serve' || id === 'stop' ? report.evidence.find((e) => e.kind === 'log' && e.jobId === report.serving.jobId) : undefined;
    const jobId = logEv?.jobId ?? stepJobId(report, id);
    if (logEv?.copy && fs.existsSync(path.join(kept.outDir, logEv.copy))) return { file: path.join(kept.outDir, logEv.copy), line: logEv.line ?? null };
    if (jobId) {
      const file = await fetchJobLog(kept.transport, jobId, path.join(kept.outDir, 'logs', `${id}-${jobId}.log`)).catch((e: unknown) => {
        d.log.warn(`log of job ${jobId}: ${String(e)}`);
        return undefined;
      });
      if (file) return { file, line: logEv?.line ?? lineOfInterest(file, step.phase === 'fail') };
    }
  }
  if (!fs.existsSync(run.runLog)) return undefined;
  return { file: run.runLog, line: step.logLine };
}

function stepJobId(report: Report, id: StepId): string | null {
  const items = stepEvidence(report, id);
  for (const i of items) {
    const fig = i.figureId;
    const ev = fig ? report.evidence.find((e) => e.id === findFigureEvidence(report, fig)) : report.evidence.find((e) => e.id === i.evidenceId);
    if (ev?.jobId) return ev.jobId;
  }
  return null;
}

function findFigureEvidence(report: Report, figureId: string): string | undefined {
  let found: string | undefined;
  const walk = (v: unknown) => {
    if (found || typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.id === figureId && typeof o.evidence === 'string' && 'value' in o) found = o.evidence;
    else for (const x of Object.values(o)) walk(x);
  };
  walk(report);
  return found;
}

async function fetchJobLog(transport: import('../core/transport/transport').Transport, jobId: string, dest: string): Promise<string> {
  const { jobControl } = await import('../core/jobs/index');
  const jobs = jobControl().on(transport);
  const chunks: Buffer[] = [];
  for (let off = 0; ; ) {
    const r = await jobs.readLog(jobId, off, 1 << 20);
    if (r.data.length === 0) break;
    chunks.push(r.data);
    off = r.offset;
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, Buffer.concat(chunks));
  return dest;
}

/** 1-based: the last line that looks like an error when the step failed, else the last line. */
function lineOfInterest(file: string, failed: boolean): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (failed) {
    for (let i = lines.length - 1; i >= 0; i--) if (/error|traceback|exception|failed/i.test(lines[i])) return i + 1;
  }
  return lines.length;
}
