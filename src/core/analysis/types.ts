/**
 * What every analyser returns: plain data in LSP coordinates (0-based lines, UTF-16 columns). The
 * server turns findings into LSP diagnostics / code actions, the CLI prints them, the report lists them.
 */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

export type RuleCode =
  | 'cuda-api'
  | 'cuda-kernel'
  | 'cuda-library'
  | 'npu-op-constraint'
  | 'quant-description'
  | 'weight-mapping'
  | 'serve-args'
  /** An operator a profile saw on the AI CPU, on the code that produces it (src/core/profile/code.ts). */
  | 'profile-aicpu';

export const RULE_CODES: readonly RuleCode[] = ['cuda-api', 'cuda-kernel', 'cuda-library', 'npu-op-constraint', 'quant-description', 'weight-mapping', 'serve-args', 'profile-aicpu'];

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** A mechanical fix: edits in the same file. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The one fix an editor may apply on "fix all" / preferred. */
  preferred?: boolean;
  /** Rename the file to this base name (same folder) instead of / after the edits. */
  renameTo?: string;
}

export interface Finding {
  range: Range;
  severity: Severity;
  code: RuleCode;
  /** Already localized (l10n.t in the analyser, with the language the face chose). */
  message: string;
  /** Where the fact comes from: URL for codeDescription.href, and the cited text. */
  href: string;
  source: string;
  fixes: Fix[];
  /** Markdown shown on hover over the range (localized). */
  hover?: string;
}

export interface FileFinding extends Finding {
  file: string;
}

export function range(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}

export function contains(r: Range, p: Position): boolean {
  const after = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const before = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return after && before;
}

/** Moves a finding down by `lines` (chunks of a document are analysed with chunk-relative rows). */
export function shiftFinding(f: Finding, lines: number): Finding {
  if (lines === 0) return f;
  const sh = (r: Range): Range => range(r.start.line + lines, r.start.character, r.end.line + lines, r.end.character);
  return { ...f, range: sh(f.range), fixes: f.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, range: sh(e.range) })) })) };
}
