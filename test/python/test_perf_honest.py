"""bench_serve.py under hostile conditions: stalls and timeouts, failed requests without latencies, interrupts that
keep what was done, bounded and strictly parsed inputs, memory that does not grow with --num-prompts."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unittest

from test.python.test_perf_client import BENCH, ServerProcess, b, jlines, jload, run_bench

LATENCY_KEYS = ["%s_%s_ms" % (s, m) for m in ("ttft", "tpot", "itl", "e2el") for s in ("mean", "median", "std", "p50", "p90", "p99")]


def server(test, *args):
    tmp = tempfile.mkdtemp(prefix="honest-")
    srv = ServerProcess(tmp, *args)
    test.addCleanup(srv.stop)
    return srv, tmp


def bounded_bench(test, what, *args):
    """bench_serve.py with every request bounded by its limits: it ends in seconds, so a run still going after 60 s
    is a hang, reported as one (with what the bench had written so far) instead of waiting out a long timeout."""
    try:
        return run_bench(*args, timeout=60)
    except subprocess.TimeoutExpired as e:
        test.fail("bench_serve.py hung (%s): still running after 60 s; its last output:\n%s"
                  % (what, (e.stderr or b"").decode("utf-8", "replace")[-2000:]))


class StallTest(unittest.TestCase):
    def check(self, *extra):
        srv, tmp = server(self, "--ttft-base-ms", "2", "--tpot-base-ms", "2", "--stall-rate", "0.5")
        out = os.path.join(tmp, "r.json")
        p = bounded_bench(self, "4 of 8 requests stall, --stall-timeout 1 %s" % " ".join(extra),
                          "--base-url", srv.url, "--num-prompts", "8", "--input-len", "8", "--output-len", "6",
                          "--max-concurrency", "4", "--stall-timeout", "1", "--out", out, "--hbm-interval", "0", *extra)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        run = jload(out)["runs"][0]
        self.assertEqual((run["metrics"]["completed"], run["metrics"]["failed"]), (4, 4))
        self.assertEqual(run["failures"], {"stalled": 4})
        self.assertEqual(run["errors"], {"no data for 1 s": 4})
        for r in jlines(jload(out)["requests_file"]):
            if not r["success"]:
                self.assertEqual((r["error_kind"], r["ttft_ms"], r["e2el_ms"], r["itl_ms"]), ("stalled", None, None, []))
                self.assertGreaterEqual(r["failed_after_ms"], 1000)
        self.assertEqual(jload(out)["timeouts"], {"request_s": None, "stall_s": 1.0})

    def test_a_stream_that_goes_silent_fails_after_the_stall_timeout_and_the_run_goes_on(self):
        self.check()

    def test_a_non_streamed_answer_that_never_comes(self):
        self.check("--no-stream")

    def test_request_timeout_bounds_the_whole_request(self):
        srv, tmp = server(self, "--ttft-base-ms", "2", "--tpot-base-ms", "100")
        out = os.path.join(tmp, "r.json")
        p = bounded_bench(self, "--request-timeout 0.5 against a slow stream",
                          "--base-url", srv.url, "--num-prompts", "2", "--input-len", "8", "--output-len", "30",
                          "--request-timeout", "0.5", "--out", out, "--hbm-interval", "0")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        run = jload(out)["runs"][0]
        self.assertEqual(run["failures"], {"timeout": 2})
        self.assertEqual(list(run["errors"]), ["no complete answer within 0.5 s"])


class HonestRecordsTest(unittest.TestCase):
    def test_every_request_failing_gives_no_latency_figures(self):
        srv, tmp = server(self)
        out = os.path.join(tmp, "r.json")
        p = bounded_bench(self, "every request answered 404", "--base-url", srv.url, "--model", "no-such-model",
                          "--num-prompts", "5", "--input-len", "8", "--output-len", "4", "--out", out,
                          "--hbm-interval", "0")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        m = jload(out)["runs"][0]["metrics"]
        self.assertEqual((m["completed"], m["failed"], m["request_throughput"]), (0, 5, 0.0))
        for k in LATENCY_KEYS:
            self.assertNotIn(k, m)
        self.assertEqual(jload(out)["runs"][0]["failures"], {"http_404": 5})
        for r in jlines(jload(out)["requests_file"]):
            self.assertEqual((r["success"], r["http_status"], r["ttft_ms"], r["e2el_ms"], r["tpot_ms"]), (False, 404, None, None, None))
            self.assertIn("does not exist", r["error"])
        self.assertIn("no successful request", p.stderr.decode())

    def test_a_stream_cut_after_tokens_keeps_no_ttft(self):
        srv, tmp = server(self, "--ttft-base-ms", "2", "--tpot-base-ms", "2", "--drop-rate", "1")
        out = os.path.join(tmp, "r.json")
        bounded_bench(self, "every stream cut after tokens", "--base-url", srv.url, "--num-prompts", "3",
                      "--input-len", "8", "--output-len", "10", "--out", out, "--hbm-interval", "0")
        for r in jlines(jload(out)["requests_file"]):
            self.assertFalse(r["success"])
            self.assertGreater(r["chunks"], 0)  # tokens did arrive ...
            self.assertIsNone(r["ttft_ms"])     # ... but a failed request has no latencies
            self.assertEqual(r["error_kind"], "closed_mid_response")


class InterruptTest(unittest.TestCase):
    def start(self, *args):
        srv, tmp = server(self, "--ttft-base-ms", "5", "--tpot-base-ms", "20")
        out = os.path.join(tmp, "r.json")
        p = subprocess.Popen([sys.executable, BENCH, "--base-url", srv.url, "--input-len", "8", "--out", out,
                              "--hbm-interval", "0"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p, out

    def wait_lines(self, path, n, p):
        for _ in range(2400):
            if os.path.exists(path):
                with open(path) as f:
                    if sum(1 for _ in f) >= n:
                        return
            if p.poll() is not None:
                self.fail("bench ended early: %s" % p.stderr.read().decode())
            time.sleep(0.025)
        self.fail("no %d requests finished" % n)

    def test_sigterm_mid_run_keeps_completed_requests_and_marks_the_result(self):
        p, out = self.start("--num-prompts", "200", "--output-len", "10", "--max-concurrency", "1")
        self.wait_lines(out + ".requests.jsonl", 3, p)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err.decode())
        res = jload(out)
        self.assertTrue(res["interrupted"])
        run = res["runs"][0]
        self.assertTrue(run["interrupted"])
        recs = jlines(out + ".requests.jsonl")
        self.assertGreaterEqual(len(recs), 3)
        self.assertEqual(run["metrics"]["completed"], len(recs))
        self.assertEqual(run["cut_in_flight"], 1)
        self.assertEqual(run["metrics"]["completed"] + run["cut_in_flight"] + run["not_started"], 200)
        self.assertIn("mean_ttft_ms", run["metrics"])
        self.assertIn("interrupted: 0 of 1 runs complete; run 1 kept", err.decode())

    def test_interrupted_in_the_second_run_both_runs_are_there(self):
        p, out = self.start("--num-prompts", "6", "--output-len", "10", "--max-concurrency", "8,1")
        self.wait_lines(out + ".requests.jsonl", 6 + 2, p)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130)
        res = jload(out)
        self.assertEqual([r["concurrency"] for r in res["runs"]], [8, 1])
        self.assertNotIn("interrupted", res["runs"][0])
        self.assertEqual(res["runs"][0]["metrics"]["completed"], 6)
        self.assertTrue(res["runs"][1]["interrupted"])
        self.assertGreaterEqual(res["runs"][1]["metrics"]["completed"], 2)
        recs = jlines(out + ".requests.jsonl")
        self.assertEqual(sum(1 for r in recs if r["run"] == 2), res["runs"][1]["metrics"]["completed"])


class BoundedInputsTest(unittest.TestCase):
    def test_numbers_are_parsed_strictly_and_bounded(self):
        for args in (["--num-prompts", "0"], ["--num-prompts", "1000001"], ["--num-prompts", "1e9"],
                     ["--num-prompts", "0x10"], ["--num-prompts", "1_000"], ["--num-prompts", " 5"],
                     ["--request-rate", "nan"], ["--request-rate", "-1"], ["--request-rate", "0x1"],
                     ["--request-rate", "0"], ["--stall-timeout", "0"], ["--max-concurrency", "0x8"]):
            p = bounded_bench(self, "refusing %s" % " ".join(args), "--base-url", "http://127.0.0.1:9", "--model", "m",
                              "--out", "/dev/null", *args)
            self.assertEqual(p.returncode, 2, args)
            self.assertTrue(args[0].encode() in p.stderr or b"--max-concurrency" in p.stderr, p.stderr)

    def test_request_rate_inf_means_all_at_once(self):
        srv, tmp = server(self, "--ttft-base-ms", "1", "--tpot-base-ms", "1")
        out = os.path.join(tmp, "r.json")
        p = bounded_bench(self, "--request-rate inf", "--base-url", srv.url, "--num-prompts", "4",
                          "--request-rate", "inf", "--input-len", "8", "--output-len", "2", "--out", out,
                          "--hbm-interval", "0")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(jload(out)["request_rate"], "inf")

    def test_prompts_are_made_when_asked_not_up_front(self):
        src = b.RandomPrompts(1000000, 32, 8, 3)
        self.assertEqual(len(src), 1000000)
        last = src.get(999999)  # without making the 999,999 before it
        self.assertEqual(last, b.RandomPrompts(1000000, 32, 8, 3).get(999999))
        self.assertEqual(last["prompt"].split()[0], "999999")
        self.assertNotEqual(src.get(1)["prompt"], src.get(2)["prompt"])

    def test_statistics_memory_is_bounded_and_percentiles_stay_close(self):
        class Small(b.Dist):
            EXACT_MAX = 1000

        vals = [0.001 * (1 + (i * 7919) % 5000) for i in range(50000)]
        exact, approx = {}, {}
        b.summarize(vals, "ttft", exact)
        d = Small()
        tracemalloc.start()
        for v in vals:
            d.add(v)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        d.summarize("ttft", approx)
        self.assertIsNotNone(d.hist)
        self.assertLess(size, 1024 * 1024)  # 50,000 values kept in a histogram, not a list
        for k in ("mean_ttft_ms", "median_ttft_ms", "p90_ttft_ms", "p99_ttft_ms", "std_ttft_ms"):
            self.assertAlmostEqual(approx[k], exact[k], delta=exact[k] * 0.001, msg=k)


if __name__ == "__main__":
    unittest.main()
