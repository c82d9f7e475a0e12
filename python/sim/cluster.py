"""SIMULATED multi-node behaviour of the simulated `vllm serve` (stdlib only, Python >= 3.8). No model runs.

What is real here is the network: a head listens on --data-parallel-address:--data-parallel-rpc-port (multi-node
DP) or --master-addr:--master-port (PP with the mp backend), the other nodes connect to it over TCP from the
address of the NIC their variables name (HCCL_IF_IP, GLOO_SOCKET_IFNAME), and the head goes on to load and serve
only when every rank joined. So a wrong address or NIC fails as it would on real hosts; a node whose process
dies or whose link drops is noticed through heartbeats (the head shuts down, a worker whose head is gone exits).

Wire format (one line each, UTF-8): worker → head `HELLO {json}`; head → worker `WAIT` at once and `READY`
when all joined; both sides `PING` every second. Anything else on the port (a reachability probe) is ignored.

Log lines follow vLLM's where this stand-in has a counterpart (vllm/entrypoints/cli/serve.py
"Launching %d data parallel engine(s) in headless mode, with head node address %s."); each says SIMULATED.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import struct
import sys
import threading
import time

import simhost  # the line protocol shared with the simulated ray (beside this file)

HEARTBEAT_SEC = 1.0
LOST_AFTER_SEC = float(os.environ.get("ASCEND_ADAPT_SIM_LOST_SEC") or 10)
JOIN_TIMEOUT_SEC = float(os.environ.get("ASCEND_ADAPT_SIM_JOIN_SEC") or 300)


# ---- this node's interfaces --------------------------------------------------------------------------
def _ifaddr(name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packed = struct.pack("256s", name.encode("utf-8")[:15])
        return socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, packed)[20:24])  # SIOCGIFADDR
    except OSError:
        return None
    finally:
        s.close()


def local_addresses():
    out = {}
    for _, name in socket.if_nameindex():
        a = _ifaddr(name)
        if a:
            out[name] = a
    return out


def node_address(env, log):
    """The address this node talks from, as its NIC variables say; (address, error line) — one is None."""
    ifs = local_addresses()
    nic = env.get("GLOO_SOCKET_IFNAME") or env.get("HCCL_SOCKET_IFNAME")
    ip = env.get("HCCL_IF_IP")
    if nic and nic not in ifs:
        return None, ("RuntimeError: [enforce fail at ../third_party/gloo/gloo/transport/tcp/device.cc:84] ifa != nullptr. "
                      "Unable to find address for: %s (SIMULATED)" % nic)
    if ip and ip not in ifs.values():
        return None, ("RuntimeError: HCCL_IF_IP=%s is not an address of this host (its interfaces: %s) (SIMULATED)"
                      % (ip, ", ".join("%s=%s" % kv for kv in sorted(ifs.items()))))
    if nic and ip and ifs[nic] != ip:
        log("WARNING", "utils.py:1", "HCCL_IF_IP=%s is not the address of %s (%s) (SIMULATED)" % (ip, nic, ifs[nic]))
    return (ip or (ifs[nic] if nic else None)), None


# ---- head -------------------------------------------------------------------------------------------
class Head(object):
    """Listens for the other nodes' ranks; `wait_all` returns once `expected` remote ranks joined."""

    def __init__(self, address, port, expected, what, log):
        self.expected = expected
        self.what = what
        self.log = log
        self.peers = []  # dicts: hello + sock + last
        self.lock = threading.Lock()
        self.ready = False
        self.lost = None
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((address, port))
        self.srv.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def joined(self):
        with self.lock:
            return sum(int(p["hello"].get("ranks", 1)) for p in self.peers)

    def _accept(self):
        while True:
            try:
                c, addr = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._peer, args=(c, addr), daemon=True).start()

    def _peer(self, c, addr):
        c.settimeout(HEARTBEAT_SEC)
        lines = simhost.recv_lines(c)
        first = None
        try:
            for _ in range(5):  # a rank says HELLO at once; wait a few heartbeats for a slow one
                first = next(lines)
                if first is not None:
                    break
        except StopIteration:
            return
        if not first or not first.startswith("HELLO "):
            c.close()  # a reachability probe or a stranger: not a rank
            return
        try:
            hello = json.loads(first[6:])
        except ValueError:
            c.close()
            return
        peer = {"hello": hello, "sock": c, "last": time.monotonic(), "addr": addr[0]}
        with self.lock:
            self.peers.append(peer)
            ready = self.ready
        self.log("INFO", "core.py:1", "%s joined from %s (host %s) (SIMULATED)" % (hello.get("what", "a rank"), addr[0], hello.get("host", "?")))
        simhost.send_line(c, "READY" if ready else "WAIT")
        for line in lines:
            if line is not None:
                peer["last"] = time.monotonic()
            elif time.monotonic() - peer["last"] > LOST_AFTER_SEC:
                break
        self._lose(peer, "no heartbeat for %d s" % LOST_AFTER_SEC if time.monotonic() - peer["last"] > LOST_AFTER_SEC else "connection closed")

    def _lose(self, peer, why):
        if self.lost is None:
            self.lost = "%s on %s (%s): %s" % (peer["hello"].get("what", "rank"), peer["hello"].get("host", "?"), peer["addr"], why)
            self.log("ERROR", "core_client.py:1", "Engine core proc %s died unexpectedly, shutting down client. (SIMULATED)" % self.lost)

    def wait_all(self, timeout):
        deadline = time.monotonic() + timeout
        said = -1
        while time.monotonic() < deadline:
            n = self.joined()
            if n != said:
                said = n
                self.log("INFO", "utils.py:1", "Waiting for %d remote %s to join (%d so far) (SIMULATED)" % (self.expected, self.what, n))
            if n >= self.expected:
                return True
            time.sleep(0.1)
        return False

    def shut_down_when_lost(self, grace=2.0):
        """Once a rank is lost, end this process (TERM to itself) after `grace`, as vLLM's client does."""
        def watch():
            while self.lost is None:
                time.sleep(0.2)
            time.sleep(grace)
            os.kill(os.getpid(), 15)
        threading.Thread(target=watch, daemon=True).start()

    def release(self):
        with self.lock:
            self.ready = True
            peers = list(self.peers)
        for p in peers:
            simhost.send_line(p["sock"], "READY")
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def _heartbeat(self):
        while True:
            time.sleep(HEARTBEAT_SEC)
            with self.lock:
                peers = list(self.peers)
            for p in peers:
                simhost.send_line(p["sock"], "PING")


