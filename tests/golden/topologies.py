"""The golden topologies, built with kstreams_nb.

Each function here has a twin of the same name in tests/java/src/main/java/kstreams_nb/oracle/ (the Kafka
Streams oracle), and ``str(build().describe())`` must equal tests/golden/describe/<name>.txt, which the oracle
wrote. Change both sides together, then run ``python tests/java/run_oracle.py``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kstreams_nb.dsl import (
    Branched,
    Consumed,
    Grouped,
    Joined,
    Materialized,
    Named,
    Printed,
    Produced,
    Repartitioned,
    StreamsBuilder,
)
from kstreams_nb.processor import FixedKeyProcessor, Processor
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import KeyValueStoreBuilder, Stores
from kstreams_nb.topology import Topology


class Noop(Processor):
    """A processor that does nothing: describe() only needs the graph."""

    def process(self, record: Record) -> None:
        pass


def store(name: str) -> KeyValueStoreBuilder:
    """``Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long())``."""
    return Stores.key_value_store_builder(Stores.in_memory_key_value_store(name), Serdes.string(), Serdes.long())


def global_store(name: str) -> KeyValueStoreBuilder:
    """The same for a global store: changelog disabled, as Kafka requires."""
    return store(name).with_logging_disabled()


def route_by_value(key: Any, value: Any, record_context: Any) -> str:
    """A TopicNameExtractor; the Java twin's toString() returns this function's extractor_name()."""
    return f"out-{value}"


# Pinned, so that the printed name does not depend on how pytest imports this file.
route_by_value.__module__ = "tests.golden.topologies"


def empty() -> Topology:
    return Topology()


def source_processor_sink() -> Topology:
    return (
        Topology()
        .add_source("source", "input")
        .add_processor("processor", Noop, "source")
        .add_sink("sink", "output", "processor")
    )


def wordcount_processor() -> Topology:
    """Kafka's streams/examples WordCountProcessorDemo."""
    t = Topology()
    t.add_source("Source", "streams-plaintext-input")
    t.add_processor("Process", Noop, "Source")
    t.add_state_store(store("Counts"), "Process")
    t.add_sink("Sink", "streams-wordcount-processor-output", "Process")
    return t


def pattern_source() -> Topology:
    return (
        Topology()
        .add_source("source", pattern=re.compile(r"topic-\d+"))
        .add_processor("proc", Noop, "source")
        .add_sink("sink", "out", "proc")
    )


def global_store_first() -> Topology:
    t = Topology()
    t.add_global_store(global_store("globalStore"), "globalSource", "global-topic", "globalProcessor", Noop)
    t.add_source("source", "input")
    t.add_processor("proc", Noop, "source")
    t.add_sink("sink", "output", "proc")
    return t


def global_stores_interleaved() -> Topology:
    t = Topology()
    t.add_source("s0", "in-0")
    t.add_processor("p0", Noop, "s0")
    t.add_global_store(global_store("g1"), "gsrc1", "gtopic-1", "gproc1", Noop)
    t.add_source("s2", "in-2")
    t.add_sink("k2", "out-2", "s2")
    t.add_global_store(global_store("g3"), "gsrc3", "gtopic-3", "gproc3", Noop)
    t.add_global_store(global_store("g4"), "gsrc4", "gtopic-4", "gproc4", Noop)
    t.add_source("s5", "in-5")
    t.add_processor("p5", Noop, "s5")
    return t


def shared_store() -> Topology:
    """Two independent sub-topologies and a third joined by a shared store."""
    t = Topology()
    t.add_source("sourceA", "topic-a")
    t.add_processor("procA", Noop, "sourceA")
    t.add_sink("sinkA", "out-a", "procA")
    t.add_source("sourceC", "topic-c")
    t.add_processor("procC1", Noop, "sourceC")
    t.add_source("sourceB", "topic-b")
    t.add_processor("procB", Noop, "sourceB")
    t.add_source("sourceD", "topic-d")
    t.add_processor("procC2", Noop, "sourceD")
    t.add_sink("sinkC", "out-c", "procC1", "procC2")
    t.add_state_store(store("shared"), "procC1", "procC2")
    return t


def two_stores_two_sinks() -> Topology:
    t = Topology()
    t.add_source("src", "in")
    t.add_processor("proc", Noop, "src")
    t.add_state_store(store("store-one"), "proc")
    t.add_state_store(store("store-two"), "proc")
    t.add_sink("sink-1", "out-1", "proc")
    t.add_sink("sink-2", "out-2", "proc")
    return t


