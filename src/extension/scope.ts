/**
 * A disposal scope: what is registered with it is disposed with it, last in first out (later things may
 * use earlier ones). Something registered after the scope ended is disposed at once, so a late async
 * start-up never leaks. No vscode import: plain-Node tests check it.
 */
export interface Disposable {
  dispose(): unknown;
}

export class Scope implements Disposable {
  private readonly items: Disposable[] = [];
  private ended = false;

  constructor(
    readonly name: string,
    private readonly onError: (what: string, e: unknown) => void = (what, e) => console.error(`ascend-adapt: ${what}`, e),
  ) {}

  /** Registers `d`; returns it. */
  own<T extends Disposable>(d: T): T {
    if (this.ended) this.disposeOne(d);
    else this.items.push(d);
    return d;
  }

  get isDisposed(): boolean {
    return this.ended;
  }

  dispose(): void {
    if (this.ended) return;
    this.ended = true;
    for (const d of this.items.splice(0).reverse()) this.disposeOne(d);
  }

  private disposeOne(d: Disposable): void {
    try {
      const r = d.dispose();
      // An async dispose (a language client stopping, an ssh pool closing) must not become an unhandled rejection.
      if (r && typeof (r as Promise<unknown>).catch === 'function') (r as Promise<unknown>).catch((e: unknown) => this.onError(`${this.name}: dispose failed`, e));
    } catch (e) {
      this.onError(`${this.name}: dispose failed`, e);
    }
  }
}

/**
 * A scope that can be ended and begun again: what lives only as long as one start of something (the
 * language client and what hangs off it) is registered here and goes when it restarts or is turned off.
 */
export class RestartableScope implements Disposable {
  private current: Scope;
  private generation = 0;
  private ended = false;

  constructor(
    readonly name: string,
    private readonly onError?: (what: string, e: unknown) => void,
  ) {
    this.current = new Scope(`${name}#0`, onError);
  }

  own<T extends Disposable>(d: T): T {
    return this.current.own(d);
  }

  /** Disposes what the current start registered and opens a fresh scope for the next one. */
  reset(): void {
    this.current.dispose();
    this.current = new Scope(`${this.name}#${++this.generation}`, this.onError);
    if (this.ended) this.current.dispose();
  }

  dispose(): void {
    this.ended = true;
    this.current.dispose();
  }
}
