"""Shared helpers of the SIMULATED Atlas host (stdlib only, Python >= 3.8).

Everything here serves a stand-in for an Ascend host created by `ascend-adapt sim create DIR`;
nothing it prints is an NPU measurement.

Layout of DIR (see src/core/sim/create.ts):
  DIR/sim.json                 chip, device count, HBM per device, versions, faults
  DIR/sim/                     copies of python/sim/*.py (this file among them)
  DIR/state/npu_procs/<pid>.json
      {"pid": int, "name": str, "devices": [int], "memoryMB": int}
      written by a simulated process that holds NPU memory (e.g. the simulated `vllm serve`), removed
      on exit. `devices` are logical device indices (what ASCEND_RT_VISIBLE_DEVICES counts: 0..N-1 over
      all chips); memoryMB is held on EACH listed device. Files whose pid is no longer alive are ignored.
"""
from __future__ import annotations

import json
import os
import socket
import sys

SIM_JSON = "sim.json"


def sim_root(explicit=None):
    """DIR of the simulated host: explicit arg, the folder above this file's folder (DIR/sim/..),
    or $ASCEND_ADAPT_SIM_ROOT. None when none of them holds a sim.json."""
    candidates = []
    if explicit:
        candidates.append(explicit)
    candidates.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = os.environ.get("ASCEND_ADAPT_SIM_ROOT")
    if env:
        candidates.append(env)
    for c in candidates:
        if os.path.isfile(os.path.join(c, SIM_JSON)):
            return os.path.abspath(c)
    return None


def load_config(root):
    with open(os.path.join(root, SIM_JSON), "r", encoding="utf-8") as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict) or cfg.get("simulated") is not True:
        raise ValueError("%s is not a simulated-host config" % os.path.join(root, SIM_JSON))
    return cfg


def procs_dir(root):
    return os.path.join(root, "state", "npu_procs")


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    # A zombie (exited, not yet reaped) holds no memory.
    try:
        with open("/proc/%d/stat" % pid, "r") as f:
            stat = f.read()
        state = stat[stat.rindex(")") + 2:].split(" ", 1)[0]
        if state in ("Z", "X"):
            return False
    except (OSError, ValueError):
        pass
    return True


def live_procs(root):
    """Valid state files of live processes, sorted by pid. Malformed files are skipped."""
    d = procs_dir(root)
    out = []
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return out
    for n in names:
        if not n.endswith(".json"):
            continue
        try:
            with open(os.path.join(d, n), "r", encoding="utf-8") as f:
                p = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(p, dict):
            continue
        pid, devices, mem = p.get("pid"), p.get("devices"), p.get("memoryMB")
        if not isinstance(pid, int) or not isinstance(mem, int) or not isinstance(devices, list):
            continue
        if not all(isinstance(x, int) for x in devices):
            continue
        if not pid_alive(pid):
            continue
        name = p.get("name") if isinstance(p.get("name"), str) else ""
        out.append({"pid": pid, "name": name, "devices": devices, "memoryMB": mem})
    out.sort(key=lambda x: x["pid"])
    return out


def register_npu_proc(root, pid, name, devices, memory_mb):
    """Write DIR/state/npu_procs/<pid>.json atomically; returns its path (remove it on exit)."""
    d = procs_dir(root)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "%d.json" % pid)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"pid": int(pid), "name": str(name), "devices": [int(x) for x in devices],
                   "memoryMB": int(memory_mb)}, f)
    os.replace(tmp, path)
    return path


def unregister_npu_proc(root, pid):
    try:
        os.remove(os.path.join(procs_dir(root), "%d.json" % pid))
    except OSError:
        pass


def note_simulated(tool):
    """One line on stderr so a person at a terminal sees the tool is simulated (stdout stays byte-exact)."""
    if os.environ.get("ASCEND_ADAPT_SIM_QUIET") != "1":
        sys.stderr.write("[simulated %s — ascend-adapt simulated Atlas host, not real NPU data]\n" % tool)


# ---- line protocol of the simulated cluster (vLLM ranks and Ray nodes talk one text line per message) ------
def send_line(sock, text):
    """One message; False when the peer is gone (the caller treats that as the peer ending)."""
    try:
        sock.sendall((text + "\n").encode("utf-8"))
        return True
    except OSError:
        return False


def recv_lines(sock):
    """The peer's messages as stripped text, None on a socket timeout (a chance for heartbeats); ends with the peer."""
    buf = b""
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            yield None
            continue
        except OSError:
            return
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode("utf-8", "replace").strip()
