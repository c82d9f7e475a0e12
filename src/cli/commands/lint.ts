import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_LINT_SETTINGS, expandPaths, type FileFinding, lintPaths, LintSettings, type LintRun, type Skipped } from '../../core/analysis/index';
import { pickRelease } from '../../core/knowledge/torch-npu-signatures';
import { analyzeSnapshot, parseSnapshot } from '../../core/probe/envcheck';
import { defineCommand, UsageError } from '../command';
import { opt } from '../options';

/**
 * `ascend-adapt lint PATH… [--format text|json]` — the language server's analysis without VS Code (CI,
 * pre-commit). JSON is an array of {file, range, severity, code, message, source:"ascend-adapt"} with
 * 0-based LSP positions; with --summary an object {files, skipped, diagnostics} instead. What was checked and
 * skipped (too large, binary, unreadable, not a regular file) is always summarised on stderr.
 * Exit 1 when any finding is an error.
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

/**
 * One line per finding, FILE:LINE:COL: SEVERITY [CODE] MESSAGE. The severity stays an English word in every
 * language (as compilers print it): problem matchers — VS Code's `$ascend-adapt-lint`, CI annotators — key on
 * it; the message is translated.
 */
export function formatText(records: LintRecord[]): string {
  const label: Record<LintRecord['severity'], string> = { error: 'error', warning: 'warning', information: 'info', hint: 'hint' };
  return records.map((r) => `${r.file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${label[r.severity]} [${r.code}] ${r.message}`).join('\n');
}

function skipText(s: Skipped, cwd: string): string {
  const file = path.relative(cwd, s.file) || s.file;
  switch (s.reason) {
    case 'too-large':
      return l10n.t('skipped {0}: too large ({1} KB; the limit is ascendAdapt.lint.maxFileSizeKB)', file, String(Math.ceil(Number(s.detail ?? 0) / 1024)));
    case 'binary':
      return l10n.t('skipped {0}: binary content', file);
    case 'not-a-regular-file': {
      const kinds: Record<string, string> = { fifo: l10n.t('a FIFO'), 'character-device': l10n.t('a character device'), 'block-device': l10n.t('a block device'), socket: l10n.t('a socket') };
      return l10n.t('skipped {0}: not a regular file ({1}); never opened', file, kinds[s.detail ?? ''] ?? l10n.t('a special file'));
    }
    default:
      return l10n.t('skipped {0}: unreadable ({1})', file, s.detail === 'dangling-link' ? l10n.t('a link to nothing') : (s.detail ?? '?'));
  }
}

/** The torch_npu of the first host in a saved environment snapshot, if it has one. */
function torchNpuOfSnapshot(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(l10n.t('cannot read {0}: {1}', file, (e as Error).message));
  }
  let reports;
  try {
    reports = analyzeSnapshot(parseSnapshot(text, file));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return reports.map((r) => r.versions.torch_npu).find((v): v is string => !!v);
}

function summaryLine(run: LintRun, records: LintRecord[]): string {
  const errors = records.filter((r) => r.severity === 'error').length;
  const warnings = records.filter((r) => r.severity === 'warning').length;
  return l10n.t('{0} file(s) checked, {1} skipped: {2} error(s), {3} warning(s), {4} other finding(s)', String(run.files.length), String(run.skipped.length), String(errors), String(warnings), String(records.length - errors - warnings));
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
    'torch-npu': opt.string({ metavar: 'VERSION', help: () => l10n.t('torch_npu release whose operator signatures are checked (default: the host in --env-snapshot, else the newest known)') }),
    'env-snapshot': opt.string({ metavar: 'FILE', help: () => l10n.t('take the torch_npu version from a saved environment check (env-check --save-snapshot)') }),
    'extra-path': opt.string({ metavar: 'DIR', repeat: true, help: () => l10n.t('also resolve imports in this folder (e.g. a checkout of vllm)') }),
    summary: opt.flag(() => l10n.t('with --format json: print {files, skipped, diagnostics} instead of the array')),
  },
  exitCodes: () => l10n.t('Exit codes: 0 no errors, 1 at least one error, 2 bad usage.'),
  async run({ values, positionals, io }) {
    const settings = LintSettings.parse({
      ...DEFAULT_LINT_SETTINGS,
      chip: values.chip ?? '',
      include: values.include,
      exclude: [...DEFAULT_LINT_SETTINGS.exclude, ...values.exclude],
      torchNpuVersion: values['torch-npu'] ?? '',
      extraPaths: values['extra-path'].map((p) => path.resolve(io.cwd, p)),
    });
    const host = values['env-snapshot'] !== undefined ? torchNpuOfSnapshot(path.resolve(io.cwd, values['env-snapshot'])) : undefined;
    if (values['torch-npu'] !== undefined && pickRelease(values['torch-npu']).how !== 'exact') {
      io.stderr.write(l10n.t('torch_npu {0} has no signature data; checking against {1}.', values['torch-npu'], pickRelease(values['torch-npu']).release.torchNpu) + '\n');
    }
    const paths = positionals.map((p) => path.resolve(io.cwd, p));
    const { missing } = expandPaths(paths, settings, [io.cwd]);
    if (missing.length) throw new UsageError(l10n.t('no such file or folder: {0}', missing.map((m) => path.relative(io.cwd, m) || m).join(', ')));
    const bad = settings.extraPaths.filter((p) => !fs.existsSync(p));
    if (bad.length) throw new UsageError(l10n.t('no such file or folder: {0}', bad.join(', ')));
    const run = await lintPaths(paths, { settings, roots: [io.cwd], hostTorchNpu: host });
    const records = run.findings.map((f) => toRecord(f, io.cwd));
    if (values.format === 'json') {
      const rel = (f: string) => path.relative(io.cwd, f) || f;
      const out = values.summary ? { files: run.files.map(rel), skipped: run.skipped.map((x) => ({ ...x, file: rel(x.file) })), diagnostics: records } : records;
      io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else if (records.length) io.stdout.write(formatText(records) + '\n');
    for (const x of run.skipped) io.stderr.write(skipText(x, io.cwd) + '\n');
    io.stderr.write(summaryLine(run, records) + '\n');
    return records.some((r) => r.severity === 'error') ? 1 : 0;
  },
});
