"""State stores: the ``Stores`` factory, store protocols, in-memory stores, changelogging and metered layers.

A store stack is built like Kafka's: an inner in-memory store on bytes, a changelogging layer (when logging is
enabled, the default) that sends every write to ``<application.id>-<store>-changelog``, and a metered layer that
turns Python keys and values into bytes with serdes. Processors get the metered store from their context.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> builder = Stores.key_value_store_builder(
    ...     Stores.in_memory_key_value_store("counts"), Serdes.string(), Serdes.long())
    >>> store = builder.build()          # the engine calls store.init(context, store)
    >>> type(store).__name__, builder.logging_enabled
    ('MeteredKeyValueStore', True)
"""

from __future__ import annotations

from kstreams_nb.state._api import (
    KeyValueBytesStore,
    RestoreCallback,
    RestoreRecord,
    SerdeLike,
    StateStore,
    StateStoreContext,
    ValueAndTimestamp,
    ValueAndTimestampSerde,
    WindowBytesStore,
    WrappedStateStore,
    changelog_topic_name,
)
from kstreams_nb.state._iterators import KeyValueIterator
from kstreams_nb.state.builders import (
    KeyValueStoreBuilder,
    StoreBuilder,
    Stores,
    TimestampedKeyValueStoreBuilder,
    TimestampedWindowStoreBuilder,
    WindowStoreBuilder,
)
from kstreams_nb.state.logging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
    ChangeLoggingTimestampedWindowBytesStore,
    ChangeLoggingWindowBytesStore,
)
from kstreams_nb.state.memory import InMemoryKeyValueStore, MemoryLRUCache
from kstreams_nb.state.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from kstreams_nb.state.metered_window import MeteredTimestampedWindowStore, MeteredWindowStore
from kstreams_nb.state.readonly import ReadOnlyKeyValueStore, ReadOnlyWindowStore, read_only_view
from kstreams_nb.state.suppliers import (
    InMemoryKeyValueBytesStoreSupplier,
    InMemoryWindowBytesStoreSupplier,
    KeyValueBytesStoreSupplier,
    LruMapBytesStoreSupplier,
    PersistentKeyValueBytesStoreSupplier,
    PersistentWindowBytesStoreSupplier,
    WindowBytesStoreSupplier,
)
from kstreams_nb.state.window import InMemoryWindowStore

#: The object-level store types processors receive (Kafka's interface names).
KeyValueStore = MeteredKeyValueStore
TimestampedKeyValueStore = MeteredTimestampedKeyValueStore
WindowStore = MeteredWindowStore
TimestampedWindowStore = MeteredTimestampedWindowStore

__all__ = [
    "ChangeLoggingKeyValueBytesStore",
    "ChangeLoggingTimestampedKeyValueBytesStore",
    "ChangeLoggingTimestampedWindowBytesStore",
    "ChangeLoggingWindowBytesStore",
    "InMemoryKeyValueBytesStoreSupplier",
    "InMemoryKeyValueStore",
    "InMemoryWindowBytesStoreSupplier",
    "InMemoryWindowStore",
    "KeyValueBytesStore",
    "KeyValueBytesStoreSupplier",
    "KeyValueIterator",
    "KeyValueStore",
    "KeyValueStoreBuilder",
    "LruMapBytesStoreSupplier",
    "MemoryLRUCache",
    "MeteredKeyValueStore",
    "MeteredTimestampedKeyValueStore",
    "MeteredTimestampedWindowStore",
    "MeteredWindowStore",
    "PersistentKeyValueBytesStoreSupplier",
    "PersistentWindowBytesStoreSupplier",
    "ReadOnlyKeyValueStore",
    "ReadOnlyWindowStore",
    "read_only_view",
    "RestoreCallback",
    "RestoreRecord",
    "SerdeLike",
    "StateStore",
    "StateStoreContext",
    "StoreBuilder",
    "Stores",
    "TimestampedKeyValueStore",
    "TimestampedKeyValueStoreBuilder",
    "TimestampedWindowStore",
    "TimestampedWindowStoreBuilder",
    "ValueAndTimestamp",
    "ValueAndTimestampSerde",
    "WindowBytesStore",
    "WindowBytesStoreSupplier",
    "WindowStore",
    "WindowStoreBuilder",
    "WrappedStateStore",
    "changelog_topic_name",
]
