"""JobSnapshot of a word count KafkaStreams on the embedded broker: state, tasks, records/s per task (and per node
at DEBUG), lag and committed offsets per partition, restore progress, errors; the JSON round trip a process job's
status file relies on, and the errors a damaged text gives."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Materialized
from kstreams_nb.errors import JobError
from kstreams_nb.jobs._snapshot import JobSnapshot, MetricRow, from_json, merge, metrics_of, snapshot_of, to_json
from kstreams_nb.notebook import produce
from kstreams_nb.notebook.inputs import records
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams, MetricName, State

pytestmark = pytest.mark.timeout(60)

S = Serdes.string()


def until(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)
    return value


def word_count() -> StreamsBuilder:
    b = StreamsBuilder()
    (b.stream("lines", Consumed.with_(S, S))
     .flat_map_values(lambda line: line.split())
     .group_by(lambda _key, word: word)
     .count(materialized=Materialized.as_("counts"))
     .to_stream()
     .to("counts-out"))
    return b


def word_count_cluster(prefix: str) -> Iterator[str]:
    """``memory://<prefix>-<unique>`` with the topics "lines" (2 partitions) and "counts-out", dropped after."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    broker = EmbeddedBroker.reset(name)
    broker.create_topic("lines", partitions=2)
    broker.create_topic("counts-out", partitions=2)
    yield f"memory://{name}"
    EmbeddedBroker.drop(name)


@pytest.fixture
def servers() -> Iterator[str]:
    yield from word_count_cluster("snap")


def start(servers: str, **extra: Any) -> KafkaStreams:
    streams = KafkaStreams(word_count(), {
        "application.id": f"wc-{uuid.uuid4().hex[:6]}", "bootstrap.servers": servers, "commit.interval.ms": 50,
        **extra,
    })
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=20)
    return streams


def write(servers: str, lines: list[tuple[str, str]]) -> None:
    produce("lines", records(lines), config={"bootstrap.servers": servers}, key_serde=S, value_serde=S)


LINES = [("a", "the quick fox"), ("b", "the lazy dog"), ("c", "fox and dog")]


def test_a_running_word_count_shows_tasks_rates_lag_and_committed_offsets(servers: str) -> None:
    streams = start(servers)
    try:
        first = snapshot_of(streams)
        assert first.state == "RUNNING" and not first.done and first.errors == ()
        tasks = sorted(t for ids in first.tasks.values() for t in ids)
        assert tasks == ["0_0", "0_1", "1_0", "1_1"]  # sub-topology 0 (lines), 1 (the repartition topic)
        assert first.tasks == streams.local_tasks()
        write(servers, LINES)
        assert streams.wait_until_processed(timeout=20)
        snap = until(lambda: (s := snapshot_of(streams)).lag and not any(s.lag.values()) and s)
        assert {p for p in snap.lag if p.startswith("lines-")} == {"lines-0", "lines-1"}
        rates = snap.records_per_s_by_task
        assert set(rates) == set(tasks) and all(r >= 0 for r in rates.values())
        assert sum(rates[t] for t in ("0_0", "0_1")) > 0 and sum(rates[t] for t in ("1_0", "1_1")) > 0
        assert snap.records_per_s_by_node == {}  # recorded at metrics.recording.level=DEBUG only
        broker = EmbeddedBroker.named(servers.removeprefix("memory://"))
        ends = broker.end_offsets("lines")
        assert sum(ends.values()) == 3
        # a partition that received nothing has nothing committed (as in Kafka)
        assert {p: snap.committed.get(f"lines-{p}", 0) for p in ends} == ends
        repartition = next(t for t in streams.source_topics() if t.endswith("-repartition"))
        assert sum(v for p, v in snap.committed.items() if p.startswith(repartition)) == 9  # one per word
        assert snap.restoring == {}
        assert set(metrics_of(snap)) == set(streams.metrics())  # the same names, rebuilt from the rows
    finally:
        assert streams.close(timeout=10)
    final = snapshot_of(streams)
    assert final.state == "NOT_RUNNING" and final.done


def test_records_per_node_at_debug(servers: str) -> None:
    streams = start(servers, **{"metrics.recording.level": "DEBUG"})
    try:
        write(servers, LINES)
        assert streams.wait_until_processed(timeout=20)
        snap = snapshot_of(streams)
        nodes = snap.records_per_s_by_node
        described = {n.name for sub in word_count().build().describe().subtopologies for n in sub.nodes}
        assert set(nodes) == described and "KSTREAM-FLATMAPVALUES-0000000001" in nodes
        assert all(rate > 0 for rate in nodes.values()), nodes
    finally:
        assert streams.close(timeout=10)


def test_errors_and_the_instance_failure_are_listed(servers: str) -> None:
    streams = start(servers)
    streams.exception = ValueError("bad record")  # what a failed instance carries
    try:
        snap = snapshot_of(streams, ["ERROR x: earlier"])
        assert snap.errors == ("ERROR x: earlier", "ValueError: bad record")
    finally:
        assert streams.close(timeout=10)


def test_committed_offsets_need_a_started_instance(servers: str) -> None:
    streams = KafkaStreams(word_count(), {"application.id": "never", "bootstrap.servers": servers})
    with pytest.raises(Exception, match="call start\\(\\) first"):
        streams.committed_offsets()
    snap = snapshot_of(streams)
    assert snap.state == "CREATED" and snap.committed == {} and not snap.done


