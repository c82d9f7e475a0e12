#!/usr/bin/env python3
"""The SIMULATED `ais_bench` of a simulated Atlas host (stdlib only, Python >= 3.8).

A stand-in for AISBench (github.com/AISBench/benchmark) so the perf and accuracy jobs' AISBench engine can be
tested without it: the same command line (--models, --datasets, --summarizer, --mode perf|all, --config-dir,
--work-dir, --num-prompts, --debug, --dump-eval-details, --merge-ds), the model config read from
<config-dir>/models/<name>.py (the fields of AISBench's vllm_api configs), the same output files in the same
formats (performances/<abbr>/<dataset>.csv and .json with unit strings, summary/summary_<ts>.csv) and the same
log markers ("Current exp folder: …", "Performance Result files located in ….", "write csv to …").
It really sends the requests (chat completions; streamed in perf mode) to the configured host and port.
Every log line says SIMULATED; it knows only the GSM8K dataset configs, read from
<root>/ais_bench/datasets/gsm8k/test.jsonl (root: $ASCEND_ADAPT_SIM_AISBENCH_ROOT, else <sim root>/aisbench).
"""
from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # python/ (httpclient) in the repo; the sim copy has it beside
import httpclient  # noqa: E402

DATASETS = {
    # name → (abbr, kind, prompt template)
    "gsm8k_gen_0_shot_cot_chat_prompt": ("gsm8k", "accuracy",
                                         "Answer the following question.The last line of the response should follow "
                                         "this format: \"answer:$ANSWER\" (without quotes), where ANSWER is a number. "
                                         "Let's think step by step.\n\nQuestion: {question}"),
    "gsm8k_gen_0_shot_cot_str_perf": ("gsm8k", "perf", "{question}"),
}
STATS = ["Average", "Min", "Max", "Median", "P75", "P90", "P99"]


def log(level, msg):
    # the mark goes first: AISBench's own markers end with a path, which readers take to the end of the line
    sys.stdout.write("[SIMULATED] %s - AISBench - %s - %s\n" % (time.strftime("%m/%d %H:%M:%S"), level, msg))
    sys.stdout.flush()


def load_model_config(config_dir, name):
    path = os.path.join(config_dir or "configs", "models", name + ".py")
    if not os.path.exists(path):
        raise SystemExit(fail("The provided pattern matches 0 or more than one config. Not matched patterns: %s" % name))
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "models" for t in node.targets):
            call = node.value.elts[0]
            cfg = {}
            for kw in call.keywords:
                try:
                    cfg[kw.arg] = ast.literal_eval(kw.value)
                except ValueError:
                    if kw.arg == "generation_kwargs" and isinstance(kw.value, ast.Call):
                        cfg[kw.arg] = {k.arg: ast.literal_eval(k.value) for k in kw.value.keywords}
            return cfg, path
    raise SystemExit(fail("%s has no models = [dict(...)]" % path))


def fail(msg):
    log("ERROR", msg)
    return 1


def dataset_root():
    env = os.environ.get("ASCEND_ADAPT_SIM_AISBENCH_ROOT")
    if env:
        return env
    return os.path.join(os.path.dirname(HERE), "aisbench")


def load_gsm8k(n):
    path = os.path.join(dataset_root(), "ais_bench", "datasets", "gsm8k", "test.jsonl")
    if not os.path.exists(path):
        raise SystemExit(fail("dataset file %s not found" % path))
    items = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                items.append({"question": d["question"], "answer": d["answer"].split("####")[-1].strip().replace(",", "")})
    return items[:n] if n else items


class Stream(httpclient.Sink):
    """One streamed chat answer: arrival times of content chunks, usage."""

    def __init__(self):
        self.buf = bytearray()
        self.times = []
        self.text = []
        self.usage = None
        self.status = None

    def on_head(self, status, headers):
        self.status = status

    def on_body(self, data, ts):
        self.buf += data
        while b"\n\n" in self.buf:
            ev, _, rest = bytes(self.buf).partition(b"\n\n")
            self.buf = bytearray(rest)
            for line in ev.split(b"\n"):
                if not line.startswith(b"data:") or line[5:].strip() == b"[DONE]":
                    continue
                obj = json.loads(line[5:])
                if obj.get("usage"):
                    self.usage = obj["usage"]
                for ch in obj.get("choices") or ():
                    piece = (ch.get("delta") or {}).get("content")
                    if piece:
                        self.times.append(ts)
                        self.text.append(piece)


