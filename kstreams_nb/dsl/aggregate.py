"""Stream aggregation processors (Kafka's KStreamAggregate / KStreamReduce) on timestamped key-value stores.

Records with a null key or a null value are dropped (and counted); the output timestamp is the max of the
record's and the previous aggregate's; updates are forwarded as ``Change(new, old)``, where a key's first ``old``
is the initializer's aggregate (``aggregate``/``count``) or None (``reduce``), as in Kafka.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams_nb.dsl.table import Change, forward_on_flush, warn_skipped_record
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

__all__ = ["StreamAggregateSupplier", "reduce_supplier", "count_aggregator", "count_initializer"]


def count_initializer() -> int:
    """``count()``'s initializer."""
    return 0


def count_aggregator(key: Any, value: Any, agg: int) -> int:
    """``count()``'s aggregator."""
    return agg + 1


class StreamAggregateSupplier:
    """Supplier of KSTREAM-AGGREGATE: ``initializer() -> agg`` and ``aggregator(key, value, agg) -> agg``.

    ``reduce`` is the same processor with the first value as the first aggregate (see :func:`reduce_supplier`).
    """

    def __init__(
        self,
        store_name: str,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name = store_name
        #: None: the first value is the first aggregate (reduce)
        self.initializer = initializer
        self.aggregator = aggregator
        self.send_old_values = False
        self.materialized = True

    def __call__(self) -> Processor:
        return _StreamAggregate(self)


def reduce_supplier(store_name: str, reducer: Callable[[Any, Any], Any]) -> StreamAggregateSupplier:
    """Supplier of KSTREAM-REDUCE: ``reducer(agg, value) -> agg``; the first value is the first aggregate."""
    return StreamAggregateSupplier(store_name, None, lambda _key, value, agg: reducer(agg, value))


class _StreamAggregate(Processor):
    def __init__(self, spec: StreamAggregateSupplier) -> None:
        self.spec = spec

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.spec.store_name)
        self.dropped = 0
        #: the store caches: its flushes forward the updates (Kafka's TimestampedTupleForwarder)
        self.cached = forward_on_flush(context, self.store, self.spec.send_old_values)

    def process(self, record: Record) -> None:
        key, value, ts = record[0], record[1], record[2]  # Record is a tuple: (key, value, timestamp, headers)
        if key is None or value is None:
            self.dropped += 1
            warn_skipped_record(self.context, "Skipping record due to null key or value.")
            return
        spec, store = self.spec, self.store
        old_vt = store.get(key)
        if old_vt is None or old_vt.value is None:
            if spec.initializer is None:  # reduce: the first value is the aggregate, there is no old one
                old = None
                new = value
            else:  # Kafka's KStreamAggregate forwards the initial aggregate as the old value
                old = spec.initializer()
                new = spec.aggregator(key, value, old)
        else:
            old = old_vt.value
            if old_vt.timestamp > ts:
                ts = old_vt.timestamp
            new = spec.aggregator(key, value, old)
        store.put(key, new, ts)
        if self.cached:
            return
        self.context.forward(Record._unchecked(key, Change(new, old if spec.send_old_values else None), ts,
                                               record.headers))
