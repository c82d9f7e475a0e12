import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { langOf, setProcessLanguage } from '../core/l10n';
import { ClusterServing } from './cluster';
import { registerClusterCommands } from './clusterCommands';
import { Commands } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';
import { registerEnvironmentCommands } from './envCommands';
import { EnvResults } from './envResults';
import { describeError } from './errors';
import { registerEvaluationCommands } from './evaluation';
import { HostStatusBar, registerHostCommands } from './hostCommands';
import { Hosts } from './hosts';
import { Lsp, registerLintCommands } from './languageClient';
import { Notifier } from './notify';
import { Profiling } from './profiling';
import { registerProfilingCommands } from './profilingCommands';
import { Quantizations } from './quantize';
import { registerQuantizeCommands } from './quantizeCommands';
import { registerReportCommands } from './reportCommands';
import { Reports } from './reports';
import { Serving } from './serving';
import { registerServingCommands } from './servingCommands';
import { Validation } from './validation';
import { AscendTaskProvider, registerTaskCommands, TASK_TYPE } from './tasks';
import { WorkspaceLint } from './workspaceLint';
import { registerValidationCommands, ValidationStatusBar } from './validationCommands';
import { Views } from './views';

/**
 * Activation only wires: it builds the services, each with the dependencies its constructor names, then
 * registers the commands and views of each feature, and returns. Nothing here reads files synchronously,
 * connects to a host or starts a process; the language client starts in the background, the rest on first
 * use. A feature that fails to start is reported (with "Show Log") and its commands still exist: they say
 * why instead of "command not found".
 */

/** The extension's services, built once in `activate`. */
export interface Services {
  readonly log: vscode.LogOutputChannel;
  readonly notifier: Notifier;
  readonly commands: Commands;
  readonly config: Config;
  readonly hosts: Hosts;
  readonly envResults: EnvResults;
  readonly views: Views;
  readonly statusBar: vscode.StatusBarItem;
  readonly serving: Serving;
  readonly clusters: ClusterServing;
  readonly quantize: Quantizations;
  readonly profiling: Profiling;
  readonly reports: Reports;
  readonly validation: Validation;
  readonly validationStatus: ValidationStatusBar;
  readonly tasks: AscendTaskProvider;
  readonly workspaceLint: WorkspaceLint;
  readonly lsp: Lsp;
}

export interface AscendApi {
  /** The disposal scopes (for the extension's own tests inside a real VS Code). */
  readonly ctx: Ctx;
  /** Undefined only when the services could not start (the log says why). */
  readonly services: Services | undefined;
  /** Why parts of the extension did not start; empty when everything did. */
  readonly startupProblems: readonly string[];
}

function createServices(ctx: Ctx, log: vscode.LogOutputChannel, notifier: Notifier, commands: Commands): Services {
  const ext = ctx.extension;
  const config = ctx.own(
    new Config((problems) => {
      for (const p of problems) void notifier.warn(l10n.t('Setting {0} is invalid ({1}); its default is used.', p.key, p.message));
    }),
  );
  const hosts = ctx.own(new Hosts(config, log, ext));
  const envResults = ctx.own(new EnvResults(ext.workspaceState, log));
  const views = ctx.own(new Views());
  const statusBar = ctx.own(new HostStatusBar(hosts));
  const serving = ctx.own(new Serving({ hosts, envResults, config, notifier, log, state: ext.workspaceState }));
  const clusters = ctx.own(new ClusterServing({ hosts, config, notifier, log, serving, state: ext.workspaceState }));
  const quantize = ctx.own(new Quantizations({ hosts, config, notifier, log, state: ext.workspaceState }));
  const profiling = ctx.own(new Profiling({ serving, hosts, notifier, log, state: ext.workspaceState }));
  const reports = ctx.own(new Reports(hosts, log, notifier, ext.globalStorageUri));
  const validation = ctx.own(
    new Validation({
      serving,
      clusters,
      notifier,
      log,
      state: ext.workspaceState,
      openReport: (uri) => reports.open([uri]),
      version: String(ext.extension.packageJSON.version),
    }),
  );
  const validationStatus = ctx.own(new ValidationStatusBar(validation));
  const tasks = new AscendTaskProvider({ hosts, config, cliPath: ext.asAbsolutePath('dist/cli.js'), loadConfig: () => serving.loadConfig(), log });
  const workspaceLint = ctx.own(
    new WorkspaceLint({ config, log, cliPath: ext.asAbsolutePath('dist/cli.js'), lintArgs: async (folder) => (await tasks.argv({ type: TASK_TYPE, command: 'lint' }, folder.uri.fsPath)).args }),
  );
  const lsp = ctx.own(
    new Lsp({
      config,
      log,
      notifier,
      output: ctx.own(vscode.window.createOutputChannel(l10n.t('Ascend Adapt Language Server'), { log: true })),
      serverModule: ext.asAbsolutePath('dist/server.js'),
      clientScope: ctx.clientSubscriptions,
      hostTorchNpu: { current: () => newestTorchNpu(envResults), onDidChange: envResults.onDidChange },
    }),
  );
  return { log, notifier, commands, config, hosts, envResults, views, statusBar: statusBar.item, serving, clusters, quantize, profiling, reports, validation, validationStatus, tasks, workspaceLint, lsp };
}

