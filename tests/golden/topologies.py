"""The golden topologies, built with kstreams_nb.

Each function here has a twin of the same name in tests/java/src/main/java/kstreams_nb/oracle/ (the Kafka
Streams oracle), and ``str(build().describe())`` must equal tests/golden/describe/<name>.txt, which the oracle
wrote. Change both sides together, then run ``python tests/java/run_oracle.py``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from kstreams_nb.processor import Processor
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
    ]
}
