"""Gift lists: ~0.5 MB per room, so the client asks once per room (and TTL), never twice at once,
and keeps one copy of a list many rooms answer alike — without assuming rooms share a list.

Counted on the simulator's request log (``sim.requests``); the cache's own rules are checked
with a fake clock and fake fetches.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, List, Mapping

import pytest
import pytest_asyncio
from client_sim import Recorder, guarded
from pytiktoklive._discovery import GiftListCache
from pytiktoklive.errors import HTTPStatusError
from pytiktoklive.simulator import LivelyScenario, Simulator

pytest.importorskip("betterproto2")


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=9, speed=20.0) as simulator:
        yield simulator


def gift_requests(sim: Simulator) -> List[str]:
    """The room id of every gift/list request the simulator saw, in order."""
    return [record.query.get("room_id", "") for record in sim.requests if record.endpoint == "gift/list"]


async def test_concurrent_calls_for_one_room_make_one_request(sim: Simulator) -> None:
    room_id = sim.room("demo_user").room_id
    async with Recorder(sim) as client:
        infos = await guarded(asyncio.gather(*(client.tiktok.get_gift_info(room_id) for _ in range(10))))
    assert gift_requests(sim) == [str(room_id)]
    assert len(infos[0]) > 0 and all(info is infos[0] for info in infos)


async def test_a_rooms_list_is_reused_until_refreshed(sim: Simulator) -> None:
    room_id = sim.room("demo_user").room_id
    async with Recorder(sim) as client:
        first = await client.tiktok.get_gift_info(room_id)
        async with await client.tiktok.track_user("demo_user") as live:
            assert live.gift_info is first
        assert await client.tiktok.get_gift_info(room_id) is first
        assert gift_requests(sim) == [str(room_id)]
        await client.tiktok.get_gift_info(room_id, refresh=True)
    assert gift_requests(sim) == [str(room_id)] * 2


async def test_every_room_is_asked_but_equal_lists_are_kept_once(sim: Simulator) -> None:
    rooms = sim.add_rooms(5, prefix="gift_user", scenario=LivelyScenario(duration=1.0, battle=False))
    async with Recorder(sim) as client:
        group = await guarded(client.tiktok.track_many([room.username for room in rooms]), "track_many")
        try:
            assert not group.failures
            # The API is per room and nothing promises rooms share a list: each one is asked.
            assert sorted(gift_requests(sim)) == sorted(str(room.room_id) for room in rooms)
            infos = [live.gift_info for live in group.lives.values()]
            assert infos[0] is not None and len(infos[0]) > 0
            # The simulator answers every room alike: one object (and one copy in memory) for all.
            assert all(info is infos[0] for info in infos)
        finally:
            await group.close()


async def test_failures_are_not_cached(sim: Simulator) -> None:
    room_id = sim.room("demo_user").room_id
    sim.faults.fail("gift/list", 503)
    async with Recorder(sim) as client:
        with pytest.raises(HTTPStatusError):
            await client.tiktok.get_gift_info(room_id)
        assert len(await client.tiktok.get_gift_info(room_id)) > 0
    assert gift_requests(sim) == [str(room_id)] * 2


# --------------------------------------------------------------------------- the cache alone


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gift_data(*gift_ids: int) -> Dict[str, Any]:
    return {
        "gifts": [
            {"id": gift_id, "name": f"gift {gift_id}", "diamond_count": gift_id} for gift_id in gift_ids
        ]
    }


class Server:
    """Fake ``gift/list`` answers per room, counting requests; ``gate`` holds them until set."""

    def __init__(self, lists: Mapping[int, Dict[str, Any]]) -> None:
        self.lists = lists
        self.requests: List[int] = []
        self.gate = asyncio.Event()
        self.gate.set()

    def fetch(self, room_id: int) -> Any:
        async def fetch() -> Mapping[str, Any]:
            self.requests.append(room_id)
            await self.gate.wait()
            return self.lists[room_id]

        return fetch


async def test_cache_expires_after_its_ttl() -> None:
    clock = Clock()
    cache = GiftListCache(ttl=60.0, clock=clock)
    server = Server({1: gift_data(5655)})
    first = await cache.get(1, server.fetch(1))
    clock.now += 59.0
    assert await cache.get(1, server.fetch(1)) is first and server.requests == [1]
    clock.now += 1.0
    await cache.get(1, server.fetch(1))
    assert server.requests == [1, 1]


async def test_cache_shares_only_equal_lists() -> None:
    cache = GiftListCache()
    server = Server({1: gift_data(1, 2), 2: gift_data(1, 2), 3: gift_data(1, 2, 3)})
    one, two, three = [await cache.get(room_id, server.fetch(room_id)) for room_id in (1, 2, 3)]
    assert server.requests == [1, 2, 3]
    assert one is two and three is not one
    assert sorted(three.gifts) == [1, 2, 3] and sorted(one.gifts) == [1, 2]


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    cache = GiftListCache()
    server = Server({1: gift_data(7)})
    server.gate.clear()
    impatient = asyncio.ensure_future(cache.get(1, server.fetch(1)))
    patient = asyncio.ensure_future(cache.get(1, server.fetch(1)))
    await asyncio.sleep(0)  # both are waiting on the one request
    impatient.cancel()
    server.gate.set()
    info = await patient
    assert impatient.cancelled() and sorted(info.gifts) == [7]
    assert server.requests == [1]
    assert await cache.get(1, server.fetch(1)) is info


async def test_cache_stays_bounded() -> None:
    clock = Clock()
    cache = GiftListCache(ttl=10.0, clock=clock)
    server = Server({room_id: gift_data(room_id) for room_id in range(3000)})
    for room_id in range(3000):
        await cache.get(room_id, server.fetch(room_id))
    assert len(cache._by_room) <= 2048
    assert len(cache._distinct) <= 4
    clock.now += 10.0
    await cache.get(0, server.fetch(0))
    assert len(cache._by_room) == 1  # the expired rooms were swept
