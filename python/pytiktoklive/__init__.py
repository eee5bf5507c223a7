"""pytiktoklive: TikTok LIVE events in real time, decoded by a Rust core.

Decode bytes with :func:`decode_frame` (a websocket ``PushFrame``) or
:func:`decode_fetch_result` (an ``im/fetch`` body); follow a LIVE with
:class:`TikTok` (``await TikTok().track_user("someone")``). Every event type is in
:mod:`pytiktoklive.events`, every error in :mod:`pytiktoklive.errors`.
"""

from __future__ import annotations

from pytiktoklive import errors, events, models
from pytiktoklive._retry import ReconnectPolicy
from pytiktoklive._signing import SignedURL, SignServer
from pytiktoklive.client import TikTok
from pytiktoklive.config import TIKTOK, Endpoints
from pytiktoklive.decoding import (
    FetchResult,
    backend,
    decode_fetch_result,
    decode_frame,
    decode_message,
)
from pytiktoklive.errors import *  # noqa: F403
from pytiktoklive.events import *  # noqa: F403
from pytiktoklive.feed import Feed
from pytiktoklive.group import LiveGroup
from pytiktoklive.limits import HTTPLimits
from pytiktoklive.live import Live
from pytiktoklive.models import (
    Gift,
    GiftInfo,
    LiveStream,
    PriceItem,
    PriceList,
    RoomInfo,
    RoomOwner,
    StreamURLs,
    UserInfo,
)
from pytiktoklive.recording import Recording, RecordingProgress
from pytiktoklive.streaks import GiftStreak, GiftStreaks

try:
    from pytiktoklive._core import __version__
except ImportError:  # pure-Python checkout
    __version__ = "0.0.0+pure"

__all__ = [
    "TIKTOK",
    "Endpoints",
    "Feed",
    "FetchResult",
    "Gift",
    "GiftInfo",
    "GiftStreak",
    "GiftStreaks",
    "HTTPLimits",
    "Live",
    "LiveGroup",
    "LiveStream",
    "PriceItem",
    "PriceList",
    "ReconnectPolicy",
    "Recording",
    "RecordingProgress",
    "RoomInfo",
    "RoomOwner",
    "SignServer",
    "SignedURL",
    "StreamURLs",
    "TikTok",
    "UserInfo",
    "__version__",
    "backend",
    "decode_fetch_result",
    "decode_frame",
    "decode_message",
    "errors",
    "events",
    "models",
    *errors.__all__,
    *events.__all__,
]
