"""The bundled accuracy runner end to end against the simulated server (real HTTP, real processes):
exact known accuracy, interrupt + resume, and the lm-eval path with a stand-in lm_eval and a vllm-ascend config."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "test", "fixtures", "accuracy")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "samples")
RUNNER = os.path.join(ROOT, "python", "accuracy", "run_accuracy.py")
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))

import openai_server as sim  # noqa: E402

KEY = os.path.join(FIX, "answer_key.jsonl")


QUIET = open(os.devnull, "w")  # the simulated server's access/start lines


def readlines(path):
    with open(path) as f:
        return [line for line in f if line.strip()]


def jload(path):
    with open(path) as f:
        return json.load(f)


def nlines(path):
    return len(readlines(path))


def key_entries():
    return [json.loads(line) for line in readlines(KEY)]


def expected_accuracy(share):
    """From the answer key alone (hand-labelled expectations), independent of the extraction code:
    which entries the simulated server answers right, and what each metric should make of that answer."""
    entries = key_entries()
    k = sim.AnswerKey(entries, share)
    metrics = {"gsm8k": ["exact_match,strict-match", "exact_match,flexible-extract"], "mmlu": ["acc"], "math": ["exact_match"]}
    per = {}
    for e, (_, _, ok) in zip(entries, k.entries):
        for m in metrics[e["task"]]:
            if ok:
                v = e.get("expect_correct", {}).get(m, True)
            else:
                v = e.get("expect_wrong", {}).get(m, False)
            per.setdefault((e["task"], m, e.get("subject")), []).append(1.0 if v else 0.0)
    out = {}
    for (task, m, subj), vals in per.items():
        out.setdefault((task, m), {})[subj] = vals
    res = {}
    for (task, m), by in out.items():
        if task == "mmlu":  # subject-averaged
            res[(task, m)] = sum(sum(v) / len(v) for v in by.values()) / len(by)
        else:
            allv = [x for v in by.values() for x in v]
            res[(task, m)] = sum(allv) / len(allv)
    return res


def rows(result):
    return {(d["name"], d["metric"]): d for d in result["datasets"]}


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="acc-test-")

    def server(self, **cfg):
        c = {"port": 0, "model": "sim-model", "access_log": False, "ttft_base_ms": 1.0, "ttft_per_prompt_token_ms": 0.0,
             "tpot_base_ms": 0.1, "tpot_per_inflight_ms": 0.0, "answer_key": KEY, "correct_share": 0.7, "log": QUIET}
        c.update(cfg)
        h = sim.start_in_thread(c)
        self.addCleanup(h.stop)
        return h

    def run_runner(self, url, out, *extra, **kw):
        argv = [sys.executable, RUNNER, "--base-url", url, "--out", out] + list(extra)
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, **kw)

    def test_exact_known_accuracy_all_three_datasets(self):
        h = self.server()
        out = os.path.join(self.tmp, "r.json")
        p = self.run_runner(h.url + "/v1", out, "--tasks", "gsm8k,mmlu,math", "--data", os.path.join(FIX, "data"),
                            "--concurrency", "4", "--num-fewshot", "2")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        res = jload(out)
        self.assertTrue(res["simulated"])
        self.assertEqual(res["model"], "sim-model")  # taken from /v1/models
        want = expected_accuracy(0.7)
        got = rows(res)
        for key, v in want.items():
            self.assertAlmostEqual(got[key]["value"], v, places=9, msg=key)
            self.assertEqual(got[key]["n"], 10)
        # the three datasets are not all alike: the answer key makes them differ
        self.assertNotEqual(got[("gsm8k", "exact_match,strict-match")]["value"], got[("gsm8k", "exact_match,flexible-extract")]["value"])
        self.assertEqual(set(got[("mmlu", "acc")]["subjects"]), {"astronomy", "high_school_chemistry"})
        # evidence: one line per item with prompt, raw output, extracted answer and verdict
        items = [json.loads(line) for line in readlines(out + ".items.jsonl")]
        self.assertEqual(len(items), 30)
        g = [i for i in items if i["task"] == "gsm8k"][0]
        self.assertIn("Question:", json.dumps(g["prompt"]))
        self.assertIn("Ana has 5 apples", json.dumps(g["prompt"]))  # 2-shot from gsm8k_train.jsonl
        self.assertTrue(set(g) >= {"raw", "extracted", "target", "correct"})
        self.assertIn("progress: gsm8k 10/10", p.stderr.decode())

    def test_other_share_other_accuracy(self):
        h = self.server(correct_share=0.3)
        out = os.path.join(self.tmp, "r.json")
        p = self.run_runner(h.url, out, "--tasks", "gsm8k", "--data", os.path.join(FIX, "data"), "--chat", "no")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        got = rows(jload(out))
        want = expected_accuracy(0.3)
        self.assertAlmostEqual(got[("gsm8k", "exact_match,strict-match")]["value"], want[("gsm8k", "exact_match,strict-match")])

    def test_interrupt_then_resume_gives_the_same_result(self):
        data = os.path.join(FIX, "data")
        ref_srv = self.server()
        ref_out = os.path.join(self.tmp, "ref.json")
        self.assertEqual(self.run_runner(ref_srv.url, ref_out, "--tasks", "gsm8k,math", "--data", data).returncode, 0)
        slow = self.server(ttft_base_ms=150.0)
        out = os.path.join(self.tmp, "r.json")
        argv = [sys.executable, RUNNER, "--base-url", slow.url, "--out", out, "--tasks", "gsm8k,math", "--data", data,
                "--concurrency", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        items = out + ".items.jsonl"
        for _ in range(600):  # wait until a few items are on disk (not a timing assertion: just a wait)
            if os.path.exists(items) and nlines(items) >= 4:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err.decode())
        partial = jload(out)
        self.assertFalse(partial["complete"])
        done_before = nlines(items)
        self.assertGreaterEqual(done_before, 4)
        self.assertLess(done_before, 20)
        asked_before = len(slow.stats())
        # simulate a write cut in half by the interruption
        with open(items, "a") as f:
            f.write('{"task": "gsm8k", "id": "gsm8k.jsonl:9", "cut')
        p = self.run_runner(slow.url, out, "--tasks", "gsm8k,math", "--data", data, "--concurrency", "4")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn("resume: gsm8k", p.stderr.decode())
        final = jload(out)
        self.assertTrue(final["complete"])
        a, b = rows(jload(ref_out)), rows(final)
        self.assertEqual({k: v["value"] for k, v in a.items()}, {k: v["value"] for k, v in b.items()})
        # every item was asked exactly once over both runs
        self.assertEqual(len(slow.stats()) - asked_before, 20 - done_before)

    def test_bad_inputs_are_named(self):
        h = self.server()
        out = os.path.join(self.tmp, "r.json")
        bad = os.path.join(self.tmp, "gsm8k.jsonl")
        with open(bad, "w") as f:
            f.write('{"question": "q", "answer": "no final answer"}\n')
        p = self.run_runner(h.url, out, "--tasks", "gsm8k", "--data", self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("gsm8k.jsonl line 1", p.stderr.decode())
        p = self.run_runner(h.url, out, "--tasks", "gsm8k")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--data", p.stderr.decode())
        p = self.run_runner("http://127.0.0.1:9", out, "--tasks", "gsm8k", "--data", os.path.join(FIX, "data"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("no server answers", p.stderr.decode())

    def test_server_errors_are_counted_not_scored(self):
        h = self.server(error_rate=1.0)
        out = os.path.join(self.tmp, "r.json")
        p = self.run_runner(h.url, out, "--tasks", "math", "--data", os.path.join(FIX, "data"), "--retries", "0")
        self.assertEqual(p.returncode, 1)
        r = rows(jload(out))[("math", "exact_match")]
        self.assertEqual((r["n"], r["errors"], r["value"]), (0, 10, None))


class LmEvalPathTest(unittest.TestCase):
    def test_vllm_ascend_config_through_stand_in_lm_eval(self):
        cfg = os.path.join(SHARED, "lm_eval_config_Qwen3-8B-W8A8.yaml")
        if not os.path.exists(cfg):
            self.skipTest("shared samples not beside the repo")
        h = sim.start_in_thread({"port": 0, "model": "vllm-ascend/Qwen3-8B-W8A8", "access_log": False,
                                 "ttft_base_ms": 1.0, "tpot_base_ms": 0.1, "log": QUIET})
        self.addCleanup(h.stop)
        tmp = tempfile.mkdtemp(prefix="lmeval-")
        out = os.path.join(tmp, "r.json")
        argv_log = os.path.join(tmp, "argv.jsonl")
        env = dict(os.environ, FAKE_LM_EVAL_ARGV=argv_log,
                   FAKE_LM_EVAL_VALUES=json.dumps({"gsm8k": {"exact_match,strict-match": 0.79, "exact_match,flexible-extract": 0.7}}),
                   PATH=os.path.join(FIX, "bin") + os.pathsep + os.environ.get("PATH", ""))
        p = subprocess.run([sys.executable, RUNNER, "--base-url", h.url, "--model", "vllm-ascend/Qwen3-8B-W8A8",
                            "--lm-eval-config", cfg, "--out", out, "--concurrency", "16"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        res = jload(out)
        self.assertEqual(res["engine"], "lm-eval")  # auto: lm_eval found on PATH
        argv = json.loads(readlines(argv_log)[0])
        self.assertEqual(argv[argv.index("--model") + 1], "local-chat-completions")
        margs = argv[argv.index("--model_args") + 1]
        self.assertIn("base_url=%s/v1/chat/completions" % h.url, margs)
        self.assertIn("model=vllm-ascend/Qwen3-8B-W8A8", margs)
        self.assertIn("num_concurrent=16", margs)
        self.assertEqual(argv[argv.index("--tasks") + 1], "gsm8k")
        self.assertEqual(argv[argv.index("--num_fewshot") + 1], "5")
        self.assertIn("--apply_chat_template", argv)
        self.assertIn("--fewshot_as_multiturn", argv)
        got = rows(res)
        self.assertEqual(got[("gsm8k", "exact_match,strict-match")]["value"], 0.79)
        self.assertEqual(got[("gsm8k", "exact_match,flexible-extract")]["value"], 0.7)
        self.assertEqual(got[("gsm8k", "exact_match,strict-match")]["stderr"], 0.01)
        refs = {(r["name"], r["metric"]): r for r in res["references"]}
        self.assertEqual(refs[("gsm8k", "exact_match,strict-match")]["value"], 0.80)
        self.assertEqual(refs[("gsm8k", "exact_match,flexible-extract")]["rtol"], 0.05)
        self.assertTrue(res["lm_eval"]["results_file"].endswith(".json"))
        self.assertEqual(len(res["lm_eval"]["samples_files"]), 1)
        self.assertEqual(len(h.stats()), 1)  # the stand-in really asked the endpoint

    def test_lm_eval_failure_is_reported(self):
        h = sim.start_in_thread({"port": 0, "model": "m", "access_log": False, "log": QUIET})
        self.addCleanup(h.stop)
        tmp = tempfile.mkdtemp(prefix="lmeval-")
        out = os.path.join(tmp, "r.json")
        # completions + --apply_chat_template mismatch is refused by the stand-in → exit 1, error in the result
        p = subprocess.run([sys.executable, RUNNER, "--base-url", h.url, "--tasks", "gsm8k", "--engine", "lm-eval",
                            "--lm-eval", os.path.join(FIX, "bin", "lm_eval"), "--out", out, "--chat", "yes",
                            "--lm-eval-model-args", "base_url=http://127.0.0.1:9/v1/completions"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertIn("lm_eval exited", jload(out)["error"])


if __name__ == "__main__":
    unittest.main()
