#!/usr/bin/env python3
"""Accuracy job for an OpenAI-compatible endpoint (stdlib only, Python >= 3.8).

Engines (one result format):
  lm-eval  when `lm_eval` is on PATH (or --engine lm-eval): runs it against the endpoint with
           local-completions / local-chat-completions and reads its results_*.json;
  bundled  otherwise: reads local GSM8K / MMLU / MATH files (see acc_data.py), asks the endpoint with
           temperature 0 at --concurrency requests in flight, extracts answers as lm-eval does (extract.py).

Bundled runner evidence: every item (prompt, raw output, extracted answer, target, verdict) is appended to
--items (JSONL) as soon as it is scored; a re-run with the same --items resumes: items already scored under the
same settings are not asked again. Progress lines on stderr:
  progress: <task> <done>/<total> acc=<running accuracy>
A vllm-ascend accuracy config (--lm-eval-config FILE: tasks with reference metrics, num_fewshot, limit,
apply_chat_template, fewshot_as_multiturn) can define the job for either engine; its reference values come back
in the result as references (relative tolerance 5 %, as vllm-ascend's CI uses).

Result JSON (--out): {"schema": "ascend-adapt.accuracy/1", "engine", "simulated", "model", "base_url",
  "started", "ended", "items_file", "datasets": [{"name", "metric", "value" (0..1) | null, "n", "errors",
  "subjects"?, "note"?}], "references": [{"name", "metric", "value", "rtol"}], "lm_eval"?: {...}}
Exit: 0 done, 1 finished with request errors or unsupported tasks, 2 bad input, 130 interrupted.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# python/ itself, for the modules the host jobs share (endpoint.py).
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import acc_data  # noqa: E402
import endpoint  # noqa: E402
import httpclient  # noqa: E402
import extract  # noqa: E402
import yaml_lite  # noqa: E402

SCHEMA = "ascend-adapt.accuracy/1"
VLLM_ASCEND_RTOL = 0.05


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def write_json_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------
# Endpoint client (non-streaming, one connection per worker thread)
# ---------------------------------------------------------------------------------------------------------
class Endpoint(object):
    """Completions over python/httpclient.py: persistent connections shared by the worker threads, a kept-alive
    connection the server closed replaced without losing the item; --request-timeout / --stall-timeout bound
    each request. HTTP 5xx/429 and connections cut before an answer are retried (scoring the same item twice
    changes nothing); a stall or a timeout is not (it would multiply the wait)."""

    def __init__(self, base_url, model, chat, api_key=None, timeouts=None, retries=3):
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https"):
            raise ValueError("--base-url must be http(s)://HOST:PORT[/v1], got %r" % base_url)
        self.client = httpclient.Client(base_url, api_key, timeouts or httpclient.Timeouts())
        self.model = model
        self.chat = chat
        self.retries = retries
        self.simulated = False

    def complete(self, prompt_or_messages, max_tokens, stop):
        body = {"model": self.model, "temperature": 0.0, "max_tokens": max_tokens, "stream": False}
        if stop:
            body["stop"] = stop
        if self.chat:
            body["messages"] = prompt_or_messages
            path = "/v1/chat/completions"
        else:
            body["prompt"] = prompt_or_messages
            path = "/v1/completions"
        last = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** attempt))
            try:
                r = self.client.request("POST", path, body=body)
            except httpclient.RequestFailed as e:
                last = e.message
                if e.kind in (httpclient.FAIL_STALLED, httpclient.FAIL_TIMEOUT):
                    raise RuntimeError(last)
                continue
            if r.headers.get("x-ascend-adapt-simulated") == "1":
                self.simulated = True
            if r.status != 200:
                last = "HTTP %d: %s" % (r.status, httpclient.error_text(r.body))
                if r.status < 500 and r.status != 429:
                    raise RuntimeError(last)  # a bad request will not get better
                continue
            try:
                obj = r.json()
            except ValueError as e:
                last = "ValueError: %s" % e
                continue
            ch = (obj.get("choices") or [None])[0] if isinstance(obj, dict) else None
            if not isinstance(ch, dict):
                last = "answer without choices"
                continue
            if obj.get("simulated") is True:
                self.simulated = True
            if self.chat:
                msg = ch.get("message") or {}
                text = msg.get("content")
                if text is None:
                    text = msg.get("reasoning_content") or ""
            else:
                text = ch.get("text") or ""
            return text, ch.get("finish_reason"), obj.get("usage")
        raise RuntimeError(last or "request failed")


# ---------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------
def score(task, raw, item):
    """(extracted, correct) where both are {metric: ...}."""
    if task == "gsm8k":
        s, f = extract.gsm8k_strict(raw), extract.gsm8k_flexible(raw)
        return ({"strict-match": s, "flexible-extract": f},
                {"exact_match,strict-match": extract.gsm8k_match(s, item["answer"]),
                 "exact_match,flexible-extract": extract.gsm8k_match(f, item["answer"])})
    if task == "mmlu":
        L = extract.mmlu_letter(raw)
        return {"letter": L}, {"acc": L == item["target"]}
    m = extract.math_extract(raw)
    return {"boxed": m}, {"exact_match": extract.math_match(m, item["target"])}


METRICS = {"gsm8k": ["exact_match,strict-match", "exact_match,flexible-extract"], "mmlu": ["acc"],
           "math": ["exact_match"]}


def aggregate(task, rows):
    """Dataset rows for one task from its scored item records."""
    ok = [r for r in rows if r.get("correct") is not None]
    out = []
    for m in METRICS[task]:
        if task == "mmlu":
            by = {}
            for r in ok:
                by.setdefault(r.get("subject") or "unknown", []).append(1.0 if r["correct"][m] else 0.0)
            subj = {k: sum(v) / len(v) for k, v in sorted(by.items())}
            val = sum(subj.values()) / len(subj) if subj else None
            out.append({"name": task, "metric": m, "value": val, "n": len(ok), "subjects": subj,
                        "note": "mean over subjects"})
            micro = sum(1.0 for r in ok if r["correct"][m]) / len(ok) if ok else None
            out.append({"name": task, "metric": "acc,micro", "value": micro, "n": len(ok)})
        else:
            val = sum(1.0 for r in ok if r["correct"][m]) / len(ok) if ok else None
            out.append({"name": task, "metric": m, "value": val, "n": len(ok)})
    return out


def settings_hash(d):
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def read_items(path):
    """Scored records already in the items file: {(task, id, settings): record}. Bad lines are skipped."""
    done = {}
    if not os.path.exists(path):
        return done
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a line cut by an interruption
            if isinstance(r, dict) and r.get("error") is None and r.get("correct") is not None:
                done[(r.get("task"), r.get("id"), r.get("settings"))] = r
    return done


class ItemsWriter(object):
    def __init__(self, path):
        self.lock = threading.Lock()
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as f:
                f.seek(-1, 2)
                last = f.read(1)
            if last != b"\n":  # an interrupted write left half a line: start on a fresh one
                with open(path, "ab") as f:
                    f.write(b"\n")
        self.f = open(path, "a", encoding="utf-8")

    def write(self, rec):
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self.lock:
            self.f.write(line)
            self.f.flush()

    def close(self):
        self.f.close()


def run_bundled(a, tasks, fewshot, limit, chat_template, multiturn, stop_flag):
    ep = Endpoint(a.base_url, a.model, chat_template, a.api_key,
                  httpclient.Timeouts(a.request_timeout, a.stall_timeout), a.retries)
    prev = read_items(a.items)
    writer = ItemsWriter(a.items)
    datasets, files = [], {}
    exit_code = 0
    try:
        for task in tasks:
            if task not in acc_data.LOADERS:
                datasets.append({"name": task, "metric": None, "value": None, "n": 0,
                                 "note": "not supported by the bundled runner (gsm8k, mmlu, math); install lm-eval"})
                exit_code = 1
                continue
            items, shots, ev, fs = acc_data.load_task(a.data, task)
            files[task] = {"eval": ev, "fewshot": fs}
            nshot = fewshot if fewshot is not None else 0
            if nshot and len(shots) < nshot:
                log("note: %s: %d-shot asked, %d few-shot examples found (train/dev files); using %d" % (
                    task, nshot, len(shots), len(shots)))
                nshot = len(shots)
            if limit:
                items = items[: int(limit) if limit >= 1 else max(1, int(len(items) * limit))]
            max_tokens = a.max_tokens or acc_data.MAX_TOKENS[task]
            settings = {"task": task, "model": a.model, "chat": chat_template, "multiturn": multiturn,
                        "fewshot": nshot, "max_tokens": max_tokens, "stop": acc_data.STOP[task], "v": 1}
            sh = settings_hash(settings)
            rows, todo = [], []
            for it in items:
                r = prev.get((task, it["id"], sh))
                (rows.append(r) if r is not None else todo.append(it))
            total = len(items)
            if rows:
                log("resume: %s: %d of %d items already scored in %s" % (task, len(rows), total, a.items))
            state = {"done": len(rows), "right": sum(1 for r in rows if r["correct"][METRICS[task][0]]),
                     "errors": 0, "t": 0.0}
            lock = threading.Lock()

            def work(it, task=task, nshot=nshot, max_tokens=max_tokens, sh=sh, state=state, lock=lock, rows=rows,
                     total=total):
                if stop_flag.is_set():
                    return
                if chat_template:
                    prompt = acc_data.chat_messages(task, it, shots, nshot, multiturn)
                else:
                    prompt = acc_data.completion_prompt(task, it, shots, nshot)
                rec = {"task": task, "id": it["id"], "subject": it.get("subject"), "settings": sh,
                       "prompt": prompt, "target": it["target"], "t": iso(time.time())}
                t0 = time.time()
                try:
                    raw, finish, usage = ep.complete(prompt, max_tokens, acc_data.STOP[task])
                    extracted, correct = score(task, raw, it)
                    rec.update({"raw": raw, "finish_reason": finish, "extracted": extracted, "correct": correct,
                                "error": None, "latency_s": round(time.time() - t0, 3)})
                except RuntimeError as e:
                    rec.update({"raw": None, "extracted": None, "correct": None, "error": str(e)})
                if stop_flag.is_set() and rec["error"]:
                    return  # interrupted mid-request: leave it for the resume
                writer.write(rec)
                with lock:
                    if rec["error"]:
                        state["errors"] += 1
                    else:
                        rows.append(rec)
                        state["done"] += 1
                        if rec["correct"][METRICS[task][0]]:
                            state["right"] += 1
                    now = time.time()
                    if now - state["t"] >= a.progress_interval or state["done"] + state["errors"] >= total:
                        state["t"] = now
                        log("progress: %s %d/%d acc=%.4f errors=%d" % (
                            task, state["done"], total, state["right"] / max(1, state["done"]), state["errors"]))

            log("progress: %s %d/%d acc=%.4f errors=0" % (task, state["done"], total,
                                                          state["right"] / max(1, state["done"])))
            with ThreadPoolExecutor(max_workers=max(1, a.concurrency)) as pool:
                list(pool.map(work, todo))
            if stop_flag.is_set():
                break
            agg = aggregate(task, rows)
            for d in agg:
                d["errors"] = state["errors"]
            if state["errors"]:
                exit_code = 1
            datasets.extend(agg)
    finally:
        writer.close()
    return datasets, files, ep.simulated, exit_code


# ---------------------------------------------------------------------------------------------------------
# lm-eval
# ---------------------------------------------------------------------------------------------------------
def lm_eval_argv(a, tasks, fewshot, limit, chat_template, multiturn, out_dir):
    base = a.base_url.rstrip("/")
    if not base.endswith("/v1"):
        base += "/v1"
    url = base + ("/chat/completions" if chat_template else "/completions")
    margs = ["model=%s" % a.model, "base_url=%s" % url, "num_concurrent=%d" % a.concurrency,
             "max_retries=%d" % a.retries, "tokenized_requests=False"]
    if a.lm_eval_model_args:
        margs.append(a.lm_eval_model_args)
    argv = [a.lm_eval, "--model", "local-chat-completions" if chat_template else "local-completions",
            "--model_args", ",".join(margs), "--tasks", ",".join(tasks), "--batch_size", "1",
            "--output_path", out_dir, "--log_samples"]
    if fewshot is not None:
        argv += ["--num_fewshot", str(fewshot)]
    if limit:
        argv += ["--limit", str(int(limit)) if float(limit).is_integer() else str(limit)]
    if chat_template:
        argv += ["--apply_chat_template"]
        if multiturn:
            argv += ["--fewshot_as_multiturn"]
    return argv


def read_lm_eval_results(out_dir, since=0.0):
    """The newest results_*.json lm-eval wrote under out_dir → (path, parsed JSON)."""
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


def lm_eval_rows(d):
    rows = []
    nsamp = d.get("n-samples") if isinstance(d.get("n-samples"), dict) else {}
    for task, res in sorted(d["results"].items()):
        if not isinstance(res, dict):
            continue
        ns = nsamp.get(task) if isinstance(nsamp.get(task), dict) else {}
        n = ns.get("effective", ns.get("original"))
        for k, v in sorted(res.items()):
            if k == "alias" or "_stderr" in k or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            stderr = res.get(k.replace(",", "_stderr,", 1)) if "," in k else res.get(k + "_stderr")
            row = {"name": task, "metric": k, "value": float(v), "n": n if isinstance(n, int) else None}
            if isinstance(stderr, (int, float)) and not isinstance(stderr, bool):
                row["stderr"] = float(stderr)
            rows.append(row)
    return rows


def run_lm_eval(a, tasks, fewshot, limit, chat_template, multiturn):
    out_dir = a.lm_eval_output or (os.path.splitext(a.out)[0] + ".lm_eval")
    os.makedirs(out_dir, exist_ok=True)
    argv = lm_eval_argv(a, tasks, fewshot, limit, chat_template, multiturn, out_dir)
    log("running: %s" % " ".join(argv))
    t0 = time.time()
    env = dict(os.environ)
    if a.offline:
        env.setdefault("HF_DATASETS_OFFLINE", "1")
    p = subprocess.run(argv, stdout=sys.stderr, stderr=sys.stderr, env=env)
    if p.returncode != 0:
        raise RuntimeError("lm_eval exited with %d" % p.returncode)
    path, d = read_lm_eval_results(out_dir, t0)
    samples = sorted(glob.glob(os.path.join(os.path.dirname(path), "samples_*.jsonl")))
    return lm_eval_rows(d), {"argv": argv, "results_file": path, "samples_files": samples,
                             "version": (d.get("config") or {}).get("lm_eval_version") or d.get("lm_eval_version")}


# ---------------------------------------------------------------------------------------------------------
def preflight(base_url, api_key=None, timeout=30.0):
    """GET /v1/models once (see endpoint.list_models). Returns the model ids."""
    return endpoint.list_models(base_url, api_key, timeout)


def config_job(path):
    """A vllm-ascend lm_eval config → (tasks, fewshot, limit, chat, multiturn, references)."""
    doc = yaml_lite.load_file(path)
    if not isinstance(doc, dict):
        raise ValueError("%s: expected a mapping at the top" % path)
    tasks = doc.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ValueError("%s: 'tasks' must be a non-empty list" % path)
    names, refs = [], []
    for i, t in enumerate(tasks):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise ValueError("%s: tasks[%d] needs a 'name'" % (path, i))
        names.append(t["name"])
        for j, m in enumerate(t.get("metrics") or []):
            if not isinstance(m, dict) or not isinstance(m.get("name"), str) or \
                    isinstance(m.get("value"), bool) or not isinstance(m.get("value"), (int, float)):
                raise ValueError("%s: tasks[%d].metrics[%d] needs 'name' and a numeric 'value'" % (path, i, j))
            refs.append({"name": t["name"], "metric": m["name"], "value": float(m["value"]), "rtol": VLLM_ASCEND_RTOL,
                         "source": os.path.basename(path)})
    fs = doc.get("num_fewshot")
    lim = doc.get("limit")
    for key, v in (("num_fewshot", fs), ("limit", lim)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ValueError("%s: '%s' must be a number" % (path, key))
    return (names, fs, lim, bool(doc.get("apply_chat_template", False)), bool(doc.get("fewshot_as_multiturn", False)),
            refs, doc.get("model_name"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Accuracy job (bundled runner or lm-eval) against an OpenAI endpoint.")
    ap.add_argument("--base-url", required=True, help="http://HOST:PORT (the /v1 suffix is optional)")
    ap.add_argument("--model", help="default: the first model the endpoint lists")
    ap.add_argument("--tasks", help="comma list: gsm8k,mmlu,math (bundled) or any lm-eval task names")
    ap.add_argument("--lm-eval-config", help="a vllm-ascend accuracy config YAML")
    ap.add_argument("--data", help="folder (or file) with the dataset files for the bundled runner")
    ap.add_argument("--limit", type=float)
    ap.add_argument("--num-fewshot", type=int)
    ap.add_argument("--chat", choices=["auto", "yes", "no"], default="auto",
                    help="use /v1/chat/completions (default: per config, else yes)")
    ap.add_argument("--fewshot-as-multiturn", action="store_true")
    ap.add_argument("--max-tokens", type=int)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--engine", choices=["auto", "bundled", "lm-eval"], default="auto")
    ap.add_argument("--lm-eval", default="lm_eval", help="lm_eval executable")
    ap.add_argument("--lm-eval-model-args", help="extra key=value,... appended to --model_args")
    ap.add_argument("--lm-eval-output")
    ap.add_argument("--offline", action="store_true", help="set HF_DATASETS_OFFLINE=1 for lm-eval")
    ap.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY"))
    ap.add_argument("--request-timeout", type=float, help="seconds for a whole request (default: no limit)")
    ap.add_argument("--stall-timeout", type=float, default=httpclient.DEFAULT_STALL_S,
                    help="seconds without a byte from the server before a request fails (default 60)")
    ap.add_argument("--retries", type=int, default=3)
    ap.add_argument("--out", required=True, help="result JSON")
    ap.add_argument("--items", help="per-item JSONL (default <out>.items.jsonl); resumed when it exists")
    ap.add_argument("--progress-interval", type=float, default=1.0)
    a = ap.parse_args(argv)
    a.out = os.path.expanduser(a.out)
    a.items = os.path.expanduser(a.items) if a.items else a.out + ".items.jsonl"
    if a.data:
        a.data = os.path.expanduser(a.data)

    refs, cfg_model = [], None
    try:
        if a.lm_eval_config:
            tasks, fewshot, limit, chat, multiturn, refs, cfg_model = config_job(os.path.expanduser(a.lm_eval_config))
            if a.tasks:
                tasks = [t.strip() for t in a.tasks.split(",") if t.strip()]
        elif a.tasks:
            tasks = [t.strip().lower() for t in a.tasks.split(",") if t.strip()]
            fewshot, limit, chat, multiturn = None, None, True, False
        else:
            raise ValueError("say what to run: --tasks LIST or --lm-eval-config FILE")
        if a.num_fewshot is not None:
            fewshot = a.num_fewshot
        if a.limit is not None:
            limit = a.limit
        if a.chat != "auto":
            chat = a.chat == "yes"
        multiturn = multiturn or a.fewshot_as_multiturn
        if limit is not None and limit <= 0:
            raise ValueError("--limit must be > 0")
    except (ValueError, OSError) as e:
        log("error: %s" % e)
        return 2
    try:
        models = preflight(a.base_url, a.api_key)
    except RuntimeError as e:
        log("error: %s" % e)
        return 1
    if not a.model:
        if not models:
            log("error: %s lists no model; give --model" % a.base_url)
            return 2
        a.model = models[0]
        log("model: %s (the first one %s lists)" % (a.model, a.base_url))
    elif models and a.model not in models:
        log("warning: %s lists %s, not %s" % (a.base_url, ", ".join(models), a.model))
    engine = a.engine
    if engine == "auto":
        engine = "lm-eval" if shutil.which(a.lm_eval) else "bundled"
    if engine == "bundled" and not a.data:
        log("error: the bundled runner needs --data DIR (lm_eval is not installed on this host)")
        return 2
    os.makedirs(os.path.dirname(os.path.abspath(a.out)) or ".", exist_ok=True)

    stop_flag = threading.Event()

    def on_signal(signum, frame):
        if not stop_flag.is_set():
            log("interrupted: finishing the requests in flight; the items scored so far stay in %s and a run with the "
                "same items file (ascend-adapt accuracy: the same --run-dir) resumes from them" % a.items)
        stop_flag.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = time.time()
    result = {"schema": SCHEMA, "engine": engine, "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1",
              "model": a.model, "base_url": a.base_url, "tasks": tasks, "num_fewshot": fewshot, "limit": limit,
              "chat": chat, "fewshot_as_multiturn": multiturn, "started": iso(started), "ended": None,
              "items_file": a.items if engine == "bundled" else None, "datasets": [], "references": refs,
              "config_file": a.lm_eval_config, "config_model": cfg_model, "complete": False}
    rc = 0
    try:
        if engine == "lm-eval":
            rows, info = run_lm_eval(a, tasks, fewshot, limit, chat, multiturn)
            result["datasets"] = rows
            result["lm_eval"] = info
            result["complete"] = True
        else:
            rows, files, simulated, rc = run_bundled(a, tasks, fewshot, limit, chat, multiturn, stop_flag)
            result["datasets"] = rows
            result["data_files"] = files
            result["simulated"] = result["simulated"] or simulated
            result["complete"] = not stop_flag.is_set()
            if stop_flag.is_set():
                rc = 130
    except (acc_data.DataError, yaml_lite.YamlError, ValueError) as e:
        log("error: %s" % e)
        result["error"] = str(e)
        rc = 2
    except (RuntimeError, OSError) as e:
        log("error: %s" % e)
        result["error"] = str(e)
        rc = 1
    result["ended"] = iso(time.time())
    write_json_atomic(a.out, result)
    for d in result["datasets"]:
        if d.get("value") is not None:
            log("result: %s %s = %.4f (n=%s)" % (d["name"], d["metric"], d["value"], d.get("n")))
    log("result file: %s" % a.out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
