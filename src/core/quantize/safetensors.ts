import * as fs from 'node:fs';
import { z } from 'zod';

/**
 * safetensors headers, read without touching the weights: the file starts with an unsigned 64-bit
 * little-endian header length N, then N bytes of JSON mapping tensor names to {dtype, shape, data_offsets}
 * (plus an optional "__metadata__" string map). Checking a quantized folder needs names, dtypes and sizes
 * only, so a 100 GB checkpoint costs two small reads per shard.
 */

/** The format caps the header at 100 MB; anything larger is not a safetensors file. */
const MAX_HEADER = 100_000_000;

const TensorInfoSchema = z.object({
  dtype: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).refine(([a, b]) => b >= a, 'data_offsets end before they start'),
});
export type TensorInfo = z.infer<typeof TensorInfoSchema>;

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** 8 + N: where the data starts. */
  dataStart: number;
  /** Bytes the header says the data takes (the largest end offset). */
  dataBytes: number;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * The entries TensorInfoSchema accepts, taken without zod's per-call bookkeeping: a 1,000-shard folder has
 * tens of thousands of them and the schema cost several times the reading. Anything else goes through the
 * schema, whose message names what is wrong.
 */
function wellFormed(v: unknown): TensorInfo | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { dtype, shape, data_offsets: off } = v as Record<string, unknown>;
  if (typeof dtype !== 'string' || !dtype || !Array.isArray(shape) || !shape.every(isCount)) return undefined;
  if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1]) || off[1] < off[0]) return undefined;
  return { dtype, shape: shape as number[], data_offsets: [off[0], off[1]] };
}

function schemaChecked(name: string, v: unknown): TensorInfo {
  const t = TensorInfoSchema.safeParse(v);
  if (!t.success) throw new SafetensorsError(`tensor "${name}": ${t.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ')}`);
  return t.data;
}

/** Parses the JSON part (the N bytes after the length). `fileSize`, when known, catches truncated files. */
export function parseHeaderJson(json: string, headerLen: number, fileSize?: number): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new SafetensorsError(`header is not JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError('header is not a JSON object');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  let dataBytes = 0;
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const m = z.record(z.string(), z.string()).safeParse(v);
      if (!m.success) throw new SafetensorsError('__metadata__ must map strings to strings');
      metadata = m.data;
      continue;
    }
    const t = wellFormed(v) ?? schemaChecked(name, v);
    tensors.set(name, t);
    dataBytes = Math.max(dataBytes, t.data_offsets[1]);
  }
  const dataStart = 8 + headerLen;
  if (fileSize !== undefined && dataStart + dataBytes > fileSize) {
    throw new SafetensorsError(`truncated: the header describes ${dataBytes} data bytes but the file has ${Math.max(0, fileSize - dataStart)}`);
  }
  return { tensors, metadata, dataStart, dataBytes };
}

/** Reads only the header of a .safetensors file. Throws SafetensorsError (or an fs error) when it cannot. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new SafetensorsError(`${size} bytes: too short for a safetensors file`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER) || Number(n) > size - 8) throw new SafetensorsError(`header length ${n} does not fit the file (${size} bytes)`);
    const len = Number(n);
    const json = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const r = fs.readSync(fd, json, got, len - got, 8 + got);
      if (r === 0) break;
      got += r;
    }
    return parseHeaderJson(json.subarray(0, got).toString('utf8'), len, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes per element of the dtypes the format defines (sizes of sub-byte types rounded up). */
export const DTYPE_BYTES: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8 };

export const FLOAT_DTYPES = new Set(['F16', 'BF16', 'F32', 'F64']);
