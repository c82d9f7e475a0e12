"""The accuracy job's OpenAI-compatible client (non-streaming, one connection per worker thread; stdlib only).

Requests are shaped as lm-eval's local-completions / local-chat-completions send them (lm_eval 0.4.12,
lm_eval/models/openai_completions.py): temperature 0, seed 1234, max_tokens, stop = the task's `until`
(chat: its first four).

Log-likelihood (loglikelihood()): like local-completions, one completions request with the prompt
context + continuation, echo=true, logprobs=1, max_tokens=1; the continuation's score is the sum of the
returned token_logprobs over its tokens. lm-eval knows where the continuation starts because it tokenizes
context and continuation itself; without the model's tokenizer we send text and take the last prompt tokens
whose text makes up the continuation (for " A".." D" after "Answer:" that is the same split; a token that
straddles the boundary is counted with the continuation and reported).
"""
from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # python/: httpclient

import httpclient  # noqa: E402

REQUEST_SEED = 1234


class RequestError(RuntimeError):
    """A request that failed. `capability` is set when the server cannot do what the protocol needs."""

    def __init__(self, message, status=None, capability=False):
        RuntimeError.__init__(self, message)
        self.status = status
        self.capability = capability


class Endpoint(object):
    """Requests over python/httpclient.py: persistent connections shared by the worker threads, a kept-alive
    connection the server closed replaced without losing the item; Timeouts (--request-timeout,
    --stall-timeout) bound each request. HTTP 5xx/429 and connections cut before an answer are retried
    (scoring the same item twice changes nothing); a stall or a timeout is not (it would multiply the wait)."""

    def __init__(self, base_url, model, chat, api_key=None, timeouts=None, retries=3, score_reasoning=False):
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https"):
            raise ValueError("--base-url must be http(s)://HOST:PORT[/v1], got %r" % base_url)
        self.client = httpclient.Client(base_url, api_key, timeouts or httpclient.Timeouts())
        self.model = model
        self.chat = chat
        self.retries = retries
        self.score_reasoning = score_reasoning
        self.simulated = False

    def _post(self, path, body):
        """The parsed JSON answer of a POST."""
        last = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** attempt))
            try:
                r = self.client.request("POST", path, body=body)
            except httpclient.RequestFailed as e:
                last = e.message
                if e.kind in (httpclient.FAIL_STALLED, httpclient.FAIL_TIMEOUT):
                    raise RequestError(last)
                continue
            if r.headers.get("x-ascend-adapt-simulated") == "1":
                self.simulated = True
            if r.status != 200:
                text = httpclient.error_text(r.body)
                last = "HTTP %d: %s" % (r.status, text)
                if r.status in (405, 501) or (r.status == 404 and "model" not in text.lower()):
                    raise RequestError(last, r.status, capability=True)  # no such API on this server
                if r.status < 500 and r.status != 429:
                    raise RequestError(last, r.status)  # a bad request will not get better
                continue
            try:
                obj = r.json()
            except ValueError as e:
                last = "ValueError: %s" % e
                continue
            if isinstance(obj, dict) and obj.get("simulated") is True:
                self.simulated = True
            ch = obj.get("choices") if isinstance(obj, dict) else None
            if not isinstance(ch, list) or not ch or not all(isinstance(x, dict) for x in ch):
                last = "answer without choices"
                continue
            return obj
        raise RequestError(last or "request failed")

    def complete(self, prompt_or_messages, max_tokens, stop):
        """(text, finish_reason, usage, from_reasoning). An empty chat answer stays empty (lm-eval scores ""),
        unless score_reasoning: then reasoning_content is scored and the item says so."""
        body = {"model": self.model, "max_tokens": max_tokens, "temperature": 0.0, "seed": REQUEST_SEED}
        if self.chat:
            body["messages"] = prompt_or_messages
            if stop:
                body["stop"] = stop[:4]
            obj = self._post("/v1/chat/completions", body)
        else:
            body["prompt"] = prompt_or_messages
            if stop:
                body["stop"] = stop
            obj = self._post("/v1/completions", body)
        ch = obj["choices"][0]
        from_reasoning = False
        if self.chat:
            msg = ch.get("message") or {}
            text = msg.get("content")
            if not text and self.score_reasoning and isinstance(msg.get("reasoning_content"), str):
                text, from_reasoning = msg["reasoning_content"], True
            text = text if isinstance(text, str) else ""
        else:
            text = ch.get("text") if isinstance(ch.get("text"), str) else ""
        return text, ch.get("finish_reason"), obj.get("usage"), from_reasoning

    def loglikelihood(self, context, continuations):
        """[(sum of logprobs, tokens, straddled)] for each continuation after the same context."""
        prompts = [context + c for c in continuations]
        body = {"model": self.model, "prompt": prompts, "temperature": 0, "max_tokens": 1, "logprobs": 1,
                "seed": REQUEST_SEED, "echo": True}
        obj = self._post("/v1/completions", body)
        choices = sorted(obj["choices"], key=lambda c: c.get("index", 0))
        if len(choices) != len(prompts):
            raise RequestError("asked for %d prompts, got %d choices" % (len(prompts), len(choices)))
        return [continuation_logprob(ch, p, c) for ch, p, c in zip(choices, prompts, continuations)]


def continuation_logprob(choice, prompt, continuation):
    lp = choice.get("logprobs")
    toks = lp.get("tokens") if isinstance(lp, dict) else None
    vals = lp.get("token_logprobs") if isinstance(lp, dict) else None
    if not isinstance(toks, list) or not isinstance(vals, list) or len(toks) != len(vals) or not toks:
        raise RequestError("the server returned no prompt log-probabilities (echo=true, logprobs=1): it cannot "
                           "score log-likelihood tasks", capability=True)
    text = choice.get("text") if isinstance(choice.get("text"), str) else ""
    generated = len(text) - len(prompt) if text.startswith(prompt) else 1
    n_prompt = len(toks) - (1 if generated else 0)  # lm-eval drops the generated token ([ctxlen:-1])
    total, n, covered = 0.0, 0, 0
    for i in range(n_prompt - 1, -1, -1):
        if covered >= len(continuation):
            break
        v = vals[i]
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise RequestError("no log-probability for prompt token %d" % i, capability=True)
        total += float(v)
        n += 1
        covered += len(toks[i]) if isinstance(toks[i], str) else 0
    if n == 0 or covered < len(continuation):
        raise RequestError("could not find the continuation %r among the echoed prompt tokens" % continuation)
    return total, n, covered > len(continuation)
