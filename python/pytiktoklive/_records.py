"""The frozen, slotted record base shared by events and their value types.

Both decoders (the Rust core and the pure-Python fallback) build the same
classes, so events compare equal whichever decoder made them. The Rust core
fills the slots directly (``object.__new__`` + generic setattr); Python code
uses the keyword constructor.
"""

from __future__ import annotations

import base64
import inspect
from typing import Any, ClassVar, Dict, Tuple

__all__ = ["Record"]

_SCALAR_DEFAULTS = {"str": "", "int": 0, "bool": False, "bytes": b"", "float": 0.0}


def _default_for(annotation: str) -> Any:
    if annotation in _SCALAR_DEFAULTS:
        return _SCALAR_DEFAULTS[annotation]
    if annotation.startswith(("tuple", "Tuple")):
        return ()
    return None  # Optional[...] and nested records


def _own_annotations(cls: type) -> dict[str, Any]:
    get_annotations = getattr(inspect, "get_annotations", None)  # Python >= 3.10
    if get_annotations is not None:
        return dict(get_annotations(cls))
    return dict(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 (Python 3.9 has no get_annotations)


def _rebuild(cls: type[Record], values: tuple[Any, ...]) -> Record:
    obj = object.__new__(cls)
    for name, value in zip(cls._fields, values):
        object.__setattr__(obj, name, value)
    return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class Record:
    """An immutable value with named fields, equality, a readable repr and ``to_dict()``."""

    __slots__ = ()
    _fields: ClassVar[Tuple[str, ...]] = ()
    _defaults: ClassVar[Dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__slots__", ())
        annotations = _own_annotations(cls)
        cls._fields = tuple(getattr(cls.__mro__[1], "_fields", ())) + tuple(own)
        defaults = dict(getattr(cls.__mro__[1], "_defaults", {}))
        for name in own:
            defaults[name] = _default_for(str(annotations.get(name, "")))
        cls._defaults = defaults

    def __init__(self, **fields: Any) -> None:
        unknown = set(fields) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        for name in self._fields:
            object.__setattr__(self, name, fields.get(name, self._defaults[name]))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        # Fields still at their default are left out: events carry many optional fields.
        shown = (
            f"{name}={getattr(self, name)!r}"
            for name in self._fields
            if getattr(self, name) != self._defaults[name]
        )
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._values()))

    def replace(self, **changes: Any) -> Record:
        """Return a copy with some fields changed."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dict (bytes become base64 text)."""
        return {name: _jsonable(getattr(self, name)) for name in self._fields}
