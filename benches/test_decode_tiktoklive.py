"""Decoding speed of TikTokLive 7.x (PyPI ``TikTokLive``) over the busy room's frames.

Runs only in ``.venv-bench`` (``scripts/bench.sh`` creates it): TikTokLive pins a betterproto2
that cannot share a process with ours, and it is never a dependency of this project.

Each frame goes through TikTokLive's own path, as its client does for every websocket message:
``WebcastPushFrame().parse`` (``ws_connect``), ``extract_webcast_response_message`` (gunzip +
``ProtoMessageFetchResult().parse``), then the client's ``_parse_webcast_response``, which
builds the per-message event class from ``EVENT_MAPPINGS`` (plus its ``WebsocketResponseEvent``
and any custom event). Dispatch to listeners (pyee ``emit``) is left out, as ours is.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterator

import pytest

with warnings.catch_warnings():  # websockets.legacy, used by TikTokLive, warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    TikTokLive = pytest.importorskip("TikTokLive", reason="TikTokLive is only installed in .venv-bench")

# After the skip: it imports TikTokLive.
from tiktoklive_decode import frame_decoder

Measure = Callable[[Callable[[bytes], int]], None]


@pytest.fixture
def client() -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        made = TikTokLive.TikTokLiveClient(unique_id="bench_user")
    yield made
    loop = made._asyncio_loop  # the client's own loop (its close() assumes one is not running)
    loop.run_until_complete(made._web.close())
    loop.close()


def test_tiktoklive(measure_frames: Measure, client: Any) -> None:
    measure_frames(frame_decoder(client))
