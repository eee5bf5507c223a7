"""The WebCast JSON endpoints: ``room/info``, ``room/check_alive``, ``diamond`` and ``feed``.

Shapes follow research §5.3 to §5.8: every answer is ``{"data": …, "extra":
{…, "now": ms}, "status_code": 0}``. (``gift/list`` is served from the
:class:`~pytiktoklive.simulator.gifts.GiftCatalogue`; ``im/fetch`` is
protobuf, see :mod:`pytiktoklive.simulator.fetch`.)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from pytiktoklive.simulator.rooms import SimRoom, epoch_ms
from pytiktoklive.simulator.streams import stream_url

__all__ = [
    "check_alive_answer",
    "diamond_answer",
    "failure",
    "feed_answer",
    "ok",
    "room_info_answer",
    "room_info_data",
]

# Feed paging: ``max_time`` counts down from here, one per item already listed.
_FEED_EPOCH_MS = 1_900_000_000_000


def _answer(data: Any, **extra: Any) -> Dict[str, Any]:
    return {"data": data, "extra": {"now": epoch_ms(), **extra}, "status_code": 0}


def ok(data: Any) -> Dict[str, Any]:
    """A successful WebCast answer carrying ``data``."""
    return _answer(data)


def failure(status_code: int, message: str) -> Dict[str, Any]:
    """A WebCast answer refusing the request: HTTP 200, a non-zero ``status_code``, ``data.message``."""
    return {
        "data": {"message": message, "prompts": message},
        "extra": {"now": epoch_ms()},
        "status_code": status_code,
    }


def _image(url: str, uri: str) -> Dict[str, Any]:
    return {
        "avg_color": "#CCCCCC",
        "height": 720,
        "image_type": 0,
        "is_animated": False,
        "open_web_url": "",
        "uri": uri,
        "url_list": [url],
        "width": 720,
    }


def _owner(room: SimRoom) -> Dict[str, Any]:
    avatar = _image(room.avatar_url, f"tos-maliva-avt-0068/{room.user_id}")
    return {
        "id": room.user_id,
        "id_str": str(room.user_id),
        "display_id": room.username,
        "nickname": room.nickname,
        "sec_uid": room.sec_uid,
        "bio_description": f"Simulated host of {room.title!r}",
        "avatar_thumb": avatar,
        "avatar_medium": avatar,
        "avatar_large": avatar,
        "follow_info": {
            "follower_count": room.factory.follow_count,
            "following_count": 120,
            "follow_status": 0,
            "push_status": 0,
        },
        "pay_grade": {"level": 0, "name": ""},
        "own_room": {"room_ids": [room.room_id], "room_ids_str": [str(room.room_id)]} if room.live else {},
        "verified": False,
        "user_attr": {"is_admin": False, "is_muted": False, "is_super_admin": False, "mute_duration": 0},
        "badge_list": [],
        "top_fans": [],
        "status": 1,
    }


def room_info_data(room: SimRoom) -> Dict[str, Any]:
    """``room/info`` ``data`` (the RoomInfo object, also the feed's ``data[].data``)."""
    likes = room.factory.total_likes
    return {
        "id": room.room_id,
        "id_str": str(room.room_id),
        "status": room.status,
        "title": room.title,
        "create_time": room.create_time,
        "start_time": room.create_time,
        "finish_time": room.finish_time,
        "user_count": room.viewers if room.live else 0,
        "like_count": likes,
        "share_url": f"{room.world.base_url}/share/live/{room.room_id}/?language=en",
        "live_id": 12,
        "age_restricted": {"restricted": False, "source": 0},
        "room_auth": {
            "Chat": True,
            "Danmaku": False,
            "Gift": True,
            "Digg": True,
            "Share": True,
            "Viewers": True,
        },
        "stats": {
            "total_user": room.viewers * 3,
            "enter_count": room.viewers * 3,
            "follow_count": room.factory.follow_count,
            "like_count": likes,
            "share_count": 0,
            "replay_viewers": 0,
            "gift_uv_count": 0,
            "fan_ticket": 0,
            "user_count_composition": {"my_follow": 0.0, "other": 0.9, "video_detail": 0.1},
            "id_str": str(room.room_id),
        },
        "owner": _owner(room),
        "owner_user_id": room.user_id,
        "owner_user_id_str": str(room.user_id),
        "top_fans": [],
        "cover": _image(f"{room.world.base_url}/img/cover/{room.room_id}.webp", f"cover/{room.room_id}"),
        "hashtag": {"id": 5, "title": "Chatting", "namespace": 0, "image": {}},
        "link_mic": {
            "battle_settings": {},
            "battle_scores": [],
            "linked_user_list": [],
            "multi_live_enum": 1,
        },
        "living_room_attrs": {
            "room_id": room.room_id,
            "room_id_str": str(room.room_id),
            "admin_flag": 0,
            "rank": 0,
            "silence_flag": 0,
        },
        "stream_id": room.stream_id,
        "stream_id_str": str(room.stream_id),
        "stream_url": stream_url(room),
        "stream_url_filtered_info": {"is_gated_room": False, "is_paid_event": False},
    }


def room_info_answer(room: Optional[SimRoom], room_id: int, *, logged_in: bool = False) -> Dict[str, Any]:
    """The ``room/info`` (and ``room/info_by_user``) answer. An unknown room reads as a LIVE that
    ended; an age-restricted one, to a client without a logged-in session, as TikTok shows it to
    anonymous clients (``{"prompts": ""}``, TLC#244)."""
    if room is None:
        return _answer({"id": room_id, "id_str": str(room_id), "status": 4, "stream_url": {}})
    if room.spec.age_restricted and not logged_in:
        return _answer({"prompts": ""})
    return _answer(room_info_data(room))


def check_alive_answer(rooms: Dict[int, SimRoom], room_ids: Sequence[int]) -> Dict[str, Any]:
    data = []
    for room_id in room_ids:
        room = rooms.get(room_id)
        data.append({"alive": bool(room and room.live), "room_id": room_id, "room_id_str": str(room_id)})
    return _answer(data)


# (coins, US cents) of the coin packages; the local prices use a fixed EUR rate.
_PACKAGES = (
    (30, 32),
    (70, 74),
    (350, 370),
    (700, 740),
    (1400, 1480),
    (3500, 3700),
    (7000, 7400),
    (17500, 18500),
)


def diamond_answer() -> Dict[str, Any]:
    """``diamond``: the coin price list (the currency follows the client's IP; here, EUR)."""
    items: List[Dict[str, Any]] = []
    for index, (coins, cents) in enumerate(_PACKAGES):
        euro_cents = cents * 92 // 100
        items.append(
            {
                "id": 3_000 + index,
                "iap_id": f"com.zhiliaoapp.musically.coins_{coins}",
                "diamond_count": coins,
                "price": cents,
                "exchange_price": euro_cents,
                "discount_price": 0,
                "giving_count": 0,
                "describe": f"{coins} Coins",
                "coupon_id": "",
                "currency_price": [
                    {
                        "currency": "EUR",
                        "price": euro_cents,
                        "original_price": euro_cents,
                        "keep_dot": 2,
                        "price_dot": 2,
                        "price_show_form": f"€{euro_cents / 100:.2f}",
                    }
                ],
            }
        )
    return _answer(
        items,
        currency_list=["EUR"],
        default_currency="EUR",
        channel="",
        channel_id=0,
        merchant_id="",
        default_packet_id=3_002,
        recommended_packet_id=3_003,
        first_charge_packet_id=0,
        max_customized_diamond_cnt=2_500_000,
        min_customized_diamond_cnt=30,
        need_auth=0,
        sign_infos=[],
        total_signed=0,
        is_default=True,
        is_recommend=False,
        show_hint=0,
    )


def feed_answer(rooms: Sequence[SimRoom], max_time: int, page_size: int) -> Dict[str, Any]:
    """One page of ``feed``: live rooms in order; ``extra.max_time`` asks for the next page."""
    start = _FEED_EPOCH_MS - max_time if 0 < max_time <= _FEED_EPOCH_MS else 0
    live = [room for room in rooms if room.live and room.spec.in_feed]
    page = live[start : start + page_size]
    end = start + len(page)
    items = [
        {
            "data": room_info_data(room),
            "rid": str(room.room_id),
            "type": 0,
            "live_reason": "",
            "debug_info": "",
            "flare_info": {"is_flare": False, "task_id": ""},
            "is_pseudo_living": False,
            "is_recommend_card": False,
        }
        for room in page
    ]
    has_more = end < len(live)
    return _answer(
        items,
        banner={"banners": [], "banners_type": 0, "switch_type": 0, "title": "", "total": 0},
        cost=3,
        has_more=has_more,
        hashtag_text="",
        is_backup=0,
        log_pb={"impr_id": f"sim{epoch_ms()}", "session_id": 0},
        max_time=_FEED_EPOCH_MS - end,
        min_time=_FEED_EPOCH_MS - start,
        style=1,
        total=len(items),
        unread_extra="",
    )
