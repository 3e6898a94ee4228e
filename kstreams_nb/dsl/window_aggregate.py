"""The windowed aggregation processor (Kafka's ``KStreamWindowAggregate``) on a timestamped window store.

Per record: the processor's own observed stream time becomes ``max(observed, record ts)``; the record is added
to each of its windows whose end is ``> observed - grace`` (strictly); a window already closed is skipped with
the warning "Skipping record for expired window" and counted as dropped. The new aggregate's timestamp is
``max(record ts, previous aggregate ts)``. Records with a null key are dropped (Kafka passes null values to the
aggregator: ``count()`` counts them).

With ``EmitStrategy.on_window_close()`` nothing is forwarded on update; after each record, the windows that
have closed since the last emission (``end <= observed - grace``) are forwarded once each, oldest first, as
``Change(final, None)`` with the aggregate's timestamp. As in Kafka, these checks are throttled to one per
``__emit.interval.ms.kstreams.windowed.aggregation__`` ms of wall-clock time (1000 by default; the
TopologyTestDriver sets 0). The close time of the last emission is kept in the task's processor metadata under
the store's name, which is committed with the offsets: after a restart the aggregation emits only the windows
it had not emitted yet (Kafka's ``lastEmitWindowCloseTime``).

Example::

    >>> from kstreams_nb.dsl.windows import EmitStrategy, TimeWindows
    >>> s = WindowAggregateSupplier(TimeWindows.of_size_with_no_grace(10), "store",
    ...                             EmitStrategy.on_window_update(), lambda: 0, lambda k, v, agg: agg + 1)
    >>> s.window_close_grace_ms, s.materialized
    (0, True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams_nb.dsl.table import Change, forward_on_flush
from kstreams_nb.dsl.windows import EmitStrategy, StrategyType, TimeWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record, Windowed

__all__ = ["EMIT_INTERVAL_CONFIG", "WindowAggregateSupplier", "emit_settings", "log_null_key_skip", "note_emitted"]

log = logging.getLogger(__name__)

#: Kafka's internal config throttling emit-on-window-close checks (StreamsConfig.InternalConfig).
EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.windowed.aggregation__"
_DEFAULT_EMIT_INTERVAL_MS = 1000
_NO_TIMESTAMP = -1


def emit_settings(context: Any, store_name: str) -> tuple[int, int | None]:
    """For emit on window close: the app's emit interval, and the last emitted close time the task committed
    under ``store_name`` (InternalProcessorContext.processorMetadataForKey; the task applies its committed
    metadata before it initializes its processors), or None."""
    configs = getattr(context, "app_configs", None) or {}
    interval = int(configs.get(EMIT_INTERVAL_CONFIG, _DEFAULT_EMIT_INTERVAL_MS))
    read = getattr(context, "processor_metadata_for_key", None)
    return interval, read(store_name) if read is not None else None


def note_emitted(context: Any, store_name: str, close_time: int) -> None:
    """Keep the close time of the last emission in the task's processor metadata (committed with offsets)."""
    keep = getattr(context, "add_processor_metadata_key_value", None)
    if keep is not None:
        keep(store_name, close_time)


def log_null_key_skip(context: Any, why: str = "null key") -> None:
    """Kafka's warning for a record dropped by an aggregation because its key (or value: ``why``) is null."""
    meta = context.record_metadata
    if meta is not None:
        log.warning(
            "Skipping record due to %s. topic=[%s] partition=[%s] offset=[%s]", why, meta.topic, meta.partition,
            meta.offset,
        )
    else:
        log.warning("Skipping record due to %s. Topic, partition, and offset not known.", why)


def log_expired_window_skip(
    context: Any, timestamp: int, window: str, close_time: int, observed: int
) -> None:
    """Kafka's warning for a record (or one of its windows) skipped because the window had closed; ``window`` is
    the window as Kafka prints it (``[start,end)`` for time windows, ``[start,end]`` for sliding ones)."""
    meta = context.record_metadata
    if meta is not None:
        log.warning(
            "Skipping record for expired window. topic=[%s] partition=[%s] offset=[%s] timestamp=[%s] "
            "window=%s expiration=[%s] streamTime=[%s]",
            meta.topic, meta.partition, meta.offset, timestamp, window, close_time, observed,
        )
    else:
        log.warning(
            "Skipping record for expired window. Topic, partition, and offset not known. timestamp=[%s] "
            "window=%s expiration=[%s] streamTime=[%s]",
            timestamp, window, close_time, observed,
        )


