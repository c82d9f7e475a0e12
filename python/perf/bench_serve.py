#!/usr/bin/env python3
"""Serving benchmark for an OpenAI-compatible endpoint (stdlib only, Python >= 3.8).

Two engines, one result file:
  * bundled (default when `vllm bench serve` is missing): an asyncio client over python/httpclient.py —
    HTTP/1.1 as servers speak it (keep-alive honoured, a kept-alive connection the server closed is replaced
    without losing the request: `reconnects`), streaming (SSE over chunked transfer), Poisson arrivals (or
    gamma with --burstiness, as vLLM's benchmark does) and/or a cap on requests in flight;
  * vllm: runs `vllm bench serve ... --save-result` once per concurrency and reads its JSON;
  * aisbench (asked for with --engine aisbench): runs `ais_bench --models vllm_api_stream_chat --datasets
    gsm8k_gen_0_shot_cot_str_perf --summarizer default_perf --mode perf` once per concurrency (batch_size) with
    this run's model config (python/aisbench.py) and reads its performance CSV/JSON.

Metric names and meanings follow vLLM's benchmark (vllm/benchmarks/serve.py):
  request_throughput (req/s), output_throughput (tok/s), total_token_throughput (tok/s),
  {mean,median,std,p50,p90,p99}_{ttft,tpot,itl,e2el}_ms,
  TTFT = request sent -> first content token received; TPOT = (E2EL - TTFT) / (output tokens - 1);
  ITL = gaps between consecutive content chunks; E2EL = request sent -> end of the stream.
Output tokens and prompt tokens come from the server's usage chunk when it sends one (the client asks for it),
else from the number of content chunks / an estimate.

Honest records: every finished request is appended (and flushed) to --requests-file as it ends. Only a request
that succeeded has latencies (TTFT only when a first token arrived); statistics are over successful requests;
failures are counted by kind (http_500, stalled, timeout, closed_before_response, ...). No successful request
→ no latency figures at all (never 0.00).
Timeouts: --request-timeout S (whole request), --stall-timeout S (no byte for S s, default 60): a request that
hits one fails and the run goes on.
Interrupts: SIGINT/SIGTERM stop the run at once; the result file is still written, marked "interrupted",
with each run's completed requests (the run in progress marked too); requests cut in flight are counted, not
failed. Prompts are made one at a time as they are sent (memory does not grow with --num-prompts).
While it runs, `npu-smi info` is sampled (when present) and per-device HBM peak is reported.
Progress lines: "progress: run <run>/<runs> concurrency=<c> <done>/<total> failed=<f>" on stderr.

Usage: bench_serve.py --base-url http://127.0.0.1:8000 --model NAME --out result.json
       [--endpoint /v1/completions] [--num-prompts 200] [--input-len 256 --output-len 128]
       [--dataset-name random|sharegpt --dataset-path FILE] [--request-rate inf] [--burstiness 1.0]
       [--max-concurrency 1,8,32] [--engine auto|bundled|vllm] [--requests-file FILE] [--seed 0]
       [--request-timeout S] [--stall-timeout 60]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from array import array
from urllib.parse import urlsplit

# python/ itself, for the modules the host jobs share (endpoint.py, httpclient.py).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import aisbench  # noqa: E402
import endpoint  # noqa: E402
import httpclient  # noqa: E402
from httpclient import now  # noqa: E402

SCHEMA = "ascend-adapt.perf/1"
PERCENTILES = (50, 90, 99)
METRICS = ("ttft", "tpot", "itl", "e2el")
MAX_PROMPTS = 1000000

_WORDS = (
    "time person year way day thing man world life hand part child eye woman place work week case point "
    "government company number group problem fact system program question night home water room mother area "
    "money story month lot right study book job word business issue side kind head house service friend "
    "father power hour game line end member law car city community name president team minute idea body "
    "information back parent face others level office door health art war history party result change morning "
    "reason research girl guy moment air teacher force education"
).split()


# ---------------------------------------------------------------------------------------------------
# Statistics, as numpy does them (percentile: linear interpolation; std: population)
# ---------------------------------------------------------------------------------------------------
def percentile(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    k = (len(sorted_vals) - 1) * (p / 100.0)
    f = math.floor(k)
    c = min(f + 1, len(sorted_vals) - 1)
    return sorted_vals[f] + (sorted_vals[c] - sorted_vals[f]) * (k - f)


def _pname(p):
    return str(int(p)) if float(p).is_integer() else str(p)


class Dist(object):
    """Values of one metric (seconds). Exact up to EXACT_MAX values (8 bytes each); past that a log histogram with
    0.05 % relative bins, so memory stays bounded whatever --num-prompts is (percentiles then within 0.05 %)."""
    EXACT_MAX = 1 << 21
    _STEP = math.log(1.001)

    def __init__(self):
        self.vals = array("d")
        self.hist = None
        self.n = 0
        self.total = 0.0
        self.total_sq = 0.0

    def add(self, v):
        self.n += 1
        self.total += v
        self.total_sq += v * v
        if self.hist is None:
            self.vals.append(v)
            if len(self.vals) > self.EXACT_MAX:
                self.hist = {}
                for x in self.vals:
                    self._bin(x)
                self.vals = array("d")
        else:
            self._bin(v)

    def _bin(self, v):
        k = int(math.floor(math.log(v / 1e-7) / self._STEP)) if v > 1e-7 else -1
        self.hist[k] = self.hist.get(k, 0) + 1

    def summarize(self, name, out, pcts=PERCENTILES):
        """out[mean_<name>_ms] ... in milliseconds; nothing when there are no values."""
        if not self.n:
            return
        mean = self.total / self.n * 1000.0
        out["mean_%s_ms" % name] = mean
        if self.hist is None:
            v = sorted(x * 1000.0 for x in self.vals)
            out["std_%s_ms" % name] = math.sqrt(sum((x - mean) ** 2 for x in v) / len(v))
            out["median_%s_ms" % name] = percentile(v, 50)
            for p in pcts:
                out["p%s_%s_ms" % (_pname(p), name)] = percentile(v, p)
            return
        var = max(0.0, self.total_sq / self.n - (self.total / self.n) ** 2)
        out["std_%s_ms" % name] = math.sqrt(var) * 1000.0
        out["median_%s_ms" % name] = self._hist_pct(50)
        for p in pcts:
            out["p%s_%s_ms" % (_pname(p), name)] = self._hist_pct(p)

    def _hist_pct(self, p):
        want = (self.n - 1) * p / 100.0
        seen = 0
        for k in sorted(self.hist):
            seen += self.hist[k]
            if seen > want:
                return 0.0 if k < 0 else 1e-7 * math.exp((k + 0.5) * self._STEP) * 1000.0
        return 0.0


def summarize(vals_s, name, out, pcts=PERCENTILES):
    d = Dist()
    for v in vals_s:
        d.add(v)
    d.summarize(name, out, pcts)


# ---------------------------------------------------------------------------------------------------
# Prompts, made one at a time as they are sent
# ---------------------------------------------------------------------------------------------------
class RandomPrompts(object):
    """Prompt i of N from its own seeded generator: the same prompt whatever order they are asked in, and no list
    of N prompts in memory."""

    def __init__(self, n, input_len, output_len, seed, range_ratio=0.0):
        self.n = n
        self.input_len = input_len
        self.output_len = output_len
        self.seed = seed
        self.range_ratio = range_ratio

    def __len__(self):
        return self.n

    def get(self, i):
        rng = random.Random(self.seed * 1000003 + i)
        rr = self.range_ratio
        lo = max(1, int(self.input_len * (1 - rr)))
        hi = max(lo, int(self.input_len * (1 + rr)))
        il = rng.randint(lo, hi) if hi > lo else lo
        olo = max(1, int(self.output_len * (1 - rr)))
        ohi = max(olo, int(self.output_len * (1 + rr)))
        ol = rng.randint(olo, ohi) if ohi > olo else olo
        # one common English word per token for most tokenizers; a unique head keeps prefix caches honest
        words = ["%d" % i] + [rng.choice(_WORDS) for _ in range(il - 1)]
        return {"prompt": " ".join(words), "prompt_len": il, "output_len": ol}


class ListPrompts(object):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def get(self, i):
        return self.items[i]


def random_prompts(n, input_len, output_len, seed, range_ratio=0.0):
    src = RandomPrompts(n, input_len, output_len, seed, range_ratio)
    return [src.get(i) for i in range(n)]


def sharegpt_prompts(path, n, output_len, seed):
    """ShareGPT JSON: [{"conversations":[{"from":"human","value":...},{"from":"gpt","value":...}]}...]."""
    with open(path, "r", encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, list):
        raise ValueError("%s: a ShareGPT file is a JSON list of conversations" % path)
    rng = random.Random(seed)
    convs = [d for d in data if isinstance(d, dict) and isinstance(d.get("conversations"), list)
             and len(d["conversations"]) >= 2]
    rng.shuffle(convs)
    out = []
    for d in convs:
        c = d["conversations"]
        prompt, completion = c[0].get("value"), c[1].get("value")
        if not isinstance(prompt, str) or not isinstance(completion, str) or not prompt.strip():
            continue
        plen = _estimate_tokens(prompt)
        olen = output_len or max(4, _estimate_tokens(completion))
        if plen < 4 or (not output_len and olen < 4):
            continue
        if plen > 1024 or plen + olen > 2048:  # vLLM's sharegpt filter
            continue
        out.append({"prompt": prompt, "prompt_len": plen, "output_len": olen})
        if len(out) >= n:
            break
    if len(out) < n:
        raise ValueError("%s: only %d usable conversations for --num-prompts %d" % (path, len(out), n))
    return out


def _estimate_tokens(text):
    return len(re.findall(r"\w+|[^\w\s]", text))


# ---------------------------------------------------------------------------------------------------
# One request: what came back, read as it arrives (a httpclient sink)
# ---------------------------------------------------------------------------------------------------
class RequestResult(httpclient.Sink):
    __slots__ = ("index", "prompt_len", "output_len_req", "success", "error", "kind", "status", "start", "ttft",
                 "itl", "latency", "output_tokens", "prompt_tokens", "chunks", "text_len", "simulated",
                 "finish_reason", "reconnects", "ended", "sse", "body", "sse_buf", "done_seen", "last_data",
                 "_last", "_usage")

    def __init__(self, index, prompt_len, output_len_req):
        self.index = index
        self.prompt_len = prompt_len
        self.output_len_req = output_len_req
        self.success = False
        self.error = ""
        self.kind = None
        self.status = None
        self.start = 0.0
        self.ttft = None
        self.itl = []
        self.latency = None
        self.output_tokens = None
        self.prompt_tokens = None
        self.chunks = 0
        self.text_len = 0
        self.simulated = False
        self.finish_reason = None
        self.reconnects = 0
        self.ended = None
        self.sse = False
        self.body = bytearray()
        self.sse_buf = bytearray()
        self.done_seen = False
        self.last_data = None
        self._last = None
        self._usage = None

    # -- httpclient.Sink ------------------------------------------------------------------------------
    def on_head(self, status, headers):
        self.status = status
        self.sse = status == 200 and headers.get("content-type", "").startswith("text/event-stream")
        if headers.get("x-ascend-adapt-simulated") == "1":
            self.simulated = True

    def on_body(self, data, ts):
        if not self.sse:
            if len(self.body) < 64 * 1024 * 1024:
                self.body += data
            return
        sb = self.sse_buf
        sb += data
        while True:
            i = sb.find(b"\n\n")
            j = sb.find(b"\r\n\r\n")
            if i < 0 and j < 0:
                break
            if j >= 0 and (i < 0 or j < i):
                ev, cut = sb[:j], j + 4
            else:
                ev, cut = sb[:i], i + 2
            del sb[:cut]
            self._event(bytes(ev), ts)

    def _event(self, ev, ts):
        data = []
        for line in ev.replace(b"\r\n", b"\n").split(b"\n"):
            if line.startswith(b"data:"):
                data.append(line[5:].lstrip(b" "))
            # comments (":"), event:, id:, retry: carry no tokens
        if not data:
            return
        payload = b"\n".join(data)
        if payload.strip() == b"[DONE]":
            self.done_seen = True
            return
        try:
            obj = json.loads(payload.decode("utf-8"))
        except ValueError as e:
            self._bad("unreadable SSE data: %s" % e)
            return
        self.last_data = ts
        if not isinstance(obj, dict):
            self._bad("SSE data is not a JSON object")
            return
        if obj.get("error"):
            err = obj["error"]
            if not self.error:
                self.error = "error event: %s" % (err.get("message") if isinstance(err, dict) else err)
                self.kind = "error_event"
            return
        if obj.get("simulated") is True:
            self.simulated = True
        u = obj.get("usage")
        if isinstance(u, dict):
            self._usage = u
        for ch in obj.get("choices") or ():
            if not isinstance(ch, dict):
                continue
            delta = ch.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else ch.get("text")
            if isinstance(delta, dict) and not text:
                text = delta.get("reasoning_content") or delta.get("reasoning")
            if ch.get("finish_reason"):
                self.finish_reason = ch["finish_reason"]
            if text:
                self.chunks += 1
                self.text_len += len(text)
                if self.ttft is None:
                    self.ttft = ts - self.start
                else:
                    self.itl.append(ts - self._last)
                self._last = ts

    def _bad(self, msg):
        if not self.error:
            self.error = msg
            self.kind = "bad_response"

    # -- the verdict ----------------------------------------------------------------------------------
    def finish(self, outcome, t_end=None):
        """outcome: None (a complete HTTP response) or (kind, message) from httpclient."""
        self.ended = t_end if t_end is not None else now()
        if outcome is not None:
            self._failed(outcome[0], outcome[1])
            return
        if self.status != 200:
            self._failed("http_%s" % self.status, "HTTP %s: %s" % (self.status, httpclient.error_text(bytes(self.body))))
            return
        if self.error:
            self._failed(self.kind or "bad_response", self.error)
            return
        if self.sse:
            if not self.done_seen:
                self._failed("incomplete_stream", "stream ended without [DONE] after %d chunks" % self.chunks)
                return
            # vLLM: latency = the last data event (content or usage) - start
            self.latency = (self.last_data if self.last_data is not None else self.ended) - self.start
        else:  # a non-streaming answer (e.g. --no-stream): TTFT = latency, as vLLM does
            try:
                obj = json.loads(bytes(self.body).decode("utf-8"))
                ch = (obj.get("choices") or [{}])[0]
                text = (ch.get("message") or {}).get("content") if "message" in ch else ch.get("text")
                self._usage = obj.get("usage") if isinstance(obj.get("usage"), dict) else None
                self.chunks = 1 if text else 0
                self.finish_reason = ch.get("finish_reason")
                if obj.get("simulated") is True:
                    self.simulated = True
            except (ValueError, AttributeError, TypeError) as e:
                self._failed("bad_response", "bad JSON body: %s" % e)
                return
            self.latency = self.ended - self.start
            self.ttft = self.latency if self.chunks else None
        u = self._usage or {}
        self.output_tokens = u.get("completion_tokens") if isinstance(u.get("completion_tokens"), int) else self.chunks
        self.prompt_tokens = u.get("prompt_tokens") if isinstance(u.get("prompt_tokens"), int) else self.prompt_len
        if not self.output_tokens or self.ttft is None:
            self._failed("no_tokens", "no tokens in the answer")
            return
        self.success = True
        self.body = bytearray()

    def _failed(self, kind, message):
        """A failed request has no latencies: whatever partly arrived is evidence (chunks), not timing."""
        self.success = False
        self.kind = kind
        self.error = message
        self.ttft = None
        self.itl = []
        self.latency = None
        self.output_tokens = None
        self.body = bytearray()


def request_record(r, concurrency, t0, run=None):
    ok = r.success
    rec = {"i": r.index, "run": run, "concurrency": concurrency, "success": ok, "error": r.error or None,
           "error_kind": r.kind if not ok else None, "http_status": r.status, "start_s": round(r.start - t0, 6),
           "ttft_ms": r.ttft * 1000.0 if ok and r.ttft is not None else None,
           "e2el_ms": r.latency * 1000.0 if ok else None,
           "tpot_ms": ((r.latency - r.ttft) * 1000.0 / (r.output_tokens - 1)) if ok and r.output_tokens > 1 else None,
           "prompt_tokens": r.prompt_tokens if r.prompt_tokens is not None else r.prompt_len,
           "output_tokens": r.output_tokens if ok else None, "chunks": r.chunks, "finish_reason": r.finish_reason,
           "itl_ms": [round(x * 1000.0, 4) for x in r.itl] if ok else [], "reconnects": r.reconnects}
    if not ok and r.ended is not None and r.start:
        rec["failed_after_ms"] = round((r.ended - r.start) * 1000.0, 3)
    return rec


def _error_key(msg):
    return re.sub(r"\d+ chunks", "N chunks", msg or "unknown")


class RunStats(object):
    """A run's figures, gathered request by request (no list of results kept)."""

    def __init__(self, t0):
        self.t0 = t0
        self.completed = 0
        self.failed = 0
        self.interrupted = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.dists = dict((m, Dist()) for m in METRICS)
        self.buckets = {}
        self.errors = {}
        self.failures = {}
        self.reconnects = 0
        self.simulated = False
        self.peak_inflight = 0

    def add(self, r):
        self.reconnects += r.reconnects
        if r.simulated:
            self.simulated = True
        if not r.success:
            self.failed += 1
            k = _error_key(r.error)
            self.errors[k] = self.errors.get(k, 0) + 1
            self.failures[r.kind] = self.failures.get(r.kind, 0) + 1
            return
        self.completed += 1
        self.input_tokens += r.prompt_tokens
        self.output_tokens += r.output_tokens
        d = self.dists
        d["ttft"].add(r.ttft)
        d["e2el"].add(r.latency)
        if r.output_tokens > 1:
            d["tpot"].add((r.latency - r.ttft) / (r.output_tokens - 1))
        itl = d["itl"]
        t = r.start + r.ttft
        b = self.buckets
        k = int(t - self.t0)
        b[k] = b.get(k, 0) + 1
        for g in r.itl:
            itl.add(g)
            t += g
            k = int(t - self.t0)
            b[k] = b.get(k, 0) + 1

    def metrics(self, duration, percentiles=PERCENTILES):
        m = {"duration": duration, "completed": self.completed, "failed": self.failed,
             "total_input_tokens": self.input_tokens, "total_output_tokens": self.output_tokens}
        m["request_throughput"] = self.completed / duration if duration > 0 else 0.0
        m["output_throughput"] = self.output_tokens / duration if duration > 0 else 0.0
        m["total_token_throughput"] = (self.input_tokens + self.output_tokens) / duration if duration > 0 else 0.0
        for name in METRICS:
            self.dists[name].summarize(name, m, percentiles)
        m["max_output_tokens_per_s"] = float(max(self.buckets.values())) if self.buckets else 0.0
        m["max_concurrent_requests"] = self.peak_inflight
        return m


