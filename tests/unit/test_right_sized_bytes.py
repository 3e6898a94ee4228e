"""Serdes and the embedded broker keep right-sized bytes (orjson 3.12+ returns each result in a 4 KB buffer)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from kstreams_nb import Serdes
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.serdes import JSON_BACKEND


def held_per_object(make: Callable[[int], Any], n: int = 2_000) -> float:
    """Bytes that tracemalloc sees held per object made by ``make``."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make(i) for i in range(n)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(kept) == n
    return held / n


@pytest.mark.parametrize(
    ("name", "value"),
    [("json", lambda i: {"user": f"user-{i}", "n": i}), ("json", lambda i: f"key-{i}"), ("string", str),
     ("integer", int), ("long", int), ("double", float)],
)
def test_serialized_bytes_are_right_sized(name: str, value: Callable[[int], Any]) -> None:
    serde = getattr(Serdes, name)()
    per_object = held_per_object(lambda i: serde.serialize("t", value(i)))
    assert per_object < 200, f"{name} keeps {per_object:.0f} bytes per small value"


def test_the_broker_keeps_records_as_compact_bytes() -> None:
    broker = EmbeddedBroker()
    broker.create_topic("t", 1)
    keys = [Serdes.json().serialize("t", f"user-{i}") for i in range(2_000)]

    def produce(i: int) -> None:
        broker.produce("t", keys[i], b"%d" % i, timestamp=1_700_000_000_000)

    per_record = held_per_object(produce)
    assert per_record < 100, f"the log keeps {per_record:.0f} bytes per record of about 16 bytes"
    assert [r.key for r in broker.read("t")[:2]] == keys[:2]


@pytest.mark.parametrize(("flag", "expected"), [("1", "json"), ("0", None)])
def test_kstreams_nb_no_orjson_selects_the_stdlib(flag: str, expected: str | None) -> None:
    env = {**os.environ, "KSTREAMS_NB_NO_ORJSON": flag}
    code = (
        "from kstreams_nb.serdes import JSON_BACKEND, Serdes; "
        "print(JSON_BACKEND, Serdes.json().serialize('t', {1: 'é'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    backend, _, payload = out.strip().partition(" ")
    assert backend == (expected or JSON_BACKEND)
    assert payload == "b'{\"1\":\"\\xc3\\xa9\"}'"
