"""Where pytiktoklive sends its requests.

Real TikTok is the default. The built-in simulator hands out an
:class:`Endpoints` for itself (``Simulator.endpoints``), so switching between
the two is configuration, never code.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Endpoints", "TIKTOK"]


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """Base URLs of the services a client talks to (no trailing slash).

    * ``www`` — the web host: ``/@{user}``, ``/@{user}/live``, ``/api-live/user/room/``.
    * ``webcast`` — the WebCast API: ``/room/info/``, ``/room/check_alive/``,
      ``/gift/list/``, ``/diamond/``, ``/feed/``, ``/im/fetch/``.
    * ``signer`` — a sign server answering ``/webcast/sign_url`` (the shape of the
      public sign servers); ``""`` disables signing.

    The websocket URL is not configured: ``im/fetch`` returns it (``push_server``).
    """

    www: str = "https://www.tiktok.com"
    webcast: str = "https://webcast.tiktok.com/webcast"
    signer: str = "https://tiktok.eulerstream.com"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, getattr(self, field.name).rstrip("/"))


#: The real TikTok services.
TIKTOK = Endpoints()
