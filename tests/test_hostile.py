"""The client against a hostile server (``tests/hostile``): bombs, slow bytes, redirects,
nested JSON, pathological pages, unsafe stream URLs.

Every attack ends in a typed :mod:`pytiktoklive.errors` exception, promptly, having read
no more than the limits allow, and with no secret sent anywhere it should not go.
``HANG_GUARD`` only turns a hang into a failure with a message; no assertion depends on time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import threading
import tracemalloc
from collections import deque
from pathlib import Path
from typing import Any, Awaitable, List, Set, TypeVar

import pytest
import pytiktoklive._discovery as discovery_module
from hostile import (
    Behaviour,
    HostileServer,
    Received,
    Write,
    body,
    gzip_bomb,
    huge,
    nested_json,
    redirect,
    slow,
)
from pytiktoklive import Endpoints, HTTPLimits, SignServer, TikTok
from pytiktoklive._cookies import MAX_COOKIES
from pytiktoklive._pages import parse_page
from pytiktoklive._protocol import RecentIds, new_recent_ids
from pytiktoklive._retry import ReconnectPolicy
from pytiktoklive.errors import (
    DownloadError,
    RequestError,
    ResponseTooLargeError,
    SignerError,
    SignerRedirectError,
    TikTokLiveError,
    UnsafeStreamURLError,
)
from pytiktoklive.models import StreamURLs
from pytiktoklive.recording import output_path, record_stream

T = TypeVar("T")

#: Seconds after which a stuck test fails with a clear message.
HANG_GUARD = 30.0
FAST = ReconnectPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.02, jitter=0.0)
MIB = 1 << 20

ROOM_INFO = json.dumps({"status_code": 0, "data": {"id_str": "7", "status": 2}}).encode()
PAGE = "/@someone/live"
ROOM_INFO_PATH = "/webcast/room/info/"
ROOM_INFO_BY_USER_PATH = "/webcast/room/info_by_user/"
SIGNER_PATH = "/signer/webcast/sign_url"
FETCH_PATH = "/webcast/im/fetch/"


async def guarded(awaitable: Awaitable[T], what: str = "the request") -> T:
    try:
        return await asyncio.wait_for(awaitable, HANG_GUARD)
    except asyncio.TimeoutError:
        pytest.fail(f"{what} hung")


def client(server: HostileServer, **options: Any) -> TikTok:
    options.setdefault("reconnect", FAST)
    return TikTok(Endpoints.at(server.url), **options)


def url_signer(server: HostileServer, **options: Any) -> SignServer:
    """A sign server of the ``/webcast/sign_url`` shape (the default one makes the fetch itself)."""
    return SignServer(Endpoints.at(server.url).signer, flow="sign_url", **options)


def json_body(data: bytes) -> Any:
    return body(data, content_type="application/json")


# --------------------------------------------------------------------------- bodies (item 3)


async def test_a_huge_page_fails_at_the_page_limit_without_being_read(hostile: HostileServer) -> None:
    hostile.route(PAGE, huge(64 * MIB))
    async with client(hostile) as tiktok:
        with pytest.raises(ResponseTooLargeError) as caught:
            await guarded(tiktok.track_user("someone"))
    assert caught.value.kind == "page" and caught.value.limit == HTTPLimits().page_bytes
    assert isinstance(caught.value, RequestError)
    [sent] = hostile.sent[PAGE]
    assert not sent.finished


async def test_a_gzip_bomb_is_counted_after_inflating(hostile: HostileServer) -> None:
    # 64 MiB of zeros, ~64 KB on the wire: only the decoded bytes can tell it is too large.
    hostile.route(ROOM_INFO_PATH, gzip_bomb(64 * MIB))
    async with client(hostile) as tiktok:
        with pytest.raises(ResponseTooLargeError) as caught:
            await guarded(tiktok.get_room_info(7))
    assert (caught.value.kind, caught.value.limit) == ("json", HTTPLimits().json_bytes)


async def test_a_room_info_by_user_bomb_stops_at_the_json_limit(hostile: HostileServer) -> None:
    """The one-request lookup of a user's room is read under the same limit as ``room/info``;
    ``track_user`` then takes the page route (here: no such page), as after any failed request."""
    hostile.route(ROOM_INFO_BY_USER_PATH, gzip_bomb(64 * MIB))
    async with client(hostile) as tiktok:
        with pytest.raises(ResponseTooLargeError) as caught:
            await guarded(tiktok.get_room_info("someone"))
        assert (caught.value.kind, caught.value.limit) == ("json", HTTPLimits().json_bytes)
        with pytest.raises(TikTokLiveError) as caught_by_track:
            await guarded(tiktok.track_user("someone"))
    assert not isinstance(caught_by_track.value, ResponseTooLargeError)
    assert len(hostile.requested(ROOM_INFO_BY_USER_PATH)) == 2
    assert len(hostile.requested(PAGE)) == 1


async def test_an_im_fetch_bomb_stops_at_the_fetch_limit(hostile: HostileServer) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(FETCH_PATH, gzip_bomb(64 * MIB, content_type="application/protobuf"))
    async with client(hostile, signer="", limits=HTTPLimits(fetch_bytes=4 * MIB)) as tiktok:
        with pytest.raises(ResponseTooLargeError) as caught:
            await guarded(tiktok.track_room(7, fetch_gift_info=False))
    assert (caught.value.kind, caught.value.limit) == ("fetch", 4 * MIB)


async def test_a_huge_sign_server_answer_fails_at_the_signer_limit(hostile: HostileServer) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(SIGNER_PATH, huge(8 * MIB, filler=b'{"signedUrl": "', content_type="application/json"))
    async with client(hostile, signer=url_signer(hostile)) as tiktok:
        with pytest.raises(ResponseTooLargeError) as caught:
            await guarded(tiktok.track_room(7, fetch_gift_info=False))
    assert caught.value.kind == "signer"
    assert hostile.requested(FETCH_PATH) == []


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="page_bytes"):
        HTTPLimits(page_bytes=-1)


# --------------------------------------------------------------------------- deadlines (item 4)


@pytest.mark.parametrize("head_too", [True, False], ids=["slow-headers", "slow-body"])
async def test_a_slow_loris_server_cannot_stretch_a_request_past_the_timeout(
    hostile: HostileServer, head_too: bool
) -> None:
    """One byte every 50 ms keeps every per-read timeout happy; the request's deadline is not."""
    hostile.route(PAGE, slow(head_too=head_too))
    hostile.route("/api-live/user/room/", slow(head_too=head_too))
    async with client(hostile, timeout=1.0) as tiktok:
        with pytest.raises(RequestError, match=r"did not complete within 1s"):
            await guarded(tiktok.track_user("someone"), "track_user against a slow-loris server")


