"""Read a user's room id and profile out of TikTok's HTML pages (pure functions).

TikTok has shipped its page data in several shapes over the years; all are tried:

* ``<script id="SIGI_STATE" type="application/json">`` (and the older
  ``window['SIGI_STATE']=…;`` form): ``UserModule.users/stats`` on profile
  pages, ``LiveRoom.liveRoomUserInfo`` (or ``liveRoom…``) on live pages;
* ``<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">``:
  ``__DEFAULT_SCOPE__["webapp.user-detail"].userInfo``;
* as a last resort, a room id anywhere in the page (``"roomId":"…"``,
  ``room_id=…``, ``snssdk…://live?room_id=…``).

A page with none of these is classified: a verify page →
:class:`~pytiktoklive.errors.CaptchaError`, a WAF or empty page →
:class:`~pytiktoklive.errors.IPBlockedError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from pytiktoklive.errors import CaptchaError, InvalidUsernameError, IPBlockedError
from pytiktoklive.models import UserInfo

__all__ = ["PageData", "check_not_blocked", "normalize_username", "parse_page", "room_id_in_text"]

# Every pattern here runs in linear time on any page (hostile pages included): no pattern
# has two unbounded parts that can overlap, and JSON is read by the json module from where
# it starts rather than by searching for where it might end.
#
# An opening <script …> tag: its attributes stop at the first "<" or ">", so each attempt
# scans at most up to the next tag.
_SCRIPT_TAG = re.compile(r"<script\b([^<>]*)>", re.IGNORECASE)
_SCRIPT_ID = re.compile(r"""\bid\s*=\s*["']?([^"'\s<>]*)""", re.IGNORECASE)
_SIGI_ID = "SIGI_STATE"
_UNIVERSAL_ID = "__UNIVERSAL_DATA_FOR_REHYDRATION__"
# The older form: window['SIGI_STATE'] = {…};
_SIGI_WINDOW = re.compile(r"""window\[['"]SIGI_STATE['"]\]\s*=""")
_JSON = json.JSONDecoder()
_BLANKS = re.compile(r"\s*")
_ROOM_ID_PATTERNS = (
    re.compile(r'"roomId"\s*:\s*"(\d+)"'),
    re.compile(r"snssdk\d*://live\?room_id=(\d+)"),
    re.compile(r"[?&;]room_id=(\d+)"),
)
_CAPTCHA_MARKERS = (
    "tiktok-verify-page",
    "captcha-verify",
    "captcha_verify",
    "secsdk-captcha",
    "verify-bar-close",
)
_WAF_MARKERS = ("_wafchallengeid", "wafchallenge", "slardar_waf", "please wait...")
# TikTok's user-detail status codes for users that do not exist or cannot be shown.
_USER_DETAIL_NOT_FOUND = (10202, 10221, 10222, 10223)

# TikTok usernames: letters, digits, "_" and "." (at most 24; a little slack for old accounts).
_USERNAME = re.compile(r"^[A-Za-z0-9_.]{1,32}$")
_PROFILE_URL = re.compile(r"^(?:https?://)?(?:[a-z0-9-]+\.)*tiktok\.com/@([^/?#]+)", re.IGNORECASE)


def normalize_username(value: str) -> str:
    """``"@name"``, ``"name"`` or a profile/live URL → ``"name"``; a clear error for anything else."""
    if not isinstance(value, str):
        raise InvalidUsernameError(f"a username must be a str, not {type(value).__name__}")
    text = value.strip()
    match = _PROFILE_URL.match(text)
    if match:
        text = match.group(1)
    elif "/" in text or "://" in text:
        raise InvalidUsernameError(
            f"{value!r} is not a TikTok username or profile URL (https://www.tiktok.com/@name)"
        )
    name = text[1:] if text.startswith("@") else text
    if not _USERNAME.match(name):
        raise InvalidUsernameError(
            f"{value!r} is not a valid TikTok username (letters, digits, '_' and '.', at most 32 characters)"
        )
    return name


@dataclass(frozen=True)
class PageData:
    """What a page told us. ``user`` is None when the page named no user;
    ``found`` is False when the page carried no recognisable data at all."""

    found: bool
    user: Optional[UserInfo] = None
    room_id: int = 0
    room_status: int = 0
    user_missing: bool = False


def _json_at(html: str, start: int) -> Any:
    """The JSON value that starts at ``html[start:]`` (after blanks), None if there is none.

    Read once, in linear time; nesting too deep for the parser counts as no data."""
    blanks = _BLANKS.match(html, start)
    try:
        value, _end = _JSON.raw_decode(html, blanks.end() if blanks else start)
    except (ValueError, RecursionError):
        return None
    return value


def _script_bodies(html: str) -> Dict[str, int]:
    """Where the bodies of the first ``SIGI_STATE`` and ``__UNIVERSAL_DATA…`` scripts start."""
    found: Dict[str, int] = {}
    for tag in _SCRIPT_TAG.finditer(html):
        id_match = _SCRIPT_ID.search(tag.group(1))
        script_id = id_match.group(1) if id_match else ""
        if script_id in (_SIGI_ID, _UNIVERSAL_ID) and script_id not in found:
            found[script_id] = tag.end()
            if len(found) == 2:
                break
    return found


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _digits(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _lookup(users: Any, username: str) -> Any:
    """``users[username]``, case-insensitively (TikTok's keys are the canonical spelling)."""
    if not isinstance(users, Mapping):
        return None
    if username in users:
        return users[username]
    wanted = username.lower()
    return next((user for key, user in users.items() if str(key).lower() == wanted), None)


def _from_sigi(state: Mapping[str, Any], username: str) -> Optional[PageData]:
    live_user_info = _get(state, "LiveRoom", "liveRoomUserInfo") or _get(
        state, "liveRoom", "liveRoomUserInfo"
    )
    if isinstance(live_user_info, Mapping) and isinstance(live_user_info.get("user"), Mapping):
        user = UserInfo.from_raw(live_user_info["user"], live_user_info.get("stats"))
        room = live_user_info.get("liveRoom")
        room_id = user.room_id or _digits(_get(room, "roomId"))
        return PageData(True, user, room_id, _digits(_get(room, "status")))
    users = _get(state, "UserModule", "users")
    if isinstance(users, Mapping):
        raw = _lookup(users, username)
        if not isinstance(raw, Mapping):
            return PageData(True, user_missing=True)
        user = UserInfo.from_raw(raw, _lookup(_get(state, "UserModule", "stats"), username))
        return PageData(True, user, user.room_id)
    return None


def _from_universal(data: Mapping[str, Any]) -> Optional[PageData]:
    detail = _get(data, "__DEFAULT_SCOPE__", "webapp.user-detail")
    if not isinstance(detail, Mapping):
        return None
    status = detail.get("statusCode")
    user_info = detail.get("userInfo")
    raw_user = _get(user_info, "user")
    if status in _USER_DETAIL_NOT_FOUND or not isinstance(raw_user, Mapping) or not raw_user:
        return PageData(True, user_missing=True)
    user = UserInfo.from_raw(raw_user, _get(user_info, "stats"))
    return PageData(True, user, user.room_id)


def room_id_in_text(text: str) -> int:
    """The first room id mentioned anywhere in ``text``, 0 if none."""
    for pattern in _ROOM_ID_PATTERNS:
        match = pattern.search(text)
        if match and match.group(1) != "0":
            return int(match.group(1))
    return 0


def check_not_blocked(text: str, *, url: str = "") -> None:
    """Raise CaptchaError for a verify page, IPBlockedError for a WAF challenge page."""
    lowered = text.lower()
    if any(marker in lowered for marker in _CAPTCHA_MARKERS):
        raise CaptchaError("TikTok answered with a captcha/verify page; try later or elsewhere", url=url)
    if any(marker in lowered for marker in _WAF_MARKERS):
        raise IPBlockedError("TikTok answered with a WAF challenge: this IP is probably blocked", url=url)


def parse_page(html: str, username: str, *, url: str = "") -> PageData:
    """Read a profile or live page. Raises CaptchaError/IPBlockedError for blocked pages;
    returns ``PageData(found=False)`` for a page without data (try another source)."""
    check_not_blocked(html, url=url)
    bodies = _script_bodies(html)
    window = _SIGI_WINDOW.search(html)
    for start in (bodies.get(_SIGI_ID), window.end() if window else None):
        state = _json_at(html, start) if start is not None else None
        if isinstance(state, Mapping):
            parsed = _from_sigi(state, username)
            if parsed is not None:
                return parsed
    start = bodies.get(_UNIVERSAL_ID)
    universal = _json_at(html, start) if start is not None else None
    if isinstance(universal, Mapping):
        parsed = _from_universal(universal)
        if parsed is not None:
            return parsed
    room_id = room_id_in_text(html)
    if room_id:
        return PageData(True, room_id=room_id)
    return PageData(False)
