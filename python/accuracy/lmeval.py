"""Running lm-evaluation-harness itself against the endpoint and reading its results_*.json (stdlib only).

Model type by what the tasks need (lm_eval/models/openai_completions.py): local-completions (text prompts;
log-likelihood tasks such as mmlu work only here, with a tokenizer lm-eval loads for the model), or
local-chat-completions with --apply_chat_template when the job applies a chat template (generation only).
Each row of the results becomes a dataset row with its protocol, read from the same file: n-shot, version,
chat template and few-shot seed, max_gen_toks of the task's generation_kwargs.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import time

import tasks as T


class Missing(RuntimeError):
    pass


def argv_for(a, job, out_dir):
    base = a.base_url.rstrip("/")
    if not base.endswith("/v1"):
        base += "/v1"
    chat = job["chat"]
    url = base + ("/chat/completions" if chat else "/completions")
    loglik = any(t in T.TASKS and T.TASKS[t]["output_type"] == "multiple_choice" for t in job["tasks"])
    margs = ["model=%s" % job["model"], "base_url=%s" % url, "num_concurrent=%d" % a.concurrency,
             "max_retries=%d" % a.retries]
    if not loglik:
        margs.append("tokenized_requests=False")  # generation needs no tokenizer on this host
    if a.lm_eval_model_args:
        margs.append(a.lm_eval_model_args)
    argv = [a.lm_eval, "--model", "local-chat-completions" if chat else "local-completions",
            "--model_args", ",".join(margs), "--tasks", ",".join(job["tasks"]), "--batch_size", "1",
            "--output_path", out_dir, "--log_samples"]
    if job["num_fewshot"] is not None:
        argv += ["--num_fewshot", str(job["num_fewshot"])]
    lim = job["limit"]
    if lim:
        argv += ["--limit", str(int(lim)) if float(lim).is_integer() else str(lim)]
    if job["seed"] != T.DEFAULT_FEWSHOT_SEED:
        argv += ["--seed", "0,1234,1234,%d" % job["seed"]]
    if job["max_tokens"]:
        argv += ["--gen_kwargs", "max_gen_toks=%d" % job["max_tokens"]]
    if chat:
        argv += ["--apply_chat_template"]
        if job["multiturn"]:
            argv += ["--fewshot_as_multiturn"]
    return argv


def read_results(out_dir, since=0.0):
    """The newest results_*.json lm-eval wrote under out_dir → (path, parsed JSON)."""
    import json
    files = [p for p in glob.glob(os.path.join(out_dir, "**", "results_*.json"), recursive=True)
             if os.path.getmtime(p) >= since - 1]
    if not files:
        raise RuntimeError("lm-eval wrote no results_*.json under %s" % out_dir)
    path = max(files, key=os.path.getmtime)
    with open(path, "r", encoding="utf-8") as f:
        try:
            d = json.load(f)
        except ValueError as e:
            raise RuntimeError("%s: not JSON (%s)" % (path, e))
    if not isinstance(d, dict) or not isinstance(d.get("results"), dict):
        raise RuntimeError("%s: no 'results' object (not an lm-eval results file?)" % path)
    return path, d


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def row_protocol(d, task, filt):
    """The protocol of one results entry, from the file itself (None where the file does not say)."""
    nshot = (d.get("n-shot") or {}).get(task)
    if not _num(nshot):  # older files give n-shot for subtasks only
        subs = (d.get("group_subtasks") or {}).get(task) or []
        vals = {(d.get("n-shot") or {}).get(s) for s in subs} - {None}
        nshot = vals.pop() if len(vals) == 1 else None
    cfg = d.get("config") if isinstance(d.get("config"), dict) else {}
    if "chat_template" in d:
        chat = d.get("chat_template") is not None
    else:
        chat = "chat" in str(cfg.get("model", "")) or None
    tcfg = (d.get("configs") or {}).get(task) or {}
    gk = tcfg.get("generation_kwargs") if isinstance(tcfg.get("generation_kwargs"), dict) else {}
    model_toks = re.search(r"(?:^|,)max_gen_toks=(\d+)", cfg.get("model_args") if isinstance(cfg.get("model_args"), str) else "")
    max_tokens = gk.get("max_gen_toks") if _num(gk.get("max_gen_toks")) else (
        (int(model_toks.group(1)) if model_toks else T.DEFAULT_MAX_GEN_TOKS) if tcfg.get("output_type") == "generate_until" else None)
    p = {"task": task, "version": (d.get("versions") or {}).get(task), "nShot": int(nshot) if _num(nshot) else None,
         "fewshotSeed": cfg.get("fewshot_seed", T.DEFAULT_FEWSHOT_SEED), "chat": chat, "maxTokens": max_tokens,
         "filter": filt, "source": "lm-evaluation-harness %s" % (d.get("lm_eval_version") or "?")}
    if chat and d.get("fewshot_as_multiturn") is not None:
        p["multiturn"] = bool(d.get("fewshot_as_multiturn"))
    return p


def rows(d):
    out = []
    nsamp = d.get("n-samples") if isinstance(d.get("n-samples"), dict) else {}
    for task, res in sorted(d["results"].items()):
        if not isinstance(res, dict):
            continue
        ns = nsamp.get(task) if isinstance(nsamp.get(task), dict) else {}
        n = ns.get("effective", ns.get("original"))
        if n is None and _num(res.get("sample_len")):
            n = res["sample_len"]
        for k, v in sorted(res.items()):
            if "," not in k or "_stderr" in k or not _num(v):
                continue
            metric, filt = k.split(",", 1)
            row = {"name": task, "metric": k, "value": float(v), "n": int(n) if _num(n) else None,
                   "protocol": row_protocol(d, task, filt)}
            se = res.get("%s_stderr,%s" % (metric, filt))
            if _num(se):
                row["stderr"] = float(se)
            out.append(row)
    return out


def run(a, job, log):
    out_dir = a.lm_eval_output or (os.path.splitext(a.out)[0] + ".lm_eval")
    os.makedirs(out_dir, exist_ok=True)
    argv = argv_for(a, job, out_dir)
    if any(t in T.TASKS and T.TASKS[t]["output_type"] == "multiple_choice" for t in job["tasks"]):
        log("note: lm-eval scores log-likelihood with the model's tokenizer: when %r is not a Hugging Face model id "
            "on this host, add --lm-eval-model-args tokenizer=PATH" % job["model"])
    log("running: %s" % " ".join(argv))
    t0 = time.time()
    env = dict(os.environ)
    if a.offline:
        env.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        p = subprocess.run(argv, stdout=2, stderr=2, env=env)
    except FileNotFoundError:
        raise Missing()
    if p.returncode != 0:
        raise RuntimeError("lm_eval exited with %d" % p.returncode)
    path, d = read_results(out_dir, t0)
    samples = sorted(glob.glob(os.path.join(os.path.dirname(path), "samples_*.jsonl")))
    return rows(d), {"argv": argv, "results_file": path, "samples_files": samples,
                     "version": d.get("lm_eval_version") or (d.get("config") or {}).get("lm_eval_version")}
