import * as vscode from 'vscode';
import type { Ctx } from './ctx';

/**
 * Registers a command whose failures end as a message and a log line, never as an unhandled rejection.
 * Commands are registered at activation, before anything that may fail (e.g. the language client), so
 * the palette never shows a command that says "not found".
 */
export function registerCommand(ctx: Ctx, id: string, fn: (...args: unknown[]) => unknown): void {
  ctx.own(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        ctx.log.error(`${id}: ${e instanceof Error && e.stack ? e.stack : msg}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Ascend: {0}', msg));
        return undefined;
      }
    }),
  );
}

export function registerCoreCommands(ctx: Ctx): void {
  registerCommand(ctx, 'ascend.showLog', () => ctx.log.show(true));
}
