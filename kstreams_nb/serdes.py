"""Serdes: turn keys and values into bytes and back.

A serde is any object with ``serialize(topic, data) -> bytes | None`` and ``deserialize(topic, data) ->
object``. String, integer (4-byte big-endian), long and double (8-byte) use Kafka's byte formats so topics
interoperate with Java applications. Every serde maps None to a null payload and back (tombstones).

The JSON serde uses orjson when it is installed (the ``fast`` extra) and the environment variable
``KSTREAMS_NB_NO_ORJSON`` is not set to a non-empty value other than ``0``; otherwise the standard library.
Every serde returns right-sized bytes: stores, caches and the embedded broker keep what serializing returns, so
an over-allocated buffer would be held for as long as the record.

Example::

    >>> Serdes.integer().serialize("t", 1)
    b'\\x00\\x00\\x00\\x01'
    >>> Serdes.string().deserialize("t", b"hi")
    'hi'
    >>> Serdes.json().serialize("t", None) is None
    True
"""

from __future__ import annotations

import dataclasses
import json as _json
import os
import struct
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from kstreams_nb.errors import SerializationError

__all__ = ["Deserializer", "Serde", "Serdes", "Serializer"]

_orjson: Any = None
if os.environ.get("KSTREAMS_NB_NO_ORJSON", "") in ("", "0"):
    try:  # orjson is an optional speed-up
        import orjson as _orjson
    except ImportError:  # pragma: no cover - depends on the environment
        _orjson = None


@runtime_checkable
class Serializer(Protocol):
    """Anything that turns a key or value into bytes."""

    def serialize(self, topic: str | None, data: Any) -> bytes | None: ...


@runtime_checkable
class Deserializer(Protocol):
    """Anything that turns bytes into a key or value."""

    def deserialize(self, topic: str | None, data: bytes | None) -> Any: ...


class Serde:
    """A serializer and deserializer pair built from two plain functions (None is handled here).

    ``to_bytes`` and ``from_bytes`` are those functions: a hot loop that handles None itself may call them
    directly (one call fewer per record); on a failure of ``to_bytes`` it calls :meth:`serialize` for the error.
    """

    __slots__ = ("_from", "_to", "from_bytes", "name", "to_bytes")

    def __init__(self, name: str, to_bytes: Callable[[Any], bytes], from_bytes: Callable[[bytes], Any]) -> None:
        self.name = name
        self._to = self.to_bytes = to_bytes
        self._from = self.from_bytes = from_bytes

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        """Bytes for ``data`` (None for None)."""
        if data is None:
            return None
        try:
            return self._to(data)
        except Exception as e:
            raise SerializationError(
                f"{self.name} serde cannot serialize {type(data).__name__} {data!r:.80} for topic {topic!r}: {e}",
                topic=topic,
            ) from e

    def deserialize(self, topic: str | None, data: bytes | None) -> Any:
        """The value for ``data`` (None for a null payload)."""
        if data is None:
            return None
        return self._from(data)

    # Kafka's Serde exposes serializer()/deserializer(); the object plays both roles.
    def serializer(self) -> Serde:
        """This serde as a serializer."""
        return self

    def deserializer(self) -> Serde:
        """This serde as a deserializer."""
        return self

    def __repr__(self) -> str:
        return f"Serdes.{self.name}()"


def _int_from(data: bytes) -> int:
    if len(data) != 4:
        raise ValueError(f"size of data received by the integer deserializer is not 4 but {len(data)}")
    return int.from_bytes(data, "big", signed=True)


def _long_from(data: bytes) -> int:
    if len(data) != 8:
        raise ValueError(f"size of data received by the long deserializer is not 8 but {len(data)}")
    return int.from_bytes(data, "big", signed=True)


def _double_from(data: bytes) -> float:
    if len(data) != 8:
        raise ValueError(f"size of data received by the double deserializer is not 8 but {len(data)}")
    return float(struct.unpack(">d", data)[0])


