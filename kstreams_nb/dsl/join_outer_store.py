"""The shared store of a left or outer stream-stream join (Kafka's ``KSTREAM-OUTERSHARED-<n>-store``): records
that found no partner yet wait in it until their window closes.

Keys are :class:`TimestampedKeyAndJoinSide` ``(timestamp, is_left, key)``, stored as Kafka's
TimestampedKeyAndJoinSideSerde lays them out (8-byte big-endian timestamp, 1 for the left side or 0 for the
right, the key's bytes), so iteration runs by timestamp, then right before left, then key. Values are
:class:`LeftOrRightValue` ``(is_left, value)``; as in Kafka's ListValueStore every ``put`` appends to the list
kept for its key, ``put(key, None)`` deletes the whole list and ``all()`` yields the listed values one by one.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> b = outer_join_store_builder("j-store", Serdes.integer(), Serdes.string(), Serdes.string(), False)
    >>> store = b.build()
    >>> type(store).__name__, b.logging_enabled
    ('OuterJoinStore', False)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, NamedTuple

from kstreams_nb.serdes import Serdes
from kstreams_nb.state import KeyValueStoreBuilder, MeteredKeyValueStore, Stores
from kstreams_nb.state._api import KeyValueBytesStore, SerdeLike, StateStore, StateStoreContext
from kstreams_nb.state.logging import ChangeLoggingKeyValueBytesStore

__all__ = [
    "LeftOrRightValue",
    "OuterJoinStore",
    "OuterJoinStoreBuilder",
    "TimestampedKeyAndJoinSide",
    "outer_join_store_builder",
]

_TS_SIDE = struct.Struct(">qB")
_INT = struct.Struct(">i")
_VARIABLE_SIZE = b"\x01"  # Kafka's ListSerializer strategy byte for entries of varying size


class TimestampedKeyAndJoinSide(NamedTuple):
    """A key of the shared outer-join store: a record's timestamp, its side and its key."""

    timestamp: int
    is_left: bool
    key: Any


class LeftOrRightValue(NamedTuple):
    """A value of the shared outer-join store: a non-joined record's value and its side."""

    is_left: bool
    value: Any


class _KeySerde:
    """Kafka's TimestampedKeyAndJoinSideSerde over the join's key serde."""

    def __init__(self, key_serde: SerdeLike) -> None:
        self.key_serde = key_serde

    def serialize(self, topic: str | None, data: Any) -> bytes:
        kb = self.key_serde.serialize(topic, data.key) or b""
        return _TS_SIDE.pack(data.timestamp, 1 if data.is_left else 0) + kb

    def deserialize(self, topic: str | None, data: Any) -> TimestampedKeyAndJoinSide:
        ts, side = _TS_SIDE.unpack_from(data)
        return TimestampedKeyAndJoinSide(ts, side == 1, self.key_serde.deserialize(topic, data[9:]))


class _ValueSerde:
    """Kafka's LeftOrRightValueSerde: 1 (left) or 0 (right), then the value's bytes."""

    def __init__(self, left_serde: SerdeLike, right_serde: SerdeLike) -> None:
        self.left_serde = left_serde
        self.right_serde = right_serde

    def serialize(self, topic: str | None, data: Any) -> bytes:
        serde = self.left_serde if data.is_left else self.right_serde
        return (b"\x01" if data.is_left else b"\x00") + (serde.serialize(topic, data.value) or b"")

    def deserialize(self, topic: str | None, data: Any) -> LeftOrRightValue:
        is_left = data[0] == 1
        serde = self.left_serde if is_left else self.right_serde
        return LeftOrRightValue(is_left, serde.deserialize(topic, data[1:]))


def _append(old: bytes | None, entry: bytes) -> bytes:
    """Kafka's ListSerde layout: strategy byte, entry count, then length-prefixed entries."""
    if old is None:
        return _VARIABLE_SIZE + _INT.pack(1) + _INT.pack(len(entry)) + entry
    (count,) = _INT.unpack_from(old, 1)
    return _VARIABLE_SIZE + _INT.pack(count + 1) + old[5:] + _INT.pack(len(entry)) + entry


def _entries(data: bytes) -> Iterator[bytes]:
    (count,) = _INT.unpack_from(data, 1)
    pos = 5
    for _ in range(count):
        (size,) = _INT.unpack_from(data, pos)
        pos += 4
        yield data[pos:pos + size]
        pos += size


