"""`--profiler-config` of the SIMULATED vllm serve (stdlib only, Python >= 3.8).

As vLLM does (vllm/config/profiler.py, vllm/entrypoints/serve/profile/api_router.py):
  * `--profiler-config '{"profiler": "torch", "torch_profiler_dir": DIR, …}'` (JSON, also `=JSON`) or the dotted
    form `--profiler-config.profiler=torch --profiler-config.torch_profiler_dir=DIR`;
  * `torch_profiler_dir must be set when profiler is 'torch'`; the directory is made absolute;
  * POST /start_profile and /stop_profile exist only when a profiler is configured (else 404), answer 200 with
    an empty body, and log "Starting profiler..." / "Profiler started." / "Stopping profiler..." /
    "Profiler stopped.";
  * at stop, torch_npu's parser leaves one `<worker>_<pid>_<ts>_ascend_pt/ASCEND_PROFILER_OUTPUT` per rank
    (written by profiler_output.py, SIMULATED, header generation from sim.json "serve": {"profilerHeaders":
    "old"|"new"} or ASCEND_ADAPT_SIM_PROFILER_HEADERS; ASCEND_ADAPT_SIM_PROFILER_PARSE_SEC makes the parse
    take that long).
"""
from __future__ import annotations

import json
import os
import threading
import time

import profiler_output

KEYS = {
    "profiler": None, "torch_profiler_dir": "", "torch_profiler_with_stack": True, "torch_profiler_with_flops": False,
    "torch_profiler_use_gzip": True, "torch_profiler_dump_cuda_time_total": True, "torch_profiler_record_shapes": False,
    "torch_profiler_with_memory": False, "capture_torch_profiler": True, "detailed_trace_annotation": False,
    "ignore_frontend": False, "delay_iterations": 0, "max_iterations": 0, "warmup_iterations": 0,
    "active_iterations": 5, "wait_iterations": 0,
}
FLAG = "--profiler-config"


class ConfigError(ValueError):
    pass


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_args(argv):
    """(argv without the profiler flags, the profiler config dict or None). Raises ConfigError."""
    rest, cfg = [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == FLAG or a.startswith(FLAG + "="):
            text = a[len(FLAG) + 1:] if "=" in a else (argv[i + 1] if i + 1 < len(argv) else None)
            i += 1 if "=" in a else 2
            if text is None:
                raise ConfigError("argument %s: expected one argument" % FLAG)
            try:
                given = json.loads(text)
            except ValueError as e:
                raise ConfigError("argument %s: invalid JSON: %s" % (FLAG, e))
            if not isinstance(given, dict):
                raise ConfigError("argument %s: expected a JSON object" % FLAG)
            cfg = dict(cfg or {}, **given)
            continue
        if a.startswith(FLAG + "."):
            key, eq, val = a[len(FLAG) + 1:].partition("=")
            if not eq:
                if i + 1 >= len(argv):
                    raise ConfigError("argument %s.%s: expected one argument" % (FLAG, key))
                val = argv[i + 1]
                i += 1
            cfg = dict(cfg or {}, **{key: _value(val)})
            i += 1
            continue
        rest.append(a)
        i += 1
    return rest, (validate(cfg) if cfg is not None else None)


def validate(cfg):
    unknown = sorted(k for k in cfg if k not in KEYS)
    if unknown:
        raise ConfigError("ProfilerConfig: unknown field(s) %s" % ", ".join(unknown))
    out = dict(KEYS, **cfg)
    if out["profiler"] not in (None, "torch", "cuda"):
        raise ConfigError("ProfilerConfig: profiler must be 'torch', 'cuda' or None, got %r" % out["profiler"])
    if out["profiler"] == "torch":
        if not out["torch_profiler_dir"]:
            raise ConfigError("torch_profiler_dir must be set when profiler is 'torch'")
        out["torch_profiler_dir"] = os.path.abspath(os.path.expanduser(str(out["torch_profiler_dir"])))
    return out


class SimProfiler(object):
    """The two endpoints and what a stop leaves on disk."""

    def __init__(self, cfg, world, tp, pp, headers, log, warn):
        self.cfg = cfg
        self.world, self.tp, self.pp = world, tp, pp
        self.headers = headers
        self.log, self.warn = log, warn
        self.active_since = None
        self.sessions = 0
        self.lock = threading.Lock()

    @staticmethod
    def settings(serve_cfg):
        headers = os.environ.get("ASCEND_ADAPT_SIM_PROFILER_HEADERS") or str(serve_cfg.get("profilerHeaders") or "new")
        parse_s = float(os.environ.get("ASCEND_ADAPT_SIM_PROFILER_PARSE_SEC") or serve_cfg.get("profilerParseSec") or 0)
        return ("old" if headers == "old" else "new"), parse_s

    def routes(self):
        return {"/start_profile": self.start, "/stop_profile": self.stop}

    def start(self, _body):
        self.log("api_router.py:51", "Starting profiler...")
        with self.lock:
            if self.active_since is None:
                self.active_since = time.time()
        self.log("api_router.py:53", "Profiler started.")
        return 200, None

    def stop(self, _body):
        self.log("api_router.py:59", "Stopping profiler...")
        with self.lock:
            since, self.active_since = self.active_since, None
        if since is None:
            self.warn("worker.py:1012", "stop_profile: the profiler is not running (simulated)")
        else:
            _gen, parse_s = self.headers
            if parse_s > 0:
                time.sleep(parse_s)
            steps = max(2, min(32, int((time.time() - since) * 4)))
            self.sessions += 1
            root = self.cfg["torch_profiler_dir"]
            for pt, _ in profiler_output.write_profile(root, self.world, self.headers[0], steps=steps, seed=self.sessions,
                                                       tp=self.tp, pp=self.pp):
                self.log("profiler.py:196", "Profiling data parsed (SIMULATED): %s" % pt)
        self.log("api_router.py:61", "Profiler stopped.")
        return 200, None

    def shutdown(self):
        if self.active_since is not None:
            self.warn("api_server.py:2011", "the profiler was still running at shutdown (simulated): no output written")
