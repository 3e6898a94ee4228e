"""Log compaction of the embedded broker (Kafka's log cleaner on ``cleanup.policy=compact`` topics)."""

from __future__ import annotations

import random

import pytest

from kstreams_nb._time import ManualClock
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.clients.memory.compaction import CompactionPolicy
from kstreams_nb.clients.memory.log import PartitionLog
from kstreams_nb.errors import BrokerError
from kstreams_nb.records import EMPTY_HEADERS, Headers
from kstreams_nb.state import InMemoryKeyValueStore

# every record rolls the segment; a pass runs by itself only when everything cleanable is dirty
_EAGER = {"cleanup.policy": "compact", "segment.bytes": "1", "min.cleanable.dirty.ratio": "1.0"}


def compacted_log(clock: ManualClock | None = None, **config: str) -> PartitionLog:
    c = clock or ManualClock(1_000)
    policy = CompactionPolicy.from_config({**_EAGER, **config}, c.milliseconds)
    assert policy is not None
    return PartitionLog("t", 0, policy)


def put(log: PartitionLog, key: bytes | None, value: bytes | None, **txn: int) -> int:
    return log.append(key, value, 7, EMPTY_HEADERS, **txn)


def seen(
    log: PartitionLog, start: int = 0, read_committed: bool = True
) -> list[tuple[int, bytes | None, bytes | None]]:
    records, _ = log.fetch(start, 1 << 30, read_committed)
    return [(r.offset, r.key, r.value) for r in records]


def test_a_pass_keeps_the_latest_record_per_key_at_its_offset() -> None:
    log = compacted_log()
    for key, value in [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"c", b"1"), (b"b", b"2"), (None, b"n")]:
        put(log, key, value)
    put(log, b"z", b"active")  # the last record is in the active segment only after the next roll: still kept
    assert log.compact() == 2
    assert seen(log) == [(2, b"a", b"2"), (3, b"c", b"1"), (4, b"b", b"2"), (5, None, b"n"), (6, b"z", b"active")]
    assert log.high_watermark() == 7 and log.record_count() == 5
    assert log.compact() == 0  # nothing dirty left


def test_a_fetch_from_a_removed_offset_starts_at_the_next_record() -> None:
    log = compacted_log()
    for value in (b"1", b"2", b"3"):
        put(log, b"k", value)
    put(log, b"j", b"x")
    log.compact()
    assert seen(log, start=0) == [(2, b"k", b"3"), (3, b"j", b"x")]
    assert seen(log, start=1) == [(2, b"k", b"3"), (3, b"j", b"x")]
    records, position = log.fetch(0, 1, read_committed=False)
    assert [r.offset for r in records] == [2] and position == 3
    assert log.fetch(4, 10, read_committed=True) == ([], 4)
    assert log.fetch(5, 10, read_committed=True) == ([], -1)


def test_tombstones_are_removed_only_after_delete_retention() -> None:
    clock = ManualClock(1_000)
    log = compacted_log(clock, **{"delete.retention.ms": "100"})
    put(log, b"a", b"1")
    put(log, b"a", None)
    put(log, b"b", b"1")
    log.compact()
    assert seen(log) == [(1, b"a", None), (2, b"b", b"1")]  # the first pass keeps the tombstone
    clock.advance(99)
    log.compact()
    assert seen(log) == [(1, b"a", None), (2, b"b", b"1")]
    clock.advance(1)
    log.compact()
    assert seen(log) == [(2, b"b", b"1")]


def test_the_active_segment_is_never_cleaned() -> None:
    clock = ManualClock(1_000)
    log = compacted_log(clock, **{"segment.bytes": "1000000", "segment.ms": "50"})
    put(log, b"a", b"1")
    put(log, b"a", b"2")
    assert log.compact() == 0 and log.record_count() == 2  # one open segment holds both
    clock.advance(50)
    put(log, b"b", b"1")  # too old: the segment rolls before this append, and a pass is due (all of it is dirty)
    assert log.compact() == 0
    assert seen(log) == [(1, b"a", b"2"), (2, b"b", b"1")]


def test_open_transactions_are_never_cleaned_and_aborted_records_are_removed() -> None:
    log = compacted_log()
    put(log, b"a", b"committed")
    put(log, b"a", b"aborted", producer_id=1, epoch=0)
    log.write_marker(1, 0, commit=False)  # offset 2
    put(log, b"a", b"open", producer_id=2, epoch=0)  # offset 3, open: the LSO
    put(log, b"b", b"after")  # offset 4, above the LSO
    assert seen(log, read_committed=False) == [(0, b"a", b"committed"), (1, b"a", b"aborted"), (3, b"a", b"open"),
                                               (4, b"b", b"after")]
    assert log.compact() == 1  # the aborted record goes; it never replaces the committed one
    assert seen(log, read_committed=True) == [(0, b"a", b"committed")]
    assert seen(log, read_committed=False) == [(0, b"a", b"committed"), (3, b"a", b"open"), (4, b"b", b"after")]
    log.write_marker(2, 0, commit=True)  # offset 5
    assert seen(log, read_committed=True) == [(0, b"a", b"committed"), (3, b"a", b"open"), (4, b"b", b"after")]
    log.compact()
    assert seen(log, read_committed=True) == [(3, b"a", b"open"), (4, b"b", b"after")]
    assert log.fetch(0, 10, read_committed=True)[1] == 6


