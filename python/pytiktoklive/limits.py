"""What one HTTP answer may cost: bytes, redirects, time on the event loop.

Every response is streamed and counted *after* decompression, so a small gzip body
that inflates to gigabytes stops at its limit like a huge plain one. The defaults are
far above anything TikTok or a sign server really sends (real profile pages are
0.2 to 1.5 MB, a gift list ~0.75 MB of JSON, an ``im/fetch`` body a few KB to a few
hundred KB, a sign-server answer under 2 KB) and far below what would hurt a process
tracking hundreds of rooms. Raise one with ``TikTok(limits=HTTPLimits(page_bytes=…))``.

The time a whole request may take (connect, headers, body and redirects together) is
the client's ``timeout``; see :class:`~pytiktoklive.TikTok`. The resource model of the
whole client is in DESIGN.md ("Resource model").
"""

from __future__ import annotations

import dataclasses

__all__ = ["DEFAULT_HTTP_LIMITS", "HTTPLimits"]

_KIB = 1024
_MIB = 1024 * _KIB


@dataclasses.dataclass(frozen=True)
class HTTPLimits:
    """Limits per HTTP answer. Exceeding a byte limit raises
    :class:`~pytiktoklive.errors.ResponseTooLargeError` (its ``kind`` is the field's name
    without ``_bytes``); nothing past the limit is read."""

    #: HTML pages (``/@user``, ``/@user/live``, the home page), decoded bytes.
    page_bytes: int = 8 * _MIB
    #: JSON answers (``room/info``, ``gift/list``, ``feed``, ``check_alive``, ``api-live``…), decoded bytes.
    json_bytes: int = 4 * _MIB
    #: Protobuf ``im/fetch`` bodies, decoded bytes (the decoder then caps what they inflate to).
    fetch_bytes: int = 16 * _MIB
    #: Sign-server answers, decoded bytes.
    signer_bytes: int = 1 * _MIB
    #: Redirects followed per request. Secrets never follow a redirect to another origin.
    max_redirects: int = 5
    #: Pages and JSON bodies larger than this are parsed in a worker thread, off the event loop.
    parse_in_thread_bytes: int = 256 * _KIB

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"HTTPLimits.{field.name} must be an int >= 0, not {value!r}")

    def bytes_for(self, kind: str) -> int:
        """The byte limit of ``kind`` (``"page"``, ``"json"``, ``"fetch"``, ``"signer"``)."""
        limit: int = getattr(self, f"{kind}_bytes")
        return limit


#: The limits a :class:`~pytiktoklive.TikTok` uses unless given others.
DEFAULT_HTTP_LIMITS = HTTPLimits()
