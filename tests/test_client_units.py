"""The client's pure parts: redaction, usernames, page parsing, models, backoff, proxies, streaks, buffer."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any, List

import pytest
from client_wire import chat, fetch_result, gift
from pytiktoklive import TikTok
from pytiktoklive._buffer import STALL_REPORT_SECONDS, BufferBudget, EventBuffer
from pytiktoklive._log import Reporter
from pytiktoklive._pages import normalize_username, parse_page, room_id_in_text
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._proxy import _bypassed, resolve_proxies, websocket_proxy_for
from pytiktoklive._redact import REDACTED, redact, redact_headers
from pytiktoklive._retry import ReconnectPolicy, parse_retry_after
from pytiktoklive.errors import (
    BackpressureError,
    CaptchaError,
    InvalidUsernameError,
    IPBlockedError,
)
from pytiktoklive.events import ChatEvent, GiftEvent, User
from pytiktoklive.models import GiftInfo, LiveStream, PriceList, RawJSON, RoomInfo, StreamURLs, UserInfo
from pytiktoklive.streaks import GiftStreaks

# ---------------------------------------------------------------- redaction

SECRETS = ["s3cr3t-session", "tok3n-value", "b0gus", "sign4ture", "k3y", "pa55word", "ttw1d"]


@pytest.mark.parametrize(
    "text",
    [
        "https://webcast.tiktok.com/webcast/im/fetch/?room_id=1&msToken=tok3n-value&X-Bogus=b0gus&_signature=sign4ture",
        "Cookie: sessionid=s3cr3t-session; ttwid=ttw1d",
        "set-cookie: sessionid_ss=s3cr3t-session; Path=/",
        '{"signedUrl": "https://x/?a=1", "msToken": "tok3n-value", "X-Bogus": "b0gus"}',
        "{'apiKey': 'k3y', 'sessionid': 's3cr3t-session'}",
        "proxy socks5://alice:pa55word@127.0.0.1:1080 failed",
        "GET /webcast/sign_url?url=https%3A%2F%2Fx&apiKey=k3y&uuc=1",
        "cookies sid_tt=s3cr3t-session,odin_tt=ttw1d",
    ],
)
def test_redact_removes_every_secret(text: str) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned
    for secret in SECRETS:
        assert secret not in cleaned


def test_redact_keeps_what_is_not_secret() -> None:
    text = "room_id=7123&cursor=abc&sessionid=zzz&aid=1988"
    assert redact(text) == f"room_id=7123&cursor=abc&sessionid={REDACTED}&aid=1988"
    assert redact("") == ""
    assert redact("nothing to see") == "nothing to see"


def test_redact_headers() -> None:
    headers = redact_headers(
        {"Cookie": "a=b", "X-Api-Key": "k3y", "User-Agent": "Mozilla/5.0", "Referer": "x"}
    )
    assert headers == {"Cookie": REDACTED, "X-Api-Key": REDACTED, "User-Agent": "Mozilla/5.0", "Referer": "x"}


# ---------------------------------------------------------------- reporter


def test_reporter_redacts_and_survives_raising_handlers(caplog: pytest.LogCaptureFixture) -> None:
    reporter = Reporter(debug=True)
    seen: List[str] = []
    reporter.info_handler = seen.append

    def explode(_: object) -> None:
        raise RuntimeError("handler bug")

    reporter.info("fetch %s", "https://x/?msToken=tok3n-value")
    assert seen == [f"fetch https://x/?msToken={REDACTED}"]
    reporter.warn_handler = explode
    reporter.error_handler = explode
    with caplog.at_level(logging.ERROR, logger="pytiktoklive"):
        reporter.warn("boom")  # must not raise
        reporter.error(ValueError("x"))
    assert "the warn handler raised" in caplog.text
    assert "the error handler raised" in caplog.text


def test_debug_messages_are_dropped_unless_enabled() -> None:
    reporter = Reporter(debug=False)
    seen: List[str] = []
    reporter.debug_handler = seen.append
    reporter.debug("hidden")
    reporter.debug("forced", force=True)
    assert seen == ["forced"]


def test_default_error_handler_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pytiktoklive"):
        Reporter().error(ValueError("bad sessionid=s3cr3t-session"))
    assert "ValueError" in caplog.text
    assert "s3cr3t-session" not in caplog.text


# ---------------------------------------------------------------- usernames


@pytest.mark.parametrize(
    "given",
    [
        "someone",
        "@someone",
        "  @someone ",
        "https://www.tiktok.com/@someone",
        "https://www.tiktok.com/@someone/live",
        "https://www.tiktok.com/@someone/live?lang=en",
        "tiktok.com/@someone",
        "https://m.tiktok.com/@someone/",
    ],
)
def test_usernames_are_normalised(given: str) -> None:
    assert normalize_username(given) == "someone"


def test_usernames_keep_dots_and_underscores() -> None:
    assert normalize_username("@the.real_one") == "the.real_one"


@pytest.mark.parametrize(
    "bad", ["", "@", "two words", "https://example.com/@x", "a/b", "x" * 40, "emoji😀", "@@x"]
)
def test_bad_usernames_are_rejected_clearly(bad: str) -> None:
    with pytest.raises(InvalidUsernameError) as info:
        normalize_username(bad)
    assert isinstance(info.value, ValueError)


def test_non_string_username() -> None:
    with pytest.raises(InvalidUsernameError):
        normalize_username(123)  # type: ignore[arg-type]


# ---------------------------------------------------------------- pages


def script(script_id: str, data: Any) -> str:
    return f'<html><script id="{script_id}" type="application/json">{json.dumps(data)}</script></html>'


def test_sigi_profile_page() -> None:
    html = script(
        "SIGI_STATE",
        {
            "UserModule": {
                "users": {
                    "Someone": {"id": "42", "uniqueId": "Someone", "nickname": "Some One", "roomId": "777"}
                },
                "stats": {"Someone": {"followerCount": 10, "heartCount": 5}},
            }
        },
    )
    page = parse_page(html, "someone")
    assert page.found and page.user is not None
    assert (page.user.id, page.user.username, page.user.room_id) == (42, "Someone", 777)
    assert page.user.follower_count == 10 and page.user.heart_count == 5
    assert page.room_id == 777


def test_sigi_live_page_with_status() -> None:
    html = script(
        "SIGI_STATE",
        {
            "LiveRoom": {
                "liveRoomUserInfo": {
                    "user": {"uniqueId": "x", "roomId": ""},
                    "liveRoom": {"roomId": "9", "status": 4},
                }
            }
        },
    )
    page = parse_page(html, "x")
    assert (page.room_id, page.room_status) == (9, 4)


def test_old_window_sigi_state() -> None:
    state = {"UserModule": {"users": {"x": {"uniqueId": "x", "roomId": "5"}}}}
    html = f"<script>window['SIGI_STATE']={json.dumps(state)};window['SIGI_RETRY']={{}}</script>"
    assert parse_page(html, "x").room_id == 5


def test_universal_data_page() -> None:
    html = script(
        "__UNIVERSAL_DATA_FOR_REHYDRATION__",
        {
            "__DEFAULT_SCOPE__": {
                "webapp.user-detail": {
                    "statusCode": 0,
                    "userInfo": {"user": {"uniqueId": "x", "roomId": "12"}, "stats": {}},
                }
            }
        },
    )
    assert parse_page(html, "x").room_id == 12


def test_universal_data_user_missing() -> None:
    html = script(
        "__UNIVERSAL_DATA_FOR_REHYDRATION__",
        {"__DEFAULT_SCOPE__": {"webapp.user-detail": {"statusCode": 10221}}},
    )
    assert parse_page(html, "x").user_missing


def test_sigi_without_the_user_means_missing() -> None:
    html = script("SIGI_STATE", {"UserModule": {"users": {}, "stats": {}}})
    assert parse_page(html, "x").user_missing


@pytest.mark.parametrize(
    "text",
    [
        '..."roomId":"31337"...',
        "<meta content='snssdk1233://live?room_id=31337'>",
        "<a href='/x?room_id=31337'>",
    ],
)
def test_room_id_regex_fallbacks(text: str) -> None:
    assert room_id_in_text(text) == 31337
    page = parse_page(f"<html>{text}</html>", "x")
    assert page.found and page.room_id == 31337 and page.user is None


def test_captcha_page() -> None:
    with pytest.raises(CaptchaError):
        parse_page('<div id="tiktok-verify-page">verify</div>', "x")


def test_waf_page() -> None:
    with pytest.raises(IPBlockedError):
        parse_page("<html><title>Please wait...</title><script>_wafchallengeid</script></html>", "x")


def test_page_without_data() -> None:
    page = parse_page("<html><body>nothing</body></html>", "x")
    assert not page.found


# ---------------------------------------------------------------- models


def test_room_info_from_raw() -> None:
    raw = {
        "id_str": "7123456789012345678",
        "id": 7123456789012345000,  # lossy in JS: the string wins
        "status": 2,
        "title": "hello",
        "user_count": 321,
        "stats": {"total_user": 999, "like_count": 5},
        "owner": {
            "id_str": "42",
            "display_id": "host",
            "nickname": "Host",
            "avatar_thumb": {"url_list": ["https://a"]},
        },
        "stream_url": {
            "hls_pull_url": "https://pull/hls.m3u8",
            "flv_pull_url": {"HD1": "https://pull/hd.flv", "SD1": "https://pull/sd.flv"},
            "live_core_sdk_data": {
                "pull_data": {
                    "options": {"default_quality": {"sdk_key": "hd"}},
                    "stream_data": json.dumps(
                        {"data": {"ld": {"main": {"flv": "https://ld.flv", "hls": "https://ld.m3u8"}}}}
                    ),
                }
            },
        },
        "extra_field": {"kept": True},
    }
    info = RoomInfo.from_raw(raw)
    assert info.id == 7123456789012345678
    assert info.is_live and not info.ended
    assert (info.title, info.viewers, info.total_viewers, info.like_count) == ("hello", 321, 999, 5)
    assert (info.owner.id, info.owner.username, info.owner.avatar_url) == (42, "host", "https://a")
    assert info.stream_urls.hls_url == "https://pull/hls.m3u8"
    assert info.stream_urls.flv["HD1"] == "https://pull/hd.flv"
    assert info.stream_urls.flv["ld"] == "https://ld.flv" and info.stream_urls.hls["ld"] == "https://ld.m3u8"
    assert info.stream_urls.default_quality == "hd"
    assert info.stream_urls.qualities[0] == "SD1"
    assert info.raw["extra_field"] == {"kept": True}
    assert info.raw == raw and dict(info.raw) == raw and info.owner.raw == raw["owner"]


def test_a_rooms_raw_json_is_kept_as_text_until_read() -> None:
    """A tracked room keeps its RoomInfo; its ``raw`` costs its compact JSON text, not the
    ~3x larger tree of Python objects, until someone reads it."""
    data = {"id_str": "7", "owner": {"nickname": "é", "badges": [{"level": n} for n in range(200)]}}
    raw = RoomInfo.from_raw(data).raw
    assert isinstance(raw, RawJSON) and raw._value is None  # not parsed yet
    text_size = sys.getsizeof(raw._text)
    assert raw["owner"]["nickname"] == "é" and len(raw) == 2 and list(raw) == ["id_str", "owner"]
    assert raw == data and raw.get("missing") is None and "7" in repr(raw)
    assert text_size < deep_size(data) / 2
    # Not from JSON (a caller's own objects): kept as they are.
    odd = RawJSON({"when": object})
    assert odd["when"] is object
    assert RoomInfo.from_raw({}).raw == {}


def test_a_rooms_models_share_one_text() -> None:
    """``raw``, ``owner.raw`` and ``stream_urls.raw`` are one text: the answer's body when the
    room came from one (nothing re-encoded), else the room's ``data`` encoded once."""
    data = {"id_str": "7", "owner": {"display_id": "host"}, "stream_url": {"hls_pull_url": "https://h"}}
    body = json.dumps({"status_code": 0, "data": data, "extra": {"now": 1}}).encode()
    info = RoomInfo.from_raw(json.loads(body)["data"], RawJSON.at(body, ("data",)))
    parts = [info.raw, info.owner.raw, info.stream_urls.raw]
    assert all(isinstance(part, RawJSON) and part._text is body and part._value is None for part in parts)
    assert info.raw == data and info.owner.raw == data["owner"] and info.stream_urls.raw == data["stream_url"]
    assert info.owner.username == "host" and info.stream_urls.hls_url == "https://h"
    encoded = RoomInfo.from_raw(data)
    assert isinstance(encoded.raw, RawJSON) and isinstance(encoded.owner.raw, RawJSON)
    assert encoded.owner.raw._text is encoded.raw._text and encoded.owner.raw == data["owner"]
    # Parts that are empty or not objects stay plain, as before.
    bare = RoomInfo.from_raw({"id_str": "7", "owner": {}, "stream_url": "?"}, RawJSON.at(b"{}", ("data",)))
    assert bare.owner.raw == {} and bare.stream_urls.raw == {} and not isinstance(bare.owner.raw, RawJSON)


