#!/usr/bin/env python3
"""One profiling capture against a running vLLM server, as the body of a detached job (stdlib, Python >= 3.8).

  capture.py --base-url http://127.0.0.1:8000 --profiler-dir DIR --out FILE [--model NAME] [--ranks N]
             [--num-prompts 8] [--input-len 128] [--output-len 32] [--concurrency 4]
             [--parse-timeout 600] [--analyse auto|never] [--stop-server-job ID --jobs-root ROOT]
             [--top 20] [--aicpu-min-us 20]

Phases (each announced as "progress: phase <name>" on stderr):
  start    POST /start_profile. vLLM registers it only when started with --profiler-config: a 404 means the
           server lacks it (result error "no-profiler-endpoint"). The profiler is counted as on from the moment
           the request is sent, so a stop that comes in between still turns it off.
  load     a short, fixed-length load with the perf client (python/perf/bench_serve.py, bundled engine).
  stop     POST /stop_profile (torch_npu parses at stop: it may take minutes on a real host).
  wait     until every rank (--ranks) has a new *_ascend_pt folder with ASCEND_PROFILER_OUTPUT in DIR; when one
           stays unparsed past --parse-timeout, torch_npu.profiler.profiler.analyse is run on it (--analyse auto).
  server   with --stop-server-job: the serving job this capture started is stopped through the job supervisor
           (so a capture whose client disconnected still leaves nothing running).
  summary  python/profile/summarize.py over the new folders.

Profiling is never left on: SIGTERM/SIGINT at any phase sends /stop_profile (when /start_profile was sent and
not yet stopped), stops the server job when asked, and still writes FILE with what was reached ("interrupted").
FILE: {"schema": "ascend-adapt.profile-capture/1", "phase", "startedProfile", "stoppedProfile", "profilerDir",
       "newDirs", "unparsed", "analysed", "load", "serverStopped", "summary", "error", "errorKind", "interrupted"}
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
for p in (HERE, PYDIR):
    if p not in sys.path:
        sys.path.insert(0, p)

import httpclient  # noqa: E402
import summarize  # noqa: E402

SCHEMA = "ascend-adapt.profile-capture/1"


class Interrupted(Exception):
    pass


class Failed(Exception):
    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind


def phase(name, state):
    state["phase"] = name
    sys.stderr.write("progress: phase %s\n" % name)
    sys.stderr.flush()


def say(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def post(base_url, path, timeout_s):
    c = httpclient.Client(base_url, None, httpclient.Timeouts(timeout_s, timeout_s))
    try:
        return c.request("POST", path, body=b"")
    finally:
        c.close()


def ascend_pt_dirs(root):
    return set(glob.glob(os.path.join(root, "*_ascend_pt")))


def parsed(d):
    out = os.path.join(d, summarize.OUTPUT)
    return any(os.path.isfile(os.path.join(out, f)) for f in (summarize.KERNELS, summarize.OPSTAT))


def sizes(dirs):
    total = 0
    for d in dirs:
        for root, _ds, files in os.walk(d):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
    return total


def run_load(a, state, children):
    """The perf client as a child (same process group: a stop of this job stops it too)."""
    out = os.path.join(a.run_dir, "load.json")
    argv = [sys.executable, os.path.join(PYDIR, "perf", "bench_serve.py"), "--base-url", a.base_url, "--out", out,
            "--requests-file", os.path.join(a.run_dir, "load_requests.jsonl"), "--engine", "bundled",
            "--num-prompts", str(a.num_prompts), "--input-len", str(a.input_len), "--output-len", str(a.output_len),
            "--max-concurrency", str(a.concurrency), "--hbm-interval", "0", "--seed", "0"]
    if a.model:
        argv += ["--model", a.model]
    child = subprocess.Popen(argv)
    children.append(child)
    code = child.wait()
    children.remove(child)
    load = {"exitCode": code, "file": out, "command": argv[1:]}
    try:
        with open(out, encoding="utf-8") as f:
            res = json.load(f)
        run = (res.get("runs") or [{}])[0]
        m = run.get("metrics", {})
        load.update(model=res.get("model"), numPrompts=res.get("num_prompts"), inputLen=res.get("input_len"),
                    outputLen=res.get("output_len"), concurrency=run.get("concurrency"),
                    completed=m.get("completed"), failed=m.get("failed"), durationS=m.get("duration"),
                    outputThroughput=m.get("output_throughput"), meanTtftMs=m.get("mean_ttft_ms"))
    except (OSError, ValueError, AttributeError, IndexError):
        pass
    state["load"] = load
    if code != 0 and not load.get("completed"):
        raise Failed("load-failed", "the load ended with exit code %s and no completed request" % code)


def wait_output(a, before, state):
    deadline = time.time() + a.parse_timeout
    last = None
    while True:
        new = sorted(ascend_pt_dirs(a.profiler_dir) - before)
        done = [d for d in new if parsed(d)]
        state["newDirs"] = new
        if len(done) >= a.ranks and len(done) == len(new):
            size = sizes(done)
            if size == last:  # nothing grew since the last look: the parser is through
                return done
            last = size
        elif time.time() > deadline:
            return done
        time.sleep(a.poll)


def analyse(dirs, state):
    """torch_npu's offline parser for folders the stop did not parse (needs torch_npu on this host)."""
    code = "import sys\nfrom torch_npu.profiler.profiler import analyse\nfor d in sys.argv[1:]:\n    analyse(d)\n"
    say("running torch_npu.profiler.profiler.analyse on %d folder(s)" % len(dirs))
    r = subprocess.run([sys.executable, "-c", code] + dirs)
    state["analysed"] = {"dirs": dirs, "exitCode": r.returncode}
    return r.returncode == 0