async def test_a_slow_sign_server_fails_at_the_deadline(hostile: HostileServer) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(SIGNER_PATH, slow(head_too=False))
    async with client(hostile, timeout=1.0, signer=url_signer(hostile)) as tiktok:
        with pytest.raises(SignerError, match=r"did not complete within 1s"):
            await guarded(tiktok.track_room(7, fetch_gift_info=False), "signing")


# --------------------------------------------------------------------------- pages (item 5)

_PATHOLOGICAL_PAGES = """
import sys
from pytiktoklive._cookies import MAX_COOKIES
from pytiktoklive._pages import parse_page
size = 1 << 20
pages = [
    "<script " * (size // 8),
    '<script id="SIGI_STATE">{' * (size // 25),
    "<script id='__UNIVERSAL_DATA_FOR_REHYDRATION__' " * (size // 48),
    "window['SIGI_STATE']={" * (size // 22),
    '"roomId": ' * (size // 10),
    "<script>" + "x" * size,
]
for page in pages:
    print(parse_page(page, "someone").found)
"""


def test_pathological_pages_parse_in_linear_time() -> None:
    """1 MB pages that made the old regexes backtrack for hours. A child process, so a
    regression is a clear failure at the guard rather than a test run that never ends."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PATHOLOGICAL_PAGES], capture_output=True, text=True, timeout=HANG_GUARD
        )
    except subprocess.TimeoutExpired:
        pytest.fail("parsing 1 MB pathological pages hung: the page scanning is not linear")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"] * 6


def test_page_data_is_still_found() -> None:
    state = {"LiveRoom": {"liveRoomUserInfo": {"user": {"uniqueId": "someone", "roomId": "42"}}}}
    for page in (
        f'<html><script id="SIGI_STATE" type="application/json">{json.dumps(state)}</script>',
        f"<SCRIPT type='application/json' ID='SIGI_STATE'>\n {json.dumps(state)} </SCRIPT>",
        f"<script>window['SIGI_STATE'] = {json.dumps(state)};window['x']=1</script>",
    ):
        parsed = parse_page(page, "someone")
        assert parsed.found and parsed.room_id == 42, page[:60]


async def test_big_pages_are_parsed_off_the_event_loop(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: List[str] = []

    def spy(html: str, username: str, *, url: str = "") -> Any:
        threads.append(threading.current_thread().name)
        return parse_page(html, username, url=url)

    monkeypatch.setattr(discovery_module, "parse_page", spy)
    small = b'<html><script id="SIGI_STATE">{"roomId": "5"}</script></html>'
    hostile.route(PAGE, body(small + b" " * (2 * MIB)))
    hostile.route("/@small/live", body(small))
    async with client(hostile) as tiktok:
        for user in ("someone", "small"):
            with pytest.raises(TikTokLiveError):
                await guarded(tiktok.get_room_info(user))
    assert threads[0] != threading.main_thread().name  # 2 MB: in a worker thread
    assert threads[1] == threading.main_thread().name  # small: not worth a thread


# --------------------------------------------------------------------------- nesting (item 6)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        pytest.param(ROOM_INFO_PATH, nested_json(200_000), id="room-info"),
        pytest.param(
            PAGE,
            b'<script id="SIGI_STATE">' + nested_json(200_000, wrap=('{"UserModule":', "}")) + b"</script>",
            id="page",
        ),
        pytest.param("/api-live/user/room/", nested_json(200_000, wrap=('{"data":', "}")), id="api-live"),
    ],
)
async def test_deeply_nested_json_is_a_typed_error(hostile: HostileServer, path: str, data: bytes) -> None:
    hostile.route(path, body(data, content_type="application/json"))
    async with client(hostile) as tiktok:
        with pytest.raises(TikTokLiveError):
            await guarded(tiktok.get_room_info(7 if path == ROOM_INFO_PATH else "someone"))


async def test_deeply_nested_sign_server_json_is_a_signer_error(hostile: HostileServer) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(SIGNER_PATH, json_body(nested_json(200_000, wrap=('{"signedUrl":', "}"))))
    async with client(hostile) as tiktok:
        with pytest.raises(SignerError):
            await guarded(tiktok.track_room(7, fetch_gift_info=False))


# --------------------------------------------------------------------------- secrets and redirects (item 7)


@pytest.mark.parametrize("flow", ["sign_url", "fetch"])
async def test_the_sign_server_cannot_redirect_the_api_key_to_another_origin(
    hostile: HostileServer, elsewhere: HostileServer, flow: str
) -> None:
    path = SIGNER_PATH if flow == "sign_url" else "/signer/webcast/fetch"
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(path, redirect(elsewhere.url + "/collect"))
    elsewhere.route("/collect", json_body(b'{"signedUrl": "http://127.0.0.1:9/x"}'))
    signer = SignServer(Endpoints.at(hostile.url).signer, api_key="the-api-key", flow=flow)
    async with client(hostile, signer=signer) as tiktok:
        with pytest.raises(SignerRedirectError):
            await guarded(tiktok.track_room(7, fetch_gift_info=False))
    assert elsewhere.requests == []  # not followed at all
    [signing] = hostile.requested(path)
    assert signing.headers.get("x-api-key") == "the-api-key"


async def test_the_sign_server_may_redirect_within_its_origin(hostile: HostileServer) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    hostile.route(SIGNER_PATH, redirect("/signer/v2/sign_url?apiKey=the-api-key"))
    hostile.route(
        "/signer/v2/sign_url", json_body(json.dumps({"signedUrl": hostile.url + FETCH_PATH}).encode())
    )
    async with client(hostile, signer=url_signer(hostile, api_key="the-api-key")) as tiktok:
        with pytest.raises(TikTokLiveError):  # the fetch itself then 404s
            await guarded(tiktok.track_room(7, fetch_gift_info=False))
    [moved] = hostile.requested("/signer/v2/sign_url")
    assert moved.headers.get("x-api-key") == "the-api-key"
    assert hostile.requested(FETCH_PATH)


async def test_a_redirect_to_another_origin_carries_no_cookies_or_session(
    hostile: HostileServer, elsewhere: HostileServer
) -> None:
    hostile.route(PAGE, redirect(elsewhere.url + PAGE))
    async with client(hostile, session_id="the-session-id") as tiktok:
        with pytest.raises(TikTokLiveError):
            await guarded(tiktok.get_room_info("someone"))
    [asked] = hostile.requested(PAGE)
    assert "the-session-id" in asked.headers.get("cookie", "")  # the session is in use…
    [followed] = elsewhere.requested(PAGE)
    assert "cookie" not in followed.headers  # …and never leaves the origin
    assert all("the-session-id" not in value for value in followed.headers.values())


async def test_a_signed_url_on_another_origin_is_refused(
    hostile: HostileServer, elsewhere: HostileServer
) -> None:
    hostile.route(ROOM_INFO_PATH, json_body(ROOM_INFO))
    async with client(hostile, signer=lambda url: elsewhere.url + FETCH_PATH, session_id="s") as tiktok:
        with pytest.raises(SignerError, match="another host"):
            await guarded(tiktok.track_room(7, fetch_gift_info=False))
    assert elsewhere.requests == []


# --------------------------------------------------------------------------- recordings (item 9)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "concat:/etc/passwd|/etc/hosts",
        "pipe:0",
        "subfile,,start,0,end,9,,:/etc/passwd",
        "http:",
    ],
)
async def test_only_http_stream_urls_reach_ffmpeg(tmp_path: Path, url: str) -> None:
    with pytest.raises(UnsafeStreamURLError):
        await guarded(record_stream(url, tmp_path / "out.flv"))
    assert list(tmp_path.iterdir()) == []  # refused before any file was made


async def test_a_hostile_room_info_stream_url_never_reaches_ffmpeg(tmp_path: Path) -> None:
    from pytiktoklive.simulator import Simulator

    hostile_urls = StreamURLs.from_raw({"flv_pull_url": {"FULL_HD1": "file:///etc/passwd"}})
    async with Simulator(seed=0, speed=1.0) as sim, TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("demo_user")
        live.info = dataclasses.replace(live.info, stream_urls=hostile_urls)
        with pytest.raises(UnsafeStreamURLError):
            await guarded(live.download_stream(tmp_path))
        await live.close()
    assert list(tmp_path.iterdir()) == []


def test_a_300_character_username_makes_a_short_file_name(tmp_path: Path) -> None:
    path = output_path(tmp_path, "a" * 300, ".flv")
    assert path.parent == tmp_path and path.name.startswith("a" * 64 + "-") and len(path.name) < 100
    assert path.exists()


def test_an_impossible_file_name_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="cannot create the recording file"):
        output_path(tmp_path / ("b" * 300 + ".flv"), "someone", ".flv")


# --------------------------------------------------------------------------- cookies


def cookie_flood(per_answer: int) -> Behaviour:
    """``room/info``'s answer, setting ``per_answer`` cookies never seen before, and one of
    5000 bytes, every time."""
    answered = 0

    async def respond(request: Received, write: Write) -> None:
        nonlocal answered
        answered += 1
        head = [
            "HTTP/1.1 200 OK",
            "Content-Type: application/json",
            f"Content-Length: {len(ROOM_INFO)}",
            f"Set-Cookie: huge{answered}={'h' * 5000}; Path=/",
        ]
        for index in range(per_answer):
            head.append(f"Set-Cookie: flood{answered}_{index}=secret-value; Path=/")
        await write(("\r\n".join(head) + "\r\n\r\n").encode() + ROOM_INFO)

    return respond


async def test_a_server_setting_cookie_after_cookie_fills_a_bounded_jar(hostile: HostileServer) -> None:
    """The jar keeps the most recently set cookies and the user's session; a cookie over the
    size limit is not kept; every drop is counted and said, without a cookie's value."""
    hostile.route(ROOM_INFO_PATH, cookie_flood(per_answer=100))
    warnings: List[str] = []
    async with client(hostile, session_id="the-session-id") as tiktok:
        tiktok.set_warn_handler(warnings.append)
        for _ in range(4):  # 400 new cookies in all
            await guarded(tiktok.get_room_info(7))
    sent = [request.headers.get("cookie", "") for request in hostile.requested(ROOM_INFO_PATH)]
    assert len(sent) == 4
    given = dict(pair.split("=", 1) for pair in sent[0].split("; "))  # the session's, before any answer
    assert given["sessionid"] == "the-session-id"
    last = dict(pair.split("=", 1) for pair in sent[-1].split("; "))
    assert len(last) == MAX_COOKIES
    assert {name: last[name] for name in given} == given  # the session stays
    # Of the 300 cookies the first 3 answers set, the most recent ones fill the rest.
    flood = [f"flood{answer}_{index}" for answer in (1, 2, 3) for index in range(100)]
    assert set(last) - set(given) == set(flood[-(MAX_COOKIES - len(given)) :])
    # Each answer's 5000-byte cookie was refused; each cookie over the limit was dropped. The
    # drops are said at the 1st, 2nd, 4th… (the fourth answer's cookies count too).
    dropped = 4 + (400 + len(given) - MAX_COOKIES)
    said = [message for message in warnings if message.startswith("cookie jar:")]
    assert [message.split("; ")[1].split(" ")[0] for message in said] == [
        str(1 << power) for power in range(dropped.bit_length())
    ]
    assert all("secret-value" not in message and "hhhh" not in message for message in said)


