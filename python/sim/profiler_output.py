#!/usr/bin/env python3
"""SIMULATED Ascend PyTorch Profiler output (stdlib only, Python >= 3.8), for the simulated vLLM and the tests.

Writes, per rank, what torch_npu's parser leaves after `/stop_profile` (Text export, Level1):

  <dir>/<worker>_<pid>_<YYYYmmddHHMMSSfff>_ascend_pt/
      profiler_info_<rank>.json  profiler_metadata.json  SIMULATED.txt  FRAMEWORK/  logs/
      ASCEND_PROFILER_OUTPUT/ kernel_details.csv op_statistic.csv step_trace_time.csv trace_view.json
                              operator_details.csv api_statistic.csv

with the documented headers of either generation:
  "new": kernel_details `Step Id,Device_id,Model ID,Task ID,Stream ID,Name,Type,OP State,Accelerator Core,
         Start Time(us),Duration(us),Wait Time(us),Block Num,Mix Block Num,…`, communication as COMMUNICATION;
  "old": op_summary names `Model ID,Task ID,Stream ID,Infer ID,Op Name,OP Type,Task Type,Task Start Time(us),
         Task Duration(us),Task Wait Time(us),Block Dim,Mix Block Dim,…`, communication as HCCL.
Every figure in op_statistic.csv and step_trace_time.csv is computed from the kernel rows written, so the
three files agree (as the real parser's do). The task mix is a decode step of a small MoE model on AI Core /
AI Vector Core / MIX cores, a few AI CPU fallbacks (IndexPutV2, NonZero, a DOUBLE Cast) and, with TP > 1,
HCCL all-reduce. Nothing here was measured: the folder carries SIMULATED.txt and "simulated": true.

Also a large kernel_details.csv for the summariser's benchmark: `profiler_output.py --kernels FILE --mb 500`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

NEW_KERNEL_HEAD = ("Step Id,Device_id,Model ID,Task ID,Stream ID,Name,Type,OP State,Accelerator Core,Start Time(us),"
                   "Duration(us),Wait Time(us),Block Num,Mix Block Num,HF32 Eligible,Input Shapes,Input Data Types,"
                   "Input Formats,Output Shapes,Output Data Types,Output Formats,Context ID,aicore_time(us),"
                   "aic_total_cycles,aic_mac_time(us),aic_mac_ratio,aic_scalar_time(us),aic_scalar_ratio,"
                   "aic_mte1_time(us),aic_mte1_ratio,aic_mte2_time(us),aic_mte2_ratio,aic_fixpipe_time(us),"
                   "aic_fixpipe_ratio,aic_icache_miss_rate,aiv_time(us),aiv_total_cycles,aiv_vec_time(us),aiv_vec_ratio,"
                   "aiv_scalar_time(us),aiv_scalar_ratio,aiv_mte2_time(us),aiv_mte2_ratio,aiv_mte3_time(us),"
                   "aiv_mte3_ratio,aiv_icache_miss_rate,cube_utilization(%)")
OLD_KERNEL_HEAD = ("Model ID,Task ID,Stream ID,Infer ID,Op Name,OP Type,Task Type,Task Start Time(us),Task Duration(us),"
                   "Task Wait Time(us),Block Dim,Mix Block Dim,HF32 Eligible,Input Shapes,Input Data Types,Input Formats,"
                   "Output Shapes,Output Data Types,Output Formats")
NEW_OPSTAT_HEAD = "Device_id,OP Type,Core Type,Count,Total Time(us),Min Time(us),Avg Time(us),Max Time(us),Ratio(%)"
OLD_OPSTAT_HEAD = "OP Type,Core Type,Count,Total Time(us),Min Time(us),Avg Time(us),Max Time(us),Ratio(%)"
STEP_HEAD = ("Device_id,Step,Computing,Communication(Not Overlapped),Overlapped,Communication,Free,Stage,Bubble,"
             "Communication(Not Overlapped and Exclude Receive),Preparing")
OPERATOR_HEAD = ("Name,Input Shapes,Call Stack,Host Self Duration(us),Host Total Duration(us),Device Self Duration(us),"
                 "Device Total Duration(us),Device Self Duration With AICore(us),Device Total Duration With AICore(us)")
API_HEAD = "Device_id,Level,API Name,Time(us),Count,Avg(us),Min(us),Max(us),Variance"

# (name, type, core, mean µs, input shapes, input dtypes, block, per layer?) — one decode step of a small MoE.
LAYER_OPS = [
    ("aclnnRmsNorm_RmsNorm_RmsNorm", "RmsNorm", "AI_VECTOR_CORE", 6.4, "8,2048;2048", "DT_BF16;DT_BF16", 8),
    ("aclnnMatmul_MatMulV3_MatMulV3", "MatMulV3", "AI_CORE", 18.2, "8,2048;2048,4608", "DT_BF16;DT_BF16", 20),
    ("aclnnApplyRotaryPosEmb_ApplyRotaryPosEmb", "ApplyRotaryPosEmb", "AI_VECTOR_CORE", 4.1, "8,32,128;8,4,128", "DT_BF16;DT_BF16", 8),
    ("aclnnFusedInferAttentionScore_FusedInferAttentionScore", "FusedInferAttentionScore", "MIX_AIC", 31.5, "8,32,128;128,128,4,128", "DT_BF16;DT_BF16", 24),
    ("aclnnMatmul_MatMulV3_MatMulV3", "MatMulV3", "AI_CORE", 11.7, "8,4096;4096,2048", "DT_BF16;DT_BF16", 20),
    ("aclnnAdd_AddAiCore_Add", "Add", "AI_VECTOR_CORE", 2.2, "8,2048;8,2048", "DT_BF16;DT_BF16", 4),
    ("aclnnMoeGatingTopKSoftmax_MoeGatingTopKSoftmax", "MoeGatingTopKSoftmax", "AI_VECTOR_CORE", 5.3, "8,128", "FLOAT", 8),
    ("aclnnGroupedMatmul_GroupedMatmul_GroupedMatmul", "GroupedMatmul", "MIX_AIC", 44.8, "64,2048;128,2048,768", "DT_BF16;DT_BF16", 24),
    ("aclnnSwiGlu_SwiGlu_SwiGlu", "SwiGlu", "AI_VECTOR_CORE", 3.6, "64,1536", "DT_BF16", 8),
    ("aclnnIndexPutImpl_IndexPut_IndexPutV2", "IndexPutV2", "AI_CPU", 27.5, "8,128;8,128;1", "FLOAT;BOOL;FLOAT", 1),
]
STEP_OPS = [
    ("aclnnNonzero_NonZero_NonZero", "NonZero", "AI_CPU", 41.0, "8,128", "BOOL", 1),
    ("aclnnCast_Cast_Cast", "Cast", "AI_CPU", 23.9, "8,128", "DOUBLE", 1),
    ("aclnnArgMax_ArgMaxV2_ArgMaxV2", "ArgMaxV2", "AI_VECTOR_CORE", 7.9, "8,151936", "DT_BF16", 8),
]
HCCL = ("hcom_allReduce__160_0_1", "hcom_allReduce_", 22.0, "8,2048", "DT_BF16")


def stamp_ms():
    t = time.time()
    return time.strftime("%Y%m%d%H%M%S", time.localtime(t)) + "%03d" % int((t % 1) * 1000)


class Agg(object):
    """op_statistic.csv as the kernel rows are written."""

    def __init__(self):
        self.ops = {}

    def add(self, typ, core, d):
        a = self.ops.get((typ, core))
        if a is None:
            self.ops[(typ, core)] = [1, d, d, d]
        else:
            a[0] += 1
            a[1] += d
            a[2] = min(a[2], d)
            a[3] = max(a[3], d)


def kernel_row(gen, step, device, task_id, name, typ, core, start, d, block, shapes, dtypes):
    wait = 0.2
    if gen == "old":
        return "0,%d,2,N/A,%s,%s,%s,%.3f,%.3f,%.3f,%d,0,NO,\"%s\",%s,ND,\"%s\",%s,ND\n" % (
            task_id, name, typ, core, start, d, wait, block, shapes, dtypes, shapes.split(";")[0], dtypes.split(";")[0])
    pmu = ",".join(["N/A"] * 25)
    return "%d,%d,0,%d,2,%s,%s,dynamic,%s,%.3f,%.3f,%.3f,%d,0,NO,\"%s\",%s,ND,\"%s\",%s,ND,N/A,%s\n" % (
        step, device, task_id, name, typ, core, start, d, wait, block, shapes, dtypes, shapes.split(";")[0],
        dtypes.split(";")[0], pmu)


def step_tasks(rng, layers, tp):
    """(name, type, core, µs, shapes, dtypes, block) of one step, in launch order."""
    out = []
    comm_core = "COMMUNICATION"
    for _ in range(layers):
        for name, typ, core, mean, shapes, dtypes, block in LAYER_OPS:
            out.append((name, typ, core, round(mean * rng.uniform(0.8, 1.2), 3), shapes, dtypes, block))
            if tp > 1 and typ == "MatMulV3" and shapes.startswith("8,4096"):
                out.append((HCCL[0], HCCL[1], comm_core, round(HCCL[2] * rng.uniform(0.8, 1.3), 3), HCCL[3], HCCL[4], 0))
    for name, typ, core, mean, shapes, dtypes, block in STEP_OPS:
        out.append((name, typ, core, round(mean * rng.uniform(0.8, 1.2), 3), shapes, dtypes, block))
    return out


def write_rank(root, rank, tp, gen, steps=4, layers=4, seed=0, worker=None, world=None):
    """One rank's *_ascend_pt folder; returns its path and what was written (totals for the tests)."""
    worker = worker or worker_name(rank, tp, 1)
    pt = os.path.join(root, "%s_%d_%s_ascend_pt" % (worker, os.getpid(), stamp_ms()))
    tmp = pt + ".partial"
    out = os.path.join(tmp, "ASCEND_PROFILER_OUTPUT")
    for d in (out, os.path.join(tmp, "FRAMEWORK"), os.path.join(tmp, "logs")):
        os.makedirs(d, exist_ok=True)
    rng = random.Random(seed * 1000 + rank)
    agg = Agg()
    step_rows = []
    t = 1_700_000_000_000.0 + rank * 7.0
    task_id = 0
    with open(os.path.join(out, "kernel_details.csv"), "w", encoding="utf-8", newline="") as f:
        f.write((NEW_KERNEL_HEAD if gen == "new" else OLD_KERNEL_HEAD) + "\n")
        for step in range(1, steps + 1):
            comp = comm = free = 0.0
            for name, typ, core, d, shapes, dtypes, block in step_tasks(rng, layers, tp):
                core_out = "HCCL" if core == "COMMUNICATION" and gen == "old" else core
                gap = round(rng.uniform(0.5, 3.0), 3)
                t += gap
                free += gap
                f.write(kernel_row(gen, step, rank, task_id, name, typ, core_out, t, d, block, shapes, dtypes))
                agg.add(typ, core_out, d)
                task_id += 1
                t += d
                if core == "COMMUNICATION":
                    comm += d
                else:
                    comp += d
            step_rows.append((step, round(comp, 3), round(comm, 3), round(free, 3)))
    write_opstat(os.path.join(out, "op_statistic.csv"), agg, rank, gen)
    with open(os.path.join(out, "step_trace_time.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(STEP_HEAD + "\n")
        for step, comp, comm, free in step_rows:
            f.write("%d,%d,%.3f,%.3f,0,%.3f,%.3f,0,0,%.3f,0\n" % (rank, step, comp, comm, comm, free, comm))
    write_small_files(out, agg, rank)
    info = {"rank_id": rank, "config": {"common_config": {"activities": ["CPU", "NPU"], "with_stack": False},
                                        "experimental_config": {"_profiler_level": "Level1", "_export_type": ["text"]}},
            "simulated": True}
    info_name = "profiler_info_%d.json" % rank if (world or tp) > 1 else "profiler_info.json"
    with open(os.path.join(tmp, info_name), "w") as f:
        json.dump(info, f)
    with open(os.path.join(tmp, "profiler_metadata.json"), "w") as f:
        json.dump({"simulated": True, "generator": "ascend-adapt simulated vllm", "headers": gen}, f)
    with open(os.path.join(tmp, "SIMULATED.txt"), "w") as f:
        f.write("SIMULATED profiler output written by ascend-adapt's simulated vLLM: no NPU was measured.\n")
    os.rename(tmp, pt)  # the folder appears whole: a reader never sees half a parse
    return pt, {"ops": {"%s|%s" % k: {"count": v[0], "totalUs": round(v[1], 3), "maxUs": v[3]} for k, v in agg.ops.items()},
                "steps": step_rows}


def write_opstat(file, agg, rank, gen):
    grand = sum(v[1] for v in agg.ops.values()) or 1.0
    rows = sorted(agg.ops.items(), key=lambda kv: -kv[1][1])
    with open(file, "w", encoding="utf-8", newline="") as f:
        f.write((NEW_OPSTAT_HEAD if gen == "new" else OLD_OPSTAT_HEAD) + "\n")
        for (typ, core), (cnt, tot, mn, mx) in rows:
            lead = "%d," % rank if gen == "new" else ""
            f.write("%s%s,%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f\n" % (lead, typ, core, cnt, tot, mn, tot / cnt, mx, 100.0 * tot / grand))


def write_small_files(out, agg, rank):
    with open(os.path.join(out, "operator_details.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(OPERATOR_HEAD + "\n")
        f.write("aten::index_put_,\"8,128;8,128\",,35.2,80.1,0,0,0,0\n")
        f.write("aten::nonzero,\"8,128\",,21.0,44.7,0,0,0,0\n")
    with open(os.path.join(out, "api_statistic.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(API_HEAD + "\n")
        f.write("%d,acl,aclrtSynchronizeStream,812.4,16,50.775,12.1,140.2,901.33\n" % rank)
    events = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "Ascend Hardware (SIMULATED)"}}]
    for i, ((typ, core), v) in enumerate(sorted(agg.ops.items())[:20]):
        events.append({"name": typ, "ph": "X", "pid": 1, "tid": 2, "ts": "%.3f" % (i * 50.0), "dur": v[3], "args": {"Task Type": core}})
    with open(os.path.join(out, "trace_view.json"), "w", encoding="utf-8") as f:
        json.dump(events, f)


def worker_name(rank, tp, pp, prefix=None):
    """vLLM's worker rank suffix (dp<d>_pp<p>_tp<t>_dcp0_ep0_rank<r>), with the session's prefix when given."""
    t, p, d = rank % tp, (rank // tp) % pp, rank // (tp * pp)
    name = "dp%d_pp%d_tp%d_dcp0_ep0_rank%d" % (d, p, t, rank)
    return "%s_%s" % (prefix, name) if prefix else name


def write_profile(root, ranks=1, gen="new", steps=4, layers=4, seed=0, tp=None, pp=1, prefix=None):
    """Every rank of one profiling session under root (TP defaults to all ranks); returns [(folder, totals)]."""
    os.makedirs(root, exist_ok=True)
    tp = tp or ranks
    return [write_rank(root, r, tp, gen, steps, layers, seed, worker_name(r, tp, pp, prefix), ranks) for r in range(ranks)]


def write_big_kernels(file, mb, gen="new"):
    """A kernel_details.csv of about `mb` MB (Level1 width) for the summariser's benchmark."""
    rng = random.Random(7)
    target = mb << 20
    size = 0
    tasks = step_tasks(rng, 48, 2)
    with open(file, "w", encoding="utf-8", newline="") as f:
        head = (NEW_KERNEL_HEAD if gen == "new" else OLD_KERNEL_HEAD) + "\n"
        f.write(head)
        size += len(head)
        t, task_id, step = 0.0, 0, 1
        buf = []
        while size < target:
            for name, typ, core, d, shapes, dtypes, block in tasks:
                row = kernel_row(gen, step, 0, task_id, name, typ, core, t, d, block, shapes, dtypes)
                buf.append(row)
                size += len(row)
                t += d + 1.0
                task_id += 1
            step += 1
            if len(buf) > 20000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    return size


def main(argv=None):
    ap = argparse.ArgumentParser(description="SIMULATED Ascend profiler output")
    ap.add_argument("--dir")
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--headers", choices=["new", "old"], default="new")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--kernels", help="write one big kernel_details.csv here (benchmark)")
    ap.add_argument("--mb", type=int, default=500)
    a = ap.parse_args(argv)
    if a.kernels:
        print(write_big_kernels(a.kernels, a.mb, a.headers))
        return 0
    if not a.dir:
        ap.error("--dir or --kernels")
    for pt, _ in write_profile(a.dir, a.ranks, a.headers, a.steps):
        print(pt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
