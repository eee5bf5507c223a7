"""The simulator's web host, WebCast JSON API and sign server, spoken to over real sockets.

Each test reads as a small example of what the simulator serves and how a
client talks to it with plain ``httpx``: the pages that carry a room id, the
``room/info`` / ``gift/list`` / ``feed`` / ``diamond`` / ``check_alive`` answers,
``im/fetch`` polling, the sign server, and the HTTP fault knobs. The websocket
push server is in ``test_simulator_push.py``; scenarios in
``test_simulator_scenarios.py``; fidelity against real captures in
``test_simulator_fidelity.py``; the video stream in ``test_simulator_media.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Dict

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.decoding import decode_fetch_result
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.testing import fetch, page_data

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")

#: A short LIVE: ten seconds of scenario, played at speed 20 (half a second).
SHORT = LivelyScenario(duration=10.0)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7, speed=20.0) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


async def get_json(http: httpx.AsyncClient, address: str, /, **params: Any) -> Dict[str, Any]:
    answer = await http.get(address, params=params)
    assert answer.status_code == 200, answer.text
    document: Dict[str, Any] = answer.json()
    return document


# --------------------------------------------------------------------------- one port, three hosts


def test_endpoints_put_every_service_on_one_loopback_port(sim: Simulator) -> None:
    assert sim.url.startswith("http://127.0.0.1:")
    assert sim.endpoints.www == sim.url
    assert sim.endpoints.webcast == sim.url + "/webcast"
    assert sim.endpoints.signer == sim.url + "/signer"
    assert sim.push_url == sim.url.replace("http://", "ws://") + "/webcast/im/push/"
    assert {room.username for room in sim.rooms} >= {"demo_user", "offline_user", "polling_user"}


async def test_an_unknown_path_is_404_and_every_request_is_recorded(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    answer = await http.get(sim.url + "/no/such/page", headers={"Cookie": "ttwid=abc"})
    assert answer.status_code == 404
    record = sim.requests[-1]
    assert (record.endpoint, record.path, record.cookies) == ("unknown", "/no/such/page", {"ttwid": "abc"})


async def test_head_gets_the_headers_of_get_without_a_body(sim: Simulator, http: httpx.AsyncClient) -> None:
    answer = await http.head(sim.url + "/@demo_user/live", headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert int(answer.headers["Content-Length"]) > 1000
    assert answer.content == b""


# --------------------------------------------------------------------------- keep-alive


def client_port(answer: httpx.Response) -> int:
    """The local port of the connection ``answer`` came on."""
    port: int = answer.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


async def test_plain_answers_keep_the_connection_open_as_tiktoks_servers_do(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room_id = str(sim.room("demo_user").room_id)
    answers = [
        await http.get(sim.url + "/"),
        await http.get(sim.url + "/webcast/room/info/", params={"room_id": room_id}),
        await http.get(sim.url + "/no/such/page"),
        await http.get(sim.url + "/@demo_user/live"),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 404, 200]
    assert {answer.headers["Connection"] for answer in answers} == {"keep-alive"}
    assert len({client_port(answer) for answer in answers}) == 1  # one connection for all four
    endpoints = [record.endpoint for record in list(sim.requests)[-4:]]
    assert endpoints == ["home", "room/info", "unknown", "live_page"]


async def test_a_close_request_or_a_truncated_answer_ends_the_connection(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    closing = await http.get(sim.url + "/", headers={"Connection": "close"})
    assert closing.headers["Connection"] == "close"
    first_port = client_port(await http.get(sim.url + "/"))
    sim.faults.truncate("home")
    with pytest.raises(httpx.RemoteProtocolError):  # half the body, then the connection closes
        await http.get(sim.url + "/")
    after = await http.get(sim.url + "/")
    assert after.status_code == 200 and after.headers["Connection"] == "keep-alive"
    assert client_port(after) != first_port  # a new connection


async def read_answer(reader: Any) -> bytes:
    """One HTTP answer's head and (``Content-Length``) body off a raw connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0].split(b":")[1]) if lengths else 0
    return bytes(head + await reader.readexactly(length))


