"""In a real kernel: re-running the cell that started a KafkaStreams replaces the instance it started before;
instances started by other cells, or by one run of a cell, stay and share the tasks."""

from __future__ import annotations

import pytest

from ._support import Kernel

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

SETUP = """
from kstreams_nb import Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, State

broker = EmbeddedBroker.reset("hygiene-kernel")
broker.create_topic("in", 2)
broker.create_topic("out", 1)
topology = Topology().add_source("src", "in").add_sink("sink", "out", "src")
config = {"application.id": "app", "bootstrap.servers": "memory://hygiene-kernel"}
"""
START = """
streams = KafkaStreams(topology, config)
streams.start()
assert streams.wait_for_state(State.RUNNING, timeout=20)
print(len(KafkaStreams.running()))
"""
LOOP = """
for _ in range(2):
    KafkaStreams(topology, config).start()
print(len(KafkaStreams.running()))
"""


def test_rerunning_a_start_cell_replaces_its_instance(kernel: Kernel) -> None:
    kernel.run(SETUP, cell_id="setup")
    assert kernel.run(START, cell_id="start-a") == "1\n"
    assert kernel.run(START, cell_id="start-a") == "1\n"  # re-run: the first instance is closed
    assert kernel.run(START, cell_id="start-b") == "2\n"  # another cell: both kept
    assert kernel.run(START, cell_id="start-a") == "2\n"
    assert kernel.run(LOOP, cell_id="loop") == "4\n"  # one run starting two: both kept
    assert kernel.run(LOOP, cell_id="loop") == "4\n"
    assert kernel.run(START) == "5\n"  # no cell id (nbclient): the source identifies the cell
    assert kernel.run(START) == "5\n"
    closed = kernel.run("print(all(s.close(10) for s in KafkaStreams.running()), KafkaStreams.running())")
    assert closed == "True []\n"
