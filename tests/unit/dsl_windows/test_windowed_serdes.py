"""Windowed key serdes, as Kafka's WindowedSerdesTest (testTimeWindowSerdeFrom) and the byte layout of
WindowKeySchema.toBinary/from (inner key bytes + 8-byte big-endian window start; end = start + window size,
capped at Long.MAX_VALUE)."""

from __future__ import annotations

import pytest

from kstreams_nb.dsl import TimeWindowedSerde, WindowedSerdes
from kstreams_nb.errors import DeserializationError, SerializationError, TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes

LONG_MAX = 2**63 - 1
TOPIC = "sample"


def test_time_window_serde_from() -> None:
    """WindowedSerdesTest.testTimeWindowSerdeFrom: Integer keys, window size Long.MAX_VALUE."""
    time_windowed = Windowed(10, Window(0, LONG_MAX))
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.integer(), LONG_MAX)
    data = serde.serializer().serialize(TOPIC, time_windowed)
    assert serde.deserializer().deserialize(TOPIC, data) == time_windowed


def test_bytes_are_the_inner_key_then_the_big_endian_start() -> None:
    serde = TimeWindowedSerde(Serdes.string(), 600_000)
    data = serde.serialize(TOPIC, Windowed("user-1", Window(1_200_000, 1_800_000)))
    assert data == b"user-1" + (1_200_000).to_bytes(8, "big")
    assert serde.deserialize(TOPIC, data) == Windowed("user-1", Window(1_200_000, 1_800_000))
    assert str(serde.deserialize(TOPIC, data)) == "[user-1@1200000/1800000]"


def test_the_end_comes_from_the_window_size_not_the_bytes() -> None:
    data = TimeWindowedSerde(Serdes.string(), 10).serialize(TOPIC, Windowed("k", Window(20, 25)))
    assert TimeWindowedSerde(Serdes.string(), 10).deserialize(TOPIC, data) == Windowed("k", Window(20, 30))


def test_end_is_capped_at_long_max() -> None:
    serde = TimeWindowedSerde(Serdes.long(), LONG_MAX)
    data = serde.serialize(TOPIC, Windowed(1, Window(5, LONG_MAX)))
    assert serde.deserialize(TOPIC, data) == Windowed(1, Window(5, LONG_MAX))


def test_none_is_null() -> None:
    serde = TimeWindowedSerde(Serdes.string(), 10)
    assert serde.serialize(TOPIC, None) is None
    assert serde.deserialize(TOPIC, None) is None


def test_errors() -> None:
    serde = TimeWindowedSerde(Serdes.string(), 10)
    with pytest.raises(SerializationError, match="takes Windowed keys"):
        serde.serialize(TOPIC, "not windowed")
    with pytest.raises(DeserializationError, match="at least 8 bytes"):
        serde.deserialize(TOPIC, b"abc")
    with pytest.raises(TopologyError, match="window_size_ms must be larger than zero"):
        TimeWindowedSerde(Serdes.string(), 0)
    with pytest.raises(TopologyError, match="needs serialize/deserialize"):
        TimeWindowedSerde(object(), 10)


def test_equality_and_repr() -> None:
    assert WindowedSerdes.TimeWindowedSerde(Serdes.string(), 5) == TimeWindowedSerde(Serdes.string(), 5)
    assert TimeWindowedSerde(Serdes.string(), 5) != TimeWindowedSerde(Serdes.string(), 6)
    assert repr(TimeWindowedSerde(Serdes.string(), 5)) == "TimeWindowedSerde(Serdes.string(), 5)"


def test_json_writes_a_windowed_key_as_an_object() -> None:
    """The library default (JSON) turns a Windowed key into {"key", "window": {"start", "end"}}."""
    assert Serdes.json().serialize(TOPIC, Windowed("a", Window(0, 10))) == (
        b'{"key":"a","window":{"start":0,"end":10}}'
    )
