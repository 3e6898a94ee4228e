"""TimeWindowedKStream: ``KGroupedStream.windowed_by(TimeWindows)``; its aggregations return windowed KTables.

The result is a KTable keyed by ``Windowed(key, Window(start, end))``, kept in a timestamped window store whose
retention is ``Materialized.with_retention(...)`` or, by default, window size + grace. Names follow Kafka's
TimeWindowedKStreamImpl: the store name (``KSTREAM-AGGREGATE-STATE-STORE-…`` unless ``Materialized.as_``), then
the processor name, then the repartition topic's three nodes when the key changed upstream.

When the grouped stream's key serde is known, the table's key serde is a :class:`TimeWindowedSerde` wrapping it
(as Kafka's ``FullTimeWindowedSerde``); otherwise it is left to the default serde (JSON writes a Windowed key
as ``{"key": ..., "window": {"start": ..., "end": ...}}``).

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> from kstreams_nb.dsl.windows import TimeWindows
    >>> b = StreamsBuilder()
    >>> counts = b.stream("clicks").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(60_000)).count()
    >>> counts.name, counts.queryable_store_name()
    ('KSTREAM-AGGREGATE-0000000002', None)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl._signatures import named_and_materialized
from kstreams_nb.dsl.aggregate import count_aggregator, count_initializer
from kstreams_nb.dsl.kstream import _check_callable, _name
from kstreams_nb.dsl.ktable import KTable, TableProcessorGraphNode
from kstreams_nb.dsl.options import Materialized, Named
from kstreams_nb.dsl.session_aggregate import SessionWindowAggregateSupplier
from kstreams_nb.dsl.window_aggregate import WindowAggregateSupplier
from kstreams_nb.dsl.windows import (
    EmitStrategy,
    SessionWindows,
    SlidingWindows,
    StrategyType,
    TimeWindowedSerde,
    TimeWindows,
)
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes

if TYPE_CHECKING:
    from kstreams_nb.dsl.grouped import KGroupedStream

__all__ = ["SessionWindowedKStream", "TimeWindowedKStream"]

_AGGREGATE = "KSTREAM-AGGREGATE-"
_REDUCE = "KSTREAM-REDUCE-"


def _reduce_initializer() -> Any:
    return None


class _ReduceAggregator:
    """Kafka's ``aggregatorForReducer``: the first value starts the aggregate, later ones are reduced into it."""

    __slots__ = ("reducer",)

    def __init__(self, reducer: Callable[[Any, Any], Any]) -> None:
        self.reducer = reducer

    def __call__(self, key: Any, value: Any, aggregate: Any) -> Any:
        return value if aggregate is None else self.reducer(aggregate, value)


def _check_emit_strategy(emit_strategy: Any) -> None:
    if not isinstance(emit_strategy, EmitStrategy):
        raise TopologyError(
            f"emit_strategy takes EmitStrategy.on_window_update() or EmitStrategy.on_window_close(), "
            f"got {emit_strategy!r}"
        )