class OuterJoinStore(MeteredKeyValueStore[TimestampedKeyAndJoinSide, LeftOrRightValue]):
    """The shared outer-join store: a list-valued key-value store (Kafka's ListValueStore) of non-joined records.

    Serdes left as None are the context's defaults, resolved at ``init``.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> OuterJoinStore(InMemoryKeyValueStore("s"), None, None, None).name
        's'
    """

    __slots__ = ("_join_serdes",)

    def __init__(self, inner: KeyValueBytesStore, key_serde: SerdeLike | None, left_serde: SerdeLike | None,
                 right_serde: SerdeLike | None) -> None:
        super().__init__(inner, None, None)
        self._join_serdes = (key_serde, left_serde, right_serde)

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Wrap the join's serdes (or the context's defaults) in the store's key and value layouts."""
        key, left, right = self._join_serdes
        default_value = context.value_serde or Serdes.json()
        self._key_serde = _KeySerde(key or context.key_serde or Serdes.json())
        self._value_serde = _ValueSerde(left or default_value, right or default_value)
        super().init(context, root)

    def put(self, key: TimestampedKeyAndJoinSide, value: LeftOrRightValue | None) -> None:
        """Append ``value`` to the list of ``key``; None deletes the whole list."""
        kb = self._key_bytes(key)
        vb = self._value_bytes(value) if value is not None else None
        inner = self._inner
        inner.put(kb, None if vb is None else _append(inner.get(kb), vb))

    def put_if_absent(self, key: TimestampedKeyAndJoinSide, value: LeftOrRightValue | None) -> None:
        """Kafka's ListValueStore.putIfAbsent: when ``key`` has a list, append ``value`` to it (None deletes it);
        otherwise do nothing. Always returns None."""
        kb = self._key_bytes(key)
        inner = self._inner
        old = inner.get(kb)
        if old is not None:
            vb = self._value_bytes(value) if value is not None else None
            inner.put(kb, None if vb is None else _append(old, vb))

    def delete(self, key: TimestampedKeyAndJoinSide) -> None:
        """Not supported, as in Kafka: use ``put(key, None)``."""
        raise NotImplementedError("the outer-join store deletes with put(key, None)")

    def entries(self) -> Iterator[tuple[TimestampedKeyAndJoinSide, LeftOrRightValue]]:
        """Every listed value with its key, in key order (a snapshot taken when iteration starts)."""
        self._bound(None)
        with self._inner.all() as it:
            snapshot = list(it)
        for kb, vb in snapshot:
            key = self._key_from(kb)
            for entry in _entries(vb):
                yield key, self._value_from(entry)

    def __repr__(self) -> str:
        return f"OuterJoinStore({self._store_name!r})"


class OuterJoinStoreBuilder(KeyValueStoreBuilder):
    """Builds :class:`OuterJoinStore` stacks (Kafka's OuterStreamJoinStoreFactory with a ListValueStoreBuilder).

    Example::

        >>> outer_join_store_builder("s", None, None, None, True).name
        's'
    """

    __slots__ = ("other_value_serde",)

    def __init__(self, name: str, key_serde: SerdeLike | None, value_serde: SerdeLike | None,
                 other_value_serde: SerdeLike | None, persistent: bool = True) -> None:
        supplier = Stores.persistent_key_value_store(name) if persistent else Stores.in_memory_key_value_store(name)
        super().__init__(supplier, key_serde, value_serde)
        self.other_value_serde = other_value_serde

    def build(self) -> OuterJoinStore:
        """outer-join(changelogging?(supplier.get())); never cached."""
        inner: KeyValueBytesStore = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingKeyValueBytesStore(inner)
        return OuterJoinStore(inner, self.key_serde, self.value_serde, self.other_value_serde)


def outer_join_store_builder(name: str, key_serde: SerdeLike | None, value_serde: SerdeLike | None,
                             other_value_serde: SerdeLike | None, logging: bool,
                             log_config: dict[str, str] | None = None) -> OuterJoinStoreBuilder:
    """The builder of a join's shared outer store, with logging on (``log_config``) or off."""
    builder = OuterJoinStoreBuilder(name, key_serde, value_serde, other_value_serde)
    return builder.with_logging_enabled(log_config or {}) if logging else builder.with_logging_disabled()
