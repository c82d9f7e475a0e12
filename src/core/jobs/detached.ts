/**
 * Detached jobs, generic over Transport (local and ssh alike): long work (serving, accuracy, perf) that
 * survives VS Code closing, the laptop sleeping and the link dropping.
 *
 *   const jobs = new DetachedJobs(transport);             // { root?: '~/.ascend-adapt/jobs', python?: 'python3' }
 *   const job = await jobs.start({ argv, env, name, cwd }); // → JobRecord (id, pid, pgid, sid, startedAt …)
 *   await jobs.list(); await jobs.get(id);
 *   const { data, offset } = await jobs.readLog(id, fromOffset);      // raw bytes, next offset
 *   await jobs.followLog(id, fromOffset, (chunk, offsetAfter) => …, { signal });  // until the job ends
 *   await jobs.stop(id, { graceMs });                     // → StopResult (leftovers must be [])
 *
 * On the host each job is a directory `<root>/<id>/` holding job.json (id, name, argv, env, cwd, pid,
 * pgid, sid, start time, host), `log` (stdout+stderr, append-only) and exit.json (code, signal, end time).
 * Start: a small stdlib-Python helper (run with `python3 -c`, nothing installed on the host) double-forks
 * a supervisor out of the ssh session; the supervisor starts the job with setsid (own session and process
 * group, stdin /dev/null, output to the log), records it, waits for it and records the exit code.
 * The job's environment carries ASCEND_ADAPT_JOB_ID=<id> so processes that escape its group are found.
 * Logs are read by byte offset: the log only grows, so reading from the last offset reached never
 * loses or repeats a byte, across reconnects too.
 * Stop: TERM to the job's process group and every process of its session / marked with its id, KILL
 * what is left after the grace period, then check that nothing is left and report what is.
 */
import { randomBytes } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';

