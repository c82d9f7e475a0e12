import { z } from 'zod';
import type { Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';

/**
 * Validation reports that live on a host (a `validate` run by the CLI on the Atlas host itself, e.g. in CI):
 * found with one small stdlib Python run, read back with `cat`. Where to look is a list of folders on the
 * host; `~` is the login user's home there.
 */
export const DEFAULT_HOST_REPORT_DIRS = ['~/.ascend-adapt/reports'];

const HostReportFile = z.object({ path: z.string().min(1), size: z.number().int().nonnegative(), mtime: z.number() });
export type HostReportFile = z.infer<typeof HostReportFile>;
const Listing = z.array(HostReportFile);

// Walks each folder (4 levels at most, 200 files at most) for validation_report_YYYYMMDD*.json, newest first.
const LIST = [
  'import os,re,sys,json',
  'pat=re.compile(r"^validation_report_\\d{8}.*\\.json$")',
  'out=[]',
  'for top in sys.argv[1:]:',
  ' top=os.path.expanduser(top)',
  ' base=top.rstrip("/").count("/")',
  ' for d,subs,files in os.walk(top):',
  '  if d.rstrip("/").count("/")-base>=4: subs[:]=[]',
  '  subs[:]=[s for s in subs if s not in ("node_modules","evidence")]',
  '  for f in files:',
  '   if pat.match(f):',
  '    p=os.path.join(d,f)',
  '    try: st=os.stat(p)',
  '    except OSError: continue',
  '    out.append({"path":p,"size":st.st_size,"mtime":st.st_mtime})',
  'out.sort(key=lambda e:-e["mtime"])',
  'print(json.dumps(out[:200]))',
].join('\n');

export async function listHostReports(t: Transport, dirs: readonly string[] = DEFAULT_HOST_REPORT_DIRS, python = 'python3'): Promise<HostReportFile[]> {
  if (dirs.length === 0) return [];
  const r = await t.exec([python, '-c', LIST, ...dirs], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new TransportError(`listing reports on ${t.label} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout.toString('utf8'));
  } catch {
    throw new TransportError(`listing reports on ${t.label}: not JSON: ${r.stdout.toString('utf8').slice(0, 200)}`);
  }
  const parsed = Listing.safeParse(json);
  if (!parsed.success) throw new TransportError(`listing reports on ${t.label}: ${parsed.error.issues[0]?.message ?? 'bad listing'}`);
  return parsed.data;
}

/** The report file's text; refuses files over maxBytes (a report is a few hundred KB at most). */
export async function readHostReport(t: Transport, file: string, maxBytes = 16 * 1024 * 1024): Promise<string> {
  const r = await t.exec(['head', '-c', String(maxBytes + 1), '--', file], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new TransportError(`reading ${file} on ${t.label} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
  if (r.stdout.length > maxBytes) throw new TransportError(`${file} on ${t.label} is larger than ${maxBytes} bytes`);
  return r.stdout.toString('utf8');
}
