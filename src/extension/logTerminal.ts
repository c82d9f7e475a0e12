import * as l10n from '@vscode/l10n';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { lineColorizer, logGrammar } from './logColors';

/**
 * A terminal tab that follows a job's log from its first byte (a Pseudoterminal: nothing runs in it),
 * coloured by the log grammar (logColors.ts).
 * Closing the tab only stops following; the job keeps running on its host. Used for a single-host serve
 * job and for each node of a multi-node one.
 */

export interface LogFollower {
  detach(): void;
  /** Settles when following ends; 'job-ended': the job ended first (the log may not have reached its end). */
  done: Promise<void | 'log-ended' | 'job-ended'>;
}

export interface LogTerminalSpec {
  name: string;
  simulated: boolean;
  /** First lines (the command that runs). */
  header: string;
  /** Start following; `onData` gets the log's bytes in order. */
  follow(onData: (chunk: Buffer) => void): Promise<LogFollower>;
  /** A word for how it ended, once the log ends. */
  endState(): string;
  /** The last line when following stopped because the job ended (default: the log-ended line). */
  jobEndedLine?(): string;
}

export function openLogTerminal(spec: LogTerminalSpec): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  let detach: (() => void) | undefined;
  let closed = false;
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      const dec = new StringDecoder('utf8');
      const head = spec.simulated ? `\x1b[33m[${l10n.t('SIMULATED')}]\x1b[0m ` : '';
      write.fire(`${head}${spec.header.replace(/\r?\n/g, '\r\n')}\r\n${l10n.t('(closing this terminal does not stop the server)')}\r\n\r\n`);
      // Plain text should the grammar not load: the log matters more than its colours.
      const colors = logGrammar().then(lineColorizer, () => (text: string) => text);
      void colors.then((color) => spec.follow((chunk) => write.fire(color(dec.write(chunk)).replace(/\r?\n/g, '\r\n')))).then(
        (f) => {
          // Closed while attaching: stop at once.
          if (closed) f.detach();
          detach = f.detach;
          void f.done.then((how) => {
            if (closed) return;
            const line = how === 'job-ended' && spec.jobEndedLine ? spec.jobEndedLine() : l10n.t('[log ended: {0}]', spec.endState());
            write.fire(`\r\n${line}\r\n`);
          });
        },
        (e: Error) => write.fire(`${l10n.t('cannot attach: {0}', e.message)}\r\n`),
      );
    },
    close: () => {
      closed = true;
      detach?.();
      write.dispose();
      close.dispose();
    },
  };
  const term = vscode.window.createTerminal({ name: spec.name, pty, iconPath: new vscode.ThemeIcon('server-process') });
  term.show(true);
  return term;
}
