#!/usr/bin/env python3
"""The SIMULATED `vllm` command of a simulated Atlas host (stdlib only, Python >= 3.8).

No model runs here. `vllm serve MODEL [vLLM flags]` parses vLLM's serve flags (unknown flags are an error,
as with vLLM), prints vLLM-like start-up logs (each marked SIMULATED), checks what vLLM would trip over
(model folder, port, devices, HBM), waits the configured load time, records the NPU memory it "holds" in
DIR/state/npu_procs/<pid>.json (so the simulated npu-smi shows it), then serves the OpenAI API through
openai_server.serve() until SIGTERM/SIGINT, and removes its state file on the way out.

With `--profiler-config` (JSON or dotted form) the server also has POST /start_profile and /stop_profile, and a
stop leaves SIMULATED ASCEND_PROFILER_OUTPUT per rank (vllm_profiler.py); without it those paths are 404.

Also: `vllm --version`, `vllm serve --help`, and — only when sim.json's "serve" has "bench": true (or
ASCEND_ADAPT_SIM_VLLM_BENCH=1) — `vllm bench serve` with vLLM's flags, console summary and --save-result JSON
keys (a plain threaded streaming client; every result says simulated). Without it the command has no `bench`,
as on hosts whose vLLM lacks it.

Configuration (all optional), later ones win:
    DIR/sim.json: devices x chipsPerNpu logical devices, hbmTotalMB each, release.vllm as the version;
                  key "serve": {"version", "loadTimeSec", "fault", "server": {openai_server config keys}}
    environment:
        ASCEND_ADAPT_SIM_VLLM_LOAD_SEC      load time in seconds (default 3)
        ASCEND_ADAPT_SIM_VLLM_FAULT         "oom" = fail loading with the real torch_npu OOM message
        ASCEND_ADAPT_SIM_SERVER_CONFIG      JSON object of openai_server config keys (latency model ...)
DIR is found by simhost.sim_root() (the folder above this file's, or $ASCEND_ADAPT_SIM_ROOT); without one the
command still serves but records no NPU state.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import simhost  # noqa: E402  (helpers of the simulated host, beside this file)

DEFAULT_VERSION = "0.18.0"
DEFAULT_HBM_MB = 65536
IDLE_HBM_MB = 3400  # driver reservation an idle A2 chip shows in npu-smi

DTYPE_BYTES = {"float16": 2, "half": 2, "bfloat16": 2, "float": 4, "float32": 4}


# ---- logging, vLLM style ------------------------------------------------------------------------------
def log(level: str, where: str, msg: str) -> None:
    ts = time.strftime("%m-%d %H:%M:%S")
    sys.stdout.write("%s %s [%s] %s\n" % (level, ts, where, msg))
    sys.stdout.flush()


def info(where: str, msg: str) -> None:
    log("INFO", where, msg)


def warn(where: str, msg: str) -> None:
    log("WARNING", where, msg)


def error(where: str, msg: str) -> None:
    log("ERROR", where, msg)


# ---- configuration ------------------------------------------------------------------------------------
def load_sim():
    """(root, sim.json) of the simulated host this command belongs to, or (None, {})."""
    root = simhost.sim_root()
    if not root:
        return None, {}
    try:
        return root, simhost.load_config(root)
    except (OSError, ValueError):
        return root, {}


def _first_number(d: dict, keys, default):
    for k in keys:
        v = d.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return default


def sim_settings(simcfg: dict) -> dict:
    v = simcfg.get("serve") if isinstance(simcfg.get("serve"), dict) else {}
    release = simcfg.get("release") if isinstance(simcfg.get("release"), dict) else {}
    cards = int(_first_number(simcfg, ["devices"], 8))
    s = {
        "version": str(v.get("version") or release.get("vllm") or DEFAULT_VERSION),
        "load_sec": float(_first_number(v, ["loadTimeSec"], 3.0)),
        "fault": str(v.get("fault") or ""),
        "bench": bool(v.get("bench")) or os.environ.get("ASCEND_ADAPT_SIM_VLLM_BENCH") == "1",
        "server": dict(v.get("server")) if isinstance(v.get("server"), dict) else {},
        "serve_raw": v,
        # logical devices (what ASCEND_RT_VISIBLE_DEVICES counts): every chip of every card
        "devices": cards * int(_first_number(simcfg, ["chipsPerNpu"], 1)),
        "hbm_mb": int(_first_number(simcfg, ["hbmTotalMB"], DEFAULT_HBM_MB)) or int(_first_number(simcfg, ["ddrTotalMB"], DEFAULT_HBM_MB)),
    }
    env = os.environ
    if env.get("ASCEND_ADAPT_SIM_VLLM_LOAD_SEC"):
        s["load_sec"] = float(env["ASCEND_ADAPT_SIM_VLLM_LOAD_SEC"])
    if env.get("ASCEND_ADAPT_SIM_VLLM_FAULT") is not None:
        s["fault"] = env["ASCEND_ADAPT_SIM_VLLM_FAULT"]
    if env.get("ASCEND_ADAPT_SIM_SERVER_CONFIG"):
        try:
            extra = json.loads(env["ASCEND_ADAPT_SIM_SERVER_CONFIG"])
            if isinstance(extra, dict):
                s["server"].update(extra)
        except ValueError:
            pass
    return s


# ---- argument parsing (vLLM's serve flags) ------------------------------------------------------------
class VllmArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # same shape and exit code as vLLM's FlexibleArgumentParser
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(2)


def _bool_flag(p, name, **kw):
    p.add_argument(name, action="store_true", **kw)


def serve_parser() -> argparse.ArgumentParser:
    p = VllmArgumentParser(prog="vllm serve", description="Start the vLLM OpenAI-compatible API server (SIMULATED).",
                           allow_abbrev=False)
    p.add_argument("model_tag", nargs="?", help="model name or path")
    p.add_argument("--model", dest="model_opt")
    p.add_argument("--served-model-name", nargs="+")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key")
    p.add_argument("--tensor-parallel-size", "-tp", type=int, default=1)
    p.add_argument("--pipeline-parallel-size", "-pp", type=int, default=1)
    p.add_argument("--data-parallel-size", "-dp", type=int, default=1)
    p.add_argument("--data-parallel-size-local", "-dpl", type=int)
    p.add_argument("--data-parallel-address", "-dpa")
    p.add_argument("--data-parallel-rpc-port", "-dpp", type=int)
    p.add_argument("--data-parallel-start-rank", "-dpr", type=int)
    _bool_flag(p, "--headless")
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", type=int, default=0)
    p.add_argument("--master-addr")
    p.add_argument("--master-port", type=int)
    _bool_flag(p, "--enable-expert-parallel")
    p.add_argument("--distributed-executor-backend", choices=["ray", "mp", "uni", "external_launcher"])
    p.add_argument("--max-model-len", type=int)
    p.add_argument("--dtype", default="auto", choices=["auto", "half", "float16", "bfloat16", "float", "float32"])
    p.add_argument("--quantization", "-q")
    p.add_argument("--kv-cache-dtype", default="auto")
    p.add_argument("--load-format", default="auto")
    p.add_argument("--tokenizer")
    p.add_argument("--revision")
    p.add_argument("--seed", type=int)
    _bool_flag(p, "--enforce-eager")
    _bool_flag(p, "--trust-remote-code")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    p.add_argument("--max-num-seqs", type=int)
    p.add_argument("--max-num-batched-tokens", type=int)
    p.add_argument("--block-size", type=int)
    p.add_argument("--swap-space", type=float)
    p.add_argument("--enable-prefix-caching", action="store_true", default=None)
    p.add_argument("--no-enable-prefix-caching", dest="enable_prefix_caching", action="store_false")
    p.add_argument("--enable-chunked-prefill", action="store_true", default=None)
    p.add_argument("--no-enable-chunked-prefill", dest="enable_chunked_prefill", action="store_false")
    p.add_argument("--additional-config")
    p.add_argument("--compilation-config", "-O")
    p.add_argument("--speculative-config")
    p.add_argument("--hf-overrides")
    p.add_argument("--generation-config")
    p.add_argument("--chat-template")
    _bool_flag(p, "--enable-auto-tool-choice")
    p.add_argument("--tool-call-parser")
    p.add_argument("--reasoning-parser")
    p.add_argument("--limit-mm-per-prompt")
    p.add_argument("--max-logprobs", type=int)
    p.add_argument("--uvicorn-log-level", default="info")
    _bool_flag(p, "--disable-log-requests")
    _bool_flag(p, "--disable-log-stats")
    _bool_flag(p, "--enable-log-requests")
    return p


# ---- model folder -------------------------------------------------------------------------------------
def read_model_config(path: str):
    cfg_file = os.path.join(path, "config.json")
    if not os.path.isdir(path) or not os.path.isfile(cfg_file):
        return None
    try:
        with open(cfg_file, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _int(cfg: dict, *keys, default=0):
    for k in keys:
        v = cfg.get(k)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, list) and v and all(isinstance(x, int) for x in v):
            return max(v)
    return default


def estimate_params(cfg: dict) -> int:
    """Rough parameter count from config.json (dense or MoE), for the simulated weight size."""
    h = _int(cfg, "hidden_size", "d_model")
    layers = _int(cfg, "num_hidden_layers", "n_layer", "num_layers")
    vocab = _int(cfg, "vocab_size")
    heads = _int(cfg, "num_attention_heads", default=1) or 1
    kv = _int(cfg, "num_key_value_heads", default=heads) or heads
    head_dim = _int(cfg, "head_dim", default=h // heads if heads else 0)
    inter = _int(cfg, "intermediate_size", "ffn_hidden_size")
    experts = _int(cfg, "num_experts", "n_routed_experts", "num_local_experts", default=0)
    moe_inter = _int(cfg, "moe_intermediate_size", default=inter)
    attn = h * head_dim * (heads + 2 * kv) + heads * head_dim * h
    if experts > 1:
        shared = _int(cfg, "num_shared_expert", "n_shared_experts", default=0)
        mlp = 3 * h * moe_inter * (experts + shared) + h * experts
    else:
        mlp = 3 * h * inter
    emb = vocab * h * (1 if cfg.get("tie_word_embeddings") else 2)
    return max(0, layers * (attn + mlp) + emb)


def weight_bytes(cfg: dict, dtype: str, path: str = "") -> int:
    """Weight size: the safetensors index's metadata.total_size when present, else estimated from config.json."""
    try:
        with open(os.path.join(path, "model.safetensors.index.json"), encoding="utf-8") as f:
            total = json.load(f).get("metadata", {}).get("total_size")
        if isinstance(total, int) and total > 0:
            return total
    except (OSError, ValueError, AttributeError):
        pass
    d = dtype if dtype != "auto" else str(cfg.get("torch_dtype") or cfg.get("dtype") or "bfloat16")
    return estimate_params(cfg) * DTYPE_BYTES.get(d, 2)


