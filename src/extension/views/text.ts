/** Text helpers of the views without a vscode import (unit-tested under plain Node). */

/** A 10-cell bar for a used/total pair with eighth-cell precision, e.g. "███▍░░░░░░". */
export function bar(used: number, total: number, cells = 10): string {
  if (!(total > 0)) return '';
  const eighths = Math.max(0, Math.min(cells * 8, Math.round((used / total) * cells * 8)));
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part ? '▏▎▍▌▋▊▉'[part - 1] : '';
  return '█'.repeat(full) + partial + '░'.repeat(cells - full - (partial ? 1 : 0));
}

export function gb(mb: number): string {
  return (mb / 1024).toFixed(1);
}
