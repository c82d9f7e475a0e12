import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { AscendAdaptConfig, NamedProfile } from '../core/profiles/schema';
import type { Config } from './config';
import { uri } from './args';
import type { Commands } from './commands';
import { LOCAL_ID, SIM_ID, type Hosts } from './hosts';

/**
 * VS Code tasks of type "ascend-adapt": the CLI in a terminal (its own output, exit code and Ctrl-C), so a
 * validation, an environment check or a lint run can go in tasks.json, get a key binding and run before a
 * launch. `$ascend-adapt-lint` turns `ascend-adapt lint` lines (FILE:LINE:COL: SEVERITY [CODE] MESSAGE) into
 * Problems. The command line is built from the definition, the workspace's ascend-adapt.json and the
 * active host here, as an argv (no shell): the same flags a person would type.
 */

export const TASK_TYPE = 'ascend-adapt';

/** CLI commands a task can run (each must exist in src/cli/commands; a unit test checks). */
export const TASK_COMMANDS = ['validate', 'env-check', 'lint', 'perf', 'accuracy', 'serve', 'quantize', 'profile'] as const;
export type TaskCommand = (typeof TASK_COMMANDS)[number];

/** Commands that act on a profile of ascend-adapt.json. */
const PROFILE_COMMANDS: ReadonlySet<TaskCommand> = new Set(['validate', 'perf', 'accuracy', 'serve', 'quantize', 'profile']);

/** A task definition from tasks.json (or one we provide), checked before anything runs. */
export const taskDefinition = z.strictObject({
  type: z.literal(TASK_TYPE),
  command: z.enum(TASK_COMMANDS),
  profile: z.string().trim().min(1).optional(),
  host: z.string().trim().min(1).optional(),
  paths: z.array(z.string().min(1)).optional(),
  args: z.array(z.string()).optional(),
});
export type AscendTaskDefinition = z.infer<typeof taskDefinition>;

export interface TaskDeps {
  hosts: Hosts;
  config: Config;
  /** dist/cli.js of this extension. */
  cliPath: string;
  /** The workspace's ascend-adapt.json. */
  loadConfig(): Promise<{ file: vscode.Uri; config: AscendAdaptConfig } | undefined>;
  log: vscode.LogOutputChannel;
}

