import * as l10n from '@vscode/l10n';
import { parse as parseJsonc, visit, type ParseError } from 'jsonc-parser/lib/esm/main.js'; // the ESM build bundles; the UMD one requires files at run time
import type { z } from 'zod';
import { checkReferences } from './figures';
import { Report, REPORT_SCHEMA_ID, REPORT_SCHEMA_VERSION, SECTION_KEYS, type PartialReport } from './schema';

/**
 * Reading a report file that may be damaged: from a newer version, truncated, with wrong types or missing
 * sections. Never throws. Each problem names the file and the field; everything that still parses is
 * returned so the faces can show it (sections that could not be read are absent from `report`).
 */
export interface ReportProblem {
  /** JSON path of the field ("accuracy.datasets[1].measured.value"), or "" for the whole file. */
  path: string;
  severity: 'error' | 'warning';
  /** Human message, already naming the file and the field. */
  message: string;
}

export interface LoadedReport {
  file: string;
  report: PartialReport;
  problems: ReportProblem[];
  /** True when the whole file parsed against the schema with no problem at all. */
  complete: boolean;
}

const SHAPE = Report.shape;

function fmtPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s;
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    const got = value === undefined ? 'missing' : value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return got === 'missing' ? l10n.t('missing (expected {0})', issue.expected) : l10n.t('expected {0}, got {1}', issue.expected, got);
  }
  return issue.message;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

/**
 * Parse one section; when it fails because of some elements of an array, drop those elements (each
 * reported) and keep the rest. Gives up on the section after a few rounds.
 */
function parseSection(
  key: (typeof SECTION_KEYS)[number],
  raw: unknown,
  file: string,
  problems: ReportProblem[],
): { ok: boolean; value?: unknown } {
  const schema = SHAPE[key] as z.ZodType;
  const current: unknown = structuredClone(raw);
  for (let round = 0; round < 5; round++) {
    const r = schema.safeParse(current);
    if (r.success) return { ok: true, value: r.data };
    // Find the deepest array element on each failing path; drop those elements and report the issues.
    const drops = new Map<string, { arr: unknown[]; index: number; arrPath: PropertyKey[] }>();
    for (const issue of r.error.issues) {
      const full = [key, ...issue.path];
      problems.push({
        path: fmtPath(full),
        severity: 'error',
        message: l10n.t('{0}: field "{1}": {2}', file, fmtPath(full), issueText(issue, valueAt(current, issue.path))),
      });
      let lastArr = -1;
      for (let i = issue.path.length - 1; i >= 0; i--) {
        if (typeof issue.path[i] === 'number' && Array.isArray(valueAt(current, issue.path.slice(0, i)))) {
          lastArr = i;
          break;
        }
      }
      if (lastArr >= 0) {
        const arrPath = issue.path.slice(0, lastArr);
        const arr = valueAt(current, arrPath) as unknown[];
        const index = issue.path[lastArr] as number;
        drops.set(`${fmtPath(arrPath)}#${index}`, { arr, index, arrPath });
      }
    }
    if (drops.size === 0) {
      problems.push({
        path: key,
        severity: 'error',
        message: l10n.t('{0}: section "{1}" could not be read and is not shown', file, key),
      });
      return { ok: false };
    }
    // Remove from the highest index down so indices stay valid.
    const sorted = [...drops.values()].sort((a, b) => b.index - a.index);
    for (const d of sorted) {
      d.arr.splice(d.index, 1);
      problems.push({
        path: fmtPath([key, ...d.arrPath, d.index]),
        severity: 'warning',
        message: l10n.t('{0}: entry "{1}" left out because it could not be read', file, fmtPath([key, ...d.arrPath, d.index])),
      });
    }
  }
  problems.push({ path: key, severity: 'error', message: l10n.t('{0}: section "{1}" could not be read and is not shown', file, key) });
  return { ok: false };
}

/**
 * JSON text cut off mid-way (a copy interrupted, a disk full): keep every complete value before the cut.
 * jsonc-parser's tokenizer finds the last point where a value was complete (a `,` between members or
 * elements, or a closing bracket) — a number or string at the very end may itself be cut, so it is
 * dropped — and its fault-tolerant parser closes what is still open. Undefined when nothing is left.
 */