# ---- msModelSlim output (what vllm_ascend/quantization/modelslim_config.py checks at load) --------------
MODELSLIM_FILE = "quant_model_description.json"
# @register_scheme(quant_type, layer_type) on Atlas A2/A3 (vllm_ascend/quantization/methods/*.py)
REGISTERED = {("W8A8", "linear"), ("W8A8_DYNAMIC", "linear"), ("W8A8_DYNAMIC", "moe"), ("W8A8_MIX", "linear"),
              ("W8A16", "linear"), ("W4A16", "moe"), ("W4A8_DYNAMIC", "moe"), ("W4A4_DYNAMIC", "linear")}


def modelslim_problem(model: str):
    """The error vLLM-Ascend raises for this folder's quant description, or None (simulated subset)."""
    path = os.path.join(model, MODELSLIM_FILE)
    if not os.path.isfile(path):
        names = sorted(n for n in os.listdir(model) if n.endswith(".json")) if os.path.isdir(model) else []
        error("modelslim_config.py:905", "ModelSlim quantization config not found for model '%s'. Searched path: %s. "
              "Found JSON files: %s." % (model, model, names or "N/A"))
        return ("ValueError: \n" + "=" * 80 + "\nERROR: ModelSlim Quantization Config Not Found\n" + "=" * 80 + "\n\n"
                "You have enabled '--quantization ascend' (ModelSlim quantization),\nbut the model '%s' does not "
                "contain the required\n%s.\n" % (model, MODELSLIM_FILE))
    try:
        with open(path, encoding="utf-8") as f:
            desc = json.load(f)
    except (OSError, ValueError) as e:
        return "json.decoder.JSONDecodeError: %s\n" % e
    for key, qtype in sorted(desc.items()):
        if not key.endswith(".weight") or not isinstance(qtype, str) or qtype == "FLOAT":
            continue
        layer = "moe" if ".experts." in key else "linear"
        if (qtype, layer) not in REGISTERED:
            error("modelslim_config.py:539", "Currently, vLLM Ascend doesn't support quant_type=%s for layer_type=%s. "
                  "Please use a supported quantization format or load the model with its original float weights."
                  % (qtype, layer))
            return ("NotImplementedError: Currently, vLLM Ascend doesn't support quant_type=%s for layer_type=%s. Please "
                    "use a supported quantization format or load the model with its original float weights.\n" % (qtype, layer))
    return None


