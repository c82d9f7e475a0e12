import { chipFamily, type ChipFamily } from './family';

/**
 * `npu-smi info` parsing. Written from the format (shared/notes/ascend-facts.md §a), not from column
 * positions: every table line is split on `|` into cells, so the 98-column A2/A3/classic-910 layout,
 * the 106-column 310/310P layout and the 116-column 26.x "wide" layout all go through the same code.
 *
 * Handled mess: `29267/ 32768` (no space before the slash), `NA` / `-` power, NPU ids that are not
 * 0..N-1, two dies per A3 NPU (`Chip  Phy-ID`), two chips per 300I Duo card (`Chip  Device`), shell
 * prompts and command lines pasted before the table, missing or malformed borders, a table cut off in
 * the middle of a device or of a line, no process table, `Process id in container` column, CRLF.
 * Bad input never throws: the result says what was found and lists what was odd.
 */

export interface NpuDevice {
  npuId: number;
  chipId: number;
  /** Second id on the chip row: `Phy-ID` (A3) or `Device` (310/310P); null when the layout has none. */
  phyId: number | null;
  deviceId: number | null;
  name: string;
  family: ChipFamily;
  health: string;
  powerW: number | null;
  tempC: number | null;
  hugepagesUsed: number | null;
  hugepagesTotal: number | null;
  aicorePercent: number | null;
  /** `Memory-Usage(MB)`: DDR. On A2/A3 it prints 0 / 0; on 310/310P it is the only device memory. */
  memUsedMB: number | null;
  memTotalMB: number | null;
  hbmUsedMB: number | null;
  hbmTotalMB: number | null;
  busId: string | null;
}

export interface NpuProcess {
  npuId: number;
  chipId: number;
  pid: number;
  /** Often blank when npu-smi runs inside a container. */
  name: string;
  memoryMB: number;
  /** 26.x only: `Process id in container`. */
  containerPid: number | null;
}

export type NpuSmiLayout = 'hbm' | 'ddr' | 'wide' | 'unknown';

export interface ParseIssue {
  code:
    | 'no-table'
    | 'incomplete-device'
    | 'truncated-line'
    | 'unparsed-line'
    | 'no-process-table'
    | 'odd-width';
  /** 1-based line number in the input. */
  line: number;
  text: string;
}

export interface NpuSmiInfo {
  /** True when at least one device row was read. */
  ok: boolean;
  /** npu-smi (= driver package) version from the title box. */
  version: string | null;
  layout: NpuSmiLayout;
  /** The most common width of the table lines (98, 106, 116 on real outputs). */
  width: number | null;
  hasHbmColumn: boolean;
  /** `Phy-ID` (A3), `Device` (310/310P) or null (A2, classic 910). */
  secondIdLabel: 'Phy-ID' | 'Device' | null;
  devices: NpuDevice[];
  processes: NpuProcess[];
  processTableSeen: boolean;
  /** NPUs for which npu-smi printed `No running processes found in NPU n`. */
  idleNpus: number[];
  issues: ParseIssue[];
}

const BUS_ID = /^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]$/;
const INT = /^\d+$/;
const PAIR = /(\d+)\s*\/\s*(\d+)/g;

function num(tok: string | undefined): number | null {
  if (tok === undefined) return null;
  if (!/^-?\d+(\.\d+)?$/.test(tok)) return null; // NA, -, garbage
  return Number(tok);
}

interface Cells {
  cells: string[];
  /** false when the line does not end with `|` (cut off): the last cell is incomplete. */
  closed: boolean;
}

function splitCells(line: string): Cells {
  const t = line.trim();
  const closed = t.length > 1 && t.endsWith('|');
  const inner = t.slice(1, closed ? -1 : undefined);
  return { cells: inner.split('|').map((c) => c.trim()), closed };
}

function pairs(cell: string): { pairs: Array<[number, number]>; rest: string[] } {
  const found: Array<[number, number]> = [];
  const rest = cell.replace(PAIR, (_m, a: string, b: string) => {
    found.push([Number(a), Number(b)]);
    return ' ';
  });
  return { pairs: found, rest: rest.split(/\s+/).filter(Boolean) };
}

function emptyDevice(npuId: number, name: string, health: string): NpuDevice {
  return {
    npuId, chipId: 0, phyId: null, deviceId: null, name, family: chipFamily(name), health,
    powerW: null, tempC: null, hugepagesUsed: null, hugepagesTotal: null, aicorePercent: null,
    memUsedMB: null, memTotalMB: null, hbmUsedMB: null, hbmTotalMB: null, busId: null,
  };
}

function mostCommon(values: number[]): number | null {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | null = null;
  let n = 0;
  for (const [v, c] of counts) if (c > n) { best = v; n = c; }
  return best;
}

/** What the line-by-line reading of one `npu-smi info` output carries from line to line. */
interface SmiReading {
  out: NpuSmiInfo;
  lines: string[];
  widths: number[];
  section: 'before' | 'devices' | 'processes';
  headerSeen: boolean;
  /** A device whose first row was read; its chip row comes next. */
  pending: { dev: NpuDevice; line: number } | null;
}

