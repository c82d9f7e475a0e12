"""A small LaTeX → sympy reader for minerva_math's equivalence check when sympy's own parse_latex cannot run.

lm-eval (minerva_math/utils.py is_equiv) parses both normalised answers with sympy.parsing.latex.parse_latex
and calls them equal when sympy.simplify(a - b) == 0. That parser needs the antlr4 runtime at exactly 4.11,
which many hosts lack although sympy is installed. This module reads the same language for the answers MATH
has (numbers, letters, \\commands as symbols, \\infty, + - * / \\cdot \\times \\div :, implicit products,
^ _ !, ( ) [ ] { } \\{ \\}, |x|, \\frac \\dfrac \\tfrac, \\binom, \\sqrt[n]{}, \\overline{}, \\lfloor \\lceil,
\\sin … \\log_b \\ln \\exp, f(x) applications), written after the grammar sympy ships (LaTeX.g4) and
behaving like it where answers depend on it:
  - digits are single tokens, so "1 2" is 12; "1,234" is a number only with three digits after the comma;
  - the top rule has no end-of-input: what follows a complete expression is ignored ("5)" reads as 5), but
    an error inside a construct fails ("(2,5)", "[2,5)"), and so does an unknown character right after it;
  - \\pi and other \\commands are plain symbols (\\infty is oo); "x" between two numbers means times;
  - a letter or \\command right before "(" is a function application ("a(b+c)" is not a product).
Anything outside this subset raises LatexError: the caller then treats the pair as not equivalent, as lm-eval
does when parse_latex fails. Relations (= < >) also raise: lm-eval's subtraction of relations fails too.
"""
from __future__ import annotations

import re

import sympy


class LatexError(ValueError):
    pass


_SKIP = re.compile(r"(?:[ \t\r\n]+|\\(?:,|:|;|!|thinspace|medspace|thickspace|negthinspace|negmedspace|"
                   r"negthickspace|qquad|quad|left(?![a-zA-Z])|right(?![a-zA-Z])|vrule|vcenter|vbox|vskip|vspace|"
                   r"hfil|\*|-|\.|/|\"|\(|=))+")
_FUNCS = ("exp", "log", "lg", "ln", "sin", "cos", "tan", "csc", "sec", "cot", "arcsin", "arccos", "arctan",
          "arccsc", "arcsec", "arccot", "sinh", "cosh", "tanh", "arsinh", "arcosh", "artanh")
_CMD_TOKENS = {"\\times": "MUL", "\\cdot": "MUL", "\\div": "DIV", "\\frac": "FRAC", "\\dfrac": "FRAC",
               "\\tfrac": "FRAC", "\\binom": "BINOM", "\\dbinom": "BINOM", "\\tbinom": "BINOM", "\\sqrt": "SQRT",
               "\\overline": "OVERLINE", "\\lfloor": "LFLOOR", "\\rfloor": "RFLOOR", "\\lceil": "LCEIL",
               "\\rceil": "RCEIL", "\\{": "LBRACE_LIT", "\\}": "RBRACE_LIT", "\\neq": "REL", "\\leq": "REL",
               "\\le": "REL", "\\geq": "REL", "\\ge": "REL", "\\leqq": "REL", "\\geqq": "REL",
               "\\leqslant": "REL", "\\geqslant": "REL"}
_UNSUPPORTED = ("\\int", "\\sum", "\\prod", "\\lim", "\\mathit", "\\langle", "\\rangle", "\\partial")
_SINGLE = {"+": "ADD", "-": "SUB", "*": "MUL", "/": "DIV", ":": "DIV", "(": "LPAREN", ")": "RPAREN",
           "{": "LBRACE", "}": "RBRACE", "[": "LBRACKET", "]": "RBRACKET", "|": "BAR", "^": "CARET",
           "_": "UNDERSCORE", "!": "BANG", "=": "REL", "<": "REL", ">": "REL", ",": "COMMA", ".": "DOT"}


