"""Per-item extraction and scoring against expectations derived by hand from lm-eval 0.4.12's task definitions
(gsm8k.yaml; mmlu/generative/_default_template_yaml; hendrycks_math/utils.py; minerva_math/utils.py), both
accepted and rejected outputs for every filter. The expected verdicts were worked out on paper from those
definitions, not by running our code."""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))

import extract as x  # noqa: E402
import mathequiv  # noqa: E402
import mathnorm as m  # noqa: E402
import score  # noqa: E402

GOLD = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nIn total 48+24 = <<48+24=72>>72 clips.\n#### 72"


def sympy_available():
    try:
        import sympy  # noqa: F401
        return True
    except ImportError:
        return False


class Gsm8kTest(unittest.TestCase):
    def test_strict_takes_the_first_hash_answer(self):
        self.assertEqual(x.gsm8k_strict("so 5 + 3\n#### 8\n#### 9"), "8")
        self.assertEqual(x.gsm8k_strict("#### 1,200"), "1,200")
        self.assertEqual(x.gsm8k_strict("#### -7"), "-7")

    def test_strict_needs_the_marker_and_a_number_right_after(self):
        for bad in ["The answer is 72.", "####72", "#### $72", "#### seventy-two", "", "####", None]:
            self.assertEqual(x.gsm8k_strict(bad), x.INVALID, bad)

    def test_flexible_takes_the_last_number(self):
        self.assertEqual(x.gsm8k_flexible("First 12 then 30, the answer is 42."), "42.")
        self.assertEqual(x.gsm8k_flexible("It costs $1,250 in total"), "$1,250")
        self.assertEqual(x.gsm8k_flexible("a 7"), "7")
        self.assertEqual(x.gsm8k_flexible("no digits at all"), x.INVALID)
        self.assertEqual(x.gsm8k_flexible(""), x.INVALID)

    def test_matching_normalises_like_lm_eval(self):
        self.assertTrue(x.gsm8k_match("72", GOLD))
        self.assertTrue(x.gsm8k_match("72.", GOLD))          # trailing period ignored
        self.assertTrue(x.gsm8k_match("$72", GOLD))          # dollar ignored
        self.assertTrue(x.gsm8k_match("1,200", "... #### 1200"))  # comma ignored
        self.assertFalse(x.gsm8k_match("72.0", GOLD))        # no numeric equivalence
        self.assertFalse(x.gsm8k_match("27", GOLD))
        self.assertFalse(x.gsm8k_match(x.INVALID, GOLD))
        self.assertEqual(x.gsm8k_target(GOLD), "72")

    def test_whole_outputs_both_filters(self):
        cases = [  # (output, strict-match counts, flexible-extract counts)
            ("Let's think.\n48 / 2 = 24 in May, 48 + 24 = 72.\n#### 72", True, True),
            ("The answer is 72 clips. (Checked with 3 methods.)", False, False),   # last number is 3
            ("So she sold 72 clips.", False, True),
            ("#### 72\nQuestion: next one has 5", True, False),                   # flexible takes the last
            ("#### 72.00", False, False),
            ("The total is $72.", False, True),
            ("#### 7,2", True, True),                                             # commas are ignored
        ]
        for out, strict, flex in cases:
            _, c = score.score_generation("gsm8k", out, {"answer": GOLD})
            self.assertEqual((c["exact_match,strict-match"], c["exact_match,flexible-extract"]), (strict, flex), out)


class MmluGenerativeTest(unittest.TestCase):
    def verdict(self, out, letter="B"):
        return score.score_generation("mmlu_generative", out, {"target": letter})[1]["exact_match,get_response"]

    def test_accepted(self):
        for out in ["B", " B", "b", "(B)", "B.", "__B__", "**B**", "B)", "B\nBecause Mercury is closest", "  (b)  "]:
            self.assertTrue(self.verdict(out), out)

    def test_rejected(self):
        for out in ["Answer: B", "The answer is (B).", "Option B", "B\u3002", "B: Mercury", "BB", "", "\nB", "C",
                    None]:
            self.assertFalse(self.verdict(out), out)

    def test_filter_keeps_the_first_line_stripped(self):
        self.assertEqual(x.mmlu_generative_response("  C. Mars \nmore"), "C. Mars")
        self.assertEqual(x.mmlu_generative_response("\nB"), "")


