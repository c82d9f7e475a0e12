"""HTTP/1.1 client shared by the host scripts (perf, accuracy, endpoint checks). Standard library only, Python >= 3.8.

It speaks HTTP/1.1 the way the servers in front of vLLM do (uvicorn, nginx, ...):

* Persistent connections, one request at a time each. A response with `Connection: close`, an HTTP/1.0
  response without keep-alive, or a body delimited by the close retires its connection; `Keep-Alive:
  timeout=N, max=M` (when a server sends it) is honoured: the connection is not reused past either.
* A kept-alive connection the server closed while it sat idle is found before the next request is written
  (the socket polls readable: EOF, a reset or bytes nobody asked for) and the request goes on another one.
* The race where the server closes an idle connection while the request is on its way: the request is sent
  again on a fresh connection ONLY when it is provable that the server never saw it — the connection was
  reused, no response byte came, and either nothing of the request had been written when the error came, or
  the server's FIN arrived (EOF, not a reset) while its TCP had acknowledged no byte of this request (Linux
  tcp_info bytes_acked). A server that read the request has acknowledged it (a FIN carries the ACK of all
  that was received), so a request the server may have seen is never sent twice. Each such move to another
  connection is counted in `reconnects`, never as a failure.
* Timeouts have one meaning in every tool: `request` = seconds for the whole request (connect to last byte;
  None = no limit), `stall` = seconds without a byte from the server (default 60). A request that hits one
  fails with kind "timeout" ("no answer within S s") or "stalled" ("no data for S s").

Failures carry a kind (FAIL_*), so runs can count them by kind.

Synchronous: Client(base_url).request("POST", "/v1/completions", body=...) -> Response (thread-safe pool).
Asynchronous (the benchmark): AsyncClient drives non-blocking sockets from an asyncio loop's reader callbacks
and hands each body piece to a sink with its arrival time (the kernel's receive timestamp on Linux).
"""
from __future__ import annotations

import asyncio
import json
import select
import socket
import struct
import sys
import threading
import time
from urllib.parse import urlsplit

DEFAULT_STALL_S = 60.0

FAIL_CONNECT = "connect"
FAIL_SEND = "send"
FAIL_CLOSED_BEFORE = "closed_before_response"
FAIL_CLOSED_MID = "closed_mid_response"
FAIL_STALLED = "stalled"
FAIL_TIMEOUT = "timeout"
FAIL_BAD_RESPONSE = "bad_response"
FAIL_HTTP = "http_status"
FAIL_INTERRUPTED = "interrupted"

now = time.time  # one clock for stamps taken here and by the kernel (CLOCK_REALTIME)


class Timeouts(object):
    """request: total seconds per request (None = none); stall: seconds without a byte (None = none)."""
    __slots__ = ("request", "stall")

    def __init__(self, request=None, stall=DEFAULT_STALL_S):
        for name, v in (("request", request), ("stall", stall)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0):
                raise ValueError("%s timeout must be a number of seconds above 0, got %r" % (name, v))
        self.request = None if request is None else float(request)
        self.stall = None if stall is None else float(stall)

    def stall_message(self):
        return "no data for %s s" % _secs(self.stall)

    def request_message(self):
        return "no complete answer within %s s" % _secs(self.request)


def _secs(v):
    return ("%d" % v) if float(v).is_integer() else ("%g" % v)


class RequestFailed(Exception):
    def __init__(self, kind, message, status=None):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.status = status


class Response(object):
    __slots__ = ("status", "version", "headers", "body", "reconnects")

    def __init__(self, status, version, headers, body, reconnects):
        self.status = status
        self.version = version
        self.headers = headers
        self.body = body
        self.reconnects = reconnects

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def error_text(body):
    """The message of an OpenAI-style error body, else its first 300 characters."""
    msg = body[:300].decode("utf-8", "replace").strip()
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
        if j.get("detail"):
            return str(j["detail"])
        if isinstance(e, str):
            return e
    return msg


