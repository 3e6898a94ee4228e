"""The suppression buffer's size estimate de-duplicates the prior and the old value by CONTENT.

Kafka's BufferValue constructor (streams/src/main/java/org/apache/kafka/streams/state/internals/BufferValue.java)
replaces ``priorValue`` by the ``oldValue`` reference when ``Arrays.equals(priorValue, oldValue)``, and
``residentMemorySizeEstimate`` then counts the old value once. So when a buffered key is updated again and the
update's old value equals the key's prior value (the value downstream last saw), the entry does not grow. Counting
it twice made ``max_bytes`` buffers emit early where Kafka does not.

Expected records: Kafka Streams 4.4.0's TopologyTestDriver on the same program (``statestore.cache.max.bytes=0``).
Sizes (key "a"/"c", topic "input": record context 8 + 8 + 4 + 5 = 25 bytes): c = 8+1+1+25 = 35; a after the no-op
update a=x = 8+1+1(prior)+1(new)+25 = 36; a after a=y has prior "x" and old "x" so it stays 36; total 71.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from kstreams_nb.dsl import BufferConfig, Change, Consumed, Produced, StreamsBuilder, Suppressed
from kstreams_nb.dsl._suppress_buffer import InMemorySuppressionBuffer
from kstreams_nb.records import Record, TaskId
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

S = Serdes.string()


def limited(max_bytes: int) -> Any:
    builder = StreamsBuilder()
    (
        builder.table("input", Consumed.with_(S, S))
        .suppress(Suppressed.until_time_limit(10, BufferConfig.max_bytes(max_bytes).emit_early_when_full()))
        .to_stream()
        .to("output", Produced.with_(S, S))
    )
    return builder.build()


@pytest.mark.parametrize(
    ("max_bytes", "after_101", "after_200"),
    [
        (70, [("c", "q")], [("a", "y", 102)]),  # 71 bytes at t=101: over the bound, c goes early
        (71, [], [("c", "q", 100), ("a", "y", 102)]),  # 71 bytes fit, and a=y@102 keeps them at 71
    ],
)
def test_an_old_value_equal_to_the_prior_value_is_counted_once(
    max_bytes: int, after_101: list[tuple[str, str]], after_200: list[tuple[str, str, int]]
) -> None:
    with TopologyTestDriver(limited(max_bytes), {"statestore.cache.max.bytes": 0}) as driver:
        inp = driver.create_input_topic("input", S, S)
        out = driver.create_output_topic("output", S, S)
        inp.pipe_input("a", "x", 0)
        inp.pipe_input("c", "q", 100)  # a@0 expires (0 <= 100 - 10)
        assert out.read_key_values_to_list() == [("a", "x")]
        inp.pipe_input("a", "x", 101)  # a no-op update: Change("x", "x"), prior "x"
        assert out.read_key_values_to_list() == after_101
        inp.pipe_input("a", "y", 102)  # Change("y", "x"): old == prior
        assert out.read_key_values_to_list() == []
        inp.pipe_input("d", "z", 200)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == after_200


class _Ctx:
    application_id = "app"
    task_id = TaskId(0, 0)
    app_configs: ClassVar[dict[str, Any]] = {}
    key_serde = value_serde = None

    def register(self, store: Any, restore_callback: Any, *, logged: bool) -> None:
        pass

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None,
                   headers: Any = None) -> None:
        pass


def test_buffer_size_after_a_reput_whose_old_value_equals_the_prior() -> None:
    buffer = InMemorySuppressionBuffer("buf", S, S, logging_enabled=False)
    buffer.init(_Ctx(), buffer)  # type: ignore[arg-type]
    buffer.put(1, Record("k", Change("v1", "v0"), 1), "t", 0, 0)
    first = buffer.buffer_size  # 8 + 1 + len(prior "v0") + len(new "v1") + 8 + 8 + 4 + len("t")
    assert first == 8 + 1 + 2 + 2 + 21
    buffer.put(1, Record("k", Change("v0", "v1"), 2), "t", 0, 1)  # old "v1" != prior "v0": counted
    assert buffer.buffer_size == first + 2
    buffer.put(1, Record("k", Change("v2", "v0"), 3), "t", 0, 2)  # old "v0" == prior "v0": counted once
    assert buffer.buffer_size == first
