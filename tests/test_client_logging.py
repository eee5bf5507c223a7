"""Report channels and secrets, against the simulator: what the client logs, and what it never logs."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import AsyncIterator, List, Set

import pytest
import pytest_asyncio
from client_sim import FAST, Recorder, collect, emitted, guarded, ids_of
from pytiktoklive import TikTok
from pytiktoklive._signing import SignServer
from pytiktoklive.events import ChatEvent
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator

pytest.importorskip("betterproto2")

SESSION_ID = "5e55i0n1d0fmyacc0unt"
API_KEY = "k3y-0f-the-s1gner"
ROOMS = [
    RoomSpec("chatty", scenario=LivelyScenario(duration=3.0, battle=False)),
    RoomSpec("endless_chat", scenario=LivelyScenario(duration=None, battle=False)),
]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, builtin_rooms=False, seed=2, speed=20.0) as simulator:
        yield simulator


def secrets_seen_by(sim: Simulator) -> Set[str]:
    """Every secret value that crossed the wire: cookies, signatures, the session id, the API key."""
    secrets = {SESSION_ID, API_KEY}
    for request in sim.requests:
        secrets.update(value for value in request.cookies.values() if len(value) > 6)
        for name in ("msToken", "X-Bogus", "_signature", "apiKey"):
            if request.query.get(name):
                secrets.add(request.query[name])
    for room in sim.rooms:
        for handshake in room.stats.handshakes:
            secrets.update(value for value in handshake.cookies.values() if len(value) > 6)
    return secrets


def assert_no_secret(text: str, secrets: Set[str]) -> None:
    leaked = sorted(secret for secret in secrets if secret in text)
    assert not leaked, f"secrets in the logs: {leaked}"


async def test_log_requests_reports_every_request_without_secrets(sim: Simulator) -> None:
    # A URL-signing server: the signed im/fetch (X-Bogus, msToken) is the client's own request.
    signer = SignServer(sim.endpoints.signer, api_key=API_KEY, flow="sign_url")
    async with Recorder(sim, log_requests=True, debug=True, session_id=SESSION_ID, signer=signer) as client:
        live = await client.tiktok.track_user("chatty")
        events, error = await collect(live)
    assert error is None and ids_of(events) == emitted(sim.room("chatty"))
    # The secrets really were used: the session cookies on HTTP and on the websocket, the key at the signer.
    fetch = next(request for request in sim.requests if request.endpoint == "im/fetch")
    assert fetch.cookies.get("sessionid") == SESSION_ID and fetch.cookies.get("sid_tt") == SESSION_ID
    assert fetch.query.get("X-Bogus") and fetch.query.get("msToken")
    assert sim.room("chatty").stats.handshakes[0].cookies.get("sessionid") == SESSION_ID
    sign = next(request for request in sim.requests if request.endpoint == "sign")
    assert API_KEY in (sign.query.get("apiKey"), sign.headers.get("X-Api-Key"))
    # One JSON line per request: status, endpoint and a (truncated) body.
    logged = [json.loads(line) for line in client.debug if line.startswith("{")]
    endpoints = {entry["endpoint"] for entry in logged}
    assert {"/webcast/room/info_by_user/", "/webcast/gift/list/", "/webcast/im/fetch/"} <= endpoints
    assert all(entry["status"] == 200 for entry in logged)
    assert any("connecting to ws://" in line for line in client.debug)  # debug: the websocket URL
    assert_no_secret(client.everything(), secrets_seen_by(sim))


async def test_default_handlers_use_standard_logging_without_secrets(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signer = SignServer(sim.endpoints.signer, flow="sign_url")  # the client's own signed im/fetch
    async with TikTok(
        sim.endpoints, log_requests=True, debug=True, session_id=SESSION_ID, signer=signer
    ) as tiktok:
        live = await tiktok.track_user("chatty")
        _events, error = await collect(live)
    assert error is None
    ours = [record for record in caplog.records if record.name == "pytiktoklive"]
    assert any("/webcast/im/fetch/" in record.getMessage() for record in ours)
    assert any(record.levelno == logging.INFO and "ended" in record.getMessage() for record in ours)
    # httpx's line for each request (also for those sent the direct way, see _receive) carries
    # signed URLs, and websockets logs handshake cookies: both come out redacted.
    assert any(
        record.name == "httpx" and "X-Bogus=[redacted]" in record.getMessage() for record in caplog.records
    )
    client_side = [record for record in caplog.records if not record.name.startswith("websockets.server")]
    assert_no_secret("\n".join(record.getMessage() for record in client_side), secrets_seen_by(sim))


async def test_debug_is_off_by_default_and_can_be_switched(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        assert client.tiktok.debug is False and client.tiktok.log_requests is False
        await client.tiktok.get_room_info("chatty")
        assert client.debug == []
        client.tiktok.log_requests = True
        await client.tiktok.get_room_info("chatty")
        assert len(client.debug) == 1  # room/info_by_user: the room by username in one request
        client.tiktok.debug = True
        assert client.tiktok.debug


async def test_raising_handlers_never_reach_the_caller(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(_message: object) -> None:
        raise RuntimeError("handler bug")

    room = sim.room("endless_chat")
    closed = room.faults.close_after(3)  # a reconnect: warnings and infos are reported
    async with TikTok(sim.endpoints, debug=True, log_requests=True, reconnect=FAST) as tiktok:
        for setter in (
            tiktok.set_debug_handler,
            tiktok.set_info_handler,
            tiktok.set_warn_handler,
            tiktok.set_error_handler,
        ):
            setter(explode)
        live = await tiktok.track_user("endless_chat")
        chats: List[str] = []

        @live.on(ChatEvent)
        def on_chat(event: ChatEvent) -> None:
            chats.append(event.comment)
            raise ValueError("a user's handler failing")  # goes to the (raising) error handler

        consumer = asyncio.ensure_future(collect(live))
        await guarded(sim.wait_until(lambda: closed.fired == 1 and len(room.stats.handshakes) == 2))
        room.end()
        events, error = await consumer
    assert error is None and ids_of(events) == emitted(room)
    assert chats and live.stats["reconnects"] == 1
    failures = [record for record in caplog.records if "handler raised" in record.getMessage()]
    assert {record.getMessage().split()[1] for record in failures} == {"debug", "info", "warn", "error"}
