#!/usr/bin/env python3
"""Accuracy job for an OpenAI-compatible endpoint (stdlib only, Python >= 3.8; sympy used when present).

Tasks are lm-evaluation-harness tasks by their names, measured as lm-eval defines them (tasks.py):
gsm8k, mmlu (log-likelihood of the answer letters over the completions API), mmlu_generative,
hendrycks_math, minerva_math; `math` is an alias of minerva_math and says so.

Engines (one result format):
  lm-eval  when `lm_eval` is on PATH (or --engine lm-eval): runs it against the endpoint with the model type
           the tasks need (local-completions; local-chat-completions with --chat yes) and reads results_*.json;
  bundled  otherwise: reads local GSM8K / MMLU / MATH files (acc_data.py), builds lm-eval's prompts
           (prompts.py), asks the endpoint at --concurrency requests in flight and scores as lm-eval does.

Every figure carries its protocol {task, version, nShot, fewshotSeed, chat, maxTokens, filter, …}.
Bundled runner evidence: every item (prompt, raw output, what each filter kept, target, verdict) is appended to
--items (JSONL) as soon as it is scored; a re-run with the same --items resumes: items already scored under the
same protocol are not asked again. Progress lines on stderr:
  progress: <task> <done>/<total> acc=<running accuracy of the first metric> errors=<n>

Result JSON (--out): {"schema": "ascend-adapt.accuracy/2", "engine", "simulated", "model", "base_url",
  "started", "ended", "items_file", "datasets": [{"name", "metric" ("<metric>,<filter>"), "value" (0..1) | null,
  "n", "errors", "stderr"?, "subjects"?, "group"?, "note"?, "protocol"}], "notes": [...], "lm_eval"?: {...}}
Exit: 0 done, 1 finished with request errors or a task the server cannot serve, 2 bad input, 130 interrupted.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# python/ itself, for the modules the host jobs share (endpoint.py).
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import acc_data  # noqa: E402
import aggregate  # noqa: E402
import aisbench  # noqa: E402
import client  # noqa: E402
import endpoint  # noqa: E402
import httpclient  # noqa: E402
import lmeval  # noqa: E402
import mathequiv  # noqa: E402
import prompts  # noqa: E402
import score  # noqa: E402
import tasks as T  # noqa: E402

SCHEMA = "ascend-adapt.accuracy/2"


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


class BadUsage(ValueError):
    pass


# ---------------------------------------------------------------------------------------------------------
# Items file (evidence and resume)
# ---------------------------------------------------------------------------------------------------------
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
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as f:
                f.seek(-1, 2)
                last = f.read(1)
            if last != b"\n":  # an interrupted write left half a line: start on a fresh one
                with open(path, "ab") as f:
                    f.write(b"\n")
        self.f = open(path, "a", encoding="utf-8")

    def write(self, rec):
        self.f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()


# ---------------------------------------------------------------------------------------------------------
# Bundled runner
# ---------------------------------------------------------------------------------------------------------
def plan_task(task, job, data_cache, data_root):
    """Everything needed to ask and score one task: per-subtask items with their prompts, and the protocol."""
    spec = T.TASKS[task]
    ds = spec["dataset"]
    if ds not in data_cache:
        data_cache[ds] = acc_data.load_task(data_root, ds)
    items, shots, ev, fs = data_cache[ds]
    n_shot = job["num_fewshot"] if job["num_fewshot"] is not None else spec["num_fewshot"]
    order, groups = [], {}
    for it in items:
        key = it.get("subject") if ds in ("mmlu", "math") else None
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(it)
    planned = []
    for key in order:
        docs = groups[key]
        lim = job["limit"]
        if lim:
            docs = docs[: int(lim) if lim >= 1 else int(math.ceil(len(docs) * lim))]  # as lm-eval, per subtask
        if spec["fewshot"] == "minerva":
            pool = T.minerva_fewshot()
        else:
            pool = [s for s in shots if s.get("subject") == key] if ds in ("mmlu", "math") else shots
        try:
            ctx = prompts.contexts(task, docs, pool, n_shot, job["seed"], job["chat"], job["multiturn"],
                                   key if ds == "mmlu" else None)
        except prompts.FewshotError as e:
            where = ("%s %s" % (task, key)) if key else task
            raise BadUsage("%s: %s (few-shot files: %s); give more or a smaller --num-fewshot" % (
                where, e, ", ".join(fs) or "none found"))
        planned.append((key, docs, ctx))
    max_tokens = job["max_tokens"] or T.DEFAULT_MAX_GEN_TOKS
    equivalence = mathequiv.mode() if task == "minerva_math" else None
    settings = {"task": task, "model": job["model"], "n_shot": n_shot, "seed": job["seed"], "chat": job["chat"],
                "multiturn": job["multiturn"], "max_tokens": max_tokens, "score_reasoning": job["score_reasoning"],
                "equivalence": equivalence, "v": 2}
    return {"task": task, "spec": spec, "subtasks": planned, "n_shot": n_shot, "max_tokens": max_tokens,
            "equivalence": equivalence, "settings": settings_hash(settings), "files": {"eval": ev, "fewshot": fs}}


def ask(ep, plan, it, prompt, stop_flag):
    """One item against the endpoint → the record to score (raw output or log-likelihoods), never raises."""
    task = plan["task"]
    rec = {"task": task, "id": it["id"], "subject": it.get("subject"), "settings": plan["settings"],
           "prompt": prompt, "target": it["target"], "t": iso(time.time())}
    if stop_flag.is_set():
        return None
    t0 = time.time()
    try:
        if plan["spec"]["output_type"] == "multiple_choice":
            res = ep.loglikelihood(prompt, [" A", " B", " C", " D"])
            rec["lls"] = [r[0] for r in res]
            if any(r[2] for r in res):
                rec["straddled"] = True
        else:
            raw, finish, _, from_reasoning = ep.complete(prompt, plan["max_tokens"], plan["spec"]["until"])
            rec.update({"raw": raw, "finish_reason": finish})
            if from_reasoning:
                rec["from_reasoning"] = True
        rec.update({"error": None, "latency_s": round(time.time() - t0, 3)})
    except client.RequestError as e:
        rec.update({"raw": None, "extracted": None, "correct": None, "error": str(e)})
        if e.capability:
            rec["capability"] = True
    return rec


def score_record(task, rec, it):
    if rec.get("error"):
        return rec
    if "lls" in rec:
        rec["extracted"], rec["correct"] = score.score_loglikelihood(rec.pop("lls"), it)
    else:
        rec["extracted"], rec["correct"] = score.score_generation(task, rec["raw"], it)
    return rec


def capability_note(task, message):
    if T.TASKS[task]["output_type"] == "multiple_choice":
        return ("%s is scored by log-likelihood, which needs the completions API (/v1/completions with echo and "
                "logprobs); this server does not provide it (%s). Run mmlu_generative instead (generation, exact "
                "match), or point at a server with the completions API" % (task, message))
    return "the server cannot serve %s: %s" % (task, message)


def run_task(ep, plan, a, prev, writer, stop_flag):
    """Asks every item not already scored; scoring happens here, on the main thread (minerva's sympy timeout
    uses SIGALRM). Returns (rows of scored records, errors, capability message or None)."""
    task = plan["task"]
    primary = score.metrics_of(task)[0]
    todo, rows = [], []
    for _, docs, ctx in plan["subtasks"]:
        for it, prompt in zip(docs, ctx):
            r = prev.get((task, it["id"], plan["settings"]))
            (rows.append(r) if r is not None else todo.append((it, prompt)))
    total = len(rows) + len(todo)
    if rows:
        log("resume: %s: %d of %d items already scored in %s" % (task, len(rows), total, a.items))
    st = {"right": sum(1 for r in rows if r["correct"].get(primary)), "errors": 0, "t": 0.0}
    abort = threading.Event()
    capability = None

    def progress(force=False):
        now = time.time()
        if force or now - st["t"] >= a.progress_interval or len(rows) + st["errors"] >= total:
            st["t"] = now
            log("progress: %s %d/%d acc=%.4f errors=%d" % (task, len(rows), total, st["right"] / max(1, len(rows)),
                                                          st["errors"]))

    progress(force=True)
    with ThreadPoolExecutor(max_workers=max(1, a.concurrency)) as pool:
        futs = {}
        for it, prompt in todo:
            futs[pool.submit(lambda it=it, p=prompt: None if abort.is_set() else ask(ep, plan, it, p, stop_flag))] = it
        for fut in as_completed(futs):
            rec = fut.result()
            if rec is None:
                continue
            if rec.get("capability"):
                if capability is None:
                    capability = rec["error"]
                    abort.set()
                continue
            if stop_flag.is_set() and rec["error"]:
                continue  # interrupted mid-request: left for the resume
            score_record(task, rec, futs[fut])
            writer.write(rec)
            if rec["error"]:
                st["errors"] += 1
            else:
                rows.append(rec)
                st["right"] += 1 if rec["correct"].get(primary) else 0
            progress()
    return rows, st["errors"], capability


def run_bundled(a, job, stop_flag):
    ep = client.Endpoint(a.base_url, job["model"], job["chat"], a.api_key,
                         httpclient.Timeouts(a.request_timeout, a.stall_timeout), a.retries,
                         score_reasoning=job["score_reasoning"])
    prev = read_items(a.items)
    data_cache, plans = {}, []
    for task in job["tasks"]:
        plans.append(plan_task(task, job, data_cache, a.data))
    writer = ItemsWriter(a.items)
    datasets, files, notes = [], {}, []
    exit_code = 0
    try:
        for plan in plans:
            task = plan["task"]
            files[task] = plan["files"]
            if plan["equivalence"]:
                log("note: %s: answer equivalence by %s" % (task, plan["equivalence"]))
            rows, errors, capability = run_task(ep, plan, a, prev, writer, stop_flag)
            if stop_flag.is_set():
                break
            out = aggregate.rows(plan, rows, errors, job)
            if capability:
                msg = capability_note(task, capability)
                log("error: %s" % msg)
                notes.append(msg)
                for d in out:
                    d.update({"value": None, "n": 0, "note": msg})
                exit_code = 1
            if errors:
                exit_code = 1
            if any(r.get("straddled") for r in rows):
                notes.append("%s: on some items a token spans the end of the prompt and the answer letter; it was "
                             "counted with the answer" % task)
            datasets.extend(out)
    finally:
        writer.close()
    return datasets, files, notes, ep.simulated, exit_code


# ---------------------------------------------------------------------------------------------------------
def resolve_tasks(names, engine):
    """Task names → (resolved list, notes). The bundled engine knows only its tasks (else BadUsage)."""
    out, notes = [], []
    for n in names:
        try:
            t, note = T.resolve(n)
        except T.UnknownTask as e:
            if engine == "bundled":
                raise BadUsage(str(e))
            t, note = n, None  # lm-eval knows its own tasks
        if note:
            notes.append(note)
        if t not in out:
            out.append(t)
    return out, notes


def read_config_json(path):
    """A vllm-ascend lm_eval config, already parsed to JSON by the caller (tasks, num_fewshot, limit, …)."""
    with open(path, "r", encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except ValueError as e:
            raise BadUsage("%s: not JSON (%s)" % (path, e))
    if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), list) or not doc["tasks"] \
            or not all(isinstance(t, str) for t in doc["tasks"]):
        raise BadUsage("%s: expected {\"tasks\": [names], …}" % path)
    for key in ("num_fewshot", "limit"):
        v = doc.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise BadUsage("%s: '%s' must be a number" % (path, key))
    return doc


def build_job(a):
    cfg = read_config_json(os.path.expanduser(a.config_json)) if a.config_json else None
    if a.tasks:
        names = [t.strip() for t in a.tasks.split(",") if t.strip()]
    elif cfg:
        names = cfg["tasks"]
    else:
        raise BadUsage("say what to run: --tasks LIST or --config-json FILE")
    job = {"names": names, "num_fewshot": cfg.get("num_fewshot") if cfg else None,
           "limit": cfg.get("limit") if cfg else None,
           "chat": bool(cfg.get("apply_chat_template", False)) if cfg else False,
           "multiturn": bool(cfg.get("fewshot_as_multiturn", False)) if cfg else False,
           "seed": a.fewshot_seed, "max_tokens": a.max_tokens, "score_reasoning": a.score_reasoning,
           "config": cfg}
    if a.num_fewshot is not None:
        job["num_fewshot"] = a.num_fewshot
    if a.limit is not None:
        job["limit"] = a.limit
    if a.chat != "auto":
        job["chat"] = a.chat == "yes"
    job["multiturn"] = job["multiturn"] or a.fewshot_as_multiturn
    if job["limit"] is not None and job["limit"] <= 0:
        raise BadUsage("--limit must be > 0")
    if job["num_fewshot"] is not None and job["num_fewshot"] < 0:
        raise BadUsage("--num-fewshot must be >= 0")
    if a.score_reasoning and not job["chat"]:
        raise BadUsage("--score-reasoning applies to chat answers (--chat yes)")
    return job


def check_protocols(job):
    for t in job["tasks"]:
        if t in T.TASKS and T.TASKS[t]["output_type"] == "multiple_choice" and job["chat"]:
            raise BadUsage("%s compares the log-likelihoods of the answer letters, which needs the completions API; "
                           "lm-eval refuses it over chat completions too. Run it with --chat no, or use "
                           "mmlu_generative with --chat yes" % t)


def lm_eval_missing(a):
    return ("lm-eval is not installed on this host: there is no %r command on PATH (install it with "
            "pip install \"lm-eval[api]\", or run the bundled runner with --engine bundled)" % a.lm_eval)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Accuracy job (bundled runner or lm-eval) against an OpenAI endpoint.")
    ap.add_argument("--base-url", required=True, help="http://HOST:PORT (the /v1 suffix is optional)")
    ap.add_argument("--model", help="default: the first model the endpoint lists")
    ap.add_argument("--tasks", help="comma list of lm-eval task names: gsm8k, mmlu, mmlu_generative, hendrycks_math, "
                                    "minerva_math (math = minerva_math); lm-eval: any of its tasks")
    ap.add_argument("--config-json", help="a vllm-ascend lm_eval config, parsed to JSON")
    ap.add_argument("--data", help="folder (or file) with the dataset files for the bundled runner")
    ap.add_argument("--limit", type=float, help="items per task (per subject for mmlu, per type for MATH); < 1: share")
    ap.add_argument("--num-fewshot", type=int, help="default: the task's (gsm8k 5, minerva_math 4, others 0)")
    ap.add_argument("--fewshot-seed", type=int, default=T.DEFAULT_FEWSHOT_SEED)
    ap.add_argument("--chat", choices=["auto", "yes", "no"], default="auto",
                    help="apply the server's chat template (/v1/chat/completions); default: per config, else no")
    ap.add_argument("--fewshot-as-multiturn", action="store_true")
    ap.add_argument("--max-tokens", type=int, help="default: lm-eval's max_gen_toks, %d" % T.DEFAULT_MAX_GEN_TOKS)
    ap.add_argument("--score-reasoning", action="store_true",
                    help="score reasoning_content when a chat answer is empty (not what lm-eval does)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--engine", choices=["auto", "bundled", "lm-eval", "aisbench"], default="auto",
                    help="aisbench: AISBench's documented accuracy command (python/aisbench.py)")
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

    engine = a.engine
    if engine == "auto":
        engine = "lm-eval" if shutil.which(a.lm_eval) else "bundled"
    try:
        job = build_job(a)
        job["tasks"], notes = resolve_tasks(job["names"], engine)
        if engine != "aisbench":  # AISBench runs its own (chat, generative) dataset configs
            check_protocols(job)
        if engine == "lm-eval" and not shutil.which(a.lm_eval):
            raise BadUsage(lm_eval_missing(a))
        if engine == "bundled" and not a.data:
            raise BadUsage("the bundled runner needs --data DIR (lm_eval is not installed on this host)")
    except (BadUsage, OSError) as e:
        log("error: %s" % e)
        return 2
    for n in notes:
        log("note: %s" % n)
    try:
        models = endpoint.list_models(a.base_url, a.api_key)
    except RuntimeError as e:
        log("error: %s" % e)
        return 1
    a.model = endpoint.choose_model(a.base_url, models, a.model, log)
    if a.model is None:
        return 2
    job["model"] = a.model
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
    cfg = job["config"] or {}
    result = {"schema": SCHEMA, "engine": engine, "simulated": os.environ.get("ASCEND_ADAPT_SIMULATED") == "1",
              "model": a.model, "base_url": a.base_url, "tasks": job["tasks"], "num_fewshot": job["num_fewshot"],
              "fewshot_seed": job["seed"], "limit": job["limit"], "chat": job["chat"],
              "fewshot_as_multiturn": job["multiturn"], "score_reasoning": job["score_reasoning"],
              "lm_eval_version": T.LM_EVAL_VERSION, "started": iso(started), "ended": None,
              "items_file": a.items if engine == "bundled" else None, "datasets": [], "notes": list(notes),
              "config_file": cfg.get("source"), "config_model": cfg.get("model_name"), "complete": False}
    rc = 0
    try:
        if engine == "lm-eval":
            rows, info = lmeval.run(a, job, log)
            result["datasets"] = rows
            result["lm_eval"] = info
            result["complete"] = True
        elif engine == "aisbench":
            rows, info = aisbench.run_accuracy(a, job, log)
            result["datasets"] = rows
            result["aisbench"] = info
            result["complete"] = True
        else:
            rows, files, more, simulated, rc = run_bundled(a, job, stop_flag)
            result["datasets"] = rows
            result["data_files"] = files
            result["notes"].extend(more)
            result["simulated"] = result["simulated"] or simulated
            result["complete"] = not stop_flag.is_set()
            if stop_flag.is_set():
                rc = 130
    except lmeval.Missing:
        log("error: %s" % lm_eval_missing(a))
        result["error"] = lm_eval_missing(a)
        rc = 2
    except (acc_data.DataError, BadUsage, ValueError) as e:
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