# ---------------------------------------------------------------------------------------------------------
# Response framing (incremental): head, then a body by Content-Length, chunked, or until the close
# ---------------------------------------------------------------------------------------------------------
class ResponseParser(object):
    """feed(data, ts) as bytes arrive; on_body(data, ts) gets body bytes as soon as they are there (chunk data
    without the framing); done is True once the response is complete. eof(ts) at the connection's end: True when
    that end completes the response (a close-delimited body)."""

    def __init__(self, on_body, head_only=False, on_head=None):
        self.on_body = on_body
        self.on_head = on_head
        self.head_only = head_only
        self.reset()

    def reset(self):
        self.buf = bytearray()
        self.state = "head"
        self.mode = None
        self.remaining = 0
        self.status = None
        self.version = None
        self.headers = {}
        self.persistent = False
        self.ka_timeout = None
        self.ka_max = None
        self.done = False
        self.got_bytes = False

    def feed(self, data, ts):
        if data:
            self.got_bytes = True
        while data and not self.done:
            if self.state == "head":
                self.buf += data
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(self.buf) > 1 << 20:
                        raise ValueError("response head over 1 MiB")
                    return
                rest = bytes(self.buf[i + 4:])
                self._head(bytes(self.buf[:i]).decode("latin-1"))
                self.buf = bytearray()
                data = rest
                if self.status < 200:  # 100 Continue, 103 Early Hints: the real head follows
                    self.state = "head"
                    continue
                self.state = "body"
                if self.on_head is not None:
                    self.on_head(self.status, self.headers)
                if self.mode == "length" and self.remaining == 0:
                    self.done = True
                    return
                continue
            if self.mode == "length":
                take = data[: self.remaining]
                self.remaining -= len(take)
                if take:
                    self.on_body(take, ts)
                if self.remaining <= 0:
                    self.done = True
                return
            if self.mode == "close":
                self.on_body(data, ts)
                return
            self._dechunk(data, ts)
            return

    def eof(self, ts):
        if self.state == "body" and self.mode == "close" and not self.done:
            self.done = True
            return True
        return self.done

    def _head(self, text):
        lines = text.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ValueError("not an HTTP response: %r" % lines[0][:80])
        self.version = parts[0]
        self.status = int(parts[1])
        h = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                k = k.strip().lower()
                v = v.strip()
                h[k] = (h[k] + ", " + v) if k in h else v
        self.headers = h
        conn = [t.strip().lower() for t in h.get("connection", "").split(",")]
        if self.version == "HTTP/1.1":
            self.persistent = "close" not in conn
        else:
            self.persistent = "keep-alive" in conn
        for item in h.get("keep-alive", "").split(","):
            k, _, v = item.strip().partition("=")
            try:
                if k.strip().lower() == "timeout":
                    self.ka_timeout = float(v)
                elif k.strip().lower() == "max":
                    self.ka_max = int(v)
            except ValueError:
                pass
        te = h.get("transfer-encoding", "").lower()
        if self.head_only or self.status in (204, 304):
            self.mode = "length"
            self.remaining = 0
        elif te and te.split(",")[-1].strip() == "chunked":
            self.mode = "chunked"
            self.remaining = -1
        elif "content-length" in h:
            v = h["content-length"].split(",")[0].strip()
            if not v.isdigit():
                raise ValueError("bad Content-Length %r" % h["content-length"])
            self.mode = "length"
            self.remaining = int(v)
        else:
            self.mode = "close"
            self.persistent = False

    def _dechunk(self, data, ts):
        buf = self.buf
        buf += data
        pos = 0
        while True:
            if self.remaining == -1:  # a size line
                j = buf.find(b"\r\n", pos)
                if j < 0:
                    if len(buf) - pos > 4096:
                        raise ValueError("chunk size line too long")
                    break
                size_txt = bytes(buf[pos:j]).split(b";")[0].strip()
                if not size_txt or any(c not in b"0123456789abcdefABCDEF" for c in size_txt):
                    raise ValueError("bad chunk size %r" % size_txt[:20])
                size = int(size_txt, 16)
                pos = j + 2
                self.remaining = -2 if size == 0 else size
            elif self.remaining == -2:  # trailers, then an empty line
                j = buf.find(b"\r\n", pos)
                if j < 0:
                    break
                if j == pos:
                    self.buf = bytearray()
                    self.done = True
                    return
                pos = j + 2
            elif self.remaining == -3:  # the CRLF after a chunk's data
                if len(buf) - pos < 2:
                    break
                if buf[pos:pos + 2] != b"\r\n":
                    raise ValueError("chunk data not followed by CRLF")
                pos += 2
                self.remaining = -1
            else:
                avail = min(len(buf) - pos, self.remaining)
                if avail <= 0:
                    break
                # hand over what is there now: a token's arrival time is not held back by the chunk's end
                self.on_body(bytes(buf[pos:pos + avail]), ts)
                pos += avail
                self.remaining -= avail
                if self.remaining == 0:
                    self.remaining = -3
        if pos:
            del buf[:pos]