def fan_out() -> Topology:
    """One source with three children, one of which has two children."""
    return (
        Topology()
        .add_source("S", "fan-in")
        .add_processor("C", Noop, "S")
        .add_processor("A", Noop, "S")
        .add_processor("B", Noop, "S")
        .add_sink("B2", "out-b2", "B")
        .add_processor("B1", Noop, "B")
        .add_sink("A1", "out-a1", "A")
        .add_sink("B1-out", "out-b1", "B1")
    )


def diamond() -> Topology:
    """Two sources into one processor, then a diamond."""
    return (
        Topology()
        .add_source("left", "t-left")
        .add_source("right", "t-right")
        .add_processor("join", Noop, "left", "right")
        .add_processor("post1", Noop, "join")
        .add_processor("post2", Noop, "join")
        .add_processor("merge", Noop, "post2", "post1")
        .add_sink("out", "t-out", "merge")
    )


def extractor_sink() -> Topology:
    return (
        Topology()
        .add_source("source", "input")
        .add_processor("proc", Noop, "source")
        .add_sink("dynamic", route_by_value, "proc")
        .add_sink("fixed", "output", "proc")
    )


def many_topics() -> Topology:
    return Topology().add_source("multi", "topic-a", "topic-b", "input", "zzz", "A1").add_sink("sink", "out", "multi")


def many_stores() -> Topology:
    t = Topology()
    t.add_source("src", "in")
    t.add_processor("thirteen", Noop, "src")
    t.add_processor("twelve", Noop, "src")
    for i in range(13):
        t.add_state_store(store(f"store-{i:02d}"), "thirteen")
    for i in range(12):
        t.add_state_store(store("Twelve" + chr(ord("A") + i)), "twelve")
    return t


def wide() -> Topology:
    """More than 12 nodes in one sub-topology: Java's HashMap resizes."""
    t = Topology()
    t.add_source("root", "wide-in")
    for i in range(20):
        t.add_processor(f"p{i}", Noop, "root")
    for i in range(0, 20, 3):
        t.add_sink(f"sink{i}", f"out-{i}", f"p{i}", f"p{i + 1}")
    t.add_processor("tail", Noop, "p19", "p2", "p11")
    t.add_sink("tail-out", "tail-topic", "tail")
    return t


def unicode_names() -> Topology:
    """String.hashCode and compareTo work on UTF-16 code units."""
    return (
        Topology()
        .add_source("s\u00fcd", "t\u00f6pic", "\U0001f600-topic", "\uffff-topic")
        .add_sink("\uffff", "out-1", "s\u00fcd")
        .add_sink("\U0001f600", "out-2", "s\u00fcd")
        .add_sink("\u00e9", "out-3", "s\u00fcd")
    )


def many_subtopologies() -> Topology:
    """More than ten sub-topologies, some joined by stores added after all the nodes."""
    t = Topology()
    for i in range(12):
        t.add_source(f"src{i}", f"in-{i}")
        t.add_processor(f"proc{i}", Noop, f"src{i}")
    t.add_state_store(store("link"), "proc3", "proc9")
    t.add_state_store(store("link2"), "proc10", "proc1")
    t.add_state_store(store("own"), "proc11")
    t.connect_processor_and_state_stores("proc9", "own")
    return t


def hash_collisions() -> Topology:
    """Nine topics with one hashCode: the ninth in one bin makes HashMap.treeifyBin resize a table under 64."""
    colliding = ["".join(p) for p in itertools.product(["Aa", "BB"], repeat=4)][:9]
    others = ["topic-a", "input", "zzz", "A1", "x1", "orders", "payments"]
    return Topology().add_source("collide", *colliding, *others).add_sink("sink", "out", "collide")


