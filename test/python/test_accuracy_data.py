"""Dataset loaders of the bundled accuracy runner (python/accuracy/acc_data.py) and config-defined bundled jobs."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "samples")
FIX = os.path.join(ROOT, "test", "fixtures", "accuracy")
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))
sys.path.insert(0, os.path.join(ROOT, "python", "perf"))

import acc_data as d  # noqa: E402
import bench_serve as b  # noqa: E402
import openai_server as sim  # noqa: E402


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="accdata-")

    def test_fixture_layout(self):
        items, shots, ev, fs = d.load_task(os.path.join(FIX, "data"), "gsm8k")
        self.assertEqual((len(items), len(shots)), (10, 7))
        self.assertEqual(items[0]["target"], "54")
        self.assertEqual(items[0]["id"], "gsm8k.jsonl:1")
        items, shots, ev, fs = d.load_task(os.path.join(FIX, "data"), "mmlu")
        self.assertEqual((len(items), len(shots)), (10, 2))
        self.assertEqual({i["subject"] for i in items}, {"astronomy", "high_school_chemistry"})
        self.assertEqual(items[0]["target"], "B")

    def test_mmlu_csv_with_header_and_jsonl_forms(self):
        os.makedirs(os.path.join(self.tmp, "mmlu"))
        write(os.path.join(self.tmp, "mmlu", "a.csv"), "question,A,B,C,D,answer,subject\nQ1,w,x,y,z,C,law\n")
        write(os.path.join(self.tmp, "mmlu", "b.jsonl"),
              json.dumps({"question": "Q2", "choices": ["a", "b", "c", "d"], "answer": 3, "subject": "virology"}) + "\n" +
              json.dumps({"question": "Q3", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "a"}) + "\n")
        items, _, _, _ = d.load_task(self.tmp, "mmlu")
        self.assertEqual([(i["target"], i["subject"]) for i in items], [("C", "law"), ("D", "virology"), ("A", "b")])

    def test_math_targets_from_the_boxed_solution(self):
        write(os.path.join(self.tmp, "math.jsonl"),
              json.dumps({"problem": "p1", "solution": "so \\boxed{\\frac12}", "type": "Number Theory"}) + "\n" +
              json.dumps({"problem": "p2", "solution": "it is \\boxed{4\\text{ cm}}", "answer": "5"}) + "\n")
        items, _, _, _ = d.load_task(self.tmp, "math")
        # hendrycks_math compares with the box content, minerva_math with it normalised; "answer" is not used
        self.assertEqual([i["answer"] for i in items], ["\\frac12", "4\\text{ cm}"])
        self.assertEqual([i["minerva_answer"] for i in items], ["\\frac{1}{2}", "4"])
        self.assertEqual([i["subject"] for i in items], ["num_theory", None])

    def test_bad_files_name_file_and_line(self):
        cases = [("gsm8k.jsonl", '{"question": "q"}\n', "gsm8k", "line 1"),
                 ("gsm8k.jsonl", 'not json\n', "gsm8k", "line 1: not valid JSON"),
                 ("mmlu.csv", "q,a,b\n", "mmlu", "row 1"),
                 ("mmlu.jsonl", '{"question": "q", "choices": ["a","b","c","d"], "answer": "E"}\n', "mmlu", "line 1"),
                 ("math.jsonl", '{"problem": "p", "solution": "no box"}\n', "math", "no \\boxed")]
        for name, text, task, msg in cases:
            tmp = tempfile.mkdtemp(prefix="bad-")
            write(os.path.join(tmp, name), text)
            with self.assertRaises(d.DataError) as cm:
                d.load_task(tmp, task)
            self.assertIn(name, str(cm.exception))
            self.assertIn(msg, str(cm.exception))
        with self.assertRaises(d.DataError) as cm:
            d.load_task(self.tmp, "gsm8k")
        self.assertIn("no gsm8k files", str(cm.exception))

class ConfigBundledTest(unittest.TestCase):
    """A vllm-ascend config as the CLI hands it over (parsed to JSON on our side)."""

    def test_vllm_ascend_config_with_the_bundled_runner(self):
        h = sim.start_in_thread({"port": 0, "model": "Qwen/Qwen3-30B-A3B", "access_log": False, "ttft_base_ms": 1.0,
                                 "tpot_base_ms": 0.1, "answer_key": os.path.join(FIX, "answer_key.jsonl"),
                                 "log": open(os.devnull, "w")})
        self.addCleanup(h.stop)
        tmp = tempfile.mkdtemp(prefix="cfgb-")
        cfg = write(os.path.join(tmp, "cfg.json"), json.dumps({
            "source": "lm_eval_config_Qwen3-30B-A3B.yaml", "model_name": "Qwen/Qwen3-30B-A3B",
            "tasks": ["gsm8k", "ceval-valid"], "num_fewshot": 5, "apply_chat_template": False,
            "fewshot_as_multiturn": False}))
        out = os.path.join(tmp, "r.json")
        run = [sys.executable, os.path.join(ROOT, "python", "accuracy", "run_accuracy.py"), "--base-url", h.url,
               "--config-json", cfg, "--engine", "bundled", "--data", os.path.join(FIX, "data"), "--out", out]
        p = subprocess.run(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr.decode())  # ceval-valid is not a bundled task: bad usage
        self.assertIn("not 'ceval-valid'", p.stderr.decode())
        self.assertFalse(os.path.exists(out))  # no 0 % figure for it, no result at all
        p = subprocess.run(run + ["--tasks", "gsm8k"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        with open(out) as f:
            res = json.load(f)
        rows = {(r["name"], r["metric"]): r for r in res["datasets"]}
        row = rows[("gsm8k", "exact_match,strict-match")]
        self.assertEqual(row["n"], 10)
        self.assertEqual((row["protocol"]["nShot"], row["protocol"]["chat"]), (5, False))
        self.assertEqual(res["config_file"], "lm_eval_config_Qwen3-30B-A3B.yaml")
        self.assertFalse(res["chat"])  # apply_chat_template: false → /v1/completions


class ShareGptTest(unittest.TestCase):
    def test_sharegpt_prompts(self):
        tmp = tempfile.mkdtemp(prefix="sgpt-")
        convs = [{"id": str(i), "conversations": [{"from": "human", "value": "Tell me about topic %d in a few words." % i},
                                                 {"from": "gpt", "value": "Topic %d is interesting because of many reasons." % i}]}
                 for i in range(6)]
        convs.append({"id": "x", "conversations": [{"from": "human", "value": "hi"}]})  # too short: skipped
        path = write(os.path.join(tmp, "sg.json"), json.dumps(convs))
        ps = b.sharegpt_prompts(path, 5, 0, 0)
        self.assertEqual(len(ps), 5)
        self.assertTrue(all(p["output_len"] >= 4 and p["prompt"].startswith("Tell me") for p in ps))
        self.assertEqual(b.sharegpt_prompts(path, 2, 32, 0)[0]["output_len"], 32)
        with self.assertRaises(ValueError):
            b.sharegpt_prompts(path, 50, 0, 0)


if __name__ == "__main__":
    unittest.main()
