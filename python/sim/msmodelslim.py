#!/usr/bin/env python3
"""The SIMULATED `msmodelslim` command of a simulated Atlas host (stdlib only, Python >= 3.8).

No model is quantized and no NPU is used. `msmodelslim quant --model_path M --save_path S --model_type T
--quant_type Q` parses msModelSlim's own flags, prints its log format (logo on stderr, then
"%(asctime)s - msmodelslim - LEVEL - message" lines with the real phase markers and per-block
`Run processor ... for "model.layers.N"` lines), resolves the model adapter and the best practice the way the
real tool does (unknown model type -> default adapter with a warning; no exact practice -> the interactive
"(Enter y to continue, otherwise it will exit): " prompt, read with input()), reads the float model's
safetensors HEADERS only, and writes the real output layout: quant_model_weights-0000i-of-0000N.safetensors
(zero-filled tensors of the right dtypes and shapes) + quant_model_weights.safetensors.index.json,
quant_model_description.json (one entry per tensor, global keys last), the model's json/py/txt/jinja files with
quantization_config removed from config.json, and <model_type>_best_practice.yaml. Every run says SIMULATED.

Configuration (all optional): DIR/sim.json key "msmodelslim": {"fault": "oom"|"", "secondsPerBlock": 0.3,
"partFileBytes": 4096}; environment ASCEND_ADAPT_SIM_MSMODELSLIM_FAULT / ..._SECONDS_PER_BLOCK override it.
fault "oom": the process is SIGKILLed by "the kernel" after the first block (what an out-of-memory kill looks
like to the caller: no message from the tool, signal 9).
"""
from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import shutil
import signal
import struct
import sys
import time
from enum import Enum

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import simhost  # noqa: E402

VERSION = "26.0.0"


class QuantType(str, Enum):  # msmodelslim/core/const.py at branch 26.0.0
    W4A4 = "w4a4"
    W4A8 = "w4a8"
    W4A8C8 = "w4a8c8"
    W8A16 = "w8a16"
    W8A8 = "w8a8"
    W8A8S = "w8a8s"
    W8A8C8 = "w8a8c8"
    W16A16S = "w16a16s"


class ModelslimError(Exception):
    code = 0

    def __init__(self, *args, action=""):
        super().__init__(*args)
        self.action = action

    def __str__(self):
        desc = "Code: %d, Message: %s" % (self.code, super().__str__())
        return desc + ("\nTIP: %s" % self.action if self.action else "")


class SchemaValidateError(ModelslimError):
    code = 203


class UnsupportedError(ModelslimError):
    code = 301


for _cls in (ModelslimError, SchemaValidateError, UnsupportedError):
    _cls.__module__ = "msmodelslim.utils.exception"  # the traceback's last line names the real module

# config/config.ini [ModelAdapter] (a subset) and adapter class names
ADAPTERS = {
    "qwen3_moe": ("Qwen3MoeModelAdapter", ["Qwen3-30B", "Qwen3-235B", "Qwen3-Coder-480B-A35B"]),
    "qwen3": ("Qwen3ModelAdapter", ["Qwen3-8B", "Qwen3-14B", "Qwen3-32B"]),
    "qwen2_5": ("Qwen25ModelAdapter", ["Qwen2.5-7B-Instruct", "Qwen2.5-32B-Instruct", "Qwen2.5-72B-Instruct"]),
    "deepseek_v3": ("DeepSeekV3ModelAdapter", ["DeepSeek-V3", "DeepSeek-R1"]),
}
# lab_practice: (model_type, quant_type) -> (config_id, processors, per-layer rule)
PRACTICES = {
    ("Qwen3-30B", "w8a8"): "qwen3-30b-a3b-w8a8",
    ("Qwen3-30B", "w4a8"): "qwen3-30b-w4a8-v1",
    ("Qwen3-32B", "w8a8"): "qwen3-32b-dense-w8a8",
    ("Qwen3-14B", "w8a8"): "qwen3-14b-dense-w8a8",
    ("Qwen2.5-7B-Instruct", "w8a8"): "qwen2.5-7b-w8a8",
}
DEFAULT_PRACTICES = {"w8a8": "default-w8a8", "w8a16": "default-w8a16"}

log = logging.getLogger("msmodelslim")


def setup_logging():
    h = logging.StreamHandler(sys.stdout)
    h.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
    log.addHandler(h)
    log.propagate = False
    level = os.environ.get("MSMODELSLIM_LOG_LEVEL", "INFO").upper()
    log.setLevel(logging.DEBUG if level == "DEBUG" else logging.INFO)


