"""The WebCast schema for the simulator: ``pb.ChatMessage(...)``, ``bytes(msg)``, ``pb.X.parse(data)``.

``pb.X`` is a light class per message of ``proto/webcast``: an instance holds the fields it
was given in its ``__dict__`` (unset ones read as the proto3 default: ``0``, ``""``,
``False``, ``None`` for a message, a fresh list or dict), and ``bytes(msg)`` encodes it in
the Rust core (``_core.encode_message``), which walks the nested messages, lists and maps
along the schema's field tables. ``pb.X.parse(data)`` decodes in the Rust core as well.

Field holders rather than generated classes: building one costs a dict, encoding costs
one call into Rust, and nothing here needs a Python protobuf library, so the simulator
runs on every Python the wheel supports. The bytes are those of any proto3 encoder
(fields in declaration order, defaults left out); ``tests/test_simulator_proto.py`` checks
them against the generated betterproto2 classes.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Tuple, Type

from pytiktoklive import _core

__all__ = ["SchemaMessage", "pb"]


class SchemaMessage:
    """One message of the WebCast schema, as plain field values."""

    #: The message's name in the schema (``ChatMessage``).
    schema_name: ClassVar[str] = ""
    #: Every field's default value (lists and dicts are copied before use).
    schema_defaults: ClassVar[Dict[str, Any]] = {}

    def __init__(self, **fields: Any) -> None:
        if not fields.keys() <= self.schema_defaults.keys():
            unknown = sorted(fields.keys() - self.schema_defaults.keys())
            raise TypeError(f"{self.schema_name} has no field {unknown[0]!r}")
        self.__dict__ = fields

    def __getattr__(self, name: str) -> Any:  # only called for fields that were never set
        try:
            default = self.schema_defaults[name]
        except KeyError:
            raise AttributeError(f"{self.schema_name} has no field {name!r}") from None
        if isinstance(default, (list, dict)):  # a list or map of its own, kept once read
            default = default.copy()
            self.__dict__[name] = default
        return default

    def __bytes__(self) -> bytes:
        return _core.encode_message(self.schema_name, self.__dict__)

    @classmethod
    def parse(cls, data: bytes) -> Any:
        """Decode ``data`` as this message; raises ``pytiktoklive.errors.DecodeError`` when malformed."""
        return _core.decode_message_fields(cls.schema_name, data, _from_fields)

    def _values(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.schema_defaults}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemaMessage) or type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the fields it holds

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{self.schema_name}({fields})"


def _from_fields(name: str, fields: Dict[str, Any]) -> SchemaMessage:
    """A decoded message: the fields found on the wire, in an instance of ``pb.<name>``."""
    message: SchemaMessage = object.__new__(pb.message_class(name))
    message.__dict__ = fields
    return message


class _Schema:
    """``pb``: the message classes by name, made on first use."""

    def __init__(self) -> None:
        self._names: Tuple[str, ...] = tuple(_core.message_names())
        self._classes: Dict[str, Type[SchemaMessage]] = {}

    def message_class(self, name: str) -> Type[SchemaMessage]:
        cls = self._classes.get(name)
        if cls is None:
            namespace = {
                "__module__": __name__,
                "__doc__": f"``webcast.{name}`` (proto/webcast): fields as keyword arguments.",
                "schema_name": name,
                "schema_defaults": _core.message_defaults(name),
            }
            cls = type(name, (SchemaMessage,), namespace)
            self._classes[name] = cls
        return cls

    def __getattr__(self, name: str) -> Type[SchemaMessage]:  # the first use of each name
        if name not in self._names:
            raise AttributeError(f"the WebCast schema has no message {name!r}")
        cls = self.message_class(name)
        setattr(self, name, cls)  # later lookups find the attribute without calling this
        return cls

    def __dir__(self) -> list[str]:
        return sorted(self._names)


#: The schema's messages: ``pb.PushFrame``, ``pb.FetchResult``, ``pb.ChatMessage``…
pb: Any = _Schema()
