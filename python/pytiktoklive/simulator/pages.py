"""The web host: ``/``, ``/@{user}``, ``/@{user}/live`` and ``/api-live/user/room/``.

The pages carry their data the way TikTok's do (research §5.1):

* profile, today: ``<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">`` with
  ``__DEFAULT_SCOPE__["webapp.user-detail"].userInfo.{user, stats}``
  (``user.roomId`` is ``""`` when the user is not live);
* profile, 2022 (``page_style="sigi"``): ``<script id="SIGI_STATE">`` with
  ``UserModule.users/stats`` keyed by username;
* live page: ``SIGI_STATE`` with ``LiveRoom.liveRoomUserInfo.{user, stats, liveRoom}``
  (``liveRoom.status`` 2 live, 4 ended).

Unknown users get what TikTok serves them: a profile whose user-detail
``statusCode`` is 10221 with no user, a live page without ``LiveRoom``, and an
api-live answer with ``statusCode`` 19881007 ("user_not_found"). Blocked
clients get a captcha ("verify") page or a WAF challenge page.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from pytiktoklive.simulator.rooms import SimRoom
from pytiktoklive.simulator.streams import sdk_pull_data

__all__ = [
    "api_live_answer",
    "captcha_page",
    "home_page",
    "live_page",
    "not_found_api_live",
    "profile_page",
    "waf_page",
]

_USER_DETAIL_NOT_FOUND = 10221
_API_LIVE_USER_NOT_FOUND = 19881007


def _script(script_id: str, data: Any) -> str:
    # "</" inside a script element would end it: escape the slash, as JSON allows.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script id="{script_id}" type="application/json">{text}</script>'


def _document(title: str, url: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<meta property="og:url" content="{url}">'
        '<meta property="og:site_name" content="TikTok">'
        f'</head><body><div id="app"></div>{body}</body></html>'
    )


def _app_context(base_url: str) -> Dict[str, Any]:
    return {
        "appContext": {"language": "en", "region": "US", "webIdCreatedTime": "", "wid": ""},
        "host": base_url,
    }


def home_page(base_url: str) -> str:
    return _document(
        "TikTok - Make Your Day",
        base_url + "/",
        _script("SIGI_STATE", {"AppContext": _app_context(base_url)}),
    )


def _user(room: SimRoom, *, live_page: bool) -> Dict[str, Any]:
    avatar = room.avatar_url
    user: Dict[str, Any] = {
        "id": str(room.user_id),
        "shortId": "",
        "uniqueId": room.username,
        "nickname": room.nickname,
        "avatarLarger": avatar,
        "avatarMedium": avatar,
        "avatarThumb": avatar,
        "signature": f"Simulated host of {room.title!r}",
        "createTime": room.create_time - 86_400 * 400,
        "verified": False,
        "secUid": room.sec_uid,
        "ftc": False,
        "relation": 0,
        "openFavorite": False,
        "commentSetting": 0,
        "duetSetting": 0,
        "stitchSetting": 0,
        "privateAccount": False,
        "secret": False,
        "isADVirtual": False,
        # A profile names the current LIVE only; the live page names the last one, with its status.
        "roomId": str(room.room_id) if room.live or live_page else "",
    }
    if live_page:
        user["status"] = room.status
        user["followStatus"] = 0
    return user


def _stats(room: SimRoom) -> Dict[str, Any]:
    followers = room.factory.follow_count
    return {
        "followerCount": followers,
        "followingCount": 120,
        "heart": followers * 9,
        "heartCount": followers * 9,
        "videoCount": 48,
        "diggCount": 2_000,
        "needFix": True,
    }


def _live_stats(room: SimRoom) -> Dict[str, Any]:
    """The short ``stats`` of the live page and api-live (follow counts only)."""
    return {"followingCount": 120, "followerCount": room.factory.follow_count}


def profile_page(room: SimRoom) -> str:
    url = f"{room.world.base_url}/@{room.username}"
    title = f"{room.nickname} (@{room.username}) | TikTok"
    if room.spec.page_style == "sigi":
        state = {
            "AppContext": _app_context(room.world.base_url),
            "UserModule": {
                "users": {room.username: _user(room, live_page=False)},
                "stats": {room.username: _stats(room)},
            },
        }
        return _document(title, url, _script("SIGI_STATE", state))
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.app-context": _app_context(room.world.base_url)["appContext"],
            "webapp.user-detail": {
                "userInfo": {"user": _user(room, live_page=False), "stats": _stats(room)},
                "statusCode": 0,
                "statusMsg": "",
            },
        }
    }
    return _document(title, url, _script("__UNIVERSAL_DATA_FOR_REHYDRATION__", data))


def _live_room(room: SimRoom) -> Dict[str, Any]:
    live_room: Dict[str, Any] = {
        "status": room.status,
        "title": room.title,
        "coverUrl": f"{room.world.base_url}/img/cover/{room.room_id}.webp",
        "squareCoverImg": f"{room.world.base_url}/img/cover/{room.room_id}_square.webp",
        "startTime": room.create_time,
        "streamId": str(room.stream_id),
        "liveRoomMode": 0,
        "liveSubOnly": 0,
        "paidEvent": {"event_id": 0, "paid_type": 0},
        "hashTagId": 0,
        "gameTagId": 0,
        "multiStreamScene": 0,
        "multiStreamSource": 0,
        "liveRoomStats": {"userCount": room.viewers if room.live else 0},
    }
    if room.live:
        live_room["streamData"] = {"pull_data": sdk_pull_data(room)}
    return live_room


def live_page(room: SimRoom) -> str:
    url = f"{room.world.base_url}/@{room.username}/live"
    state = {
        "AppContext": _app_context(room.world.base_url),
        "LiveRoom": {
            "liveRoomUserInfo": {
                "user": _user(room, live_page=True),
                "stats": _live_stats(room),
                "liveRoom": _live_room(room),
            },
            "loadingState": {"getRecommendLive": 1, "getUserInfo": 1, "getUserStat": 1},
        },
    }
    return _document(
        f"{room.nickname} (@{room.username}) is LIVE | TikTok", url, _script("SIGI_STATE", state)
    )


def not_found_profile_page(base_url: str, username: str) -> str:
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.app-context": _app_context(base_url)["appContext"],
            "webapp.user-detail": {"userInfo": {}, "statusCode": _USER_DETAIL_NOT_FOUND, "statusMsg": ""},
        }
    }
    title = "Couldn't find this account | TikTok"
    return _document(title, f"{base_url}/@{username}", _script("__UNIVERSAL_DATA_FOR_REHYDRATION__", data))


def not_found_live_page(base_url: str, username: str) -> str:
    # No LiveRoom at all: that is how a live page says the user does not exist.
    state = {"AppContext": _app_context(base_url), "SEO": {"metaParams": {"title": "TikTok LIVE"}}}
    return _document("TikTok LIVE", f"{base_url}/@{username}/live", _script("SIGI_STATE", state))


def captcha_page(base_url: str) -> str:
    body = (
        '<div id="tiktok-verify-page" class="captcha_verify_container">'
        '<div class="captcha-verify-title">Drag the slider to fit the puzzle</div>'
        '<div class="secsdk-captcha-drag-icon"></div>'
        '<a class="verify-bar-close" href="#">Close</a></div>'
    )
    # A block page has neither the data script nor og:url: that is how clients recognise one.
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Security Check | TikTok</title>'
        f'<link rel="canonical" href="{base_url}/"></head><body>{body}</body></html>'
    )


def waf_page(base_url: str) -> str:
    body = (
        "<p>Please wait...</p>"
        '<script>window._wafchallengeid="sim-waf-challenge";</script>'
        '<script src="/slardar_waf/sdk.js"></script>'
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Please wait...</title></head>'
        f"<body>{body}</body></html>"
    )


def api_live_answer(room: SimRoom) -> Dict[str, Any]:
    user = _user(room, live_page=True)
    return {
        "data": {
            "user": user,
            "liveRoom": {**_live_room(room), "roomId": str(room.room_id)},
            "stats": _live_stats(room),
        },
        "extra": {"fatal_item_ids": [], "logid": "", "now": room.finish_time or room.create_time},
        "message": "",
        "statusCode": 0,
    }


def not_found_api_live(extra_now: Optional[int] = None) -> Dict[str, Any]:
    return {
        "data": {},
        "extra": {"now": extra_now or 0},
        "message": "user_not_found",
        "statusCode": _API_LIVE_USER_NOT_FOUND,
    }