# ---------------------------------------------------------------------------------------------------------
# Socket helpers
# ---------------------------------------------------------------------------------------------------------
_TCP_INFO = getattr(socket, "TCP_INFO", 11 if sys.platform.startswith("linux") else None)
_BYTES_ACKED_AT = 120  # struct tcp_info: tcpi_bytes_acked (u64), Linux >= 4.2


def tcp_bytes_acked(sock):
    """Bytes of ours the peer's TCP has acknowledged, or None where the kernel does not say."""
    if _TCP_INFO is None:
        return None
    try:
        b = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 256)
    except (OSError, ValueError):
        return None
    if len(b) < _BYTES_ACKED_AT + 8:
        return None
    return struct.unpack_from("=Q", b, _BYTES_ACKED_AT)[0]


def idle_socket_unusable(sock):
    """An idle kept-alive socket that polls readable has been closed or reset by the server, or holds bytes
    nobody asked for: either way it must not carry a request."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return True
        if hasattr(select, "poll"):
            p = select.poll()
            p.register(fd, select.POLLIN | select.POLLPRI)
            return bool(p.poll(0))
        r, _, x = select.select([fd], [], [fd], 0)
        return bool(r or x)
    except (OSError, ValueError):
        return True


def provably_unseen(reused, got_bytes, written, clean_eof, acked_before, acked_after):
    """May a request that ended without an answer go again on a fresh connection? Only when the server
    cannot have seen it (see the module doc)."""
    if not reused or got_bytes:
        return False
    if written == 0:
        return True
    return clean_eof and acked_before is not None and acked_after is not None and acked_after == acked_before


def _split_url(base_url):
    u = urlsplit(base_url)
    if u.scheme not in ("http", "https"):
        raise ValueError("not an http(s) URL: %r" % base_url)
    prefix = u.path.rstrip("/")
    if prefix.endswith("/v1"):
        prefix = prefix[:-3]
    host = u.hostname or "127.0.0.1"
    return u.scheme, host, u.port or (443 if u.scheme == "https" else 80), prefix


def build_request(method, host_header, path, body=None, headers=None, content_type="application/json"):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host_header]
    if body is not None:
        lines.append("Content-Type: %s" % content_type)
        lines.append("Content-Length: %d" % len(body))
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def _host_header(scheme, host, port):
    h = ("[%s]" % host) if ":" in host else host
    return h if port == (443 if scheme == "https" else 80) else "%s:%d" % (h, port)


class IdleLimit(object):
    """How long this server keeps an idle connection open, learned from what it does (few servers say: nginx and
    uvicorn close idle connections after keepalive_timeout / timeout_keep_alive without a header). Once a close
    of an idle connection has been seen, connections idle nearly that long are not reused any more, so the
    client stops racing the server's timer (a request written just as the server closes may be cut by a reset,
    which cannot be told apart from a server that read it, so it could not be sent again)."""
    __slots__ = ("seen",)

    def __init__(self):
        self.seen = None

    def observed(self, idle_s):
        if idle_s is not None and idle_s >= 0 and (self.seen is None or idle_s < self.seen):
            self.seen = idle_s

    def horizon(self):
        return None if self.seen is None else self.seen - max(0.1, 0.1 * self.seen)


class _Idle(object):
    """When a kept-alive connection may be reused: the server's Keep-Alive limits, announced or learned."""
    __slots__ = ("uses", "expires", "max_left", "since")

    def __init__(self):
        self.uses = 0
        self.expires = None
        self.max_left = None
        self.since = None

    def idle_for(self, t):
        return None if self.since is None else t - self.since

    def after_response(self, parser, t):
        self.uses += 1
        self.since = t
        # a server that announces timeout=N closes at N: stop using it a little before
        self.expires = (t + max(0.0, parser.ka_timeout - max(0.2, parser.ka_timeout * 0.1))
                        if parser.ka_timeout is not None else None)
        self.max_left = parser.ka_max
        return parser.persistent and (self.max_left is None or self.max_left > 0)

    def announced_expired(self, t):
        """Past the Keep-Alive timeout the server announced: retired as planned."""
        return self.expires is not None and t >= self.expires

    def learned_expired(self, t, limit):
        """Idle about as long as this server was seen to keep connections: not offered any more."""
        h = limit.horizon()
        return h is not None and self.since is not None and t - self.since >= h


