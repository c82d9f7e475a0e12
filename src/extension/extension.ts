import * as vscode from 'vscode';
import { registerCoreCommands } from './commands';
import { Ctx } from './ctx';
import { registerEnvironment } from './envCommands';
import { registerEvaluation } from './evaluation';
import { registerHosts } from './hostCommands';
import { registerLanguageClient } from './languageClient';
import { registerReports } from './reports';
import { registerServing } from './serving';
import { registerViews } from './views';

/**
 * Activation only wires: it builds the context, registers commands and views, and returns. Nothing here
 * reads files synchronously, connects to a host or starts a process; those happen on first use.
 */
let ctx: Ctx | undefined;

export interface AscendApi {
  /** For the extension's own tests inside a real VS Code. */
  readonly ctx: Ctx;
}

export function activate(context: vscode.ExtensionContext): AscendApi {
  const started = Date.now();
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  registerCoreCommands(ctx);
  ctx.views = registerViews(ctx);
  registerHosts(ctx);
  registerEnvironment(ctx);
  registerServing(ctx);
  registerEvaluation(ctx);
  registerReports(ctx);
  // Last: even if the language server cannot start, every command above is registered.
  registerLanguageClient(ctx);
  ctx.log.info(`activated in ${Date.now() - started} ms (${vscode.env.appName} ${vscode.version}, remote: ${vscode.env.remoteName ?? 'none'})`);
  return { ctx };
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
