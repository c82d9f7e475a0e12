"""MATH answer handling as lm-eval's hendrycks_math and minerva_math tasks define it (stdlib only).

Written from the definitions in lm-evaluation-harness 0.4.12 (lm_eval/tasks/hendrycks_math/utils.py and
lm_eval/tasks/minerva_math/utils.py), not copied: the behaviour, including where those functions raise and the
caller then falls back, is what the scores depend on, so it is reproduced step by step:

hendrycks_math  the model output is NOT unboxed: with two or more "$" the text between the first and the last
                "$" is the answer, else the whole output. Both sides go through strip_string(); if that raises
                for either side (e.g. "a/b" with non-integers, "\\frac" or "\\sqrt" at the very end, "\\text{ "
                twice) the raw strings are compared instead.
minerva_math    the answer is what follows "Final Answer: The final answer is" up to ". I hope it is correct."
                (the regex's dots match any character; without the sentence: "[invalidanswer]"), normalised
                with normalize_final_answer() (Minerva paper, appendix D); equivalence in mathequiv.py.
Targets: remove_boxed(last_boxed_only_string(solution)) for both (minerva also normalises it).
"""
from __future__ import annotations

import re

MINERVA_INVALID = "[invalidanswer]"


class BoxError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------------------
# \boxed{...} in reference solutions
# ---------------------------------------------------------------------------------------------------------
def last_boxed_only_string(text):
    """The last \\boxed{...} (or, without one, \\fbox{...}) with balanced braces; "\\boxed X" (space form)
    takes precedence when present anywhere; None when there is no box or its braces never close."""
    if "\\boxed " in text:
        return "\\boxed " + text.split("\\boxed ")[-1].split("$")[0]
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for k in range(start, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[start:k + 1]
    return None


def remove_boxed(s):
    """Content of "\\boxed X" or "\\boxed{X}"; anything else (None, \\fbox, no closing brace) is an error."""
    if s is None:
        raise BoxError("no \\boxed{} answer")
    if "\\boxed " in s:
        if not s.startswith("\\boxed "):
            raise BoxError("malformed \\boxed answer")
        return s[len("\\boxed "):]
    if not (s.startswith("\\boxed{") and s.endswith("}")):
        raise BoxError("the answer is not in \\boxed{...}")
    return s[len("\\boxed{"):-1]


def solution_answer(solution):
    return remove_boxed(last_boxed_only_string(solution or ""))


# ---------------------------------------------------------------------------------------------------------
# hendrycks_math
# ---------------------------------------------------------------------------------------------------------
class _StripError(Exception):
    """strip_string hit an input its definition does not handle (the caller compares raw strings)."""


def _fix_fracs(s):
    parts = s.split("\\frac")
    out = parts[0]
    for sub in parts[1:]:
        out += "\\frac"
        if not sub:
            raise _StripError("\\frac without argument")
        if sub[0] == "{":
            out += sub
            continue
        if len(sub) < 2:
            return s
        a, b, rest = sub[0], sub[1], sub[2:]
        if b != "{":
            out += "{" + a + "}{" + b + "}" + rest
        else:
            out += "{" + a + "}" + b + rest
    return out


def _fix_a_slash_b(s):
    parts = s.split("/")
    if len(parts) != 2:
        return s
    try:
        a, b = int(parts[0]), int(parts[1])
    except ValueError:
        raise _StripError("not integers around /")
    if s != "%d/%d" % (a, b):
        return s
    return "\\frac{%d}{%d}" % (a, b)


def _remove_right_units(s):
    if "\\text{ " in s:
        parts = s.split("\\text{ ")
        if len(parts) != 2:
            raise _StripError("several \\text{ } units")
        return parts[0]
    return s


def _fix_sqrt(s):
    if "\\sqrt" not in s:
        return s
    parts = s.split("\\sqrt")
    out = parts[0]
    for sub in parts[1:]:
        if not sub:
            raise _StripError("\\sqrt without argument")
        out += ("\\sqrt{" + sub[0] + "}" + sub[1:]) if sub[0] != "{" else ("\\sqrt" + sub)
    return out


def strip_string(s):
    """hendrycks_math's normaliser. Raises _StripError where the definition raises."""
    s = s.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "")
    s = s.replace("\\$", "")            # only an escaped dollar: a bare "$" stays
    s = _remove_right_units(s)
    s = s.replace("\\%", "")            # only an escaped percent: a bare "%" stays
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    eq = s.split("=")
    if len(eq) == 2 and len(eq[0]) <= 2:  # "k = 5" → " 5" (the side is not trimmed first: "xy = 3" stays)
        s = eq[1]
    s = _fix_sqrt(s)
    s = s.replace(" ", "")
    s = _fix_fracs(s)
    if s == "0.5":
        s = "\\frac{1}{2}"
    return _fix_a_slash_b(s)


def hendrycks_extract(output):
    text = output if isinstance(output, str) else ""
    dollars = [i for i, c in enumerate(text) if c == "$"]
    if len(dollars) <= 1:
        return text
    return text[dollars[0] + 1:dollars[-1]]


def hendrycks_equiv(a, b):
    if a is None and b is None:
        return True
    if a is None or b is None:
        return False
    try:
        return strip_string(a) == strip_string(b)
    except _StripError:
        return a == b


# ---------------------------------------------------------------------------------------------------------
# minerva_math
# ---------------------------------------------------------------------------------------------------------
_FINAL = re.compile(r"Final Answer: The final answer is(.*?). I hope it is correct.")


def minerva_unnormalized(output):
    m = _FINAL.search((output if isinstance(output, str) else "") + "I hope it is correct.")
    return m.group(1).strip() if m else MINERVA_INVALID


# Appendix D of Lewkowycz et al. (2022), "Solving Quantitative Reasoning Problems with Language Models", in
# the order lm-eval applies them.
SUBSTITUTIONS = [
    ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), (r"\ ", ""), (" ", ""), ("mbox", "text"),
    (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"),
]
REMOVED_EXPRESSIONS = [
    "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
    "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
    "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
    "\\text{}^3", "\\text{\n}", "\\text{}", r"\mathrm{th}", r"^\circ", r"^{\circ}", r"\;", r",\!", "{,}", '"',
    "\\dots",
]

_UNWRAP = [
    (re.compile(r"(.*?)(\$)(.*?)(\$)(.*)"), "$\\3$"),
    (re.compile(r"(\\text\{)(.*?)(\})"), "\\2"),
    (re.compile(r"(\\textbf\{)(.*?)(\})"), "\\2"),
    (re.compile(r"(\\overline\{)(.*?)(\})"), "\\2"),
    (re.compile(r"(\\boxed\{)(.*)(\})"), "\\2"),
    (re.compile(r"(frac)([^{])(.)"), "frac{\\2}{\\3}"),
    (re.compile(r"(sqrt)([^{])"), "sqrt{\\2}"),
]


def normalize_final_answer(answer):
    s = answer.split("=")[-1]
    for before, after in SUBSTITUTIONS:
        s = s.replace(before, after)
    for expr in REMOVED_EXPRESSIONS:
        s = s.replace(expr, "")
    for rx, repl in _UNWRAP:
        s = rx.sub(repl, s)
    s = s.replace("$", "")
    if s.replace(",", "").isdigit():
        s = s.replace(",", "")
    return s
