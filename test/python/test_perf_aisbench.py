"""AISBench as an engine (python/aisbench.py): its output formats read into our result schema (unit strings, the
summary CSV), the documented commands, and perf/accuracy end to end through the simulated ais_bench against the
simulated server."""
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest

from test.python.test_perf_client import BENCH, ROOT, ServerProcess, jload

sys.path.insert(0, os.path.join(ROOT, "python"))
import aisbench  # noqa: E402

DEMO = os.path.join(ROOT, "python", "data", "demo")
ACC = os.path.join(ROOT, "python", "accuracy", "run_accuracy.py")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class FormatsTest(unittest.TestCase):
    def test_unit_strings(self):
        self.assertEqual(aisbench.value_of("123.4 ms", "x"), 123.4)
        self.assertEqual(aisbench.value_of("12.5 token/s", "x"), 12.5)
        self.assertEqual(aisbench.value_of("3.2 req/s", "x"), 3.2)
        self.assertEqual(aisbench.value_of(42, "x"), 42.0)
        for bad in ("12 furlongs", "abc", "", "1,5 ms"):
            with self.assertRaises(aisbench.AisBenchError, msg=bad):
                aisbench.value_of(bad, "perf.csv TTFT")

    def test_accuracy_summary_forms(self):
        tmp = tempfile.mkdtemp(prefix="aissum-")
        plain = write(os.path.join(tmp, "a.csv"), "dataset,version,metric,mode,vllm-api-general-chat\n"
                                                  "gsm8k,271d0b,accuracy,gen,94.77\nceval,-,-,-,-\n")
        rows = aisbench.read_accuracy_summary(plain)
        self.assertEqual([(r["dataset"], r["value"], r["n"]) for r in rows], [("gsm8k", 0.9477, None), ("ceval", None, None)])
        counted = write(os.path.join(tmp, "b.csv"), "dataset,version,metric,mode,total_count,vllm-api-general-chat\n"
                                                    "aime2024,b1a6e2,accuracy,gen,30,83.33 (25/30)\n")
        r = aisbench.read_accuracy_summary(counted)[0]
        self.assertEqual((r["value"], r["n"], r["model"]), (0.8333, 30, "vllm-api-general-chat"))
        with self.assertRaises(aisbench.AisBenchError):
            aisbench.read_accuracy_summary(write(os.path.join(tmp, "c.csv"), "name,score\nx,1\n"))

    def test_perf_files_read_into_vllm_names(self):
        tmp = tempfile.mkdtemp(prefix="aisperf-")
        d = os.path.join(tmp, "performances", "vllm-api-stream-chat")
        write(os.path.join(d, "gsm8k.csv"),
              "Performance Parameters,Stage,Average,Min,Max,Median,P75,P90,P99,N\r\n"
              "E2EL,total,2048.1 ms,1500.0 ms,2600.2 ms,2000.0 ms,2200.0 ms,2400.5 ms,2590.0 ms,288\r\n"
              "TTFT,total,210.3 ms,90.1 ms,520.9 ms,200.0 ms,250.0 ms,300.0 ms,500.0 ms,288\r\n"
              "TPOT,total,13.5 ms,12.0 ms,15.0 ms,13.4 ms,13.9 ms,14.5 ms,14.9 ms,288\r\n"
              "InputTokens,total,3500.0,3400,3600,3500.0,3550.0,3580.0,3599.0,288\r\n"
              "OutputTokenThroughput,total,70.1 token/s,60.0 token/s,80.0 token/s,70.0 token/s,72.0 token/s,75.0 token/s,79.0 token/s,288\r\n")
        write(os.path.join(d, "gsm8k.json"), json.dumps({
            "Benchmark Duration": {"total": "60000.0 ms"}, "Total Requests": {"total": 288}, "Failed Requests": {"total": 0},
            "Success Requests": {"total": 288}, "Request Throughput": {"total": "4.8 req/s"},
            "Total Input Tokens": {"total": 1008000}, "Total Generated Tokens": {"total": 432000},
            "Output Token Throughput": {"total": "7200.0 token/s"}, "Total Token Throughput": {"total": "24000.0 token/s"}}, indent=4))
        m, files = aisbench.read_perf(d)
        self.assertEqual((m["mean_ttft_ms"], m["p50_ttft_ms"], m["p99_ttft_ms"], m["p90_e2el_ms"]), (210.3, 200.0, 500.0, 2400.5))
        self.assertNotIn("mean_itl_ms", m)  # AISBench leaves the ITL row out when it has none
        self.assertEqual((m["duration"], m["completed"], m["failed"], m["total_output_tokens"]), (60.0, 288, 0, 432000))
        self.assertEqual((m["request_throughput"], m["output_throughput"]), (4.8, 7200.0))
        self.assertTrue(files["csv"].endswith("gsm8k.csv"))

    def test_documented_commands(self):
        self.assertEqual(aisbench.perf_argv("gsm8k_gen_0_shot_cot_str_perf", "/c", "/w")[:9],
                         ["ais_bench", "--models", "vllm_api_stream_chat", "--datasets", "gsm8k_gen_0_shot_cot_str_perf",
                          "--summarizer", "default_perf", "--mode", "perf"])
        self.assertEqual(aisbench.accuracy_argv(["gsm8k_gen_0_shot_cot_chat_prompt"], "/c", "/w")[:9],
                         ["ais_bench", "--models", "vllm_api_general_chat", "--datasets", "gsm8k_gen_0_shot_cot_chat_prompt",
                          "--mode", "all", "--dump-eval-details", "--merge-ds"])


class EndToEndTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aisbench-")
        root = os.path.join(self.tmp, "aisroot")
        with open(os.path.join(DEMO, "gsm8k.jsonl"), encoding="utf-8") as f:
            write(os.path.join(root, "ais_bench", "datasets", "gsm8k", "test.jsonl"), f.read())
        bindir = os.path.join(self.tmp, "bin")
        wrapper = write(os.path.join(bindir, "ais_bench"), "#!/bin/sh\nexec %s %s \"$@\"\n" % (
            sys.executable, os.path.join(ROOT, "python", "sim", "ais_bench.py")))
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IEXEC)
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), ASCEND_ADAPT_SIM_AISBENCH_ROOT=root)

    def test_perf_through_ais_bench(self):
        srv = ServerProcess(self.tmp, "--ttft-base-ms", "5", "--tpot-base-ms", "2")
        self.addCleanup(srv.stop)
        out = os.path.join(self.tmp, "r.json")
        p = subprocess.run([sys.executable, BENCH, "--base-url", srv.url, "--model", "m", "--engine", "aisbench",
                            "--max-concurrency", "2,4", "--num-prompts", "6", "--output-len", "8", "--out", out,
                            "--hbm-interval", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        res = jload(out)
        self.assertEqual(res["engine"], "aisbench")
        self.assertEqual([r["concurrency"] for r in res["runs"]], [2, 4])
        for r in res["runs"]:
            m = r["metrics"]
            self.assertEqual((m["completed"], m["failed"], m["total_output_tokens"]), (6, 0, 48))
            for k in ("mean_ttft_ms", "p50_ttft_ms", "p99_tpot_ms", "mean_itl_ms", "p90_e2el_ms", "request_throughput"):
                self.assertGreater(m[k], 0, k)
            self.assertEqual(r["command"][:3], ["ais_bench", "--models", "vllm_api_stream_chat"])
        # the server saw the ais_bench requests: 2 runs x 6 prompts, streamed chat completions
        recs = srv.records()
        self.assertEqual(len(recs), 12)
        self.assertTrue(all(x["endpoint"] == "chat" and x["stream"] for x in recs))

    def test_accuracy_through_ais_bench(self):
        key = os.path.join(DEMO, "answer_key.jsonl")
        srv = ServerProcess(self.tmp, "--ttft-base-ms", "1", "--tpot-base-ms", "0.1", "--answer-key", key)
        self.addCleanup(srv.stop)
        out = os.path.join(self.tmp, "acc.json")
        p = subprocess.run([sys.executable, ACC, "--base-url", srv.url, "--model", "m", "--engine", "aisbench", "--tasks",
                            "gsm8k", "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        res = jload(out)
        self.assertEqual(res["engine"], "aisbench")
        with open(os.path.join(DEMO, "gsm8k.jsonl"), encoding="utf-8") as f:
            n = sum(1 for line in f if line.strip())
        with open(key, encoding="utf-8") as f:
            right = sum(1 for line in f if line.strip() and json.loads(line)["task"] == "gsm8k" and json.loads(line).get("correct"))
        row = res["datasets"][0]
        self.assertEqual((row["name"], row["metric"], row["n"]), ("gsm8k", "accuracy", n))
        self.assertAlmostEqual(row["value"], round(100.0 * right / n, 2) / 100.0)
        self.assertIn("ais_bench --models vllm_api_general_chat --datasets gsm8k_gen_0_shot_cot_chat_prompt", p.stderr.decode())


if __name__ == "__main__":
    unittest.main()