def ask(client, cfg, prompt, stream):
    gen = cfg.get("generation_kwargs") or {}
    body = {"model": cfg.get("model") or "", "messages": [{"role": "user", "content": prompt}],
            "max_tokens": int(cfg.get("max_out_len", 512)), "stream": stream, "temperature": gen.get("temperature", 0.01),
            "ignore_eos": bool(gen.get("ignore_eos", False))}
    if stream:
        body["stream_options"] = {"include_usage": True}
        s = Stream()
        t0 = time.time()
        r = client.request("POST", "/v1/chat/completions", body=body, on_body=s.on_body)
        if r.status != 200 or not s.times:
            return None
        return {"start": t0, "end": time.time(), "ttft": s.times[0] - t0,
                "itl": [b - a for a, b in zip(s.times, s.times[1:])], "latency": s.times[-1] - t0,
                "input_tokens": (s.usage or {}).get("prompt_tokens", len(prompt.split())),
                "output_tokens": (s.usage or {}).get("completion_tokens", len(s.times))}
    r = client.request("POST", "/v1/chat/completions", body=body)
    if r.status != 200:
        return None
    return r.json()["choices"][0]["message"]["content"] or ""


def pct(vals, p):
    v = sorted(vals)
    k = (len(v) - 1) * p / 100.0
    f = int(math.floor(k))
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def stats(vals):
    if not vals:
        return {k: 0 for k in STATS}
    out = {"Average": sum(vals) / len(vals), "Min": min(vals), "Max": max(vals), "Median": pct(vals, 50)}
    for p in (75, 90, 99):
        out["P%d" % p] = pct(vals, p)
    return {k: round(float(x), 4) for k, x in out.items()}


def perf(cfg, items, template, abbr, exp, model_abbr):
    client = httpclient.Client("http://%s:%d" % (cfg.get("host_ip", "localhost"), int(cfg.get("host_port", 8080))),
                               cfg.get("api_key") or None)
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=max(1, int(cfg.get("batch_size", 1)))) as pool:
        res = list(pool.map(lambda it: safe(lambda: ask(client, cfg, template.format(**it), True)), items))
    infer = time.time() - t0
    ok = [r for r in res if r]
    rows = {
        "E2EL": [r["latency"] for r in ok], "TTFT": [r["ttft"] for r in ok],
        "TPOT": [(r["latency"] - r["ttft"]) / (r["output_tokens"] - 1) for r in ok if r["output_tokens"] > 1],
        "ITL": [x for r in ok for x in r["itl"]], "InputTokens": [r["input_tokens"] for r in ok],
        "OutputTokens": [r["output_tokens"] for r in ok],
        "OutputTokenThroughput": [r["output_tokens"] / r["latency"] for r in ok if r["latency"] > 0],
        "PrefillTokenThroughput": [r["input_tokens"] / r["ttft"] for r in ok if r["ttft"] > 0],
    }
    out_dir = os.path.join(exp, "performances", model_abbr)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, abbr + ".csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(["Performance Parameters", "Stage"] + STATS + ["N"]) + "\r\n")
        for name, vals in rows.items():
            if name in ("TTFT", "TPOT", "ITL") and not any(vals):
                continue  # AISBench drops all-zero TTFT/TPOT rows and empty ITL
            s = stats(vals)
            unit = " ms" if name in ("E2EL", "TTFT", "TPOT", "ITL") else " token/s" if name.endswith("Throughput") else ""
            cells = [(str(round(s[k] * 1000, 4)) if unit == " ms" else str(s[k])) + unit for k in STATS]
            f.write(",".join([name, "total"] + cells + [str(len(ok))]) + "\r\n")
    tin, tout = sum(rows["InputTokens"]), sum(rows["OutputTokens"])
    common = {
        "Benchmark Duration": {"total": "%s ms" % round(infer * 1000, 4)}, "Total Requests": {"total": len(res)},
        "Failed Requests": {"total": len(res) - len(ok)}, "Success Requests": {"total": len(ok)},
        "Concurrency": {"total": round(sum(rows["E2EL"]) / infer, 4) if infer else 0},
        "Max Concurrency": {"total": int(cfg.get("batch_size", 1))},
        "Request Throughput": {"total": "%s req/s" % round(len(ok) / infer, 4)},
        "Total Input Tokens": {"total": tin}, "Total Generated Tokens": {"total": tout},
        "Input Token Throughput": {"total": "%s token/s" % round(tin / infer, 4)},
        "Output Token Throughput": {"total": "%s token/s" % round(tout / infer, 4)},
        "Total Token Throughput": {"total": "%s token/s" % round((tin + tout) / infer, 4)},
    }
    with open(os.path.join(out_dir, abbr + ".json"), "w", encoding="utf-8") as f:
        json.dump(common, f, indent=4, ensure_ascii=False)
    if len(ok) < len(res):
        log("WARNING", "Some requests failed, please check the error logs from responses!")
    log("INFO", "Performance Results of task [%s/%s]: " % (model_abbr, abbr))
    log("INFO", "Performance Result files located in %s." % out_dir)


