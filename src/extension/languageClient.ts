import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CHECK_FILE_COMMAND, DOCUMENT_SELECTOR, HOST_ENVIRONMENT_NOTIFICATION } from '../server/protocol';
import { uri } from './args';
import type { Commands } from './commands';
import type { Config } from './config';
import type { Notifier } from './notify';
import type { RestartableScope } from './scope';
import type { Settings } from './settings';

/**
 * The language client for dist/server.js (NPU operator-support diagnostics, hovers, quick fixes). It is
 * started after activation returns, never awaited by it; a server that fails to start is logged and
 * reported, and the commands stay registered (they say what went wrong instead of "command not found").
 * The client lives in the client scope: a restart or `lint.enable: false` ends it and what hangs off it.
 * The server only reads documents: nothing a workspace file contains is run, so it also works in
 * untrusted workspaces.
 */

/** The `ascendAdapt.lint.*` settings as the server's LintSettings object. */
export function lintSettings(s: Settings): Record<string, unknown> {
  return {
    enable: s['lint.enable'],
    include: s['lint.include'],
    exclude: s['lint.exclude'],
    chip: s['lint.chip'],
    longContextThreshold: s['lint.longContextThreshold'],
    maxFileSizeKB: s['lint.maxFileSizeKB'],
    torchNpuVersion: s['lint.torchNpuVersion'],
    extraPaths: s['lint.extraPaths'],
  };
}

export interface LspDeps {
  config: Config;
  log: vscode.LogOutputChannel;
  notifier: Notifier;
  /** The server's own output channel (kept across restarts). */
  output: vscode.LogOutputChannel;
  /** dist/server.js */
  serverModule: string;
  /** Ended on every stop / restart. */
  clientScope: RestartableScope;
  /** torch_npu of the host from the newest environment check, and when that changes (the server checks op signatures against it). */
  hostTorchNpu?: { current(): string | undefined; onDidChange: vscode.Event<unknown> };
}

export class Lsp implements vscode.Disposable {
  client?: LanguageClient;
  private starting?: Promise<LanguageClient | undefined>;
  /** Why the last start failed, if it did. */
  startError?: string;
  private readonly configSub: vscode.Disposable;

  constructor(private readonly d: LspDeps) {
    this.configSub = d.config.onDidChange(async (s) => {
      if (s['lint.enable'] && !this.client) void this.start();
      else if (!s['lint.enable'] && this.client) await this.stop();
    });
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
    const { config, log, notifier } = this.d;
    if (!config.settings['lint.enable']) {
      this.startError = l10n.t('NPU checks are turned off (ascendAdapt.lint.enable).');
      return undefined;
    }
    const module = this.d.serverModule;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.d.output,
      // The server pulls `ascendAdapt.lint` with workspace/configuration; the first values travel with
      // initialize so the first diagnostics already use them.
      initializationOptions: { settings: lintSettings(config.settings), hostTorchNpu: this.d.hostTorchNpu?.current() },
      diagnosticPullOptions: { onChange: true, onSave: true, onTabs: false },
    };
    const client = new LanguageClient('ascendAdapt', l10n.t('Ascend Adapt Language Server'), serverOptions, clientOptions);
    this.client = client;
    this.d.clientScope.own({ dispose: () => (client.state === State.Stopped ? undefined : client.stop()) });
    try {
      await client.start();
      this.startError = undefined;
      log.info('language server started');
      const host = this.d.hostTorchNpu;
      if (host) this.d.clientScope.own(host.onDidChange(() => void client.sendNotification(HOST_ENVIRONMENT_NOTIFICATION, { torchNpu: host.current() })));
      return client;
    } catch (e) {
      this.startError = e instanceof Error ? e.message : String(e);
      void notifier.error(l10n.t('The Ascend Adapt language server did not start: {0}', this.startError), e);
      return undefined;
    }
  }

  /** Stops the client and ends everything registered for this start. */
  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c && c.state !== State.Stopped) await c.stop().catch((e: unknown) => this.d.log.warn(`language server stop: ${String(e)}`));
    this.d.clientScope.reset();
  }

  dispose(): void {
    this.configSub.dispose();
    void this.stop();
  }
}

export function registerLintCommands(commands: Commands, lsp: Lsp, notifier: Notifier): void {
  commands.register('ascend.lint.checkFile', [uri.optional()], async (given) => {
    const file = given ?? vscode.window.activeTextEditor?.document.uri;
    if (!file) {
      void notifier.info(l10n.t('Open a Python patch, mapping, quant_model_description.json or serving script first.'));
      return undefined;
    }
    const client = await lsp.start();
    if (!client) throw new Error(l10n.t('the language server is not running: {0}', lsp.startError ?? '?'));
    const r = (await client.sendRequest(ExecuteCommandRequest.type, { command: CHECK_FILE_COMMAND, arguments: [file.toString()] })) as
      | { errors: number; warnings: number; information: number }
      | undefined;
    if (!r) return undefined;
    const name = vscode.workspace.asRelativePath(file);
    const text = l10n.t('NPU checks of {0}: {1} errors, {2} warnings, {3} notes.', name, r.errors, r.warnings, r.information);
    if (r.errors + r.warnings + r.information > 0) {
      const show = l10n.t('Show Problems');
      void vscode.window.showWarningMessage(text, show).then((p) => p === show && vscode.commands.executeCommand('workbench.actions.view.problems'));
    } else {
      void notifier.info(text);
    }
    return r;
  });

  commands.register('ascend.lint.restart', [], async () => {
    await lsp.stop();
    const c = await lsp.start();
    if (!c) throw new Error(l10n.t('the language server is not running: {0}', lsp.startError ?? '?'));
    return c.state === State.Running;
  });
}
