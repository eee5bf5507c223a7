"""Signing of WebCast URLs: a sign server, or any function of the user's.

TikTok wants the first ``im/fetch`` of a room signed (``X-Bogus``,
``_signature``, ``msToken``); nothing else is signed, so a client never spends
its signer quota on polls (the Go original signed every poll and ran into the
sign servers' rate limits).

Two kinds of signer, both normalised to :class:`Signer`:

* :class:`SignServer` — a server speaking the public sign servers'
  ``GET {base}/webcast/sign_url?url=…&client=…&uuc=…`` JSON API
  (``{"signedUrl", "User-Agent", "msToken", …}``), optionally with an API key;
* any callable (sync or async) that takes the URL and returns the signed URL,
  a ``(signed_url, user_agent)`` pair, or a :class:`SignedURL`.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional, Tuple, Union

import httpx

from pytiktoklive._parse import load_json
from pytiktoklive._receive import receive
from pytiktoklive._redact import redact
from pytiktoklive._retry import parse_retry_after
from pytiktoklive.errors import (
    RequestError,
    ResponseTooLargeError,
    SignerError,
    SignerRateLimitError,
    SignerRedirectError,
)
from pytiktoklive.limits import DEFAULT_HTTP_LIMITS, HTTPLimits

__all__ = ["SignFunction", "SignServer", "SignedURL", "Signer", "SignerLike", "as_signer"]


@dataclass(frozen=True)
class SignedURL:
    """A signed URL, the User-Agent it was signed for, and cookies to keep (``msToken``)."""

    url: str
    user_agent: Optional[str] = None
    cookies: Mapping[str, str] = field(default_factory=dict)


SignResult = Union[str, Tuple[str, Optional[str]], SignedURL]
#: A user's signer: URL in, signed URL (or ``(url, user_agent)``, or :class:`SignedURL`) out.
SignFunction = Callable[[str], Union[SignResult, Awaitable[SignResult]]]


class Signer:
    """Something that signs WebCast URLs."""

    #: How many rooms the client tracks; sign servers use it to apportion quota ("uuc").
    rooms_tracked: int = 0
    #: Bytes and redirects a sign-server answer may take, and seconds for a whole request
    #: (set by the client from its ``limits`` and ``timeout``).
    limits: HTTPLimits = DEFAULT_HTTP_LIMITS
    deadline: Optional[float] = 30.0

    async def sign(self, url: str, client: httpx.AsyncClient) -> SignedURL:
        raise NotImplementedError


def _as_signed(result: object) -> SignedURL:
    if isinstance(result, SignedURL):
        signed = result
    elif isinstance(result, str):
        signed = SignedURL(result)
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], str):
        signed = SignedURL(result[0], result[1] or None)
    else:
        raise SignerError(f"the signer returned {type(result).__name__}, not a URL")
    if not signed.url.startswith(("http://", "https://")):
        raise SignerError("the signer returned something that is not an http(s) URL")
    return signed


class FunctionSigner(Signer):
    """Wraps a user's sign function (sync or async)."""

    def __init__(self, function: SignFunction) -> None:
        self.function = function

    async def sign(self, url: str, client: httpx.AsyncClient) -> SignedURL:
        try:
            result: Any = self.function(url)
            if inspect.isawaitable(result):
                result = await result
        except SignerError:
            raise
        except Exception as exc:
            raise SignerError(f"the sign function raised {type(exc).__name__}: {redact(str(exc))}") from exc
        return _as_signed(result)


class SignServer(Signer):
    """A sign server with the public ``/webcast/sign_url`` JSON API.

    ``api_key`` is sent as the ``X-Api-Key`` header and the ``apiKey`` query
    parameter (servers read one or the other); it never appears in logs and never
    leaves the sign server's origin: a redirect elsewhere raises
    :class:`~pytiktoklive.errors.SignerRedirectError` instead of being followed.
    """

    def __init__(
        self, base_url: str, *, api_key: Optional[str] = None, client_name: str = "pytiktoklive"
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client_name = client_name

    def __repr__(self) -> str:
        return f"SignServer({self.base_url!r}{', api_key=…' if self.api_key else ''})"

    async def sign(self, url: str, client: httpx.AsyncClient) -> SignedURL:
        params = {"url": url, "client": self.client_name, "uuc": str(max(self.rooms_tracked, 1))}
        headers = {}
        if self.api_key:
            params["apiKey"] = self.api_key
            headers["X-Api-Key"] = self.api_key
        endpoint = self.base_url + "/webcast/sign_url"

        def refuse(target: str) -> SignerRedirectError:
            return SignerRedirectError(
                f"the sign server {endpoint} redirected to another origin ({target}); not followed, "
                "so the API key stays with the sign server",
                url=endpoint,
            )

        try:
            response = await receive(
                client,
                endpoint,
                params=params,
                headers=headers,
                kind="signer",
                max_bytes=self.limits.signer_bytes,
                deadline=self.deadline,
                max_redirects=self.limits.max_redirects,
                refuse_cross_origin=refuse,
            )
        except (SignerError, ResponseTooLargeError):
            raise
        except RequestError as exc:  # too slow, a redirect loop
            raise SignerError(f"sign server {endpoint}: {exc}", url=endpoint) from exc
        except httpx.HTTPError as exc:
            raise SignerError(
                f"sign server {endpoint} unreachable: {redact(str(exc)) or type(exc).__name__}", url=endpoint
            ) from exc
        if response.status_code == 429:
            retry_after = parse_retry_after(
                response.headers.get("retry-after") or response.headers.get("ratelimit-reset")
            )
            raise SignerRateLimitError(
                "the sign server rate-limited us (429)"
                + (f", retry after {retry_after:g}s" if retry_after is not None else ""),
                url=endpoint,
                retry_after=retry_after,
            )
        try:
            body = load_json(response.content)
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            detail = body.get("error") or body.get("message") if isinstance(body, dict) else None
            raise SignerError(
                f"the sign server answered {response.status_code}"
                + (f": {redact(str(detail))}" if detail else "")
                + ("" if isinstance(body, dict) else " (not JSON)"),
                url=endpoint,
            )
        signed_url = body.get("signedUrl")
        if not isinstance(signed_url, str) or not signed_url:
            raise SignerError(
                "the sign server returned no signedUrl"
                + (f": {redact(str(body['error']))}" if body.get("error") else ""),
                url=endpoint,
            )
        user_agent = body.get("User-Agent") or body.get("userAgent")
        cookies = (
            {"msToken": body["msToken"]} if isinstance(body.get("msToken"), str) and body["msToken"] else {}
        )
        return _as_signed(
            SignedURL(signed_url, user_agent if isinstance(user_agent, str) and user_agent else None, cookies)
        )


#: What ``TikTok(signer=…)`` accepts.
SignerLike = Union[Signer, SignFunction, str]


def as_signer(signer: Optional[SignerLike], default_server: str) -> Optional[Signer]:
    """Normalise ``TikTok(signer=…)``: None → the endpoints' sign server ("" → no signing),
    with the API key in ``SIGN_API_KEY`` if set; a URL string → :class:`SignServer`;
    a callable → :class:`FunctionSigner`."""
    if signer is None:
        api_key = os.environ.get("SIGN_API_KEY") or None
        return SignServer(default_server, api_key=api_key) if default_server else None
    if isinstance(signer, Signer):
        return signer
    if isinstance(signer, str):
        return SignServer(signer) if signer else None
    if callable(signer):
        return FunctionSigner(signer)
    raise TypeError(f"signer must be a SignServer, a URL or a callable, not {type(signer).__name__}")