const HELPER = String.raw`
import sys, os, json, time, signal, select, socket, subprocess
def jroot(r):
    return os.path.expanduser(r)
def jdir(r, i):
    if not i or i.startswith('.') or '/' in i or not all(c.isalnum() or c in '._-' for c in i):
        raise SystemExit('bad job id: %r' % i)
    return os.path.join(jroot(r), i)
def wjson(p, o):
    t = p + '.tmp'
    with open(t, 'w') as f:
        json.dump(o, f)
    os.rename(t, p)
def rjson(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
def pstat(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
    except (OSError, TypeError):
        return None
    rest = s[s.rindex(')') + 2:].split()
    return {'state': rest[0], 'ppid': int(rest[1]), 'pgid': int(rest[2]), 'sid': int(rest[3]), 'start': rest[19]}
def alive(pid, start=None):
    if not pid:
        return False
    if os.path.isdir('/proc'):
        st = pstat(pid)
        if st is None or st['state'] in ('Z', 'X'):
            return False
        return start is None or st['start'] == start
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == 1
def status(d):
    job = rjson(os.path.join(d, 'job.json'))
    if job is None:
        return None
    ex = rjson(os.path.join(d, 'exit.json'))
    try:
        size = os.path.getsize(os.path.join(d, 'log'))
    except OSError:
        size = 0
    if ex is not None:
        state = 'failed-to-start' if ex.get('error') else 'exited'
    elif alive(job.get('pid'), job.get('procStart')):
        state = 'running'
    elif alive(job.get('supervisorPid'), job.get('supervisorStart')):
        state = 'running'
    else:
        state = 'lost'
    job['state'] = state
    job['exit'] = ex
    job['logSize'] = size
    return job
def members(job):
    out = []
    pg, sid, mark = job.get('pgid'), job.get('sid'), ('ASCEND_ADAPT_JOB_ID=' + job['id']).encode()
    me = os.getpid()
    if not os.path.isdir('/proc'):
        try:
            os.killpg(pg, 0)
            return [{'pid': pg, 'pgid': pg, 'sid': sid, 'state': '?', 'cmd': ''}]
        except OSError:
            return []
    for e in os.listdir('/proc'):
        if not e.isdigit():
            continue
        pid = int(e)
        if pid == me or pid == job.get('supervisorPid'):
            continue
        st = pstat(pid)
        if st is None or st['state'] in ('Z', 'X'):
            continue
        hit = st['pgid'] == pg or st['sid'] == sid
        if not hit:
            try:
                with open('/proc/%d/environ' % pid, 'rb') as f:
                    hit = mark in f.read().split(b'\0')
            except OSError:
                hit = False
        if hit:
            try:
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    cmd = f.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
            except OSError:
                cmd = ''
            out.append({'pid': pid, 'pgid': st['pgid'], 'sid': st['sid'], 'state': st['state'], 'cmd': cmd[:300]})
    return out
def supervise(d, spec, w):
    logp = os.path.join(d, 'log')
    log = open(logp, 'ab', buffering=0)
    env = dict(os.environ)
    env.update(spec.get('env') or {})
    env['ASCEND_ADAPT_JOB_ID'] = spec['id']
    job = {'id': spec['id'], 'name': spec.get('name') or '', 'argv': spec['argv'], 'env': spec.get('env') or {},
           'cwd': spec.get('cwd'), 'host': socket.gethostname(), 'logPath': logp,
           'startedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'startedAtMs': int(time.time() * 1000),
           'supervisorPid': os.getpid(), 'supervisorStart': (pstat(os.getpid()) or {}).get('start')}
    try:
        p = subprocess.Popen(spec['argv'], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                             cwd=spec.get('cwd') or None, start_new_session=True, close_fds=True)
    except OSError as e:
        job.update({'pid': None, 'pgid': None, 'sid': None, 'procStart': None})
        wjson(os.path.join(d, 'job.json'), job)
        wjson(os.path.join(d, 'exit.json'), {'code': 127, 'signal': None, 'error': str(e),
              'endedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})
        os.write(w, json.dumps(status(d)).encode())
        os.close(w)
        return
    job.update({'pid': p.pid, 'pgid': p.pid, 'sid': p.pid, 'procStart': (pstat(p.pid) or {}).get('start')})
    wjson(os.path.join(d, 'job.json'), job)
    os.write(w, json.dumps(status(d)).encode())
    os.close(w)
    code = p.wait()
    wjson(os.path.join(d, 'exit.json'), {'code': code if code >= 0 else None,
          'signal': ('SIG' + signal.Signals(-code).name[3:]) if code < 0 else None,
          'endedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})
def cmd_start(r):
    spec = json.load(sys.stdin)
    d = jdir(r, spec['id'])
    os.makedirs(jroot(r), exist_ok=True)
    os.mkdir(d)
    rd, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            nul = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(nul, fd)
            supervise(d, spec, w)
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    data = b''
    while True:
        b = os.read(rd, 65536)
        if not b:
            break
        data += b
    if not data:
        raise SystemExit('job supervisor did not start')
    sys.stdout.write(data.decode() + '\n')
def cmd_list(r):
    out = []
    root = jroot(r)
    if os.path.isdir(root):
        for i in sorted(os.listdir(root)):
            if i.startswith('.'):
                continue
            s = status(os.path.join(root, i))
            if s is not None:
                out.append(s)
    print(json.dumps(out))
def need(r, i):
    d = jdir(r, i)
    s = status(d)
    if s is None:
        sys.stderr.write('no such job: %s\n' % i)
        sys.exit(3)
    return d, s
def cmd_status(r, i):
    print(json.dumps(need(r, i)[1]))
def cmd_read(r, i, off, mx):
    d, s = need(r, i)
    off, mx = int(off), int(mx)
    with open(os.path.join(d, 'log'), 'rb') as f:
        f.seek(off)
        data = f.read(mx)
    s['offset'] = off
    sys.stdout.write(json.dumps(s) + '\n')
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
def wall(b):
    while b:
        n = os.write(1, b)
        b = b[n:]
def cmd_follow(r, i, off, mx):
    d, s = need(r, i)
    left = int(mx)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    po = select.poll()
    po.register(1, select.POLLERR | select.POLLHUP)
    # A follower whose reader vanished with a dead link cannot always tell (nothing to write): bound its
    # life so it never lingers on the host; the client simply starts the next piece.
    deadline = time.time() + 600
    with open(os.path.join(d, 'log'), 'rb') as f:
        f.seek(int(off))
        while True:
            if left <= 0 or time.time() > deadline:
                sys.exit(4)
            b = f.read(min(65536, left))
            if b:
                wall(b)
                left -= len(b)
                continue
            if status(d)['state'] != 'running':
                b = f.read()
                if b:
                    wall(b)
                    continue
                return
            for _fd, ev in po.poll(200):
                if ev & (select.POLLERR | select.POLLHUP):
                    return
def cmd_stop(r, i, grace):
    d, job = need(r, i)
    grace = int(grace) / 1000.0
    res = {'id': i, 'wasRunning': job['state'] == 'running', 'termed': [], 'killed': [], 'leftovers': []}
    if job.get('pgid') is None:
        print(json.dumps(res))
        return
    def signal_all(sig, pids):
        try:
            os.killpg(job['pgid'], sig)
        except OSError:
            pass
        for p in pids:
            try:
                os.kill(p, sig)
            except OSError:
                pass
    m = members(job)
    res['termed'] = [x['pid'] for x in m]
    signal_all(signal.SIGTERM, res['termed'])
    end = time.time() + grace
    while time.time() < end and m:
        time.sleep(0.05)
        m = members(job)
    if m:
        res['killed'] = [x['pid'] for x in m]
        signal_all(signal.SIGKILL, res['killed'])
        end = time.time() + 3
        while time.time() < end and m:
            time.sleep(0.05)
            m = members(job)
    res['leftovers'] = m
    end = time.time() + 3
    while time.time() < end and not os.path.exists(os.path.join(d, 'exit.json')) and alive(job.get('supervisorPid'), job.get('supervisorStart')):
        time.sleep(0.05)
    res['job'] = status(d)
    print(json.dumps(res))
def main():
    a = sys.argv[1:]
    c, r = a[0], a[1]
    if c == 'start':
        cmd_start(r)
    elif c == 'list':
        cmd_list(r)
    elif c == 'status':
        cmd_status(r, a[2])
    elif c == 'read':
        cmd_read(r, a[2], a[3], a[4])
    elif c == 'follow':
        cmd_follow(r, a[2], a[3], a[4])
    elif c == 'stop':
        cmd_stop(r, a[2], a[3])
    else:
        raise SystemExit('unknown command ' + c)
main()
`;

const ExitSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
  endedAt: z.string(),
});

const JobSchema = z.object({
  id: z.string(),
  name: z.string(),
  argv: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  cwd: z.string().nullable().optional(),
  host: z.string(),
  logPath: z.string(),
  startedAt: z.string(),
  startedAtMs: z.number(),
  pid: z.number().int().nullable(),
  pgid: z.number().int().nullable(),
  sid: z.number().int().nullable(),
  state: z.enum(['running', 'exited', 'lost', 'failed-to-start']),
  exit: ExitSchema.nullable(),
  logSize: z.number().int().nonnegative(),
});

export type JobState = z.infer<typeof JobSchema>['state'];

/** A job as recorded on its host. */
export interface JobRecord {
  id: string;
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  host: string;
  logPath: string;
  startedAt: string;
  startedAtMs: number;
  pid: number | null;
  pgid: number | null;
  sid: number | null;
  /** running; exited (exit code recorded); lost (no exit record and nothing alive, e.g. host rebooted); failed-to-start. */
  state: JobState;
  exitCode: number | null;
  exitSignal: string | null;
  endedAt?: string;
  /** Why it could not start (e.g. "No such file or directory"). */
  startError?: string;
  logSize: number;
}

const ProcSchema = z.object({ pid: z.number().int(), pgid: z.number().int(), sid: z.number().int().nullable(), state: z.string(), cmd: z.string() });

