"""The state-store SPI: what a store is (:class:`StateStore`), what the engine gives it (:class:`StateStoreContext`),
and the value objects stores trade in (:class:`ValueAndTimestamp`).

A store stack is built like Kafka's: an inner store on bytes, optionally wrapped by a changelogging layer, wrapped
by a metered layer that turns Python objects into bytes with serdes. The engine calls ``init(context, root)`` on
the outermost store; each layer passes it inwards and the innermost store calls ``context.register(...)``.

Example::

    >>> ValueAndTimestamp.make("v", 5)
    ValueAndTimestamp(value='v', timestamp=5)
    >>> ValueAndTimestamp.make(None, 5) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from kstreams_nb.errors import DeserializationError, SerializationError
from kstreams_nb.records import EMPTY_HEADERS, Headers, TaskId
from kstreams_nb.serdes import Serde

if TYPE_CHECKING:
    from kstreams_nb.records import Windowed
    from kstreams_nb.state._iterators import KeyValueIterator

__all__ = [
    "RestoreCallback",
    "RestoreRecord",
    "SerdeLike",
    "StateStore",
    "StateStoreContext",
    "ValueAndTimestamp",
    "ValueAndTimestampSerde",
    "KeyValueBytesStore",
    "WindowBytesStore",
    "WrappedStateStore",
    "changelog_topic_name",
]

V = TypeVar("V")

#: One changelog record handed to a restore callback: ``(key, value)`` or ``(key, value, timestamp)``. A value of
#: None is a tombstone. Timestamped stores need the third element (the changelog record's timestamp), because
#: their changelog holds the plain value and the timestamp travels as the record timestamp (Kafka's format).
RestoreRecord = tuple[bytes, bytes | None] | tuple[bytes, bytes | None, int]
#: Applies one batch of changelog records to a store, in changelog order.
RestoreCallback = Callable[[Sequence[RestoreRecord]], None]


@runtime_checkable
class SerdeLike(Protocol):
    """Anything with ``serialize(topic, data)`` and ``deserialize(topic, data)`` (every ``Serdes.*()`` qualifies).

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> isinstance(Serdes.string(), SerdeLike)
        True
    """

    def serialize(self, topic: str | None, data: Any) -> bytes | None: ...

    def deserialize(self, topic: str | None, data: bytes | None) -> Any: ...


@runtime_checkable
class StateStoreContext(Protocol):
    """What a store sees while it is initialised; the engine implements it (stores only consume it).

    ``key_serde``/``value_serde`` are the defaults for stores built without serdes (None means "none configured":
    stores then fall back to ``Serdes.json()``). ``register`` is called once by the innermost store from its
    ``init``; ``log_change`` is called by the changelogging layer on every write (``timestamp=None`` means the
    timestamp of the record being processed; ``headers`` go on the changelog record, as the suppression buffer's
    version header does).

    Example::

        >>> class Ctx:  # a minimal fake, as in the unit tests
        ...     application_id, task_id, app_configs = "app", TaskId(0, 0), {}
        ...     key_serde = value_serde = None
        ...     def register(self, store, restore_callback, *, logged): self.restore = restore_callback
        ...     def log_change(self, store_name, key, value, timestamp): pass
        >>> isinstance(Ctx(), StateStoreContext)
        True
    """

    @property
    def application_id(self) -> str: ...
    @property
    def task_id(self) -> TaskId: ...
    @property
    def app_configs(self) -> Mapping[str, Any]: ...
    @property
    def key_serde(self) -> Any: ...
    @property
    def value_serde(self) -> Any: ...

    def register(self, store: StateStore, restore_callback: RestoreCallback, *, logged: bool) -> None: ...

    def log_change(
        self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None, headers: Headers = EMPTY_HEADERS
    ) -> None: ...


@runtime_checkable
class StateStore(Protocol):
    """A state store (Kafka's ``StateStore``): named, initialised by the engine, flushed on commit, closed.

    ``persistent`` is False for in-memory stores, True for the RocksDB stores that ``Stores.persistent_*`` give
    when ``rocksdict`` is installed.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> isinstance(InMemoryKeyValueStore("s"), StateStore)
        True
    """

    @property
    def name(self) -> str: ...
    @property
    def persistent(self) -> bool: ...

    def init(self, context: StateStoreContext, root: StateStore) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def is_open(self) -> bool: ...


class ValueAndTimestamp(Generic[V]):
    """A value together with its timestamp (Kafka's ``ValueAndTimestamp``); what timestamped stores hold.

    ``str()`` is Kafka's ``<value,timestamp>``.

    Example::

        >>> vt = ValueAndTimestamp.make(3, 100)
        >>> vt.value, vt.timestamp, str(vt)
        (3, 100, '<3,100>')
        >>> ValueAndTimestamp.get_value_or_none(None) is None
        True
    """

    __slots__ = ("timestamp", "value")

    # immutable by contract (compared and hashed by value); a plain class, as it is made once per store write
    def __init__(self, value: V, timestamp: int) -> None:
        self.value = value
        self.timestamp = timestamp

    def __eq__(self, other: object) -> bool:
        if type(other) is not ValueAndTimestamp:
            return NotImplemented
        return bool(self.value == other.value and self.timestamp == other.timestamp)

    def __hash__(self) -> int:
        return hash((self.value, self.timestamp))

    def __repr__(self) -> str:
        return f"ValueAndTimestamp(value={self.value!r}, timestamp={self.timestamp!r})"

    @staticmethod
    def make(value: V | None, timestamp: int) -> ValueAndTimestamp[V] | None:
        """A ValueAndTimestamp, or None when ``value`` is None (Kafka's ``make``)."""
        return None if value is None else ValueAndTimestamp(value, timestamp)

    @staticmethod
    def get_value_or_none(value_and_timestamp: ValueAndTimestamp[V] | None) -> V | None:
        """The value of ``value_and_timestamp``, or None when it is None."""
        return None if value_and_timestamp is None else value_and_timestamp.value

    def __str__(self) -> str:
        return f"<{self.value},{self.timestamp}>"


_MIN_LONG = -(2**63)
_MAX_LONG = 2**63 - 1


class ValueAndTimestampSerde:
    """Kafka's ``ValueAndTimestampSerde``: 8-byte big-endian timestamp followed by the inner value's bytes.

    None (or an inner value that serializes to None) becomes None, a tombstone.

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> s = ValueAndTimestampSerde(Serdes.string())
        >>> s.serialize("t", ValueAndTimestamp("a", 1))
        b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01a'
        >>> s.deserialize("t", b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01a')
        ValueAndTimestamp(value='a', timestamp=1)
    """

    __slots__ = ("_to", "inner")

    def __init__(self, inner: SerdeLike) -> None:
        self.inner = inner
        # a built-in serde's function, called directly (its serialize() gives the error when it fails)
        self._to = inner.to_bytes if type(inner) is Serde else None

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        """``timestamp (8 bytes BE) + value bytes``; None for None."""
        if data is None:
            return None
        if type(data) is not ValueAndTimestamp:
            raise SerializationError(
                f"expected a ValueAndTimestamp, got {type(data).__name__} {data!r:.80}; a timestamped store takes "
                "ValueAndTimestamp(value, timestamp), or the timestamp as an argument: put(key, value, timestamp)"
            )
        value, to = data.value, self._to
        raw: bytes | None
        if to is not None and value is not None:
            try:
                raw = to(value)
            except Exception:
                raw = self.inner.serialize(topic, value)
        else:
            raw = self.inner.serialize(topic, value)
        if raw is None:
            return None
        return data.timestamp.to_bytes(8, "big", signed=True) + raw

    def deserialize(self, topic: str | None, data: bytes | None) -> ValueAndTimestamp[Any] | None:
        """The ValueAndTimestamp for ``data`` (None for None)."""
        if data is None:
            return None
        if len(data) < 8:
            raise DeserializationError(f"a value-and-timestamp needs at least 8 bytes, got {len(data)}", topic=topic)
        return ValueAndTimestamp(self.inner.deserialize(topic, data[8:]), int.from_bytes(data[:8], "big", signed=True))

    def __repr__(self) -> str:
        return f"ValueAndTimestampSerde({self.inner!r})"


def raw_value(value_and_timestamp: bytes | None) -> bytes | None:
    """The value part of value-and-timestamp bytes (Kafka's ``ValueAndTimestampDeserializer.rawValue``).

    Example::

        >>> raw_value(bytes(8) + b"v"), raw_value(None)
        (b'v', None)
    """
    return None if value_and_timestamp is None else value_and_timestamp[8:]


def raw_timestamp(value_and_timestamp: bytes) -> int:
    """The timestamp part of value-and-timestamp bytes.

    Example::

        >>> raw_timestamp((5).to_bytes(8, "big") + b"v")
        5
    """
    return int.from_bytes(value_and_timestamp[:8], "big", signed=True)


def changelog_topic_name(application_id: str, store_name: str) -> str:
    """Kafka's changelog topic of a store: ``<application.id>-<store>-changelog``.

    Example::

        >>> changelog_topic_name("wc", "counts")
        'wc-counts-changelog'
    """
    return f"{application_id}-{store_name}-changelog"


@runtime_checkable
class KeyValueBytesStore(StateStore, Protocol):
    """A key-value store on bytes (what suppliers build and the changelogging layer wraps).

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> isinstance(InMemoryKeyValueStore("s"), KeyValueBytesStore)
        True
    """

    def get(self, key: bytes) -> bytes | None: ...
    def put(self, key: bytes, value: bytes | None) -> None: ...
    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None: ...
    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None: ...
    def delete(self, key: bytes) -> bytes | None: ...
    def range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]: ...
    def reverse_range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]: ...
    def all(self) -> KeyValueIterator[bytes, bytes]: ...
    def reverse_all(self) -> KeyValueIterator[bytes, bytes]: ...
    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]: ...
    def approximate_num_entries(self) -> int: ...


