"""The simulated OpenAI-compatible server (python/sim/openai_server.py), spoken to over real HTTP."""
import http.client
import json
import os
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "sim"))

import openai_server as sim  # noqa: E402

FAST = {"ttft_base_ms": 5.0, "ttft_per_prompt_token_ms": 0.0, "tpot_base_ms": 1.0, "tpot_per_inflight_ms": 0.0,
        "access_log": False, "port": 0, "model": "sim-qwen", "log": open(os.devnull, "w")}


def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"content-type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("x-ascend-adapt-simulated"), data


def wait_stats(h, n):
    """The server records a request right after its last byte; the client may have read it a moment before."""
    for _ in range(500):
        if len(h.stats()) >= n:
            break
        time.sleep(0.01)
    return h.stats()


def sse_events(raw):
    out = []
    for block in raw.decode("utf-8").split("\n\n"):
        block = block.strip()
        if block.startswith("data: "):
            out.append(block[6:])
    return out


class ServerTest(unittest.TestCase):
    def start(self, **cfg):
        c = dict(FAST)
        c.update(cfg)
        h = sim.start_in_thread(c)
        self.addCleanup(h.stop)
        return h

    def test_tokenizer_round_trips(self):
        for text in ["", "a", "Hello, world!  ", "#### 42\nThe answer is (B).", "中文 测试"]:
            self.assertEqual("".join(sim.tokenize(text)), text)
        self.assertEqual(sim.count_tokens("The answer is 42."), 5)

    def test_health_models_marked_simulated(self):
        h = self.start()
        st, mark, _ = request(h.port, "GET", "/health")
        self.assertEqual((st, mark), (200, "1"))
        st, _, body = request(h.port, "GET", "/v1/models")
        m = json.loads(body)
        self.assertEqual(m["data"][0]["id"], "sim-qwen")
        self.assertEqual(m["data"][0]["owned_by"], "ascend-adapt-simulated")

    def test_chat_stream_shape_and_usage(self):
        h = self.start()
        st, _, raw = request(h.port, "POST", "/v1/chat/completions", {
            "model": "sim-qwen", "messages": [{"role": "user", "content": "one two three"}], "max_tokens": 7,
            "stream": True, "stream_options": {"include_usage": True}, "ignore_eos": True})
        self.assertEqual(st, 200)
        ev = sse_events(raw)
        self.assertEqual(ev[-1], "[DONE]")
        chunks = [json.loads(e) for e in ev[:-1]]
        self.assertEqual(chunks[0]["choices"][0]["delta"], {"role": "assistant", "content": ""})
        content = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
        self.assertEqual(len(content), 7)
        self.assertEqual(content[-1]["choices"][0]["finish_reason"], "length")
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(chunks[-1]["usage"]["prompt_tokens"], 3)
        self.assertEqual(chunks[-1]["usage"]["completion_tokens"], 7)
        self.assertTrue(all(c["simulated"] for c in chunks))
        rec = wait_stats(h, 1)[-1]
        self.assertEqual(rec["status"], "ok")
        self.assertGreaterEqual(rec["ttft_ms"], 5.0)
        self.assertIsNotNone(rec["tpot_ms"])

    def test_non_stream_deterministic(self):
        h = self.start()
        body = {"model": "sim-qwen", "prompt": "Question: what?", "max_tokens": 50}
        a = json.loads(request(h.port, "POST", "/v1/completions", body)[2])
        b = json.loads(request(h.port, "POST", "/v1/completions", body)[2])
        self.assertEqual(a["choices"][0]["text"], b["choices"][0]["text"])
        self.assertTrue(a["choices"][0]["text"].startswith("[simulated]"))
        self.assertEqual(a["usage"]["completion_tokens"], sim.count_tokens(a["choices"][0]["text"]))

    def test_errors(self):
        h = self.start()
        self.assertEqual(request(h.port, "POST", "/v1/completions", {"model": "nope", "prompt": "x"})[0], 404)
        self.assertEqual(request(h.port, "POST", "/v1/completions", {"model": "sim-qwen"})[0], 400)
        self.assertEqual(request(h.port, "POST", "/v1/completions", {"model": "sim-qwen", "prompt": "x",
                                                                     "max_tokens": 99999})[0], 400)
        self.assertEqual(request(h.port, "GET", "/nothing")[0], 404)

    def test_answer_key_exact_share(self):
        entries = [{"match": "Q%d?" % i, "answer": "The answer is %d.\n#### %d" % (i, i)} for i in range(20)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for e in entries:
                f.write(json.dumps(e) + "\n")
        self.addCleanup(os.unlink, f.name)
        h = self.start(answer_key=f.name, correct_share=0.7)
        right = 0
        for i in range(20):
            # A few-shot example before the real question must not be matched.
            prompt = "Q%d?\n#### %d\n\nQ%d?" % ((i + 1) % 20, (i + 1) % 20, i)
            out = json.loads(request(h.port, "POST", "/v1/completions", {"model": "sim-qwen", "prompt": prompt})[2])
            text = out["choices"][0]["text"]
            if text.endswith("#### %d" % i):
                right += 1
        self.assertEqual(right, 14)

    def test_injected_errors_and_drops(self):
        h = self.start(error_rate=0.25, drop_rate=0.25)
        statuses = []
        for _ in range(8):
            try:
                st, _, raw = request(h.port, "POST", "/v1/chat/completions", {
                    "model": "sim-qwen", "messages": [{"role": "user", "content": "x"}], "max_tokens": 6,
                    "ignore_eos": True, "stream": True})
                statuses.append("ok" if st == 200 and raw.rstrip().endswith(b"[DONE]") else str(st))
            except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException):
                statuses.append("dropped")
        self.assertEqual(statuses.count("500"), 2)
        self.assertEqual(statuses.count("dropped"), 2)
        self.assertEqual([r["status"] for r in wait_stats(h, 8)].count("dropped"), 2)


if __name__ == "__main__":
    unittest.main()
