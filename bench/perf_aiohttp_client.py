"""A streaming benchmark client in the style of `vllm bench serve` (aiohttp, one session, every request at once,
the clock read when the coroutine gets to a chunk) — written here only to be measured side by side with the
bundled client against the same truth server. Needs python3-aiohttp (Debian); the bench skips it without.

    perf_aiohttp_client.py --url http://127.0.0.1:PORT --model m --n 4096 --input-len 16 --output-len 4 --out r.json
Writes {"ttft_s": [...], "latency_s": [...], "failed": n}.
"""
import argparse
import asyncio
import json
import random
import time

import aiohttp

WORDS = "time person year way day thing man world life hand part child eye woman place work week case point".split()


async def one(session, url, model, prompt, max_tokens, out):
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
            "stream_options": {"include_usage": True}, "ignore_eos": True}
    start = time.perf_counter()
    ttft = None
    try:
        async with session.post(url, json=body) as resp:
            if resp.status != 200:
                out["failed"] += 1
                return
            async for raw in resp.content:
                line = raw.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    continue
                obj = json.loads(data)
                choices = obj.get("choices") or []
                if choices and choices[0].get("text"):
                    if ttft is None:
                        ttft = time.perf_counter() - start
        out["ttft_s"].append(ttft)
        out["latency_s"].append(time.perf_counter() - start)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        out["failed"] += 1


async def main_async(a):
    rng = random.Random(a.seed)
    prompts = ["%d %s" % (i, " ".join(rng.choice(WORDS) for _ in range(a.input_len - 1))) for i in range(a.n)]
    out = {"ttft_s": [], "latency_s": [], "failed": 0}
    conn = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=6 * 3600)) as s:
        await asyncio.gather(*[one(s, a.url + "/v1/completions", a.model, p, a.output_len, out) for p in prompts])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--input-len", type=int, default=16)
    ap.add_argument("--output-len", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = asyncio.run(main_async(a))
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
