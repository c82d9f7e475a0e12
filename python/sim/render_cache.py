"""Renderings of the SIMULATED npu-smi and hccn_tool, kept for their sh wrappers (stdlib only, Python >= 3.8).

A real npu-smi or hccn_tool is a native binary that answers in milliseconds; these stand-ins are Python, whose
start-up alone costs more than the rest of an environment check. So when one of them answers a cacheable query
it also writes its answers into DIR/state/render/, and the tool's sh wrapper (written by `ascend-adapt sim
create`) prints them with `cat` as long as nothing they were made from has changed since:

  DIR/state/render/<tool>.stamp   made last; its mtime is one second before the rendering began, so any change
                                  to the sources afterwards is newer than it even for a shell whose `test -nt`
                                  compares whole seconds (dash)
  DIR/state/render/<tool>.<name>  an answer, byte for byte what the tool prints on stdout
  DIR/state/render/<tool>.pids    processes the answer shows (npu-smi): if one is gone, the wrapper renders again

Anything that cannot be written is simply not cached.
"""
from __future__ import annotations

import os
import time


def now():
    """Take this before reading anything the answer depends on."""
    return time.time()


def store(root, tool, answers, began, pids=()):
    d = os.path.join(root, "state", "render")
    try:
        os.makedirs(d, exist_ok=True)
        for name, text in answers.items():
            _write(os.path.join(d, "%s.%s" % (tool, name)), text)
        _write(os.path.join(d, "%s.pids" % tool), "".join("%d\n" % p for p in pids))
        stamp = os.path.join(d, "%s.stamp" % tool)
        _write(stamp, "")
        t = int(began) - 1
        os.utime(stamp, (t, t))
    except OSError:
        pass


def _write(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
