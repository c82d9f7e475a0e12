// Reading the profiler's CSVs independently of python/profile/summarize.py (to check its figures), and
// finding what a run left behind (jobs still running, processes marked with one of our job ids).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** RFC 4180 fields of one line (quotes, doubled quotes). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function readCsv(file: string): Array<Record<string, string>> {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length);
  const head = csvFields(lines[0]!);
  return lines.slice(1).map((l) => Object.fromEntries(csvFields(l).map((v, i) => [head[i]!, v])));
}

export interface CsvTotals {
  ops: Map<string, { count: number; total: number; max: number }>;
  grand: number;
  byCore: Map<string, number>;
  steps: Array<{ step: number; computing: number; communication: number; free: number }>;
}

/** Totals per "type|core" over the kernel_details.csv of every output folder (either header generation). */
export function csvTotals(outputDirs: string[]): CsvTotals {
  const ops = new Map<string, { count: number; total: number; max: number }>();
  const byCore = new Map<string, number>();
  const steps: CsvTotals['steps'] = [];
  let grand = 0;
  for (const d of outputDirs) {
    for (const r of readCsv(path.join(d, 'kernel_details.csv'))) {
      const type = r.Type ?? r['OP Type']!;
      const core = r['Accelerator Core'] ?? r['Task Type']!;
      const dur = Number(r['Duration(us)'] ?? r['Task Duration(us)']);
      const k = `${type}|${core}`;
      const o = ops.get(k) ?? { count: 0, total: 0, max: 0 };
      o.count++;
      o.total += dur;
      o.max = Math.max(o.max, dur);
      ops.set(k, o);
      byCore.set(core, (byCore.get(core) ?? 0) + dur);
      grand += dur;
    }
    for (const r of readCsv(path.join(d, 'step_trace_time.csv'))) {
      steps.push({ step: Number(r.Step), computing: Number(r.Computing), communication: Number(r['Communication(Not Overlapped)']), free: Number(r.Free) });
    }
  }
  return { ops, grand, byCore, steps };
}

/** Ids of jobs in a jobs root whose record says they still run. */
export function runningJobs(jobsRoot: string): string[] {
  if (!fs.existsSync(jobsRoot)) return [];
  return fs.readdirSync(jobsRoot).filter((id) => {
    const dir = path.join(jobsRoot, id);
    return fs.existsSync(path.join(dir, 'job.json')) && !fs.existsSync(path.join(dir, 'exit.json'));
  });
}

/** Live processes whose environment carries one of the jobs root's job ids (ASCEND_ADAPT_JOB_ID). */
export function processesOf(jobsRoot: string): number[] {
  if (!fs.existsSync(jobsRoot)) return [];
  const ids = new Set(fs.readdirSync(jobsRoot));
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const m = /(?:^|\0)ASCEND_ADAPT_JOB_ID=([^\0]+)/.exec(env);
    let state = '';
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] ?? '';
    } catch {
      continue;
    }
    if (m && ids.has(m[1]!) && state !== 'Z') out.push(Number(pid));
  }
  return out;
}

/** The server's own log lines about the profiler: every start has its stop. */
export function profilerLines(log: string): { started: number; stopped: number; leftOn: boolean } {
  return {
    started: (log.match(/Profiler started\./g) ?? []).length,
    stopped: (log.match(/Profiler stopped\./g) ?? []).length,
    leftOn: /profiler was still running at shutdown/.test(log),
  };
}

/** The logs of every serving job in a jobs root, concatenated. */
export function servingLogs(jobsRoot: string): string {
  if (!fs.existsSync(jobsRoot)) return '';
  return fs
    .readdirSync(jobsRoot)
    .filter((id) => /-serve-/.test(id))
    .map((id) => {
      try {
        return fs.readFileSync(path.join(jobsRoot, id, 'log'), 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
}

/** A profile folder with known totals, written here (not by the simulated vllm): one rank, either generation. */
export function writeKnownProfile(dir: string, gen: 'new' | 'old'): { total: number; matmul: { count: number; total: number; max: number } } {
  const pt = path.join(dir, 'localhost.localdomain_4242_20261204101010123_ascend_pt');
  const out = path.join(pt, 'ASCEND_PROFILER_OUTPUT');
  fs.mkdirSync(out, { recursive: true });
  const rows: Array<[string, string, string, number, string]> = [
    ['aclnnMatmul_MatMulV3', 'MatMulV3', 'AI_CORE', 81.25, 'DT_BF16'],
    ['aclnnMatmul_MatMulV3', 'MatMulV3', 'AI_CORE', 18.75, 'DT_BF16'],
    ['aclnnIndexPutImpl_IndexPut_IndexPutV2', 'IndexPutV2', 'AI_CPU', 60, 'FLOAT;BOOL'],
    ['aclnnCast_Cast_Cast', 'Cast', 'AI_CPU', 40, 'DOUBLE'],
  ];
  const head = gen === 'new'
    ? 'Device_id,Name,Type,Accelerator Core,Start Time(us),Duration(us),Wait Time(us),Block Num,Input Shapes,Input Data Types'
    : 'Model ID,Task ID,Stream ID,Infer ID,Op Name,OP Type,Task Type,Task Start Time(us),Task Duration(us),Task Wait Time(us),Block Dim,Input Shapes,Input Data Types';
  const lines = rows.map(([n, t, c, d, dt], i) => (gen === 'new' ? `0,${n},${t},${c},${100 + i},${d},0,8,"4,4;4",${dt}` : `0,${i},2,N/A,${n},${t},${c},${100 + i},${d},0,8,"4,4;4",${dt}`));
  fs.writeFileSync(path.join(out, 'kernel_details.csv'), [head, ...lines].join('\n') + '\n');
  fs.writeFileSync(path.join(out, 'step_trace_time.csv'), 'Device_id,Step,Computing,Communication(Not Overlapped),Overlapped,Communication,Free,Stage,Bubble,Communication(Not Overlapped and Exclude Receive),Preparing\n0,1,200,0,0,0,5.5,0,0,0,0\n');
  fs.writeFileSync(path.join(out, 'trace_view.json'), '[]');
  return { total: 200, matmul: { count: 2, total: 100, max: 81.25 } };
}
