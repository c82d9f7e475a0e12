import stringWidth from 'string-width';

export interface TableOptions {
  /** Put before every line (e.g. two spaces). */
  indent?: string;
  /** Spaces between columns (default 2). */
  gap?: number;
  /** Columns aligned right (numbers). */
  right?: readonly number[];
}

/**
 * The one table printer of the CLI. Widths are terminal columns (`string-width`: a CJK character takes
 * two, combining marks none), so columns line up in Chinese too. The last column is not padded and
 * trailing spaces are trimmed. Cells are already translated; a missing cell is empty.
 */
export function formatTable(rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const cols = Math.max(...rows.map((r) => r.length));
  const width = Array.from({ length: cols }, (_, i) => Math.max(0, ...rows.map((r) => stringWidth(r[i] ?? ''))));
  const gap = ' '.repeat(opts.gap ?? 2);
  const right = new Set(opts.right ?? []);
  const line = (r: readonly string[]) =>
    (opts.indent ?? '') +
    width
      .map((w, i) => {
        const c = r[i] ?? '';
        const pad = ' '.repeat(w - stringWidth(c));
        if (right.has(i)) return pad + c;
        return i === cols - 1 ? c : c + pad;
      })
      .join(gap)
      .trimEnd();
  return rows.map(line).join('\n') + '\n';
}

/** Terminal columns a string takes (for the few places that pad by hand, e.g. help text). */
export function columns(text: string): number {
  return stringWidth(text);
}
