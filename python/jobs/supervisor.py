#!/usr/bin/env python3
"""Detached jobs on a host (stdlib only, Python >= 3.8): the host half of src/core/jobs/detached.ts.

Each job is a folder <root>/<id>/ holding
  job.json   id, name, argv, env, cwd, host, logPath, start time, pid/pgid/sid (+ /proc start ticks),
             supervisor pid (+ start ticks)
  log        stdout + stderr of the job, append-only
  exit.json  code, signal, end time (and `error` when the command could not be started)

Commands (the job root may start with ~; every answer is JSON on stdout unless said otherwise):
  start  ROOT                  spec {id, name, argv, env, cwd} as JSON on stdin -> the job's status
  list   ROOT                  every job's status
  status ROOT ID               one job's status (exit 3: no such job)
  read   ROOT ID OFFSET MAX    one line of status JSON (+ "offset"), then up to MAX raw log bytes from OFFSET
  follow ROOT ID OFFSET MAX    raw log bytes from OFFSET until the job ended and the log is read to its end;
                               exit 4 after MAX bytes or 10 minutes (the caller starts the next piece)
  stop   ROOT ID GRACE_MS      TERM to the job's group and session (and every process marked with its id),
                               KILL what is left after the grace, then report what is still alive

`start` double-forks a supervisor out of the caller's session (so closing an ssh channel does not end it);
the supervisor starts the job in its own session and process group (setsid), stdin /dev/null, output to the
log, records it, waits for it and records the exit. The job's environment carries ASCEND_ADAPT_JOB_ID so
processes that leave its group are still found at stop.
"""
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

NO_SUCH_JOB = 3
PIECE_FULL = 4
# A follower whose reader vanished with a dead link cannot always tell (it has nothing to write): its life
# is bounded so it never lingers on the host; the client simply starts the next piece.
FOLLOW_LIFETIME_S = 600
MARK = 'ASCEND_ADAPT_JOB_ID'


def now_iso():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def job_root(root):
    return os.path.expanduser(root)


def job_dir(root, job_id):
    ok = job_id and not job_id.startswith('.') and '/' not in job_id
    if not ok or not all(c.isalnum() or c in '._-' for c in job_id):
        raise SystemExit('bad job id: %r' % job_id)
    return os.path.join(job_root(root), job_id)


