"""python/env_probe.py: stdlib-only host probe. Run as real processes and as a module."""
import ast
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROBE = os.path.join(ROOT, "python", "env_probe.py")
sys.path.insert(0, os.path.join(ROOT, "python"))
import env_probe  # noqa: E402


def run_probe(env, *args):
    r = subprocess.run([sys.executable, PROBE] + list(args), env=env, capture_output=True, timeout=120)
    return r


class SyntaxLevel(unittest.TestCase):
    def test_host_scripts_parse_as_python_3_8(self):
        files = [PROBE] + [os.path.join(ROOT, "python", "sim", f) for f in ("npu_smi.py", "simhost.py", "hccn_tool.py")]
        for f in files:
            with open(f, encoding="utf-8") as fh:
                ast.parse(fh.read(), filename=f, feature_version=(3, 8))


class NeverImportsTorch(unittest.TestCase):
    def test_versions_come_from_metadata_and_torch_is_never_imported(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = os.path.join(d, "torch")
            os.makedirs(pkg)
            marker = os.path.join(d, "imported")
            with open(os.path.join(pkg, "__init__.py"), "w") as f:
                f.write("open(%r, 'w').write('yes')\nraise SystemExit('torch must not be imported')\n" % marker)
            dist = os.path.join(d, "torch-9.9.9+cpu.dist-info")
            os.makedirs(dist)
            with open(os.path.join(dist, "METADATA"), "w") as f:
                f.write("Metadata-Version: 2.1\nName: torch\nVersion: 9.9.9+cpu\n")
            env = dict(os.environ, PYTHONPATH=d)
            r = run_probe(env)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout.decode("ascii")  # ASCII only, one line
            self.assertEqual(out.count("\n"), 1)
            data = json.loads(out)
            self.assertEqual(data["packages"]["torch"]["version"], "9.9.9+cpu")
            self.assertFalse(os.path.exists(marker), "torch was imported")
            self.assertEqual(data["schema"], 1)
            self.assertEqual([s["name"] for s in data["steps"]][:6], ["host", "python", "env", "packages", "ascend", "disk"])


class RunWithTimeout(unittest.TestCase):
    def test_timeout_kills_the_whole_process_group(self):
        with tempfile.TemporaryDirectory() as d:
            pidfile = os.path.join(d, "pid")
            budget = env_probe.Budget(60)
            t0 = time.monotonic()
            r = env_probe.run(["sh", "-c", "sleep 30 & echo $! > %s; wait" % pidfile], 0.5, budget)
            self.assertTrue(r["timedOut"])
            self.assertLess(time.monotonic() - t0, 10)
            with open(pidfile) as f:
                bg = int(f.read())
            time.sleep(0.2)
            alive = os.path.exists("/proc/%d" % bg) and "Z" not in open("/proc/%d/stat" % bg).read().split(")")[-1][:3]
            self.assertFalse(alive, "background child of the timed-out command survived")

    def test_started_together_each_collected_within_its_own_timeout(self):
        b = env_probe.Budget(60)
        t0 = time.monotonic()
        started = [env_probe.start(["sh", "-c", "sleep 30"], 0.5, b)]
        started += [env_probe.start(["sh", "-c", "echo %d; exit %d" % (i, i)], 0.5, b) for i in range(1, 4)]
        res = [env_probe.finish(*s) for s in started]
        self.assertLess(time.monotonic() - t0, 10)
        self.assertTrue(res[0]["timedOut"])
        # Collected after the first one's timeout, the others still give what they printed and their exit codes.
        self.assertEqual([(r["timedOut"], r["code"], r["stdout"]) for r in res[1:]], [(False, i, "%d\n" % i) for i in range(1, 4)])

    def test_missing_command_and_exit_codes(self):
        b = env_probe.Budget(60)
        r = env_probe.run(["/nonexistent/npu-smi", "info"], 5, b)
        self.assertFalse(r["found"])
        r = env_probe.run(["sh", "-c", "echo out; echo err >&2; exit 3"], 5, b)
        self.assertEqual((r["code"], r["stdout"], r["stderr"]), (3, "out\n", "err\n"))
        r = env_probe.run(["sh", "-c", "kill -9 $$"], 5, b)
        self.assertEqual(r["signal"], 9)

    def test_budget_exhausted(self):
        b = env_probe.Budget(0)
        r = env_probe.run(["true"], 5, b)
        self.assertIn("budget", r["error"])

    def test_non_utf8_output_is_decoded_and_flagged(self):
        r = env_probe.run(["sh", "-c", "printf 'ok \\377\\376 end'"], 5, env_probe.Budget(60))
        self.assertTrue(r["nonUtf8"])
        self.assertIn("\ufffd", r["stdout"])
        self.assertTrue(r["stdout"].startswith("ok "))


class Facts(unittest.TestCase):
    def test_env_filter_keeps_what_matters_and_drops_secrets_like_collect_env(self):
        env = {"ASCEND_RT_VISIBLE_DEVICES": "0,1", "HCCL_OP_EXPANSION_MODE": "AIV", "VLLM_API_KEY": "sk-1",
               "HF_TOKEN": "hf_x", "MY_PASSWORD": "p", "UNRELATED": "x", "TASK_QUEUE_ENABLE": "2",
               "PYTORCH_NPU_ALLOC_CONF": "expandable_segments:True", "ASCEND_ACCESS_KEY": "k"}
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(env)
            keep, redacted = env_probe.collect_env()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.assertEqual(sorted(keep), ["ASCEND_RT_VISIBLE_DEVICES", "HCCL_OP_EXPANSION_MODE", "PYTORCH_NPU_ALLOC_CONF", "TASK_QUEUE_ENABLE"])
        self.assertEqual(sorted(redacted), ["ASCEND_ACCESS_KEY", "HF_TOKEN", "VLLM_API_KEY"])
        self.assertNotIn("sk-1", json.dumps(keep))

    def test_process_command_lines_hide_secret_arguments(self):
        p = subprocess.Popen(["sh", "-c", "sleep 30", "sh", "--api-key", "sk-secret", "--token=abc"])
        try:
            time.sleep(0.1)
            d = env_probe.describe_pids([p.pid])[str(p.pid)]
            self.assertEqual(d["comm"], "sh")
            self.assertIn("--api-key ***", d["cmdline"])
            self.assertIn("--token=***", d["cmdline"])
            self.assertNotIn("sk-secret", d["cmdline"])
        finally:
            p.kill()
            p.wait()

    def test_version_files(self):
        text = "Version=24.1.rc1\nascendhal_version=7.35.19\n# comment\ncompatible_version=[V1],[V2]\n\n"
        self.assertEqual(env_probe.kv_file(text), {"Version": "24.1.rc1", "ascendhal_version": "7.35.19", "compatible_version": "[V1],[V2]"})

    def _tree(self, d, arch):
        a = os.path.join(d, "Ascend")
        old = os.path.join(a, "ascend-toolkit", "8.3.RC2", "%s-linux" % arch)
        new = os.path.join(a, "cann-8.5.0", "%s-linux" % arch)
        for p, v in ((old, "8.3.RC2"), (new, "8.5.0")):
            os.makedirs(p)
            with open(os.path.join(p, "ascend_toolkit_install.info"), "w") as f:
                f.write("package_name=Ascend-cann-toolkit\nversion=%s\narch=%s\nos=linux\npath=%s\n" % (v, arch, p))
        os.symlink("8.3.RC2", os.path.join(a, "ascend-toolkit", "latest"))
        os.symlink("cann-8.5.0", os.path.join(a, "cann"))
        os.makedirs(os.path.join(a, "driver"))
        with open(os.path.join(a, "driver", "version.info"), "w") as f:
            f.write("Version=25.2.3\n")
        return a

    def test_cann_old_and_new_layouts_both_found_env_decides_which_is_active(self):
        arch = platform.machine()
        with tempfile.TemporaryDirectory() as d:
            a = self._tree(d, arch)
            saved = dict(os.environ)
            try:
                for k in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH", "ATB_HOME_PATH", "ASCEND_ADAPT_SIM_ROOT"):
                    os.environ.pop(k, None)
                roots = [{"path": a, "source": "test"}]
                facts = env_probe.collect_ascend(roots)
                self.assertEqual(facts["cann"]["version"], "8.5.0", "without env: the cann link (>= 8.5 layout) first")
                self.assertEqual(facts["cann"]["layout"], "cann")
                self.assertEqual(sorted(i["version"] for i in facts["cannInstalls"]), ["8.3.RC2", "8.5.0"])
                self.assertEqual(facts["driver"]["version"], "25.2.3")
                self.assertFalse(facts["setEnv"]["cann"])
                os.environ["ASCEND_TOOLKIT_HOME"] = os.path.join(a, "ascend-toolkit", "latest")
                os.environ["LD_LIBRARY_PATH"] = os.path.join(a, "ascend-toolkit", "latest", "lib64")
                facts = env_probe.collect_ascend(roots)
                self.assertEqual(facts["cann"]["version"], "8.3.RC2")
                self.assertEqual(facts["cann"]["layout"], "ascend-toolkit")
                self.assertTrue(facts["setEnv"]["cann"])
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def test_cann_info_at_the_top_of_a_new_layout_install(self):
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "Ascend")
            os.makedirs(os.path.join(a, "cann-8.5.1"))
            with open(os.path.join(a, "cann-8.5.1", "ascend_toolkit_install.info"), "w") as f:
                f.write("package_name=Ascend-cann-toolkit\nversion=8.5.1\npath=%s\n" % os.path.join(a, "cann-8.5.1"))
            os.symlink("cann-8.5.1", os.path.join(a, "cann"))
            saved = dict(os.environ)
            try:
                for k in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
                    os.environ.pop(k, None)
                facts = env_probe.collect_ascend([{"path": a, "source": "test"}])
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.assertEqual(facts["cann"]["version"], "8.5.1")
            self.assertEqual(facts["cann"]["layout"], "cann")
            self.assertEqual(len(facts["cannInstalls"]), 1, "the link and the folder are one install")

    def test_disk_of_a_path_that_does_not_exist_yet_is_measured_at_its_parent(self):
        with tempfile.TemporaryDirectory() as d:
            out = env_probe.collect_disk([os.path.join(d, "models", "qwen")])
            self.assertEqual(out[0]["exists"], False)
            self.assertEqual(out[0]["probePath"], d)
            self.assertGreater(out[0]["freeMB"], 0)


if __name__ == "__main__":
    unittest.main()
