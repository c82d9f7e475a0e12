"""python/profile/summarize.py on profiler folders written here with known totals (both header generations)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "profile"))
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))

import summarize  # noqa: E402
import profiler_output  # noqa: E402

# Our own rows: (name, type, core, duration µs, input dtypes). Totals below are worked out by hand.
ROWS = [
    ("aclnnMatmul_MatMulV3_MatMulV3", "MatMulV3", "AI_CORE", 100.5, "DT_BF16;DT_BF16"),
    ("aclnnMatmul_MatMulV3_MatMulV3", "MatMulV3", "AI_CORE", 120.25, "DT_BF16;DT_BF16"),
    ("aclnnRmsNorm_RmsNorm_RmsNorm", "RmsNorm", "AI_VECTOR_CORE", 10.0, "DT_BF16"),
    ("aclnnIndexPutImpl_IndexPut_IndexPutV2", "IndexPutV2", "AI_CPU", 25.0, "FLOAT;BOOL"),
    ("aclnnIndexPutImpl_IndexPut_IndexPutV2", "IndexPutV2", "AI_CPU", 5.0, "FLOAT;BOOL"),
    ("aclnnCast_Cast_Cast", "Cast", "AI_CPU", 30.0, "DOUBLE"),
    ("aclnnNonzero_NonZero_NonZero", "NonZero", "AI_CPU", 19.999, "BOOL"),  # below the advisor's 20 µs
    ("hcom_allReduce__1_0_1", "hcom_allReduce_", "COMMUNICATION", 40.0, "DT_BF16"),
    ("aclnnFusedInferAttentionScore_FIA", "FusedInferAttentionScore", "MIX_AIC", 50.0, "DT_BF16;DT_BF16"),
]
TOTAL = 100.5 + 120.25 + 10.0 + 25.0 + 5.0 + 30.0 + 19.999 + 40.0 + 50.0  # 400.749

NEW_HEAD = "Step Id,Device_id,Model ID,Task ID,Stream ID,Name,Type,OP State,Accelerator Core,Start Time(us),Duration(us),Wait Time(us),Block Num,Mix Block Num,HF32 Eligible,Input Shapes,Input Data Types,Input Formats,Output Shapes,Output Data Types,Output Formats"
MID_HEAD = "Step Id,Model ID,Task ID,Stream ID,Name,Type,OP State,Accelerator Core,Start Time(us),Duration(us),Wait Time(us),Block Dim,Mix Block Dim,HF32 Eligible,Input Shapes,Input Data Types,Input Formats,Output Shapes,Output Data Types,Output Formats"
OLD_HEAD = "Model ID,Task ID,Stream ID,Infer ID,Op Name,OP Type,Task Type,Task Start Time(us),Task Duration(us),Task Wait Time(us),Block Dim,Mix Block Dim,HF32 Eligible,Input Shapes,Input Data Types,Input Formats,Output Shapes,Output Data Types,Output Formats"


def kernel_line(head, i, r, quote_name=False):
    name, typ, core, d, dt = r
    name = '"%s"' % name if quote_name else name
    if head is OLD_HEAD:
        return '0,%d,2,N/A,%s,%s,%s,%.3f,%s,0.1,8,0,NO,"8,128;8,128",%s,ND,"8,128",%s,ND' % (i, name, typ, core, 1000.0 + i, d, dt, dt)
    if head is MID_HEAD:
        return '1,0,%d,2,%s,%s,dynamic,%s,%.3f,%s,0.1,8,0,NO,"8,128;8,128",%s,ND,"8,128",%s,ND' % (i, name, typ, core, 1000.0 + i, d, dt, dt)
    return '1,0,0,%d,2,%s,%s,dynamic,%s,%.3f,%s,0.1,8,0,NO,"8,128;8,128",%s,ND,"8,128",%s,ND' % (i, name, typ, core, 1000.0 + i, d, dt, dt)


def write_rank(parent, rank, head, rows=ROWS, opstat=True, steps=True, kernels=True, quote_names=False, crlf=False):
    pt = os.path.join(parent, "dp0_pp0_tp%d_dcp0_ep0_rank%d_123_20261204120000000_ascend_pt" % (rank, rank))
    out = os.path.join(pt, "ASCEND_PROFILER_OUTPUT")
    os.makedirs(out)
    nl = "\r\n" if crlf else "\n"
    if kernels:
        with open(os.path.join(out, "kernel_details.csv"), "w", newline="") as f:
            f.write(head + nl)
            for i, r in enumerate(rows):
                f.write(kernel_line(head, i, r, quote_names and i % 2 == 0) + nl)
    if opstat:
        with open(os.path.join(out, "op_statistic.csv"), "w", newline="") as f:
            f.write("Device_id,OP Type,Core Type,Count,Total Time(us),Min Time(us),Avg Time(us),Max Time(us),Ratio(%)\n")
            f.write("%d,MatMulV3,AI_CORE,2,220.75,100.5,110.375,120.25,55.08\n" % rank)
            f.write("%d,FusedInferAttentionScore,MIX_AIC,1,50,50,50,50,12.47\n" % rank)
            f.write("%d,hcom_allReduce_,COMMUNICATION,1,40,40,40,40,9.98\n" % rank)
            f.write("%d,Cast,AI_CPU,1,30,30,30,30,7.49\n" % rank)
            f.write("%d,IndexPutV2,AI_CPU,2,30,5,15,25,7.49\n" % rank)
            f.write("%d,NonZero,AI_CPU,1,19.999,19.999,19.999,19.999,4.99\n" % rank)
            f.write("%d,RmsNorm,AI_VECTOR_CORE,1,10,10,10,10,2.5\n" % rank)
    if steps:
        with open(os.path.join(out, "step_trace_time.csv"), "w", newline="") as f:
            f.write(profiler_output.STEP_HEAD + "\n")
            f.write("%d,1,300.5,40,0,40,12.25,0,0,40,0\n" % rank)
            f.write("%d,2,310,35.5,1.5,37,10,0,0,35.5,0\n" % rank)
    with open(os.path.join(out, "trace_view.json"), "w") as f:
        f.write("[]")
    with open(os.path.join(pt, "profiler_info_%d.json" % rank), "w") as f:
        json.dump({"rank_id": rank}, f)
    return pt


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def by_type(rows):
    return {(r["type"], r["coreType"]): r for r in rows}


def quiet(test):
    saved = summarize.progress
    summarize.progress = lambda _msg: None
    test.addCleanup(setattr, summarize, "progress", saved)


class SummarizeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aa-prof-")
        quiet(self)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_one_rank(self, head):
        write_rank(self.dir, 0, head, quote_names=True)
        s = summarize.summarize([self.dir])
        self.assertEqual(s["ranks"], 1)
        self.assertAlmostEqual(s["totalUs"], TOTAL, places=3)
        ops = by_type(s["topOps"])
        m = ops[("MatMulV3", "AI_CORE")]
        self.assertEqual((m["count"], m["totalUs"], m["avgUs"], m["maxUs"]), (2, 220.75, 110.375, 120.25))
        self.assertAlmostEqual(m["sharePct"], round(100 * 220.75 / TOTAL, 3), places=3)
        self.assertEqual(m["evidence"], {"rank": 0, "file": "kernel_details.csv", "row": 3, "statRow": 2})
        self.assertEqual(s["topOps"][0]["type"], "MatMulV3", "sorted by total device time")
        self.assertAlmostEqual(s["byCoreType"]["AI_CPU"], round(100 * 79.999 / TOTAL, 3), places=3)
        self.assertAlmostEqual(s["byCoreTypeUs"]["COMMUNICATION"], 40.0)
        self.assertAlmostEqual(sum(s["byCoreType"].values()), 100.0, places=1)
        # AI CPU: IndexPutV2 (25 µs task) and Cast (30 µs) are reported; NonZero never reaches 20 µs
        a = {x["type"]: x for x in s["aicpu"]}
        self.assertEqual(sorted(a), ["Cast", "IndexPutV2"])
        self.assertEqual((a["IndexPutV2"]["count"], a["IndexPutV2"]["totalUs"], a["IndexPutV2"]["maxUs"]), (2, 30.0, 25.0))
        self.assertEqual(a["IndexPutV2"]["dtypes"], ["FLOAT", "BOOL"])
        self.assertEqual(a["IndexPutV2"]["name"], "aclnnIndexPutImpl_IndexPut_IndexPutV2")
        self.assertIn("convert double type operator to float, such as Cast", a["Cast"]["hint"])
        self.assertNotIn("double", a["IndexPutV2"]["hint"])
        self.assertEqual(a["IndexPutV2"]["evidence"]["row"], 5)
        st = s["steps"]
        self.assertEqual([(x["step"], x["computingUs"], x["communicationUs"], x["overlappedUs"], x["freeUs"], x["row"]) for x in st],
                         [(1, 300.5, 40.0, 0.0, 12.25, 2), (2, 310.0, 35.5, 1.5, 10.0, 3)])
        self.assertEqual(len(s["traceFiles"]), 1)
        return s

    def test_new_header_block_num(self):
        s = self.check_one_rank(NEW_HEAD)
        self.assertEqual(s["perRank"][0]["kernels"]["headers"], "new")
        self.assertEqual(s["perRank"][0]["kernels"]["blockColumn"], "Block Num")

    def test_mid_header_block_dim(self):
        s = self.check_one_rank(MID_HEAD)
        self.assertEqual(s["perRank"][0]["kernels"]["blockColumn"], "Block Dim")

    def test_old_header_op_summary_names(self):
        s = self.check_one_rank(OLD_HEAD)
        self.assertEqual(s["perRank"][0]["kernels"]["headers"], "old")

    def test_crlf_lines(self):
        write_rank(self.dir, 0, NEW_HEAD, crlf=True)
        s = summarize.summarize([self.dir])
        self.assertAlmostEqual(s["totalUs"], TOTAL, places=3)
        self.assertIn(("MatMulV3", "AI_CORE"), by_type(s["topOps"]))

    def test_two_ranks_add_up_and_keep_their_steps(self):
        write_rank(self.dir, 0, NEW_HEAD)
        write_rank(self.dir, 1, OLD_HEAD)
        s = summarize.summarize([self.dir])
        self.assertEqual(s["ranks"], 2)
        self.assertAlmostEqual(s["totalUs"], 2 * TOTAL, places=3)
        self.assertEqual(by_type(s["topOps"])[("MatMulV3", "AI_CORE")]["count"], 4)
        self.assertEqual([x["rank"] for x in s["steps"]], [0, 0, 1, 1])
        self.assertEqual([r["rank"] for r in s["perRank"]], [0, 1])
        self.assertEqual({x["type"]: x["ranks"] for x in s["aicpu"]}["Cast"], [0, 1])

    def test_dir_forms_give_the_same_figures(self):
        pt = write_rank(self.dir, 3, NEW_HEAD)
        forms = [self.dir, pt, os.path.join(pt, "ASCEND_PROFILER_OUTPUT")]
        results = [summarize.summarize([d]) for d in forms]
        for r in results:
            self.assertEqual(r["topOps"], results[0]["topOps"])
            self.assertEqual(r["perRank"][0]["rank"], 3, "rank from profiler_info_3.json")

    def test_op_statistic_alone(self):
        write_rank(self.dir, 0, NEW_HEAD, kernels=False)
        s = summarize.summarize([self.dir])
        m = by_type(s["topOps"])[("MatMulV3", "AI_CORE")]
        self.assertEqual((m["count"], m["totalUs"], m["maxUs"]), (2, 220.75, 120.25))
        self.assertEqual(m["evidence"]["file"], "op_statistic.csv")
        self.assertEqual(m["evidence"]["row"], 2)

    def test_unparsed_folder_and_missing_output(self):
        os.makedirs(os.path.join(self.dir, "x_1_2_ascend_pt", "FRAMEWORK"))
        out = os.path.join(self.dir, "r.json")
        code = summarize.main([self.dir, "--out", out])
        self.assertEqual(code, 1)
        r = load(out)
        self.assertEqual(r["ranks"], 0)
        self.assertEqual(len(r["unparsed"]), 1)
        self.assertIn("analyse", r["error"])

    def test_bad_csv_is_an_error_naming_the_file(self):
        pt = write_rank(self.dir, 0, NEW_HEAD)
        with open(os.path.join(pt, "ASCEND_PROFILER_OUTPUT", "kernel_details.csv"), "w") as f:
            f.write("Foo,Bar\n1,2\n")
        out = os.path.join(self.dir, "r.json")
        self.assertEqual(summarize.main([self.dir, "--out", out]), 1)
        self.assertIn("kernel_details.csv has no Name / Op Name column", load(out)["error"])

    def test_min_us_rule_is_a_parameter(self):
        write_rank(self.dir, 0, NEW_HEAD)
        s = summarize.summarize([self.dir], aicpu_min_us=19.0)
        self.assertIn("NonZero", [x["type"] for x in s["aicpu"]])

    def test_stream_of_a_large_file_keeps_memory_flat(self):
        out = os.path.join(self.dir, "big", "ASCEND_PROFILER_OUTPUT")
        os.makedirs(out)
        size = profiler_output.write_big_kernels(os.path.join(out, "kernel_details.csv"), 40)
        res = os.path.join(self.dir, "big.json")
        p = subprocess.run([sys.executable, os.path.join(ROOT, "python", "profile", "summarize.py"), os.path.join(self.dir, "big"), "--out", res],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = load(res)
        self.assertEqual(r["perRank"][0]["kernels"]["bytes"], size)
        self.assertRegex(p.stderr.decode(), r"progress: rank 1/1 kernel_details\.csv \d+ MB")
        # 40 MB read line by line: the process stays far below the file's size
        self.assertLess(r["stats"]["maxRssMB"], 40)


class SimulatedOutputTest(unittest.TestCase):
    """The simulated vLLM's output: what the summary says equals what was written."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aa-prof-sim-")
        quiet(self)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, gen, ranks):
        written = profiler_output.write_profile(self.dir, ranks, gen, steps=3, tp=ranks)
        s = summarize.summarize([self.dir], top=0)
        self.assertEqual(s["ranks"], ranks)
        self.assertTrue(s["simulated"])
        want = {}
        for _pt, tot in written:
            for k, v in tot["ops"].items():
                w = want.setdefault(k, [0, 0.0])
                w[0] += v["count"]
                w[1] += v["totalUs"]
        got = {"%s|%s" % (o["type"], o["coreType"]): (o["count"], o["totalUs"]) for o in s["topOps"]}
        self.assertEqual(set(got), set(want))
        for k, (cnt, tot) in want.items():
            self.assertEqual(got[k][0], cnt, k)
            self.assertAlmostEqual(got[k][1], tot, places=2, msg=k)
        comm = "HCCL" if gen == "old" else "COMMUNICATION"
        self.assertEqual(any(k.endswith("|" + comm) for k in got), ranks > 1, "HCCL rows only with TP > 1")
        self.assertEqual({a["type"] for a in s["aicpu"]}, {"IndexPutV2", "NonZero", "Cast"})
        # step_trace_time agrees with the kernel rows of the same rank
        for r in s["perRank"]:
            steps = [x for x in s["steps"] if x["rank"] == r["rank"]]
            self.assertAlmostEqual(sum(x["computingUs"] + x["communicationUs"] for x in steps), r["totalUs"], places=1)

    def test_new_generation_tp2(self):
        self.check("new", 2)

    def test_old_generation_tp1(self):
        self.check("old", 1)


if __name__ == "__main__":
    unittest.main()
