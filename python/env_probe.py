#!/usr/bin/env python3
"""ascend-adapt environment probe: one run collects every fact the environment check needs.

Host side, stdlib only, Python >= 3.8. Never imports torch (or any package it reports on): versions
come from importlib.metadata. Every external command runs with its own timeout in its own process
group, so a hung `npu-smi` (it happens on broken drivers) is reported, not waited on. Raw outputs
travel with the facts; the TypeScript core parses them (src/core/probe, src/core/npu).

Output: ONE JSON object on stdout (ASCII, one line). Exit code 0 whenever that object was printed.

  python3 env_probe.py [--path DIR]... [--timeout SECONDS] [--budget SECONDS] [--hccn [--hccn-max N]]
                       [--model DIR]
  --hccn   per NPU port: hccn_tool -i N -link -g, -net_health -g, -ip -g, -tls -g (raw outputs), and /etc/hccn.conf
  --model  sha256 of DIR/config.json and its weight index, to compare a model folder across nodes
"""

import glob
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time

# argparse, platform, shutil, socket and importlib.metadata are left out on purpose: their imports cost more
# than the rest of the probe's own work (tens of ms on a busy host); os.uname(), os.statvfs() and a dist-info
# scan give the same facts.

SCHEMA = 1
MAX_OUTPUT = 1 << 20  # bytes kept per stream

# Environment variables that matter, as vllm-ascend's collect_env.py selects them (TORCH*, PYTORCH*,
# ASCEND_*, ATB_*, vLLM's) plus the HCCL / runtime knobs the vllm-ascend docs tell users to set.
ENV_PREFIXES = ("TORCH", "PYTORCH", "ASCEND_", "ATB_", "VLLM_", "HCCL_", "NPU_", "OMP_", "HF_",
                "RAY_EXPERIMENTAL_NOSET", "MS_", "TRANSFORMERS_")
ENV_NAMES = ("TASK_QUEUE_ENABLE", "CPU_AFFINITY_CONF", "GLOO_SOCKET_IFNAME", "TP_SOCKET_IFNAME",
             "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "PYTHONPATH", "SOC_VERSION",
             "COMPILE_CUSTOM_KERNELS", "MAX_JOBS", "USE_MODELSCOPE_HUB", "DYNAMIC_EPLB", "PATH",
             "CONDA_DEFAULT_ENV", "VIRTUAL_ENV")
# collect_env.py skips names containing these (case-insensitive).
SECRET_WORDS = ("secret", "token", "api", "access", "password")

PACKAGES = ("torch", "torch_npu", "vllm", "vllm_ascend", "transformers", "lm_eval", "msmodelslim",
            "triton_ascend", "mindie_turbo", "ray", "numpy")


class Budget(object):
    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds

    def left(self):
        return self.deadline - time.monotonic()


def decode(data):
    """bytes -> (text, nonUtf8). Bad bytes become U+FFFD; the flag tells the reader it happened."""
    if data is None:
        return "", False
    truncated = len(data) > MAX_OUTPUT
    data = data[:MAX_OUTPUT]
    try:
        text, bad = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, bad = data.decode("utf-8", "replace"), True
    if truncated:
        text += "\n[... output truncated by env_probe ...]\n"
    return text, bad


def cpu_ms(who):
    r = resource.getrusage(who)
    return round((r.ru_utime + r.ru_stime) * 1000, 1)


def start(argv, timeout, budget, env=None):
    """Start argv (no shell) in its own process group; never raises. Returns (result, started) for finish()."""
    res = {"argv": list(argv), "found": True, "code": None, "signal": None, "timedOut": False, "ms": 0,
           "stdout": "", "stderr": "", "nonUtf8": False, "error": None}
    t = min(timeout, max(0.5, budget.left()))
    if budget.left() <= 0:
        res["error"] = "probe time budget exhausted before this step"
        return res, None
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True, env=env)
    except FileNotFoundError:
        res["found"] = False
        res["error"] = "not found: %s" % argv[0]
        return res, None
    except OSError as e:
        res["error"] = "cannot run %s: %s" % (argv[0], e)
        return res, None
    return res, (p, t0, t)


