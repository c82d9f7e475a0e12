#!/usr/bin/env python3
"""The SIMULATED `ray` command of a simulated Atlas host (stdlib only, Python >= 3.8). No Ray runs here.

  ray start --head [--port 6379] [--node-ip-address IP]      a stand-in GCS daemon on this node (the head's
                                                              NPUs count as one node), then returns
  ray start --address=HEAD:PORT [--node-ip-address=IP]       a stand-in raylet daemon that registers this node's
                                                              NPUs with the head over TCP, then returns
  ray status [--address HEAD:PORT]                           the nodes and NPUs the head knows, in the layout of
                                                              `ray status`
  ray stop                                                   ends this node's daemons

The NPUs of a node are ASCEND_RT_VISIBLE_DEVICES (as vllm-ascend's ray.md exports it before `ray start`), else
all devices of the simulated host. The simulated `vllm serve --distributed-executor-backend ray` asks the GCS for
its NPUs (attach): each raylet then shows the memory in the node's simulated npu-smi until vllm ends.
Daemons keep their pids in DIR/state/ray/ (DIR: the simulated host). Everything printed says SIMULATED.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import simhost  # noqa: E402

DEFAULT_PORT = 6379
HEARTBEAT_SEC = 1.0
LOST_AFTER_SEC = 10.0


def state_dir():
    root = simhost.sim_root()
    base = os.path.join(root, "state", "ray") if root else os.path.join(os.path.expanduser("~"), ".ascend-adapt-sim-ray")
    os.makedirs(base, exist_ok=True)
    return root, base


def npus_here():
    vis = os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "")
    devs = [int(x) for x in vis.split(",") if x.strip().isdigit()]
    if devs:
        return devs
    root = simhost.sim_root()
    cfg = simhost.load_config(root) if root else {}
    return list(range(int(cfg.get("devices", 8)) * int(cfg.get("chipsPerNpu", 1))))


def send(sock, obj):
    return simhost.send_line(sock, json.dumps(obj))


def lines(sock):
    for line in simhost.recv_lines(sock):
        if line is None:
            yield None
            continue
        try:
            yield json.loads(line)
        except ValueError:
            continue


def request(address, port, obj, timeout=10.0):
    s = socket.create_connection((address, port), timeout=timeout)
    try:
        send(s, obj)
        for msg in lines(s):
            if msg is not None:
                return msg
    finally:
        s.close()
    return None


def log(msg):
    sys.stdout.write("%s %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), msg))
    sys.stdout.flush()


# ---- daemons ------------------------------------------------------------------------------------------
class Gcs(object):
    """The head: a node table, and the NPUs vllm attaches to."""

    def __init__(self, port, ip, root):
        self.lock = threading.Lock()
        self.root = root
        self.nodes = [{"id": "node_%s" % os.urandom(14).hex(), "ip": ip, "host": socket.gethostname(), "npus": npus_here(),
                       "sock": None, "last": time.monotonic(), "alive": True, "head": True}]
        self.failures = []
        self.held = False
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("0.0.0.0", port))
        self.srv.listen(64)

    def serve(self):
        threading.Thread(target=self.heartbeat, daemon=True).start()
        while True:
            c, addr = self.srv.accept()
            threading.Thread(target=self.client, args=(c, addr), daemon=True).start()

    def heartbeat(self):
        while True:
            time.sleep(HEARTBEAT_SEC)
            with self.lock:
                socks = [n["sock"] for n in self.nodes if n["sock"] is not None and n["alive"]]
            for c in socks:
                send(c, {"op": "ping"})

    def public(self):
        with self.lock:
            return [{k: n[k] for k in ("id", "ip", "host", "npus", "alive", "head")} for n in self.nodes]

    def client(self, c, addr):
        c.settimeout(HEARTBEAT_SEC)
        it = lines(c)
        first = None
        for first in it:
            if first is not None:
                break
        if not isinstance(first, dict):
            c.close()
            return
        op = first.get("op")
        if op == "status":
            send(c, {"nodes": self.public(), "failures": list(self.failures)})
            c.close()
        elif op == "register":
            node = {"id": "node_%s" % os.urandom(14).hex(), "ip": first.get("ip") or addr[0], "host": first.get("host", "?"),
                    "npus": list(first.get("npus") or []), "sock": c, "last": time.monotonic(), "alive": True, "head": False}
            with self.lock:
                self.nodes.append(node)
            log("INFO gcs_server: node %s (%s) registered with %d NPU(s) (SIMULATED)" % (node["host"], node["ip"], len(node["npus"])))
            send(c, {"op": "registered", "id": node["id"]})
            for msg in it:
                if msg is not None:
                    node["last"] = time.monotonic()
                elif time.monotonic() - node["last"] > LOST_AFTER_SEC:
                    break
            with self.lock:
                node["alive"] = False
                self.failures.append("%s (%s)" % (node["ip"], node["host"]))
            log("ERROR gcs_server: node %s (%s) is dead (SIMULATED)" % (node["host"], node["ip"]))
        elif op == "attach":
            self.attach(c, it, int(first.get("need", 0)), int(first.get("mb", 0)))
        else:
            c.close()

    def attach(self, c, it, need, mb):
        nodes = [n for n in self.public() if n["alive"]]
        total = sum(len(n["npus"]) for n in nodes)
        if total < need:
            send(c, {"ok": False, "total": total, "nodes": nodes})
            c.close()
            return
        left = need
        with self.lock:
            plan = []
            for n in self.nodes:
                if not n["alive"] or left <= 0:
                    continue
                take = n["npus"][:left]
                left -= len(take)
                plan.append((n, take))
        for n, take in plan:
            if n["head"]:
                simhost.register_npu_proc(self.root, os.getpid(), "ray::RayWorkerWrapper", take, mb) if self.root else None
            else:
                send(n["sock"], {"op": "hold", "devices": take, "mb": mb})
        send(c, {"ok": True, "total": total, "nodes": nodes, "placement": [{"ip": n["ip"], "devices": t} for n, t in plan]})
        for _ in it:
            pass  # until vllm goes away
        for n, _take in plan:
            if n["head"]:
                simhost.unregister_npu_proc(self.root, os.getpid()) if self.root else None
            else:
                send(n["sock"], {"op": "release"})


def run_gcs(port, ip):
    root, base = state_dir()
    try:
        gcs = Gcs(port, ip, root)
    except OSError as e:
        write_status(base, {"ok": False, "error": "%s" % e})
        return 1
    write_status(base, {"ok": True, "port": port, "ip": ip})
    with open(os.path.join(base, "gcs.json"), "w") as f:
        json.dump({"pid": os.getpid(), "port": port, "ip": ip}, f)
    try:
        gcs.serve()
    finally:
        if root:
            simhost.unregister_npu_proc(root, os.getpid())
    return 0


def run_raylet(head, port, ip):
    root, base = state_dir()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        if ip:
            s.bind((ip, 0))
        s.connect((head, port))
        send(s, {"op": "register", "ip": ip or s.getsockname()[0], "host": socket.gethostname(), "npus": npus_here()})
    except OSError as e:
        write_status(base, {"ok": False, "error": "%s" % e})
        return 1
    s.settimeout(HEARTBEAT_SEC)
    it = lines(s)
    reg = None
    for reg in it:
        if reg is not None:
            break
    if not isinstance(reg, dict) or reg.get("op") != "registered":
        write_status(base, {"ok": False, "error": "the head did not register this node"})
        return 1
    write_status(base, {"ok": True, "id": reg["id"]})

    def ping():
        while send(s, {"op": "ping"}):
            time.sleep(HEARTBEAT_SEC)

    threading.Thread(target=ping, daemon=True).start()
    last = time.monotonic()
    try:
        for msg in it:
            if msg is None:
                if time.monotonic() - last > LOST_AFTER_SEC:
                    break
                continue
            last = time.monotonic()
            if root and msg.get("op") == "hold":
                simhost.register_npu_proc(root, os.getpid(), "ray::RayWorkerWrapper", msg.get("devices") or [], int(msg.get("mb") or 0))
            elif root and msg.get("op") == "release":
                simhost.unregister_npu_proc(root, os.getpid())
    finally:
        # `ray stop` (SIGTERM, raised here as SystemExit) frees the NPUs as well as losing the head does.
        if root:
            simhost.unregister_npu_proc(root, os.getpid())
    log("ERROR raylet: lost the GCS at %s:%d, exiting (SIMULATED)" % (head, port))
    return 1


def write_status(base, obj):
    path = os.path.join(base, "status-%d.json" % os.getpid())
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.replace(path + ".tmp", path)


def spawn(kind, args):
    """Start a daemon in its own session (it outlives `ray start`, as Ray's do); wait for its status."""
    root, base = state_dir()
    logf = open(os.path.join(base, "%s.log" % kind), "ab")
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_daemon", kind] + args, stdin=subprocess.DEVNULL,
                         stdout=logf, stderr=logf, start_new_session=True, close_fds=True)
    with open(os.path.join(base, "pid-%d" % p.pid), "w") as f:
        f.write(kind)
    status = os.path.join(base, "status-%d.json" % p.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(status):
            with open(status) as f:
                st = json.load(f)
            os.remove(status)
            if not st.get("ok"):
                p.wait(5)
                os.remove(os.path.join(base, "pid-%d" % p.pid))
            return st
        if p.poll() is not None:
            return {"ok": False, "error": "the daemon exited with code %s" % p.returncode}
        time.sleep(0.05)
    return {"ok": False, "error": "no answer from the daemon within 30 s"}


# ---- commands -----------------------------------------------------------------------------------------
def opt(argv, name, default=None):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1].strip("'\"")
    return default


