"""The evaluation protocols the bundled runner implements, by lm-evaluation-harness's task names (stdlib only).

Each entry is what lm-eval's task files define at LM_EVAL_VERSION (paths below are in
EleutherAI/lm-evaluation-harness at that tag): prompt template and few-shot source, the n-shot default, the
few-shot sampler, generation settings, filters, metrics and the group aggregation. Results use lm-eval's keys
("<metric>,<filter>"), and every result row carries its protocol (see protocol()).

lm-eval defaults that apply to every task here (lm_eval/evaluator.py, lm_eval/models/api_models.py):
  few-shot seed 1234 (one random.Random per (sub)task, drawn in document order), no chat template,
  max_gen_toks 256, temperature 0, request seed 1234, target delimiter " ", few-shot delimiter "\\n\\n".
"""
from __future__ import annotations

import json
import os

LM_EVAL_VERSION = "0.4.12"
LM_EVAL_COMMIT = "6d642546f4688648fced259eb3302efd36ece5af"
SOURCE = "lm-evaluation-harness %s" % LM_EVAL_VERSION
DEFAULT_FEWSHOT_SEED = 1234
DEFAULT_MAX_GEN_TOKS = 256
REQUEST_SEED = 1234

_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "lm_eval")

# dataset: which file family under --data serves the task (gsm8k.jsonl, mmlu/, math.jsonl).
# output_type: generate_until (text, filters, exact_match) or multiple_choice (log-likelihood of each choice).
# sampler: "default" = seeded random sample per document, "first_n" = the first n in file order.
# fewshot: where examples come from: "train"/"dev" files of the dataset, or "minerva" (fixed 4 examples).
# version: what lm-eval writes under "versions" for the task (the group's version for groups).
TASKS = {
    "gsm8k": {
        "source": "lm_eval/tasks/gsm8k/gsm8k.yaml",
        "dataset": "gsm8k", "version": 3.0, "output_type": "generate_until",
        "num_fewshot": 5, "sampler": "default", "fewshot": "train",
        "until": ["Question:", "</s>", "<|im_end|>"],
        "filters": ["strict-match", "flexible-extract"], "metric": "exact_match",
        "primary": "exact_match,strict-match",
    },
    "mmlu": {
        "source": "lm_eval/tasks/mmlu/default/_default_template_yaml, _mmlu.yaml, _mmlu_<category>.yaml",
        "dataset": "mmlu", "version": 2, "output_type": "multiple_choice",
        "num_fewshot": 0, "sampler": "first_n", "fewshot": "dev",
        "until": None, "filters": ["none"], "metric": "acc", "primary": "acc,none",
        "subtask": "mmlu_%s", "categories": "mmlu_%s",
    },
    "mmlu_generative": {
        "source": "lm_eval/tasks/mmlu/generative/_default_template_yaml, _mmlu.yaml",
        "dataset": "mmlu", "version": 3, "output_type": "generate_until",
        "num_fewshot": 0, "sampler": "first_n", "fewshot": "dev",
        "until": ["</s>", "\n"], "filters": ["get_response"], "metric": "exact_match",
        "primary": "exact_match,get_response",
        "subtask": "mmlu_%s_generative", "categories": "%s",
    },
    "hendrycks_math": {
        "source": "lm_eval/tasks/hendrycks_math/hendrycks_math.yaml, hendrycks_math_algebra.yaml, utils.py",
        "dataset": "math", "version": 1.0, "output_type": "generate_until",
        "num_fewshot": 0, "sampler": "default", "fewshot": "train",
        "until": ["Problem:"], "filters": ["none"], "metric": "exact_match", "primary": "exact_match,none",
        "subtask": "hendrycks_math_%s",
    },
    "minerva_math": {
        "source": "lm_eval/tasks/benchmarks/minerva_math.yaml, lm_eval/tasks/minerva_math/minerva_math_algebra.yaml, utils.py",
        "dataset": "math", "version": 1.0, "output_type": "generate_until",
        "num_fewshot": 4, "sampler": "first_n", "fewshot": "minerva",
        "until": ["Problem:"], "filters": ["none"], "metric": "exact_match", "primary": "exact_match,none",
        "subtask": "minerva_math_%s",
    },
}

# `math` names no lm-eval task; it runs the one most model cards report as "MATH" and says so.
ALIASES = {"math": "minerva_math"}

# MATH's "type" field → lm-eval's subtask suffix (hendrycks_math_<x> / minerva_math_<x>).
MATH_TYPES = {
    "algebra": "algebra", "counting & probability": "counting_and_prob", "geometry": "geometry",
    "intermediate algebra": "intermediate_algebra", "number theory": "num_theory", "prealgebra": "prealgebra",
    "precalculus": "precalc",
}


class UnknownTask(ValueError):
    pass


def resolve(name):
    """(task, alias_note) for a name given by the user; UnknownTask when the bundled runner has no such task."""
    n = (name or "").strip()
    low = n.lower()
    if low in TASKS:
        return low, None
    if low in ALIASES:
        t = ALIASES[low]
        return t, "%s is not an lm-eval task name: running lm-eval's %s (use --tasks hendrycks_math for the other MATH protocol)" % (n, t)
    raise UnknownTask("the bundled runner implements the lm-eval tasks %s (and math = %s), not %r; install lm-eval on the "
                      "host for other tasks" % (", ".join(sorted(TASKS)), ALIASES["math"], n))


def _load(name):
    with open(os.path.join(_DATA, name), "r", encoding="utf-8") as f:
        return json.load(f)


_MMLU = None
_MINERVA = None


def mmlu_category(subject):
    """stem / other / social_sciences / humanities, or None for a subject lm-eval's MMLU does not have."""
    global _MMLU
    if _MMLU is None:
        _MMLU = _load("mmlu_subjects.json")["subjects"]
    return _MMLU.get(subject)


def minerva_fewshot():
    global _MINERVA
    if _MINERVA is None:
        _MINERVA = _load("minerva_math_fewshot.json")["samples"]
    return list(_MINERVA)


def mmlu_description(subject):
    """Each MMLU subject task's `description` (identical pattern in all 57 task files)."""
    return "The following are multiple choice questions (with answers) about %s.\n\n" % subject.replace("_", " ")


def group_names(task, subtask_key):
    """(subtask name, category group name or None) as lm-eval names them in a results file."""
    spec = TASKS[task]
    if task in ("mmlu", "mmlu_generative"):
        cat = mmlu_category(subtask_key)
        group = None
        if cat:
            group = spec["categories"] % (cat if task == "mmlu" else cat.replace("_", " "))
        return spec["subtask"] % subtask_key, group
    if task in ("hendrycks_math", "minerva_math") and subtask_key:
        return spec["subtask"] % subtask_key, None
    return task, None


def protocol(task, n_shot, seed, chat, multiturn, max_tokens, filt, score_reasoning=False, equivalence=None):
    """The protocol object every figure carries (camelCase: it travels as is into the TypeScript side)."""
    spec = TASKS[task]
    p = {"task": task, "version": spec["version"], "nShot": n_shot, "fewshotSeed": seed, "chat": bool(chat),
         "maxTokens": max_tokens if spec["output_type"] == "generate_until" else None, "filter": filt,
         "outputType": spec["output_type"], "source": SOURCE}
    if chat:
        p["multiturn"] = bool(multiturn)
    if score_reasoning:
        p["scoreReasoning"] = True
    if equivalence:
        p["equivalence"] = equivalence
    return p
