"""python/httpclient.py: response framing, when a request may go again, keep-alive limits (announced, by
Connection: close, by an idle timeout), stalls and timeouts — against the simulated server as its own process."""
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import httpclient as hc  # noqa: E402

from test.python.test_perf_client import ServerProcess  # noqa: E402

BODY = {"model": "m", "prompt": "hello there", "max_tokens": 4, "stream": False}


def settled_records(srv, want):
    """The server writes a request's record just after its last byte: wait for the count to settle."""
    for _ in range(200):
        n = len(srv.records())
        if n >= want:
            time.sleep(0.1)
            return len(srv.records())
        time.sleep(0.025)
    return len(srv.records())


class ParserTest(unittest.TestCase):
    def parse(self, raw, step=None, head_only=False):
        got = []
        p = hc.ResponseParser(lambda b, ts: got.append(b), head_only)
        step = step or len(raw)
        for i in range(0, len(raw), step):
            p.feed(raw[i:i + step], 0.0)
        return p, b"".join(got)

    def test_chunked_fed_byte_by_byte_with_trailers_and_extensions(self):
        raw = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
               b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n")
        for step in (1, 2, 3, 7, len(raw)):
            p, body = self.parse(raw, step)
            self.assertTrue(p.done, step)
            self.assertEqual(body, b"hello, world")
            self.assertTrue(p.persistent)

    def test_content_length_interim_100_and_close(self):
        p, body = self.parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                             b"Connection: close\r\n\r\nabc")
        self.assertEqual((p.status, body, p.done, p.persistent), (200, b"abc", True, False))

    def test_close_delimited_and_http10(self):
        p, body = self.parse(b"HTTP/1.0 200 OK\r\n\r\npartial")
        self.assertFalse(p.done)
        self.assertTrue(p.eof(0.0))
        self.assertEqual((body, p.persistent), (b"partial", False))
        p, _ = self.parse(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
        self.assertTrue(p.done and p.persistent)

    def test_keep_alive_header(self):
        p, _ = self.parse(b"HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5, max=99\r\n\r\n")
        self.assertEqual((p.ka_timeout, p.ka_max, p.done), (5.0, 99, True))

    def test_malformed(self):
        for raw in (b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY"):
            with self.assertRaises(ValueError, msg=raw):
                self.parse(raw)

    def test_when_a_request_may_go_again(self):
        u = hc.provably_unseen
        self.assertTrue(u(True, False, 0, False, None, None))        # nothing written yet
        self.assertTrue(u(True, False, 200, True, 1000, 1000))       # FIN, not a byte acknowledged
        self.assertFalse(u(True, False, 200, True, 1000, 1200))      # the server's TCP took it: it may have read it
        self.assertFalse(u(True, False, 200, False, 1000, 1000))     # a reset: cannot tell
        self.assertFalse(u(True, False, 200, True, None, None))      # no tcp_info: cannot tell
        self.assertFalse(u(True, True, 200, True, 1000, 1000))       # a response had begun
        self.assertFalse(u(False, False, 0, True, 1000, 1000))       # a fresh connection: the server may have it

    def test_timeouts_validated(self):
        for bad in (0, -1, "5", True, float("nan")):
            with self.assertRaises(ValueError):
                hc.Timeouts(bad, 60)
        self.assertEqual(hc.Timeouts(None, 2.5).stall_message(), "no data for 2.5 s")


class KeepAliveTest(unittest.TestCase):
    def server(self, *args):
        tmp = tempfile.mkdtemp(prefix="ka-")
        srv = ServerProcess(tmp, "--ttft-base-ms", "1", "--tpot-base-ms", "1", *args)
        self.addCleanup(srv.stop)
        return srv

    def test_connection_close_on_the_last_request_is_honoured(self):
        srv = self.server("--keepalive-requests", "2")
        c = hc.Client(srv.url)
        self.addCleanup(c.close)
        for _ in range(7):
            self.assertEqual(c.request("POST", "/v1/completions", body=BODY).status, 200)
        self.assertEqual(c.reconnects, 0)
        self.assertEqual(settled_records(srv, 7), 7)

    def test_an_idle_connection_the_server_closed_is_replaced_before_writing(self):
        srv = self.server("--keepalive-timeout", "0.3")
        c = hc.Client(srv.url)
        self.addCleanup(c.close)
        self.assertEqual(c.request("POST", "/v1/completions", body=BODY).status, 200)
        time.sleep(0.8)  # the server closes the idle connection meanwhile
        r = c.request("POST", "/v1/completions", body=BODY)
        self.assertEqual((r.status, c.reconnects), (200, 1))
        self.assertEqual(settled_records(srv, 2), 2)
        # learned: this server keeps idle connections less than 0.8 s (connections idle that long are no longer
        # offered, so the client stops racing the server's timer)
        self.assertTrue(0.3 <= c.idle_limit.seen < 1.0, c.idle_limit.seen)
        self.assertLess(c.idle_limit.horizon(), c.idle_limit.seen)

    def test_announced_keep_alive_timeout_retires_connections_before_it(self):
        srv = self.server("--keepalive-timeout", "0.5", "--keepalive-header")
        c = hc.Client(srv.url)
        self.addCleanup(c.close)
        c.request("POST", "/v1/completions", body=BODY)
        time.sleep(0.7)
        self.assertEqual(c.request("POST", "/v1/completions", body=BODY).status, 200)
        self.assertEqual(c.reconnects, 0)

    def test_a_request_the_server_read_is_never_sent_twice(self):
        # every other request is read and then the connection closed cleanly, before any response byte
        srv = self.server("--drop-rate", "0.5", "--drop-style", "close")
        c = hc.Client(srv.url)
        self.addCleanup(c.close)
        kinds = []
        for _ in range(6):
            try:
                kinds.append(c.request("POST", "/v1/completions", body=BODY).status)
            except hc.RequestFailed as e:
                kinds.append(e.kind)
        self.assertEqual(kinds.count(200), 3)
        self.assertEqual(kinds.count(hc.FAIL_CLOSED_BEFORE), 3)
        self.assertEqual(settled_records(srv, 6), 6, "each request reached the server once")

    def test_reset_after_reading_is_a_failure_not_a_resend(self):
        srv = self.server("--drop-rate", "0.5")
        c = hc.Client(srv.url)
        self.addCleanup(c.close)
        outcomes = []
        for _ in range(6):
            try:
                outcomes.append(c.request("POST", "/v1/completions", body=BODY).status)
            except hc.RequestFailed as e:
                outcomes.append(e.kind)
        self.assertEqual(outcomes.count(200), 3)
        self.assertEqual(settled_records(srv, 6), 6)


class StallTest(unittest.TestCase):
    def test_stall_and_request_timeouts_have_one_meaning(self):
        tmp = tempfile.mkdtemp(prefix="stall-")
        srv = ServerProcess(tmp, "--ttft-base-ms", "1", "--tpot-base-ms", "1", "--stall-rate", "1")
        self.addCleanup(srv.stop)
        c = hc.Client(srv.url, timeouts=hc.Timeouts(None, 0.5))
        t0 = time.time()
        with self.assertRaises(hc.RequestFailed) as cm:
            c.request("POST", "/v1/completions", body=BODY)
        self.assertEqual(cm.exception.kind, hc.FAIL_STALLED)
        self.assertEqual(cm.exception.message, "no data for 0.5 s")
        self.assertGreaterEqual(time.time() - t0, 0.5)
        c2 = hc.Client(srv.url, timeouts=hc.Timeouts(0.4, 60))
        with self.assertRaises(hc.RequestFailed) as cm:
            c2.request("POST", "/v1/completions", body=BODY)
        self.assertEqual((cm.exception.kind, cm.exception.message), (hc.FAIL_TIMEOUT, "no complete answer within 0.4 s"))

    def test_nothing_listening(self):
        c = hc.Client("http://127.0.0.1:9", timeouts=hc.Timeouts(None, 5))
        with self.assertRaises(hc.RequestFailed) as cm:
            c.request("GET", "/v1/models")
        self.assertEqual(cm.exception.kind, hc.FAIL_CONNECT)


class _Sink(hc.Sink):
    """Records the status; calls `on_last_body` from inside the read that completes the response, i.e. before
    the request's own coroutine can resume (the moment another request may already take the connection)."""

    def __init__(self, on_last_body=None):
        self.status = None
        self.on_last_body = on_last_body

    def on_head(self, status, headers):
        self.status = status

    def on_body(self, data, ts):
        if self.on_last_body is not None:
            hook, self.on_last_body = self.on_last_body, None
            hook()


class AsyncReuseTest(unittest.TestCase):
    """A connection handed to the next request before the previous request's coroutine resumed (what a busy
    benchmark does all the time) is still watched for stalls and is never closed under the next request."""

    def run_loop(self, coro):
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        return loop.run_until_complete(coro)

    async def handover(self, client, cancel_first):
        """Request A; from the read that completes A's response, request D is started (its first step runs before
        A's coroutine resumes) and, with cancel_first, A's task is cancelled. Returns (D's outcome, D's sink,
        whether D went over A's connection)."""
        payload = client.build("/v1/completions", BODY)
        d_sink = _Sink()
        state = {"d_on_a": False}

        def start_d():
            a_stream = next(iter(client.active))
            a_start = a_stream.start

            def start(*args):
                state["d_on_a"] = True  # the only request started after A's is D
                return a_start(*args)

            a_stream.start = start
            state["d"] = asyncio.ensure_future(client.request(payload, d_sink))
            if cancel_first:
                state["a"].cancel()

        state["a"] = asyncio.ensure_future(client.request(payload, _Sink(start_d)))
        try:
            await state["a"]
        except asyncio.CancelledError:
            pass
        try:
            out = await asyncio.wait_for(state["d"], 10)
        except asyncio.TimeoutError:
            self.fail("the request that took over the connection never ended (stall limit %s s): not watched, or its "
                      "connection was closed under it"
                      % client.timeouts.stall)
        return out, d_sink, state["d_on_a"]

    def test_a_stall_on_a_connection_taken_over_before_the_previous_request_resumed_is_noticed(self):
        tmp = tempfile.mkdtemp(prefix="reuse-")
        # generation requests 1, 3, 5 … stall: 1 (a connection of its own), 2 = A answers, 3 = D goes silent
        srv = ServerProcess(tmp, "--ttft-base-ms", "1", "--tpot-base-ms", "1", "--stall-rate", "0.5")
        self.addCleanup(srv.stop)

        async def go():
            client = hc.AsyncClient(srv.url, timeouts=hc.Timeouts(None, 0.5))
            try:
                first = await client.request(client.build("/v1/completions", BODY), _Sink())
                self.assertEqual(first, (hc.FAIL_STALLED, "no data for 0.5 s"))
                return await self.handover(client, cancel_first=False)
            finally:
                client.close()

        out, _, reused = self.run_loop(go())
        self.assertTrue(reused, "D went over A's connection")
        self.assertEqual(out, (hc.FAIL_STALLED, "no data for 0.5 s"))

    def test_cancelling_a_request_never_closes_the_connection_under_the_next_one(self):
        tmp = tempfile.mkdtemp(prefix="reuse-")
        srv = ServerProcess(tmp, "--ttft-base-ms", "1", "--tpot-base-ms", "1")
        self.addCleanup(srv.stop)

        async def go():
            client = hc.AsyncClient(srv.url, timeouts=hc.Timeouts(None, 2))
            try:
                return await self.handover(client, cancel_first=True)
            finally:
                client.close()

        out, d_sink, reused = self.run_loop(go())
        self.assertTrue(reused, "D went over A's connection")
        self.assertEqual((out, d_sink.status), (None, 200))


if __name__ == "__main__":
    unittest.main()