def running_pids(base):
    out = []
    for n in sorted(os.listdir(base)):
        if n.startswith("pid-"):
            pid = int(n[4:])
            if simhost.pid_alive(pid):
                out.append(pid)
            else:
                os.remove(os.path.join(base, n))
    return out


def cmd_start(argv):
    root, base = state_dir()
    ip = opt(argv, "--node-ip-address")
    if "--head" in argv:
        port = int(opt(argv, "--port", DEFAULT_PORT))
        if running_pids(base):
            sys.stderr.write("ConnectionError: Ray is already running on this node (SIMULATED); run `ray stop` first.\n")
            return 1
        ip = ip or _default_ip()
        st = spawn("gcs", [str(port), ip])
        if not st.get("ok"):
            sys.stderr.write("ConnectionError: the Ray head could not start on port %d: %s (SIMULATED)\n" % (port, st.get("error")))
            return 1
        print("Local node IP: %s" % ip)
        print("--------------------")
        print("Ray runtime started. (SIMULATED)")
        print("--------------------")
        print("")
        print("Next steps")
        print("  To add another node to this Ray cluster, run")
        print("    ray start --address='%s:%d'" % (ip, port))
        print("")
        print("  To terminate the Ray runtime, run")
        print("    ray stop")
        return 0
    address = opt(argv, "--address")
    if not address or ":" not in address:
        sys.stderr.write("ray start: give --head or --address=HEAD:PORT (SIMULATED)\n")
        return 2
    head, port = address.rsplit(":", 1)
    st = spawn("raylet", [head, port, ip or ""])
    if not st.get("ok"):
        sys.stderr.write("ConnectionError: Unable to connect to GCS at %s. Check that (1) Ray GCS with matching version started "
                         "successfully at the specified address, and (2) there is no firewall setting preventing access. "
                         "(SIMULATED: %s)\n" % (address, st.get("error")))
        return 1
    print("Local node IP: %s" % (ip or _default_ip()))
    print("--------------------")
    print("Ray runtime started. (SIMULATED)")
    print("--------------------")
    print("")
    print("To terminate the Ray runtime, run")
    print("  ray stop")
    return 0


