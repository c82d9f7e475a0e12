import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { describeError, errorDetail } from './errors';

/** The toasts the extension shows; tests inside VS Code replace it to read and answer them. */
export interface MessageUi {
  showErrorMessage(message: string, ...items: string[]): Thenable<string | undefined>;
  showWarningMessage(message: string, ...items: string[]): Thenable<string | undefined>;
  showInformationMessage(message: string, ...items: string[]): Thenable<string | undefined>;
}

/**
 * Every error the extension shows a person goes through `error`: the whole error (stack, causes) goes to
 * the "Ascend Adapt" log, the toast says what failed in one line and offers "Show Log" (plus the caller's
 * own actions). Warnings about something that went wrong (a failed job, a bad setting) offer it too.
 */
export class Notifier {
  ui: MessageUi = vscode.window;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Shows `message` (or the error's own) as an error with "Show Log"; resolves to the action picked. */
  error(message: string | undefined, error?: unknown, ...actions: string[]): Promise<string | undefined> {
    const text = message ?? l10n.t('Ascend: {0}', describeError(error));
    this.log.error(error === undefined ? text : `${text}\n${errorDetail(error)}`);
    return this.show('error', text, actions);
  }

  /** A warning about something that went wrong: logged, with "Show Log". */
  warn(message: string, ...actions: string[]): Promise<string | undefined> {
    this.log.warn(message);
    return this.show('warning', message, actions);
  }

  info(message: string, ...actions: string[]): Thenable<string | undefined> {
    return this.ui.showInformationMessage(message, ...actions);
  }

  showLog(): void {
    this.log.show(true);
  }

  private async show(kind: 'error' | 'warning', text: string, actions: string[]): Promise<string | undefined> {
    const showLog = l10n.t('Show Log');
    const items = [...actions, showLog];
    try {
      const pick = await (kind === 'error' ? this.ui.showErrorMessage(text, ...items) : this.ui.showWarningMessage(text, ...items));
      if (pick === showLog) this.showLog();
      return pick;
    } catch (e) {
      // A toast that cannot be shown (window closing) must not turn into an unhandled rejection.
      this.log.warn(`could not show "${text}": ${describeError(e)}`);
      return undefined;
    }
  }
}
