"""The simulated `vllm` command (python/sim/vllm_cli.py), run as a real process in a simulated-host layout."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM_SRC = os.path.join(ROOT, "python", "sim")
MODELS = os.path.join(ROOT, "test", "fixtures", "serving", "models")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


class SimHost:
    """A minimal simulated-host folder: sim.json + DIR/sim/*.py (what `ascend-adapt sim create` lays out)."""

    def __init__(self, devices=8, hbm=65536, serve=None):
        self.dir = tempfile.mkdtemp(prefix="aa-vllm-sim-")
        os.makedirs(os.path.join(self.dir, "sim"))
        for f in ("vllm_cli.py", "simhost.py", "openai_server.py", "cluster.py"):
            shutil.copy(os.path.join(SIM_SRC, f), os.path.join(self.dir, "sim", f))
        cfg = {"simulated": True, "schema": 1, "devices": devices, "chipsPerNpu": 1, "hbmTotalMB": hbm,
               "release": {"vllm": "0.18.0"}, "serve": serve or {"loadTimeSec": 0.2}}
        with open(os.path.join(self.dir, "sim.json"), "w") as f:
            json.dump(cfg, f)

    def vllm(self, *args, env=None, **kw):
        e = dict(os.environ)
        e.pop("ASCEND_ADAPT_SIM_ROOT", None)
        e.update(env or {})
        return subprocess.Popen([sys.executable, os.path.join(self.dir, "sim", "vllm_cli.py")] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e, **kw)

    def procs(self):
        d = os.path.join(self.dir, "state", "npu_procs")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run(p, timeout=60):
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out.decode("utf-8", "replace")


class VllmCliTest(unittest.TestCase):
    def setUp(self):
        self.host = SimHost()

    def tearDown(self):
        self.host.close()

    def test_version_from_sim_json(self):
        code, out = run(self.host.vllm("--version"))
        self.assertEqual(code, 0)
        self.assertEqual(out.strip(), "0.18.0")

    def test_unknown_flag_is_an_error_like_vllm(self):
        code, out = run(self.host.vllm("serve", os.path.join(MODELS, "tiny-dense-sim"), "--tensor-paralel-size", "2"))
        self.assertEqual(code, 2)
        self.assertIn("unrecognized arguments: --tensor-paralel-size", out)

    def test_bad_model_path_exits_with_vllms_error(self):
        code, out = run(self.host.vllm("serve", "/no/such/model", "--port", str(free_port())))
        self.assertEqual(code, 1)
        self.assertIn("Invalid repository ID or local directory specified: '/no/such/model'", out)
        self.assertEqual(self.host.procs(), [])

    def test_port_taken_exits_at_once(self):
        s = socket.socket()
        s.bind(("0.0.0.0", 0))
        s.listen(1)
        try:
            code, out = run(self.host.vllm("serve", os.path.join(MODELS, "tiny-dense-sim"), "--port", str(s.getsockname()[1])))
        finally:
            s.close()
        self.assertEqual(code, 1)
        self.assertIn("[Errno 98] Address already in use", out)

    def test_model_too_big_for_one_npu_prints_the_real_oom_message(self):
        code, out = run(self.host.vllm("serve", os.path.join(MODELS, "hunyuan-moe-sim"), "--port", str(free_port())))
        self.assertEqual(code, 1)
        self.assertIn("NPU out of memory. Tried to allocate", out)
        self.assertIn("GiB total capacity", out)
        self.assertIn("Engine core initialization failed", out)
        self.assertEqual(self.host.procs(), [], "no NPU state left behind")

    def test_forced_oom_fault(self):
        code, out = run(self.host.vllm("serve", os.path.join(MODELS, "tiny-dense-sim"), "--port", str(free_port()),
                                       env={"ASCEND_ADAPT_SIM_VLLM_FAULT": "oom"}))
        self.assertEqual(code, 1)
        self.assertIn("NPU out of memory", out)

    def test_gptq_checkpoint_is_refused(self):
        code, out = run(self.host.vllm("serve", os.path.join(MODELS, "gptq-int4-sim"), "--port", str(free_port())))
        self.assertEqual(code, 1)
        self.assertIn("gptq quantization is currently not supported in npu", out)

    def test_devices_that_do_not_exist(self):
        code, out = run(self.host.vllm("serve", os.path.join(MODELS, "tiny-dense-sim"), "--port", str(free_port()),
                                       env={"ASCEND_RT_VISIBLE_DEVICES": "9"}))
        self.assertEqual(code, 1)
        self.assertIn("error code is 507033", out)

    def test_serves_holds_npu_memory_and_releases_it_on_sigterm(self):
        port = free_port()
        p = self.host.vllm("serve", os.path.join(MODELS, "hunyuan-moe-sim"), "--served-model-name", "hy", "--port", str(port),
                           "--tensor-parallel-size", "4", "--max-model-len", "8192", "--trust-remote-code", "--enforce-eager",
                           env={"ASCEND_RT_VISIBLE_DEVICES": "2,3,4,5", "HCCL_OP_EXPANSION_MODE": "AIV"})
        try:
            ok = False
            for _ in range(300):
                try:
                    if get(port, "/health")[0] == 200:
                        ok = True
                        break
                except OSError:
                    pass
                if p.poll() is not None:
                    break
                time.sleep(0.05)
            self.assertTrue(ok, "server came up")
            status, body = get(port, "/v1/models")
            models = json.loads(body)
            self.assertEqual([m["id"] for m in models["data"]], ["hy"])
            self.assertEqual(models["data"][0]["owned_by"], "ascend-adapt-simulated")
            files = self.host.procs()
            self.assertEqual(files, ["%d.json" % p.pid])
            with open(os.path.join(self.host.dir, "state", "npu_procs", files[0])) as f:
                rec = json.load(f)
            self.assertEqual(rec["devices"], [2, 3, 4, 5])
            # 160 GB of weights over TP 4 = ~37 GiB each, and vLLM takes 0.9 of the device
            self.assertGreater(rec["memoryMB"], 37000)
            self.assertLess(rec["memoryMB"], 65536)
        finally:
            p.send_signal(signal.SIGTERM)
            code, out = run(p)
        self.assertEqual(code, 0)
        self.assertIn("(simulated)", out)
        self.assertIn("Starting vLLM API server", out)
        self.assertEqual(self.host.procs(), [])

    def test_sigterm_while_loading_leaves_no_state(self):
        host = SimHost(serve={"loadTimeSec": 30})
        try:
            p = host.vllm("serve", os.path.join(MODELS, "tiny-dense-sim"), "--port", str(free_port()),
                          env={"ASCEND_ADAPT_SIM_VLLM_LOAD_SEC": "6"})
            seen = []
            for raw in p.stdout:  # the weights are "loaded" (NPU memory held) half-way through the load time
                seen.append(raw.decode())
                if "Loading weights took" in seen[-1]:
                    break
            self.assertEqual(host.procs(), ["%d.json" % p.pid], "memory is held while loading")
            p.send_signal(signal.SIGTERM)
            code, _ = run(p)
            self.assertEqual(code, 143)
            self.assertEqual(host.procs(), [])
        finally:
            host.close()

class VllmBenchTest(unittest.TestCase):
    """`vllm bench serve` exists only when the simulated host is configured with it."""

    def setUp(self):
        sys.path.insert(0, SIM_SRC)
        import openai_server
        self.server = openai_server.start_in_thread({"port": 0, "model": "m", "access_log": False, "ttft_base_ms": 5.0,
                                                      "tpot_base_ms": 2.0})
        self.host = SimHost(serve={"bench": True})
        self.plain = SimHost()

    def tearDown(self):
        self.server.stop()
        self.host.close()
        self.plain.close()

    def test_absent_by_default(self):
        code, out = run(self.plain.vllm("bench", "serve", "--help"))
        self.assertEqual(code, 2)
        self.assertIn("invalid choice: 'bench'", out)

    def test_bench_serve_writes_vllms_result_keys(self):
        rdir = tempfile.mkdtemp(prefix="aa-vbench-")
        try:
            code, out = run(self.host.vllm(
                "bench", "serve", "--backend", "openai-chat", "--base-url", self.server.url, "--endpoint", "/v1/chat/completions",
                "--model", "m", "--num-prompts", "6", "--random-input-len", "8", "--random-output-len", "5",
                "--max-concurrency", "2", "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles", "50,90,99",
                "--save-result", "--save-detailed", "--result-dir", rdir, "--result-filename", "r.json"))
            self.assertEqual(code, 0, out)
            self.assertIn("Serving Benchmark Result (SIMULATED)", out)
            self.assertRegex(out, r"Successful requests: +6")
            with open(os.path.join(rdir, "r.json")) as f:
                d = json.load(f)
            self.assertTrue(d["simulated"])
            self.assertEqual(d["completed"], 6)
            self.assertEqual(d["failed"], 0)
            self.assertEqual(d["total_output_tokens"], 30)
            self.assertEqual(d["max_concurrency"], 2)
            self.assertLessEqual(d["max_concurrent_requests"], 2)
            for m in ("ttft", "tpot", "itl", "e2el"):
                for k in ("mean_%s_ms", "median_%s_ms", "std_%s_ms", "p50_%s_ms", "p90_%s_ms", "p99_%s_ms"):
                    self.assertIn(k % m, d)
            self.assertGreaterEqual(d["mean_ttft_ms"], 5.0)
            self.assertGreater(d["mean_e2el_ms"], d["mean_ttft_ms"])
            self.assertEqual(len(d["ttfts"]), 6)
            self.assertEqual(d["output_lens"], [5] * 6)
        finally:
            shutil.rmtree(rdir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
