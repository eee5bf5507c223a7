"""A bench's server side in a child process, driven over stdin/stdout: one command per line in,
one JSON object per line out (``quit`` ends it). The load generator (``loadgen.py``) and the
soak's simulator (``soak.py --serve``) both speak it."""

from __future__ import annotations

import json
import subprocess
from typing import IO, Any, List, Optional


class Child:
    """The child process running ``command``; ``what`` names it in errors."""

    def __init__(self, command: List[str], what: str) -> None:
        self.what = what
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command: Optional[str] = None) -> Any:
        """Send ``command`` (if any) and return the child's next JSON line."""
        if command is not None:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdin.write(command + "\n")
            stdin.flush()
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"{self.what} exited ({self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        try:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdin.write("quit\n")
            stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()