async def test_a_websocket_upgrade_after_plain_requests_on_one_connection(sim: Simulator) -> None:
    import asyncio

    host, port = sim.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for _ in range(2):
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert (await read_answer(reader)).startswith(b"HTTP/1.1 200 OK\r\n")
        room_id = sim.room("demo_user").room_id
        writer.write(
            f"GET /webcast/im/push/?room_id={room_id} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101 ")
        assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head  # the accept key of that Sec-WebSocket-Key
    finally:
        writer.close()


async def test_closing_the_simulator_ends_idle_kept_alive_connections() -> None:
    import asyncio

    sim = await Simulator(builtin_rooms=False).start()
    host, port = sim.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert b"Connection: keep-alive" in await read_answer(reader)
    await asyncio.wait_for(sim.close(), 10)  # does not wait for the idle connection
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the simulator
    writer.close()


async def test_an_idle_kept_alive_connection_is_closed_after_a_while(sim: Simulator) -> None:
    import asyncio

    sim._idle.timeout = 0.2  # KEEP_ALIVE_SECONDS (60) in real use
    host, port = sim.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert b"Connection: keep-alive" in await read_answer(reader)
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the simulator, not by us
    writer.close()


# --------------------------------------------------------------------------- www: pages with room ids


async def test_home_page_sets_the_anonymous_cookies(sim: Simulator, http: httpx.AsyncClient) -> None:
    answer = await http.get(sim.url + "/")
    assert answer.status_code == 200
    assert {"ttwid", "tt_csrf_token", "tt_chain_token"} <= set(answer.cookies)
    assert page_data(answer.text, "SIGI_STATE")["AppContext"]["appContext"]["region"] == "US"