# ---- NPU state (what the simulated npu-smi reads) -----------------------------------------------------
class NpuState:
    def __init__(self, root):
        self.root = root
        self.held = False

    def hold(self, devices, memory_mb) -> None:
        if self.root:
            simhost.register_npu_proc(self.root, os.getpid(), "VLLM::EngineCore", devices, memory_mb)
            self.held = True

    def release(self) -> None:
        if self.root and self.held:
            simhost.unregister_npu_proc(self.root, os.getpid())
            self.held = False


def other_holders_mb(root, devices) -> dict:
    """HBM other live simulated processes hold on each device (MB)."""
    used = {d: 0 for d in devices}
    if not root:
        return used
    for rec in simhost.live_procs(root):
        if rec["pid"] == os.getpid():
            continue
        for dev in rec["devices"]:
            if dev in used:
                used[dev] += rec["memoryMB"]
    return used


def port_free(host: str, port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def oom_message(npu: int, total_mb: int, want_mb: int) -> str:
    total = total_mb / 1024.0
    allocated = max(0.0, total - 0.6)
    return ("RuntimeError: NPU out of memory. Tried to allocate %.2f MiB (NPU %d; %.2f GiB total capacity; "
            "%.2f GiB already allocated; %.2f GiB current active; 15.87 MiB free; %.2f GiB reserved in total by "
            "PyTorch) If reserved memory is >> allocated memory try setting max_split_size_mb to avoid "
            "fragmentation." % (min(want_mb, 1024) or 30.0, npu, total, allocated, allocated, allocated + 0.26))


# ---- vllm serve ---------------------------------------------------------------------------------------
def cmd_serve(argv) -> int:
    profiler_cfg = None
    if any(a.startswith("--profiler-config") for a in argv):
        import vllm_profiler  # --profiler-config: /start_profile, /stop_profile, ASCEND_PROFILER_OUTPUT (beside this file)
        try:
            argv, profiler_cfg = vllm_profiler.split_args(argv)
        except vllm_profiler.ConfigError as e:
            serve_parser().error(str(e))
    args = serve_parser().parse_args(argv)
    model = args.model_opt or args.model_tag
    if not model:
        serve_parser().error("the following arguments are required: model_tag")
    root, simcfg = load_sim()
    s = sim_settings(simcfg)
    names = args.served_model_name or [model]
    host = args.host or "0.0.0.0"
    import cluster  # SIMULATED multi-node behaviour (headless workers, the head's rendezvous), beside this file
    if args.headless:
        return cmd_headless(args, model, root, s)
    world = cluster.local_world(args)

    info("__init__.py:217", "Automatically detected platform npu. (SIMULATED host: no NPU, no model is run)")
    info("api_server.py:1880", "vLLM API server version %s (simulated)" % s["version"])
    info("utils.py:326", "args: %s" % json.dumps({k: v for k, v in vars(args).items()
                                                               if v not in (None, False)}, ensure_ascii=False))

    # vLLM binds its listening socket before building the engine: a taken port fails at once.
    if not port_free(host, args.port):
        error("api_server.py:1925", "Failed to bind %s:%d" % (host, args.port))
        sys.stdout.write("OSError: [Errno 98] Address already in use\n")
        sys.stdout.flush()
        return 1

    cfg = read_model_config(model)
    if cfg is None:
        sys.stdout.write(
            "ValueError: Invalid repository ID or local directory specified: '%s'.\n"
            "Please verify the following requirements:\n"
            "1. Provide a valid Hugging Face repository ID.\n"
            "2. Specify a local directory that contains a recognized configuration file.\n"
            "   - For Hugging Face models: ensure the presence of a 'config.json'.\n" % model)
        sys.stdout.flush()
        return 1
    arch = (cfg.get("architectures") or ["?"])[0] if isinstance(cfg.get("architectures"), list) else "?"
    info("model.py:547", "Resolved architecture: %s (simulated)" % arch)
    max_len = args.max_model_len or _int(cfg, "max_position_embeddings", default=4096) or 4096
    derived = _int(cfg, "max_position_embeddings", default=0)
    if args.max_model_len and derived and args.max_model_len > derived:
        sys.stdout.write("ValueError: User-specified max_model_len (%d) is greater than the derived max_model_len "
                         "(max_position_embeddings=%d in model's config.json).\n" % (args.max_model_len, derived))
        sys.stdout.flush()
        return 1
    info("model.py:1520", "Using max model len %d" % max_len)
    quant = cfg.get("quantization_config") or {}
    qm = str(quant.get("quant_method", "")).lower() if isinstance(quant, dict) else ""
    if args.quantization and args.quantization not in ("ascend", "compressed-tensors", "fp8"):
        sys.stdout.write("ValueError: %s quantization is currently not supported in npu.\n" % args.quantization)
        sys.stdout.flush()
        return 1
    if qm in ("gptq", "awq", "marlin", "gptq_marlin", "awq_marlin", "bitsandbytes") and args.quantization != "ascend":
        sys.stdout.write("ValueError: %s quantization is currently not supported in npu.\n" % qm)
        sys.stdout.flush()
        return 1

    if args.quantization == "ascend" or (not args.quantization and not qm and os.path.isfile(os.path.join(model, MODELSLIM_FILE))):
        problem = modelslim_problem(model)
        if problem:
            sys.stdout.write(problem)
            sys.stdout.flush()
            return 1
        info("modelslim_config.py:522", "Using the vLLM Ascend modelslim Quantization now!")

    rendezvous, err = cluster.start_head(args, log)
    if err:
        sys.stdout.write(err + "\n")
        sys.stdout.flush()
        return 1
    if rendezvous and not rendezvous.wait_all(cluster.JOIN_TIMEOUT_SEC):
        sys.stdout.write("RuntimeError: Did not receive response from %d remote %s within %d seconds (SIMULATED)\n"
                         % (rendezvous.expected, rendezvous.what, int(cluster.JOIN_TIMEOUT_SEC)))
        sys.stdout.flush()
        return 1
    ray = None
    if args.distributed_executor_backend == "ray":
        import ray_cli  # the simulated Ray cluster this node's `ray start --head` runs
        need = args.tensor_parallel_size * args.pipeline_parallel_size * args.data_parallel_size
        tpp = args.tensor_parallel_size * args.pipeline_parallel_size
        per_dev = int(weight_bytes(cfg, args.dtype, model) / float(tpp) / (1024 * 1024))
        ray, answer = ray_cli.attach(need, max(per_dev, int(args.gpu_memory_utilization * s["hbm_mb"]) - IDLE_HBM_MB))
        if ray is None:
            if "total" in answer:
                sys.stdout.write("ValueError: The number of required NPUs exceeds the total number of available NPUs in the "
                                 "placement group. (SIMULATED: %d needed, the Ray cluster has %d)\n" % (need, answer["total"]))
            else:
                sys.stdout.write("ConnectionError: could not connect to a running Ray cluster: %s (SIMULATED)\n" % answer.get("error"))
            sys.stdout.flush()
            return 1
        info("ray_utils.py:1", "Connected to the Ray cluster: %d node(s), %d NPU(s) (SIMULATED)"
             % (len(answer["nodes"]), answer["total"]))
    vis = os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "")
    devices = [int(x) for x in vis.split(",") if x.strip().isdigit()] if vis.strip() else list(range(world))
    devices = devices[:world] if len(devices) >= world else devices
    if len(devices) < world or any(d >= s["devices"] for d in devices):
        bad = [d for d in devices if d >= s["devices"]]
        sys.stdout.write(
            "RuntimeError: SetDevice:build/CMakeFiles/torch_npu.dir/compiler_depend.ts:113 NPU function error: "
            "c10_npu::SetDevice(device_id), error code is 507033\n"
            "E39007: Inner_Error_Device_Subprocess_Startup_Timeout: open device %s failed (simulated host has %d "
            "devices; world size %d)\n" % (",".join(map(str, bad or devices)), s["devices"], world))
        sys.stdout.flush()
        return 1
    if world > 1:
        info("parallel_state.py:1201", "world_size=%d rank=0 local_rank=0 distributed_init_method=tcp://127.0.0.1 "
                                       "backend=hccl (simulated)" % world)
        if os.environ.get("HCCL_OP_EXPANSION_MODE") != "AIV":
            warn("utils.py:110", "HCCL_OP_EXPANSION_MODE is not AIV; ACL graph capture may fail (simulated)")

    # Memory: weights split over TP x PP, then vLLM takes gpu_memory_utilization of each device.
    tpp = args.tensor_parallel_size * args.pipeline_parallel_size
    per_dev_weights_mb = weight_bytes(cfg, args.dtype, model) / float(tpp) / (1024 * 1024)
    others = other_holders_mb(root, devices)
    info("worker.py:180", "Loading model weights (simulated, %.2f GiB per device) ..." % (per_dev_weights_mb / 1024))
    load_sec = max(0.0, s["load_sec"])
    time.sleep(load_sec / 2)
    free_mb = {d: s["hbm_mb"] - IDLE_HBM_MB - others[d] for d in devices}
    worst = min(devices, key=lambda d: free_mb[d]) if devices else 0
    free_mb.setdefault(worst, s["hbm_mb"] - IDLE_HBM_MB)
    others.setdefault(worst, 0)
    if s["fault"] == "oom" or (devices and per_dev_weights_mb > free_mb[worst]):
        sys.stdout.write("(simulated) ERROR %s [worker_base.py:581] %s\n" % (
            time.strftime("%m-%d %H:%M:%S"), oom_message(worst, s["hbm_mb"], int(per_dev_weights_mb))))
        error("core.py:700", "EngineCore failed to start.")
        sys.stdout.write("RuntimeError: Engine core initialization failed. See root cause above. "
                         "Failed core proc(s): {'EngineCore_DP0': 1}\n")
        sys.stdout.flush()
        return 1
    hold_mb = max(int(per_dev_weights_mb), int(args.gpu_memory_utilization * s["hbm_mb"]) - IDLE_HBM_MB - others[worst])
    state = NpuState(root)
    atexit.register(state.release)
    if devices:
        state.hold(devices, hold_mb)
    if rendezvous:
        rendezvous.release()
        rendezvous.shut_down_when_lost()
    info("model_runner.py:2310", "Loading weights took %.2f GiB and %.2f seconds (simulated)"
         % (per_dev_weights_mb / 1024, load_sec / 2))
    time.sleep(load_sec / 2)
    info("kv_cache_utils.py:833", "GPU KV cache size: %d tokens (simulated)" % (max_len * 16))
    info("core.py:210", "init engine (profile, create kv cache, warmup model) took %.2f seconds (simulated)"
         % (load_sec / 2))
    info("api_server.py:1971", "Starting vLLM API server 0 on http://%s:%d (SIMULATED)" % (host, args.port))
    routes = "/health, /v1/models, /v1/chat/completions, /v1/completions"
    prof = None
    if profiler_cfg and profiler_cfg["profiler"] is not None:
        import vllm_profiler
        prof = vllm_profiler.SimProfiler(profiler_cfg, world, args.tensor_parallel_size, args.pipeline_parallel_size,
                                         vllm_profiler.SimProfiler.settings(s["serve_raw"]), info, warn)
        warn("api_router.py:78", "Profiler with mode '%s' is enabled in the API server. This should ONLY be used for "
                                 "local development!" % profiler_cfg["profiler"])
        routes += ", /start_profile, /stop_profile"
    info("launcher.py:37", "Available routes are: %s" % routes)

    import openai_server  # the simulated OpenAI-compatible server beside this file

    server_cfg = dict(s["server"])
    server_cfg.update({"host": host, "port": args.port, "model": names, "max_model_len": max_len,
                       "version": "%s+simulated" % s["version"], "log": sys.stdout})
    if args.api_key:
        server_cfg["api_key"] = args.api_key
    if prof:
        server_cfg["routes"] = prof.routes()
    server_cfg = {k: v for k, v in server_cfg.items() if k in openai_server.DEFAULTS}
    try:
        openai_server.serve(server_cfg)
    except OSError as e:
        state.release()
        sys.stdout.write("OSError: [Errno %s] %s\n" % (getattr(e, "errno", "?"), e.strerror or e))
        sys.stdout.flush()
        return 1
    finally:
        if prof:
            prof.shutdown()
        state.release()
        if ray is not None:
            ray.close()
    info("launcher.py:80", "Shutting down FastAPI HTTP server (simulated).")
    return 1 if rendezvous and rendezvous.lost else 0