export function parseNpuSmiInfo(text: string): NpuSmiInfo {
  const r: SmiReading = {
    out: {
      ok: false, version: null, layout: 'unknown', width: null, hasHbmColumn: false, secondIdLabel: null,
      devices: [], processes: [], processTableSeen: false, idleNpus: [], issues: [],
    },
    lines: text.replace(/\r\n?/g, '\n').split('\n'),
    widths: [],
    section: 'before',
    headerSeen: false,
    pending: null,
  };
  for (let i = 0; i < r.lines.length; i++) {
    // Quoted pastes (Markdown `> `) and indentation are not part of the table.
    const line = r.lines[i].trim().replace(/^(?:>\s*)+/, '');
    if (!line) continue;
    const first = line[0];
    if (first !== '|' && first !== '+') continue; // prompts, command lines, "...", prose
    r.widths.push(line.length);
    if (first === '+') continue; // borders, including malformed ones
    const { cells, closed } = splitCells(line);
    if (readHeading(r, cells)) continue;
    if (r.section === 'processes') readProcessRow(r, cells, closed, i + 1, line);
    else readDeviceRow(r, cells, closed, i + 1, line);
  }
  flushPending(r);
  return finishReading(r);
}

function flushPending(r: SmiReading): void {
  if (!r.pending) return;
  r.out.issues.push({ code: 'incomplete-device', line: r.pending.line, text: r.lines[r.pending.line - 1].trim() });
  r.out.devices.push(r.pending.dev);
  r.pending = null;
}

/** Title, the two device-table headers, the process-table header, "No running processes": true when consumed. */
function readHeading(r: SmiReading, cells: string[]): boolean {
  const out = r.out;
  const joined = cells.join(' ');
  const title = /npu-smi\s+(\S+)\s+Version:\s*(\S+)/.exec(joined);
  if (title) {
    out.version = title[2];
    return true;
  }
  if (cells.length >= 2 && /^NPU\s+Name$/i.test(cells[0].replace(/\s+/g, ' ')) && /Health/i.test(cells[1])) {
    r.section = 'devices';
    r.headerSeen = true;
    return true;
  }
  if (cells.length >= 2 && /^Chip\b/i.test(cells[0]) && /Bus-Id/i.test(cells[1])) {
    if (/Phy-ID/i.test(cells[0])) out.secondIdLabel = 'Phy-ID';
    else if (/Device/i.test(cells[0])) out.secondIdLabel = 'Device';
    if (/HBM/i.test(cells.slice(2).join(' '))) out.hasHbmColumn = true;
    r.section = 'devices';
    r.headerSeen = true;
    return true;
  }
  const idle = /^No running processes found in NPU\s+(\d+)/i.exec(joined);
  if (cells.some((c) => /^Process id$/i.test(c)) || idle) {
    flushPending(r);
    r.section = 'processes';
    out.processTableSeen = true;
    if (idle) out.idleNpus.push(Number(idle[1]));
    return true;
  }
  return false;
}

function readProcessRow(r: SmiReading, cells: string[], closed: boolean, lineNo: number, line: string): void {
  const ids = (cells[0] ?? '').split(/\s+/);
  if (cells.length >= 4 && ids.length >= 2 && INT.test(ids[0]) && INT.test(ids[1]) && INT.test(cells[1]) && INT.test(cells[3])) {
    r.out.processes.push({
      npuId: Number(ids[0]), chipId: Number(ids[1]), pid: Number(cells[1]), name: cells[2], memoryMB: Number(cells[3]),
      containerPid: cells.length >= 5 && INT.test(cells[4]) ? Number(cells[4]) : null,
    });
  } else {
    r.out.issues.push({ code: closed ? 'unparsed-line' : 'truncated-line', line: lineNo, text: line });
  }
}

/** Device rows (also accepted without headers: a paste may start mid-table). */
function readDeviceRow(r: SmiReading, cells: string[], closed: boolean, lineNo: number, line: string): void {
  if (cells.length < 2) {
    r.out.issues.push({ code: 'unparsed-line', line: lineNo, text: line });
    return;
  }
  const usable = closed ? cells : cells.slice(0, -1);
  if (!closed) r.out.issues.push({ code: 'truncated-line', line: lineNo, text: line });
  const ids = cells[0].split(/\s+/).filter(Boolean);
  // Row 2 has a Bus-Id (or NA / - in some VMs); row 1 has a health word there.
  const isChipRow =
    BUS_ID.test(cells[1]) ||
    (r.pending !== null && ids.length <= 2 && ids.every((t) => INT.test(t)) && (cells[1] === '' || /^(NA|N\/A|-+|[0-9A-Fa-f:.]+)$/i.test(cells[1])));
  if (!isChipRow) readNpuRow(r, cells, usable, ids, lineNo, line);
  else if (!r.pending) r.out.issues.push({ code: 'unparsed-line', line: lineNo, text: line });
  else readChipRow(r, cells, usable, ids);
}