async def test_profile_page_carries_the_room_id_in_universal_data(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = sim.room("demo_user")
    answer = await http.get(sim.url + "/@demo_user")
    data = page_data(answer.text, "__UNIVERSAL_DATA_FOR_REHYDRATION__")
    detail = data["__DEFAULT_SCOPE__"]["webapp.user-detail"]
    assert detail["statusCode"] == 0
    assert detail["userInfo"]["user"]["uniqueId"] == "demo_user"
    assert detail["userInfo"]["user"]["roomId"] == str(room.room_id)
    assert detail["userInfo"]["user"]["secUid"].startswith("MS4wLjABAAAA")
    assert {"followerCount", "followingCount", "heart", "videoCount"} <= set(detail["userInfo"]["stats"])
    assert page_data(answer.text, "SIGI_STATE") is None
    assert 'property="og:url"' in answer.text  # real pages have it; block pages do not


async def test_profile_page_in_the_2022_sigi_state_style(http: httpx.AsyncClient) -> None:
    async with Simulator([RoomSpec("old_style", page_style="sigi")], builtin_rooms=False) as sim:
        answer = await http.get(sim.url + "/@old_style")
    state = page_data(answer.text, "SIGI_STATE")
    assert state["UserModule"]["users"]["old_style"]["roomId"] == str(sim.room("old_style").room_id)
    assert "old_style" in state["UserModule"]["stats"]
    assert page_data(answer.text, "__UNIVERSAL_DATA_FOR_REHYDRATION__") is None


async def test_profile_of_a_user_who_is_not_live_has_an_empty_room_id(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    answer = await http.get(sim.url + "/@offline_user")
    user = page_data(answer.text, "__UNIVERSAL_DATA_FOR_REHYDRATION__")["__DEFAULT_SCOPE__"][
        "webapp.user-detail"
    ]["userInfo"]["user"]
    assert user["roomId"] == ""


async def test_live_page_carries_room_id_status_and_stream(sim: Simulator, http: httpx.AsyncClient) -> None:
    live = page_data((await http.get(sim.url + "/@demo_user/live")).text, "SIGI_STATE")
    info = live["LiveRoom"]["liveRoomUserInfo"]
    assert info["user"]["roomId"] == str(sim.room("demo_user").room_id)
    assert info["liveRoom"]["status"] == 2
    pull_data = info["liveRoom"]["streamData"]["pull_data"]
    assert set(json.loads(pull_data["stream_data"])["data"]) == {"origin", "uhd", "hd", "sd", "ld"}

    ended = page_data((await http.get(sim.url + "/@offline_user/live")).text, "SIGI_STATE")
    info = ended["LiveRoom"]["liveRoomUserInfo"]
    # The live page of a user whose LIVE ended still names that room, with status 4.
    assert info["user"]["roomId"] == str(sim.room("offline_user").room_id)
    assert info["liveRoom"]["status"] == 4
    assert "streamData" not in info["liveRoom"]


async def test_api_live_answers_room_id_and_status(sim: Simulator, http: httpx.AsyncClient) -> None:
    answer = await get_json(
        http, sim.url + "/api-live/user/room/", aid="1988", uniqueId="demo_user", sourceType="54"
    )
    assert answer["statusCode"] == 0
    assert answer["data"]["user"]["roomId"] == str(sim.room("demo_user").room_id)
    assert answer["data"]["liveRoom"]["status"] == 2


async def test_an_unknown_user_is_not_found_everywhere(sim: Simulator, http: httpx.AsyncClient) -> None:
    profile = await http.get(sim.url + "/@nobody_here")
    detail = page_data(profile.text, "__UNIVERSAL_DATA_FOR_REHYDRATION__")["__DEFAULT_SCOPE__"][
        "webapp.user-detail"
    ]
    assert (detail["statusCode"], detail["userInfo"]) == (10221, {})
    live = page_data((await http.get(sim.url + "/@nobody_here/live")).text, "SIGI_STATE")
    assert "LiveRoom" not in live
    api = await get_json(http, sim.url + "/api-live/user/room/", uniqueId="nobody_here")
    assert (api["statusCode"], api["message"]) == (19881007, "user_not_found")


async def test_an_existing_user_can_be_made_not_found(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.user_not_found.add("demo_user")
    api = await get_json(http, sim.url + "/api-live/user/room/", uniqueId="demo_user")
    assert api["statusCode"] == 19881007
    live = page_data((await http.get(sim.url + "/@demo_user/live")).text, "SIGI_STATE")
    assert "LiveRoom" not in live


async def test_captcha_page_then_the_real_page(sim: Simulator, http: httpx.AsyncClient) -> None:
    fault = sim.faults.captcha(times=1)
    blocked = await http.get(sim.url + "/@demo_user/live")
    assert blocked.status_code == 200
    assert "tiktok-verify-page" in blocked.text
    assert page_data(blocked.text, "SIGI_STATE") is None
    assert 'property="og:url"' not in blocked.text
    assert fault.fired == 1
    again = await http.get(sim.url + "/@demo_user/live")
    assert page_data(again.text, "SIGI_STATE")["LiveRoom"]["liveRoomUserInfo"]["liveRoom"]["status"] == 2


async def test_waf_challenge_page_for_one_user_only(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.waf(times=None, username="demo_user")
    blocked = await http.get(sim.url + "/@demo_user")
    assert "_wafchallengeid" in blocked.text and "slardar" in blocked.text
    other = await http.get(sim.url + "/@offline_user")
    assert page_data(other.text, "__UNIVERSAL_DATA_FOR_REHYDRATION__") is not None


# --------------------------------------------------------------------------- webcast JSON


#: ``room/info`` keys named in research §5.3 (``gotiktoklive-and-node.md``).
ROOM_INFO_KEYS = {
    "id", "id_str", "status", "title", "create_time", "finish_time", "start_time", "user_count",
    "like_count", "share_url", "live_id", "room_auth", "stats", "owner", "owner_user_id",
    "owner_user_id_str", "top_fans", "cover", "hashtag", "link_mic", "living_room_attrs",
    "stream_id", "stream_id_str", "stream_url", "stream_url_filtered_info",
}  # fmt: skip
OWNER_KEYS = {
    "id", "id_str", "display_id", "nickname", "sec_uid", "bio_description", "avatar_thumb",
    "avatar_medium", "avatar_large", "follow_info", "pay_grade", "own_room", "verified", "user_attr",
    "badge_list", "top_fans",
}  # fmt: skip
#: ``stream_url`` keys named in research §5.4.
STREAM_URL_KEYS = {
    "hls_pull_url", "hls_pull_url_params", "hls_pull_url_map", "rtmp_pull_url", "rtmp_pull_url_params",
    "rtmp_push_url", "rtmp_push_url_params", "flv_pull_url", "flv_pull_url_params",
    "candidate_resolution", "default_resolution", "resolution_name", "extra", "id", "id_str",
    "provider", "stream_control_type", "push_urls", "complete_push_urls", "live_core_sdk_data",
}  # fmt: skip


async def test_room_info_of_a_live_room(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.room("demo_user")
    answer = await get_json(http, sim.endpoints.webcast + "/room/info/", aid="1988", room_id=room.room_id)
    assert answer["status_code"] == 0 and isinstance(answer["extra"]["now"], int)
    info = answer["data"]
    assert info.keys() >= ROOM_INFO_KEYS
    assert info["owner"].keys() >= OWNER_KEYS
    assert (info["id"], info["id_str"], info["status"]) == (room.room_id, str(room.room_id), 2)
    assert info["owner"]["display_id"] == "demo_user"
    assert info["owner"]["own_room"]["room_ids_str"] == [str(room.room_id)]

    stream = info["stream_url"]
    assert stream.keys() >= STREAM_URL_KEYS
    assert set(stream["flv_pull_url"]) == {"FULL_HD1", "HD1", "SD1", "SD2"}
    assert set(stream["flv_pull_url_params"]) == set(stream["flv_pull_url"])
    assert stream["hls_pull_url"].endswith("/index.m3u8")
    assert stream["rtmp_pull_url"].endswith(".flv")  # TikTok's "rtmp" URL is an FLV over HTTP
    assert stream["default_resolution"] == "ORIGION"  # sic: TikTok's spelling
    assert json.loads(stream["hls_pull_url_params"]) == {"VCodec": "h264"}
    pull_data = stream["live_core_sdk_data"]["pull_data"]
    assert {quality["sdk_key"] for quality in pull_data["options"]["qualities"]} == {
        "origin", "uhd", "hd", "sd", "ld",
    }  # fmt: skip
    stream_data = json.loads(pull_data["stream_data"])  # a JSON document inside a string
    for quality in stream_data["data"].values():
        assert quality["main"]["flv"].startswith(sim.url + "/stage/")
        assert quality["main"]["hls"].endswith("/index.m3u8")
        assert json.loads(quality["main"]["sdk_params"])["VCodec"] == "h264"


async def test_room_info_of_ended_unknown_and_age_restricted_rooms(http: httpx.AsyncClient) -> None:
    rooms = [RoomSpec("ended_host", live=False), RoomSpec("adults_only", age_restricted=True)]
    async with Simulator(rooms, builtin_rooms=False) as sim:
        url = sim.endpoints.webcast + "/room/info/"
        ended = (await get_json(http, url, room_id=sim.room("ended_host").room_id))["data"]
        unknown = (await get_json(http, url, room_id=7_000_000_000_000_000_001))["data"]
        restricted = (await get_json(http, url, room_id=sim.room("adults_only").room_id))["data"]
    assert (ended["status"], ended["stream_url"], ended["user_count"]) == (4, {}, 0)
    assert ended["finish_time"] > ended["create_time"]
    assert (unknown["status"], unknown["id_str"]) == (4, "7000000000000000001")
    assert restricted == {"prompts": ""}


async def test_room_status_turns_to_4_when_the_live_ends(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.add_room(RoomSpec("ends_soon", scenario=LivelyScenario(duration=None)))
    check = sim.endpoints.webcast + "/room/check_alive/"
    info = sim.endpoints.webcast + "/room/info/"
    alive = await get_json(http, check, aid="1988", room_ids=f"{room.room_id},1")
    assert alive["data"] == [
        {"alive": True, "room_id": room.room_id, "room_id_str": str(room.room_id)},
        {"alive": False, "room_id": 1, "room_id_str": "1"},
    ]
    room.start()
    room.end()
    assert room.messages[-1].method == "WebcastControlMessage"
    assert (await get_json(http, check, room_ids=room.room_id))["data"][0]["alive"] is False
    assert (await get_json(http, info, room_id=room.room_id))["data"]["status"] == 4


async def test_gift_list_without_captures_is_generated_in_the_real_shape(
    http: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with Simulator(builtin_rooms=False, captures_dir=tmp_path / "none") as sim:
        answer = await get_json(http, sim.endpoints.webcast + "/gift/list/", aid="1988")
    assert answer["status_code"] == 0
    assert {"gifts", "gifts_info", "pages", "doodle_templates"} <= set(answer["data"])
    gifts = {gift["id"]: gift for gift in answer["data"]["gifts"]}
    assert gifts[5655]["name"] == "Rose"
    assert gifts[5953]["diamond_count"] == 25 and gifts[5953]["type"] == 1
    assert any(gift["type"] != 1 for gift in gifts.values())  # some gifts cannot streak
    for gift in gifts.values():
        assert gift["image"]["url_list"][0].startswith(sim.url + "/img/gift/")


async def test_an_image_url_serves_a_png(sim: Simulator, http: httpx.AsyncClient) -> None:
    answer = await http.get(sim.room("demo_user").avatar_url)
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_diamond_price_list(sim: Simulator, http: httpx.AsyncClient) -> None:
    answer = await get_json(http, sim.endpoints.webcast + "/diamond/", aid="1988")
    item_keys = {
        "id", "iap_id", "diamond_count", "price", "exchange_price", "discount_price",
        "giving_count", "describe", "coupon_id", "currency_price",
    }  # fmt: skip
    assert answer["data"] and all(item.keys() >= item_keys for item in answer["data"])
    coins = [item["diamond_count"] for item in answer["data"]]
    assert coins == sorted(coins) and coins[0] == 30
    assert answer["extra"]["default_currency"] == answer["data"][0]["currency_price"][0]["currency"]


async def test_feed_pages_through_the_live_rooms(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.add_rooms(8, prefix="feed_user")
    sim.add_room(RoomSpec("hidden_host", in_feed=False))
    url = sim.endpoints.webcast + "/feed/"
    seen = []
    pages = 0
    params: Dict[str, Any] = {"aid": "1988", "channel": "tiktok_web", "channel_id": "86"}
    while True:
        answer = await get_json(http, url, **params)
        pages += 1
        extra = answer["extra"]
        assert extra.keys() >= {"has_more", "max_time", "min_time", "total", "banner", "log_pb", "now"}
        assert len(answer["data"]) <= sim.feed_page_size == extra["total"] or not extra["has_more"]
        for item in answer["data"]:
            assert item["rid"] == item["data"]["id_str"] and item["data"]["status"] == 2
            seen.append(item["data"]["owner"]["display_id"])
        if not extra["has_more"]:
            break
        params["max_time"] = extra["max_time"]  # the next page starts where this one ended
    live_in_feed = [room.username for room in sim.rooms if room.live and room.spec.in_feed]
    assert seen == live_in_feed  # every live room once, in order, across pages
    assert pages == 2 and "offline_user" not in seen and "hidden_host" not in seen


async def test_json_is_gzipped_for_clients_that_accept_it(http: httpx.AsyncClient) -> None:
    async with Simulator(builtin_rooms=False) as sim:
        url = sim.endpoints.webcast + "/diamond/"
        gzipped = await http.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        plain = await http.get(url, headers={"Accept-Encoding": "identity"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzipped.json() == {
        **plain.json(),
        "extra": {**plain.json()["extra"], "now": gzipped.json()["extra"]["now"]},
    }
    async with Simulator(builtin_rooms=False, http_gzip=False) as sim:
        never = await http.get(sim.endpoints.webcast + "/diamond/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in never.headers


# --------------------------------------------------------------------------- im/fetch: HTTP polling


async def test_first_im_fetch_offers_the_push_server(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.room("demo_user")
    result = await fetch(http, sim, room)
    assert result.is_first and not result.need_ack  # acks are for websocket frames only
    assert result.push_server == sim.push_url
    assert set(result.route_params) == {"imprp", "wrss"}
    assert result.fetch_interval == room.spec.fetch_interval_ms
    assert result.heartbeat_duration == room.spec.heartbeat_duration
    assert f"|next_cursor:{result.cursor}|" in result.internal_ext
    assert room.started and room.stats.first_fetches == 1


async def test_polling_only_room_and_cursor_paging(sim: Simulator, http: httpx.AsyncClient) -> None:
    """A room without websocket: ``im/fetch`` offers no push server; polling with the
    returned cursor gives each message exactly once, up to the control message."""
    room = sim.add_room(RoomSpec("poller", websocket=False, scenario=SHORT))
    result = await fetch(http, sim, room)
    assert (result.push_server, result.route_params) == ("", {})
    received = [event.msg_id for event in result.events]
    while not received or received[-1] != room.log[-1].msg_id or not room.ended:
        await room.wait_beyond(len(received))  # instead of sleeping fetch_interval
        result = await fetch(http, sim, room, cursor=result.cursor, internal_ext=result.internal_ext)
        assert not result.is_first
        received.extend(event.msg_id for event in result.events)
    assert received == [entry.msg_id for entry in room.log]
    assert room.log[-1].method == "WebcastControlMessage" and room.ended
    assert room.stats.polls >= 1


async def test_polling_resumes_from_internal_ext_alone(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.add_room(RoomSpec("resumer", scenario=SHORT))
    first = await fetch(http, sim, room)
    await room.wait_for_messages(5)
    later = await fetch(http, sim, room, internal_ext=first.internal_ext)
    assert [event.msg_id for event in later.events] == [
        entry.msg_id for entry in room.log[: len(later.events)]
    ]


async def test_im_fetch_of_an_unknown_room_is_an_empty_result(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    answer = await http.get(sim.endpoints.webcast + "/im/fetch/", params={"room_id": "42"})
    result = decode_fetch_result(answer.content)
    assert (result.events, result.cursor, result.push_server) == ((), "", "")


# --------------------------------------------------------------------------- the sign server


async def test_sign_url_signs_webcast_urls_like_public_sign_servers(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = sim.room("demo_user")
    target = f"{sim.endpoints.webcast}/im/fetch/?aid=1988&room_id={room.room_id}"
    signed = await get_json(http, sim.endpoints.signer + "/webcast/sign_url", url=target, client="test")
    assert {"signedUrl", "User-Agent", "msToken", "X-Bogus", "_signature", "browserName"} <= set(signed)
    assert signed["signedUrl"].startswith(target + "&")
    again = await get_json(http, sim.endpoints.signer + "/webcast/sign_url", url=target)
    assert again["X-Bogus"] == signed["X-Bogus"]  # deterministic: same URL, same signature

    answer = await http.get(signed["signedUrl"], headers={"User-Agent": signed["User-Agent"]})
    assert decode_fetch_result(answer.content).is_first
    assert room.stats.signed_fetches == 1

    foreign = await http.get(sim.endpoints.signer + "/webcast/sign_url", params={"url": "https://x.test/"})
    assert foreign.status_code == 400 and "error" in foreign.json()


async def test_signer_fetch_in_the_euler_shape(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.room("demo_user")
    answer = await http.get(
        sim.endpoints.signer + "/webcast/fetch",
        params={"client": "ttlive-python", "room_id": room.room_id, "client_enter": "true"},
    )
    assert answer.status_code == 200
    assert answer.headers["X-Room-Id"] == str(room.room_id)
    assert "ttwid=" in answer.headers["X-Set-TT-Cookie"] and "msToken=" in answer.headers["X-Set-TT-Cookie"]
    result = decode_fetch_result(answer.content)  # raw FetchResult protobuf, no gzip
    assert result.is_first and result.push_server == sim.push_url and result.route_params


async def test_a_room_that_requires_signatures_answers_unsigned_fetches_with_nothing(
    http: httpx.AsyncClient,
) -> None:
    async with Simulator([RoomSpec("strict", require_signature=True)], builtin_rooms=False) as sim:
        room = sim.room("strict")
        url = f"{sim.endpoints.webcast}/im/fetch/?aid=1988&room_id={room.room_id}"
        unsigned = await http.get(url)
        signed = await get_json(http, sim.endpoints.signer + "/webcast/sign_url", url=url)
        trusted = await http.get(signed["signedUrl"])
    assert (unsigned.status_code, unsigned.content) == (200, b"")
    assert decode_fetch_result(trusted.content).push_server == sim.push_url


# --------------------------------------------------------------------------- HTTP faults


async def test_rate_limit_with_retry_after_then_recovery(sim: Simulator, http: httpx.AsyncClient) -> None:
    fault = sim.faults.fail("room/info", 429, times=2, retry_after=3)
    url = sim.endpoints.webcast + "/room/info/"
    params = {"room_id": sim.room("demo_user").room_id}
    for _ in range(2):
        limited = await http.get(url, params=params)
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
        assert limited.json()["status_code"] == 429
    assert (await http.get(url, params=params)).json()["data"]["status"] == 2
    assert fault.fired == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_any_endpoint_can_fail_with_5xx(sim: Simulator, http: httpx.AsyncClient, status: int) -> None:
    sim.faults.fail("*", status, times=3)
    for path in ("/@demo_user/live", "/webcast/gift/list/", "/signer/webcast/sign_url"):
        assert (await http.get(sim.url + path)).status_code == status
    assert (await http.get(sim.url + "/webcast/diamond/")).status_code == 200


async def test_signer_rate_limit_and_signer_down(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.fail("sign", 429, retry_after=30)
    url = sim.endpoints.signer + "/webcast/sign_url"
    limited = await http.get(url, params={"url": sim.endpoints.webcast + "/im/fetch/"})
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Reset"] == "30"
    assert set(limited.json()) == {"message", "limit_label"}
    sim.faults.signer_down = True
    with pytest.raises(httpx.TransportError):
        await http.get(url, params={"url": sim.endpoints.webcast + "/im/fetch/"})
    assert (await http.get(sim.endpoints.webcast + "/diamond/")).status_code == 200  # only the signer


async def test_dropped_truncated_malformed_and_empty_answers(sim: Simulator, http: httpx.AsyncClient) -> None:
    url = sim.endpoints.webcast + "/gift/list/"
    sim.faults.drop("gift/list")
    with pytest.raises(httpx.TransportError):
        await http.get(url)
    sim.faults.truncate("gift/list")
    with pytest.raises(httpx.RemoteProtocolError):  # Content-Length promised more than came
        await http.get(url, headers={"Accept-Encoding": "identity"})
    sim.faults.malformed("gift/list")
    malformed = await http.get(url)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):  # neither UTF-8 nor JSON
        malformed.json()
    sim.faults.empty("gift/list")
    assert (await http.get(url)).content == b""
    assert (await http.get(url)).json()["status_code"] == 0  # every fault fired once


async def test_a_stalled_request_is_answered_late_or_never(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.stall("diamond", seconds=0.05)
    assert (await http.get(sim.endpoints.webcast + "/diamond/")).status_code == 200
    sim.faults.stall("diamond", seconds=None)
    with pytest.raises(httpx.ReadTimeout):
        await http.get(sim.endpoints.webcast + "/diamond/", timeout=0.3)
