import * as vscode from 'vscode';
import { langOf, setProcessLanguage } from '../core/l10n';
import { Config } from './config';
import { EnvResults } from './envResults';
import { Hosts } from './hosts';
import type { Lsp } from './languageClient';
import type { Reports } from './reports';
import type { Serving } from './serving';
import type { Views } from './views';

/**
 * The extension's one context object: it owns everything that must be disposed (as rust-analyzer's ctx.ts
 * does). `activate` only builds it and wires commands and views; services that cost something (host
 * connections, the language client) are created lazily, on first use, and registered here.
 */
export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  readonly hosts: Hosts;
  readonly envResults: EnvResults;
  /** Set once by activate. */
  views!: Views;
  statusBar!: vscode.StatusBarItem;
  lsp!: Lsp;
  serving!: Serving;
  reports!: Reports;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    // Core strings speak VS Code's display language, from the bundle VS Code already loaded for it.
    setProcessLanguage(langOf(vscode.env.language), vscode.l10n.bundle);
    this.log = this.own(vscode.window.createOutputChannel('Ascend Adapt', { log: true }));
    this.config = this.own(
      new Config((problems) => {
        for (const p of problems) {
          this.log.warn(`setting ${p.key}: ${p.message}`);
          void vscode.window.showWarningMessage(vscode.l10n.t('Setting {0} is invalid ({1}); its default is used.', p.key, p.message));
        }
      }),
    );
    this.hosts = this.own(new Hosts(this));
    this.envResults = this.own(new EnvResults(this));
  }

  /** Registers a disposable with the context; returns it for convenience. */
  own<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
      return d;
    }
    this.disposables.push(d);
    return d;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Last in, first out: later services may depend on earlier ones.
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        console.error('ascend-adapt: dispose failed', e);
      }
    }
  }
}
