#!/usr/bin/env python3
"""Serving benchmark for an OpenAI-compatible endpoint (stdlib only, Python >= 3.8).

Two engines, one result file:
  * bundled (default when `vllm bench serve` is missing): an asyncio client speaking raw HTTP/1.1 with
    streaming (SSE over chunked transfer), keep-alive connection reuse, Poisson arrivals (or gamma with
    --burstiness, as vLLM's benchmark does) and/or a cap on requests in flight;
  * vllm: runs `vllm bench serve ... --save-result` once per concurrency and reads its JSON.

Metric names and meanings follow vLLM's benchmark (vllm/benchmarks/serve.py):
  request_throughput (req/s), output_throughput (tok/s), total_token_throughput (tok/s),
  {mean,median,std,p50,p90,p99}_{ttft,tpot,itl,e2el}_ms,
  TTFT = request sent -> first content token received; TPOT = (E2EL - TTFT) / (output tokens - 1);
  ITL = gaps between consecutive content chunks; E2EL = request sent -> end of the stream.
Output tokens and prompt tokens come from the server's usage chunk when it sends one (the client asks for it),
else from the number of content chunks / an estimate.

Every request's timings go to --requests-file (JSONL) as evidence; failed requests (HTTP errors, connection
errors, streams cut before [DONE]) are counted in `failed` with their error text, never dropped silently.
While it runs, `npu-smi info` is sampled (when present) and per-device HBM peak is reported.
Progress lines: "progress: <run>/<runs> concurrency=<c> <done>/<total> failed=<f>" on stderr.

Usage: bench_serve.py --base-url http://127.0.0.1:8000 --model NAME --out result.json
       [--endpoint /v1/completions] [--num-prompts 200] [--input-len 256 --output-len 128]
       [--dataset-name random|sharegpt --dataset-path FILE] [--request-rate inf] [--burstiness 1.0]
       [--max-concurrency 1,8,32] [--engine auto|bundled|vllm] [--requests-file FILE] [--seed 0]
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
import socket
import struct
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

# python/ itself, for the modules the host jobs share (endpoint.py).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import endpoint  # noqa: E402

SCHEMA = "ascend-adapt.perf/1"
PERCENTILES = (50, 90, 99)
METRICS = ("ttft", "tpot", "itl", "e2el")

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


def summarize(vals_s, name, out, pcts=PERCENTILES):
    """vals in seconds -> out[mean_<name>_ms] ... in milliseconds."""
    v = sorted(x * 1000.0 for x in vals_s)
    n = len(v)
    mean = sum(v) / n if n else 0.0
    out["mean_%s_ms" % name] = mean
    out["median_%s_ms" % name] = percentile(v, 50)
    out["std_%s_ms" % name] = math.sqrt(sum((x - mean) ** 2 for x in v) / n) if n else 0.0
    for p in pcts:
        out["p%s_%s_ms" % (_pname(p), name)] = percentile(v, p)


def _pname(p):
    return str(int(p)) if float(p).is_integer() else str(p)


# ---------------------------------------------------------------------------------------------------
# Prompts
# ---------------------------------------------------------------------------------------------------
def random_prompts(n, input_len, output_len, seed, range_ratio=0.0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lo = max(1, int(input_len * (1 - range_ratio)))
        hi = max(lo, int(input_len * (1 + range_ratio)))
        il = rng.randint(lo, hi)
        olo = max(1, int(output_len * (1 - range_ratio)))
        ohi = max(olo, int(output_len * (1 + range_ratio)))
        ol = rng.randint(olo, ohi)
        # one common English word per token for most tokenizers; a unique head keeps prefix caches honest
        words = ["%d" % i] + [rng.choice(_WORDS) for _ in range(il - 1)]
        out.append({"prompt": " ".join(words), "prompt_len": il, "output_len": ol})
    return out


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
# The HTTP/1.1 streaming client (asyncio Protocol: timestamps taken in data_received)
# ---------------------------------------------------------------------------------------------------
class RequestResult(object):
    __slots__ = ("index", "prompt_len", "output_len_req", "success", "error", "status", "start", "ttft",
                 "itl", "latency", "output_tokens", "prompt_tokens", "chunks", "text_len", "simulated",
                 "finish_reason", "_last", "_usage")

    def __init__(self, index, prompt_len, output_len_req):
        self.index = index
        self.prompt_len = prompt_len
        self.output_len_req = output_len_req
        self.success = False
        self.error = ""
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
        self._last = None
        self._usage = None


# Receive timestamps: on Linux the kernel stamps each arriving segment (SO_TIMESTAMPNS); a token's arrival time is
# then the moment it reached this host, not the moment this process got round to reading it, so a busy client
# (or a busy machine) does not inflate TTFT/ITL. Elsewhere the time of the read is used.
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)
_TS = struct.Struct("@ll")
_CMSG = socket.CMSG_SPACE(_TS.size) if hasattr(socket, "CMSG_SPACE") else 0
now = time.time  # one clock for stamps taken here and by the kernel (CLOCK_REALTIME)


def enable_rx_timestamps(sock):
    if _SO_TIMESTAMPNS is None or not hasattr(sock, "recvmsg"):
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        return True
    except OSError:
        return False


def recv_stamped(sock, size, kernel_ts):
    """(data, arrival time). Raises BlockingIOError when nothing is there."""
    if kernel_ts:
        data, anc, _, _ = sock.recvmsg(size, _CMSG)
        for level, typ, d in anc:
            if level == socket.SOL_SOCKET and typ == _SO_TIMESTAMPNS and len(d) >= _TS.size:
                sec, nsec = _TS.unpack_from(d)
                return data, sec + nsec * 1e-9
        return data, now()
    return sock.recv(size), now()


class HttpStream(object):
    """One keep-alive connection on a non-blocking socket read through loop.add_reader; one request at a time."""

    def __init__(self, loop, sock):
        self.loop = loop
        self.sock = sock
        self.closed = False
        self.reusable = False
        self.kernel_ts = enable_rx_timestamps(sock)
        self._reset(None, None)
        loop.add_reader(sock.fileno(), self._readable)

    def _readable(self):
        for _ in range(32):
            try:
                data, ts = recv_stamped(self.sock, 262144, self.kernel_ts)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                self.close()
                self.connection_lost(e)
                return
            if not data:
                self.close()
                self.connection_lost(None)
                return
            self.data_received(data, ts)

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.loop.remove_reader(self.sock.fileno())
            except (ValueError, OSError):
                pass
            self.sock.close()

    def _reset(self, res, fut):
        self.res = res
        self.fut = fut
        self.buf = bytearray()
        self.state = "head"
        self.body_mode = None
        self.remaining = 0
        self.sse = False
        self.sse_buf = bytearray()
        self.body = bytearray()
        self.keep = True
        self.done_seen = False
        self.last_data = None
        self.got_bytes = False

    def connection_lost(self, exc):
        if self.fut is not None and not self.fut.done():
            if self.body_mode == "close" and self.state == "body":
                self._finish(now())
            else:
                r = self.res
                r.error = "connection closed by the server %s" % (
                    "mid-stream after %d chunks" % r.chunks if self.state != "head" else "before a response")
                if exc:
                    r.error += " (%s)" % exc
                self.fut.set_result(False)

    async def send(self, payload, res, fut):
        self._reset(res, fut)
        res.start = now()
        try:
            await self.loop.sock_sendall(self.sock, payload)
        except OSError as e:
            self.close()
            if not fut.done():
                res.error = "send failed: %s" % e
                fut.set_result(False)

    def data_received(self, data, ts):
        if self.fut is None or self.fut.done():
            return
        self.got_bytes = True
        try:
            self._feed(data, ts)
        except Exception as e:  # malformed response: fail this request, never crash the run
            self.res.error = "bad response: %s" % e
            self.keep = False
            if not self.fut.done():
                self.fut.set_result(False)
            self.close()

    # -- parsing ---------------------------------------------------------------------------------------
    def _feed(self, data, now):
        if self.state == "head":
            self.buf += data
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            head = bytes(self.buf[:i]).decode("latin-1").split("\r\n")
            rest = bytes(self.buf[i + 4:])
            self.buf = bytearray()
            parts = head[0].split(" ", 2)
            self.res.status = int(parts[1])
            h = {}
            for ln in head[1:]:
                if ":" in ln:
                    k, v = ln.split(":", 1)
                    h[k.strip().lower()] = v.strip()
            if h.get("x-ascend-adapt-simulated") == "1":
                self.res.simulated = True
            self.keep = parts[0] == "HTTP/1.1" and h.get("connection", "").lower() != "close"
            self.sse = h.get("content-type", "").startswith("text/event-stream")
            if h.get("transfer-encoding", "").lower() == "chunked":
                self.body_mode = "chunked"
                self.remaining = -1
            elif "content-length" in h:
                self.body_mode = "length"
                self.remaining = int(h["content-length"])
            else:
                self.body_mode = "close"
                self.keep = False
            self.state = "body"
            if self.body_mode == "length" and self.remaining == 0:
                self._finish(now)
                return
            data = rest
        if self.body_mode == "length":
            take = data[: self.remaining]
            self.remaining -= len(take)
            self._body(take, now)
            if self.remaining <= 0:
                self._finish(now)
        elif self.body_mode == "close":
            self._body(data, now)
        else:
            self._dechunk(data, now)

    def _dechunk(self, data, now):
        buf = self.buf
        buf += data
        pos = 0
        while True:
            if self.remaining == -1:  # expecting a size line
                j = buf.find(b"\r\n", pos)
                if j < 0:
                    break
                size = int(bytes(buf[pos:j]).split(b";")[0].strip() or b"0", 16)
                pos = j + 2
                if size == 0:
                    self.remaining = -2
                    continue
                self.remaining = size
            elif self.remaining == -2:  # trailer section ends with an empty line
                j = buf.find(b"\r\n", pos)
                if j < 0:
                    break
                if j == pos:
                    self.buf = bytearray()
                    self._finish(now)
                    return
                pos = j + 2
            else:
                need = self.remaining + 2
                if len(buf) - pos < need:
                    # hand over what is there of the chunk's data (not the CRLF) so timing is not delayed
                    avail = min(len(buf) - pos, self.remaining)
                    if avail > 0:
                        self._body(bytes(buf[pos:pos + avail]), now)
                        self.remaining -= avail
                        pos += avail
                    break
                self._body(bytes(buf[pos:pos + self.remaining]), now)
                pos += need
                self.remaining = -1
        self.buf = buf[pos:] if pos else buf

    def _body(self, data, now):
        if not data:
            return
        if not self.sse or self.res.status != 200:
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
            self._event(bytes(ev), now)

    def _event(self, ev, now):
        data = []
        for line in ev.replace(b"\r\n", b"\n").split(b"\n"):
            if line.startswith(b"data:"):
                data.append(line[5:].lstrip(b" "))
            # comments (":"), event:, id:, retry: carry no tokens
        if not data:
            return
        payload = b"\n".join(data)
        r = self.res
        if payload.strip() == b"[DONE]":
            self.done_seen = True
            return
        obj = json.loads(payload.decode("utf-8"))
        self.last_data = now
        if not isinstance(obj, dict):
            raise ValueError("SSE data is not a JSON object")
        if obj.get("error"):
            err = obj["error"]
            r.error = "error event: %s" % (err.get("message") if isinstance(err, dict) else err)
            return
        if obj.get("simulated") is True:
            r.simulated = True
        u = obj.get("usage")
        if isinstance(u, dict):
            r._usage = u
        for ch in obj.get("choices") or ():
            delta = ch.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else ch.get("text")
            if isinstance(delta, dict) and not text:
                text = delta.get("reasoning_content") or delta.get("reasoning")
            if ch.get("finish_reason"):
                r.finish_reason = ch["finish_reason"]
            if text:
                r.chunks += 1
                r.text_len += len(text)
                if r.ttft is None:
                    r.ttft = now - r.start
                else:
                    r.itl.append(now - r._last)
                r._last = now

    def _finish(self, now):
        r = self.res
        self.state = "done"
        self.reusable = self.keep and not self.closed
        if r.status != 200:
            r.error = "HTTP %s: %s" % (r.status, _error_text(bytes(self.body)))
            self.fut.set_result(False)
            return
        if self.sse:
            if not self.done_seen:
                r.error = r.error or "stream ended without [DONE] after %d chunks" % r.chunks
                self.fut.set_result(False)
                return
        else:  # non-streaming answer (e.g. --no-stream): TTFT = latency as vLLM does
            try:
                obj = json.loads(bytes(self.body).decode("utf-8"))
                ch = (obj.get("choices") or [{}])[0]
                text = (ch.get("message") or {}).get("content") if "message" in ch else ch.get("text")
                r._usage = obj.get("usage") if isinstance(obj.get("usage"), dict) else None
                r.chunks = 1 if text else 0
                r.ttft = now - r.start
                r._last = now
                if obj.get("simulated") is True:
                    r.simulated = True
            except (ValueError, AttributeError) as e:
                r.error = "bad JSON body: %s" % e
                self.fut.set_result(False)
                return
        if r.error:
            self.fut.set_result(False)
            return
        # vLLM: latency = the last data event (content or usage) - start
        r.latency = ((self.last_data if self.last_data is not None else now) if self.sse else now) - r.start
        u = r._usage or {}
        r.output_tokens = u.get("completion_tokens") if isinstance(u.get("completion_tokens"), int) else r.chunks
        r.prompt_tokens = u.get("prompt_tokens") if isinstance(u.get("prompt_tokens"), int) else r.prompt_len
        if r.output_tokens == 0 or r.ttft is None:
            r.error = "no tokens in the answer"
            self.fut.set_result(False)
            return
        r.success = True
        self.fut.set_result(True)


def _error_text(body):
    msg = body[:300].decode("utf-8", "replace")
    try:
        j = json.loads(body.decode("utf-8"))
    except ValueError:
        return msg
    if isinstance(j, dict):
        e = j.get("error")
        if isinstance(e, dict) and e.get("message"):
            return str(e["message"])
        if j.get("message"):
            return str(j["message"])
        if isinstance(e, str):
            return e
    return msg


class Client(object):
    def __init__(self, base_url, api_key=None, timeout=600.0):
        u = urlsplit(base_url)
        if u.scheme != "http":
            raise ValueError("only http:// endpoints are supported (got %r); forward the port" % base_url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.prefix = u.path.rstrip("/")
        if self.prefix.endswith("/v1"):
            self.prefix = self.prefix[:-3]
        self.api_key = api_key
        self.timeout = timeout
        self.idle = []

    async def _conn(self):
        while self.idle:
            c = self.idle.pop()
            if not c.closed:
                return c, True
        loop = asyncio.get_event_loop()
        infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        err = None
        for family, type_, proto, _, addr in infos:
            sock = socket.socket(family, type_, proto)
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_connect(sock, addr)
            except OSError as e:
                sock.close()
                err = e
                continue
            return HttpStream(loop, sock), False
        raise err or OSError("cannot resolve %s" % self.host)

    def build(self, path, body):
        data = json.dumps(body).encode("utf-8")
        hdr = "POST %s%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n" \
              "Content-Length: %d\r\nUser-Agent: ascend-adapt-bench\r\n" % (self.prefix, path, self.host, self.port,
                                                                          len(data))
        if self.api_key:
            hdr += "Authorization: Bearer %s\r\n" % self.api_key
        return hdr.encode("latin-1") + b"\r\n" + data

    async def request(self, payload, res):
        # No silent retry: a request the server cut is a failed request. An idle kept-alive connection the
        # server closed is noticed by its reader (EOF) and never handed out again.
        try:
            conn, _ = await self._conn()
        except OSError as e:
            res.error = "connect failed: %s" % e
            return res
        fut = asyncio.get_event_loop().create_future()
        await conn.send(payload, res, fut)
        try:
            await asyncio.wait_for(asyncio.shield(fut), self.timeout)
        except asyncio.TimeoutError:
            res.error = "timed out after %.0f s" % self.timeout
            conn.close()
            return res
        if conn.reusable and not conn.closed:
            self.idle.append(conn)
        elif not conn.closed:
            conn.close()
        return res

    def close(self):
        for c in self.idle:
            c.close()
        self.idle = []


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


def arrival_offsets(n, rate, burstiness, seed):
    """Absolute arrival times (s from start) — gamma intervals with mean 1/rate, like vLLM's get_request."""
    if rate is None or math.isinf(rate) or rate <= 0:
        return [0.0] * n
    rng = random.Random(seed)
    theta = 1.0 / (rate * burstiness)
    t, out = 0.0, []
    for _ in range(n):
        out.append(t)
        t += rng.gammavariate(burstiness, theta)
    return out


