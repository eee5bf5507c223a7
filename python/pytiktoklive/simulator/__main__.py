"""``python -m pytiktoklive.simulator``: serve the simulator until Ctrl-C."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import List, Optional

from pytiktoklive.simulator.runner import run


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytiktoklive.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on (0: any free port; default 8080)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the rooms' content (default 0)")
    parser.add_argument("--speed", type=float, default=1.0, help="play the scenarios this many times faster")
    parser.add_argument("--captures", type=Path, default=None, help="directory of real captures to replay")
    parser.add_argument(
        "--load-rooms", type=int, default=0, help="add this many endless rooms (load_user0, …)"
    )
    parser.add_argument("--tls", action="store_true", help="serve HTTPS and WSS with a throw-away CA")
    parser.add_argument(
        "--loop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a built-in room whose LIVE ends goes live again (default: on)",
    )
    arguments = parser.parse_args(argv)
    run(
        arguments.host,
        arguments.port,
        arguments.seed,
        arguments.speed,
        captures_dir=arguments.captures,
        load_rooms=arguments.load_rooms,
        tls=arguments.tls,
        loop=arguments.loop,
        # flush: the banner must reach a pipe (a supervisor, a test) before the first request
        print_function=functools.partial(print, flush=True),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
