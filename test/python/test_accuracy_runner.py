"""The bundled accuracy runner end to end against real HTTP servers (the simulated server, and small servers
written here that return known log-probabilities or lack the completions API): exact known accuracy for every
protocol, log-likelihood ranking, interrupt + resume, refusals, and the lm-eval path with a stand-in lm_eval."""
import http.server
import json
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "test", "fixtures", "accuracy")
RUNNER = os.path.join(ROOT, "python", "accuracy", "run_accuracy.py")
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))

import openai_server as sim  # noqa: E402

KEY = os.path.join(FIX, "answer_key.jsonl")
DATA = os.path.join(FIX, "data")
QUIET = open(os.devnull, "w")  # the simulated server's access/start lines
FAMILY = {"gsm8k": [("gsm8k", "exact_match,strict-match"), ("gsm8k", "exact_match,flexible-extract")],
          "mmlu": [("mmlu", "acc,none"), ("mmlu_generative", "exact_match,get_response")],
          "math": [("hendrycks_math", "exact_match,none"), ("minerva_math", "exact_match,none")]}


def readlines(path):
    with open(path) as f:
        return [line for line in f if line.strip()]


def jload(path):
    with open(path) as f:
        return json.load(f)


def expected_accuracy(share, equivalence):
    """From the answer key alone (hand-labelled per protocol), independent of the scoring code: which entries
    the simulated server answers right, and what each task's filter and metric make of that answer."""
    entries = [json.loads(line) for line in readlines(KEY)]
    k = sim.AnswerKey(entries, share)
    per = {}
    for e, (_, _, ok) in zip(entries, k.entries):
        for task, metric in FAMILY[e["task"]]:
            key = "%s|%s" % (task, metric)
            exp = e.get("expect_correct" if ok else "expect_wrong", {})
            v = exp.get(key + "@" + equivalence, exp.get(key, ok)) if task == "minerva_math" else exp.get(key, ok)
            per.setdefault((task, metric), []).append(1.0 if v else 0.0)
    return {k: sum(v) / len(v) for k, v in per.items()}  # every group here is weighted by size: the item mean


def rows(result):
    return {(d["name"], d["metric"]): d for d in result["datasets"]}


