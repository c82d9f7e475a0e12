#!/usr/bin/env python3
"""SIMULATED `npu-smi` of an ascend-adapt simulated Atlas host (stdlib only, Python >= 3.8).

Prints what a real npu-smi prints, in the real layouts, from DIR/sim.json and the live simulated NPU
processes in DIR/state/npu_procs/ (see simhost.py). stdout is shaped like the real tool so that parsers
are exercised exactly; a one-line note on stderr says the data is simulated.

Supported:
  npu-smi info                           main table (98-column A2 / A3 / classic 910 layout,
                                         106-column 310P layout), process table included
  npu-smi info -l                        card list
  npu-smi info -t board|usages|health|temp|power|memory -i ID [-c CHIP]
  npu-smi -h | -v
Faults (sim.json "faults"): npuSmiHang (sleep instead of answering, like a broken driver),
npuSmiError (message on stderr, exit 1), health {"<logical device>": "Alarm"}.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_cache  # noqa: E402
import simhost  # noqa: E402

A2_BUS = ["C1", "C2", "81", "82", "01", "02", "41", "42"]
A3_BUS = ["9D", "9F", "99", "9B", "95", "97", "91", "93", "8D", "8F", "89", "8B", "85", "87", "81", "83"]


class Chip(object):
    """One chip (die) = one logical device."""

    def __init__(self, logical, npu_id, chip_id, name, bus, hbm_total, hbm_idle, ddr_total, ddr_idle, health):
        self.logical = logical
        self.npu_id = npu_id
        self.chip_id = chip_id
        self.name = name
        self.bus = bus
        self.hbm_total = hbm_total
        self.hbm_used = hbm_idle
        self.ddr_total = ddr_total
        self.ddr_used = ddr_idle
        self.health = health
        self.procs = []  # (pid, name, memoryMB)
        self.power = 0.0
        self.temp = 0
        self.aicore = 0


def build_chips(cfg, procs):
    family = cfg.get("family", "A2")
    count = int(cfg.get("devices", 8))
    per = int(cfg.get("chipsPerNpu", 2 if family in ("A3", "310P") else 1))
    name = str(cfg.get("chip", "910B3"))
    hbm_total = int(cfg.get("hbmTotalMB", 65536))
    ddr_total = int(cfg.get("ddrTotalMB", 0))
    npu_ids = cfg.get("npuIds") or list(range(count))
    faults = cfg.get("faults") or {}
    health = faults.get("health") or {}
    chips = []
    for n in range(count):
        for c in range(per):
            i = n * per + c
            if family == "A3":
                bus = "0000:%s:00.0" % (A3_BUS[i] if i < len(A3_BUS) else "%02X" % (0x40 + i))
            elif family == "310P":
                bus = "0000:%02X:00.0" % (1 + 2 * n)
            else:
                bus = "0000:%s:00.0" % (A2_BUS[n] if n < len(A2_BUS) else "%02X" % (0x10 + n))
            if hbm_total > 0:
                hbm_idle = (2870 if hbm_total <= 32768 and family != "910" else 3200) + (i * 97) % 190
                if family == "910":
                    hbm_idle = 0
            else:
                hbm_idle = 0
            ddr_idle = 0
            if ddr_total > 0:
                ddr_idle = 900 + (i * 211) % 1500
            ch = Chip(i, int(npu_ids[n]), c, name, bus, hbm_total, hbm_idle, ddr_total, ddr_idle,
                      str(health.get(str(i), "OK")))
            ch.power = 90.0 + ((i * 37) % 100) / 10.0 if family != "A3" else 205.0 + ((i * 53) % 150) / 10.0
            ch.temp = 50 + (i * 3) % 5 if family != "A3" else 43 + (i * 3) % 4
            chips.append(ch)
    for p in procs:
        for d in p["devices"]:
            if 0 <= d < len(chips):
                ch = chips[d]
                ch.procs.append((p["pid"], p["name"], p["memoryMB"]))
                if ch.hbm_total > 0:
                    ch.hbm_used = min(ch.hbm_total, ch.hbm_used + p["memoryMB"])
                else:
                    ch.ddr_used = min(ch.ddr_total, ch.ddr_used + p["memoryMB"])
                ch.power += 6.5
    return chips, per


def fmt_power(v):
    return "%.1f" % v


def pair(used, total, width_used, width_total):
    return ("%-" + str(width_used) + "s/ %-" + str(width_total) + "s") % (used, total)


def render_98(cfg, chips, per):
    ver = str(cfg.get("driver", "25.5.1"))
    family = cfg.get("family", "A2")
    bar = "+" + "-" * 96 + "+"
    cols = "+" + "-" * 27 + "+" + "-" * 15 + "+" + "-" * 52 + "+"
    eq = "+" + "=" * 27 + "+" + "=" * 15 + "+" + "=" * 52 + "+"
    out = [bar, ("| " + ("npu-smi " + ver).ljust(33) + "Version: " + ver).ljust(97) + "|", cols,
           "| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|"]
    if per > 1:
        out.append("| Chip  Phy-ID              | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |")
    else:
        out.append("| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |")
    out.append(eq)
    for ch in chips:
        power = fmt_power(ch.power) if (family != "A3" or ch.chip_id == 0) else "-"
        r1 = "| " + ("%-6s%-20s" % (ch.npu_id, ch.name)) + "| " + ch.health.ljust(14) + "| " + \
            power.ljust(12) + str(ch.temp).ljust(18) + pair(0, 0, 5, 14) + "|"
        chip_col = ("%-6s%-20s" % (ch.chip_id, ch.logical)) if per > 1 else ("%-26s" % ch.chip_id)
        r2 = "| " + chip_col + "| " + ch.bus.ljust(14) + "| " + str(ch.aicore).ljust(12) + \
            pair(ch.ddr_used, ch.ddr_total, 5, 11) + pair(ch.hbm_used, ch.hbm_total, 5, 14) + "|"
        out.append(r1)
        out.append(r2)
        last_of_card = ch.chip_id == per - 1
        out.append(eq if last_of_card else bar)
    # Process table
    out.append(cols)
    out.append("| NPU     Chip              | Process id    | Process name             | Process memory(MB)      |")
    out.append(eq)
    for npu in _npu_order(chips):
        rows = [(ch, p) for ch in chips if ch.npu_id == npu for p in ch.procs]
        if not rows:
            out.append(("| No running processes found in NPU %d" % npu).ljust(97) + "|")
        for ch, (pid, name, mem) in rows:
            out.append("| " + ("%-8s%-18s" % (ch.npu_id, ch.chip_id)) + "| " + str(pid).ljust(14) + "| " +
                       name[:25].ljust(25) + "| " + str(mem).ljust(24) + "|")
        out.append(eq)
    return out


def render_106(cfg, chips, per):
    ver = str(cfg.get("driver", "25.5.1"))
    bar = "+" + "-" * 104 + "+"
    cols = "+" + "-" * 31 + "+" + "-" * 17 + "+" + "-" * 54 + "+"
    eq = "+" + "=" * 31 + "+" + "=" * 17 + "+" + "=" * 54 + "+"
    out = [bar, ("| " + ("npu-smi " + ver).ljust(49) + "Version: " + ver).ljust(105) + "|", cols,
           "| NPU     Name                  | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |",
           "| Chip    Device                | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |",
           eq]
    for ch in chips:
        r1 = "| " + ("%-8s%-22s" % (ch.npu_id, ch.name)) + "| " + ch.health.ljust(16) + "| " + \
            "NA".ljust(13) + str(ch.temp).ljust(18) + pair(0, 0, 6, 14) + "|"
        r2 = "| " + ("%-8s%-22s" % (ch.chip_id, ch.logical)) + "| " + ch.bus.ljust(16) + "| " + \
            (str(ch.aicore).ljust(13) + ("%-5s/ %s" % (ch.ddr_used, ch.ddr_total))).ljust(53) + "|"
        out.append(r1)
        out.append(r2)
        out.append(eq if ch.chip_id == per - 1 else cols)
    out.append(cols)
    out.append("| NPU     Chip                  | Process id      | Process name             | Process memory(MB)        |")
    out.append(eq)
    for npu in _npu_order(chips):
        rows = [(ch, p) for ch in chips if ch.npu_id == npu for p in ch.procs]
        if not rows:
            out.append(("| No running processes found in NPU %d" % npu).ljust(105) + "|")
        for ch, (pid, name, mem) in rows:
            out.append("| " + ("%-8s%-22s" % (ch.npu_id, ch.chip_id)) + "| " + str(pid).ljust(16) + "| " +
                       name[:25].ljust(25) + "| " + str(mem).ljust(26) + "|")
        out.append(eq)
    return out


def _npu_order(chips):
    seen = []
    for ch in chips:
        if ch.npu_id not in seen:
            seen.append(ch.npu_id)
    return seen


def kv(key, value, indent=8, width=31):
    return " " * indent + key.ljust(width) + ": " + str(value)


def render_list(chips, per):
    npus = _npu_order(chips)
    out = [kv("Total Count", len(npus)), ""]
    for n in npus:
        out.append(kv("NPU ID", n))
        out.append(kv("Chip Count", per))
        out.append("")
    return out[:-1]


def chips_of(chips, npu_id, chip_id):
    sel = [ch for ch in chips if ch.npu_id == npu_id]
    if chip_id is not None:
        sel = [ch for ch in sel if ch.chip_id == chip_id]
    return sel


def render_type(cfg, chips, per, typ, npu_id, chip_id):
    sel = chips_of(chips, npu_id, chip_id)
    if not sel:
        return None
    out = []
    fw = str(cfg.get("firmware", "7.8.0.6.201"))
    if typ == "board" and chip_id is None:
        out += [kv("NPU ID", npu_id), kv("Product Name", "SIMULATED"), kv("Model", "NA"),
                kv("Manufacturer", "ascend-adapt (simulated)"), kv("Serial Number", "SIM%08d" % npu_id),
                kv("Software Version", cfg.get("driver", "25.5.1")), kv("Firmware Version", fw),
                kv("Compatibility", "OK"), kv("Board ID", "0x00"), kv("PCB ID", "NA"), kv("BOM ID", "0"),
                kv("PCIe Bus Info", sel[0].bus), kv("Slot ID", npu_id), kv("Class ID", "NA"),
                kv("PCI Vendor ID", "0x19E5"),
                kv("PCI Device ID", "0xD801" if cfg.get("family") == "910" else "0xD500" if cfg.get("family") == "310P" else "0xD802"),
                kv("Subsystem Vendor ID", "0x19E5"), kv("Subsystem Device ID", "0x0000"), kv("Chip Count", per)]
        return out
    if typ == "board":
        ch = sel[0]
        out += [kv("NPU ID", npu_id), kv("Chip ID", ch.chip_id), kv("Chip Type", "Ascend")]
        if cfg.get("family") == "A3":
            out += [kv("Chip Name", "Ascend910"), kv("NPU Name", str(cfg.get("socName", "9391")))]
        else:
            out += [kv("Chip Name", ch.name)]
        out += [kv("Chip Version", "V1"), kv("PCIe Bus Info", ch.bus), kv("Firmware Version", fw)]
        return out
    out += [kv("NPU ID", npu_id), kv("Chip Count", per), ""]
    for ch in sel:
        if typ == "usages":
            hbm_rate = int(round(100.0 * ch.hbm_used / ch.hbm_total)) if ch.hbm_total else 0
            ddr_rate = int(round(100.0 * ch.ddr_used / ch.ddr_total)) if ch.ddr_total else 0
            out += [kv("DDR Capacity(MB)", ch.ddr_total), kv("DDR Usage Rate(%)", ddr_rate),
                    kv("DDR Hugepages Total(page)", 0), kv("DDR Hugepages Usage Rate(%)", 0),
                    kv("HBM Capacity(MB)", ch.hbm_total), kv("HBM Usage Rate(%)", hbm_rate),
                    kv("Aicore Usage Rate(%)", ch.aicore), kv("Aivector Usage Rate(%)", 0),
                    kv("Aicpu Usage Rate(%)", 0), kv("Ctrlcpu Usage Rate(%)", 5),
                    kv("DDR Bandwidth Usage Rate(%)", 0), kv("HBM Bandwidth Usage Rate(%)", 0),
                    kv("NPU Utilization(%)", 0), kv("Aicube Usage Rate(%)", 0)]
        elif typ == "health":
            out += [kv("Health Status", ch.health), kv("Error Code", "NA" if ch.health == "OK" else "80E01801"),
                    kv("Error Information", "NA" if ch.health == "OK" else "simulated fault")]
        elif typ == "temp":
            out += [kv("NPU Temperature (C)", ch.temp)]
        elif typ == "power":
            out += [kv("NPU Real-time Power(W)", fmt_power(ch.power))]
        elif typ == "memory":
            out += [kv("HBM Capacity(MB)", ch.hbm_total), kv("HBM Clock Speed(MHz)", 1600),
                    kv("HBM Temperature(C)", ch.temp), kv("HBM Bandwidth Usage Rate(%)", 0)]
        else:
            return None
        out.append(kv("Chip ID", ch.chip_id))
        out.append("")
    return out[:-1]


USAGE = """Usage: npu-smi info [-h] [-l] [-m] [-t TYPE -i ID [-c CHIP]]
  (simulated npu-smi of an ascend-adapt simulated Atlas host)
  -t TYPE   board | usages | health | temp | power | memory
