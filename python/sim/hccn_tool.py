#!/usr/bin/env python3
"""SIMULATED `hccn_tool` (NPU network ports) of an ascend-adapt simulated Atlas host. Stdlib only.

  hccn_tool -i N -link -g         link status: UP|DOWN
  hccn_tool -i N -net_health -g   net health status: Success|Fault
  hccn_tool -i N -ip -g           ipaddr:/netmask:
Faults: sim.json faults.hccnLinkDown = [logical device, ...].
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simhost  # noqa: E402


def main(argv):
    root = simhost.sim_root()
    if root is None:
        sys.stderr.write("hccn_tool (simulated): no sim.json found\n")
        return 2
    cfg = simhost.load_config(root)
    simhost.note_simulated("hccn_tool")
    per = int(cfg.get("chipsPerNpu", 1))
    count = int(cfg.get("devices", 8)) * per
    if len(argv) != 4 or argv[0] != "-i" or argv[3] != "-g":
        sys.stderr.write("usage: hccn_tool -i DEVICE -link|-net_health|-ip -g  (simulated)\n")
        return 1
    try:
        dev = int(argv[1])
    except ValueError:
        sys.stderr.write("hccn_tool (simulated): bad device %r\n" % argv[1])
        return 1
    if not 0 <= dev < count:
        sys.stderr.write("hccn_tool (simulated): device %d does not exist\n" % dev)
        return 1
    down = (cfg.get("faults") or {}).get("hccnLinkDown") or []
    what = argv[2]
    if what == "-link":
        print("link status: %s" % ("DOWN" if dev in down else "UP"))
    elif what == "-net_health":
        print("net health status: %s" % ("Fault" if dev in down else "Success"))
    elif what == "-ip":
        print("ipaddr:192.168.100.%d" % (10 + dev))
        print("netmask:255.255.255.0")
    else:
        sys.stderr.write("hccn_tool (simulated): unsupported %s\n" % what)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
