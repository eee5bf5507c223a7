"""Where pytiktoklive sends its requests.

Real TikTok is the default. The built-in simulator hands out an
:class:`Endpoints` for itself (``Simulator.endpoints``), so switching between
the two is configuration, never code.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Mapping, Optional

__all__ = ["TIKTOK", "Endpoints"]


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """Base URLs of the services a client talks to (no trailing slash).

    * ``www`` — the web host: ``/@{user}``, ``/@{user}/live``, ``/api-live/user/room/``.
    * ``webcast`` — the WebCast API: ``/room/info/``, ``/room/check_alive/``,
      ``/gift/list/``, ``/diamond/``, ``/feed/``, ``/im/fetch/``.
    * ``signer`` — a sign server: Euler Stream's API by default, which makes the first
      ``im/fetch`` itself (``/webcast/fetch``, see :mod:`pytiktoklive._signing`); ``""``
      disables signing.

    The websocket URL is not configured: ``im/fetch`` returns it (``push_server``).
    """

    www: str = "https://www.tiktok.com"
    webcast: str = "https://webcast.tiktok.com/webcast"
    signer: str = "https://api.eulerstream.com"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, getattr(self, field.name).rstrip("/"))

    @classmethod
    def at(cls, base_url: str) -> Endpoints:
        """Every service on one host laid out like the simulator: ``base``, ``base/webcast``,
        ``base/signer`` (e.g. ``Endpoints.at("http://127.0.0.1:8080")`` for ``pytiktoklive simulate``)."""
        base = base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"an endpoint must be an http(s) URL, not {base_url!r}")
        return cls(www=base, webcast=f"{base}/webcast", signer=f"{base}/signer")

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> Endpoints:
        """Real TikTok, unless the environment says otherwise.

        * ``PYTIKTOKLIVE_ENDPOINT`` — one host serving everything (:meth:`at`), e.g. a
          simulator started with ``pytiktoklive simulate``;
        * ``PYTIKTOKLIVE_WWW``, ``PYTIKTOKLIVE_WEBCAST`` — override one service each;
        * ``SIGN_API_URL`` — the sign server (the variable TikTokLive reads; ``""`` disables signing).
        """
        env = os.environ if environ is None else environ
        base = cls.at(env["PYTIKTOKLIVE_ENDPOINT"]) if env.get("PYTIKTOKLIVE_ENDPOINT") else cls()
        return dataclasses.replace(
            base,
            www=env.get("PYTIKTOKLIVE_WWW") or base.www,
            webcast=env.get("PYTIKTOKLIVE_WEBCAST") or base.webcast,
            signer=env.get("SIGN_API_URL", base.signer),
        )


#: The real TikTok services.
TIKTOK = Endpoints()
