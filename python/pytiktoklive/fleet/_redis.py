"""Connecting to Redis (a server, a replica set's primary, or a Cluster) and running the fleet's scripts.

The ``redis`` package (``pip install 'pytiktoklive[fleet]'``) is imported here only, so the rest
of pytiktoklive never needs it. URLs: ``redis://[:password@]host[:port][/db]``, ``rediss://``
(TLS), ``unix:///path/redis.sock``, and ``redis+cluster://host:port`` (``rediss+cluster://``) for
Redis Cluster (any node; the others are discovered).
"""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict, Sequence, Union

from pytiktoklive._redact import redact
from pytiktoklive.fleet.errors import LeaseLostError, RedisUnavailableError, RedisURLError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    AnyRedis = Union[Redis, RedisCluster]
else:
    AnyRedis = Any

__all__ = ["AnyRedis", "CheckpointMovedError", "Script", "check_url", "connect", "shown", "unavailable"]

_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")


def shown(url: str) -> str:
    """The URL as it may appear in messages: without its password."""
    try:
        split = urllib.parse.urlsplit(url)
        if split.password:
            netloc = split.netloc.rsplit("@", 1)[1]
            user = f"{split.username}:***@" if split.username else ":***@"
            return urllib.parse.urlunsplit((split.scheme, user + netloc, split.path, split.query, ""))
    except ValueError:
        pass
    return redact(url)


def check_url(url: str) -> tuple[str, bool]:
    """(the URL redis-py takes, whether it is a Cluster); RedisURLError if it cannot be used."""
    if not isinstance(url, str) or not url.strip():
        raise RedisURLError("no Redis URL given (e.g. redis://127.0.0.1:6379/0)")
    try:
        split = urllib.parse.urlsplit(url.strip())
        port = split.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise RedisURLError(f"malformed Redis URL {shown(url)!r}: {exc}") from None
    if split.scheme not in _SCHEMES:
        raise RedisURLError(
            f"malformed Redis URL {shown(url)!r}: the scheme must be one of {', '.join(_SCHEMES)} "
            "(e.g. redis://127.0.0.1:6379/0)"
        )
    if split.scheme == "unix":
        if not split.path:
            raise RedisURLError(f"malformed Redis URL {shown(url)!r}: no socket path")
    elif not split.hostname:
        raise RedisURLError(f"malformed Redis URL {shown(url)!r}: no host")
    if split.scheme != "unix" and split.path.strip("/") and not split.path.strip("/").isdigit():
        raise RedisURLError(
            f"malformed Redis URL {shown(url)!r}: the path must be a database number, like /0"
        )
    if port == 0:
        raise RedisURLError(f"malformed Redis URL {shown(url)!r}: port 0")
    cluster = split.scheme.endswith("+cluster")
    if cluster:
        url = url.strip().replace("+cluster", "", 1)
    return url.strip(), cluster


def connect(url: str, *, timeout: float = 5.0, retries: int = 0) -> AnyRedis:
    """A client for ``url`` (no connection is made yet: commands connect, and reconnect, themselves).

    ``retries``: attempts again after a connection error (a pooled connection that a Redis restart
    closed fails once). Only for idempotent use: the worker retries itself, knowing what it sent."""
    plain, cluster = check_url(url)
    try:
        import redis.asyncio as aioredis
        from redis.asyncio.cluster import RedisCluster
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RedisUnavailableError(
            f"the fleet needs the redis package: pip install 'pytiktoklive[fleet]' ({exc})"
        ) from exc
    options: Dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
    }
    if retries:
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError, TimeoutError

        options["retry"] = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries)
        options["retry_on_error"] = [ConnectionError, TimeoutError]
    try:
        if cluster:
            return RedisCluster.from_url(plain, **options)
        return aioredis.from_url(plain, **options)
    except ValueError as exc:  # redis-py's own checks (bad db number, query options…)
        raise RedisURLError(f"malformed Redis URL {shown(url)!r}: {exc}") from None


def unavailable(exc: BaseException, url: str) -> RedisUnavailableError:
    """A Redis failure (connection refused, timeout, loading after a restart…) as one clear error."""
    reason = str(exc) or type(exc).__name__
    return RedisUnavailableError(f"Redis at {shown(url)} is unavailable: {reason}")


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "Redis is not usable right now"."""
    from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

    try:
        from redis.exceptions import ClusterDownError, TryAgainError

        cluster_errors: tuple[type[BaseException], ...] = (ClusterDownError, TryAgainError)
    except ImportError:  # pragma: no cover
        cluster_errors = ()
    return (ConnectionError, TimeoutError, BusyLoadingError, OSError, *cluster_errors)


class CheckpointMovedError(LeaseLostError):
    """The room's checkpoint is not the one this batch follows: another writer, a Redis that lost
    data, or this very batch, applied before its answer was lost (the caller checks which)."""


class Script:
    """A Lua script run with EVALSHA, loaded again when Redis forgot it (after a restart)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()

    async def __call__(self, client: AnyRedis, keys: Sequence[str], args: Sequence[Any]) -> Any:
        from redis.exceptions import NoScriptError, ResponseError

        try:
            try:
                return await client.evalsha(self.sha, len(keys), *keys, *args)
            except NoScriptError:
                return await client.eval(self.source, len(keys), *keys, *args)
        except ResponseError as exc:
            if "CHECKPOINT_MOVED" in str(exc):
                raise CheckpointMovedError(f"checkpoint moved: {keys[1] if len(keys) > 1 else ''}") from None
            if "LEASE_LOST" in str(exc):
                raise LeaseLostError(f"lease lost: {keys[0] if keys else ''}") from None
            raise
