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
        for f in ("vllm_cli.py", "simhost.py", "openai_server.py"):
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

if __name__ == "__main__":
    unittest.main()