# ---------------------------------------------------------------------------------------------------------
# Synchronous client (accuracy runner, endpoint checks)
# ---------------------------------------------------------------------------------------------------------
class _SyncConn(object):
    __slots__ = ("sock", "idle", "closed")

    def __init__(self, sock):
        self.sock = sock
        self.idle = _Idle()
        self.closed = False

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass


class Client(object):
    """A pool of persistent connections to one server; request() may be called from several threads."""

    def __init__(self, base_url, api_key=None, timeouts=None, user_agent="ascend-adapt", max_idle=64):
        self.scheme, self.host, self.port, self.prefix = _split_url(base_url)
        self.host_header = _host_header(self.scheme, self.host, self.port)
        self.api_key = api_key
        self.timeouts = timeouts or Timeouts()
        self.user_agent = user_agent
        self.max_idle = max_idle
        self._idle = []
        self._lock = threading.Lock()
        self.reconnects = 0
        self.idle_limit = IdleLimit()
        self._ssl = None

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            c.close()

    def _connect(self, deadline, stall):
        t = _remaining(deadline, stall)
        try:
            sock = socket.create_connection((self.host, self.port), timeout=t)
        except socket.timeout:
            raise RequestFailed(FAIL_CONNECT, "connect to %s:%d: no answer within %s s" % (self.host, self.port, _secs(t)))
        except OSError as e:
            raise RequestFailed(FAIL_CONNECT, "connect to %s:%d failed: %s" % (self.host, self.port, e))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.scheme == "https":
            import ssl
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            try:
                sock = self._ssl.wrap_socket(sock, server_hostname=self.host)
            except (OSError, ssl.SSLError) as e:
                sock.close()
                raise RequestFailed(FAIL_CONNECT, "TLS with %s:%d failed: %s" % (self.host, self.port, e))
        return _SyncConn(sock)

    def _checkout(self, deadline, stall, fresh):
        """(connection, reused, moved). Idle connections the server closed are dropped here: each one is a
        reconnect of this request (`moved`)."""
        moved = 0
        while not fresh:
            with self._lock:
                c = self._idle.pop() if self._idle else None
            if c is None:
                break
            t = now()
            if c.idle.announced_expired(t):
                c.close()
                continue
            if idle_socket_unusable(c.sock):  # the server closed it: the request moves (a reconnect)
                c.close()
                with self._lock:
                    self.reconnects += 1
                    self.idle_limit.observed(c.idle.idle_for(t))  # closed at some point before now
                moved += 1
                continue
            if c.idle.learned_expired(t, self.idle_limit):
                c.close()
                continue
            return c, True, moved
        return self._connect(deadline, stall), False, moved

    def _checkin(self, c):
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(c)
                return
        c.close()

    def headers(self, extra=None):
        h = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if self.api_key:
            h["Authorization"] = "Bearer %s" % self.api_key
        if extra:
            h.update(extra)
        return h

    def request(self, method, path, body=None, headers=None, timeouts=None, on_body=None):
        """One request; the response whatever its status (see check()). Raises RequestFailed on transport
        failures, stalls and timeouts. on_body(data, ts) streams the body (then Response.body is empty)."""
        to = timeouts or self.timeouts
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        data = build_request(method, self.host_header, self.prefix + path, body, self.headers(headers))
        deadline = None if to.request is None else now() + to.request
        fresh = False
        moved = 0
        while True:
            c, reused, stale = self._checkout(deadline, to.stall, fresh)
            moved += stale
            idle = c.idle.idle_for(now()) if reused else None
            try:
                r = self._exchange(c, reused, data, method == "HEAD", deadline, to, on_body)
            except _Resend:
                c.close()
                with self._lock:
                    self.reconnects += 1
                    self.idle_limit.observed(idle)
                moved += 1
                fresh = True
                continue
            except RequestFailed as e:
                c.close()
                if reused and e.kind == FAIL_CLOSED_BEFORE:
                    with self._lock:
                        self.idle_limit.observed(idle)
                raise
            r.reconnects = moved
            return r

    def _exchange(self, c, reused, data, head_only, deadline, to, on_body):
        sock = c.sock
        acked0 = tcp_bytes_acked(sock) if reused else None
        written = 0
        try:
            sock.settimeout(_remaining(deadline, to.stall))
            while written < len(data):
                written += sock.send(data[written:])
        except socket.timeout:
            raise self._timed_out(deadline, to)
        except OSError as e:
            if provably_unseen(reused, False, written, False, acked0, None):
                raise _Resend()
            raise RequestFailed(FAIL_SEND, "sending the request failed: %s" % e)
        parts = []
        parser = ResponseParser(on_body or (lambda b, ts: parts.append(b)), head_only)
        while not parser.done:
            try:
                sock.settimeout(_remaining(deadline, to.stall))
                chunk = sock.recv(262144)
            except socket.timeout:
                raise self._timed_out(deadline, to)
            except OSError as e:
                if provably_unseen(reused, parser.got_bytes, written, False, acked0, None):
                    raise _Resend()
                raise RequestFailed(FAIL_CLOSED_MID if parser.got_bytes else FAIL_CLOSED_BEFORE,
                                    "connection reset by the server %s (%s)" % (
                                        "mid-response" if parser.got_bytes else "before a response", e))
            t = now()
            if not chunk:
                if parser.eof(t):
                    break
                if provably_unseen(reused, parser.got_bytes, written, True, acked0, tcp_bytes_acked(sock)):
                    raise _Resend()
                raise RequestFailed(FAIL_CLOSED_MID if parser.got_bytes else FAIL_CLOSED_BEFORE,
                                    "connection closed by the server %s" % (
                                        "mid-response" if parser.got_bytes else "before a response"))
            try:
                parser.feed(chunk, t)
            except ValueError as e:
                raise RequestFailed(FAIL_BAD_RESPONSE, "bad response: %s" % e)
        if c.idle.after_response(parser, now()) and parser.mode != "close":
            self._checkin(c)
        else:
            c.close()
        return Response(parser.status, parser.version, parser.headers, b"".join(parts), 0)

    @staticmethod
    def _timed_out(deadline, to):
        if deadline is not None and now() >= deadline - 1e-3:
            return RequestFailed(FAIL_TIMEOUT, to.request_message())
        return RequestFailed(FAIL_STALLED, to.stall_message())

    def get_json(self, path, timeouts=None):
        r = self.request("GET", path, timeouts=timeouts)
        return check(r), r

    def post_json(self, path, obj, timeouts=None):
        r = self.request("POST", path, body=obj, timeouts=timeouts)
        return check(r), r


