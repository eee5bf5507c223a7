"""Looking users and rooms up, the feed, prices, gifts, and every typed error, against the simulator."""

from __future__ import annotations

from typing import Any, AsyncIterator, List

import pytest
import pytest_asyncio
from client_sim import FAST, collect, emitted, guarded, ids_of
from pytiktoklive import SignServer, TikTok
from pytiktoklive.errors import (
    AgeRestrictedError,
    CaptchaError,
    InvalidUsernameError,
    IPBlockedError,
    LiveEndedError,
    NoMoreFeedItemsError,
    RateLimitError,
    RequestError,
    SignerError,
    SignerRateLimitError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.models import LiveStream, RawJSON
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator

pytest.importorskip("betterproto2")

SHORT = LivelyScenario(duration=3.0, battle=False)
ROOMS = [
    RoomSpec("host_one", scenario=SHORT, page_style="sigi"),
    RoomSpec("host_two", scenario=SHORT),
    RoomSpec("host_three", scenario=SHORT),
    RoomSpec("gone_host", live=False),
    RoomSpec("adults_only", age_restricted=True),
]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, seed=9, speed=20.0, feed_page_size=2) as simulator:
        yield simulator


@pytest_asyncio.fixture
async def tiktok(sim: Simulator) -> AsyncIterator[TikTok]:
    async with TikTok(sim.endpoints, reconnect=FAST) as client:
        yield client


# --------------------------------------------------------------------------- users and rooms


@pytest.mark.parametrize("given", ["demo_user", "@demo_user", "https://www.tiktok.com/@demo_user/live"])
async def test_user_info(sim: Simulator, tiktok: TikTok, given: str) -> None:
    room = sim.room("demo_user")
    user = await tiktok.get_user_info(given)
    assert user.username == "demo_user" and user.nickname == room.nickname
    assert user.id == room.user_id and user.sec_uid == room.sec_uid
    assert user.room_id == room.room_id and user.is_live
    assert user.follower_count > 0  # the stats are filled (the Go original never did)


@pytest.mark.parametrize("style", ["host_one", "host_two"])  # SIGI_STATE and universal-data profile pages
async def test_user_info_from_both_page_styles(sim: Simulator, tiktok: TikTok, style: str) -> None:
    user = await tiktok.get_user_info(style)
    assert user.room_id == sim.room(style).room_id and user.nickname == sim.room(style).nickname


async def test_user_info_of_someone_offline(tiktok: TikTok) -> None:
    user = await tiktok.get_user_info("offline_user")
    assert user.username == "offline_user" and not user.is_live


async def test_room_info_by_user_and_by_room_id(sim: Simulator, tiktok: TikTok) -> None:
    room = sim.room("demo_user")
    by_name = await tiktok.get_room_info("demo_user")
    by_id = await tiktok.get_room_info(room.room_id)
    by_text = await tiktok.get_room_info(str(room.room_id))
    assert by_name.id == by_id.id == by_text.id == room.room_id
    assert by_name.title == room.title and by_name.is_live
    assert by_name.owner is not None and by_name.owner.username == "demo_user"
    assert by_name.stream_urls.flv_url.startswith(sim.url)


# --------------------------------------------------------------------------- finding a user's room


def lookups(sim: Simulator) -> List[str]:
    """The requests made to find rooms, in order (cookies, signing, fetches and pushes left out)."""
    asked = ("room/info_by_user", "live_page", "api-live", "room/info")
    return [request.endpoint for request in sim.requests if request.endpoint in asked]


async def test_a_user_is_tracked_after_one_lookup(sim: Simulator, tiktok: TikTok) -> None:
    """``room/info_by_user`` tells the room and its info at once: no page, no ``room/info``."""
    room = sim.room("demo_user")
    live = await tiktok.track_user("demo_user")
    await live.close()
    assert lookups(sim) == ["room/info_by_user"]
    assert live.room_id == room.room_id and live.info.id == room.room_id and live.info.is_live
    assert live.info.title == room.title and live.info.stream_urls.flv_url.startswith(sim.url)
    assert live.info.owner is not None and live.info.owner.username == "demo_user"
    # The info keeps the answer's own text (read when asked for), shared by its parts.
    assert isinstance(live.info.raw, RawJSON) and live.info.owner.raw._text is live.info.raw._text  # type: ignore[attr-defined]
    assert int(live.info.raw["id_str"]) == room.room_id and live.info.raw["owner"] == live.info.owner.raw


