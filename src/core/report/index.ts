// The validation report: schema, loading, rendering (Markdown / HTML / comparison), webview messages.
export * from './schema';
export * from './figures';
export * from './load';
export { renderMarkdown, shellLine, type MarkdownOptions } from './markdown';
export { renderReportHtml, makeNonce, markdownToHtml, reportCharts, type HtmlOptions } from './html';
export { compareReports, renderComparisonHtml, type CompareOptions, type CompareRow } from './compare';
export { WebviewMessage, parseWebviewMessage } from './messages';
export { reportFileName } from './format';
export { buildReport, type RunData } from './build';
