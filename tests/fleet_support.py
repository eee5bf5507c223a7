"""Helpers of the fleet tests: worker processes, reading every stream back, waiting on the fleet."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import redis.asyncio as aioredis
from pytiktoklive.fleet import Fleet, FleetEvent
from pytiktoklive.fleet._keys import Keys

__all__ = ["WorkerProcess", "all_events", "eventually", "held_by", "since"]

# Only guards against a hang; nothing is timed.
HANG_GUARD = 150.0


class WorkerProcess:
    """``pytiktoklive fleet worker`` as a separate process, pointed at a simulator by ``--endpoint``."""

    def __init__(
        self,
        name: str,
        redis_url: str,
        endpoint: str,
        log_dir: Path,
        *,
        lease_ttl: float,
        extra: List[str] = (),  # type: ignore[assignment]
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed by close()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTIKTOKLIVE_")}
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "pytiktoklive", "fleet", "worker",
                "--redis", redis_url, "--endpoint", endpoint, "--name", name,
                "--lease-ttl", str(lease_ttl), "--watch-interval", "0.3", "--lookups-per-second", "100",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env=env,
        )  # fmt: skip

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    async def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"worker {self.name} did not stop on SIGTERM:\n{self.log[-3000:]}")
            await asyncio.sleep(0.05)
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self._log_file.close()


async def eventually(condition: Callable[[], Awaitable[Any]], what: str, timeout: float = HANG_GUARD) -> Any:
    """Wait until ``await condition()`` is truthy (checked every 0.2 s); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def all_events(redis_url: str, shards: int) -> Dict[str, List[FleetEvent]]:
    """Every entry of every shard stream, by room, in stream order."""
    client = aioredis.from_url(redis_url, decode_responses=True)
    rooms: Dict[str, List[FleetEvent]] = {}
    try:
        for key in Keys().streams(shards):
            for entry_id, fields in await client.xrange(key):
                event = FleetEvent.from_entry(key, entry_id, fields)
                rooms.setdefault(event.room, []).append(event)
    finally:
        await client.aclose()
    return rooms


async def since(fleet: Fleet) -> Dict[str, int]:
    """room -> when its current worker took it (epoch ms; 0: no worker)."""
    return {room.room: room.since_ms for room in (await fleet.status()).rooms}


async def held_by(fleet: Fleet) -> Dict[str, Optional[str]]:
    """room -> name of the worker holding its lease (None: free)."""
    status = await fleet.status()
    return {room.room: (room.worker.split("/")[0] if room.worker else None) for room in status.rooms}