def deep_size(value: object) -> int:
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(deep_size(k) + deep_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sys.getsizeof(value) + sum(deep_size(item) for item in value)
    return sys.getsizeof(value)


def test_stream_qualities_rank_both_naming_schemes_together() -> None:
    urls = StreamURLs(
        flv={name: f"https://{name}.flv" for name in ("ORIGION", "SD2", "uhd", "SD1", "HD1", "odd")},
        hls={name: f"https://{name}.m3u8" for name in ("origin", "ld")},
    )
    # SD1 = ld < SD2 = sd < HD1 = hd < FULL_HD1 = uhd < ORIGION = origin; unknown names first.
    assert urls.qualities == ("odd", "SD1", "ld", "SD2", "HD1", "uhd", "ORIGION", "origin")


@pytest.mark.parametrize("raw", [None, {}, {"status": "x", "owner": [], "stream_url": 5}])
def test_models_tolerate_odd_json(raw: Any) -> None:
    info = RoomInfo.from_raw(raw)
    assert info.id == 0 and info.status == 0
    assert UserInfo.from_raw(raw).username == ""
    assert len(GiftInfo.from_raw(raw)) == 0
    assert len(PriceList.from_raw(raw)) == 0


def test_gift_info_and_prices() -> None:
    gifts = GiftInfo.from_raw(
        {
            "gifts": [
                {
                    "id": 5655,
                    "name": "Rose",
                    "diamond_count": 1,
                    "type": 1,
                    "image": {"url_list": ["https://r"]},
                }
            ]
        }
    )
    rose = gifts.get(5655)
    assert rose is not None and rose.streakable and rose.image_url == "https://r"
    prices = PriceList.from_raw(
        {
            "data": [{"id": 1, "diamond_count": 70, "price": 99, "currency_price": [{"currency": "EUR"}]}],
            "extra": {},
        }
    )
    assert prices.currency == "EUR" and prices.items[0].diamond_count == 70


async def test_unbound_live_stream_cannot_track() -> None:
    with pytest.raises(RuntimeError):
        await LiveStream.from_raw({"rid": "5"}).track()


# ---------------------------------------------------------------- backoff


def test_backoff_grows_caps_and_jitters() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=8.0, multiplier=2.0, jitter=0.5, max_attempts=5)
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.delay(3, rand=lambda: 1.0) == 2.0  # at most half taken off
    assert policy.delay(1, retry_after=30.0, rand=lambda: 0.0) == 30.0
    assert not policy.gives_up(5) and policy.gives_up(6)
    assert not ReconnectPolicy(max_attempts=None).gives_up(10**6)
    with pytest.raises(ValueError):
        ReconnectPolicy(jitter=2)


