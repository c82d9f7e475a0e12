#!/usr/bin/env python3
"""Summarises Ascend PyTorch Profiler output on the host (stdlib only, Python >= 3.8).

  summarize.py DIR [DIR ...] --out FILE [--top 20] [--aicpu-min-us 20]

DIR is a profiler directory (the `torch_profiler_dir` given to vLLM: it holds one
`<worker>_<pid>_<timestamp>_ascend_pt` folder per rank), one `*_ascend_pt` folder, or its
`ASCEND_PROFILER_OUTPUT`. For every rank the script STREAMS, never loading a whole file:

  kernel_details.csv   one row per device task (hundreds of MB is normal). Both header generations:
                       old `Op Name, OP Type, Task Type, Task Duration(us)` and new `Name, Type,
                       Accelerator Core, Duration(us)`; `Block Dim` or `Block Num` (not needed here).
  op_statistic.csv     per operator type and core type: Count, Total/Avg/Max Time(us) — the row of each
                       operator is kept as its evidence; used for the figures when kernel_details.csv is absent.
  step_trace_time.csv  Computing, Communication(Not Overlapped), Overlapped, Free per step (µs).

and writes FILE (JSON, schema "ascend-adapt.profile-summary/1"):
  {ranks, outputDirs, unparsed, traceFiles, topOps[{type, coreType, count, totalUs, avgUs, maxUs, sharePct}],
   byCoreType{core: pct}, byCoreTypeUs{core: us}, aicpu[{type, count, totalUs, maxUs, dtypes, hint}],
   steps[{rank, step, computingUs, communicationUs, overlappedUs, freeUs}], perRank[...], totalUs, error}
Figures are the sums of what the CSVs hold (rounded to 0.001 µs); shares are percent of all device time.
AI CPU operators follow msprof-analyze's advisor: tasks whose core type is AI_CPU, reported when a task
takes >= 20 µs; inputs typed DOUBLE get its "convert double to float" hint.

Progress: "progress: rank <i>/<n> <file> <MB>" lines on stderr. Exit 0 with a result, 1 with `error`.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time

SCHEMA = "ascend-adapt.profile-summary/1"
OUTPUT = "ASCEND_PROFILER_OUTPUT"
KERNELS = "kernel_details.csv"
OPSTAT = "op_statistic.csv"
STEPS = "step_trace_time.csv"
TRACE = "trace_view.json"
AI_CPU = "AI_CPU"
# Column names of the two generations (msprof-analyze advisor CsvTitleV1 / CsvTitleV2).
COLS = {
    "name": ("Name", "Op Name"),
    "type": ("Type", "OP Type"),
    "core": ("Accelerator Core", "Task Type"),
    "dur": ("Duration(us)", "Task Duration(us)"),
    "dtypes": ("Input Data Types",),
    "block": ("Block Num", "Block Dim"),
}
PROGRESS_BYTES = 32 << 20


def r3(x):
    return round(x + 0.0, 3)


class BadFile(Exception):
    pass


def progress(msg):
    sys.stderr.write("progress: %s\n" % msg)
    sys.stderr.flush()


# ---- finding the ranks ----------------------------------------------------------------------------------
def rank_dirs(paths):
    """(ASCEND_PROFILER_OUTPUT folders, *_ascend_pt folders without one) under the given paths."""
    out, unparsed = [], []
    for p in paths:
        p = os.path.abspath(os.path.expanduser(p))
        if not os.path.isdir(p):
            raise BadFile("%s is not a folder" % p)
        if os.path.basename(p.rstrip("/")) == OUTPUT:
            out.append(p)
        elif os.path.isdir(os.path.join(p, OUTPUT)):
            out.append(os.path.join(p, OUTPUT))
        elif p.endswith("_ascend_pt"):
            unparsed.append(p)
        else:
            for root, dirs, _files in os.walk(p):
                depth = root[len(p):].count(os.sep)
                if OUTPUT in dirs:
                    out.append(os.path.join(root, OUTPUT))
                elif root.endswith("_ascend_pt") and root != p:
                    unparsed.append(root)
                dirs[:] = sorted(d for d in dirs if d != OUTPUT and depth < 3)
    return sorted(set(out)), sorted(set(unparsed))


RANK_RE = re.compile(r"(?:^|_)rank(\d+)(?:_|$)")
INFO_RE = re.compile(r"^profiler_info_(\d+)\.json$")


def rank_of(output_dir, index):
    """Rank of one output folder: profiler_info_<rank>.json beside it, else `rankN` in the worker name."""
    pt = os.path.dirname(output_dir)
    try:
        for n in sorted(os.listdir(pt)):
            m = INFO_RE.match(n)
            if m:
                return int(m.group(1))
    except OSError:
        pass
    m = RANK_RE.search(os.path.basename(pt))
    return int(m.group(1)) if m else index


# ---- CSV helpers ----------------------------------------------------------------------------------------
def header_index(header, names, file, required=True):
    for n in names:
        if n in header:
            return header.index(n)
    if required:
        raise BadFile("%s has no %s column (header: %s)" % (file, " / ".join(names), ",".join(header)[:300]))
    return -1


def num(v):
    v = v.strip()
    if not v or v in ("N/A", "NA", "nan"):
        return 0.0
    return float(v)


def read_header(f, file):
    first = f.readline()
    if not first:
        raise BadFile("%s is empty" % file)
    return next(csv.reader([first.decode("utf-8-sig").rstrip("\r\n")]))


# ---- kernel_details.csv (the big one) -------------------------------------------------------------------
class KernelStats(object):
    def __init__(self):
        self.ops = {}        # (type, core) -> [count, total, max, maxRow]
        self.aicpu = {}      # type -> {"dtypes": {dtype: n}, "name": first name, "maxRow": row}
        self.total = 0.0
        self.rows = 0
        self.bytes = 0
        self.generation = None
        self.block = None


def kernel_stats(file, label):
    """Streams kernel_details.csv: per (type, core type) count / total / max, AI CPU dtypes and names."""
    st = KernelStats()
    with open(file, "rb") as f:
        header = read_header(f, file)
        i_name = header_index(header, COLS["name"], file)
        i_type = header_index(header, COLS["type"], file)
        i_core = header_index(header, COLS["core"], file)
        i_dur = header_index(header, COLS["dur"], file)
        i_dt = header_index(header, COLS["dtypes"], file, required=False)
        i_block = header_index(header, COLS["block"], file, required=False)
        st.generation = "new" if header[i_type] == "Type" else "old"
        st.block = header[i_block] if i_block >= 0 else None
        cut = max(i_name, i_type, i_core, i_dur) + 1
        ops = st.ops
        aicpu_b = AI_CPU.encode()
        total = 0.0
        row = 1
        next_report = PROGRESS_BYTES
        for line in f:
            row += 1
            parts = line.split(b",", cut)
            q = line.find(b'"')
            if len(parts) <= cut or (q >= 0 and q < len(line) - len(parts[cut])):
                # a quoted field before the columns we need (or a short row): parse this line properly
                parts = slow_fields(line, cut, file, row, len(header))
                if parts is None:
                    continue
            try:
                d = float(parts[i_dur])
            except ValueError:
                d = number_or_fail(parts[i_dur], file, row)
            total += d
            k = (parts[i_type], parts[i_core])
            a = ops.get(k)
            if a is None:
                ops[k] = [1, d, d, row]
            else:
                a[0] += 1
                a[1] += d
                if d > a[2]:
                    a[2] = d
                    a[3] = row
            if k[1] == aicpu_b:
                note_aicpu(st, line, row, i_name, i_dt, k[0], d)
            if not row & 0xFFFF and f.tell() >= next_report:  # a look at the offset every 65,536 rows
                progress("%s %s %d MB" % (label, KERNELS, f.tell() >> 20))
                next_report += PROGRESS_BYTES
        st.total = total
        st.rows = row - 1
        st.bytes = f.tell()
    return st


def slow_fields(line, cut, file, row, ncols):
    """The needed fields of a line the fast split cannot take (quotes before them, short row); None if blank."""
    fields = next(csv.reader([line.decode("utf-8", "replace").rstrip("\r\n")]), [])
    if len(fields) < cut:
        if not line.strip():
            return None
        raise BadFile("%s line %d has %d columns, the header %d" % (file, row, len(fields), ncols))
    return [x.encode("utf-8") for x in fields[:cut]] + [b""]


def number_or_fail(v, file, row):
    if not v.strip() or v.strip() in (b"N/A", b"NA"):
        return 0.0
    raise BadFile("%s line %d: %s is not a number" % (file, row, v[:40].decode("utf-8", "replace")))


def note_aicpu(st, line, row, i_name, i_dt, typ, d):
    """AI CPU tasks are few: their whole row is parsed (name, input data types)."""
    fields = next(csv.reader([line.decode("utf-8", "replace").rstrip("\r\n")]), [])
    a = st.aicpu.get(typ)
    if a is None:
        a = st.aicpu[typ] = {"dtypes": {}, "name": fields[i_name] if i_name < len(fields) else "", "maxRow": row, "max": d}
    elif d > a["max"]:
        a["max"] = d
        a["maxRow"] = row
    if 0 <= i_dt < len(fields):
        for dt in fields[i_dt].split(";"):
            dt = dt.strip()
            if dt and (dt in a["dtypes"] or len(a["dtypes"]) < 16):
                a["dtypes"][dt] = a["dtypes"].get(dt, 0) + 1


# ---- op_statistic.csv and step_trace_time.csv (small) ---------------------------------------------------
def op_statistic(file):
    """{(type, core): {count, total, avg, max, ratio, row}} from op_statistic.csv."""
    out = {}
    with open(file, "r", encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r, None)
        if not header:
            raise BadFile("%s is empty" % file)
        ix = {k: header_index(header, (k,), file) for k in ("OP Type", "Core Type", "Count", "Total Time(us)", "Max Time(us)")}
        i_avg = header_index(header, ("Avg Time(us)",), file, required=False)
        i_ratio = header_index(header, ("Ratio(%)",), file, required=False)
        for row, rec in enumerate(r, 2):
            if not rec or len(rec) < len(header):
                continue
            k = (rec[ix["OP Type"]].encode(), rec[ix["Core Type"]].encode())
            prev = out.get(k)
            cnt, tot, mx = int(num(rec[ix["Count"]])), num(rec[ix["Total Time(us)"]]), num(rec[ix["Max Time(us)"]])
            if prev:  # several devices / models in one file: add them up
                prev.update(count=prev["count"] + cnt, total=prev["total"] + tot, max=max(prev["max"], mx))
            else:
                out[k] = {"count": cnt, "total": tot, "max": mx, "row": row,
                          "avg": num(rec[i_avg]) if i_avg >= 0 else None, "ratio": num(rec[i_ratio]) if i_ratio >= 0 else None}
    return out


def step_trace(file, rank):
    steps = []
    with open(file, "r", encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r, None)
        if not header:
            raise BadFile("%s is empty" % file)
        i_step = header_index(header, ("Step",), file, required=False)
        i_comp = header_index(header, ("Computing",), file)
        i_comm = header_index(header, ("Communication(Not Overlapped)",), file)
        i_over = header_index(header, ("Overlapped",), file, required=False)
        i_free = header_index(header, ("Free",), file)
        for row, rec in enumerate(r, 2):
            if not rec or len(rec) < len(header):
                continue
            step = rec[i_step].strip() if i_step >= 0 else ""
            steps.append({"rank": rank, "step": int(step) if step.isdigit() else (step or None),
                          "computingUs": r3(num(rec[i_comp])), "communicationUs": r3(num(rec[i_comm])),
                          "overlappedUs": r3(num(rec[i_over])) if i_over >= 0 else None, "freeUs": r3(num(rec[i_free])),
                          "row": row})
    return steps


# ---- one rank, then all of them -------------------------------------------------------------------------
def simulated_output(out_dir):
    """Our simulated vLLM marks its output (profiler_metadata.json "simulated": true, SIMULATED.txt)."""
    pt = os.path.dirname(out_dir)
    if os.path.isfile(os.path.join(pt, "SIMULATED.txt")):
        return True
    try:
        with open(os.path.join(pt, "profiler_metadata.json"), encoding="utf-8") as f:
            return json.load(f).get("simulated") is True
    except (OSError, ValueError, AttributeError):
        return False


def summarize_rank(out_dir, rank, label):
    files = {n: os.path.join(out_dir, n) for n in (KERNELS, OPSTAT, STEPS, TRACE)}
    have = {n: os.path.isfile(p) for n, p in files.items()}
    k = kernel_stats(files[KERNELS], label) if have[KERNELS] else None
    s = op_statistic(files[OPSTAT]) if have[OPSTAT] else {}
    if k is None and not s:
        raise BadFile("%s holds neither %s nor %s" % (out_dir, KERNELS, OPSTAT))
    ops = {}
    if k is not None:
        for (t, c), (cnt, tot, mx, row) in k.ops.items():
            stat = s.get((t, c))
            ops[(t, c)] = {"count": cnt, "total": tot, "max": mx, "file": KERNELS, "row": row, "rank": rank,
                           "statRow": stat["row"] if stat else None}
    else:
        for key, v in s.items():
            ops[key] = {"count": v["count"], "total": v["total"], "max": v["max"], "file": OPSTAT, "row": v["row"], "rank": rank,
                        "statRow": v["row"]}
    steps = step_trace(files[STEPS], rank) if have[STEPS] else []
    return {
        "rank": rank, "dir": out_dir, "ops": ops, "aicpu": k.aicpu if k else {},
        "kernels": {"rows": k.rows, "bytes": k.bytes, "headers": k.generation, "blockColumn": k.block} if k else None,
        "files": sorted(n for n, ok in have.items() if ok), "steps": steps,
        "trace": files[TRACE] if have[TRACE] else None, "simulated": simulated_output(out_dir),
    }


def aicpu_hint(typ, dtypes):
    """The advisor's suggestion for one AI CPU operator (English; the client translates by op type)."""
    hints = ["Modify code to avoid aicpu operator"]
    if any(d.upper() in ("DOUBLE", "FLOAT64", "DT_DOUBLE") for d in dtypes):
        hints.insert(0, "Try to convert double type operator to float, such as %s" % typ)
    return "; ".join(hints)


