"""Ready-made example topologies: the seed's Processor API examples (used by the demo, notebooks and tests).

Processor API (the seed: "send each message to a topic chosen from its value", "process data at a fixed
time interval"):

1. :func:`routing_topology` routes each record to a topic chosen from its value (a TopicNameExtractor).
2. :func:`interval_aggregate_topology` aggregates per key and emits every key's aggregate at a fixed interval,
   on stream time or on wall-clock time (a punctuation).

Streams DSL (the seed: "branch a topic by message value", "count what arrived in the last 10 minutes"):
:func:`branch_by_value`, :func:`ten_minute_counts`, :func:`hopping_counts`, and :func:`word_count`.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> with TopologyTestDriver(routing_topology()) as driver:
    ...     driver.create_input_topic("logs", Serdes.string(), Serdes.string()).pipe_input("h", "error: disk full")
    ...     driver.create_output_topic("logs-error", Serdes.string(), Serdes.string()).read_value()
    'error: disk full'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.topology import Topology

__all__ = [
    "IntervalAggregator",
    "LEVELS",
    "branch_by_value",
    "interval_aggregate_topology",
    "java_split_non_word",
    "hopping_counts",
    "route_by_level",
    "routing_topology",
    "ten_minute_counts",
    "word_count",
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


def _value_starts_with(prefix: str) -> Callable[[Any], bool]:
    return lambda value: value is not None and str(value).lower().startswith(prefix)


_DEFAULT_BRANCHES: dict[str, Callable[[Any], bool]] = {
    "logs-error": _value_starts_with("error"),
    "logs-warn": _value_starts_with("warn"),
    "logs-info": _value_starts_with("info"),
}


def branch_by_value(
    source_topic: str = "logs",
    branches: Mapping[str, Callable[[Any], bool]] | None = None,
    default_topic: str | None = "logs-other",
) -> Topology:
    """Seed DSL example 1: branch a topic by message value into several topics (``split()`` / ``Branched``).

    ``branches`` maps an output topic to a predicate on the value; a record goes to the FIRST matching topic,
    else to ``default_topic`` (dropped when None). Example::

        >>> from kstreams_nb.testing import TopologyTestDriver
        >>> s = Serdes.string()
        >>> with TopologyTestDriver(branch_by_value()) as driver:
        ...     driver.create_input_topic("logs", s, s).pipe_input("host-1", "warn: disk 90% full")
        ...     driver.create_output_topic("logs-warn", s, s).read_value()
        'warn: disk 90% full'
    """
    from kstreams_nb.dsl import Branched, Consumed, Named, StreamsBuilder

    routes = dict(_DEFAULT_BRANCHES if branches is None else branches)
    builder = StreamsBuilder()
    split = builder.stream(source_topic, Consumed.with_(Serdes.string(), Serdes.string())).split(Named.as_("branch-"))
    for topic, predicate in routes.items():
        split = split.branch(
            lambda key, value, predicate=predicate: bool(predicate(value)),  # type: ignore[misc]
            Branched.with_consumer(lambda stream, topic=topic: stream.to(topic)),  # type: ignore[misc]
        )
    if default_topic is None:
        split.no_default_branch()
    else:
        split.default_branch(Branched.with_consumer(lambda stream: stream.to(default_topic), "default"))
    return builder.build()


def java_split_non_word(text: str) -> list[str]:
    """Java's ``text.split("\\W+")``: a leading empty string is kept, trailing empty strings are dropped.

        >>> java_split_non_word("  Hello, world! "), java_split_non_word("")
        (['', 'Hello', 'world'], [''])
    """
    if not text:
        return [""]
    parts = re.split(r"\W+", text, flags=re.ASCII)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def word_count(
    input_topic: str = "streams-plaintext-input", output_topic: str = "streams-wordcount-output"
) -> Topology:
    """Kafka's WordCountDemo: lower-case each line, split it on non-word characters, count each word.

    Each update of a word's count is written to ``output_topic`` (String key, Long value). Example::

        >>> from kstreams_nb.testing import TopologyTestDriver
        >>> s = Serdes.string()
        >>> with TopologyTestDriver(word_count()) as driver:
        ...     driver.create_input_topic("streams-plaintext-input", s, s).pipe_input("Hello hello")
        ...     out = driver.create_output_topic("streams-wordcount-output", s, Serdes.long())
        ...     out.read_key_values_to_list()
        [('hello', 1), ('hello', 2)]
    """
    from kstreams_nb.dsl import Consumed, Grouped, Produced, StreamsBuilder

    builder = StreamsBuilder()
    (
        builder.stream(input_topic, Consumed.with_(Serdes.string(), Serdes.string()))
        .flat_map_values(lambda line: java_split_non_word(line.lower()))
        .group_by(lambda key, word: word, Grouped.with_(Serdes.string(), Serdes.string()))
        .count()
        .to_stream()
        .to(output_topic, Produced.with_(Serdes.string(), Serdes.long()))
    )
    return builder.build()


TEN_MINUTES = timedelta(minutes=10)


def _windowed_counts(source_topic: str, sink_topic: str, windows: Any, final: bool) -> Topology:
    from kstreams_nb.dsl import BufferConfig, Consumed, Grouped, StreamsBuilder, Suppressed

    builder = StreamsBuilder()
    counts = (
        builder.stream(source_topic, Consumed.with_(Serdes.string(), Serdes.string()))
        .group_by_key(Grouped.with_(Serdes.string(), Serdes.string()))
        .windowed_by(windows)
        .count()
    )
    if final:
        counts = counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
    counts.to_stream().to(sink_topic)  # keys: TimeWindowedSerde(string), values: long
    return builder.build()


def ten_minute_counts(
    source_topic: str = "clicks",
    sink_topic: str = "clicks-per-10-minutes",
    *,
    grace: timedelta | int = timedelta(minutes=1),
    final: bool = False,
) -> Topology:
    """Seed DSL example 2 ("count the records of the last 10 minutes"): records per key in 10-minute tumbling
    windows accepting records up to ``grace`` late.

    Every update is written to ``sink_topic``, or with ``final=True`` only each window's final count, once the
    window closes (``suppress(until_window_closes)``). Keys are ``Windowed`` (read them with
    ``WindowedSerdes.time_windowed_serde_from(Serdes.string(), TEN_MINUTES)``), values longs. Example::

        >>> from kstreams_nb.dsl import WindowedSerdes
        >>> from kstreams_nb.testing import TopologyTestDriver
        >>> s = Serdes.string()
        >>> with TopologyTestDriver(ten_minute_counts()) as driver:
        ...     clicks = driver.create_input_topic("clicks", s, s)
        ...     clicks.pipe_input("alice", "/home", 60_000)
        ...     clicks.pipe_input("alice", "/cart", 120_000)
        ...     keys = WindowedSerdes.time_windowed_serde_from(s, TEN_MINUTES)
        ...     out = driver.create_output_topic("clicks-per-10-minutes", keys, Serdes.long())
        ...     [(str(k), v) for k, v in out.read_key_values_to_list()]
        [('[alice@0/600000]', 1), ('[alice@0/600000]', 2)]
    """
    from kstreams_nb.dsl import TimeWindows

    return _windowed_counts(source_topic, sink_topic, TimeWindows.of_size_and_grace(TEN_MINUTES, grace), final)


def hopping_counts(
    source_topic: str = "clicks",
    sink_topic: str = "clicks-last-10-minutes",
    *,
    advance: timedelta | int = timedelta(minutes=1),
    grace: timedelta | int = 0,
    final: bool = False,
) -> Topology:
    """Seed DSL example 2 as a sliding view: records per key over 10-minute windows starting every ``advance``
    (hopping windows), so each record is counted in ``10 minutes / advance`` windows and a window ending at any
    minute holds the count of that minute's last 10 minutes.

    Every update is written, or with ``final=True`` each window's final count once it closes. Keys and values as
    in :func:`ten_minute_counts`. Example::

        >>> from kstreams_nb.dsl import WindowedSerdes
        >>> from kstreams_nb.testing import TopologyTestDriver
        >>> s = Serdes.string()
        >>> with TopologyTestDriver(hopping_counts(advance=timedelta(minutes=5))) as driver:
        ...     driver.create_input_topic("clicks", s, s).pipe_input("bob", "/home", 420_000)
        ...     keys = WindowedSerdes.time_windowed_serde_from(s, TEN_MINUTES)
        ...     out = driver.create_output_topic("clicks-last-10-minutes", keys, Serdes.long())
        ...     [(str(k), v) for k, v in out.read_key_values_to_list()]
        [('[bob@0/600000]', 1), ('[bob@300000/900000]', 1)]
    """
    from kstreams_nb.dsl import TimeWindows

    windows = TimeWindows.of_size_and_grace(TEN_MINUTES, grace).advance_by(advance)
    return _windowed_counts(source_topic, sink_topic, windows, final)