class Lcg:
    """The 64-bit LCG of the Java twin (ProcessorApiTopologies.Lcg)."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self, bound: int) -> int:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return (self.state >> 33) % bound


PREFIXES = ["KSTREAM-MAP-", "proc-", "P", "x", "Node_"]


def random_dag(seed: int, n: int) -> Topology:
    """A pseudo-random DAG, drawn exactly as ProcessorApiTopologies.randomDag draws it."""
    r = Lcg(seed)
    t = Topology()
    pool: list[str] = []
    processors: list[str] = []
    for s in range(1 + r.next(3)):
        t.add_source(f"src-{s}", f"dag{seed}-{s}")
        pool.append(f"src-{s}")
    for i in range(n):
        name = PREFIXES[r.next(len(PREFIXES))] + str(i)
        want = 1 + r.next(min(3, len(pool)))
        parents: list[str] = []
        for _ in range(want):
            parent = pool[r.next(len(pool))]
            if parent not in parents:
                parents.append(parent)
        if r.next(5) == 0:
            t.add_sink(name, f"dag{seed}-out-{i}", *parents)
        else:
            t.add_processor(name, Noop, *parents)
            pool.append(name)
            processors.append(name)
    for j in range(r.next(3) if processors else 0):
        first = processors[r.next(len(processors))]
        second = processors[r.next(len(processors))]
        if first == second:
            t.add_state_store(store(f"store-{j}"), first)
        else:
            t.add_state_store(store(f"store-{j}"), first, second)
    return t


def _random(seed: int, n: int | None = None) -> Callable[[], Topology]:
    def build() -> Topology:
        return random_dag(seed, 10 + seed * 5 if n is None else n)

    build.__name__ = f"random_dag_{seed}" if n is None else f"random_dag_big_{seed}"
    return build


# ---------------------------------------------------------------------------------------------------------
# Streams DSL programs: twins of tests/java/src/main/java/kstreams_nb/oracle/DslTopologies.java (same
# operators, same order, same names; the callables' bodies do not matter to describe()).
# Windows, suppress and KGroupedTable are imported inside the functions that use them.


class NoopValues(FixedKeyProcessor):
    """A FixedKeyProcessor that does nothing."""

    def process(self, record: Record) -> None:
        pass


TEN_MINUTES = timedelta(minutes=10)
ONE_MINUTE = timedelta(minutes=1)


def _time_windows(size: timedelta, grace: timedelta | None = None, advance: timedelta | None = None) -> Any:
    from kstreams_nb.dsl.windows import TimeWindows

    w = TimeWindows.of_size_with_no_grace(size) if grace is None else TimeWindows.of_size_and_grace(size, grace)
    return w if advance is None else w.advance_by(advance)


def dsl_filter_map_chain() -> Topology:
    """filter → filter_not → map_values → map → peek → to."""
    b = StreamsBuilder()
    (
        b.stream("input")
        .filter(lambda k, v: v is not None)
        .filter_not(lambda k, v: v == "")
        .map_values(lambda v: v.upper())
        .map(lambda k, v: (v, k))
        .peek(lambda k, v: None)
        .to("output")
    )
    return b.build()


def dsl_stateless_ops() -> Topology:
    """flat_map, flat_map_values, select_key, map_values with key, to an extractor; foreach and print."""
    b = StreamsBuilder()
    s = b.stream("input")
    (
        s.flat_map(lambda k, v: [(k, v)])
        .flat_map_values(lambda v: [v, v])
        .select_key(lambda k, v: v)
        .map_values(lambda k, v: k + v, with_key=True)
        .to(route_by_value)
    )
    s.foreach(lambda k, v: None)
    s.print(Printed.to_sys_out())
    s.filter(lambda k, v: True).to("output", Produced.with_(Serdes.string(), Serdes.string()))
    return b.build()


def dsl_group_by_key_count() -> Topology:
    b = StreamsBuilder()
    b.stream("input").group_by_key().count().to_stream().to("counts")
    return b.build()


def dsl_tumbling_window_count() -> Topology:
    b = StreamsBuilder()
    (
        b.stream("input")
        .group_by_key()
        .windowed_by(_time_windows(TEN_MINUTES, ONE_MINUTE))
        .count()
        .to_stream()
        .to("windowed-counts")
    )
    return b.build()


def dsl_hopping_window_count() -> Topology:
    b = StreamsBuilder()
    (
        b.stream("input")
        .group_by_key()
        .windowed_by(_time_windows(TEN_MINUTES, ONE_MINUTE, ONE_MINUTE))
        .count()
        .to_stream()
        .to("hopping-counts")
    )
    return b.build()


def dsl_table_group_by_count() -> Topology:
    b = StreamsBuilder()
    b.table("users").group_by(lambda k, v: (v, k)).count().to_stream().to("region-counts")
    return b.build()


def dsl_table_group_by_reduce_aggregate() -> Topology:
    b = StreamsBuilder()
    grouped = b.table("users").group_by(lambda k, v: (v, k), Grouped.as_("by-region"))
    grouped.reduce(lambda agg, v: agg + v, lambda agg, v: agg).to_stream().to("reduced")
    (
        grouped.aggregate(
            lambda: "", lambda k, v, agg: agg + v, lambda k, v, agg: agg, materialized=Materialized.as_("agg-store")
        )
        .to_stream()
        .to("aggregated")
    )
    return b.build()


def dsl_split_unnamed() -> Topology:
    """split() without names: children are the splitter's name + position (default branch: 0)."""
    b = StreamsBuilder()
    branches = (
        b.stream("input")
        .split()
        .branch(lambda k, v: v.startswith("a"))
        .branch(lambda k, v: v.startswith("b"))
        .default_branch()
    )
    branches["KSTREAM-BRANCH-00000000011"].to("a")
    branches["KSTREAM-BRANCH-00000000012"].to("b")
    branches["KSTREAM-BRANCH-00000000010"].to("other")
    return b.build()


