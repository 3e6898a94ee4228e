"""Store suppliers: each ``get()`` returns a NEW inner bytes store (Kafka's ``*BytesStoreSupplier`` classes).
Get them from :class:`~kstreams_nb.state.Stores`.

Every store of this library keeps its data in memory. The ``Persistent*`` suppliers keep Kafka's API and metrics
scopes but supply in-memory stores that rebuild their state from the changelog (``persistent`` is False).

Example::

    >>> s = InMemoryKeyValueBytesStoreSupplier("s")
    >>> s.get() is not s.get(), s.metrics_scope
    (True, 'in-memory')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kstreams_nb.state._api import KeyValueBytesStore, WindowBytesStore
from kstreams_nb.state.memory import InMemoryKeyValueStore, MemoryLRUCache
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
    """``Stores.persistent_key_value_store``: Kafka's RocksDB API, backed by memory (see the module docs).

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

    def get(self) -> InMemoryKeyValueStore:
        """A new, empty store."""
        return InMemoryKeyValueStore(self.name)


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
    """``Stores.persistent_window_store``: Kafka's RocksDB API, backed by memory (see the module docs).

    Example::

        >>> PersistentWindowBytesStoreSupplier("w", 100, 10, False, 60_000).get().persistent
        False
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

    def get(self) -> InMemoryWindowStore:
        """A new, empty store."""
        return InMemoryWindowStore(self.name, self.retention_period, self.window_size, self.retain_duplicates)
