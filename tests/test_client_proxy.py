"""Proxies over real sockets: the simulator behind local HTTP and SOCKS5 proxies (``tests/proxies.py``).

Each test checks where the traffic really went: the proxies record every
request they forwarded and every tunnel they opened, the simulator every
request and websocket handshake it served.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import AsyncIterator, List

import pytest
import pytest_asyncio
from client_sim import FAST, Recorder, collect, emitted, ids_of
from proxies import HttpProxy, Socks5Proxy
from pytiktoklive import TikTok
from pytiktoklive.errors import RequestError
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator

pytest.importorskip("betterproto2")

ROOMS = [RoomSpec("proxied", scenario=LivelyScenario(duration=2.0, battle=False))]
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def proxy_certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (PEM: key and certificate in one file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate for the https proxy")
    folder = tmp_path_factory.mktemp("proxy-tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    both = folder / "both.pem"
    both.write_text(key.read_text() + cert.read_text())
    return both


def tls_server(certificate: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    return context


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, builtin_rooms=False, seed=4, speed=20.0) as simulator:
        yield simulator


def authority(sim: Simulator) -> str:
    return sim.url.split("://", 1)[1]


def http_requests(sim: Simulator) -> List[str]:
    return [request.path for request in sim.requests if request.endpoint != "push"]


async def track_to_the_end(tiktok: TikTok, sim: Simulator) -> None:
    live = await tiktok.track_user("proxied")
    events, error = await collect(live)
    assert error is None and ids_of(events) == emitted(sim.room("proxied"))
    assert live.transport == "websocket"


async def test_set_proxy_http_carries_requests_and_the_websocket(sim: Simulator) -> None:
    async with HttpProxy() as proxy, TikTok(sim.endpoints, reconnect=FAST) as tiktok:
        tiktok.set_proxy(proxy.url)
        await track_to_the_end(tiktok, sim)
    # Every HTTP request was forwarded by the proxy, and the one websocket went through a CONNECT tunnel.
    assert len(proxy.requests) == len(http_requests(sim)) > 0
    assert all(line.startswith(f"GET {sim.url}/") for line in proxy.requests)
    assert proxy.tunnels == [authority(sim)] == [authority(sim)] * len(sim.room("proxied").stats.handshakes)


async def test_https_proxy_with_insecure(sim: Simulator, proxy_certificate: Path) -> None:
    async with HttpProxy(tls=tls_server(proxy_certificate)) as proxy:
        assert proxy.url.startswith("https://")
        async with TikTok(sim.endpoints, reconnect=FAST) as tiktok:
            tiktok.set_proxy(proxy.url, insecure=True)  # the proxy's certificate is self-signed
            await track_to_the_end(tiktok, sim)
    assert len(proxy.requests) == len(http_requests(sim)) and proxy.tunnels == [authority(sim)]


async def test_https_proxy_certificate_is_verified(
    sim: Simulator, proxy_certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with HttpProxy(tls=tls_server(proxy_certificate)) as proxy:
        async with TikTok(sim.endpoints, proxy=proxy.url, reconnect=FAST) as untrusting:
            with pytest.raises(RequestError, match=r"(?i)certificate"):
                await untrusting.get_room_info("proxied")
        assert proxy.requests == []
        # Trusted through the usual OpenSSL variable, the same proxy is verified and used.
        monkeypatch.setenv("SSL_CERT_FILE", str(proxy_certificate))
        async with TikTok(sim.endpoints, proxy=proxy.url, reconnect=FAST) as trusting:
            await track_to_the_end(trusting, sim)
    assert proxy.requests and proxy.tunnels == [authority(sim)]


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_socks5_proxy_with_credentials(sim: Simulator, scheme: str) -> None:
    async with Socks5Proxy(username="alice", password="pa55w0rd-secret") as proxy:
        url = proxy.url.replace("socks5://", f"{scheme}://")
        async with Recorder(sim, proxy=url, debug=True, log_requests=True) as client:
            await track_to_the_end(client.tiktok, sim)
            assert client.tiktok.proxies.http == client.tiktok.proxies.websocket == url
    assert proxy.targets and set(proxy.targets) == {authority(sim)}
    # HTTP keeps its connections alive; the websocket needs a connection of its own.
    assert len(proxy.targets) >= 2
    assert "pa55w0rd-secret" not in client.everything()


async def test_http_proxy_with_credentials(sim: Simulator) -> None:
    async with (
        HttpProxy(username="bob", password="hunter2-secret") as proxy,
        Recorder(sim, proxy=proxy.url, debug=True, log_requests=True) as client,
    ):
        await track_to_the_end(client.tiktok, sim)
    assert proxy.tunnels == [authority(sim)] and proxy.requests
    assert "hunter2-secret" not in client.everything()


async def test_https_proxy_variable_covers_everything(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with HttpProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        async with TikTok(sim.endpoints, reconnect=FAST) as tiktok:
            await track_to_the_end(tiktok, sim)
    assert len(proxy.requests) == len(http_requests(sim)) and proxy.tunnels == [authority(sim)]


async def test_http_proxy_variable_covers_everything(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    async with HttpProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with TikTok(sim.endpoints, reconnect=FAST) as tiktok:
            await track_to_the_end(tiktok, sim)
    assert len(proxy.requests) == len(http_requests(sim)) and proxy.tunnels == [authority(sim)]


async def test_all_proxy_is_for_the_websocket_only(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Socks5Proxy() as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        async with TikTok(sim.endpoints, reconnect=FAST) as tiktok:
            assert tiktok.proxies.http is None and tiktok.proxies.websocket == proxy.url
            await track_to_the_end(tiktok, sim)
    # Exactly one connection through the proxy: the websocket's. HTTP went direct.
    assert proxy.targets == [authority(sim)] and len(sim.room("proxied").stats.handshakes) == 1


async def test_no_proxy_exempts_hosts_from_environment_proxies(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with HttpProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        async with TikTok(sim.endpoints, reconnect=FAST) as tiktok:
            await track_to_the_end(tiktok, sim)
    assert proxy.targets == []


async def test_set_proxy_applies_to_later_connections(sim: Simulator) -> None:
    async with HttpProxy() as proxy, TikTok(sim.endpoints, reconnect=FAST) as tiktok:
        await tiktok.get_room_info("proxied")
        assert proxy.targets == []  # direct so far
        tiktok.set_proxy(proxy.url)
        await track_to_the_end(tiktok, sim)
    assert proxy.requests and proxy.tunnels == [authority(sim)]


async def test_explicit_proxy_beats_the_environment(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    async with HttpProxy() as from_env, Socks5Proxy() as chosen:
        monkeypatch.setenv("HTTPS_PROXY", from_env.url)
        async with TikTok(sim.endpoints, proxy=chosen.url, reconnect=FAST) as tiktok:
            await track_to_the_end(tiktok, sim)
    assert from_env.targets == [] and chosen.targets


async def test_unreachable_proxy_fails_typed(sim: Simulator) -> None:
    async with HttpProxy() as proxy:
        dead = proxy.url  # closed when the block ends: nothing listens there any more
    async with TikTok(sim.endpoints, proxy=dead, reconnect=FAST) as tiktok:
        with pytest.raises(RequestError):
            await tiktok.get_room_info("proxied")


async def test_unsupported_proxy_schemes_fail_clearly() -> None:
    async with TikTok() as tiktok:
        for url in ("ftp://127.0.0.1:21", "127.0.0.1:8080", "socks4://127.0.0.1:1080"):
            with pytest.raises(ValueError, match="unsupported proxy scheme"):
                tiktok.set_proxy(url)
    with pytest.raises(ValueError, match="unsupported proxy scheme"):
        TikTok(proxy="ftp://127.0.0.1:21")


async def test_websocket_proxy_carries_only_the_websocket(sim: Simulator) -> None:
    async with (
        HttpProxy() as web,
        Socks5Proxy() as ws,
        TikTok(sim.endpoints, proxy=web.url, websocket_proxy=ws.url, reconnect=FAST) as tiktok,
    ):
        assert (tiktok.proxies.http, tiktok.proxies.websocket) == (web.url, ws.url)
        await track_to_the_end(tiktok, sim)
    assert len(web.requests) == len(http_requests(sim)) > 0 and web.tunnels == []
    assert ws.targets == [authority(sim)]


async def test_websocket_proxy_is_not_exempted_by_no_proxy(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with HttpProxy() as from_env, Socks5Proxy() as ws:
        monkeypatch.setenv("HTTPS_PROXY", from_env.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with TikTok(sim.endpoints, websocket_proxy=ws.url, reconnect=FAST) as tiktok:
            await track_to_the_end(tiktok, sim)
            tiktok.set_proxy(from_env.url)  # replaces both proxies
            assert tiktok.proxies.websocket == tiktok.proxies.http == from_env.url
    # NO_PROXY exempts the environment's proxy, not the one given for the websocket.
    assert from_env.targets == [] and ws.targets == [authority(sim)]
    with pytest.raises(ValueError, match="unsupported proxy scheme"):
        TikTok(websocket_proxy="socks4://127.0.0.1:1080")
