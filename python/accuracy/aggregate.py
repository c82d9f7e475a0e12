"""Result rows from scored items, aggregated as lm-eval 0.4.12 does (lm_eval/api/metrics.py: mean,
mean_stderr, pooled_sample_stderr, aggregate_subtask_metrics with weight_by_size; the group files of mmlu,
mmlu_generative, hendrycks_math and minerva_math all weight subtasks by size).

A group's value weighted by size is the mean over all its items; its stderr pools the subtasks' stderrs.
mmlu also gets its four category rows (mmlu_stem, mmlu_other, mmlu_social_sciences, mmlu_humanities) for the
subjects lm-eval files under them.
"""
from __future__ import annotations

import math

import score
import tasks as T


def mean_stderr(values):
    n = len(values)
    if n < 2:
        return None
    mu = sum(values) / n
    return math.sqrt(sum((x - mu) ** 2 for x in values) / (n - 1)) / math.sqrt(n)


def pooled_stderr(stderrs, sizes):
    if len(sizes) < 1 or any(s is None for s in stderrs) or sum(sizes) - len(sizes) <= 0:
        return None
    var = sum((n - 1) * se ** 2 * n for n, se in zip(sizes, stderrs)) / (sum(sizes) - len(sizes))
    return math.sqrt(var / sum(sizes))


def _r(x):
    return None if x is None else round(x, 10)


def _stats(values_by_sub):
    """(value, n, stderr, per-subtask values) of a size-weighted group of subtasks."""
    allv = [v for vs in values_by_sub.values() for v in vs]
    if not allv:
        return None, 0, None, {}
    subs = {k: sum(vs) / len(vs) for k, vs in values_by_sub.items() if vs}
    if len(values_by_sub) == 1:
        se = mean_stderr(allv)
    else:
        se = pooled_stderr([mean_stderr(vs) for vs in values_by_sub.values()], [len(vs) for vs in values_by_sub.values()])
    return sum(allv) / len(allv), len(allv), se, subs


def rows(plan, scored, errors, job):
    task = plan["task"]
    spec = plan["spec"]
    out = []
    for metric in score.metrics_of(task):
        filt = metric.split(",", 1)[1]
        proto = T.protocol(task, plan["n_shot"], job["seed"], job["chat"], job["multiturn"], plan["max_tokens"], filt,
                           score_reasoning=job["score_reasoning"], equivalence=plan["equivalence"])
        by_sub = {}
        for key, _, _ in plan["subtasks"]:
            by_sub[key] = []
        for r in scored:
            by_sub.setdefault(r.get("subject") if spec["dataset"] in ("mmlu", "math") else None, []).append(
                1.0 if r["correct"][metric] else 0.0)
        value, n, se, subs = _stats(by_sub)
        row = {"name": task, "metric": metric, "value": _r(value), "n": n, "errors": errors, "protocol": proto}
        if se is not None:
            row["stderr"] = _r(se)
        if spec["dataset"] in ("mmlu", "math") and any(k is not None for k in subs):
            row["subjects"] = {T.group_names(task, k)[0]: _r(v) for k, v in sorted(subs.items()) if k is not None}
        out.append(row)
        if task == "mmlu":
            out.extend(_category_rows(task, metric, by_sub, proto))
    return out


def _category_rows(task, metric, by_sub, proto):
    cats = {}
    for key, vs in by_sub.items():
        group = T.group_names(task, key)[1] if key else None
        if group:
            cats.setdefault(group, {})[key] = vs
    out = []
    for group in sorted(cats):
        value, n, se, _ = _stats(cats[group])
        if not n:
            continue
        p = dict(proto, task=group)
        row = {"name": group, "metric": metric, "value": _r(value), "n": n, "errors": 0, "group": task, "protocol": p}
        if se is not None:
            row["stderr"] = _r(se)
        out.append(row)
    return out