/** torch_npu of the most recent environment check that found one. */
function newestTorchNpu(envResults: EnvResults): string | undefined {
  const withVersion = envResults.all().filter((r) => r.report.versions.torch_npu);
  withVersion.sort((a, b) => (a.at < b.at ? 1 : -1));
  return withVersion[0]?.report.versions.torch_npu ?? undefined;
}

/** Registers each feature's commands and views; a feature that throws is reported, the others go on. */
function registerFeatures(ctx: Ctx, s: Services, problems: string[]): void {
  const ext = ctx.extension;
  const { commands, notifier, log } = s;
  const feature = (name: string, wire: () => vscode.Disposable | void) => {
    try {
      const d = wire();
      if (d) ctx.own(d);
    } catch (e) {
      problems.push(`${name}: ${describeError(e)}`);
      void notifier.error(l10n.t('Ascend Adapt: {0} did not start: {1}', name, describeError(e)), e);
    }
  };
  feature('hosts', () => registerHostCommands(commands, { hosts: s.hosts, envResults: s.envResults, config: s.config, views: s.views, notifier, log, cliPath: ext.asAbsolutePath('dist/cli.js') }));
  feature('environment', () =>
    registerEnvironmentCommands(commands, {
      hosts: s.hosts,
      envResults: s.envResults,
      config: s.config,
      views: s.views,
      notifier,
      log,
      toolName: `ascend-adapt ${String(ext.extension.packageJSON.version)} (VS Code)`,
      storageUri: ext.globalStorageUri,
    }),
  );
  feature('serving', () => registerServingCommands(commands, { serving: s.serving, clusters: s.clusters, hosts: s.hosts, views: s.views, notifier, log }));
  feature('multi-node serving', () => registerClusterCommands(commands, { clusters: s.clusters, views: s.views, log }));
  feature('quantization', () => registerQuantizeCommands(commands, { quantize: s.quantize, hosts: s.hosts, views: s.views, notifier }));
  feature('profiling', () => registerProfilingCommands(commands, { profiling: s.profiling, views: s.views, notifier }));
  feature('evaluation', () => registerEvaluationCommands(commands, { serving: s.serving, clusters: s.clusters, state: ext.workspaceState, hosts: s.hosts, config: s.config, notifier, pythonDir: ext.asAbsolutePath('python') }));
  feature('reports', () => registerReportCommands(commands, { reports: s.reports, hosts: s.hosts, views: s.views, notifier }));
  feature('tasks', () => registerTaskCommands(commands, s.tasks));
  // Not at activation: the first background lint of the workspace starts a few seconds later.
  feature('workspace lint', () => s.workspaceLint.schedule(3000));
  feature('walkthrough', () => {
    commands.register('ascend.walkthrough.open', [], () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ext.extension.id}#ascend.gettingStarted`, false));
  });
  feature('validation', () => registerValidationCommands(commands, { validation: s.validation, reports: s.reports, views: s.views, notifier, log, status: s.validationStatus }));
  feature('language server', () => {
    registerLintCommands(commands, s.lsp, notifier);
    // Not awaited: activation returns at once, the server comes up in the background.
    void s.lsp.start();
  });
}

let current: AscendApi | undefined;

export function activate(context: vscode.ExtensionContext): AscendApi {
  const started = performance.now();
  // Strings speak VS Code's display language when VS Code loaded our bundle for it (as it does our
  // package.nls for menus and titles): zh-cn → zh-CN; a language we do not translate (zh-tw …) stays English
  // rather than mixing Simplified Chinese strings into an English UI.
  setProcessLanguage(vscode.l10n.bundle ? langOf(vscode.env.language) : 'en', vscode.l10n.bundle);
  const log = vscode.window.createOutputChannel('Ascend Adapt', { log: true });
  const ctx = new Ctx(context, (what, e) => log.error(`${what}: ${describeError(e)}`));
  context.subscriptions.push(ctx);
  ctx.own(log);
  const notifier = new Notifier(log);
  const commands = new Commands(ctx.subscriptions, notifier);
  commands.register('ascend.showLog', [], () => log.show(true));

  const problems: string[] = [];
  let services: Services | undefined;
  try {
    services = createServices(ctx, log, notifier, commands);
  } catch (e) {
    problems.push(`services: ${describeError(e)}`);
    void notifier.error(l10n.t('Ascend Adapt did not start: {0}', describeError(e)), e);
  }
  if (services) registerFeatures(ctx, services, problems);
  // Every contributed command exists, whatever failed above.
  const contributed = ((context.extension.packageJSON as { contributes?: { commands?: Array<{ command: string }> } }).contributes?.commands ?? []).map((c) => c.command);
  const unavailable = commands.registerUnavailable(contributed, () => l10n.t('This part of Ascend Adapt did not start ({0}).', problems.join('; ')));
  if (unavailable.length) log.warn(`commands unavailable after a start-up failure: ${unavailable.join(', ')}`);
  log.info(`activated in ${Math.round(performance.now() - started)} ms (${vscode.env.appName} ${vscode.version}, remote: ${vscode.env.remoteName ?? 'none'})`);
  current = { ctx, services, startupProblems: problems };
  return current;
}

export async function deactivate(): Promise<void> {
  const c = current;
  current = undefined;
  // Awaited, so the language server is asked to shut down before the extension host goes.
  await c?.services?.lsp.stop();
  c?.ctx.dispose();
}
