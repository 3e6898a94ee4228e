"""The suppression buffer's changelog is Kafka's, byte for byte, both ways.

Kafka's InMemoryTimeOrderedKeyValueChangeBuffer.logValue writes ``BufferValue.serialize`` + the buffer time with
the header ``v`` = 3 (CHANGELOG_HEADERS) and evictions as tombstones without headers; restoreBatch reads version 3
(TimeOrderedKeyValueBufferTest.shouldRestoreV3Format spells the layout). The expected bytes here were written by
Kafka Streams 4.4.0 itself (tests/java/.../SuppressChangelog.java, committed as suppress_oracle.txt):

- the TopologyTestDriver writes the same changelog records (key, value, headers) for the same inputs, input by
  input (Kafka flushes its dirty keys in hash order, so each input's records are compared as a set);
- a buffer restored from Kafka's records holds what Kafka's held, and emits it as Kafka did next.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

from kstreams_nb.dsl import Change
from kstreams_nb.dsl._suppress_buffer import InMemorySuppressionBuffer, SuppressionBufferBuilder
from kstreams_nb.dsl._suppress_changelog import decode_buffer_value, encode_buffer_value
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import Headers, Record, RecordMetadata, TaskId
from kstreams_nb.testing import TopologyTestDriver

from ._suppress_oracle import FIXTURE, B, L, Line, S, changelog_topic, load, program

ORACLE = load()
JAVA_DIR = Path(__file__).resolve().parents[2] / "java"


@pytest.fixture
def replay_guarantee() -> str:
    return "at_least_once"


@pytest.fixture
def runtime_replay() -> None:
    """Not replayed on 3-partition topics: the outputs name the input partition and offset of each record, which
    the driver's single partition fixes (test_suppress_record_context runs Kafka's bytes on the runtime)."""


def _key(line: Line) -> tuple[bytes, bytes, list[tuple[str, bytes | None]]]:
    return line.key or b"", line.value or b"", line.headers.to_list()


def test_the_fixture_holds_both_programs() -> None:
    assert sorted(ORACLE) == ["final", "sup"]
    assert [len(steps) for steps in ORACLE.values()] == [6, 5]
    # every value Kafka wrote carries exactly the version header; tombstones carry none
    lines = [line for steps in ORACLE.values() for step in steps for line in step.changelog]
    assert {tuple(line.headers.to_list()) for line in lines if line.value is not None} == {(("v", b"\x03"),)}
    assert all(not line.headers.to_list() for line in lines if line.value is None)


@pytest.mark.parametrize("name", sorted(ORACLE))
def test_the_driver_writes_kafkas_changelog_and_output(name: str) -> None:
    with TopologyTestDriver(program(name), {"application.id": "app", "statestore.cache.max.bytes": 0}) as driver:
        topic = driver.create_input_topic("input", S, S)
        changelog = driver.create_output_topic(changelog_topic(name), B, B)
        output = driver.create_output_topic("output", B, B)
        for i, step in enumerate(ORACLE[name]):
            src = step.input
            assert src.key is not None and src.value is not None and src.ts is not None
            topic.pipe_input(src.key.decode(), src.value.decode(), src.ts, src.headers)
            written = [Line("changelog", r.key, r.value, None, r.headers) for r in changelog.read_records_to_list()]
            assert sorted(map(_key, written)) == sorted(map(_key, step.changelog)), f"input {i}"
            emitted = [Line("out", r.key, r.value, r.timestamp, r.headers) for r in output.read_records_to_list()]
            assert emitted == step.out, f"input {i}"


def _restore_records(name: str, steps: int) -> list[tuple[bytes, bytes | None, int, Headers]]:
    return [(line.key or b"", line.value, 0, line.headers)
            for step in ORACLE[name][:steps] for line in step.changelog]


class _Ctx:
    application_id = "app"
    task_id = TaskId(0, 0)
    app_configs: dict[str, object] = {}  # noqa: RUF012
    key_serde = value_serde = None

    def register(self, store: object, restore_callback: object, *, logged: bool) -> None:
        self.restore = restore_callback

    def log_change(self, *args: object) -> None:
        raise AssertionError("restoring must not write the changelog")


def _restored(records: list[tuple[bytes, bytes | None, int, Headers]]) -> InMemorySuppressionBuffer:
    buffer = SuppressionBufferBuilder("sup-store", S, L).build()
    ctx = _Ctx()
    buffer.init(ctx, buffer)  # type: ignore[arg-type]
    buffer.restore_batch(records)
    return buffer


def _drain(buffer: InMemorySuppressionBuffer) -> list[tuple[Record, RecordMetadata | None]]:
    out: list[tuple[Record, RecordMetadata | None]] = []
    buffer.evict_while(lambda: True, lambda record, meta: out.append((record, meta)))
    return out


def test_a_buffer_kafka_wrote_restores_with_each_records_own_context() -> None:
    """Kafka's changelog after the 5th input of ``sup`` holds c (buffered at 12; without a cache the count's first
    old value is the initializer's 0) and b (re-buffered at 13, its old value equal to its prior one: length -2).
    Kafka emits both at the 6th input (``out`` lines): c with its headers from offset 3, b at 13 from offset 4
    without headers."""
    buffer = _restored(_restore_records("sup", 5))
    assert buffer.num_records == 2 and buffer.min_timestamp == 12
    assert buffer.prior_value_for_buffered("b") == (True, 1)
    assert _drain(buffer) == [
        (Record("c", Change(1, 0), 12, Headers([("h", b"3")])), RecordMetadata("input", 0, 3)),
        (Record("b", Change(2, 1), 13), RecordMetadata("input", 0, 4)),
    ]
    assert [line.value for line in ORACLE["sup"][5].out] == [b"1@input/0/3", b"2@input/0/4"]


def test_restored_entries_write_back_kafkas_bytes() -> None:
    """Decoding then encoding every value Kafka wrote gives Kafka's bytes back."""
    for steps in ORACLE.values():
        for line in (line for step in steps for line in step.changelog if line.value is not None):
            assert line.value is not None
            v = decode_buffer_value(line.value)
            again = encode_buffer_value(v.timestamp, v.offset, v.topic, v.partition, v.headers, v.prior, v.old,
                                        v.new, v.time)
            assert again == line.value


