"""minerva_math's equivalence when sympy's own parse_latex cannot run: python/accuracy/latexreader.py read
after sympy's LaTeX grammar (LaTeX.g4 in sympy 1.11-1.14) and lm-eval's is_equiv (simplify(a - b) == 0,
any parse failure = not equal). Expectations derived by hand from that grammar and its conversion rules."""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))

try:
    import sympy  # noqa: F401
    HAVE_SYMPY = True
except ImportError:
    HAVE_SYMPY = False


@unittest.skipUnless(HAVE_SYMPY, "sympy is not installed for this interpreter")
class LatexEquivalenceTest(unittest.TestCase):
    def setUp(self):
        import mathequiv
        mathequiv.force_mode("sympy")
        self.addCleanup(setattr, mathequiv, "_MODE", None)
        self.eq = mathequiv.is_equiv

    def test_equal_values(self):
        pairs = [
            ("\\frac{1}{2}", "0.5"), ("\\frac12", "\\dfrac{1}{2}"), ("2\\sqrt{3}", "\\sqrt{12}"),
            ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"), ("2^{10}", "1024"), ("|-3|", "3"), ("\\binom{5}{2}", "10"),
            ("5!", "120"), ("\\log_{2}8", "3"), ("ab", "ba"), ("x^2+2x+1", "(x+1)^2"), ("\\sqrt[3]{27}", "3"),
            ("3x4", "12"),          # an "x" between two numbers is a times sign
            ("1 2", "12"),          # digits are single tokens: white space between them vanishes
            ("1,000", "1000"),      # a thousands comma needs three digits after it
            ("5)", "5"),            # what follows a complete expression is ignored
            ("-\\frac{2}{3}", "\\frac{-2}{3}"), ("2\\cdot3", "6"), ("6\\div 4", "\\frac{3}{2}"), ("\\lfloor 2.5\\rfloor", "2"),
        ]
        for a, b in pairs:
            self.assertTrue(self.eq(a, b), (a, b))

    def test_not_equal_or_not_readable(self):
        pairs = [
            ("\\pi", "3.14159"),          # \pi is a plain symbol in sympy's reader
            ("\\infty", "\\infty"),       # oo - oo is nan, never 0
            ("(2,5)", "(2,5)"),           # a comma inside a group fails to parse
            ("[2,5)", "[2,5)"),
            ("10%", "10"),                # "%" is no token: the reader fails right after "10"
            ("x(y+1)", "xy+x"),           # a letter before "(" is a function application
            ("x<3", "x<3"),               # relations cannot be subtracted
            ("\\frac{1}{3}", "0.33"),
            ("\\text{Evelyn}", "Evelyn"),  # \text is read as a symbol named "text"
            ("", "5"),
        ]
        for a, b in pairs:
            self.assertFalse(self.eq(a, b), (a, b))


if __name__ == "__main__":
    unittest.main()
