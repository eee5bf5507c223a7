"""Real TikTok LIVE data shipped with pytiktoklive: try the decoder without a LIVE at hand.

::

    import pytiktoklive
    from pytiktoklive.samples import SAMPLE_FRAME

    result = pytiktoklive.decode_frame(SAMPLE_FRAME.read_bytes())

:data:`SAMPLE_CAPTURES` is a compact, deduplicated sample of real captured WebCast data
(every message type of the captures, a few of each; the real ``PushFrame`` below; a real
``gift/list`` answer). The simulator's ``replay_user`` plays it when the full capture set is
not around. Origin (jwdeveloper/TikTokLiveJava, MIT) and contents: ``sample_captures/MANIFEST.md``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_CAPTURES", "SAMPLE_FRAME"]

#: The directory of the sample (the same layout as the full capture set).
SAMPLE_CAPTURES = Path(__file__).resolve().parent / "sample_captures"
#: A real WebCast ``PushFrame`` as it comes off the websocket (3,790 bytes): one
#: ``WebcastLikeMessage`` (15 likes, 14,470 in total) of 2023-08-15.
SAMPLE_FRAME = (
    SAMPLE_CAPTURES / "jwdeveloper_TikTokLiveJava" / "_repaired" / "WebcastWebsocketMessage.repaired.bin"
)
