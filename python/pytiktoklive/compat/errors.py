"""TikTokLive's exception names, raised by :mod:`pytiktoklive.compat`.

Every error the compat client raises derives from :class:`TikTokLiveError`
(a ``RuntimeError``, as in TikTokLive), so ``except TikTokLiveError`` catches
them all. Where pytiktoklive has the same failure, the class also derives from
pytiktoklive's error, so code written against either library catches it::

    TikTokLiveError (RuntimeError)
    ├── AlreadyConnectedError                  start() while connected
    ├── UserOfflineError      (+ pytiktoklive.UserOfflineError)
    ├── UserNotFoundError     (+ pytiktoklive.UserNotFoundError)   .unique_id
    ├── AgeRestrictedError    (+ pytiktoklive.AgeRestrictedError)
    ├── SignAPIError          (+ pytiktoklive.SignerError)          .reason (ErrorReason)
    │   ├── SignatureRateLimitError   (+ pytiktoklive.SignerRateLimitError) .retry_after
    │   ├── UnexpectedSignatureError, SignatureMissingTokensError,
    │   └── PremiumEndpointError, AuthenticatedWebSocketConnectionError
    ├── InitialCursorMissingError, WebsocketURLMissingError
    └── route errors: FailedParseRoomIdError, FailedFetchRoomInfoError,
        InvalidFetchRoomInfoPayload, FailedFetchGiftListError, InvalidFetchIsLiveRequest,
        MissingRoomIdInResponse, FailedParseAppInfo, FailedResolveUserId

pytiktoklive errors without a TikTokLive counterpart are raised as classes of
the same name here, which derive from both :class:`TikTokLiveError` and the
pytiktoklive class (attributes such as ``url``, ``status_code``, ``retry_after``
are kept; the original error is ``__cause__``)::

    TikTokLiveError
    ├── RequestError          (+ pytiktoklive.RequestError)         .url
    │   ├── HTTPStatusError   (+ pytiktoklive.HTTPStatusError)      .status_code
    │   │   └── RateLimitError  (+ pytiktoklive.RateLimitError)     .retry_after
    │   ├── IPBlockedError, CaptchaError   (+ pytiktoklive's)
    │   └── SignAPIError …    (above)
    ├── ConnectionFailedError (+ pytiktoklive.ConnectionFailedError)
    │   └── WebcastBlockedError  (+ pytiktoklive.WebsocketRejectedError); alias WebcastBlocked200Error
    ├── DecodeError, InvalidUsernameError (also ValueError), NoMoreFeedItemsError,
    │   BackpressureError                  (+ pytiktoklive's)
    ├── DownloadError         (+ pytiktoklive.DownloadError)
    │   └── FFmpegNotFoundError, StreamURLNotFoundError
    └── PyTikTokLiveError     (+ pytiktoklive.TikTokLiveError): any other pytiktoklive error

pytiktoklive's ``LiveEndedError`` becomes :class:`UserOfflineError`, as TikTokLive
reports a LIVE that is over.
"""

from __future__ import annotations

import contextlib
import enum
from typing import Dict, Iterator, Optional, Type

from pytiktoklive import errors as _native

__all__ = [
    "AgeRestrictedError",
    "AlreadyConnectedError",
    "AuthenticatedWebSocketConnectionError",
    "BackpressureError",
    "CaptchaError",
    "ConnectionFailedError",
    "DecodeError",
    "DownloadError",
    "FFmpegNotFoundError",
    "FailedFetchGiftListError",
    "FailedFetchRoomInfoError",
    "FailedParseAppInfo",
    "FailedParseRoomIdError",
    "FailedResolveUserId",
    "HTTPStatusError",
    "IPBlockedError",
    "InitialCursorMissingError",
    "InvalidFetchIsLiveRequest",
    "InvalidFetchRoomInfoPayload",
    "InvalidUsernameError",
    "MissingRoomIdInResponse",
    "LoginRequiredError",
    "NoMoreFeedItemsError",
    "PremiumEndpointError",
    "PyTikTokLiveError",
    "RateLimitError",
    "RequestError",
    "SignAPIError",
    "SignatureMissingTokensError",
    "SignatureRateLimitError",
    "StreamURLNotFoundError",
    "TikTokLiveError",
    "UnexpectedSignatureError",
    "UserNotFoundError",
    "UserOfflineError",
    "WebcastBlocked200Error",
    "WebcastBlockedError",
    "WebsocketURLMissingError",
    "translate_errors",
]


class TikTokLiveError(RuntimeError):
    """Base class of the TikTokLive-named errors."""


