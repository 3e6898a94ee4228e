"""Store suppliers: each ``get()`` returns a NEW inner bytes store (Kafka's ``*BytesStoreSupplier`` classes).
Get them from :class:`~kstreams_nb.state.Stores`.

The ``Persistent*`` suppliers give RocksDB stores (:mod:`kstreams_nb.state.rocksdb`) when the optional
``rocksdict`` package is installed (``pip install kstreams-nb[rocksdb]``), and in-memory stores that rebuild their
state from the changelog otherwise (``persistent`` is then False; logged once at INFO). The ``notebook`` extra does
not install ``rocksdict``, so notebooks keep their state in memory unless it is installed.

Example::

    >>> s = InMemoryKeyValueBytesStoreSupplier("s")
    >>> s.get() is not s.get(), s.metrics_scope
    (True, 'in-memory')
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from kstreams_nb.state._api import KeyValueBytesStore, WindowBytesStore
from kstreams_nb.state.memory import InMemoryKeyValueStore, MemoryLRUCache
from kstreams_nb.state.rocksdb import RocksDBKeyValueStore, rocksdb_available
from kstreams_nb.state.rocksdb_window import RocksDBWindowStore
from kstreams_nb.state.window import InMemoryWindowStore

__all__ = [
    "InMemoryKeyValueBytesStoreSupplier",
    "InMemoryWindowBytesStoreSupplier",
    "KeyValueBytesStoreSupplier",
    "LruMapBytesStoreSupplier",
    "PersistentKeyValueBytesStoreSupplier",
    "PersistentWindowBytesStoreSupplier",
    "WindowBytesStoreSupplier",
]

_log = logging.getLogger(__name__)
_fallback_logged = False


def _persistent() -> bool:
    """Whether ``persistent_*`` stores go to RocksDB; logs the in-memory fallback once."""
    global _fallback_logged
    if rocksdb_available():
        return True
    if not _fallback_logged:
        _fallback_logged = True
        _log.info(
            "rocksdict is not installed: persistent stores keep their data in memory and are restored from their "
            "changelogs on every start (pip install 'kstreams-nb[rocksdb]' for RocksDB stores)"
        )
    return False


class KeyValueBytesStoreSupplier(Protocol):
    """Supplies key-value bytes stores: ``name``, ``get()`` (a new store each call), ``metrics_scope``.

    Example::

        >>> s: KeyValueBytesStoreSupplier = InMemoryKeyValueBytesStoreSupplier("s")
        >>> s.get().name
        's'
    """

    @property
    def name(self) -> str: ...
    @property
    def metrics_scope(self) -> str: ...
    def get(self) -> KeyValueBytesStore: ...


class WindowBytesStoreSupplier(Protocol):
    """Supplies window bytes stores; also says their retention, window size and whether they keep duplicates.

    Example::

        >>> s: WindowBytesStoreSupplier = InMemoryWindowBytesStoreSupplier("w", 100, 10, False)
        >>> s.get().window_size
        10
    """

    @property
    def name(self) -> str: ...
    @property
    def metrics_scope(self) -> str: ...
    @property
    def retention_period(self) -> int: ...
    @property
    def window_size(self) -> int: ...
    @property
    def retain_duplicates(self) -> bool: ...
    @property
    def segment_interval_ms(self) -> int: ...
    def get(self) -> WindowBytesStore: ...


@dataclass(frozen=True, slots=True)
class InMemoryKeyValueBytesStoreSupplier:
    """Supplies :class:`InMemoryKeyValueStore` (``Stores.in_memory_key_value_store``).

    Example::

        >>> type(InMemoryKeyValueBytesStoreSupplier("s").get()).__name__
        'InMemoryKeyValueStore'
    """

    name: str

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of in-memory key-value stores."""
        return "in-memory"

    def get(self) -> InMemoryKeyValueStore:
        """A new, empty store."""
        return InMemoryKeyValueStore(self.name)


@dataclass(frozen=True, slots=True)
class PersistentKeyValueBytesStoreSupplier:
    """``Stores.persistent_key_value_store``: a RocksDB store, or an in-memory one without ``rocksdict``.

    Example::

        >>> PersistentKeyValueBytesStoreSupplier("p").metrics_scope
        'rocksdb'
    """

    name: str
    timestamped: bool = False

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of RocksDB key-value stores."""
        return "rocksdb"

    def get(self) -> RocksDBKeyValueStore | InMemoryKeyValueStore:
        """A new store (a RocksDB store opens its data when the engine initialises it)."""
        return RocksDBKeyValueStore(self.name) if _persistent() else InMemoryKeyValueStore(self.name)


@dataclass(frozen=True, slots=True)
class LruMapBytesStoreSupplier:
    """Supplies :class:`MemoryLRUCache` stores (``Stores.lru_map``).

    Example::

        >>> LruMapBytesStoreSupplier("l", 3).get().max_cache_size
        3
    """

    name: str
    max_cache_size: int

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of LRU maps."""
        return "in-memory-lru"

    def get(self) -> MemoryLRUCache:
        """A new, empty LRU map."""
        return MemoryLRUCache(self.name, self.max_cache_size)


@dataclass(frozen=True, slots=True)
class InMemoryWindowBytesStoreSupplier:
    """Supplies :class:`InMemoryWindowStore` (``Stores.in_memory_window_store``); durations in ms.

    Example::

        >>> InMemoryWindowBytesStoreSupplier("w", 100, 10, True).get().retain_duplicates
        True
    """

    name: str
    retention_period: int
    window_size: int
    retain_duplicates: bool

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of in-memory window stores."""
        return "in-memory-window"

    @property
    def segment_interval_ms(self) -> int:
        """1: the in-memory store is not really segmented (as in Kafka)."""
        return 1

    def get(self) -> InMemoryWindowStore:
        """A new, empty store."""
        return InMemoryWindowStore(self.name, self.retention_period, self.window_size, self.retain_duplicates)


@dataclass(frozen=True, slots=True)
class PersistentWindowBytesStoreSupplier:
    """``Stores.persistent_window_store``: a RocksDB store, or an in-memory one without ``rocksdict``.

    Example::

        >>> PersistentWindowBytesStoreSupplier("w", 100, 10, False, 60_000).get().window_size
        10
    """

    name: str
    retention_period: int
    window_size: int
    retain_duplicates: bool
    segment_interval_ms: int
    timestamped: bool = False

    @property
    def metrics_scope(self) -> str:
        """Kafka's metrics scope of RocksDB window stores."""
        return "rocksdb-window"

    def get(self) -> RocksDBWindowStore | InMemoryWindowStore:
        """A new store (a RocksDB store opens its data when the engine initialises it)."""
        store = RocksDBWindowStore if _persistent() else InMemoryWindowStore
        return store(self.name, self.retention_period, self.window_size, self.retain_duplicates)