def test_retry_after() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


# ---------------------------------------------------------------- proxies


def test_explicit_proxy_wins_for_everything() -> None:
    settings = resolve_proxies("socks5://127.0.0.1:1080", environ={"HTTPS_PROXY": "http://env:1"})
    assert settings.http == settings.websocket == "socks5://127.0.0.1:1080"


def test_environment_proxies_follow_the_seed() -> None:
    env = {"HTTP_PROXY": "http://h:1", "HTTPS_PROXY": "http://s:2", "ALL_PROXY": "socks5://a:3"}
    settings = resolve_proxies(environ=env)
    assert settings.http == "http://s:2" and settings.websocket == "http://s:2"  # HTTPS_PROXY wins
    only_all = resolve_proxies(environ={"all_proxy": "socks5://a:3"})
    assert only_all.http is None  # ALL_PROXY is for the websocket only
    assert only_all.websocket == "socks5://a:3"
    assert resolve_proxies(environ={}).websocket is None


def test_no_proxy_applies_to_environment_proxies() -> None:
    settings = resolve_proxies(environ={"ALL_PROXY": "socks5://a:3", "NO_PROXY": "localhost,.internal"})
    assert websocket_proxy_for(settings, "wss://push.internal/x") is None
    assert websocket_proxy_for(settings, "wss://localhost:9/x") is None
    assert websocket_proxy_for(settings, "wss://push.tiktok.com/x") == "socks5://a:3"
    assert _bypassed("a.b.example", "example")
    assert not _bypassed("notexample", "example")
    assert _bypassed("x.example", "*")