const StopSchema = z.object({
  id: z.string(),
  wasRunning: z.boolean(),
  termed: z.array(z.number().int()),
  killed: z.array(z.number().int()),
  leftovers: z.array(ProcSchema),
  job: JobSchema.optional(),
});

export interface StopResult {
  id: string;
  wasRunning: boolean;
  /** Pids sent SIGTERM. */
  termed: number[];
  /** Pids still there after the grace period, sent SIGKILL. */
  killed: number[];
  /** Processes of the job still alive after KILL (should be none). */
  leftovers: Array<{ pid: number; pgid: number; sid: number | null; state: string; cmd: string }>;
  job?: JobRecord;
}

export interface StartSpec {
  argv: string[];
  env?: Record<string, string>;
  /** Short label (letters, digits, - _ .); part of the id. */
  name?: string;
  cwd?: string;
}

const FOLLOW_PIECE = 8 << 20;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function newJobId(name = 'job', now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const slug = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 40) || 'job';
  return `${stamp}-${slug}-${randomBytes(3).toString('hex')}`;
}

function toRecord(j: z.infer<typeof JobSchema>): JobRecord {
  return {
    id: j.id, name: j.name, argv: j.argv, env: j.env, cwd: j.cwd ?? undefined, host: j.host, logPath: j.logPath,
    startedAt: j.startedAt, startedAtMs: j.startedAtMs, pid: j.pid, pgid: j.pgid, sid: j.sid, state: j.state,
    exitCode: j.exit?.code ?? null, exitSignal: j.exit?.signal ?? null, endedAt: j.exit?.endedAt,
    startError: j.exit?.error, logSize: j.logSize,
  };
}

export class JobError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'bad-input' | 'host') {
    super(message);
    this.name = 'JobError';
  }
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new JobError(l10n.t('the host answered {0} with something that is not JSON: {1}', what, text.slice(0, 200)), 'host');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new JobError(l10n.t('the host answered {0} in an unexpected shape: {1}', what, r.error.message.slice(0, 300)), 'host');
  return r.data;
}

export class DetachedJobs {
  private readonly root: string;
  private readonly python: string;
  private readonly followPiece: number;

  /** `followPieceBytes`: most bytes one follow exec streams before the next one takes over (default 8 MiB). */
  constructor(private readonly transport: Transport, opts: { root?: string; python?: string; followPieceBytes?: number } = {}) {
    this.root = opts.root ?? '~/.ascend-adapt/jobs';
    this.python = opts.python ?? 'python3';
    this.followPiece = opts.followPieceBytes ?? FOLLOW_PIECE;
  }

  private async helper(args: string[], what: string, stdin?: string, extra: { onStdout?: (b: Buffer) => void; signal?: AbortSignal } = {}) {
    const r = await this.transport.exec([this.python, '-c', HELPER, args[0], this.root, ...args.slice(1)], { stdin, ...extra });
    if (r.code === 3) throw new JobError(l10n.t('no job {0} on {1}', args[1] ?? '', this.transport.label), 'not-found');
    if (r.code !== 0 && !(extra.signal?.aborted) && !(args[0] === 'follow' && r.code === 4)) {
      const err = r.stderr.toString().trim().split('\n').slice(-3).join('\n');
      throw new JobError(l10n.t('{0} failed on {1}: {2}', what, this.transport.label, err || `exit ${r.code ?? r.signal}`), 'host');
    }
    return r;
  }

  private checkId(id: string): void {
    if (!ID_RE.test(id)) throw new JobError(l10n.t('invalid job id: {0}', JSON.stringify(id)), 'bad-input');
  }