def _bytes_to(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("the bytes serde takes bytes")


def _str_to(data: Any) -> bytes:
    if not isinstance(data, str):
        raise TypeError("the string serde takes str")
    return data.encode("utf-8")


if _orjson is not None:
    _orjson_dumps = _orjson.dumps
    _orjson_opts = _orjson.OPT_NON_STR_KEYS
    _join = b"".join

    def _json_to(data: Any) -> bytes:
        # orjson (3.12+) hands back its whole output buffer, at least 4 KB whatever the length; joining with an
        # empty bytes copies it into a right-sized object (a one-element join would return the buffer itself)
        out: bytes = _join((_orjson_dumps(data, option=_orjson_opts), b""))
        return out

    _json_from: Callable[[bytes], Any] = _orjson.loads
else:  # pragma: no cover - depends on the environment

    def _json_default(obj: Any) -> Any:
        # as orjson: a dataclass instance (e.g. a Windowed key) is written as an object of its fields
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")

    def _json_to(data: Any) -> bytes:
        return _json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")

    _json_from = _json.loads

JSON_BACKEND = "orjson" if _orjson is not None else "json"
"""Which library the JSON serde uses: ``"orjson"`` or ``"json"`` (the standard library)."""

_Bytes = bytes  # the class body below shadows `bytes` with Serdes.bytes

_STRING = Serde("string", _str_to, bytes.decode)
_INTEGER = Serde("integer", lambda v: int(v).to_bytes(4, "big", signed=True), _int_from)
_LONG = Serde("long", lambda v: int(v).to_bytes(8, "big", signed=True), _long_from)
_DOUBLE = Serde("double", lambda v: struct.pack(">d", float(v)), _double_from)
_BYTES = Serde("bytes", _bytes_to, bytes)
_JSON = Serde("json", _json_to, _json_from)


class Serdes:
    """Factories for the built-in serdes (Kafka's ``Serdes.String()`` etc., snake_cased).

    Example::

        >>> Serdes.long().deserialize("t", Serdes.long().serialize("t", 42))
        42
    """

    @staticmethod
    def string() -> Serde:
        """UTF-8 strings (Kafka's StringSerde)."""
        return _STRING

    @staticmethod
    def integer() -> Serde:
        """4-byte big-endian signed ints (Kafka's IntegerSerde)."""
        return _INTEGER

    @staticmethod
    def long() -> Serde:
        """8-byte big-endian signed ints (Kafka's LongSerde)."""
        return _LONG

    @staticmethod
    def double() -> Serde:
        """8-byte IEEE-754 doubles (Kafka's DoubleSerde)."""
        return _DOUBLE

    @staticmethod
    def bytes() -> Serde:
        """Raw bytes, unchanged (Kafka's ByteArraySerde)."""
        return _BYTES

    @staticmethod
    def json() -> Serde:
        """JSON text in UTF-8 (orjson when installed); the default where no serde is configured."""
        return _JSON

    @staticmethod
    def from_functions(name: str, to_bytes: Callable[[Any], _Bytes], from_bytes: Callable[[_Bytes], Any]) -> Serde:
        """A serde from two functions; None never reaches them."""
        return Serde(name, to_bytes, from_bytes)


_BY_NAME = {
    "string": _STRING,
    "integer": _INTEGER,
    "long": _LONG,
    "double": _DOUBLE,
    "bytes": _BYTES,
    "json": _JSON,
}


def serde_by_name(name: str) -> Serde:
    """Resolve ``"string"`` etc. (as used in configs such as ``default.key.serde``)."""
    key = name.rsplit(".", 1)[-1].lower().removesuffix("serde").removesuffix("()")
    key = {"str": "string", "int": "integer", "bytearray": "bytes", "float": "double"}.get(key, key)
    try:
        return _BY_NAME[key]
    except KeyError:
        raise ValueError(f"unknown serde {name!r}; use one of {sorted(_BY_NAME)}") from None
