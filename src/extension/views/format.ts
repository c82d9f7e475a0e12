import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { CheckStatus } from '../../core/checks/report';
import type { ServingJobRecord } from '../../core/serving/job';

/** Small rendering helpers shared by the views (all strings localised here). */

export function statusIcon(s: CheckStatus): vscode.ThemeIcon {
  switch (s) {
    case 'pass':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'warn':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    case 'fail':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  }
}

export function statusWord(s: CheckStatus): string {
  switch (s) {
    case 'pass':
      return l10n.t('passed');
    case 'warn':
      return l10n.t('warning');
    case 'fail':
      return l10n.t('failed');
    default:
      return l10n.t('skipped');
  }
}

export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  for (const s of ['fail', 'warn', 'pass'] as const) if (statuses.includes(s)) return s;
  return 'skip';
}

export { bar, gb } from './text';

/** Local time of an ISO stamp, with the date when it is not today. */
export function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

export function stateText(s: ServingJobRecord['state']): string {
  switch (s) {
    case 'starting':
      return l10n.t('starting');
    case 'ready':
      return l10n.t('ready');
    case 'failed':
      return l10n.t('failed');
    case 'stopped':
      return l10n.t('stopped');
    default:
      return l10n.t('exited');
  }
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
