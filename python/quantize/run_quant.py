#!/usr/bin/env python3
"""Runs one msModelSlim quantization as the body of a detached job (stdlib only, Python >= 3.8).

  run_quant.py --result FILE --out DIR [--yes] [--cwd DIR] -- COMMAND...

COMMAND is `msmodelslim quant ...` or `python3 example/.../quant_*.py ...`, with the environment the job set
(ASCEND_RT_VISIBLE_DEVICES, PYTORCH_NPU_ALLOC_CONF). Its output goes to this job's log unchanged.

msModelSlim asks "(Enter y to continue, otherwise it will exit): " with input() when no best practice matches.
A job has no terminal, so the answer is given up front and the tool can never wait for one: with --yes "y" is
written to its stdin, without it stdin is closed (input() then fails at once and the tool exits). The question
text is captured for the caller, who asks the person and starts again with --yes.

FILE (JSON) is written at the end — also when the tool fails or this job is stopped (SIGTERM):
  {"schema": 1, "exitCode", "signal", "prompt", "answered", "startedAt", "endedAt", "command",
   "output": <probe.output_facts(DIR)> when the tool exited 0, else null}
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import probe  # noqa: E402

PROMPT = re.compile(r"([^\n]*)\(Enter y to continue, otherwise it will exit\): ")


def stamp():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_result(path, result):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, path)


def run(command, yes, on_chunk, cwd=None):
    """Runs command with the answer given up front; returns (returncode, prompt text or None)."""
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd)

    def forward(signum, _frame):
        try:
            child.send_signal(signum)
        except OSError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        if yes:
            child.stdin.write(b"y\n")
        child.stdin.close()
    except OSError:
        pass
    tail, prompt = b"", None
    fd = child.stdout.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not chunk:
            break
        on_chunk(chunk)
        tail = (tail + chunk)[-8192:]
        m = PROMPT.search(tail.decode("utf-8", "replace"))
        if m and prompt is None:
            prompt = (m.group(1).strip() + " (Enter y to continue, otherwise it will exit)").strip()
    return child.wait(), prompt


def main(argv):
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    opts, command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    result_file = opts[opts.index("--result") + 1]
    out_dir = opts[opts.index("--out") + 1]
    yes = "--yes" in opts
    cwd = opts[opts.index("--cwd") + 1] if "--cwd" in opts else None
    res = {"schema": 1, "exitCode": None, "signal": None, "prompt": None, "answered": "y" if yes else None,
           "startedAt": stamp(), "endedAt": None, "command": command, "output": None}
    write_result(result_file, res)

    def out(chunk):
        os.write(1, chunk)

    try:
        code, prompt = run(command, yes, out, cwd)
    except OSError as e:
        sys.stdout.write("error: cannot start %s: %s\n" % (command[0], e))
        sys.stdout.flush()
        res.update({"exitCode": 127, "endedAt": stamp()})
        write_result(result_file, res)
        return 127
    res["prompt"] = prompt
    res["endedAt"] = stamp()
    if code < 0:
        res["signal"] = "SIG" + signal.Signals(-code).name[3:]
    else:
        res["exitCode"] = code
    if code == 0:
        res["output"] = probe.output_facts(out_dir)
    write_result(result_file, res)
    if prompt and not yes:
        sys.stdout.write("error: msModelSlim asked for confirmation and was not given it: %s\n" % prompt)
    elif code != 0:
        sys.stdout.write("error: %s ended with %s\n" % (os.path.basename(command[0]) if len(command) < 2 else " ".join(command[:2]),
                                                        res["signal"] or "exit code %d" % code))
    sys.stdout.flush()
    return 0 if code == 0 else (128 - code if code < 0 else code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
