import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as l10n from '@vscode/l10n';
import {
  CodeAction,
  CodeActionKind,
  CompletionItemKind,
  createConnection,
  type Diagnostic,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type DocumentDiagnosticReport,
  DocumentDiagnosticReportKind,
  MarkupKind,
  ProposedFeatures,
  RenameFile,
  TextDocumentSyncKind,
  type InitializeParams,
  type TextEdit,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  analyzeText,
  contains,
  decodeText,
  DEFAULT_LINT_SETTINGS,
  extraRoots,
  fileKind,
  type FileKind,
  type Finding,
  INDEX_FILES,
  type LintSettings,
  parseIndexNames,
  parseLintSettings,
  ModuleIndex,
  PythonDocument,
  type Range,
  selection,
  sharedParser,
  siblingReader,
} from '../core/analysis/index';
import { pickRelease, type ReleaseChoice } from '../core/knowledge/torch-npu-signatures';
import { langOf, setProcessLanguage } from '../core/l10n';
import { FINDINGS_GLOB, ProfileInput } from './profile-findings';
import { CHECK_FILE_COMMAND, HOST_ENVIRONMENT_NOTIFICATION, SETTINGS_SECTION } from './protocol';

/**
 * Ascend Adapt language server (`node dist/server.js --stdio`): NPU operator-support diagnostics (pull
 * model), hovers, quick fixes and torch_npu keyword completion for Python patches / mappings, quant
 * descriptions and `vllm serve` scripts. All analysis lives in src/core/analysis; this file is wiring.
 */

const connection = createConnection(ProposedFeatures.all);

interface DocState {
  uri: string;
  file: string;
  languageId: string;
  version: number;
  kind: FileKind | undefined;
  /** Plain text for non-Python documents. */
  doc: TextDocument;
  py?: PythonDocument;
  binary: boolean;
  forced: boolean;
  cache?: { version: number; settingsKey: string; findings: Finding[] };
}

const docs = new Map<string, DocState>();
let settings: LintSettings = DEFAULT_LINT_SETTINGS;
let settingsKey = JSON.stringify(settings);
let canPullConfiguration = false;
/** Bumped when a non-Python document (index, quant description …) opens, changes or closes: findings that
 * read files beside them are recomputed (Python chunk caches keep that cheap). */
let worldVersion = 0;
let canRegisterConfiguration = false;
let canWatchFiles = false;
/** Workspace folders (relative globs in the settings are relative to them). */
let roots: string[] = [];
/** torch_npu of the host from the client's last environment check (wins over the setting). */
let hostTorchNpu: string | undefined;
const parserReady = sharedParser();
/** AI CPU operators of the workspace's newest profile (.ascend-adapt/profile-findings.json). */
const profile = new ProfileInput(() => roots);
parserReady.catch((e) => connection.console.error(`tree-sitter failed to load: ${(e as Error).message}`));
/**
 * Workspace and extra-path modules. Resolution follows files as saved: watched-file events invalidate it
 * (an unsaved edit changes only its own document's findings).
 */
let moduleIndex: ModuleIndex | undefined;
async function modules(): Promise<ModuleIndex> {
  moduleIndex ??= new ModuleIndex(await parserReady);
  const base = roots[0] ?? process.cwd();
  moduleIndex.setRoots([...roots, ...settings.extraPaths.flatMap((p) => extraRoots(path.resolve(base, p)))]);
  return moduleIndex;
}

function release(): ReleaseChoice {
  return pickRelease(hostTorchNpu || settings.torchNpuVersion || undefined);
}

/** Every document operation runs in order on one queue, so a diagnostic request sees the latest edit. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T> | T, fallback: T): Promise<T> {
  const run = queue.then(fn).catch((e) => {
    connection.console.error(`ascend-adapt: ${(e as Error).stack ?? String(e)}`);
    return fallback;
  });
  queue = run;
  return run;
}

/** A file beside `uri` (same folder), as a URI: for the rename quick fix. */
function siblingUri(uri: string, name: string): string {
  const u = new URL(uri);
  u.pathname = u.pathname.replace(/[^/]*$/, encodeURIComponent(name));
  return u.toString();
}

