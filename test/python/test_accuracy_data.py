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
        self.assertEqual((len(items), len(shots)), (10, 2))
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

    def test_math_answer_field_or_boxed_solution(self):
        write(os.path.join(self.tmp, "math.jsonl"),
              json.dumps({"problem": "p1", "solution": "so \\boxed{\\frac{1}{2}}"}) + "\n" +
              json.dumps({"problem": "p2", "solution": "", "answer": "4"}) + "\n")
        items, _, _, _ = d.load_task(self.tmp, "math")
        self.assertEqual([i["target"] for i in items], ["\\frac{1}{2}", "4"])

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

    def test_prompts_follow_lm_eval_templates(self):
        items, shots, _, _ = d.load_task(os.path.join(FIX, "data"), "mmlu")
        p = d.completion_prompt("mmlu", items[0], shots, 1)
        self.assertTrue(p.startswith("The following are multiple choice questions (with answers) about astronomy.\n\n"))
        self.assertIn("Which planet has the most prominent rings?\nA. Saturn", p)  # the dev example of the same subject
        self.assertTrue(p.endswith("D. Earth\nAnswer:"))
        msgs = d.chat_messages("gsm8k", {"question": "Q?"}, [{"question": "S?", "answer": "x\n#### 1"}], 1, True)
        self.assertEqual([m["role"] for m in msgs], ["user", "assistant", "user"])
        self.assertEqual(msgs[-1]["content"], "Question: Q?\nAnswer:")


class ConfigBundledTest(unittest.TestCase):
    def test_vllm_ascend_config_with_the_bundled_runner(self):
        cfg = os.path.join(SHARED, "lm_eval_config_Qwen3-30B-A3B.yaml")
        if not os.path.exists(cfg):
            self.skipTest("shared samples not beside the repo")
        h = sim.start_in_thread({"port": 0, "model": "Qwen/Qwen3-30B-A3B", "access_log": False, "ttft_base_ms": 1.0,
                                 "tpot_base_ms": 0.1, "answer_key": os.path.join(FIX, "answer_key.jsonl"),
                                 "log": open(os.devnull, "w")})
        self.addCleanup(h.stop)
        out = os.path.join(tempfile.mkdtemp(prefix="cfgb-"), "r.json")
        p = subprocess.run([sys.executable, os.path.join(ROOT, "python", "accuracy", "run_accuracy.py"), "--base-url", h.url,
                            "--lm-eval-config", cfg, "--engine", "bundled", "--data", os.path.join(FIX, "data"), "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 1, p.stderr.decode())  # ceval-valid is not a bundled task
        with open(out) as f:
            res = json.load(f)
        rows = {(r["name"], r["metric"]): r for r in res["datasets"]}
        self.assertEqual(rows[("gsm8k", "exact_match,strict-match")]["n"], 10)
        self.assertIsNone(rows[("ceval-valid", None)]["value"])
        self.assertIn("not supported by the bundled runner", rows[("ceval-valid", None)]["note"])
        self.assertEqual(res["num_fewshot"], 5)
        self.assertFalse(res["chat"])  # apply_chat_template: false → /v1/completions
        self.assertEqual(len(res["references"]), 3)
        self.assertIn("note: gsm8k: 5-shot asked, 2 few-shot examples found", p.stderr.decode())


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
