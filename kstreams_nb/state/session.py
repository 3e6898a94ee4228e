"""Session stores (Kafka's ``SessionStore``): an in-memory store on bytes, its changelogging layer, the metered
store processors use, its supplier and builder (``Stores.in_memory_session_store``, ``Stores.session_store_builder``).

A session is ``Windowed(key, Window(start, end))`` with both ends inclusive. As Kafka's ``InMemorySessionStore``,
the store keeps ``observed stream time`` = the largest session end put so far; a put whose session end is
``<= observed - retention`` is dropped, and reads see only sessions ending at or after ``observed - retention + 1``.
Like Kafka's segmented session stores, expired sessions are dropped for good a segment interval
(``max(retention / 2, 60 s)``) later: until then :meth:`InMemorySessionStore.find_sessions_ending` (what
emit-on-window-close reads) still sees them.
Sessions are iterated by end time, then key, then start. The changelog key is Kafka's session key schema:
``key + end (8 bytes BE) + start (8 bytes BE)``.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> s = InMemorySessionStore("s", retention_period=100)
    >>> s.put(b"k", 0, 10, b"a"); s.put(b"k", 20, 30, b"b")
    >>> [(str(k), v) for k, v in s.find_sessions(b"k", 5, 25)]
    [("[b'k'@0/10]", b'a'), ("[b'k'@20/30]", b'b')]
"""

from __future__ import annotations

import logging
from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kstreams_nb.errors import DeserializationError, SerializationError, TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.state._api import RestoreRecord, SerdeLike, StateStore, StateStoreContext, WrappedStateStore
from kstreams_nb.state._contexts import LoggedRegistrationContext
from kstreams_nb.state._iterators import KeyValueIterator, ListKeyValueIterator, MappedKeyValueIterator
from kstreams_nb.state.builders import _SerdeBuilder
from kstreams_nb.state.metered import MeteredStoreBase

__all__ = [
    "ChangeLoggingSessionBytesStore",
    "InMemorySessionBytesStoreSupplier",
    "InMemorySessionStore",
    "MeteredSessionStore",
    "SessionStoreBuilder",
    "SessionWindowedSerde",
    "session_key_from_binary",
    "session_key_to_binary",
]

_log = logging.getLogger(__name__)
_MAX = 2**63 - 1

K = TypeVar("K")
V = TypeVar("V")


def session_key_to_binary(key: bytes, start: int, end: int) -> bytes:
    """Kafka's ``SessionKeySchema.toBinary``: ``key + end + start`` (8 bytes big-endian each)."""
    return key + end.to_bytes(8, "big", signed=True) + start.to_bytes(8, "big", signed=True)


def session_key_from_binary(data: bytes) -> tuple[bytes, int, int]:
    """``(key, start, end)`` of a binary session key."""
    if len(data) < 16:
        raise DeserializationError(f"a session key needs at least 16 bytes (end and start), got {len(data)}")
    return (bytes(data[:-16]), int.from_bytes(data[-8:], "big", signed=True),
            int.from_bytes(data[-16:-8], "big", signed=True))