def evidence(v):
    """Where a figure can be checked: the rank, the file and the 1-based line (the slowest task's row in
    kernel_details.csv; the operator's own row in op_statistic.csv as statRow)."""
    return {"rank": v["rank"], "file": v["file"], "row": v["row"], "statRow": v.get("statRow")}


def op_rows(ops, grand, top):
    rows = []
    for (t, c), v in ops.items():
        rows.append({"type": t.decode("utf-8", "replace"), "coreType": c.decode("utf-8", "replace"), "count": v["count"],
                     "totalUs": r3(v["total"]), "avgUs": r3(v["total"] / v["count"]) if v["count"] else 0.0,
                     "maxUs": r3(v["max"]), "sharePct": round(100.0 * v["total"] / grand, 3) if grand else 0.0,
                     "evidence": evidence(v)})
    rows.sort(key=lambda x: (-x["totalUs"], x["type"], x["coreType"]))
    return rows[:top] if top else rows


def merge(into, ops, rank):
    for key, v in ops.items():
        m = into.get(key)
        if m is None:
            into[key] = dict(v, ranks=[rank])
        else:
            m["count"] += v["count"]
            m["total"] += v["total"]
            if v["max"] > m["max"]:
                m.update(max=v["max"], row=v["row"], file=v["file"], rank=v["rank"], statRow=v.get("statRow"))
            m["ranks"].append(rank)


