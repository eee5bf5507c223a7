"""A sign server in the shape of the public ones (research §3.4, §5.10).

* ``GET /webcast/sign_url?url=<webcast URL>&client=…&uuc=…`` → JSON
  ``{"signedUrl", "User-Agent", "msToken", "_signature", "X-Bogus",
  "browserName", "browserVersion"}``: the URL with ``msToken``, ``X-Bogus``
  and ``_signature`` appended (deterministic fakes; the simulator's
  ``im/fetch`` recognises them). A missing or foreign ``url`` gets 400 with
  ``{"error": …}``.
* ``GET /webcast/fetch?room_id=…&client=…`` (the newer Euler shape) → the
  room's first fetch result as protobuf, with TikTok's cookies in
  ``X-Set-TT-Cookie`` and ``X-Room-Id``/``X-Request-Id``/``X-Agent-Id``.

Rate limits are the generic HTTP faults (``sim.faults.fail("sign", 429, …)``),
answered with the sign servers' 429 JSON (``{"message", "limit_label"}``).
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from typing import Any, Dict, Optional

__all__ = ["SIGNER_USER_AGENT", "is_signed", "rate_limit_body", "sign_answer", "tokens_for"]

#: The browser the simulated sign server signs for (a client must present it with the signed URL).
SIGNER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36"
)


def _digest(text: str, size: int) -> str:
    raw = hashlib.sha256(text.encode("utf-8")).digest()
    while len(raw) * 4 // 3 < size:
        raw += hashlib.sha256(raw).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").replace("=", "")[:size]


def tokens_for(url: str) -> Dict[str, str]:
    """The signature parameters for ``url``: ``msToken``, ``X-Bogus``, ``_signature``."""
    return {
        "msToken": _digest("msToken:" + url, 107),
        "X-Bogus": "DFSz" + _digest("X-Bogus:" + url, 24),
        "_signature": "_02B4Z6wo00001" + _digest("_signature:" + url, 40),
    }


def is_signed(query: Dict[str, str]) -> bool:
    """The request carries the signature parameters."""
    return bool(query.get("X-Bogus")) and bool(query.get("_signature"))


def sign_answer(url: str, webcast_base: str) -> tuple[int, Dict[str, Any]]:
    """``(status, JSON)`` for a ``sign_url`` request."""
    if not url:
        return 400, {"error": "missing url parameter"}
    if not url.startswith(webcast_base + "/"):
        return 400, {"error": f"this sign server only signs {webcast_base} URLs"}
    tokens = tokens_for(url)
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    signed = url + separator + urllib.parse.urlencode(tokens)
    return 200, {
        "signedUrl": signed,
        "User-Agent": SIGNER_USER_AGENT,
        "browserName": "Mozilla",
        "browserVersion": SIGNER_USER_AGENT.partition("/")[2],
        **tokens,
    }


def rate_limit_body(retry_after: Optional[float]) -> Dict[str, Any]:
    seconds = f"{retry_after:g}" if retry_after is not None else "a few"
    return {
        "message": f"Too many connections started, try again in {seconds} seconds",
        "limit_label": "rate_limit_ip_minute",
    }
