"""Keep secrets out of logs and error messages.

Session ids, cookies, ``msToken``, request signatures, API keys and proxy
passwords are replaced by ``[redacted]`` wherever they appear: in URLs, in
``name=value`` text, in JSON and in HTTP header lines. Every string that
reaches a log handler or an exception message goes through :func:`redact`.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Tuple

__all__ = ["REDACTED", "SECRET_NAMES", "redact", "redact_headers"]

REDACTED = "[redacted]"

#: Parameter, cookie, JSON-key and header names whose values are secrets (case-insensitive).
SECRET_NAMES: Tuple[str, ...] = (
    "sessionid",
    "session_id",
    "sessionid_ss",
    "sid_tt",
    "sid_guard",
    "sid_ucp_v1",
    "ssid_ucp_v1",
    "uid_tt",
    "uid_tt_ss",
    "odin_tt",
    "ttwid",
    "tt_csrf_token",
    "tt_chain_token",
    "passport_csrf_token",
    "mstoken",
    "x-bogus",
    "x-gnarly",
    "_signature",
    "signature",
    "apikey",
    "api_key",
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-set-tt-cookie",
    "x-cookie-header",
)

# Longest names first, so "sessionid_ss" is matched whole and not as "sessionid".
_NAMES = "|".join(re.escape(name) for name in sorted(SECRET_NAMES, key=len, reverse=True))

# A whole header line ("Cookie: a=b; c=d"): everything up to the end of the line is secret.
_HEADER_LINE = re.compile(
    r"(?im)^(\s*(?:cookie|set-cookie|x-set-tt-cookie|x-cookie-header|authorization|proxy-authorization|x-api-key)\s*:\s*)[^\r\n]+"
)
# "name": "value" or 'name': 'value' (JSON, Python reprs of dicts).
_QUOTED = re.compile(rf"""(?i)(["'](?:{_NAMES})["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""")
# name=value in query strings, cookie strings and free text.
_ASSIGNED = re.compile(rf"""(?i)(?<![\w-])((?:{_NAMES})=)[^&;,\s"'<>]+""")
# Credentials inside URLs: scheme://user:password@host
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")


def redact(text: str) -> str:
    """Return ``text`` with every secret value replaced by ``[redacted]``."""
    if not text:
        return text
    text = _HEADER_LINE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


_SECRET_HEADERS = frozenset(
    ("cookie", "set-cookie", "x-set-tt-cookie", "authorization", "proxy-authorization", "x-api-key")
)


def redact_headers(headers: Mapping[str, str] | Iterable[Tuple[str, str]]) -> dict[str, str]:
    """Return a copy of ``headers`` with secret header values replaced (names keep their case)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: REDACTED if name.lower() in _SECRET_HEADERS else redact(value) for name, value in items}