class HendrycksMathTest(unittest.TestCase):
    def verdict(self, out, solution):
        item = {"answer": m.solution_answer(solution)}
        return score.score_generation("hendrycks_math", out, item)[1]["exact_match,none"]

    def test_targets_come_from_the_last_box_of_the_solution(self):
        self.assertEqual(m.solution_answer("so $x=\\boxed{5}$ and \\boxed{\\frac{1}{2}}"), "\\frac{1}{2}")
        self.assertEqual(m.solution_answer("hence \\boxed 7$ done"), "7")
        with self.assertRaises(m.BoxError):
            m.solution_answer("only \\fbox{3}")
        with self.assertRaises(m.BoxError):
            m.solution_answer("no box")

    def test_accepted(self):
        cases = [
            ("The answer is $\\frac{1}{2}$", "\\boxed{\\frac{1}{2}}"),
            ("5", "\\boxed{5}"),
            ("It is $5\\%$.", "\\boxed{5}"),               # escaped percent is removed
            ("x = 5", "\\boxed{5}"),                       # "x " is at most two characters
            ("0.5", "\\boxed{\\frac{1}{2}}"),
            (".5", "\\boxed{\\frac12}"),
            ("1/2", "\\boxed{\\frac{1}{2}}"),
            ("$10\\text{ cm}$", "\\boxed{10}"),
            ("$\\dfrac{3}{4}$", "\\boxed{\\frac34}"),
            ("$90^\\circ$", "\\boxed{90}"),
            ("$\\left(3, 4\\right)$", "\\boxed{(3,4)}"),
            ("$\\sqrt3$", "\\boxed{\\sqrt{3}}"),
            ("a/b", "\\boxed{a/b}"),                       # normaliser raises on both: raw strings equal
        ]
        for out, sol in cases:
            self.assertTrue(self.verdict(out, sol), out)

    def test_rejected(self):
        cases = [
            ("\\boxed{5}", "\\boxed{5}"),                  # model output is never unboxed
            ("So it is $\\boxed{5}$.", "\\boxed{5}"),
            ("\\fbox{5}", "\\boxed{5}"),
            ("5%", "\\boxed{5}"),                          # a bare percent stays
            ("$5", "\\boxed{5}"),                          # one dollar: the whole text, "$" stays
            ("xy = 3", "\\boxed{3}"),                      # "xy " has three characters
            ("a/b", "\\boxed{\\frac{a}{b}}"),              # raises: raw strings differ
            ("$5$ and then $6$", "\\boxed{5}"),            # between the first and the last "$"
            ("Final Answer: The final answer is $6$. I hope it is correct.", "\\boxed{5}"),
            ("", "\\boxed{5}"),
        ]
        for out, sol in cases:
            self.assertFalse(self.verdict(out, sol), out)