def test_unsupported_proxy_scheme() -> None:
    with pytest.raises(ValueError, match="unsupported proxy scheme"):
        resolve_proxies("ftp://x:1")
    with pytest.raises(ValueError):
        TikTok(proxy="socks4://x:1")


def test_user_agent_must_be_a_browser() -> None:
    with pytest.raises(ValueError):
        TikTok(user_agent="5.0 (Windows NT 10.0; Win64; x64)")  # the Go original's bug


# ---------------------------------------------------------------- gift streaks


def gift_event(msg_id: int, **fields: Any) -> GiftEvent:
    protocol = WebcastProtocol(1)
    protocol.receive_fetch_result(fetch_result([gift(msg_id, **fields)]))
    (event,) = protocol.events_received()
    assert isinstance(event, GiftEvent)
    return event


def test_streak_yields_its_final_total_once() -> None:
    streaks = GiftStreaks()
    results = [
        streaks.feed(gift_event(1, repeat_count=1, cost=5)),
        streaks.feed(gift_event(2, repeat_count=2, cost=5)),
        streaks.feed(gift_event(3, repeat_count=3, cost=5, repeat_end=True)),
    ]
    assert results[:2] == [None, None]
    streak = results[2]
    assert streak is not None
    assert (streak.count, streak.cost, streak.total_cost, streak.first.msg_id, streak.last.msg_id) == (
        3,
        5,
        15,
        1,
        3,
    )
    assert streak.user is not None and streak.user.id == 7
    assert len(streaks) == 0