def finish(res, started):
    """Wait for a started command until its deadline (start + timeout); then its whole process group is killed."""
    if started is None:
        return res
    p, t0, t = started
    try:
        # At least a moment: one collected after an earlier one's timeout may have ended long ago, and
        # communicate() with no time left raises before reading what it printed.
        out, err = p.communicate(timeout=max(0.1, t0 + t - time.monotonic()))
    except subprocess.TimeoutExpired:
        res["timedOut"] = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            out, err = p.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        res["error"] = "timed out after %.1f s" % t
    res["ms"] = int((time.monotonic() - t0) * 1000)
    if p.returncode is not None and p.returncode < 0:
        res["signal"] = -p.returncode
    else:
        res["code"] = p.returncode
    res["stdout"], bad1 = decode(out)
    res["stderr"], bad2 = decode(err)
    res["nonUtf8"] = bad1 or bad2
    return res


def run(argv, timeout, budget, env=None):
    """Run argv (no shell) with a timeout; never raises. The whole process group is killed on timeout."""
    return finish(*start(argv, timeout, budget, env))


def read_text(path, limit=65536):
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
    except OSError:
        return None
    return decode(data)[0]


def kv_file(text):
    """key=value lines (version.info, ascend_toolkit_install.info, ascend_install.info)."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        out.setdefault(k.strip(), v.strip())
    return out


def which(name, extra=()):
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        c = os.path.join(d or ".", name)
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    for c in extra:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


# --------------------------------------------------------------------------------------------------
def collect_host(budget):
    u = os.uname()
    h = {"hostname": u.nodename, "os": None, "kernel": u.release, "arch": u.machine,
         "cpuModel": None, "cpuCount": os.cpu_count(), "memTotalMB": None, "memAvailableMB": None,
         "user": None, "home": os.path.expanduser("~")}
    osr = kv_file(read_text("/etc/os-release"))
    if osr:
        h["os"] = osr.get("PRETTY_NAME", "").strip('"') or None
    meminfo = read_text("/proc/meminfo") or ""
    for key, field in (("MemTotal", "memTotalMB"), ("MemAvailable", "memAvailableMB")):
        m = re.search(r"^%s:\s+(\d+)\s+kB" % key, meminfo, re.M)
        if m:
            h[field] = int(m.group(1)) // 1024
    cpuinfo = read_text("/proc/cpuinfo", 1 << 20) or ""
    m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    if m:
        h["cpuModel"] = m.group(1).strip()
    elif which("lscpu"):
        r = run(["lscpu"], 5, budget)
        m = re.search(r"^Model name:\s*(.+)$", r["stdout"], re.M)
        if m:
            h["cpuModel"] = m.group(1).strip()
    try:
        import pwd
        h["user"] = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        h["user"] = os.environ.get("USER")
    return h


def collect_disk(paths):
    out = []
    seen = set()
    for p in paths:
        if not p or p in seen:
            continue
        seen.add(p)
        probe = os.path.abspath(os.path.expanduser(p))
        exists = os.path.exists(probe)
        while not os.path.exists(probe) and probe != os.path.dirname(probe):
            probe = os.path.dirname(probe)
        entry = {"path": p, "exists": exists, "probePath": probe, "freeMB": None, "totalMB": None, "error": None}
        try:
            st = os.statvfs(probe)  # what shutil.disk_usage reports
            entry["freeMB"] = st.f_bavail * st.f_frsize // (1 << 20)
            entry["totalMB"] = st.f_blocks * st.f_frsize // (1 << 20)
        except OSError as e:
            entry["error"] = str(e)
        out.append(entry)
    return out


def ascend_roots():
    """Where Ascend software may live, most specific first, with why we looked there."""
    roots = []

    def add(p, why):
        if p and os.path.isdir(p) and all(os.path.realpath(p) != os.path.realpath(r["path"]) for r in roots):
            roots.append({"path": p, "source": why})

    sim = os.environ.get("ASCEND_ADAPT_SIM_ROOT")
    if sim:
        add(os.path.join(sim, "Ascend"), "ASCEND_ADAPT_SIM_ROOT")
    for var in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
        v = os.environ.get(var)
        if v:
            # <root>/ascend-toolkit/latest, <root>/cann-8.5.0, <root>/cann
            parent = os.path.dirname(os.path.normpath(v))
            if os.path.basename(parent) == "ascend-toolkit":
                parent = os.path.dirname(parent)
            add(parent, var)
    for f in install_info_files():
        d = kv_file(read_text(f)).get("Driver_Install_Path_Param")
        if d:
            add(d, f)
    add("/usr/local/Ascend", "default location")
    add(os.path.join(os.path.expanduser("~"), "Ascend"), "default location (non-root install)")
    return roots


def install_info_files():
    files = []
    sim = os.environ.get("ASCEND_ADAPT_SIM_ROOT")
    if sim:
        files.append(os.path.join(sim, "etc", "ascend_install.info"))
    files.append("/etc/ascend_install.info")
    return [f for f in files if os.path.isfile(f)]


def collect_ascend(roots):
    arch = os.uname().machine
    a = {"arch": arch, "roots": roots, "cann": None, "cannInstalls": [], "driver": None, "firmware": None,
         "installInfo": None, "nnal": None, "setEnv": None}
    # CANN toolkit installs: ≤ 8.3 ascend-toolkit/<v>/<arch>-linux, ≥ 8.5 cann-<v>/<arch>-linux (+ cann link).
    cands = []
    for var in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
        v = os.environ.get(var)
        if v:
            cands.append((os.path.join(v, "%s-linux" % arch, "ascend_toolkit_install.info"), var))
            cands.append((os.path.join(v, "ascend_toolkit_install.info"), var))
    for r in roots:
        base = r["path"]
        cands.append((os.path.join(base, "cann", "%s-linux" % arch, "ascend_toolkit_install.info"), "cann link"))
        cands.append((os.path.join(base, "ascend-toolkit", "latest", "%s-linux" % arch, "ascend_toolkit_install.info"), "ascend-toolkit/latest"))
        for g in sorted(glob.glob(os.path.join(base, "cann-*", "%s-linux" % arch, "ascend_toolkit_install.info"))):
            cands.append((g, "cann-<version>"))
        # Some CANN >= 8.5 installs keep the file at the top of the install dir (path= without the arch part).
        cands.append((os.path.join(base, "cann", "ascend_toolkit_install.info"), "cann link"))
        for g in sorted(glob.glob(os.path.join(base, "cann-*", "ascend_toolkit_install.info"))):
            cands.append((g, "cann-<version>"))
        for g in sorted(glob.glob(os.path.join(base, "ascend-toolkit", "*", "%s-linux" % arch, "ascend_toolkit_install.info"))):
            cands.append((g, "ascend-toolkit/<version>"))
        for g in sorted(glob.glob(os.path.join(base, "nnrt", "latest", "%s-linux" % arch, "ascend_nnrt_install.info"))):
            cands.append((g, "nnrt"))
    seen = set()
    for path, why in cands:
        if not os.path.isfile(path):
            continue
        real = os.path.realpath(path)
        text = read_text(path)
        info = kv_file(text)
        entry = {"version": info.get("version"), "file": path, "realFile": real, "found": why,
                 "layout": "cann" if re.search(r"/cann(-[^/]*)?/", real) else "nnrt" if "nnrt" in real else "ascend-toolkit",
                 "installPath": info.get("path"), "raw": text}
        if a["cann"] is None and entry["layout"] != "nnrt":
            a["cann"] = entry
        if real not in seen:
            seen.add(real)
            a["cannInstalls"].append({k: entry[k] for k in ("version", "realFile", "layout")})
    for key, sub in (("driver", "driver"), ("firmware", "firmware")):
        for r in roots:
            f = os.path.join(r["path"], sub, "version.info")
            text = read_text(f)
            if text is not None:
                info = kv_file(text)
                a[key] = {"version": info.get("Version"), "file": f, "raw": text,
                          "packageVersion": info.get("package_version")}
                break
    files = install_info_files()
    if files:
        text = read_text(files[0])
        a["installInfo"] = {"file": files[0], "raw": text, "driverPath": kv_file(text).get("Driver_Install_Path_Param")}
    # NNAL / ATB: installed? sourced?
    atb_home = os.environ.get("ATB_HOME_PATH")
    libatb = None
    if atb_home and os.path.isfile(os.path.join(atb_home, "lib", "libatb.so")):
        libatb = os.path.join(atb_home, "lib", "libatb.so")
    installed = []
    set_env_file = None
    for r in roots:
        f = os.path.join(r["path"], "nnal", "atb", "set_env.sh")
        if os.path.isfile(f) and set_env_file is None:
            set_env_file = f
        installed += sorted(glob.glob(os.path.join(r["path"], "nnal", "atb", "latest", "atb", "cxx_abi_*", "lib", "libatb.so")))
    a["nnal"] = {"atbHome": atb_home, "libatb": libatb, "setEnvFile": set_env_file, "installedLibatb": installed[:4]}
    # Was set_env.sh sourced? The variables it exports, and its lib dirs on LD_LIBRARY_PATH.
    ld = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    home = os.environ.get("ASCEND_TOOLKIT_HOME") or os.environ.get("ASCEND_HOME_PATH")
    cann_ok = bool(home) and any(os.path.normpath(p) == os.path.normpath(os.path.join(home, "lib64")) for p in ld)
    atb_ok = bool(atb_home) and any(os.path.normpath(p) == os.path.normpath(os.path.join(atb_home, "lib")) for p in ld)
    a["setEnv"] = {
        "cann": cann_ok,
        "cannEvidence": "ASCEND_TOOLKIT_HOME=%s, %s/lib64 %s LD_LIBRARY_PATH" % (
            home, home, "on" if cann_ok else "not on") if home else "ASCEND_TOOLKIT_HOME / ASCEND_HOME_PATH not set",
        "atb": atb_ok,
        "atbEvidence": "ATB_HOME_PATH=%s, %s/lib %s LD_LIBRARY_PATH" % (
            atb_home, atb_home, "on" if atb_ok else "not on") if atb_home else "ATB_HOME_PATH not set",
    }
    return a


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _metadata_version(path):
    """The Version: header of a METADATA / PKG-INFO file (or of PKG-INFO inside an .egg-info folder)."""
    for f in (os.path.join(path, "METADATA"), os.path.join(path, "PKG-INFO"), path):
        if not os.path.isfile(f):
            continue
        with open(f, "rb") as fh:
            for raw in fh.read(65536).split(b"\n"):
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if not line:
                    break  # end of the headers
                if line.lower().startswith("version:"):
                    return line.split(":", 1)[1].strip()
        return None
    raise OSError("no METADATA in %s" % path)


def collect_packages():
    """Installed versions as importlib.metadata finds them (first *.dist-info / *.egg-info on sys.path wins),
    read straight from the metadata files: nothing is imported."""
    want = dict((_norm(n), n) for n in PACKAGES)
    out = dict((n, None) for n in PACKAGES)
    for entry in sys.path:
        d = entry or os.getcwd()
        try:
            # Filtered before sorting: the stdlib folder on sys.path alone holds hundreds of names.
            names = sorted(n for n in os.listdir(d) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for n in names:
            key = want.get(_norm(n.rsplit(".", 1)[0].split("-", 1)[0]))
            if key is None or out[key] is not None:
                continue
            try:
                out[key] = {"version": _metadata_version(os.path.join(d, n)), "location": d}
            except Exception as e:  # a broken dist-info must not end the probe
                out[key] = {"version": None, "location": d, "error": "%s: %s" % (type(e).__name__, e)}
    return out


def collect_env():
    keep, redacted = {}, []
    for k in sorted(os.environ):
        if not (k.startswith(ENV_PREFIXES) or k in ENV_NAMES):
            continue
        if any(w in k.lower() for w in SECRET_WORDS):
            redacted.append(k)
            continue
        keep[k] = os.environ[k]
    return keep, redacted


SECRET_ARG = re.compile(r"(key|token|secret|password)", re.I)


def describe_pids(pids):
    out = {}
    for pid in sorted(set(pids))[:64]:
        d = {"alive": os.path.isdir("/proc/%d" % pid), "comm": None, "cmdline": None, "user": None}
        comm = read_text("/proc/%d/comm" % pid)
        if comm is not None:
            d["comm"] = comm.strip()
        raw = None
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                raw = f.read(4096)
        except OSError:
            pass
        if raw:
            args = [decode(a)[0] for a in raw.split(b"\0") if a]
            clean, hide = [], False
            for a in args:
                if hide:
                    clean.append("***")
                    hide = False
                    continue
                if a.startswith("-") and SECRET_ARG.search(a):
                    if "=" in a:
                        clean.append(a.split("=", 1)[0] + "=***")
                    else:
                        clean.append(a)
                        hide = True
                    continue
                clean.append(a)
            d["cmdline"] = " ".join(clean)[:500]
        status = read_text("/proc/%d/status" % pid) or ""
        m = re.search(r"^Uid:\s+(\d+)", status, re.M)
        if m:
            try:
                import pwd
                d["user"] = pwd.getpwuid(int(m.group(1))).pw_name
            except (ImportError, KeyError):
                d["user"] = m.group(1)
        out[str(pid)] = d
    return out


ORDER = ("host", "python", "env", "packages", "ascend", "disk", "model", "npu-smi", "hccn_tool", "nvidia-smi")


NPU_PROC_ROW = re.compile(r"^\s*\|\s*(\d+)\s+(\d+)\s*\|\s*(\d+)\s*\|[^|]*\|\s*(\d+)\s*\|", re.M)
BUS_ID = re.compile(r"\|\s*[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]\s*\|")


class Args(object):
    """The probe's options (a few flags: hand-parsed, argparse costs more to import than they are worth)."""

    def __init__(self, argv):
        self.path, self.timeout, self.budget, self.hccn, self.hccn_max, self.model = [], 15.0, 60.0, False, 16, None
        it = iter(argv)
        for a in it:
            name, eq, val = a.partition("=")
            if name == "--hccn" and not eq:
                self.hccn = True
                continue
            if name not in ("--path", "--timeout", "--budget", "--hccn-max", "--model"):
                raise SystemExit("env_probe.py: unknown option %s (see the docstring)" % a)
            if not eq:
                val = next(it, None)
                if val is None:
                    raise SystemExit("env_probe.py: %s needs a value" % name)
            if name == "--path":
                self.path.append(val)
            elif name == "--model":
                self.model = val
            elif name == "--hccn-max":
                self.hccn_max = int(val)
            else:
                setattr(self, name[2:], float(val))


