"""The key-value stores users see: :class:`MeteredKeyValueStore` (Kafka's ``KeyValueStore`` as built by
``Stores.key_value_store_builder``) and :class:`MeteredTimestampedKeyValueStore` (Kafka's
``TimestampedKeyValueStore``, what the DSL uses). They turn Python keys and values into bytes with serdes and
call the bytes store they wrap.

Serdes left as None are taken from the context at ``init`` (``context.key_serde``/``value_serde``, falling back
to ``Serdes.json()``). Keys and values are serialized for the store's changelog topic,
``<application.id>-<store>-changelog``, as Kafka does.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> from kstreams_nb.state import Stores
    >>> store = Stores.key_value_store_builder(
    ...     Stores.in_memory_key_value_store("counts"), Serdes.string(), Serdes.long()).build()
    >>> store.name, store.is_open()
    ('counts', False)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from kstreams_nb.errors import DeserializationError, InvalidStateStoreError, SerializationError, StateStoreError
from kstreams_nb.serdes import Serde, Serdes
from kstreams_nb.state._api import (
    KeyValueBytesStore,
    SerdeLike,
    StateStore,
    StateStoreContext,
    ValueAndTimestamp,
    ValueAndTimestampSerde,
    WrappedStateStore,
    changelog_topic_name,
)
from kstreams_nb.state._contexts import TimestampedRestoreContext
from kstreams_nb.state._iterators import KeyValueIterator, MappedKeyValueIterator
from kstreams_nb.state.cache import NO_OBJECT
from kstreams_nb.state.cache_stores import CachingKeyValueBytesStore

__all__ = ["MeteredKeyValueStore", "MeteredTimestampedKeyValueStore"]

K = TypeVar("K")
V = TypeVar("V")


#: key types whose objects never change: the bytes of the last one serialized are kept (a get then a put of the
#: same key object, as every aggregation does, serializes it once)
_IMMUTABLE_KEYS = frozenset({str, int, bytes, float, bool})
_NO_KEY = object()
#: value types whose objects never change: a record cache may keep them beside their bytes
_IMMUTABLE_VALUES = frozenset({str, int, bytes, float, bool})


def timestamped_bytes(value_serde: Any, value: Any, timestamp: int) -> bytes | None:
    """The value-and-timestamp bytes of ``value`` when ``value_serde`` (a ValueAndTimestampSerde) wraps a built-in
    serde that takes it, computed without the serde's wrappers; None otherwise (then the general path serializes,
    and reports a failure).

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> from kstreams_nb.state._api import ValueAndTimestampSerde
        >>> timestamped_bytes(ValueAndTimestampSerde(Serdes.long()), 5, 1)
        b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05'
    """
    to = getattr(value_serde, "_to", None)  # the inner built-in serde's function
    if to is None:
        return None
    try:
        raw = to(value)
    except Exception:
        return None
    return None if raw is None else timestamp.to_bytes(8, "big", signed=True) + raw


def _unset(topic: str | None, data: Any) -> Any:
    raise AssertionError("serde used before init")  # never reached: the open check comes first


class MeteredStoreBase(WrappedStateStore):
    """Shared by the metered key-value and window stores: serde resolution at ``init``, the open check, and
    errors that name the store.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> MeteredStoreBase(InMemoryKeyValueStore("s"), None, None).key_serde is None  # filled in at init
        True
    """

    __slots__ = (
        "_kd", "_key_serde", "_ks", "_kto", "_last_kb", "_last_key", "_open", "_store_name", "_topic", "_value_serde",
        "_vd", "_vs",
    )

    def __init__(self, inner: Any, key_serde: SerdeLike | None, value_serde: SerdeLike | None) -> None:
        super().__init__(inner)
        self._store_name: str = inner.name
        self._key_serde = key_serde
        self._value_serde = value_serde
        self._topic = self._store_name
        self._ks = self._kd = self._vs = self._vd = _unset
        self._kto: Any = None  # a built-in key serde's function, called directly
        self._open = False
        self._last_key: Any = _NO_KEY
        self._last_kb = b""

    @property
    def key_serde(self) -> SerdeLike | None:
        """The key serde (the context's default is filled in at ``init``)."""
        return self._key_serde

    @property
    def value_serde(self) -> SerdeLike | None:
        """The value serde as the store uses it (timestamped stores wrap it in ValueAndTimestampSerde)."""
        return self._value_serde

    def _prepare_value_serde(self, serde: SerdeLike) -> SerdeLike:
        return serde

    def _inner_context(self, context: StateStoreContext) -> StateStoreContext:
        return context

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Resolve serdes, then initialise the inner stores (which register with the engine)."""
        ks = self._key_serde or context.key_serde or Serdes.json()
        vs = self._prepare_value_serde(self._value_serde or context.value_serde or Serdes.json())
        self._key_serde, self._value_serde = ks, vs
        self._ks, self._kd, self._vs, self._vd = ks.serialize, ks.deserialize, vs.serialize, vs.deserialize
        self._kto = ks.to_bytes if type(ks) is Serde else None
        self._last_key = _NO_KEY
        self._topic = changelog_topic_name(context.application_id, self._store_name)
        self._inner.init(self._inner_context(context), root)
        if getattr(self._inner, "cache_inactive", False):  # no record cache: drop the caching layer
            self._inner = self._inner.wrapped
        self._open = True

    def close(self) -> None:
        """Close the stack; later use raises InvalidStateStoreError."""
        self._open = False
        self._inner.close()

    def is_open(self) -> bool:
        """True between ``init`` and ``close``."""
        return self._open and bool(self._inner.is_open())

    def _not_open(self) -> InvalidStateStoreError:
        state = "not initialised" if self._ks is _unset else "closed"
        return InvalidStateStoreError(
            f"state store {self._store_name!r} is {state}; a store can be used between init() and close() "
            "(inside a processor, get it from the context in init())"
        )

    def _null_key(self) -> StateStoreError:
        return StateStoreError(f"state store {self._store_name!r}: key cannot be None")

    def _ser_error(self, what: str, data: Any, e: Exception) -> SerializationError:
        return SerializationError(
            f"state store {self._store_name!r} cannot serialize {what} {type(data).__name__} {data!r:.80} "
            f"with {self._key_serde if what == 'key' else self._value_serde!r}: {e}. Give the store builder "
            "serdes that fit, or set default.key.serde / default.value.serde",
            topic=self._topic,
        )

    def _deser_error(self, what: str, data: bytes, e: Exception) -> DeserializationError:
        return DeserializationError(
            f"state store {self._store_name!r} cannot deserialize {what} {data!r:.80}: {e}", topic=self._topic
        )

    def _key_bytes(self, key: Any) -> bytes:
        if not self._open:
            raise self._not_open()
        if key is self._last_key:
            return self._last_kb
        if key is None:
            raise self._null_key()
        kb: bytes | None = None
        kto = self._kto
        if kto is not None:  # a built-in serde's function, called directly (when it fails, serialize() says why)
            try:
                kb = kto(key)
            except Exception:
                kb = None
        try:
            if kb is None:
                kb = self._ks(self._topic, key)
        except Exception as e:
            raise self._ser_error("key", key, e) from e
        if kb is None:
            raise self._ser_error("key", key, ValueError("the key serializer returned None"))
        if type(key) in _IMMUTABLE_KEYS:
            self._last_key, self._last_kb = key, kb
        return kb

    def _value_bytes(self, value: Any) -> bytes | None:
        try:
            vb: bytes | None = self._vs(self._topic, value)
        except Exception as e:
            raise self._ser_error("value", value, e) from e
        return vb

    def _key_from(self, data: bytes) -> Any:
        try:
            return self._kd(self._topic, data)
        except Exception as e:
            raise self._deser_error("key", data, e) from e

    def _value_from(self, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            return self._vd(self._topic, data)
        except Exception as e:
            raise self._deser_error("value", data, e) from e

    def _pair_from(self, kb: bytes, vb: bytes) -> tuple[Any, Any]:
        return self._key_from(kb), self._value_from(vb)


class MeteredKeyValueStore(MeteredStoreBase, Generic[K, V]):
    """A key-value store of Python objects over a bytes store (Kafka's ``MeteredKeyValueStore``).

    Iterators yield ``(key, value)`` pairs in the order of the serialized key bytes, over a snapshot of the keys.
    Using the store before ``init`` or after ``close`` raises :class:`InvalidStateStoreError`.

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> store = MeteredKeyValueStore(InMemoryKeyValueStore("s"), Serdes.string(), Serdes.long())
        >>> store.get("a")
        Traceback (most recent call last):
        ...
        kstreams_nb.errors.InvalidStateStoreError: state store 's' is not initialised; ...
    """

    __slots__ = ("_objects",)
    _inner: KeyValueBytesStore

    def __init__(
        self, inner: KeyValueBytesStore, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> None:
        super().__init__(inner, key_serde, value_serde)
        #: the record cache's layer, when there is one: it keeps immutable values beside their bytes
        self._objects: CachingKeyValueBytesStore | None = None

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Resolve serdes, initialise the inner stores; find the record cache's layer, if any."""
        super().init(context, root)
        inner = self._inner
        self._objects = inner if type(inner) is CachingKeyValueBytesStore else None

    def _keeps(self, value: Any) -> bool:
        """Whether a cached ``value`` may be handed out again as it is (it never changes)."""
        return type(value) in _IMMUTABLE_VALUES

    def get(self, key: K) -> V | None:
        """The value of ``key``, or None."""
        kb = self._key_bytes(key)
        layer = self._objects
        if layer is not None:
            nc = layer._nc  # CachingKeyValueBytesStore.cached_entry, inlined
            entry = nc.get(kb) if nc is not None else None
            if entry is not None:
                obj = entry.obj
                if obj is not NO_OBJECT:
                    return obj  # type: ignore[no-any-return]
                vb = entry.value
            else:
                vb = layer.wrapped.get(kb)
        else:
            vb = self._inner.get(kb)
        if vb is None:
            return None
        try:
            return self._vd(self._topic, vb)  # type: ignore[no-any-return]
        except Exception as e:
            raise self._deser_error("value", vb, e) from e

    def put(self, key: K, value: V | None) -> None:
        """Set ``key`` to ``value``; None (or a value serialized to None) deletes."""
        kb = self._key_bytes(key)
        vb = self._value_bytes(value)
        layer = self._objects
        if layer is not None and vb is not None and self._keeps(value):
            layer.put_object(kb, vb, value, key if key is self._last_key else NO_OBJECT)
        else:
            self._inner.put(kb, vb)

    def put_if_absent(self, key: K, value: V | None) -> V | None:
        """Put only when ``key`` has no value; return the value it had (None when the put happened)."""
        kb = self._key_bytes(key)
        return self._value_from(self._inner.put_if_absent(kb, self._value_bytes(value)))  # type: ignore[no-any-return]

    def put_all(self, entries: Iterable[tuple[K, V | None]]) -> None:
        """Put every ``(key, value)`` pair, in order."""
        self._inner.put_all([(self._key_bytes(k), self._value_bytes(v)) for k, v in entries])

    def delete(self, key: K) -> V | None:
        """Remove ``key``; return its old value (None when absent)."""
        return self._value_from(self._inner.delete(self._key_bytes(key)))  # type: ignore[no-any-return]

    def _bound(self, key: K | None) -> bytes | None:
        if key is None:
            if not self._open:
                raise self._not_open()
            return None
        return self._key_bytes(key)

    def range(self, key_from: K | None = None, key_to: K | None = None) -> KeyValueIterator[K, V]:
        """Pairs with ``key_from <= key <= key_to`` (by key bytes); None bounds are open."""
        return MappedKeyValueIterator(self._inner.range(self._bound(key_from), self._bound(key_to)), self._pair_from)

    def reverse_range(self, key_from: K | None = None, key_to: K | None = None) -> KeyValueIterator[K, V]:
        """Like ``range``, in descending order."""
        inner = self._inner.reverse_range(self._bound(key_from), self._bound(key_to))
        return MappedKeyValueIterator(inner, self._pair_from)

    def all(self) -> KeyValueIterator[K, V]:
        """Every pair, by key bytes."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.all(), self._pair_from)

    def reverse_all(self) -> KeyValueIterator[K, V]:
        """Every pair, descending."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.reverse_all(), self._pair_from)

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any = None) -> KeyValueIterator[K, V]:
        """Pairs whose key bytes start with the bytes of ``prefix`` (serialized with ``prefix_key_serializer``,
        by default the key serde)."""
        if prefix_key_serializer is None:
            pb = self._key_bytes(prefix)
        else:
            self._bound(None)
            try:
                pb = prefix_key_serializer.serialize(self._topic, prefix)
            except Exception as e:
                raise self._ser_error("prefix", prefix, e) from e
        return MappedKeyValueIterator(self._inner.prefix_scan(pb), self._pair_from)

    def approximate_num_entries(self) -> int:
        """About how many keys the store holds."""
        self._bound(None)
        return self._inner.approximate_num_entries()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store_name!r}, open={self._open})"


