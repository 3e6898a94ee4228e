"""KTable processors: values flowing between table operators are ``Change(new, old)``.

``old`` is only filled when a downstream operator asked for old values (``send_old_values``), as in Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

__all__ = [
    "Change",
    "KTableFilterSupplier",
    "KTableMapValuesSupplier",
    "KTableSourceSupplier",
    "CacheFlushForwarder",
    "ToStream",
    "forward_on_flush",
    "materialize_kv",
]

log = logging.getLogger(__name__)
_new = tuple.__new__


class Change:
    """A table update: the new value and (when tracked) the old one (immutable by contract, compared by value)."""

    __slots__ = ("new", "old")

    def __init__(self, new: Any, old: Any = None) -> None:  # a plain class: one is made per table update
        self.new = new
        self.old = old

    def __eq__(self, other: object) -> bool:
        if type(other) is not Change:
            return NotImplemented
        return bool(self.new == other.new and self.old == other.old)

    def __hash__(self) -> int:
        return hash((self.new, self.old))

    def __repr__(self) -> str:
        return f"Change(new={self.new!r}, old={self.old!r})"

    def __str__(self) -> str:
        return f"({self.new}<-{self.old})"


def _value_or_none(value_and_timestamp: Any) -> Any:
    return value_and_timestamp.value if value_and_timestamp is not None else None


class CacheFlushForwarder:
    """Forwards the entries a caching store flushes as ``Change(new, old)`` from the processor that owns the
    store, with the write's headers and, for timestamped stores, the new value's timestamp (the write's for
    deletes; Kafka's ``TimestampedCacheFlushListener``), for session stores the session's end (Kafka's
    ``SessionCacheFlushListener``).

    Example::

        >>> CacheFlushForwarder(object()).node is None
        True
    """

    __slots__ = ("context", "node", "timestamped")

    def __init__(self, context: Any, timestamped: bool = True) -> None:
        self.context = context
        self.node = getattr(context, "current_node", None)
        self.timestamped = timestamped

    def __call__(self, key: Any, new: Any, old: Any, entry: Any) -> None:
        if self.timestamped:  # new and old: ValueAndTimestamp or None
            if new is None:
                change, ts = Change(None, None if old is None else old.value), entry.timestamp
            else:
                change, ts = Change(new.value, None if old is None else old.value), new.timestamp
            record = _new(Record, (key, change, ts, entry.headers))
        else:
            record = _new(Record, (key, Change(new, old), key.window.end, entry.headers))
        ctx = self.context
        previous = ctx.current_node
        ctx.current_node = self.node
        try:
            ctx.forward(record)
        finally:
            ctx.current_node = previous


def forward_on_flush(context: Any, store: Any, send_old_values: bool, timestamped: bool = True) -> bool:
    """When ``store`` caches, have its flushes forward the processor's updates and return True: the processor
    must then not forward them itself (Kafka's ``TimestampedTupleForwarder``). False otherwise.
    ``timestamped=False`` for session stores.

    Example::

        >>> forward_on_flush(None, None, False)
        False
    """
    if store is None:
        return False
    from kstreams_nb.state.cache_stores import set_flush_listener

    return set_flush_listener(store, CacheFlushForwarder(context, timestamped), send_old_values)


def materialize_kv(store_name: str, materialized: Any, key_serde: Any, value_serde: Any) -> Any:
    """A timestamped in-memory key-value store builder following ``materialized``'s options."""
    from kstreams_nb.state import Stores

    supplier = getattr(materialized, "supplier", None) or Stores.in_memory_key_value_store(store_name)
    builder = Stores.timestamped_key_value_store_builder(supplier, key_serde, value_serde)
    builder = (
        builder.with_logging_enabled(dict(materialized.log_config))
        if materialized.logging_enabled
        else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if materialized.caching_enabled else builder.with_caching_disabled()


class _TableSupplier:
    """Common flags of table processor suppliers, read when the topology is built."""

    def __init__(self, store_name: str | None, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name
        self.send_old_values = False
        #: the KTable this operator reads (asked for old values when this one must send them)
        self.parent: Any = None

    @property
    def materialized(self) -> bool:
        """True when this operator keeps its result in a store."""
        return self.queryable_name is not None

    def materialize(self) -> None:
        """Keep the result in the store (a downstream operator needs it)."""
        self.queryable_name = self.store_name

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        """Kafka's KTableProcessorSupplier.enableSendingOldValues: a materialized operator reads old values
        from its own store; otherwise the parent must send them. True when old values will be sent."""
        if self.queryable_name is not None:
            self.send_old_values = True
            return True
        if self.parent is not None and self.parent.enable_sending_old_values(force_materialization):
            self.send_old_values = True
        return self.send_old_values


def warn_skipped_record(
    context: Any, what: str, end: str = "", unknown: str = "Topic, partition, and offset not known."
) -> None:
    """Log ``what`` with the record's position, worded as Kafka's KTableSource does."""
    md = getattr(context, "record_metadata", None)
    if md is not None:
        log.warning("%s topic=[%s] partition=[%s] offset=[%s]%s", what, md.topic, md.partition, md.offset, end)
    else:
        log.warning("%s %s", what, unknown)


class KTableSourceSupplier(_TableSupplier):
    """Supplier of the KTABLE-SOURCE / KSTREAM-TOTABLE processor."""

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Send old values; a source must be materialized for that (it reads them from its store)."""
        self.send_old_values = True
        self.queryable_name = self.store_name
        return True

    def __call__(self) -> Processor:
        return _TableSource(self)


class _TableProcessor(Processor):
    """A table operator's processor: its supplier's settings, and its store when materialized."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.store: Any = None
        #: the store caches: its flushes forward the updates
        self.cached = False

    def init(self, context: Any) -> None:
        super().init(context)
        if self.spec.materialized:
            self.store = context.get_state_store(self.spec.store_name)
            self.cached = forward_on_flush(context, self.store, self.spec.send_old_values)


class _TableSource(_TableProcessor):
    spec: KTableSourceSupplier

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            warn_skipped_record(self.context, "Skipping record due to null key.")
            return
        store = self.store
        if store is None:
            self.context.forward(record.with_value(Change(record.value, None)))
            return
        old_vt = store.get(key)
        old = None
        if old_vt is not None:
            old = old_vt.value
            if record.timestamp < old_vt.timestamp:
                warn_skipped_record(
                    self.context,
                    f"Detected out-of-order KTable update for {store.name}, old timestamp=[{old_vt.timestamp}] "
                    f"new timestamp=[{record.timestamp}].",
                    ".",
                    "Topic, partition and offset not known.",
                )
        store.put(key, record.value, record.timestamp)
        if not self.cached:
            self.context.forward(record.with_value(Change(record.value, old if self.spec.send_old_values else None)))


class KTableFilterSupplier(_TableSupplier):
    """Supplier of KTABLE-FILTER: a filtered-out update becomes a tombstone."""

    def __init__(
        self, predicate: Callable[[Any, Any], Any], negate: bool, store_name: str | None, queryable: str | None
    ) -> None:
        super().__init__(store_name, queryable)
        self.predicate = predicate
        self.negate = negate

    def __call__(self) -> Processor:
        return _TableFilter(self)


class _TableFilter(_TableProcessor):
    spec: KTableFilterSupplier

    def _compute(self, key: Any, value: Any) -> Any:
        if value is not None and bool(self.spec.predicate(key, value)) is not self.spec.negate:
            return value
        return None

    def process(self, record: Record) -> None:
        change: Change = record.value
        key = record.key
        new = self._compute(key, change.new)
        send_old = self.spec.send_old_values
        store = self.store
        old = None
        if send_old:  # a materialized filter reads the old value from its own store
            old = _value_or_none(store.get(key)) if store is not None else self._compute(key, change.old)
        if send_old and old is None and new is None:
            return
        if store is not None:
            store.put(key, new, record.timestamp)
        if not self.cached:
            self.context.forward(record.with_value(Change(new, old)))


class KTableMapValuesSupplier(_TableSupplier):
    """Supplier of KTABLE-MAPVALUES."""

    def __init__(self, mapper: Callable[[Any, Any], Any], store_name: str | None, queryable: str | None) -> None:
        super().__init__(store_name, queryable)
        self.mapper = mapper

    def __call__(self) -> Processor:
        return _TableMapValues(self)


class _TableMapValues(_TableProcessor):
    spec: KTableMapValuesSupplier

    def process(self, record: Record) -> None:
        change: Change = record.value
        mapper = self.spec.mapper
        key = record.key
        store = self.store
        new = mapper(key, change.new) if change.new is not None else None
        old = None
        if self.spec.send_old_values:  # a materialized operator reads the old value from its own store
            if store is not None:
                old = _value_or_none(store.get(key))
            elif change.old is not None:
                old = mapper(key, change.old)
        if store is not None:
            store.put(key, new, record.timestamp)
        if not self.cached:
            self.context.forward(record.with_value(Change(new, old)))


class ToStream(Processor):
    """KTABLE-TOSTREAM: forwards each update's new value (None for deletes), optionally re-mapped."""

    def __init__(self, mapper: Callable[[Any, Any], Any] | None = None) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        new = record.value.new
        if self.mapper is not None:
            self.context.forward(record.with_key(self.mapper(record.key, new)).with_value(new))
        else:
            self.context.forward(record.with_value(new))

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        if type(self).process is not ToStream.process:
            return None
        return ("to_stream", None) if self.mapper is None else ("to_stream_rekey", self.mapper)
