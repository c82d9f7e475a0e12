import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Transport } from '../transport/transport';
import type { Evidence, Figure } from './schema';

/**
 * Collects the evidence of one validation run: numbers them E1, E2 … in the order they are made, writes
 * result files into <out>/evidence/ and copies host logs beside the report (so the report travels with
 * its evidence even when the host is gone), and makes figures that point at them.
 */
export class EvidenceBook {
  readonly entries: Evidence[] = [];
  readonly evidenceDir: string;

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

  /** Write a JSON result file produced on this machine; returns its absolute path and report-relative path. */
  writeJson(rel: string, data: unknown): { file: string; rel: string } {
    const file = path.join(this.evidenceDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
    return { file, rel: path.relative(this.outDir, file) };
  }

  /** Copy a file from the host (through the transport) beside the report. Returns the relative path or null. */
  async copyFromHost(transport: Transport, hostFile: string, rel: string): Promise<string | null> {
    try {
      const r = await transport.exec(['cat', '--', hostFile], { timeoutMs: 120_000 });
      if (r.code !== 0) return null;
      const file = path.join(this.evidenceDir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, r.stdout);
      return path.relative(this.outDir, file);
    } catch {
      return null;
    }
  }

  figure(id: string, value: number | null, unit: string, evidence: string, pointer?: string, scale?: number): Figure {
    return { id, value: value === null || !Number.isFinite(value) ? null : value, unit, evidence, ...(pointer ? { pointer } : {}), ...(scale !== undefined ? { scale } : {}) };
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

/** RFC 6901 pointer → value (for checking evidence). */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return doc;
  let v: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