class _Lexer(object):
    """Tokens on demand: a character nobody asks about is never judged (as with antlr's lazy token stream)."""

    def __init__(self, text):
        self.s = text
        self.i = 0
        self.toks = []

    def _next(self):
        m = _SKIP.match(self.s, self.i)
        if m:
            self.i = m.end()
        if self.i >= len(self.s):
            return ("EOF", "")
        s, i = self.s, self.i
        c = s[i]
        if c == "\\":
            m = re.match(r"\\[a-zA-Z]+|\\[{}]", s[i:])
            if not m:
                raise LatexError("unknown command at %d" % i)
            word = m.group(0)
            self.i += len(word)
            if word in _CMD_TOKENS:
                return (_CMD_TOKENS[word], word)
            if word[1:] in _FUNCS:
                return ("FUNC", word[1:])
            if word in _UNSUPPORTED:
                raise LatexError("%s is outside this reader" % word)
            return ("SYMBOL", word[1:])
        if c == "d":  # DIFFERENTIAL: 'd' then a letter or \command (longest match wins over LETTER)
            m = re.match(r"d[ \t\r\n]*?([a-zA-Z]|\\[a-zA-Z]+)", s[i:])
            if m:
                self.i += len(m.group(0))
                return ("SYMBOL", "d" + m.group(1).lstrip("\\"))
        if c.isascii() and c.isalpha():
            self.i += 1
            return ("LETTER", c)
        if c in "0123456789":
            self.i += 1
            return ("DIGIT", c)
        if c in _SINGLE:
            self.i += 1
            return (_SINGLE[c], c)
        raise LatexError("unexpected character %r" % c)

    def peek(self, k=0):
        while len(self.toks) <= k:
            self.toks.append(self._next())
        return self.toks[k]

    def take(self, kind=None):
        t = self.peek()
        if kind is not None and t[0] != kind:
            raise LatexError("expected %s, found %r" % (kind, t[1] or "end"))
        self.toks.pop(0)
        return t


_STARTS = {"LETTER", "SYMBOL", "DIGIT", "LPAREN", "LBRACKET", "LBRACE", "LBRACE_LIT", "BAR", "FRAC", "BINOM",
           "SQRT", "OVERLINE", "LFLOOR", "LCEIL", "FUNC"}


