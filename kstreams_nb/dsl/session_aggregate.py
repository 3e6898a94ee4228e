"""The session-windowed aggregation processor (Kafka's ``KStreamSessionWindowAggregate``) on a session store.

Per record (null keys are dropped): the processor's observed stream time becomes ``max(observed, record ts)`` and
the close time is ``observed - grace - gap``. The sessions of the key that end at or after ``ts - gap`` and start
at or before ``ts + gap`` are merged with the new session ``[ts, ts]``: their aggregates are folded into a fresh
``initializer()`` with ``merger(key, agg, session_agg)``, oldest end first, and the merged window spans them all.
When the merged session ends before the close time, the record is skipped ("Skipping record for expired
window"). Otherwise each merged-away session is removed from the store and a tombstone ``Change(None, old?)``
is forwarded for it, then the record is aggregated and the merged session is stored and forwarded as
``Change(new, None)``. Every forward carries the session's end as its timestamp.

With ``EmitStrategy.on_window_close()`` nothing is forwarded on update; after each record, the sessions ending
in ``[last emitted close time, close time - 1]`` are forwarded once, oldest end first (checks throttled as for
time windows, see :mod:`kstreams_nb.dsl.window_aggregate`).

Example::

    >>> from kstreams_nb.dsl.windows import EmitStrategy, SessionWindows
    >>> s = SessionWindowAggregateSupplier(SessionWindows.of_inactivity_gap_and_grace(30, 5), "store",
    ...     EmitStrategy.on_window_update(), lambda: 0, lambda k, v, a: a + 1, lambda k, a, b: a + b)
    >>> s.window_close_grace_ms
    35
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.dsl.table import Change, forward_on_flush
from kstreams_nb.dsl.window_aggregate import emit_settings, log_null_key_skip, note_emitted
from kstreams_nb.dsl.windows import EmitStrategy, SessionWindows, StrategyType
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record, Window, Windowed

__all__ = ["SessionWindowAggregateSupplier"]

log = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class SessionWindowAggregateSupplier:
    """Supplier of the session-windowed KSTREAM-AGGREGATE / KSTREAM-REDUCE processor.

    ``aggregator(key, value, agg) -> agg`` folds a record into a session, ``merger(key, agg1, agg2) -> agg``
    combines two sessions' aggregates when a record bridges them.

    Example::

        >>> from kstreams_nb.dsl.windows import EmitStrategy, SessionWindows
        >>> s = SessionWindowAggregateSupplier(SessionWindows.of_inactivity_gap_with_no_grace(10), "counts",
        ...     EmitStrategy.on_window_close(), lambda: 0, lambda k, v, a: a + 1, lambda k, a, b: a + b)
        >>> s.send_old_values, s.materialized
        (False, True)
    """

    def __init__(
        self,
        session_windows: SessionWindows,
        store_name: str,
        emit_strategy: EmitStrategy,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.session_windows = session_windows
        self.store_name = store_name
        self.emit_strategy = emit_strategy
        self.initializer = initializer
        self.aggregator = aggregator
        self.merger = merger
        self.send_old_values = False
        self.materialized = True

    @property
    def window_close_grace_ms(self) -> int:
        """What ``suppress(until_window_closes)`` waits for: grace + inactivity gap (as Kafka's
        GraphGraceSearchUtil for session windows)."""
        return self.session_windows.grace_ms + self.session_windows.gap_ms

    def enable_sending_old_values(self) -> None:
        """Forward ``Change(new, old)`` with the previous aggregate (a downstream operator asked for it)."""
        self.send_old_values = True

    def value_getter_supplier(self) -> SessionValueGetter:
        """Lookups of a session's current aggregate (Kafka's ``KTableSessionWindowValueGetter``)."""
        return SessionValueGetter(self.store_name)

    def __call__(self) -> Processor:
        return _SessionWindowAggregate(self)


class SessionValueGetter:
    """Reads the session store by ``Windowed`` key: ``ValueAndTimestamp(aggregate, session end)`` or None.

    Example::

        >>> SessionValueGetter("store").store_names
        ['store']
    """

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store_names: Sequence[str] = [store_name]

    def getter(self, context: Any) -> Callable[[Any], Any]:
        """The lookup for the task of ``context``."""
        from kstreams_nb.state import ValueAndTimestamp

        fetch_session = context.get_state_store(self.store_name).fetch_session

        def get(windowed: Windowed[Any]) -> Any:
            w = windowed.window
            value = fetch_session(windowed.key, w.start, w.end)
            return None if value is None else ValueAndTimestamp(value, w.end)

        return get


class _SessionWindowAggregate(Processor):
    def __init__(self, spec: SessionWindowAggregateSupplier) -> None:
        self.spec = spec
        self.gap = spec.session_windows.gap_ms
        self.close_lag = spec.session_windows.grace_ms + self.gap
        self.initializer = spec.initializer
        self.aggregator = spec.aggregator
        self.merger = spec.merger
        self.emit_final = spec.emit_strategy.type is StrategyType.ON_WINDOW_CLOSE
        self.observed = _NO_TIMESTAMP
        self.last_emit_close = _NO_TIMESTAMP
        self.next_emit_check = 0
        self.emit_interval = 0
        self.dropped = 0
        self.emitted = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.spec.store_name)
        #: on update with a caching store: its flushes forward the updates (Kafka's SessionTupleForwarder)
        self.cached = not self.emit_final and forward_on_flush(
            context, self.store, self.spec.send_old_values, timestamped=False)
        if self.emit_final:
            self.emit_interval, stored = emit_settings(context, self.spec.store_name)
            if stored is not None:
                self.last_emit_close = stored

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            self._skip_null_key()
            return
        ts = record.timestamp
        if ts > self.observed:
            self.observed = ts
        close_time = self.observed - self.close_lag
        store = self.store
        merger = self.merger
        agg = self.initializer()
        start = end = ts
        with store.find_sessions(key, ts - self.gap, ts + self.gap) as found:
            merged = list(found)
        for session, session_agg in merged:
            agg = merger(key, agg, session_agg)
            w = session.window
            if w.start < start:
                start = w.start
            if w.end > end:
                end = w.end
        if end < close_time:
            self._skip_expired(ts, start, end, close_time)
        else:
            forward = None if self.emit_final or self.cached else self.context.forward
            send_old = self.spec.send_old_values
            if start != ts or end != ts:
                for session, session_agg in merged:
                    store.remove(session)
                    if forward is not None:
                        forward(Record._unchecked(session, Change(None, session_agg if send_old else None),
                                                  session.window.end, record.headers))
            agg = self.aggregator(key, record.value, agg)
            windowed = Windowed(key, Window(start, end))
            store.put(windowed, agg)
            if forward is not None:
                forward(Record._unchecked(windowed, Change(agg, None), end, record.headers))
        if self.emit_final:
            self._maybe_forward_final(record, close_time)

    # ---- emit on window close (KStreamSessionWindowAggregate.maybeForwardFinalResult)
    def _maybe_forward_final(self, record: Record, close_time: int) -> None:
        now = self.context.current_system_time_ms
        if now < self.next_emit_check:
            return
        self.next_emit_check = now + self.emit_interval
        last = self.last_emit_close
        if last != _NO_TIMESTAMP and last >= close_time:
            return
        upper = close_time - 1  # session ends are inclusive
        lower = max(0, last)
        if upper < 0 or upper < lower:
            return
        forward = self.context.forward
        headers = record.headers
        with self.store.find_sessions_ending(lower, upper) as closed:
            for windowed, agg in closed:
                self.emitted += 1
                forward(Record._unchecked(windowed, Change(agg, None), windowed.window.end, headers))
        self.last_emit_close = close_time
        note_emitted(self.context, self.spec.store_name, close_time)

    # ---- drops (off the happy path: logging is fine here)
    def _skip_null_key(self) -> None:
        self.dropped += 1
        log_null_key_skip(self.context)

    def _skip_expired(self, timestamp: int, start: int, end: int, close_time: int) -> None:
        self.dropped += 1
        meta = self.context.record_metadata
        where = (
            f"topic=[{meta.topic}] partition=[{meta.partition}] offset=[{meta.offset}]" if meta is not None
            else "Topic, partition, and offset not known."
        )
        log.warning(
            "Skipping record for expired window. %s timestamp=[%s] window=[%s,%s] expiration=[%s] streamTime=[%s]",
            where, timestamp, start, end, close_time, self.observed,
        )