def settings():
    root = simhost.sim_root()
    cfg = {}
    if root:
        try:
            with open(os.path.join(root, simhost.SIM_JSON), encoding="utf-8") as f:
                raw = json.load(f)
            cfg = raw.get("msmodelslim") if isinstance(raw.get("msmodelslim"), dict) else {}
        except (OSError, ValueError):
            cfg = {}
    env = os.environ
    return {
        "root": root,
        "fault": env.get("ASCEND_ADAPT_SIM_MSMODELSLIM_FAULT", str(cfg.get("fault") or "")),
        "per_block": float(env.get("ASCEND_ADAPT_SIM_MSMODELSLIM_SECONDS_PER_BLOCK", cfg.get("secondsPerBlock", 0.3))),
        "part_bytes": int(cfg.get("partFileBytes", 4096)),
    }


# ---- safetensors (headers in, zero-filled tensors out) ------------------------------------------------
BYTES = {"I8": 1, "U8": 1, "BF16": 2, "F16": 2, "F32": 4, "I32": 4, "I64": 8, "F64": 8, "BOOL": 1}


def header_of(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        head = json.loads(f.read(n).decode("utf-8"))
    head.pop("__metadata__", None)
    return head


def write_tensors(path, tensors):
    """tensors: [(name, dtype, shape)] -> one .safetensors file with zero data."""
    header, off = {"__metadata__": {"format": "pt", "simulated": "true"}}, 0
    for name, dtype, shape in tensors:
        size = BYTES.get(dtype, 1)
        for d in shape:
            size *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + size]}
        off += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.truncate(8 + len(raw) + off)
    return off