async def test_a_server_without_room_info_by_user_is_asked_it_once(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.not_served("room/info_by_user")
    for name in ("host_one", "host_two"):
        live = await tiktok.track_user(name)
        await live.close()
        assert live.room_id == sim.room(name).room_id and live.info.title == sim.room(name).title
    assert lookups(sim) == ["room/info_by_user", "live_page", "room/info", "live_page", "room/info"]


async def test_an_answer_that_is_not_a_room_turns_room_info_by_user_off(
    sim: Simulator, tiktok: TikTok
) -> None:
    sim.faults.malformed("room/info_by_user")
    for name in ("host_one", "host_two"):
        await (await tiktok.track_user(name)).close()
    assert lookups(sim) == ["room/info_by_user", "live_page", "room/info", "live_page", "room/info"]


async def test_a_failed_room_info_by_user_request_is_tried_again_next_time(
    sim: Simulator, tiktok: TikTok
) -> None:
    sim.faults.fail("room/info_by_user", 503)
    for name in ("host_one", "host_two"):
        await (await tiktok.track_user(name)).close()
    assert lookups(sim) == ["room/info_by_user", "live_page", "room/info", "room/info_by_user"]


async def test_users_without_a_live_room_are_judged_by_the_page_route(sim: Simulator, tiktok: TikTok) -> None:
    """Not live, or unknown, by ``room/info_by_user``: the pages say which, as without it."""
    with pytest.raises(UserOfflineError):
        await tiktok.track_user("offline_user")
    assert lookups(sim)[:2] == ["room/info_by_user", "live_page"]
    with pytest.raises(UserNotFoundError):
        await tiktok.track_user("nobody_by_this_name")
    await (await tiktok.track_user("demo_user")).close()  # and room/info_by_user stays in use
    assert lookups(sim)[-1] == "room/info_by_user"


async def test_is_live_and_check_alive(sim: Simulator, tiktok: TikTok) -> None:
    assert await tiktok.is_live("demo_user") is True
    assert await tiktok.is_live("offline_user") is False
    assert await tiktok.is_live(sim.room("demo_user").room_id) is True
    alive = await tiktok.check_alive(sim.room("demo_user").room_id, sim.room("offline_user").room_id)
    assert alive == {sim.room("demo_user").room_id: True, sim.room("offline_user").room_id: False}


async def test_price_list(tiktok: TikTok) -> None:
    prices = await tiktok.get_price_list()
    assert len(prices) > 0
    assert all(item.diamond_count > 0 and item.currency for item in prices.items)


async def test_gift_info_matches_the_gifts_sent(sim: Simulator, tiktok: TikTok) -> None:
    room = sim.room("demo_user")
    info = await tiktok.get_gift_info(room.room_id)
    assert len(info) > 0
    live = await tiktok.track_user("demo_user")
    assert live.gift_info is not None and len(live.gift_info) == len(info)
    events, _ = await collect(live)
    sent = {event.id for event in events if type(event).__name__ == "GiftEvent"}  # type: ignore[attr-defined]
    assert sent and all(info.get(gift_id) is not None for gift_id in sent)


# --------------------------------------------------------------------------- the feed


async def test_feed_pages_and_iteration(sim: Simulator, tiktok: TikTok) -> None:
    live_rooms = {room.room_id for room in sim.rooms if room.live}
    feed = tiktok.new_feed()
    first = await feed.next()
    assert 0 < len(first) <= 2  # feed_page_size
    assert all(isinstance(stream, LiveStream) for stream in first)
    rest: List[LiveStream] = [stream async for stream in feed]
    seen = [stream.room_id for stream in first + rest]
    assert len(seen) == len(set(seen))  # no page twice
    assert set(seen) == live_rooms  # every live room, and only live ones
    assert [stream.room_id for stream in feed.streams] == seen  # the feed keeps what it returned
    assert not feed.has_more
    with pytest.raises(NoMoreFeedItemsError):
        await feed.next()


async def test_feed_stream_tracks_its_room(sim: Simulator, tiktok: TikTok) -> None:
    feed = tiktok.new_feed()
    async for stream in feed:
        if stream.info.owner is not None and stream.info.owner.username == "host_three":
            break
    else:
        pytest.fail("host_three is not in the feed")
    live = await stream.track()
    events, error = await collect(live)
    assert error is None and live.room_id == sim.room("host_three").room_id
    assert ids_of(events) == emitted(sim.room("host_three"))


# --------------------------------------------------------------------------- typed errors


async def test_unknown_user(sim: Simulator, tiktok: TikTok) -> None:
    with pytest.raises(UserNotFoundError) as caught:
        await tiktok.track_user("nobody_by_this_name")
    assert caught.value.username == "nobody_by_this_name"
    with pytest.raises(UserNotFoundError):
        await tiktok.get_user_info("nobody_by_this_name")


async def test_user_reported_missing(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.user_not_found.add("demo_user")
    with pytest.raises(UserNotFoundError):
        await tiktok.track_user("demo_user")
    with pytest.raises(UserNotFoundError):
        await tiktok.is_live("demo_user")


async def test_offline_user(sim: Simulator, tiktok: TikTok) -> None:
    for name in ("offline_user", "gone_host"):
        with pytest.raises(UserOfflineError) as caught:
            await tiktok.track_user(name)
        assert caught.value.username == name
    with pytest.raises(UserOfflineError):
        await tiktok.get_room_info("offline_user")


async def test_ended_room_by_id(sim: Simulator, tiktok: TikTok) -> None:
    room_id = sim.room("offline_user").room_id
    with pytest.raises(LiveEndedError):
        await tiktok.track_room(room_id)
    with pytest.raises(LiveEndedError):
        await tiktok.get_room_info(room_id)


async def test_a_live_that_ends_while_tracked_ends_the_stream(sim: Simulator, tiktok: TikTok) -> None:
    live = await tiktok.track_user("host_two")
    _events, error = await collect(live)
    assert error is None and live.ended
    with pytest.raises(UserOfflineError):  # and it is over for new trackers too
        await tiktok.track_user("host_two")


async def test_age_restricted_room(sim: Simulator, tiktok: TikTok) -> None:
    with pytest.raises(AgeRestrictedError):
        await tiktok.get_room_info("adults_only")
    with pytest.raises(AgeRestrictedError):
        await tiktok.track_user("adults_only")
    assert "live_page" not in lookups(sim)  # room/info_by_user said so: final, as room/info's answer


async def test_captcha_once_is_worked_around(sim: Simulator, tiktok: TikTok) -> None:
    fault = sim.faults.captcha()
    user = await tiktok.get_user_info("demo_user")  # the page is a captcha: api-live answers instead
    assert fault.fired == 1 and user.room_id == sim.room("demo_user").room_id


async def test_captcha_everywhere(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.not_served("room/info_by_user")  # so the room is looked for on the pages
    sim.faults.captcha(times=None)
    sim.faults.fail("api-live", 503, times=None)
    with pytest.raises(CaptchaError):
        await tiktok.track_user("demo_user")


async def test_blocked_ip(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.waf(times=None)
    sim.faults.fail("api-live", 403, times=None)
    with pytest.raises(IPBlockedError):
        await tiktok.get_user_info("demo_user")


@pytest.mark.parametrize("endpoint", ["room/info_by_user", "page", "room/info", "im/fetch"])
async def test_rate_limited(sim: Simulator, tiktok: TikTok, endpoint: str) -> None:
    if endpoint in ("page", "room/info"):  # the page route: on a server without room/info_by_user
        sim.faults.not_served("room/info_by_user")
    sim.faults.fail(endpoint, 429, retry_after=7)
    # For TikTok's own im/fetch answer the client must make the first fetch itself (sign_url).
    flow = "sign_url" if endpoint == "im/fetch" else "fetch"
    async with TikTok(sim.endpoints, signer=SignServer(sim.endpoints.signer, flow=flow)) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.track_user("demo_user")
    assert caught.value.retry_after == 7 and caught.value.status_code == 429
    assert "retry after 7s" in str(caught.value)
    live = await tiktok.track_user("demo_user")  # once the limit is over, it works
    await live.close()


async def test_signer_down(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.signer_down = True
    with pytest.raises(SignerError):
        await tiktok.track_user("demo_user")
    sim.faults.signer_down = False
    await (await tiktok.track_user("demo_user")).close()


async def test_signer_rate_limited(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.fail("sign", 429, retry_after=4)
    with pytest.raises(SignerRateLimitError) as caught:
        await tiktok.track_user("demo_user")
    assert caught.value.retry_after == 4


async def test_a_server_error_is_a_typed_request_error(sim: Simulator, tiktok: TikTok) -> None:
    sim.faults.fail("room/info", 502)
    with pytest.raises(RequestError, match="502"):
        await tiktok.get_room_info(sim.room("demo_user").room_id)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "two words",
        "@",
        "a" * 40,
        "https://example.com/@demo_user",
        "demo/user",
        "dëmo",
        42.5,
        None,
    ],
)
async def test_bad_usernames_fail_before_any_request(sim: Simulator, tiktok: TikTok, bad: Any) -> None:
    before = len(sim.requests)
    for call in (tiktok.track_user, tiktok.get_user_info):
        with pytest.raises(InvalidUsernameError):
            await call(bad)
    with pytest.raises(InvalidUsernameError):
        await tiktok.is_live(bad)
    assert len(sim.requests) == before
    assert issubclass(InvalidUsernameError, ValueError)


async def test_unsigned_first_fetch_that_tiktok_refuses_fails_clearly(sim: Simulator) -> None:
    # An endless LIVE, ended by the test once the signed client is in: on a busy machine a
    # short one could end between the two clients.
    room = sim.add_room(
        RoomSpec("strict_host", require_signature=True, scenario=LivelyScenario(duration=None, battle=False))
    )
    async with TikTok(sim.endpoints, signer="") as unsigned:
        with pytest.raises(RequestError, match=r"empty body.*signer"):
            await guarded(unsigned.track_user("strict_host"), "an unsigned first fetch")
    async with TikTok(sim.endpoints) as signed:
        live = await signed.track_user("strict_host")
        room.end()
        events, error = await collect(live)
    # The refused fetch started the LIVE, so the signed one joins it a little later: from the history on.
    everything = emitted(sim.room("strict_host"))
    assert error is None and events and ids_of(events) == everything[len(everything) - len(events) :]
