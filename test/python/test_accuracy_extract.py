"""Answer extraction on hand-written model outputs (python/accuracy/extract.py), malformed ones included."""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))

import extract as x  # noqa: E402

GOLD = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nIn total 48+24 = <<48+24=72>>72 clips.\n#### 72"


class Gsm8kTest(unittest.TestCase):
    def test_strict_takes_the_first_hash_answer(self):
        self.assertEqual(x.gsm8k_strict("so 5 + 3\n#### 8\n#### 9"), "8")
        self.assertEqual(x.gsm8k_strict("#### 1,200"), "1,200")
        self.assertEqual(x.gsm8k_strict("#### -7"), "-7")

    def test_strict_needs_the_marker_and_a_number_right_after(self):
        for bad in ["The answer is 72.", "####72", "#### $72", "#### seventy-two", "", "####"]:
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
        self.assertFalse(x.gsm8k_match("72.0", GOLD))        # no numeric equivalence, as lm-eval
        self.assertFalse(x.gsm8k_match("27", GOLD))
        self.assertFalse(x.gsm8k_match(x.INVALID, GOLD))
        self.assertEqual(x.gsm8k_target(GOLD), "72")

    def test_whole_outputs(self):
        out = "Let's think.\n48 / 2 = 24 in May, 48 + 24 = 72.\n#### 72"
        self.assertTrue(x.gsm8k_match(x.gsm8k_strict(out), GOLD))
        self.assertTrue(x.gsm8k_match(x.gsm8k_flexible(out), GOLD))
        rambling = "The answer is 72 clips. (Checked with 3 methods.)"
        self.assertFalse(x.gsm8k_match(x.gsm8k_strict(rambling), GOLD))
        self.assertFalse(x.gsm8k_match(x.gsm8k_flexible(rambling), GOLD))  # last number is 3


class MmluTest(unittest.TestCase):
    def test_letter_forms(self):
        cases = {"B": "B", " (c) ": "C", "D.": "D", "Answer: A": "A", "The answer is (B).": "B",
                 "answer is C": "C", "Option D": "D", "B\nBecause the others are wrong": "B"}
        for out, want in cases.items():
            self.assertEqual(x.mmlu_letter(out), want, out)

    def test_malformed(self):
        for bad in ["", "E", "I think A or B", "Mercury is closest", "\nB", "The answer is A because B"]:
            self.assertEqual(x.mmlu_letter(bad), x.INVALID, bad)

    def test_targets(self):
        self.assertEqual(x.mmlu_target(2), "C")
        self.assertEqual(x.mmlu_target("b"), "B")
        self.assertEqual(x.mmlu_target("(D)"), "D")
        for bad in [4, "E", True, None]:
            with self.assertRaises(ValueError):
                x.mmlu_target(bad)


class MathTest(unittest.TestCase):
    def test_last_boxed_with_nested_braces(self):
        self.assertEqual(x.math_extract("first \\boxed{1} then \\boxed{\\frac{1}{2}}"), "\\frac{1}{2}")
        self.assertEqual(x.math_extract("\\fbox{7}"), "7")
        self.assertEqual(x.math_extract("so $\\boxed 5$"), "5")

    def test_fallbacks(self):
        self.assertEqual(x.math_extract("The answer is $x = 3$."), "x = 3")
        self.assertEqual(x.math_extract("just 12"), "just 12")
        self.assertEqual(x.math_extract("unclosed \\boxed{12"), "unclosed \\boxed{12")
        self.assertEqual(x.math_extract(""), x.INVALID)

    def test_normalisation(self):
        same = [("\\dfrac{1}{2}", "\\frac{1}{2}"), ("\\frac12", "\\frac{1}{2}"), ("1/2", "\\frac{1}{2}"),
                ("0.5", "\\frac{1}{2}"), ("120^\\circ", "120"), ("120^{\\circ}", "120"), ("\\$5", "5"),
                ("50\\%", "50"), ("\\left( 1, 2 \\right)", "(1,2)"), ("x = 5", "5"), (".5", "0.5"),
                ("5\\sqrt2", "5\\sqrt{2}"), ("10\\text{ cm}", "10"), ("\\tfrac{3}{4}", "\\frac{3}{4}")]
        for a, b in same:
            self.assertTrue(x.math_match(a, b), (a, b))
        for a, b in [("\\frac{1}{3}", "\\frac{1}{2}"), ("2\\sqrt{2}", "5\\sqrt{2}"), (x.INVALID, "3"), ("7", "8")]:
            self.assertFalse(x.math_match(a, b), (a, b))

    def test_target_from_solution_or_answer(self):
        self.assertEqual(x.math_target("so $\\boxed{\\frac{7}{8}}$."), "\\frac{7}{8}")
        self.assertEqual(x.math_target("no box", "3"), "3")
        with self.assertRaises(ValueError):
            x.math_target("no box at all")


if __name__ == "__main__":
    unittest.main()
