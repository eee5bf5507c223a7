"""Signing: the sign-server JSON contract, user sign functions, and their failures.

The sign server is played by ``httpx.MockTransport`` here, to pin down the
exact request and response shapes; the simulator's signer is exercised by the
end-to-end tests.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import httpx
import pytest
from pytiktoklive._signing import FunctionSigner, SignedURL, SignServer, as_signer
from pytiktoklive.errors import SignerError, SignerRateLimitError

UNSIGNED = "https://webcast.tiktok.com/webcast/im/fetch/?room_id=1&aid=1988"


def client_answering(status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> tuple:
    seen: List[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(body, (dict, list)):
            return httpx.Response(status, json=body, headers=headers)
        return httpx.Response(status, content=body, headers=headers)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer)), seen


async def test_sign_server_request_and_answer() -> None:
    client, seen = client_answering(
        200,
        {
            "signedUrl": UNSIGNED + "&X-Bogus=b&_signature=s",
            "User-Agent": "Mozilla/5.0 Signed",
            "msToken": "tok",
        },
    )
    server = SignServer("https://signer.example/", api_key="k3y")
    server.rooms_tracked = 3
    async with client:
        signed = await server.sign(UNSIGNED, client)
    assert signed == SignedURL(UNSIGNED + "&X-Bogus=b&_signature=s", "Mozilla/5.0 Signed", {"msToken": "tok"})
    (request,) = seen
    assert request.url.path == "/webcast/sign_url"
    assert request.url.params["url"] == UNSIGNED
    assert request.url.params["client"] == "pytiktoklive"
    assert request.url.params["uuc"] == "3"
    assert request.headers["X-Api-Key"] == "k3y"
    assert "k3y" not in repr(server)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, {"error": "boom sessionid=s3cr3t"}, "no signedUrl"),
        (200, b"<html>oops</html>", "not JSON"),
        (500, {"error": "internal"}, "answered 500"),
        (403, {"code": 403, "error": "This ISP is blocked"}, "ISP is blocked"),
        (200, {"signedUrl": "javascript:alert(1)"}, "not an http"),
    ],
)
async def test_sign_server_failures(status: int, body: Any, message: str) -> None:
    client, _ = client_answering(status, body)
    async with client:
        with pytest.raises(SignerError, match=message) as info:
            await SignServer("https://signer.example").sign(UNSIGNED, client)
    assert "s3cr3t" not in str(info.value)


@pytest.mark.parametrize(("headers", "retry_after"), [({"Retry-After": "30"}, 30.0), ({}, None)])
async def test_sign_server_rate_limit(headers: Dict[str, str], retry_after: Optional[float]) -> None:
    client, _ = client_answering(429, {"message": "Too many"}, headers)
    async with client:
        with pytest.raises(SignerRateLimitError) as info:
            await SignServer("https://signer.example").sign(UNSIGNED, client)
    assert info.value.retry_after == retry_after


async def test_sign_server_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(SignerError, match="unreachable"):
            await SignServer("https://signer.example").sign(UNSIGNED, client)


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("https://signed/1", SignedURL("https://signed/1")),
        (("https://signed/2", "Mozilla/5.0 X"), SignedURL("https://signed/2", "Mozilla/5.0 X")),
        (
            SignedURL("https://signed/3", None, {"msToken": "t"}),
            SignedURL("https://signed/3", None, {"msToken": "t"}),
        ),
    ],
)
async def test_sign_functions_sync_and_async(returned: Any, expected: SignedURL) -> None:
    calls: List[str] = []

    def sync_sign(url: str) -> Any:
        calls.append(url)
        return returned

    async def async_sign(url: str) -> Any:
        calls.append(url)
        return returned

    async with httpx.AsyncClient() as client:
        assert await FunctionSigner(sync_sign).sign(UNSIGNED, client) == expected
        assert await FunctionSigner(async_sign).sign(UNSIGNED, client) == expected
    assert calls == [UNSIGNED, UNSIGNED]


async def test_sign_function_failures_become_signer_errors() -> None:
    def broken(url: str) -> str:
        raise RuntimeError("no luck msToken=tok3n")

    async with httpx.AsyncClient() as client:
        with pytest.raises(SignerError) as info:
            await FunctionSigner(broken).sign(UNSIGNED, client)
        assert "tok3n" not in str(info.value)
        with pytest.raises(SignerError, match="not a URL"):
            await FunctionSigner(lambda url: 42).sign(UNSIGNED, client)  # type: ignore[arg-type,return-value]


def test_as_signer() -> None:
    assert as_signer(None, "") is None
    default = as_signer(None, "https://signer.example")
    assert isinstance(default, SignServer) and default.base_url == "https://signer.example"
    assert isinstance(as_signer("https://other.example", ""), SignServer)
    assert isinstance(as_signer(lambda url: url, ""), FunctionSigner)
    with pytest.raises(TypeError):
        as_signer(42, "")  # type: ignore[arg-type]