def test_read_committed_skips_aborted_records_across_gaps() -> None:
    log = compacted_log(**{"min.cleanable.dirty.ratio": "1.0"})
    put(log, b"x", b"1")
    put(log, b"x", b"2")
    log.compact()  # offset 0 is now a gap
    put(log, b"y", b"aborted", producer_id=1, epoch=0)  # 2
    put(log, b"z", b"aborted", producer_id=1, epoch=0)  # 3
    log.write_marker(1, 0, commit=False)  # 4
    put(log, b"w", b"1")  # 5
    records, position = log.fetch(0, 1, read_committed=True)
    assert [r.offset for r in records] == [1] and position == 5  # the aborted records after it are stepped over
    assert seen(log, start=position) == [(5, b"w", b"1")]
    assert [o for o, _, _ in seen(log, read_committed=False)] == [1, 2, 3, 5]


def test_a_pass_runs_by_itself_at_the_dirty_ratio() -> None:
    log = compacted_log(**{"min.cleanable.dirty.ratio": "0.5"})
    for i in range(100):
        put(log, b"k%d" % (i % 3), b"%d" % i)
    assert log.record_count() < 10  # compacted as it grew
    assert sorted(seen(log))[-3:] == [(97, b"k1", b"97"), (98, b"k2", b"98"), (99, b"k0", b"99")]


def test_headers_and_timestamps_survive_a_pass() -> None:
    log = compacted_log()
    log.append(b"a", b"1", 5, Headers([("h", b"old")]))
    log.append(b"a", b"2", 6, Headers([("h", b"new")]))
    log.append(b"b", b"3", 8, EMPTY_HEADERS)
    log.compact()
    records, _ = log.fetch(0, 10, read_committed=True)
    assert [(r.offset, r.timestamp, r.headers) for r in records] == [(1, 6, Headers([("h", b"new")])),
                                                                     (2, 8, EMPTY_HEADERS)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_store_restored_from_a_compacted_changelog_has_the_same_contents(seed: int) -> None:
    rng = random.Random(seed)
    clock = ManualClock(1_000)
    log = compacted_log(clock, **{"min.cleanable.dirty.ratio": "0.3", "delete.retention.ms": "10"})
    expected: dict[bytes, bytes] = {}
    for i in range(3_000):
        key = b"key-%d" % rng.randrange(200)
        if rng.random() < 0.1:
            put(log, key, None)
            expected.pop(key, None)
        elif rng.random() < 0.1:  # an aborted write must not reach the store
            put(log, key, b"aborted", producer_id=9, epoch=0)
            log.write_marker(9, 0, commit=False)
        else:
            put(log, key, b"v%d" % i)
            expected[key] = b"v%d" % i
        clock.advance(1)
    log.compact()
    assert log.record_count() <= 200 + 1
    store = InMemoryKeyValueStore("s")
    position = 0
    while position < log.end_offset(True):  # as the restore consumer does: a bounded batch at a time
        records, position = log.fetch(position, 100, read_committed=True)
        store.restore_batch([(r.key, r.value) for r in records])
    assert dict(store.all()) == expected


def test_the_broker_compacts_only_topics_whose_cleanup_policy_says_so() -> None:
    broker = EmbeddedBroker()
    broker.create_topic("changelog", 1, {**_EAGER, "cleanup.policy": "compact,delete"})
    broker.create_topic("plain", 1)
    for t in ("changelog", "plain"):
        for v in (b"1", b"2"):
            broker.produce(t, b"k", v, timestamp=1)
    compacted = broker.logs("changelog")[0]
    assert compacted.compact() == 1
    assert [r.value for r in broker.read("changelog")] == [b"2"]
    with pytest.raises(BrokerError, match=r"cleanup\.policy=compact"):
        broker.logs("plain")[0].compact()
    assert [r.value for r in broker.read("plain")] == [b"1", b"2"]


@pytest.mark.parametrize(
    "config",
    [{"min.cleanable.dirty.ratio": "1.5"}, {"delete.retention.ms": "-1"}, {"segment.bytes": "0"},
     {"segment.ms": "soon"}],
)
def test_a_bad_compaction_config_is_refused_at_create(config: dict[str, str]) -> None:
    with pytest.raises(BrokerError, match=r"segment|retention|ratio|invalid"):
        EmbeddedBroker().create_topic("t", 1, {"cleanup.policy": "compact", **config})
