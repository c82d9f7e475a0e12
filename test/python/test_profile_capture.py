"""The simulated vLLM's --profiler-config and python/profile/capture.py against a real (simulated) HTTP server."""
import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))

import openai_server  # noqa: E402
import vllm_profiler  # noqa: E402

CAPTURE = os.path.join(ROOT, "python", "profile", "capture.py")


def post(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, body=b"")
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


class SplitArgsTest(unittest.TestCase):
    def test_json_form(self):
        rest, cfg = vllm_profiler.split_args(["/m", "--profiler-config", '{"profiler": "torch", "torch_profiler_dir": "./p"}', "--port", "1"])
        self.assertEqual(rest, ["/m", "--port", "1"])
        self.assertEqual(cfg["profiler"], "torch")
        self.assertEqual(cfg["torch_profiler_dir"], os.path.abspath("./p"), "made absolute, as vLLM does")
        self.assertTrue(cfg["torch_profiler_with_stack"], "vLLM's default")

    def test_equals_and_dotted_forms(self):
        _, a = vllm_profiler.split_args(['--profiler-config={"profiler":"torch","torch_profiler_dir":"/d"}'])
        _, b = vllm_profiler.split_args(["--profiler-config.profiler=torch", "--profiler-config.torch_profiler_dir", "/d",
                                         "--profiler-config.torch_profiler_with_stack=false"])
        self.assertEqual(a["torch_profiler_dir"], "/d")
        self.assertEqual(b["torch_profiler_dir"], "/d")
        self.assertFalse(b["torch_profiler_with_stack"])

    def test_errors(self):
        with self.assertRaisesRegex(vllm_profiler.ConfigError, "torch_profiler_dir must be set when profiler is 'torch'"):
            vllm_profiler.split_args(["--profiler-config", '{"profiler": "torch"}'])
        with self.assertRaisesRegex(vllm_profiler.ConfigError, "unknown field"):
            vllm_profiler.split_args(["--profiler-config", '{"profiler": "torch", "torch_profiler_dir": "/d", "nope": 1}'])
        with self.assertRaisesRegex(vllm_profiler.ConfigError, "invalid JSON"):
            vllm_profiler.split_args(["--profiler-config", "{"])
        self.assertIsNone(vllm_profiler.split_args(["/m"])[1])


class Server:
    """The simulated OpenAI server in a thread, with (or without) the profiler's two routes."""

    def __init__(self, profiler_dir=None, ranks=2, tpot_ms=1.0, parse_s=0.0):
        self.log = []
        self.prof = None
        cfg = {"port": 0, "model": "tiny", "access_log": False, "ttft_base_ms": 1.0, "tpot_base_ms": tpot_ms, "log": io.StringIO()}
        if profiler_dir:
            pc = vllm_profiler.validate({"profiler": "torch", "torch_profiler_dir": profiler_dir})
            self.prof = vllm_profiler.SimProfiler(pc, ranks, ranks, 1, ("new", parse_s),
                                                  lambda w, m: self.log.append(m), lambda w, m: self.log.append("WARN " + m))
            cfg["routes"] = self.prof.routes()
        self.h = openai_server.start_in_thread(cfg)
        self.url = self.h.url

    def stop(self):
        self.h.stop()


class CaptureTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aa-capture-")
        self.pdir = os.path.join(self.dir, "torch_profile")
        self.out = os.path.join(self.dir, "run", "capture.json")
        os.makedirs(os.path.dirname(self.out))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def capture(self, url, *extra):
        argv = [sys.executable, CAPTURE, "--base-url", url, "--profiler-dir", self.pdir, "--out", self.out, "--ranks", "2",
                "--num-prompts", "4", "--input-len", "8", "--output-len", "8", "--poll", "0.1"] + list(extra)
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def result(self):
        with open(self.out, encoding="utf-8") as f:
            return json.load(f)

    def test_endpoints_exist_only_with_a_profiler(self):
        plain = Server()
        prof = Server(self.pdir)
        try:
            self.assertEqual(post(plain.h.port, "/start_profile")[0], 404)
            self.assertEqual(post(prof.h.port, "/start_profile"), (200, b""))
            self.assertEqual(post(prof.h.port, "/stop_profile"), (200, b""))
            self.assertEqual(prof.log[:4], ["Starting profiler...", "Profiler started.", "Stopping profiler...", prof.log[3]])
            self.assertEqual(len(os.listdir(self.pdir)), 2, "one *_ascend_pt per rank")
        finally:
            plain.stop()
            prof.stop()

    def test_capture_end_to_end(self):
        s = Server(self.pdir)
        try:
            p = self.capture(s.url)
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
            r = self.result()
            self.assertTrue(r["startedProfile"] and r["stoppedProfile"])
            self.assertEqual(r["phase"], "summary")
            self.assertEqual(r["summary"]["ranks"], 2)
            self.assertTrue(r["summary"]["simulated"])
            self.assertEqual(r["load"]["completed"], 4)
            self.assertEqual(len(r["newDirs"]), 2)
            self.assertIsNone(s.prof.active_since, "profiling is off")
            for ph in ("start", "load", "stop", "wait", "server", "summary"):
                self.assertIn(("progress: phase %s" % ph).encode(), err)
        finally:
            s.stop()

    def test_404_says_the_server_lacks_the_profiler(self):
        s = Server()
        try:
            p = self.capture(s.url)
            p.communicate(timeout=60)
            self.assertEqual(p.returncode, 1)
            r = self.result()
            self.assertEqual(r["errorKind"], "no-profiler-endpoint")
            self.assertIn("--profiler-config", r["error"])
            self.assertFalse(r["startedProfile"])
        finally:
            s.stop()

    def interrupt_during(self, phase, **server):
        s = Server(self.pdir, **server)
        try:
            p = self.capture(s.url)
            seen = b""
            while ("progress: phase %s" % phase).encode() not in seen:
                line = p.stderr.readline()
                self.assertTrue(line, "capture ended before phase %s: %s" % (phase, seen))
                seen += line
            time.sleep(0.3)
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)
            self.assertEqual(p.returncode, 130)
            r = self.result()
            self.assertTrue(r["interrupted"])
            self.assertEqual(r["phase"], phase)
            self.assertTrue(r["stoppedProfile"], "a started profiler is always stopped")
            for _ in range(100):  # the stop handler may still be writing the output
                if s.prof.active_since is None:
                    break
                time.sleep(0.05)
            self.assertIsNone(s.prof.active_since)
            self.assertEqual(s.log.count("Profiler started."), 1)
            self.assertEqual(s.log.count("Stopping profiler..."), 1)
            return r
        finally:
            s.stop()

    def test_interrupted_during_the_load(self):
        r = self.interrupt_during("load", tpot_ms=400.0)
        self.assertIsNone(r["summary"])

    def test_interrupted_while_the_server_parses(self):
        self.interrupt_during("stop", parse_s=2.0)


if __name__ == "__main__":
    unittest.main()