class _Resend(Exception):
    """The server provably did not see the request: send it again on a fresh connection."""


def _remaining(deadline, stall):
    """Socket timeout for the next wait: the stall limit, cut to what is left of the request's time."""
    t = stall
    if deadline is not None:
        left = max(0.001, deadline - now())
        t = left if t is None else min(t, left)
    return t


def check(r):
    """The JSON of a 2xx response, else RequestFailed(FAIL_HTTP) with the server's own message."""
    if not 200 <= r.status < 300:
        raise RequestFailed(FAIL_HTTP, "HTTP %d: %s" % (r.status, error_text(r.body)), r.status)
    try:
        return r.json()
    except ValueError as e:
        raise RequestFailed(FAIL_BAD_RESPONSE, "the answer is not JSON: %s" % e)


# ---------------------------------------------------------------------------------------------------------
# Asynchronous client (the benchmark): timestamps taken where bytes arrive
# ---------------------------------------------------------------------------------------------------------
# On Linux the kernel stamps each arriving segment (SO_TIMESTAMPNS): a token's arrival time is the moment it
# reached this host, not the moment this process got round to reading it, so a busy client does not inflate
# TTFT/ITL. Elsewhere the time of the read is used.
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)
_TS = struct.Struct("@ll")
_CMSG = socket.CMSG_SPACE(_TS.size) if hasattr(socket, "CMSG_SPACE") else 0