async def run_once(client, prompts, endpoint, model, rate, burstiness, concurrency, ignore_eos, seed,
                   stream=True, progress=None):
    n = len(prompts)
    payloads = [client.build(endpoint, request_body(endpoint, model, p["prompt"], p["output_len"], ignore_eos, stream))
                for p in prompts]
    offsets = arrival_offsets(n, rate, burstiness, seed)
    sem = asyncio.Semaphore(concurrency) if concurrency else None
    results = [RequestResult(i, prompts[i]["prompt_len"], prompts[i]["output_len"]) for i in range(n)]
    state = {"done": 0, "failed": 0, "inflight": 0, "peak": 0}
    t0 = now()

    async def one(i):
        await _sleep_until(t0 + offsets[i])
        if sem is not None:
            await sem.acquire()
        try:
            state["inflight"] += 1
            state["peak"] = max(state["peak"], state["inflight"])
            await client.request(payloads[i], results[i])
        finally:
            state["inflight"] -= 1
            if sem is not None:
                sem.release()
        state["done"] += 1
        if not results[i].success:
            state["failed"] += 1
        if progress:
            progress(state["done"], n, state["failed"])

    await asyncio.gather(*[one(i) for i in range(n)])
    duration = now() - t0
    return results, duration, t0, state["peak"]


