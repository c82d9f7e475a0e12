import type { Translator } from '../l10n';
import { fmtFigure, fmtTime, STATUS_ICON } from './format';
import { codeSpan, fencedBlock, footnoteLabel, mdText, visibleControls } from './mdtext';
import type { Evidence, Figure, Status } from './schema';

/** Markers used in the html target (NUL-delimited, so they survive HTML escaping untouched). */
export const MARK = {
  fig: (figureId: string, evidenceId: string, text: string) => `\u0000F${visibleControls(figureId)}\u0001${visibleControls(evidenceId)}\u0001${text}\u0000`,
  ref: (evidenceId: string) => `\u0000R${visibleControls(evidenceId)}\u0000`,
  chart: (name: string) => `\u0000C${name}\u0000`,
};

/**
 * Collects the lines of one rendering. Section renderers put report data in through `data()` / `text()`
 * (escaped, see mdtext.ts), figures through `fig()` (a footnote, or a clickable marker in the html target).
 */
export class Md {
  lines: string[] = [];
  used = new Set<string>();
  constructor(
    readonly t: Translator,
    readonly html = false,
  ) {}

  p(s = ''): void {
    this.lines.push(s);
  }

  /** Text stored in the report (English), translated and escaped. */
  data(s: string): string {
    return mdText(this.t.data(s));
  }

  /** Text from a host or model that is shown as it is (names, versions, paths), escaped. */
  text(s: string | null | undefined, empty = '—'): string {
    return s === null || s === undefined || s === '' ? empty : mdText(s);
  }

  code(s: string, inTable = false): string {
    return codeSpan(s, inTable);
  }

  block(info: string, body: string): void {
    for (const l of fencedBlock(info, body)) this.p(l);
    this.p();
  }

  chart(name: string): void {
    if (!this.html) return;
    this.p(MARK.chart(name));
    this.p();
  }

  table(head: string[], rows: string[][]): void {
    this.p(`| ${head.join(' | ')} |`);
    this.p(`|${head.map(() => '---').join('|')}|`);
    for (const r of rows) this.p(`| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
    this.p();
  }

  /** A figure with its footnote. */
  fig(f: Figure | null | undefined, digits = 2): string {
    if (!f) return '—';
    this.used.add(f.evidence);
    if (this.html) return MARK.fig(f.id, f.evidence, fmtFigure(f, digits));
    return `${fmtFigure(f, digits)}[^${footnoteLabel(f.evidence)}]`;
  }

  ref(evidenceId: string | null | undefined): string {
    if (!evidenceId) return '';
    this.used.add(evidenceId);
    if (this.html) return MARK.ref(evidenceId);
    return `[^${footnoteLabel(evidenceId)}]`;
  }

  /**
   * The line a section starts with when it did not (fully) run; true when there is nothing more to show.
   * An interrupted section with partial data says so and shows what completed.
   */
  notRun(section: { status: Status; reason: string | null; partial?: boolean } | undefined): boolean {
    const t = this.t;
    if (!section) {
      this.p(`⚠️ ${t.tr('This section is missing from the report file or could not be read.')}`);
      this.p();
      return true;
    }
    if (section.partial) {
      this.p(`${STATUS_ICON.interrupted} ${t.tr('Interrupted')}: ${this.data(section.reason ?? '')} — ${t.tr('partial results: only what completed before the stop')}`);
      this.p();
      return false;
    }
    if (section.status === 'not-run' || section.status === 'skip') {
      this.p(`${STATUS_ICON[section.status]} ${section.status === 'skip' ? t.tr('Skipped') : t.tr('Not run')}: ${this.data(section.reason ?? '')}`);
      this.p();
      return true;
    }
    if (section.status === 'fail' && section.reason) {
      this.p(`❌ ${t.tr('Failed')}: ${this.data(section.reason)}`);
      this.p();
    }
    return false;
  }
}

/** argv → a shell line a person can read and copy (POSIX quoting, continued lines after 2 args). */
export function shellLine(argv: string[], env: Record<string, string> = {}): string {
  const q = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const parts: string[] = [];
  let cur = argv.slice(0, 3).map(q).join(' ');
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      parts.push(cur);
      cur = q(a);
    } else cur += ` ${q(a)}`;
  }
  parts.push(cur);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`);
  return [...exports, parts.join(' \\\n  ')].join('\n');
}

export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The API check as the curl command users paste. */
export function curlLine(endpoint: string | null, body: string): string {
  const base = (endpoint ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  return [`curl -s ${base}/v1/chat/completions \\`, `  -H 'Content-Type: application/json' \\`, `  -d '${prettyJson(body).replace(/'/g, `'\\''`)}'`].join('\n');
}

/** One footnote definition: job, host, times, command, where in which file, the copy beside the report. */
export function evidenceLine(md: Md, e: Evidence): string {
  const t = md.t;
  const where =
    e.kind === 'log'
      ? t.tr('log {0}, byte {1}', md.text(e.file), e.offset ?? 0) + (e.line ? t.tr(' (line {0})', e.line) : '')
      : e.pointer
        ? t.tr('file {0}, at {1}', md.text(e.file), md.text(e.pointer))
        : t.tr('file {0}', md.text(e.file)) + (e.line ? t.tr(' (line {0})', e.line) : '');
  const parts = [
    e.jobId ? t.tr('job {0}', md.text(e.jobId)) : t.tr('no job'),
    t.tr('host {0}', md.text(e.host)),
    e.startedAt ? `${md.text(fmtTime(t, e.startedAt))} → ${e.endedAt ? md.text(fmtTime(t, e.endedAt)) : '…'}` : '',
    e.command.length ? md.code(e.command.join(' ')) : '',
    where,
    e.copy ? t.tr('copy: {0}', md.text(e.copy)) : '',
  ].filter(Boolean);
  return parts.join(' · ');
}