function uriToFile(uri: string): string {
  try {
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

function kindOf(file: string, languageId: string): FileKind | undefined {
  const k = fileKind(file);
  if (k) return k;
  if (languageId === 'python') return 'python';
  if (languageId === 'shellscript') return 'shell';
  if (languageId === 'markdown') return 'markdown';
  return undefined;
}

function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes('\u0000');
}

async function openDoc(uri: string, languageId: string, version: number, text: string): Promise<void> {
  docs.get(uri)?.py?.dispose();
  const file = uriToFile(uri);
  const st: DocState = { uri, file, languageId, version, kind: kindOf(file, languageId), doc: TextDocument.create(uri, languageId, version, text), binary: looksBinary(text), forced: false };
  if (st.kind === 'python' && !st.binary && text.length <= settings.maxFileSizeKB * 1024) {
    st.py = PythonDocument.create(await parserReady, text, true);
  }
  docs.set(uri, st);
  if (st.kind !== 'python') worldVersion++;
}

/** Reads a file beside the document: an open editor's text first, else the disk. */
function siblingOf(st: DocState): (name: string) => string | undefined {
  return (name) => {
    const p = path.join(path.dirname(st.file), name);
    for (const d of docs.values()) if (d.file === p) return d.py ? d.py.text : d.doc.getText();
    try {
      const s = fs.statSync(p);
      return s.isFile() && s.size < 64 * 1024 * 1024 ? fs.readFileSync(p, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Checkpoint index names beside a mapping file, parsed once per text (indexes can be megabytes). */
const indexCache = new Map<string, { text: string; names: string[] | undefined }>();
function indexBeside(st: DocState): { names: string[]; file: string } | undefined {
  const read = siblingOf(st);
  for (const f of INDEX_FILES) {
    const text = read(f);
    if (text === undefined) continue;
    const p = path.join(path.dirname(st.file), f);
    let hit = indexCache.get(p);
    if (!hit || hit.text !== text) {
      hit = { text, names: parseIndexNames(text) };
      indexCache.set(p, hit);
    }
    if (hit.names) return { names: hit.names, file: f };
  }
  return undefined;
}

async function findingsOf(st: DocState): Promise<Finding[]> {
  const key = `${settingsKey}#${worldVersion}#${hostTorchNpu ?? ''}#${moduleIndex?.generation ?? 0}#${profile.refresh()}`;
  if (st.cache && st.cache.version === st.version && st.cache.settingsKey === key) return st.cache.findings;
  let findings: Finding[] = [];
  const enabled = settings.enable || st.forced;
  const sel = st.forced ? 'included' : selection(st.file, settings, roots);
  if (enabled && sel !== 'excluded' && !st.binary) {
    if (st.kind === 'python' && st.py) {
      const index = await modules();
      const file = st.uri.startsWith('file:') ? st.file : undefined;
      const heads = [...new Set(st.py.imports().filter((i) => i.level === 0).map((i) => i.module.split('.')[0]))];
      if (file) index.addRootsFor(file, heads);
      const ctx = st.py.context({ index, module: file ? index.refOf(file, heads) : undefined, release: release() });
      if (ctx.relevant || sel === 'included' || st.py.hasMappings()) {
        const index = st.py.hasMappings() ? indexBeside(st) : undefined;
        findings = st.py.findings(ctx, index);
      }
      findings = [...findings, ...(await profile.forPython(st.py.text))];
    } else if (st.kind !== 'python') {
      const text = st.doc.getText();
      if (text.length <= settings.maxFileSizeKB * 1024) {
        findings = await analyzeText(st.file, text, { settings, readSibling: siblingOf(st), force: st.forced, roots, hostTorchNpu });
      }
    }
  }
  st.cache = { version: st.version, settingsKey: key, findings };
  return findings;
}

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function toDiagnostic(f: Finding): Diagnostic {
  return { range: f.range, severity: SEVERITY[f.severity], code: f.code, codeDescription: { href: f.href }, source: 'ascend-adapt', message: f.message };
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

async function refreshSettings(): Promise<void> {
  if (!canPullConfiguration) return;
  try {
    const raw = (await connection.workspace.getConfiguration(SETTINGS_SECTION)) as unknown;
    const { settings: s, problems } = parseLintSettings(raw);
    for (const p of problems) connection.console.warn(l10n.t('Ignoring setting {0}', p));
    settings = s;
    settingsKey = JSON.stringify(s);
  } catch (e) {
    connection.console.warn(`ascend-adapt: could not read settings: ${(e as Error).message}`);
  }
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  setProcessLanguage(langOf(params.locale));
  canPullConfiguration = !!params.capabilities.workspace?.configuration;
  canRegisterConfiguration = !!params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration;
  canWatchFiles = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
  roots = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri }] : [])).filter((f) => f.uri.startsWith('file:')).map((f) => uriToFile(f.uri));
  const init = params.initializationOptions as { settings?: unknown; hostTorchNpu?: unknown } | undefined;
  if (init?.settings) {
    settings = parseLintSettings(init.settings).settings;
    settingsKey = JSON.stringify(settings);
  }
  if (typeof init?.hostTorchNpu === 'string') hostTorchNpu = init.hostTorchNpu;
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      diagnosticProvider: { identifier: 'ascend-adapt', interFileDependencies: true, workspaceDiagnostics: false },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      completionProvider: { triggerCharacters: ['(', ',', ' ', '.'] },
      executeCommandProvider: { commands: [CHECK_FILE_COMMAND] },
    },
    serverInfo: { name: 'ascend-adapt', version: typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0' },
  };
});