def stop_server(a, state):
    if not a.stop_server_job:
        return
    sup = os.path.join(PYDIR, "jobs", "supervisor.py")
    r = subprocess.run([sys.executable, sup, "stop", a.jobs_root, a.stop_server_job, "10000"], stdout=subprocess.PIPE)
    state["serverStopped"] = r.returncode == 0
    say("stopped the serving job %s (exit %d)" % (a.stop_server_job, r.returncode))


def stop_profile(a, state):
    """Sends /stop_profile once when /start_profile was sent and not yet stopped."""
    if not state["startedProfile"] or state["stoppedProfile"]:
        return
    state["stoppedProfile"] = True
    try:
        r = post(a.base_url, "/stop_profile", a.stop_timeout)
        say("POST /stop_profile: HTTP %d" % r.status)
        if r.status != 200:
            raise Failed("stop-failed", "/stop_profile answered HTTP %d: %s" % (r.status, httpclient.error_text(r.body)))
    except httpclient.RequestFailed as e:
        raise Failed("stop-failed", "/stop_profile failed: %s" % e.message)


def capture(a, state, children):
    phase("start", state)
    before = ascend_pt_dirs(a.profiler_dir)
    state["startedProfile"] = True
    try:
        r = post(a.base_url, "/start_profile", 120)
    except httpclient.RequestFailed as e:
        state["startedProfile"] = False
        raise Failed("no-server", "no server answers at %s (%s)" % (a.base_url, e.message))
    if r.status == 404:
        state["startedProfile"] = False
        raise Failed("no-profiler-endpoint", "%s/start_profile answered 404: the server was started without "
                     "--profiler-config, so it has no profiler endpoints" % a.base_url)
    if r.status != 200:
        raise Failed("start-failed", "/start_profile answered HTTP %d: %s" % (r.status, httpclient.error_text(r.body)))
    say("POST /start_profile: HTTP 200")
    phase("load", state)
    run_load(a, state, children)
    phase("stop", state)
    stop_profile(a, state)
    phase("wait", state)
    done = wait_output(a, before, state)
    todo = [d for d in state["newDirs"] if d not in done]
    if len(done) < a.ranks and todo and a.analyse == "auto":
        analyse(todo, state)
        done = wait_output(a, before, state)
    state["unparsed"] = [d for d in state["newDirs"] if d not in done]
    phase("server", state)
    stop_server(a, state)
    if not done:
        raise Failed("no-output", "no ASCEND_PROFILER_OUTPUT appeared in %s within %d s (%d *_ascend_pt folder(s) "
                     "unparsed)" % (a.profiler_dir, a.parse_timeout, len(state["unparsed"])))
    phase("summary", state)
    state["summary"] = summarize.summarize(done, a.top, a.aicpu_min_us)
    if len(done) < a.ranks:
        state["error"] = "%d of %d ranks wrote ASCEND_PROFILER_OUTPUT" % (len(done), a.ranks)
        state["errorKind"] = "missing-ranks"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Profile a running vLLM server (ASCEND_PROFILER_OUTPUT).")
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--profiler-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--model")
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--num-prompts", type=int, default=8)
    ap.add_argument("--input-len", type=int, default=128)
    ap.add_argument("--output-len", type=int, default=32)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--parse-timeout", type=float, default=600.0)
    ap.add_argument("--stop-timeout", type=float, default=1800.0)
    ap.add_argument("--poll", type=float, default=1.0)
    ap.add_argument("--analyse", choices=["auto", "never"], default="auto")
    ap.add_argument("--stop-server-job")
    ap.add_argument("--jobs-root", default="~/.ascend-adapt/jobs")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--aicpu-min-us", type=float, default=20.0)
    a = ap.parse_args(argv)
    a.profiler_dir = os.path.abspath(os.path.expanduser(a.profiler_dir))
    a.run_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(a.profiler_dir, exist_ok=True)
    state = {"schema": SCHEMA, "phase": "init", "startedProfile": False, "stoppedProfile": False,
             "profilerDir": a.profiler_dir, "newDirs": [], "unparsed": [], "analysed": None, "load": None,
             "serverStopped": False, "summary": None, "error": None, "errorKind": None, "interrupted": False,
             "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "endedAt": None}
    children = []

    def on_signal(signum, _frame):
        for c in list(children):
            try:
                c.send_signal(signal.SIGTERM)
            except OSError:
                pass
        raise Interrupted("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    code = 0
    try:
        capture(a, state, children)
    except Interrupted:
        state["interrupted"] = True
        code = 130
        say("interrupted: during %s" % state["phase"])
    except Failed as e:
        state["error"], state["errorKind"] = str(e), e.kind
        code = 1
    except Exception as e:  # anything else still turns the profiler off below
        state["error"], state["errorKind"] = "%s: %s" % (type(e).__name__, e), "internal"
        code = 1
    finally:
        # No second signal may cut the clean-up short: the profiler must end up off.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for c in list(children):
            try:
                c.wait(30)
            except subprocess.TimeoutExpired:
                c.kill()
        try:
            stop_profile(a, state)
        except Failed as e:
            state["error"] = state["error"] or str(e)
            state["errorKind"] = state["errorKind"] or e.kind
            code = code or 1
        if state["phase"] != "summary" and not state["serverStopped"]:
            stop_server(a, state)
        state["endedAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        summarize.write_json(a.out, state)
    if state["error"]:
        say("error: %s" % state["error"])
    return code


if __name__ == "__main__":
    sys.exit(main())
