"""Prompt assembly against prompts written by hand from lm-eval 0.4.12's definitions (task files, task.py
fewshot_context/build_qa_turn, samplers.py): doc_to_text, " " between question and answer, "\\n\\n" after each
shot, the MMLU description first, few-shot examples drawn with random.Random(1234) once per document in order
(default sampler) or the first n (first_n), and the chat forms."""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "accuracy"))

import prompts as P  # noqa: E402
import tasks as T  # noqa: E402

POOL = [{"question": "Q%d?" % i, "answer": "work %d\n#### %d" % (i, i)} for i in range(7)]
DOCS = [{"question": "Eval %d?" % i, "answer": "#### 0"} for i in range(3)]


class FewshotSamplingTest(unittest.TestCase):
    def test_gsm8k_two_shot_seed_1234_in_document_order(self):
        # random.Random(1234).sample(range(7), 2) three times in a row gives [6, 3], [0, 6], [0, 4]
        # (CPython's Mersenne Twister; the same on every platform).
        got = P.contexts("gsm8k", DOCS, POOL, 2, 1234, chat=False, multiturn=False)
        self.assertEqual(got[0], "Question: Q6?\nAnswer: work 6\n#### 6\n\n"
                                 "Question: Q3?\nAnswer: work 3\n#### 3\n\n"
                                 "Question: Eval 0?\nAnswer:")
        self.assertEqual(got[1], "Question: Q0?\nAnswer: work 0\n#### 0\n\n"
                                 "Question: Q6?\nAnswer: work 6\n#### 6\n\n"
                                 "Question: Eval 1?\nAnswer:")
        self.assertEqual(got[2], "Question: Q0?\nAnswer: work 0\n#### 0\n\n"
                                 "Question: Q4?\nAnswer: work 4\n#### 4\n\n"
                                 "Question: Eval 2?\nAnswer:")

    def test_another_seed_draws_other_examples_and_zero_shot_draws_none(self):
        self.assertNotEqual(P.contexts("gsm8k", DOCS, POOL, 2, 1235, False, False),
                            P.contexts("gsm8k", DOCS, POOL, 2, 1234, False, False))
        self.assertEqual(P.contexts("gsm8k", DOCS[:1], POOL, 0, 1234, False, False), ["Question: Eval 0?\nAnswer:"])

    def test_not_enough_examples_is_an_error(self):
        with self.assertRaises(P.FewshotError):
            P.contexts("gsm8k", DOCS, POOL[:3], 5, 1234, False, False)

    def test_mmlu_first_n_with_the_description(self):
        dev = [{"question": " Dev one? ", "choices": ["a", "b", "c", "d"], "target": "C"},
               {"question": "Dev two?", "choices": ["e", "f", "g", "h"], "target": "A"}]
        doc = {"question": "Which?", "choices": ["w", "x", "y", "z"], "target": "B"}
        got = P.contexts("mmlu", [doc], dev, 1, 1234, False, False, subject="college_physics")[0]
        self.assertEqual(got, "The following are multiple choice questions (with answers) about college physics.\n\n"
                              "Dev one?\nA. a\nB. b\nC. c\nD. d\nAnswer: C\n\n"
                              "Which?\nA. w\nB. x\nC. y\nD. z\nAnswer:")

    def test_minerva_four_fixed_examples(self):
        doc = {"problem": "What is $1+1$?"}
        got = P.contexts("minerva_math", [doc], T.minerva_fewshot(), 4, 1234, False, False)[0]
        self.assertTrue(got.startswith("Problem:\nFind the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}"
                                       "\n\nSolution: The expressions inside each square root"))
        self.assertEqual(got.count("Problem:\n"), 5)
        self.assertEqual(got.count("I hope it is correct.\n\n"), 4)
        self.assertTrue(got.endswith("I hope it is correct.\n\nProblem:\nWhat is $1+1$?\n\nSolution:"))

    def test_hendrycks_template(self):
        self.assertEqual(P.contexts("hendrycks_math", [{"problem": "P"}], [], 0, 1234, False, False)[0],
                         "Problem: P\nAnswer:")


class ChatFormTest(unittest.TestCase):
    def test_single_turn_keeps_the_text_and_puts_the_description_in_system(self):
        dev = [{"question": "D?", "choices": ["a", "b", "c", "d"], "target": "A"}]
        doc = {"question": "Q?", "choices": ["w", "x", "y", "z"], "target": "B"}
        got = P.contexts("mmlu_generative", [doc], dev, 1, 1234, True, False, subject="anatomy")[0]
        self.assertEqual(got, [
            {"role": "system", "content": "The following are multiple choice questions (with answers) about anatomy.\n\n"},
            {"role": "user", "content": "D?\nA. a\nB. b\nC. c\nD. d\nAnswer: A\n\nQ?\nA. w\nB. x\nC. y\nD. z\nAnswer:"},
        ])

    def test_multiturn_one_pair_per_shot(self):
        got = P.contexts("gsm8k", DOCS[:1], POOL, 2, 1234, True, True)[0]
        self.assertEqual(got, [
            {"role": "user", "content": "Question: Q6?\nAnswer:"},
            {"role": "assistant", "content": "work 6\n#### 6"},
            {"role": "user", "content": "Question: Q3?\nAnswer:"},
            {"role": "assistant", "content": "work 3\n#### 3"},
            {"role": "user", "content": "Question: Eval 0?\nAnswer:"},
        ])


class TaskNamesTest(unittest.TestCase):
    def test_names_alias_and_unknown(self):
        self.assertEqual(T.resolve("GSM8K"), ("gsm8k", None))
        t, note = T.resolve("math")
        self.assertEqual(t, "minerva_math")
        self.assertIn("minerva_math", note)
        with self.assertRaises(T.UnknownTask):
            T.resolve("ceval-valid")

    def test_defaults_from_the_task_files(self):
        self.assertEqual({k: v["num_fewshot"] for k, v in T.TASKS.items()},
                         {"gsm8k": 5, "mmlu": 0, "mmlu_generative": 0, "hendrycks_math": 0, "minerva_math": 4})
        self.assertEqual(T.mmlu_category("high_school_us_history"), "humanities")
        self.assertEqual(T.group_names("mmlu", "anatomy"), ("mmlu_anatomy", "mmlu_stem"))


if __name__ == "__main__":
    unittest.main()
