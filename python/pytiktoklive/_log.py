"""The four report channels of a client: debug, info, warn and error.

By default they write to the standard :mod:`logging` logger ``"pytiktoklive"``.
Users may replace each one (``TikTok.set_info_handler`` …). Two promises hold
whatever the user installs:

* every message is redacted (:func:`pytiktoklive._redact.redact`) before a
  handler sees it;
* a handler that raises never reaches the caller: the failure is logged to
  the ``"pytiktoklive"`` logger and the client carries on (the Go original's
  default error handler panicked, taking the program down with it).

The records httpx and websockets log about our requests are redacted too
(:func:`redact_third_party_logs`, installed by every client).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, Optional

from pytiktoklive._redact import redact

__all__ = ["ErrorHandler", "MessageHandler", "Reporter", "logger", "redact_third_party_logs"]

logger = logging.getLogger("pytiktoklive")

#: Receives one already-redacted message.
MessageHandler = Callable[[str], Any]
#: Receives the exception; ``str(error)`` is already redacted where pytiktoklive built it.
ErrorHandler = Callable[[BaseException], Any]


def _log_debug(message: str) -> None:
    logger.debug("%s", message)


def _log_info(message: str) -> None:
    logger.info("%s", message)


def _log_warn(message: str) -> None:
    logger.warning("%s", message)


def _log_error(error: BaseException) -> None:
    logger.error("%s: %s", type(error).__name__, redact(str(error)))


class _RedactingFilter(logging.Filter):
    """Redacts the records of the libraries pytiktoklive drives.

    httpx logs every request URL at INFO (signed URLs carry ``msToken``,
    ``X-Bogus`` and ``_signature``); httpcore (headers) and websockets (handshake
    ``Cookie``) log secrets at DEBUG. The filter rewrites those records; it drops nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTING_FILTER = _RedactingFilter()
#: Third-party loggers whose records can carry secrets of ours.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "websockets.client",
)


def redact_third_party_logs() -> None:
    """Install the redacting filter on httpx's and websockets' loggers (idempotent)."""
    for name in THIRD_PARTY_LOGGERS:
        third_party = logging.getLogger(name)
        if _REDACTING_FILTER not in third_party.filters:
            third_party.addFilter(_REDACTING_FILTER)


class Reporter:
    """Routes the client's messages to the installed handlers, safely."""

    def __init__(self, *, debug: bool = False) -> None:
        #: When False, debug messages are not even formatted.
        self.debug_enabled = debug
        self.debug_handler: MessageHandler = _log_debug
        self.info_handler: MessageHandler = _log_info
        self.warn_handler: MessageHandler = _log_warn
        self.error_handler: ErrorHandler = _log_error

    def debug(self, message: str, *args: object, force: bool = False) -> None:
        """Report a debug message (``message % args``); dropped unless debug is on or ``force``."""
        if self.debug_enabled or force:
            self._call(self.debug_handler, "debug", self._format(message, args))

    def info(self, message: str, *args: object) -> None:
        self._call(self.info_handler, "info", self._format(message, args))

    def warn(self, message: str, *args: object) -> None:
        self._call(self.warn_handler, "warn", self._format(message, args))

    def error(self, error: BaseException) -> None:
        self._call(self.error_handler, "error", error)

    @staticmethod
    def _format(message: str, args: tuple[object, ...]) -> str:
        return redact(message % args if args else message)

    @staticmethod
    def _call(handler: Callable[[Any], Any], kind: str, argument: object) -> None:
        try:
            result = handler(argument)
            if inspect.isawaitable(result):
                # Handlers are plain functions; an async one would never run. Say so once per call.
                close: Optional[Callable[[], Any]] = getattr(result, "close", None)
                if close is not None:
                    close()
                logger.warning("the %s handler returned an awaitable; handlers must be plain functions", kind)
        except Exception:
            logger.exception("the %s handler raised; pytiktoklive carries on", kind)