export function repairTruncatedJson(text: string): unknown {
  let cut = -1;
  visit(text, {
    onSeparator: (sep, offset) => {
      if (sep === ',') cut = offset;
    },
    // At the end of the text the tokenizer also reports the brackets it had to close: only real ones count.
    onObjectEnd: (offset, length) => {
      if (length > 0) cut = offset + length;
    },
    onArrayEnd: (offset, length) => {
      if (length > 0) cut = offset + length;
    },
  });
  if (cut < 0) return undefined;
  const errors: ParseError[] = [];
  return parseJsonc(text.slice(0, cut), errors, { allowTrailingComma: true, disallowComments: true });
}

/** Parse a report from its text. `file` is only used in messages. */
export function parseReportText(text: string, file: string): LoadedReport {
  const problems: ReportProblem[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    raw = repairTruncatedJson(text);
    problems.push({
      path: '',
      severity: 'error',
      message:
        raw === undefined
          ? l10n.t('{0} is not valid JSON ({1}); nothing could be read', file, (e as Error).message)
          : l10n.t('{0} is not valid JSON ({1}): it looks truncated; showing what was complete', file, (e as Error).message),
    });
    if (raw === undefined) return { file, report: {}, problems, complete: false };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ path: '', severity: 'error', message: l10n.t('{0} does not hold a report (expected a JSON object)', file) });
    return { file, report: {}, problems, complete: false };
  }
  const obj = raw as Record<string, unknown>;
  if (obj.schema !== REPORT_SCHEMA_ID) {
    problems.push({
      path: 'schema',
      severity: 'warning',
      message: l10n.t('{0}: field "schema" is {1}, expected "{2}"; reading it anyway', file, JSON.stringify(obj.schema) ?? 'missing', REPORT_SCHEMA_ID),
    });
  }
  const version = obj.schemaVersion;
  const report: PartialReport = {};
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push({
      path: 'schemaVersion',
      severity: 'error',
      message: l10n.t('{0}: field "schemaVersion" is {1}, expected a positive integer', file, JSON.stringify(version) ?? 'missing'),
    });
  } else {
    report.schemaVersion = version;
    if (version > REPORT_SCHEMA_VERSION) {
      problems.push({
        path: 'schemaVersion',
        severity: 'warning',
        message: l10n.t(
          '{0} was written with report schema version {1}; this version of Ascend Adapt reads up to {2}. Showing what it understands — update Ascend Adapt to see everything.',
          file,
          String(version),
          String(REPORT_SCHEMA_VERSION),
        ),
      });
    }
  }
  report.schema = REPORT_SCHEMA_ID;
  for (const key of SECTION_KEYS) {
    if (!(key in obj)) {
      // Optional sections: absent in reports that are not fixtures / were not interrupted / did not profile / ran on one host.
      if (key === 'fixture' || key === 'interrupted' || key === 'profiling' || key === 'cluster') continue;
      problems.push({ path: key, severity: 'error', message: l10n.t('{0}: section "{1}" is missing', file, key) });
      continue;
    }
    const r = parseSection(key, obj[key], file, problems);
    if (r.ok) (report as Record<string, unknown>)[key] = r.value;
  }
  for (const p of checkReferences(report)) {
    problems.push({ path: p.path, severity: 'warning', message: l10n.t('{0}: field "{1}": {2}', file, p.path, p.message) });
  }
  // Duplicate messages (an issue repeated while dropping array entries) are reported once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => (seen.has(p.message) ? false : (seen.add(p.message), true)));
  return { file, report, problems: unique, complete: unique.length === 0 };
}

/** Read a report file from disk (the faces use this; the webview gets the result). */
export async function loadReportFile(file: string): Promise<LoadedReport> {
  const fs = await import('node:fs/promises');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return {
      file,
      report: {},
      problems: [{ path: '', severity: 'error', message: l10n.t('cannot read {0}: {1}', file, (e as Error).message) }],
      complete: false,
    };
  }
  return parseReportText(text, file);
}

/** Serialise a report (stable key order from the schema, 2-space indent, trailing newline). */
export function serializeReport(report: Report): string {
  return JSON.stringify(Report.parse(report), null, 2) + '\n';
}