class MeteredTimestampedKeyValueStore(MeteredKeyValueStore[K, ValueAndTimestamp[V]]):
    """A key-value store whose values are :class:`ValueAndTimestamp` (Kafka's ``TimestampedKeyValueStore``),
    stored as ``timestamp (8 bytes BE) + value bytes``.

    ``put(key, ValueAndTimestamp(v, ts))`` and ``put(key, v, ts)`` are the same.

    Example::

        >>> from kstreams_nb.state import Stores
        >>> b = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("t"))
        >>> type(b.build()).__name__
        'MeteredTimestampedKeyValueStore'
    """

    __slots__ = ()

    def _prepare_value_serde(self, serde: SerdeLike) -> SerdeLike:
        return serde if isinstance(serde, ValueAndTimestampSerde) else ValueAndTimestampSerde(serde)

    def _keeps(self, value: Any) -> bool:
        return type(value) is ValueAndTimestamp and type(value.value) in _IMMUTABLE_VALUES

    def _inner_context(self, context: StateStoreContext) -> StateStoreContext:
        return TimestampedRestoreContext(context, self._store_name)

    def put(self, key: K, value: Any, timestamp: int | None = None) -> None:
        """Set ``key`` to a ValueAndTimestamp (or to ``value`` at ``timestamp``); None deletes."""
        if timestamp is not None and value is not None:
            layer = self._objects
            if layer is not None and type(value) in _IMMUTABLE_VALUES:  # an aggregate's put: the steps inlined
                kb = self._key_bytes(key)
                vb = timestamped_bytes(self._value_serde, value, timestamp)
                if vb is not None:
                    layer.put_object(kb, vb, ValueAndTimestamp(value, timestamp),
                                     key if key is self._last_key else NO_OBJECT)
                    return
            value = ValueAndTimestamp(value, timestamp)
        super().put(key, value)

    def put_if_absent(self, key: K, value: Any, timestamp: int | None = None) -> ValueAndTimestamp[V] | None:
        """Put only when absent; return the previous ValueAndTimestamp."""
        if timestamp is not None and value is not None:
            value = ValueAndTimestamp(value, timestamp)
        return super().put_if_absent(key, value)

    def get_with_binary(self, key: K) -> tuple[bytes | None, ValueAndTimestamp[V] | None]:
        """The stored bytes and the ValueAndTimestamp of ``key`` (Kafka's ``getWithBinary``, for KTable sources)."""
        vb = self._inner.get(self._key_bytes(key))
        return vb, self._value_from(vb)

    def put_if_different_values(
        self, key: K, new_value: ValueAndTimestamp[V] | None, old_serialized_value: bytes | None
    ) -> bool:
        """Put unless the value bytes are unchanged and the timestamp did not decrease; True when it put
        (Kafka's ``putIfDifferentValues``, used to drop idempotent KTable updates)."""
        kb = self._key_bytes(key)
        nb = self._value_bytes(new_value)
        if _values_same_and_time_increasing(old_serialized_value, nb):
            return False
        self._inner.put(kb, nb)
        return True


def _values_same_and_time_increasing(old: bytes | None, new: bytes | None) -> bool:
    """Kafka's ``ValueAndTimestampSerializer.valuesAreSameAndTimeIsIncreasing``."""
    if old is None or new is None:
        return old is new
    if len(old) != len(new):
        return False
    if int.from_bytes(new[:8], "big", signed=True) <= int.from_bytes(old[:8], "big", signed=True):
        return False  # Kafka: "time is decreasing" includes equal timestamps
    return old[8:] == new[8:]
