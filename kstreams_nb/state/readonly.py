"""Read-only views of stores for interactive queries from other threads (Kafka's ``ReadOnlyKeyValueStore`` and
``ReadOnlyWindowStore``).

One thread owns a task and its stores; a query from another thread goes through a view that holds the owner's
lock for each call. Iterators are read completely while the lock is held, so the caller gets a snapshot that
later writes cannot disturb.

Example::

    >>> import threading
    >>> from kstreams_nb.state import InMemoryKeyValueStore
    >>> view = ReadOnlyKeyValueStore(InMemoryKeyValueStore("s"), threading.Lock())
    >>> view.name
    's'
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.records import Windowed
from kstreams_nb.state._iterators import KeyValueIterator, ListKeyValueIterator

__all__ = ["ReadOnlyKeyValueStore", "ReadOnlyWindowStore", "read_only_view"]

K = TypeVar("K")
V = TypeVar("V")


class _View:
    __slots__ = ("_lock", "_store")

    def __init__(self, store: Any, lock: AbstractContextManager[Any]) -> None:
        self._store = store
        self._lock = lock

    @property
    def name(self) -> str:
        """The store's name."""
        return str(self._store.name)

    def _check(self) -> None:
        if not self._store.is_open():
            raise InvalidStateStoreError(
                f"State store {self._store.name} is not open: it may have migrated to another instance or be "
                "closed; query it again once the application is RUNNING"
            )

    def _snapshot(self, it: KeyValueIterator[Any, Any]) -> ListKeyValueIterator[Any, Any]:
        with it:
            return ListKeyValueIterator(it.store_name, list(it))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store!r})"


class ReadOnlyKeyValueStore(_View, Generic[K, V]):
    """A read-only, lock-guarded view of a key-value store: ``get``, ``range``, ``reverse_range``, ``all``,
    ``reverse_all``, ``prefix_scan``, ``approximate_num_entries``.

    Example::

        >>> import threading
        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> s = InMemoryKeyValueStore("s"); s.put(b"a", b"1")
        >>> s._open = True  # normally the engine initialises the store
        >>> ReadOnlyKeyValueStore(s, threading.Lock()).get(b"a")
        b'1'
    """

    __slots__ = ()

    def get(self, key: K) -> V | None:
        """The value of ``key``, or None."""
        with self._lock:
            self._check()
            return self._store.get(key)  # type: ignore[no-any-return]

    def range(self, key_from: K | None = None, key_to: K | None = None) -> KeyValueIterator[K, V]:
        """A snapshot of the pairs with ``key_from <= key <= key_to`` (None = open)."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.range(key_from, key_to))

    def reverse_range(self, key_from: K | None = None, key_to: K | None = None) -> KeyValueIterator[K, V]:
        """Like ``range``, descending."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.reverse_range(key_from, key_to))

    def all(self) -> KeyValueIterator[K, V]:
        """A snapshot of every pair."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.all())

    def reverse_all(self) -> KeyValueIterator[K, V]:
        """A snapshot of every pair, descending."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.reverse_all())

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any = None) -> KeyValueIterator[K, V]:
        """A snapshot of the pairs whose key starts with ``prefix``."""
        with self._lock:
            self._check()
            if prefix_key_serializer is None:
                return self._snapshot(self._store.prefix_scan(prefix))
            return self._snapshot(self._store.prefix_scan(prefix, prefix_key_serializer))

    def approximate_num_entries(self) -> int:
        """About how many keys the store holds."""
        with self._lock:
            self._check()
            return int(self._store.approximate_num_entries())


class ReadOnlyWindowStore(_View, Generic[K, V]):
    """A read-only, lock-guarded view of a window store: ``fetch``, ``backward_fetch``, ``fetch_range``,
    ``backward_fetch_range``, ``fetch_all``, ``backward_fetch_all``, ``all``, ``backward_all``.

    Example::

        >>> import threading
        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> ReadOnlyWindowStore(InMemoryWindowStore("w", 100, 10, False), threading.Lock()).name
        'w'
    """

    __slots__ = ()

    def fetch(self, key: K, time_from: int, time_to: int | None = None) -> Any:
        """``fetch(key, start)``: one value or None; ``fetch(key, from, to)``: a snapshot of (start, value)."""
        with self._lock:
            self._check()
            if time_to is None:
                return self._store.fetch(key, time_from)
            return self._snapshot(self._store.fetch(key, time_from, time_to))

    def backward_fetch(self, key: K, time_from: int, time_to: int) -> KeyValueIterator[int, V]:
        """Like ``fetch(key, from, to)``, newest first."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.backward_fetch(key, time_from, time_to))

    def fetch_range(
        self, key_from: K | None, key_to: K | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[K], V]:
        """A snapshot of the windows of keys in ``[key_from, key_to]`` starting in ``[time_from, time_to]``."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.fetch_range(key_from, key_to, time_from, time_to))

    def backward_fetch_range(
        self, key_from: K | None, key_to: K | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[K], V]:
        """Like ``fetch_range``, in reverse."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.backward_fetch_range(key_from, key_to, time_from, time_to))

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]:
        """A snapshot of every window starting in ``[time_from, time_to]``."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.fetch_all(time_from, time_to))

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]:
        """Like ``fetch_all``, in reverse."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.backward_fetch_all(time_from, time_to))

    def all(self) -> KeyValueIterator[Windowed[K], V]:
        """A snapshot of every unexpired window."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.all())

    def backward_all(self) -> KeyValueIterator[Windowed[K], V]:
        """A snapshot of every unexpired window, newest first."""
        with self._lock:
            self._check()
            return self._snapshot(self._store.backward_all())


def read_only_view(
    store: Any, lock: AbstractContextManager[Any]
) -> ReadOnlyKeyValueStore[Any, Any] | ReadOnlyWindowStore[Any, Any]:
    """The read-only view that fits ``store`` (window or key-value), guarded by ``lock``.

    Example: ``read_only_view(global_store, lock).get("k")``.
    """
    if hasattr(store, "fetch"):
        return ReadOnlyWindowStore(store, lock)
    return ReadOnlyKeyValueStore(store, lock)
