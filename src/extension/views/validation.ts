import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { Translator } from '../../core/l10n';
import type { KeyFigure, StepId } from '../../core/validate';
import type { RunView, StepPhase, StepView } from '../validation';
import { duration, statusIcon, statusWord } from './format';
import type { Node } from './index';

/**
 * Validation view: the active profile, the run's steps in order with their state (a spinner and the
 * progress text while running), duration and key figures, then the report and a server left up for
 * re-runs. The state is always a word at the start of the description (never only an icon colour), and
 * rows with figures carry the whole line as their accessible label.
 */

/** What the nodes need to render that comes from lazily loaded core modules. */
export interface StepText {
  t: Translator;
  title(id: StepId): string;
}

/** A step's state in words and as an icon: the check statuses as every view shows them, plus the run's own. */
export function phaseWord(p: StepPhase): string {
  switch (p) {
    case 'pending':
      return l10n.t('pending');
    case 'running':
      return l10n.t('running');
    case 'interrupted':
      return l10n.t('interrupted');
    case 'pass':
    case 'warn':
    case 'fail':
    case 'skip':
      return statusWord(p);
    default:
      return l10n.t('not run');
  }
}

export function phaseIcon(p: StepPhase): vscode.ThemeIcon {
  switch (p) {
    case 'running':
      return new vscode.ThemeIcon('loading~spin');
    case 'interrupted':
      return new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('list.warningForeground'));
    case 'pending':
      return new vscode.ThemeIcon('circle-large-outline');
    case 'pass':
    case 'warn':
    case 'fail':
      return statusIcon(p);
    default:
      return statusIcon('skip');
  }
}

const num = (v: number, digits: number) => v.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** "GSM8K 95.8 % (−0.9)", "TTFT 125 ms, 0.94× GPU", "load time 12.3 s". */
export function figureText(f: KeyFigure): string {
  const label = f.label.replace(/\s*\((ms|s|%)\)$/, '');
  if (f.value === null) return `${label} —`;
  if (f.unit === 'count') return `${label} ${f.value}`;
  const digits = f.unit === '%' || f.unit === 's' ? 1 : Math.abs(f.value) >= 100 ? 0 : 2;
  let text = `${label} ${num(f.value, digits)} ${f.unit}`;
  if (f.unit === '%' && f.reference !== undefined && f.reference !== null) {
    const d = Math.round((f.value - f.reference) * 10) / 10;
    text += ` (${d > 0 ? '+' : d < 0 ? '−' : '±'}${num(Math.abs(d), 1)})`;
  } else if (f.ratio !== undefined && f.ratio !== null) {
    text += `, ${l10n.t('{0}× GPU', num(f.ratio, 2))}`;
  }
  return text;
}

function elapsed(s: StepView): number | null {
  if (s.phase === 'running' && s.startedAt !== null) return Date.now() - s.startedAt;
  return s.durationMs;
}

export class ValidationStepNode implements Node {
  constructor(
    readonly run: RunView | undefined,
    readonly step: StepView,
    private readonly text: StepText,
  ) {}

  /** The row's text without the title: state, duration, then figures, progress or the reason. */
  detail(): string {
    const s = this.step;
    const t = this.text.t;
    const parts = [phaseWord(s.phase)];
    const ms = elapsed(s);
    if (ms !== null && s.phase !== 'pending') parts.push(duration(ms));
    if (s.phase === 'running' && s.progress) parts.push(t.data(s.progress));
    if (s.figures.length) parts.push(s.figures.slice(0, 2).map(figureText).join(' · '));
    else if (s.reason && s.phase !== 'running') parts.push(t.data(s.reason));
    if (s.reused) parts.push(l10n.t('kept from the earlier run'));
    return parts.join(' · ');
  }