def dsl_split_named() -> Topology:
    """split(Named) with Branched names, a consumer, a function, a mix of named and unnamed branches."""
    b = StreamsBuilder()
    s = b.stream("input")
    named = (
        s.split(Named.as_("route-"))
        .branch(lambda k, v: len(v) > 10, Branched.as_("big"))
        .branch(lambda k, v: len(v) > 5, Branched.with_consumer(lambda ks: ks.to("medium"), "medium"))
        .branch(lambda k, v: len(v) > 2, Branched.with_function(lambda ks: ks.map_values(lambda v: v + "!")))
        .default_branch(Branched.as_("rest"))
    )
    named["route-big"].to("big")
    named["route-3"].to("small")
    named["route-rest"].to("rest")
    mixed = (
        s.split()
        .branch(lambda k, v: v == "", Branched.as_("empty"))
        .branch(lambda k, v: len(v) == 1)
        .no_default_branch()
    )
    mixed["KSTREAM-BRANCH-0000000011empty"].to("empty")
    mixed["KSTREAM-BRANCH-00000000112"].to("single")
    return b.build()


def dsl_select_key_to_table() -> Topology:
    """A key change, then to_table: the table reads a repartition topic named after the TOTABLE processor."""
    b = StreamsBuilder()
    s = b.stream("input")
    s.select_key(lambda k, v: v).to_table().to_stream().to("by-value")
    (
        s.map(lambda k, v: (v, k))
        .to_table(Named.as_("swapped"), Materialized.as_("swapped-store"))
        .to_stream()
        .to("swapped")
    )
    s.to_table().to_stream().to("same-key")
    return b.build()


def dsl_repartition() -> Topology:
    b = StreamsBuilder()
    s = b.stream("input")
    s.repartition().to("a")
    s.repartition(Repartitioned.as_("x")).to("b")
    s.repartition(Repartitioned.as_("y").with_partitions(3)).map_values(lambda v: v).to("c")
    return b.build()


def dsl_suppress() -> Topology:
    from kstreams_nb.dsl.suppress import BufferConfig, Suppressed

    b = StreamsBuilder()
    (
        b.stream("input")
        .group_by_key()
        .windowed_by(_time_windows(TEN_MINUTES, ONE_MINUTE))
        .count()
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .to("final-counts")
    )
    return b.build()


def dsl_wordcount() -> Topology:
    """Kafka's streams/examples WordCountDemo."""
    b = StreamsBuilder()
    source = b.stream("streams-plaintext-input")
    counts = source.flat_map_values(lambda value: value.lower().split(" ")).group_by(lambda key, value: value).count()
    counts.to_stream().to("streams-wordcount-output", Produced.with_(Serdes.string(), Serdes.long()))
    return b.build()


def dsl_merge() -> Topology:
    b = StreamsBuilder()
    left = b.stream("left")
    right = b.stream("right")
    left.merge(right).to("merged")
    left.map_values(lambda v: v).merge(right.filter(lambda k, v: True), Named.as_("both")).to("merged-2")
    return b.build()


def dsl_table_filter_materialized() -> Topology:
    b = StreamsBuilder()
    t = b.table("table-in")
    t.filter(lambda k, v: v is not None, materialized=Materialized.as_("filtered")).to_stream().to("filtered-out")
    t.filter_not(lambda k, v: v is None).map_values(lambda v: v + "!").to_stream().to("mapped-out")
    return b.build()


def dsl_table_named_source() -> Topology:
    b = StreamsBuilder()
    (
        b.table("table-in", Consumed.as_("tsrc"), Materialized.as_("table-store"))
        .map_values(lambda v: v, Named.as_("mv"), Materialized.as_("mv-store"))
        .filter(lambda k, v: True, Named.as_("keep"))
        .to_stream(named=Named.as_("ts"))
        .to("out", Produced.as_("out-sink"))
    )
    b.stream("other").to("other-out")
    return b.build()