def test_non_streakable_gifts_finish_at_once() -> None:
    streak = GiftStreaks().feed(gift_event(1, gift_type=2, repeat_count=1, cost=100))
    assert streak is not None and streak.total_cost == 100


def test_interleaved_streaks_of_different_users() -> None:
    streaks = GiftStreaks()
    assert streaks.feed(gift_event(1, user_id=1, repeat_count=1)) is None
    assert streaks.feed(gift_event(2, user_id=2, repeat_count=1)) is None
    done = streaks.feed(gift_event(3, user_id=2, repeat_count=4, repeat_end=True))
    assert done is not None and done.user is not None and done.user.id == 2 and done.count == 4
    assert len(streaks) == 1


def test_open_streaks_are_bounded() -> None:
    streaks = GiftStreaks(max_open=2)
    for user in range(3):
        streaks.feed(gift_event(user + 1, user_id=user))
    assert len(streaks) == 2 and streaks.abandoned == 1
    chat_event = ChatEvent(msg_id=1, comment="x", user=User(id=1))
    assert streaks.feed(chat_event) is None


# ---------------------------------------------------------------- buffer


def chat_events(count: int) -> List[ChatEvent]:
    protocol = WebcastProtocol(1)
    protocol.receive_fetch_result(fetch_result([chat(i) for i in range(1, count + 1)]))
    return protocol.events_received()  # type: ignore[return-value]