  item(): vscode.TreeItem {
    const s = this.step;
    const t = this.text.t;
    const title = this.text.title(s.id);
    const it = new vscode.TreeItem(title, vscode.TreeItemCollapsibleState.None);
    it.id = `validation:step:${s.id}`;
    it.description = this.detail();
    it.iconPath = phaseIcon(s.phase);
    it.contextValue = `ascend.validation.step.${s.phase}`;
    it.accessibilityInformation = { label: `${title}: ${this.detail()}`, role: 'treeitem' };
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${title}** — ${phaseWord(s.phase)}${this.run?.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    if (s.reason) md.appendText(`${t.data(s.reason)}\n\n`);
    if (s.progress && s.phase === 'running') md.appendText(`${t.data(s.progress)}\n\n`);
    for (const f of s.figures) md.appendMarkdown(`- ${escapeMd(figureText(f))}\n`);
    if (s.startedAt !== null) md.appendMarkdown(`\n${l10n.t('Started {0}', new Date(s.startedAt).toLocaleString())}`);
    const ms = elapsed(s);
    if (ms !== null) md.appendMarkdown(` · ${l10n.t('took {0}', duration(ms))}`);
    it.tooltip = md;
    return it;
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

export class ValidationProfileNode implements Node {
  constructor(
    readonly profile: string | undefined,
    private readonly where: string | undefined,
    private readonly simulated: boolean,
  ) {}

  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(this.profile ? l10n.t('Profile: {0}', this.profile) : l10n.t('No profile selected'), vscode.TreeItemCollapsibleState.None);
    it.id = 'validation:profile';
    it.description = [this.simulated ? l10n.t('SIMULATED') : '', this.where ?? ''].filter(Boolean).join(' · ') || l10n.t('click to choose');
    it.iconPath = new vscode.ThemeIcon('settings-gear');
    it.contextValue = 'ascend.validation.profile';
    it.tooltip = l10n.t('The serving profile (ascend-adapt.json) this validation runs. Click to choose another or create one.');
    it.command = { command: 'ascend.validate.pickProfile', title: l10n.t('Select Validation Profile') };
    return it;
  }
}

export class ValidationReportNode implements Node {
  constructor(readonly run: RunView) {}

  item(): vscode.TreeItem {
    const r = this.run.report!;
    const word = this.run.interrupted ? l10n.t('interrupted') : r.verdict === 'pass' ? l10n.t('passed') : r.verdict === 'fail' ? l10n.t('failed') : l10n.t('incomplete');
    const it = new vscode.TreeItem(l10n.t('Report'), vscode.TreeItemCollapsibleState.None);
    it.id = 'validation:report';
    it.description = [word, r.simulated ? l10n.t('SIMULATED') : '', this.run.endedAt ? new Date(this.run.endedAt).toLocaleString() : ''].filter(Boolean).join(' · ');
    it.iconPath = new vscode.ThemeIcon('file-text', r.verdict === 'pass' && !this.run.interrupted ? new vscode.ThemeColor('testing.iconPassed') : r.verdict === 'fail' ? new vscode.ThemeColor('testing.iconFailed') : undefined);
    it.accessibilityInformation = { label: `${l10n.t('Report')}: ${it.description}`, role: 'treeitem' };
    it.tooltip = r.jsonFile;
    it.resourceUri = vscode.Uri.file(r.jsonFile);
    it.contextValue = 'ascend.validation.report';
    it.command = { command: 'ascend.validate.openReport', title: l10n.t('Open Report') };
    return it;
  }
}

export class ValidationServerNode implements Node {
  constructor(readonly jobId: string, readonly endpoint: string | null) {}

  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(l10n.t('Server still running'), vscode.TreeItemCollapsibleState.None);
    it.id = 'validation:server';
    it.description = [l10n.t('job {0}', this.jobId), this.endpoint ?? ''].filter(Boolean).join(' · ');
    it.iconPath = new vscode.ThemeIcon('vm-running');
    it.tooltip = l10n.t('Left up for re-running a step. Stop it with "Ascend: Stop Validation Server" or run the Stop step.');
    it.contextValue = 'ascend.validation.server';
    return it;
  }
}

export class ValidationMessageNode implements Node {
  constructor(private readonly text: string) {}

  item(): vscode.TreeItem {
    const it = new vscode.TreeItem(l10n.t('Run failed'), vscode.TreeItemCollapsibleState.None);
    it.id = 'validation:error';
    it.description = this.text;
    it.tooltip = this.text;
    it.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    it.command = { command: 'ascend.showLog', title: l10n.t('Show Log') };
    return it;
  }
}