def dsl_named_operators() -> Topology:
    """User names burn counter numbers like Kafka (Materialized.as_ does not)."""
    b = StreamsBuilder()
    (
        b.stream("input", Consumed.as_("src"))
        .filter(lambda k, v: v is not None, Named.as_("drop-nulls"))
        .group_by(lambda k, v: v, Grouped.as_("by-value"))
        .count(materialized=Materialized.as_("counts"))
        .to_stream(named=Named.as_("counts-stream"))
        .to("counts", Produced.as_("counts-sink"))
    )
    (
        b.stream("input-2")
        .map_values(lambda v: v, Named.as_("mv"))
        .group_by_key(Grouped.as_("unused"))
        .count(Named.as_("count-op"))
        .to_stream()
        .to("counts-2")
    )
    return b.build()


def dsl_process_with_store() -> Topology:
    b = StreamsBuilder()
    b.add_state_store(store("my-store"))
    s = b.stream("input")
    s.process(Noop, "my-store", named=Named.as_("proc")).to("out")
    s.process_values(NoopValues, "my-store").to("out-2")
    s.process(Noop).group_by_key().count().to_stream().to("out-3")
    return b.build()


def dsl_two_aggregations() -> Topology:
    """Two aggregations off one grouped stream: each creates its own repartition."""
    b = StreamsBuilder()
    grouped = b.stream("input").group_by(lambda k, v: v)
    grouped.count().to_stream().to("counts")
    grouped.reduce(lambda a, v: a + v).to_stream().to("reduced")
    return b.build()


def dsl_two_aggregations_named() -> Topology:
    """With Grouped.as_ the repartition is shared (but a second one's names still burn numbers)."""
    b = StreamsBuilder()
    grouped = b.stream("input").group_by(lambda k, v: v, Grouped.as_("shared"))
    grouped.count().to_stream().to("counts")
    grouped.aggregate(lambda: "", lambda k, v, agg: agg + v).to_stream().to("aggregated")
    return b.build()


def dsl_group_by_key_after_map() -> Topology:
    b = StreamsBuilder()
    b.stream("input").map(lambda k, v: (v, k)).group_by_key().reduce(lambda a, v: a + v).to_stream().to("reduced")
    return b.build()


def dsl_windowed_reduce_aggregate() -> Topology:
    b = StreamsBuilder()
    s = b.stream("input")
    s.group_by_key().windowed_by(_time_windows(TEN_MINUTES)).reduce(lambda a, v: a + v).to_stream().to("w-reduced")
    (
        s.select_key(lambda k, v: v)
        .group_by_key(Grouped.as_("rekeyed"))
        .windowed_by(_time_windows(TEN_MINUTES, ONE_MINUTE, ONE_MINUTE))
        .aggregate(lambda: "", lambda k, v, agg: agg + v, Named.as_("w-agg"), Materialized.as_("w-agg-store"))
        .to_stream()
        .to("w-aggregated")
    )
    return b.build()


def dsl_table_unnamed_materialized() -> Topology:
    """Materialized without a store name: a table operator burns a store number but is not materialized."""
    strings = Materialized.with_(Serdes.string(), Serdes.string())
    b = StreamsBuilder()
    t = b.table("table-in", None, strings)
    t.filter(lambda k, v: True, materialized=strings).map_values(lambda v: v, materialized=strings).to_stream().to(
        "out"
    )
    (
        t.filter_not(lambda k, v: False, Named.as_("fn"), Materialized.as_("fn-store"))
        .to_stream(lambda k, v: v)
        .group_by_key()
        .count()
        .to_stream()
        .to("counts")
    )
    return b.build()


def dsl_rekey_grouping() -> Topology:
    """Key changes (flat_map, select_key + merge, map + explicit repartition) followed by groupings."""
    b = StreamsBuilder()
    s = b.stream(pattern=re.compile("in-.*"))
    (
        s.flat_map(lambda k, v: [(v, k)])
        .group_by_key(Grouped.as_("flat"))
        .reduce(lambda a, v: a + v, Named.as_("red"), Materialized.as_("red-store"))
        .to_stream()
        .to("reduced")
    )
    (
        s.select_key(lambda k, v: v)
        .merge(b.stream("other"))
        .group_by_key()
        .aggregate(
            lambda: "", lambda k, v, agg: agg + v, materialized=Materialized.with_(Serdes.string(), Serdes.string())
        )
        .to_stream()
        .to("aggregated")
    )
    s.map(lambda k, v: (v, k)).repartition(Repartitioned.as_("r")).group_by_key().count().to_stream().to("counted")
    s.to_table(Named.as_("tt")).to_stream().to("tt-out")
    return b.build()