class WindowAggregateSupplier:
    """Supplier of the windowed KSTREAM-AGGREGATE / KSTREAM-REDUCE processor.

    ``aggregator(key, value, agg) -> agg`` folds a record into the window's aggregate, which starts as
    ``initializer()`` (``reduce`` uses an initializer returning None and an aggregator that takes the first
    value as is).

    Example::

        >>> from kstreams_nb.dsl.windows import EmitStrategy, TimeWindows
        >>> s = WindowAggregateSupplier(TimeWindows.of_size_and_grace(10, 3), "counts",
        ...                             EmitStrategy.on_window_close(), lambda: 0, lambda k, v, agg: agg + 1)
        >>> s.window_close_grace_ms, s.send_old_values
        (3, False)
    """

    def __init__(
        self,
        windows: Any,
        store_name: str,
        emit_strategy: EmitStrategy,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self._check_windows(windows)  # TimeWindows here, SlidingWindows in the sliding subclass
        self.windows: TimeWindows = windows
        self.store_name = store_name
        self.emit_strategy = emit_strategy
        self.initializer = initializer
        self.aggregator = aggregator
        self.send_old_values = False
        self.materialized = True

    @staticmethod
    def _check_windows(windows: Any) -> None:
        if not isinstance(windows, TimeWindows):
            raise TopologyError(
                f"time-windowed aggregations take TimeWindows (SessionWindows use SessionWindowAggregateSupplier, "
                f"SlidingWindows SlidingWindowAggregateSupplier), got {type(windows).__name__}"
            )

    @property
    def window_close_grace_ms(self) -> int:
        """The grace period after a window's end: what ``suppress(until_window_closes)`` waits for."""
        return self.windows.grace_ms

    def enable_sending_old_values(self) -> None:
        """Forward ``Change(new, old)`` with the previous aggregate (a downstream operator asked for it)."""
        self.send_old_values = True

    def __call__(self) -> Processor:
        return _WindowAggregate(self)


class _WindowAggregate(Processor):
    def __init__(self, spec: WindowAggregateSupplier) -> None:
        self.spec = spec
        windows = spec.windows
        self.windows_for = windows.windows_for
        self.grace = windows.grace_ms
        self.size = windows.size_ms
        self.initializer = spec.initializer
        self.aggregator = spec.aggregator
        self.emit_final = spec.emit_strategy.type is StrategyType.ON_WINDOW_CLOSE
        self.observed = _NO_TIMESTAMP
        self.last_emit_close = _NO_TIMESTAMP
        self.next_emit_check = 0
        self.emit_interval = _DEFAULT_EMIT_INTERVAL_MS
        self.dropped = 0
        self.emitted = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.spec.store_name)
        #: on update with a caching store: its flushes forward the updates (Kafka's TimestampedTupleForwarder)
        self.cached = not self.emit_final and forward_on_flush(context, self.store, self.spec.send_old_values)
        if self.emit_final:
            self.emit_interval, stored = emit_settings(context, self.spec.store_name)
            if stored is not None and stored > self.last_emit_close:
                self.last_emit_close = stored

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            self._skip_null_key()
            return
        ts = record.timestamp
        if ts > self.observed:
            self.observed = ts
        close_time = self.observed - self.grace
        store = self.store
        value = record.value
        forward = None if self.emit_final or self.cached else self.context.forward
        send_old = self.spec.send_old_values
        for start, window in self.windows_for(ts).items():
            if window.end <= close_time:
                self._skip_expired(ts, start, window.end, close_time)
                continue
            old_vt = store.fetch(key, start)
            if old_vt is None:
                old = self.initializer()
                new_ts = ts
            else:
                old = old_vt.value
                new_ts = ts if ts > old_vt.timestamp else old_vt.timestamp
            new = self.aggregator(key, value, old)
            store.put(key, new, start, timestamp=new_ts)
            if forward is not None:
                forward(Record._unchecked(Windowed(key, window), Change(new, old if send_old else None), new_ts,
                                          record.headers))
        if self.emit_final:
            self._maybe_forward_final(record, close_time)

    # ---- emit on window close (AbstractKStreamTimeWindowAggregateProcessor.maybeForwardFinalResult)
    def _maybe_forward_final(self, record: Record, close_time: int) -> None:
        now = self.context.current_system_time_ms
        if now < self.next_emit_check:
            return
        self.next_emit_check = now + self.emit_interval
        last = self.last_emit_close
        if last != _NO_TIMESTAMP and last >= close_time:
            return
        upper = close_time - self.size  # window starts are inclusive bounds
        if upper < 0:
            return
        lower = 0 if last == _NO_TIMESTAMP else max(0, last - self.size) + 1
        if last != _NO_TIMESTAMP and self.windows_for(upper) == self.windows_for(lower - 1):
            return  # no window closed since the last emission
        forward = self.context.forward
        headers = record.headers
        with self.store.fetch_all(lower, upper) as closed:
            for windowed_key, vt in closed:
                self.emitted += 1
                forward(Record._unchecked(windowed_key, Change(vt.value, None), vt.timestamp, headers))
        self.last_emit_close = close_time
        note_emitted(self.context, self.spec.store_name, close_time)

    # ---- drops (off the happy path: logging is fine here)
    def _skip_null_key(self) -> None:
        self.dropped += 1
        log_null_key_skip(self.context)

    def _skip_expired(self, timestamp: int, start: int, end: int, close_time: int) -> None:
        self.dropped += 1
        log_expired_window_skip(self.context, timestamp, f"[{start},{end})", close_time, self.observed)
