"""The offset metadata a task commits is Kafka's TopicPartitionMetadata, byte for byte.

``partition_metadata_oracle.txt`` is what Kafka Streams 4.4.0 itself encodes (tests/java, class
``kstreams_nb.oracle.PartitionMetadata``): one line per case, ``<encode()>\\t<partition time>\\t<key=value,...>``
with the entries in the order they were put. We encode each case to the same string and decode Kafka's string
back to the same values.
"""

from __future__ import annotations

import base64
import importlib.util
import logging
from pathlib import Path

import pytest

from kstreams_nb._engine.partition_metadata import (
    ProcessorMetadata,
    decode_partition_metadata,
    encode_partition_metadata,
)

FIXTURE = Path(__file__).with_name("partition_metadata_oracle.txt")
JAVA_DIR = Path(__file__).resolve().parents[2] / "java"


def _cases() -> list[tuple[str, int, list[tuple[str, int]]]]:
    cases = []
    for line in FIXTURE.read_text("utf-8").splitlines():
        encoded, time, entries = line.split("\t")
        pairs = [(k, int(v)) for k, v in (e.rsplit("=", 1) for e in entries.split(",") if e)]
        cases.append((encoded, int(time), pairs))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("encoded", "time", "entries"), CASES, ids=[f"{len(c[2])}-entries-{c[1]}" for c in CASES])
def test_encoding_matches_kafka_streams(encoded: str, time: int, entries: list[tuple[str, int]]) -> None:
    metadata = ProcessorMetadata()
    for key, value in entries:
        metadata.put(key, value)
    assert encode_partition_metadata(time, metadata.serialize()) == encoded


@pytest.mark.parametrize(("encoded", "time", "entries"), CASES, ids=[f"{len(c[2])}-entries-{c[1]}" for c in CASES])
def test_decoding_reads_what_kafka_streams_wrote(encoded: str, time: int, entries: list[tuple[str, int]]) -> None:
    decoded_time, metadata = decode_partition_metadata(encoded)
    assert decoded_time == time
    assert sorted(metadata.items()) == sorted(entries)


def test_the_fixture_covers_a_resized_java_hash_map() -> None:
    """More than 12 keys: Kafka's HashMap has grown to 32 buckets, and its iteration order is not put order."""
    big = max(CASES, key=lambda c: len(c[2]))
    assert len(big[2]) > 12
    raw = base64.b64decode(big[0])
    assert raw.index(b"store-15") < raw.index(b"store-19")  # put last-but-four, iterated first


def test_version_1_metadata_has_a_partition_time_and_no_processor_metadata() -> None:
    v1 = base64.b64encode(bytes([1]) + (1234).to_bytes(8, "big", signed=True)).decode()
    time, metadata = decode_partition_metadata(v1)
    assert (time, list(metadata.items())) == (1234, [])


@pytest.mark.parametrize(
    ("metadata", "logged"),
    [
        (None, None),
        ("", None),
        ("stream-time=0", "not base64"),
        (base64.b64encode(bytes([3]) + bytes(8)).decode(), "version 1 or 2"),
        (base64.b64encode(bytes([2, 0, 0])).decode(), "version 1 or 2"),
    ],
)
def test_metadata_without_a_readable_time_gives_none(
    metadata: str | None, logged: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        time, processor_metadata = decode_partition_metadata(metadata)
    assert (time, list(processor_metadata.items())) == (None, [])
    assert (logged in caplog.text) if logged else not caplog.text


def test_a_truncated_processor_metadata_keeps_the_partition_time(caplog: pytest.LogCaptureFixture) -> None:
    """As Kafka's decode: the time was read before the processor metadata failed."""
    good = base64.b64decode(CASES[2][0])
    with caplog.at_level(logging.WARNING):
        time, metadata = decode_partition_metadata(base64.b64encode(good[:-3]).decode())
    assert (time, list(metadata.items())) == (CASES[2][1], [])
    assert "ends early" in caplog.text


def test_update_keeps_the_larger_value_of_each_key() -> None:
    merged = ProcessorMetadata({"a": 10, "b": 1})
    merged.update(ProcessorMetadata({"a": 5, "b": 7, "c": -3}))
    assert dict(merged.items()) == {"a": 10, "b": 7, "c": -3}


@pytest.mark.parametrize("value", [1.5, True, 1 << 63, "1"])
def test_values_are_64_bit_integers(value: object) -> None:
    with pytest.raises(TypeError, match="64-bit"):
        ProcessorMetadata().put("k", value)  # type: ignore[arg-type]


@pytest.mark.java
def test_the_oracle_still_prints_the_fixture() -> None:
    """Run Kafka Streams itself: its output must be the committed fixture, byte for byte."""
    spec = importlib.util.spec_from_file_location("kstreams_nb_run_oracle", JAVA_DIR / "run_oracle.py")
    assert spec is not None and spec.loader is not None
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    assert oracle.run_main_in_test("kstreams_nb.oracle.PartitionMetadata") == FIXTURE.read_text("utf-8")