def _default_ip():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("192.0.2.1", 9))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def head_address(argv):
    """(address, port) of the GCS: --address, RAY_ADDRESS, or this node's own head."""
    a = opt(argv, "--address") or os.environ.get("RAY_ADDRESS")
    if a and ":" in a:
        h, p = a.rsplit(":", 1)
        return h, int(p)
    _, base = state_dir()
    try:
        with open(os.path.join(base, "gcs.json")) as f:
            g = json.load(f)
        if simhost.pid_alive(int(g["pid"])):
            return "127.0.0.1", int(g["port"])
    except (OSError, ValueError, KeyError):
        pass
    return None, None


def cmd_status(argv):
    h, p = head_address(argv)
    if not h:
        sys.stderr.write("ConnectionError: Could not find any running Ray instance. Please specify the one to connect to by "
                         "setting `--address` flag or `RAY_ADDRESS` environment variable. (SIMULATED)\n")
        return 1
    try:
        st = request(h, p, {"op": "status"})
    except OSError as e:
        sys.stderr.write("ConnectionError: cannot reach the Ray head at %s:%d: %s (SIMULATED)\n" % (h, p, e))
        return 1
    nodes = st.get("nodes", []) if st else []
    alive = [n for n in nodes if n["alive"]]
    print("======== Autoscaler status: %s (SIMULATED) ========" % time.strftime("%Y-%m-%d %H:%M:%S"))
    print("Node status")
    print("-" * 63)
    print("Active:")
    for n in alive:
        print(" 1 %s" % n["id"])
    print("Pending:")
    print(" (no pending nodes)")
    print("Recent failures:")
    fails = st.get("failures", []) if st else []
    print("\n".join(" %s" % f for f in fails) if fails else " (no failures)")
    print("")
    print("Resources")
    print("-" * 63)
    print("Usage:")
    print(" 0.0/%.1f NPU" % float(sum(len(n["npus"]) for n in alive)))
    print("")
    print("Demands:")
    print(" (no resource demands)")
    return 0