HCCN_QUERIES = ("link", "net_health", "ip", "tls")


def hccn_conf():
    """/etc/hccn.conf (the simulated host's own under ASCEND_ADAPT_SIM_ROOT): where it is and what it says."""
    sim = os.environ.get("ASCEND_ADAPT_SIM_ROOT")
    cands = ([os.path.join(sim, "etc", "hccn.conf")] if sim else []) + ["/etc/hccn.conf"]
    for c in cands:
        text = read_text(c)
        if text is not None:
            return {"path": c, "exists": True, "raw": text}
    return {"path": cands[-1], "exists": False, "raw": None}


def _sha256(path):
    import hashlib  # only a model fingerprint needs it, and OpenSSL's start-up is a tenth of the probe's import time
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_fingerprint(path):
    """A model folder's config.json and weight index (sha256), weight files and bytes: equal on every node?"""
    res = {"path": path, "exists": os.path.isdir(path), "config": None, "index": None, "indexName": None,
           "weights": 0, "bytes": 0, "error": None}
    if not res["exists"]:
        return res
    try:
        for n in sorted(os.listdir(path)):
            f = os.path.join(path, n)
            if n == "config.json":
                res["config"] = _sha256(f)
            elif n in ("model.safetensors.index.json", "pytorch_model.bin.index.json") and res["index"] is None:
                res["index"], res["indexName"] = _sha256(f), n
            elif n.endswith((".safetensors", ".bin")) and os.path.isfile(f):
                res["weights"] += 1
                res["bytes"] += os.path.getsize(f)
    except OSError as e:
        res["error"] = "%s" % e
    return res


