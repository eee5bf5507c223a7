"""Where the client sends its requests: real TikTok by default, anything else by configuration."""

from __future__ import annotations

import pytest
from pytiktoklive import TIKTOK, Endpoints, SignServer, TikTok


def test_the_default_is_real_tiktok() -> None:
    assert Endpoints.from_env({}) == TIKTOK
    assert TIKTOK.www == "https://www.tiktok.com"
    assert TIKTOK.webcast == "https://webcast.tiktok.com/webcast"


def test_one_host_lays_out_every_service_like_the_simulator() -> None:
    endpoints = Endpoints.at("http://127.0.0.1:8080/")
    assert endpoints == Endpoints(
        www="http://127.0.0.1:8080",
        webcast="http://127.0.0.1:8080/webcast",
        signer="http://127.0.0.1:8080/signer",
    )


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://example.com", ""])
def test_an_endpoint_must_be_an_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        Endpoints.at(url)


def test_the_environment_points_the_client_elsewhere() -> None:
    env = {"PYTIKTOKLIVE_ENDPOINT": "http://sim:1234"}
    assert Endpoints.from_env(env) == Endpoints.at("http://sim:1234")
    # one service at a time, over either base
    env = {"PYTIKTOKLIVE_WEBCAST": "http://webcast.example/webcast", "SIGN_API_URL": "https://sign.example"}
    assert Endpoints.from_env(env) == Endpoints(
        www=TIKTOK.www, webcast="http://webcast.example/webcast", signer="https://sign.example"
    )
    # an empty SIGN_API_URL turns signing off
    assert Endpoints.from_env({"SIGN_API_URL": ""}).signer == ""


async def test_the_client_reads_its_endpoints_and_sign_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTIKTOKLIVE_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("SIGN_API_KEY", "secret-key")
    async with TikTok() as tiktok:
        assert tiktok.endpoints == Endpoints.at("http://127.0.0.1:9")
        signer = tiktok._signer
        assert isinstance(signer, SignServer)
        assert (signer.base_url, signer.api_key) == ("http://127.0.0.1:9/signer", "secret-key")
        assert "secret-key" not in repr(signer)
    # an explicit Endpoints wins over the environment
    async with TikTok(TIKTOK) as tiktok:
        assert tiktok.endpoints == TIKTOK
