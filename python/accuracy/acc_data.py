"""Local dataset files for the bundled accuracy runner (stdlib only). Hosts are offline: users point at their copies.

GSM8K  JSONL lines {"question": str, "answer": str ending in "#### N"}          (openai/grade-school-math)
MMLU   CSV  without header: question,A,B,C,D,answer  (subject from the file name, "<subject>_test.csv")
       CSV  with header containing question, A/B/C/D (or choices), answer[, subject]
       JSONL {"question", "choices": [4], "answer": 0-3 or "A"-"D", "subject"?}  (cais/mmlu layout)
             or {"question", "A", "B", "C", "D", "answer", "subject"?}
MATH   JSONL {"problem": str, "solution": str with \\boxed{...}, "level"?, "type"?}  (EleutherAI/hendrycks_math)
       The answer is taken from the solution's last \\boxed{} as lm-eval does (an "answer" field is not used).

find_files(DIR, task) looks for DIR/<task>.jsonl|.csv and then DIR/<task>/**.jsonl|.csv; files whose name holds
"train", "dev" or "val" are few-shot sources, the others are evaluated. One dataset serves every protocol of it
(gsm8k; mmlu and mmlu_generative; hendrycks_math and minerva_math).
Every item gets a stable id: "<file name>:<line or row number>" and a subtask: the MMLU subject, the MATH type
(lm-eval runs, samples few-shot examples for and limits each subject / type separately).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re

import mathnorm
import tasks as T
from extract import gsm8k_target, mmlu_target

TASKS = ("gsm8k", "mmlu", "math")
_ALIASES = {"gsm8k": ("gsm8k", "gsm8k_test", "grade-school-math", "grade_school_math"),
            "mmlu": ("mmlu", "MMLU"),
            "math": ("math", "MATH", "hendrycks_math", "competition_math", "math500", "MATH-500")}


class DataError(ValueError):
    pass


def _is_fewshot_file(name):
    n = name.lower()
    return any(w in re.split(r"[^a-z]+", n) for w in ("train", "dev", "val", "validation", "fewshot"))


def find_files(root, task):
    """(eval_files, fewshot_files) for a task under root (a directory, or a file used as the eval set)."""
    if os.path.isfile(root):
        return [root], []
    cands = []
    for alias in _ALIASES.get(task, (task,)):
        for f in sorted(os.listdir(root)):
            stem, ext = os.path.splitext(f)
            if ext in (".jsonl", ".json", ".csv") and (stem == alias or stem.startswith(alias + "_")
                                                       or stem.startswith(alias + "-")) \
                    and os.path.isfile(os.path.join(root, f)):
                cands.append(os.path.join(root, f))
        d = os.path.join(root, alias)
        if os.path.isdir(d):
            for base, dirs, files in os.walk(d):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith((".jsonl", ".csv", ".json")):
                        cands.append(os.path.join(base, f))
        if cands:
            break
    seen, ev, fs = set(), [], []
    for p in cands:
        rp = os.path.realpath(p)
        if rp in seen:
            continue
        seen.add(rp)
        (fs if _is_fewshot_file(os.path.basename(p)) else ev).append(p)
    return ev, fs


def _jsonl(path):
    with open(path, "r", encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise DataError("%s line %d: not valid JSON (%s)" % (path, n, e))
            if not isinstance(obj, dict):
                raise DataError("%s line %d: expected a JSON object" % (path, n))
            yield n, obj


def _rows(path):
    if path.endswith(".json"):
        with open(path, "r", encoding="utf-8-sig") as f:
            try:
                data = json.load(f)
            except ValueError as e:
                raise DataError("%s: not valid JSON (%s)" % (path, e))
        if not isinstance(data, list):
            raise DataError("%s: expected a JSON list of objects" % path)
        for n, obj in enumerate(data, 1):
            if not isinstance(obj, dict):
                raise DataError("%s item %d: expected a JSON object" % (path, n))
            yield n, obj
    else:
        for x in _jsonl(path):
            yield x


def load_gsm8k(path):
    out = []
    for n, o in _rows(path):
        q, a = o.get("question"), o.get("answer")
        if not isinstance(q, str) or not isinstance(a, str):
            raise DataError("%s line %d: GSM8K needs string fields 'question' and 'answer'" % (path, n))
        if "####" not in a:
            raise DataError("%s line %d: GSM8K 'answer' has no '#### N' final answer" % (path, n))
        out.append({"id": "%s:%d" % (os.path.basename(path), n), "question": q, "answer": a,
                    "target": gsm8k_target(a)})
    return out


def _subject_from_name(path):
    b = os.path.basename(path)
    b = re.sub(r"\.(csv|jsonl|json)$", "", b)
    b = re.sub(r"_(test|dev|val|validation|train)$", "", b)
    return b


def load_mmlu(path):
    out = []
    if path.endswith(".csv"):
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            text = f.read()
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return out
        head = [h.strip().lower() for h in rows[0]]
        has_header = "question" in head and "answer" in head
        start = 1 if has_header else 0
        for k, row in enumerate(rows[start:], start + 1):
            if not row or all(not c.strip() for c in row):
                continue
            if has_header:
                r = dict(zip(head, row))
                if all(x in r for x in ("a", "b", "c", "d")):
                    choices = [r["a"], r["b"], r["c"], r["d"]]
                else:
                    raise DataError("%s row %d: MMLU CSV header needs columns A, B, C, D" % (path, k))
                q, ans, subj = r.get("question"), r.get("answer"), r.get("subject") or _subject_from_name(path)
            else:
                if len(row) < 6:
                    raise DataError("%s row %d: MMLU CSV rows are question,A,B,C,D,answer (got %d columns)"
                                    % (path, k, len(row)))
                q, choices, ans, subj = row[0], row[1:5], row[5], _subject_from_name(path)
            try:
                tgt = mmlu_target(ans)
            except ValueError as e:
                raise DataError("%s row %d: %s" % (path, k, e))
            out.append({"id": "%s:%d" % (os.path.basename(path), k), "question": q, "choices": choices,
                        "subject": subj, "target": tgt})
        return out
    for n, o in _rows(path):
        q = o.get("question")
        if isinstance(o.get("choices"), list):
            choices = o["choices"]
        elif all(k in o for k in ("A", "B", "C", "D")):
            choices = [o["A"], o["B"], o["C"], o["D"]]
        else:
            raise DataError("%s line %d: MMLU needs 'choices' (4 items) or fields A, B, C, D" % (path, n))
        if not isinstance(q, str) or len(choices) != 4 or not all(isinstance(c, (str, int, float)) for c in choices):
            raise DataError("%s line %d: MMLU needs a string 'question' and exactly 4 choices" % (path, n))
        try:
            tgt = mmlu_target(o.get("answer"))
        except ValueError as e:
            raise DataError("%s line %d: %s" % (path, n, e))
        subj = o.get("subject") if isinstance(o.get("subject"), str) and o.get("subject") else _subject_from_name(path)
        out.append({"id": "%s:%d" % (os.path.basename(path), n), "question": q,
                    "choices": [str(c) for c in choices], "subject": subj, "target": tgt})
    return out


def load_math(path):
    out = []
    for n, o in _rows(path):
        p, s = o.get("problem"), o.get("solution")
        if not isinstance(p, str) or not isinstance(s, str):
            raise DataError("%s line %d: MATH needs string fields 'problem' and 'solution'" % (path, n))
        try:
            ans = mathnorm.solution_answer(s)
        except mathnorm.BoxError as e:
            raise DataError("%s line %d: the solution has no usable \\boxed{} answer (%s)" % (path, n, e))
        typ = o.get("type") if isinstance(o.get("type"), str) else None
        sub = T.MATH_TYPES.get(typ.strip().lower(), re.sub(r"[^a-z0-9]+", "_", typ.strip().lower())) if typ else None
        out.append({"id": "%s:%d" % (os.path.basename(path), n), "problem": p, "solution": s, "answer": ans,
                    "minerva_answer": mathnorm.normalize_final_answer(ans), "target": ans, "subject": sub})
    return out


LOADERS = {"gsm8k": load_gsm8k, "mmlu": load_mmlu, "math": load_math}


def load_task(root, task):
    if task not in LOADERS:
        raise DataError("the bundled runner knows gsm8k, mmlu and math, not %r" % task)
    ev, fs = find_files(root, task)
    if not ev:
        raise DataError("no %s files under %s (looked for %s.jsonl/.csv or a %s/ folder)" % (task, root, task, task))
    items, shots = [], []
    for p in ev:
        items.extend(LOADERS[task](p))
    for p in fs:
        shots.extend(LOADERS[task](p))
    if not items:
        raise DataError("%s: the %s files hold no items" % (root, task))
    return items, shots, ev, fs