# ---- worker -----------------------------------------------------------------------------------------
def join_head(head, port, source, hello, log, timeout=JOIN_TIMEOUT_SEC):
    """Connect to the head (retrying while it is not up yet) and wait for READY. Returns the socket or None."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(min(5.0, max(0.5, deadline - time.monotonic())))
        try:
            if source:
                s.bind((source, 0))
            s.connect((head, port))
            s.sendall(("HELLO " + json.dumps(hello) + "\n").encode("utf-8"))
            break
        except OSError as e:
            last = e
            s.close()
            s = None
            time.sleep(0.5)
    else:
        s = None
    if s is None:
        log("ERROR", "core.py:1", "cannot reach the head at %s:%d from %s: %s (SIMULATED)" % (head, port, source or "?", last))
        return None
    s.settimeout(HEARTBEAT_SEC)
    for line in simhost.recv_lines(s):
        if line == "READY":
            return s
        if time.monotonic() > deadline:
            break
    log("ERROR", "core.py:1", "the head at %s:%d went away before all ranks joined (SIMULATED)" % (head, port))
    return None


def keep_alive(sock, log, on_lost):
    """Heartbeats with the head until it is gone; then on_lost() (in a thread)."""
    def ping():
        while simhost.send_line(sock, "PING"):
            time.sleep(HEARTBEAT_SEC)

    def watch():
        last = time.monotonic()
        for line in simhost.recv_lines(sock):
            if line is not None:
                last = time.monotonic()
            elif time.monotonic() - last > LOST_AFTER_SEC:
                break
        log("ERROR", "core.py:1", "lost the head node: %s (SIMULATED)" % (
            "no heartbeat for %d s" % LOST_AFTER_SEC if time.monotonic() - last > LOST_AFTER_SEC else "connection closed"))
        on_lost()

    threading.Thread(target=ping, daemon=True).start()
    threading.Thread(target=watch, daemon=True).start()


def run_worker(args, kind, log, hold, release, hostname=None):
    """A node that is not the head: join, then stay up (ready line printed by `hold`) until TERM or the head goes."""
    address, err = node_address(os.environ, log)
    if err:
        sys.stdout.write(err + "\n")
        sys.stdout.flush()
        return 1
    if kind == "dp":
        head, port = args.data_parallel_address, args.data_parallel_rpc_port or 29550
        local = args.data_parallel_size_local or 1
        log("INFO", "serve.py:201", "Launching %d data parallel engine(s) in headless mode, with head node address tcp://%s:%d. (SIMULATED)" % (local, head, port))
        hello = {"what": "DP rank(s) %d-%d" % (args.data_parallel_start_rank or 0, (args.data_parallel_start_rank or 0) + local - 1),
                 "ranks": local, "start": args.data_parallel_start_rank or 0}
    else:
        head, port = args.master_addr, args.master_port or 29500
        log("INFO", "serve.py:1", "Launching vLLM (SIMULATED) headless multiproc executor, with head node address %s:%d for torch.distributed process group." % (head, port))
        hello = {"what": "node rank %d" % args.node_rank, "ranks": 1, "nodeRank": args.node_rank}
    if not head:
        sys.stdout.write("ValueError: a headless node needs the head's address (SIMULATED)\n")
        return 1
    hello["host"] = hostname or socket.gethostname()
    sock = join_head(head, port, address, hello, log)
    if sock is None:
        sys.stdout.write("RuntimeError: Did not receive response from front-end process within %d seconds (SIMULATED)\n" % int(JOIN_TIMEOUT_SEC))
        sys.stdout.flush()
        return 1
    done = threading.Event()
    keep_alive(sock, log, done.set)
    hold()
    try:
        while not done.wait(0.5):
            pass
    finally:
        release()
    return 1


def head_expected(args):
    """Remote ranks the head waits for, and what they are called; (0, None) when it is not a multi-node head."""
    if args.headless:
        return 0, None
    if args.nnodes and args.nnodes > 1:
        return args.nnodes - 1, "node(s)"
    local = args.data_parallel_size_local
    if local is not None and args.data_parallel_size > local:
        return args.data_parallel_size - local, "DP rank(s)"
    return 0, None


def start_head(args, log):
    """The rendezvous a multi-node head runs before loading: a Head, None (single node), or an error line."""
    n, what = head_expected(args)
    if not n:
        return None, None
    if args.nnodes and args.nnodes > 1:
        address, port = args.master_addr or "0.0.0.0", args.master_port or 29500
    else:
        address, port = args.data_parallel_address or "0.0.0.0", args.data_parallel_rpc_port or 29550
    try:
        return Head(address, port, n, what, log), None
    except OSError as e:
        return None, "zmq.error.ZMQError: %s (addr='tcp://%s:%d') (SIMULATED)" % (e.strerror or e, address, port)


def local_world(args):
    """NPUs this node's vllm serve uses."""
    tpp = args.tensor_parallel_size * args.pipeline_parallel_size
    if args.distributed_executor_backend == "ray":
        return 0  # the Ray workers hold the NPUs (ray_cli.py)
    if args.nnodes and args.nnodes > 1:
        return max(1, tpp // args.nnodes)
    if args.data_parallel_size_local is not None:
        return args.data_parallel_size_local * tpp
    return tpp * args.data_parallel_size