class _Reader(object):
    def __init__(self, text):
        self.lx = _Lexer(text)
        self.in_abs = 0  # inside |...| a bar closes the group instead of opening a new factor

    def relation(self):
        e = self.expr()
        if self.lx.peek()[0] == "REL":
            raise LatexError("relations are not answers")
        return e

    def expr(self):
        e = self.mp()
        while self.lx.peek()[0] in ("ADD", "SUB"):
            op = self.lx.take()[0]
            r = self.mp()
            e = e + r if op == "ADD" else e - r
        return e

    def mp(self, nofunc=False):
        e = self.unary(nofunc)
        while self.lx.peek()[0] in ("MUL", "DIV"):
            op = self.lx.take()[0]
            r = self.unary(nofunc)
            e = e * r if op == "MUL" else e / r
        return e

    def unary(self, nofunc=False):
        k = self.lx.peek()[0]
        if k in ("ADD", "SUB"):
            self.lx.take()
            v = self.unary(nofunc)
            return -v if k == "SUB" else v
        parts = [self.postfix(nofunc)]
        while self._starts_factor(nofunc):
            parts.append(self.postfix(nofunc))
        return _product(parts)

    def _starts_factor(self, nofunc):
        k = self.lx.peek()[0]
        return k in _STARTS and not (nofunc and k == "FUNC") and not (k == "BAR" and self.in_abs)

    def postfix(self, nofunc):
        e = self.power(nofunc)
        while self.lx.peek()[0] == "BANG":
            self.lx.take()
            e = sympy.factorial(e)
        return e

    def power(self, nofunc):
        e = self.comp(nofunc)
        while self.lx.peek()[0] == "CARET":
            self.lx.take()
            e = e ** self.script()
            if self.lx.peek()[0] == "UNDERSCORE":
                self.lx.take()
                self.script()
        return e

    def script(self):
        if self.lx.peek()[0] == "LBRACE":
            self.lx.take()
            v = self.expr()
            self.lx.take("RBRACE")
            return v
        return self.atom()

    def braced(self):
        self.lx.take("LBRACE")
        v = self.expr()
        self.lx.take("RBRACE")
        return v

    def comp(self, nofunc):
        k = self.lx.peek()[0]
        closing = {"LPAREN": "RPAREN", "LBRACKET": "RBRACKET", "LBRACE": "RBRACE", "LBRACE_LIT": "RBRACE_LIT",
                   "LFLOOR": "RFLOOR", "LCEIL": "RCEIL", "BAR": "BAR"}
        if k in closing:
            self.lx.take()
            self.in_abs += k == "BAR"
            v = self.expr()
            self.in_abs -= k == "BAR"
            self.lx.take(closing[k])
            return sympy.Abs(v) if k == "BAR" else sympy.floor(v) if k == "LFLOOR" else \
                sympy.ceiling(v) if k == "LCEIL" else v
        if not nofunc and k == "FUNC":
            return self.func()
        if not nofunc and k == "SQRT":
            self.lx.take()
            root = None
            if self.lx.peek()[0] == "LBRACKET":
                self.lx.take()
                root = self.expr()
                self.lx.take("RBRACKET")
            base = self.braced()
            return sympy.root(base, root) if root is not None else sympy.sqrt(base)
        if not nofunc and k == "OVERLINE":
            self.lx.take()
            return sympy.conjugate(self.braced())
        if not nofunc and k in ("LETTER", "SYMBOL") and self.lx.peek(1)[0] == "LPAREN":
            name = self.lx.take()[1]
            self.lx.take("LPAREN")
            args = [self.expr()]
            while self.lx.peek()[0] == "COMMA":
                self.lx.take()
                args.append(self.expr())
            self.lx.take("RPAREN")
            return sympy.Function(name)(*args)
        return self.atom()

    def atom(self):
        k, text = self.lx.peek()
        if k in ("LETTER", "SYMBOL"):
            self.lx.take()
            if text == "infty":
                return sympy.oo
            if self.lx.peek()[0] == "UNDERSCORE":
                self.lx.take()
                text += "_{%s}" % sympy.sstr(self.script())
            return sympy.Symbol(text)
        if k == "DIGIT":
            return self.number()
        if k in ("FRAC", "BINOM"):
            self.lx.take()
            a = self.lx.take()[1] if self.lx.peek()[0] == "DIGIT" and k == "FRAC" else None
            top = sympy.Number(a) if a is not None else self.braced()
            b = self.lx.take()[1] if self.lx.peek()[0] == "DIGIT" and k == "FRAC" else None
            bot = sympy.Number(b) if b is not None else self.braced()
            return sympy.binomial(top, bot) if k == "BINOM" else top / bot
        raise LatexError("expected a value, found %r" % (text or "end"))

    def number(self):
        digits = ""
        while self.lx.peek()[0] == "DIGIT":
            digits += self.lx.take()[1]
        while self.lx.peek()[0] == "COMMA" and all(self.lx.peek(j)[0] == "DIGIT" for j in (1, 2, 3)):
            self.lx.take()
            for _ in range(3):
                digits += self.lx.take()[1]
        if self.lx.peek()[0] == "DOT" and self.lx.peek(1)[0] == "DIGIT":
            self.lx.take()
            digits += "."
            while self.lx.peek()[0] == "DIGIT":
                digits += self.lx.take()[1]
        return sympy.Number(digits)

    def func(self):
        name = self.lx.take()[1]
        base = power = None
        for _ in range(2):
            if self.lx.peek()[0] == "UNDERSCORE" and base is None:
                self.lx.take()
                base = self.script()
            elif self.lx.peek()[0] == "CARET" and power is None:
                self.lx.take()
                power = self.script()
        if self.lx.peek()[0] == "LPAREN":
            self.lx.take()
            arg = self.expr()
            self.lx.take("RPAREN")
        else:
            arg = self.mp(nofunc=True)
        if name.startswith("arc"):
            name = "a" + name[3:]
        elif name in ("arsinh", "arcosh", "artanh"):
            name = "a" + name[2:]
        if name in ("log", "lg", "ln"):
            e = sympy.log(arg, base if base is not None else (10 if name == "lg" else sympy.E))
        elif name == "exp":
            e = sympy.exp(arg)
        elif power is not None and power == -1 and name in ("sin", "cos", "tan", "csc", "sec", "cot", "sinh",
                                                            "cosh", "tanh"):
            return getattr(sympy, "a" + name)(arg)
        else:
            e = getattr(sympy, name)(arg)
        return e ** power if power is not None else e


def _product(parts):
    """Implicit multiplication; an "x" between two constant factors means times (as sympy's reader does)."""
    out = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if 0 < i < len(parts) - 1 and p == sympy.Symbol("x") and not out[-1].free_symbols \
                and not parts[i + 1].free_symbols:
            i += 1
            continue
        out.append(p)
        i += 1
    v = out[0]
    for p in out[1:]:
        v = v * p
    return v


def read_latex(text):
    """A sympy expression for a LaTeX answer, or LatexError."""
    try:
        return _Reader(text).relation()
    except LatexError:
        raise
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, sympy.SympifyError) as e:
        raise LatexError("cannot build an expression: %s" % e)
