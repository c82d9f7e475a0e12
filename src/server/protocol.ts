/**
 * What the VS Code client (src/extension) needs to talk to this server. Plain constants, no imports,
 * so the extension can import them without pulling the server in.
 */

/** Settings section pulled with workspace/configuration: ascendAdapt.lint.{enable, include, exclude, chip, longContextThreshold, maxFileSizeKB}. */
export const SETTINGS_SECTION = 'ascendAdapt.lint';

/** workspace/executeCommand id: arguments [documentUri]; returns { uri, errors, warnings, information, diagnostics }. */
export const CHECK_FILE_COMMAND = 'ascendAdapt.server.checkFile';

/** Document selector for the LanguageClient. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'file', language: 'shellscript' },
  { scheme: 'file', language: 'markdown' },
  { scheme: 'file', pattern: '**/quant_model_description*.json' },
];

/** Diagnostic `source` and the rule codes the server emits. */
export const DIAGNOSTIC_SOURCE = 'ascend-adapt';