def cmd_headless(args, model, root, s) -> int:
    """A node that is not the head (--headless): join the head over TCP, hold this node's NPUs, no API."""
    import cluster
    kind = "pp" if args.nnodes and args.nnodes > 1 else "dp"
    cfg = read_model_config(model)
    if cfg is None:
        sys.stdout.write("ValueError: Invalid repository ID or local directory specified: '%s'.\n" % model)
        sys.stdout.flush()
        return 1
    world = cluster.local_world(args)
    vis = os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "")
    devices = [int(x) for x in vis.split(",") if x.strip().isdigit()] if vis.strip() else list(range(world))
    devices = devices[:world]
    if len(devices) < world or any(d >= s["devices"] for d in devices):
        sys.stdout.write("RuntimeError: SetDevice NPU function error: c10_npu::SetDevice(device_id), error code is 507033 "
                         "(simulated host has %d devices; this node needs %d)\n" % (s["devices"], world))
        sys.stdout.flush()
        return 1
    tpp = args.tensor_parallel_size * args.pipeline_parallel_size
    per_dev_mb = weight_bytes(cfg, args.dtype, model) / float(tpp) / (1024 * 1024)
    hold_mb = max(int(per_dev_mb), int(args.gpu_memory_utilization * s["hbm_mb"]) - IDLE_HBM_MB)
    state = NpuState(root)
    atexit.register(state.release)
    load_sec = max(0.0, s["load_sec"])

    def hold():
        time.sleep(load_sec / 2)
        state.hold(devices, hold_mb)
        if kind == "dp":
            for _ in range(args.data_parallel_size_local or 1):
                info("core.py:210", "init engine (profile, create kv cache, warmup model) took %.2f seconds (simulated)" % (load_sec / 2))
        else:
            info("model_runner_v1.py:1", "Loading model weights took %.4f GB (simulated)" % (per_dev_mb / 1024))

    return cluster.run_worker(args, kind, log, hold, state.release)


