import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { analyzeWorkspaceFiles, DEFAULT_LINT_SETTINGS, expandPaths, type FileFinding, LintSettings } from '../../core/analysis/index';
import { defineCommand, UsageError } from '../command';
import { opt } from '../options';

/**
 * `ascend-adapt lint PATH… [--format text|json]` — the language server's analysis without VS Code (CI,
 * pre-commit). JSON is an array of {file, range, severity, code, message, source:"ascend-adapt"} with
 * 0-based LSP positions. Exit 1 when any finding is an error.
 */
export interface LintRecord {
  file: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: 'error' | 'warning' | 'information' | 'hint';
  code: string;
  message: string;
  source: 'ascend-adapt';
}

export function toRecord(f: FileFinding, cwd: string): LintRecord {
  return { file: path.relative(cwd, f.file) || f.file, range: f.range, severity: f.severity, code: f.code, message: f.message, source: 'ascend-adapt' };
}

export function formatText(records: LintRecord[]): string {
  const label: Record<LintRecord['severity'], string> = { error: l10n.t('error'), warning: l10n.t('warning'), information: l10n.t('info'), hint: l10n.t('hint') };
  return records.map((r) => `${r.file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${label[r.severity]} [${r.code}] ${r.message}`).join('\n');
}

export const lintCommand = defineCommand({
  name: 'lint',
  summary: () => l10n.t('check patches, weight mappings, quant descriptions and vllm serve scripts for Ascend NPU problems'),
  description: () => [l10n.t('Folders are searched for Python files that import torch / vllm / vllm_ascend / torch_npu, quant_model_description*.json, and shell / Markdown files that run vllm serve.')],
  positionals: { usage: 'PATH…', min: 1 },
  options: {
    format: opt.string({ choices: ['text', 'json'], default: 'text', help: () => l10n.t('output format (json: an array of LSP-style findings on stdout)') }),
    chip: opt.string({ metavar: 'NAME', help: () => l10n.t('target chip as npu-smi names it (e.g. 910B3, 310P3) for chip-specific checks') }),
    include: opt.string({ metavar: 'GLOB', repeat: true, help: () => l10n.t('also analyse matching files the default selection skips') }),
    exclude: opt.string({ metavar: 'GLOB', repeat: true, help: () => l10n.t('never analyse matching files') }),
  },
  exitCodes: () => l10n.t('Exit codes: 0 no errors, 1 at least one error, 2 bad usage.'),
  async run({ values, positionals, io }) {
    const settings = LintSettings.parse({
      ...DEFAULT_LINT_SETTINGS,
      chip: values.chip ?? '',
      include: values.include,
      exclude: [...DEFAULT_LINT_SETTINGS.exclude, ...values.exclude],
    });
    const paths = positionals.map((p) => path.resolve(io.cwd, p));
    const { missing } = expandPaths(paths, settings, [io.cwd]);
    if (missing.length) throw new UsageError(l10n.t('no such file or folder: {0}', missing.map((m) => path.relative(io.cwd, m) || m).join(', ')));
    const findings = await analyzeWorkspaceFiles(paths, { settings, roots: [io.cwd] });
    const records = findings.map((f) => toRecord(f, io.cwd));
    if (values.format === 'json') io.stdout.write(JSON.stringify(records, null, 2) + '\n');
    else if (records.length) io.stdout.write(formatText(records) + '\n');
    const errors = records.filter((r) => r.severity === 'error').length;
    const warnings = records.filter((r) => r.severity === 'warning').length;
    io.stderr.write(l10n.t('{0} error(s), {1} warning(s), {2} other finding(s)', String(errors), String(warnings), String(records.length - errors - warnings)) + '\n');
    return errors > 0 ? 1 : 0;
  },
});