"""


def main(argv):
    began = render_cache.now()
    root = simhost.sim_root()
    if root is None:
        sys.stderr.write("npu-smi (simulated): no sim.json found (set ASCEND_ADAPT_SIM_ROOT)\n")
        return 2
    cfg = simhost.load_config(root)
    simhost.note_simulated("npu-smi")
    faults = cfg.get("faults") or {}
    if faults.get("npuSmiHang"):
        time.sleep(3600)
    if faults.get("npuSmiError"):
        sys.stderr.write(str(faults["npuSmiError"]) + "\n")
        return 1
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 1
    if argv[0] in ("-v", "--version"):
        sys.stdout.write("npu-smi version: %s\n" % cfg.get("driver", "25.5.1"))
        return 0
    if argv[0] != "info":
        sys.stderr.write("npu-smi (simulated): unsupported command %r\n" % argv[0])
        return 1
    args = argv[1:]
    procs = simhost.live_procs(root)
    chips, per = build_chips(cfg, procs)
    if not args:
        lines = render_106(cfg, chips, per) if cfg.get("family") in ("310P", "310") else render_98(cfg, chips, per)
        render_cache.store(root, "npu-smi", {"info": "\n".join(lines) + "\n"}, began, [p["pid"] for p in procs])
    elif args[0] == "-l":
        lines = render_list(chips, per)
    elif args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    else:
        opts = {}
        i = 0
        while i < len(args):
            if args[i] in ("-t", "-i", "-c") and i + 1 < len(args):
                opts[args[i]] = args[i + 1]
                i += 2
            else:
                sys.stderr.write("npu-smi (simulated): bad argument %r\n%s" % (args[i], USAGE))
                return 1
        if "-t" not in opts or "-i" not in opts:
            sys.stderr.write(USAGE)
            return 1
        try:
            npu_id = int(opts["-i"])
            chip_id = int(opts["-c"]) if "-c" in opts else None
        except ValueError:
            sys.stderr.write("npu-smi (simulated): -i and -c take numbers\n")
            return 1
        lines = render_type(cfg, chips, per, opts["-t"], npu_id, chip_id)
        if lines is None:
            sys.stderr.write("npu-smi (simulated): no such device or type (-t %s -i %s)\n" % (opts["-t"], opts["-i"]))
            return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
