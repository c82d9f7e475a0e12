import type { Node, Parser, Tree } from 'web-tree-sitter';
import { checkMappings, collectLayerAssignments, collectMappingFacts, mergeFacts, shiftFacts, type FusedLoader, type LoaderCheck, type MappingFacts } from './mapping';
import { analyzePython, buildContext, collectImports, hoverAt, keywordCompletions, type ContextEnv, type ImportInfo, type KeywordCompletion, type PyContext } from './python';
import { mergeSummaries, summarize, type ModuleSummary } from './summary';
import { input } from './treesitter';
import { type Finding, type Position, type Range, shiftFinding } from './types';

/**
 * A Python document kept as independent top-level chunks, each with its own tree-sitter tree.
 *
 * Why chunks: tree-sitter-python re-lexes a long way after an edit inside nested blocks or strings, so an
 * incremental re-parse of a 5,000-line file still costs tens of milliseconds. A top-level statement that
 * starts at column 0 parses the same on its own as inside the file, so an edit re-parses only the chunk(s)
 * it touches (tree.edit + parse with the old tree), and findings of untouched chunks are reused. When the
 * touched region no longer parses cleanly (an unclosed bracket or string could swallow what follows), the
 * whole document is re-parsed.
 */

interface Chunk {
  start: number; // first line
  lines: number; // line count
  tree: Tree;
  text: string;
  imports: ImportInfo[]; // chunk-relative
  facts?: MappingFacts; // chunk-relative
  summary?: ModuleSummary;
  /** What of this chunk the document's context depends on (imports, module-level names), as one string. */
  sig?: string;
  layers?: Map<string, string[]>;
  cache?: { key: string; findings: Finding[] };
}

/** The parts of a chunk the import context is made of (not its function bodies). */
function chunkSignature(imports: ImportInfo[], s: ModuleSummary): string {
  return JSON.stringify([
    imports,
    [...s.bindings].map(([k, v]) => [k, v.map((b) => [b.kind, b.target ?? b.imp?.qualified ?? '', b.guard ?? ''])]),
    [...s.classes.values()],
    [...s.redirects],
  ]);
}

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) s.push(i + 1);
  return s;
}

export class PythonDocument {
  private chunks: Chunk[] = [];
  private starts: number[] = [0];
  /** Counts for tests and the bench: how edits were handled. */
  readonly stats = { full: 0, incremental: 0, chunksParsed: 0 };

  private constructor(
    private readonly parser: Parser,
    public text: string,
    private readonly split: boolean,
  ) {}

  /** `split` = keep chunks (the server); false = one tree for the whole file (CLI, one-shot). */
  static create(parser: Parser, text: string, split = true): PythonDocument {
    const d = new PythonDocument(parser, text, split);
    d.reparseAll();
    return d;
  }

  dispose(): void {
    for (const c of this.chunks) c.tree.delete();
    this.chunks = [];
  }

  get lineCount(): number {
    return this.starts.length;
  }

  private offsetAt(p: Position): number {
    if (p.line >= this.starts.length) return this.text.length;
    const ls = this.starts[p.line];
    const next = p.line + 1 < this.starts.length ? this.starts[p.line + 1] : this.text.length;
    return Math.min(ls + p.character, next);
  }

  private makeChunk(start: number, lines: number, text: string, tree: Tree): Chunk {
    this.stats.chunksParsed++;
    return { start, lines, text, tree, imports: collectImports(tree.rootNode, text) };
  }

  private reparseAll(): void {
    this.stats.full++;
    this.dispose();
    this.starts = lineStarts(this.text);
    const tree = this.parser.parse(input(this.text));
    if (!tree) throw new Error('tree-sitter returned no tree');
    const root = tree.rootNode;
    if (!this.split || root.hasError || root.namedChildCount <= 1) {
      this.chunks = [this.makeChunk(0, this.starts.length, this.text, tree)];
      return;
    }
    // chunk boundaries: rows where a top-level statement starts after the previous one has ended
    const bounds: number[] = [0];
    let prevEnd = -1;
    for (const c of root.namedChildren) {
      if (!c) continue;
      const row = c.startPosition.row;
      if (row > bounds[bounds.length - 1] && row > prevEnd && c.startPosition.column === 0) bounds.push(row);
      prevEnd = Math.max(prevEnd, c.endPosition.column === 0 ? c.endPosition.row - 1 : c.endPosition.row);
    }
    tree.delete();
    const chunks: Chunk[] = [];
    for (let i = 0; i < bounds.length; i++) {
      const startLine = bounds[i];
      const endLine = i + 1 < bounds.length ? bounds[i + 1] : this.starts.length;
      const text = this.text.slice(this.starts[startLine], endLine < this.starts.length ? this.starts[endLine] : this.text.length);
      const t = this.parser.parse(input(text));
      if (!t || t.rootNode.hasError) {
        t?.delete();
        for (const c of chunks) c.tree.delete();
        const whole = this.parser.parse(input(this.text))!;
        this.chunks = [this.makeChunk(0, this.starts.length, this.text, whole)];
        return;
      }
      chunks.push(this.makeChunk(startLine, endLine - startLine, text, t));
    }
    this.chunks = chunks;
  }

