import * as fs from 'node:fs';
import * as path from 'node:path';
import { Minimatch } from 'minimatch';
import { z } from 'zod';
import { pickRelease } from '../knowledge/torch-npu-signatures';
import { parseIndexNames } from './mapping';
import { ModuleIndex } from './modules';
import { PythonDocument } from './pydoc';
import { analyzeQuantDescription, QUANT_DESCRIPTION_RE, quantDescriptionContext } from './quantdesc';
import { analyzeMarkdown, analyzeShell, SERVE_RE } from './serve';
import { pythonParser } from './treesitter';
import type { FileFinding, Finding } from './types';

export * from './types';
export { PythonDocument } from './pydoc';
export { parseIndexNames } from './mapping';
export { ModuleIndex } from './modules';

/**
 * The analysis face-independent entry points: settings, which files are analysed, and
 * `analyzeText` / `analyzeWorkspaceFiles` for the CLI (`ascend-adapt lint`) and the validation report.
 * The language server uses the same pieces with incremental documents.
 */

/** Settings section `ascendAdapt.lint` (the server pulls it from the client via workspace/configuration). */
export const LintSettings = z.object({
  enable: z.boolean().default(true),
  /** Globs of files analysed even if the default selection would skip them (widens). */
  include: z.array(z.string()).default([]),
  /** Globs of files never analysed (narrows). */
  exclude: z.array(z.string()).default(['**/node_modules/**', '**/.git/**', '**/dist/**', '**/.venv/**', '**/site-packages/**']),
  /** Target chip (npu-smi Name such as 910B3 or 310P3) for chip-specific checks; '' = unknown. */
  chip: z.string().default(''),
  /** --max-model-len at or above which serve-args advises --enforce-eager. */
  longContextThreshold: z.number().int().positive().default(8192),
  /** Files larger than this are skipped. */
  maxFileSizeKB: z.number().int().positive().default(4096),
  /**
   * torch_npu release whose operator signatures are checked ('' = the host's from the last environment check,
   * else the newest known release).
   */
  torchNpuVersion: z.string().default(''),
  /** Folders searched for imported modules besides the workspace (e.g. a checkout of vllm). */
  extraPaths: z.array(z.string()).default([]),
});
export type LintSettings = z.infer<typeof LintSettings>;
export const DEFAULT_LINT_SETTINGS: LintSettings = LintSettings.parse({});

