#!/usr/bin/env python3
"""ascend-adapt: the host network facts a multi-node launch needs. Stdlib only, Python >= 3.8, Linux.

  netinfo.py route [HEAD_ADDRESS]        JSON: this host's IPv4 interfaces and, toward HEAD_ADDRESS, the source
                                         address the kernel picks and the interface that holds it (no packet
                                         is sent). Without HEAD_ADDRESS (the head itself): the address this
                                         SSH session came in on (SSH_CONNECTION), else the default route's.
  netinfo.py listen ADDRESS PORT SECONDS N [PORT2]
                                         bind ADDRESS:PORT (and 0.0.0.0:PORT2 when given, only to see it is
                                         free), print one JSON line, then accept up to N peers ("hello NAME"
                                         → "ok HOSTNAME") for at most SECONDS, one JSON line per peer.
  netinfo.py connect ADDRESS PORT SOURCE SECONDS NAME
                                         from SOURCE (an address of this host) connect to ADDRESS:PORT, say
                                         hello, print one JSON line with what happened.
  netinfo.py wait ADDRESS PORT SECONDS   until ADDRESS:PORT accepts a TCP connection (or SECONDS pass).

The ioctl numbers are Linux's (SIOCGIFADDR 0x8915, SIOCGIFNETMASK 0x891b).
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import struct
import sys
import time

SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B


def out(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _ioctl_addr(sock, name, req):
    packed = struct.pack("256s", name.encode("utf-8")[:15])
    try:
        return socket.inet_ntoa(fcntl.ioctl(sock.fileno(), req, packed)[20:24])
    except OSError:
        return None


def interfaces():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        res = []
        for _, name in socket.if_nameindex():
            addr = _ioctl_addr(s, name, SIOCGIFADDR)
            if addr:
                res.append({"name": name, "address": addr, "netmask": _ioctl_addr(s, name, SIOCGIFNETMASK)})
        return res
    finally:
        s.close()


def source_toward(dest):
    """The source address the kernel picks for dest (UDP connect sends nothing)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((dest, 9))
        return s.getsockname()[0]
    finally:
        s.close()


def cmd_route(args):
    ifs = interfaces()
    res = {"hostname": socket.gethostname(), "interfaces": ifs, "toward": None, "address": None, "nic": None,
           "how": None, "error": None}
    try:
        if args:
            res["toward"] = args[0]
            res["address"] = source_toward(args[0])
            res["how"] = "route"
        else:
            conn = (os.environ.get("SSH_CONNECTION") or "").split()
            if len(conn) == 4 and conn[2] not in ("127.0.0.1", "::1"):
                res["address"], res["how"] = conn[2], "ssh"
            else:
                res["address"], res["how"] = source_toward("192.0.2.1"), "default-route"
    except OSError as e:
        res["error"] = "%s" % e
    for i in ifs:
        if i["address"] == res["address"]:
            res["nic"] = i["name"]
            break
    out(res)
    return 0


def cmd_listen(args):
    addr, port, seconds, want = args[0], int(args[1]), float(args[2]), int(args[3])
    extra = int(args[4]) if len(args) > 4 else 0
    socks = []
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        socks.append(s)
        if extra:
            e = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            e.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                e.bind(("0.0.0.0", extra))
            except OSError as err:
                out({"listening": False, "port": extra, "error": "%s" % err})
                return 1
            socks.append(e)
    except OSError as err:
        out({"listening": False, "port": port, "error": "%s" % err})
        return 1
    out({"listening": True, "port": port})
    deadline = time.monotonic() + seconds
    got = 0
    s = socks[0]
    while got < want and time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            c, peer = s.accept()
        except socket.timeout:
            break
        c.settimeout(2)
        try:
            line = c.recv(256).decode("utf-8", "replace").strip()
            if line.startswith("hello "):
                c.sendall(("ok %s\n" % socket.gethostname()).encode("utf-8"))
                got += 1
                out({"peer": peer[0], "name": line[6:]})
        except OSError:
            pass
        finally:
            c.close()
    for x in socks:
        x.close()
    return 0


def cmd_connect(args):
    addr, port, source, seconds, name = args[0], int(args[1]), args[2], float(args[3]), args[4]
    t0 = time.monotonic()
    res = {"ok": False, "error": None, "ms": 0, "source": source}
    deadline = t0 + seconds
    last = None
    # The head's listener may come up a moment after this starts: retry refused connections until the deadline.
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(max(0.2, deadline - time.monotonic()))
        try:
            if source:
                s.bind((source, 0))
            s.connect((addr, port))
            s.sendall(("hello %s\n" % name).encode("utf-8"))
            reply = s.recv(256).decode("utf-8", "replace").strip()
            res["ok"] = reply.startswith("ok ")
            res["head"] = reply[3:] if res["ok"] else None
            last = None if res["ok"] else "unexpected reply %r" % reply[:60]
            break
        except ConnectionRefusedError as e:
            last = "%s" % e
            time.sleep(0.1)
        except OSError as e:
            last = "%s" % e
            break
        finally:
            s.close()
    res["error"] = last if not res["ok"] else None
    res["ms"] = int((time.monotonic() - t0) * 1000)
    out(res)
    return 0 if res["ok"] else 1


def cmd_wait(args):
    addr, port, seconds = args[0], int(args[1]), float(args[2])
    deadline = time.monotonic() + seconds
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect((addr, port))
            out({"listening": True})
            return 0
        except OSError as e:
            if time.monotonic() >= deadline:
                out({"listening": False, "error": "%s" % e})
                return 1
        finally:
            s.close()
        time.sleep(0.2)


def main(argv):
    cmds = {"route": cmd_route, "listen": cmd_listen, "connect": cmd_connect, "wait": cmd_wait}
    if not argv or argv[0] not in cmds:
        sys.stderr.write("usage: netinfo.py route|listen|connect|wait ...\n")
        return 2
    return cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
