"""sample / produce / read on the embedded broker: assign-only reads, serdes applied, bounded by count."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import UnknownTopicError
from kstreams_nb.notebook.inputs import records
from kstreams_nb.notebook.io import produce, read, sample
from kstreams_nb.serdes import Serdes

_ids = itertools.count()


@pytest.fixture
def broker() -> Iterator[tuple[EmbeddedBroker, dict[str, Any]]]:
    name = f"notebook-io-{next(_ids)}"
    b = EmbeddedBroker.reset(name)
    yield b, {"bootstrap.servers": f"memory://{name}"}
    EmbeddedBroker.drop(name)


def test_produce_then_read_round_trips_with_json(broker: tuple[EmbeddedBroker, dict[str, Any]]) -> None:
    b, cfg = broker
    b.create_topic("orders", partitions=1)
    assert produce("orders", records([("a", {"n": 1}, 10), ("b", {"n": 2}, 20)]), config=cfg) == 2
    df = read("orders", config=cfg)
    assert df[["key", "value", "timestamp", "partition", "offset"]].values.tolist() == [
        ["a", {"n": 1}, 10, 0, 0], ["b", {"n": 2}, 20, 0, 1],
    ]
    assert b.read("orders")[0].value == b'{"n":1}'  # plain JSON bytes on the topic


def test_produce_accepts_dataframes_and_stamps_missing_timestamps(
    broker: tuple[EmbeddedBroker, dict[str, Any]],
) -> None:
    b, cfg = broker
    b.create_topic("t")
    produce("t", pd.DataFrame({"user": ["ann"], "n": [1]}), config=cfg)
    produce("t", pd.DataFrame({"key": ["k"], "value": [2], "timestamp": [5]}), config=cfg)
    produce("t", ["plain"], config=cfg, value_serde=Serdes.string())
    raw = b.read("t")
    assert raw[0].key is None and raw[0].timestamp > 1_000_000_000_000  # the broker's clock
    assert (raw[1].key, raw[1].timestamp) == (b'"k"', 5)
    assert raw[2].value == b"plain"


def test_produce_creates_nothing(broker: tuple[EmbeddedBroker, dict[str, Any]]) -> None:
    b, cfg = broker
    b.create_topic("exists")
    with pytest.raises(UnknownTopicError, match=r"'missing'.*existing topics: exists"):
        produce("missing", [1], config=cfg)
    assert b.topics() == {"exists": 1}


def test_sample_unknown_topic_names_it_and_the_topics_that_exist(
    broker: tuple[EmbeddedBroker, dict[str, Any]],
) -> None:
    b, cfg = broker
    b.create_topic("orders")
    with pytest.raises(UnknownTopicError, match=r"'ordres' does not exist.*existing topics: orders"):
        sample("ordres", config=cfg)


def fill(b: EmbeddedBroker, cfg: dict[str, Any]) -> None:
    """Two partitions; partition 0 gets t=0,2,4,...; partition 1 gets t=1,3,5,... (10 records each)."""
    b.create_topic("events", partitions=2)
    for i in range(20):
        produce("events", records([(f"k{i}", i, i)]), config=cfg, partition=i % 2)


def test_sample_earliest_is_bounded_by_n_and_merged_by_timestamp(
    broker: tuple[EmbeddedBroker, dict[str, Any]],
) -> None:
    b, cfg = broker
    fill(b, cfg)
    df = sample("events", 6, config=cfg)
    assert df["value"].tolist() == [0, 1, 2, 3, 4, 5]
    assert sorted(set(df["partition"])) == [0, 1]
    assert len(sample("events", 100, config=cfg)) == 20


def test_sample_latest_takes_the_last_records_of_each_partition(
    broker: tuple[EmbeddedBroker, dict[str, Any]],
) -> None:
    b, cfg = broker
    fill(b, cfg)
    df = sample("events", 4, config=cfg, start="latest")
    assert df["value"].tolist() == [16, 17, 18, 19]
    assert df["offset"].tolist() == [8, 8, 9, 9]


def test_sample_from_a_timestamp(broker: tuple[EmbeddedBroker, dict[str, Any]]) -> None:
    b, cfg = broker
    fill(b, cfg)
    assert sample("events", 100, config=cfg, start=15)["value"].tolist() == [15, 16, 17, 18, 19]
    assert len(sample("events", 100, config=cfg, start=1000)) == 0
    with pytest.raises(ValueError, match="start must be"):
        sample("events", config=cfg, start="middle")


def test_sampling_joins_no_group_and_commits_nothing(broker: tuple[EmbeddedBroker, dict[str, Any]]) -> None:
    b, cfg = broker
    fill(b, cfg)
    sample("events", 5, config=cfg)
    read("events", config=cfg)
    assert b.groups() == []


def test_sample_of_an_empty_topic_returns_at_once_with_the_columns(
    broker: tuple[EmbeddedBroker, dict[str, Any]],
) -> None:
    b, cfg = broker
    b.create_topic("empty", partitions=3)
    df = sample("empty", 10, config=cfg, timeout=30.0)
    assert list(df.columns) == ["key", "value", "timestamp", "partition", "offset"] and len(df) == 0


def test_sample_uses_the_given_serdes(broker: tuple[EmbeddedBroker, dict[str, Any]]) -> None:
    b, cfg = broker
    b.create_topic("s")
    b.produce("s", b"k", b"text", timestamp=3)
    df = sample("s", config=cfg, key_serde=Serdes.string(), value_serde=Serdes.string())
    assert df[["key", "value"]].values.tolist() == [["k", "text"]]