/** Parses whatever the client sent; bad fields fall back to defaults (with the problems listed). */
export function parseLintSettings(raw: unknown): { settings: LintSettings; problems: string[] } {
  const r = LintSettings.safeParse(raw ?? {});
  if (r.success) return { settings: r.data, problems: [] };
  const problems = r.error.issues.map((i) => `ascendAdapt.lint.${i.path.join('.')}: ${i.message}`);
  const fixed: Record<string, unknown> = { ...((raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>) };
  for (const i of r.error.issues) if (i.path.length) delete fixed[String(i.path[0])];
  const again = LintSettings.safeParse(fixed);
  return { settings: again.success ? again.data : DEFAULT_LINT_SETTINGS, problems };
}

export type FileKind = 'python' | 'quant-description' | 'shell' | 'markdown';

export function fileKind(file: string): FileKind | undefined {
  const base = path.basename(file);
  if (QUANT_DESCRIPTION_RE.test(base)) return 'quant-description';
  const ext = path.extname(base).toLowerCase();
  if (ext === '.py' || ext === '.pyi') return 'python';
  if (ext === '.sh' || ext === '.bash' || ext === '.zsh') return 'shell';
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  return undefined;
}

const compiled = new Map<string, Minimatch>();
function matcher(g: string): Minimatch {
  let m = compiled.get(g);
  if (!m) {
    m = new Minimatch(g, { dot: true, matchBase: !g.includes('/') });
    compiled.set(g, m);
  }
  return m;
}

function matchAny(file: string, globs: string[], roots: string[]): boolean {
  if (!globs.length) return false;
  const candidates = [file, ...roots.map((r) => path.relative(r, file)).filter((r) => r && !r.startsWith('..') && !path.isAbsolute(r))].map((p) => p.split(path.sep).join('/'));
  return globs.some((g) => candidates.some((p) => matcher(g).match(p)));
}

/**
 * Is `file` excluded / force-included by the settings? Globs match the absolute path or the path relative
 * to one of `roots` (workspace folders, or the CLI's working directory).
 */
export function selection(file: string, settings: LintSettings, roots: string[] = []): 'excluded' | 'included' | 'default' {
  if (matchAny(file, settings.exclude, roots)) return 'excluded';
  if (settings.include.length && matchAny(file, settings.include, roots)) return 'included';
  return 'default';
}

/** What the analysers need besides the text. */
export interface AnalyzeOptions {
  settings?: LintSettings;
  /** Reads a file in the same folder (for model.safetensors.index.json); undefined when absent. */
  readSibling?: (name: string) => string | undefined;
  /** Analyse even if the default selection would skip the file (the "check current file" command). */
  force?: boolean;
  /** Folders that relative globs in the settings are relative to. */
  roots?: string[];
  /** Workspace and extra-path modules (cross-module re-exports, wrappers, packages written for the NPU). */
  index?: ModuleIndex;
  /** torch_npu version of the host from the last environment check (wins over the setting). */
  hostTorchNpu?: string;
}

export function siblingReader(file: string): (name: string) => string | undefined {
  return (name) => {
    const p = path.join(path.dirname(file), name);
    try {
      const st = fs.statSync(p);
      if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined;
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
}

export const INDEX_FILES = ['model.safetensors.index.json', 'quant_model_weights.safetensors.index.json', 'pytorch_model.bin.index.json'];

export function readIndex(readSibling: ((name: string) => string | undefined) | undefined): { names: string[]; file: string; text: string } | undefined {
  if (!readSibling) return undefined;
  for (const f of INDEX_FILES) {
    const text = readSibling(f);
    const names = parseIndexNames(text);
    if (text && names) return { names, file: f, text };
  }
  return undefined;
}

/** Analyses one file's text. Never throws for bad input: broken files give findings or nothing. */
export async function analyzeText(file: string, text: string, opts: AnalyzeOptions = {}): Promise<Finding[]> {
  const settings = opts.settings ?? DEFAULT_LINT_SETTINGS;
  if (!settings.enable && !opts.force) return [];
  const sel = opts.force ? 'included' : selection(file, settings, opts.roots);
  if (sel === 'excluded') return [];
  const kind = fileKind(file) ?? (sel === 'included' ? guessKind(text) : undefined);
  switch (kind) {
    case 'quant-description':
      return analyzeQuantDescription(text, quantDescriptionContext(file, opts.readSibling, settings.chip));
    case 'shell':
      return sel === 'included' || SERVE_RE.test(text) || /CUDA_VISIBLE_DEVICES/.test(text) ? analyzeShell(text, { chip: settings.chip, longContextThreshold: settings.longContextThreshold }) : [];
    case 'markdown':
      return SERVE_RE.test(text) ? analyzeMarkdown(text, { chip: settings.chip, longContextThreshold: settings.longContextThreshold }) : [];
    case 'python': {
      const parser = await sharedParser();
      const doc = PythonDocument.create(parser, text, false);
      try {
        const release = pickRelease(opts.hostTorchNpu || settings.torchNpuVersion || undefined);
        const heads = [...new Set(doc.imports().filter((i) => i.level === 0).map((i) => i.module.split('.')[0]))];
        opts.index?.addRootsFor(file, heads);
        const ctx = doc.context({ index: opts.index, module: opts.index?.refOf(file, heads), release });
        opts.index?.adopt(file, text, ...doc.root(), ctx.npuNative);
        if (!ctx.relevant && sel !== 'included' && !doc.hasMappings()) return [];
        const idx = doc.hasMappings() ? readIndex(opts.readSibling) : undefined;
        return doc.findings(ctx, idx);
      } finally {
        doc.dispose();
      }
    }
    default:
      return [];
  }
}

function guessKind(text: string): FileKind | undefined {
  const t = text.trimStart();
  if (t.startsWith('#!') && /\b(ba|z)?sh\b/.test(t.split('\n')[0])) return 'shell';
  if (t.startsWith('{')) return 'quant-description';
  return 'python';
}

let parserPromise: ReturnType<typeof pythonParser> | undefined;
export function sharedParser(): ReturnType<typeof pythonParser> {
  parserPromise ??= pythonParser();
  return parserPromise;
}

/** Decodes file bytes; undefined for binary content (NUL bytes). Invalid UTF-8 is decoded lossily. */
export function decodeText(buf: Buffer): string | undefined {
  const head = buf.subarray(0, 8192);
  if (head.includes(0)) return undefined;
  return new TextDecoder('utf-8', { fatal: false }).decode(buf);
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.venv', 'venv', '__pycache__', '.vscode-test', 'site-packages']);

/** Why a file was not analysed. */
export type SkipReason = 'too-large' | 'binary' | 'unreadable' | 'not-a-regular-file';
export interface Skipped {
  file: string;
  reason: SkipReason;
  /** Size in bytes (too-large), the errno code (unreadable, or dangling-link) or the file type (fifo, character-device, block-device, socket, special). */
  detail?: string;
}

/** What a non-regular file is (a code; faces translate it). */
function kindOfStat(st: fs.Stats): string {
  return st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : st.isSocket() ? 'socket' : 'special';
}

/**
 * Expands directories into the files the analysers handle. Entries that are not regular files (FIFOs,
 * devices, sockets) are listed in `special` and never opened.
 */
export function expandPaths(paths: string[], settings: LintSettings = DEFAULT_LINT_SETTINGS, roots: string[] = []): { files: string[]; missing: string[]; special: Skipped[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const special: Skipped[] = [];
  const wanted = (p: string) => fileKind(p) !== undefined || selection(p, settings, roots) === 'included';
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (e.isFile()) {
        if (wanted(p)) files.push(p);
      } else if (wanted(p) && selection(p, settings, roots) !== 'excluded') {
        let st: fs.Stats | undefined;
        try {
          st = fs.statSync(p); // a symlink to a regular file is fine
        } catch {
          /* dangling link */
        }
        if (st?.isFile()) files.push(p);
        else if (!st?.isDirectory()) special.push({ file: p, reason: st ? 'not-a-regular-file' : 'unreadable', detail: st ? kindOfStat(st) : 'dangling-link' });
      }
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      missing.push(p);
      continue;
    }
    if (st.isDirectory()) walk(p);
    else if (st.isFile()) files.push(p);
    else special.push({ file: p, reason: 'not-a-regular-file', detail: kindOfStat(st) });
  }
  return { files, missing, special };
}

export interface LintRun {
  /** Files analysed (whether or not they had findings). */
  files: string[];
  skipped: Skipped[];
  findings: FileFinding[];
}

export interface LintPathOptions {
  settings?: LintSettings;
  /** Folders relative globs are relative to; also searched for imported modules. */
  roots?: string[];
  hostTorchNpu?: string;
  /** Reuse a module index (bench, server); one is made otherwise. */
  index?: ModuleIndex;
}

/**
 * Analyses files and folders on disk (no server needed) and says what it did: which files it checked, which
 * it skipped and why. The report lists the findings as adaptation items; `ascend-adapt lint` prints them.
 * Explicitly named files are analysed even when the default selection would skip them.
 */
export async function lintPaths(paths: string[], opts: LintPathOptions = {}): Promise<LintRun> {
  const settings = opts.settings ?? DEFAULT_LINT_SETTINGS;
  const roots = opts.roots ?? [];
  const { files, special } = expandPaths(paths, settings, roots);
  const named = new Set(paths.map((p) => path.resolve(p)));
  const index = opts.index ?? new ModuleIndex(await sharedParser());
  index.setRoots([...roots, ...settings.extraPaths.flatMap(extraRoots)]);
  const run: LintRun = { files: [], skipped: [...special], findings: [] };
  for (const file of files) {
    let buf: Buffer;
    try {
      const st = fs.statSync(file);
      if (!st.isFile()) {
        run.skipped.push({ file, reason: 'not-a-regular-file', detail: kindOfStat(st) });
        continue;
      }
      if (st.size > settings.maxFileSizeKB * 1024) {
        run.skipped.push({ file, reason: 'too-large', detail: String(st.size) });
        continue;
      }
      buf = fs.readFileSync(file);
    } catch (e) {
      run.skipped.push({ file, reason: 'unreadable', detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      continue;
    }
    const text = decodeText(buf);
    if (text === undefined) {
      run.skipped.push({ file, reason: 'binary' });
      continue;
    }
    run.files.push(file);
    if (fileKind(file) === 'python') index.remember(file, text);
    const force = named.has(path.resolve(file)) && fileKind(file) !== undefined;
    const found = await analyzeText(file, text, { settings, readSibling: siblingReader(file), force, roots, index, hostTorchNpu: opts.hostTorchNpu });
    found.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    for (const f of found) run.findings.push({ file, ...f });
  }
  return run;
}

/** An extra path may be a folder holding packages (a checkout) or a package itself: search both. */
export function extraRoots(p: string): string[] {
  const abs = path.resolve(p);
  return fs.existsSync(path.join(abs, '__init__.py')) ? [abs, path.dirname(abs)] : [abs];
}

/** The findings of `lintPaths` (the report's adaptation items). */
export async function analyzeWorkspaceFiles(paths: string[], opts: { settings?: LintSettings; roots?: string[] } = {}): Promise<FileFinding[]> {
  return (await lintPaths(paths, opts)).findings;
}

/** Counts for a report or a status line: by severity and by rule code. */
export function summarizeFindings(findings: Finding[]): { errors: number; warnings: number; information: number; hints: number; byCode: Record<string, number> } {
  const byCode: Record<string, number> = {};
  for (const f of findings) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return { errors: n('error'), warnings: n('warning'), information: n('information'), hints: n('hint'), byCode };
}
