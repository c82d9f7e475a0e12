import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NamedProfile } from '../profiles/schema';
import { buildReport } from '../report/build';
import { reportFileName } from '../report/format';
import { renderReportHtml } from '../report/html';
import type { Lang } from '../l10n';
import { serializeReport } from '../report/load';
import { renderMarkdown } from '../report/markdown';
import type { Performance, Report, Step } from '../report/schema';
import { servedModelName } from '../serving/command';
import { withSimEnv } from '../jobs/index';
import { plannedServing } from './serve';
import type { RunState } from './state';
import type { StepId, ValidateStep } from './types';

export interface WrittenReport {
  report: Report;
  jsonFile: string;
  markdownFiles: string[];
  htmlFile: string;
}

export interface WriteOptions {
  profile: NamedProfile;
  steps: readonly ValidateStep[];
  langs: Lang[];
  generator: { name: string; version: string };
  target?: Report['target'];
  now: () => Date;
}

/** The step table in step order (steps that never came up in any run are left out). */
function stepRows(state: RunState, order: readonly StepId[]): Step[] {
  return order
    .map((id) => state.records.get(id))
    .filter((r) => r !== undefined)
    .map((r) => ({ name: r.id, status: r.status, reason: r.reason, startedAt: r.startedAt, endedAt: r.endedAt }));
}

/** HBM over the run as a result file and the memory figures that point into it. */
function memoryOf(state: RunState, profile: NamedProfile): { memory: Performance['memory'] | null; samples: Performance['hbmSamples'] } {
  const hbm = state.hbm;
  const sum = hbm?.summary();
  if (!hbm || !sum) return { memory: null, samples: [] };
  const { book } = state;
  const saved = book.writeJson('hbm.json', { unit: 'MB', simulated: state.host?.simulated ?? Boolean(profile.simRoot), ...hbm.describe(), ...sum, samples: hbm.samples });
  const entry = {
    kind: 'result' as const,
    jobId: state.serving?.jobId ?? null,
    host: 'local',
    startedAt: new Date(hbm.startedAtMs).toISOString(),
    endedAt: new Date().toISOString(),
    command: withSimEnv(profile.simRoot, ['npu-smi', 'info']),
    file: saved.file,
    copy: saved.rel,
  };
  const kept = state.hbmEvidence ? book.get(state.hbmEvidence) : undefined;
  if (kept) Object.assign(kept, entry);
  const ev = kept ? kept.id : (state.hbmEvidence = book.add(entry));
  const loadTime = state.serving?.loadTime;
  return {
    memory: {
      perDeviceMB: book.figure('perf.memory.perDeviceMB', sum.perDeviceMB, 'MB', ev, '/perDeviceMB'),
      peakMB: book.figure('perf.memory.peakMB', sum.peakMB, 'MB', ev, '/peakMB'),
      loadTime: loadTime ? { ...loadTime, id: 'perf.memory.loadTime' } : null,
    },
    samples: [...hbm.samples],
  };
}

/** A bundled reference/baseline file that says of itself it is demo data (`"demo": true`). */
function isDemoFile(file: string): boolean {
  if (!file.endsWith('.json')) return false;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof j === 'object' && j !== null && (j as { demo?: unknown }).demo === true;
  } catch {
    return false;
  }
}

/** Assemble the report from the run state and write it: JSON, Markdown per language, HTML. */
export function writeReport(state: RunState, o: WriteOptions): WrittenReport {
  const { memory, samples } = memoryOf(state, o.profile);
  const generatedAt = o.now().toISOString();
  const report = buildReport({
    generatedAt,
    generator: o.generator,
    profile: o.profile,
    servedName: servedModelName(o.profile),
    target: o.target,
    host: state.host,
    ...(state.cluster ? { hosts: state.cluster.hosts, cluster: state.cluster.section } : {}),
    model: state.model,
    analysis: state.analysis,
    quantize: state.quantize,
    steps: stepRows(state, o.steps.map((s) => s.id)),
    interrupted: state.interrupted,
    serving: state.serving ?? plannedServing({ profile: o.profile }),
    smoke: state.smoke,
    accuracy: state.accuracy,
    performance: state.performance,
    profiling: state.profiling,
    memory,
    hbmSamples: samples,
    evidenceFiles: state.book.files().map((rel) => ({ rel, demo: isDemoFile(path.join(state.book.evidenceDir, rel)) })),
    langs: o.langs,
    evidence: state.book.entries,
  });
  const jsonFile = path.join(state.outDir, reportFileName(generatedAt));
  fs.writeFileSync(jsonFile, serializeReport(report));
  const markdownFiles = o.langs.map((lang) => {
    const f = path.join(state.outDir, reportFileName(generatedAt, `${lang}.md`));
    fs.writeFileSync(f, renderMarkdown(report, { lang }));
    return f;
  });
  const htmlFile = path.join(state.outDir, reportFileName(generatedAt, 'html'));
  fs.writeFileSync(htmlFile, renderReportHtml(report, { lang: o.langs[0] ?? 'en', mode: 'standalone' }));
  return { report, jsonFile, markdownFiles, htmlFile };
}
