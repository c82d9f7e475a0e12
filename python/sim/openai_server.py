#!/usr/bin/env python3
"""Simulated OpenAI-compatible server, shaped like vLLM's (stdlib only, Python >= 3.8).

SIMULATED: no model runs here. Answers are deterministic text, timings follow a latency model, and every
response says so (`"simulated": true` in each JSON object / SSE chunk, header `X-Ascend-Adapt-Simulated: 1`,
`owned_by: "ascend-adapt-simulated"` in the model list).

Endpoints: GET /health, GET /v1/models, GET /version, POST /v1/chat/completions, POST /v1/completions
(streaming as text/event-stream: a role-only first chunk for chat, one chunk per token, a usage chunk when
`stream_options.include_usage` is true, then `data: [DONE]`; non-streaming too), GET /sim/stats (the true
per-request timings), POST /sim/reset (clear them).

Latency model (per request, in ms):
    TTFT = ttft_base_ms + ttft_per_prompt_token_ms * prompt_tokens
    gap between two output tokens = tpot_base_ms + tpot_per_inflight_ms * requests in flight (at that step)
The TRUE timings are what the server actually did (wall clock, measured from the moment the request's first
bytes reached this host — the kernel's receive timestamp on Linux, so a busy server loop does not hide its own
delay — to the moment each token's chunk was handed to the socket), kept per request in memory
(`/sim/stats`) and appended to `stats_file` (JSONL) when set. The nominal model values are recorded too.

Tokenizer: a deterministic splitter: each token is optional leading whitespace + a word (\\w+) or one
other character. prompt_tokens of a chat request = tokens of all message contents (no template overhead).

Answer key (accuracy tests): JSONL lines {"match": str, "answer": str, "wrong"?: str, "correct"?: bool}.
The entry whose `match` occurs LAST in the prompt wins (so few-shot examples before the question do not).
Items are ranked by a hash of `match`; the first round(correct_share * N) of them are answered with `answer`,
the others with `wrong` (or, when absent, `answer` with its last number changed, else its A-D letters
shifted). An explicit "correct" in an entry overrides the share. So accuracy over the key's items is
known exactly and does not depend on request order.

Log-probabilities (non-streaming /v1/completions with `echo` and/or `logprobs`, as vLLM answers them:
`text` = prompt + output with echo, `logprobs` = {tokens, token_logprobs, top_logprobs, text_offset}, the first
prompt token without a value). SIMULATED scoring, no model: the token the server would generate next after
the text before it (the answer key's answer, else "[") gets -0.05, any other token a value in [-9, -3] from a
hash. So a log-likelihood ranking of continuations (lm-eval's multiple-choice scoring) picks what the answer
key answers: its correct_share holds for log-likelihood tasks too.

Error injection (deterministic, by arrival order of generation requests, counting from 1):
    error_rate  share of requests answered with HTTP 500 (exactly floor(n * rate) of the first n)
    drop_rate   share of the other requests whose connection is cut mid-way (streaming: after about half the
                tokens, without [DONE]; non-streaming: before any response byte); exactly
                floor(m * rate + 0.5) of the first m non-500 requests; drop_style "reset" (default) cuts with
                a TCP reset, "close" closes cleanly (FIN) after reading the request
    stall_rate  share of the remaining requests that go silent with the connection open (streaming: after about
                half the tokens; non-streaming: before any response byte) until the client leaves or
                stall_s passes; counted like drop_rate over the requests neither failed nor dropped

Connection handling as servers in front of vLLM do it (both off by default):
    keepalive_requests   N > 0: the Nth response on a connection says `connection: close` and the connection
                         closes (nginx's keepalive_requests)
    keepalive_timeout_s  S > 0: a kept-alive connection idle for S seconds is closed without a word (uvicorn's
                         timeout_keep_alive, nginx's keepalive_timeout)
    keepalive_header     true: responses announce `keep-alive: timeout=S, max=M` (as Apache does)

CONFIG KEYS (a plain dict; every key optional):
    host                      "127.0.0.1"
    port                      8000 (0 = any free port; the bound port is in the handle / port_file)
    model                     served model name(s): str or list of str; default "simulated-model"
    max_model_len             4096 (prompt + max_tokens beyond this → HTTP 400 like vLLM)
    ttft_base_ms              50.0     (a)
    ttft_per_prompt_token_ms  0.05     (b)
    tpot_base_ms              20.0     (c)
    tpot_per_inflight_ms      0.02     (d)
    default_max_tokens        256 (when a request gives no max_tokens)
    answer_key                path of a JSONL answer key, or a list of entries (see above)
    correct_share             0.7
    error_rate                0.0
    drop_rate                 0.0
    drop_style                "reset" | "close"
    stall_rate                0.0
    stall_s                   0 (= until the client leaves)
    keepalive_requests        0 (= no limit)
    keepalive_timeout_s       0 (= no limit)
    keepalive_header          False
    reuse_port                False (True: SO_REUSEPORT, so several server processes share one port — a truth
                              server scaled out over processes; each keeps its own stats_file)
    api_key                   when set, requests need "Authorization: Bearer <api_key>"
    stats_file                path: one JSON line per finished request (true timings)
    port_file                 path: the bound port is written there once listening
    access_log                True: uvicorn-like access lines on stderr
    metrics_log_interval_s    0 (off); > 0 prints vLLM-like throughput lines every N s
    version                   "0.0.0+simulated" (GET /version)
    log                       a file object for log lines (default sys.stderr)

API:
    serve(config)                       run until SIGINT/SIGTERM (blocking)
    start_in_thread(config) -> handle   handle.port, handle.url, handle.stats(), handle.stop()
    await serve_async(config, ready=None, stop_event=None)
Script: python3 openai_server.py --port 8000 --model NAME [--ttft-base-ms ...] (see --help).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import uuid

SIMULATED_OWNER = "ascend-adapt-simulated"

DEFAULTS = {
    "host": "127.0.0.1",
    "port": 8000,
    "model": "simulated-model",
    "max_model_len": 4096,
    "ttft_base_ms": 50.0,
    "ttft_per_prompt_token_ms": 0.05,
    "tpot_base_ms": 20.0,
    "tpot_per_inflight_ms": 0.02,
    "default_max_tokens": 256,
    "answer_key": None,
    "correct_share": 0.7,
    "error_rate": 0.0,
    "drop_rate": 0.0,
    "drop_style": "reset",
    "stall_rate": 0.0,
    "stall_s": 0.0,
    "keepalive_requests": 0,
    "keepalive_timeout_s": 0.0,
    "keepalive_header": False,
    "reuse_port": False,
    "api_key": None,
    "stats_file": None,
    "port_file": None,
    "access_log": True,
    "metrics_log_interval_s": 0,
    "version": "0.0.0+simulated",
    "log": None,
    # Extra POST routes of the server that embeds this one (the simulated vllm's /start_profile, /stop_profile):
    # {path: handler(body bytes) -> (status, JSON object or None for an empty body)}, run off the event loop.
    "routes": None,
}

_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$", re.UNICODE)

_FILLER = (
    "the of and to in is that for it as was with on be by at this from are an or which not have "
    "simulated answer token value model result output step number data reason because then so"
).split()


def tokenize(text: str) -> list:
    """Pieces that concatenate back to `text` (trailing whitespace kept as its own piece)."""
    if not text:
        return []
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def _h(s: str) -> int:
    return int.from_bytes(hashlib.sha256(s.encode("utf-8")).digest()[:8], "big")


def default_text(prompt: str, n_tokens: int) -> str:
    """Deterministic filler for a prompt: '[simulated]' then words chosen by a hash of the prompt."""
    seed = _h(prompt)
    words = ["[simulated]"]
    # "[simulated]" is 3 tokens ("[", "simulated", "]").
    while 3 + len(words) - 1 < n_tokens:
        seed = (seed * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        words.append(_FILLER[(seed >> 33) % len(_FILLER)])
    return words[0] + "".join(" " + w for w in words[1:])


def _shift_wrong(answer: str) -> str:
    nums = list(re.finditer(r"-?\d+(?:\.\d+)?", answer))
    if nums:
        m = nums[-1]
        tok = m.group(0)
        try:
            v = int(tok) + 1 if re.fullmatch(r"-?\d+", tok) else float(tok) + 1.0
        except ValueError:
            v = 0
        return answer[: m.start()] + str(v) + answer[m.end():]
    shifted = re.sub(r"\b([A-D])\b", lambda mm: "ABCD"[("ABCD".index(mm.group(1)) + 1) % 4], answer)
    if shifted != answer:
        return shifted
    return "I am not sure (simulated)."


class AnswerKey:
    def __init__(self, entries: list, correct_share: float):
        clean = []
        for i, e in enumerate(entries):
            if not isinstance(e, dict) or not isinstance(e.get("match"), str) or not isinstance(e.get("answer"), str):
                raise ValueError("answer key entry %d needs string 'match' and 'answer'" % (i + 1))
            if not e["match"]:
                raise ValueError("answer key entry %d has an empty 'match'" % (i + 1))
            clean.append(e)
        ranked = sorted(range(len(clean)), key=lambda i: (_h(clean[i]["match"]), i))
        n_correct = int(round(correct_share * len(clean)))
        good = set(ranked[:n_correct])
        self.entries = []
        for i, e in enumerate(clean):
            ok = bool(e["correct"]) if isinstance(e.get("correct"), bool) else (i in good)
            text = e["answer"] if ok else (e.get("wrong") if isinstance(e.get("wrong"), str) else _shift_wrong(e["answer"]))
            self.entries.append((e["match"], text, ok))

    @classmethod
    def load(cls, src, correct_share: float) -> "AnswerKey":
        if isinstance(src, list):
            return cls(src, correct_share)
        entries = []
        with open(src, "r", encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    entries.append(json.loads(line))
                except ValueError as e:
                    raise ValueError("%s line %d: not JSON (%s)" % (src, ln, e))
        return cls(entries, correct_share)

    def lookup(self, prompt: str):
        best = None
        best_pos = -1
        for match, text, ok in self.entries:
            p = prompt.rfind(match)
            if p > best_pos:
                best_pos, best = p, (text, ok)
        return best


_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)
_TS = struct.Struct("@ll")


class _Conn(object):
    """A non-blocking server-side connection read through loop.add_reader. On Linux, each read carries the
    kernel's arrival timestamp (SO_TIMESTAMPNS), so a request's arrival time is when it reached this host even
    when this process was busy: the true TTFT is measured from there (time.time() clock)."""

    def __init__(self, loop, sock):
        self.loop = loop
        self.sock = sock
        self.buf = bytearray()
        self.buf_ts = 0.0
        self.msg_ts = 0.0
        self.eof = False
        self.err = None
        self.closed = False
        self._waiter = None
        self._out = bytearray()
        self._drain = None
        self.kernel_ts = False
        if _SO_TIMESTAMPNS is not None and hasattr(sock, "recvmsg"):
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                self.kernel_ts = True
            except OSError:
                pass
        try:
            self.peer = sock.getpeername()
        except OSError:
            self.peer = ("?", 0)
        loop.add_reader(sock.fileno(), self._readable)

    @property
    def transport(self):
        return self

    def _readable(self):
        for _ in range(16):
            try:
                if self.kernel_ts:
                    data, anc, _, _ = self.sock.recvmsg(262144, socket.CMSG_SPACE(_TS.size))
                    ts = None
                    for level, typ, d in anc:
                        if level == socket.SOL_SOCKET and typ == _SO_TIMESTAMPNS and len(d) >= _TS.size:
                            sec, nsec = _TS.unpack_from(d)
                            ts = sec + nsec * 1e-9
                    if ts is None:
                        ts = time.time()
                else:
                    data, ts = self.sock.recv(262144), time.time()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self.err = e
                self.eof = True
                self._stop_reading()
                break
            if not data:
                self.eof = True
                self._stop_reading()
                break
            if not self.buf:
                self.buf_ts = ts
            self.buf += data
        self._wake()

    def _stop_reading(self):
        try:
            self.loop.remove_reader(self.sock.fileno())
        except (ValueError, OSError):
            pass

    def _wake(self):
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def _wait(self):
        if self.eof:
            raise asyncio.IncompleteReadError(bytes(self.buf), None)
        self._waiter = self.loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def readuntil(self, sep, limit=1 << 20):
        start = 0
        while True:
            i = self.buf.find(sep, start)
            if i >= 0:
                self.msg_ts = self.buf_ts
                out = bytes(self.buf[: i + len(sep)])
                del self.buf[: i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise asyncio.LimitOverrunError("separator not found", len(self.buf))
            start = max(0, len(self.buf) - len(sep) + 1)
            await self._wait()

    async def readexactly(self, n):
        while len(self.buf) < n:
            await self._wait()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def write(self, data):
        if self.closed:
            raise ConnectionResetError("connection closed")
        if self._out:
            self._out += data
            return
        try:
            k = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            k = 0
        except OSError as e:
            self.abort()
            raise ConnectionResetError(str(e))
        if k < len(data):
            self._out += data[k:]
            self.loop.add_writer(self.sock.fileno(), self._writable)

    def _writable(self):
        try:
            k = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.err = e
            self._out = bytearray()
            self._stop_writing()
            self._release_drain()
            self.abort()
            return
        del self._out[:k]
        if not self._out:
            self._stop_writing()
            self._release_drain()

    def _stop_writing(self):
        try:
            self.loop.remove_writer(self.sock.fileno())
        except (ValueError, OSError):
            pass

    def _release_drain(self):
        d = self._drain
        if d is not None and not d.done():
            d.set_result(None)

    async def drain(self):
        if self.closed:
            raise ConnectionResetError("connection closed")
        if self._out:
            self._drain = self.loop.create_future()
            await self._drain
            if self.closed:
                raise ConnectionResetError("connection closed")

    def abort(self):
        """Cut the connection at once (RST): the client sees the stream end without [DONE]."""
        if self.closed:
            return
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self._stop_reading()
        self._stop_writing()
        self._release_drain()
        self.eof = True
        self._wake()
        try:
            self.sock.close()
        except OSError:
            pass



class HttpError(Exception):
    def __init__(self, status: int, message: str, etype: str = "BadRequestError"):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.etype = etype


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 500: "Internal Server Error"}


class SimServer:
    def __init__(self, config: dict):
        cfg = dict(DEFAULTS)
        unknown = [k for k in (config or {}) if k not in DEFAULTS]
        if unknown:
            raise ValueError("unknown simulated-server config keys: %s" % ", ".join(sorted(unknown)))
        cfg.update({k: v for k, v in (config or {}).items() if v is not None})
        self.cfg = cfg
        models = cfg["model"]
        self.models = [models] if isinstance(models, str) else list(models)
        if not self.models:
            raise ValueError("at least one model name is needed")
        self.key = AnswerKey.load(cfg["answer_key"], float(cfg["correct_share"])) if cfg["answer_key"] else None
        self.log = cfg["log"] or sys.stderr
        self.inflight = 0
        self.gen_count = 0
        self.nonerror_count = 0
        self.nondrop_count = 0
        self.records = []
        self.created = int(time.time())
        self._stats_fh = open(cfg["stats_file"], "a", encoding="utf-8") if cfg["stats_file"] else None
        self._tok_window = [0, 0]  # prompt, generation tokens since the last metrics line
        self.port = None
        self._server = None
        self._accept_task = None
        self._conn_tasks = set()

    # ---- logging -------------------------------------------------------------------------------------
    def _log(self, line: str) -> None:
        try:
            self.log.write(line + "\n")
            self.log.flush()
        except Exception:
            pass

    # ---- injection -----------------------------------------------------------------------------------
    def _pick_fault(self) -> str:
        self.gen_count += 1
        n = self.gen_count
        er, dr = float(self.cfg["error_rate"]), float(self.cfg["drop_rate"])
        if er > 0 and int(n * er) > int((n - 1) * er):
            return "error"
        self.nonerror_count += 1
        m = self.nonerror_count
        if dr > 0 and int(m * dr + 0.5) > int((m - 1) * dr + 0.5):
            return "drop"
        self.nondrop_count += 1
        k, sr = self.nondrop_count, float(self.cfg["stall_rate"])
        if sr > 0 and int(k * sr + 0.5) > int((k - 1) * sr + 0.5):
            return "stall"
        return ""

    async def _cut(self, writer, rec, fault):
        """The injected end of a request: a reset, a clean close, or silence with the connection open."""
        if fault == "stall":
            rec["status"] = "stalled"
            limit = float(self.cfg["stall_s"] or 0)
            t_end = time.time() + limit if limit > 0 else None
            while not writer.closed and (t_end is None or time.time() < t_end):
                if writer.eof:  # the client gave up: it closed its side
                    break
                await asyncio.sleep(0.05)
            writer.close()
            return -1
        rec["status"] = "dropped"
        if self.cfg["drop_style"] == "close":
            writer.close()
        else:
            writer.transport.abort()
        return -1

    def _record(self, rec: dict) -> None:
        self.records.append(rec)
        if self._stats_fh:
            self._stats_fh.write(json.dumps(rec) + "\n")
            self._stats_fh.flush()

    # ---- HTTP plumbing -------------------------------------------------------------------------------
    async def handle_conn(self, conn: "_Conn") -> None:
        reader = writer = conn
        peer = conn.peer
        served = 0
        ka_n = int(self.cfg["keepalive_requests"] or 0)
        ka_t = float(self.cfg["keepalive_timeout_s"] or 0)
        try:
            while True:
                try:
                    if served and ka_t > 0:
                        # idle past the keep-alive timeout: closed without a word, as uvicorn and nginx do
                        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ka_t)
                    else:
                        head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.TimeoutError:
                    return
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    await self._send_json(writer, 413, {"error": "headers too large"}, close=True)
                    return
                t_arrival = conn.msg_ts  # when the request's first bytes reached this host
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    await self._send_json(writer, 400, _err("malformed request line", 400), close=True)
                    return
                method, target, version = parts
                headers = {}
                for ln in lines[1:]:
                    if ":" in ln:
                        k, v = ln.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = b""
                if "content-length" in headers:
                    try:
                        n = int(headers["content-length"])
                    except ValueError:
                        await self._send_json(writer, 400, _err("bad Content-Length", 400), close=True)
                        return
                    if n > 64 * 1024 * 1024:
                        await self._send_json(writer, 413, _err("body too large", 413), close=True)
                        return
                    body = await reader.readexactly(n)
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                served += 1
                if ka_n and served >= ka_n:
                    keep = False  # the last request this connection may carry: the response says close
                conn.extra_headers = ("keep-alive: timeout=%g, max=%d\r\n" % (ka_t, max(0, ka_n - served)) if (
                    keep and self.cfg["keepalive_header"]) else "")
                status = await self.dispatch(method, target, headers, body, writer, keep, t_arrival)
                if self.cfg["access_log"]:
                    self._log('INFO:     %s:%s - "%s %s %s" %d %s' % (peer[0], peer[1], method, target, version, status,
                                                                       _REASONS.get(status, "")))
                if status < 0 or not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            conn.close()

    async def _send(self, writer, status, body: bytes, ctype: str, close: bool) -> None:
        hdr = ("HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nx-ascend-adapt-simulated: 1\r\n"
               "server: ascend-adapt-simulated\r\n%s%s\r\n") % (
            status, _REASONS.get(status, "Unknown"), ctype, len(body), "connection: close\r\n" if close else "",
            getattr(writer, "extra_headers", ""))
        writer.write(hdr.encode("latin-1") + body)
        await writer.drain()

    async def _send_json(self, writer, status, obj, close=False) -> None:
        await self._send(writer, status, json.dumps(obj).encode("utf-8"), "application/json", close)

    async def dispatch(self, method, target, headers, body, writer, keep, t_arrival) -> int:
        path = target.split("?", 1)[0]
        query = target.split("?", 1)[1] if "?" in target else ""
        try:
            if path == "/health":
                await self._send(writer, 200, b"", "text/plain", not keep)
                return 200
            if path == "/version":
                await self._send_json(writer, 200, {"version": self.cfg["version"], "simulated": True}, not keep)
                return 200
            if path == "/sim/stats":
                recs = self.records
                if "since=" in query:
                    try:
                        recs = recs[int(query.split("since=", 1)[1].split("&")[0]):]
                    except ValueError:
                        pass
                await self._send_json(writer, 200, {"simulated": True, "latency_model": self.latency_model(),
                                                    "inflight": self.inflight, "requests": recs}, not keep)
                return 200
            if path == "/sim/reset" and method == "POST":
                self.records = []
                self.gen_count = 0
                self.nonerror_count = 0
                self.nondrop_count = 0
                await self._send_json(writer, 200, {"simulated": True, "reset": True}, not keep)
                return 200
            if self.cfg["api_key"] and headers.get("authorization", "") != "Bearer %s" % self.cfg["api_key"]:
                raise HttpError(401, "Unauthorized", "AuthenticationError")
            if path == "/v1/models":
                data = [{"id": m, "object": "model", "created": self.created, "owned_by": SIMULATED_OWNER,
                         "root": m, "parent": None, "max_model_len": self.cfg["max_model_len"], "simulated": True}
                        for m in self.models]
                await self._send_json(writer, 200, {"object": "list", "data": data, "simulated": True}, not keep)
                return 200
            if path in ("/v1/chat/completions", "/v1/completions"):
                if method != "POST":
                    raise HttpError(405, "use POST", "MethodNotAllowed")
                try:
                    req = json.loads(body.decode("utf-8") or "null")
                except ValueError as e:
                    raise HttpError(400, "request body is not JSON: %s" % e)
                if not isinstance(req, dict):
                    raise HttpError(400, "request body must be a JSON object")
                return await self.generate(path == "/v1/chat/completions", req, writer, keep, t_arrival)
            route = (self.cfg["routes"] or {}).get(path)
            if route is not None and method == "POST":
                status, obj = await asyncio.get_event_loop().run_in_executor(None, route, body)
                if obj is None:
                    await self._send(writer, status, b"", "application/json", not keep)
                else:
                    await self._send_json(writer, status, obj, not keep)
                return status
            raise HttpError(404, "Not Found", "NotFoundError")
        except HttpError as e:
            await self._send_json(writer, e.status, _err(e.message, e.status, e.etype), not keep)
            return e.status

    # ---- generation ----------------------------------------------------------------------------------
    def latency_model(self) -> dict:
        c = self.cfg
        return {"ttft_base_ms": c["ttft_base_ms"], "ttft_per_prompt_token_ms": c["ttft_per_prompt_token_ms"],
                "tpot_base_ms": c["tpot_base_ms"], "tpot_per_inflight_ms": c["tpot_per_inflight_ms"]}

    def _parse(self, chat: bool, req: dict):
        model = req.get("model")
        if model is None:
            model = self.models[0]
        if model not in self.models:
            raise HttpError(404, "The model `%s` does not exist." % model, "NotFoundError")
        if chat:
            msgs = req.get("messages")
            if not isinstance(msgs, list) or not msgs:
                raise HttpError(400, "'messages' must be a non-empty list")
            texts = []
            for m in msgs:
                if not isinstance(m, dict):
                    raise HttpError(400, "each message must be an object")
                c = m.get("content")
                if isinstance(c, list):  # content parts
                    c = "".join(p.get("text", "") for p in c if isinstance(p, dict))
                texts.append(c if isinstance(c, str) else "")
            prompts = ["\n".join(texts)]
            ptoks = [sum(count_tokens(t) for t in texts)]
        else:
            p = req.get("prompt")
            if isinstance(p, str):
                prompts = [p]
            elif isinstance(p, list) and p and all(isinstance(x, str) for x in p):
                prompts = list(p)
            elif isinstance(p, list) and p and all(isinstance(x, int) for x in p):
                prompts = [" ".join("t%d" % x for x in p)]
            else:
                raise HttpError(400, "'prompt' must be a string, a list of strings or a list of token ids")
            ptoks = [count_tokens(x) for x in prompts]
        mt = req.get("max_completion_tokens", req.get("max_tokens"))
        if mt is None:
            mt = self.cfg["default_max_tokens"]
        if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
            raise HttpError(400, "max_tokens must be a positive integer")
        for pt in ptoks:
            if pt + mt > int(self.cfg["max_model_len"]):
                raise HttpError(400, "This model's maximum context length is %d tokens. However, you requested %d "
                                     "tokens (%d in the messages, %d in the completion). Please reduce the length "
                                     "of the messages or completion." % (self.cfg["max_model_len"], pt + mt, pt, mt))
        stop = req.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        stop = [s for s in stop if isinstance(s, str) and s]
        ignore_eos = bool(req.get("ignore_eos"))
        min_tokens = req.get("min_tokens") or 0
        so = req.get("stream_options") or {}
        lp = req.get("logprobs")
        if lp is not None and not chat and (isinstance(lp, bool) or not isinstance(lp, int) or lp < 0):
            raise HttpError(400, "logprobs must be a non-negative integer")
        return {
            "model": model, "prompts": prompts, "ptoks": ptoks, "max_tokens": mt, "stop": stop,
            "ignore_eos": ignore_eos, "min_tokens": int(min_tokens) if isinstance(min_tokens, int) else 0,
            "stream": bool(req.get("stream")), "include_usage": bool(isinstance(so, dict) and so.get("include_usage")),
            "echo": bool(req.get("echo")) and not chat, "logprobs": None if chat else lp,
        }

    def _completion_pieces(self, prompt: str, p: dict):
        """(pieces, finish_reason, answer_key_hit)."""
        hit = None
        if self.key:
            hit = self.key.lookup(prompt)
        if p["ignore_eos"]:
            target = p["max_tokens"]
            text = default_text(prompt, target) if hit is None else hit[0]
            pieces = tokenize(text)
            while len(pieces) < target:  # pad answer text with filler to exactly max_tokens
                pieces += tokenize(" " + default_text(prompt + str(len(pieces)), target - len(pieces)))
            return pieces[:target], "length", hit
        if hit is not None:
            text = hit[0]
        else:
            natural = 8 + _h(prompt) % 41  # 8..48 tokens
            text = default_text(prompt, max(natural, p["min_tokens"]))
        for s in p["stop"]:
            i = text.find(s)
            if i >= 0:
                text = text[:i]
        pieces = tokenize(text)
        if not pieces:
            pieces = [""]
        if len(pieces) > p["max_tokens"]:
            return pieces[: p["max_tokens"]], "length", hit
        return pieces, "stop", hit

    # ---- log-probabilities (completions: echo / logprobs) -----------------------------------------------
    def _greedy_first(self, prefix: str) -> str:
        """The first token this simulated model would generate after `prefix` (answer key, else filler)."""
        hit = self.key.lookup(prefix) if self.key else None
        if hit is None:
            return "["  # default_text() always starts with "[simulated]"
        pieces = tokenize(hit[0])
        return pieces[0] if pieces else ""

    def _token_logprob(self, prefix: str, token: str) -> float:
        """SIMULATED scoring: the token the model would generate next gets -0.05; any other token a value in
        [-9, -3] from a hash of (prefix, token). Enough to make log-likelihood ranking determinable."""
        want = self._greedy_first(prefix).strip()
        if want and token.strip() == want:
            return -0.05
        return -3.0 - (_h(prefix[-200:] + "\u0000" + token) % 6000) / 1000.0

    def _logprobs(self, prompt: str, pieces: list, p: dict) -> dict:
        """vLLM's completions `logprobs` object: tokens, token_logprobs (None for the first prompt token),
        top_logprobs, text_offset; prompt tokens first when echo is set, then the generated ones."""
        toks = (tokenize(prompt) if p["echo"] else []) + [x for x in pieces if x]
        vals, tops, offs = [], [], []
        pos = 0
        text = "" if p["echo"] else prompt
        for i, t in enumerate(toks):
            offs.append(pos)
            pos += len(t)
            if p["echo"] and i == 0:
                vals.append(None)
                tops.append(None)
            else:
                v = self._token_logprob(text, t)
                vals.append(v)
                best = self._greedy_first(text)
                tops.append({t: v} if best.strip() == t.strip() or not p["logprobs"] else {t: v, best: -0.05})
            text += t
        return {"tokens": toks, "token_logprobs": vals, "top_logprobs": tops, "text_offset": offs}

    async def generate(self, chat: bool, req: dict, writer, keep: bool, t_arrival: float) -> int:
        p = self._parse(chat, req)
        fault = self._pick_fault()
        c = self.cfg
        rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        created = int(time.time())
        n_prompts = len(p["prompts"])
        outs = [self._completion_pieces(pr, p) for pr in p["prompts"]]
        n_out = max(len(o[0]) for o in outs)
        total_ptoks = sum(p["ptoks"])
        rec = {"id": rid, "endpoint": "chat" if chat else "completions", "stream": p["stream"],
               "arrival_unix": time.time(), "prompt_tokens": total_ptoks,
               "completion_tokens": sum(len(o[0]) for o in outs), "inflight_at_arrival": self.inflight + 1,
               "nominal_ttft_ms": c["ttft_base_ms"] + c["ttft_per_prompt_token_ms"] * max(p["ptoks"]),
               "status": "ok", "ttft_ms": None, "tpot_ms": None, "e2el_ms": None, "nominal_tpot_ms": None,
               "answer_key_hit": None if outs[0][2] is None else bool(outs[0][2][1]), "simulated": True}
        if fault == "error":
            rec["status"] = "error"
            self._record(rec)
            raise HttpError(500, "simulated server error (injected)", "InternalServerError")
        self.inflight += 1
        step_sum = 0.0
        try:
            ttft_s = rec["nominal_ttft_ms"] / 1000.0
            t_next = t_arrival + ttft_s
            first_t = None
            last_t = None
            sent_hdr = False

            def chunk_obj(choices, usage=None):
                o = {"id": rid, "object": "chat.completion.chunk" if chat else "text_completion", "created": created,
                     "model": p["model"], "choices": choices, "simulated": True}
                if usage is not None:
                    o["usage"] = usage
                elif p["include_usage"]:
                    o["usage"] = None
                return o

            if not p["stream"]:
                # Non-streaming: sleep through the whole generation, then answer once.
                t_mid = None
                for i in range(1, n_out):
                    step = (c["tpot_base_ms"] + c["tpot_per_inflight_ms"] * self.inflight) / 1000.0
                    step_sum += step
                    t_next += step
                    if i == n_out // 2:
                        t_mid = t_next
                if fault == "drop":
                    await _sleep_until(t_mid if t_mid is not None else t_next)
                    return await self._cut(writer, rec, fault)
                if fault == "stall":
                    return await self._cut(writer, rec, fault)
                await _sleep_until(t_next)
                usage = _usage(total_ptoks, sum(len(o[0]) for o in outs))
                if chat:
                    text, fin, _ = outs[0]
                    choices = [{"index": 0, "message": {"role": "assistant", "content": "".join(text),
                                                        "reasoning_content": None, "tool_calls": []},
                                "logprobs": None, "finish_reason": fin, "stop_reason": None}]
                    obj = "chat.completion"
                else:
                    choices = [{"index": k, "text": (pr if p["echo"] else "") + "".join(o[0]),
                                "logprobs": self._logprobs(pr, o[0], p) if p["echo"] or p["logprobs"] is not None
                                else None, "finish_reason": o[1], "stop_reason": None}
                               for k, (o, pr) in enumerate(zip(outs, p["prompts"]))]
                    obj = "text_completion"
                await self._send_json(writer, 200, {"id": rid, "object": obj, "created": created, "model": p["model"],
                                                    "choices": choices, "usage": usage, "simulated": True,
                                                    "system_fingerprint": SIMULATED_OWNER}, not keep)
                e2el = (time.time() - t_arrival) * 1000.0
                rec.update({"e2el_ms": e2el, "nominal_e2el_ms": (t_next - t_arrival) * 1000.0})
                return 200

            hdr = ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
                   "x-ascend-adapt-simulated: 1\r\nserver: ascend-adapt-simulated\r\ntransfer-encoding: chunked\r\n%s%s\r\n"
                   % ("" if keep else "connection: close\r\n", getattr(writer, "extra_headers", "")))
            fast = None
            if n_prompts == 1:
                marker = "\u0000TOKEN\u0000"
                if chat:
                    tmpl = chunk_obj([{"index": 0, "delta": {"content": marker}, "logprobs": None, "finish_reason": None}])
                else:
                    tmpl = chunk_obj([{"index": 0, "text": marker, "logprobs": None, "finish_reason": None,
                                       "stop_reason": None}])
                pre, post = json.dumps(tmpl, ensure_ascii=False).split(json.dumps(marker), 1)
                fast = (b"data: " + pre.encode("utf-8"), post.encode("utf-8") + b"\n\n")
            for i in range(n_out):
                if i > 0:
                    step = (c["tpot_base_ms"] + c["tpot_per_inflight_ms"] * self.inflight) / 1000.0
                    step_sum += step
                    t_next += step
                    d = t_next - time.time()
                    if d > 0:
                        await asyncio.sleep(d)
                else:
                    await _sleep_until(t_next)
                if fault in ("drop", "stall") and i >= max(1, n_out // 2):
                    if writer._out:
                        await writer.drain()
                    return await self._cut(writer, rec, fault)
                buf = []
                if not sent_hdr:
                    buf.append(hdr.encode("latin-1"))
                    sent_hdr = True
                    if chat:
                        buf.append(_sse(chunk_obj([{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                    "logprobs": None, "finish_reason": None}])))
                if fast is not None and i < n_out - 1:
                    # one prompt, a middle token: the chunk's JSON is fixed around the token text
                    buf.append(_chunk(fast[0] + json.dumps(outs[0][0][i], ensure_ascii=False).encode("utf-8") + fast[1]))
                else:
                    choices = []
                    for k, (pieces, fin, _) in enumerate(outs):
                        if i >= len(pieces):
                            continue
                        last = i == len(pieces) - 1
                        if chat:
                            choices.append({"index": k, "delta": {"content": pieces[i]}, "logprobs": None,
                                            "finish_reason": fin if last else None})
                        else:
                            choices.append({"index": k, "text": pieces[i], "logprobs": None,
                                            "finish_reason": fin if last else None, "stop_reason": None})
                    buf.append(_sse(chunk_obj(choices)))
                if i == n_out - 1:
                    if p["include_usage"]:
                        buf.append(_sse(chunk_obj([], _usage(total_ptoks, sum(len(o[0]) for o in outs)))))
                    buf.append(_chunk(b"data: [DONE]\n\n"))
                    buf.append(b"0\r\n\r\n")
                writer.write(b"".join(buf))
                now = time.time()
                if first_t is None:
                    first_t = now
                last_t = now
                self._tok_window[1] += n_prompts
                if writer._out:
                    await writer.drain()
            rec.update({"ttft_ms": (first_t - t_arrival) * 1000.0,
                        "tpot_ms": ((last_t - first_t) * 1000.0 / (n_out - 1)) if n_out > 1 else None,
                        "e2el_ms": (last_t - t_arrival) * 1000.0,
                        "nominal_tpot_ms": (step_sum * 1000.0 / (n_out - 1)) if n_out > 1 else None})
            return 200
        except (ConnectionError, asyncio.IncompleteReadError):
            rec["status"] = "client_gone"
            return -1
        finally:
            self.inflight -= 1
            self._tok_window[0] += total_ptoks
            rec["output_tokens"] = n_out
            self._record(rec)

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def _metrics_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            pt, gt = self._tok_window
            self._tok_window = [0, 0]
            self._log("INFO %s [loggers.py] Engine 000: Avg prompt throughput: %.1f tokens/s, Avg generation "
                      "throughput: %.1f tokens/s, Running: %d reqs, Waiting: 0 reqs (simulated)"
                      % (time.strftime("%m-%d %H:%M:%S"), pt / interval, gt / interval, self.inflight))

    async def start(self):
        loop = asyncio.get_event_loop()
        infos = socket.getaddrinfo(self.cfg["host"], int(self.cfg["port"]), type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, type_, proto, _, addr = infos[0]
        ls = socket.socket(family, type_, proto)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.cfg["reuse_port"]:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        ls.bind(addr)
        if _SO_TIMESTAMPNS is not None:
            try:  # accepted sockets inherit it, so a request that arrives before accept() is stamped too
                ls.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            except OSError:
                pass
        ls.listen(4096)  # thousands of streams may connect at once; an overflowing queue would delay them unseen
        ls.setblocking(False)
        self._server = ls
        self.port = ls.getsockname()[1]
        self._accept_task = asyncio.ensure_future(self._accept_loop(loop, ls))
        if self.cfg["port_file"]:
            tmp = self.cfg["port_file"] + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(self.port))
            os.replace(tmp, self.cfg["port_file"])
        return self._server

    async def _accept_loop(self, loop, ls):
        while True:
            try:
                sock, _ = await loop.sock_accept(ls)
            except asyncio.CancelledError:
                raise
            except OSError as e:
                self._log("WARNING: accept failed: %s" % e)
                await asyncio.sleep(0.05)
                continue
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            t = asyncio.ensure_future(self.handle_conn(_Conn(loop, sock)))
            self._conn_tasks.add(t)
            t.add_done_callback(self._conn_tasks.discard)

    def close(self) -> None:
        if self._accept_task:
            self._accept_task.cancel()
        for t in list(self._conn_tasks):
            t.cancel()
        if self._server:
            self._server.close()
        if self._stats_fh:
            self._stats_fh.close()
            self._stats_fh = None


def _err(message: str, code: int, etype: str = "BadRequestError") -> dict:
    return {"object": "error", "message": message, "type": etype, "param": None, "code": code, "simulated": True}


def _usage(pt: int, ct: int) -> dict:
    return {"prompt_tokens": pt, "total_tokens": pt + ct, "completion_tokens": ct, "prompt_tokens_details": None}


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _sse(obj: dict) -> bytes:
    return _chunk(b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n")


async def _sleep_until(t: float) -> None:
    d = t - time.time()
    if d > 0:
        await asyncio.sleep(d)


async def _read_chunked(reader) -> bytes:
    out = []
    while True:
        line = await reader.readuntil(b"\r\n")
        n = int(line.split(b";")[0].strip() or b"0", 16)
        if n == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(out)
        out.append(await reader.readexactly(n))
        await reader.readexactly(2)


async def serve_async(config: dict, ready=None, stop_event=None) -> None:
    """Run the server in the current event loop until stop_event (an asyncio.Event) is set or cancelled."""
    srv = SimServer(config)
    await srv.start()
    srv._log("INFO:     Simulated OpenAI-compatible server (ascend-adapt, SIMULATED) serving %s"
             % ", ".join(srv.models))
    srv._log("INFO:     Uvicorn running on http://%s:%d (Press CTRL+C to quit)" % (srv.cfg["host"], srv.port))
    metrics = None
    if float(srv.cfg["metrics_log_interval_s"] or 0) > 0:
        metrics = asyncio.ensure_future(srv._metrics_loop(float(srv.cfg["metrics_log_interval_s"])))
    if ready:
        ready(srv)
    try:
        if stop_event is None:
            stop_event = asyncio.Event()
        await stop_event.wait()
    finally:
        if metrics:
            metrics.cancel()
        srv.close()
        srv._log("INFO:     Shutting down (simulated server)")


def serve(config: dict) -> None:
    """Blocking: serve until SIGINT or SIGTERM."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        loop.run_until_complete(serve_async(config, stop_event=stop))
    finally:
        loop.close()


