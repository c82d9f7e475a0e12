"""The detached-job supervisor (python/jobs/supervisor.py), run as a real process the way the core runs it:
job folder and records, a job that outlives its starter, log reads by byte offset, follow in bounded pieces,
stop TERM -> KILL -> nothing of the job left, bad input."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUPERVISOR = os.path.join(ROOT, "python", "jobs", "supervisor.py")


def live_processes_of(job_id, pgid):
    """Every live (non-zombie) process in the job's group/session or carrying its marker, seen from /proc."""
    out = []
    mark = ("ASCEND_ADAPT_JOB_ID=" + job_id).encode()
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if rest[0] in ("Z", "X"):
                continue
            with open("/proc/%s/environ" % e, "rb") as f:
                marked = mark in f.read().split(b"\0")
        except OSError:
            continue
        if int(rest[2]) == pgid or int(rest[3]) == pgid or marked:
            out.append(int(e))
    return out


def wait_until(cond, what, limit=200):
    """Polls a condition (the machine may be busy: generous, but bounded so a broken build fails)."""
    for _ in range(limit):
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@unittest.skipUnless(os.path.isdir("/proc"), "needs /proc")
class SupervisorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aa-sup-")
        self.root = os.path.join(self.tmp, "jobs")
        self.started = []

    def tearDown(self):
        for job_id in self.started:
            self.run_sup("stop", job_id, "200")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_sup(self, cmd, *args, stdin=None):
        return subprocess.run([sys.executable, SUPERVISOR, cmd, self.root] + list(args), input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)

    def start(self, argv, job_id, env=None, name="t", cwd=None):
        spec = {"id": job_id, "name": name, "argv": argv, "env": env or {}, "cwd": cwd}
        r = self.run_sup("start", stdin=json.dumps(spec).encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.started.append(job_id)
        return json.loads(r.stdout)

    def status(self, job_id):
        r = self.run_sup("status", job_id)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def wait_ended(self, job_id):
        wait_until(lambda: self.status(job_id)["state"] != "running", "job %s to end" % job_id)
        return self.status(job_id)

    def test_records_argv_env_ids_and_exit_code_in_the_job_folder(self):
        s = self.start(["sh", "-c", 'echo "$GREETING"; echo err >&2; exit 3'], "j-exit", env={"GREETING": "hi $(x) 'q'"}, cwd=self.tmp)
        self.assertEqual(s["state"], "running")
        self.assertEqual(s["pid"], s["pgid"])
        self.assertEqual(s["pid"], s["sid"])
        self.assertEqual(s["cwd"], self.tmp)
        done = self.wait_ended("j-exit")
        self.assertEqual(done["state"], "exited")
        self.assertEqual(done["exit"]["code"], 3)
        self.assertIsNone(done["exit"]["signal"])
        d = os.path.join(self.root, "j-exit")
        with open(os.path.join(d, "job.json")) as f:
            rec = json.load(f)
        self.assertEqual(rec["env"], {"GREETING": "hi $(x) 'q'"})
        self.assertEqual(rec["argv"][0], "sh")
        with open(os.path.join(d, "log")) as f:
            self.assertEqual(f.read(), "hi $(x) 'q'\nerr\n")
        self.assertEqual(done["logSize"], len("hi $(x) 'q'\nerr\n"))
        listed = json.loads(self.run_sup("list").stdout)
        self.assertEqual([j["id"] for j in listed], ["j-exit"])

    def test_the_job_outlives_the_start_command_in_its_own_session(self):
        s = self.start(["sleep", "30"], "j-sleep")
        # The start command has returned; the job runs on, in a session that is not ours.
        self.assertEqual(self.status("j-sleep")["state"], "running")
        self.assertNotEqual(os.getsid(s["pid"]), os.getsid(0))
        with open("/proc/%d/environ" % s["pid"], "rb") as f:
            self.assertIn(b"ASCEND_ADAPT_JOB_ID=j-sleep", f.read().split(b"\0"))

    def test_a_command_that_cannot_start_is_failed_to_start_with_the_reason(self):
        s = self.start(["/no/such/program"], "j-missing")
        self.assertEqual(s["state"], "failed-to-start")
        self.assertIsNone(s["pid"])
        self.assertEqual(s["exit"]["code"], 127)
        self.assertIn("No such file", s["exit"]["error"])
        r = self.run_sup("stop", "j-missing", "100")
        self.assertEqual(json.loads(r.stdout)["termed"], [])

    def test_read_by_offset_and_follow_in_pieces_give_the_log_byte_for_byte(self):
        writer = "import sys,time\nfor i in range(300):\n  sys.stdout.write('line %04d \u6607\u817e\\n' % i); sys.stdout.flush(); time.sleep(0.002)\n"
        self.start([sys.executable, "-c", writer], "j-log", env={"PYTHONIOENCODING": "utf-8"})
        pieces, at = [], 0
        while True:
            r = self.run_sup("follow", "j-log", str(at), "1000")
            pieces.append(r.stdout)
            at += len(r.stdout)
            if r.returncode == 0:
                break
            self.assertEqual(r.returncode, 4, r.stderr)  # piece full: the caller goes on from `at`
            self.assertEqual(len(r.stdout), 1000)
        with open(os.path.join(self.root, "j-log", "log"), "rb") as f:
            whole = f.read()
        self.assertEqual(b"".join(pieces), whole)
        self.assertIn("line 0299 \u6607\u817e".encode(), whole)
        # read: one status line, then raw bytes from the offset (a split UTF-8 character stays split)
        r = self.run_sup("read", "j-log", "7", "5")
        head, _, data = r.stdout.partition(b"\n")
        self.assertEqual(json.loads(head)["offset"], 7)
        self.assertEqual(json.loads(head)["state"], "exited")
        self.assertEqual(data, whole[7:12])

    def test_stop_leaves_nothing_of_the_job_alive(self):
        family = "\n".join([
            "sleep 300 &",
            "(sleep 301 &)",
            "%s -c 'import os,time; os.setpgid(0,0); time.sleep(302)' &" % sys.executable,
            "setsid sleep 303 &",
            "%s -c 'import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(\"ignoring TERM\", flush=True); time.sleep(304)' &" % sys.executable,
            "echo started",
            "wait",
        ])
        s = self.start(["bash", "-c", family], "j-family")
        log = os.path.join(self.root, "j-family", "log")

        def all_up():
            with open(log) as f:
                return "ignoring TERM" in f.read() and len(live_processes_of("j-family", s["pgid"])) >= 6
        wait_until(all_up, "every child to be up")
        r = self.run_sup("stop", "j-family", "1500")
        self.assertEqual(r.returncode, 0, r.stderr)
        res = json.loads(r.stdout)
        self.assertTrue(res["wasRunning"])
        self.assertEqual(res["leftovers"], [])
        self.assertTrue(res["killed"], "the TERM-ignoring child needed KILL")
        self.assertEqual(live_processes_of("j-family", s["pgid"]), [])
        self.assertEqual(res["job"]["state"], "exited")
        self.assertEqual(res["job"]["exit"]["signal"], "SIGTERM")
        again = json.loads(self.run_sup("stop", "j-family", "100").stdout)
        self.assertFalse(again["wasRunning"])
        self.assertEqual(again["termed"], [])

    def test_stop_sends_each_process_one_term_so_a_saving_handler_is_not_cut_short(self):
        saver = "\n".join([
            "import signal,sys,time",
            "n=[0]",
            "def on_term(*_):",
            "    n[0]+=1",
            "    print('TERM %d' % n[0], flush=True)",
            "    time.sleep(0.5)",  # saving a partial result
            "    print('saved', flush=True)",
            "    sys.exit(143)",
            "signal.signal(signal.SIGTERM,on_term)",
            "print('ready', flush=True)",
            "time.sleep(300)",
        ])
        self.start([sys.executable, "-c", saver], "j-saver")
        log = os.path.join(self.root, "j-saver", "log")

        def ready():
            with open(log) as f:
                return "ready" in f.read()
        wait_until(ready, "the handler to be set")
        res = json.loads(self.run_sup("stop", "j-saver", "5000").stdout)
        self.assertEqual(res["killed"], [])
        self.assertEqual(res["job"]["exit"]["code"], 143)
        with open(log) as f:
            self.assertEqual(f.read(), "ready\nTERM 1\nsaved\n")

    def test_unknown_and_malformed_job_ids(self):
        r = self.run_sup("status", "nope")
        self.assertEqual(r.returncode, 3)
        self.assertIn(b"no such job", r.stderr)
        r = self.run_sup("status", "../etc")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"bad job id", r.stderr)
        r = self.run_sup("start", stdin=json.dumps({"id": ".hidden", "argv": ["true"]}).encode())
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.root, ".hidden")))


if __name__ == "__main__":
    unittest.main()
