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
from typing import Any, Mapping, Optional

from pytiktoklive.errors import CaptchaError, InvalidUsernameError, IPBlockedError
from pytiktoklive.models import UserInfo

__all__ = ["PageData", "check_not_blocked", "normalize_username", "parse_page", "room_id_in_text"]

_SCRIPT = r"""<script[^>]*\bid=["']{id}["'][^>]*>(.*?)</script>"""
_SIGI_SCRIPT = re.compile(_SCRIPT.format(id="SIGI_STATE"), re.DOTALL | re.IGNORECASE)
_SIGI_WINDOW = re.compile(
    r"""window\[['"]SIGI_STATE['"]\]\s*=\s*(\{.*?\});\s*(?:window\[|</script>)""", re.DOTALL
)
_UNIVERSAL_SCRIPT = re.compile(
    _SCRIPT.format(id="__UNIVERSAL_DATA_FOR_REHYDRATION__"), re.DOTALL | re.IGNORECASE
)
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


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


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
    for pattern in (_SIGI_SCRIPT, _SIGI_WINDOW):
        match = pattern.search(html)
        state = _load(match.group(1)) if match else None
        if isinstance(state, Mapping):
            parsed = _from_sigi(state, username)
            if parsed is not None:
                return parsed
    match = _UNIVERSAL_SCRIPT.search(html)
    universal = _load(match.group(1)) if match else None
    if isinstance(universal, Mapping):
        parsed = _from_universal(universal)
        if parsed is not None:
            return parsed
    room_id = room_id_in_text(html)
    if room_id:
        return PageData(True, room_id=room_id)
    return PageData(False)
