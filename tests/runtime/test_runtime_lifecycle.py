"""KafkaStreams lifecycle: close with a timeout, a thread that dropped out of the group, a failed start."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kstreams_nb import Processor, Record, Topology
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.errors import ConfigError
from kstreams_nb.streams import KafkaStreams, State

from ._support import S, config, produce, read_strings, start_running

pytestmark = pytest.mark.timeout(60)


class Gate(Processor):
    """Blocks on the value "slow" until the test opens the gate; forwards everything."""

    entered = threading.Event()
    release = threading.Event()

    def process(self, record: Record) -> None:
        if record.value == "slow":
            Gate.entered.set()
            Gate.release.wait(20)
        self.context.forward(record)


def gated_topology() -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("gate", Gate, "src")
        .add_sink("sink", "out", "gate", key_serializer=S, value_serializer=S)
    )


@pytest.fixture
def gate() -> Any:
    Gate.entered = threading.Event()
    Gate.release = threading.Event()
    yield Gate
    Gate.release.set()


def test_close_that_times_out_stays_pending_shutdown_until_the_threads_stop(
    broker: tuple[str, EmbeddedBroker], gate: Any
) -> None:
    """KafkaStreams.close(Duration): the shutdown helper thread joins every stream thread and only THEN
    sets NOT_RUNNING; close() waits for NOT_RUNNING up to the timeout and returns false if it is not reached
    ("Streams client cannot stop completely within the timeout"), leaving the client in PENDING_SHUTDOWN.
    Here _shutdown_to() sets NOT_RUNNING (and closes the global stores) although a stream thread is still
    running, so NOT_RUNNING no longer means that processing has stopped."""
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    streams = KafkaStreams(gated_topology(), config(name))
    start_running(streams)
    produce(b, "in", "k", "slow", 1)
    assert gate.entered.wait(10)
    assert streams.close(0.2) is False
    assert streams.state() is State.PENDING_SHUTDOWN
    gate.release.set()
    assert streams.wait_for_state(State.NOT_RUNNING, timeout=10)


def test_a_thread_that_dropped_out_of_the_group_rejoins_instead_of_killing_the_client(gate: Any) -> None:
    """TaskExecutor.commitOffsetsOrTransaction turns CommitFailedException into TaskMigratedException
    ("Consumer committing offsets failed, indicating the corresponding thread is no longer part of the group")
    and StreamThread.handleTaskMigrated closes the tasks dirty, unsubscribes and subscribes again: the thread
    rejoins and reprocesses from the last commit (at-least-once). Here the CommitFailedError escapes
    run_once(), the thread dies and the whole client goes to ERROR after one slow record (a member that does
    not poll within max.poll.interval.ms is removed from the group)."""
    now = [0.0]
    b = EmbeddedBroker("rt-rejoin", ticker=lambda: now[0])
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    streams = KafkaStreams(
        gated_topology(), config("rt-rejoin"), client_supplier=MemoryClientSupplier(b)
    )
    try:
        start_running(streams)
        produce(b, "in", "k", "slow", 1)
        assert gate.entered.wait(10)
        now[0] += 301.0  # longer than max.poll.interval.ms (300 s) without a poll
        gate.release.set()
        produce(b, "in", "k", "after", 2)
        assert b.wait_until_consumed("app", ["in"], timeout=10), (streams.state(), streams.exception)
        assert streams.state() is State.RUNNING
        assert "after" in read_strings(b, "out")
    finally:
        streams.close(10)


def test_a_start_that_fails_does_not_leave_the_client_rebalancing(broker: tuple[str, EmbeddedBroker]) -> None:
    """Kafka validates every client setting before anything runs (ConfigException from the KafkaStreams
    constructor, or from start() while still CREATED), so a client whose start failed never reports
    REBALANCING. Here start() moves to REBALANCING (and tells the state listener so) before it builds the
    stream threads; when a thread's consumer rejects its config the exception escapes and the client is left
    REBALANCING with no thread at all."""
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    t = Topology().add_source("src", "in").add_sink("sink", "out", "src")
    streams = KafkaStreams(t, config(name, **{"auto.offset.reset": "bogus"}))
    with pytest.raises(ConfigError):
        streams.start()
    assert streams.state() is not State.REBALANCING
