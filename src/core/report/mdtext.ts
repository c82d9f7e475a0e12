/**
 * Text from a model or a host (smoke outputs, model names, check details, log lines, env values) inside the
 * report's Markdown. It is data, never markup: raw HTML (`<script>`, `<img onerror>`), emphasis, links,
 * footnotes and table pipes are backslash-escaped (CommonMark escapes any ASCII punctuation), and a code
 * block's fence is longer than any backtick run its content holds, so a smoke answer with ``` cannot end
 * the block early. Control characters (ESC …) are shown as their Unicode pictures: a report printed to a
 * terminal never carries escape sequences.
 */

// C0 controls except tab and newline, DEL, C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function visibleControls(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    return code === 0x7f ? '\u2421' : '\ufffd';
  });
}

/** One line of inline Markdown text that shows exactly `s` (newlines become spaces). */
export function mdText(s: string): string {
  return (
    visibleControls(s)
      .replace(/\r\n?|\n/g, ' ')
      .replace(/[\\`*[\]<|~]/g, '\\$&')
      // `_` opens or closes emphasis only next to a non-word character: HCCL_OP_EXPANSION_MODE stays readable.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&')
      // Block markers only count at the start of a line (a list item's text is such a start too).
      .replace(/^(\s*)(>|#{1,6}(?=\s|$)|[-+*](?=\s|$)|[=-]+\s*$)/, '$1\\$2')
      .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
  );
}

function longestRun(s: string, ch: string): number {
  let max = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    if (run > max) max = run;
  }
  return max;
}

/** A fenced code block whose fence no line of the content can close. */
export function fencedBlock(info: string, body: string): string[] {
  const text = visibleControls(body);
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return [fence + info, text, fence];
}

/** An inline code span for `s` (file paths, commands); `inTable` also escapes the pipe GFM tables split on. */
export function codeSpan(s: string, inTable = false): string {
  let text = visibleControls(s).replace(/\r\n?|\n/g, ' ');
  if (inTable) text = text.replace(/\|/g, '\\|');
  const ticks = '`'.repeat(longestRun(text, '`') + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A footnote label that survives any evidence id a (damaged or hostile) report holds. */
export function footnoteLabel(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}
