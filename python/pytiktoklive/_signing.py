"""Signing of WebCast URLs: a sign server, or any function of the user's.

TikTok wants the first ``im/fetch`` of a room signed (``X-Bogus``,
``_signature``, ``msToken``); nothing else is signed, so a client never spends
its signer quota on polls (the Go original signed every poll and ran into the
sign servers' rate limits).

Two kinds of signer, both normalised to :class:`Signer`:

* :class:`SignServer` — a sign server, optionally with an API key, in one of the
  two shapes public sign servers have had (it declares which with ``flow``):

  - ``flow="fetch"`` (the default; Euler Stream's API, which TikTokLive 7 uses):
    ``GET {base}/webcast/fetch?room_id=…&client=…&user_agent=…`` makes the
    first ``im/fetch`` itself and answers its protobuf body, with TikTok's cookies
    in ``X-Set-TT-Cookie`` (and ``X-Agent-Id``, ``X-Request-Id``, ``X-Log-Code``
    for support). A 429 carries JSON ``{"message", "limit_label"}``.
  - ``flow="sign_url"`` (the older servers, TikTok-Live-Connector 1.x):
    ``GET {base}/webcast/sign_url?url=…&client=…&uuc=…`` answers JSON
    (``{"signedUrl", "User-Agent", "msToken", …}``) and the client fetches.

* any callable (sync or async) that takes the URL and returns the signed URL,
  a ``(signed_url, user_agent)`` pair, or a :class:`SignedURL`.

A logged-in session (``sessionid``, ``tt-target-idc``) goes to a fetch-flow sign
server only when the user opts in (``TikTok(sign_with_session=True)``): the
server can then act as that TikTok user.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple, Union

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

__all__ = [
    "SessionCookies",
    "SignFunction",
    "SignServer",
    "SignedFetch",
    "SignedURL",
    "Signer",
    "SignerLike",
    "as_signer",
]


@dataclass(frozen=True)
class SignedURL:
    """A signed URL, the User-Agent it was signed for, and cookies to keep (``msToken``)."""

    url: str
    user_agent: Optional[str] = None
    cookies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionCookies:
    """A logged-in TikTok session: the ``sessionid`` and ``tt-target-idc`` cookies."""

    session_id: str
    tt_target_idc: str = ""

    def __repr__(self) -> str:  # never show the session id
        return f"SessionCookies(session_id=[redacted], tt_target_idc={self.tt_target_idc!r})"


@dataclass(frozen=True)
class SignedFetch:
    """A first ``im/fetch`` made by a sign server: the fetch result's bytes, TikTok's cookies
    (``X-Set-TT-Cookie``) and the server's support headers (``X-Agent-Id``, ``X-Request-Id``,
    ``X-Log-Code``)."""

    body: bytes
    cookies: Mapping[str, str]
    support: Mapping[str, str] = field(default_factory=dict)


SignResult = Union[str, Tuple[str, Optional[str]], SignedURL]
#: A user's signer: URL in, signed URL (or ``(url, user_agent)``, or :class:`SignedURL`) out.
SignFunction = Callable[[str], Union[SignResult, Awaitable[SignResult]]]


class Signer:
    """Something that signs WebCast URLs."""

    #: How many rooms the client tracks; sign servers use it to apportion quota ("uuc").
    rooms_tracked: int = 0
    #: True when the signer makes the first ``im/fetch`` itself (:meth:`fetch`) instead of
    #: signing its URL (:meth:`sign`).
    performs_fetch: bool = False
    #: Bytes and redirects a sign-server answer may take, and seconds for a whole request
    #: (set by the client from its ``limits`` and ``timeout``).
    limits: HTTPLimits = DEFAULT_HTTP_LIMITS
    deadline: Optional[float] = 30.0

    async def sign(self, url: str, client: httpx.AsyncClient) -> SignedURL:
        raise NotImplementedError

    async def fetch(
        self,
        room_id: int,
        client: httpx.AsyncClient,
        *,
        user_agent: str,
        session: Optional[SessionCookies] = None,
    ) -> SignedFetch:
        """Make the room's first ``im/fetch`` (only signers with ``performs_fetch``)."""
        raise NotImplementedError


def _parse_cookie_string(text: str) -> Dict[str, str]:
    """``"a=1; b=2"`` (``X-Set-TT-Cookie``) → ``{"a": "1", "b": "2"}``."""
    cookies: Dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            cookies[name.strip()] = value.strip()
    return cookies


def _retry_after_of(response: httpx.Response) -> Optional[float]:
    return parse_retry_after(response.headers.get("retry-after") or response.headers.get("ratelimit-reset"))