# ---- vllm bench serve (only when the simulated host is configured with it) ----------------------------
METRIC_TITLES = {
    "ttft": ("Time to First Token", "TTFT"),
    "tpot": ("Time per Output Token (excl. 1st token)", "TPOT"),
    "itl": ("Inter-token Latency", "ITL"),
    "e2el": ("End-to-end Latency", "E2EL"),
}


def bench_parser() -> argparse.ArgumentParser:
    p = VllmArgumentParser(prog="vllm bench serve", description="Benchmark online serving (SIMULATED vllm).",
                           allow_abbrev=False)
    p.add_argument("--backend", default="openai")
    p.add_argument("--base-url")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--endpoint", default="/v1/completions")
    p.add_argument("--model", required=True)
    p.add_argument("--tokenizer")
    p.add_argument("--dataset-name", default="random")
    p.add_argument("--dataset-path")
    p.add_argument("--num-prompts", type=int, default=1000)
    p.add_argument("--random-input-len", "--input-len", dest="input_len", type=int, default=1024)
    p.add_argument("--random-output-len", "--output-len", dest="output_len", type=int, default=128)
    p.add_argument("--sharegpt-output-len", type=int)
    p.add_argument("--request-rate", type=float, default=float("inf"))
    p.add_argument("--burstiness", type=float, default=1.0)
    p.add_argument("--max-concurrency", type=int)
    p.add_argument("--num-warmups", type=int, default=0)
    p.add_argument("--ignore-eos", action="store_true")
    p.add_argument("--percentile-metrics", default="ttft,tpot,itl")
    p.add_argument("--metric-percentiles", default="99")
    p.add_argument("--goodput", nargs="+")
    p.add_argument("--save-result", action="store_true")
    p.add_argument("--save-detailed", action="store_true")
    p.add_argument("--append-result", action="store_true")
    p.add_argument("--result-dir")
    p.add_argument("--result-filename")
    p.add_argument("--label")
    p.add_argument("--metadata", nargs="*")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float)
    p.add_argument("--top-p", type=float)
    p.add_argument("--top-k", type=int)
    p.add_argument("--disable-tqdm", action="store_true")
    return p


