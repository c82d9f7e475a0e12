import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Evidence } from '../core/report/schema';

/**
 * Where a figure came from, opened in ONE editor beside the report: clicking several figures (or several
 * steps' evidence) replaces the preview in that editor group instead of opening a column each time, and
 * the cursor is put on the value itself — the number at the figure's JSON pointer in a result file, the
 * line of a log at its byte offset — not on its parent key.
 */

export interface EvidenceSpot {
  /** A file on this machine. */
  file: string;
  /** JSON pointer (RFC 6901) of the value. */
  pointer?: string | null;
  /** 1-based line. */
  line?: number | null;
  /** Byte offset into the file (logs). */
  byteOffset?: number | null;
}

/** The local file holding an evidence entry: its copy beside the report, else the file itself when it is here. */
export function localEvidenceFile(reportFile: string, ev: Evidence): string | undefined {
  const candidates = [ev.copy ? path.resolve(path.dirname(reportFile), ev.copy) : undefined, ev.host === 'local' ? ev.file : undefined];
  return candidates.find((f): f is string => Boolean(f) && fs.existsSync(f!));
}

function pointerPath(pointer: string): Array<string | number> {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The range to select in `doc` for the spot: the value at the pointer, the logged line, or the top. */
export async function spotRange(doc: vscode.TextDocument, spot: EvidenceSpot): Promise<vscode.Range> {
  const text = doc.getText();
  if (spot.pointer) {
    const { parseTree, findNodeAtLocation } = await import('jsonc-parser/lib/esm/main.js');
    const tree = parseTree(text);
    const node = tree ? findNodeAtLocation(tree, pointerPath(spot.pointer)) : undefined;
    if (node) return new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset + node.length));
    // A file that does not have the pointer's shape (edited, another version): the value of its last key.
    const key = pointerPath(spot.pointer).pop();
    const m = typeof key === 'string' ? new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*`).exec(text) : null;
    if (m) {
      const start = m.index + m[0].length;
      const end = /^[^,\n}\]]*/.exec(text.slice(start))![0].trimEnd().length + start;
      return new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    }
  }
  let line: number | null = spot.line ? spot.line - 1 : null;
  if (line === null && spot.byteOffset !== undefined && spot.byteOffset !== null) {
    const chars = Buffer.from(text, 'utf8').subarray(0, spot.byteOffset).toString('utf8').length;
    line = doc.positionAt(chars).line;
  }
  if (line === null) return new vscode.Range(0, 0, 0, 0);
  const l = Math.min(line, doc.lineCount - 1);
  return doc.lineAt(l).range;
}

export class EvidenceEditor {
  private column: vscode.ViewColumn | undefined;
  private shown: vscode.Uri | undefined;

  /** Opens the spot in the evidence editor group (made beside the active editor the first time). */
  async show(spot: EvidenceSpot): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(spot.file));
    const range = await spotRange(doc, spot);
    const reuse =
      this.column !== undefined && vscode.window.tabGroups.all.some((g) => g.viewColumn === this.column && g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === this.shown?.toString()));
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: reuse ? this.column : vscode.ViewColumn.Beside, preview: true, preserveFocus: false, selection: range });
    // The previous evidence tab in that group goes when it was pinned (preview tabs are replaced anyway).
    if (reuse && this.shown && this.shown.toString() !== doc.uri.toString()) {
      const group = vscode.window.tabGroups.all.find((g) => g.viewColumn === editor.viewColumn);
      const old = group?.tabs.find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === this.shown!.toString());
      if (old && !old.isDirty) await vscode.window.tabGroups.close(old, true);
    }
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.column = editor.viewColumn;
    this.shown = doc.uri;
    return editor;
  }
}