@unittest.skipUnless(sympy_available(), "sympy is not installed for this interpreter")
class MinervaMathTest(unittest.TestCase):
    def setUp(self):
        mathequiv.force_mode("sympy")
        self.addCleanup(setattr, mathequiv, "_MODE", None)

    def verdict(self, out, solution):
        ans = m.solution_answer(solution)
        item = {"minerva_answer": m.normalize_final_answer(ans)}
        return score.score_generation("minerva_math", out, item)[1]["exact_match,none"]

    def fa(self, s):
        return "Work.\nFinal Answer: The final answer is %s. I hope it is correct." % s

    def test_accepted(self):
        cases = [
            (self.fa("$\\frac{1}{2}$"), "\\boxed{\\frac{1}{2}}"),
            (self.fa("$0.5$"), "\\boxed{\\frac{1}{2}}"),              # sympy: equal values
            (self.fa("5"), "\\boxed{5}"),
            (self.fa("$x = 5$"), "\\boxed{5}"),                       # the part after the last "="
            (self.fa("$10$ cm"), "\\boxed{10}"),                      # units removed
            (self.fa("$1,000$"), "\\boxed{1000}"),
            (self.fa("$\\text{Evelyn}$"), "\\boxed{\\text{Evelyn}}"),
            (self.fa("$\\frac{\\sqrt{3}}{2}$"), "\\boxed{\\frac{\\sqrt3}{2}}"),
            (self.fa("$\\dfrac{7}{8}$"), "\\boxed{\\frac{7}{8}}"),
            (self.fa("$2(x+1)$"), "\\boxed{2x+2}"),
            (self.fa("$120^\\circ$"), "\\boxed{120^{\\circ}}"),
            ("Final Answer: The final answer is $5$ I hope it is correct.", "\\boxed{5}"),  # "." matches any char
        ]
        for out, sol in cases:
            self.assertTrue(self.verdict(out, sol), out)

    def test_rejected(self):
        cases = [
            ("The answer is \\boxed{5}.", "\\boxed{5}"),                       # no "Final Answer" sentence
            ("Final Answer: The final answer is $5$.", "\\boxed{5}"),         # no " I hope it is correct."
            ("final answer: the final answer is 5. I hope it is correct.", "\\boxed{5}"),
            ("Final Answer: The final answer is\n$5$. I hope it is correct.", "\\boxed{5}"),
            (self.fa("$[2,5)$"), "\\boxed{[2,5)}"),                           # sympy cannot read an interval
            (self.fa("$(3,4)$"), "\\boxed{(3,4)}"),
            (self.fa("$6$"), "\\boxed{5}"),
            (self.fa("$\\frac{1}{3}$"), "\\boxed{0.33}"),
            (self.fa("$x^2$"), "\\boxed{x^3}"),
        ]
        for out, sol in cases:
            self.assertFalse(self.verdict(out, sol), out)

    def test_string_mode_compares_normalised_text(self):
        mathequiv.force_mode("string")
        self.assertTrue(self.verdict(self.fa("$[2,5)$"), "\\boxed{[2,5)}"))
        self.assertFalse(self.verdict(self.fa("$0.5$"), "\\boxed{\\frac{1}{2}}"))
        self.assertTrue(self.verdict(self.fa("$\\frac12$"), "\\boxed{\\frac{1}{2}}"))  # \frac12 → \frac{1}{2}
        self.assertFalse(self.verdict(self.fa("$\\dfrac12$"), "\\boxed{\\frac{1}{2}}"))  # \dfrac is not mapped


class MinervaNormaliseTest(unittest.TestCase):
    def test_normalize_final_answer(self):
        cases = {
            "$\\frac12$": "\\frac{1}{2}", "\\sqrt2": "\\sqrt{2}", "x = 3": "3", "5 \\text{ units}": "5",
            "\\textbf{(A)}": "(A)", "$\\boxed{7}$": "7", "10,000": "10000", "1,2": "12", "1,a": "1,a", "3.$": "3",
            "an apple": "apple", "a pear": "pear", "\\$12": "12", "45^\\circ": "45",
        }
        for raw, want in cases.items():
            self.assertEqual(m.normalize_final_answer(raw), want, raw)

    def test_unnormalized_answer(self):
        self.assertEqual(m.minerva_unnormalized("Final Answer: The final answer is $3$. I hope it is correct."), "$3$")
        self.assertEqual(m.minerva_unnormalized("nothing"), m.MINERVA_INVALID)
        self.assertEqual(m.minerva_unnormalized(None), m.MINERVA_INVALID)


if __name__ == "__main__":
    unittest.main()