def enable_rx_timestamps(sock):
    if _SO_TIMESTAMPNS is None or not hasattr(sock, "recvmsg"):
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        return True
    except OSError:
        return False


class Sink(object):
    """What AsyncClient.request reports to. `start` is set when the request is written; `reconnects` counts the
    times it moved to a fresh connection because the server had closed a kept-alive one."""
    start = 0.0
    reconnects = 0

    def on_head(self, status, headers):
        pass

    def on_body(self, data, ts):
        pass


class _Stream(object):
    """One persistent connection on a non-blocking socket read through loop.add_reader; one request at a time."""

    def __init__(self, client, sock):
        self.client = client
        self.loop = client.loop
        self.sock = sock
        self.closed = False
        self.idle = _Idle()
        self.kernel_ts = enable_rx_timestamps(sock)
        self.parser = None
        self.fut = None
        self.sink = None
        self.reused = False
        self.idle_at_send = None
        self.acked0 = None
        self.written = 0
        self.last_rx = 0.0
        self.deadline = None
        self.loop.add_reader(sock.fileno(), self._readable)

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.loop.remove_reader(self.sock.fileno())
            except (ValueError, OSError):
                pass
            self.sock.close()

    def _readable(self):
        sock = self.sock
        for _ in range(32):
            try:
                if self.kernel_ts:
                    data, anc, _, _ = sock.recvmsg(262144, _CMSG)
                    ts = None
                    for level, typ, d in anc:
                        if level == socket.SOL_SOCKET and typ == _SO_TIMESTAMPNS and len(d) >= _TS.size:
                            sec, nsec = _TS.unpack_from(d)
                            ts = sec + nsec * 1e-9
                    if ts is None:
                        ts = now()
                else:
                    data, ts = sock.recv(262144), now()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                self._ended(False, e)
                return
            if not data:
                self._ended(True, None)
                return
            fut = self.fut
            if fut is None or fut.done():
                self.close()  # bytes nobody asked for: this connection is out of step
                return
            self.last_rx = ts
            try:
                self.parser.feed(data, ts)
            except Exception as e:  # a malformed response fails this request, never the run
                self._fail(FAIL_BAD_RESPONSE, "bad response: %s" % e)
                return
            if self.parser.done:
                self._complete(ts)
                return

    def _ended(self, clean, exc):
        fut = self.fut
        acked1 = tcp_bytes_acked(self.sock) if (fut is not None and not fut.done() and self.reused) else None
        self.close()
        if fut is None:
            self.client.idle_limit.observed(self.idle.idle_for(now()))  # the server closed it while idle
            return
        if fut.done():
            return
        p = self.parser
        if clean and p.eof(now()):
            self._complete(self.last_rx or now())
            return
        if self.reused and not p.got_bytes:
            self.client.idle_limit.observed(self.idle_at_send)
        if provably_unseen(self.reused, p.got_bytes, self.written, clean, self.acked0, acked1):
            self._settle(fut, _RESEND)
            return
        what = "mid-response" if p.got_bytes else "before a response"
        msg = ("connection closed by the server %s" % what) if clean else (
            "connection reset by the server %s (%s)" % (what, exc))
        self._fail(FAIL_CLOSED_MID if p.got_bytes else FAIL_CLOSED_BEFORE, msg, close=False)

    def _settle(self, fut, outcome):
        """The request this stream carries has ended: it leaves the watchdog's list (the stream may carry the next
        request before this one's coroutine resumes, so the request, not the stream, is what is tracked)."""
        self.client.active.discard(self)
        if fut is not None and not fut.done():
            fut.set_result(outcome)

    def _fail(self, kind, message, close=True):
        if close:
            self.close()
        if self.fut is not None and not self.fut.done():
            self._settle(self.fut, (kind, message))

    def _complete(self, ts):
        keep = self.idle.after_response(self.parser, ts) and self.parser.mode != "close" and not self.closed
        fut = self.fut
        self.fut = None
        self.sink = None
        self._settle(fut, None)
        if keep:
            self.client._checkin(self)
        else:
            self.close()

    def start(self, payload, sink, reused, deadline):
        self.parser = ResponseParser(sink.on_body, on_head=sink.on_head)
        self.sink = sink
        self.reused = reused
        self.deadline = deadline
        self.fut = self.loop.create_future()
        self.client.active.add(self)
        self.client._ensure_watchdog()
        self.acked0 = tcp_bytes_acked(self.sock) if reused else None
        self.written = 0
        t = now()
        self.idle_at_send = self.idle.idle_for(t) if reused else None
        sink.start = t
        self.last_rx = t
        try:
            self.written = self.sock.send(payload)
        except (BlockingIOError, InterruptedError):
            self.written = 0
        except OSError as e:
            if provably_unseen(reused, False, 0, False, None, None):
                self.close()
                self._settle(self.fut, _RESEND)
            else:
                self._fail(FAIL_SEND, "sending the request failed: %s" % e)
            return self.fut
        if self.written < len(payload):
            asyncio.ensure_future(self._send_rest(payload, self.fut))
        return self.fut

    async def _send_rest(self, payload, fut):
        try:
            await self.loop.sock_sendall(self.sock, payload[self.written:])
            if self.fut is fut:
                self.written = len(payload)
        except OSError as e:
            if not self.closed and self.fut is fut:  # fails this request, never the next one on the connection
                self._fail(FAIL_SEND, "sending the request failed: %s" % e)


