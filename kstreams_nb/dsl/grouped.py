"""Grouped streams and tables: the entry to aggregations (count, reduce, aggregate, windowed_by)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams_nb.dsl._graph import GraphNode, InternalStreamsBuilder, RepartitionGraphNode
from kstreams_nb.dsl.aggregate import (
    StreamAggregateSupplier,
    StreamReduceSupplier,
    count_aggregator,
    count_initializer,
)
from kstreams_nb.dsl.kstream import _check_callable, _name
from kstreams_nb.dsl.ktable import KTable, TableProcessorGraphNode
from kstreams_nb.dsl.options import Materialized, Named
from kstreams_nb.dsl.table import materialize_kv
from kstreams_nb.serdes import Serdes

__all__ = ["KGroupedStream"]


class KGroupedStream:
    """A stream grouped by key; aggregations return KTables.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> counts = b.stream("words").group_by_key().count()
        >>> counts.to_stream().to("counts")
    """

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        node: GraphNode,
        key_serde: Any,
        value_serde: Any,
        repartition_required: bool,
        repartition_name: str | None,
    ) -> None:
        self._builder = builder
        self._node = node
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._repartition_required = repartition_required
        self._repartition_name = repartition_name
        self._repartition_node: RepartitionGraphNode | None = None

    def _source_for(self, store_name: str) -> GraphNode:
        """The node an aggregation hangs off: a repartition when the key changed upstream."""
        if not self._repartition_required:
            return self._node
        prefix = self._repartition_name or store_name
        topic, sink, filt, source = self._builder.repartition_names(prefix)
        if self._repartition_node is not None and self._repartition_name is not None:
            return self._repartition_node  # a user-named repartition is shared by later aggregations
        node = RepartitionGraphNode(
            [self._node], topic=topic, filter_name=filt, sink_name=sink, source_name=source,
            key_serde=self.key_serde, value_serde=self.value_serde,
        )
        self._builder.add(node)
        self._repartition_node = node
        return node

    def _aggregate(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized | None,
        make_supplier: Callable[[str], Any],
        value_serde: Any,
    ) -> KTable:
        m = materialized or Materialized()
        store_name = m.store_name or self._builder.new_store_name(prefix)
        key_serde = m.key_serde if m.key_serde is not None else self.key_serde
        value_serde = m.value_serde if m.value_serde is not None else value_serde
        name = self._builder.name_or_generate(_name(named), prefix)
        parent = self._source_for(store_name)
        supplier = make_supplier(store_name)
        node = TableProcessorGraphNode(name, [parent], supplier, materialize_kv(store_name, m, key_serde, value_serde))
        self._builder.add(node)
        return KTable(self._builder, node, key_serde, value_serde, store_name if m.store_name else None)

    def count(self, named: Named | str | None = None, materialized: Materialized | None = None) -> KTable:
        """The number of records per key."""
        return self._aggregate(
            "KSTREAM-AGGREGATE-", named, materialized,
            lambda store: StreamAggregateSupplier(store, count_initializer, count_aggregator), Serdes.long(),
        )

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine values per key with ``reducer(agg, value)``; the first value starts the aggregate."""
        _check_callable(reducer, "reduce's reducer", "(agg, value) -> agg")
        return self._aggregate(
            "KSTREAM-REDUCE-", named, materialized, lambda store: StreamReduceSupplier(store, reducer),
            self.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Fold values per key: ``aggregator(key, value, agg)`` starting from ``initializer()``."""
        _check_callable(initializer, "aggregate's initializer", "() -> agg")
        _check_callable(aggregator, "aggregate's aggregator", "(key, value, agg) -> agg")
        return self._aggregate(
            "KSTREAM-AGGREGATE-", named, materialized,
            lambda store: StreamAggregateSupplier(store, initializer, aggregator), None,
        )

    def windowed_by(self, windows: Any) -> Any:
        """Aggregate per time window (``TimeWindows``); returns a TimeWindowedKStream."""
        from kstreams_nb.dsl.windowed import TimeWindowedKStream

        return TimeWindowedKStream(self, windows)

    def __repr__(self) -> str:
        return f"<KGroupedStream {self._node.name}>"
