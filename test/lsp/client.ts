// A minimal LSP client for tests and the bench: spawns the real bundled server (dist/server.js --stdio)
// and speaks JSON-RPC to it with vscode-languageserver-protocol's node connection.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type Hover,
  type ProtocolConnection,
  type Range,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const serverJs = path.join(repoRoot, 'dist', 'server.js');
export const fixtures = path.join(repoRoot, 'test', 'fixtures', 'lsp');
export const uriOf = (file: string) => pathToFileURL(file).href;

export interface Session {
  conn: ProtocolConnection;
  proc: ChildProcessWithoutNullStreams;
  logs: string[];
  exited: Promise<number | null>;
  /** Settings returned for workspace/configuration requests (mutable). */
  settings: Record<string, unknown>;
  open(uri: string, languageId: string, text: string, version?: number): Promise<void>;
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void>;
  diagnostics(uri: string): Promise<Diagnostic[]>;
  hover(uri: string, line: number, character: number): Promise<Hover | null>;
  codeActions(uri: string, range: Range, diagnostics: Diagnostic[]): Promise<CodeAction[]>;
  complete(uri: string, line: number, character: number): Promise<CompletionItem[]>;
  execute(command: string, args: unknown[]): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startServer(opts: { locale?: string; settings?: Record<string, unknown>; root?: string } = {}): Promise<Session> {
  const root = opts.root ?? fixtures;
  const proc = spawn(process.execPath, [serverJs, '--stdio'], { stdio: 'pipe' });
  const logs: string[] = [];
  proc.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const s: Session = {
    conn,
    proc,
    logs,
    exited,
    settings: opts.settings ?? {},
    async open(uri, languageId, text, version = 1) {
      await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
    },
    async change(uri, version, changes) {
      await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    },
    async diagnostics(uri) {
      const r = await conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
      return r.kind === 'full' ? r.items : [];
    },
    hover: (uri, line, character) => conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } }),
    async codeActions(uri, range, diagnostics) {
      const r = await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics } });
      return (r ?? []).filter((x): x is CodeAction => 'title' in x && !('command' in x && typeof x.command === 'string'));
    },
    async complete(uri, line, character) {
      const r = await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } });
      return Array.isArray(r) ? r : (r?.items ?? []);
    },
    execute: (command, args) => conn.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }),
    async stop() {
      try {
        await Promise.race([conn.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification(ExitNotification.type);
      } catch {
        /* already gone */
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      conn.dispose();
    },
  };
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => s.settings));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('workspace/diagnostic/refresh', () => null);
  conn.onNotification('window/logMessage', (m: { message: string }) => logs.push(m.message));
  conn.listen();
  await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: uriOf(root),
    locale: opts.locale ?? 'en',
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: { diagnostic: { dynamicRegistration: false }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } } },
    },
    workspaceFolders: [{ uri: uriOf(root), name: path.basename(root) }],
  });
  await conn.sendNotification(InitializedNotification.type, {});
  return s;
}

/** Applies LSP text edits to a string (for checking what a quick fix produces). */
export function applyEdits(text: string, edits: { range: Range; newText: string }[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: { line: number; character: number }) => (p.line < starts.length ? starts[p.line] + p.character : text.length);
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}