# --------------------------------------------------------------------------- memory per room (item 11)


#: Both duplicate filters: the pure-Python one and the one the client uses (the Rust core's
#: when it is built).
FILTERS = pytest.mark.parametrize("make_filter", [RecentIds, new_recent_ids], ids=["python", "client"])


def test_the_duplicate_filter_stays_small_however_long_the_room_runs() -> None:
    """A set of 2048 Python ints held ~350 KiB; the filter must stay near its 48 KiB of arrays."""
    ids = RecentIds(2048)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(200_000):
            ids.add(7_300_000_000_000_000_000 + number * 7919)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(ids) == 2048
    assert held < 64 * 1024, f"{held / 1024:.0f} KiB"


def test_the_rust_duplicate_filter_stays_small_too() -> None:
    """The Rust core's filter holds its arrays outside Python's allocator: it reports them."""
    core = pytest.importorskip("pytiktoklive._core")
    ids = core.RecentIds(2048)
    for number in range(200_000):
        ids.add(7_300_000_000_000_000_000 + number * 7919)
    assert len(ids) == 2048
    assert sys.getsizeof(ids) <= 32 * 1024 + 256, f"{sys.getsizeof(ids) / 1024:.0f} KiB"


@FILTERS
def test_the_duplicate_filter_remembers_exactly_the_last_window(make_filter: Any) -> None:
    """Against a plain model (a deque and a set), over ids that collide in every way."""
    import random

    rng = random.Random(11)
    for capacity in (1, 3, 64, 2048):
        ids = make_filter(capacity)
        order: deque[int] = deque()
        seen: Set[int] = set()
        recent: List[int] = []
        for step in range(30_000):
            choice = rng.random()
            if choice < 0.3 and recent:
                msg_id = recent[-rng.randrange(1, min(len(recent), 3 * capacity) + 1)]  # a re-delivery
            elif choice < 0.4:
                msg_id = rng.randrange(1, 64) << rng.choice((0, 20, 40, 56))  # clustered slots
            else:
                msg_id = rng.getrandbits(64) or 1
            expected = msg_id not in seen
            if expected:
                seen.add(msg_id)
                order.append(msg_id)
                if len(order) > capacity:
                    seen.discard(order.popleft())
            assert ids.add(msg_id) is expected, (capacity, step)
            assert (msg_id in ids) and len(ids) == len(order)
            recent.append(msg_id)
        assert ids.add(0) is True and 0 not in ids  # "no id" is never remembered
