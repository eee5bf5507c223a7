"""Where a room's video is: ``room/info`` ``stream_url`` and the live page's ``pull_data``.

Shapes follow research §5.4: ``flv_pull_url`` by quality name (``FULL_HD1``,
``HD1``, ``SD1``, ``SD2``), ``hls_pull_url``, ``rtmp_pull_url`` (an FLV over
HTTP), and ``live_core_sdk_data.pull_data`` whose ``stream_data`` is a JSON
*string* mapping SDK quality keys (``origin``, ``uhd``, ``hd``, ``sd``,
``ld``) to ``{"main": {"flv", "hls", "sdk_params"}}``.

Every URL points at the simulator's ``/stage/`` paths, which serve the same
test video (:mod:`pytiktoklive.simulator.media`) whatever the quality.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional, Tuple

from pytiktoklive.simulator.media import FPS, HEIGHT, WIDTH
from pytiktoklive.simulator.rooms import SimRoom

__all__ = ["STREAM_PATH", "QUALITIES", "parse_stream_path", "sdk_pull_data", "stream_url"]

# SDK key -> (URL suffix, quality name of flv_pull_url or "", level)
QUALITIES: Dict[str, Tuple[str, str, int]] = {
    "origin": ("or4", "", 5),
    "uhd": ("uhd", "FULL_HD1", 4),
    "hd": ("hd", "HD1", 3),
    "sd": ("sd", "SD2", 2),
    "ld": ("ld", "SD1", 1),
}
#: ``/stage/stream-<stream id>_<suffix>.flv``, ``…_<suffix>/index.m3u8``, ``…_<suffix>/<segment>.ts``
STREAM_PATH = re.compile(r"^/stage/stream-(\d+)_([a-z0-9]+)(?:\.flv|/([A-Za-z0-9_.-]+))$")


def parse_stream_path(path: str) -> Optional[Tuple[int, str, str]]:
    """``(stream id, suffix, file)`` of a stream path; file is ``"flv"`` for the FLV stream."""
    match = STREAM_PATH.match(path)
    if not match:
        return None
    return int(match.group(1)), match.group(2), match.group(3) or "flv"


def _urls(room: SimRoom, suffix: str) -> Tuple[str, str]:
    base = f"{room.world.base_url}/stage/stream-{room.stream_id}_{suffix}"
    return base + ".flv", base + "/index.m3u8"


def _sdk_params(level: int) -> str:
    return json.dumps(
        {
            "VCodec": "h264",
            "vbitrate": 200_000 * level,
            "resolution": f"{WIDTH}x{HEIGHT}",
            "gop": 1,
            "vencoder": "x264",
        },
        separators=(",", ":"),
    )


def _quality(sdk_key: str) -> Dict[str, Any]:
    _, name, level = QUALITIES[sdk_key]
    return {
        "level": level,
        "name": name or "Original",
        "resolution": f"{WIDTH}x{HEIGHT}",
        "sdk_key": sdk_key,
        "v_codec": "h264",
    }


def sdk_pull_data(room: SimRoom) -> Dict[str, Any]:
    """``live_core_sdk_data.pull_data`` (also the live page's ``streamData.pull_data``)."""
    streams = {}
    for sdk_key, (suffix, _, level) in QUALITIES.items():
        flv, hls = _urls(room, suffix)
        streams[sdk_key] = {
            "main": {"flv": flv, "hls": hls, "cmaf": "", "dash": "", "lls": "", "tsl": "", "tile": "",
                     "sdk_params": _sdk_params(level)}
        }  # fmt: skip
    return {
        "options": {
            "default_quality": _quality("origin"),
            "qualities": [_quality(key) for key in reversed(list(QUALITIES))],
            "show_quality_button": True,
        },
        "stream_data": json.dumps({"common": {"session_id": str(room.stream_id)}, "data": streams}),
    }


def stream_url(room: SimRoom) -> Dict[str, Any]:
    """``room/info`` ``data.stream_url`` (empty for a LIVE that has ended)."""
    if not room.live:
        return {}
    origin_flv, origin_hls = _urls(room, QUALITIES["origin"][0])
    flv_pull_url = {}
    flv_params = {}
    for _sdk_key, (suffix, name, level) in QUALITIES.items():
        if name:
            flv_pull_url[name] = _urls(room, suffix)[0]
            flv_params[name] = _sdk_params(level)
    return {
        "candidate_resolution": ["SD1", "SD2", "HD1", "FULL_HD1", "ORIGION"],
        "complete_push_urls": [],
        "default_resolution": "ORIGION",
        "extra": {
            "anchor_interact_profile": 0,
            "audience_interact_profile": 0,
            "bframe_enable": False,
            "bytevc1_enable": False,
            "default_bitrate": 0,
            "fps": FPS,
            "gop_sec": 1,
            "hardware_encode": False,
            "height": HEIGHT,
            "max_bitrate": 0,
            "min_bitrate": 0,
            "roi": False,
            "sw_roi": False,
            "video_profile": 0,
            "width": WIDTH,
        },
        "flv_pull_url": flv_pull_url,
        "flv_pull_url_params": flv_params,
        "hls_pull_url": origin_hls,
        "hls_pull_url_map": {},
        "hls_pull_url_params": json.dumps({"VCodec": "h264"}),
        "id": room.stream_id,
        "id_str": str(room.stream_id),
        "live_core_sdk_data": {"pull_data": sdk_pull_data(room)},
        "provider": 0,
        "push_urls": [],
        "resolution_name": {
            "AUTO": "auto",
            "FULL_HD1": "1080p",
            "HD1": "720p",
            "ORIGION": "Original",
            "SD1": "480p",
            "SD2": "360p",
        },
        "rtmp_pull_url": origin_flv,
        "rtmp_pull_url_params": _sdk_params(5),
        "rtmp_push_url": "",
        "rtmp_push_url_params": "",
        "stream_control_type": 0,
    }