export class AscendTaskProvider implements vscode.TaskProvider {
  constructor(private readonly d: TaskDeps) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return [];
    const out: vscode.Task[] = [];
    const add = async (def: AscendTaskDefinition) => {
      const t = await this.build(def, folder).catch((e: unknown) => {
        this.d.log.info(`task ${def.command}${def.profile ? ` ${def.profile}` : ''} not offered: ${String(e)}`);
        return undefined;
      });
      if (t) out.push(t);
    };
    await add({ type: TASK_TYPE, command: 'lint' });
    if (this.activeHost()) await add({ type: TASK_TYPE, command: 'env-check' });
    const cfg = await this.d.loadConfig();
    for (const [name, p] of Object.entries(cfg?.config.profiles ?? {})) {
      for (const command of ['validate', 'serve', 'accuracy', 'perf', 'quantize', 'profile'] as const) {
        if (command === 'accuracy' && !p.validation?.accuracy) continue;
        if (command === 'quantize' && !p.quantize) continue;
        if (command === 'profile' && !p.profiling) continue;
        await add({ type: TASK_TYPE, command, profile: name });
      }
    }
    return out;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const parsed = taskDefinition.safeParse(task.definition);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.d.log.warn(`tasks.json: an ${TASK_TYPE} task is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
      return undefined;
    }
    const folder = task.scope && typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const built = await this.build(parsed.data, folder, task.definition);
    // tasks.json keeps its own label and problem matchers; the execution is ours.
    return new vscode.Task(task.definition, folder, task.name, TASK_TYPE, built.execution, task.problemMatchers.length ? task.problemMatchers : built.problemMatchers);
  }

  private activeHost(): string | undefined {
    return this.d.hosts.activeId ?? (this.d.hosts.simDir ? SIM_ID : undefined);
  }

  /** --host ALIAS / --local / --sim DIR for a host id, plus the ssh files the settings name. */
  hostArgs(id: string): string[] {
    if (id === SIM_ID || id === 'sim') {
      const dir = this.d.hosts.simDir;
      if (!dir) throw new Error(l10n.t('No simulated Atlas host yet: run "Ascend: Create Simulated Atlas Host" first.'));
      return ['--sim', dir];
    }
    if (id === LOCAL_ID) return ['--local'];
    const s = this.d.config.settings;
    return ['--host', id.replace(/^ssh:/, ''), ...(s['ssh.configFile'] ? ['--ssh-config', s['ssh.configFile']] : []), ...(s['ssh.knownHostsFile'] ? ['--known-hosts', s['ssh.knownHostsFile']] : [])];
  }

  /** The CLI argv (after `ascend-adapt`) a definition stands for. */
  async argv(def: AscendTaskDefinition, cwd: string): Promise<{ args: string[]; cwd: string }> {
    const host = def.host ?? this.activeHost();
    if (def.command === 'lint') {
      const s = this.d.config.settings;
      const args = ['lint', ...(def.paths?.length ? def.paths : ['.'])];
      if (s['lint.chip']) args.push('--chip', s['lint.chip']);
      if (s['lint.torchNpuVersion']) args.push('--torch-npu', s['lint.torchNpuVersion']);
      for (const g of s['lint.include']) args.push('--include', g);
      for (const g of s['lint.exclude']) args.push('--exclude', g);
      for (const p of s['lint.extraPaths']) args.push('--extra-path', p);
      return { args: [...args, ...(def.args ?? [])], cwd };
    }
    if (def.command === 'env-check') {
      if (!host) throw new Error(l10n.t('No active host: select one with "Ascend: Select Active Host" or name it in the task ("host").'));
      return { args: ['env-check', ...this.hostArgs(host), ...(def.args ?? [])], cwd };
    }
    const cfg = await this.d.loadConfig();
    if (!cfg) throw new Error(l10n.t('No ascend-adapt.json in this workspace.'));
    const names = Object.keys(cfg.config.profiles);
    const name = def.profile ?? (names.length === 1 ? names[0] : undefined);
    if (!name) throw new Error(l10n.t('Say which profile the task runs ("profile" in tasks.json); profiles: {0}', names.join(', ') || '—'));
    const p = cfg.config.profiles[name];
    if (!p) throw new Error(l10n.t('No profile "{0}" in ascend-adapt.json (profiles: {1})', name, names.join(', ') || '—'));
    const profile: NamedProfile = { name, ...p };
    const configDir = path.dirname(cfg.file.fsPath);
    const where = def.host ? this.hostArgs(def.host) : profile.host === 'sim' || profile.host === 'simulated' ? this.hostArgs(SIM_ID) : profile.host ? [] : host ? this.hostArgs(host) : [];
    const base = ['--profile', name, '--config', cfg.file.fsPath, ...where];
    // quantize takes no profile: it needs the host itself.
    const hostOnly = where.length ? where : profile.host === 'local' ? ['--local'] : profile.host ? this.hostArgs(profile.host) : [];
    return { args: [...commandArgs(def.command, profile, base, hostOnly, configDir), ...(def.args ?? [])], cwd: configDir };
  }

  /** A task for a definition (what "Check Folder" and the walkthrough run). */
  task(def: AscendTaskDefinition, folder: vscode.WorkspaceFolder): Promise<vscode.Task> {
    return this.build(def, folder);
  }

  private async build(def: AscendTaskDefinition, folder: vscode.WorkspaceFolder, original?: vscode.TaskDefinition): Promise<vscode.Task> {
    const { args, cwd } = await this.argv(def, folder.uri.fsPath);
    // Under Electron, process.execPath is VS Code itself: run it as plain Node.
    const execution = new vscode.ProcessExecution(process.execPath, [this.d.cliPath, ...args], { cwd, env: { ELECTRON_RUN_AS_NODE: '1' } });
    const name = [def.command, def.profile, def.command === 'lint' && def.paths?.length ? def.paths.join(' ') : undefined].filter(Boolean).join(' ');
    const task = new vscode.Task(original ?? def, folder, name, TASK_TYPE, execution, def.command === 'lint' ? ['$ascend-adapt-lint'] : []);
    task.detail = `ascend-adapt ${args.join(' ')}`;
    if (def.command === 'lint') task.group = vscode.TaskGroup.Build;
    if (def.command === 'validate') task.group = vscode.TaskGroup.Test;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}

/** The arguments of each profile command; `base` picks the profile and its host, `hostOnly` is the host alone. */
function commandArgs(command: TaskCommand, p: NamedProfile, base: string[], hostOnly: string[], configDir: string): string[] {
  if (!PROFILE_COMMANDS.has(command)) return [command, ...base];
  const v = p.validation;
  switch (command) {
    case 'accuracy': {
      const a = v?.accuracy;
      if (!a) return ['accuracy', ...base];
      return ['accuracy', ...base, '--tasks', a.tasks.join(','), '--data', a.dataDir, ...(a.limit ? ['--limit', String(a.limit)] : []), ...(a.reference ? ['--reference', path.resolve(configDir, a.reference)] : [])];
    }
    case 'perf': {
      const f = v?.perf;
      if (!f) return ['perf', ...base];
      return [
        'perf', ...base,
        '--concurrency', String(f.concurrency), '--num-prompts', String(f.numPrompts), '--input-len', String(f.inputLen), '--output-len', String(f.outputLen),
        ...(f.requestRate ? ['--request-rate', String(f.requestRate)] : []),
        ...(f.baseline ? ['--baseline', path.resolve(configDir, f.baseline)] : []),
      ];
    }
    case 'profile': {
      const f = p.profiling;
      if (!f) return ['profile', ...base];
      return ['profile', ...base, '--num-prompts', String(f.numPrompts), '--input-len', String(f.inputLen), '--output-len', String(f.outputLen), '--concurrency', String(f.concurrency), '--parse-timeout', String(f.parseTimeoutSec), ...(f.withStack ? ['--with-stack'] : [])];
    }
    case 'quantize': {
      const q = p.quantize;
      if (!q) throw new Error(l10n.t('Profile "{0}" has no "quantize" block (from, quantType).', p.name));
      return ['quantize', ...hostOnly, '--model', q.from, '--out', p.modelPath, ...(q.quantType ? ['--quant-type', q.quantType] : []), ...(q.modelType ? ['--model-type', q.modelType] : []), ...(q.yes ? ['--yes'] : []), '--no-profile'];
    }
    default:
      return [command, ...base];
  }
}

/**
 * The task provider, and "Check Folder for NPU Problems": `ascend-adapt lint FOLDER` as a task (Problems
 * through the matcher, also for files that are not open). Resolves with the task's exit code.
 */
export function registerTaskCommands(commands: Commands, provider: AscendTaskProvider): vscode.Disposable {
  commands.register('ascend.lint.folder', [uri.optional()], async (given) => {
    const root = vscode.workspace.workspaceFolders?.[0];
    const folderUri =
      given ??
      (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, defaultUri: root?.uri, openLabel: l10n.t('Check for NPU Problems') }))?.[0];
    if (!folderUri) return undefined;
    const scope = vscode.workspace.getWorkspaceFolder(folderUri) ?? root;
    if (!scope) throw new Error(l10n.t('Open a folder first: the lint task runs in a workspace folder.'));
    const rel = path.relative(scope.uri.fsPath, folderUri.fsPath) || '.';
    const task = await provider.task({ type: TASK_TYPE, command: 'lint', paths: [rel] }, scope);
    const exit = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.definition.command !== 'lint' || e.execution.task.name !== task.name) return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.tasks.executeTask(task);
    return { exitCode: await exit, folder: folderUri.fsPath };
  });
  return vscode.tasks.registerTaskProvider(TASK_TYPE, provider);
}
