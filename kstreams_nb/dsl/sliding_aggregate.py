"""The sliding-window aggregation processor (Kafka's ``KStreamSlidingWindowAggregate``) and its store.

Windows ``[start, start + d]`` (both ends inclusive, ``d`` the time difference) are created where records are:
a record at ``t`` gets its left window ``[t - d, t]`` and, when a later record lies within ``d`` of it, its
right window ``[t + 1, t + 1 + d]``; its arrival also creates the right window of the previous record when it
falls into it. Per record: observed stream time becomes ``max(observed, t)``; a record whose left window
ended before ``observed - grace`` is skipped ("Skipping record for expired window") and counted as dropped,
as is each window it can no longer update. Each window's aggregate carries the timestamp of the newest record
in it, which tells the processor where the previous record of the key lies. Records before ``d`` (whose left
window would start before 0) are gathered into the window ``[0, d]`` (Kafka's processEarly). Records with a
null key or a null value are dropped.

The store is a timestamped window store of window size ``d`` and retention ``2 * d + grace`` (or
``Materialized.with_retention``, at least that much): creating a right window reads windows starting up to
``2 * d`` before the record. The processor reads the key's windows newest first when the store supports
``backward_fetch`` (as Kafka's processReverse) and oldest first otherwise (processInOrder); both give the same
results. With ``EmitStrategy.on_window_close()`` each window is forwarded once, when ``end < observed -
grace``, as for time windows (throttled by ``__emit.interval.ms.kstreams.windowed.aggregation__``).

Example::

    >>> from kstreams_nb.dsl.windows import EmitStrategy, SlidingWindows
    >>> s = SlidingWindowAggregateSupplier(SlidingWindows.of_time_difference_and_grace(10, 5), "store",
    ...                                    EmitStrategy.on_window_update(), lambda: 0, lambda k, v, agg: agg + 1)
    >>> s.window_close_grace_ms, s.materialized
    (5, True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.dsl.options import Materialized
from kstreams_nb.dsl.table import Change, forward_on_flush
from kstreams_nb.dsl.window_aggregate import (
    WindowAggregateSupplier,
    emit_settings,
    log_expired_window_skip,
    log_null_key_skip,
    note_emitted,
)
from kstreams_nb.dsl.windows import EmitStrategy, SlidingWindows, StrategyType
from kstreams_nb.errors import StreamsStateError, TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record, Window, Windowed

__all__ = ["SlidingWindowAggregateSupplier", "WindowValueGetter", "sliding_window_store"]

log = logging.getLogger(__name__)

_NO_TIMESTAMP = -1
_DEFAULT_EMIT_INTERVAL_MS = 1000


def sliding_window_store(
    windows: SlidingWindows, emit_strategy: EmitStrategy, store_name: str, m: Materialized, key_serde: Any,
    value_serde: Any,
) -> Any:
    """Kafka's SlidingWindowStoreMaterializer: a timestamped window store of window size ``d`` whose retention
    (``Materialized``'s, else ``2 * d + grace``) must be at least ``2 * d + grace``; never cached when emitting
    on window close."""
    from kstreams_nb.state import Stores

    diff, grace = windows.time_difference_ms, windows.grace_ms
    supplier = m.supplier
    if supplier is not None and not hasattr(supplier, "window_size"):
        raise TopologyError(
            f"Materialized.as_() for a sliding-windowed aggregation needs a window store supplier, got {supplier!r}"
        )
    retention = m.retention if m.retention is not None else grace + 2 * diff
    if diff * 2 + grace > retention:
        raise TopologyError(
            f"The retention period of the window store {store_name} must be no smaller than 2 * time difference "
            f"plus the grace period. Got time difference=[{diff}], grace=[{grace}], retention=[{retention}]"
        )
    close = emit_strategy.type is StrategyType.ON_WINDOW_CLOSE
    if supplier is None:
        # as for time windows: the default store emitting on close expires windows one ms later
        supplier = Stores.in_memory_window_store(store_name, retention + 1 if close else retention, diff, False)
    builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
    builder = (
        builder.with_logging_enabled(dict(m.log_config)) if m.logging_enabled else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if m.caching_enabled and not close else builder.with_caching_disabled()


class WindowValueGetter:
    """Reads a timestamped window store by ``Windowed`` key: the window's ``ValueAndTimestamp`` or None (Kafka's
    ``KStreamWindowAggregateValueGetter``), what a join of windowed tables looks up.

    Example::

        >>> WindowValueGetter("store").store_names
        ['store']
    """

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store_names: Sequence[str] = [store_name]

    def getter(self, context: Any) -> Callable[[Any], Any]:
        """The lookup for the task of ``context``."""
        fetch = context.get_state_store(self.store_name).fetch

        def get(windowed: Windowed[Any]) -> Any:
            return fetch(windowed.key, windowed.window.start)

        return get


class SlidingWindowAggregateSupplier(WindowAggregateSupplier):
    """Supplier of the sliding-windowed KSTREAM-AGGREGATE / KSTREAM-REDUCE processor.

    ``aggregator(key, value, agg) -> agg`` folds a record into a window's aggregate, which starts as
    ``initializer()`` (``reduce`` uses an initializer returning None and an aggregator that takes the first
    value as is).

    Example::

        >>> from kstreams_nb.dsl.windows import EmitStrategy, SlidingWindows
        >>> s = SlidingWindowAggregateSupplier(SlidingWindows.of_time_difference_with_no_grace(10), "counts",
        ...                                    EmitStrategy.on_window_close(), lambda: 0, lambda k, v, a: a + 1)
        >>> s.window_close_grace_ms, s.send_old_values
        (0, False)
    """

    windows: SlidingWindows  # type: ignore[assignment]

    @staticmethod
    def _check_windows(windows: Any) -> None:
        if not isinstance(windows, SlidingWindows):
            raise TopologyError(f"sliding-window aggregations take SlidingWindows, got {type(windows).__name__}")

    def value_getter_supplier(self) -> WindowValueGetter:
        """Lookups of a window's current aggregate by ``Windowed`` key."""
        return WindowValueGetter(self.store_name)

    def __call__(self) -> Processor:
        return _SlidingWindowAggregate(self)