async def test_buffer_blocks_the_producer_and_logs_the_stall() -> None:
    reporter = Reporter()
    warnings: List[str] = []
    infos: List[str] = []
    reporter.warn_handler = warnings.append
    reporter.info_handler = infos.append
    buffer = EventBuffer(4, reporter=reporter, label="room 1")
    events = chat_events(10)

    async def produce() -> None:
        for event in events:
            await buffer.put(event)
        buffer.close()

    producer = asyncio.ensure_future(produce())
    await asyncio.sleep(0.01)
    assert len(buffer) == 4 and not producer.done()  # blocked, bounded
    assert buffer.stalls == 1 and "slow" in warnings[0]
    received = [await buffer.get() for _ in range(10)]
    with pytest.raises(StopAsyncIteration):
        await buffer.get()
    await producer
    assert received == events
    assert buffer.high_water == 4
    assert any("caught up" in message for message in infos)


async def test_a_room_that_pauses_often_is_reported_once_a_minute() -> None:
    """Rooms sharing a busy consumer pause many times a second: one warning (and one "caught
    up") per pause would flood the log, so later pauses are counted into the next report."""
    reporter = Reporter()
    warnings: List[str] = []
    infos: List[str] = []
    reporter.warn_handler = warnings.append
    reporter.info_handler = infos.append
    buffer = EventBuffer(2, reporter=reporter, label="room 1")
    events = chat_events(12)

    async def produce() -> None:
        await buffer.put_many(events)
        buffer.close()

    producer = asyncio.ensure_future(produce())
    received = []
    for _ in range(len(events)):
        await asyncio.sleep(0)  # let the producer fill the buffer and pause again
        received.append(await buffer.get())
    await producer
    assert received == events
    assert buffer.stalls >= 3
    assert len([message for message in warnings if "consumer is slow" in message]) == 1
    assert len([message for message in infos if "caught up" in message]) == 1

    # A minute later the next pause is reported again, with the count of the silent ones.
    buffer = EventBuffer(2, reporter=reporter, label="room 2")
    buffer._stall_reported_at = -STALL_REPORT_SECONDS  # as if the last report were long ago
    buffer.stalls, buffer._stalls_reported = 5, 1
    producer = asyncio.ensure_future(buffer.put_many(events[:3]))
    await asyncio.sleep(0)
    assert warnings[-1].endswith("(4 more pauses since the last report)")
    assert [await buffer.get() for _ in range(3)] == events[:3]
    await producer


async def test_a_pause_for_the_client_budget_says_so() -> None:
    """A room whose own buffer has room but whose client holds its whole budget says that, not
    "0 events are waiting"."""
    reporter = Reporter()
    warnings: List[str] = []
    reporter.warn_handler = warnings.append
    budget = BufferBudget(3)
    full, empty = (EventBuffer(10, reporter=reporter, label=f"room {n}", budget=budget) for n in (1, 2))
    events = chat_events(4)
    await full.put_many(events[:3])
    waiting = asyncio.ensure_future(empty.put_many(events[3:]))
    await asyncio.sleep(0)
    assert warnings == [
        "room 2: the consumer is slow, all rooms hold 3 events (the client's buffer budget); "
        "pausing reads until it catches up"
    ]
    assert [full.take_nowait() for _ in range(3)] == events[:3]  # frees a batch: the room goes on
    await waiting
    assert empty.take_nowait() is events[3]


async def test_buffer_overflow_error_policy() -> None:
    buffer = EventBuffer(2, overflow="error", reporter=Reporter(), label="room 1")
    events = chat_events(3)
    await buffer.put(events[0])
    await buffer.put(events[1])
    with pytest.raises(BackpressureError):
        await buffer.put(events[2])
    assert await buffer.get() == events[0]  # what was buffered is still delivered
    assert await buffer.get() == events[1]
    with pytest.raises(BackpressureError):
        await buffer.get()
    with pytest.raises(StopAsyncIteration):
        await buffer.get()


async def test_closed_buffer_refuses_events() -> None:
    buffer = EventBuffer(1, reporter=Reporter(), label="room 1")
    buffer.close()
    assert not await buffer.put(chat_events(1)[0])
    with pytest.raises(ValueError):
        EventBuffer(1, overflow="drop", reporter=Reporter(), label="x")