def _percentile(xs, q):
    if not xs:
        return 0.0
    s = sorted(xs)
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _one_request(url, body, timeout):
    """POST a streaming request; returns (ok, ttft_s, itls_s, e2el_s, output_tokens, text, error)."""
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(url)
    t0 = time.perf_counter()
    first = None
    last = None
    itls = []
    text = []
    ntok = 0
    usage_ct = None
    try:
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        c.request("POST", u.path, body=json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        if r.status != 200:
            return False, 0.0, [], 0.0, 0, "", "HTTP %d: %s" % (r.status, r.read()[:200].decode("utf-8", "replace"))
        done = False
        while True:
            line = r.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                done = True
                break
            obj = json.loads(data.decode("utf-8"))
            if obj.get("usage"):
                usage_ct = obj["usage"].get("completion_tokens")
            for ch in obj.get("choices") or []:
                piece = (ch.get("delta") or {}).get("content") if "delta" in ch else ch.get("text")
                if piece:
                    now = time.perf_counter()
                    if first is None:
                        first = now
                    else:
                        itls.append(now - last)
                    last = now
                    ntok += 1
                    text.append(piece)
        c.close()
        if not done:
            return False, 0.0, [], 0.0, 0, "".join(text), "stream ended before [DONE]"
    except (OSError, ValueError, http.client.HTTPException) as e:
        return False, 0.0, [], 0.0, 0, "".join(text), str(e)
    end = time.perf_counter()
    return True, (first or end) - t0, itls, end - t0, usage_ct if usage_ct is not None else ntok, "".join(text), ""


def cmd_bench_serve(argv) -> int:
    import random
    import threading
    a = bench_parser().parse_args(argv)
    base = (a.base_url or "http://%s:%d" % (a.host, a.port)).rstrip("/")
    url = base + a.endpoint
    chat = a.endpoint.endswith("chat/completions")
    rng = random.Random(a.seed)
    metrics_sel = [m.strip() for m in a.percentile_metrics.split(",") if m.strip()]
    pcts = [float(x) for x in a.metric_percentiles.split(",") if x.strip()]
    out_len = a.sharegpt_output_len or a.output_len
    words = "the of and to in is that for it as was with on be by at this from are an or".split()
    prompts = [" ".join(rng.choice(words) for _ in range(max(1, a.input_len))) for _ in range(a.num_prompts)]
    sys.stdout.write("Starting initial single prompt test run... (SIMULATED vllm bench serve)\n")
    sys.stdout.flush()

    results = [None] * len(prompts)
    sem = threading.Semaphore(a.max_concurrency) if a.max_concurrency else None
    inflight = [0, 0]
    lock = threading.Lock()

    def worker(i):
        body = {"model": a.model, "max_tokens": out_len, "stream": True, "stream_options": {"include_usage": True},
                "temperature": 0.0 if a.temperature is None else a.temperature, "ignore_eos": True}
        if chat:
            body["messages"] = [{"role": "user", "content": prompts[i]}]
        else:
            body["prompt"] = prompts[i]
        try:
            with lock:
                inflight[0] += 1
                inflight[1] = max(inflight[1], inflight[0])
            results[i] = _one_request(url, body, 600)
        finally:
            with lock:
                inflight[0] -= 1
            if sem:
                sem.release()

    threads = []
    t_start = time.perf_counter()
    for i in range(len(prompts)):
        if sem:
            sem.acquire()
        th = threading.Thread(target=worker, args=(i,), daemon=True)
        th.start()
        threads.append(th)
        if a.request_rate != float("inf") and i < len(prompts) - 1:
            theta = 1.0 / (a.request_rate * a.burstiness)
            time.sleep(rng.gammavariate(a.burstiness, theta))
    for th in threads:
        th.join()
    duration = time.perf_counter() - t_start

    ok = [r for r in results if r and r[0]]
    ttfts = [r[1] * 1000 for r in ok]
    itls = [x * 1000 for r in ok for x in r[2]]
    e2els = [r[3] * 1000 for r in ok]
    tpots = [(r[3] - r[1]) * 1000 / (r[4] - 1) for r in ok if r[4] > 1]
    total_in = sum(len(prompts[i].split()) for i, r in enumerate(results) if r and r[0])
    total_out = sum(r[4] for r in ok)
    series = {"ttft": ttfts, "tpot": tpots, "itl": itls, "e2el": e2els}
    res = {
        "date": time.strftime("%Y%m%d-%H%M%S"), "endpoint_type": a.backend, "backend": a.backend,
        "label": a.label or "simulated", "model_id": a.model, "tokenizer_id": a.tokenizer or a.model,
        "num_prompts": a.num_prompts, "request_rate": "inf" if a.request_rate == float("inf") else a.request_rate,
        "burstiness": a.burstiness, "max_concurrency": a.max_concurrency, "simulated": True,
        "duration": duration, "completed": len(ok), "failed": len(prompts) - len(ok),
        "total_input_tokens": total_in, "total_output_tokens": total_out,
        "request_throughput": len(ok) / duration if duration else 0.0, "request_goodput": None,
        "output_throughput": total_out / duration if duration else 0.0,
        "total_token_throughput": (total_in + total_out) / duration if duration else 0.0,
        "max_concurrent_requests": inflight[1],
    }
    for m in metrics_sel:
        xs = series.get(m, [])
        res["mean_%s_ms" % m] = sum(xs) / len(xs) if xs else 0.0
        res["median_%s_ms" % m] = _percentile(xs, 50)
        mean = res["mean_%s_ms" % m]
        res["std_%s_ms" % m] = (sum((x - mean) ** 2 for x in xs) / len(xs)) ** 0.5 if xs else 0.0
        for q in pcts:
            res["p%s_%s_ms" % (("%g" % q), m)] = _percentile(xs, q)
    if a.save_detailed:
        res.update({"input_lens": [len(p.split()) for p in prompts], "output_lens": [r[4] if r else 0 for r in results],
                    "ttfts": [r[1] if r else 0 for r in results], "itls": [r[2] if r else [] for r in results],
                    "generated_texts": [r[5] if r else "" for r in results], "errors": [r[6] if r else "" for r in results]})

    w = sys.stdout.write
    w("{s:{c}^{n}}\n".format(s=" Serving Benchmark Result (SIMULATED) ", n=50, c="="))
    row = lambda k, v, f="{:<10}": w("{:<40} ".format(k) + f.format(v) + "\n")  # noqa: E731
    row("Successful requests:", len(ok))
    row("Failed requests:", len(prompts) - len(ok))
    if a.max_concurrency:
        row("Maximum request concurrency:", a.max_concurrency)
    row("Benchmark duration (s):", duration, "{:<10.2f}")
    row("Total input tokens:", total_in)
    row("Total generated tokens:", total_out)
    row("Request throughput (req/s):", res["request_throughput"], "{:<10.2f}")
    row("Output token throughput (tok/s):", res["output_throughput"], "{:<10.2f}")
    row("Peak concurrent requests:", float(inflight[1]), "{:<10.2f}")
    row("Total Token throughput (tok/s):", res["total_token_throughput"], "{:<10.2f}")
    for m in metrics_sel:
        if m not in METRIC_TITLES:
            continue
        title, short = METRIC_TITLES[m]
        w("{s:{c}^{n}}\n".format(s=title, n=50, c="-"))
        row("Mean %s (ms):" % short, res["mean_%s_ms" % m], "{:<10.2f}")
        row("Median %s (ms):" % short, res["median_%s_ms" % m], "{:<10.2f}")
        for q in pcts:
            row("P%s %s (ms):" % ("%g" % q, short), res["p%s_%s_ms" % ("%g" % q, m)], "{:<10.2f}")
    w("=" * 50 + "\n")
    sys.stdout.flush()
    if a.save_result or a.append_result:
        fname = a.result_filename or "%s-%sqps%s-%s-%s.json" % (
            a.label or a.backend, res["request_rate"], ("-concurrency%d" % a.max_concurrency) if a.max_concurrency else "",
            a.model.split("/")[-1], res["date"])
        path = os.path.join(a.result_dir, fname) if a.result_dir else fname
        if a.result_dir:
            os.makedirs(a.result_dir, exist_ok=True)
        with open(path, "a" if a.append_result else "w", encoding="utf-8") as f:
            json.dump(res, f)
            if a.append_result:
                f.write("\n")
    return 0 if ok else 1


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # SIGTERM before the server's own handler is installed (while "loading"): exit cleanly, state removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write("usage: vllm [-h] [-v] {serve} ...\n\nvLLM CLI (SIMULATED by ascend-adapt)\n")
        return 0 if argv else 2
    if argv[0] in ("-v", "--version"):
        s = sim_settings(load_sim()[1])
        sys.stdout.write(s["version"] + "\n")
        return 0
    if argv[0] == "serve":
        return cmd_serve(argv[1:])
    if argv[0] == "bench" and argv[1:2] == ["serve"]:
        s = sim_settings(load_sim()[1])
        if not s["bench"]:
            sys.stderr.write("vllm: error: argument subparser: invalid choice: 'bench' (this simulated vllm has no "
                             "bench command; set \"serve\": {\"bench\": true} in sim.json to give it one)\n")
            return 2
        return cmd_bench_serve(argv[2:])
    sys.stderr.write("vllm: error: argument subparser: invalid choice: %r (the simulated vllm supports: serve)\n"
                     % argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main())
