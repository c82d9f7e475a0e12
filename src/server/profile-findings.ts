import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Parser } from 'web-tree-sitter';
import type { Finding } from '../core/analysis/types';
import { pythonParser } from '../core/analysis/treesitter';
import { profileCodeFindings } from '../core/profile/code';
import { FINDINGS_FILE, readFindings, type ProfileFindings } from '../core/profile/findings';

/**
 * The language server's one input from profiling: `.ascend-adapt/profile-findings.json` in a workspace folder
 * (written by `ascend-adapt profile` and VS Code's Profile Serving). When it names AI CPU operators, Python
 * files get a diagnostic and a hover on the code that produces them ("seen on AI CPU in profile <job>").
 * The file is looked at by modification time on each diagnostic pull (a stat per workspace folder), so an
 * editor without file watching sees a new profile too; with watching, the server also re-pulls at once.
 */
export const FINDINGS_GLOB = `**/${FINDINGS_FILE.split(path.sep).join('/')}`;

export class ProfileInput {
  private stamp = '';
  private version = 0;
  private current: ProfileFindings | null = null;
  private parser: Promise<Parser> | undefined;

  constructor(private readonly roots: () => string[]) {}

  /** Reads the file again when it changed; returns a number that changes with it (for caches). */
  refresh(): number {
    const files = this.roots().map((r) => path.join(r, FINDINGS_FILE));
    const stamp = files.map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return '-';
      }
    }).join('|');
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.version++;
      // The newest profile of the workspace's folders.
      const all = this.roots().map(readFindings).filter((x): x is ProfileFindings => x !== null);
      this.current = all.sort((a, b) => (a.capturedAt < b.capturedAt ? 1 : -1))[0] ?? null;
    }
    return this.version;
  }

  get findings(): ProfileFindings | null {
    return this.current;
  }

  /** Diagnostics of the current profile on one Python file (none without a profile with AI CPU operators). */
  async forPython(text: string): Promise<Finding[]> {
    const f = this.current;
    if (!f || !f.ops.length || !/\btorch\b/.test(text)) return [];
    this.parser ??= pythonParser();
    const tree = (await this.parser).parse(text);
    if (!tree) return [];
    try {
      return profileCodeFindings(tree.rootNode, text, f);
    } finally {
      tree.delete();
    }
  }
}