declare const PACKAGE_VERSION: string | undefined;

connection.onInitialized(() => {
  if (canRegisterConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION });
  if (canWatchFiles) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.py' }, { globPattern: FINDINGS_GLOB }] });
  void serial(refreshSettings, undefined);
});

// A Python file changed on disk (saved, created, deleted): what other files resolve through it may change.
connection.onDidChangeWatchedFiles((p) => {
  void serial(() => {
    // (a new profile's findings file is picked up by findingsOf: it compares the file's modification time)
    if (moduleIndex) for (const c of p.changes) moduleIndex.invalidate(uriToFile(c.uri));
    connection.languages.diagnostics.refresh();
  }, undefined);
});

// The client tells which torch_npu the host runs (from its last environment check).
connection.onNotification(HOST_ENVIRONMENT_NOTIFICATION, (p: unknown) => {
  void serial(() => {
    const v = p && typeof p === 'object' && typeof (p as { torchNpu?: unknown }).torchNpu === 'string' ? (p as { torchNpu: string }).torchNpu : undefined;
    if (v === hostTorchNpu) return;
    hostTorchNpu = v;
    connection.languages.diagnostics.refresh();
  }, undefined);
});

connection.onDidChangeConfiguration((change) => {
  void serial(async () => {
    if (canPullConfiguration) await refreshSettings();
    else {
      const s = (change.settings as { ascendAdapt?: { lint?: unknown } } | undefined)?.ascendAdapt?.lint;
      settings = parseLintSettings(s).settings;
      settingsKey = JSON.stringify(settings);
    }
    connection.languages.diagnostics.refresh();
  }, undefined);
});

connection.onDidOpenTextDocument((p) => {
  void serial(() => openDoc(p.textDocument.uri, p.textDocument.languageId, p.textDocument.version, p.textDocument.text), undefined);
});

connection.onDidChangeTextDocument((p) => {
  void serial(async () => {
    const st = docs.get(p.textDocument.uri);
    if (!st) return;
    st.doc = TextDocument.update(st.doc, p.contentChanges, p.textDocument.version);
    st.version = p.textDocument.version;
    // re-check for binary content only when it can have changed (a NUL typed, or it was binary before)
    if (st.binary || p.contentChanges.some((c) => c.text.includes('\u0000') || !('range' in c))) st.binary = looksBinary(st.doc.getText());
    if (st.kind !== 'python') {
      worldVersion++;
      return;
    }
    const tooBig = st.doc.getText().length > settings.maxFileSizeKB * 1024;
    if (st.binary || tooBig) {
      st.py?.dispose();
      st.py = undefined;
      return;
    }
    if (!st.py) {
      st.py = PythonDocument.create(await parserReady, st.doc.getText(), true);
      return;
    }
    try {
      for (const c of p.contentChanges) st.py.applyChange('range' in c ? { range: c.range, text: c.text } : { text: c.text });
      if (st.py.text.length !== st.doc.getText().length) throw new Error('document out of sync');
    } catch (e) {
      connection.console.warn(`ascend-adapt: re-parsing ${st.uri} (${(e as Error).message})`);
      st.py.dispose();
      st.py = PythonDocument.create(await parserReady, st.doc.getText(), true);
    }
  }, undefined);
});

connection.onDidCloseTextDocument((p) => {
  void serial(() => {
    const st = docs.get(p.textDocument.uri);
    st?.py?.dispose();
    docs.delete(p.textDocument.uri);
    if (st && st.kind !== 'python') worldVersion++;
  }, undefined);
});

connection.languages.diagnostics.on((p) =>
  serial<DocumentDiagnosticReport>(
    async () => {
      const st = docs.get(p.textDocument.uri);
      const items = st ? (await findingsOf(st)).map(toDiagnostic) : [];
      // resultId = hash of the report: the client re-pulls every open document when any of them changes
      // (interFileDependencies), and an unchanged report then costs one short answer.
      const resultId = createHash('sha1').update(JSON.stringify(items)).digest('base64url');
      if (p.previousResultId === resultId) return { kind: DocumentDiagnosticReportKind.Unchanged, resultId };
      return { kind: DocumentDiagnosticReportKind.Full, resultId, items };
    },
    { kind: DocumentDiagnosticReportKind.Full, items: [] as Diagnostic[] } as DocumentDiagnosticReport,
  ),
);

connection.onHover((p) =>
  serial(async () => {
    const st = docs.get(p.textDocument.uri);
    if (!st) return null;
    const parts: string[] = [];
    let r: Range | undefined;
    for (const f of await findingsOf(st)) {
      if (contains(f.range, p.position)) {
        parts.push(f.hover ?? f.message);
        r ??= f.range;
      }
    }
    if (st.py) {
      const h = st.py.hover(p.position, st.py.context({ release: release() }));
      if (h) {
        parts.push(h.markdown);
        r ??= h.range;
      }
    }
    if (!parts.length) return null;
    return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') }, range: r };
  }, null),
);

