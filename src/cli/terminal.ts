import { StringDecoder } from 'node:string_decoder';
import type { Out } from './command';

/**
 * Text from hosts and files (job logs, model answers, probe facts) reaches a terminal. A terminal obeys
 * control bytes — ESC sequences can retitle the window, move the cursor, rewrite what was printed, and
 * a lone CR overwrites a line — so every C0/C1 control except newline and tab, DEL, and the bidi
 * override/isolate marks (which reorder what is shown) are written as `\uXXXX`. That spelling is also
 * a JSON string escape of the same character, so `--json` output stays the same JSON value.
 */
const UNSAFE = /\r(?!\n)|[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A stream that writes `visible(text)` to `out`; bytes are decoded as UTF-8 across chunk borders. */
export class VisibleOut implements Out {
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly out: Out) {}

  write(chunk: string | Uint8Array): boolean {
    const text = typeof chunk === 'string' ? this.decoder.end() + chunk : this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (text) this.out.write(visible(text));
    return true;
  }

  /** Writes what is left of a multi-byte character cut at the end (as U+FFFD). */
  flush(): void {
    const rest = this.decoder.end();
    if (rest) this.out.write(visible(rest));
  }
}