def safe(f):
    try:
        return f()
    except (httpclient.RequestFailed, ValueError, KeyError):
        return None


def accuracy(cfg, items, template, abbr, exp, model_abbr, ts):
    client = httpclient.Client("http://%s:%d" % (cfg.get("host_ip", "localhost"), int(cfg.get("host_port", 8080))),
                               cfg.get("api_key") or None)
    with ThreadPoolExecutor(max_workers=max(1, int(cfg.get("batch_size", 1)))) as pool:
        answers = list(pool.map(lambda it: safe(lambda: ask(client, cfg, template.format(**it), False)), items))
    right = 0
    for it, ans in zip(items, answers):
        nums = re.findall(r"-?\d+(?:\.\d+)?", (ans or "").replace(",", ""))
        if nums and float(nums[-1]) == float(it["answer"]):
            right += 1
    acc = 100.0 * right / len(items) if items else 0.0
    out = os.path.join(exp, "summary")
    os.makedirs(out, exist_ok=True)
    # AISBench adds " (correct/total)" to the score when the evaluator reports both
    table = [["dataset", "version", "metric", "mode", model_abbr],
             [abbr, "17d0dc", "accuracy", "gen", "%.02f (%d/%d)" % (acc, right, len(items))]]
    path = os.path.join(out, "summary_%s.csv" % ts)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(",".join(r) for r in table) + "\n")
    log("INFO", "write csv to %s" % os.path.abspath(path))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ais_bench", description="Run a benchmark task (SIMULATED ais_bench)")
    ap.add_argument("config", nargs="?")
    ap.add_argument("--models", nargs="+")
    ap.add_argument("--datasets", nargs="+")
    ap.add_argument("--summarizer")
    ap.add_argument("--debug", action="store_true")
    ap.add_argument("-m", "--mode", choices=["all", "infer", "eval", "viz", "perf", "perf_viz", "judge", "infer_judge"],
                    default="all")
    ap.add_argument("-w", "--work-dir")
    ap.add_argument("--config-dir", default="configs")
    ap.add_argument("--num-prompts", type=int)
    ap.add_argument("--num-warmups", type=int, default=1)
    ap.add_argument("--merge-ds", action="store_true")
    ap.add_argument("--dump-eval-details", action="store_true")
    a = ap.parse_args(argv)
    if not a.models or not a.datasets:
        return fail("give --models and --datasets")
    cfg, cfg_path = load_model_config(a.config_dir, a.models[0])
    ts = time.strftime("%Y%m%d_%H%M%S")
    exp = os.path.join(a.work_dir or os.path.join("outputs", "default"), ts)
    os.makedirs(os.path.join(exp, "configs"), exist_ok=True)
    log("INFO", "Loading %s: %s" % (a.models[0], cfg_path))
    log("INFO", "Current exp folder: %s" % exp)
    model_abbr = cfg.get("abbr") or a.models[0]
    for ds in a.datasets:
        name = ds[:-3] if ds.endswith(".py") else ds
        if name not in DATASETS:
            return fail("dataset config %s is not one this simulated ais_bench knows (%s)" % (name, ", ".join(DATASETS)))
        abbr, kind, template = DATASETS[name]
        items = load_gsm8k(a.num_prompts)
        if a.mode == "perf":
            if not cfg.get("stream"):
                return fail("Service performance only supports evaluating streaming interfaces (stream=True)")
            perf(cfg, items, template, abbr, exp, model_abbr)
        else:
            accuracy(cfg, items, template, abbr, exp, model_abbr, ts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