def compute_metrics(results, duration, t0, percentiles=PERCENTILES):
    st = RunStats(t0)
    for r in results:
        st.add(r)
    events = sorted([(r.start, 1) for r in results] + [(r.start + (r.latency or 0.0), -1) for r in results])
    cur = 0
    for _, d in events:
        cur += d
        st.peak_inflight = max(st.peak_inflight, cur)
    return st.metrics(duration, percentiles)


def request_body(endpoint, model, prompt, max_tokens, ignore_eos, stream=True, temperature=0.0):
    b = {"model": model, "max_tokens": max_tokens, "temperature": temperature, "stream": stream}
    if stream:
        b["stream_options"] = {"include_usage": True}
    if ignore_eos:
        b["ignore_eos"] = True
    if endpoint.endswith("/chat/completions"):
        b["messages"] = [{"role": "user", "content": prompt}]
    else:
        b["prompt"] = prompt
    return b


def arrival_times(rate, burstiness, seed):
    """Arrival offsets (s from start), one at a time — gamma intervals with mean 1/rate, like vLLM's get_request."""
    if rate is None or math.isinf(rate) or rate <= 0:
        while True:
            yield 0.0
    rng = random.Random(seed)
    theta = 1.0 / (rate * burstiness)
    t = 0.0
    while True:
        yield t
        t += rng.gammavariate(burstiness, theta)


