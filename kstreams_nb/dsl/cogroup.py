"""Cogrouped streams: several grouped streams folded into one aggregate per key (Kafka's CogroupedKStream).

``grouped.cogroup(aggregator)`` starts a :class:`CogroupedKStream`; ``.cogroup(other_grouped, other_aggregator)``
adds inputs (each with its own aggregator, all folding into the same aggregate type), and ``.aggregate(initializer)``
builds the table. ``.windowed_by(TimeWindows | SlidingWindows | SessionWindows)`` aggregates per window or
session instead.

The topology is Kafka's CogroupedStreamAggregateBuilder: the store name first (``COGROUPKSTREAM-AGGREGATE-STATE-
STORE-…`` unless ``Materialized.as_``), then one repartition per grouped stream whose key changed upstream (named
after its ``Grouped`` name, else after the store; created once per cogrouped stream, though names are burnt at
every aggregation), then one aggregate processor per input (``COGROUPKSTREAM-AGGREGATE-…``, or
``<named>-cogroup-agg-<i>``) all sharing the store, and a ``COGROUPKSTREAM-MERGE-…`` (``<named>-cogroup-merge``)
pass-through the table comes out of. The per-input processors are the usual stream aggregation processors.

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> b = StreamsBuilder()
    >>> views = b.stream("views").group_by_key()
    >>> clicks = b.stream("clicks").group_by_key()
    >>> totals = (views.cogroup(lambda key, value, agg: agg + 1)
    ...                .cogroup(clicks, lambda key, value, agg: agg + 10)
    ...                .aggregate(lambda: 0))
    >>> totals.name
    'COGROUPKSTREAM-MERGE-0000000005'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

from kstreams_nb.dsl._graph import GraphNode, RepartitionGraphNode
from kstreams_nb.dsl._signatures import named_and_materialized
from kstreams_nb.dsl.aggregate import StreamAggregateSupplier
from kstreams_nb.dsl.kstream import _check_callable, _name
from kstreams_nb.dsl.ktable import KTable, TableProcessorGraphNode
from kstreams_nb.dsl.options import Materialized, Named
from kstreams_nb.dsl.session_aggregate import SessionWindowAggregateSupplier
from kstreams_nb.dsl.stateless import PassThrough
from kstreams_nb.dsl.table import materialize_kv
from kstreams_nb.dsl.window_aggregate import WindowAggregateSupplier
from kstreams_nb.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
from kstreams_nb.dsl.windows import EmitStrategy, SessionWindows, SlidingWindows, TimeWindowedSerde, TimeWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor

if TYPE_CHECKING:
    from kstreams_nb.dsl.grouped import KGroupedStream
    from kstreams_nb.topology._builder import InternalTopologyBuilder

__all__ = ["CogroupedKStream", "SessionWindowedCogroupedKStream", "TimeWindowedCogroupedKStream"]

AGGREGATE_NAME = "COGROUPKSTREAM-AGGREGATE-"
MERGE_NAME = "COGROUPKSTREAM-MERGE-"

Aggregator = Callable[[Any, Any, Any], Any]


def _suffixed(name: str | None, suffix: str, builder: Any, prefix: str) -> str:
    """Kafka's ``NamedInternal.suffixWithOrElseGet``: ``name + suffix`` or a generated name (a number is burnt
    either way)."""
    generated: str = builder.new_processor_name(prefix)
    return name + suffix if name is not None else generated


class CogroupMergeSupplier:
    """Kafka's KTablePassThrough: the merge of a cogroup's aggregate processors; the table they update is read
    from their shared store, and old values are asked of every one of them."""

    def __init__(self, parents: Sequence[Any], store_name: str, windows: Any = None) -> None:
        self.parents = list(parents)
        self.store_name = store_name
        self.materialized = True
        #: the time windows the table's keys carry (None for key-value and session aggregations)
        self.windows = windows

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Ask every input's aggregate processor to forward old values (they are always materialized)."""
        for parent in self.parents:
            enable = getattr(parent, "enable_sending_old_values", None)
            if callable(enable):
                enable()
            else:
                parent.send_old_values = True
        return True

    def value_getter_supplier(self) -> Any:
        """Lookups of the shared store (Kafka's KTablePassThrough view)."""
        own = getattr(self.parents[0], "value_getter_supplier", None)
        if callable(own):
            return own()
        if isinstance(self.parents[0], StreamAggregateSupplier):
            from kstreams_nb.dsl.join_stream_table import StoreValueGetter

            return StoreValueGetter(self.store_name)
        raise TopologyError(
            f"looking up a time-windowed cogroup table (store {self.store_name}) is not supported: "
            "read it with to_stream() instead"
        )

    def __call__(self) -> Processor:
        return PassThrough()


