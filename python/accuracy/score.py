"""Per-item scoring of each task, keyed like lm-eval's results ("<metric>,<filter>"). Stdlib only (sympy is
used by mathequiv when the host has it)."""
from __future__ import annotations

import extract as X
import mathequiv
import mathnorm as M


def metrics_of(task):
    if task == "gsm8k":
        return ["exact_match,strict-match", "exact_match,flexible-extract"]
    if task == "mmlu":
        return ["acc,none"]
    if task == "mmlu_generative":
        return ["exact_match,get_response"]
    return ["exact_match,none"]


def score_generation(task, raw, item):
    """(extracted, correct): what each filter kept, and per metric key whether it counts."""
    if task == "gsm8k":
        s, f = X.gsm8k_strict(raw), X.gsm8k_flexible(raw)
        return ({"strict-match": s, "flexible-extract": f},
                {"exact_match,strict-match": X.gsm8k_match(s, item["answer"]),
                 "exact_match,flexible-extract": X.gsm8k_match(f, item["answer"])})
    if task == "mmlu_generative":
        r = X.mmlu_generative_response(raw)
        return {"get_response": r}, {"exact_match,get_response": X.mmlu_generative_match(r, item["target"])}
    if task == "hendrycks_math":
        a = M.hendrycks_extract(raw)
        return {"answer": a}, {"exact_match,none": M.hendrycks_equiv(a, item["answer"])}
    if task == "minerva_math":
        un = M.minerva_unnormalized(raw)
        a = M.normalize_final_answer(un)
        return ({"final_answer": un, "normalized": a},
                {"exact_match,none": mathequiv.is_equiv(a, item["minerva_answer"])})
    raise KeyError(task)


def score_loglikelihood(lls, item):
    """mmlu: the choice with the highest summed log-probability (the first on ties, as numpy's argmax)."""
    best = max(range(len(lls)), key=lambda i: (lls[i], -i))
    pred = "ABCD"[best]
    return {"choice": pred, "loglikelihoods": lls}, {"acc,none": pred == item["target"]}
