import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CHECK_FILE_COMMAND, DOCUMENT_SELECTOR } from '../server/protocol';
import { registerCommand } from './commands';
import type { Ctx } from './ctx';

/**
 * The language client for dist/server.js (NPU operator-support diagnostics, hovers, quick fixes). It is
 * started after activation returns, never awaited by it; a server that fails to start is logged and
 * reported, and the commands stay registered (they say what went wrong instead of "command not found").
 * The server only reads documents: nothing a workspace file contains is run, so it also works in
 * untrusted workspaces.
 */
/** The `ascendAdapt.lint.*` settings as the server's LintSettings object. */
export function lintSettings(ctx: Ctx): Record<string, unknown> {
  const s = ctx.config.settings;
  return {
    enable: s['lint.enable'],
    include: s['lint.include'],
    exclude: s['lint.exclude'],
    chip: s['lint.chip'],
    longContextThreshold: s['lint.longContextThreshold'],
    maxFileSizeKB: s['lint.maxFileSizeKB'],
  };
}

export class Lsp implements vscode.Disposable {
  client?: LanguageClient;
  private starting?: Promise<LanguageClient | undefined>;
  /** Why the last start failed, if it did. */
  startError?: string;
  private readonly output: vscode.LogOutputChannel;

  constructor(private readonly ctx: Ctx) {
    this.output = ctx.own(vscode.window.createOutputChannel(vscode.l10n.t('Ascend Adapt Language Server'), { log: true }));
  }

  /** Starts the server once (concurrent callers share the start). Never throws. */
  start(): Promise<LanguageClient | undefined> {
    if (this.client?.state === State.Running) return Promise.resolve(this.client);
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<LanguageClient | undefined> {
    if (!this.ctx.config.settings['lint.enable']) {
      this.startError = vscode.l10n.t('NPU checks are turned off (ascendAdapt.lint.enable).');
      return undefined;
    }
    const module = this.ctx.extension.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      // The server pulls `ascendAdapt.lint` with workspace/configuration; the first values travel with
      // initialize so the first diagnostics already use them.
      initializationOptions: { settings: lintSettings(this.ctx) },
      diagnosticPullOptions: { onChange: true, onSave: true, onTabs: false },
    };
    const client = new LanguageClient('ascendAdapt', vscode.l10n.t('Ascend Adapt Language Server'), serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
      this.startError = undefined;
      this.ctx.log.info('language server started');
      return client;
    } catch (e) {
      this.startError = e instanceof Error ? e.message : String(e);
      this.ctx.log.error(`language server failed to start: ${this.startError}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('The Ascend Adapt language server did not start: {0}', this.startError));
      return undefined;
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c && c.state !== State.Stopped) await c.stop().catch(() => undefined);
  }

  dispose(): void {
    void this.stop();
  }
}

export function registerLanguageClient(ctx: Ctx): void {
  const lsp = ctx.own(new Lsp(ctx));
  ctx.lsp = lsp;
  ctx.own(
    ctx.config.onDidChange(async (s) => {
      if (s['lint.enable'] && !lsp.client) void lsp.start();
      else if (!s['lint.enable'] && lsp.client) await lsp.stop();
    }),
  );
  // Not awaited: activation returns at once, the server comes up in the background.
  void lsp.start();

  registerCommand(ctx, 'ascend.lint.checkFile', async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a Python patch, mapping, quant_model_description.json or serving script first.'));
      return undefined;
    }
    const client = await lsp.start();
    if (!client) throw new Error(vscode.l10n.t('the language server is not running: {0}', lsp.startError ?? '?'));
    const r = (await client.sendRequest(ExecuteCommandRequest.type, { command: CHECK_FILE_COMMAND, arguments: [uri.toString()] })) as
      | { errors: number; warnings: number; information: number }
      | undefined;
    if (!r) return undefined;
    const name = vscode.workspace.asRelativePath(uri);
    const text = vscode.l10n.t('NPU checks of {0}: {1} errors, {2} warnings, {3} notes.', name, r.errors, r.warnings, r.information);
    if (r.errors + r.warnings + r.information > 0) {
      const show = vscode.l10n.t('Show Problems');
      void vscode.window.showWarningMessage(text, show).then((p) => p === show && vscode.commands.executeCommand('workbench.actions.view.problems'));
    } else {
      void vscode.window.showInformationMessage(text);
    }
    return r;
  });

  registerCommand(ctx, 'ascend.lint.restart', async () => {
    await lsp.stop();
    const c = await lsp.start();
    if (!c) throw new Error(vscode.l10n.t('the language server is not running: {0}', lsp.startError ?? '?'));
    return c.state === State.Running;
  });
}
