/**
 * What the VS Code client (src/extension) needs to talk to this server. Plain constants, no imports,
 * so the extension can import them without pulling the server in.
 */

/**
 * Settings section pulled with workspace/configuration: ascendAdapt.lint.{enable, include, exclude, chip,
 * longContextThreshold, maxFileSizeKB, torchNpuVersion, extraPaths}.
 */
export const SETTINGS_SECTION = 'ascendAdapt.lint';

/** workspace/executeCommand id: arguments [documentUri]; returns { uri, errors, warnings, information, diagnostics }. */
export const CHECK_FILE_COMMAND = 'ascendAdapt.server.checkFile';

/**
 * Notification client → server: `{ torchNpu?: string }`, the torch_npu version of the host from the last
 * environment check (also accepted as initializationOptions.hostTorchNpu). torch_npu signatures are checked
 * against it; without one, against the ascendAdapt.lint.torchNpuVersion setting, else the newest known release.
 */
export const HOST_ENVIRONMENT_NOTIFICATION = 'ascendAdapt/hostEnvironment';

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
