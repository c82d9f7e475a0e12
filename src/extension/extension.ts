import * as vscode from 'vscode';

// Placeholder activation while the foundation is laid; replaced by the extension wiring (issue 2).
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.window.createOutputChannel('Ascend Adapt', { log: true }));
}

export function deactivate(): void {
  /* nothing */
}
