"""The join processors of left and outer windowed stream-stream joins (Kafka's KStreamKStreamJoin with an outer
join store).

Both join processors of a ``left_join`` / ``outer_join`` share one store of non-joined records
(:mod:`kstreams_nb.dsl.join_outer_store`) and one :class:`TimeTracker` per task. A record of an outer side (the
left side of a left join, either side of an outer join) that finds no partner waits in the store; a later
partner removes it. When the shared stream time has passed a waiting record's window plus grace, the next record
processed at the stream time emits it joined with None. At most one such sweep runs per
``__emit.interval.ms.kstreams.outer.join.spurious.results.fix__`` ms of wall-clock time (1000 by default; the
TopologyTestDriver uses 0). A record of an outer side that comes too late for the window is joined with None at
once; one with a null key (and a value) too, since it can never join.

Example::

    >>> from kstreams_nb.dsl import JoinWindows, StreamsBuilder
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> b = StreamsBuilder()
    >>> b.stream("views").left_join(b.stream("clicks"), lambda v, c: f"{v}/{c}",
    ...                             JoinWindows.of_time_difference_with_no_grace(100)).to("out")
    >>> with TopologyTestDriver(b.build()) as d:
    ...     views = d.create_input_topic("views")
    ...     views.pipe_input("u1", "v1", 1000)
    ...     views.pipe_input("u2", "v2", 1500)
    ...     d.create_output_topic("out").read_key_values_to_list()
    [('u1', 'v1/None')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl.join_outer_store import LeftOrRightValue, TimestampedKeyAndJoinSide, outer_join_store_builder
from kstreams_nb.dsl.join_stream_stream import KStreamKStreamJoinSupplier, _StreamStreamJoin
from kstreams_nb.dsl.windows import JoinWindows
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

__all__ = [
    "EMIT_INTERVAL_CONFIG", "KStreamKStreamOuterJoinSupplier", "TimeTracker", "TimeTrackerSupplier", "outer_join_parts",
]

#: Kafka's internal config throttling the sweeps of the outer-join store (StreamsConfig.InternalConfig).
EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"
_DEFAULT_EMIT_INTERVAL_MS = 1000
_NO_TIMESTAMP = -1
_MAX = (1 << 63) - 1


class TimeTracker:
    """The stream time both join processors of a task have seen, the smallest timestamp waiting in the outer
    store, and when the next sweep may run (Kafka's KStreamImplJoin.TimeTracker).

    Example::

        >>> t = TimeTracker()
        >>> t.advance_stream_time(5); t.advance_stream_time(3); t.stream_time
        5
    """

    __slots__ = ("emit_interval_ms", "min_time", "next_time_to_emit", "stream_time")

    def __init__(self) -> None:
        self.emit_interval_ms = _DEFAULT_EMIT_INTERVAL_MS
        self.stream_time = _NO_TIMESTAMP
        self.min_time = _MAX
        self.next_time_to_emit = 0

    def advance_stream_time(self, timestamp: int) -> None:
        """Stream time is the largest timestamp seen."""
        if timestamp > self.stream_time:
            self.stream_time = timestamp

    def update_min_time(self, timestamp: int) -> None:
        """Note a record put into the outer store."""
        if timestamp < self.min_time:
            self.min_time = timestamp


class TimeTrackerSupplier:
    """One :class:`TimeTracker` per task, shared by the two join processors of that task (and kept while any
    processor of the task uses it).

    Example::

        >>> s = TimeTrackerSupplier()
        >>> s.get("0_0") is s.get("0_0")
        True
    """

    def __init__(self) -> None:
        self._trackers: dict[Any, list[Any]] = {}

    def get(self, task_id: Any) -> TimeTracker:
        """The task's tracker, created on first use."""
        entry = self._trackers.get(task_id)
        if entry is None:
            entry = self._trackers[task_id] = [TimeTracker(), 0]
        entry[1] += 1
        tracker: TimeTracker = entry[0]
        return tracker

    def remove(self, task_id: Any) -> None:
        """A processor of the task closed: forget the tracker once none uses it."""
        entry = self._trackers.get(task_id)
        if entry is not None:
            entry[1] -= 1
            if entry[1] <= 0:
                del self._trackers[task_id]


class KStreamKStreamOuterJoinSupplier(KStreamKStreamJoinSupplier):
    """Supplier of one side's join processor in a left or outer join.

    ``outer`` says whether this side's non-joined records are emitted (the left side of a left join, both sides
    of an outer join); both sides use the shared ``outer_store`` and ``trackers``."""

    def __init__(self, other_store: str, windows: JoinWindows, joiner: Callable[[Any, Any, Any], Any],
                 right_side: bool, *, outer: bool, outer_store: str, trackers: TimeTrackerSupplier) -> None:
        super().__init__(other_store, windows, joiner, right_side)
        self.outer = outer
        self.outer_store = outer_store
        self.trackers = trackers
        self.windows_before_ms = windows.before_ms
        self.windows_after_ms = windows.after_ms
        self.grace_ms = windows.grace_ms

    def __call__(self) -> Processor:
        return _OuterStreamStreamJoin(self)


class _OuterStreamStreamJoin(_StreamStreamJoin):
    def __init__(self, spec: KStreamKStreamOuterJoinSupplier) -> None:
        super().__init__(spec)
        self.outer_spec = spec
        self.outer = spec.outer
        self.store: Any = None
        self.tracker = TimeTracker()

    def init(self, context: Any) -> None:
        super().init(context)
        spec = self.outer_spec
        self.store = context.get_state_store(spec.outer_store)
        self.tracker = spec.trackers.get(context.task_id)
        configs = context.app_configs or {}
        self.tracker.emit_interval_ms = int(configs.get(EMIT_INTERVAL_CONFIG, _DEFAULT_EMIT_INTERVAL_MS))

    def close(self) -> None:
        self.outer_spec.trackers.remove(self.context.task_id)
        super().close()

    def process(self, record: Record) -> None:
        key, value, ts = record.key, record.value, record.timestamp
        tracker = self.tracker
        tracker.advance_stream_time(ts)
        right = self.right_side
        if key is None or value is None:
            if self.outer and key is None and value is not None:
                joined = self.joiner(None, None, value) if right else self.joiner(None, value, None)
                self.context.forward(record.with_value(joined))
                return
            self.dropped += 1
            tp.warn_skipped_record(self.context, "Skipping record due to null key or value.")
            return
        store = self.store
        if ts == tracker.stream_time:
            self._emit_non_joined(record)
        time_from = max(0, ts - self.before_ms)
        time_to = max(0, ts + self.after_ms)
        joiner, forward = self.joiner, self.context.forward
        matched = False
        with self.other.fetch(key, time_from, time_to) as matches:
            for other_ts, other_value in matches:
                matched = True
                store.put_if_absent(TimestampedKeyAndJoinSide(other_ts, right, key), None)
                joined = joiner(key, other_value, value) if right else joiner(key, value, other_value)
                forward(record.with_value(joined).with_timestamp(max(ts, other_ts)))
        if matched or not self.outer:
            return
        if time_to < tracker.stream_time:
            forward(record.with_value(joiner(key, None, value) if right else joiner(key, value, None)))
        else:
            tracker.update_min_time(ts)
            store.put(TimestampedKeyAndJoinSide(ts, not right, key), LeftOrRightValue(not right, value))

    def _emit_non_joined(self, record: Record) -> None:
        """Kafka's emitNonJoinedOuterRecords: emit, in store order, the waiting records whose window closed."""
        tracker = self.tracker
        grace = self.outer_spec.grace_ms
        limit = tracker.min_time + self.after_ms + grace
        if limit > _MAX:  # Kafka adds longs: a tracker that knows no waiting record (MAX) wraps to a negative sum
            limit -= 1 << 64  # and looks at the store, e.g. one restored from its changelog by a new task
        if limit >= tracker.stream_time:
            return  # nothing in the store can have closed yet
        now = self.context.current_system_time_ms
        if now < tracker.next_time_to_emit:
            return
        tracker.next_time_to_emit = now + tracker.emit_interval_ms
        tracker.min_time = _MAX
        store, joiner, forward = self.store, self.joiner, self.context.forward
        # a left record waits for right records up to `after` later, a right one for left records `before` later
        left_open_until = self.outer_spec.windows_after_ms + grace
        right_open_until = self.outer_spec.windows_before_ms + grace
        prev: TimestampedKeyAndJoinSide | None = None
        left_open = right_open = False
        for k, v in store.entries():
            tracker.min_time = k.timestamp
            if left_open and right_open:
                break  # both sides' windows are open from here on
            if k.timestamp + (left_open_until if k.is_left else right_open_until) >= tracker.stream_time:
                if k.is_left:
                    left_open = True
                else:
                    right_open = True
                continue
            out = joiner(k.key, v.value, None) if v.is_left else joiner(k.key, None, v.value)
            forward(record.with_key(k.key).with_value(out).with_timestamp(k.timestamp))
            if prev is not None and prev != k:
                store.put(prev, None)
            prev = k
        if prev is not None:
            store.put(prev, None)


def outer_join_parts(
    this: Any, other: Any, sj: Any, windows: JoinWindows, joiner: Callable[[Any, Any, Any], Any], right_outer: bool,
    this_generated: str, window_stores: tuple[str, str],
) -> tuple[KStreamKStreamOuterJoinSupplier, KStreamKStreamOuterJoinSupplier, Any]:
    """For ``KStreamImplJoin.join`` of a left (``right_outer`` False) or outer join: both join processors'
    suppliers and the shared store's builder, named ``<store name>-left-shared-join-store`` /
    ``<store name>-outer-shared-join-store`` after ``StreamJoined.with_store_name``, else
    ``KSTREAM-OUTERSHARED-<n>-store`` with the number of the first join processor."""
    from kstreams_nb.dsl.join_stream_stream import JOINTHIS_NAME, OUTERSHARED_NAME, OUTERTHIS_NAME

    if sj.store_name:
        store_name = sj.store_name + ("-outer-shared-join" if right_outer else "-left-shared-join") + "-store"
    else:
        prefix = OUTERTHIS_NAME if right_outer else JOINTHIS_NAME
        store_name = OUTERSHARED_NAME + this_generated[len(prefix):] + "-store"
    store = outer_join_store_builder(
        store_name,
        sj.key_serde if sj.key_serde is not None else this.key_serde,
        sj.value_serde if sj.value_serde is not None else this.value_serde,
        sj.other_value_serde if sj.other_value_serde is not None else other.value_serde,
        sj.logging_enabled,
    )
    trackers = TimeTrackerSupplier()
    this_store, other_store = window_stores
    this_supplier = KStreamKStreamOuterJoinSupplier(other_store, windows, joiner, False, outer=True,
                                                    outer_store=store_name, trackers=trackers)
    other_supplier = KStreamKStreamOuterJoinSupplier(this_store, windows, joiner, True, outer=right_outer,
                                                     outer_store=store_name, trackers=trackers)
    return this_supplier, other_supplier, store