_RESEND = "resend"


class AsyncClient(object):
    """Streaming requests from one asyncio loop over a pool of persistent connections (http:// only).
    request(payload, sink) -> None on a complete response, else (kind, message). `reconnects` counts requests
    moved to another connection because the server had closed a kept-alive one."""

    def __init__(self, base_url, api_key=None, timeouts=None, user_agent="ascend-adapt-bench"):
        scheme, self.host, self.port, self.prefix = _split_url(base_url)
        if scheme != "http":
            raise ValueError("only http:// endpoints are supported (got %r); forward the port" % base_url)
        self.host_header = _host_header(scheme, self.host, self.port)
        self.api_key = api_key
        self.timeouts = timeouts or Timeouts()
        self.user_agent = user_agent
        self.loop = None
        self.idle = []
        self.active = set()
        self.reconnects = 0
        self.idle_limit = IdleLimit()
        self._watch = None
        self._addr = None

    def build(self, path, obj):
        h = {"Accept": "text/event-stream", "User-Agent": self.user_agent}
        if self.api_key:
            h["Authorization"] = "Bearer %s" % self.api_key
        return build_request("POST", self.host_header, self.prefix + path, json.dumps(obj).encode("utf-8"), h)

    async def _connect(self):
        loop = self.loop
        if self._addr is None:
            # resolved once for all: thousands of streams opening at once must not queue as many lookups
            self._addr = asyncio.ensure_future(loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM))
        try:
            infos = await asyncio.shield(self._addr)
        except OSError:
            self._addr = None
            raise
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
            return _Stream(self, sock)
        raise err or OSError("cannot resolve %s" % self.host)

    def _checkin(self, s):
        self.idle.append(s)

    def _checkout(self, sink):
        t = now()
        while self.idle:
            s = self.idle.pop()
            if s.closed:
                continue
            if s.idle.announced_expired(t):
                s.close()
                continue
            if idle_socket_unusable(s.sock):  # the server closed it: the request moves (a reconnect)
                s.close()
                self.reconnects += 1
                sink.reconnects += 1
                self.idle_limit.observed(s.idle.idle_for(t))
                continue
            if s.idle.learned_expired(t, self.idle_limit):
                s.close()
                continue
            return s
        return None

    def _ensure_watchdog(self):
        if self._watch is None or self._watch.done():
            self._watch = asyncio.ensure_future(self._watchdog())

    async def _watchdog(self):
        """One timer for every request in flight: a stall or an overrun is noticed within a quarter of its limit
        (at most a second)."""
        to = self.timeouts
        limits = [x for x in (to.stall, to.request) if x is not None]
        if not limits:
            return
        period = min(1.0, min(limits) / 4.0)
        while self.active:
            await asyncio.sleep(period)
            t = now()
            for s in list(self.active):
                if s.fut is None or s.fut.done():
                    self.active.discard(s)
                    continue
                if s.deadline is not None and t >= s.deadline:
                    s._fail(FAIL_TIMEOUT, to.request_message())
                elif to.stall is not None and t - s.last_rx >= to.stall:
                    s._fail(FAIL_STALLED, to.stall_message())

    async def request(self, payload, sink):
        if self.loop is None:
            self.loop = asyncio.get_event_loop()
        to = self.timeouts
        deadline = None if to.request is None else now() + to.request
        fresh = False
        while True:
            s = None if fresh else self._checkout(sink)
            reused = s is not None
            if s is None:
                try:
                    s = await self._connect_within(deadline)
                except asyncio.TimeoutError:
                    return FAIL_TIMEOUT, "connect to %s:%d: %s" % (self.host, self.port, to.request_message())
                except OSError as e:
                    return FAIL_CONNECT, "connect to %s:%d failed: %s" % (self.host, self.port, e)
            fut = s.start(payload, sink, reused, deadline)
            try:
                out = await fut
            except asyncio.CancelledError:
                # The connection is closed only while it still carries this request: once its response was
                # complete it may already carry the next one.
                if s.fut is fut:
                    s.close()
                    self.active.discard(s)
                raise
            if out is _RESEND:
                self.reconnects += 1
                sink.reconnects += 1
                fresh = True
                continue
            return out

    async def _connect_within(self, deadline):
        lim = [x for x in (self.timeouts.stall, None if deadline is None else max(0.001, deadline - now()))
               if x is not None]
        if not lim:
            return await self._connect()
        return await asyncio.wait_for(self._connect(), min(lim))

    def abort_all(self, kind=FAIL_INTERRUPTED, message="interrupted"):
        """End every request in flight now (Ctrl-C, SIGTERM): they fail with `kind`."""
        for s in list(self.active):
            s._fail(kind, message)

    def close(self):
        for s in self.idle:
            s.close()
        self.idle = []
        for s in list(self.active):
            s.close()
        if self._watch is not None:
            self._watch.cancel()