/** Row 1: `NPU Name | Health | Power Temp Hugepages`. */
function readNpuRow(r: SmiReading, cells: string[], usable: string[], ids: string[], lineNo: number, line: string): void {
  if (ids.length < 2 || !INT.test(ids[0])) {
    r.out.issues.push({ code: 'unparsed-line', line: lineNo, text: line });
    return;
  }
  flushPending(r);
  r.section = 'devices';
  const dev = emptyDevice(Number(ids[0]), ids.slice(1).join(' '), usable.length > 1 ? cells[1] : '');
  if (usable.length > 2) {
    const p = pairs(cells[2]);
    dev.powerW = num(p.rest[0]);
    dev.tempC = num(p.rest[1]);
    if (p.pairs[0]) [dev.hugepagesUsed, dev.hugepagesTotal] = p.pairs[0];
  }
  r.pending = { dev, line: lineNo };
}

/** Row 2: `Chip [Phy-ID|Device] | Bus-Id | AICore Memory [HBM]`, completing the pending device. */
function readChipRow(r: SmiReading, cells: string[], usable: string[], ids: string[]): void {
  const out = r.out;
  const dev = r.pending!.dev;
  r.pending = null;
  if (ids[0] !== undefined && INT.test(ids[0])) dev.chipId = Number(ids[0]);
  if (ids[1] !== undefined && INT.test(ids[1])) {
    if (out.secondIdLabel === 'Device') dev.deviceId = Number(ids[1]);
    else dev.phyId = Number(ids[1]);
  }
  if (usable.length > 1 && BUS_ID.test(cells[1])) dev.busId = cells[1];
  if (usable.length > 2) {
    const p = pairs(cells[2]);
    dev.aicorePercent = num(p.rest[0]);
    const hbm = out.hasHbmColumn || (!r.headerSeen && p.pairs.length >= 2);
    if (hbm && p.pairs.length >= 2) {
      [dev.memUsedMB, dev.memTotalMB] = p.pairs[0];
      [dev.hbmUsedMB, dev.hbmTotalMB] = p.pairs[1];
    } else if (p.pairs[0]) {
      [dev.memUsedMB, dev.memTotalMB] = p.pairs[0];
    }
  }
  out.devices.push(dev);
}

/** Layout, width and the issues that only the whole output shows. */
function finishReading(r: SmiReading): NpuSmiInfo {
  const out = r.out;
  out.width = mostCommon(r.widths);
  if (out.secondIdLabel === null && out.devices.some((d) => d.phyId !== null)) out.secondIdLabel = 'Phy-ID';
  if (!r.headerSeen && out.devices.some((d) => d.hbmTotalMB !== null)) out.hasHbmColumn = true;
  out.layout = out.width === 116 ? 'wide' : out.hasHbmColumn ? 'hbm' : out.devices.length > 0 ? 'ddr' : 'unknown';
  if (out.width !== null && ![98, 106, 116].includes(out.width)) {
    out.issues.push({ code: 'odd-width', line: 0, text: String(out.width) });
  }
  out.ok = out.devices.length > 0;
  if (!out.ok) out.issues.push({ code: 'no-table', line: 0, text: '' });
  else if (!out.processTableSeen) out.issues.push({ code: 'no-process-table', line: 0, text: '' });
  return out;
}

/** The device (chip) memory a workload can use: HBM where the chip has it, DDR on 310/310P. */
export function deviceMemory(d: NpuDevice): { usedMB: number; totalMB: number; kind: 'HBM' | 'DDR' } | null {
  if (d.hbmTotalMB !== null && d.hbmUsedMB !== null && d.hbmTotalMB > 0) return { usedMB: d.hbmUsedMB, totalMB: d.hbmTotalMB, kind: 'HBM' };
  if (d.memTotalMB !== null && d.memUsedMB !== null && d.memTotalMB > 0) return { usedMB: d.memUsedMB, totalMB: d.memTotalMB, kind: 'DDR' };
  return null;
}

/** `key : value` lines of `npu-smi info -t …` / `-l` (and `version.info`-style `k=v` is handled elsewhere). */
export function parseKeyValueLines(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const m = /^\s*([A-Za-z][^:]*?)\s+:\s?(.*)$/.exec(raw);
    if (m) out.push([m[1].trim(), m[2].trim()]);
  }
  return out;
}

/** `npu-smi info -l`: `Total Count : 8` then `NPU ID : n` / `Chip Count : k` per card. */
export function parseNpuSmiList(text: string): { totalCount: number | null; npus: Array<{ npuId: number; chipCount: number | null }> } {
  let totalCount: number | null = null;
  const npus: Array<{ npuId: number; chipCount: number | null }> = [];
  for (const [k, v] of parseKeyValueLines(text)) {
    if (/^Total Count$/i.test(k)) totalCount = num(v);
    else if (/^NPU ID$/i.test(k) && INT.test(v)) npus.push({ npuId: Number(v), chipCount: null });
    else if (/^Chip Count$/i.test(k) && npus.length > 0 && INT.test(v)) npus[npus.length - 1].chipCount = Number(v);
  }
  return { totalCount, npus };
}