def aicpu_rows(ops, aicpu, min_us, ranks_of=None):
    rows = []
    for (t, c), v in ops.items():
        if c.decode() != AI_CPU or v["max"] < min_us:
            continue
        info = aicpu.get(t, {"dtypes": {}, "name": ""})
        dtypes = sorted(info["dtypes"], key=lambda d: -info["dtypes"][d])
        rows.append({"type": t.decode("utf-8", "replace"), "name": info.get("name") or None, "count": v["count"],
                     "totalUs": r3(v["total"]), "maxUs": r3(v["max"]), "dtypes": dtypes,
                     "hint": aicpu_hint(t.decode("utf-8", "replace"), dtypes),
                     "evidence": evidence(v),
                     **({"ranks": sorted(set(ranks_of(t)))} if ranks_of else {})})
    rows.sort(key=lambda x: (-x["totalUs"], x["type"]))
    return rows


def by_core(ops):
    us = {}
    for (_t, c), v in ops.items():
        k = c.decode("utf-8", "replace")
        us[k] = us.get(k, 0.0) + v["total"]
    grand = sum(us.values())
    return {k: round(100.0 * v / grand, 3) if grand else 0.0 for k, v in sorted(us.items())}, {k: r3(v) for k, v in sorted(us.items())}, grand


