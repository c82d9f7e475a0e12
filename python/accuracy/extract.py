"""Filters and exact-match scoring of lm-eval's generative tasks (stdlib only), written from lm-eval 0.4.12's
definitions: lm_eval/filters/extraction.py (regex, remove_whitespace), lm_eval/filters/selection.py
(take_first), lm_eval/api/metrics.py (exact_match) and the task files that configure them.

regex filter     re.findall(pattern, response); nothing found → "[invalid]"; else the match at group_select
                 (0 = first, -1 = last); a tuple of groups gives its first non-empty group ("[invalid]" if
                 none); the result is stripped. A non-string response counts as "".
exact_match      every regexes_to_ignore pattern removed from prediction AND reference, then lower-case if
                 ignore_case, ASCII punctuation (string.punctuation) removed if ignore_punctuation, then ==.

gsm8k (gsm8k.yaml, version 3)
  strict-match      regex "#### (\\-?[0-9\\.\\,]+)", take_first
  flexible-extract  regex "(-?[$0-9.,]{2,})|(-?[0-9]+)" group_select -1, take_first
  exact_match       ignore_case, regexes_to_ignore ",", "\\$", "(?s).*#### ", "\\.$"; the reference is the
                    dataset answer (its reasoning removed by the "(?s).*#### " pattern)
mmlu_generative (mmlu/generative/_default_template_yaml, version 3), filter "get_response"
  regex "^(.*?)(?=\\n|$)" (first line), remove_whitespace, regex "^(.*?)\\s*$", take_first;
  exact_match with ignore_case and ignore_punctuation against the letter: "B", "(b)", "B." and "__B__" count,
  "Answer: B", "The answer is (B).", "Option B" and "B。" do not.
"""
from __future__ import annotations

import re
import string

INVALID = "[invalid]"


def regex_filter(response, pattern, group_select=0, fallback=INVALID):
    text = response if isinstance(response, str) else ""
    found = re.findall(pattern, text)
    if not found:
        return fallback
    m = found[group_select]
    if isinstance(m, tuple):
        groups = [g for g in m if g]
        m = groups[0] if groups else fallback
    return m.strip()


_PUNCT = str.maketrans("", "", string.punctuation)


def exact_match(prediction, reference, regexes_to_ignore=(), ignore_case=False, ignore_punctuation=False):
    p, r = prediction, reference
    for rx in regexes_to_ignore:
        p, r = re.sub(rx, "", p), re.sub(rx, "", r)
    if ignore_case:
        p, r = p.lower(), r.lower()
    if ignore_punctuation:
        p, r = p.translate(_PUNCT), r.translate(_PUNCT)
    return p == r


# ---------------------------------------------------------------------------------------------------------
GSM8K_STRICT = r"#### (\-?[0-9\.\,]+)"
GSM8K_FLEXIBLE = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
GSM8K_IGNORE = (",", "\\$", "(?s).*#### ", "\\.$")


def gsm8k_strict(text):
    return regex_filter(text, GSM8K_STRICT)


def gsm8k_flexible(text):
    return regex_filter(text, GSM8K_FLEXIBLE, group_select=-1)


def gsm8k_match(extracted, answer):
    return exact_match(extracted, answer, GSM8K_IGNORE, ignore_case=True)


def gsm8k_target(answer):
    """The reference after the ignore patterns (what an extracted answer must equal)."""
    r = answer or ""
    for rx in GSM8K_IGNORE:
        r = re.sub(rx, "", r)
    return r.lower()


# ---------------------------------------------------------------------------------------------------------
def mmlu_generative_response(text):
    """The "get_response" filter chain: first line, stripped, trailing whitespace removed."""
    s = regex_filter(text, r"^(.*?)(?=\n|$)")
    s = s.strip()
    return regex_filter(s, r"^(.*?)\s*$")


def mmlu_generative_match(response, letter):
    return exact_match(response, letter, ignore_case=True, ignore_punctuation=True)


def mmlu_target(answer):
    """Answer given as a letter ("B", "b", "(B)") or an index 0-3 → the letter."""
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