class Handle:
    """A server running in a background thread (for tests and benchmarks)."""

    def __init__(self):
        self.server = None
        self.port = None
        self.url = None
        self._loop = None
        self._stop = None
        self._thread = None

    def stats(self) -> list:
        return list(self.server.records)

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)


def start_in_thread(config: dict) -> Handle:
    h = Handle()
    ready = threading.Event()
    errs = []

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        h._loop = loop
        h._stop = asyncio.Event()

        def on_ready(srv):
            h.server = srv
            h.port = srv.port
            h.url = "http://%s:%d" % (srv.cfg["host"], srv.port)
            ready.set()

        try:
            loop.run_until_complete(serve_async(config, on_ready, h._stop))
        except Exception as e:  # pragma: no cover - reported to the caller
            errs.append(e)
            ready.set()
        finally:
            loop.close()

    h._thread = threading.Thread(target=run, name="sim-openai-server", daemon=True)
    h._thread.start()
    ready.wait(30)
    if errs:
        raise errs[0]
    return h


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Simulated OpenAI-compatible server (vLLM-shaped, SIMULATED).")
    ap.add_argument("--host", default=DEFAULTS["host"])
    ap.add_argument("--port", type=int, default=DEFAULTS["port"])
    ap.add_argument("--model", action="append", help="served model name (repeatable)")
    ap.add_argument("--max-model-len", type=int, default=DEFAULTS["max_model_len"])
    ap.add_argument("--ttft-base-ms", type=float, default=DEFAULTS["ttft_base_ms"])
    ap.add_argument("--ttft-per-prompt-token-ms", type=float, default=DEFAULTS["ttft_per_prompt_token_ms"])
    ap.add_argument("--tpot-base-ms", type=float, default=DEFAULTS["tpot_base_ms"])
    ap.add_argument("--tpot-per-inflight-ms", type=float, default=DEFAULTS["tpot_per_inflight_ms"])
    ap.add_argument("--default-max-tokens", type=int, default=DEFAULTS["default_max_tokens"])
    ap.add_argument("--answer-key", help="JSONL of {match, answer[, wrong][, correct]}")
    ap.add_argument("--correct-share", type=float, default=DEFAULTS["correct_share"])
    ap.add_argument("--error-rate", type=float, default=0.0, help="share of requests failed with HTTP 500")
    ap.add_argument("--drop-rate", type=float, default=0.0, help="share of requests whose stream is cut mid-way")
    ap.add_argument("--drop-style", choices=["reset", "close"], default="reset")
    ap.add_argument("--stall-rate", type=float, default=0.0, help="share of requests that go silent mid-way")
    ap.add_argument("--stall-s", type=float, default=0.0, help="how long a stall lasts (0 = until the client leaves)")
    ap.add_argument("--keepalive-requests", type=int, default=0, help="close a connection after N responses")
    ap.add_argument("--keepalive-timeout", type=float, default=0.0, help="close a connection idle for S seconds")
    ap.add_argument("--keepalive-header", action="store_true", help="announce Keep-Alive: timeout=, max=")
    ap.add_argument("--reuse-port", action="store_true", help="SO_REUSEPORT: several processes serve one port")
    ap.add_argument("--api-key")
    ap.add_argument("--stats-file", help="append the true per-request timings here (JSONL)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--no-access-log", action="store_true")
    ap.add_argument("--metrics-log-interval", type=float, default=0.0)
    a = ap.parse_args(argv)
    cfg = {
        "host": a.host, "port": a.port, "model": a.model or DEFAULTS["model"], "max_model_len": a.max_model_len,
        "ttft_base_ms": a.ttft_base_ms, "ttft_per_prompt_token_ms": a.ttft_per_prompt_token_ms,
        "tpot_base_ms": a.tpot_base_ms, "tpot_per_inflight_ms": a.tpot_per_inflight_ms,
        "default_max_tokens": a.default_max_tokens, "answer_key": a.answer_key, "correct_share": a.correct_share,
        "error_rate": a.error_rate, "drop_rate": a.drop_rate, "drop_style": a.drop_style, "stall_rate": a.stall_rate,
        "stall_s": a.stall_s, "keepalive_requests": a.keepalive_requests, "keepalive_timeout_s": a.keepalive_timeout,
        "keepalive_header": a.keepalive_header, "reuse_port": a.reuse_port, "api_key": a.api_key, "stats_file": a.stats_file,
        "port_file": a.port_file, "access_log": not a.no_access_log, "metrics_log_interval_s": a.metrics_log_interval,
    }
    try:
        serve(cfg)
    except (ValueError, OSError) as e:
        sys.stderr.write("error: %s\n" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
