"""Ready-made example topologies: the seed's Processor API examples (used by the demo, notebooks and tests).

1. :func:`routing_topology` routes each record to a topic chosen from its value (a TopicNameExtractor).
2. :func:`interval_aggregate_topology` counts records per key and emits every key's count at a fixed
   interval, on stream time or on wall-clock time (a punctuation).

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
    "IntervalCounter",
    "interval_aggregate_topology",
    "level_topic",
    "routing_topology",
]


def level_topic(key: Any, value: Any, record_context: Any) -> str:
    """TopicNameExtractor: ``"error: disk full"`` → ``"logs-error"`` (no level → ``"logs-other"``)."""
    level, sep, _ = str(value).partition(":")
    return f"logs-{level.strip().lower()}" if sep and level.strip() else "logs-other"


def routing_topology(source_topic: str = "logs") -> Topology:
    """Seed example 1: send each record to the topic named by its value's level."""
    return (
        Topology()
        .add_source("Source", source_topic, key_deserializer=Serdes.string(), value_deserializer=Serdes.string())
        .add_sink("Router", level_topic, "Source", key_serializer=Serdes.string(), value_serializer=Serdes.string())
    )


class IntervalCounter(Processor):
    """Counts records per key in the store ``counts``; every ``interval`` it forwards each ``(key, count)``.

    The emitted records carry the punctuation time as their timestamp, in key order.
    """

    def __init__(self, interval: timedelta, punctuation: PunctuationType) -> None:
        self.interval = interval
        self.punctuation = punctuation

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")
        context.schedule(self.interval, self.punctuation, self.emit)

    def process(self, record: Record) -> None:
        current = self.store.get(record.key) or 0
        self.store.put(record.key, current + 1)

    def emit(self, timestamp: int) -> None:
        """Forward every key's count, stamped with the punctuation time."""
        with self.store.all() as entries:
            for key, count in entries:
                self.context.forward(Record(key, count, timestamp))


def interval_aggregate_topology(
    interval: timedelta = timedelta(seconds=10),
    punctuation: PunctuationType = PunctuationType.STREAM_TIME,
    source_topic: str = "clicks",
    sink_topic: str = "click-counts",
) -> Topology:
    """Seed example 2: per-key counts emitted at a fixed interval (stream time or wall-clock time)."""
    counts = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("counts"), Serdes.string(), Serdes.long()
    )
    return (
        Topology()
        .add_source("Source", source_topic, key_deserializer=Serdes.string(), value_deserializer=Serdes.string())
        .add_processor("Count", lambda: IntervalCounter(interval, punctuation), "Source")
        .add_state_store(counts, "Count")
        .add_sink("Sink", sink_topic, "Count", key_serializer=Serdes.string(), value_serializer=Serdes.long())
    )