class AlreadyConnectedError(TikTokLiveError):
    """``start()``/``connect()`` was called while the client is connected."""


class UserOfflineError(TikTokLiveError, _native.UserOfflineError):
    """The user exists but is not live."""

    def __init__(self, *args: str, username: str = "") -> None:
        super().__init__(*args)
        self.username = username


class UserNotFoundError(TikTokLiveError, _native.UserNotFoundError):
    """No TikTok user has this unique id (``.unique_id``)."""

    def __init__(self, unique_id: str, *args: str) -> None:
        super().__init__(*args)
        self.unique_id = unique_id
        self.username = unique_id


class AgeRestrictedError(TikTokLiveError, _native.AgeRestrictedError):
    """The room is age-restricted and needs a logged-in session."""


class InitialCursorMissingError(TikTokLiveError):
    """The first fetch carried no cursor (kept for ``except`` clauses; pytiktoklive falls back to polling)."""


class WebsocketURLMissingError(TikTokLiveError):
    """The first fetch offered no websocket (kept for ``except`` clauses; pytiktoklive polls instead)."""


class RequestError(TikTokLiveError, _native.RequestError):
    """An HTTP request failed (``url``); pytiktoklive's error, with no TikTokLive name."""


class HTTPStatusError(RequestError, _native.HTTPStatusError):
    """TikTok answered with an error status (``status_code``)."""


class RateLimitError(HTTPStatusError, _native.RateLimitError):
    """TikTok answered 429 (``retry_after`` in seconds, when it said)."""


class IPBlockedError(RequestError, _native.IPBlockedError):
    """TikTok served a page without its data: the IP or country is probably blocked."""


class CaptchaError(RequestError, _native.CaptchaError):
    """TikTok served a verify/captcha page instead of data."""


class ConnectionFailedError(TikTokLiveError, _native.ConnectionFailedError):
    """The room could not be reached by websocket or polling, or reconnects ran out."""


class DecodeError(TikTokLiveError, _native.DecodeError):
    """Bytes that are not a valid WebCast frame or message (also a ``ValueError``)."""


class InvalidUsernameError(TikTokLiveError, _native.InvalidUsernameError):
    """Not a TikTok username or profile URL (also a ``ValueError``)."""


class LoginRequiredError(TikTokLiveError, _native.LoginRequiredError):
    """Sending chat needs a logged-in session (``client.web.set_session``) that TikTok accepts."""


class NoMoreFeedItemsError(TikTokLiveError, _native.NoMoreFeedItemsError):
    """The recommended-lives feed has no more pages."""


class BackpressureError(TikTokLiveError, _native.BackpressureError):
    """The room's event buffer overflowed (pytiktoklive option ``overflow="error"``)."""


class DownloadError(TikTokLiveError, _native.DownloadError):
    """Recording the stream failed (``stderr_tail``, ``path``)."""


class FFmpegNotFoundError(DownloadError, _native.FFmpegNotFoundError):
    """No ``ffmpeg`` executable on PATH."""


class StreamURLNotFoundError(DownloadError, _native.StreamURLNotFoundError):
    """The room offers no stream URL for the requested format and quality."""


class PyTikTokLiveError(TikTokLiveError, _native.TikTokLiveError):
    """A pytiktoklive error none of the classes above stands for."""


class WebcastBlockedError(ConnectionFailedError, _native.WebsocketRejectedError):
    """The push server refused the websocket handshake (``status_code``, ``reason``)."""

    def __init__(self, *args: str, status_code: int = 0, reason: str = "") -> None:
        super().__init__(*args)
        self.status_code = status_code
        self.reason = reason


#: The name TikTokLive used before 7.0.1.
WebcastBlocked200Error = WebcastBlockedError


class SignAPIError(RequestError, _native.SignerError):
    """The signing server failed; ``reason`` says how."""

    class ErrorReason(enum.Enum):
        RATE_LIMIT = 1
        CONNECT_ERROR = 2
        EMPTY_PAYLOAD = 3
        SIGN_NOT_200 = 4
        EMPTY_COOKIES = 5
        PREMIUM_ENDPOINT = 6
        AUTHENTICATED_WS = 7

    def __init__(self, reason: SignAPIError.ErrorReason, *args: str, url: str = "") -> None:
        super().__init__(*args)
        self.reason = reason
        self.url = url

    @property
    def response(self) -> None:
        """TikTokLive kept the signer's HTTP response here; pytiktoklive does not keep it."""
        return None