def arrival_offsets(n, rate, burstiness, seed):
    g = arrival_times(rate, burstiness, seed)
    return [next(g) for _ in range(n)]


def open_file_limit():
    """Raise the soft open-file limit to the hard one (as vLLM's benchmark does); returns the soft limit."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
                soft = want
            except (ValueError, OSError):
                pass
        return soft
    except ImportError:
        return 1024


async def _sleep_until(t, stop):
    while not stop.is_set():
        d = t - now()
        if d <= 0:
            return
        await asyncio.sleep(min(d, 0.25))


async def run_once(client, source, endpoint, model, rate, burstiness, concurrency, ignore_eos, seed,
                   stream=True, progress=None, on_request=None, stop=None, cap=None):
    """One run over every prompt of `source`. Returns (RunStats, duration, t0). Requests are made as they are due;
    `cap` bounds requests in flight when --max-concurrency does not (open files)."""
    n = len(source)
    stop = stop or threading.Event()
    limit = concurrency or cap
    sem = asyncio.Semaphore(limit) if limit else None
    t0 = now()
    st = RunStats(t0)
    state = {"done": 0, "inflight": 0}
    tasks = set()

    async def one(i):
        p = source.get(i)
        r = RequestResult(i, p["prompt_len"], p["output_len"])
        payload = client.build(endpoint, request_body(endpoint, model, p["prompt"], p["output_len"], ignore_eos, stream))
        state["inflight"] += 1
        if state["inflight"] > st.peak_inflight:
            st.peak_inflight = state["inflight"]
        try:
            out = await client.request(payload, r)
        finally:
            state["inflight"] -= 1
            if sem is not None:
                sem.release()
        r.finish(out)
        if r.kind == httpclient.FAIL_INTERRUPTED:
            st.interrupted += 1
            return
        st.add(r)
        state["done"] += 1
        if on_request:
            on_request(r, t0)
        if progress:
            progress(state["done"], n, st.failed)

    arrivals = arrival_times(rate, burstiness, seed)
    for i in range(n):
        due = t0 + next(arrivals)
        if due > now():
            await _sleep_until(due, stop)
        if sem is not None:
            await sem.acquire()
        if stop.is_set():
            if sem is not None:
                sem.release()
            break
        t = asyncio.ensure_future(one(i))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)
    st.not_started = n - state["done"] - st.interrupted
    return st, now() - t0, t0


# ---------------------------------------------------------------------------------------------------
# npu-smi HBM sampling
# ---------------------------------------------------------------------------------------------------
_PAIR = re.compile(r"(\d+)\s*/\s*(\d+)")


def parse_npu_smi_memory(text):
    """{"<npu>" or "<npu>.<chip>": {"used_mb": int, "total_mb": int, "kind": "hbm"|"ddr"}} from `npu-smi info`."""
    out = {}
    has_hbm = "HBM-Usage" in text
    npu = None
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("|") or s.startswith("|="):
            continue
        cells = [c.strip() for c in s.strip("|").split("|")]
        if len(cells) < 3:
            continue
        m1 = re.match(r"^(\d+)\s+(\S.*)$", cells[0])
        if m1 and not re.match(r"^\d+\s+\d+$", cells[0]) and "No running" not in s:
            npu = m1.group(1)
            continue
        m2 = re.match(r"^(\d+)(\s+\d+)?$", cells[0])
        if npu is not None and m2 and re.match(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:", cells[1] or ""):
            pairs = _PAIR.findall(cells[-1])
            if pairs:
                used, total = pairs[-1]
                chip = m2.group(1)
                key = npu if chip == "0" else "%s.%s" % (npu, chip)
                out[key] = {"used_mb": int(used), "total_mb": int(total), "kind": "hbm" if has_hbm else "ddr"}
    return out


class HbmSampler(object):
    def __init__(self, interval, samples_file=None):
        self.interval = interval
        self.samples_file = samples_file
        self.peak = {}
        self.samples = []
        self.t0 = time.time()
        self.n = 0
        self.error = None
        self._stop = threading.Event()
        self._t = None
        self.exe = shutil.which("npu-smi")

    def start(self):
        if not self.exe or self.interval <= 0:
            return self
        self._t = threading.Thread(target=self._loop, name="hbm-sampler", daemon=True)
        self._t.start()
        return self

    def _loop(self):
        fh = open(self.samples_file, "a", encoding="utf-8") if self.samples_file else None
        try:
            while not self._stop.is_set():
                self.sample(fh)
                self._stop.wait(self.interval)
        finally:
            if fh:
                fh.close()

    def sample(self, fh=None):
        try:
            p = subprocess.run([self.exe, "info"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            mem = parse_npu_smi_memory(p.stdout.decode("utf-8", "replace"))
        except (OSError, subprocess.SubprocessError) as e:
            self.error = str(e)
            return
        self.n += 1
        t = time.time()
        for k, v in mem.items():
            if len(self.samples) < 100000:
                self.samples.append({"t": round(t - self.t0, 3), "device": k, "used_mb": v["used_mb"]})
            if k not in self.peak or v["used_mb"] > self.peak[k]["used_mb"]:
                self.peak[k] = dict(v)
        if fh:
            fh.write(json.dumps({"t": time.time(), "devices": mem}) + "\n")
            fh.flush()

    def stop(self):
        self._stop.set()
        if self._t:
            self._t.join(35)
        if self.exe and self.interval > 0 and self.n == 0:
            self.sample()
        return {"available": bool(self.exe), "n_samples": self.n, "interval_s": self.interval, "peak": self.peak,
                "samples": self.samples, "error": self.error}


# ---------------------------------------------------------------------------------------------------
# vllm bench serve
# ---------------------------------------------------------------------------------------------------
def vllm_bench_available(vllm="vllm"):
    exe = shutil.which(vllm)
    if not exe:
        return False
    try:
        p = subprocess.run([exe, "bench", "serve", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
    except (OSError, subprocess.SubprocessError):
        return False
    return p.returncode == 0


def normalize_vllm_result(d):
    """A `vllm bench serve --save-result` JSON -> our metrics dict (vLLM keys kept; p50 from median)."""
    if not isinstance(d, dict):
        raise ValueError("vllm bench result is not a JSON object")
    m = {}
    for k, v in d.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if k in ("duration", "completed", "failed", "total_input_tokens", "total_output_tokens", "request_throughput",
                 "request_goodput", "output_throughput", "total_token_throughput", "max_output_tokens_per_s",
                 "max_concurrent_requests") or re.match(r"^(mean|median|std|p\d+(\.\d+)?)_[a-z0-9_]+_ms$", k):
            m[k] = float(v) if not isinstance(v, int) else v
    if "completed" not in m:
        raise ValueError("vllm bench result has no 'completed' field")
    for name in METRICS:
        if ("median_%s_ms" % name) in m and ("p50_%s_ms" % name) not in m:
            m["p50_%s_ms" % name] = m["median_%s_ms" % name]
    if "failed" not in m:
        n = d.get("num_prompts")
        m["failed"] = (n - m["completed"]) if isinstance(n, int) else 0
    return m


def run_vllm_bench(a, concurrency, run_dir, log):
    fname = "vllm-bench-c%s.json" % (concurrency if concurrency else "inf")
    argv = ["vllm", "bench", "serve", "--backend", "openai-chat" if a.endpoint.endswith("chat/completions") else "openai",
            "--base-url", a.base_url, "--endpoint", a.endpoint, "--model", a.model,
            "--num-prompts", str(a.num_prompts), "--request-rate", str(a.request_rate), "--burstiness", str(a.burstiness),
            "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles", ",".join(_pname(p) for p in PERCENTILES),
            "--save-result", "--save-detailed", "--result-dir", run_dir, "--result-filename", fname, "--seed", str(a.seed)]
    if a.tokenizer:
        argv += ["--tokenizer", a.tokenizer]
    if concurrency:
        argv += ["--max-concurrency", str(concurrency)]
    if a.dataset_name == "sharegpt":
        argv += ["--dataset-name", "sharegpt", "--dataset-path", a.dataset_path]
        if a.output_len:
            argv += ["--sharegpt-output-len", str(a.output_len)]
    else:
        argv += ["--dataset-name", "random", "--random-input-len", str(a.input_len), "--random-output-len",
                 str(a.output_len)]
    log("running: %s" % " ".join(argv))
    p = subprocess.run(argv, stdout=sys.stderr, stderr=sys.stderr)
    path = os.path.join(run_dir, fname)
    if p.returncode != 0 or not os.path.exists(path):
        raise RuntimeError("vllm bench serve failed (exit %s)" % p.returncode)
    with open(path, "r", encoding="utf-8") as f:
        d = json.load(f)
    return normalize_vllm_result(d), path, argv


# ---------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------
def preflight(base_url, api_key=None, timeouts=None):
    """GET /v1/models once (see endpoint.list_models); this client speaks plain HTTP only."""
    if not base_url.startswith("http://"):
        raise RuntimeError("only http:// endpoints are supported (got %r); forward the port" % base_url)
    return endpoint.list_models(base_url, api_key, timeouts=timeouts)


def parse_concurrency(s):
    if s is None or s == "":
        return [None]
    out = []
    for part in str(s).split(","):
        part = part.strip()
        if part in ("", "inf", "none"):
            out.append(None)
            continue
        if not re.match(r"^[0-9]+$", part) or int(part) < 1:
            raise ValueError("--max-concurrency wants whole numbers >= 1 (or inf), got %r" % part)
        out.append(int(part))
    return out


def strict_int(lo, hi):
    def parse(s):
        if not re.match(r"^[0-9]+$", s or "") or not lo <= int(s) <= hi:
            raise argparse.ArgumentTypeError("a whole number from %d to %d, got %r" % (lo, hi, s))
        return int(s)
    return parse


def strict_float(allow_inf=False, allow_zero=False):
    def parse(s):
        if allow_inf and s in ("inf", "Infinity"):
            return float("inf")
        if not re.match(r"^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$|^\.[0-9]+$", s or ""):
            raise argparse.ArgumentTypeError("a decimal number%s, got %r" % (" or inf" if allow_inf else "", s))
        v = float(s)
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            raise argparse.ArgumentTypeError("a number above 0%s, got %r" % (" or inf" if allow_inf else "", s))
        return v
    return parse


def write_json_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    ap.add_argument("--endpoint", default="/v1/completions")
    ap.add_argument("--model", help="default: the first model the endpoint lists")
    ap.add_argument("--tokenizer", help="passed to vllm bench serve")
    ap.add_argument("--num-prompts", type=strict_int(1, MAX_PROMPTS), default=200)
    ap.add_argument("--input-len", type=strict_int(1, 10000000), default=256)
    ap.add_argument("--output-len", type=strict_int(1, 10000000), default=128)
    ap.add_argument("--range-ratio", type=strict_float(allow_zero=True), default=0.0)
    ap.add_argument("--dataset-name", choices=["random", "sharegpt"], default="random")
    ap.add_argument("--dataset-path")
    ap.add_argument("--request-rate", type=strict_float(allow_inf=True), default=float("inf"),
                    help="requests per second (Poisson), or inf (all at once)")
    ap.add_argument("--burstiness", type=strict_float(), default=1.0)
    ap.add_argument("--max-concurrency", default="", help="comma list: one run per value (sweep); empty = no cap")
    ap.add_argument("--no-ignore-eos", action="store_true")
    ap.add_argument("--no-stream", action="store_true")
    ap.add_argument("--engine", choices=["auto", "bundled", "vllm", "aisbench"], default="auto")
    ap.add_argument("--aisbench-dataset", default=aisbench.PERF_DATASET, help="AISBench dataset config (--engine aisbench)")
    ap.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY"))
    ap.add_argument("--request-timeout", type=strict_float(), help="seconds for a whole request (default: no limit)")
    ap.add_argument("--stall-timeout", type=strict_float(), default=httpclient.DEFAULT_STALL_S,
                    help="seconds without a byte from the server before a request fails (default 60)")
    ap.add_argument("--seed", type=strict_int(0, 2 ** 31), default=0)
    ap.add_argument("--warmups", type=strict_int(0, 10000), default=0)
    ap.add_argument("--out", required=True, help="result JSON")
    ap.add_argument("--requests-file", help="per-request timings JSONL (default: <out>.requests.jsonl)")
    ap.add_argument("--hbm-interval", type=strict_float(allow_zero=True), default=1.0,
                    help="npu-smi sampling period in s (0 = off)")
    return ap


class Interrupt(object):
    """SIGINT/SIGTERM: stop sending, end what is in flight, keep what completed."""

    def __init__(self):
        self.stop = threading.Event()
        self.signal = None
        self.client = None
        self.loop = None

    def __call__(self, signum, frame=None):
        first = not self.stop.is_set()
        self.stop.set()
        self.signal = self.signal or signum
        if first:
            sys.stderr.write("interrupted: keeping the requests that completed; the result is marked interrupted\n")
            sys.stderr.flush()
        if self.client is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(self.client.abort_all)

    def install(self):
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self)


def run_bundled(a, result, concs, rate, req_file, intr, log):
    if a.dataset_name == "sharegpt":
        source = ListPrompts(sharegpt_prompts(a.dataset_path, a.num_prompts, a.output_len, a.seed))
    else:
        source = RandomPrompts(a.num_prompts, a.input_len, a.output_len, a.seed, a.range_ratio)
    fd_limit = open_file_limit()
    cap = max(1, fd_limit - 64)
    if any(c is None or c > cap for c in concs) and a.num_prompts > cap:
        log("warning: at most %d requests in flight (open-file limit %d)" % (cap, fd_limit))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = httpclient.AsyncClient(a.base_url, a.api_key, httpclient.Timeouts(a.request_timeout, a.stall_timeout))
    intr.client, intr.loop = client, loop
    fh = open(req_file, "w", encoding="utf-8")
    try:
        if a.warmups > 0:
            log("progress: warmup %d requests" % a.warmups)
            warm = ListPrompts([source.get(i) for i in range(min(a.warmups, len(source)))])
            loop.run_until_complete(run_once(client, warm, a.endpoint, a.model, float("inf"), 1.0, None,
                                             not a.no_ignore_eos, a.seed, not a.no_stream, stop=intr.stop, cap=cap))
        for k, c in enumerate(concs):
            if intr.stop.is_set():
                break
            last = [0.0]

            def progress(done, total, failed, k=k, c=c, last=last):
                t = time.time()
                if done == total or t - last[0] >= 1.0:
                    last[0] = t
                    log("progress: run %d/%d concurrency=%s %d/%d failed=%d" % (
                        k + 1, len(concs), c or "inf", done, total, failed))

            def on_request(r, t0, c=c, k=k):
                fh.write(json.dumps(request_record(r, c, t0, k + 1)) + "\n")
                fh.flush()

            t_start = time.time()
            st, duration, _ = loop.run_until_complete(run_once(
                client, source, a.endpoint, a.model, rate, a.burstiness, c, not a.no_ignore_eos, a.seed,
                not a.no_stream, progress, on_request, intr.stop, cap))
            metrics = st.metrics(duration)
            if st.simulated:
                result["simulated"] = True
            run = {"concurrency": c, "request_rate": result["request_rate"], "metrics": metrics, "errors": st.errors,
                   "failures": st.failures, "reconnects": st.reconnects, "num_requests": len(source),
                   "started": _iso(t_start), "ended": _iso(time.time())}
            if intr.stop.is_set():
                run["interrupted"] = True
                run["cut_in_flight"] = st.interrupted
                run["not_started"] = st.not_started
            result["runs"].append(run)
            result["reconnects"] = sum(x.get("reconnects", 0) for x in result["runs"])
            write_json_atomic(a.out, result)
            lat = ("mean_ttft_ms=%.2f mean_tpot_ms=%.2f" % (metrics["mean_ttft_ms"], metrics.get("mean_tpot_ms", 0.0))
                   if "mean_ttft_ms" in metrics else "no successful request")
            log("result: concurrency=%s completed=%d failed=%d reconnects=%d request_throughput=%.2f "
                "output_throughput=%.1f %s%s" % (c or "inf", metrics["completed"], metrics["failed"], st.reconnects,
                                                  metrics["request_throughput"], metrics["output_throughput"], lat,
                                                  " (interrupted)" if intr.stop.is_set() else ""))
    finally:
        fh.close()
        client.close()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


def run_vllm(a, result, concs, out_dir, intr, log):
    for k, c in enumerate(concs):
        if intr.stop.is_set():
            break
        log("progress: run %d/%d concurrency=%s engine=vllm" % (k + 1, len(concs), c or "inf"))
        t_start = time.time()
        try:
            metrics, path, cmd = run_vllm_bench(a, c, out_dir, log)
        except RuntimeError:
            if intr.stop.is_set():
                result["runs"].append({"concurrency": c, "request_rate": result["request_rate"], "metrics": {},
                                       "errors": {}, "interrupted": True, "started": _iso(t_start),
                                       "ended": _iso(time.time())})
                break
            raise
        result["runs"].append({"concurrency": c, "request_rate": result["request_rate"], "metrics": metrics,
                               "started": _iso(t_start), "ended": _iso(time.time()),
                               "vllm_result_file": path, "command": cmd, "errors": {}})
        write_json_atomic(a.out, result)


def run_aisbench(a, result, concs, rate, out_dir, intr, log):
    """One ais_bench perf run per concurrency (its batch_size), read into the same result schema."""
    if not aisbench.available():
        raise RuntimeError("AISBench is not installed on this host: there is no ais_bench command on PATH")
    u = urlsplit(a.base_url)
    for k, c in enumerate(concs):
        if intr.stop.is_set():
            break
        log("progress: run %d/%d concurrency=%s engine=aisbench" % (k + 1, len(concs), c or "inf"))
        base = os.path.join(out_dir, "aisbench-c%s" % (c or "inf"))
        cfg_dir, work = os.path.join(base, "configs"), os.path.join(base, "outputs")
        aisbench.write_model_config(cfg_dir, aisbench.PERF_MODEL, aisbench.model_config(
            aisbench.PERF_MODEL, u.hostname or "127.0.0.1", u.port or 80, a.model, stream=True, max_out_len=a.output_len,
            batch_size=c or a.num_prompts, request_rate=0 if math.isinf(rate) else rate, tokenizer_path=a.tokenizer or "",
            api_key=a.api_key, perf=True))
        argv = aisbench.perf_argv(a.aisbench_dataset, cfg_dir, work, a.num_prompts)
        log("running: %s" % " ".join(argv))
        t_start = time.time()
        found = aisbench.run(argv, log)
        if intr.stop.is_set():
            result["runs"].append({"concurrency": c, "request_rate": result["request_rate"], "metrics": {}, "errors": {},
                                   "interrupted": True, "started": _iso(t_start), "ended": _iso(time.time())})
            break
        if found["rc"] != 0 or not found.get("perf"):
            why = found["errors"][-1] if found["errors"] else "no \"Performance Result files located in\" line"
            raise RuntimeError("ais_bench failed (exit %s): %s" % (found["rc"], why))
        try:
            metrics, files = aisbench.read_perf(found["perf"])
        except aisbench.AisBenchError as e:
            raise RuntimeError(str(e))
        failed = int(metrics.get("failed", 0))
        result["runs"].append({"concurrency": c, "request_rate": result["request_rate"], "metrics": metrics,
                               "errors": {"failed in ais_bench (see its logs)": failed} if failed else {},
                               "failures": {"aisbench": failed} if failed else {}, "num_requests": a.num_prompts,
                               "started": _iso(t_start), "ended": _iso(time.time()), "command": argv,
                               "aisbench_files": files, "aisbench_exp_folder": found.get("exp")})
        write_json_atomic(a.out, result)


def main(argv=None):
    a = build_parser().parse_args(argv)
    a.out = os.path.expanduser(a.out)
    if a.requests_file:
        a.requests_file = os.path.expanduser(a.requests_file)
    if a.dataset_path:
        a.dataset_path = os.path.expanduser(a.dataset_path)

    def log(msg):
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    try:
        concs = parse_concurrency(a.max_concurrency)
        if a.dataset_name == "sharegpt" and not a.dataset_path:
            raise ValueError("--dataset-name sharegpt needs --dataset-path")
    except ValueError as e:
        log("error: %s" % e)
        return 2
    intr = Interrupt()
    intr.install()
    timeouts = httpclient.Timeouts(a.request_timeout, a.stall_timeout)
    try:
        models = preflight(a.base_url, a.api_key, httpclient.Timeouts(min(30.0, a.request_timeout or 30.0), a.stall_timeout))
    except RuntimeError as e:
        log("error: %s" % e)
        return 1
    a.model = endpoint.choose_model(a.base_url, models, a.model, log)
    if a.model is None:
        return 2
    rate = a.request_rate
    engine = a.engine
    if engine == "auto":
        engine = "vllm" if vllm_bench_available() else "bundled"
    if engine == "vllm" and (a.request_timeout or a.stall_timeout != httpclient.DEFAULT_STALL_S):
        log("warning: vllm bench serve has no request or stall timeout flags; --request-timeout/--stall-timeout "
            "apply to the bundled client only")
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    req_file = a.requests_file or (a.out + ".requests.jsonl")
    hbm_file = a.out + ".hbm.jsonl"
    result = {"schema": SCHEMA, "engine": engine, "base_url": a.base_url, "endpoint": a.endpoint, "model": a.model,
              "dataset": a.dataset_name, "dataset_path": a.dataset_path, "num_prompts": a.num_prompts,
              "input_len": a.input_len, "output_len": a.output_len,
              "request_rate": "inf" if math.isinf(rate) else rate, "burstiness": a.burstiness,
              "concurrencies": concs, "timeouts": {"request_s": timeouts.request, "stall_s": timeouts.stall},
              "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1", "started": _iso(time.time()),
              "ended": None, "runs": [], "requests_file": req_file if engine == "bundled" else None,
              "hbm_samples_file": hbm_file, "interrupted": False, "reconnects": 0, "argv": sys.argv}
    sampler = HbmSampler(a.hbm_interval, hbm_file).start()
    rc = 0
    try:
        if engine == "vllm":
            run_vllm(a, result, concs, out_dir, intr, log)
        elif engine == "aisbench":
            run_aisbench(a, result, concs, rate, out_dir, intr, log)
        else:
            run_bundled(a, result, concs, rate, req_file, intr, log)
    except (ValueError, OSError, RuntimeError) as e:
        log("error: %s" % e)
        result["error"] = str(e)
        rc = 1
    finally:
        hbm = sampler.stop()
        result["hbm"] = hbm
        result["ended"] = _iso(time.time())
        if intr.stop.is_set():
            result["interrupted"] = True
            done = len([r for r in result["runs"] if not r.get("interrupted")])
            log("interrupted: %d of %d runs complete%s" % (
                done, len(concs), "; run %d kept %d completed requests" % (
                    len(result["runs"]), result["runs"][-1]["metrics"].get("completed", 0) +
                    result["runs"][-1]["metrics"].get("failed", 0)) if result["runs"] and result["runs"][-1].get("interrupted") else ""))
            rc = 130
        write_json_atomic(a.out, result)
    log("result file: %s" % a.out)
    return rc


def _iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


if __name__ == "__main__":
    sys.exit(main())