  async start(spec: StartSpec): Promise<JobRecord> {
    if (spec.argv.length === 0) throw new JobError(l10n.t('a job needs a command'), 'bad-input');
    for (const k of Object.keys(spec.env ?? {})) {
      if (!ENV_NAME.test(k)) throw new JobError(l10n.t('invalid environment variable name: {0}', JSON.stringify(k)), 'bad-input');
    }
    const id = newJobId(spec.name);
    const payload = JSON.stringify({ id, name: spec.name ?? '', argv: spec.argv, env: spec.env ?? {}, cwd: spec.cwd ?? null });
    const r = await this.helper(['start'], l10n.t('starting a job'), payload);
    return toRecord(parseJson(JobSchema, r.stdout.toString().trim(), 'start'));
  }

  async list(): Promise<JobRecord[]> {
    const r = await this.helper(['list'], l10n.t('listing jobs'));
    return parseJson(z.array(JobSchema), r.stdout.toString().trim(), 'list').map(toRecord);
  }

  async get(id: string): Promise<JobRecord> {
    this.checkId(id);
    const r = await this.helper(['status', id], l10n.t('reading a job'));
    return toRecord(parseJson(JobSchema, r.stdout.toString().trim(), 'status'));
  }

  /** Up to maxBytes of the log from byte `offset`; `offset` in the result is where the next read starts. */
  async readLog(id: string, offset = 0, maxBytes = 1 << 20): Promise<{ data: Buffer; offset: number; job: JobRecord }> {
    this.checkId(id);
    if (!Number.isInteger(offset) || offset < 0) throw new JobError(l10n.t('invalid log offset: {0}', String(offset)), 'bad-input');
    const r = await this.helper(['read', id, String(offset), String(maxBytes)], l10n.t('reading a job log'));
    const nl = r.stdout.indexOf(0x0a);
    if (nl < 0) throw new JobError(l10n.t('the host answered {0} with something that is not JSON: {1}', 'read', r.stdout.toString().slice(0, 200)), 'host');
    const job = toRecord(parseJson(JobSchema.extend({ offset: z.number() }), r.stdout.subarray(0, nl).toString(), 'read'));
    const data = r.stdout.subarray(nl + 1);
    return { data, offset: offset + data.length, job };
  }

  /**
   * Stream the log from `offset` until the job has ended and every byte is read (or `signal` aborts).
   * A dropped link is survived: the transport reconnects and reading resumes at the last byte received.
   * Returns the final offset.
   */
  async followLog(id: string, offset: number, onData: (chunk: Buffer, offsetAfter: number) => void, opts: { signal?: AbortSignal } = {}): Promise<number> {
    this.checkId(id);
    let at = offset;
    for (;;) {
      if (opts.signal?.aborted) return at;
      try {
        // Bounded pieces (exit 4 = piece full, go on) so no single exec buffers an unbounded log.
        const r = await this.helper(['follow', id, String(at), String(this.followPiece)], l10n.t('following a job log'), undefined, {
          signal: opts.signal,
          onStdout: (b) => { at += b.length; onData(b, at); },
        });
        if (r.code === 4) continue;
        return at;
      } catch (e) {
        if (e instanceof TransportError && (e.causeCode === 'LINK_LOST' || e.causeCode === 'CHANNEL')) continue;
        throw e;
      }
    }
  }

  /** TERM the job's group, KILL after graceMs, verify that nothing of it is left. */
  async stop(id: string, opts: { graceMs?: number } = {}): Promise<StopResult> {
    this.checkId(id);
    const r = await this.helper(['stop', id, String(opts.graceMs ?? 10_000)], l10n.t('stopping a job'));
    const s = parseJson(StopSchema, r.stdout.toString().trim(), 'stop');
    return { ...s, job: s.job ? toRecord(s.job) : undefined };
  }
}