class InMemorySessionStore:
    """A session store of bytes in memory (Kafka's ``InMemorySessionStore``); retention in ms.

    Example::

        >>> s = InMemorySessionStore("s", 100)
        >>> s.put(b"k", 5, 5, b"v"); s.fetch_session(b"k", 5, 5), s.fetch_session(b"k", 5, 6)
        (b'v', None)
    """

    __slots__ = ("_ends", "_keys", "_name", "_observed", "_open", "_retention", "_slack", "_times",
                 "dropped_records")

    def __init__(self, name: str, retention_period: int) -> None:
        self._name = name
        self._retention = retention_period
        self._slack = max(retention_period // 2, 60_000)
        self._ends: dict[int, dict[bytes, dict[int, bytes]]] = {}
        self._times: list[int] = []  # sorted session ends
        #: key -> {(end, start): value}: the same sessions by key, so one key's lookups need not scan every end
        self._keys: dict[bytes, dict[tuple[int, int], bytes]] = {}
        self._observed = -1
        self._open = False
        #: records dropped because their session had expired
        self.dropped_records = 0

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """False: in memory."""
        return False

    @property
    def retention_period(self) -> int:
        """The retention (ms)."""
        return self._retention

    def is_open(self) -> bool:
        """True between ``init`` and ``close``."""
        return self._open

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Register ``root`` and the restore callback."""
        self._open = True
        context.register(root, self.restore_batch, logged=False)

    def flush(self) -> None:
        """Nothing to do."""

    def close(self) -> None:
        """Drop the data."""
        self._ends.clear()
        self._times.clear()
        self._keys.clear()
        self._open = False

    def restore_batch(self, batch: Sequence[RestoreRecord]) -> None:
        """Apply changelog records (binary session keys)."""
        for record in batch:
            key, start, end = session_key_from_binary(record[0])
            self.put(key, start, end, record[1])

    def _remove_expired(self) -> None:
        times = self._times
        min_live = max(0, self._observed - self._retention - self._slack + 1)
        if times and times[0] < min_live:
            i = bisect_left(times, min_live)
            keys = self._keys
            for t in times[:i]:
                for key, sessions in self._ends.pop(t).items():
                    mine = keys[key]
                    for start in sessions:
                        del mine[(t, start)]
                    if not mine:
                        del keys[key]
            del times[:i]

    def put(self, key: bytes, start: int, end: int, value: bytes | None) -> None:
        """Put the session ``[start, end]`` of ``key``; None removes it."""
        self._remove_expired()
        if end > self._observed:
            self._observed = end
        if end <= self._observed - self._retention:
            if value is not None:
                self.dropped_records += 1
                _log.warning("Skipping record for expired segment.")
            return
        by_key = self._ends.get(end)
        if value is None:
            if by_key is not None and key in by_key:
                sessions = by_key[key]
                if sessions.pop(start, None) is not None:
                    mine = self._keys[key]
                    del mine[(end, start)]
                    if not mine:
                        del self._keys[key]
                if not sessions:
                    del by_key[key]
                if not by_key:
                    del self._ends[end]
                    del self._times[bisect_left(self._times, end)]
            return
        if by_key is None:
            by_key = self._ends[end] = {}
            insort(self._times, end)
        by_key.setdefault(key, {})[start] = value
        self._keys.setdefault(key, {})[(end, start)] = value

    def remove(self, key: bytes, start: int, end: int) -> None:
        """Remove the session (a put of None)."""
        self.put(key, start, end, None)

    def fetch_session(self, key: bytes, start: int, end: int) -> bytes | None:
        """The value of exactly that session, or None."""
        self._remove_expired()
        if end < self._observed - self._retention + 1:
            return None
        return self._ends.get(end, {}).get(key, {}).get(start)

    def _collect(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int, latest_end: int,
                 latest_start: int) -> list[tuple[Windowed[bytes], bytes]]:
        self._remove_expired()
        out: list[tuple[Windowed[bytes], bytes]] = []
        if key_from is not None and key_from == key_to:  # one key: its own sessions, ordered by end then start
            mine = self._keys.get(key_from)
            if mine:
                for (end, start) in sorted(mine):
                    if earliest_end <= end <= latest_end and start <= latest_start:
                        out.append((Windowed(key_from, Window(start, end)), mine[(end, start)]))
            return out
        times = self._times
        for end in times[bisect_left(times, earliest_end):]:
            if end > latest_end:
                break
            by_key = self._ends[end]
            for key in sorted(by_key):
                if (key_from is not None and key < key_from) or (key_to is not None and key > key_to):
                    continue
                for start, value in sorted(by_key[key].items()):
                    if start <= latest_start:
                        out.append((Windowed(key, Window(start, end)), value))
        return out

    def find_sessions(self, key: bytes, earliest_end: int, latest_start: int) -> KeyValueIterator[
            Windowed[bytes], bytes]:
        """Sessions of ``key`` ending at or after ``earliest_end`` and starting at or before ``latest_start``."""
        earliest_end = max(earliest_end, self._observed - self._retention + 1)
        return ListKeyValueIterator(self._name, self._collect(key, key, earliest_end, _MAX, latest_start))

    def find_sessions_range(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                            latest_start: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """As :meth:`find_sessions` over a key range (None bounds are open)."""
        earliest_end = max(earliest_end, self._observed - self._retention + 1)
        return ListKeyValueIterator(self._name, self._collect(key_from, key_to, earliest_end, _MAX, latest_start))

    def find_sessions_ending(self, earliest_end: int, latest_end: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every session whose end is in ``[earliest_end, latest_end]``, expired ones not yet dropped included
        (what emit-on-window-close reads)."""
        return ListKeyValueIterator(self._name, self._collect(None, None, earliest_end, latest_end, _MAX))

    def __repr__(self) -> str:
        return f"InMemorySessionStore({self._name!r}, retention={self._retention})"


class ChangeLoggingSessionBytesStore(WrappedStateStore):
    """Logs every put/remove of a session bytes store under the binary session key (Kafka's
    ``ChangeLoggingSessionBytesStore``).

    Example::

        >>> ChangeLoggingSessionBytesStore(InMemorySessionStore("s", 10)).name
        's'
    """

    __slots__ = ("_log",)
    _inner: InMemorySessionStore

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Keep the context's ``log_change`` and initialise the inner store as logged."""
        self._log = context.log_change
        self._inner.init(LoggedRegistrationContext(context), root)

    def put(self, key: bytes, start: int, end: int, value: bytes | None) -> None:
        """Put, then log."""
        self._inner.put(key, start, end, value)
        self._log(self._inner.name, session_key_to_binary(key, start, end), value, None)

    def remove(self, key: bytes, start: int, end: int) -> None:
        """Remove, then log a tombstone."""
        self.put(key, start, end, None)

    def __getattr__(self, name: str) -> Any:  # reads delegate to the inner store
        return getattr(self._inner, name)


class MeteredSessionStore(MeteredStoreBase, Generic[K, V]):
    """The session store processors get (Kafka's ``MeteredSessionStore``): Python keys and values.

    Example::

        >>> MeteredSessionStore(InMemorySessionStore("s", 10)).name
        's'
    """

    __slots__ = ()

    def __init__(self, inner: Any, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None) -> None:
        super().__init__(inner, key_serde, value_serde)

    def put(self, session: Windowed[K], value: V | None) -> None:
        """Put the aggregate of ``session``; None removes it."""
        w = session.window
        self._inner.put(self._key_bytes(session.key), w.start, w.end, self._value_bytes(value))

    def remove(self, session: Windowed[K]) -> None:
        """Remove ``session``."""
        w = session.window
        self._inner.remove(self._key_bytes(session.key), w.start, w.end)

    def fetch_session(self, key: K, start: int, end: int) -> V | None:
        """The aggregate of exactly the session ``[start, end]`` of ``key``, or None."""
        vb = self._inner.fetch_session(self._key_bytes(key), start, end)
        return None if vb is None else self._value_from(vb)

    def _pair(self, wk: Windowed[bytes], vb: bytes) -> tuple[Windowed[K], V]:
        return Windowed(self._key_from(wk.key), wk.window), self._value_from(vb)

    def find_sessions(self, key: K, earliest_end: int, latest_start: int) -> KeyValueIterator[Windowed[K], V]:
        """Sessions of ``key`` ending at or after ``earliest_end`` and starting at or before ``latest_start``."""
        inner = self._inner.find_sessions(self._key_bytes(key), earliest_end, latest_start)
        return MappedKeyValueIterator(inner, self._pair)

    def find_sessions_ending(self, earliest_end: int, latest_end: int) -> KeyValueIterator[Windowed[K], V]:
        """Every session whose end is in ``[earliest_end, latest_end]``, by end then key."""
        if not self._open:
            raise self._not_open()
        return MappedKeyValueIterator(self._inner.find_sessions_ending(earliest_end, latest_end), self._pair)

    def fetch(self, key: K, key_to: K | None = None) -> KeyValueIterator[Windowed[K], V]:
        """Every session of ``key`` or, with ``key_to``, of the keys from ``key`` to ``key_to`` (inclusive, in
        key-bytes order), by session end."""
        if key_to is None:
            return self.find_sessions(key, 0, _MAX)
        inner = self._inner.find_sessions_range(self._key_bytes(key), self._key_bytes(key_to), 0, _MAX)
        return MappedKeyValueIterator(inner, self._pair)


@dataclass(frozen=True, slots=True)
class InMemorySessionBytesStoreSupplier:
    """Supplies :class:`InMemorySessionStore` (``Stores.in_memory_session_store``); retention in ms.

    Example::

        >>> InMemorySessionBytesStoreSupplier("s", 100).get().retention_period
        100
    """

    name: str
    retention_period: int

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of in-memory session stores."""
        return "in-memory-session"

    def get(self) -> InMemorySessionStore:
        """A new, empty store."""
        return InMemorySessionStore(self.name, self.retention_period)


class SessionStoreBuilder(_SerdeBuilder):
    """Builds :class:`MeteredSessionStore` stacks (``Stores.session_store_builder``).

    Example::

        >>> SessionStoreBuilder(InMemorySessionBytesStoreSupplier("s", 100), None, None).retention_period
        100
    """

    __slots__ = ("supplier",)

    def __init__(self, supplier: Any, key_serde: SerdeLike | None, value_serde: SerdeLike | None) -> None:
        if not callable(getattr(supplier, "get", None)) or not hasattr(supplier, "retention_period"):
            raise TopologyError(f"a session store builder needs a session store supplier, got {supplier!r}")
        super().__init__(supplier.name, key_serde, value_serde)
        self.supplier = supplier

    @property
    def retention_period(self) -> int:
        """The store's retention (ms)."""
        return int(self.supplier.retention_period)

    def build(self) -> MeteredSessionStore[Any, Any]:
        """metered(caching?(changelogging?(supplier.get())))."""
        inner: Any = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingSessionBytesStore(inner)
        if self._caching:
            from kstreams_nb.state.cache_windowed import CachingSessionBytesStore

            inner = CachingSessionBytesStore(inner)
        return MeteredSessionStore(inner, self.key_serde, self.value_serde)


class SessionWindowedSerde:
    """Serde of session-windowed keys (Kafka's ``SessionWindowedSerde``): ``inner(key) + end + start``.

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> serde = SessionWindowedSerde(Serdes.string())
        >>> str(serde.deserialize("t", serde.serialize("t", Windowed("k", Window(5, 9)))))
        '[k@5/9]'
    """

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        if not (callable(getattr(inner, "serialize", None)) and callable(getattr(inner, "deserialize", None))):
            raise TopologyError(f"the inner serde of a windowed serde needs serialize/deserialize, got {inner!r}")
        self.inner = inner

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        """``inner(key) + end + start`` (None for None)."""
        if data is None:
            return None
        if not isinstance(data, Windowed):
            raise SerializationError(f"a session-windowed serde takes Windowed keys, got {data!r:.80}", topic=topic)
        key_bytes = self.inner.serialize(topic, data.key)
        if key_bytes is None:
            raise SerializationError(f"the inner serde turned the windowed key {data} into null", topic=topic)
        return session_key_to_binary(bytes(key_bytes), data.window.start, data.window.end)

    def deserialize(self, topic: str | None, data: bytes | None) -> Windowed[Any] | None:
        """``Windowed(inner(key bytes), Window(start, end))`` (None for None)."""
        if data is None:
            return None
        key, start, end = session_key_from_binary(data)
        return Windowed(self.inner.deserialize(topic, key), Window(start, end))

    def serializer(self) -> SessionWindowedSerde:
        """This serde as a serializer."""
        return self

    def deserializer(self) -> SessionWindowedSerde:
        """This serde as a deserializer."""
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionWindowedSerde) and other.inner == self.inner

    def __hash__(self) -> int:
        return hash(id(self.inner))

    def __repr__(self) -> str:
        return f"SessionWindowedSerde({self.inner!r})"