def dsl_count_unnamed_materialized() -> Topology:
    """count(Materialized) without a store name burns an extra store number (KGroupedStreamImpl.count);
    a KGroupedTable without a Grouped name makes a repartition per aggregation."""
    longs = Materialized.with_(Serdes.string(), Serdes.long())
    b = StreamsBuilder()
    s = b.stream("input")
    s.group_by_key().count(materialized=longs).to_stream().to("counts")
    s.group_by_key().windowed_by(_time_windows(TEN_MINUTES)).count(materialized=longs).to_stream().to("windowed-counts")
    grouped = b.table("users").group_by(lambda k, v: (k, v))
    grouped.count(materialized=longs).to_stream().to("table-counts")
    strings = Materialized.with_(Serdes.string(), Serdes.string())
    grouped.reduce(lambda agg, v: agg + v, lambda agg, v: agg, Named.as_("table-reduce"), strings).to_stream().to(
        "table-reduced"
    )
    return b.build()


def dsl_suppress_named() -> Topology:
    """suppress(...with_name) names the processor and its store "<name>-store" without burning numbers; a
    time-limit suppress on a plain table; an on-window-close windowed count."""
    from kstreams_nb.dsl.suppress import BufferConfig, Suppressed
    from kstreams_nb.dsl.windows import EmitStrategy

    b = StreamsBuilder()
    s = b.stream("input")
    (
        s.group_by_key()
        .count()
        .suppress(
            Suppressed.until_time_limit(timedelta(seconds=5), BufferConfig.max_records(100)).with_name("rate-limit")
        )
        .to_stream()
        .to("limited")
    )
    (
        s.group_by_key()
        .windowed_by(_time_windows(TEN_MINUTES, ONE_MINUTE))
        .count(Named.as_("wc"), Materialized.as_("wc-store"))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()).with_name("final"))
        .to_stream()
        .to("final")
    )
    (
        s.group_by_key()
        .windowed_by(_time_windows(TEN_MINUTES))
        .emit_strategy(EmitStrategy.on_window_close())
        .count()
        .to_stream()
        .to("on-close")
    )
    (
        b.table("table-in")
        .suppress(Suppressed.until_time_limit(timedelta(seconds=1), BufferConfig.unbounded()))
        .to_stream()
        .to("table-limited")
    )
    return b.build()


def dsl_stream_table_join() -> Topology:
    """A stream-table join (the table is materialized for it), and a named left join of a re-keyed stream with an
    unmaterialized filter of the same table (repartition named after the join; the lookup reads the source's
    store)."""
    b = StreamsBuilder()
    clicks = b.stream("clicks")
    users = b.table("users")
    clicks.join(users, lambda c, u: c + u).to("enriched")
    clicks.map(lambda k, v: (v, k)).left_join(
        users.filter(lambda k, v: v is not None), lambda c, u: c + u, joined=Joined.as_("by-user")
    ).to("by-user-out")
    return b.build()


def dsl_global_table_join() -> Topology:
    """Global-table joins: a generated name (KSTREAM-LEFTJOIN- even for an inner join), and a named left join with
    a named, materialized global table."""
    b = StreamsBuilder()
    products = b.global_table("products")
    orders = b.stream("orders")
    orders.join(products, lambda o, p: o + p, key_selector=lambda k, v: v).to("with-product")
    regions = b.global_table("regions", Consumed.as_("regions"), Materialized.as_("regions-store"))
    orders.left_join(regions, lambda o, r: o + r, key_selector=lambda k, v: k, named=Named.as_("with-region")).to(
        "with-region-out"
    )
    return b.build()


def dsl_table_table_join() -> Topology:
    """Table-table joins: an unnamed inner join (both sources materialized for it), a named left join with a named
    store, and an outer join of an unmaterialized filter with an unnamed Materialized (KTABLE-MERGE-STATE-STORE-)."""
    b = StreamsBuilder()
    left = b.table("left")
    right = b.table("right")
    left.join(right, lambda lv, rv: lv + rv).to_stream().to("inner-out")
    left.left_join(
        right, lambda lv, rv: lv + rv, Named.as_("left-join"), Materialized.as_("left-join-store")
    ).to_stream().to("left-out")
    left.filter(lambda k, v: v is not None).outer_join(
        right, lambda lv, rv: lv + rv, materialized=Materialized.with_(Serdes.string(), Serdes.string())
    ).to_stream().to("outer-out")
    return b.build()