def run_runner(url, out, *extra, **kw):
    argv = [sys.executable, RUNNER, "--base-url", url, "--out", out] + list(extra)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, **kw)


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="acc-test-")

    def server(self, **cfg):
        c = {"port": 0, "model": "sim-model", "access_log": False, "ttft_base_ms": 1.0, "ttft_per_prompt_token_ms": 0.0,
             "tpot_base_ms": 0.1, "tpot_per_inflight_ms": 0.0, "answer_key": KEY, "correct_share": 0.7, "log": QUIET}
        c.update(cfg)
        h = sim.start_in_thread(c)
        self.addCleanup(h.stop)
        return h

    def test_exact_known_accuracy_every_protocol(self):
        h = self.server()
        out = os.path.join(self.tmp, "r.json")
        p = run_runner(h.url + "/v1", out, "--tasks", "gsm8k,mmlu,mmlu_generative,hendrycks_math,minerva_math",
                       "--data", DATA, "--concurrency", "4")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        res = jload(out)
        self.assertTrue(res["simulated"])
        self.assertEqual(res["model"], "sim-model")  # taken from /v1/models
        got = rows(res)
        eq = got[("minerva_math", "exact_match,none")]["protocol"]["equivalence"]
        for key, v in expected_accuracy(0.7, eq).items():
            self.assertAlmostEqual(got[key]["value"], v, places=9, msg=key)
            self.assertEqual(got[key]["n"], 10)
        # the protocols disagree on the same outputs, as lm-eval's do
        self.assertNotEqual(got[("mmlu", "acc,none")]["value"], got[("mmlu_generative", "exact_match,get_response")]["value"])
        self.assertNotEqual(got[("hendrycks_math", "exact_match,none")]["value"], got[("minerva_math", "exact_match,none")]["value"])
        # groups and protocols as lm-eval keys them
        self.assertEqual(set(got[("mmlu", "acc,none")]["subjects"]), {"mmlu_astronomy", "mmlu_high_school_chemistry"})
        self.assertIn(("mmlu_stem", "acc,none"), got)
        self.assertEqual(set(got[("minerva_math", "exact_match,none")]["subjects"]), {"minerva_math_algebra", "minerva_math_prealgebra"})
        proto = got[("gsm8k", "exact_match,strict-match")]["protocol"]
        self.assertEqual({k: proto[k] for k in ("task", "version", "nShot", "fewshotSeed", "chat", "maxTokens", "filter")},
                         {"task": "gsm8k", "version": 3.0, "nShot": 5, "fewshotSeed": 1234, "chat": False,
                          "maxTokens": 256, "filter": "strict-match"})
        self.assertEqual(got[("mmlu", "acc,none")]["protocol"]["maxTokens"], None)
        self.assertEqual(got[("minerva_math", "exact_match,none")]["protocol"]["nShot"], 4)
        # evidence: one line per item with prompt, raw output, what the filters kept and the verdict
        items = [json.loads(line) for line in readlines(out + ".items.jsonl")]
        self.assertEqual(len(items), 50)
        g = [i for i in items if i["task"] == "gsm8k"][0]
        self.assertEqual(g["prompt"].count("Question:"), 6)  # 5 shots from gsm8k_train.jsonl + the question
        self.assertTrue(set(g) >= {"raw", "extracted", "target", "correct"})
        m = [i for i in items if i["task"] == "mmlu"][0]
        self.assertEqual(len(m["extracted"]["loglikelihoods"]), 4)
        self.assertIn("progress: gsm8k 10/10", p.stderr.decode())
        # what the server was asked: completions (lm-eval's default), seed and stop sequences as lm-eval sends them
        recs = h.stats()
        self.assertTrue(all(r["endpoint"] == "completions" for r in recs))

    def test_other_share_other_accuracy(self):
        h = self.server(correct_share=0.3)
        out = os.path.join(self.tmp, "r.json")
        p = run_runner(h.url, out, "--tasks", "gsm8k,mmlu", "--data", DATA, "--num-fewshot", "1")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        got = rows(jload(out))
        want = expected_accuracy(0.3, "string")
        for key in (("gsm8k", "exact_match,strict-match"), ("mmlu", "acc,none")):
            self.assertAlmostEqual(got[key]["value"], want[key], msg=key)
        self.assertEqual(got[("gsm8k", "exact_match,strict-match")]["protocol"]["nShot"], 1)

    def test_math_alias_says_what_it_runs(self):
        h = self.server()
        out = os.path.join(self.tmp, "r.json")
        p = run_runner(h.url, out, "--tasks", "math", "--data", DATA, "--limit", "3")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn("math is not an lm-eval task name: running lm-eval's minerva_math", p.stderr.decode())
        res = jload(out)
        self.assertEqual([d["name"] for d in res["datasets"]], ["minerva_math"])
        self.assertEqual(res["datasets"][0]["n"], 6)  # --limit 3 applies per MATH type: prealgebra, algebra
        self.assertIn("minerva_math", res["notes"][0])

    def test_interrupt_then_resume_gives_the_same_result(self):
        ref_srv = self.server()
        ref_out = os.path.join(self.tmp, "ref.json")
        self.assertEqual(run_runner(ref_srv.url, ref_out, "--tasks", "gsm8k,hendrycks_math", "--data", DATA).returncode, 0)
        slow = self.server(ttft_base_ms=150.0)
        out = os.path.join(self.tmp, "r.json")
        argv = [sys.executable, RUNNER, "--base-url", slow.url, "--out", out, "--tasks", "gsm8k,hendrycks_math",
                "--data", DATA, "--concurrency", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        items = out + ".items.jsonl"
        for _ in range(600):  # wait until a few items are on disk (not a timing assertion: just a wait)
            if os.path.exists(items) and len(readlines(items)) >= 4:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err.decode())
        self.assertFalse(jload(out)["complete"])
        done_before = len(readlines(items))
        self.assertGreaterEqual(done_before, 4)
        self.assertLess(done_before, 20)
        asked_before = len(slow.stats())
        with open(items, "a") as f:  # a write cut in half by the interruption
            f.write('{"task": "gsm8k", "id": "gsm8k.jsonl:9", "cut')
        p = run_runner(slow.url, out, "--tasks", "gsm8k,hendrycks_math", "--data", DATA, "--concurrency", "4")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn("resume: gsm8k", p.stderr.decode())
        final = jload(out)
        self.assertTrue(final["complete"])
        a, b = rows(jload(ref_out)), rows(final)
        self.assertEqual({k: v["value"] for k, v in a.items()}, {k: v["value"] for k, v in b.items()})
        self.assertEqual(len(slow.stats()) - asked_before, 20 - done_before)  # every item asked once over both runs
        # another protocol of the same items is not taken from the file
        p = run_runner(slow.url, out, "--tasks", "gsm8k", "--data", DATA, "--num-fewshot", "1", "--limit", "2")
        self.assertNotIn("resume: gsm8k", p.stderr.decode())

    def test_bad_inputs_are_named(self):
        h = self.server()
        out = os.path.join(self.tmp, "r.json")
        bad = os.path.join(self.tmp, "gsm8k.jsonl")
        with open(bad, "w") as f:
            f.write('{"question": "q", "answer": "no final answer"}\n')
        cases = [
            (["--tasks", "gsm8k", "--data", self.tmp], 2, "gsm8k.jsonl line 1"),
            (["--tasks", "gsm8k", "--engine", "bundled"], 2, "--data"),
            (["--tasks", "arc_easy", "--data", DATA, "--engine", "bundled"], 2, "not 'arc_easy'"),
            (["--tasks", "mmlu", "--data", DATA, "--chat", "yes"], 2, "needs the completions API"),
            (["--tasks", "gsm8k", "--data", DATA, "--num-fewshot", "9"], 2, "9-shot needs 9 few-shot examples, 7 available"),
            (["--tasks", "gsm8k", "--data", DATA, "--score-reasoning"], 2, "--chat yes"),
        ]
        for extra, code, msg in cases:
            p = run_runner(h.url, out, *extra)
            self.assertEqual(p.returncode, code, (extra, p.stderr.decode()))
            self.assertIn(msg, p.stderr.decode(), extra)
        p = run_runner("http://127.0.0.1:9", out, "--tasks", "gsm8k", "--data", DATA, "--engine", "bundled")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no server answers", p.stderr.decode())

    def test_server_errors_are_counted_not_scored(self):
        h = self.server(error_rate=1.0)
        out = os.path.join(self.tmp, "r.json")
        p = run_runner(h.url, out, "--tasks", "hendrycks_math", "--data", DATA, "--retries", "0")
        self.assertEqual(p.returncode, 1)
        r = rows(jload(out))[("hendrycks_math", "exact_match,none")]
        self.assertEqual((r["n"], r["errors"], r["value"]), (0, 10, None))


