"""HTTP faults on every endpoint the client uses, over real sockets (see ``test_faults.py``).

Tracking a user touches: the home page (cookies), ``room/info_by_user`` (the room and its
info in one request) or, when the server does not serve that, the page route (the live page
for the room id, api-live when the page fails, then ``room/info``), ``gift/list``, the sign
server, the first ``im/fetch`` and the push server's handshake; ``room/check_alive`` and later
``im/fetch`` polls come while reading. Each fault either leaves tracking working
(every event exactly once) or makes ``track_user`` raise a typed error; in that
case the fault fired once, and trying again tracks the room with nothing lost.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Type

import pytest
import pytest_asyncio
from pytiktoklive import SignServer

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.errors import (
    DecodeError,
    HTTPStatusError,
    RateLimitError,
    RequestError,
    SignerError,
    SignerRateLimitError,
    TikTokLiveError,
)
from pytiktoklive.simulator import HTTPFault, RoomSpec, SimRoom, Simulator
from test_faults import FAST, LIVELY, Client, assert_exactly_once, consume, emitted

USER = "http_fault_user"


@pytest_asyncio.fixture
async def sim() -> Any:
    async with Simulator(
        [RoomSpec(USER, scenario=LIVELY)], builtin_rooms=False, seed=5, speed=20.0
    ) as simulator:
        yield simulator


async def track_all(client: Client, room: SimRoom) -> Any:
    """Track the room and read it to the end: every event exactly once.

    A room that was already on when tracking began starts with its recent history (the
    first fetch's last ``history_size`` messages), as on TikTok: then the events are the
    room's messages from some point on, to the end."""
    already_on = room.started
    live = await client.tiktok.track_user(room.username)
    ids, error = await consume(live)
    assert error is None, repr(error)
    if already_on:
        assert ids and len(set(ids)) == len(ids)
        assert ids == emitted(room)[-len(ids) :]
        assert len(ids) >= room.spec.history_size
    else:
        assert_exactly_once(ids, room)
    return live


Inject = Callable[[Simulator], HTTPFault]

#: Endpoints only the page route uses: their faults are tested on a server without
#: ``room/info_by_user`` (with it, ``track_user`` never asks them).
PAGE_ROUTE = ("page", "live_page", "api-live", "room/info")


def page_route_for(sim: Simulator, fault: HTTPFault) -> None:
    if fault.endpoint in PAGE_ROUTE:
        sim.faults.not_served("room/info_by_user")


CASES = [
    # endpoint, status, what track_user raises (None: tracking works anyway)
    ("home", 429, None),  # the home page only seeds cookies
    ("home", 503, None),
    ("room/info_by_user", 429, RateLimitError),
    ("room/info_by_user", 500, None),  # the page route finds the room
    ("room/info_by_user", 503, None),
    ("live_page", 429, RateLimitError),
    ("live_page", 503, None),  # api-live answers instead
    ("room/info", 429, RateLimitError),
    ("room/info", 500, HTTPStatusError),
    ("room/info", 503, HTTPStatusError),
    ("gift/list", 429, None),  # events carry gift names anyway: tracked without the list
    ("gift/list", 503, None),
    ("sign", 429, SignerRateLimitError),
    ("sign", 503, SignerError),
    ("im/fetch", 429, RateLimitError),
    ("im/fetch", 503, HTTPStatusError),
    ("push", 429, None),  # a refused handshake: polling takes over
    ("push", 503, None),
]


def fetching_itself(sim: Simulator, fault: HTTPFault) -> Dict[str, Any]:
    """Client options for a fault of TikTok's own ``im/fetch``: a sign server that only signs URLs
    (``flow="sign_url"``), so that the client makes the first fetch itself and meets the fault
    (the default sign server makes that fetch on the client's behalf)."""
    if fault.endpoint != "im/fetch":
        return {}
    return {"signer": SignServer(sim.endpoints.signer, flow="sign_url")}


@pytest.mark.parametrize(("endpoint", "status", "expected"), CASES, ids=[f"{e}-{s}" for e, s, _ in CASES])
async def test_status_fault(
    sim: Simulator, endpoint: str, status: int, expected: Optional[Type[TikTokLiveError]]
) -> None:
    room = sim.room(USER)
    fault = sim.faults.fail(endpoint, status, retry_after=0.05 if status == 429 else None)
    page_route_for(sim, fault)
    async with Client(sim, **fetching_itself(sim, fault)) as client:
        if expected is None:
            live = await track_all(client, room)
            if endpoint == "gift/list":
                assert live.gift_info is None
            if endpoint == "push":
                assert live.transport == "polling"
        else:
            with pytest.raises(expected) as caught:
                await client.tiktok.track_user(room.username)
            if status == 429:
                assert getattr(caught.value, "retry_after", None) == pytest.approx(0.05)
            elif isinstance(caught.value, HTTPStatusError):
                assert caught.value.status_code == status
            await track_all(client, room)  # the fault has passed: tracking works
    assert fault.fired == 1
    if endpoint == "live_page" and status == 503:
        assert any(request.endpoint == "api-live" for request in sim.requests)
    if endpoint == "room/info_by_user" and expected is None:
        assert any(request.endpoint == "live_page" for request in sim.requests)


async def test_page_and_api_live_both_failing(sim: Simulator) -> None:
    sim.faults.not_served("room/info_by_user")
    sim.faults.fail("live_page", 503)
    sim.faults.fail("api-live", 503)
    async with Client(sim) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.tiktok.track_user(USER)
        assert caught.value.status_code == 503
        await track_all(client, sim.room(USER))


@pytest.mark.parametrize(
    ("inject", "expected"),
    [
        pytest.param(lambda sim: sim.faults.drop("room/info"), RequestError, id="room/info-drop"),
        pytest.param(lambda sim: sim.faults.truncate("room/info"), RequestError, id="room/info-truncated"),
        pytest.param(lambda sim: sim.faults.malformed("room/info"), RequestError, id="room/info-garbage"),
        pytest.param(lambda sim: sim.faults.stall("room/info"), RequestError, id="room/info-stall"),
        pytest.param(lambda sim: sim.faults.drop("im/fetch"), RequestError, id="im/fetch-drop"),
        pytest.param(lambda sim: sim.faults.truncate("im/fetch"), RequestError, id="im/fetch-truncated"),
        pytest.param(lambda sim: sim.faults.malformed("im/fetch"), DecodeError, id="im/fetch-garbage"),
        pytest.param(lambda sim: sim.faults.empty("im/fetch"), RequestError, id="im/fetch-empty"),
        pytest.param(lambda sim: sim.faults.stall("im/fetch"), RequestError, id="im/fetch-stall"),
        pytest.param(lambda sim: sim.faults.malformed("sign"), SignerError, id="sign-garbage"),
        pytest.param(lambda sim: sim.faults.stall("sign"), SignerError, id="sign-stall"),
    ],
)
async def test_broken_answer_fails_typed_then_recovers(
    sim: Simulator, inject: Inject, expected: Type[TikTokLiveError]
) -> None:
    fault = inject(sim)
    page_route_for(sim, fault)
    async with Client(sim, timeout=0.5, **fetching_itself(sim, fault)) as client:
        with pytest.raises(expected):
            await client.tiktok.track_user(USER)
        await track_all(client, sim.room(USER))
    assert fault.fired == 1


async def test_signer_down_fails_typed_then_recovers(sim: Simulator) -> None:
    sim.faults.signer_down = True
    async with Client(sim) as client:
        with pytest.raises(SignerError, match="unreachable"):
            await client.tiktok.track_user(USER)
        sim.faults.signer_down = False
        await track_all(client, sim.room(USER))


async def test_rate_limited_bursts_in_track_many_are_retried(sim: Simulator) -> None:
    sim.add_rooms(3, prefix="burst_user", scenario=LIVELY)
    fault = sim.faults.fail("room/info_by_user", 429, times=2, retry_after=0.01)
    async with Client(sim, reconnect=FAST) as client:
        group = await client.tiktok.track_many(["burst_user0", "burst_user1", "burst_user2"])
        try:
            assert not group.failures
        finally:
            await group.close()
    assert fault.fired == 2


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda sim: sim.faults.stall("push"), id="push-stall"),
        pytest.param(lambda sim: sim.faults.drop("push"), id="push-drop"),
        pytest.param(lambda sim: sim.faults.truncate("push"), id="push-truncated"),
        pytest.param(lambda sim: sim.faults.stall("gift/list"), id="gift/list-stall"),
        pytest.param(lambda sim: sim.faults.malformed("gift/list"), id="gift/list-garbage"),
        pytest.param(lambda sim: sim.faults.stall("home"), id="home-stall"),
        # room/info_by_user answering anything but a room: the page route finds it.
        pytest.param(lambda sim: sim.faults.stall("room/info_by_user"), id="room/info_by_user-stall"),
        pytest.param(lambda sim: sim.faults.drop("room/info_by_user"), id="room/info_by_user-drop"),
        pytest.param(lambda sim: sim.faults.truncate("room/info_by_user"), id="room/info_by_user-truncated"),
        pytest.param(lambda sim: sim.faults.malformed("room/info_by_user"), id="room/info_by_user-garbage"),
        pytest.param(lambda sim: sim.faults.empty("room/info_by_user"), id="room/info_by_user-empty"),
        pytest.param(lambda sim: sim.faults.malformed("live_page"), id="live_page-garbage"),
        pytest.param(lambda sim: sim.faults.empty("live_page"), id="live_page-empty"),
        pytest.param(lambda sim: sim.faults.drop("live_page"), id="live_page-drop"),
    ],
)
async def test_broken_answer_is_survived(sim: Simulator, inject: Inject) -> None:
    fault = inject(sim)
    page_route_for(sim, fault)
    async with Client(sim, timeout=0.5) as client:
        await track_all(client, sim.room(USER))
    assert fault.fired == 1
