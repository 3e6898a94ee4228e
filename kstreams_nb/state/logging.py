"""Changelogging layers: forward every write to the inner bytes store, then send it to the store's changelog
through ``context.log_change`` (Kafka's ``ChangeLogging*BytesStore`` classes).

A stack with this layer registers itself as *logged* (the inner store's ``context.register`` call reaches the
engine with ``logged=True``). Timestamped layers log the plain value with the timestamp taken from the
value-and-timestamp bytes, exactly as Kafka does; restoring such a store therefore needs the changelog records'
timestamps (see :class:`~kstreams_nb.state._contexts.TimestampedRestoreContext`).

Example::

    >>> from kstreams_nb.state import InMemoryKeyValueStore
    >>> s = ChangeLoggingKeyValueBytesStore(InMemoryKeyValueStore("s"))
    >>> s.name
    's'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.records import Windowed
from kstreams_nb.state._api import (
    KeyValueBytesStore,
    StateStore,
    StateStoreContext,
    WindowBytesStore,
    WrappedStateStore,
    raw_timestamp,
)
from kstreams_nb.state._contexts import LoggedRegistrationContext
from kstreams_nb.state._iterators import KeyValueIterator
from kstreams_nb.state.window_schema import to_store_key_binary

__all__ = [
    "ChangeLoggingKeyValueBytesStore",
    "ChangeLoggingTimestampedKeyValueBytesStore",
    "ChangeLoggingTimestampedWindowBytesStore",
    "ChangeLoggingWindowBytesStore",
]

_LogChange = Callable[[str, bytes, bytes | None, int | None], None]


def _not_initialised(store_name: str, key: bytes, value: bytes | None, timestamp: int | None) -> None:
    raise InvalidStateStoreError(f"state store {store_name!r} was written before init(); the engine must init it")


class ChangeLoggingKeyValueBytesStore(WrappedStateStore):
    """Logs every write of a key-value bytes store: ``put``/``put_all`` log the value, ``delete`` logs None,
    ``put_if_absent`` logs only when it wrote. The record timestamp is the current record's (``None``).

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> s = ChangeLoggingKeyValueBytesStore(InMemoryKeyValueStore("s"))
        >>> s.wrapped.name
        's'
    """

    __slots__ = ("_log", "_store_name")
    _inner: KeyValueBytesStore

    def __init__(self, inner: KeyValueBytesStore) -> None:
        super().__init__(inner)
        self._store_name = inner.name
        self._log: _LogChange = _not_initialised

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Keep the context's ``log_change`` and initialise the inner store as logged."""
        self._log = context.log_change
        self._inner.init(LoggedRegistrationContext(context), root)
        set_listener = getattr(self._inner, "set_when_eldest_removed", None)
        if set_listener is not None:  # an LRU map: evictions become tombstones in the changelog
            set_listener(self._on_evict)

    def _on_evict(self, key: bytes, value: bytes) -> None:
        self._log(self._store_name, key, None, None)

    def _log_value(self, key: bytes, value: bytes | None) -> None:
        self._log(self._store_name, key, value, None)

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``."""
        return self._inner.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Put, then log."""
        self._inner.put(key, value)
        self._log_value(key, value)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        """Put if absent; log only when it wrote."""
        previous = self._inner.put_if_absent(key, value)
        if previous is None:
            self._log_value(key, value)
        return previous

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Put all, then log each pair."""
        entries = list(entries)
        self._inner.put_all(entries)
        for key, value in entries:
            self._log_value(key, value)

    def delete(self, key: bytes) -> bytes | None:
        """Delete, then log a tombstone (even when the key was absent, as Kafka does)."""
        old = self._inner.delete(key)
        self._log_value(key, None)
        return old

    def range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Delegates to the inner store."""
        return self._inner.range(key_from, key_to)

    def reverse_range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Delegates to the inner store."""
        return self._inner.reverse_range(key_from, key_to)

    def all(self) -> KeyValueIterator[bytes, bytes]:
        """Delegates to the inner store."""
        return self._inner.all()

    def reverse_all(self) -> KeyValueIterator[bytes, bytes]:
        """Delegates to the inner store."""
        return self._inner.reverse_all()

    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]:
        """Delegates to the inner store."""
        return self._inner.prefix_scan(prefix)

    def approximate_num_entries(self) -> int:
        """Delegates to the inner store."""
        return self._inner.approximate_num_entries()


class ChangeLoggingTimestampedKeyValueBytesStore(ChangeLoggingKeyValueBytesStore):
    """Values are value-and-timestamp bytes; the changelog gets the plain value with the timestamp from the bytes
    as the record timestamp (Kafka's ``ChangeLoggingTimestampedKeyValueBytesStore``). Tombstones use the current
    record's timestamp.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> ChangeLoggingTimestampedKeyValueBytesStore(InMemoryKeyValueStore("s")).name
        's'
    """

    __slots__ = ()

    def _log_value(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._log(self._store_name, key, None, None)
        else:
            self._log(self._store_name, key, value[8:], int.from_bytes(value[:8], "big", signed=True))


class ChangeLoggingWindowBytesStore(WrappedStateStore):
    """Logs every window-store put under the key ``key + window start (8 bytes BE) + seqnum (4 bytes BE)``
    (Kafka's ``WindowKeySchema.toStoreKeyBinary``); the seqnum counts puts when duplicates are retained, else 0.

    Example::

        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> ChangeLoggingWindowBytesStore(InMemoryWindowStore("w", 10, 5, False)).name
        'w'
    """

    __slots__ = ("_dups", "_log", "_seqnum", "_store_name")
    _inner: WindowBytesStore

    def __init__(self, inner: WindowBytesStore) -> None:
        super().__init__(inner)
        self._store_name = inner.name
        self._dups = inner.retain_duplicates
        self._seqnum = 0
        self._log: _LogChange = _not_initialised

    @property
    def window_size(self) -> int:
        """The inner store's window size (ms)."""
        return self._inner.window_size

    @property
    def retain_duplicates(self) -> bool:
        """Whether the inner store keeps duplicates."""
        return self._dups

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Keep the context's ``log_change`` and initialise the inner store as logged."""
        self._log = context.log_change
        self._inner.init(LoggedRegistrationContext(context), root)

    def _log_value(self, key: bytes, value: bytes | None) -> None:
        self._log(self._store_name, key, value, None)

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        """Put, then log under the windowed changelog key."""
        self._inner.put(key, value, window_start)
        if self._dups:
            self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        self._log_value(to_store_key_binary(key, window_start, self._seqnum), value)

    def fetch(self, key: bytes, window_start: int) -> bytes | None:
        """Delegates to the inner store."""
        return self._inner.fetch(key, window_start)

    def fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """Delegates to the inner store."""
        return self._inner.fetch_values(key, time_from, time_to)

    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """Delegates to the inner store."""
        return self._inner.backward_fetch_values(key, time_from, time_to)

    def fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.fetch_range(key_from, key_to, time_from, time_to)

    def backward_fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.backward_fetch_range(key_from, key_to, time_from, time_to)

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.fetch_all(time_from, time_to)

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.backward_fetch_all(time_from, time_to)

    def all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.all()

    def backward_all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Delegates to the inner store."""
        return self._inner.backward_all()


class ChangeLoggingTimestampedWindowBytesStore(ChangeLoggingWindowBytesStore):
    """Like :class:`ChangeLoggingWindowBytesStore` for value-and-timestamp bytes: logs the plain value with the
    value's timestamp as the record timestamp (Kafka's ``ChangeLoggingTimestampedWindowBytesStore``).

    Example::

        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> ChangeLoggingTimestampedWindowBytesStore(InMemoryWindowStore("w", 10, 5, False)).name
        'w'
    """

    __slots__ = ()

    def _log_value(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._log(self._store_name, key, None, None)
        else:
            self._log(self._store_name, key, value[8:], raw_timestamp(value))