class SignatureRateLimitError(SignAPIError, _native.SignerRateLimitError):
    """The signing server rate-limited us; ``retry_after`` is in seconds when known."""

    def __init__(self, *args: str, retry_after: Optional[float] = None, url: str = "") -> None:
        super().__init__(SignAPIError.ErrorReason.RATE_LIMIT, *args, url=url)
        self.retry_after = retry_after

    @property
    def reset_time(self) -> Optional[float]:
        return self.retry_after


class UnexpectedSignatureError(SignAPIError):
    """The signing server answered something unusable."""


class SignatureMissingTokensError(SignAPIError):
    """The signed URL lacked the expected tokens."""


class PremiumEndpointError(SignAPIError):
    """The signing server feature needs a paid plan."""


class AuthenticatedWebSocketConnectionError(SignAPIError):
    """A logged-in session would be sent to a signing server that is not trusted for it."""


class FailedParseRoomIdError(TikTokLiveError):
    """The room id could not be read from TikTok's answer."""


class FailedFetchRoomInfoError(TikTokLiveError):
    """``room/info`` failed."""


class InvalidFetchRoomInfoPayload(TikTokLiveError):
    """``fetch_room_info`` needs a room id or a unique id."""


class FailedFetchGiftListError(TikTokLiveError):
    """``gift/list`` failed (or no room to ask about)."""


class InvalidFetchIsLiveRequest(TikTokLiveError):
    """``fetch_is_live`` needs a room id or a unique id."""


class MissingRoomIdInResponse(TikTokLiveError):
    """``room/check_alive`` did not answer about the room."""


class FailedParseAppInfo(TikTokLiveError):
    """The profile page carried no user data."""


class FailedResolveUserId(TikTokLiveError):
    """A numeric user id could not be turned into a unique id."""


def translate(exc: BaseException) -> BaseException:
    """The TikTokLive-named error for a pytiktoklive error (``exc`` itself when there is none)."""
    if isinstance(exc, TikTokLiveError):
        return exc
    message = str(exc)
    if isinstance(exc, (_native.UserOfflineError, _native.LiveEndedError)):
        return UserOfflineError(message, username=getattr(exc, "username", ""))
    if isinstance(exc, _native.UserNotFoundError):
        return UserNotFoundError(exc.username, message)
    if isinstance(exc, _native.AgeRestrictedError):
        return AgeRestrictedError(message)
    if isinstance(exc, _native.WebsocketRejectedError):
        return WebcastBlockedError(message, status_code=exc.status_code, reason=exc.reason)
    if isinstance(exc, _native.SignerRateLimitError):
        return SignatureRateLimitError(message, retry_after=exc.retry_after, url=exc.url)
    if isinstance(exc, _native.SignerError):
        return SignAPIError(SignAPIError.ErrorReason.SIGN_NOT_200, message, url=exc.url)
    if isinstance(exc, _native.TikTokLiveError):
        return _same_name(exc)
    return exc


#: pytiktoklive's error classes that have no TikTokLive name -> the compat class standing for each.
_SAME_NAME: Dict[Type[_native.TikTokLiveError], Type[TikTokLiveError]] = {
    _native.RequestError: RequestError,
    _native.HTTPStatusError: HTTPStatusError,
    _native.RateLimitError: RateLimitError,
    _native.IPBlockedError: IPBlockedError,
    _native.CaptchaError: CaptchaError,
    _native.ConnectionFailedError: ConnectionFailedError,
    _native.DecodeError: DecodeError,
    _native.InvalidUsernameError: InvalidUsernameError,
    _native.NoMoreFeedItemsError: NoMoreFeedItemsError,
    _native.LoginRequiredError: LoginRequiredError,
    _native.BackpressureError: BackpressureError,
    _native.DownloadError: DownloadError,
    _native.FFmpegNotFoundError: FFmpegNotFoundError,
    _native.StreamURLNotFoundError: StreamURLNotFoundError,
    _native.TikTokLiveError: PyTikTokLiveError,
}


def _same_name(exc: _native.TikTokLiveError) -> TikTokLiveError:
    """A copy of ``exc`` as the compat class of its nearest mapped class (same args and attributes)."""
    target = next(_SAME_NAME[cls] for cls in type(exc).__mro__ if cls in _SAME_NAME)
    # Built without __init__: the classes' signatures differ, the state is copied whole.
    copy = target.__new__(target, *exc.args)
    copy.__dict__.update(vars(exc))
    return copy


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise pytiktoklive errors under their TikTokLive names (the original is ``__cause__``)."""
    try:
        yield
    except _native.TikTokLiveError as exc:
        translated = translate(exc)
        if translated is exc:
            raise
        raise translated from exc
