"""The simulated msmodelslim (python/sim/msmodelslim.py, msmodelslim_legacy.py) and the quantization host scripts
(python/quantize/run_quant.py, probe.py), run as real processes on a tiny float model with real safetensors files."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = os.path.join(ROOT, "python", "sim")
QUANT = os.path.join(ROOT, "python", "quantize")
sys.path.insert(0, QUANT)
import probe  # noqa: E402


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def write_st(path, tensors):
    header, off = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = {"BF16": 2, "I8": 1, "F32": 4}[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"\0" * off)


def tiny_moe(folder, layers=2, experts=2, h=16):
    os.makedirs(folder)
    t = {"model.embed_tokens.weight": ("BF16", [16, h]), "lm_head.weight": ("BF16", [16, h]), "model.norm.weight": ("BF16", [h])}
    for l in range(layers):
        p = "model.layers.%d" % l
        for x in "qkvo":
            t["%s.self_attn.%s_proj.weight" % (p, x)] = ("BF16", [h, h])
        t["%s.input_layernorm.weight" % p] = ("BF16", [h])
        t["%s.mlp.gate.weight" % p] = ("BF16", [experts, h])
        for e in range(experts):
            for x in ("gate", "up", "down"):
                t["%s.mlp.experts.%d.%s_proj.weight" % (p, e, x)] = ("BF16", [h, h])
    write_st(os.path.join(folder, "model-00001-of-00001.safetensors"), t)
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 1}, "weight_map": {n: "model-00001-of-00001.safetensors" for n in t}}, f)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "num_hidden_layers": layers,
                   "num_experts": experts, "quantization_config": {"quant_method": "fp8"}}, f)


class QuantizeHostTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aa-quant-py-")
        self.model = os.path.join(self.dir, "Qwen3-30B-A3B")
        tiny_moe(self.model)
        self.env = dict(os.environ, ASCEND_ADAPT_SIM_MSMODELSLIM_SECONDS_PER_BLOCK="0", ASCEND_ADAPT_SIM_QUIET="1")
        self.env.pop("ASCEND_ADAPT_SIM_ROOT", None)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def quant(self, out, *extra, yes=False, env=None):
        result = os.path.join(self.dir, os.path.basename(out) + ".result.json")
        cmd = [sys.executable, os.path.join(QUANT, "run_quant.py"), "--result", result, "--out", out] + (["--yes"] if yes else []) + [
            "--", sys.executable, os.path.join(SIM, "msmodelslim.py"), "quant", "--model_path", self.model, "--save_path", out] + list(extra)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env or self.env, timeout=120)
        with open(result) as f:
            return p.returncode, p.stdout.decode(), json.load(f)

    def test_quantizes_into_the_real_layout(self):
        out = os.path.join(self.dir, "out")
        code, log, res = self.quant(out, "--model_type", "Qwen3-30B", "--quant_type", "w8a8")
        self.assertEqual(code, 0, log)
        for marker in ("===========ANALYSE MODEL===========", "===========GET BEST PRACTICE===========", "===========QUANTIZE MODEL===========",
                       'Run processor LinearQuantProcessor for "model.layers.1"', "Save safetensors files to %s successfully" % out, "===========SUCCESS==========="):
            self.assertIn(marker, log)
        self.assertRegex(log, r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - msmodelslim - INFO - Get best practice qwen3-30b-a3b-w8a8 success\.")
        self.assertEqual(res["exitCode"], 0)
        self.assertIsNone(res["prompt"])
        desc = load(os.path.join(out, "quant_model_description.json"))
        self.assertEqual(list(desc)[-5:], ["version", "model_quant_type", "metadata", "group_size", "optional"], "global keys last")
        self.assertEqual(desc["model_quant_type"], "W8A8")
        self.assertEqual(desc["model.layers.0.self_attn.q_proj.weight"], "W8A8")
        self.assertEqual(desc["model.layers.0.self_attn.q_proj.deq_scale"], "W8A8")
        self.assertEqual(desc["model.layers.0.mlp.experts.1.down_proj.weight"], "W8A8_DYNAMIC")
        self.assertEqual(desc["model.layers.0.mlp.gate.weight"], "FLOAT", "the router is disabled in this practice")
        index = load(os.path.join(out, "quant_model_weights.safetensors.index.json"))
        shards = sorted(set(index["weight_map"].values()))
        self.assertGreaterEqual(len(shards), 2)
        self.assertTrue(all(s.endswith("-of-%05d.safetensors" % len(shards)) for s in shards))
        heads = {}
        for s in shards:
            heads.update(probe.st_header(os.path.join(out, s)))
        self.assertEqual(heads["model.layers.0.self_attn.q_proj.weight"]["dtype"], "I8")
        self.assertEqual(heads["model.layers.0.self_attn.q_proj.deq_scale"]["dtype"], "I64")
        self.assertEqual(heads["lm_head.weight"]["dtype"], "BF16")
        self.assertNotIn("quantization_config", load(os.path.join(out, "config.json")))
        self.assertTrue(os.path.isfile(os.path.join(out, "Qwen3-30B_best_practice.yaml")))
        # the result file carries the collected output (headers only)
        self.assertEqual(sorted(res["output"]["headers"]), shards)
        self.assertIn("quant_model_description.json", res["output"]["descriptions"])

    def test_the_prompt_never_waits(self):
        out = os.path.join(self.dir, "asked")
        code, log, res = self.quant(out, "--model_type", "Unknown-7B", "--quant_type", "w8a8")
        self.assertNotEqual(code, 0)
        self.assertIn("Model adapter 'Unknown-7B' not found, trying default adapter...", log)
        self.assertIn("EOFError", log, "stdin is closed: input() fails at once")
        self.assertEqual(res["prompt"], "No best practice found for model_type=Unknown-7B and quant_type=QuantType.W8A8. The default practice:default-w8a8 "
                                        "for QuantType.W8A8 will be used. (Enter y to continue, otherwise it will exit)")
        self.assertIsNone(res["output"])
        self.assertIn("error: msModelSlim asked for confirmation", log)
        code, log, res = self.quant(out + "-yes", "--model_type", "Unknown-7B", "--quant_type", "w8a8", yes=True)
        self.assertEqual(code, 0, log)
        self.assertEqual(res["answered"], "y")
        self.assertIn("Get best practice default-w8a8 success.", log)

    def test_oom_kill_is_recorded_as_sigkill(self):
        env = dict(self.env, ASCEND_ADAPT_SIM_MSMODELSLIM_FAULT="oom")
        code, log, res = self.quant(os.path.join(self.dir, "oom"), "--model_type", "Qwen3-30B", "--quant_type", "w8a8", env=env)
        self.assertEqual(res["signal"], "SIGKILL")
        self.assertIsNone(res["exitCode"])
        self.assertNotEqual(code, 0)
        self.assertIn("error: ", log)

    def test_tool_argument_errors(self):
        code, log, res = self.quant(os.path.join(self.dir, "x"), "--model_type", "Qwen3-30B", "--quant_type", "w4a16")
        self.assertEqual(res["exitCode"], 2, "argparse rejects a quant_type the release does not have")
        self.assertIn("invalid QuantType value: 'w4a16'", log)
        code, log, res = self.quant(os.path.join(self.dir, "y"), "--quant_type", "w8a8")
        self.assertIn("SchemaValidateError: Code: 203, Message: model_type is required", log)

    def test_legacy_example_script_and_mindie_name(self):
        work = os.path.join(self.dir, "example", "Qwen3-MOE")
        os.makedirs(os.path.join(self.dir, "example", "common"))
        os.makedirs(work)
        for n in ("qwen3-moe_anti_prompt_50.json", "qwen3-moe_calib_prompt_50.json"):
            dump(["hi"], os.path.join(self.dir, "example", "common", n))
        out = os.path.join(self.dir, "legacy")
        p = subprocess.run([sys.executable, os.path.join(SIM, "msmodelslim_legacy.py"), "--model_path", self.model, "--save_path", out,
                            "--trust_remote_code", "True", "--mindie_format"], cwd=work, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        log = p.stdout.decode()
        self.assertEqual(p.returncode, 0, log)
        self.assertIn("Collect quant param: 100%", log)
        self.assertIn("Save quant_model_description_json success!", log)
        files = sorted(os.listdir(out))
        self.assertIn("quant_model_description_w8a8_dynamic.json", files)
        self.assertIn("quant_model_weight_w8a8_dynamic.safetensors.index.json", files)
        facts = probe.output_facts(out)
        self.assertEqual(list(facts["descriptions"]), ["quant_model_description_w8a8_dynamic.json"])

    def test_probe_model_and_siblings(self):
        other = os.path.join(self.dir, "Qwen3-30B-A3B-GPTQ")
        os.makedirs(other)
        dump({"architectures": ["Qwen3MoeForCausalLM"], "quantization_config": {"quant_method": "gptq"}}, os.path.join(other, "config.json"))
        facts = probe.model_facts(self.model)
        self.assertEqual(facts["index"]["file"], "model.safetensors.index.json")
        self.assertGreater(facts["largestLayerBytes"], 0)
        sib = {os.path.basename(s["path"]): s for s in probe.siblings(other)}
        self.assertEqual(sorted(sib), ["Qwen3-30B-A3B", "Qwen3-30B-A3B-GPTQ"])

    def test_quant_types_from_help_text(self):
        types, err = probe.quant_types([sys.executable, os.path.join(SIM, "msmodelslim.py")])
        self.assertIsNone(err)
        self.assertEqual(types, ["w4a4", "w4a8", "w4a8c8", "w8a16", "w8a8", "w8a8s", "w8a8c8", "w16a16s"])


if __name__ == "__main__":
    unittest.main()
