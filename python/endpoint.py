"""Shared by the host-side jobs (accuracy, perf): talking to an OpenAI-compatible endpoint. Stdlib only."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit


def list_models(base_url, api_key=None, timeout=30.0):
    """GET /v1/models once: fail fast with a clear message when nothing answers. Returns the model ids."""
    u = urlsplit(base_url)
    prefix = u.path.rstrip("/")
    if prefix.endswith("/v1"):
        prefix = prefix[:-3]
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    try:
        c = cls(u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "https" else 80), timeout=timeout)
        c.request("GET", prefix + "/v1/models", headers={"Authorization": "Bearer " + api_key} if api_key else {})
        r = c.getresponse()
        body = r.read()
        c.close()
    except (OSError, http.client.HTTPException) as e:
        raise RuntimeError("no server answers at %s (%s)" % (base_url, e))
    if r.status != 200:
        raise RuntimeError("%s/v1/models answered HTTP %d" % (base_url, r.status))
    try:
        d = json.loads(body.decode("utf-8"))
        return [m.get("id") for m in d.get("data", []) if isinstance(m, dict) and isinstance(m.get("id"), str)]
    except (ValueError, AttributeError):
        return []