# ---- DSL part 2: twins of tests/java/src/main/java/kstreams_nb/oracle/DslJoinTopologies.java

FIVE_MINUTES = timedelta(minutes=5)


def dsl_stream_stream_join() -> Topology:
    """An unnamed inner join with default stores (KSTREAM-JOINTHIS-/JOINOTHER-...-store), and one with grace and
    asymmetric windows."""
    from kstreams_nb.dsl.windows import JoinWindows

    b = StreamsBuilder()
    left = b.stream("left")
    right = b.stream("right")
    left.join(right, lambda lv, rv: lv + rv, JoinWindows.of_time_difference_with_no_grace(FIVE_MINUTES)).to("joined")
    graced = JoinWindows.of_time_difference_and_grace(FIVE_MINUTES, ONE_MINUTE).after(ONE_MINUTE)
    left.join(right, lambda lv, rv: lv + rv, graced).to("joined-2")
    return b.build()


def dsl_stream_stream_join_named() -> Topology:
    """StreamJoined: a processor name and a store name, a processor name only, a store name only."""
    from kstreams_nb.dsl import StreamJoined
    from kstreams_nb.dsl.windows import JoinWindows

    b = StreamsBuilder()
    left = b.stream("left")
    right = b.stream("right")
    windows = JoinWindows.of_time_difference_and_grace(FIVE_MINUTES, ONE_MINUTE)
    joiner: Callable[[Any, Any], Any] = lambda lv, rv: lv + rv  # noqa: E731
    left.join(right, joiner, windows, stream_joined=StreamJoined.as_("pairs").with_name("pair-join")).to("both")
    strings = StreamJoined.with_(Serdes.string(), Serdes.string(), Serdes.string())
    left.join(right, joiner, windows, stream_joined=strings.with_name("name-only")).to("name-only-out")
    left.join(right, joiner, windows, stream_joined=StreamJoined.as_("store-only")).to("store-only-out")
    return b.build()


def dsl_two_joins_shared_repartition() -> Topology:
    """One re-keyed stream joined with two tables and a stream, unnamed: every join repartitions it under the
    KEY-SELECT node's name, so Kafka builds one repartition topic and shares it."""
    from kstreams_nb.dsl.windows import JoinWindows

    b = StreamsBuilder()
    rekeyed = b.stream("orders").select_key(lambda k, v: v)
    users = b.table("users")
    regions = b.table("regions")
    payments = b.stream("payments")
    rekeyed.join(users, lambda o, u: o + u).to("with-user")
    rekeyed.left_join(regions, lambda o, r: o + r).to("with-region")
    rekeyed.join(payments, lambda o, p: o + p, JoinWindows.of_time_difference_with_no_grace(FIVE_MINUTES)).to(
        "with-payment"
    )
    return b.build()


def dsl_session_windowed_count() -> Topology:
    """An unnamed session-windowed count, and a named one with a named store and grace."""
    from kstreams_nb.dsl.windows import SessionWindows

    b = StreamsBuilder()
    s = b.stream("input")
    (
        s.group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(FIVE_MINUTES))
        .count()
        .to_stream()
        .to("session-counts")
    )
    (
        s.group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(FIVE_MINUTES, ONE_MINUTE))
        .count(Named.as_("sessions"), Materialized.as_("session-store"))
        .to_stream()
        .to("named-session-counts")
    )
    return b.build()


def dsl_stream_stream_outer_joins() -> Topology:
    """Left and outer stream-stream joins: unnamed, and an outer join named with StreamJoined and a store name."""
    from kstreams_nb.dsl import JoinWindows, StreamJoined

    b = StreamsBuilder()
    left, right = b.stream("left"), b.stream("right")
    windows = JoinWindows.of_time_difference_and_grace(FIVE_MINUTES, ONE_MINUTE)
    left.left_join(right, lambda a, b2: f"{a}{b2}", windows).to("left-out")
    left.outer_join(right, lambda a, b2: f"{a}{b2}", windows).to("outer-out")
    left.outer_join(right, lambda a, b2: f"{a}{b2}", windows,
                    stream_joined=StreamJoined.as_("outer-store").with_name("outer-join")).to("named-outer-out")
    return b.build()