@runtime_checkable
class WindowBytesStore(StateStore, Protocol):
    """A window store on bytes (Kafka's ``WindowStore<Bytes, byte[]>``).

    Example::

        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> isinstance(InMemoryWindowStore("w", 10, 5, False), WindowBytesStore)
        True
    """

    @property
    def window_size(self) -> int: ...
    @property
    def retain_duplicates(self) -> bool: ...

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None: ...
    def fetch(self, key: bytes, window_start: int) -> bytes | None: ...
    def fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]: ...
    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]: ...
    def fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]: ...
    def backward_fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]: ...
    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]: ...
    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]: ...
    def all(self) -> KeyValueIterator[Windowed[bytes], bytes]: ...
    def backward_all(self) -> KeyValueIterator[Windowed[bytes], bytes]: ...


class WrappedStateStore:
    """Base of the layers around an inner store (Kafka's ``WrappedStateStore``): name, persistence, lifecycle and
    ``wrapped`` delegate to the inner store.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> WrappedStateStore(InMemoryKeyValueStore("s")).name
        's'
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def wrapped(self) -> Any:
        """The store this layer wraps."""
        return self._inner

    @property
    def name(self) -> str:
        """The store's name."""
        return str(self._inner.name)

    @property
    def persistent(self) -> bool:
        """Whether the innermost store keeps data on disk."""
        return bool(self._inner.persistent)

    def is_open(self) -> bool:
        """Whether the store is open."""
        return bool(self._inner.is_open())

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Initialise the inner store."""
        self._inner.init(context, root)

    def flush(self) -> None:
        """Flush the inner store."""
        self._inner.flush()

    def close(self) -> None:
        """Close the inner store."""
        self._inner.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inner!r})"
