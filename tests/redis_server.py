"""Real Redis servers for the fleet's tests: each test starts its own on a free loopback port.

``redis-server`` comes from Debian (``scripts/test.sh`` installs it); nothing is mocked. Servers
run without persistence unless a test asks for an append-only file (to restart Redis with its
data), in a temporary directory, and are killed when the test ends.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional

__all__ = ["RedisCluster", "RedisServer", "free_port", "redis_available"]


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def free_port(*, below: Optional[int] = None) -> int:
    """A free loopback port; ``below``: one under this number whose ``+10000`` neighbour is free
    too (a Cluster node's bus port)."""
    if below is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    for _ in range(200):
        port = random.randrange(20000, below)
        if _bindable(port) and _bindable(port + 10000):
            return port
    raise RuntimeError("no free port pair found for a Redis Cluster node")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _command(port: int, *words: str) -> bytes:
    """One inline command over a raw socket (enough for INFO / CLUSTER INFO in the set-up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall((" ".join(words) + "\r\n").encode())
        time.sleep(0.05)
        return connection.recv(65536)


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1:port``."""

    def __init__(
        self,
        directory: Path,
        *,
        appendonly: bool = False,
        extra: Optional[List[str]] = None,
        cluster: bool = False,
    ) -> None:
        self.directory = directory
        self.port = free_port(below=55535) if cluster else free_port()
        self.appendonly = appendonly
        self.extra = list(extra or [])
        self.process: Optional[subprocess.Popen[bytes]] = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        arguments = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always",
            "--protected-mode", "no",
            "--loglevel", "warning",
            "--logfile", str(self.directory / "redis.log"),
            *self.extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server did not start on port {self.port}: {log}")
            time.sleep(0.02)
        return self

    def stop(self, *, kill: bool = True) -> None:
        """Kill the server (SIGKILL: nothing is saved that the append-only file does not hold)."""
        if self.process is not None and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class RedisCluster:
    """A three-master Redis Cluster on loopback ports (``redis-cli --cluster create``)."""

    def __init__(self, directory: Path) -> None:
        self.nodes = [
            RedisServer(
                directory / f"node{index}",
                extra=[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                ],
                cluster=True,
            )
            for index in range(3)
        ]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> RedisCluster:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=30,
        )
        deadline = time.monotonic() + 20
        while not all(b"cluster_state:ok" in _command(node.port, "CLUSTER", "INFO") for node in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis Cluster did not become ready")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