def dsl_foreign_key_join() -> Topology:
    """Foreign-key joins: an unnamed inner join, and a named left join with a named result store."""
    from kstreams_nb.dsl import TableJoined

    b = StreamsBuilder()
    orders, customers = b.table("orders"), b.table("customers")
    orders.join(customers, lambda o, c: f"{o}{c}", foreign_key_extractor=lambda v: v).to_stream().to("fk-inner")
    orders.left_join(customers, lambda o, c: f"{o}{c}", Materialized.as_("fk-store"),
                     foreign_key_extractor=lambda v: v, table_joined=TableJoined.as_("fk")).to_stream().to("fk-left")
    return b.build()


def dsl_cogroup() -> Topology:
    """Two grouped streams cogrouped into one aggregate, and a windowed cogroup with a named store."""
    from kstreams_nb.dsl.windows import TimeWindows

    b = StreamsBuilder()
    clicks, views = b.stream("clicks").group_by_key(), b.stream("views").group_by_key()
    (clicks.cogroup(lambda k, v, agg: agg + v).cogroup(views, lambda k, v, agg: agg + v)
     .aggregate(lambda: "").to_stream().to("cogrouped"))
    (clicks.cogroup(lambda k, v, agg: agg + v).cogroup(views, lambda k, v, agg: agg)
     .windowed_by(TimeWindows.of_size_with_no_grace(FIVE_MINUTES))
     .aggregate(lambda: "", named=Named.as_("windowed-cogroup"), materialized=Materialized.as_("cogroup-store"))
     .to_stream().to("windowed-cogrouped"))
    return b.build()


def dsl_sliding_windowed_count() -> Topology:
    """An unnamed sliding-windowed count, and a named reduce with a named store and grace."""
    from kstreams_nb.dsl import SlidingWindows

    b = StreamsBuilder()
    s = b.stream("input")
    s.group_by_key().windowed_by(SlidingWindows.of_time_difference_with_no_grace(FIVE_MINUTES)).count().to_stream(
    ).to("sliding-counts")
    (s.group_by_key().windowed_by(SlidingWindows.of_time_difference_and_grace(FIVE_MINUTES, ONE_MINUTE))
     .reduce(lambda a, v: a + v, Named.as_("sliding"), Materialized.as_("sliding-store")).to_stream()
     .to("named-sliding"))
    return b.build()


DSL_TOPOLOGIES: list[Callable[[], Topology]] = [
    dsl_filter_map_chain,
    dsl_stateless_ops,
    dsl_group_by_key_count,
    dsl_tumbling_window_count,
    dsl_hopping_window_count,
    dsl_table_group_by_count,
    dsl_table_group_by_reduce_aggregate,
    dsl_split_unnamed,
    dsl_split_named,
    dsl_select_key_to_table,
    dsl_repartition,
    dsl_suppress,
    dsl_wordcount,
    dsl_merge,
    dsl_table_filter_materialized,
    dsl_table_named_source,
    dsl_named_operators,
    dsl_process_with_store,
    dsl_two_aggregations,
    dsl_two_aggregations_named,
    dsl_group_by_key_after_map,
    dsl_windowed_reduce_aggregate,
    dsl_table_unnamed_materialized,
    dsl_rekey_grouping,
    dsl_count_unnamed_materialized,
    dsl_suppress_named,
    dsl_stream_table_join,
    dsl_global_table_join,
    dsl_table_table_join,
    dsl_stream_stream_join,
    dsl_stream_stream_join_named,
    dsl_two_joins_shared_repartition,
    dsl_session_windowed_count,
    dsl_stream_stream_outer_joins,
    dsl_foreign_key_join,
    dsl_cogroup,
    dsl_sliding_windowed_count,
]


#: golden name -> builder, in the oracle's order
TOPOLOGIES: dict[str, Callable[[], Topology]] = {
    f.__name__: f
    for f in [
        empty,
        source_processor_sink,
        wordcount_processor,
        pattern_source,
        global_store_first,
        global_stores_interleaved,
        shared_store,
        two_stores_two_sinks,
        fan_out,
        diamond,
        extractor_sink,
        many_topics,
        many_stores,
        wide,
        unicode_names,
        many_subtopologies,
        hash_collisions,
        *(_random(seed) for seed in range(1, 7)),
        # tables of 64 and 128 buckets for the node HashMap
        _random(7, 45),
        _random(8, 70),
        *DSL_TOPOLOGIES,
    ]
}