def _with_materialized_flags(builder: Any, m: Materialized) -> Any:
    """``builder`` with Materialized's logging (and log config) and caching choices."""
    builder = (
        builder.with_logging_enabled(dict(m.log_config)) if m.logging_enabled else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if m.caching_enabled else builder.with_caching_disabled()


def _windowed_table(
    grouped: Any,
    prefix: str,
    named: Named | str | None,
    materialized: Materialized | None,
    default_value_serde: Any,
    store_builder: Callable[[str, Materialized, Any, Any], Any],
    supplier: Callable[[str], Any],
    table_key_serde: Callable[[Any], Any],
) -> KTable:
    """The windowed KSTREAM-AGGREGATE / KSTREAM-REDUCE node of a time- or session-windowed stream: the store named
    before the processor (Kafka's numbering), serdes from Materialized else the grouping, the result table keyed by
    windowed keys."""
    builder = grouped._builder
    m = materialized or Materialized()
    store_name = m.store_name or builder.new_store_name(prefix)
    key_serde = m.key_serde if m.key_serde is not None else grouped.key_serde
    value_serde = m.value_serde if m.value_serde is not None else default_value_serde
    name = builder.name_or_generate(_name(named), prefix)
    stores = store_builder(store_name, m, key_serde, value_serde)
    processor = supplier(store_name)
    node = TableProcessorGraphNode(name, [grouped._source_for(store_name)], processor, stores)
    builder.add(node)
    return KTable(builder, node, table_key_serde(key_serde) if key_serde is not None else None, value_serde,
                  m.store_name)


class TimeWindowedKStream:
    """A grouped stream cut into time windows; ``count``, ``reduce`` and ``aggregate`` run per key and window.

    ``windowed_by(TimeWindows)`` gives fixed windows aligned to the epoch; ``windowed_by(SlidingWindows)`` gives
    sliding windows (Kafka's SlidingWindowedKStreamImpl: see :mod:`kstreams_nb.dsl.sliding_aggregate`), keyed by
    ``Windowed(key, Window(start, start + time difference))``.

    Example::

        >>> from datetime import timedelta
        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> from kstreams_nb.dsl.windows import EmitStrategy, TimeWindows
        >>> b = StreamsBuilder()
        >>> windowed = b.stream("in").group_by_key().windowed_by(
        ...     TimeWindows.of_size_and_grace(timedelta(minutes=10), timedelta(minutes=1)))
        >>> final = windowed.emit_strategy(EmitStrategy.on_window_close()).count()
        >>> final.to_stream().to("counts")
    """

    def __init__(
        self, grouped: KGroupedStream, windows: TimeWindows | SlidingWindows,
        emit_strategy: EmitStrategy | None = None,
    ) -> None:
        if not isinstance(windows, (TimeWindows, SlidingWindows)):
            raise TopologyError(
                "TimeWindowedKStream takes TimeWindows or SlidingWindows (windowed_by() also takes SessionWindows), "
                f"got {type(windows).__name__}"
            )
        self._grouped = grouped
        self.windows = windows
        self._emit_strategy = emit_strategy or EmitStrategy.on_window_update()

    def emit_strategy(self, emit_strategy: EmitStrategy) -> TimeWindowedKStream:
        """A copy emitting with ``emit_strategy`` (on every update, the default, or once per closed window)."""
        _check_emit_strategy(emit_strategy)
        return TimeWindowedKStream(self._grouped, self.windows, emit_strategy)

    def count(self, named: Named | str | None = None, materialized: Materialized | None = None) -> KTable:
        """The number of records per key and window (records with a null key are dropped)."""
        named, materialized = named_and_materialized(named, materialized)
        if materialized is not None and materialized.store_name is None and isinstance(self.windows, TimeWindows):
            # Kafka burns a name here for topology compatibility (TimeWindowedKStreamImpl.count; not sliding)
            self._grouped._builder.new_store_name(_AGGREGATE)
        return self._build(_AGGREGATE, named, materialized, count_initializer, count_aggregator, Serdes.long())

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine values per key and window with ``reducer(agg, value)``; the first value starts each window."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(reducer, "reduce's reducer", "(agg, value) -> agg")
        return self._build(
            _REDUCE, named, materialized, _reduce_initializer, _ReduceAggregator(reducer), self._grouped.value_serde
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Fold values per key and window: ``aggregator(key, value, agg)`` starting from ``initializer()``."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(initializer, "aggregate's initializer", "() -> agg")
        _check_callable(aggregator, "aggregate's aggregator", "(key, value, agg) -> agg")
        return self._build(_AGGREGATE, named, materialized, initializer, aggregator, None)

    def _build(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized | None,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        windows, emit = self.windows, self._emit_strategy
        if isinstance(windows, SlidingWindows):
            from kstreams_nb.dsl.sliding_aggregate import SlidingWindowAggregateSupplier, sliding_window_store

            sliding = windows
            return _windowed_table(
                self._grouped, prefix, named, materialized, default_value_serde,
                lambda store, m, ks, vs: sliding_window_store(sliding, emit, store, m, ks, vs),
                lambda store: SlidingWindowAggregateSupplier(sliding, store, emit, initializer, aggregator),
                lambda key_serde: TimeWindowedSerde(key_serde, sliding.time_difference_ms),
            )
        size_ms = windows.size_ms
        return _windowed_table(
            self._grouped, prefix, named, materialized, default_value_serde, self._store_builder,
            lambda store: WindowAggregateSupplier(windows, store, emit, initializer, aggregator),
            lambda key_serde: TimeWindowedSerde(key_serde, size_ms),
        )

    def _store_builder(self, store_name: str, m: Materialized, key_serde: Any, value_serde: Any) -> Any:
        """Kafka's WindowStoreMaterializer: a timestamped window store, retention checked against size + grace."""
        from kstreams_nb.state import Stores

        assert isinstance(self.windows, TimeWindows)
        size, grace = self.windows.size_ms, self.windows.grace_ms
        supplier = m.supplier
        if supplier is not None and not hasattr(supplier, "window_size"):
            raise TopologyError(
                f"Materialized.as_() for a windowed aggregation needs a window store supplier, got {supplier!r}"
            )
        # WindowStoreMaterializer checks Materialized's retention (or size + grace), never a supplier's own
        retention = m.retention if m.retention is not None else size + grace
        if size + grace > retention:
            raise TopologyError(
                f"The retention period of the window store {store_name} must be no smaller than its window size "
                f"plus the grace period. Got size=[{size}], grace=[{grace}], retention=[{retention}]"
            )
        if supplier is None:
            # Kafka emits on window close from a time-ordered store whose windows expire only once
            # start < observed - retention (one ms later than other window stores): keep them that long too
            close = self._emit_strategy.type is StrategyType.ON_WINDOW_CLOSE
            supplier = Stores.in_memory_window_store(store_name, retention + 1 if close else retention, size, False)
        builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
        return _with_materialized_flags(builder, m)

    def __repr__(self) -> str:
        return f"<TimeWindowedKStream {self._grouped._node.name} {self.windows}>"


class _CountMerger:
    """Kafka's session count merger: the sum of both sessions' counts."""

    __slots__ = ()

    def __call__(self, key: Any, agg1: int, agg2: int) -> int:
        return agg1 + agg2


class _ReduceMerger:
    """Kafka's ``mergerForAggregator``: the second session's aggregate reduced into the first."""

    __slots__ = ("aggregator",)

    def __init__(self, aggregator: _ReduceAggregator) -> None:
        self.aggregator = aggregator

    def __call__(self, key: Any, agg1: Any, agg2: Any) -> Any:
        return self.aggregator(key, agg2, agg1)


class SessionWindowedKStream:
    """A grouped stream cut into sessions of activity (``windowed_by(SessionWindows)``): ``count``, ``reduce``
    and ``aggregate`` run per key and session, merging sessions a record bridges.

    The result is a KTable keyed by ``Windowed(key, Window(start, end))`` (both ends inclusive), kept in a
    session store whose retention is ``Materialized.with_retention(...)`` or, by default, gap + grace. A merge
    forwards a tombstone for each merged-away session. Names follow Kafka's SessionWindowedKStreamImpl.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> from kstreams_nb.dsl.windows import SessionWindows
        >>> b = StreamsBuilder()
        >>> sessions = b.stream("clicks").group_by_key().windowed_by(
        ...     SessionWindows.of_inactivity_gap_with_no_grace(30_000)).count()
        >>> sessions.name
        'KSTREAM-AGGREGATE-0000000002'
    """

    def __init__(
        self, grouped: KGroupedStream, windows: SessionWindows, emit_strategy: EmitStrategy | None = None
    ) -> None:
        if not isinstance(windows, SessionWindows):
            raise TopologyError(f"SessionWindowedKStream takes SessionWindows, got {type(windows).__name__}")
        self._grouped = grouped
        self.windows = windows
        self._emit_strategy = emit_strategy or EmitStrategy.on_window_update()

    def emit_strategy(self, emit_strategy: EmitStrategy) -> SessionWindowedKStream:
        """A copy emitting with ``emit_strategy`` (on every update, the default, or once per closed session)."""
        _check_emit_strategy(emit_strategy)
        return SessionWindowedKStream(self._grouped, self.windows, emit_strategy)

    def count(self, named: Named | str | None = None, materialized: Materialized | None = None) -> KTable:
        """The number of records per key and session (records with a null key are dropped)."""
        named, materialized = named_and_materialized(named, materialized)
        if materialized is not None and materialized.store_name is None:
            # Kafka burns a name here for topology compatibility (SessionWindowedKStreamImpl.count)
            self._grouped._builder.new_store_name(_AGGREGATE)
        return self._build(
            _AGGREGATE, named, materialized, count_initializer, count_aggregator, _CountMerger(), Serdes.long()
        )

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine values per key and session with ``reducer(agg, value)`` (also used to merge sessions)."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(reducer, "reduce's reducer", "(agg, value) -> agg")
        aggregator = _ReduceAggregator(reducer)
        return self._build(
            _REDUCE, named, materialized, _reduce_initializer, aggregator, _ReduceMerger(aggregator),
            self._grouped.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Fold values per key and session: ``aggregator(key, value, agg)`` from ``initializer()``; when a record
        bridges sessions, ``merger(key, agg1, agg2)`` combines their aggregates."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(initializer, "aggregate's initializer", "() -> agg")
        _check_callable(aggregator, "aggregate's aggregator", "(key, value, agg) -> agg")
        _check_callable(merger, "aggregate's merger", "(key, agg1, agg2) -> agg")
        return self._build(_AGGREGATE, named, materialized, initializer, aggregator, merger, None)

    def _build(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized | None,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        from kstreams_nb.state.session import SessionWindowedSerde

        windows = self.windows
        return _windowed_table(
            self._grouped, prefix, named, materialized, default_value_serde, self._store_builder,
            lambda store: SessionWindowAggregateSupplier(
                windows, store, self._emit_strategy, initializer, aggregator, merger),
            SessionWindowedSerde,
        )

    def _store_builder(self, store_name: str, m: Materialized, key_serde: Any, value_serde: Any) -> Any:
        """Kafka's SessionStoreMaterializer: a session store, retention checked against gap + grace."""
        from kstreams_nb.state import Stores

        gap, grace = self.windows.gap_ms, self.windows.grace_ms
        supplier = m.supplier
        if supplier is not None and (hasattr(supplier, "window_size") or not hasattr(supplier, "retention_period")):
            raise TopologyError(
                f"Materialized.as_() for a session-windowed aggregation needs a session store supplier "
                f"(Stores.in_memory_session_store), got {supplier!r}"
            )
        retention = m.retention if m.retention is not None else gap + grace
        if gap + grace > retention:
            raise TopologyError(
                f"The retention period of the session store {store_name} must be no smaller than the session "
                f"inactivity gap plus the grace period. Got gap=[{gap}], grace=[{grace}], retention=[{retention}]"
            )
        if supplier is None:
            supplier = Stores.in_memory_session_store(store_name, retention)
        builder = Stores.session_store_builder(supplier, key_serde, value_serde)
        return _with_materialized_flags(builder, m)

    def __repr__(self) -> str:
        return f"<SessionWindowedKStream {self._grouped._node.name} {self.windows}>"