class _SlidingWindowAggregate(Processor):
    def __init__(self, spec: SlidingWindowAggregateSupplier) -> None:
        self.spec = spec
        self.diff = spec.windows.time_difference_ms
        self.grace = spec.windows.grace_ms
        self.initializer = spec.initializer
        self.aggregator = spec.aggregator
        self.emit_final = spec.emit_strategy.type is StrategyType.ON_WINDOW_CLOSE
        self.observed = _NO_TIMESTAMP
        self.last_emit_close = _NO_TIMESTAMP
        self.next_emit_check = 0
        self.emit_interval = _DEFAULT_EMIT_INTERVAL_MS
        self.reverse: bool | None = None
        self.forward_updates = False
        self.dropped = 0
        self.emitted = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.spec.store_name)
        #: on update with a caching store: its flushes forward the updates (Kafka's TimestampedTupleForwarder)
        self.forward_updates = not self.emit_final and not forward_on_flush(
            context, self.store, self.spec.send_old_values)
        if self.emit_final:
            self.emit_interval, stored = emit_settings(context, self.spec.store_name)
            if stored is not None and stored > self.last_emit_close:
                self.last_emit_close = stored

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            self._skip_null(record)
            return
        ts = record.timestamp
        if ts > self.observed:
            self.observed = ts
        close_time = self.observed - self.grace
        if ts + self.diff < close_time:
            self._skip_expired(ts, ts, ts + self.diff, close_time)
            return
        if ts < self.diff:
            self._process_early(record, close_time)
            return
        if self.reverse is None:
            self.reverse = self._backward_fetch_supported(record.key)
        if self.reverse:
            self._process_reverse(record, close_time)
        else:
            self._process_in_order(record, close_time)
        if self.emit_final:
            self._maybe_forward_final(record, close_time)

    def _backward_fetch_supported(self, key: Any) -> bool:
        try:
            with self.store.backward_fetch(key, 0, 0):
                return True
        except NotImplementedError:
            return False

    # ---- the windows of one record (Kafka's processInOrder / processReverse / processEarly)
    def _process_in_order(self, record: Record, close_time: int) -> None:
        ts, diff = record.timestamp, self.diff
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous: int | None = None
        with self.store.fetch(record.key, max(0, ts - 2 * diff), ts + 1) as it:
            found = list(it)
        for start, vt in found:
            starts.add(start)
            end = start + diff
            if end < ts:
                left_agg = vt
                previous = vt.timestamp
            elif end == ts:
                left_created = True
                if vt.timestamp < ts:
                    previous = vt.timestamp
                self._update(record, start, vt.value, vt.timestamp, close_time)
            elif start <= ts:
                right_agg = vt
                self._update(record, start, vt.value, vt.timestamp, close_time)
            elif start == ts + 1:
                right_created = True
            else:
                self._unexpected(start, ts)
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created, right_created, previous)

    def _process_reverse(self, record: Record, close_time: int) -> None:
        ts, diff = record.timestamp, self.diff
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous: int | None = None
        with self.store.backward_fetch(record.key, max(0, ts - 2 * diff), ts + 1) as it:
            found = list(it)
        for start, vt in found:
            starts.add(start)
            end = start + diff
            if start == ts + 1:
                right_created = True
            elif end > ts:
                if right_agg is None:
                    right_agg = vt
                self._update(record, start, vt.value, vt.timestamp, close_time)
            elif end == ts:
                left_created = True
                self._update(record, start, vt.value, vt.timestamp, close_time)
                if vt.timestamp >= ts:
                    return  # the record's windows all exist already
                previous = vt.timestamp
            elif end < ts:
                left_agg = vt
                previous = vt.timestamp
                break
            else:
                self._unexpected(start, ts)
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created, right_created, previous)

    def _process_early(self, record: Record, close_time: int) -> None:
        """A record before ``d`` goes into the window ``[0, d]``, which holds every early record; its right window
        and the previous record's are created as for other records."""
        ts = record.timestamp
        if ts < 0:
            raise StreamsStateError(
                f"Early record for sliding windows must fall between 0 <= timestamp < {self.diff}, got {ts}"
            )
        combined = right_agg = None
        right_created = False
        starts: set[int] = set()
        previous: int | None = None
        with self.store.fetch(record.key, 0, ts + 1) as it:
            found = list(it)
        for start, vt in found:
            starts.add(start)
            if start == 0:
                combined = vt
                if vt.timestamp < ts:
                    previous = vt.timestamp
            elif start <= ts:
                right_agg = vt
                self._update(record, start, vt.value, vt.timestamp, close_time)
            elif start == ts + 1:
                right_created = True
            else:
                self._unexpected(start, ts)
        # without a window holding later records, the combined window holds only records after this one
        if right_agg is None and combined is not None and combined.timestamp > ts:
            right_agg = combined
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right_window(record, right_agg)
        if previous is not None and previous + 1 not in starts:
            self._update(record, previous + 1, self.initializer(), ts, close_time)
        if combined is None:
            self._update(record, 0, self.initializer(), ts, close_time)
        else:
            self._update(record, 0, combined.value, combined.timestamp, close_time)

    def _create_windows(
        self, record: Record, close_time: int, starts: set[int], right_agg: Any, left_agg: Any,
        left_created: bool, right_created: bool, previous: int | None,
    ) -> None:
        ts, diff = record.timestamp, self.diff
        if previous is not None and previous + 1 not in starts and previous + 1 + diff >= ts:
            self._update(record, previous + 1, self.initializer(), ts, close_time)  # the previous record's right
        if not left_created:
            if previous is not None and ts - diff <= previous:
                self._update(record, ts - diff, left_agg.value, ts, close_time)
            else:
                self._update(record, ts - diff, self.initializer(), ts, close_time)
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right_window(record, right_agg)

    def _create_right_window(self, record: Record, right_agg: Any) -> None:
        """The record's right window ``[t + 1, t + 1 + d]``: the later records' aggregate, as found."""
        start = record.timestamp + 1
        self.store.put(record.key, right_agg.value, start, timestamp=right_agg.timestamp)
        if self.forward_updates:
            self.context.forward(Record._unchecked(
                Windowed(record.key, Window(start, start + self.diff)), Change(right_agg.value, None),
                right_agg.timestamp, record.headers))

    def _update(self, record: Record, start: int, old: Any, old_ts: int, close_time: int) -> None:
        """Kafka's updateWindowAndForward: fold the record into the window at ``start`` unless it closed."""
        end = start + self.diff
        if end < close_time:
            self._skip_expired(record.timestamp, start, end, close_time)
            return
        key, ts = record.key, record.timestamp
        new = self.aggregator(key, record.value, old)
        new_ts = ts if old is None or ts > old_ts else old_ts
        self.store.put(key, new, start, timestamp=new_ts)
        if self.forward_updates:
            self.context.forward(Record._unchecked(
                Windowed(key, Window(start, end)), Change(new, old if self.spec.send_old_values else None),
                new_ts, record.headers))

    # ---- emit on window close (AbstractKStreamTimeWindowAggregateProcessor.maybeForwardFinalResult)
    def _maybe_forward_final(self, record: Record, close_time: int) -> None:
        now = self.context.current_system_time_ms
        if now < self.next_emit_check:
            return
        self.next_emit_check = now + self.emit_interval
        last = self.last_emit_close
        if last != _NO_TIMESTAMP and last >= close_time:
            return
        upper = close_time - self.diff - 1  # both window ends are inclusive
        if upper < 0:
            return
        lower = 0 if last == _NO_TIMESTAMP else max(0, last - self.diff)
        forward = self.context.forward
        headers = record.headers
        with self.store.fetch_all(lower, upper) as closed:
            for windowed_key, vt in closed:
                self.emitted += 1
                forward(Record._unchecked(windowed_key, Change(vt.value, None), vt.timestamp, headers))
        self.last_emit_close = close_time
        note_emitted(self.context, self.spec.store_name, close_time)

    # ---- drops and broken state (off the happy path: logging is fine here)
    def _unexpected(self, start: int, timestamp: int) -> None:
        raise StreamsStateError(
            f"Unexpected window with start {start} found when processing record at {timestamp} in the "
            f"sliding-window aggregation over store {self.spec.store_name}: the store holds windows this "
            "aggregation did not write (was it shared with another processor?)"
        )

    def _skip_null(self, record: Record) -> None:
        self.dropped += 1
        log_null_key_skip(self.context, "null key or value")

    def _skip_expired(self, timestamp: int, start: int, end: int, close_time: int) -> None:
        self.dropped += 1
        log_expired_window_skip(self.context, timestamp, f"[{start},{end}]", close_time, self.observed)
