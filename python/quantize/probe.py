#!/usr/bin/env python3
"""Facts for quantization, read on the host (stdlib only, Python >= 3.8). Prints one JSON object.

  probe.py model PATH [--siblings]      config.json, weight files, safetensors index, descriptions, largest
                                        layer (from the shards' headers); with --siblings the config.json of
                                        every folder beside PATH (where a GPTQ model's float original may be)
  probe.py host --out DIR [--msmodelslim CMD...]
                                        free RAM (/proc/meminfo MemAvailable), free disk where DIR will be,
                                        msmodelslim's version, its source checkout (pip's direct_url.json) and
                                        the --quant_type choices its own `quant --help` lists; pydantic version
  probe.py output DIR                   what a quantization wrote: file names, description(s), index and
                                        config.json text, and every shard's header (names, dtypes, shapes)

Weights are never read: a safetensors file is an 8-byte little-endian header length, then the JSON header.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys

MAX_SIBLINGS = 200
MAX_TEXT = 64 << 20


def st_header(path):
    """{name: {dtype, shape, data_offsets}} of a .safetensors file; raises ValueError when it is not one."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise ValueError("%d bytes: too short for a safetensors file" % size)
        (n,) = struct.unpack("<Q", raw)
        if n > 100000000 or n > size - 8:
            raise ValueError("header length %d does not fit the file (%d bytes)" % (n, size))
        head = json.loads(f.read(n).decode("utf-8"))
    if not isinstance(head, dict):
        raise ValueError("header is not a JSON object")
    head.pop("__metadata__", None)
    return head


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read(MAX_TEXT).decode("utf-8"))


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read(MAX_TEXT).decode("utf-8", "replace")
    except OSError:
        return None


def find_index(names):
    for n in ("quant_model_weights.safetensors.index.json", "model.safetensors.index.json"):
        if n in names:
            return n
    rest = sorted(n for n in names if n.endswith(".safetensors.index.json"))
    return rest[0] if rest else None


def largest_layer(path, names, weight_map):
    """Bytes of the biggest model.layers.N (sum of its tensors' data), from the headers."""
    shards = sorted(set(weight_map.values())) if weight_map else sorted(n for n in names if n.endswith(".safetensors"))
    per = {}
    for s in shards:
        try:
            head = st_header(os.path.join(path, s))
        except (OSError, ValueError):
            return None
        for name, t in head.items():
            m = re.search(r"\.layers\.(\d+)\.", name)
            if m and isinstance(t, dict) and isinstance(t.get("data_offsets"), list):
                a, b = t["data_offsets"]
                per[m.group(1)] = per.get(m.group(1), 0) + (b - a)
    return max(per.values()) if per else None


def model_facts(path):
    r = {"path": path, "exists": os.path.exists(path), "isDir": os.path.isdir(path), "config": None,
         "configError": None, "files": [], "index": None, "descriptions": [], "modelQuantType": None,
         "largestLayerBytes": None}
    if not r["isDir"]:
        return r
    names = sorted(os.listdir(path))
    for n in names[:5000]:
        p = os.path.join(path, n)
        if os.path.isfile(p):
            r["files"].append({"name": n, "size": os.path.getsize(p)})
    if "config.json" in names:
        try:
            r["config"] = read_json(os.path.join(path, "config.json"))
        except (OSError, ValueError) as e:
            r["configError"] = "config.json: %s" % e
    weight_map = {}
    idx = find_index(names)
    if idx:
        try:
            d = read_json(os.path.join(path, idx))
            weight_map = d.get("weight_map") or {}
            total = (d.get("metadata") or {}).get("total_size")
            r["index"] = {"file": idx, "tensors": len(weight_map), "totalSize": total if isinstance(total, (int, float)) else None}
        except (OSError, ValueError, AttributeError):
            pass
    r["descriptions"] = [n for n in names if re.match(r"^quant_model_description.*\.json$", n)]
    for n in r["descriptions"]:
        try:
            mqt = read_json(os.path.join(path, n)).get("model_quant_type")
            r["modelQuantType"] = mqt if isinstance(mqt, str) else None
            break
        except (OSError, ValueError, AttributeError):
            continue
    r["largestLayerBytes"] = largest_layer(path, names, weight_map)
    return r


def siblings(path):
    parent = os.path.dirname(os.path.abspath(path.rstrip("/")))
    out = []
    try:
        names = sorted(os.listdir(parent))[:MAX_SIBLINGS]
    except OSError:
        return out
    for n in names:
        p = os.path.join(parent, n)
        cfg_file = os.path.join(p, "config.json")
        if not os.path.isfile(cfg_file):
            continue
        try:
            cfg = read_json(cfg_file)
        except (OSError, ValueError):
            cfg = None
        try:
            quantized = any(x.startswith("quant_model_description") for x in os.listdir(p))
        except OSError:
            quantized = False
        out.append({"path": p, "config": cfg if isinstance(cfg, dict) else None, "quantized": quantized})
    return out


