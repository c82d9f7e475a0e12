"""minerva_math's answer equivalence (lm-eval 0.4.12, lm_eval/tasks/minerva_math/utils.py is_equiv), with
whatever this host has. The mode is part of the protocol of every minerva_math figure:

  sympy-parse_latex   sympy's own LaTeX parser works (antlr4 runtime 4.11): exactly lm-eval's check —
                      parse both normalised answers, equal when sympy.simplify(a - b) == 0; a parse or
                      subtraction failure, a simplify error or more than 5 s is "not equal".
  sympy               sympy without a working parse_latex: the same check with latexreader.py reading the
                      LaTeX (a subset written after sympy's grammar; outside it: "not equal", as above).
  string              no sympy: the normalised answers must be identical strings. Stricter than lm-eval for
                      equal values written differently ("0.5" vs "\\frac{1}{2}"), looser for answers sympy
                      cannot parse (lm-eval never accepts an interval such as "[2,5)").

The 5 s limit uses SIGALRM as lm-eval does, so equivalence is checked on the main thread.
"""
from __future__ import annotations

import signal
import threading

_MODE = None
_parse = None


def mode():
    """The equivalence mode this interpreter supports (probed once)."""
    global _MODE, _parse
    if _MODE is not None:
        return _MODE
    try:
        import sympy  # noqa: F401
    except ImportError:
        _MODE = "string"
        return _MODE
    try:
        from sympy.parsing.latex import parse_latex
        parse_latex("1+1")
        _parse = parse_latex
        _MODE = "sympy-parse_latex"
    except Exception:  # ImportError about antlr4, or a runtime of the wrong version
        import latexreader
        _parse = latexreader.read_latex
        _MODE = "sympy"
    return _MODE


def force_mode(m):
    """For tests: pretend the host offers only `m` (it must be supported by this interpreter)."""
    global _MODE, _parse
    if m == "string":
        _MODE, _parse = "string", None
        return
    _MODE = None
    got = mode()
    if m == "sympy" and got == "sympy-parse_latex":
        import latexreader
        _MODE, _parse = "sympy", latexreader.read_latex
    elif m != _MODE:
        raise RuntimeError("equivalence mode %s is not available here (have %s)" % (m, got))


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def is_equiv(a, b, timeout_s=5):
    m = mode()
    if m == "string":
        return a == b
    import sympy
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    old = None
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout_s)
    try:
        try:
            x, y = _parse(a), _parse(b)
        except Exception:  # LaTeXParsingError / SympifyError / TypeError in lm-eval; our reader's LatexError
            return False
        try:
            diff = x - y
        except TypeError:
            return False
        try:
            return bool(sympy.simplify(diff) == 0)
        except ValueError:
            return False
    except _Timeout:
        return False
    except Exception:
        return False
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
