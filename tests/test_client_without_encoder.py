"""Where outbound frames cannot be encoded (Python 3.9 has no betterproto2), rooms are polled.

The websocket needs the client to send enter-room, heartbeat and ack frames; HTTP polling
needs none. So a room that offers a websocket is polled instead, with a warning, and every
event still arrives; only ``polling=False`` turns that into the clear error.
"""

from __future__ import annotations

from typing import AsyncIterator

import pytest
import pytest_asyncio
from client_sim import Recorder, collect, emitted, guarded, ids_of
from pytiktoklive import _frames
from pytiktoklive.errors import ConnectionFailedError
from pytiktoklive.events import ControlEvent
from pytiktoklive.simulator import Simulator


@pytest.fixture(autouse=True)
def no_frame_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ConnectionFailedError("the websocket transport needs betterproto2 (Python >= 3.10)")

    monkeypatch.setattr(_frames, "require_frame_encoder", missing)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=40) as simulator:
        yield simulator


async def test_a_websocket_room_is_polled_and_loses_nothing(sim: Simulator) -> None:
    async with Recorder(sim) as recorder:
        live = await guarded(recorder.tiktok.track_user("demo_user"))
        events, error = await collect(live)
        assert error is None
        assert live.transport == "polling"
        assert ids_of(events) == emitted(sim.room("demo_user"))
        assert isinstance(events[-1], ControlEvent)
        assert any("polling instead of the websocket" in warning for warning in recorder.warnings)
        assert sim.room("demo_user").stats.connections == 0


async def test_without_polling_the_missing_encoder_is_a_clear_error(sim: Simulator) -> None:
    async with Recorder(sim) as recorder:
        with pytest.raises(ConnectionFailedError, match="betterproto2"):
            await guarded(recorder.tiktok.track_user("demo_user", polling=False))
