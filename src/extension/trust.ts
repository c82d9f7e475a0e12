import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';

/** Profiles decide what runs on a host: commands that run them need a trusted workspace. */
export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) {
    throw new Error(l10n.t('{0} runs programs that this workspace\'s ascend-adapt.json chooses: trust the workspace first (Manage Workspace Trust).', what));
  }
}
