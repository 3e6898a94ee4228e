"""In a real kernel: a live panel made in one cell keeps moving while no cell runs (its queue is drained on the
kernel's event loop, on the kernel's main thread, never by the sampler thread), and stops with the application."""

from __future__ import annotations

import time

import pytest

from ._support import Kernel

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

SETUP = """
import threading
from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Materialized
from kstreams_nb.jobs._panel import panel
from kstreams_nb.notebook import produce
from kstreams_nb.notebook.inputs import records
from kstreams_nb.streams import KafkaStreams, State

S = Serdes.string()
broker = EmbeddedBroker.reset("panel-kernel")
broker.create_topic("lines", 2)
broker.create_topic("counts-out", 2)
b = StreamsBuilder()
(b.stream("lines", Consumed.with_(S, S)).flat_map_values(lambda line: line.split())
 .group_by(lambda _k, word: word).count(materialized=Materialized.as_("counts")).to_stream().to("counts-out"))
streams = KafkaStreams(b, {"application.id": "wc", "bootstrap.servers": "memory://panel-kernel",
                           "commit.interval.ms": 50})
streams.start()
assert streams.wait_for_state(State.RUNNING, timeout=20)
p = panel(streams, interval=0.1)
seen = set()
_apply = p._apply
def _recorded(snap):
    seen.add(threading.get_ident())
    _apply(snap)
p._apply = _recorded
print(p._loop is not None, p.last is None)
"""
PRODUCE = """
produce("lines", records([("a", "the quick fox"), ("b", "the lazy dog")]), config={"bootstrap.servers":
        "memory://panel-kernel"}, key_serde=S, value_serde=S)
"""
MOVED = """
print(p.last is not None and p.last.state == "RUNNING" and sum(p.last.records_per_s_by_task.values()) > 0
      and "<td>0_0</td>" in p.rates.value and "RUNNING" in p.state_label.value)
"""
THREADS = "print(seen == {threading.main_thread().ident} == {p._owner}, p._thread.ident not in seen)"
STOPPED = """
print(not p.sampling and p.last is not None and p.last.state == "NOT_RUNNING" and "NOT_RUNNING" in p.state_label.value)
"""


def _eventually(kernel: Kernel, cell: str, timeout: float = 30.0) -> None:
    """Run ``cell`` (which prints True or False) until it prints True: between runs the kernel is idle."""
    deadline = time.monotonic() + timeout
    while (out := kernel.run(cell)) != "True\n":
        assert out == "False\n", out
        assert time.monotonic() < deadline, f"still False after {timeout} s: {cell}"
        time.sleep(0.1)


def test_the_panel_moves_between_cells_and_stops_with_the_application(kernel: Kernel) -> None:
    assert kernel.run(SETUP, cell_id="setup") == "True True\n"  # the kernel's loop was captured
    kernel.run(PRODUCE, cell_id="produce")
    _eventually(kernel, MOVED)  # no cell calls refresh(): the kernel's loop drained the samples
    assert kernel.run(THREADS) == "True True\n"
    assert kernel.run("print(streams.close(10))") == "True\n"
    _eventually(kernel, STOPPED)
    assert kernel.run(THREADS) == "True True\n"