def float_tensors(model_path):
    """{name: (dtype, shape)} of the float checkpoint, from its index + shard headers (or model.safetensors)."""
    out = {}
    index = os.path.join(model_path, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
    else:
        shards = sorted(n for n in os.listdir(model_path) if n.endswith(".safetensors"))
    for s in shards:
        for name, t in header_of(os.path.join(model_path, s)).items():
            out[name] = (t["dtype"], t["shape"])
    return out


# ---- what a practice does to one tensor --------------------------------------------------------------
def tensor_type(name, shape, config_id, quant_type):
    """Per-tensor type the practice gives: linear weights inside decoder blocks are quantized."""
    if not name.endswith(".weight") or len(shape) != 2 or ".layers." not in name:
        return "FLOAT"
    if config_id == "qwen3-30b-a3b-w8a8":  # mix_cfg "*.mlp.*": w8a8_dynamic, "*": w8a8; disable_names mlp.gate
        if name.endswith(".mlp.gate.weight"):
            return "FLOAT"
        return "W8A8_DYNAMIC" if ".mlp." in name else "W8A8"
    if config_id.endswith("w4a8-v1"):
        return "W4A8_DYNAMIC" if ".experts." in name else "W8A8_DYNAMIC"
    if quant_type == "w8a16":
        return "W8A16"
    return "W8A8_DYNAMIC"  # default-w8a8: per_token activations


def companions(prefix, qtype, shape):
    out_dim = shape[0]
    if qtype == "W8A8":
        return [(prefix + ".quant_bias", "I32", [out_dim]), (prefix + ".input_scale", "F32", [1]),
                (prefix + ".input_offset", "F32", [1]), (prefix + ".deq_scale", "I64", [out_dim])]
    if qtype in ("W8A8_DYNAMIC", "W8A16"):
        return [(prefix + ".weight_scale", "F32", [out_dim, 1]), (prefix + ".weight_offset", "F32", [out_dim, 1])]
    if qtype == "W4A8_DYNAMIC":
        return [(prefix + ".weight_scale", "F32", [out_dim, 1]), (prefix + ".weight_offset", "F32", [out_dim, 1]),
                (prefix + ".scale_bias", "F32", [out_dim, 1])]
    return []


PRIORITY = ["FLOAT", "W16A16S", "W8A16", "W8A8_DYNAMIC", "W8A8_MIX", "W8A8"]  # ascendv1 saver: later wins


# ---- the command --------------------------------------------------------------------------------------
def parser():
    p = argparse.ArgumentParser(prog="msmodelslim", description="MsModelSlim(MindStudio Model-Quantization Tools), "
                                "[Powered by MindStudio]. SIMULATED by ascend-adapt.")
    sub = p.add_subparsers(dest="command", help="Available commands")
    q = sub.add_parser("quant", help="Model quantization")
    q.add_argument("--model_type", required=False, default=None, help="Type of model to quantize (e.g. 'Qwen2.5-7B-Instruct').")
    q.add_argument("--model_path", required=True, type=str, help="Path to the original model")
    q.add_argument("--save_path", required=True, type=str, help="Path to save quantized model")
    q.add_argument("--device", type=str, default="npu", help="'npu', 'npu:0,1,2,3' or 'cpu'")
    q.add_argument("--config_path", type=str, help="Explicit path to quantization config file")
    q.add_argument("--quant_type", type=QuantType, choices=QuantType, help="Type of quantization to apply")
    q.add_argument("--trust_remote_code", type=lambda v: {"True": True, "False": False}[v], default=False,
                   help="Trust custom code (bool type, must be True or False).")
    q.add_argument("--debug", action="store_true", help="Enable debug mode for context recording")
    q.add_argument("--tag", nargs="*", default=None, help="Optional tag to match configs with verified scenario tags")
    return p


def pick_practice(model_type, quant_type, default_adapter):
    """(config_id, tips) as application.get_config does: exact practice, else default dir, with a prompt."""
    qt = quant_type or QuantType.W8A8
    if not default_adapter and (model_type, qt.value) in PRACTICES:
        return PRACTICES[(model_type, qt.value)], "" if quant_type else (
            "No quant_type or config_path provided. Default quant_type:%s will be used.The best practice:%s for %s "
            "will be used." % (QuantType.W8A8, PRACTICES[(model_type, qt.value)], QuantType.W8A8))
    if qt.value in DEFAULT_PRACTICES:
        cid = DEFAULT_PRACTICES[qt.value]
        return cid, ("No best practice found for model_type=%s and quant_type=%s. The default practice:%s for %s will "
                     "be used." % (model_type, qt, cid, qt))
    cid = PRACTICES.get((model_type, "w8a8"), DEFAULT_PRACTICES["w8a8"])
    return cid, ("No best practice found for model_type=%s and quant_type=%s. The best practice:%s for %s will be "
                 "used." % (model_type, qt, cid, QuantType.W8A8))


def run_quant(args, s):
    if args.quant_type is not None and args.config_path is not None:
        raise SchemaValidateError("quant_type and config_path only one can be provided")
    if args.model_type is None:
        raise SchemaValidateError("model_type is required unless config_path uses apiversion modelslim_convert")
    model_path, save_path = os.path.abspath(args.model_path), os.path.abspath(args.save_path)
    if not os.path.isdir(model_path):
        raise SchemaValidateError("model_path %s is not a directory" % model_path)
    log.info("quantization with following parameters:")
    for k in ("model_type", "model_path", "save_path"):
        log.info("%s: %s", k, getattr(args, k))
    device_type, _, idx = args.device.partition(":")
    log.info("device_type: %s", device_type)
    devices = [int(x) for x in idx.split(",") if x.strip().isdigit()] if idx else []
    if len(devices) > 1:
        log.info("using %d devices: %s:%s", len(devices), device_type, ",".join(map(str, devices)))
    else:
        log.info("using single device (default): %s", device_type)
    if args.quant_type is not None:
        log.info("quant_type: %s", args.quant_type)
    if args.config_path is not None:
        log.info("config_path: %s", args.config_path)
    log.info("trust_remote_code: %s", args.trust_remote_code)

    log.info("===========ANALYSE MODEL===========")
    names = {n: key for key, (_, ns) in ADAPTERS.items() for n in ns}
    log.info("Found %d model adapters: %s", len(names) + 1, ["default"] + sorted(names))
    default = args.model_type not in names
    if default:
        log.warning("Model adapter '%s' not found, trying default adapter...", args.model_type)
    log.info("Using model adapter %s.", "DefaultModelAdapter" if default else ADAPTERS[names[args.model_type]][0])

    log.info("===========GET BEST PRACTICE===========")
    if args.config_path:
        config_id, tips = os.path.splitext(os.path.basename(args.config_path))[0], ""
        log.info("Naive Quant apply config_path: %s", args.config_path)
    else:
        config_id, tips = pick_practice(args.model_type, args.quant_type, default)
    if tips:
        answer = input(tips + "(Enter y to continue, otherwise it will exit): ").strip().lower()[:3]
        if answer != "y":
            raise UnsupportedError("No best practice found for model_type=%s and quant_type=%s" % (args.model_type, args.quant_type),
                                   action="You can specify the quantization configuration through config_path or change quant_type.")
    os.makedirs(save_path, exist_ok=True)
    with open(os.path.join(save_path, "%s_best_practice.yaml" % args.model_type), "w", encoding="utf-8") as f:
        f.write("# SIMULATED by ascend-adapt: stand-in for the exported best practice\napiversion: modelslim_v1\n"
                "metadata:\n  config_id: %s\nspec:\n  runner: model_wise\n  save:\n    - type: ascendv1_saver\n"
                "      part_file_size: 4\n" % config_id)
    log.info("Get best practice %s success.", config_id)

    log.info("===========QUANTIZE MODEL===========")
    quantize(model_path, save_path, config_id, args.quant_type.value if args.quant_type else "w8a8", s)
    log.info("===========SUCCESS===========")


def hold_devices(s):
    vis = os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "0")
    devs = [int(x) for x in vis.split(",") if x.strip().isdigit()] or [0]
    if s["root"]:
        simhost.register_npu_proc(s["root"], os.getpid(), "python3 msmodelslim", devs, 2048)
        atexit.register(simhost.unregister_npu_proc, s["root"], os.getpid())