def main(argv):
    args = Args(argv)
    budget = Budget(args.budget)
    t_start = time.monotonic()
    result = {"probe": "ascend-adapt env_probe", "schema": SCHEMA,
              "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "durationMs": 0, "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1",
              "simRoot": os.environ.get("ASCEND_ADAPT_SIM_ROOT"), "steps": [],
              "host": None, "python": None, "disk": [], "ascend": None, "packages": {}, "env": {},
              "envRedacted": [], "commands": {}, "processes": {}}

    def step(name, fn, since=None):
        """Run one step; `since` is when its work started, for a command started before the step collects it."""
        t0, c0 = time.monotonic() if since is None else since, cpu_ms(resource.RUSAGE_CHILDREN)
        ok, err = True, None
        try:
            fn()
        except Exception as e:  # one broken step never ends the probe
            ok, err = False, "%s: %s" % (type(e).__name__, e)
        # childrenCpuMs: CPU of the commands the step ran (npu-smi, hccn_tool ...), for measuring the host's share.
        result["steps"].append({"name": name, "ms": int((time.monotonic() - t0) * 1000), "ok": ok, "error": err,
                                "childrenCpuMs": cpu_ms(resource.RUSAGE_CHILDREN) - c0})

    def s_host():
        result["host"] = collect_host(budget)

    def s_python():
        v = sys.version_info
        result["python"] = {"version": "%d.%d.%d" % (v[0], v[1], v[2]), "executable": sys.executable,
                            "implementation": {"cpython": "CPython", "pypy": "PyPy"}.get(sys.implementation.name, sys.implementation.name)}

    def s_env():
        result["env"], result["envRedacted"] = collect_env()

    def s_packages():
        result["packages"] = collect_packages()

    roots = ascend_roots()

    def s_ascend():
        result["ascend"] = collect_ascend(roots)

    def s_disk():
        result["disk"] = collect_disk(list(args.path) + [os.path.expanduser("~"), os.getcwd(), "/tmp"])

    def start_npu_smi():
        path = which("npu-smi", ["/usr/local/bin/npu-smi", "/usr/local/sbin/npu-smi"] +
                     [os.path.join(r["path"], "driver", "tools", "npu-smi") for r in roots])
        return path, (start([path, "info"], args.timeout, budget) if path else None)

    def s_npu_smi(path, started):
        if not path:
            result["commands"]["npuSmiInfo"] = {"argv": ["npu-smi", "info"], "found": False, "code": None, "signal": None,
                                                "timedOut": False, "ms": 0, "stdout": "", "stderr": "", "nonUtf8": False,
                                                "error": "npu-smi not found on PATH or in /usr/local/bin"}
            return
        r = finish(*started)
        r["path"] = path
        result["commands"]["npuSmiInfo"] = r
        pids = [int(m.group(3)) for m in NPU_PROC_ROW.finditer(r.get("stdout") or "")]
        result["processes"] = describe_pids(pids)

    def s_hccn():
        path = which("hccn_tool", [os.path.join(r["path"], "driver", "tools", "hccn_tool") for r in roots])
        conf = hccn_conf() if args.hccn else None
        if not path or not args.hccn:
            result["commands"]["hccn"] = {"path": path, "requested": args.hccn, "links": [], "conf": conf}
            return
        info = result["commands"].get("npuSmiInfo") or {}
        n = min(len(BUS_ID.findall(info.get("stdout") or "")), args.hccn_max)
        # The loops of vllm-ascend's installation.md ("Verify Multi-Node Communication"), all running at once:
        # started together, then collected in turn (each within its own timeout from the common start) — the
        # same concurrency as a thread per query, without a thread's start and lock hand-offs for each.
        # Collected in turn, a query's "ms" is when its answer was read (it may have ended earlier).
        started = [((i, w), start([path, "-i", str(i), "-" + w, "-g"], args.timeout, budget))
                   for i in range(n) for w in HCCN_QUERIES]
        raw = dict((k, finish(*v)) for k, v in started)
        links = []
        for i in range(n):
            r = raw[(i, "link")]
            m = re.search(r"link status:\s*(\w+)", r["stdout"])
            links.append({"device": i, "status": m.group(1) if m else None, "result": r,
                          "queries": dict((w, raw[(i, w)]) for w in HCCN_QUERIES if w != "link")})
        result["commands"]["hccn"] = {"path": path, "requested": True, "links": links, "conf": conf}

    def s_model():
        if args.model:
            result["model"] = model_fingerprint(args.model)

    def start_nvidia():
        path = which("nvidia-smi")
        return path, (start([path, "--query-gpu=index,name,memory.total,memory.used,driver_version",
                             "--format=csv,noheader,nounits"], args.timeout, budget) if path else None)

    def s_nvidia(path, started):
        if not path:
            return
        r = finish(*started)
        r["path"] = path
        result["commands"]["nvidiaSmi"] = r

    # The external tools start first and run while the Python-side steps do their work; each is then
    # collected within its own timeout counted from its start (a hung npu-smi is cut off by it). The probe
    # takes about as long as the slowest of them, not their sum, and needs no threads: a thread per side
    # cost more in start-up and GIL hand-offs than the Python-side steps themselves take.
    t_tools = time.monotonic()
    npu, nvidia = start_npu_smi(), start_nvidia()
    for name, fn in (("host", s_host), ("python", s_python), ("env", s_env), ("packages", s_packages),
                     ("ascend", s_ascend), ("disk", s_disk), ("model", s_model)):
        step(name, fn)
    step("npu-smi", lambda: s_npu_smi(*npu), t_tools if npu[1] else None)
    step("hccn_tool", s_hccn)  # needs npu-smi's device list
    step("nvidia-smi", lambda: s_nvidia(*nvidia), t_tools if nvidia[1] else None)
    result["steps"].sort(key=lambda s: ORDER.index(s["name"]) if s["name"] in ORDER else 99)
    result["durationMs"] = int((time.monotonic() - t_start) * 1000)
    # This process from its fork (the login shell and sh it replaced included) and the commands it ran.
    result["cpu"] = {"selfMs": cpu_ms(resource.RUSAGE_SELF), "childrenMs": cpu_ms(resource.RUSAGE_CHILDREN)}
    sys.stdout.write(json.dumps(result, ensure_ascii=True, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
