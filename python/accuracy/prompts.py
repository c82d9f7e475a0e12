"""Prompts as lm-eval 0.4.12 builds them (stdlib only), written from lm_eval/api/task.py (fewshot_context,
build_qa_turn), lm_eval/api/utils.py (Message, multiturn_to_singleturn) and lm_eval/api/samplers.py.

A context is a list of messages (role, content, delimiter):
  system     the task description (MMLU: "The following are multiple choice questions (with answers) about
             <subject>.\\n\\n"), when there is one;
  per shot   user doc_to_text(shot) + " ", assistant target(shot) + "\\n\\n";
  question   user doc_to_text(doc) (no delimiter).
Without a chat template the text is every content + delimiter, concatenated. With one (--chat yes), the
description is a system message and the rest is one user message with that same text, or, with
fewshot_as_multiturn, one user/assistant message pair per shot (delimiters dropped).

Few-shot samplers, one per (sub)task, called once per evaluated document in document order:
  default  random.Random(seed).sample(pool, n) — the same Random object for every document, so document k's
           examples depend on the k-1 draws before it (hence: build all contexts in order, then ask);
  first_n  pool[:n] (MMLU's dev examples, minerva_math's four fixed examples).
"""
from __future__ import annotations

import random

import tasks as T


class FewshotError(ValueError):
    pass


def doc_to_text(task, doc):
    if task == "gsm8k":
        return "Question: %s\nAnswer:" % doc["question"]
    if task in ("mmlu", "mmlu_generative"):
        c = doc["choices"]
        return "%s\nA. %s\nB. %s\nC. %s\nD. %s\nAnswer:" % (doc["question"].strip(), c[0], c[1], c[2], c[3])
    if task == "hendrycks_math":
        return "Problem: %s\nAnswer:" % doc["problem"]
    if task == "minerva_math":
        return "Problem:\n" + doc["problem"] + "\n\nSolution:"
    raise KeyError(task)


def fewshot_target(task, doc):
    if task == "gsm8k":
        return doc["answer"]
    if task in ("mmlu", "mmlu_generative"):
        return doc["target"]
    if task == "hendrycks_math":
        return doc["answer"]
    if task == "minerva_math":
        return doc["solution"]  # the fixed examples end in "Final Answer: The final answer is …"
    raise KeyError(task)


def description(task, subject):
    if task in ("mmlu", "mmlu_generative") and subject:
        return T.mmlu_description(subject)
    return ""


class Sampler(object):
    def __init__(self, kind, pool, seed):
        self.kind = kind
        self.pool = list(pool)
        self.rnd = random.Random(seed)

    def sample(self, n):
        if n <= 0:
            return []
        if n > len(self.pool):
            raise FewshotError("%d-shot needs %d few-shot examples, %d available" % (n, n, len(self.pool)))
        if self.kind == "first_n":
            return self.pool[:n]
        return self.rnd.sample(self.pool, n)


def messages(task, doc, shots, subject=None):
    msgs = []
    desc = description(task, subject)
    if desc:
        msgs.append(("system", desc, ""))
    for s in shots:
        msgs.append(("user", doc_to_text(task, s), " "))
        msgs.append(("assistant", fewshot_target(task, s), "\n\n"))
    msgs.append(("user", doc_to_text(task, doc), ""))
    return msgs


def as_text(msgs):
    return "".join(c + d for _, c, d in msgs)


def as_chat(msgs, multiturn):
    system = [m for m in msgs if m[0] == "system"]
    rest = [m for m in msgs if m[0] != "system"]
    out = [{"role": "system", "content": system[0][1]}] if system else []
    if multiturn:
        out += [{"role": r, "content": c} for r, c, _ in rest]
    else:
        out.append({"role": "user", "content": as_text(rest)})
    return out


def contexts(task, docs, pool, n_shot, seed, chat, multiturn, subject=None):
    """The prompt of every document, in document order (the sampler's draws depend on that order)."""
    sampler = Sampler(T.TASKS[task]["sampler"], pool, seed)
    out = []
    for d in docs:
        msgs = messages(task, d, sampler.sample(n_shot), subject)
        out.append(as_chat(msgs, multiturn) if chat else as_text(msgs))
    return out
