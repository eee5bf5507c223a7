"""The pure-Python decoder: the decoding contract of :mod:`pytiktoklive.events` without the Rust core.

Used when ``pytiktoklive._core`` is not built, or when ``PYTIKTOKLIVE_PURE=1``. It has the
same four functions as the native module and gives equal results; ``tests/test_differential.py``
holds the two to that.

The schema is the betterproto2 code generated from ``proto/webcast/*.proto``: each generated
class supplies its field numbers, types and nested classes. Reading the bytes is done here, not
by betterproto2's own parser, for two reasons: that parser accepts malformed input (a
length-delimited field running past the end of the buffer is silently cut short, unknown wire
types are ignored), and it reads one byte at a time. The reader below applies the rules of the
Rust core's protobuf decoder (prost): fields in any order, unknown fields skipped but checked,
a singular sub-message that occurs twice is merged, packed and unpacked repeated numbers both
accepted, strings must be UTF-8, at most 100 levels of nesting. It also counts what it builds,
exactly as the Rust core's decode budget (``rust/codec/budget.rs``) does, and refuses a frame that
passes its limits (see :class:`_Counter`).
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 10):  # pragma: no cover - exercised on Python 3.9 only
    raise ImportError(
        "pytiktoklive's pure-Python decoder needs Python >= 3.10 (it uses betterproto2); "
        "on Python 3.9 install a pytiktoklive wheel, which includes the Rust decoder"
    )

import json
import operator
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

from pytiktoklive.decoding import FetchResult
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import (
    Badge,
    BarrageEvent,
    Battle,
    BattleContributor,
    BattleGroup,
    BattlesEvent,
    Caption,
    CaptionEvent,
    ChatEvent,
    ControlEvent,
    Emote,
    EmoteChatEvent,
    EnvelopeEvent,
    Event,
    GiftEvent,
    GoalUpdateEvent,
    HourlyRankEvent,
    ImDeleteEvent,
    IntroEvent,
    LikeEvent,
    LinkEvent,
    LinkLayerEvent,
    MicBattleEvent,
    PollEvent,
    PollOption,
    QuestionEvent,
    RankUpdate,
    RankUpdateEvent,
    RoomBannerEvent,
    RoomEvent,
    RoomPinEvent,
    SkippedMessage,
    SubGoal,
    SubscribeEvent,
    TopViewer,
    UnauthorizedMemberEvent,
    UnknownEvent,
    User,
    UserEvent,
    ViewersEvent,
)

try:
    import betterproto2

    from pytiktoklive._proto import webcast as pb
except ImportError as exc:  # pragma: no cover - betterproto2 is a dependency on Python >= 3.10
    raise ImportError(
        "pytiktoklive's pure-Python decoder needs betterproto2: pip install 'betterproto2>=0.10,<0.11'"
    ) from exc

__all__ = ["count_frame_messages", "decode_fetch_result", "decode_frame", "decode_message"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# =========================================================================== the wire reader


class _Malformed(Exception):
    """Bytes that do not follow the wire format or the schema (becomes a DecodeError)."""


def _limit_exceeded(what: str, limit: int) -> DecodeError:
    return DecodeError(f"decode limit exceeded: more than {limit} {what}")


class _Counter:
    """The decode budget of one frame, counted as values are read (the Rust core's rules):

    * every message value (singular or repeated, at any depth, map entries too) is one object,
      counted before its fields are read;
    * every entry appended to a repeated field is checked against ``max_repeated`` (against
      ``max_messages`` for ``FetchResult.messages``) by the length of the record's list, and is
      one object unless it is a message (counted already);
    * counting stops with the first malformed byte; text that is not UTF-8 fails the buffer
      at its end, so it does not stop the counting.
    """

    __slots__ = ("bad_text", "max_messages", "max_objects", "max_repeated", "objects_left")

    def __init__(self, max_messages: int, max_repeated: int, max_objects: int) -> None:
        #: Why the first string of the buffer being read was not UTF-8 (None: all were).
        self.bad_text: Optional[str] = None
        self.max_messages = max_messages
        self.max_repeated = max_repeated
        self.max_objects = max_objects
        self.objects_left = max_objects

    def objects_exceeded(self) -> DecodeError:
        return _limit_exceeded("objects in one frame", self.max_objects)

    def entries_exceeded(self, field: _Field) -> DecodeError:
        if field.batch:
            return _limit_exceeded("messages in one batch", self.max_messages)
        return _limit_exceeded("entries in one repeated field", self.max_repeated)


#: Kinds of field value. The first three are varints (and may be packed when repeated).
_INT32, _INT64, _BOOL, _STRING, _BYTES, _MESSAGE, _MAP = range(7)

_KIND_BY_PROTO_TYPE = {
    betterproto2.TYPE_INT32: _INT32,
    betterproto2.TYPE_INT64: _INT64,
    betterproto2.TYPE_BOOL: _BOOL,
    betterproto2.TYPE_STRING: _STRING,
    betterproto2.TYPE_BYTES: _BYTES,
    betterproto2.TYPE_MESSAGE: _MESSAGE,
    betterproto2.TYPE_MAP: _MAP,
}
_DEFAULT_BY_KIND: Dict[int, Any] = {_INT32: 0, _INT64: 0, _BOOL: False, _STRING: "", _BYTES: b""}

#: prost's nesting limit: messages and groups nested deeper than this are malformed.
_RECURSION_LIMIT = 100

_WIRE_VARINT, _WIRE_FIXED64, _WIRE_LEN, _WIRE_GROUP_START, _WIRE_GROUP_END, _WIRE_FIXED32 = range(6)


class _Field:
    """One declared field of a message: where its value goes and how to read it."""

    __slots__ = ("batch", "kind", "name", "repeated", "schema")

    def __init__(self, name: str, kind: int, repeated: bool, schema: Optional[_Schema]) -> None:
        self.name = name
        self.kind = kind
        self.repeated = repeated
        self.schema = schema  # of a sub-message or map entry
        self.batch = False  # FetchResult.messages: bounded by max_messages, not max_repeated


class _Schema:
    """A message type: its declared fields by number, and the class its values are put in.

    Values are instances of the generated betterproto2 class whose ``__dict__`` is filled
    directly (defaults first): the converters only read them. Repeated fields hold a list
    once they have a value, ``()`` before; a map holds a dict, ``()`` before.
    """

    __slots__ = ("cls", "defaults", "fields")

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.fields: Dict[int, _Field] = {}
        self.defaults: Dict[str, Any] = {}

    def new(self) -> Any:
        value: Any = object.__new__(self.cls)
        value.__dict__.update(self.defaults)
        return value


class _MapEntry:
    """The value of one map entry while it is read (``key`` field 1, ``value`` field 2)."""


_schemas: Dict[type, _Schema] = {}


def _schema(cls: type) -> _Schema:
    """The schema of a generated betterproto2 message class (built once, then cached)."""
    cached = _schemas.get(cls)
    if cached is not None:
        return cached
    schema = _schemas[cls] = _Schema(cls)
    metadata = cls._betterproto  # type: ignore[attr-defined]
    for name, meta in metadata.meta_by_field_name.items():
        kind = _KIND_BY_PROTO_TYPE.get(meta.proto_type)
        if kind is None:
            raise TypeError(f"{cls.__name__}.{name}: protobuf type {meta.proto_type} is not supported")
        sub: Optional[_Schema] = None
        if kind == _MESSAGE:
            sub = _schema(metadata.cls_by_field[name])
        elif kind == _MAP:
            sub = _map_entry_schema(cls.__name__, name, meta.map_meta)
        repeated = bool(meta.repeated) or kind == _MAP
        schema.fields[meta.number] = _Field(name, kind, repeated, sub)
        schema.defaults[name] = () if repeated else _DEFAULT_BY_KIND.get(kind)
    return schema


def _map_entry_schema(owner: str, name: str, map_meta: Any) -> _Schema:
    entry = _Schema(_MapEntry)
    for field_name, meta in zip(("key", "value"), map_meta):
        kind = _KIND_BY_PROTO_TYPE.get(meta.proto_type)
        if kind is None or kind in (_MESSAGE, _MAP):
            raise TypeError(f"{owner}.{name}: map values of type {meta.proto_type} are not supported")
        entry.fields[meta.number] = _Field(field_name, kind, False, None)
        entry.defaults[field_name] = _DEFAULT_BY_KIND[kind]
    return entry


def _varint(buf: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Reads a varint at ``pos``: at most 10 bytes, the tenth 0 or 1 (values below 2**64)."""
    result = 0
    shift = 0
    while pos < end:
        byte = buf[pos]
        pos += 1
        if shift == 63 and byte > 1:
            raise _Malformed("invalid varint")
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise _Malformed("invalid varint")


def _key(buf: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    """Reads a field key: ``(field number, wire type, position after it)``."""
    key = buf[pos]
    if key < 0x80:
        pos += 1
    else:
        key, pos = _varint(buf, pos, end)
        if key > 0xFFFFFFFF:
            raise _Malformed(f"invalid key value: {key}")
    wire = key & 7
    if wire > _WIRE_FIXED32:
        raise _Malformed(f"invalid wire type value: {wire}")
    number = key >> 3
    if number == 0:
        raise _Malformed("invalid tag value: 0")
    return number, wire, pos


def _skip(buf: bytes, pos: int, end: int, wire: int, number: int, budget: int) -> int:
    """Skips one unknown field (after its key) and returns the position after it."""
    if budget == 0:
        raise _Malformed("recursion limit reached")
    if wire == _WIRE_VARINT:
        _, pos = _varint(buf, pos, end)
        return pos
    if wire == _WIRE_LEN:
        length, pos = _varint(buf, pos, end)
        pos += length
    elif wire == _WIRE_FIXED64:
        pos += 8
    elif wire == _WIRE_FIXED32:
        pos += 4
    elif wire == _WIRE_GROUP_START:
        while True:
            if pos >= end:
                raise _Malformed("group is not closed")
            inner_number, inner_wire, pos = _key(buf, pos, end)
            if inner_wire == _WIRE_GROUP_END:
                if inner_number != number:
                    raise _Malformed("unexpected end group tag")
                return pos
            pos = _skip(buf, pos, end, inner_wire, inner_number, budget - 1)
    else:
        raise _Malformed("unexpected end group tag")
    if pos > end:
        raise _Malformed("buffer underflow")
    return pos


def _merge(
    schema: _Schema, buf: bytes, pos: int, end: int, values: Dict[str, Any], budget: int, counter: _Counter
) -> None:
    """Reads the fields of ``buf[pos:end]`` into ``values`` (a message's ``__dict__``)."""
    fields = schema.fields
    while pos < end:
        number, wire, pos = _key(buf, pos, end)
        field = fields.get(number)
        if field is None:
            pos = _skip(buf, pos, end, wire, number, budget)
            continue
        kind = field.kind
        value: Any
        if wire == _WIRE_LEN:
            length = buf[pos] if pos < end else 0x80
            if length < 0x80:
                pos += 1
            else:
                length, pos = _varint(buf, pos, end)
            stop = pos + length
            if stop > end:
                raise _Malformed(f"{field.name}: buffer underflow")
            if kind == _STRING:
                try:
                    value = buf[pos:stop].decode("utf-8")
                except UnicodeDecodeError as error:
                    # Noted, and the buffer fails at its end (see _parse): what follows is
                    # still read and counted, as the Rust core's walk counts it.
                    if counter.bad_text is None:
                        counter.bad_text = error.reason
                    value = ""
            elif kind == _MESSAGE:
                if budget == 0:
                    raise _Malformed("recursion limit reached")
                counter.objects_left -= 1
                if counter.objects_left < 0:
                    raise counter.objects_exceeded()
                sub = field.schema
                assert sub is not None
                if field.repeated:
                    value = sub.new()
                    _merge(sub, buf, pos, stop, value.__dict__, budget - 1, counter)
                else:
                    value = values[field.name]
                    if value is None:  # the first occurrence; any later one is merged into it
                        value = values[field.name] = sub.new()
                    _merge(sub, buf, pos, stop, value.__dict__, budget - 1, counter)
                    pos = stop
                    continue
            elif kind == _BYTES:
                value = buf[pos:stop]
            elif kind == _MAP:
                counter.objects_left -= 1
                if counter.objects_left < 0:
                    raise counter.objects_exceeded()
                sub = field.schema
                assert sub is not None
                entry: Dict[str, Any] = dict(sub.defaults)
                _merge(sub, buf, pos, stop, entry, budget - 1, counter)
                current = values[field.name]
                if not current:
                    current = values[field.name] = {}
                current[entry["key"]] = entry["value"]
                pos = stop
                continue
            elif field.repeated:  # packed numbers: each one is an entry
                current = values[field.name]
                if not current:
                    current = []
                while pos < stop:
                    number_value, pos = _varint(buf, pos, stop)
                    current.append(_convert_varint(kind, number_value))
                    if len(current) > counter.max_repeated:
                        raise counter.entries_exceeded(field)
                    counter.objects_left -= 1
                    if counter.objects_left < 0:
                        raise counter.objects_exceeded()
                    if len(current) == 1:
                        values[field.name] = current
                continue
            else:
                raise _Malformed(f"{field.name}: invalid wire type {wire}")
            pos = stop
        elif wire == _WIRE_VARINT and kind <= _BOOL:
            raw = buf[pos] if pos < end else 0x80
            if raw < 0x80:
                pos += 1
            else:
                raw, pos = _varint(buf, pos, end)
            value = _convert_varint(kind, raw)
        else:
            raise _Malformed(f"{field.name}: invalid wire type {wire}")
        if field.repeated:
            current = values[field.name]
            if current:
                current.append(value)
                if len(current) > (counter.max_messages if field.batch else counter.max_repeated):
                    raise counter.entries_exceeded(field)
            else:
                current = values[field.name] = [value]
                if (counter.max_messages if field.batch else counter.max_repeated) < 1:
                    raise counter.entries_exceeded(field)
            if kind != _MESSAGE:
                counter.objects_left -= 1
                if counter.objects_left < 0:
                    raise counter.objects_exceeded()
        else:
            values[field.name] = value


def _convert_varint(kind: int, value: int) -> Any:
    if kind == _INT64:
        return value - 0x10000000000000000 if value > _INT64_MAX else value
    if kind == _INT32:
        value &= 0xFFFFFFFF
        return value - 0x100000000 if value > 0x7FFFFFFF else value
    return value != 0


def _parse(cls: type, data: bytes, counter: _Counter) -> Any:
    """Reads a whole buffer as a message of the generated class ``cls``, counting into ``counter``."""
    schema = _schemas[cls]
    message = schema.new()
    counter.bad_text = None
    _merge(schema, data, 0, len(data), message.__dict__, _RECURSION_LIMIT, counter)
    if counter.bad_text is not None:
        raise _Malformed(f"invalid string value: {counter.bad_text}")
    return message


# =========================================================================== gzip


def _is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def _inflate(data: bytes, max_size: int) -> bytes:
    """Inflates one gzip member (bytes after it are ignored), to at most ``max_size`` bytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, min(max_size + 1, sys.maxsize))
    except zlib.error as error:
        raise DecodeError(f"gzip payload is corrupt: {error}") from None
    if len(out) > max_size:
        raise DecodeError(f"payload inflates beyond {max_size} bytes")
    if not inflater.eof:
        raise DecodeError("gzip payload is truncated")
    return out


# =========================================================================== values


def _first_url(image: Any) -> str:
    return image.url_list[0] if image is not None and image.url_list else ""


def _urls(image: Any) -> Tuple[str, ...]:
    return tuple(image.url_list) if image is not None else ()


def _text_parts(text: Any) -> Tuple[str, str]:
    """``(key, default_pattern)`` of a ``Text``; empty when there is none."""
    return (text.key, text.default_pattern) if text is not None else ("", "")


def _decimal(text: str) -> int:
    """``int(text)`` when the text is all ASCII digits, else 0 (also when Python refuses
    to convert that many digits)."""
    if text.isascii() and text.isdigit():
        try:
            return int(text)
        except ValueError:  # longer than sys.get_int_max_str_digits()
            return 0
    return 0


def _badge(badge: Any) -> Badge:
    text, combine = badge.text, badge.combine
    text_key, text_pattern = (text.key, text.default_pattern) if text is not None else ("", "")
    if combine is not None:
        combine_key, combine_pattern = _text_parts(combine.text)
        combine_str, combine_icon = combine.str, combine.icon
    else:
        combine_key = combine_pattern = combine_str = ""
        combine_icon = None
    extra = badge.privilege_log_extra
    image = badge.image
    return Badge(
        scene_type=badge.scene_type,
        type=text_key or combine_key,
        name=text_pattern or combine_str or combine_pattern,
        level=_decimal(extra.level) if extra is not None else 0,
        image_url=(_first_url(image.image) if image is not None else "") or _first_url(combine_icon),
    )


def _user(user: Any) -> User:
    follow = user.follow_info
    return User(
        id=user.id,
        username=user.display_id,
        nickname=user.nickname,
        sec_uid=user.sec_uid,
        profile_picture=_urls(user.avatar_thumb),
        follow_role=follow.follow_status if follow is not None else 0,
        follower_count=follow.follower_count if follow is not None else 0,
        following_count=follow.following_count if follow is not None else 0,
        badges=tuple(map(_badge, user.badge_list)),
    )


def _opt_user(user: Any) -> Optional[User]:
    return _user(user) if user is not None else None


def _link_user(user: Any) -> User:
    return User(
        id=user.id, nickname=user.nickname, username=user.display_id, profile_picture=_urls(user.avatar)
    )


def _emote(emote: Any) -> Emote:
    return Emote(id=emote.emote_id, image_url=_first_url(emote.image))


def _poll_option(option: Any) -> PollOption:
    return PollOption(index=option.option_index, text=option.display_content, votes=option.votes)


def _battle_group(army: Any) -> BattleGroup:
    contributors = tuple(
        BattleContributor(
            user=User(id=entry.user_id, nickname=entry.nickname, profile_picture=_urls(entry.avatar)),
            score=entry.score,
        )
        for entry in army.contributors
    )
    return BattleGroup(points=army.host_score, contributors=contributors)


# =========================================================================== events

# Each converter takes the decoded message and the envelope method, and returns the
# event's own fields; the common header is added by `_event`.
_Fields = Dict[str, Any]


def _display_text(message: Any) -> Tuple[str, str]:
    common = message.common
    return _text_parts(common.display_text) if common is not None else ("", "")


def _create_time(message: Any) -> int:
    return message.common.create_time if message.common is not None else 0


def _chat(message: Any, method: str) -> _Fields:
    # An entry without an emote has nothing to show and is left out.
    emotes = tuple(_emote(entry.emote) for entry in message.emotes if entry.emote is not None)
    return {
        "comment": message.content,
        "user": _opt_user(message.user),
        "timestamp": _create_time(message),
        "language": message.content_language,
        "emotes": emotes,
    }


def _emote_chat(message: Any, method: str) -> _Fields:
    return {"user": _opt_user(message.user), "emotes": tuple(map(_emote, message.emote_list))}


def _gift(message: Any, method: str) -> _Fields:
    gift, monitor = message.gift, message.monitor_info
    fields: _Fields = {
        "id": message.gift_id,
        "repeat_count": message.repeat_count,
        "repeat_end": message.repeat_end == 1,
        "user": _opt_user(message.user),
        "group_id": message.group_id,
    }
    if gift is not None:
        fields.update(
            name=gift.name,
            describe=gift.describe,
            cost=gift.diamond_count,
            type=gift.type,
            image_url=_first_url(gift.image),
        )
    if monitor is not None:
        fields.update(to_user_id=monitor.to_anchor_id, timestamp=monitor.send_time)
    return fields


def _like(message: Any, method: str) -> _Fields:
    display_type, label = _display_text(message)
    return {
        "likes": message.count,
        "total_likes": message.total,
        "user": _opt_user(message.user),
        "display_type": display_type,
        "label": label,
    }


def _member(message: Any, method: str) -> _Fields:
    display_type, label = _display_text(message)
    return {"event": "join", "user": _opt_user(message.user), "display_type": display_type, "label": label}


def _social_event_type(display_type: str, action: int) -> str:
    if "follow" in display_type:
        return "follow"
    if "share" in display_type:
        return "share"
    return {1: "follow", 3: "share"}.get(action, "other")


def _social(message: Any, method: str) -> _Fields:
    display_type, label = _display_text(message)
    return {
        "event": _social_event_type(display_type, message.action),
        "user": _opt_user(message.user),
        "display_type": display_type,
        "label": label,
    }


def _viewers(message: Any, method: str) -> _Fields:
    top_viewers = tuple(
        TopViewer(user=_opt_user(rank.user), score=rank.score, rank=rank.rank) for rank in message.ranks
    )
    return {"viewers": message.total, "total_viewers": message.total_user, "top_viewers": top_viewers}


def _question(message: Any, method: str) -> _Fields:
    details = message.details
    fields: _Fields = {"timestamp": _create_time(message)}
    if details is not None:
        fields.update(question=details.content, user=_opt_user(details.user), question_id=details.question_id)
    return fields


def _control(message: Any, method: str) -> _Fields:
    return {"action": message.action, "tips": message.tips}


def _mic_battle(message: Any, method: str) -> _Fields:
    # An anchor without a user has nothing to show and is left out.
    users = tuple(
        _link_user(anchor.info.user)
        for anchor in message.anchors
        if anchor.info is not None and anchor.info.user is not None
    )
    return {"battle_id": message.battle_id, "action": message.action, "users": users}


def _battles(message: Any, method: str) -> _Fields:
    battles = tuple(
        Battle(host=entry.host_user_id, groups=(_battle_group(entry.army),) if entry.army is not None else ())
        for entry in message.armies
    )
    return {"status": message.trigger_reason, "battle_id": message.battle_id, "battles": battles}


def _banner_data(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply for the parser
        return None


def _room_banner(message: Any, method: str) -> _Fields:
    return {"data": _banner_data(message.json), "json": message.json}


def _intro(message: Any, method: str) -> _Fields:
    return {
        "id": message.room_id,
        "title": message.content,
        "user": _opt_user(message.host),
        "language": message.language,
    }


def _room(message: Any, method: str) -> _Fields:
    own_method = message.common.method if message.common is not None else ""
    return {"type": own_method or method, "message": message.content}


def _envelope(message: Any, method: str) -> _Fields:
    info = message.envelope_info
    if info is None:
        return {}
    return {
        "envelope_id": info.envelope_id,
        "business_type": info.business_type,
        "sender_name": info.send_user_name,
        "sender_id": _decimal(info.send_user_id),
        "diamond_count": info.diamond_count,
        "people_count": info.people_count,
        "unpack_at": info.unpack_at,
    }


def _subscribe(message: Any, method: str) -> _Fields:
    return {
        "user": _opt_user(message.user),
        "sub_month": message.sub_month,
        "subscribe_type": message.subscribe_type,
    }


def _rank_update(message: Any, method: str) -> _Fields:
    updates = tuple(
        RankUpdate(
            rank_type=update.rank_type,
            owner_rank=update.owner_rank,
            key=_text_parts(update.default_content)[0],
            label=_text_parts(update.default_content)[1],
        )
        for update in message.updates
    )
    return {"updates": updates}


def _hourly_rank(message: Any, method: str) -> _Fields:
    data = message.data
    if data is None:
        return {}
    key, label = _text_parts(data.content)
    return {"rank_type": data.type, "rank": data.rank, "key": key, "label": label}


def _goal_update(message: Any, method: str) -> _Fields:
    goal = message.goal
    contributor = None
    if message.contributor_id != 0:
        contributor = User(
            id=message.contributor_id,
            username=message.contributor_display_id,
            profile_picture=_urls(message.contributor_avatar),
        )
    fields: _Fields = {
        "contributor": contributor,
        "contribute_count": message.contribute_count,
        "contribute_score": message.contribute_score,
    }
    if goal is not None:
        fields.update(
            goal_id=goal.id,
            description=goal.description,
            sub_goals=tuple(
                SubGoal(type=sub.type, progress=sub.progress, target=sub.target) for sub in goal.sub_goals
            ),
        )
    return fields


def _poll(message: Any, method: str) -> _Fields:
    start = message.start_content
    # The options of the first content present, even when it lists none.
    content = next(
        (part for part in (start, message.end_content, message.update_content) if part is not None), None
    )
    fields: _Fields = {
        "poll_id": message.poll_id,
        "status": message.message_type,
        "options": tuple(map(_poll_option, content.options)) if content is not None else (),
    }
    if start is not None:
        fields.update(
            title=start.title,
            start_time=start.start_time,
            end_time=start.end_time,
            operator=_opt_user(start.operator),
        )
    return fields


def _caption(message: Any, method: str) -> _Fields:
    captions = tuple(Caption(language=line.language, text=line.text) for line in message.content)
    return {"timestamp": message.timestamp_ms, "duration": message.duration_ms, "captions": captions}


def _link(message: Any, method: str) -> _Fields:
    return {"message_type": message.message_type, "linker_id": message.linker_id, "scene": message.scene}


def _link_layer(message: Any, method: str) -> _Fields:
    return {"message_type": message.message_type, "channel_id": message.channel_id, "scene": message.scene}


def _room_pin(message: Any, method: str) -> _Fields:
    chat = message.chat_message
    if chat is not None:
        pinned = chat.common
        return {
            "pinned_method": (pinned.method if pinned is not None else "") or "WebcastChatMessage",
            "pinned_msg_id": pinned.msg_id if pinned is not None else 0,
            "text": chat.content,
            "user": _opt_user(chat.user),
        }
    pinned = message.pinned_message.common if message.pinned_message is not None else None
    if pinned is None:
        return {}
    return {"pinned_method": pinned.method, "pinned_msg_id": pinned.msg_id, "text": pinned.describe}


def _barrage(message: Any, method: str) -> _Fields:
    content = message.content
    key, label = _text_parts(content)
    user = None
    if content is not None:
        user = next(
            (
                piece.user_value.user
                for piece in content.pieces
                if piece.user_value is not None and piece.user_value.user is not None
            ),
            None,
        )
    for param in (message.user_grade_param, message.fans_level_param):
        if user is None and param is not None:
            user = param.user
    return {
        "msg_type": message.msg_type,
        "key": key,
        "label": label,
        "user": _opt_user(user),
        "duration": message.duration,
    }


def _im_delete(message: Any, method: str) -> _Fields:
    return {
        "deleted_msg_ids": tuple(message.delete_msg_ids),
        "deleted_user_ids": tuple(message.delete_user_ids),
    }


def _unauthorized_member(message: Any, method: str) -> _Fields:
    return {
        "action": message.action,
        "nickname": message.nick_name,
        "label": _text_parts(message.enter_text)[1],
    }


_Converter = Callable[[Any, str], _Fields]

#: Envelope method -> (generated message class, event class, converter). Must name the same
#: methods as ``events.METHOD_EVENT_TYPES`` (the tests check it).
_METHODS: Dict[str, Tuple[type, type, _Converter]] = {
    "WebcastChatMessage": (pb.ChatMessage, ChatEvent, _chat),
    "WebcastEmoteChatMessage": (pb.EmoteChatMessage, EmoteChatEvent, _emote_chat),
    "WebcastGiftMessage": (pb.GiftMessage, GiftEvent, _gift),
    "WebcastLikeMessage": (pb.LikeMessage, LikeEvent, _like),
    "WebcastMemberMessage": (pb.MemberMessage, UserEvent, _member),
    "WebcastSocialMessage": (pb.SocialMessage, UserEvent, _social),
    "WebcastRoomUserSeqMessage": (pb.RoomUserSeqMessage, ViewersEvent, _viewers),
    "WebcastQuestionNewMessage": (pb.QuestionNewMessage, QuestionEvent, _question),
    "WebcastControlMessage": (pb.ControlMessage, ControlEvent, _control),
    "WebcastLinkMicBattle": (pb.LinkMicBattleMessage, MicBattleEvent, _mic_battle),
    "WebcastLinkMicArmies": (pb.LinkMicArmiesMessage, BattlesEvent, _battles),
    "WebcastInRoomBannerMessage": (pb.InRoomBannerMessage, RoomBannerEvent, _room_banner),
    "WebcastLiveIntroMessage": (pb.LiveIntroMessage, IntroEvent, _intro),
    "WebcastRoomMessage": (pb.RoomMessage, RoomEvent, _room),
    "RoomMessage": (pb.RoomMessage, RoomEvent, _room),
    "WebcastSystemMessage": (pb.RoomMessage, RoomEvent, _room),
    "SystemMessage": (pb.RoomMessage, RoomEvent, _room),
    "WebcastBottomMessage": (pb.BottomMessage, RoomEvent, _room),
    "WebcastEnvelopeMessage": (pb.EnvelopeMessage, EnvelopeEvent, _envelope),
    "WebcastSubNotifyMessage": (pb.SubNotifyMessage, SubscribeEvent, _subscribe),
    "WebcastRankUpdateMessage": (pb.RankUpdateMessage, RankUpdateEvent, _rank_update),
    "WebcastHourlyRankMessage": (pb.HourlyRankMessage, HourlyRankEvent, _hourly_rank),
    "WebcastGoalUpdateMessage": (pb.GoalUpdateMessage, GoalUpdateEvent, _goal_update),
    "WebcastPollMessage": (pb.PollMessage, PollEvent, _poll),
    "WebcastCaptionMessage": (pb.CaptionMessage, CaptionEvent, _caption),
    "WebcastLinkMessage": (pb.LinkMessage, LinkEvent, _link),
    "WebcastLinkLayerMessage": (pb.LinkLayerMessage, LinkLayerEvent, _link_layer),
    "WebcastRoomPinMessage": (pb.RoomPinMessage, RoomPinEvent, _room_pin),
    "WebcastBarrageMessage": (pb.BarrageMessage, BarrageEvent, _barrage),
    "WebcastImDeleteMessage": (pb.ImDeleteMessage, ImDeleteEvent, _im_delete),
    "WebcastUnauthorizedMemberMessage": (
        pb.UnauthorizedMemberMessage,
        UnauthorizedMemberEvent,
        _unauthorized_member,
    ),
}


# Every schema is built here, at import (under the import lock), so decoding threads only read them.
for _cls in (pb.PushFrame, pb.FetchResult, pb.UnknownMessage, *(entry[0] for entry in _METHODS.values())):
    _schema(_cls)
del _cls


def _read_as_bytes(cls: type, number: int) -> None:
    schema = _schemas[cls]
    field = schema.fields[number]
    field.kind = _BYTES
    schema.defaults[field.name] = b""


# Read as bytes and decoded in _decode_body, as the Rust core does: invalid UTF-8 in a method
# skips that one message, in the cursor it is replaced; neither loses the batch.
_read_as_bytes(pb.Message, 1)
_read_as_bytes(pb.FetchResult, 2)
_schemas[pb.FetchResult].fields[1].batch = True

#: The decode budget's defaults (the same numbers as ``pytiktoklive.decoding``'s and the Rust core's).
_DEFAULT_MAX_MESSAGES = 10_000
_DEFAULT_MAX_REPEATED = 10_000
_DEFAULT_MAX_OBJECTS = 100_000


def _event(event_cls: type, method: str, common: Any, envelope_msg_id: int, fields: _Fields) -> Any:
    """Adds the common header: ``msg_id`` is ``Common.msg_id``, else the envelope's."""
    if common is not None:
        return event_cls(
            method=method,
            msg_id=common.msg_id or envelope_msg_id,
            room_id=common.room_id,
            create_time=common.create_time,
            **fields,
        )
    return event_cls(method=method, msg_id=envelope_msg_id, **fields)


def _decode_known(method: str, payload: bytes, msg_id: int, counter: _Counter) -> Event:
    """Decodes a message of a method in ``_METHODS``; raises _Malformed."""
    message_cls, event_cls, convert = _METHODS[method]
    message = _parse(message_cls, payload, counter)
    event: Event = _event(event_cls, method, message.common, msg_id, convert(message, method))
    return event


def _decode_unknown(method: str, payload: bytes, msg_id: int, counter: _Counter) -> Event:
    """An UnknownEvent: the common header when the payload reads as a message, and the raw bytes."""
    try:
        common = _parse(pb.UnknownMessage, payload, counter).common
    except _Malformed:
        common = None
    event: Event = _event(UnknownEvent, method, common, msg_id, {"payload": payload})
    return event


# =========================================================================== batches


def _decode_body(body: bytes, payload_type: str, log_id: int, seq_id: int, counter: _Counter) -> FetchResult:
    try:
        fetch = _parse(pb.FetchResult, body, counter)
    except _Malformed as error:
        raise DecodeError(f"malformed FetchResult: {error}") from None
    events: List[Event] = []
    skipped: List[SkippedMessage] = []
    for message in fetch.messages:
        payload = message.payload
        try:
            method = message.method.decode("utf-8")
        except UnicodeDecodeError:
            skipped.append(
                SkippedMessage(
                    method=message.method.decode("utf-8", "replace"),
                    msg_id=message.msg_id,
                    payload=payload,
                    reason="the method name is not valid UTF-8",
                )
            )
            continue
        if method in _METHODS:
            try:
                events.append(_decode_known(method, payload, message.msg_id, counter))
            except _Malformed as error:
                reason = f"malformed {method} payload: {error}"
                skipped.append(
                    SkippedMessage(method=method, msg_id=message.msg_id, payload=payload, reason=reason)
                )
        else:
            events.append(_decode_unknown(method, payload, message.msg_id, counter))
    return FetchResult(
        payload_type=payload_type,
        log_id=log_id,
        seq_id=seq_id,
        events=tuple(events),
        skipped=tuple(skipped),
        cursor=fetch.cursor.decode("utf-8", "replace"),
        internal_ext=fetch.internal_ext,
        need_ack=fetch.need_ack,
        fetch_interval=fetch.fetch_interval,
        now=fetch.now,
        route_params=dict(fetch.route_params),
        push_server=fetch.push_server,
        heartbeat_duration=fetch.heartbeat_duration,
        is_first=fetch.is_first,
    )


# The argument checks of the native module: same exception types for the same mistakes.


def _check_bytes(name: str, value: object) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _check_limits(*limits: int) -> None:
    for limit in limits:
        if operator.index(limit) < 0:
            raise OverflowError("a decode limit must not be negative")


def decode_frame(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = _DEFAULT_MAX_MESSAGES,
    max_repeated: int = _DEFAULT_MAX_REPEATED,
    max_objects: int = _DEFAULT_MAX_OBJECTS,
    /,
) -> FetchResult:
    """Decode one binary websocket message (a ``PushFrame``); see ``pytiktoklive._core``."""
    _check_bytes("data", data)
    _check_limits(max_inflated_size, max_messages, max_repeated, max_objects)
    counter = _Counter(max_messages, max_repeated, max_objects)
    try:
        frame = _parse(pb.PushFrame, data, counter)
    except _Malformed as error:
        raise DecodeError(f"malformed PushFrame: {error}") from None
    if frame.payload_type != "msg":
        return FetchResult(
            payload_type=frame.payload_type, log_id=frame.log_id, seq_id=frame.seq_id, route_params={}
        )
    body = frame.payload
    gzip_header = any(header.key == "compress_type" and header.value == "gzip" for header in frame.headers)
    if gzip_header or _is_gzip(body):
        body = _inflate(body, max_inflated_size)
    return _decode_body(body, frame.payload_type, frame.log_id, frame.seq_id, counter)


def decode_fetch_result(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = _DEFAULT_MAX_MESSAGES,
    max_repeated: int = _DEFAULT_MAX_REPEATED,
    max_objects: int = _DEFAULT_MAX_OBJECTS,
    /,
) -> FetchResult:
    """Decode a ``webcast/im/fetch`` body (gunzipped first if it starts with the gzip magic)."""
    _check_bytes("data", data)
    _check_limits(max_inflated_size, max_messages, max_repeated, max_objects)
    body = _inflate(data, max_inflated_size) if _is_gzip(data) else data
    return _decode_body(body, "msg", 0, 0, _Counter(max_messages, max_repeated, max_objects))


def decode_message(method: str, payload: bytes, msg_id: int, /) -> Event:
    """Decode one room message by its envelope method name; raises DecodeError if it is malformed.

    Unknown methods give an ``UnknownEvent`` whose ``payload`` is ``payload`` itself.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be str, not {type(method).__name__}")
    _check_bytes("payload", payload)
    if not _INT64_MIN <= operator.index(msg_id) <= _INT64_MAX:
        raise OverflowError("msg_id is outside the int64 range")
    counter = _Counter(_DEFAULT_MAX_MESSAGES, _DEFAULT_MAX_REPEATED, _DEFAULT_MAX_OBJECTS)
    if method not in _METHODS:
        return _decode_unknown(method, payload, msg_id, counter)
    try:
        return _decode_known(method, payload, msg_id, counter)
    except _Malformed as error:
        raise DecodeError(f"malformed {method} payload: {error}") from None


def count_frame_messages(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = _DEFAULT_MAX_MESSAGES,
    max_repeated: int = _DEFAULT_MAX_REPEATED,
    max_objects: int = _DEFAULT_MAX_OBJECTS,
    /,
) -> int:
    """How many messages of a frame decode (for benchmarks; the native module builds no objects)."""
    return len(decode_frame(data, max_inflated_size, max_messages, max_repeated, max_objects).events)
