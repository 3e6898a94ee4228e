"""``Stores``: store suppliers (what holds the bytes) and store builders (serdes, changelogging, caching),
as in Kafka's ``Stores.java``.

A supplier's ``get()`` returns a NEW inner bytes store; a builder's ``build()`` returns a NEW store stack each
time: metered (objects <-> bytes) over changelogging (when logging is enabled, the default) over the supplier's
store. Builders are immutable: ``with_*`` methods return new builders.

The ``persistent_*`` suppliers give RocksDB stores under ``<state.dir>/<application.id>/<task id>/rocksdb/<store>``
when the optional ``rocksdict`` package is installed, else in-memory stores that rebuild their state from the
changelog (see :mod:`kstreams_nb.state.suppliers`).

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), Serdes.string(), Serdes.long())
    >>> b2 = b.with_logging_disabled().with_caching_enabled()
    >>> (b.logging_enabled, b.caching_enabled), (b2.logging_enabled, b2.caching_enabled)
    ((True, False), (False, True))
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from kstreams_nb._time import to_millis
from kstreams_nb.errors import TopologyError
from kstreams_nb.state._api import KeyValueBytesStore, SerdeLike, WindowBytesStore
from kstreams_nb.state.logging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
    ChangeLoggingTimestampedWindowBytesStore,
    ChangeLoggingWindowBytesStore,
)
from kstreams_nb.state.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from kstreams_nb.state.metered_window import MeteredTimestampedWindowStore, MeteredWindowStore
from kstreams_nb.state.suppliers import (
    InMemoryKeyValueBytesStoreSupplier,
    InMemoryWindowBytesStoreSupplier,
    KeyValueBytesStoreSupplier,
    LruMapBytesStoreSupplier,
    PersistentKeyValueBytesStoreSupplier,
    PersistentWindowBytesStoreSupplier,
    WindowBytesStoreSupplier,
)

if TYPE_CHECKING:
    from kstreams_nb.state.session import InMemorySessionBytesStoreSupplier, SessionStoreBuilder

__all__ = [
    "KeyValueStoreBuilder",
    "StoreBuilder",
    "Stores",
    "TimestampedKeyValueStoreBuilder",
    "TimestampedWindowStoreBuilder",
    "WindowStoreBuilder",
]

_B = TypeVar("_B", bound="StoreBuilder")


class StoreBuilder:
    """Builds store stacks (Kafka's ``StoreBuilder``): ``name``, logging (on by default) and caching flags, and
    ``build()``. ``with_*`` methods return a new builder; the one you hold never changes.

    With caching enabled, ``build()`` puts a caching layer (:mod:`kstreams_nb.state.cache_stores`) under the
    metered one; it caches only when the task has a record cache (``statestore.cache.max.bytes`` > 0).

    Example::

        >>> b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"))
        >>> b.with_logging_enabled({"retention.ms": "1000"}).log_config, b.log_config
        ({'retention.ms': '1000'}, {})
    """

    __slots__ = ("_caching", "_log_config", "_logging", "_name")

    def __init__(self, name: str) -> None:
        self._name = _check_name(name)
        self._logging = True
        self._log_config: Mapping[str, str] = MappingProxyType({})
        self._caching = False

    def _with(self: _B, **changes: Any) -> _B:
        new = copy.copy(self)
        for attr, value in changes.items():
            object.__setattr__(new, attr, value)
        return new

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def logging_enabled(self) -> bool:
        """Whether built stores write a changelog (topic ``<application.id>-<name>-changelog``)."""
        return self._logging

    @property
    def log_config(self) -> dict[str, str]:
        """Extra configs for the changelog topic (a copy)."""
        return dict(self._log_config)

    @property
    def caching_enabled(self) -> bool:
        """Whether built stores have a caching layer."""
        return self._caching

    def with_logging_enabled(self: _B, config: Mapping[str, str] | None = None) -> _B:
        """A builder with logging on, ``config`` merged into the changelog topic configs."""
        merged = {**self._log_config, **(config or {})}
        return self._with(_logging=True, _log_config=MappingProxyType(merged))

    def with_logging_disabled(self: _B) -> _B:
        """A builder whose stores write no changelog (their state is lost on restart)."""
        return self._with(_logging=False, _log_config=MappingProxyType({}))

    def with_caching_enabled(self: _B) -> _B:
        """A builder whose stores cache writes until a commit or an eviction (Kafka's record cache)."""
        return self._with(_caching=True)

    def with_caching_disabled(self: _B) -> _B:
        """A builder whose stores write through at once."""
        return self._with(_caching=False)

    def build(self) -> Any:
        """A new store stack."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self._name!r}, logging_enabled={self._logging}, "
            f"log_config={dict(self._log_config)}, caching_enabled={self._caching})"
        )


class _SerdeBuilder(StoreBuilder):
    __slots__ = ("key_serde", "value_serde")

    def __init__(self, name: str, key_serde: SerdeLike | None, value_serde: SerdeLike | None) -> None:
        super().__init__(name)
        self.key_serde = key_serde
        self.value_serde = value_serde


class KeyValueStoreBuilder(_SerdeBuilder):
    """Builds :class:`MeteredKeyValueStore` stacks (``Stores.key_value_store_builder``).

    Example::

        >>> b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"))
        >>> b.build() is not b.build()
        True
    """

    __slots__ = ("supplier",)

    def __init__(
        self, supplier: KeyValueBytesStoreSupplier, key_serde: SerdeLike | None, value_serde: SerdeLike | None
    ) -> None:
        super().__init__(supplier.name, key_serde, value_serde)
        self.supplier = supplier

    def build(self) -> MeteredKeyValueStore[Any, Any]:
        """metered(caching?(changelogging?(supplier.get())))."""
        inner: KeyValueBytesStore = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingKeyValueBytesStore(inner)
        if self._caching:
            inner = _caching_kv(inner)
        return MeteredKeyValueStore(inner, self.key_serde, self.value_serde)


class TimestampedKeyValueStoreBuilder(KeyValueStoreBuilder):
    """Builds :class:`MeteredTimestampedKeyValueStore` stacks (``Stores.timestamped_key_value_store_builder``).

    Example::

        >>> Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("s")).name
        's'
    """

    __slots__ = ()

    def build(self) -> MeteredTimestampedKeyValueStore[Any, Any]:
        """metered-timestamped(caching?(changelogging-timestamped?(supplier.get())))."""
        inner: KeyValueBytesStore = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingTimestampedKeyValueBytesStore(inner)
        if self._caching:
            inner = _caching_kv(inner)
        return MeteredTimestampedKeyValueStore(inner, self.key_serde, self.value_serde)


class WindowStoreBuilder(_SerdeBuilder):
    """Builds :class:`MeteredWindowStore` stacks (``Stores.window_store_builder``). A store that retains
    duplicates gets ``cleanup.policy=delete`` for its changelog and never caches (as in Kafka).

    Example::

        >>> b = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10, True))
        >>> b.log_config, b.with_caching_enabled().caching_enabled, b.retention_period
        ({'cleanup.policy': 'delete'}, False, 100)
    """

    __slots__ = ("supplier",)

    def __init__(
        self, supplier: WindowBytesStoreSupplier, key_serde: SerdeLike | None, value_serde: SerdeLike | None
    ) -> None:
        super().__init__(supplier.name, key_serde, value_serde)
        self.supplier = supplier
        if supplier.retain_duplicates:
            self._log_config = MappingProxyType({"cleanup.policy": "delete"})

    @property
    def retention_period(self) -> int:
        """The store's retention (ms); the changelog keeps records this long plus
        ``windowstore.changelog.additional.retention.ms``."""
        return self.supplier.retention_period

    @property
    def window_size(self) -> int:
        """The window size (ms)."""
        return self.supplier.window_size

    @property
    def retain_duplicates(self) -> bool:
        """Whether every put is kept."""
        return self.supplier.retain_duplicates

    @property
    def caching_enabled(self) -> bool:
        """The caching flag; always False for stores that retain duplicates."""
        return self._caching and not self.supplier.retain_duplicates

    def build(self) -> MeteredWindowStore[Any, Any]:
        """metered(caching?(changelogging?(supplier.get())))."""
        inner: WindowBytesStore = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingWindowBytesStore(inner)
        if self.caching_enabled:
            inner = _caching_window(inner)
        return MeteredWindowStore(inner, self.key_serde, self.value_serde)


class TimestampedWindowStoreBuilder(WindowStoreBuilder):
    """Builds :class:`MeteredTimestampedWindowStore` stacks (``Stores.timestamped_window_store_builder``).

    Example::

        >>> Stores.timestamped_window_store_builder(Stores.in_memory_window_store("w", 100, 10, False)).name
        'w'
    """

    __slots__ = ()

    def build(self) -> MeteredTimestampedWindowStore[Any, Any]:
        """metered-timestamped(caching?(changelogging-timestamped?(supplier.get())))."""
        inner: WindowBytesStore = self.supplier.get()
        if self._logging:
            inner = ChangeLoggingTimestampedWindowBytesStore(inner)
        if self.caching_enabled:
            inner = _caching_window(inner)
        return MeteredTimestampedWindowStore(inner, self.key_serde, self.value_serde)


def _caching_kv(inner: KeyValueBytesStore) -> KeyValueBytesStore:
    from kstreams_nb.state.cache_stores import CachingKeyValueBytesStore

    return CachingKeyValueBytesStore(inner)


def _caching_window(inner: WindowBytesStore) -> WindowBytesStore:
    from kstreams_nb.state.cache_windowed import CachingWindowBytesStore

    return CachingWindowBytesStore(inner)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise TopologyError(f"a store name must be a non-empty str, got {name!r}")
    return name


def _window_params(name: str, retention_period: int | timedelta, window_size: int | timedelta) -> tuple[int, int]:
    retention = to_millis(retention_period, "retention_period")
    size = to_millis(window_size, "window_size")
    if retention < 0:
        raise TopologyError("retention_period cannot be negative")
    if size < 0:
        raise TopologyError("window_size cannot be negative")
    if size > retention:
        raise TopologyError(
            f"The retention period of the window store {name} must be no smaller than its window size. "
            f"Got size=[{size}], retention=[{retention}]"
        )
    return retention, size


class Stores:
    """Factories for store suppliers and builders (Kafka's ``Stores``, snake_cased). Durations are timedelta or
    int ms.

    Example::

        >>> s = Stores.in_memory_key_value_store("s")
        >>> s.name, s.metrics_scope, type(s.get()).__name__
        ('s', 'in-memory', 'InMemoryKeyValueStore')
    """

    @staticmethod
    def in_memory_key_value_store(name: str) -> InMemoryKeyValueBytesStoreSupplier:
        """An in-memory key-value store supplier."""
        return InMemoryKeyValueBytesStoreSupplier(_check_name(name))

    @staticmethod
    def persistent_key_value_store(name: str) -> PersistentKeyValueBytesStoreSupplier:
        """Kafka's persistent key-value store: RocksDB with ``rocksdict`` installed, else in memory."""
        return PersistentKeyValueBytesStoreSupplier(_check_name(name))

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> PersistentKeyValueBytesStoreSupplier:
        """Kafka's persistent timestamped key-value store (use a timestamped builder); RocksDB or in memory."""
        return PersistentKeyValueBytesStoreSupplier(_check_name(name), timestamped=True)

    @staticmethod
    def lru_map(name: str, max_cache_size: int) -> LruMapBytesStoreSupplier:
        """An in-memory store keeping the ``max_cache_size`` most recently used keys."""
        if max_cache_size < 0:
            raise TopologyError("max_cache_size cannot be negative")
        return LruMapBytesStoreSupplier(_check_name(name), max_cache_size)

    @staticmethod
    def in_memory_window_store(
        name: str, retention_period: int | timedelta, window_size: int | timedelta, retain_duplicates: bool
    ) -> InMemoryWindowBytesStoreSupplier:
        """An in-memory window store supplier (``window_size <= retention_period``)."""
        retention, size = _window_params(_check_name(name), retention_period, window_size)
        return InMemoryWindowBytesStoreSupplier(name, retention, size, retain_duplicates)

    @staticmethod
    def persistent_window_store(
        name: str, retention_period: int | timedelta, window_size: int | timedelta, retain_duplicates: bool
    ) -> PersistentWindowBytesStoreSupplier:
        """Kafka's persistent window store: RocksDB with ``rocksdict`` installed, else in memory."""
        retention, size = _window_params(_check_name(name), retention_period, window_size)
        return PersistentWindowBytesStoreSupplier(name, retention, size, retain_duplicates, max(retention // 2, 60_000))

    @staticmethod
    def persistent_timestamped_window_store(
        name: str, retention_period: int | timedelta, window_size: int | timedelta, retain_duplicates: bool
    ) -> PersistentWindowBytesStoreSupplier:
        """Kafka's persistent timestamped window store (use a timestamped builder); RocksDB or in memory."""
        retention, size = _window_params(_check_name(name), retention_period, window_size)
        segment = max(retention // 2, 60_000)
        return PersistentWindowBytesStoreSupplier(name, retention, size, retain_duplicates, segment, timestamped=True)

    @staticmethod
    def in_memory_session_store(name: str, retention_period: int | timedelta) -> InMemorySessionBytesStoreSupplier:
        """An in-memory session store supplier (``retention_period`` >= 0, ms or timedelta)."""
        from kstreams_nb.state.session import InMemorySessionBytesStoreSupplier

        retention = _window_params(_check_name(name), retention_period, 0)[0]
        return InMemorySessionBytesStoreSupplier(name, retention)

    @staticmethod
    def session_store_builder(
        supplier: InMemorySessionBytesStoreSupplier, key_serde: SerdeLike | None = None,
        value_serde: SerdeLike | None = None,
    ) -> SessionStoreBuilder:
        """A builder of session stores (``Windowed`` keys, plain values)."""
        from kstreams_nb.state.session import SessionStoreBuilder

        return SessionStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> KeyValueStoreBuilder:
        """A builder of key-value stores; None serdes come from the app's defaults at init."""
        return KeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> TimestampedKeyValueStoreBuilder:
        """A builder of timestamped key-value stores (values are ValueAndTimestamp)."""
        return TimestampedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def window_store_builder(
        supplier: WindowBytesStoreSupplier, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> WindowStoreBuilder:
        """A builder of window stores."""
        return WindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_window_store_builder(
        supplier: WindowBytesStoreSupplier, key_serde: SerdeLike | None = None, value_serde: SerdeLike | None = None
    ) -> TimestampedWindowStoreBuilder:
        """A builder of timestamped window stores (values are ValueAndTimestamp)."""
        return TimestampedWindowStoreBuilder(supplier, key_serde, value_serde)
