#!/usr/bin/env python3
"""SIMULATED `hccn_tool` (NPU RoCE network ports) of an ascend-adapt simulated Atlas host. Stdlib only.

Outputs are shaped like the real tool's as published (mind-cluster docs/en/faultdiag/user_guide/
03_collecting_logs.md and component/ascend-common/devmanager/hccn/hccn_tool.go):

  hccn_tool -i N -link -g         link status: UP|DOWN
  hccn_tool -i N -net_health -g   net health status: Success|Init|Fault
  hccn_tool -i N -ip -g           ipaddr:A.B.C.D / netmask:M.M.M.M (from DIR/etc/hccn.conf, as a real host's)
  hccn_tool -i N -tls -g          dev_id:N, tls switch[S](0:disable, 1:enable), tls preconfigured[1](...)...
  hccn_tool -i N -ping -g address IP
                                  ping from device N's port to IP over the simulated RoCE fabric (below); no
                                  authoritative sample of this output was found, the summary line follows ping(8)

State that can be broken, per simulated host:
  sim.json faults.hccnLinkDown = [logical device, ...]     link DOWN (and net health Fault) on those ports
  sim.json faults.hccnTlsEnabled = [logical device, ...]   TLS switch 1 there (0 elsewhere)
  DIR/etc/hccn.conf address_N / netmask_N                  the ports' IPs (write another node's to duplicate one)
  sim.json hccnFabric = FOLDER   the simulated RoCE network: FOLDER holds one symlink per member host (to its
                                 DIR); a ping answers when some member's UP port has that address and the
                                 sender's port is UP and on the same subnet.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_cache  # noqa: E402
import simhost  # noqa: E402

HCCN_CONF = os.path.join("etc", "hccn.conf")


def read_conf(root):
    """DIR/etc/hccn.conf as {key: value} (address_N, netmask_N, ...); {} when missing."""
    out = {}
    try:
        with open(os.path.join(root, HCCN_CONF), "r", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    out[k.strip()] = v.strip()
    except OSError:
        pass
    return out


def faults(cfg):
    return cfg.get("faults") or {}


def link_up(cfg, dev):
    return dev not in (faults(cfg).get("hccnLinkDown") or [])


def _net(addr, mask):
    a = [int(x) for x in addr.split(".")]
    m = [int(x) for x in mask.split(".")]
    return tuple(x & y for x, y in zip(a, m))


def fabric_members(cfg):
    folder = cfg.get("hccnFabric")
    if not folder or not os.path.isdir(folder):
        return []
    out = []
    for n in sorted(os.listdir(folder)):
        p = os.path.realpath(os.path.join(folder, n))
        if os.path.isfile(os.path.join(p, simhost.SIM_JSON)):
            out.append(p)
    return out


def ping(root, cfg, dev, target):
    conf = read_conf(root)
    mine, mask = conf.get("address_%d" % dev), conf.get("netmask_%d" % dev)
    print("device %d PING %s" % (dev, target))
    ok = False
    if mine and mask and link_up(cfg, dev):
        for member in fabric_members(cfg):
            try:
                mcfg = simhost.load_config(member)
            except (OSError, ValueError):
                continue
            mconf = read_conf(member)
            for k, v in mconf.items():
                if not k.startswith("address_") or v != target:
                    continue
                peer = int(k.split("_", 1)[1])
                if link_up(mcfg, peer) and _net(target, mask) == _net(mine, mask):
                    ok = True
    for seq in range(3):
        if ok:
            print("recv seq=%d,time=0.0%d0000ms" % (seq, 5 + seq))
    print("3 packets transmitted, %d received, %.2f%% packet loss" % (3 if ok else 0, 0.0 if ok else 100.0))
    return 0


CACHED = ("-link", "-net_health", "-ip", "-tls")


def answer(root, cfg, conf, dev, what):
    """(exit code, stdout, stderr) of `hccn_tool -i dev WHAT -g` for the cacheable queries."""
    if what == "-link":
        return 0, "link status: %s\n" % ("UP" if link_up(cfg, dev) else "DOWN"), ""
    if what == "-net_health":
        return 0, "net health status: %s\n" % ("Success" if link_up(cfg, dev) else "Fault"), ""
    if what == "-ip":
        addr, mask = conf.get("address_%d" % dev), conf.get("netmask_%d" % dev)
        if not addr:
            return 1, "", "hccn_tool (simulated): no address for device %d in %s\n" % (dev, os.path.join(root, HCCN_CONF))
        return 0, "ipaddr:%s\nnetmask:%s\n" % (addr, mask or "255.255.255.0"), ""
    on = 1 if dev in (faults(cfg).get("hccnTlsEnabled") or []) else 0
    return 0, ("dev_id:%d, tls switch[%d](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), "
               "tls alarm time threshold[60]days\n" % (dev, on)), ""


def main(argv):
    began = render_cache.now()
    root = simhost.sim_root()
    if root is None:
        sys.stderr.write("hccn_tool (simulated): no sim.json found\n")
        return 2
    cfg = simhost.load_config(root)
    simhost.note_simulated("hccn_tool")
    per = int(cfg.get("chipsPerNpu", 1))
    count = int(cfg.get("devices", 8)) * per
    usage = "usage: hccn_tool -i DEVICE -link|-net_health|-ip|-tls -g | -ping -g address IP  (simulated)\n"
    if len(argv) < 4 or argv[0] != "-i" or argv[3] != "-g":
        sys.stderr.write(usage)
        return 1
    try:
        dev = int(argv[1])
    except ValueError:
        sys.stderr.write("hccn_tool (simulated): bad device %r\n" % argv[1])
        return 1
    if not 0 <= dev < count:
        sys.stderr.write("hccn_tool (simulated): device %d does not exist\n" % dev)
        return 1
    what = argv[2]
    if what in CACHED and len(argv) == 4:
        conf = read_conf(root)
        # Every port's answers at once: the sh wrapper serves the next queries without starting Python.
        answers = {}
        for d in range(count):
            for w in CACHED:
                code, text, _ = answer(root, cfg, conf, d, w)
                if code == 0:
                    answers["%d%s" % (d, w)] = text
        render_cache.store(root, "hccn", answers, began)
        code, text, err = answer(root, cfg, conf, dev, what)
        sys.stdout.write(text)
        sys.stderr.write(err)
        return code
    if what == "-ping" and len(argv) == 6 and argv[4] == "address":
        return ping(root, cfg, dev, argv[5])
    sys.stderr.write("hccn_tool (simulated): unsupported %s\n" % " ".join(argv[2:]))
    sys.stderr.write(usage)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