def write_json(path, obj):
    # Written beside and renamed into place: a reader never sees half a file.
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def proc_stat(pid):
    """state, ppid, pgid, sid and start time (clock ticks since boot) of a process, from /proc."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
    except (OSError, TypeError):
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    rest = s[s.rindex(')') + 2:].split()
    return {'state': rest[0], 'ppid': int(rest[1]), 'pgid': int(rest[2]), 'sid': int(rest[3]), 'start': rest[19]}


def alive(pid, start=None):
    """True when pid runs and, given its start ticks, is still the same process (pids are reused)."""
    if not pid:
        return False
    if os.path.isdir('/proc'):
        st = proc_stat(pid)
        if st is None or st['state'] in ('Z', 'X'):
            return False
        return start is None or st['start'] == start
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == 1  # EPERM: it exists, it is just not ours


def status(d):
    job = read_json(os.path.join(d, 'job.json'))
    if job is None:
        return None
    ex = read_json(os.path.join(d, 'exit.json'))
    try:
        size = os.path.getsize(os.path.join(d, 'log'))
    except OSError:
        size = 0
    if ex is not None:
        state = 'failed-to-start' if ex.get('error') else 'exited'
    elif alive(job.get('pid'), job.get('procStart')) or alive(job.get('supervisorPid'), job.get('supervisorStart')):
        state = 'running'
    else:
        state = 'lost'  # no exit record and nothing alive: e.g. the host rebooted
    job['state'] = state
    job['exit'] = ex
    job['logSize'] = size
    return job


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except OSError:
        return ''


def marked(pid, mark):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            return mark in f.read().split(b'\0')
    except OSError:
        return False


def members(job):
    """Live processes of the job: its process group, its session, or marked with its id in their env."""
    pg, sid = job.get('pgid'), job.get('sid')
    if not os.path.isdir('/proc'):
        try:
            os.killpg(pg, 0)
            return [{'pid': pg, 'pgid': pg, 'sid': sid, 'state': '?', 'cmd': ''}]
        except OSError:
            return []
    mark = (MARK + '=' + job['id']).encode()
    skip = (os.getpid(), job.get('supervisorPid'))
    out = []
    for e in os.listdir('/proc'):
        if not e.isdigit() or int(e) in skip:
            continue
        pid = int(e)
        st = proc_stat(pid)
        if st is None or st['state'] in ('Z', 'X'):
            continue
        if st['pgid'] == pg or st['sid'] == sid or marked(pid, mark):
            out.append({'pid': pid, 'pgid': st['pgid'], 'sid': st['sid'], 'state': st['state'], 'cmd': cmdline(pid)[:300]})
    return out


def report_start(d, w):
    os.write(w, json.dumps(status(d)).encode())
    os.close(w)


def supervise(d, spec, w):
    """Runs in the detached supervisor: start the job, record it, tell the caller (pipe w), wait, record the exit."""
    log_path = os.path.join(d, 'log')
    log = open(log_path, 'ab', buffering=0)
    env = dict(os.environ)
    env.update(spec.get('env') or {})
    env[MARK] = spec['id']
    job = {'id': spec['id'], 'name': spec.get('name') or '', 'argv': spec['argv'], 'env': spec.get('env') or {},
           'cwd': spec.get('cwd'), 'host': socket.gethostname(), 'logPath': log_path,
           'startedAt': now_iso(), 'startedAtMs': int(time.time() * 1000),
           'supervisorPid': os.getpid(), 'supervisorStart': (proc_stat(os.getpid()) or {}).get('start')}
    try:
        p = subprocess.Popen(spec['argv'], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                             cwd=spec.get('cwd') or None, start_new_session=True, close_fds=True)
    except OSError as e:
        job.update({'pid': None, 'pgid': None, 'sid': None, 'procStart': None})
        write_json(os.path.join(d, 'job.json'), job)
        write_json(os.path.join(d, 'exit.json'), {'code': 127, 'signal': None, 'error': str(e), 'endedAt': now_iso()})
        report_start(d, w)
        return
    # start_new_session: the job leads its own session and group, so pid = pgid = sid.
    job.update({'pid': p.pid, 'pgid': p.pid, 'sid': p.pid, 'procStart': (proc_stat(p.pid) or {}).get('start')})
    write_json(os.path.join(d, 'job.json'), job)
    report_start(d, w)
    code = p.wait()
    write_json(os.path.join(d, 'exit.json'), {
        'code': code if code >= 0 else None,
        'signal': signal.Signals(-code).name if code < 0 else None,
        'endedAt': now_iso(),
    })


def detach_and_supervise(d, spec, w, rd):
    """Child of `start`: leave the caller's session (setsid + second fork), ignore SIGHUP, then supervise."""
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


def cmd_start(root):
    spec = json.load(sys.stdin)
    d = job_dir(root, spec['id'])
    os.makedirs(job_root(root), exist_ok=True)
    os.mkdir(d)
    rd, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        detach_and_supervise(d, spec, w, rd)
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


def cmd_list(root):
    out = []
    top = job_root(root)
    if os.path.isdir(top):
        for i in sorted(os.listdir(top)):
            if i.startswith('.'):
                continue
            s = status(os.path.join(top, i))
            if s is not None:
                out.append(s)
    print(json.dumps(out))


def need(root, job_id):
    d = job_dir(root, job_id)
    s = status(d)
    if s is None:
        sys.stderr.write('no such job: %s\n' % job_id)
        sys.exit(NO_SUCH_JOB)
    return d, s


