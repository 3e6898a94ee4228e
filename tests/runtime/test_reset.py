"""Application reset (Kafka's kafka-streams-application-reset) on the embedded broker: a counting application run,
closed, reset and run again counts from the input's beginning on re-created internal topics; a reset is refused
while the application runs; a dry run changes nothing; the ``kstreams-nb reset`` command."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb._cli_reset import add_reset_command, run_reset
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Grouped, Produced, StreamsBuilder
from kstreams_nb.errors import StreamsStateError
from kstreams_nb.records import TopicPartition
from kstreams_nb.reset import reset_application
from kstreams_nb.streams import KafkaStreams

from ._support import L, S, fresh_broker, produce, read_longs, start_running

APP = "counter"
WORDS = ["a", "b", "a", "c", "a", "b"]
COUNTS = {"a": 3, "b": 2, "c": 1}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[str, EmbeddedBroker]]:
    name, b = fresh_broker()
    b.create_topic("in", 2)
    b.create_topic("out", 2)
    b.create_topic("counter-lines")  # the application's prefix, but no internal suffix
    b.create_topic("other-counter-changelog")  # an internal suffix, but another application's prefix
    for i, word in enumerate(WORDS):
        produce(b, "in", f"k{i}", word, ts=i)
    yield name, b
    EmbeddedBroker.drop(name)


def _topology() -> Any:
    """Counts words (the values) through a repartition topic and a logged store."""
    b = StreamsBuilder()
    (
        b.stream("in", Consumed.with_(S, S))
        .group_by(lambda k, v: v, Grouped.with_(S, S).with_name("by-word"))
        .count()
        .to_stream()
        .to("out", Produced.with_(S, L))
    )
    return b.build()


def _streams(name: str, tmp_path: Path) -> KafkaStreams:
    return KafkaStreams(_topology(), {
        "application.id": APP, "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 0,
        "statestore.cache.max.bytes": 0, "state.dir": str(tmp_path),
    })


def _run_to_end(name: str, tmp_path: Path) -> None:
    with _streams(name, tmp_path) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=30)


def _internal(b: EmbeddedBroker) -> list[str]:
    return sorted(t for t in b.topics() if t.startswith(f"{APP}-") and t != "counter-lines")


def _committed(b: EmbeddedBroker) -> dict[TopicPartition, int | None]:
    return {TopicPartition("in", p): b.committed(APP, TopicPartition("in", p)) for p in range(2)}


def test_a_reset_application_counts_again_from_the_beginning(
    broker: tuple[str, EmbeddedBroker], tmp_path: Path
) -> None:
    name, b = broker
    _run_to_end(name, tmp_path)
    first = read_longs(b, "out")
    assert dict(first) == COUNTS
    internal = _internal(b)
    assert internal == ["counter-KSTREAM-AGGREGATE-STATE-STORE-0000000002-changelog", "counter-by-word-repartition",
                        "counter-control"]
    ends = {TopicPartition("in", p): end for p, end in b.end_offsets("in").items()}
    assert _committed(b) == ends

    report = reset_application(APP, f"memory://{name}")

    assert not report.dry_run
    assert report.previous == ends  # the repartition topic's offsets went with the topic
    assert report.offsets == {TopicPartition("in", 0): 0, TopicPartition("in", 1): 0}
    assert report.deleted_topics == tuple(internal)
    assert _committed(b) == {TopicPartition("in", 0): 0, TopicPartition("in", 1): 0}
    assert _internal(b) == []
    assert b.has_topic("counter-lines") and b.has_topic("other-counter-changelog") and b.has_topic("out")
    assert "in[0]" in str(report) and "counter-by-word-repartition" in str(report)

    _run_to_end(name, tmp_path)
    second = read_longs(b, "out")[len(first):]
    assert dict(second) == COUNTS  # not 6, 4, 2: the count started over from the input's beginning
    assert sorted(v for k, v in second if k == "a") == [1, 2, 3]
    assert _internal(b) == internal  # re-created by start()
    assert sum(b.end_offsets("counter-by-word-repartition").values()) == len(WORDS)  # only the second run's


def test_a_reset_is_refused_while_the_application_runs(broker: tuple[str, EmbeddedBroker], tmp_path: Path) -> None:
    name, b = broker
    with _streams(name, tmp_path) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=30)
        committed, internal = _committed(b), _internal(b)
        with pytest.raises(StreamsStateError, match=r"'counter'.*1 active member"):
            reset_application(APP, f"memory://{name}")
        assert _committed(b) == committed and _internal(b) == internal
    report = reset_application(APP, f"memory://{name}")  # closed: the group is empty now
    assert report.deleted_topics == tuple(internal)


def test_a_dry_run_reports_and_changes_nothing(broker: tuple[str, EmbeddedBroker], tmp_path: Path) -> None:
    name, b = broker
    _run_to_end(name, tmp_path)
    committed, internal = _committed(b), _internal(b)
    report = reset_application(APP, f"memory://{name}", dry_run=True)
    assert report.dry_run
    assert report.offsets == {TopicPartition("in", 0): 0, TopicPartition("in", 1): 0}
    assert report.deleted_topics == tuple(internal)
    assert str(report).startswith("Dry run: nothing changed")
    assert _committed(b) == committed and _internal(b) == internal


def test_an_unknown_application_has_nothing_to_reset(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    report = reset_application("never-ran", f"memory://{name}")
    assert report.offsets == {} and report.deleted_topics == ()
    assert sorted(b.topics()) == ["counter-lines", "in", "other-counter-changelog", "out"]


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kstreams-nb")
    add_reset_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["reset", *argv])


def test_the_reset_command(
    broker: tuple[str, EmbeddedBroker], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, b = broker
    _run_to_end(name, tmp_path)
    properties = tmp_path / "client.properties"
    properties.write_text("# client settings\nclient.id = resetter\nadmin.request.timeout.ms: 5000\n")
    args = ["--application-id", APP, "--bootstrap-servers", f"memory://{name}", "--config", str(properties)]
    internal = _internal(b)
    assert run_reset(_parse(*args, "--dry-run")) == 0
    assert "Dry run" in capsys.readouterr().out and _internal(b) == internal
    assert run_reset(_parse(*args)) == 0
    assert "counter-control" in capsys.readouterr().out and _internal(b) == []
    assert run_reset(_parse(*args[:4], "--config", str(tmp_path / "missing.properties"))) == 1
    assert "cannot read the config file" in capsys.readouterr().err