def summarize(paths, top=20, aicpu_min_us=20.0):
    dirs, unparsed = rank_dirs(paths)
    per, merged, aicpu_all, steps = [], {}, {}, []
    for i, d in enumerate(dirs):
        rank = rank_of(d, i)
        label = "rank %d/%d" % (i + 1, len(dirs))
        progress("%s %s" % (label, d))
        r = summarize_rank(d, rank, label)
        merge(merged, r["ops"], rank)
        for t, a in r["aicpu"].items():
            m = aicpu_all.setdefault(t, {"dtypes": {}, "name": a["name"]})
            for dt, n in a["dtypes"].items():
                m["dtypes"][dt] = m["dtypes"].get(dt, 0) + n
        steps.extend(r["steps"])
        pct, us, grand = by_core(r["ops"])
        per.append({"rank": rank, "dir": d, "simulated": r["simulated"], "files": r["files"], "kernels": r["kernels"], "totalUs": r3(grand),
                    "topOps": op_rows(r["ops"], grand, top), "byCoreType": pct, "byCoreTypeUs": us,
                    "aicpu": aicpu_rows(r["ops"], r["aicpu"], aicpu_min_us), "traceFile": r["trace"]})
    pct, us, grand = by_core(merged)
    ranks_of = lambda t: [x for k, v in merged.items() if k[0] == t and k[1] == AI_CPU.encode() for x in v["ranks"]]  # noqa: E731
    return {
        "schema": SCHEMA, "ranks": len(dirs), "outputDirs": dirs, "unparsed": unparsed,
        "simulated": any(p["simulated"] for p in per),
        "traceFiles": [p["traceFile"] for p in per if p["traceFile"]],
        "totalUs": r3(grand), "topOps": op_rows(merged, grand, top), "byCoreType": pct, "byCoreTypeUs": us,
        "aicpu": aicpu_rows(merged, aicpu_all, aicpu_min_us, ranks_of), "aicpuMinUs": aicpu_min_us,
        "steps": [{k: v for k, v in s.items()} for s in steps], "perRank": per, "error": None,
    }