class _CogroupMergeNode(TableProcessorGraphNode):
    """The merge processor; it also records that the cogrouped inputs must be co-partitioned."""

    def __init__(self, name: str, parents: Sequence[GraphNode], supplier: Any, copartition: list[str]) -> None:
        super().__init__(name, parents, supplier, None)
        self.copartition = copartition

    def write(self, tb: InternalTopologyBuilder) -> None:
        super().write(tb)
        if len(self.copartition) > 1:
            tb.copartition(self.copartition)


class CogroupedKStream:
    """Grouped streams aggregated together: each input folds its records into one aggregate per key with its
    own ``aggregator(key, value, agg)``.

    Like Kafka's, ``cogroup`` adds to this object and returns it (cogrouping a grouped stream again replaces its
    aggregator).

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> a = b.stream("a").group_by_key()
        >>> c = b.stream("c").group_by_key()
        >>> both = a.cogroup(lambda k, v, agg: agg + v).cogroup(c, lambda k, v, agg: agg - v)
        >>> both.aggregate(lambda: 0).to_stream().to("balance")
    """

    def __init__(self, grouped: KGroupedStream, aggregator: Aggregator) -> None:
        self._builder = grouped._builder
        self._patterns: dict[KGroupedStream, Aggregator] = {}
        #: the node each input's aggregate processor hangs off, kept across aggregations (Kafka's parentNodes)
        self._parents: dict[KGroupedStream, GraphNode] = {}
        self.cogroup(grouped, aggregator)

    def cogroup(self, grouped: KGroupedStream, aggregator: Aggregator) -> CogroupedKStream:
        """Add ``grouped``, folded into the aggregate with ``aggregator(key, value, agg)``; returns this stream."""
        from kstreams_nb.dsl.grouped import KGroupedStream

        if not isinstance(grouped, KGroupedStream):
            raise TopologyError(
                f"cogroup() takes a KGroupedStream (stream.group_by_key() or group_by(...)), got "
                f"{type(grouped).__name__}"
            )
        if grouped._builder is not self._builder:
            raise TopologyError("cogroup() takes grouped streams of the same StreamsBuilder")
        _check_callable(aggregator, "cogroup's aggregator", "(key, value, agg) -> agg")
        self._patterns[grouped] = aggregator
        return self

    def aggregate(
        self,
        initializer: Callable[[], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """The table of aggregates per key, each starting from ``initializer()``."""
        named, m, store_name = _prepare(self, initializer, named, materialized)
        store = materialize_kv(store_name, m, m.key_serde, m.value_serde)
        return self._build(
            store_name, named, store,
            lambda aggregator: StreamAggregateSupplier(store_name, initializer, aggregator),
            m, m.key_serde, None,
        )

    @overload
    def windowed_by(self, windows: SessionWindows) -> SessionWindowedCogroupedKStream: ...
    @overload
    def windowed_by(self, windows: TimeWindows | SlidingWindows) -> TimeWindowedCogroupedKStream: ...
    def windowed_by(
        self, windows: TimeWindows | SlidingWindows | SessionWindows
    ) -> TimeWindowedCogroupedKStream | SessionWindowedCogroupedKStream:
        """Aggregate per time window (``TimeWindows`` or ``SlidingWindows``) or per session of activity
        (``SessionWindows``)."""
        if isinstance(windows, SessionWindows):
            return SessionWindowedCogroupedKStream(self, windows)
        if isinstance(windows, (TimeWindows, SlidingWindows)):
            return TimeWindowedCogroupedKStream(self, windows)
        raise TopologyError(
            "cogroup's windowed_by() takes TimeWindows, SlidingWindows or SessionWindows, "
            f"got {type(windows).__name__}"
        )

    def _repartitioned_parents(self, store_name: str) -> list[str]:
        """Kafka's processRepartitions: one repartition per input whose key changed (names burnt at every call,
        the node made once); returns the source topics that must be co-partitioned."""
        from kstreams_nb.dsl.join_stream_table import source_topics

        b = self._builder
        for grouped in self._patterns:
            if not grouped._repartition_required:
                self._parents[grouped] = grouped._node
                continue
            topic, sink, filt, source = b.repartition_names(grouped._repartition_name or store_name)
            if grouped not in self._parents:
                node = RepartitionGraphNode(
                    [grouped._node], topic=topic, filter_name=filt, sink_name=sink, source_name=source,
                    key_serde=grouped.key_serde, value_serde=grouped.value_serde,
                )
                b.add(node)
                self._parents[grouped] = node
        topics: list[str] = []
        for grouped in self._parents:
            topics.extend(t for t in source_topics(grouped._node) if t not in topics)
        return topics

    def _build(
        self,
        store_name: str,
        named: Named | str | None,
        store_builder: Any,
        make_supplier: Callable[[Aggregator], Any],
        m: Materialized,
        table_key_serde: Any,
        windows: Any,
    ) -> KTable:
        """Kafka's CogroupedStreamAggregateBuilder.build: repartitions, one aggregate per input, the merge."""
        b = self._builder
        copartition = self._repartitioned_parents(store_name)
        given = _name(named)
        nodes: list[GraphNode] = []
        suppliers: list[Any] = []
        for i, (grouped, aggregator) in enumerate(self._patterns.items()):
            name = _suffixed(given, f"-cogroup-agg-{i}", b, AGGREGATE_NAME)
            supplier = make_supplier(aggregator)
            node = TableProcessorGraphNode(name, [self._parents[grouped]], supplier, store_builder if i == 0 else None)
            if i > 0:
                node.store_names.append(store_name)
            b.add(node)
            nodes.append(node)
            suppliers.append(supplier)
        merge_name = _suffixed(given, "-cogroup-merge", b, MERGE_NAME)
        merge = _CogroupMergeNode(merge_name, nodes, CogroupMergeSupplier(suppliers, store_name, windows), copartition)
        b.add(merge)
        return KTable(b, merge, table_key_serde, m.value_serde, m.store_name)

    def __repr__(self) -> str:
        return f"<CogroupedKStream {', '.join(g._node.name for g in self._patterns)}>"


def _prepare(
    cogrouped: CogroupedKStream, initializer: Any, named: Any, materialized: Any
) -> tuple[Named | str | None, Materialized, str]:
    """An aggregation's checked arguments and its store name (given, else generated: Kafka's MaterializedInternal
    names the store before anything else)."""
    named, materialized = named_and_materialized(named, materialized)
    _check_callable(initializer, "aggregate's initializer", "() -> agg")
    m = materialized or Materialized()
    return named, m, m.store_name or cogrouped._builder.new_store_name(AGGREGATE_NAME)


class TimeWindowedCogroupedKStream:
    """A cogrouped stream cut into time windows (``cogrouped.windowed_by(TimeWindows)``) or sliding windows
    (``windowed_by(SlidingWindows)``, Kafka's SlidingWindowedCogroupedKStreamImpl): the table is keyed by
    ``Windowed(key, Window(start, end))``.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> from kstreams_nb.dsl.windows import TimeWindows
        >>> b = StreamsBuilder()
        >>> a, c = b.stream("a").group_by_key(), b.stream("c").group_by_key()
        >>> per_minute = (a.cogroup(lambda k, v, agg: agg + v).cogroup(c, lambda k, v, agg: agg - v)
        ...               .windowed_by(TimeWindows.of_size_with_no_grace(60_000)).aggregate(lambda: 0))
        >>> per_minute.to_stream().to("balance-per-minute")
    """

    def __init__(self, cogrouped: CogroupedKStream, windows: TimeWindows | SlidingWindows) -> None:
        self._cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self,
        initializer: Callable[[], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """The table of aggregates per key and window, each window starting from ``initializer()``."""
        cogrouped, windows = self._cogrouped, self.windows
        named, m, store_name = _prepare(cogrouped, initializer, named, materialized)
        update = EmitStrategy.on_window_update()
        if isinstance(windows, SlidingWindows):
            return self._sliding(windows, store_name, named, m, initializer, update)
        first = next(iter(cogrouped._patterns))
        store = TimeWindowedKStream(first, windows)._store_builder(store_name, m, m.key_serde, m.value_serde)
        return cogrouped._build(
            store_name, named, store,
            lambda aggregator: WindowAggregateSupplier(windows, store_name, update, initializer, aggregator),
            m, TimeWindowedSerde(m.key_serde, windows.size_ms) if m.key_serde is not None else None, windows,
        )

    def _sliding(
        self, windows: SlidingWindows, store_name: str, named: Named | str | None, m: Materialized,
        initializer: Callable[[], Any], update: EmitStrategy,
    ) -> KTable:
        from kstreams_nb.dsl.sliding_aggregate import SlidingWindowAggregateSupplier, sliding_window_store

        store = sliding_window_store(windows, update, store_name, m, m.key_serde, m.value_serde)
        key_serde = TimeWindowedSerde(m.key_serde, windows.time_difference_ms) if m.key_serde is not None else None
        return self._cogrouped._build(
            store_name, named, store,
            lambda aggregator: SlidingWindowAggregateSupplier(windows, store_name, update, initializer, aggregator),
            m, key_serde, windows,
        )

    def __repr__(self) -> str:
        return f"<TimeWindowedCogroupedKStream {self.windows}>"


class SessionWindowedCogroupedKStream:
    """A cogrouped stream cut into sessions of activity (``cogrouped.windowed_by(SessionWindows)``): the table is
    keyed by ``Windowed(key, Window(start, end))``; ``merger(key, agg1, agg2)`` combines sessions a record bridges.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> from kstreams_nb.dsl.windows import SessionWindows
        >>> b = StreamsBuilder()
        >>> a, c = b.stream("a").group_by_key(), b.stream("c").group_by_key()
        >>> sessions = (a.cogroup(lambda k, v, agg: agg + 1).cogroup(c, lambda k, v, agg: agg + 1)
        ...             .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(30_000))
        ...             .aggregate(lambda: 0, lambda k, agg1, agg2: agg1 + agg2))
        >>> sessions.to_stream().to("activity")
    """

    def __init__(self, cogrouped: CogroupedKStream, windows: SessionWindows) -> None:
        self._cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self,
        initializer: Callable[[], Any],
        merger: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """The table of aggregates per key and session, each session starting from ``initializer()``."""
        from kstreams_nb.state.session import SessionWindowedSerde

        _check_callable(merger, "aggregate's merger", "(key, agg1, agg2) -> agg")
        cogrouped, windows = self._cogrouped, self.windows
        named, m, store_name = _prepare(cogrouped, initializer, named, materialized)
        first = next(iter(cogrouped._patterns))
        store = SessionWindowedKStream(first, windows)._store_builder(store_name, m, m.key_serde, m.value_serde)
        update = EmitStrategy.on_window_update()
        return cogrouped._build(
            store_name, named, store,
            lambda aggregator: SessionWindowAggregateSupplier(
                windows, store_name, update, initializer, aggregator, merger),
            m, SessionWindowedSerde(m.key_serde) if m.key_serde is not None else None, None,
        )

    def __repr__(self) -> str:
        return f"<SessionWindowedCogroupedKStream {self.windows}>"