def test_the_byte_layout_by_hand() -> None:
    """ProcessorRecordContext (ts, offset, topic, partition, headers), prior, old (-2: same as prior), new, time."""
    data = encode_buffer_value(7, 3, "in", 1, Headers([("h", b"x"), ("n", None)]), b"p", b"p", None, 9)
    assert data == (
        struct.pack(">qqi", 7, 3, 2) + b"in" + struct.pack(">ii", 1, 2)
        + struct.pack(">i", 1) + b"h" + struct.pack(">i", 1) + b"x"
        + struct.pack(">i", 1) + b"n" + struct.pack(">i", -1)
        + struct.pack(">i", 1) + b"p" + struct.pack(">i", -2) + struct.pack(">i", -1)
        + struct.pack(">q", 9)
    )
    assert encode_buffer_value(0, 0, None, -1, Headers(), None, None, b"n", 0)[16:20] == struct.pack(">i", 0)
    decoded = decode_buffer_value(data)
    assert (decoded.prior, decoded.old, decoded.old_is_prior, decoded.new) == (b"p", b"p", True, None)


@pytest.mark.parametrize(
    ("headers", "message"),
    [(Headers(), "no 'v' header"), (Headers([("v", b"\x02")]), "v=b'\\\\x02'"), (Headers([("v", b"\x01")]), "x01")],
)
def test_older_changelog_versions_are_refused_with_advice(headers: Headers, message: str) -> None:
    key, value, ts, _ = _restore_records("sup", 1)[0]
    with pytest.raises(StateStoreError, match=message) as info:
        _restored([(key, value, ts, headers)])
    assert "version 3" in str(info.value) and "sup-store" in str(info.value)


def test_records_without_known_headers_are_read_as_version_3() -> None:
    """A restore callback handed ``(key, value, timestamp)`` (no headers) reads Kafka's current format."""
    buffer = _restored([(k, v, ts) for k, v, ts, _ in _restore_records("sup", 2)])  # type: ignore[misc]
    assert buffer.num_records == 2


def test_a_truncated_value_is_refused() -> None:
    key, value, ts, headers = _restore_records("sup", 1)[0]
    assert value is not None
    with pytest.raises(StateStoreError, match="ends early"):
        _restored([(key, value[:-3], ts, headers)])


@pytest.mark.java
def test_the_oracle_still_prints_the_fixture() -> None:
    """Run Kafka Streams itself: its output must be the committed fixture, byte for byte (skipped without Java or
    Maven, failed in CI, by run_oracle.run_main_in_test)."""
    spec = importlib.util.spec_from_file_location("kstreams_nb_run_oracle", JAVA_DIR / "run_oracle.py")
    assert spec is not None and spec.loader is not None
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    assert oracle.run_main_in_test("kstreams_nb.oracle.SuppressChangelog") == FIXTURE.read_text("utf-8")
