"""Typed results of TikTok's HTTP endpoints.

Each is a frozen dataclass with the fields most programs need, built by its
``from_raw`` class method from TikTok's JSON, which stays available as
``.raw`` for everything not modelled. ``from_raw`` never raises on missing or
oddly typed keys: absent values become ``0``, ``""`` or empty.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Tuple, Union

if TYPE_CHECKING:
    from pytiktoklive.client import TikTok
    from pytiktoklive.live import Live

__all__ = [
    "Gift",
    "GiftInfo",
    "LiveStream",
    "PriceItem",
    "PriceList",
    "RawJSON",
    "RoomInfo",
    "RoomOwner",
    "StreamURLs",
    "UserInfo",
]

_EMPTY: Mapping[str, Any] = {}


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return 0


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _first_url(image: Any) -> str:
    """The first URL of an image object (``url_list``/``urlList``), or the value itself if a string."""
    if isinstance(image, str):
        return image
    image = _obj(image)
    for key in ("url_list", "urlList"):
        urls = image.get(key)
        if isinstance(urls, list) and urls and isinstance(urls[0], str):
            return urls[0]
    return _str(image.get("url"))


def _raw_field() -> Any:
    return dataclasses.field(default_factory=dict, repr=False, compare=False)


class RawJSON(Mapping[str, Any]):
    """A read-only JSON object kept as its compact text and parsed when first read.

    A room keeps its ``RoomInfo`` for as long as it is tracked, and few programs read
    ``.raw``: parsed, a room's info takes ~23 KiB of Python objects; as text, ~7 KB. So the
    per-room models keep ``raw`` like this (see README, "Memory"). It is a ``Mapping``
    (``raw["owner"]``, ``raw.get(...)``, ``dict(raw)``, ``==``); the parsed value is kept
    once read. A value that is not JSON text-able is kept as it is.
    """

    __slots__ = ("_text", "_path", "_value")

    def __init__(self, value: Mapping[str, Any]) -> None:
        self._value: Optional[Mapping[str, Any]] = None
        self._path: Tuple[str, ...] = ()
        self._text: Union[str, bytes]
        try:
            self._text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):  # not from JSON: keep it
            self._text = ""
            self._value = dict(value)

    @classmethod
    def at(cls, text: Union[str, bytes], path: Tuple[str, ...]) -> RawJSON:
        """The object at ``path`` in the JSON ``text`` (an answer's body, as received).

        Models built from one answer then share its text: none of them re-encodes its part
        (``json.dumps`` of a room's info was ~3 % of the client's CPU connecting 1000 rooms)
        or keeps a copy of its own. The caller vouches that the object there is a mapping.
        """
        raw = cls.__new__(cls)
        raw._text, raw._path, raw._value = text, path, None
        return raw

    def child(self, key: str) -> RawJSON:
        """``self[key]`` (a mapping) as a :class:`RawJSON` sharing this one's text."""
        if self._value is not None and not self._text:  # not from JSON text
            return RawJSON(self._value[key])
        return RawJSON.at(self._text, (*self._path, key))

    def _parsed(self) -> Mapping[str, Any]:
        if self._value is None:
            value: Any = json.loads(self._text)
            for key in self._path:
                value = value[key]
            self._value = value
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return repr(self._parsed())


def _compact(value: Mapping[str, Any], raw: Optional[RawJSON] = None) -> Mapping[str, Any]:
    """``raw`` (the same object, from its answer's text) when given, else ``value`` as text."""
    if not value:
        return {}
    return raw if raw is not None else RawJSON(value)


def _raw_child(raw: Optional[RawJSON], data: Mapping[str, Any], key: str) -> Optional[RawJSON]:
    """``raw[key]`` sharing ``raw``'s text, when ``data[key]`` is a mapping with something in it."""
    if raw is None or not isinstance(data.get(key), Mapping) or not data[key]:
        return None
    return raw.child(key)


@dataclasses.dataclass(frozen=True)
class UserInfo:
    """A TikTok user, from the profile or live page (or the ``api-live`` endpoint).

    ``room_id`` is the user's current LIVE room, 0 when they are not live.
    """

    id: int = 0
    username: str = ""
    nickname: str = ""
    sec_uid: str = ""
    room_id: int = 0
    signature: str = ""
    avatar_url: str = ""
    verified: bool = False
    private: bool = False
    follower_count: int = 0
    following_count: int = 0
    heart_count: int = 0
    video_count: int = 0
    raw: Mapping[str, Any] = _raw_field()

    @property
    def is_live(self) -> bool:
        """The page says the user has a LIVE room now."""
        return self.room_id != 0

    @classmethod
    def from_raw(cls, user: Any, stats: Any = None) -> UserInfo:
        """Build from a page's user object (camelCase keys) and its stats object."""
        user, stats = _obj(user), _obj(stats)
        return cls(
            id=_int(user.get("id")),
            username=_str(user.get("uniqueId")),
            nickname=_str(user.get("nickname")),
            sec_uid=_str(user.get("secUid")),
            room_id=_int(user.get("roomId")),
            signature=_str(user.get("signature")),
            avatar_url=_str(user.get("avatarLarger") or user.get("avatarMedium") or user.get("avatarThumb")),
            verified=bool(user.get("verified")),
            private=bool(user.get("privateAccount") or user.get("secret")),
            follower_count=_int(stats.get("followerCount")),
            following_count=_int(stats.get("followingCount")),
            heart_count=_int(stats.get("heartCount", stats.get("heart"))),
            video_count=_int(stats.get("videoCount")),
            raw=_compact({"user": dict(user), "stats": dict(stats)}),
        )


@dataclasses.dataclass(frozen=True)
class RoomOwner:
    """The host of a room (``room/info`` ``data.owner``)."""

    id: int = 0
    username: str = ""
    nickname: str = ""
    sec_uid: str = ""
    avatar_url: str = ""
    follower_count: int = 0
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_raw(cls, owner: Any, text: Optional[RawJSON] = None) -> RoomOwner:
        """``text``: ``owner`` in its answer's text, kept as ``raw`` (else ``owner`` is re-encoded)."""
        owner = _obj(owner)
        return cls(
            id=_int(owner.get("id_str") or owner.get("id")),
            username=_str(owner.get("display_id")),
            nickname=_str(owner.get("nickname")),
            sec_uid=_str(owner.get("sec_uid")),
            avatar_url=_first_url(
                owner.get("avatar_large") or owner.get("avatar_medium") or owner.get("avatar_thumb")
            ),
            follower_count=_int(_obj(owner.get("follow_info")).get("follower_count")),
            raw=_compact(owner, text),
        )


# Quality ranks, lowest first: flv_pull_url's names and live_core_sdk_data's, which pair up
# (SD1 = ld < SD2 = sd < HD1 = hd < FULL_HD1 = uhd < ORIGION = origin; TikTok spells ORIGION so).
_QUALITY_RANK = {
    **{name: rank for rank, name in enumerate(("SD1", "SD2", "HD1", "FULL_HD1", "ORIGION"))},
    **{name: rank for rank, name in enumerate(("ld", "sd", "hd", "uhd", "origin"))},
}


@dataclasses.dataclass(frozen=True)
class StreamURLs:
    """Where to pull the video from (``room/info`` ``data.stream_url``).

    ``flv`` maps quality names (``SD1``, ``HD1``, ``FULL_HD1``, and the SDK's
    ``ld``/``sd``/``hd``/``uhd``/``origin``) to FLV URLs; ``hls`` maps the SDK
    qualities to HLS URLs. ``hls_url`` / ``flv_url`` are the default ones.
    """

    hls_url: str = ""
    flv_url: str = ""
    flv: Mapping[str, str] = dataclasses.field(default_factory=dict)
    hls: Mapping[str, str] = dataclasses.field(default_factory=dict)
    default_quality: str = ""
    raw: Mapping[str, Any] = _raw_field()

    @property
    def qualities(self) -> Tuple[str, ...]:
        """Every quality offered, lowest first as far as known."""
        names = dict.fromkeys([*self.flv, *self.hls])
        return tuple(sorted(names, key=lambda name: _QUALITY_RANK.get(name, -1)))

    @classmethod
    def from_raw(cls, stream_url: Any, text: Optional[RawJSON] = None) -> StreamURLs:
        """``text``: ``stream_url`` in its answer's text, kept as ``raw``."""
        stream_url = _obj(stream_url)
        flv: Dict[str, str] = {
            _str(name): _str(url) for name, url in _obj(stream_url.get("flv_pull_url")).items() if _str(url)
        }
        hls: Dict[str, str] = {}
        pull_data = _obj(_obj(stream_url.get("live_core_sdk_data")).get("pull_data"))
        sdk_streams = pull_data.get("stream_data")
        if isinstance(sdk_streams, str):  # TikTok ships it as a JSON string inside the JSON
            try:
                sdk_streams = json.loads(sdk_streams)
            except ValueError:
                sdk_streams = None
        for quality, entry in _obj(_obj(sdk_streams).get("data")).items():
            main = _obj(_obj(entry).get("main"))
            if _str(main.get("flv")):
                flv.setdefault(_str(quality), _str(main["flv"]))
            if _str(main.get("hls")):
                hls[_str(quality)] = _str(main["hls"])
        default = _obj(_obj(pull_data.get("options")).get("default_quality"))
        return cls(
            hls_url=_str(stream_url.get("hls_pull_url")),
            flv_url=_str(stream_url.get("rtmp_pull_url")) or next(iter(flv.values()), ""),
            flv=flv,
            hls=hls,
            default_quality=_str(default.get("sdk_key") or stream_url.get("default_resolution")),
            raw=_compact(stream_url, text),
        )


@dataclasses.dataclass(frozen=True)
class RoomInfo:
    """A LIVE room (``webcast/room/info`` ``data``). ``status`` is 2 while live, 4 once ended."""

    id: int = 0
    status: int = 0
    title: str = ""
    viewers: int = 0
    like_count: int = 0
    total_viewers: int = 0
    create_time: int = 0
    owner: RoomOwner = dataclasses.field(default_factory=RoomOwner)
    stream_urls: StreamURLs = dataclasses.field(default_factory=StreamURLs)
    share_url: str = ""
    raw: Mapping[str, Any] = _raw_field()

    @property
    def is_live(self) -> bool:
        return self.status == 2

    @property
    def ended(self) -> bool:
        return self.status == 4

    @classmethod
    def from_raw(cls, data: Any, text: Optional[RawJSON] = None) -> RoomInfo:
        """``text``: ``data`` in its answer's text (:meth:`RawJSON.at`): ``raw``, ``owner.raw``
        and ``stream_urls.raw`` then share it. Without it, ``data`` is encoded once and shared."""
        data = _obj(data)
        raw = _compact(data, text)
        shared = raw if isinstance(raw, RawJSON) else None
        stats = _obj(data.get("stats"))
        return cls(
            id=_int(data.get("id_str") or data.get("id")),
            status=_int(data.get("status")),
            title=_str(data.get("title")),
            viewers=_int(data.get("user_count")),
            like_count=_int(data.get("like_count") or stats.get("like_count")),
            total_viewers=_int(stats.get("total_user")),
            create_time=_int(data.get("create_time")),
            owner=RoomOwner.from_raw(data.get("owner"), _raw_child(shared, data, "owner")),
            stream_urls=StreamURLs.from_raw(data.get("stream_url"), _raw_child(shared, data, "stream_url")),
            share_url=_str(data.get("share_url")),
            raw=raw,
        )


@dataclasses.dataclass(frozen=True)
class Gift:
    """A gift of a room's gift list. ``diamond_count`` is its price in coins."""

    id: int = 0
    name: str = ""
    diamond_count: int = 0
    type: int = 0
    describe: str = ""
    image_url: str = ""
    raw: Mapping[str, Any] = _raw_field()

    @property
    def streakable(self) -> bool:
        """Sent as a streak (``type == 1``): see :class:`~pytiktoklive.events.GiftEvent`."""
        return self.type == 1

    @classmethod
    def from_raw(cls, gift: Any) -> Gift:
        gift = _obj(gift)
        return cls(
            id=_int(gift.get("id")),
            name=_str(gift.get("name")),
            diamond_count=_int(gift.get("diamond_count")),
            type=_int(gift.get("type")),
            describe=_str(gift.get("describe")),
            image_url=_first_url(gift.get("image") or gift.get("icon")),
            raw=dict(gift),
        )


@dataclasses.dataclass(frozen=True)
class GiftInfo:
    """The gifts a room accepts (``webcast/gift/list`` ``data``), by gift id."""

    gifts: Mapping[int, Gift] = dataclasses.field(default_factory=dict)
    raw: Mapping[str, Any] = _raw_field()

    def __len__(self) -> int:
        return len(self.gifts)

    def get(self, gift_id: int) -> Optional[Gift]:
        return self.gifts.get(gift_id)

    @classmethod
    def from_raw(cls, data: Any) -> GiftInfo:
        data = _obj(data)
        gifts = [Gift.from_raw(gift) for gift in data.get("gifts") or () if isinstance(gift, Mapping)]
        return cls(gifts={gift.id: gift for gift in gifts}, raw=dict(data))


@dataclasses.dataclass(frozen=True)
class PriceItem:
    """A coin package: ``diamond_count`` coins for ``price`` US cents
    (``exchange_price`` in the local ``currency``)."""

    id: int = 0
    diamond_count: int = 0
    price: int = 0
    exchange_price: int = 0
    currency: str = ""
    describe: str = ""
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_raw(cls, item: Any, default_currency: str = "") -> PriceItem:
        item = _obj(item)
        prices = item.get("currency_price")
        first = _obj(prices[0]) if isinstance(prices, list) and prices else _EMPTY
        return cls(
            id=_int(item.get("id")),
            diamond_count=_int(item.get("diamond_count")),
            price=_int(item.get("price")),
            exchange_price=_int(item.get("exchange_price")),
            currency=_str(first.get("currency")) or default_currency,
            describe=_str(item.get("describe")),
            raw=dict(item),
        )


@dataclasses.dataclass(frozen=True)
class PriceList:
    """Coin prices (``webcast/diamond``); TikTok picks the currency from the client's IP."""

    items: Tuple[PriceItem, ...] = ()
    currency: str = ""
    raw: Mapping[str, Any] = _raw_field()

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def from_raw(cls, body: Any) -> PriceList:
        body = _obj(body)
        extra = _obj(body.get("extra"))
        currency = _str(extra.get("default_currency"))
        data = body.get("data")
        items = (
            tuple(PriceItem.from_raw(item, currency) for item in data if isinstance(item, Mapping))
            if (isinstance(data, list))
            else ()
        )
        return cls(items=items, currency=currency or (items[0].currency if items else ""), raw=dict(body))


@dataclasses.dataclass(frozen=True)
class LiveStream:
    """A LIVE recommended by the feed (``webcast/feed`` ``data[]``). ``await stream.track()`` follows it."""

    room_id: int = 0
    info: RoomInfo = dataclasses.field(default_factory=RoomInfo)
    type: int = 0
    raw: Mapping[str, Any] = _raw_field()
    _client: Optional[TikTok] = dataclasses.field(default=None, repr=False, compare=False)

    async def track(self, **options: Any) -> Live:
        """Track this stream's room (same options as :meth:`TikTok.track_room`)."""
        if self._client is None:
            raise RuntimeError("this LiveStream is not bound to a TikTok client")
        return await self._client.track_room(self.room_id, **options)

    @classmethod
    def from_raw(cls, item: Any, client: Optional[TikTok] = None) -> LiveStream:
        item = _obj(item)
        info = RoomInfo.from_raw(item.get("data"))
        return cls(
            room_id=_int(item.get("rid")) or info.id,
            info=info,
            type=_int(item.get("type")),
            raw=dict(item),
            _client=client,
        )