# ---------------------------------------------------------------------------------------------------------
class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.send_json(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})


class KnownLogprobs(_Quiet):
    """A completions endpoint with known log-probabilities: the continuation " A" is two tokens of -0.4 (sum -0.8),
    " B" one token of -0.6, " C" one of -0.7, " D" one of -2.0 — so B wins on the sum although A's tokens are
    each more likely. Prompt tokens before the continuation are single characters at -1.0."""
    CONT = {" A": [(" ", -0.4), ("A", -0.4)], " B": [(" B", -0.6)], " C": [(" C", -0.7)], " D": [(" D", -2.0)]}
    seen = []

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        KnownLogprobs.seen.append(req)
        choices = []
        for i, p in enumerate(req["prompt"]):
            cont = p[-2:]
            toks = [(c, -1.0) for c in p[:-2]] + self.CONT[cont] + [("\n", -0.1)]
            choices.append({"index": i, "text": p + "\n", "finish_reason": "length", "logprobs": {
                "tokens": [t for t, _ in toks], "token_logprobs": [None] + [v for _, v in toks[1:]],
                "top_logprobs": [None] + [{t: v} for t, v in toks[1:]],
                "text_offset": [sum(len(t) for t, _ in toks[:k]) for k in range(len(toks))]}})
        self.send_json(200, {"object": "text_completion", "choices": choices})


