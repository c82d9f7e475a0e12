import type * as vscode from 'vscode';
import { RestartableScope, Scope } from './scope';

/**
 * What the extension owns, in two disposal scopes (the shape of rust-analyzer's editors/code Ctx):
 *  - `subscriptions`: everything that lives as long as the extension (services, views, commands);
 *  - `clientSubscriptions`: what lives as long as one start of the language client — the client and what
 *    hangs off it — ended when the client restarts or its settings turn it off.
 * Services are not fields here: `activate` builds each with the dependencies it names in its constructor.
 */
export class Ctx implements vscode.Disposable {
  readonly subscriptions: Scope;
  readonly clientSubscriptions: RestartableScope;

  constructor(
    readonly extension: vscode.ExtensionContext,
    onError?: (what: string, e: unknown) => void,
  ) {
    this.subscriptions = new Scope('extension', onError);
    this.clientSubscriptions = new RestartableScope('language client', onError);
    // Registered first, so ended last (LIFO): services that still talk to the client go before it.
    this.subscriptions.own(this.clientSubscriptions);
  }

  /** Registers with the extension's lifetime; returns `d`. */
  own<T extends vscode.Disposable>(d: T): T {
    return this.subscriptions.own(d);
  }

  get isDisposed(): boolean {
    return this.subscriptions.isDisposed;
  }

  dispose(): void {
    this.subscriptions.dispose();
  }
}