def meminfo():
    r = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("MemTotal", "MemAvailable"):
                    r[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return r.get("MemAvailable"), r.get("MemTotal")


def disk_free(path):
    p = os.path.abspath(os.path.expanduser(path))
    while p and not os.path.exists(p):
        p = os.path.dirname(p)
    try:
        return shutil.disk_usage(p or "/").free, p
    except OSError:
        return None, p


def dist_info(name):
    """(version, source checkout) of an installed distribution, from its .dist-info."""
    for d in sys.path:
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for e in entries:
            m = re.match(r"^%s-([^-]+)\.dist-info$" % re.escape(name), e, re.I)
            if not m:
                continue
            src = None
            try:
                url = read_json(os.path.join(d, e, "direct_url.json")).get("url", "")
                src = url[len("file://"):] if url.startswith("file://") else None
            except (OSError, ValueError, AttributeError):
                pass
            return m.group(1), src
    return None, None


def quant_types(cmd):
    """--quant_type choices from `msmodelslim quant --help` (argparse prints {w8a8,...} or {QuantType.W8A8,...})."""
    try:
        p = subprocess.run(cmd + ["quant", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    text = p.stdout.decode("utf-8", "replace")
    m = re.search(r"--quant_type \{([^}]*)\}", text)
    if p.returncode != 0 or not m:
        return None, text.strip().splitlines()[-1] if text.strip() else "exit %d" % p.returncode
    return [c.split(".")[-1].lower() for c in m.group(1).split(",")], None


def host_facts(out, cmd):
    avail, total = meminfo()
    free, at = disk_free(out)
    version, src = dist_info("msmodelslim")
    found = shutil.which(cmd[0]) if cmd else None
    types, err = quant_types(cmd) if found else (None, "%s not found on PATH" % (cmd[0] if cmd else "msmodelslim"))
    pyd, _ = dist_info("pydantic")
    o = os.path.abspath(os.path.expanduser(out))
    try:
        entries = len(os.listdir(o)) if os.path.isdir(o) else None
    except OSError:
        entries = None
    return {"memAvailable": avail, "memTotal": total, "diskFree": free, "diskPath": at,
            "out": {"path": o, "exists": os.path.exists(o), "entries": entries},
            "msmodelslim": {"command": found, "version": version, "source": src, "quantTypes": types, "error": err},
            "pydantic": pyd, "python": "%d.%d.%d" % sys.version_info[:3], "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1"}


def output_facts(path):
    r = {"path": path, "exists": os.path.isdir(path), "files": [], "descriptions": {}, "index": None, "config": None, "headers": {}}
    if not r["exists"]:
        return r
    names = sorted(os.listdir(path))
    r["files"] = names
    for n in names:
        if re.match(r"^quant_model_description.*\.json$", n):
            r["descriptions"][n] = read_text(os.path.join(path, n))
    idx = find_index(names)
    if idx:
        r["index"] = {"file": idx, "text": read_text(os.path.join(path, idx))}
    r["config"] = read_text(os.path.join(path, "config.json"))
    shards = set()
    try:
        shards = set((json.loads(r["index"]["text"]).get("weight_map") or {}).values()) if r["index"] else set()
    except (ValueError, AttributeError):
        pass
    shards |= {n for n in names if n.endswith(".safetensors")}
    for s in sorted(shards):
        p = os.path.join(path, s)
        if not os.path.isfile(p):
            r["headers"][s] = {"error": "missing"}
            continue
        try:
            r["headers"][s] = {"tensors": {k: [v.get("dtype"), v.get("shape")] for k, v in st_header(p).items()}}
        except (OSError, ValueError) as e:
            r["headers"][s] = {"error": str(e)}
    return r


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    cmd = argv[0]
    if cmd == "model":
        r = model_facts(argv[1])
        if "--siblings" in argv:
            r["siblings"] = siblings(argv[1])
    elif cmd == "host":
        out = argv[argv.index("--out") + 1] if "--out" in argv else "."
        tool = argv[argv.index("--msmodelslim") + 1:] if "--msmodelslim" in argv else ["msmodelslim"]
        r = host_facts(out, tool)
    elif cmd == "output":
        r = output_facts(argv[1])
    else:
        sys.stderr.write("unknown command %s\n" % cmd)
        return 2
    sys.stdout.write(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
