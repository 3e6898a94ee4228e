"""Tasks are built from the topology compiled at ``start()``: editing the user's Topology afterwards (a notebook
cell run again, say) does not reach the tasks, even those created later — by a replacement thread, or when
partitions come back after another instance leaves."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from kstreams_nb import Processor, Record, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, State

from ._support import L, S, config, counting_topology, produce, read_strings, start_running, wait_until

pytestmark = pytest.mark.timeout(60)


class FailOnce(Processor):
    """Forwards every record; raises on the first record valued "boom" seen by any instance."""

    failed: ClassVar[list[bool]] = []

    def process(self, record: Record) -> None:
        if record.value == "boom" and not FailOnce.failed:
            FailOnce.failed.append(True)
            raise RuntimeError("boom")
        self.context.forward(record)


def tasks_of(streams: KafkaStreams) -> list[str]:
    return sorted(t for ids in streams.local_tasks().values() for t in ids)


def test_a_replacement_thread_builds_its_tasks_from_the_compiled_topology(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    for topic in ("in", "out", "leaked"):
        b.create_topic(topic, 1)
    FailOnce.failed.clear()
    topology = (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("fail-once", FailOnce, "src")
        .add_sink("sink", "out", "fail-once", key_serializer=S, value_serializer=S)
    )
    streams = KafkaStreams(topology, config(name))
    streams.set_uncaught_exception_handler(lambda e: "REPLACE_THREAD")
    try:
        start_running(streams)
        produce(b, "in", "k", "first", 1)
        assert wait_until(lambda: read_strings(b, "out") == ["first"]), read_strings(b, "out")
        first_thread = streams._threads[0]
        # edited after start: a new sink on the running processor
        topology.add_sink("leak", "leaked", "fail-once", key_serializer=S, value_serializer=S)
        produce(b, "in", "k", "boom", 2)
        assert wait_until(lambda: streams._threads[0] is not first_thread), streams.state()
        produce(b, "in", "k", "after", 3)
        assert b.wait_until_consumed("app", ["in"], timeout=30)
        assert streams.state() is State.RUNNING, streams.exception
    finally:
        streams.close(30)
    assert FailOnce.failed == [True]
    assert read_strings(b, "out") == ["first", "boom", "after"]
    assert read_strings(b, "leaked") == []


def test_tasks_created_after_another_instance_leaves_follow_the_compiled_topology(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    for topic, partitions in (("in", 2), ("out", 2), ("leaked", 2)):
        b.create_topic(topic, partitions)
    settings: dict[str, Any] = config(name)
    topology = counting_topology("in")
    first = KafkaStreams(topology, settings)
    second = KafkaStreams(counting_topology("in"), settings)
    try:
        start_running(first)
        assert wait_until(lambda: tasks_of(first) == ["0_0", "0_1"]), first.local_tasks()
        topology.add_sink("leak", "leaked", "count", key_serializer=S, value_serializer=L)
        start_running(second)
        assert wait_until(lambda: len(tasks_of(first)) == 1 and len(tasks_of(second)) == 1, timeout=30)
        assert second.close(30)
        # the task the second instance had is created anew on the first, after the edit
        assert wait_until(lambda: tasks_of(first) == ["0_0", "0_1"], timeout=30), first.local_tasks()
        for p in (0, 1):
            produce(b, "in", f"k{p}", "x", 1, partition=p)
        assert b.wait_until_consumed("app", ["in"], timeout=30)
        assert first.state() is State.RUNNING, first.exception
    finally:
        first.close(30)
        second.close(30)
    assert sorted(S.deserialize("out", r.key) for r in b.read("out")) == ["k0", "k1"]
    assert b.read("leaked") == []
