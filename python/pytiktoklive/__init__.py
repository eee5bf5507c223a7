"""pytiktoklive: TikTok LIVE events in real time, decoded by a Rust core.

    >>> import pytiktoklive
    >>> result = pytiktoklive.decode_frame(frame_bytes)   # doctest: +SKIP
    >>> [type(e).__name__ for e in result.events]          # doctest: +SKIP
    ['LikeEvent']
"""

from __future__ import annotations

from pytiktoklive import errors, events
from pytiktoklive.decoding import (
    FetchResult,
    backend,
    decode_fetch_result,
    decode_frame,
    decode_message,
)
from pytiktoklive.errors import *  # noqa: F403
from pytiktoklive.events import *  # noqa: F403

try:
    from pytiktoklive._core import __version__
except ImportError:  # pure-Python checkout
    __version__ = "0.0.0+pure"

__all__ = [
    "FetchResult",
    "__version__",
    "backend",
    "decode_fetch_result",
    "decode_frame",
    "decode_message",
    "errors",
    "events",
    *errors.__all__,
    *events.__all__,
]
