import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostReadFile } from '../jobs/index';
import type { Evidence, Figure } from '../report/schema';
import type { Transport } from '../transport/transport';

/**
 * Collects the evidence of one validation run: numbers them E1, E2 … in the order they are made, writes
 * result files into <out>/evidence/ and copies host logs beside the report (so the report travels with
 * its evidence even when the host is gone), and makes figures that point at them.
 *
 * It remembers every file it put under evidence/: the report lists those, never whatever else happens to
 * lie in the folder.
 */
export class EvidenceBook {
  readonly entries: Evidence[] = [];
  readonly evidenceDir: string;
  /** Paths relative to evidenceDir of the files this run wrote, in the order written. */
  private readonly written = new Set<string>();

  constructor(
    readonly outDir: string,
    readonly hostLabel: string,
  ) {
    this.evidenceDir = path.join(outDir, 'evidence');
    fs.mkdirSync(this.evidenceDir, { recursive: true });
  }

  add(e: Omit<Evidence, 'id'>): string {
    const id = `E${this.entries.length + 1}`;
    this.entries.push({ id, ...e });
    return id;
  }

  get(id: string): Evidence | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** Files (relative to evidenceDir) this run put there, sorted. */
  files(): string[] {
    return [...this.written].filter((r) => fs.existsSync(path.join(this.evidenceDir, r))).sort();
  }

  private target(rel: string): string {
    const file = path.join(this.evidenceDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.written.add(path.relative(this.evidenceDir, file).split(path.sep).join('/'));
    return file;
  }

  /** Write a JSON result file produced on this machine; returns its absolute path and report-relative path. */
  writeJson(rel: string, data: unknown): { file: string; rel: string } {
    const file = this.target(rel);
    fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
    return { file, rel: path.relative(this.outDir, file) };
  }

  /** Copy a file of this machine beside the report. Returns the report-relative path or null. */
  copyLocal(src: string, rel: string): string | null {
    try {
      const dst = this.target(rel);
      fs.copyFileSync(src, dst);
      return path.relative(this.outDir, dst);
    } catch {
      return null;
    }
  }

  /** Copy a file from the host (through the transport) beside the report. Returns the relative path or null. */
  async copyFromHost(transport: Transport, hostFile: string, rel: string): Promise<string | null> {
    try {
      const data = await hostReadFile(transport, hostFile);
      const file = this.target(rel);
      fs.writeFileSync(file, data);
      return path.relative(this.outDir, file);
    } catch {
      return null;
    }
  }

  figure(id: string, value: number | null, unit: string, evidence: string, pointer?: string, scale?: number): Figure {
    return { id, value: value === null || !Number.isFinite(value) ? null : value, unit, evidence, ...(pointer ? { pointer } : {}), ...(scale !== undefined ? { scale } : {}) };
  }

  /**
   * The host that made some evidence is about to disappear (a temporary simulated host): every entry whose
   * file lies under `root` points at its copy in the output folder instead (copied now when it has none).
   */
  relocateFrom(root: string): void {
    const prefix = path.resolve(root) + path.sep;
    for (const e of this.entries) {
      if (e.host !== 'local' && e.host !== this.hostLabel) continue;
      if (!path.resolve(e.file).startsWith(prefix)) continue;
      const copy = e.copy ?? this.copyLocal(e.file, path.join('host', path.relative(root, e.file)));
      if (!copy) continue;
      e.copy = copy;
      e.file = path.join(this.outDir, copy);
      e.host = 'local';
    }
  }
}

/** Byte offset and 1-based line of the last line matching `re` in a log. */
export function findInLog(log: Buffer, re: RegExp): { offset: number; length: number; line: number } | null {
  const text = log.toString('latin1');
  let found: { offset: number; length: number; line: number } | null = null;
  let offset = 0;
  let line = 1;
  for (const l of text.split('\n')) {
    if (re.test(l)) found = { offset, length: l.length, line };
    offset += l.length + 1;
    line++;
  }
  return found;
}