def run_stats(t0):
    """Wall and CPU seconds and peak memory of this process (the benchmark reads them)."""
    st = {"seconds": round(time.time() - t0, 3), "cpuSeconds": round(time.process_time(), 3), "maxRssMB": None}
    try:
        # VmHWM: this process image's peak (ru_maxrss would carry the parent's peak across fork + exec)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    st["maxRssMB"] = round(int(line.split()[1]) / 1024.0, 1)
    except (OSError, ValueError, IndexError):
        pass
    return st


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarise Ascend PyTorch Profiler output (ASCEND_PROFILER_OUTPUT).")
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--aicpu-min-us", type=float, default=20.0)
    a = ap.parse_args(argv)
    t0 = time.time()
    try:
        res = summarize(a.dirs, a.top, a.aicpu_min_us)
        if not res["ranks"]:
            why = "no ASCEND_PROFILER_OUTPUT under %s" % ", ".join(a.dirs)
            if res["unparsed"]:
                why += " (%d *_ascend_pt folder(s) not parsed yet: run torch_npu.profiler.profiler.analyse on them)" % len(res["unparsed"])
            res["error"] = why
    except (BadFile, OSError, UnicodeDecodeError, csv.Error) as e:
        res = {"schema": SCHEMA, "ranks": 0, "outputDirs": [], "unparsed": [], "simulated": False, "traceFiles": [], "totalUs": 0.0, "topOps": [],
               "byCoreType": {}, "byCoreTypeUs": {}, "aicpu": [], "aicpuMinUs": a.aicpu_min_us, "steps": [], "perRank": [],
               "error": str(e)}
    res["stats"] = run_stats(t0)
    write_json(a.out, res)
    if res["error"]:
        sys.stderr.write("error: %s\n" % res["error"])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
