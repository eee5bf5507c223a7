"""The generated schema classes, or a clear error where they cannot load.

The simulator encodes every frame it sends with the betterproto2 classes
generated from ``proto/webcast``; betterproto2 needs Python >= 3.10.
"""

from __future__ import annotations

from typing import Any

try:
    from pytiktoklive._proto import webcast as _webcast
except ImportError as exc:  # pragma: no cover - Python 3.9, or betterproto2 not installed
    raise ImportError(
        f"pytiktoklive.simulator needs betterproto2 (Python >= 3.10) to encode WebCast frames: {exc}"
    ) from exc

__all__ = ["pb"]

#: The schema module (``pb.PushFrame``, ``pb.FetchResult``, ``pb.ChatMessage``…).
pb: Any = _webcast
