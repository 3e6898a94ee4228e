"""KTable processors: values flowing between table operators are ``Change(new, old)``.

``old`` is only filled when a downstream operator asked for old values (``send_old_values``), as in Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

__all__ = [
    "Change",
    "KTableFilterSupplier",
    "KTableMapValuesSupplier",
    "KTableSourceSupplier",
    "ToStream",
    "materialize_kv",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """A table update: the new value and (when tracked) the old one."""

    new: Any
    old: Any = None

    def __str__(self) -> str:
        return f"({self.new}<-{self.old})"


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

    @property
    def materialized(self) -> bool:
        """True when this operator keeps its result in a store."""
        return self.queryable_name is not None

    def materialize(self) -> None:
        """Keep the result in the store (a downstream operator needs it)."""
        self.queryable_name = self.store_name


class KTableSourceSupplier(_TableSupplier):
    """Supplier of the KTABLE-SOURCE / KSTREAM-TOTABLE processor."""

    def __call__(self) -> Processor:
        return _TableSource(self)


class _TableSource(Processor):
    def __init__(self, spec: KTableSourceSupplier) -> None:
        self.spec = spec
        self.store: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        if self.spec.materialized:
            self.store = context.get_state_store(self.spec.store_name)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            log.warning("Skipping record due to null key. topic=%s", getattr(self.context, "topic", None))
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
                log.warning(
                    "Detected out-of-order KTable update for %s, old timestamp=[%s] new timestamp=[%s].",
                    store.name, old_vt.timestamp, record.timestamp,
                )
        store.put(key, record.value, record.timestamp)
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


class _TableFilter(Processor):
    def __init__(self, spec: KTableFilterSupplier) -> None:
        self.spec = spec
        self.store: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        if self.spec.materialized:
            self.store = context.get_state_store(self.spec.store_name)

    def _compute(self, key: Any, value: Any) -> Any:
        if value is not None and bool(self.spec.predicate(key, value)) is not self.spec.negate:
            return value
        return None

    def process(self, record: Record) -> None:
        change: Change = record.value
        new = self._compute(record.key, change.new)
        send_old = self.spec.send_old_values
        old = self._compute(record.key, change.old) if send_old else None
        if send_old and old is None and new is None:
            return
        if self.store is not None:
            self.store.put(record.key, new, record.timestamp)
        self.context.forward(record.with_value(Change(new, old)))


class KTableMapValuesSupplier(_TableSupplier):
    """Supplier of KTABLE-MAPVALUES."""

    def __init__(self, mapper: Callable[[Any, Any], Any], store_name: str | None, queryable: str | None) -> None:
        super().__init__(store_name, queryable)
        self.mapper = mapper

    def __call__(self) -> Processor:
        return _TableMapValues(self)


class _TableMapValues(Processor):
    def __init__(self, spec: KTableMapValuesSupplier) -> None:
        self.spec = spec
        self.store: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        if self.spec.materialized:
            self.store = context.get_state_store(self.spec.store_name)

    def process(self, record: Record) -> None:
        change: Change = record.value
        mapper = self.spec.mapper
        new = mapper(record.key, change.new) if change.new is not None else None
        old = None
        if self.spec.send_old_values and change.old is not None:
            old = mapper(record.key, change.old)
        if self.store is not None:
            self.store.put(record.key, new, record.timestamp)
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
