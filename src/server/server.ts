import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';

// Placeholder server while the foundation is laid; replaced by the language server (issue 5).
const connection = createConnection(ProposedFeatures.all);
connection.onInitialize(() => ({ capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } }));
connection.listen();
