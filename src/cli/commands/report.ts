import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { currentLanguage, type Lang } from '../../core/l10n';
import { renderComparisonHtml } from '../../core/report/compare';
import { renderReportHtml } from '../../core/report/html';
import { loadReportFile, type LoadedReport } from '../../core/report/load';
import { renderMarkdown } from '../../core/report/markdown';
import { defineCommand, defineGroup, type CliIO } from '../command';
import { opt } from '../options';

/** Reports render in the language of the command (--lang / LANG). */
export function reportLang(): Lang {
  return currentLanguage();
}

function printProblems(loaded: LoadedReport, io: CliIO): void {
  for (const p of loaded.problems) io.stderr.write(`${p.severity === 'error' ? l10n.t('error') : l10n.t('warning')}: ${p.message}\n`);
}

/** 2: nothing readable; 1: shown, but parts could not be read; 0: clean (warnings allowed). */
function exitFor(loaded: LoadedReport): number {
  if (Object.keys(loaded.report).length <= 1) return 2;
  return loaded.problems.some((p) => p.severity === 'error') ? 1 : 0;
}

const out = opt.string({ metavar: 'FILE', help: () => l10n.t('write to FILE instead of stdout') });

const render = defineCommand({
  name: 'render',
  summary: () => l10n.t('render a validation report as Markdown or HTML'),
  description: () => [
    l10n.t('Renders a validation_report_YYYYMMDD.json as Markdown laid out like the hand-written adaptation report, or as one HTML page with charts (no remote resources). compare puts two reports side by side.'),
    l10n.t('A damaged report is rendered as far as it can be read; the problems go to stderr (exit 1).'),
    l10n.t('The language of the report is --lang (zh-CN or en).'),
  ],
  positionals: { usage: 'FILE', min: 1, max: 1 },
  options: {
    format: opt.string({ choices: ['md', 'html'], help: () => l10n.t('output format (default: from --out, else md)') }),
    out,
  },
  async run({ values, positionals, io }) {
    const format = values.format ?? (values.out?.endsWith('.html') ? 'html' : 'md');
    const file = path.resolve(io.cwd, positionals[0]!);
    const loaded = await loadReportFile(file);
    printProblems(loaded, io);
    const code = exitFor(loaded);
    if (code === 2) return 2;
    const lang = reportLang();
    const text =
      format === 'md'
        ? renderMarkdown(loaded.report, { lang, problems: loaded.problems })
        : renderReportHtml(loaded.report, { lang, mode: 'standalone', problems: loaded.problems });
    writeOut(text, values.out, io);
    return code;
  },
});

const compare = defineCommand({
  name: 'compare',
  summary: () => l10n.t('put two validation reports side by side (HTML)'),
  positionals: { usage: 'FILE_A FILE_B', min: 2, max: 2 },
  options: {
    'label-a': opt.string({ metavar: 'TEXT', help: () => l10n.t('label of the first report (default: its file name)') }),
    'label-b': opt.string({ metavar: 'TEXT', help: () => l10n.t('label of the second report (default: its file name)') }),
    out,
  },
  async run({ values, positionals, io }) {
    const [a, b] = await Promise.all(positionals.map((p) => loadReportFile(path.resolve(io.cwd, p))));
    printProblems(a!, io);
    printProblems(b!, io);
    if (exitFor(a!) === 2 || exitFor(b!) === 2) return 2;
    const html = renderComparisonHtml(a!.report, b!.report, {
      lang: reportLang(),
      mode: 'standalone',
      labels: [values['label-a'] ?? path.basename(positionals[0]!), values['label-b'] ?? path.basename(positionals[1]!)],
    });
    writeOut(html, values.out, io);
    return Math.max(exitFor(a!), exitFor(b!));
  },
});

function writeOut(text: string, file: string | undefined, io: CliIO): void {
  if (!file) {
    io.stdout.write(text);
    return;
  }
  const out = path.resolve(io.cwd, file);
  fs.writeFileSync(out, text);
  io.stderr.write(l10n.t('wrote {0}', out) + '\n');
}

export const reportCommand = defineGroup({
  name: 'report',
  summary: () => l10n.t('render a validation report as Markdown or HTML, or compare two reports'),
  subcommands: [render, compare],
});