def cmd_status(root, job_id):
    print(json.dumps(need(root, job_id)[1]))


def cmd_read(root, job_id, offset, max_bytes):
    # Status is taken BEFORE the bytes: a job seen ended here has its whole log in this read or earlier ones.
    d, s = need(root, job_id)
    with open(os.path.join(d, 'log'), 'rb') as f:
        f.seek(offset)
        data = f.read(max_bytes)
    s['offset'] = offset
    sys.stdout.write(json.dumps(s) + '\n')
    sys.stdout.flush()
    sys.stdout.buffer.write(data)


def write_all(b):
    while b:
        n = os.write(1, b)
        b = b[n:]


def cmd_follow(root, job_id, offset, max_bytes):
    d, _ = need(root, job_id)
    left = max_bytes
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Notices a reader that went away (stdout closed) while there is nothing to write.
    po = select.poll()
    po.register(1, select.POLLERR | select.POLLHUP)
    deadline = time.time() + FOLLOW_LIFETIME_S
    with open(os.path.join(d, 'log'), 'rb') as f:
        f.seek(offset)
        while True:
            if left <= 0 or time.time() > deadline:
                sys.exit(PIECE_FULL)
            b = f.read(min(65536, left))
            if b:
                write_all(b)
                left -= len(b)
                continue
            if status(d)['state'] != 'running':
                # Ended: whatever it wrote between our last read and its exit is still to send.
                b = f.read()
                if b:
                    write_all(b)
                    continue
                return
            for _fd, ev in po.poll(200):
                if ev & (select.POLLERR | select.POLLHUP):
                    return


def signal_all(job, sig, procs):
    """sig to the job's process group, and to each process that left the group (each process gets it once:
    a second TERM can cut short a script that is saving its partial result in its TERM handler)."""
    try:
        os.killpg(job['pgid'], sig)
    except OSError:
        pass
    for p in procs:
        if p['pgid'] == job['pgid']:
            continue
        try:
            os.kill(p['pid'], sig)
        except OSError:
            pass


def wait_gone(job, seconds, m):
    end = time.time() + seconds
    while time.time() < end and m:
        time.sleep(0.05)
        m = members(job)
    return m


def cmd_stop(root, job_id, grace_ms):
    d, job = need(root, job_id)
    res = {'id': job_id, 'wasRunning': job['state'] == 'running', 'termed': [], 'killed': [], 'leftovers': []}
    if job.get('pgid') is None:
        print(json.dumps(res))
        return
    m = members(job)
    res['termed'] = [x['pid'] for x in m]
    signal_all(job, signal.SIGTERM, m)
    m = wait_gone(job, grace_ms / 1000.0, m)
    if m:
        res['killed'] = [x['pid'] for x in m]
        signal_all(job, signal.SIGKILL, m)
        m = wait_gone(job, 3, m)
    res['leftovers'] = m
    # Give the supervisor a moment to record the exit, so the status below says how the job ended.
    end = time.time() + 3
    while (time.time() < end and not os.path.exists(os.path.join(d, 'exit.json'))
           and alive(job.get('supervisorPid'), job.get('supervisorStart'))):
        time.sleep(0.05)
    res['job'] = status(d)
    print(json.dumps(res))


def main(argv):
    if len(argv) < 2:
        raise SystemExit('usage: supervisor.py start|list|status|read|follow|stop ROOT [ID ...]')
    cmd, root, rest = argv[0], argv[1], argv[2:]
    if cmd == 'start':
        cmd_start(root)
    elif cmd == 'list':
        cmd_list(root)
    elif cmd == 'status':
        cmd_status(root, rest[0])
    elif cmd == 'read':
        cmd_read(root, rest[0], int(rest[1]), int(rest[2]))
    elif cmd == 'follow':
        cmd_follow(root, rest[0], int(rest[1]), int(rest[2]))
    elif cmd == 'stop':
        cmd_stop(root, rest[0], int(rest[1]))
    else:
        raise SystemExit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv[1:])
