"""Shared by the host-side jobs (accuracy, perf): talking to an OpenAI-compatible endpoint. Stdlib only."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpclient  # noqa: E402


def list_models(base_url, api_key=None, timeout=30.0, timeouts=None):
    """GET /v1/models once: fail fast with a clear message when nothing answers. Returns the model ids."""
    try:
        c = httpclient.Client(base_url, api_key, timeouts or httpclient.Timeouts(timeout, timeout))
    except ValueError as e:
        raise RuntimeError(str(e))
    try:
        r = c.request("GET", "/v1/models")
    except httpclient.RequestFailed as e:
        raise RuntimeError("no server answers at %s (%s)" % (base_url, e.message))
    finally:
        c.close()
    if r.status != 200:
        raise RuntimeError("%s/v1/models answered HTTP %d: %s" % (base_url, r.status, httpclient.error_text(r.body)))
    try:
        d = r.json()
        return [m.get("id") for m in d.get("data", []) if isinstance(m, dict) and isinstance(m.get("id"), str)]
    except (ValueError, AttributeError):
        return []


def choose_model(base_url, listed, wanted, log):
    """The model a job asks for: --model when given (a warning when the server lists others), else the first one
    the server lists. Returns None (after saying why) when there is none to choose: a usage error, exit 2."""
    if not wanted:
        if not listed:
            log("error: %s lists no model; give --model" % base_url)
            return None
        log("model: %s (the first one %s lists)" % (listed[0], base_url))
        return listed[0]
    if listed and wanted not in listed:
        log("warning: %s lists %s, not %s" % (base_url, ", ".join(listed), wanted))
    return wanted
