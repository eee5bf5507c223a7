"""Every error pytiktoklive raises, in one tree.

::

    TikTokLiveError
    ├── DecodeError (also ValueError)     malformed frame, fetch result, gzip or message
    ├── RequestError                      an HTTP request to TikTok or the signer failed
    │   ├── HTTPStatusError               TikTok answered with an error status
    │   │   └── RateLimitError            429 Too Many Requests (.retry_after)
    │   ├── ResponseTooLargeError         a body over its size limit (.kind, .limit)
    │   ├── IPBlockedError                the page came back without data: IP or country blocked
    │   ├── CaptchaError                  TikTok asks for a captcha / verify page
    │   └── SignerError                   the signing server failed
    │       ├── SignerRateLimitError      the signing server rate-limited us (.retry_after)
    │       └── SignerRedirectError       the signing server redirected to another origin (refused)
    ├── InvalidUsernameError (also ValueError)  not a TikTok username or profile URL
    ├── UserNotFoundError                 no such TikTok user
    ├── UserOfflineError                  the user is not live
    ├── LiveEndedError                    the LIVE has ended (room status 4, or a control event)
    ├── AgeRestrictedError                the room needs a logged-in session
    ├── NoMoreFeedItemsError              the recommended-lives feed is exhausted
    ├── ConnectionFailedError             websocket and polling both failed, or retries ran out
    │   ├── TLSVerificationError (also RequestError)  a server's TLS certificate did not verify
    │   ├── WebsocketRejectedError        the push server refused the websocket handshake
    │   └── EventsMissingError            the LIVE ended but its last events could not all be read
    ├── BackpressureError                 a consumer fell behind with overflow="error"
    └── DownloadError                     recording the stream failed (.stderr_tail)
        ├── FFmpegNotFoundError           no ffmpeg on PATH
        ├── StreamURLNotFoundError        the room offers no stream URL for the request
        └── UnsafeStreamURLError          a stream URL that is not http(s): never handed to ffmpeg
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "AgeRestrictedError",
    "BackpressureError",
    "CaptchaError",
    "ConnectionFailedError",
    "DecodeError",
    "DownloadError",
    "EventsMissingError",
    "FFmpegNotFoundError",
    "HTTPStatusError",
    "IPBlockedError",
    "InvalidUsernameError",
    "LiveEndedError",
    "NoMoreFeedItemsError",
    "RateLimitError",
    "RequestError",
    "ResponseTooLargeError",
    "SignerError",
    "SignerRateLimitError",
    "SignerRedirectError",
    "StreamURLNotFoundError",
    "TLSVerificationError",
    "TikTokLiveError",
    "UnsafeStreamURLError",
    "UserNotFoundError",
    "UserOfflineError",
    "WebsocketRejectedError",
]


class TikTokLiveError(Exception):
    """Base class of every pytiktoklive error."""


class DecodeError(TikTokLiveError, ValueError):
    """Bytes that are not a valid WebCast frame, fetch result or message."""


class RequestError(TikTokLiveError):
    """An HTTP request failed. ``url`` is the request URL with secrets removed."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class HTTPStatusError(RequestError):
    """TikTok answered with an error status code."""

    def __init__(self, message: str, *, url: str = "", status_code: int = 0) -> None:
        super().__init__(message, url=url)
        self.status_code = status_code


class RateLimitError(HTTPStatusError):
    """429 Too Many Requests. ``retry_after`` is in seconds, when the server said."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status_code: int = 429,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, url=url, status_code=status_code)
        self.retry_after = retry_after


class ResponseTooLargeError(RequestError):
    """A response body (counted after decompression) exceeded its limit, so it was not read on.

    ``kind`` names the limit (``"page"``, ``"json"``, ``"fetch"``, ``"signer"``: the fields of
    :class:`~pytiktoklive.limits.HTTPLimits`) and ``limit`` its value in bytes; raise it with
    ``TikTok(limits=HTTPLimits(...))`` if a genuine answer ever needs more."""

    def __init__(self, message: str, *, url: str = "", kind: str = "", limit: int = 0) -> None:
        super().__init__(message, url=url)
        self.kind = kind
        self.limit = limit


class IPBlockedError(RequestError):
    """TikTok served a page without its data: the IP or country is probably blocked."""


class CaptchaError(RequestError):
    """TikTok served a verify/captcha page instead of data."""


class SignerError(RequestError):
    """The signing server failed or returned an unusable answer."""


class SignerRateLimitError(SignerError):
    """The signing server rate-limited us. ``retry_after`` is in seconds, when known."""

    def __init__(self, message: str, *, url: str = "", retry_after: Optional[float] = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after


class SignerRedirectError(SignerError):
    """The signing server redirected to another origin. The redirect is not followed: the API
    key, cookies and session id are only ever sent to the configured sign server."""


class InvalidUsernameError(TikTokLiveError, ValueError):
    """The text given as a username is neither a TikTok username nor a profile URL."""


class UserNotFoundError(TikTokLiveError):
    """No TikTok user has this username."""

    def __init__(self, message: str, *, username: str = "") -> None:
        super().__init__(message)
        self.username = username


class UserOfflineError(TikTokLiveError):
    """The user exists but is not live."""

    def __init__(self, message: str, *, username: str = "") -> None:
        super().__init__(message)
        self.username = username


class LiveEndedError(TikTokLiveError):
    """The LIVE has ended."""


class AgeRestrictedError(TikTokLiveError):
    """The room's data needs a logged-in session (18+ rooms)."""


class NoMoreFeedItemsError(TikTokLiveError):
    """The recommended-lives feed has no more pages."""


class ConnectionFailedError(TikTokLiveError):
    """The room could not be reached by websocket or polling, or reconnects ran out."""


class WebsocketRejectedError(ConnectionFailedError):
    """The push server refused the websocket handshake (``status_code``, ``reason``)."""

    def __init__(self, message: str, *, status_code: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason


class EventsMissingError(ConnectionFailedError):
    """The LIVE ended while the room was disconnected and its last events (the "tail" since the
    last cursor) could not all be read: some events may be missing. Everything delivered before
    this error is complete and in order."""


class TLSVerificationError(ConnectionFailedError, RequestError):
    """A server's TLS certificate did not verify (HTTP or websocket). Retrying cannot help:
    trust its CA with ``TikTok(verify=CA_FILE)``, or turn verification off with ``insecure=True``."""

    def __init__(self, message: str, *, url: str = "") -> None:
        RequestError.__init__(self, message, url=url)


class BackpressureError(TikTokLiveError):
    """A consumer fell behind and the room's buffer is full (overflow policy "error")."""


class DownloadError(TikTokLiveError):
    """Recording failed. ``stderr_tail`` holds ffmpeg's last output lines; the partial file is kept."""

    def __init__(self, message: str, *, stderr_tail: str = "", path: str = "") -> None:
        super().__init__(message)
        self.stderr_tail = stderr_tail
        self.path = path


class FFmpegNotFoundError(DownloadError):
    """No ``ffmpeg`` executable on PATH."""


class StreamURLNotFoundError(DownloadError):
    """The room info has no pull URL for the requested format and quality."""


class UnsafeStreamURLError(DownloadError):
    """A stream URL that is not ``http``/``https`` (``file:``, ``concat:``, …): it is never handed
    to ffmpeg, which would read local files or other protocols with it."""