async def _sleep_until(t):
    d = t - now()
    if d > 0:
        await asyncio.sleep(d)


def compute_metrics(results, duration, t0, percentiles=PERCENTILES):
    ok = [r for r in results if r.success]
    m = {}
    m["duration"] = duration
    m["completed"] = len(ok)
    m["failed"] = len(results) - len(ok)
    m["total_input_tokens"] = sum(r.prompt_tokens for r in ok)
    m["total_output_tokens"] = sum(r.output_tokens for r in ok)
    m["request_throughput"] = len(ok) / duration if duration > 0 else 0.0
    m["output_throughput"] = m["total_output_tokens"] / duration if duration > 0 else 0.0
    m["total_token_throughput"] = (m["total_input_tokens"] + m["total_output_tokens"]) / duration if duration > 0 else 0.0
    ttfts = [r.ttft for r in ok]
    tpots = [(r.latency - r.ttft) / (r.output_tokens - 1) for r in ok if r.output_tokens > 1]
    itls = [x for r in ok for x in r.itl]
    e2els = [r.latency for r in ok]
    for name, vals in (("ttft", ttfts), ("tpot", tpots), ("itl", itls), ("e2el", e2els)):
        summarize(vals, name, m, percentiles)
    # peak output tokens per 1-second bucket and peak requests in flight (vLLM reports both)
    buckets = {}
    events = []
    for r in ok:
        ts = [r.start + r.ttft]
        for g in r.itl:
            ts.append(ts[-1] + g)
        for t in ts:
            b = int(t - t0)
            buckets[b] = buckets.get(b, 0) + 1
    for r in results:
        events.append((r.start, 1))
        events.append((r.start + (r.latency if r.latency is not None else 0.0), -1))
    events.sort()
    cur = peak = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    m["max_output_tokens_per_s"] = float(max(buckets.values())) if buckets else 0.0
    m["max_concurrent_requests"] = peak
    return m


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
def preflight(base_url, api_key=None, timeout=30.0):
    """GET /v1/models once (see endpoint.list_models); this client speaks plain HTTP only."""
    u = urlsplit(base_url)
    if u.scheme != "http":
        raise RuntimeError("only http:// endpoints are supported (got %r); forward the port" % base_url)
    return endpoint.list_models(base_url, api_key, timeout)


