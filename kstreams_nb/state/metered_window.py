"""The window stores users see: :class:`MeteredWindowStore` (Kafka's ``WindowStore``) and
:class:`MeteredTimestampedWindowStore` (Kafka's ``TimestampedWindowStore``, what windowed DSL aggregations use).

Times are epoch milliseconds. ``fetch(key, t)`` returns one value; ``fetch(key, t_from, t_to)`` iterates
``(window_start, value)``; the range forms iterate ``(Windowed(key, Window(start, end)), value)``.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> from kstreams_nb.state import Stores
    >>> b = Stores.window_store_builder(
    ...     Stores.in_memory_window_store("w", 60_000, 10_000, False), Serdes.string(), Serdes.long())
    >>> b.build().window_size
    10000
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from kstreams_nb.records import Windowed
from kstreams_nb.state._api import (
    SerdeLike,
    StateStoreContext,
    ValueAndTimestamp,
    ValueAndTimestampSerde,
    WindowBytesStore,
)
from kstreams_nb.state._contexts import TimestampedRestoreContext
from kstreams_nb.state._iterators import KeyValueIterator, MappedKeyValueIterator
from kstreams_nb.state.cache import NO_OBJECT
from kstreams_nb.state.metered import _IMMUTABLE_VALUES, MeteredStoreBase, timestamped_bytes

__all__ = ["MeteredTimestampedWindowStore", "MeteredWindowStore"]

K = TypeVar("K")
V = TypeVar("V")


class MeteredWindowStore(MeteredStoreBase, Generic[K, V]):
    """A window store of Python objects over a window bytes store (Kafka's ``MeteredWindowStore``).

    Example::

        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> MeteredWindowStore(InMemoryWindowStore("w", 100, 10, False)).name
        'w'
    """

    __slots__ = ()
    _inner: WindowBytesStore

    def __init__(
        self, inner: WindowBytesStore, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> None:
        super().__init__(inner, key_serde, value_serde)

    @property
    def window_size(self) -> int:
        """The window size (ms)."""
        return self._inner.window_size

    @property
    def retain_duplicates(self) -> bool:
        """Whether every put is kept."""
        return self._inner.retain_duplicates

    def put(self, key: K, value: V | None, window_start: int) -> None:
        """Put ``value`` for ``key`` in the window starting at ``window_start``; None deletes."""
        self._inner.put(self._key_bytes(key), self._value_bytes(value), window_start)

    def _time_value(self, start: int, vb: bytes) -> tuple[int, V]:
        return start, self._value_from(vb)

    def _windowed_pair(self, wk: Windowed[bytes], vb: bytes) -> tuple[Windowed[K], V]:
        return Windowed(self._key_from(wk.key), wk.window), self._value_from(vb)

    @overload
    def fetch(self, key: K, time_from: int) -> V | None: ...
    @overload
    def fetch(self, key: K, time_from: int, time_to: int) -> KeyValueIterator[int, V]: ...

    def fetch(self, key: K, time_from: int, time_to: int | None = None) -> V | KeyValueIterator[int, V] | None:
        """``fetch(key, window_start)``: the value in that window, or None. ``fetch(key, time_from, time_to)``:
        ``(window_start, value)`` for window starts in ``[time_from, time_to]``, oldest first."""
        kb = self._key_bytes(key)
        if time_to is None:
            return self._value_from(self._inner.fetch(kb, time_from))  # type: ignore[no-any-return]
        return MappedKeyValueIterator(self._inner.fetch_values(kb, time_from, time_to), self._time_value)

    def backward_fetch(self, key: K, time_from: int, time_to: int) -> KeyValueIterator[int, V]:
        """Like ``fetch(key, time_from, time_to)``, newest first."""
        inner = self._inner.backward_fetch_values(self._key_bytes(key), time_from, time_to)
        return MappedKeyValueIterator(inner, self._time_value)

    def _bound(self, key: K | None) -> bytes | None:
        if key is None:
            if not self._open:
                raise self._not_open()
            return None
        return self._key_bytes(key)

    def fetch_range(
        self, key_from: K | None, key_to: K | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[K], V]:
        """Windows of keys in ``[key_from, key_to]`` (None = open) starting in ``[time_from, time_to]``
        (Kafka's ``fetch(keyFrom, keyTo, timeFrom, timeTo)``)."""
        inner = self._inner.fetch_range(self._bound(key_from), self._bound(key_to), time_from, time_to)
        return MappedKeyValueIterator(inner, self._windowed_pair)

    def backward_fetch_range(
        self, key_from: K | None, key_to: K | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[K], V]:
        """Like ``fetch_range`` in reverse order."""
        inner = self._inner.backward_fetch_range(self._bound(key_from), self._bound(key_to), time_from, time_to)
        return MappedKeyValueIterator(inner, self._windowed_pair)

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]:
        """Every window starting in ``[time_from, time_to]``."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.fetch_all(time_from, time_to), self._windowed_pair)

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]:
        """Like ``fetch_all`` in reverse order."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.backward_fetch_all(time_from, time_to), self._windowed_pair)

    def all(self) -> KeyValueIterator[Windowed[K], V]:
        """Every unexpired window, oldest first."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.all(), self._windowed_pair)

    def backward_all(self) -> KeyValueIterator[Windowed[K], V]:
        """Every unexpired window, newest first."""
        self._bound(None)
        return MappedKeyValueIterator(self._inner.backward_all(), self._windowed_pair)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store_name!r}, open={self._open})"


class MeteredTimestampedWindowStore(MeteredWindowStore[K, ValueAndTimestamp[V]]):
    """A window store whose values are :class:`ValueAndTimestamp` (Kafka's ``TimestampedWindowStore``).

    ``put(key, ValueAndTimestamp(v, ts), start)`` and ``put(key, v, start, timestamp=ts)`` are the same.

    Example::

        >>> from kstreams_nb.state import Stores
        >>> b = Stores.timestamped_window_store_builder(Stores.in_memory_window_store("w", 100, 10, False))
        >>> type(b.build()).__name__
        'MeteredTimestampedWindowStore'
    """

    __slots__ = ()

    def _prepare_value_serde(self, serde: SerdeLike) -> SerdeLike:
        return serde if isinstance(serde, ValueAndTimestampSerde) else ValueAndTimestampSerde(serde)

    def _inner_context(self, context: StateStoreContext) -> StateStoreContext:
        return TimestampedRestoreContext(context, self._store_name)

    def put(self, key: K, value: Any, window_start: int, *, timestamp: int | None = None) -> None:
        """Put a ValueAndTimestamp (or ``value`` at ``timestamp``) in the window starting at ``window_start``."""
        if timestamp is not None and value is not None:
            # the record cache's layer (CachingWindowBytesStore) has put_object
            put_object = getattr(self._inner, "put_object", None) if type(value) in _IMMUTABLE_VALUES else None
            if put_object is not None:
                # a windowed aggregate's put into its record cache: the object is kept beside its bytes
                kb = self._key_bytes(key)
                vb = timestamped_bytes(self._value_serde, value, timestamp)
                if vb is not None:
                    put_object(kb, vb, window_start, ValueAndTimestamp(value, timestamp))
                    return
            value = ValueAndTimestamp(value, timestamp)
        super().put(key, value, window_start)

    @overload
    def fetch(self, key: K, time_from: int) -> ValueAndTimestamp[V] | None: ...
    @overload
    def fetch(self, key: K, time_from: int, time_to: int) -> KeyValueIterator[int, ValueAndTimestamp[V]]: ...

    def fetch(self, key: K, time_from: int, time_to: int | None = None) -> Any:
        """``fetch(key, window_start)``: the ValueAndTimestamp in that window, or None. ``fetch(key, time_from,
        time_to)``: ``(window_start, ValueAndTimestamp)`` for window starts in ``[time_from, time_to]``."""
        layer = self._inner
        dirty_entry = getattr(layer, "dirty_entry", None) if time_to is None else None
        if dirty_entry is not None:  # the record cache's layer (CachingWindowBytesStore)
            kb = self._key_bytes(key)
            e = dirty_entry(kb, time_from)
            if e is None:
                return self._value_from(layer.wrapped.fetch(kb, time_from))  # type: ignore[attr-defined]
            obj = e.obj
            return self._value_from(e.value) if obj is NO_OBJECT else obj
        if time_to is None:
            return super().fetch(key, time_from)
        return super().fetch(key, time_from, time_to)