def cmd_stop(argv):
    _, base = state_dir()
    pids = running_pids(base)
    if not pids:
        print("Did not find any active Ray processes. (SIMULATED)")
        return 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(simhost.pid_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if simhost.pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    running_pids(base)
    for n in os.listdir(base):
        if n == "gcs.json":
            os.remove(os.path.join(base, n))
    print("Stopped all %d Ray processes. (SIMULATED)" % len(pids))
    return 0


def attach(need, mb):
    """For the simulated vllm on the head: NPUs for `need` ranks from the Ray cluster. (socket or None, answer)."""
    h, p = head_address([])
    if not h:
        return None, {"ok": False, "error": "no Ray cluster on this node (ray start --head first)"}
    try:
        s = socket.create_connection((h, p), timeout=10)
    except OSError as e:
        return None, {"ok": False, "error": "%s" % e}
    send(s, {"op": "attach", "need": need, "mb": mb})
    s.settimeout(30)
    for msg in lines(s):
        if msg is not None:
            return (s if msg.get("ok") else None), msg
    return None, {"ok": False, "error": "no answer from the Ray head"}


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if argv[:1] == ["_daemon"]:
        if argv[1] == "gcs":
            return run_gcs(int(argv[2]), argv[3])
        return run_raylet(argv[2], int(argv[3]), argv[4] or None)
    simhost.note_simulated("ray")
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write("usage: ray {start,status,stop} ... (SIMULATED by ascend-adapt)\n")
        return 0 if argv else 2
    cmds = {"start": cmd_start, "status": cmd_status, "stop": cmd_stop}
    if argv[0] not in cmds:
        sys.stderr.write("ray: error: the simulated ray supports start, status and stop, not %r\n" % argv[0])
        return 2
    return cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
