"""The seed's two Processor API examples, as importable topology builders.

The seed text lists two things the Processor API is for:

1. "메시지 값의 종류에 따라 토픽을 가변적으로 전송" — send each message to a topic chosen from its value.
   :func:`routing_topology` does it with a TopicNameExtractor, :func:`route_by_level`: a log line
   ``"error: disk full"`` goes to ``logs-error``, ``"info: started"`` to ``logs-info``.
2. "일정한 시간 간격으로 데이터 처리" — process data at a fixed time interval.
   :func:`interval_aggregate_topology` sums the values of each key in a state store and, every ``interval``,
   forwards one aggregate per key (``{"count": n, "sum": s}``, in key order, stamped with the punctuation time)
   and clears them, so each emission covers the records since the previous one. The interval runs on stream
   time (driven by record timestamps; the first punctuation fires on the first record, because stream-time
   schedules are aligned to 0) or on wall-clock time (first at now + interval).

Both are self-contained (they use only the public kstreams_nb API) so the demo can copy them.

Example::

    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> with TopologyTestDriver(routing_topology()) as driver:
    ...     driver.create_input_topic("logs").pipe_input("host-1", "error: disk full")
    ...     driver.create_output_topic("logs-error").read_value()
    'error: disk full'
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.topology import Topology

__all__ = [
    "LEVELS",
    "IntervalAggregator",
    "interval_aggregate_topology",
    "route_by_level",
    "routing_topology",
]

#: The levels that get their own topic; anything else goes to ``logs-unknown``.
LEVELS = ("debug", "info", "warn", "error")


def route_by_level(key: Any, value: Any, record_context: Any) -> str:
    """TopicNameExtractor ``(key, value, record_context) -> topic``: ``"<level>: text"`` → ``"logs-<level>"``.

    The level is the text before the first ``:``, trimmed and lower-cased; values without a known level go to
    ``logs-unknown``.

    Example::

        >>> route_by_level("h", "ERROR: disk full", None), route_by_level("h", "no level here", None)
        ('logs-error', 'logs-unknown')
    """
    level, sep, _ = str(value).partition(":")
    level = level.strip().lower()
    return f"logs-{level}" if sep and level in LEVELS else "logs-unknown"


def routing_topology(source_topic: str = "logs") -> Topology:
    """Seed example 1: ``Source`` reads ``source_topic`` (string keys and values); the sink ``Router`` writes each
    record to the topic :func:`route_by_level` picks.

    Example::

        >>> print(routing_topology().describe())  # doctest: +ELLIPSIS
        Topologies:
           Sub-topology: 0
            Source: Source (topics: [logs])
              --> Router
            Sink: Router (extractor class: ...route_by_level)
              <-- Source
        <BLANKLINE>
        <BLANKLINE>
    """
    s = Serdes.string()
    return (
        Topology()
        .add_source("Source", source_topic, key_deserializer=s, value_deserializer=s)
        .add_sink("Router", route_by_level, "Source", key_serializer=s, value_serializer=s)
    )


class IntervalAggregator(Processor):
    """Sums each key's numeric values in the store ``store_name``; every ``interval`` (stream or wall-clock time)
    forwards ``(key, {"count": n, "sum": s})`` for every key in key order, stamped with the punctuation time,
    then deletes what it forwarded.
    """

    def __init__(self, interval: timedelta, punctuation_type: PunctuationType, store_name: str) -> None:
        self.interval = interval
        self.punctuation_type = punctuation_type
        self.store_name = store_name

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)
        context.schedule(self.interval, self.punctuation_type, self.emit)

    def process(self, record: Record) -> None:
        agg = self.store.get(record.key) or {"count": 0, "sum": 0}
        self.store.put(record.key, {"count": agg["count"] + 1, "sum": agg["sum"] + record.value})

    def emit(self, timestamp: int) -> None:
        """Forward and clear every key's aggregate (the punctuator; ``timestamp`` is the current time)."""
        with self.store.all() as it:
            entries = list(it)
        for key, agg in entries:
            self.context.forward(Record(key, agg, timestamp))
            self.store.delete(key)


def interval_aggregate_topology(
    interval: timedelta = timedelta(seconds=10),
    punctuation_type: PunctuationType = PunctuationType.STREAM_TIME,
    *,
    source_topic: str = "readings",
    sink_topic: str = "reading-aggregates",
    store_name: str = "aggregates",
) -> Topology:
    """Seed example 2: ``Source`` (string keys, JSON numbers) → ``Aggregate`` (:class:`IntervalAggregator` with the
    key-value store ``store_name``, string keys, JSON aggregates) → ``Sink`` (string keys, JSON values)."""
    store = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store(store_name), Serdes.string(), Serdes.json()
    )
    return (
        Topology()
        .add_source("Source", source_topic, key_deserializer=Serdes.string(), value_deserializer=Serdes.json())
        .add_processor("Aggregate", lambda: IntervalAggregator(interval, punctuation_type, store_name), "Source")
        .add_state_store(store, "Aggregate")
        .add_sink("Sink", sink_topic, "Aggregate", key_serializer=Serdes.string(), value_serializer=Serdes.json())
    )
