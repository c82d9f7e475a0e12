#!/usr/bin/env python3
"""SIMULATED stand-in for msModelSlim's legacy example script example/Qwen3-MOE/quant_qwen_moe_w8a8.py
(branch 26.0.0, the one vLLM-Ascend's quantization guide runs). Stdlib only; nothing is quantized.

Same flags as the real script (--model_path --save_path --layer_count --anti_dataset --calib_dataset
--batch_size --mindie_format --trust_remote_code --rot); reads the float model's safetensors headers and the two
calibration prompt files, applies the script's mix_cfg ("*.mlp.*": w8a8_dynamic, "*": w8a8, mlp.gate disabled)
and saves the V0 layout: quant_model_weight_w8a8_dynamic-0000i-of-0000N.safetensors + its index, and
quant_model_description.json (quant_model_description_w8a8_dynamic.json with --mindie_format).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import msmodelslim as ms  # noqa: E402  (the simulated tool beside this file)
import simhost  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description="SIMULATED quant_qwen_moe_w8a8.py")
    p.add_argument("--model_path", type=str, help="The path of float model and tokenizer")
    p.add_argument("--save_path", type=str, help="The path to save quant model")
    p.add_argument("--layer_count", type=int, default=0, help="Layer count when loading model")
    p.add_argument("--anti_dataset", type=str, default="../common/qwen3-moe_anti_prompt_50.json")
    p.add_argument("--calib_dataset", type=str, default="../common/qwen3-moe_calib_prompt_50.json")
    p.add_argument("--batch_size", type=int, default=4)
    p.add_argument("--mindie_format", action="store_true", help="Enable only mindie config save")
    p.add_argument("--trust_remote_code", type=lambda v: {"True": True, "False": False}[v], default=False)
    p.add_argument("--rot", action="store_true")
    return p.parse_args(argv)


def main(argv=None):
    simhost.note_simulated("quant_qwen_moe_w8a8.py")
    ms.setup_logging()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    s = ms.settings()
    for f in (args.anti_dataset, args.calib_dataset):
        if not os.path.isfile(f):
            raise ms.SchemaValidateError("The file path %s does not exist." % f)
    tensors = ms.float_tensors(args.model_path)
    ms.hold_devices(s)
    os.makedirs(args.save_path, exist_ok=True)
    blocks = sorted({n.split(".layers.")[1].split(".")[0] for n in tensors if ".layers." in n}, key=int)
    for i in range(len(blocks)):
        time.sleep(max(0.0, s["per_block"]))
        if s["fault"] == "oom" and i == 0:
            os.kill(os.getpid(), 9)
        done = (i + 1) * 10 // len(blocks)
        # tqdm on stderr: updates separated by "\r", one "\n" when the bar closes
        sys.stderr.write("\rCollect quant param: %3d%%|%s%s| %d/%d [00:00<00:00, %.2fit/s]"
                         % ((i + 1) * 100 // len(blocks), "\u2588" * done, " " * (10 - done), i + 1, len(blocks), 1.0))
        sys.stderr.flush()
    sys.stderr.write("\n")
    out, desc = [], {}
    for name in sorted(tensors):
        dtype, shape = tensors[name]
        qtype = ms.tensor_type(name, shape, "qwen3-30b-a3b-w8a8", "w8a8")
        desc[name] = qtype
        if qtype == "FLOAT":
            out.append((name, dtype, shape))
            continue
        out.append((name, "I8", shape))
        for c in ms.companions(name[:-len(".weight")], qtype, shape):
            out.append(c)
            desc[c[0]] = qtype
    json_name = "quant_model_description_w8a8_dynamic.json" if args.mindie_format else "quant_model_description.json"
    shard = "quant_model_weight_w8a8_dynamic-00001-of-00001.safetensors"
    total = ms.write_tensors(os.path.join(args.save_path, shard), out)
    with open(os.path.join(args.save_path, "quant_model_weight_w8a8_dynamic.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": {t[0]: shard for t in out}}, f, indent=2)
    desc.update({"model_quant_type": "W8A8", "version": "1.0.0"})
    path = os.path.join(args.save_path, json_name)
    ms.log.info("Path of quant_model_description_json is %r ", path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(desc, f, indent=2)
    ms.log.info("Save quant_model_description_json success!")
    ms.copy_model_files(args.model_path, args.save_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