def test_committed_offsets_are_the_groups(servers: str) -> None:
    streams = start(servers)
    try:
        write(servers, LINES)
        assert streams.wait_until_processed(timeout=20)
        offsets = streams.committed_offsets()
        assert {tp: o for tp, o in offsets.items() if tp.topic == "lines"} == {
            TopicPartition("lines", p): end
            for p, end in EmbeddedBroker.named(servers.removeprefix("memory://")).end_offsets("lines").items() if end
        }
    finally:
        assert streams.close(timeout=10)
    assert streams.committed_offsets() == offsets  # still readable once stopped


# ---------------------------------------------------------------------------------------------- JSON
FULL = JobSnapshot(
    state="RUNNING",
    taken_at=1_765_000_000.123456,
    metrics=(MetricRow("stream-task-metrics", "process-rate", (("task-id", "0_0"), ("thread-id", "t-1")), 0.1),
             MetricRow("stream-metrics", "alive-stream-threads", (("client-id", "c"),), 1.0)),
    tasks={"t-1": ["0_0", "0_1"], "t-2": []},
    records_per_s_by_task={"0_0": 0.1, "0_1": 1e-9},
    records_per_s_by_node={"KSTREAM-SOURCE-0000000000": 2.5},
    lag={"lines-0": 0, "lines-1": 12},
    committed={"lines-0": 40, "lines-1": 3},
    restoring={"0_0": (10_000, 100_000)},
    errors=("ERROR kstreams: boom", "ValueError: é \"quoted\"\n second line"),
    done=False,
)


def test_json_round_trip_is_exact() -> None:
    text = to_json(FULL)
    assert "\n" not in text  # one line
    back = from_json(text)
    assert back == FULL
    assert type(back.restoring["0_0"]) is tuple and type(back.metrics[0].tags[0]) is tuple
    empty = JobSnapshot(state="NOT_RUNNING", taken_at=0.0, done=True)
    assert from_json(to_json(empty)) == empty


def test_json_round_trip_of_a_live_snapshot(servers: str) -> None:
    streams = start(servers)
    try:
        write(servers, LINES)
        assert streams.wait_until_processed(timeout=20)
        snap = snapshot_of(streams, ["ERROR a: b"])
        assert from_json(to_json(snap)) == snap
    finally:
        assert streams.close(timeout=10)


def _damaged(**changes: Any) -> str:
    import json

    data = json.loads(to_json(FULL))
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(("text", "problem"), [
    ('{"state": "RUNNING", "taken_at"', "not valid JSON"),
    ("", "not valid JSON"),
    ("[1, 2]", "a JSON list, not an object"),
    (_damaged(version=99), "version 99"),
    (_damaged(lag=KeyError), "lacks lag"),
    (_damaged(state=3), "state is 3, not str"),
    (_damaged(done="yes"), "done is 'yes', not bool"),
    (_damaged(taken_at=True), "taken_at is True"),
    (_damaged(lag={"lines-0": "many"}), "lag['lines-0'] is 'many', not int"),
    (_damaged(records_per_s_by_task=[1]), "records_per_s_by_task is [1], not dict"),
    (_damaged(tasks={"t": [1]}), "tasks['t'] is [1], not a list of strings"),
    (_damaged(metrics=[["g", "n", [], "x"]]), "malformed metric"),
    (_damaged(metrics=[["g", "n", [["k"]], 1.0]]), "malformed tag"),
    (_damaged(restoring={"0_0": [1]}), "restoring['0_0'] is [1], not [restored, total]"),
    (_damaged(errors=[None]), "errors is [None], not a list of strings"),
])
def test_a_damaged_snapshot_raises_job_error_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(JobError) as raised:
        from_json(text)
    assert problem in str(raised.value)


# ---------------------------------------------------------------------------------------------- merge
def test_merge_joins_the_processes_snapshots() -> None:
    a = JobSnapshot(state="RUNNING", taken_at=10.0, tasks={"p1-t1": ["0_0"]}, records_per_s_by_task={"0_0": 2.0},
                    records_per_s_by_node={"src": 2.0}, lag={"in-0": 1}, committed={"in-0": 5, "in-1": 7},
                    errors=("ERROR a",))
    b = JobSnapshot(state="RUNNING", taken_at=11.0, tasks={"p2-t1": ["0_1"]}, records_per_s_by_task={"0_1": 3.0},
                    records_per_s_by_node={"src": 3.0}, lag={"in-1": 0}, committed={"in-0": 6, "in-1": 7},
                    restoring={"0_1": (1, 4)})
    m = merge([a, b], "RUNNING")
    assert m.tasks == {"p1-t1": ["0_0"], "p2-t1": ["0_1"]} and m.taken_at == 11.0
    assert m.records_per_s_by_task == {"0_0": 2.0, "0_1": 3.0} and m.records_per_s_by_node == {"src": 5.0}
    assert m.lag == {"in-0": 1, "in-1": 0} and m.committed == {"in-0": 6, "in-1": 7}
    assert m.restoring == {"0_1": (1, 4)} and m.errors == ("ERROR a",) and not m.done
    assert merge([a], "STOPPED").done and merge([], "DEAD").done and merge([], "STARTING").tasks == {}


def test_metrics_of_gives_the_engines_names() -> None:
    values: Mapping[MetricName, float] = metrics_of(FULL)
    assert values[MetricName("process-rate", "stream-task-metrics", {"thread-id": "t-1", "task-id": "0_0"})] == 0.1
    assert len(values) == 2
