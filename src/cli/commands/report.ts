import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { currentLanguage, type Lang } from '../../core/l10n';
import { renderComparisonHtml } from '../../core/report/compare';
import { renderReportHtml } from '../../core/report/html';
import { loadReportFile, type LoadedReport } from '../../core/report/load';
import { renderMarkdown } from '../../core/report/markdown';
import { parse } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../command';

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

const usage = () =>
  [
    l10n.t('Usage: ascend-adapt report render FILE --format md|html [--lang zh-CN|en] [--out FILE]'),
    l10n.t('       ascend-adapt report compare FILE_A FILE_B [--label-a TEXT] [--label-b TEXT] [--out FILE]'),
    '',
    l10n.t('Renders a validation_report_YYYYMMDD.json as Markdown laid out like the hand-written adaptation report, or as one HTML page with charts (no remote resources). compare puts two reports side by side.'),
    l10n.t('A damaged report is rendered as far as it can be read; the problems go to stderr (exit 1).'),
  ].join('\n');

async function render(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' }, out: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError(l10n.t('give one report file'));
  const format = values.format ?? (values.out?.endsWith('.html') ? 'html' : 'md');
  if (format !== 'md' && format !== 'html') throw new UsageError(l10n.t('--format must be md or html'));
  const file = path.resolve(io.cwd, positionals[0]);
  const loaded = await loadReportFile(file);
  printProblems(loaded, io);
  const code = exitFor(loaded);
  if (code === 2) return 2;
  const lang = reportLang();
  const text =
    format === 'md'
      ? renderMarkdown(loaded.report, { lang, problems: loaded.problems })
      : renderReportHtml(loaded.report, { lang, mode: 'standalone', problems: loaded.problems });
  if (values.out) {
    const out = path.resolve(io.cwd, values.out);
    fs.writeFileSync(out, text);
    io.stderr.write(l10n.t('wrote {0}', out) + '\n');
  } else io.stdout.write(text);
  return code;
}

async function compare(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, 'label-a': { type: 'string' }, 'label-b': { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError(l10n.t('give two report files'));
  const [a, b] = await Promise.all(positionals.map((p) => loadReportFile(path.resolve(io.cwd, p))));
  printProblems(a, io);
  printProblems(b, io);
  if (exitFor(a) === 2 || exitFor(b) === 2) return 2;
  const html = renderComparisonHtml(a.report, b.report, {
    lang: reportLang(),
    mode: 'standalone',
    labels: [values['label-a'] ?? path.basename(positionals[0]), values['label-b'] ?? path.basename(positionals[1])],
  });
  if (values.out) {
    const out = path.resolve(io.cwd, values.out);
    fs.writeFileSync(out, html);
    io.stderr.write(l10n.t('wrote {0}', out) + '\n');
  } else io.stdout.write(html);
  return Math.max(exitFor(a), exitFor(b));
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: () => l10n.t('render a validation report as Markdown or HTML, or compare two reports'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const sub = args[0];
    if (sub === 'render') return render(args.slice(1), io);
    if (sub === 'compare') return compare(args.slice(1), io);
    throw new UsageError(sub ? l10n.t('unknown report subcommand: {0}', sub) : l10n.t('say what to do: render or compare'));
  },
};
