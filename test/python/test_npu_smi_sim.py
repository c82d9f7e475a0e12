"""The simulated npu-smi / hccn_tool and simhost state (python/sim), run as real processes."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = os.path.join(ROOT, "python", "sim")
sys.path.insert(0, SIM)
import simhost  # noqa: E402


class SimDir(object):
    def __init__(self, cfg):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        cfg = dict(cfg, simulated=True)
        with open(os.path.join(self.root, "sim.json"), "w") as f:
            json.dump(cfg, f)

    def run(self, tool, *args):
        env = dict(os.environ, ASCEND_ADAPT_SIM_ROOT=self.root, ASCEND_ADAPT_SIM_QUIET="1")
        return subprocess.run([sys.executable, os.path.join(SIM, tool)] + list(args), env=env, capture_output=True, text=True, timeout=60)

    def close(self):
        self.tmp.cleanup()


def table(out):
    return [l for l in out.splitlines() if l.startswith("|") or l.startswith("+")]


class NpuSmiLayouts(unittest.TestCase):
    def check(self, cfg, width, devices):
        s = SimDir(cfg)
        try:
            r = s.run("npu_smi.py", "info")
            self.assertEqual(r.returncode, 0, r.stderr)
            t = table(r.stdout)
            self.assertTrue(all(len(l) == width for l in t), [l for l in t if len(l) != width])
            rows = [l for l in t if "0000:" in l]
            self.assertEqual(len(rows), devices)
            return r.stdout
        finally:
            s.close()

    def test_a2(self):
        out = self.check({"chip": "910B3", "family": "A2", "devices": 8, "hbmTotalMB": 65536, "driver": "25.5.1"}, 98, 8)
        self.assertIn("| npu-smi 25.5.1                   Version: 25.5.1", out)
        self.assertIn("| No running processes found in NPU 7 ", out)

    def test_a3_two_dies(self):
        out = self.check({"chip": "Ascend910", "family": "A3", "devices": 4, "chipsPerNpu": 2, "hbmTotalMB": 65536}, 98, 8)
        self.assertIn("| Chip  Phy-ID              |", out)
        self.assertEqual(out.count("| -           "), 4, "power is printed once per A3 card")

    def test_310p_duo(self):
        out = self.check({"chip": "310P3", "family": "310P", "devices": 2, "chipsPerNpu": 2, "hbmTotalMB": 0, "ddrTotalMB": 44278, "npuIds": [0, 96]}, 106, 4)
        self.assertIn("| 96      310P3 ", out)
        self.assertIn("| NA           ", out)


class Processes(unittest.TestCase):
    def test_live_dead_and_bad_state_files(self):
        s = SimDir({"chip": "910B4", "family": "A2", "devices": 2, "hbmTotalMB": 32768})
        try:
            live = subprocess.Popen(["sleep", "30"])
            dead = subprocess.Popen(["true"])
            dead.wait()
            try:
                path = simhost.register_npu_proc(s.root, live.pid, "VLLMWorker_TP", [1], 29000)
                simhost.register_npu_proc(s.root, dead.pid, "gone", [0], 1000)
                with open(os.path.join(simhost.procs_dir(s.root), "junk.json"), "w") as f:
                    f.write("{")
                procs = simhost.live_procs(s.root)
                self.assertEqual([p["pid"] for p in procs], [live.pid])
                out = s.run("npu_smi.py", "info").stdout
                self.assertIn("| 1       0                 | %s" % str(live.pid).ljust(14), out)
                self.assertIn("VLLMWorker_TP", out)
                hbm = [l for l in out.splitlines() if "0000:C2:00.0" in l][0]
                self.assertRegex(hbm, r"3\d{4}\s*/ 32768", "29000 MB added to the idle reservation of device 1")
                usages = s.run("npu_smi.py", "info", "-t", "usages", "-i", "1").stdout
                self.assertRegex(usages, r"HBM Usage Rate\(%\)\s+: 9\d")
                simhost.unregister_npu_proc(s.root, live.pid)
                self.assertFalse(os.path.exists(path))
                self.assertNotIn("VLLMWorker_TP", s.run("npu_smi.py", "info").stdout)
            finally:
                live.kill()
                live.wait()
        finally:
            s.close()

    def test_zombie_holds_nothing(self):
        z = subprocess.Popen(["true"])
        import time
        time.sleep(0.3)  # exited, not yet reaped: a zombie
        try:
            self.assertFalse(simhost.pid_alive(z.pid))
        finally:
            z.wait()
        self.assertTrue(simhost.pid_alive(os.getpid()))
        self.assertFalse(simhost.pid_alive(-1))


class SubcommandsAndFaults(unittest.TestCase):
    def test_list_board_health_and_errors(self):
        s = SimDir({"chip": "910B3", "family": "A2", "devices": 2, "hbmTotalMB": 65536, "faults": {"health": {"1": "Alarm"}}})
        try:
            self.assertIn("Total Count                    : 2", s.run("npu_smi.py", "info", "-l").stdout)
            self.assertIn("Chip Name                      : 910B3", s.run("npu_smi.py", "info", "-t", "board", "-i", "0", "-c", "0").stdout)
            self.assertIn("Health Status                  : Alarm", s.run("npu_smi.py", "info", "-t", "health", "-i", "1").stdout)
            self.assertIn("| 1     910B3               | Alarm ", s.run("npu_smi.py", "info").stdout)
            self.assertEqual(s.run("npu_smi.py", "info", "-t", "board").returncode, 1)
            self.assertEqual(s.run("npu_smi.py", "reset").returncode, 1)
        finally:
            s.close()

    def test_no_sim_json(self):
        env = dict(os.environ)
        env.pop("ASCEND_ADAPT_SIM_ROOT", None)
        r = subprocess.run([sys.executable, os.path.join(SIM, "npu_smi.py"), "info"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no sim.json", r.stderr)

    def test_hccn_tool_links(self):
        s = SimDir({"chip": "910B3", "family": "A2", "devices": 4, "faults": {"hccnLinkDown": [2]}})
        try:
            self.assertEqual(s.run("hccn_tool.py", "-i", "0", "-link", "-g").stdout, "link status: UP\n")
            self.assertEqual(s.run("hccn_tool.py", "-i", "2", "-link", "-g").stdout, "link status: DOWN\n")
            self.assertEqual(s.run("hccn_tool.py", "-i", "9", "-link", "-g").returncode, 1)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
