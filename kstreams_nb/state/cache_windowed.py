"""Caching layers of window and session stores (Kafka's ``CachingWindowStore`` / ``CachingSessionStore``), built
as :mod:`kstreams_nb.state.cache_stores` describes. Cache keys are the binary store keys: ``key + window start +
sequence 0`` for windows, ``key + end + start`` for sessions; flushed keys reach listeners as ``Windowed`` keys.

Example::

    >>> from kstreams_nb.state.window import InMemoryWindowStore
    >>> CachingWindowBytesStore(InMemoryWindowStore("w", 100, 10, False)).cache_inactive
    False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams_nb.records import Window, Windowed
from kstreams_nb.state._iterators import KeyValueIterator, ListKeyValueIterator
from kstreams_nb.state.cache import CacheEntry
from kstreams_nb.state.cache_stores import _CachingLayer, _drain, _in_range
from kstreams_nb.state.session import session_key_from_binary, session_key_to_binary
from kstreams_nb.state.window_schema import (
    extract_store_key_bytes,
    extract_store_timestamp,
    time_window_end,
    to_store_key_binary,
)

__all__ = ["CachingSessionBytesStore", "CachingWindowBytesStore"]


class CachingWindowBytesStore(_CachingLayer):
    """A window bytes store with a record cache in front (Kafka's ``CachingWindowStore``); cache keys are the
    store keys ``key + window start + sequence 0``.

    Example::

        >>> from kstreams_nb.state.window import InMemoryWindowStore
        >>> CachingWindowBytesStore(InMemoryWindowStore("w", 100, 10, False)).window_size
        10
    """

    __slots__ = ()

    @property
    def window_size(self) -> int:
        """The window size (ms)."""
        return int(self._inner.window_size)

    @property
    def retain_duplicates(self) -> bool:
        """Always False: stores that keep duplicates do not cache."""
        return bool(self._inner.retain_duplicates)

    def key_decoder(self, key_from: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """Cache key -> ``Windowed(key, Window(start, start + size))``."""
        size = self.window_size

        def decode(cache_key: bytes) -> Windowed[Any]:
            start = extract_store_timestamp(cache_key)
            return Windowed(key_from(extract_store_key_bytes(cache_key)), Window(start, time_window_end(start, size)))

        return decode

    def _stored(self, cache_key: bytes) -> bytes | None:
        return self._inner.fetch(extract_store_key_bytes(cache_key), extract_store_timestamp(cache_key))  # type: ignore[no-any-return]

    def _write(self, cache_key: bytes, value: bytes | None) -> None:
        self._inner.put(extract_store_key_bytes(cache_key), value, extract_store_timestamp(cache_key))

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        """Cache ``value`` for the window as dirty."""
        self._cache_put(to_store_key_binary(key, window_start, 0), value)

    def put_object(self, key: bytes, value: bytes, window_start: int, obj: Any) -> None:
        """Cache ``value`` for the window as dirty, keeping ``obj``, the immutable value it was serialized from,
        beside it (a windowed aggregate's put: its next read and the flush need not deserialize the bytes)."""
        self._cache_put(to_store_key_binary(key, window_start, 0), value, obj)

    def dirty_entry(self, key: bytes, window_start: int) -> CacheEntry | None:
        """The cache's entry of the window when it is not yet flushed (what :meth:`fetch` returns first), or
        None: then the store below has the value."""
        e = self._cached(to_store_key_binary(key, window_start, 0))
        return e if e is not None and e.dirty else None

    def fetch(self, key: bytes, window_start: int) -> bytes | None:
        """The value of the window not yet flushed, else the stored one (which may have expired since)."""
        e = self._cached(to_store_key_binary(key, window_start, 0))
        if e is not None and e.dirty:
            return e.value
        return self._inner.fetch(key, window_start)  # type: ignore[no-any-return]

    def _values(self, it: KeyValueIterator[int, bytes], key: bytes, lo: int, hi: int, reverse: bool
                ) -> KeyValueIterator[int, bytes]:
        data = _drain(it)

        def select(ck: bytes) -> int | None:
            start = extract_store_timestamp(ck)
            return start if lo <= start <= hi and extract_store_key_bytes(ck) == key else None

        self._overlay(data, select)
        return ListKeyValueIterator(self.name, [(t, data[t]) for t in sorted(data, reverse=reverse)])

    def fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """``(window start, value)`` of ``key`` for starts in ``[time_from, time_to]``."""
        return self._values(self._inner.fetch_values(key, time_from, time_to), key, time_from, time_to, False)

    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """Like ``fetch_values``, latest first."""
        it = self._inner.backward_fetch_values(key, time_from, time_to)
        return self._values(it, key, time_from, time_to, True)

    def _windowed(self, it: KeyValueIterator[Windowed[bytes], bytes], keep: Callable[[bytes, int], bool],
                  reverse: bool) -> KeyValueIterator[Windowed[bytes], bytes]:
        data: dict[tuple[int, bytes], bytes] = {(w.window.start, w.key): v for w, v in _drain(it).items()}

        def select(ck: bytes) -> tuple[int, bytes] | None:
            k, start = extract_store_key_bytes(ck), extract_store_timestamp(ck)
            return (start, k) if keep(k, start) else None

        self._overlay(data, select)
        size = self.window_size
        return ListKeyValueIterator(self.name, [
            (Windowed(k, Window(start, time_window_end(start, size))), data[(start, k)])
            for start, k in sorted(data, reverse=reverse)
        ])

    def fetch_range(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
                    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Windows of keys in ``[key_from, key_to]`` starting in ``[time_from, time_to]``."""
        keep = _in_range(key_from, key_to)
        return self._windowed(self._inner.fetch_range(key_from, key_to, time_from, time_to),
                              lambda k, t: time_from <= t <= time_to and keep(k), False)

    def backward_fetch_range(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
                             ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Like ``fetch_range``, latest first."""
        keep = _in_range(key_from, key_to)
        return self._windowed(self._inner.backward_fetch_range(key_from, key_to, time_from, time_to),
                              lambda k, t: time_from <= t <= time_to and keep(k), True)

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every window starting in ``[time_from, time_to]``."""
        return self._windowed(self._inner.fetch_all(time_from, time_to),
                              lambda k, t: time_from <= t <= time_to, False)

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Like ``fetch_all``, latest first."""
        return self._windowed(self._inner.backward_fetch_all(time_from, time_to),
                              lambda k, t: time_from <= t <= time_to, True)

    def all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every window."""
        return self._windowed(self._inner.all(), lambda k, t: True, False)

    def backward_all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every window, latest first."""
        return self._windowed(self._inner.backward_all(), lambda k, t: True, True)


class CachingSessionBytesStore(_CachingLayer):
    """A session bytes store with a record cache in front (Kafka's ``CachingSessionStore``); cache keys are the
    binary session keys ``key + end + start``.

    Example::

        >>> from kstreams_nb.state.session import InMemorySessionStore
        >>> CachingSessionBytesStore(InMemorySessionStore("s", 100)).retention_period
        100
    """

    __slots__ = ()

    @property
    def retention_period(self) -> int:
        """The store's retention (ms)."""
        return int(self._inner.retention_period)

    def key_decoder(self, key_from: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """Cache key -> ``Windowed(key, Window(start, end))``."""
        def decode(cache_key: bytes) -> Windowed[Any]:
            key, start, end = session_key_from_binary(cache_key)
            return Windowed(key_from(key), Window(start, end))

        return decode

    def _stored(self, cache_key: bytes) -> bytes | None:
        key, start, end = session_key_from_binary(cache_key)
        return self._inner.fetch_session(key, start, end)  # type: ignore[no-any-return]

    def _write(self, cache_key: bytes, value: bytes | None) -> None:
        key, start, end = session_key_from_binary(cache_key)
        self._inner.put(key, start, end, value)

    def put(self, key: bytes, start: int, end: int, value: bytes | None) -> None:
        """Cache the aggregate of the session ``[start, end]`` as dirty (None removes it)."""
        self._cache_put(session_key_to_binary(key, start, end), value)

    def remove(self, key: bytes, start: int, end: int) -> None:
        """Cache the removal of the session."""
        self._cache_put(session_key_to_binary(key, start, end), None)

    def fetch_session(self, key: bytes, start: int, end: int) -> bytes | None:
        """The value of the session not yet flushed, else the stored one."""
        e = self._cached(session_key_to_binary(key, start, end))
        if e is not None and e.dirty:
            return e.value
        return self._inner.fetch_session(key, start, end)  # type: ignore[no-any-return]

    def _sessions(self, it: KeyValueIterator[Windowed[bytes], bytes],
                  keep: Callable[[bytes, int, int], bool]) -> KeyValueIterator[Windowed[bytes], bytes]:
        data = {(w.window.end, w.key, w.window.start): v for w, v in _drain(it).items()}

        def select(ck: bytes) -> tuple[int, bytes, int] | None:
            k, start, end = session_key_from_binary(ck)
            return (end, k, start) if keep(k, start, end) else None

        self._overlay(data, select)
        return ListKeyValueIterator(self.name, [
            (Windowed(k, Window(start, end)), data[(end, k, start)]) for end, k, start in sorted(data)
        ])

    def find_sessions(self, key: bytes, earliest_end: int, latest_start: int
                      ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Sessions of ``key`` ending at or after ``earliest_end`` and starting at or before ``latest_start``."""
        return self._sessions(self._inner.find_sessions(key, earliest_end, latest_start),
                              lambda k, s, e: k == key and e >= earliest_end and s <= latest_start)

    def find_sessions_range(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                            latest_start: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """As :meth:`find_sessions` over a key range (None bounds are open)."""
        keep = _in_range(key_from, key_to)
        return self._sessions(self._inner.find_sessions_range(key_from, key_to, earliest_end, latest_start),
                              lambda k, s, e: keep(k) and e >= earliest_end and s <= latest_start)

    def find_sessions_ending(self, earliest_end: int, latest_end: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every session whose end is in ``[earliest_end, latest_end]``."""
        return self._sessions(self._inner.find_sessions_ending(earliest_end, latest_end),
                              lambda k, s, e: earliest_end <= e <= latest_end)
