"""Grouped streams and tables: the entry to aggregations (count, reduce, aggregate, windowed_by)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from kstreams_nb.dsl._graph import GraphNode, InternalStreamsBuilder, ProcessorGraphNode, RepartitionGraphNode
from kstreams_nb.dsl._signatures import named_and_materialized
from kstreams_nb.dsl.aggregate import (
    StreamAggregateSupplier,
    count_aggregator,
    count_initializer,
    reduce_supplier,
)
from kstreams_nb.dsl.kstream import _check_callable, _name
from kstreams_nb.dsl.ktable import KTable, TableProcessorGraphNode
from kstreams_nb.dsl.options import Grouped, Materialized, Named
from kstreams_nb.dsl.table import materialize_kv
from kstreams_nb.dsl.table_aggregate import (
    GroupedTableRepartitionNode,
    KTableAggregateSupplier,
    KTableReduceSupplier,
    KTableRepartitionMapSupplier,
    count_subtractor,
)
from kstreams_nb.serdes import Serdes

if TYPE_CHECKING:
    from kstreams_nb.dsl.cogroup import CogroupedKStream
    from kstreams_nb.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
    from kstreams_nb.dsl.windows import SessionWindows, SlidingWindows, TimeWindows

__all__ = ["KGroupedStream", "KGroupedTable"]


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
        named, materialized = named_and_materialized(named, materialized)
        if materialized is not None and materialized.store_name is None:
            # Kafka's count(Materialized) burns a store name for compatibility before generating the real one
            self._builder.new_store_name("KSTREAM-AGGREGATE-")
        return self._aggregate(
            "KSTREAM-AGGREGATE-", named, materialized,
            lambda store: StreamAggregateSupplier(store, count_initializer, count_aggregator), Serdes.long(),
        )

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine values per key with ``reducer(agg, value)``; the first value starts the aggregate."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(reducer, "reduce's reducer", "(agg, value) -> agg")
        return self._aggregate(
            "KSTREAM-REDUCE-", named, materialized, lambda store: reduce_supplier(store, reducer),
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
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(initializer, "aggregate's initializer", "() -> agg")
        _check_callable(aggregator, "aggregate's aggregator", "(key, value, agg) -> agg")
        return self._aggregate(
            "KSTREAM-AGGREGATE-", named, materialized,
            lambda store: StreamAggregateSupplier(store, initializer, aggregator), None,
        )

    def cogroup(self, aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        """Start aggregating this stream together with other grouped streams: ``aggregator(key, value, agg)``
        folds this stream's records; add others with ``.cogroup(grouped, aggregator)``, then ``.aggregate(...)``.
        """
        from kstreams_nb.dsl.cogroup import CogroupedKStream

        return CogroupedKStream(self, aggregator)

    @overload
    def windowed_by(self, windows: SessionWindows) -> SessionWindowedKStream: ...
    @overload
    def windowed_by(self, windows: TimeWindows | SlidingWindows) -> TimeWindowedKStream: ...
    def windowed_by(
        self, windows: TimeWindows | SlidingWindows | SessionWindows
    ) -> TimeWindowedKStream | SessionWindowedKStream:
        """Aggregate per time window (``TimeWindows`` or ``SlidingWindows``: a TimeWindowedKStream) or per session
        of activity (``SessionWindows``: a SessionWindowedKStream)."""
        from kstreams_nb.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
        from kstreams_nb.dsl.windows import SessionWindows

        if isinstance(windows, SessionWindows):
            return SessionWindowedKStream(self, windows)
        return TimeWindowedKStream(self, windows)

    def __repr__(self) -> str:
        return f"<KGroupedStream {self._node.name}>"


class KGroupedTable:
    """A table re-grouped by ``KTable.group_by``; aggregations subtract a row's old value and add its new one.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> users = b.table("user-regions")                      # user -> region
        >>> per_region = users.group_by(lambda user, region: (region, user)).count()
        >>> per_region.to_stream().to("users-per-region")
    """

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        node: GraphNode,
        key_serde: Any,
        value_serde: Any,
        repartition_name: str | None,
    ) -> None:
        self._builder = builder
        self._node = node
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._repartition_name = repartition_name
        self._repartition_node: GroupedTableRepartitionNode | None = None

    @classmethod
    def from_table(cls, table: KTable, selector: Callable[[Any, Any], Any], grouped: Grouped) -> KGroupedTable:
        """``table.group_by(selector, grouped)``: a KTABLE-SELECT processor, old values enabled upstream."""
        builder = table._builder
        name = builder.name_or_generate(grouped.name, "KTABLE-SELECT-")
        node = ProcessorGraphNode(name, [table._node], KTableRepartitionMapSupplier(selector))
        node.key_changing = True
        builder.add(node)
        table.enable_sending_old_values(True)
        return cls(builder, node, grouped.key_serde, grouped.value_serde, grouped.name)

    def _aggregate(
        self,
        prefix: str,
        named: Named | str | None,
        m: Materialized,
        make_supplier: Callable[[str], Any],
        key_serde: Any,
        value_serde: Any,
    ) -> KTable:
        b = self._builder
        given = _name(named)
        store_name = m.store_name or b.new_store_name("KTABLE-AGGREGATE-")
        sink = b.new_processor_name("KSTREAM-SINK-")
        source = b.new_processor_name("KSTREAM-SOURCE-")
        if given is not None:
            sink, source = f"{given}-sink", f"{given}-source"
        name = b.name_or_generate(given, prefix)
        topic = f"{self._repartition_name or store_name}-repartition"
        if self._repartition_node is None or self._repartition_name is None:
            self._repartition_node = GroupedTableRepartitionNode(
                [self._node], topic=topic, sink_name=sink, source_name=source,
                key_serde=self.key_serde, value_serde=self.value_serde,
            )
            b.add(self._repartition_node)
            select = getattr(self._node, "supplier", None)
            if isinstance(select, KTableRepartitionMapSupplier):
                select.serdes.append(self._repartition_node.value_serde)
        repartition = self._repartition_node
        supplier = make_supplier(store_name)
        supplier.serde = repartition.value_serde
        store = materialize_kv(store_name, m, key_serde, value_serde)
        node = TableProcessorGraphNode(name, [repartition], supplier, store)
        b.add(node)
        return KTable(b, node, key_serde, value_serde, store_name if m.store_name else None)

    def count(self, named: Named | str | None = None, materialized: Materialized | None = None) -> KTable:
        """The number of rows per group (a changed row moves from its old group to its new one)."""
        named, materialized = named_and_materialized(named, materialized)
        m = materialized or Materialized()
        return self._aggregate(
            "KTABLE-AGGREGATE-", named, m,
            lambda store: KTableAggregateSupplier(store, count_initializer, count_aggregator, count_subtractor),
            m.key_serde if m.key_serde is not None else self.key_serde,
            m.value_serde if m.value_serde is not None else Serdes.long(),
        )

    def reduce(
        self,
        adder: Callable[[Any, Any], Any],
        subtractor: Callable[[Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine values per group: ``adder(agg, new_value)``, ``subtractor(agg, old_value)``."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(adder, "reduce's adder", "(agg, value) -> agg")
        _check_callable(subtractor, "reduce's subtractor", "(agg, value) -> agg")
        m = materialized or Materialized()
        return self._aggregate(
            "KTABLE-REDUCE-", named, m, lambda store: KTableReduceSupplier(store, adder, subtractor),
            m.key_serde if m.key_serde is not None else self.key_serde,
            m.value_serde if m.value_serde is not None else self.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Fold values per group: ``adder(key, new_value, agg)``, ``subtractor(key, old_value, agg)``."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(initializer, "aggregate's initializer", "() -> agg")
        _check_callable(adder, "aggregate's adder", "(key, value, agg) -> agg")
        _check_callable(subtractor, "aggregate's subtractor", "(key, value, agg) -> agg")
        m = materialized or Materialized()
        return self._aggregate(
            "KTABLE-AGGREGATE-", named, m,
            lambda store: KTableAggregateSupplier(store, initializer, adder, subtractor),
            m.key_serde if m.key_serde is not None else self.key_serde, m.value_serde,
        )

    def __repr__(self) -> str:
        return f"<KGroupedTable {self._node.name}>"
