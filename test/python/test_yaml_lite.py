"""python/accuracy/yaml_lite.py: the YAML subset of vllm-ascend's configs, read safely with the stdlib."""
import glob
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "samples")
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))

import yaml_lite as y  # noqa: E402

try:  # only to cross-check when it happens to be installed; the reader never needs it
    import yaml as pyyaml
except ImportError:  # pragma: no cover
    pyyaml = None


class SamplesTest(unittest.TestCase):
    def sample(self, name):
        p = os.path.join(SHARED, name)
        if not os.path.exists(p):
            self.skipTest("shared samples not beside the repo")
        return p

    def test_lm_eval_configs(self):
        d = y.load_file(self.sample("lm_eval_config_Qwen3-30B-A3B.yaml"))
        self.assertEqual(d["model_name"], "Qwen/Qwen3-30B-A3B")
        self.assertEqual(d["serve"]["tensor_parallel_size"], 2)
        self.assertIs(d["serve"]["enable_expert_parallel"], True)
        self.assertEqual([t["name"] for t in d["tasks"]], ["gsm8k", "ceval-valid"])
        self.assertEqual(d["tasks"][0]["metrics"], [{"name": "exact_match,strict-match", "value": 0.89},
                                                    {"name": "exact_match,flexible-extract", "value": 0.85}])
        self.assertEqual(d["tasks"][1]["metrics"][0], {"name": "acc,none", "value": 0.84})
        self.assertEqual((d["num_fewshot"], d["batch_size"], d["apply_chat_template"]), (5, "auto", False))
        h = y.load_file(self.sample("lm_eval_config_Hunyuan-A13B-Instruct.yaml"))
        self.assertEqual(h["limit"], 1000)
        self.assertEqual(h["serve"]["gpu_memory_utilization"], 0.9)
        self.assertEqual(h["tasks"][0]["metrics"][1]["value"], 0.28)
        q = y.load_file(self.sample("lm_eval_config_Qwen3-8B-W8A8.yaml"))
        self.assertEqual((q["apply_chat_template"], q["fewshot_as_multiturn"], q["serve"]["quantization"]), (True, True, "ascend"))

    def test_aisbench_anchors_merges_and_folded_scalars(self):
        d = y.load_file(self.sample("aisbench_nightly_multi_node_Qwen3-235B-A22B-A2.yaml"))
        dep = d["deployment"]
        self.assertEqual(len(dep), 2)
        self.assertEqual(dep[1]["envs"]["HCCL_BUFFSIZE"], 1024)
        self.assertTrue(dep[0]["server_cmd"].startswith('vllm serve "Qwen/Qwen3-235B-A22B" --host 0.0.0.0'))
        self.assertTrue(dep[0]["server_cmd"].endswith("--gpu-memory-utilization 0.9\n"))
        self.assertEqual(d["benchmarks"]["perf"]["baseline"], 1152.0278)
        q = y.load_file(self.sample("aisbench_nightly_single_node_Qwen3-32B-Int8-A2.yaml"))
        case = q["test_cases"][0]
        self.assertEqual(case["envs"]["HCCL_OP_EXPANSION_MODE"], "AIV")
        self.assertEqual(case["server_cmd"][:2], ["--quantization", "ascend"])
        self.assertEqual(case["benchmarks"]["acc"]["baseline"], 83.33)
        self.assertIn('"cudagraph_mode":"FULL_DECODE_ONLY"', case["server_cmd_extra"][1])

    def test_same_as_pyyaml_when_available(self):
        if pyyaml is None:
            self.skipTest("PyYAML not installed")
        files = sorted(glob.glob(os.path.join(SHARED, "*.yaml")))
        if not files:
            self.skipTest("shared samples not beside the repo")
        for f in files:
            with open(f) as fh:
                self.assertEqual(y.load_file(f), pyyaml.safe_load(fh), f)


class SubsetTest(unittest.TestCase):
    def test_scalars(self):
        d = y.loads("a: 1\nb: -2.5\nc: 'it''s'\nd: \"x\\ty\"\ne: ~\nf: yes\ng: 1e3\nh: 0.10\ni: plain text # note\nj:\n")
        self.assertEqual(d, {"a": 1, "b": -2.5, "c": "it's", "d": "x\ty", "e": None, "f": True, "g": 1000.0,
                             "h": 0.1, "i": "plain text", "j": None})

    def test_flow_and_nesting(self):
        d = y.loads("qps: [1, 4, 16, \"inf\"]\nm: {a: 1, b: [x, y]}\nl:\n  - - 1\n    - 2\n  - k: v\n    k2: v2\n")
        self.assertEqual(d, {"qps": [1, 4, 16, "inf"], "m": {"a": 1, "b": ["x", "y"]}, "l": [[1, 2], {"k": "v", "k2": "v2"}]})

    def test_block_scalars(self):
        d = y.loads("lit: |\n  line 1\n  line 2\nfold: >-\n  a\n  b\n\n  c\nafter: 1\n")
        self.assertEqual(d, {"lit": "line 1\nline 2\n", "fold": "a b\nc", "after": 1})

    def test_merge_keeps_local_values(self):
        d = y.loads("base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n")
        self.assertEqual(d["use"], {"x": 1, "y": 3})

    def test_refusals_name_the_line(self):
        for text, line in [("a: !!python/object:os.system x\n", 1), ("a: 1\n\tb: 2\n", 2), ("a: [1, 2\n", 1),
                           ("a: *nope\n", 1), ("a: 1\n  b: 2\n", 2), ("---\na: 1\n---\nb: 2\n", 3)]:
            with self.assertRaises(y.YamlError) as cm:
                y.loads(text)
            self.assertEqual(cm.exception.line, line, text)

    def test_script_prints_json_or_exits_2(self):
        import json
        import subprocess
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("tasks:\n- name: gsm8k\n")
        self.addCleanup(os.unlink, f.name)
        p = subprocess.run([sys.executable, os.path.join(ROOT, "python", "accuracy", "yaml_lite.py"), f.name],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(json.loads(p.stdout.decode()), {"tasks": [{"name": "gsm8k"}]})
        p = subprocess.run([sys.executable, os.path.join(ROOT, "python", "accuracy", "yaml_lite.py"), f.name + ".missing"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
