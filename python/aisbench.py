"""AISBench (`ais_bench`, github.com/AISBench/benchmark) as an engine of the perf and accuracy jobs. Stdlib only.

The commands are the ones vllm-ascend documents (docs/source/developer_guide/evaluation/using_ais_bench.md):
    perf:     ais_bench --models vllm_api_stream_chat --datasets gsm8k_gen_0_shot_cot_str_perf --summarizer default_perf --mode perf
    accuracy: ais_bench --models vllm_api_general_chat --datasets gsm8k_gen_0_shot_cot_chat_prompt --mode all --dump-eval-details --merge-ds
The documented way to point them at a server is to edit the model config of that name inside the AISBench
install (host_ip, host_port, model, max_out_len, batch_size, ...). Instead of editing someone's install, the
job writes its own copy of that config into the run folder and adds AISBench's --config-dir (searched before
the installed configs) and --work-dir (where the outputs go); --num-prompts bounds the prompts.

Outputs read back (AISBench's own formats, values are strings with units):
    <work>/<YYYYMMDD_HHMMSS>/performances/<model abbr>/<dataset abbr>.csv
        Performance Parameters,Stage,Average,Min,Max,Median,P75,P90,P99,N
        E2EL,total,123.4 ms,...   TTFT / TPOT / ITL in " ms"; OutputTokenThroughput in " token/s"
    <...>/<dataset abbr>.json   {"Benchmark Duration": {"total": "1234.5 ms"}, "Request Throughput": {"total": "3.2 req/s"}, ...}
    <work>/<ts>/summary/summary_<ts>.csv
        dataset,version,metric,mode[,total_count],<model abbr>     values in % ("94.77" or "94.77 (379/400)"), "-" = none
and its stdout markers "Current exp folder: ...", "Performance Result files located in ...", "write csv to ...".
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

PERF_MODEL = "vllm_api_stream_chat"
ACCURACY_MODEL = "vllm_api_general_chat"
PERF_DATASET = "gsm8k_gen_0_shot_cot_str_perf"
# accuracy tasks of this product → AISBench dataset configs (0-shot chat, as the vllm-ascend docs run them)
ACCURACY_DATASETS = {"gsm8k": "gsm8k_gen_0_shot_cot_chat_prompt", "mmlu": "mmlu_gen_0_shot_cot_chat_prompt",
                     "math": "math500_gen_0_shot_cot_chat_prompt"}

_UNITS = {"ms": 1.0, "token/s": 1.0, "req/s": 1.0}


class AisBenchError(Exception):
    pass


def available(exe="ais_bench"):
    return shutil.which(exe) is not None


def model_config(abbr, host, port, model, *, stream, max_out_len, batch_size, request_rate=0, tokenizer_path="",
                 api_key="", perf=False):
    """The text of a model config as AISBench's own vllm_api configs are written, with this run's values (perf
    runs as vllm-ascend's nightly runner sets them: temperature 0, ignore_eos so every answer is max_out_len)."""
    gen = "temperature=0,\n            ignore_eos=True," if perf else "temperature=0.01,\n            ignore_eos=False,"
    return '''# Written by ascend-adapt for one run: AISBench's %(abbr)s model config with this run's endpoint.
from ais_bench.benchmark.models import VLLMCustomAPIChat
from ais_bench.benchmark.utils.postprocess.model_postprocessors import extract_non_reasoning_content

models = [
    dict(
        attr="service",
        type=VLLMCustomAPIChat,
        abbr=%(abbr_q)s,
        path=%(path)s,
        model=%(model)s,
        stream=%(stream)s,
        request_rate=%(rate)r,
        use_timestamp=False,
        retry=2,
        api_key=%(key)s,
        host_ip=%(host)s,
        host_port=%(port)d,
        url="",
        max_out_len=%(max_out)d,
        batch_size=%(batch)d,
        trust_remote_code=False,
        generation_kwargs=dict(
            %(gen)s
        ),
        pred_postprocessor=dict(type=extract_non_reasoning_content),
    )
]
''' % {"abbr": abbr, "abbr_q": json.dumps(abbr.replace("_", "-")), "path": json.dumps(tokenizer_path or ""),
       "model": json.dumps(model), "stream": "True" if stream else "False", "rate": request_rate,
       "key": json.dumps(api_key or ""), "host": json.dumps(host), "port": port, "max_out": max_out_len,
       "batch": batch_size, "gen": gen}


def write_model_config(config_dir, name, text):
    d = os.path.join(config_dir, "models")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def perf_argv(dataset, config_dir, work_dir, num_prompts=None, exe="ais_bench"):
    argv = [exe, "--models", PERF_MODEL, "--datasets", dataset, "--summarizer", "default_perf", "--mode", "perf",
            "--config-dir", config_dir, "--work-dir", work_dir]
    if num_prompts:
        argv += ["--num-prompts", str(num_prompts)]
    return argv


def accuracy_argv(datasets, config_dir, work_dir, num_prompts=None, exe="ais_bench"):
    argv = [exe, "--models", ACCURACY_MODEL, "--datasets"] + list(datasets) + [
        "--mode", "all", "--dump-eval-details", "--merge-ds", "--config-dir", config_dir, "--work-dir", work_dir]
    if num_prompts:
        argv += ["--num-prompts", str(num_prompts)]
    return argv


_MARKERS = {"exp": re.compile(r"Current exp folder: (.+?)\s*$"),
            "perf": re.compile(r"Performance Result files located in (.+?)\.?\s*$"),
            "csv": re.compile(r"write csv to (.+?)\s*$")}


def run(argv, log, env=None):
    """Runs ais_bench, its output line by line to `log` (prefixed), and returns the markers it printed:
    {"exp": folder, "perf": folder, "csv": file, "errors": [ERROR lines], "rc": exit code}."""
    found = {"errors": []}
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        raise AisBenchError("cannot run %s: %s" % (argv[0], e))
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        log("ais_bench: " + line)
        for k, rx in _MARKERS.items():
            m = rx.search(line)
            if m:
                found[k] = m.group(1)
        if "ERROR" in line:
            found["errors"].append(line.strip())
    found["rc"] = p.wait()
    return found


def value_of(cell, where):
    """'123.4 ms' / '12.5 token/s' / '3.2 req/s' / '42' → float; anything else is an error naming the cell."""
    s = str(cell).strip()
    m = re.match(r"^(-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*([a-z/]+)?$", s)
    if not m or (m.group(2) and m.group(2) not in _UNITS):
        raise AisBenchError("%s: %r is not a number with a known unit (ms, token/s, req/s)" % (where, cell))
    return float(m.group(1))


_LATENCY_ROWS = {"TTFT": "ttft", "TPOT": "tpot", "ITL": "itl", "E2EL": "e2el"}
_COMMON = {"Benchmark Duration": ("duration", 0.001), "Success Requests": ("completed", 1),
           "Failed Requests": ("failed", 1), "Request Throughput": ("request_throughput", 1),
           "Total Input Tokens": ("total_input_tokens", 1), "Total Generated Tokens": ("total_output_tokens", 1),
           "Output Token Throughput": ("output_throughput", 1), "Total Token Throughput": ("total_token_throughput", 1)}


def read_perf(perf_dir, stage="total"):
    """An AISBench perf result folder (performances/<model abbr>) → our metrics (vLLM names, ms, s, tok/s).
    Returns (metrics, files)."""
    if not perf_dir or not os.path.isdir(perf_dir):
        raise AisBenchError("no AISBench performance results in %r" % perf_dir)
    csvs = sorted(f for f in os.listdir(perf_dir) if f.endswith(".csv"))
    if not csvs:
        raise AisBenchError("%s: no <dataset>.csv performance file" % perf_dir)
    csv_path = os.path.join(perf_dir, csvs[0])
    json_path = csv_path[:-4] + ".json"
    m = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["Performance Parameters", "Stage"]:
        raise AisBenchError("%s: not an AISBench performance CSV (header %r)" % (csv_path, rows[0] if rows else None))
    head = rows[0]
    for row in rows[1:]:
        if len(row) != len(head) or row[1] != stage or row[0] not in _LATENCY_ROWS:
            continue
        cells = dict(zip(head, row))
        name = _LATENCY_ROWS[row[0]]
        where = "%s %s" % (os.path.basename(csv_path), row[0])
        m["mean_%s_ms" % name] = value_of(cells["Average"], where)
        m["median_%s_ms" % name] = m["p50_%s_ms" % name] = value_of(cells["Median"], where)
        for p in ("P90", "P99"):
            if p in cells:
                m["%s_%s_ms" % (p.lower(), name)] = value_of(cells[p], where)
    if not os.path.exists(json_path):
        raise AisBenchError("%s: missing (AISBench writes it beside the CSV)" % json_path)
    with open(json_path, encoding="utf-8") as f:
        common = json.load(f)
    if not isinstance(common, dict):
        raise AisBenchError("%s: not a JSON object" % json_path)
    for key, (ours, scale) in _COMMON.items():
        per_stage = common.get(key)
        if isinstance(per_stage, dict) and stage in per_stage:
            v = value_of(per_stage[stage], "%s %s" % (os.path.basename(json_path), key)) * scale
            m[ours] = int(v) if ours in ("completed", "failed", "total_input_tokens", "total_output_tokens") else v
    if "completed" not in m:
        raise AisBenchError("%s: no \"Success Requests\"" % json_path)
    return m, {"csv": csv_path, "json": json_path}


def read_accuracy_summary(csv_path):
    """AISBench's summary_<ts>.csv → [{"dataset", "version", "metric", "mode", "value" (0..1 or None), "n"}]."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:4] != ["dataset", "version", "metric", "mode"]:
        raise AisBenchError("%s: not an AISBench summary CSV (header %r)" % (csv_path, rows[0] if rows else None))
    head = rows[0]
    first_model = 5 if len(head) > 4 and head[4] == "total_count" else 4
    if len(head) <= first_model:
        raise AisBenchError("%s: no model column" % csv_path)
    out = []
    for row in rows[1:]:
        if len(row) < len(head):
            continue
        cell = row[first_model].strip()
        value, n = None, None
        mm = re.match(r"^(-?[0-9.]+)(?:\s*\((\d+)/(\d+)\))?$", cell)
        if mm:
            value = round(float(mm.group(1)) / 100.0, 8)  # a percentage with two decimals
            if mm.group(3):
                n = int(mm.group(3))
        elif cell not in ("-", ""):
            raise AisBenchError("%s: %s: %r is not a score" % (csv_path, row[0], cell))
        if n is None and first_model == 5 and row[4].isdigit():
            n = int(row[4])
        out.append({"dataset": row[0], "version": row[1], "metric": row[2], "mode": row[3], "value": value, "n": n,
                    "model": head[first_model]})
    return out


def log_to_stderr(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def run_accuracy(a, job, log):
    """The accuracy job through AISBench: one documented `ais_bench --models vllm_api_general_chat ... --mode all`
    over the job's tasks (gsm8k / mmlu / math → AISBench's 0-shot chat dataset configs; other names are taken as
    AISBench dataset configs). Returns (rows in the accuracy result's shape, evidence)."""
    from urllib.parse import urlsplit
    if not available():
        raise RuntimeError("AISBench is not installed on this host: there is no ais_bench command on PATH")
    u = urlsplit(a.base_url)
    base = os.path.join(os.path.dirname(os.path.abspath(a.out)), "aisbench")
    cfg_dir, work = os.path.join(base, "configs"), os.path.join(base, "outputs")
    datasets = [ACCURACY_DATASETS.get(t, t) for t in job["tasks"]]
    write_model_config(cfg_dir, ACCURACY_MODEL, model_config(
        ACCURACY_MODEL, u.hostname or "127.0.0.1", u.port or 80, job["model"], stream=False,
        max_out_len=a.max_tokens or 512, batch_size=max(1, a.concurrency), api_key=a.api_key))
    limit = job.get("limit")
    argv = accuracy_argv(datasets, cfg_dir, work, int(limit) if limit and limit >= 1 else None)
    log("running: %s" % " ".join(argv))
    found = run(argv, log)
    if found["rc"] != 0 or not found.get("csv"):
        why = found["errors"][-1] if found["errors"] else "no \"write csv to\" line"
        raise RuntimeError("ais_bench failed (exit %s): %s" % (found["rc"], why))
    rows = []
    for r in read_accuracy_summary(found["csv"]):
        rows.append({"name": r["dataset"], "metric": r["metric"], "value": r["value"], "n": r["n"], "errors": 0,
                     "note": "AISBench %s (%s), mode %s" % (", ".join(datasets), r["version"], r["mode"])})
    return rows, {"command": argv, "summary_csv": found["csv"], "exp_folder": found.get("exp"), "datasets": datasets}
