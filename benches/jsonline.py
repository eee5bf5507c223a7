"""The last step of every benchmark script: its result as one JSON line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional


def emit(result: Dict[str, Any], json_out: Optional[Path]) -> None:
    """Print ``result`` as one JSON line, and append that line to ``json_out`` when given."""
    line = json.dumps(result)
    print(line)
    if json_out is not None:
        with json_out.open("a") as out:
            out.write(line + "\n")