def parse_concurrency(s):
    if s is None or s == "":
        return [None]
    out = []
    for part in str(s).split(","):
        part = part.strip()
        if part in ("", "inf", "none", "0"):
            out.append(None)
            continue
        v = int(part)
        if v < 1:
            raise ValueError("concurrency must be >= 1")
        out.append(v)
    return out


def write_json_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def request_record(r, concurrency, t0):
    return {"i": r.index, "concurrency": concurrency, "success": r.success, "error": r.error or None,
            "http_status": r.status, "start_s": round(r.start - t0, 6),
            "ttft_ms": None if r.ttft is None else r.ttft * 1000.0,
            "e2el_ms": None if r.latency is None else r.latency * 1000.0,
            "prompt_tokens": r.prompt_tokens if r.prompt_tokens is not None else r.prompt_len,
            "output_tokens": r.output_tokens, "chunks": r.chunks, "finish_reason": r.finish_reason,
            "itl_ms": [round(x * 1000.0, 4) for x in r.itl]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    ap.add_argument("--endpoint", default="/v1/completions")
    ap.add_argument("--model", help="default: the first model the endpoint lists")
    ap.add_argument("--tokenizer", help="passed to vllm bench serve")
    ap.add_argument("--num-prompts", type=int, default=200)
    ap.add_argument("--input-len", type=int, default=256)
    ap.add_argument("--output-len", type=int, default=128)
    ap.add_argument("--range-ratio", type=float, default=0.0)
    ap.add_argument("--dataset-name", choices=["random", "sharegpt"], default="random")
    ap.add_argument("--dataset-path")
    ap.add_argument("--request-rate", default="inf", help="requests per second (Poisson), or inf")
    ap.add_argument("--burstiness", type=float, default=1.0)
    ap.add_argument("--max-concurrency", default="", help="comma list: one run per value (sweep); empty = no cap")
    ap.add_argument("--no-ignore-eos", action="store_true")
    ap.add_argument("--no-stream", action="store_true")
    ap.add_argument("--engine", choices=["auto", "bundled", "vllm"], default="auto")
    ap.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY"))
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warmups", type=int, default=0)
    ap.add_argument("--out", required=True, help="result JSON")
    ap.add_argument("--requests-file", help="per-request timings JSONL (default: <out>.requests.jsonl)")
    ap.add_argument("--hbm-interval", type=float, default=1.0, help="npu-smi sampling period in s (0 = off)")
    a = ap.parse_args(argv)
    a.out = os.path.expanduser(a.out)
    if a.requests_file:
        a.requests_file = os.path.expanduser(a.requests_file)
    if a.dataset_path:
        a.dataset_path = os.path.expanduser(a.dataset_path)

    def log(msg):
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    try:
        models = preflight(a.base_url, a.api_key)
    except RuntimeError as e:
        log("error: %s" % e)
        return 1
    if not a.model:
        if not models:
            log("error: %s lists no model; give --model" % a.base_url)
            return 2
        a.model = models[0]
        log("model: %s (the first one %s lists)" % (a.model, a.base_url))
    elif models and a.model not in models:
        log("warning: %s lists %s, not %s" % (a.base_url, ", ".join(models), a.model))

    try:
        rate = float(a.request_rate)
        concs = parse_concurrency(a.max_concurrency)
        if a.num_prompts < 1:
            raise ValueError("--num-prompts must be >= 1")
        if a.dataset_name == "sharegpt" and not a.dataset_path:
            raise ValueError("--dataset-name sharegpt needs --dataset-path")
    except ValueError as e:
        log("error: %s" % e)
        return 2
    engine = a.engine
    if engine == "auto":
        engine = "vllm" if vllm_bench_available() else "bundled"
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    req_file = a.requests_file or (a.out + ".requests.jsonl")
    hbm_file = a.out + ".hbm.jsonl"
    result = {"schema": SCHEMA, "engine": engine, "base_url": a.base_url, "endpoint": a.endpoint, "model": a.model,
              "dataset": a.dataset_name, "dataset_path": a.dataset_path, "num_prompts": a.num_prompts,
              "input_len": a.input_len, "output_len": a.output_len,
              "request_rate": "inf" if math.isinf(rate) else rate, "burstiness": a.burstiness,
              "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1", "started": _iso(time.time()),
              "ended": None, "runs": [], "requests_file": req_file if engine == "bundled" else None,
              "hbm_samples_file": hbm_file, "argv": sys.argv}
    sampler = HbmSampler(a.hbm_interval, hbm_file).start()
    rc = 0
    try:
        if engine == "vllm":
            for k, c in enumerate(concs):
                log("progress: run %d/%d concurrency=%s engine=vllm" % (k + 1, len(concs), c or "inf"))
                t_start = time.time()
                metrics, path, cmd = run_vllm_bench(a, c, out_dir, log)
                result["runs"].append({"concurrency": c, "request_rate": result["request_rate"], "metrics": metrics,
                                       "started": _iso(t_start), "ended": _iso(time.time()),
                                       "vllm_result_file": path, "command": cmd, "errors": {}})
                write_json_atomic(a.out, result)
        else:
            if a.dataset_name == "sharegpt":
                prompts = sharegpt_prompts(a.dataset_path, a.num_prompts, a.output_len, a.seed)
            else:
                prompts = random_prompts(a.num_prompts, a.input_len, a.output_len, a.seed, a.range_ratio)
            open(req_file, "w").close()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            client = Client(a.base_url, a.api_key, a.timeout)
            try:
                if a.warmups > 0:
                    log("progress: warmup %d requests" % a.warmups)
                    loop.run_until_complete(run_once(client, prompts[: a.warmups], a.endpoint, a.model, float("inf"), 1.0,
                                                     None, not a.no_ignore_eos, a.seed, not a.no_stream))
                for k, c in enumerate(concs):
                    last = [0.0]

                    def progress(done, total, failed, k=k, c=c, last=last):
                        now = time.time()
                        if done == total or now - last[0] >= 1.0:
                            last[0] = now
                            log("progress: run %d/%d concurrency=%s %d/%d failed=%d" % (
                                k + 1, len(concs), c or "inf", done, total, failed))

                    t_start = time.time()
                    results, duration, t0, _ = loop.run_until_complete(run_once(
                        client, prompts, a.endpoint, a.model, rate, a.burstiness, c, not a.no_ignore_eos,
                        a.seed, not a.no_stream, progress))
                    metrics = compute_metrics(results, duration, t0)
                    errors = {}
                    for r in results:
                        if not r.success:
                            key = re.sub(r"\d+ chunks", "N chunks", r.error or "unknown")
                            errors[key] = errors.get(key, 0) + 1
                    with open(req_file, "a", encoding="utf-8") as f:
                        for r in results:
                            f.write(json.dumps(request_record(r, c, t0)) + "\n")
                    if any(r.simulated for r in results):
                        result["simulated"] = True
                    result["runs"].append({"concurrency": c, "request_rate": result["request_rate"],
                                           "metrics": metrics, "errors": errors, "started": _iso(t_start),
                                           "ended": _iso(time.time())})
                    write_json_atomic(a.out, result)
                    log("result: concurrency=%s completed=%d failed=%d request_throughput=%.2f output_throughput=%.1f "
                        "mean_ttft_ms=%.2f mean_tpot_ms=%.2f" % (c or "inf", metrics["completed"], metrics["failed"],
                                                                 metrics["request_throughput"],
                                                                 metrics["output_throughput"], metrics["mean_ttft_ms"],
                                                                 metrics["mean_tpot_ms"]))
            finally:
                client.close()
                loop.run_until_complete(asyncio.sleep(0))
                loop.close()
    except (ValueError, OSError, RuntimeError) as e:
        log("error: %s" % e)
        result["error"] = str(e)
        rc = 1
    finally:
        hbm = sampler.stop()
        result["hbm"] = hbm
        result["ended"] = _iso(time.time())
        write_json_atomic(a.out, result)
    log("result file: %s" % a.out)
    return rc


def _iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


if __name__ == "__main__":
    sys.exit(main())
