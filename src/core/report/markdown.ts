import { translator, type Lang } from '../l10n';
import type { ReportProblem } from './load';
import { renderAdaptation, renderHead } from './md-head';
import { renderProfiling } from './md-profile';
import { renderAccuracy, renderInference, renderPerformance } from './md-results';
import { renderConclusion, renderEnvironment, renderFiles, renderFootnotes } from './md-tail';
import { Md } from './md-writer';
import { mdText } from './mdtext';
import type { PartialReport } from './schema';

/**
 * The report as Markdown, laid out like the hand-written adaptation reports users hand their managers:
 * summary table, adaptation items, quantization, accuracy, performance, inference outputs, serving,
 * batch smoke table, environment, files, notes, conclusion — in English or Chinese. Every figure carries a
 * footnote [^En] whose definition names the job, host, times, command and log offset / result file.
 * Text from the model or the host is escaped (mdtext.ts): it never becomes markup.
 */
export interface MarkdownOptions {
  lang: Lang;
  /** Problems found while loading (shown at the top). */
  problems?: ReportProblem[];
  /**
   * Internal: 'html' makes figures, evidence references and chart slots come out as markers that
   * html.ts turns into clickable elements and inline SVG (one layout for both formats).
   */
  target?: 'md' | 'html';
}

export { MARK, shellLine, curlLine } from './md-writer';

export function renderMarkdown(report: PartialReport, opts: MarkdownOptions): string {
  const t = translator(opts.lang);
  const md = new Md(t, opts.target === 'html');
  const modelName = report.model?.name ? mdText(report.model.name) : t.tr('(unknown model)');
  renderHead(md, report, modelName, opts.problems);
  renderAdaptation(md, report);
  renderAccuracy(md, report);
  renderPerformance(md, report);
  renderProfiling(md, report);
  renderInference(md, report);
  renderEnvironment(md, report);
  renderFiles(md, report);
  renderConclusion(md, report, modelName);
  renderFootnotes(md, report);
  // One blank line between blocks; a code block's own blank lines (one entry of md.lines) stay as they are.
  return md.lines.filter((l, i, all) => !(l === '' && (i === 0 || all[i - 1] === ''))).join('\n').trimEnd() + '\n';
}