  private chunkIndexAt(line: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].start <= line) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Applies one LSP content change (range in the current text, or a full replacement). */
  applyChange(change: { range?: Range; text: string }): void {
    if (!change.range) {
      this.text = change.text;
      this.reparseAll();
      return;
    }
    const r = change.range;
    const so = this.offsetAt(r.start);
    const eo = this.offsetAt(r.end);
    const newText = this.text.slice(0, so) + change.text + this.text.slice(eo);
    const a = this.chunkIndexAt(Math.min(r.start.line, this.starts.length - 1));
    const b = this.chunkIndexAt(Math.min(r.end.line, this.starts.length - 1));
    const addedLines = (change.text.match(/\n/g) ?? []).length;
    const removedLines = (this.text.slice(so, eo).match(/\n/g) ?? []).length;
    const delta = addedLines - removedLines;
    const ca = this.chunks[a];
    const cb = this.chunks[b];
    const regionStartOff = this.starts[ca.start];
    const oldRegionEndOff = cb.start + cb.lines < this.starts.length ? this.starts[cb.start + cb.lines] : this.text.length;
    const newRegionEndOff = oldRegionEndOff + (newText.length - this.text.length);
    const regionText = newText.slice(regionStartOff, newRegionEndOff);
    const regionLines = cb.start + cb.lines - ca.start + delta;

    let tree: Tree | null;
    if (a === b && this.split) {
      // incremental: edit the chunk's tree in chunk-relative coordinates, re-parse with it
      const rs = so - regionStartOff;
      const re = eo - regionStartOff;
      const lastNl = change.text.lastIndexOf('\n');
      const newEndPos =
        lastNl < 0
          ? { row: r.start.line - ca.start, column: r.start.character + change.text.length }
          : { row: r.start.line - ca.start + addedLines, column: change.text.length - lastNl - 1 };
      ca.tree.edit({
        startIndex: rs,
        oldEndIndex: re,
        newEndIndex: rs + change.text.length,
        startPosition: { row: r.start.line - ca.start, column: r.start.character },
        oldEndPosition: { row: r.end.line - ca.start, column: r.end.character },
        newEndPosition: newEndPos,
      });
      tree = this.parser.parse(input(regionText), ca.tree);
    } else {
      tree = this.parser.parse(input(regionText));
    }
    this.text = newText;
    const wholeDoc = a === 0 && b === this.chunks.length - 1;
    if (!tree || (tree.rootNode.hasError && !wholeDoc) || (this.split && wholeDoc && this.chunks.length === 1 && tree && !tree.rootNode.hasError && tree.rootNode.namedChildCount > 1 && this.lineCount > 200)) {
      // unclean region (or a whole-document chunk that could now be split): start over
      tree?.delete();
      this.reparseAll();
      return;
    }
    this.stats.incremental++;
    for (let i = a; i <= b; i++) this.chunks[i].tree.delete();
    const chunk = this.makeChunk(ca.start, regionLines, regionText, tree);
    this.chunks.splice(a, b - a + 1, chunk);
    if (delta !== 0) for (let i = a + 1; i < this.chunks.length; i++) this.chunks[i].start += delta;
    // line starts: keep those before the edit, add the inserted ones, shift the rest
    const shift = change.text.length - (eo - so);
    const added: number[] = [];
    for (let i = change.text.indexOf('\n'); i >= 0; i = change.text.indexOf('\n', i + 1)) added.push(so + i + 1);
    const tail = this.starts.slice(r.end.line + 1);
    for (let i = 0; i < tail.length; i++) tail[i] += shift;
    this.starts = this.starts.slice(0, r.start.line + 1).concat(added, tail);
  }

  /** Imports of the whole document (document coordinates). */
  imports(): ImportInfo[] {
    const all: ImportInfo[] = [];
    for (const c of this.chunks) {
      for (const i of c.imports) {
        if (c.start === 0) {
          all.push(i);
          continue;
        }
        const mv = (r: Range): Range => ({ start: { line: r.start.line + c.start, character: r.start.character }, end: { line: r.end.line + c.start, character: r.end.character } });
        all.push({ ...i, endLine: i.endLine + c.start, range: mv(i.range), statement: mv(i.statement) });
      }
    }
    return all;
  }

  private chunkSummary(c: Chunk): ModuleSummary {
    return (c.summary ??= summarize(c.tree.rootNode, c.text, c.imports, { calls: false }));
  }

  /** Module summary of the document (bindings, classes, redirects; no call lists), from the chunks. */
  summary(): ModuleSummary {
    return mergeSummaries(this.chunks.map((c) => this.chunkSummary(c)));
  }

  /**
   * Import context of the whole document. In the editor the context is rebuilt only when what it is made of
   * changed — a chunk's imports or module-level names, a chunk's first line, the module index, the release —
   * so a keystroke inside a function body costs a string comparison, not a context.
   */
  context(env: ContextEnv = {}): PyContext {
    if (!this.split) return buildContext(this.imports(), { ...env, summary: () => this.summary(), keyed: false });
    const head = [env.index?.generation ?? -1, env.module?.file ?? '', env.module?.name ?? '', env.release?.release.torchNpu ?? '', env.release?.how ?? ''].join('|');
    const sigs = this.chunks.map((c) => (c.sig ??= chunkSignature(c.imports, this.chunkSummary(c))));
    const starts = this.chunks.map((c) => c.start);
    const was = this.ctxCache;
    // unchanged chunks keep the very same signature string: comparing them is a pointer check
    if (was && was.head === head && was.sigs.length === sigs.length && sigs.every((x, i) => x === was.sigs[i] && starts[i] === was.starts[i])) return was.ctx;
    const summary = this.summary();
    const ctx = buildContext(this.imports(), { ...env, summary: () => summary, keyed: true });
    this.ctxCache = { head, sigs, starts, ctx };
    return ctx;
  }
  private ctxCache?: { head: string; sigs: string[]; starts: number[]; ctx: PyContext };

  /** True when the text mentions a weight mapping (such files are analysed even without imports). */
  hasMappings(): boolean {
    if (this.mappingsFor !== this.text) {
      this.mappingsFor = this.text;
      this.mappings = /\b(stacked_params_mapping|packed_modules_mapping|expert_params_mapping|make_expert_params_mapping)\b/.test(this.text);
    }
    return this.mappings;
  }
  private mappingsFor?: string;
  private mappings = false;

  /**
   * Python rule findings; mapping findings use `index` (checkpoint tensor names) when given and `loaders`
   * (fused layers that accept their own shard ids).
   */
  findings(ctx: PyContext, index?: { names: string[]; file: string }): Finding[] {
    const out: Finding[] = [];
    const facts: MappingFacts[] = [];
    for (const c of this.chunks) {
      if (!c.cache || c.cache.key !== ctx.key || !ctx.key) c.cache = { key: ctx.key, findings: analyzePython(c.tree.rootNode, c.text, ctx, c.imports) };
      for (const f of c.cache.findings) out.push(shiftFinding(f, c.start));
      if (!c.facts) c.facts = collectMappingFacts(c.tree.rootNode, c.text);
      if (c.facts.stacked.length || c.facts.packed.length || c.facts.experts.length) facts.push(shiftFacts(c.facts, c.start));
    }
    if (facts.length) out.push(...checkMappings(mergeFacts(facts), index, this.loaderCheck(ctx)));
    return out;
  }

  /** Layers built as `self.<param> = Cls(…)` whose class loads its own shards (this file or another module). */
  private loaderCheck(ctx: PyContext): LoaderCheck {
    const local = this.summary().classes;
    return (param) => {
      const out: FusedLoader[] = [];
      for (const c of this.chunks) {
        c.layers ??= collectLayerAssignments(c.tree.rootNode);
        for (const callee of c.layers.get(param) ?? []) {
          const head = callee.split('.')[0];
          const q = ctx.aliases.has(head) ? ctx.aliases.get(head)! + callee.slice(head.length) : undefined;
          const info = (!callee.includes('.') ? local.get(callee) : undefined) ?? (q ? ctx.classOf?.(q) : undefined);
          if (info && info.methods.some((m) => /^(weight_loader(_v2)?|validate_shard_id)$/.test(m))) out.push({ cls: info.name, accepts: info.loaderStrings });
        }
      }
      return out;
    };
  }

  hover(pos: Position, ctx: PyContext): { markdown: string; range: Range } | undefined {
    const c = this.chunks[this.chunkIndexAt(pos.line)];
    const rel = this.offsetAt(pos) - this.starts[c.start];
    const h = hoverAt(c.tree.rootNode, rel, ctx);
    if (!h) return undefined;
    const sh = (p: Position) => ({ line: p.line + c.start, character: p.character });
    return { markdown: h.markdown, range: { start: sh(h.range.start), end: sh(h.range.end) } };
  }

  completions(pos: Position, ctx: PyContext): KeywordCompletion[] {
    return keywordCompletions(this.text, this.offsetAt(pos), ctx);
  }

  /** The tree and imports of a one-chunk document (CLI): lets the module index reuse the parse. */
  root(): [Node, ImportInfo[]] {
    const c = this.chunks[0];
    return [c.tree.rootNode, c.imports];
  }

  /** Number of chunks (tests). */
  get chunkCount(): number {
    return this.chunks.length;
  }
}