def quantize(model_path, save_path, config_id, quant_type, s):
    log.info("Start to init model")
    tensors = float_tensors(model_path)
    hold_devices(s)
    log.info("Init model success")
    log.info("Start to handle dataset")
    log.info("Handle dataset success")
    blocks = sorted({n.split(".layers.")[1].split(".")[0] for n in tensors if ".layers." in n}, key=int)
    prefix = next((n.split(".layers.")[0] for n in tensors if ".layers." in n), "model")
    for i, b in enumerate(blocks):
        for proc in ("IterSmoothProcessor", "LinearQuantProcessor", "AscendV1Saver"):
            log.info('Run processor %s for "%s.layers.%s"', proc, prefix, b)
        time.sleep(max(0.0, s["per_block"]))
        if s["fault"] == "oom" and i == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    out, desc, mqt = [], {}, "FLOAT"
    for name in sorted(tensors):
        dtype, shape = tensors[name]
        qtype = tensor_type(name, shape, config_id, quant_type)
        desc[name] = qtype
        if qtype == "FLOAT":
            out.append((name, dtype, shape))
            continue
        out.append((name, "I8", shape))
        for c in companions(name[:-len(".weight")], qtype, shape):
            out.append(c)
            desc[c[0]] = qtype
        if qtype in PRIORITY and PRIORITY.index(qtype) > PRIORITY.index(mqt) or mqt == "FLOAT":
            mqt = qtype
    save(save_path, out, desc, mqt, s)
    copy_model_files(model_path, save_path)


def save(save_path, tensors, desc, mqt, s):
    parts, cur, size = [], [], 0
    for t in tensors:
        n = BYTES.get(t[1], 1)
        for d in t[2]:
            n *= d
        if cur and size + n > s["part_bytes"]:
            parts.append(cur)
            cur, size = [], 0
        cur.append(t)
        size += n
    parts.append(cur)
    weight_map, total = {}, 0
    for i, part in enumerate(parts):
        fname = "quant_model_weights-%05d-of-%05d.safetensors" % (i + 1, len(parts))
        total += write_tensors(os.path.join(save_path, fname), part)
        log.info("Save safetensors to %s successfully", os.path.join(save_path, fname))
        for t in part:
            weight_map[t[0]] = fname
    with open(os.path.join(save_path, "quant_model_weights.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    desc.update({"version": "1.0.0", "model_quant_type": mqt, "metadata": {"simulated": True}, "group_size": 0, "optional": {}})
    with open(os.path.join(save_path, "quant_model_description.json"), "w", encoding="utf-8") as f:
        json.dump(desc, f, indent=4)
    log.info("Save safetensors files to %s successfully", save_path)


def copy_model_files(model_path, save_path):
    for name in sorted(os.listdir(model_path)):
        if name.endswith("index.json") or not name.endswith((".json", ".py", ".txt", ".jinja")):
            continue
        dst = os.path.join(save_path, name)
        shutil.copyfile(os.path.join(model_path, name), dst)
        os.chmod(dst, 0o600)
    cfg_file = os.path.join(save_path, "config.json")
    if os.path.isfile(cfg_file):
        with open(cfg_file, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg.pop("quantization_config", None)
        if isinstance(cfg.get("text_config"), dict):
            cfg["text_config"].pop("quantization_config", None)
        with open(cfg_file, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2)


def main(argv=None):
    simhost.note_simulated("msmodelslim")
    argv = sys.argv[1:] if argv is None else argv
    if "-h" not in argv and "--help" not in argv:
        sys.stderr.write("=================================================================\n"
                         "                   >>>>>   MindStudio   <<<<<\n"
                         "    THE END-TO-END TOOLCHAIN TO UNLEASH HUAWEI ASCEND COMPUTE\n"
                         "=================================================================\n\n")
    setup_logging()
    args = parser().parse_args(argv)
    if args.command != "quant":
        parser().print_help()
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_quant(args, settings())
    return 0


if __name__ == "__main__":
    sys.exit(main())
