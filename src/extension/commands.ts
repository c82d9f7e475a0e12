import * as vscode from 'vscode';
import { parseArgs, type ArgSchemas, type ParsedArgs } from './args';
import type { Notifier } from './notify';
import type { Scope } from './scope';

/**
 * The one way a command is registered: its arguments are parsed with zod (args.ts) before the handler
 * runs; a bad argument or a failure ends as an error toast with "Show Log" and the whole error in the log,
 * never as an unhandled rejection. Cancelling (Escape in a picker, a cancelled progress) is not a failure.
 */
export class Commands {
  private readonly registered = new Set<string>();

  constructor(
    private readonly scope: Scope,
    private readonly notifier: Notifier,
  ) {}

  register<const S extends ArgSchemas>(id: string, args: S, run: (...args: ParsedArgs<S>) => unknown): void {
    this.registered.add(id);
    this.scope.own(
      vscode.commands.registerCommand(id, async (...raw: unknown[]) => {
        try {
          return await run(...parseArgs(id, args, raw));
        } catch (e) {
          if (e instanceof vscode.CancellationError) return undefined;
          void this.notifier.error(undefined, e);
          return undefined;
        }
      }),
    );
  }

  has(id: string): boolean {
    return this.registered.has(id);
  }

  /**
   * Registers the contributed commands that no feature registered (because its start-up failed): they
   * say why instead of VS Code's "command not found".
   */
  registerUnavailable(ids: readonly string[], why: () => string): string[] {
    const missing = ids.filter((id) => !this.registered.has(id));
    for (const id of missing) {
      this.register(id, [], () => {
        throw new Error(why());
      });
    }
    return missing;
  }
}
