"""Answer extraction and scoring as lm-evaluation-harness's standard tasks do it (stdlib only, Python >= 3.8).

GSM8K (task `gsm8k`, version 3):
  strict-match      first match of  #### (-?[0-9.,]+)
  flexible-extract  last match of   (-?[$0-9.,]{2,})|(-?[0-9]+)   (first non-empty group)
  scoring           exact match after removing "," "$", everything up to the last "#### ", a trailing ".",
                    case-insensitive; the reference is the dataset answer after "#### ".
  A response with no match extracts "[invalid]" (lm-eval's fallback), which never scores.
MMLU (generative, `mmlu_generative` style): the first line of the output, trimmed, must end in a lone A-D letter,
  bare or decorated ("B", "(B)", "B.", "Answer: B", "The answer is (B)", "option B").
MATH: the content of the last \\boxed{...} (or \\fbox{...}); without one, the text between the first and last
  "$" (hendrycks_math's rule), else the whole output; both sides normalised like the MATH paper's
  `strip_string` (spaces, \\left/\\right, \\dfrac/\\tfrac, degrees, units in \\text{}, \\%, leading zeros,
  \\frac12 -> \\frac{1}{2}, \\sqrt3 -> \\sqrt{3}, a/b -> \\frac{a}{b}, "x = 5" -> "5") and compared as strings.
"""
from __future__ import annotations

import re

INVALID = "[invalid]"

_GSM_STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
_GSM_FLEX = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
_GSM_IGNORE = [re.compile(r","), re.compile(r"\$"), re.compile(r"(?s).*#### "), re.compile(r"\.$")]


def gsm8k_strict(text: str) -> str:
    m = _GSM_STRICT.findall(text or "")
    return m[0].strip() if m else INVALID


def gsm8k_flexible(text: str) -> str:
    m = _GSM_FLEX.findall(text or "")
    if not m:
        return INVALID
    last = m[-1]
    parts = [g for g in last if g] if isinstance(last, tuple) else [last]
    return parts[0].strip() if parts else INVALID


def gsm8k_normalize(s: str) -> str:
    for rx in _GSM_IGNORE:
        s = rx.sub("", s)
    return s.lower()


def gsm8k_target(answer: str) -> str:
    """The reference as lm-eval compares it: the dataset answer with the ignore-regexes applied."""
    return gsm8k_normalize(answer or "")


def gsm8k_match(extracted: str, answer: str) -> bool:
    if extracted == INVALID:
        return False
    return gsm8k_normalize(extracted) == gsm8k_target(answer)


# ---------------------------------------------------------------------------------------------------------
_MMLU_LETTER = re.compile(r"(?i)(?:^\W*|answer\s*(?:is)?\s*[:\-]?\s*|option\s*[:\-]?\s*)\(?([A-D])\)?\W*$")


def mmlu_letter(text: str) -> str:
    first = (text or "").split("\n", 1)[0].strip()
    m = _MMLU_LETTER.findall(first)
    return m[0].upper() if m else INVALID


def mmlu_target(answer) -> str:
    """Answer given as a letter ("B", "b", "(B)") or an index 0-3."""
    if isinstance(answer, bool):
        raise ValueError("MMLU answer must be a letter A-D or an index 0-3")
    if isinstance(answer, int):
        if 0 <= answer <= 3:
            return "ABCD"[answer]
        raise ValueError("MMLU answer index out of range: %d" % answer)
    s = str(answer).strip().strip("().").upper()
    if s in ("A", "B", "C", "D"):
        return s
    if s in ("0", "1", "2", "3"):
        return "ABCD"[int(s)]
    raise ValueError("MMLU answer must be a letter A-D or an index 0-3, got %r" % (answer,))


# ---------------------------------------------------------------------------------------------------------
def last_boxed(text: str):
    """The last \\boxed{...} / \\fbox{...} (braces balanced) or "\\boxed x" group, or None."""
    if not text:
        return None
    i = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if i < 0:
        return None
    if text.startswith("\\boxed ", i):
        rest = text[i + len("\\boxed "):]
        return "\\boxed " + rest.split("$")[0].strip()
    j = text.find("{", i)
    if j < 0:
        return None
    depth = 0
    for k in range(j, len(text)):
        c = text[k]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i:k + 1]
    return None


def unbox(s: str):
    if s is None:
        return None
    if s.startswith("\\boxed "):
        return s[len("\\boxed "):]
    for head in ("\\boxed{", "\\fbox{"):
        if s.startswith(head) and s.endswith("}"):
            return s[len(head):-1]
    return None


def math_extract(text: str) -> str:
    b = unbox(last_boxed(text or ""))
    if b is not None:
        return b
    t = text or ""
    dollars = [i for i, c in enumerate(t) if c == "$"]
    if len(dollars) >= 2:
        return t[dollars[0] + 1:dollars[-1]]
    return t.strip() if t.strip() else INVALID


def math_target(solution: str, answer=None) -> str:
    if isinstance(answer, str) and answer.strip():
        return answer
    b = unbox(last_boxed(solution or ""))
    if b is None:
        raise ValueError("MATH solution has no \\boxed{} answer")
    return b


def _fix_fracs(s: str) -> str:
    parts = s.split("\\frac")
    out = parts[0]
    for p in parts[1:]:
        out += "\\frac"
        if p.startswith("{"):
            out += p
            continue
        if len(p) < 2:
            return s
        a, b, rest = p[0], p[1], p[2:]
        if b == "{":
            out += "{" + a + "}" + b + rest
        else:
            out += "{" + a + "}{" + b + "}" + rest
    return out


def _fix_a_slash_b(s: str) -> str:
    m = re.fullmatch(r"(-?\d+)/(\d+)", s)
    if m:
        return "\\frac{%s}{%s}" % (m.group(1), m.group(2))
    return s


def _fix_sqrt(s: str) -> str:
    return re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", s)


def _strip_units(s: str) -> str:
    if "\\text{ " in s:
        return s.split("\\text{ ")[0]
    return s


def math_normalize(s: str) -> str:
    if s is None:
        return ""
    s = s.replace("\n", "").replace("\\!", "")
    s = s.replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "")
    s = s.replace("\\$", "").replace("$", "")
    s = _strip_units(s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    s = s.strip()
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    eq = s.split("=")
    if len(eq) == 2 and len(eq[0].strip()) <= 2:
        s = eq[1].strip()
    s = _fix_sqrt(s)
    s = s.replace(" ", "")
    s = _fix_fracs(s)
    if s == "0.5":
        s = "\\frac{1}{2}"
    s = _fix_a_slash_b(s)
    return s


def math_match(extracted: str, target: str) -> bool:
    if extracted == INVALID:
        return False
    return math_normalize(extracted) == math_normalize(target)