def _rate_limited(response: httpx.Response, endpoint: str) -> SignerRateLimitError:
    """The 429 of a sign server: its ``message`` and ``limit_label`` (JSON), and when to retry."""
    retry_after = _retry_after_of(response)
    try:
        body = load_json(response.content)
    except ValueError:
        body = None
    message = label = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
        label = str(body.get("limit_label") or "")
    text = "the sign server rate-limited us (429)"
    if message:
        text += f": {redact(message)}"
    if label:
        text += f" [{label}]"
    if retry_after is not None:
        text += f", retry after {retry_after:g}s"
    return SignerRateLimitError(
        text, url=endpoint, retry_after=retry_after, server_message=message, limit_label=label
    )


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


#: The shapes of sign server :class:`SignServer` speaks.
FLOWS = ("fetch", "sign_url")


class SignServer(Signer):
    """A sign server: ``flow="fetch"`` (default: ``/webcast/fetch`` makes the first fetch) or
    ``flow="sign_url"`` (``/webcast/sign_url`` signs its URL); see the module docstring.

    ``api_key`` is sent as the ``X-Api-Key`` header (and, to ``sign_url`` servers, as the
    ``apiKey`` query parameter: they read one or the other); it never appears in logs and never
    leaves the sign server's origin: a redirect elsewhere raises
    :class:`~pytiktoklive.errors.SignerRedirectError` instead of being followed.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: Optional[str] = None,
        client_name: str = "pytiktoklive",
        flow: str = "fetch",
    ) -> None:
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {FLOWS}, not {flow!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client_name = client_name
        self.flow = flow
        self.performs_fetch = flow == "fetch"

    def __repr__(self) -> str:
        return f"SignServer({self.base_url!r}, flow={self.flow!r}{', api_key=…' if self.api_key else ''})"

    async def _request(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        params: Mapping[str, str],
        *,
        kind: str,
        max_bytes: int,
    ) -> httpx.Response:
        """GET ``endpoint`` of the sign server, within bounds; 429 → :class:`SignerRateLimitError`."""
        headers = {"X-Api-Key": self.api_key} if self.api_key else {}

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
                kind=kind,
                max_bytes=max_bytes,
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
            raise _rate_limited(response, endpoint)
        return response

    async def fetch(
        self,
        room_id: int,
        client: httpx.AsyncClient,
        *,
        user_agent: str,
        session: Optional[SessionCookies] = None,
    ) -> SignedFetch:
        params = {
            "room_id": str(room_id),
            "client": self.client_name,
            "user_agent": user_agent,
            "client_enter": "true",
            "platform": "web",
            "uuc": str(max(self.rooms_tracked, 1)),
        }
        if session is not None:  # the user opted in (TikTok(sign_with_session=True))
            params["session_id"] = session.session_id
            if session.tt_target_idc:
                params["tt_target_idc"] = session.tt_target_idc
        endpoint = self.base_url + "/webcast/fetch"
        # The answer is an im/fetch body: it may be as large as one.
        response = await self._request(
            client, endpoint, params, kind="fetch", max_bytes=self.limits.fetch_bytes
        )
        support = {
            name: response.headers[name]
            for name in ("X-Agent-Id", "X-Request-Id", "X-Log-Code")
            if name in response.headers
        }
        if response.status_code >= 400:
            try:
                body = load_json(response.content)
            except ValueError:
                body = None
            detail = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
            raise SignerError(
                f"the sign server answered {response.status_code}"
                + (f": {redact(str(detail))}" if detail else "")
                + (f" (request id {support['X-Request-Id']})" if "X-Request-Id" in support else ""),
                url=endpoint,
            )
        if not response.content:
            raise SignerError(
                "the sign server's fetch came back empty: TikTok may be refusing it", url=endpoint
            )
        cookies = _parse_cookie_string(response.headers.get("X-Set-TT-Cookie", ""))
        if not cookies:
            raise SignerError("the sign server sent no TikTok cookies (no X-Set-TT-Cookie)", url=endpoint)
        return SignedFetch(response.content, cookies, support)

    async def sign(self, url: str, client: httpx.AsyncClient) -> SignedURL:
        params = {"url": url, "client": self.client_name, "uuc": str(max(self.rooms_tracked, 1))}
        if self.api_key:
            params["apiKey"] = self.api_key
        endpoint = self.base_url + "/webcast/sign_url"
        response = await self._request(
            client, endpoint, params, kind="signer", max_bytes=self.limits.signer_bytes
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
    with the API key in ``SIGN_API_KEY`` if set; a URL string → :class:`SignServer` (both in
    the fetch flow); a callable → :class:`FunctionSigner`."""
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