class ChatOnly(_Quiet):
    def do_POST(self):
        if self.path.endswith("/chat/completions"):
            self.send_json(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": "B"}}]})
        else:
            self.send_json(404, {"detail": "Not Found"})


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(case, handler):
    srv = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    case.addCleanup(srv.server_close)
    case.addCleanup(srv.shutdown)
    return srv


class LogLikelihoodTest(unittest.TestCase):
    def test_ranking_by_summed_logprobs_over_the_continuation(self):
        srv = serve(self, KnownLogprobs)
        tmp = tempfile.mkdtemp(prefix="ll-")
        data = os.path.join(tmp, "mmlu")
        os.makedirs(data)
        with open(os.path.join(data, "anatomy_test.csv"), "w") as f:
            f.write("Q1?,a,b,c,d,B\nQ2?,a,b,c,d,A\n")
        out = os.path.join(tmp, "r.json")
        p = run_runner("http://127.0.0.1:%d" % srv.server_address[1], out, "--tasks", "mmlu", "--data", tmp)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        res = jload(out)
        self.assertEqual(rows(res)[("mmlu", "acc,none")]["value"], 0.5)  # B chosen on both: right once
        items = [json.loads(line) for line in readlines(out + ".items.jsonl")]
        self.assertEqual([i["extracted"]["choice"] for i in items], ["B", "B"])
        self.assertEqual(items[0]["extracted"]["loglikelihoods"], [-0.8, -0.6, -0.7, -2.0])
        # Items are scored concurrently: find the request of the first question, not the first to arrive.
        req = next(r for r in KnownLogprobs.seen if "Q1?" in r["prompt"][1])
        self.assertEqual({k: req[k] for k in ("echo", "logprobs", "max_tokens", "temperature", "seed")},
                         {"echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0, "seed": 1234})
        self.assertEqual(req["prompt"][1], "The following are multiple choice questions (with answers) about anatomy.\n\n"
                                           "Q1?\nA. a\nB. b\nC. c\nD. d\nAnswer: B")

    def test_chat_only_server_is_told_to_use_mmlu_generative(self):
        srv = serve(self, ChatOnly)
        out = os.path.join(tempfile.mkdtemp(prefix="co-"), "r.json")
        p = run_runner("http://127.0.0.1:%d" % srv.server_address[1], out, "--tasks", "mmlu", "--data", DATA)
        self.assertEqual(p.returncode, 1, p.stderr.decode())
        err = p.stderr.decode()
        self.assertIn("mmlu is scored by log-likelihood, which needs the completions API", err)
        self.assertIn("Run mmlu_generative instead", err)
        r = rows(jload(out))[("mmlu", "acc,none")]
        self.assertEqual((r["value"], r["n"]), (None, 0))
        self.assertIn("mmlu_generative", r["note"])


class LmEvalPathTest(unittest.TestCase):
    def setUp(self):
        self.h = sim.start_in_thread({"port": 0, "model": "vllm-ascend/Qwen3-8B-W8A8", "access_log": False,
                                      "ttft_base_ms": 1.0, "tpot_base_ms": 0.1, "log": QUIET})
        self.addCleanup(self.h.stop)
        self.tmp = tempfile.mkdtemp(prefix="lmeval-")

    def run_lm(self, *extra, values=None, path_bin=True):
        argv_log = os.path.join(self.tmp, "argv.jsonl")
        env = dict(os.environ, FAKE_LM_EVAL_ARGV=argv_log, FAKE_LM_EVAL_VALUES=json.dumps(values or {}))
        if path_bin:
            env["PATH"] = os.path.join(FIX, "bin") + os.pathsep + os.environ.get("PATH", "")
        out = os.path.join(self.tmp, "r.json")
        p = run_runner(self.h.url, out, "--model", "vllm-ascend/Qwen3-8B-W8A8", *extra, env=env)
        argv = json.loads(readlines(argv_log)[-1]) if os.path.exists(argv_log) else None
        return p, out, argv

    def test_config_json_through_stand_in_lm_eval(self):
        cfg = os.path.join(self.tmp, "cfg.json")
        with open(cfg, "w") as f:
            json.dump({"source": "lm_eval_config_Qwen3-8B-W8A8.yaml", "tasks": ["gsm8k"], "num_fewshot": 5,
                       "apply_chat_template": True, "fewshot_as_multiturn": True}, f)
        p, out, argv = self.run_lm("--config-json", cfg, "--concurrency", "16",
                                   values={"gsm8k": {"exact_match,strict-match": 0.79, "exact_match,flexible-extract": 0.7}})
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        res = jload(out)
        self.assertEqual(res["engine"], "lm-eval")  # auto: lm_eval found on PATH
        self.assertEqual(argv[argv.index("--model") + 1], "local-chat-completions")
        margs = argv[argv.index("--model_args") + 1]
        self.assertIn("base_url=%s/v1/chat/completions" % self.h.url, margs)
        self.assertIn("num_concurrent=16", margs)
        self.assertEqual(argv[argv.index("--num_fewshot") + 1], "5")
        self.assertIn("--apply_chat_template", argv)
        self.assertIn("--fewshot_as_multiturn", argv)
        got = rows(res)
        strict = got[("gsm8k", "exact_match,strict-match")]
        self.assertEqual((strict["value"], strict["stderr"]), (0.79, 0.01))
        self.assertEqual({k: strict["protocol"][k] for k in ("task", "nShot", "chat", "fewshotSeed", "filter", "multiturn")},
                         {"task": "gsm8k", "nShot": 5, "chat": True, "fewshotSeed": 1234, "filter": "strict-match",
                          "multiturn": True})
        self.assertEqual(len(res["lm_eval"]["samples_files"]), 1)
        self.assertEqual(len(self.h.stats()), 1)  # the stand-in really asked the endpoint

    def test_log_likelihood_tasks_go_through_local_completions(self):
        p, out, argv = self.run_lm("--tasks", "mmlu,gsm8k", "--fewshot-seed", "7", "--max-tokens", "128")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(argv[argv.index("--model") + 1], "local-completions")
        self.assertNotIn("tokenized_requests=False", argv[argv.index("--model_args") + 1])  # lm-eval needs its tokenizer
        self.assertEqual(argv[argv.index("--seed") + 1], "0,1234,1234,7")
        self.assertEqual(argv[argv.index("--gen_kwargs") + 1], "max_gen_toks=128")
        self.assertIn("tokenizer=PATH", p.stderr.decode())
        p, _, _ = self.run_lm("--tasks", "mmlu", "--chat", "yes")
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs the completions API", p.stderr.decode())

    def test_missing_lm_eval_is_a_sentence(self):
        p, out, _ = self.run_lm("--tasks", "gsm8k", "--engine", "lm-eval", "--lm-eval", "/nonexistent/lm_eval",
                                path_bin=False)
        self.assertEqual(p.returncode, 2)
        err = p.stderr.decode()
        self.assertIn("lm-eval is not installed on this host", err)
        self.assertNotIn("Errno", err)

    def test_lm_eval_failure_is_reported(self):
        # completions + a base_url that is not the endpoint: the stand-in fails like lm-eval → exit 1
        p, out, _ = self.run_lm("--tasks", "gsm8k", "--engine", "lm-eval", "--lm-eval", os.path.join(FIX, "bin", "lm_eval"),
                                "--lm-eval-model-args", "base_url=http://127.0.0.1:9/v1/chat/completions", path_bin=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("lm_eval exited", jload(out)["error"])


if __name__ == "__main__":
    unittest.main()