connection.onCodeAction((p) =>
  serial(async () => {
    const st = docs.get(p.textDocument.uri);
    if (!st) return [];
    if (p.context.only && !p.context.only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
    const actions: CodeAction[] = [];
    const seen = new Set<string>();
    for (const f of await findingsOf(st)) {
      if (!overlaps(f.range, p.range)) continue;
      const diag = p.context.diagnostics.find((d) => d.code === f.code && d.range.start.line === f.range.start.line && d.range.start.character === f.range.start.character) ?? toDiagnostic(f);
      for (const fix of f.fixes) {
        const key = `${fix.title}|${JSON.stringify(fix.edits)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const a = fix.renameTo
          ? CodeAction.create(fix.title, { documentChanges: [RenameFile.create(st.uri, siblingUri(st.uri, fix.renameTo))] }, CodeActionKind.QuickFix)
          : CodeAction.create(fix.title, { changes: { [st.uri]: fix.edits } }, CodeActionKind.QuickFix);
        a.diagnostics = [diag];
        if (fix.preferred) a.isPreferred = true;
        actions.push(a);
      }
    }
    // every mechanical replacement in the file at once (Python: distinct syntax nodes, never overlapping)
    if (actions.length && st.kind === 'python') {
      const all = (await findingsOf(st)).flatMap((f) => f.fixes.filter((x) => x.preferred).map((x) => ({ f, x })));
      const edits: TextEdit[] = [];
      const ordered = all.flatMap((a) => a.x.edits).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
      for (const e of ordered) {
        const last = edits[edits.length - 1];
        if (last && !(last.range.end.line < e.range.start.line || (last.range.end.line === e.range.start.line && last.range.end.character <= e.range.start.character))) continue;
        edits.push(e);
      }
      if (edits.length > 1) {
        const imp = (await findingsOf(st)).flatMap((f) => f.fixes).find((x) => !x.preferred && x.edits.length === 1 && x.edits[0].newText === 'import torch_npu\n');
        const a = CodeAction.create(l10n.t('Apply all {0} NPU replacements in this file', String(edits.length)), { changes: { [st.uri]: imp ? [...imp.edits, ...edits] : edits } }, CodeActionKind.QuickFix);
        actions.push(a);
      }
    }
    return actions;
  }, [] as CodeAction[]),
);

connection.onCompletion((p) =>
  serial(async () => {
    const st = docs.get(p.textDocument.uri);
    if (!st?.py) return [];
    return st.py.completions(p.position, st.py.context({ release: release() })).map((c) => ({
      label: c.label,
      insertText: c.insertText,
      kind: c.label.endsWith('=') ? CompletionItemKind.Property : CompletionItemKind.Function,
      detail: c.detail,
      documentation: { kind: MarkupKind.Markdown, value: c.documentation },
    }));
  }, []),
);

connection.onExecuteCommand((p) =>
  serial(async () => {
    if (p.command !== CHECK_FILE_COMMAND) return null;
    const uri = typeof p.arguments?.[0] === 'string' ? (p.arguments[0] as string) : undefined;
    if (!uri) return { uri: null, error: l10n.t('No file given: pass the document URI as the first argument.') };
    let st = docs.get(uri);
    let diagnostics: Diagnostic[];
    if (st) {
      st.forced = true;
      st.cache = undefined;
      diagnostics = (await findingsOf(st)).map(toDiagnostic);
      connection.languages.diagnostics.refresh();
    } else {
      const file = uriToFile(uri);
      let text: string | undefined;
      try {
        text = decodeText(fs.readFileSync(file));
      } catch (e) {
        return { uri, error: l10n.t('Cannot read {0}: {1}', file, (e as Error).message) };
      }
      st = undefined;
      const index = await modules();
      index.addRootsFor(file);
      diagnostics = text === undefined ? [] : (await analyzeText(file, text, { settings, force: true, readSibling: siblingReader(file), roots, index, hostTorchNpu })).map(toDiagnostic);
    }
    const count = (s: DiagnosticSeverity) => diagnostics.filter((d) => d.severity === s).length;
    return { uri, errors: count(DiagnosticSeverity.Error), warnings: count(DiagnosticSeverity.Warning), information: count(DiagnosticSeverity.Information), diagnostics };
  }, null),
);

process.on('uncaughtException', (e) => connection.console.error(`ascend-adapt: uncaught ${(e as Error).stack ?? String(e)}`));
process.on('unhandledRejection', (e) => connection.console.error(`ascend-adapt: unhandled ${(e as Error)?.stack ?? String(e)}`));

connection.listen();
