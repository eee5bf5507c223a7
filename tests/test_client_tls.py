"""TLS end to end: the client against ``Simulator(tls=True)`` (HTTPS + WSS, a throw-away CA).

"TLS verification stays on unless the user turns it off", proven on real sockets:

* with the system's trust store the simulator's certificate is refused, with a typed error
  that says so, before a single request reaches it;
* ``insecure=True`` turns verification off for HTTP and the websocket alike;
* ``verify=`` (a CA file or an ``ssl.SSLContext``) trusts the simulator's CA with
  verification on, for HTTP and the websocket alike;
* the websocket verifies on its own: trusted HTTP (through the user's own httpx client) does
  not make an untrusted push server acceptable.
"""

from __future__ import annotations

import shutil
import ssl
from typing import Any, AsyncIterator, Dict

import httpx
import pytest
import pytest_asyncio
from client_sim import Recorder, collect, emitted, guarded, ids_of
from pytiktoklive import TikTok
from pytiktoklive.errors import ConnectionFailedError, RequestError, TLSVerificationError
from pytiktoklive.events import ControlEvent
from pytiktoklive.simulator import Simulator

pytest.importorskip("betterproto2")  # the simulator and the outbound frames need it

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="Simulator(tls=True) makes its certificates with openssl"
)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7, speed=20.0, tls=True) as simulator:
        yield simulator


def ca_file(sim: Simulator) -> str:
    assert sim.ca_file is not None and sim.ca_file.is_file()
    return str(sim.ca_file)


async def test_the_simulator_serves_https_and_wss(sim: Simulator) -> None:
    assert sim.endpoints.www.startswith("https://")
    assert sim.endpoints.webcast.startswith("https://") and sim.endpoints.signer.startswith("https://")
    assert sim.push_url.startswith("wss://")
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca_file(sim))) as client:
        answer = await client.get(sim.endpoints.webcast + "/room/check_alive/", params={"room_ids": "1"})
    assert answer.status_code == 200
    assert [record.endpoint for record in sim.requests] == ["room/check_alive"]


async def test_plain_simulator_has_no_ca_file() -> None:
    async with Simulator(builtin_rooms=False) as plain:
        assert plain.ca_file is None and plain.url.startswith("http://")


async def test_verification_is_on_by_default(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        with pytest.raises(TLSVerificationError, match="certificate verification failed") as raised:
            await guarded(client.tiktok.track_user("demo_user"), "tracking")
        assert isinstance(raised.value, RequestError)  # a request that failed, by its type
        assert "verify=" in str(raised.value) and "insecure=True" in str(raised.value)
        with pytest.raises(RequestError, match="certificate verification failed"):
            await guarded(client.tiktok.get_gift_info(sim.room("demo_user").room_id), "gift/list")
        assert client.tiktok.lives == []
    # Refused during the TLS handshake: no request, no fetch, no websocket ever reached it.
    assert not sim.requests
    room = sim.room("demo_user")
    assert room.stats.first_fetches == 0 and not room.stats.handshakes


@pytest.mark.parametrize("how", ["insecure", "ca-file", "ssl-context"])
async def test_tracking_over_wss(sim: Simulator, how: str) -> None:
    room = sim.room("demo_user")
    options: Dict[str, Any]
    if how == "insecure":
        options = {"insecure": True}
    elif how == "ca-file":
        options = {"verify": ca_file(sim)}
    else:
        options = {"verify": ssl.create_default_context(cafile=ca_file(sim))}
    async with Recorder(sim, **options) as client:
        live = await guarded(client.tiktok.track_user("demo_user"), "tracking")
        assert live.gift_info is not None and len(live.gift_info) > 0
        events, error = await collect(live)
    assert error is None, error
    assert ids_of(events) == emitted(room)
    assert isinstance(events[-1], ControlEvent) and events[-1].ended
    assert live.ended and live.transport == "websocket"
    assert room.stats.handshakes and all(record.accepted for record in room.stats.handshakes)
    assert not client.errors


async def test_the_websocket_verifies_too(sim: Simulator) -> None:
    """HTTP trusts the CA (the user's own httpx client); the websocket, left to the default
    trust store, must refuse the push server instead of following HTTP's lead."""
    room = sim.room("demo_user")
    trusting = httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca_file(sim)))
    async with trusting, Recorder(sim, http_client=trusting) as client:
        live = await guarded(client.tiktok.track_user("demo_user"), "tracking")
        _events, error = await collect(live)
    assert isinstance(error, TLSVerificationError) and isinstance(error, ConnectionFailedError)
    assert "push server" in str(error) and "certificate verification failed" in str(error)
    assert live.transport == "websocket" and not live.ended
    # The TLS handshake failed: the push server never saw an HTTP upgrade request.
    assert not room.stats.handshakes and room.stats.connections == 0
    assert room.stats.first_fetches == 1 and room.stats.polls == 0


async def test_verify_arguments_are_checked(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="not both"):
        TikTok(sim.endpoints, insecure=True, verify=ca_file(sim))
    with pytest.raises(ValueError, match="no CA certificate file"):
        TikTok(sim.endpoints, verify="/nonexistent/ca.pem")
