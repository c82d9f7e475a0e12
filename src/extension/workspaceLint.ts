import * as l10n from '@vscode/l10n';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { currentLanguage } from '../core/l10n';
import type { Config } from './config';

/**
 * Problems for the whole workspace, not only the open files: the language server reports on documents
 * that are open, so closing a tab used to drop its findings while the status bar said 0 errors. This runs
 * `ascend-adapt lint FOLDER --format json` (the same analysis, same include/exclude settings) in a child
 * process in the background — in trusted workspaces only — and shows its findings for files no editor tab
 * shows. The language client pulls diagnostics for files in tabs and drops them when the tab closes (the
 * document itself may stay loaded for minutes), so "open" here means "in a tab": nothing is listed twice and
 * nothing disappears with a tab.
 */

const Finding = z.object({
  file: z.string(),
  range: z.object({ start: z.object({ line: z.number(), character: z.number() }), end: z.object({ line: z.number(), character: z.number() }) }),
  severity: z.enum(['error', 'warning', 'information', 'hint']),
  code: z.string(),
  message: z.string(),
});
const Output = z.object({ files: z.array(z.string()), diagnostics: z.array(Finding) });

const SEVERITY: Record<z.infer<typeof Finding>['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export interface WorkspaceLintDeps {
  config: Config;
  log: vscode.LogOutputChannel;
  /** dist/cli.js */
  cliPath: string;
  /** The lint argv for a folder (the task provider's, so the task and this agree). */
  lintArgs(folder: vscode.WorkspaceFolder): Promise<string[]>;
}

export class WorkspaceLint implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('ascend-adapt-workspace');
  /** Every finding of the last run, by file URI (open files included; they are just not shown). */
  private readonly found = new Map<string, vscode.Diagnostic[]>();
  private readonly subs: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when a run has published its findings. */
  readonly onDidRun = this.emitter.event;
  runs = 0;

  constructor(private readonly d: WorkspaceLintDeps) {
    this.subs.push(
      vscode.window.tabGroups.onDidChangeTabs(() => this.publish()),
      vscode.workspace.onDidSaveTextDocument(() => this.schedule(1500)),
      vscode.workspace.onDidCreateFiles(() => this.schedule(1500)),
      vscode.workspace.onDidDeleteFiles(() => this.schedule(500)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule(0)),
      d.config.onDidChange(() => this.schedule(500)),
    );
  }

  get enabled(): boolean {
    const s = this.d.config.settings;
    return vscode.workspace.isTrusted && s['lint.enable'] && s['lint.workspace'];
  }

  /** Runs after `ms` (collapsing triggers that come in between). */
  schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, ms);
  }

  /** Lints every workspace folder now; a run asked for while one is going runs after it. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.lintAll().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  }

  private async lintAll(): Promise<void> {
    if (!this.enabled) {
      this.found.clear();
      this.collection.clear();
      return;
    }
    const t0 = Date.now();
    const next = new Map<string, vscode.Diagnostic[]>();
    let files = 0;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        const out = await this.lintFolder(folder);
        files += out.files.length;
        for (const f of out.diagnostics) {
          const uri = vscode.Uri.file(path.resolve(folder.uri.fsPath, f.file)).toString();
          const diag = new vscode.Diagnostic(new vscode.Range(f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character), f.message, SEVERITY[f.severity]);
          diag.source = 'ascend-adapt';
          diag.code = f.code;
          next.set(uri, [...(next.get(uri) ?? []), diag]);
        }
      } catch (e) {
        this.d.log.warn(`workspace lint of ${folder.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.found.clear();
    for (const [k, v] of next) this.found.set(k, v);
    this.publish();
    this.runs++;
    this.d.log.info(`workspace lint: ${files} file(s), ${[...next.values()].reduce((a, v) => a + v.length, 0)} finding(s) in ${Date.now() - t0} ms`);
    this.emitter.fire();
  }

  /** Shows the findings of every file no tab shows (those in tabs are the language server's). */
  private publish(): void {
    const inTabs = tabUris();
    this.collection.clear();
    for (const [k, v] of this.found) if (!inTabs.has(k)) this.collection.set(vscode.Uri.parse(k), v);
  }

  private async lintFolder(folder: vscode.WorkspaceFolder): Promise<z.infer<typeof Output>> {
    // Messages in VS Code's language, as the language server writes them.
    const args = ['--lang', currentLanguage(), ...(await this.d.lintArgs(folder)), '--format', 'json', '--summary'];
    const { stdout, code, stderr } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
      // A child process: the analysis never blocks the extension host.
      const child = spawn(process.execPath, [this.d.cliPath, ...args], { cwd: folder.uri.fsPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (c) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: c }));
    });
    if (code !== 0 && code !== 1) throw new Error(l10n.t('ascend-adapt lint exited with {0}: {1}', String(code), stderr.trim().split('\n').pop() ?? ''));
    return Output.parse(JSON.parse(stdout));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    this.collection.dispose();
    this.emitter.dispose();
  }
}

/** The files shown in editor tabs (both sides of a diff). */
function tabUris(): Set<string> {
  const out = new Set<string>();
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs) {
      const i = t.input;
      if (i instanceof vscode.TabInputText) out.add(i.uri.toString());
      else if (i instanceof vscode.TabInputTextDiff) {
        out.add(i.original.toString());
        out.add(i.modified.toString());
      }
    }
  }
  return out;
}
