"""Window stores through the builder stack (metered → changelogging → in-memory window store).

Inputs and expected outputs follow Kafka's AbstractWindowBytesStoreTest and InMemoryWindowStoreTest
(streams/src/test/java/org/apache/kafka/streams/state/internals/): Integer keys, String values, window size 3,
retention 120000, default start time 59996.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.errors import StateStoreError, TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores, ValueAndTimestamp
from kstreams_nb.state.window_schema import (
    extract_store_key_bytes,
    extract_store_sequence,
    extract_store_timestamp,
    to_store_key_binary,
)

WINDOW_SIZE = 3
SEGMENT_INTERVAL = 60_000
RETENTION_PERIOD = 2 * SEGMENT_INTERVAL
T0 = SEGMENT_INTERVAL - 4  # defaultStartTime
NAME = "InMemoryWindowStore"


def build(
    context: FakeContext,
    retention: int = RETENTION_PERIOD,
    size: int = WINDOW_SIZE,
    dups: bool = False,
    key_serde: Any = None,
    value_serde: Any = None,
) -> Any:
    supplier = Stores.in_memory_window_store(NAME, retention, size, dups)
    store = Stores.window_store_builder(supplier, key_serde or Serdes.integer(), value_serde or Serdes.string()).build()
    return init(store, context)


@pytest.fixture
def ws() -> Any:
    return build(FakeContext(timestamp=1))


def pair(key: Any, value: Any, start: int, size: int = WINDOW_SIZE) -> tuple[Windowed[Any], Any]:
    return Windowed(key, Window(start, min(start + size, 2**63 - 1))), value


zero, one, two = pair(0, "zero", T0), pair(1, "one", T0 + 1), pair(2, "two", T0 + 2)
three, four, five = pair(3, "three", T0 + 2), pair(4, "four", T0 + 4), pair(5, "five", T0 + 5)


def put_first_batch(s: Any) -> None:
    s.put(0, "zero", T0)
    s.put(1, "one", T0 + 1)
    s.put(2, "two", T0 + 2)
    s.put(3, "three", T0 + 2)
    s.put(4, "four", T0 + 4)
    s.put(5, "five", T0 + 5)


def put_second_batch(s: Any) -> None:
    for i in range(1, 7):
        s.put(2, f"two+{i}", T0 + 2 + i)


def values(it: Any) -> set[Any]:
    with it:
        return {v for _, v in it}


def entries_by_key(context: FakeContext) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for _, key, value, _ts in context.changelog:
        k = Serdes.integer().deserialize(None, extract_store_key_bytes(key))
        v = None if value is None else value.decode()
        out.setdefault(k, set()).add(f"{v}@{extract_store_timestamp(key) - T0}")
    return out


def test_range_and_single_point_fetch() -> None:  # testRangeAndSinglePointFetch
    ctx = FakeContext(timestamp=1)
    ws = build(ctx)
    put_first_batch(ws)
    assert values(ws.fetch(0, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE)) == {"zero"}
    put_second_batch(ws)
    assert [ws.fetch(2, T0 + i) for i in range(3, 9)] == [f"two+{i}" for i in range(1, 7)]
    expected = {
        -2: set(),
        -1: {"two"},
        0: {"two", "two+1"},
        1: {"two", "two+1", "two+2"},
        2: {"two", "two+1", "two+2", "two+3"},
        3: {"two", "two+1", "two+2", "two+3", "two+4"},
        4: {"two", "two+1", "two+2", "two+3", "two+4", "two+5"},
        5: {"two", "two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
        6: {"two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
        7: {"two+2", "two+3", "two+4", "two+5", "two+6"},
        8: {"two+3", "two+4", "two+5", "two+6"},
        9: {"two+4", "two+5", "two+6"},
        10: {"two+5", "two+6"},
        11: {"two+6"},
        12: set(),
    }
    for offset, want in expected.items():
        t = T0 + offset
        assert values(ws.fetch(2, t - WINDOW_SIZE, t + WINDOW_SIZE)) == want, offset
    ws.flush()
    by_key = entries_by_key(ctx)
    assert by_key[0] == {"zero@0"}
    assert by_key[1] == {"one@1"}
    assert by_key[2] == {"two@2", "two+1@3", "two+2@4", "two+3@5", "two+4@6", "two+5@7", "two+6@8"}
    assert by_key[3] == {"three@2"}
    assert by_key[4] == {"four@4"}
    assert by_key[5] == {"five@5"}
    assert 6 not in by_key


def test_put_and_fetch_before_and_after(ws: Any) -> None:  # testPutAndFetchBefore / testPutAndFetchAfter (subset)
    put_first_batch(ws)
    assert values(ws.fetch(3, T0 + 3 - WINDOW_SIZE, T0 + 3)) == {"three"}
    assert values(ws.fetch(3, T0 + 3, T0 + 3 + WINDOW_SIZE)) == set()
    put_second_batch(ws)
    assert values(ws.fetch(2, T0 + 6 - WINDOW_SIZE, T0 + 6)) == {"two+1", "two+2", "two+3", "two+4"}
    assert values(ws.fetch(2, T0 + 3, T0 + 3 + WINDOW_SIZE)) == {"two+1", "two+2", "two+3", "two+4"}
    assert values(ws.fetch(2, T0 + 9, T0 + 9 + WINDOW_SIZE)) == set()


def test_get_all_and_order(ws: Any) -> None:  # shouldGetAll, shouldGetBackwardAll
    put_first_batch(ws)
    assert list(ws.all()) == [zero, one, two, three, four, five]
    assert list(ws.backward_all()) == [five, four, three, two, one, zero]


def test_get_all_non_deleted(ws: Any) -> None:  # shouldGetAllNonDeletedRecords
    for k, v in enumerate(["zero", "one", "two", "three", "four"]):
        ws.put(k, v, T0 + k)
    ws.put(1, None, T0 + 1)
    ws.put(3, None, T0 + 3)
    assert list(ws.all()) == [zero, two, pair(4, "four", T0 + 4)]


def test_get_all_is_timestamp_ordered(ws: Any) -> None:  # shouldGetAllReturnTimestampOrderedRecords
    for k, v in [(4, "four"), (0, "zero"), (2, "two"), (3, "three"), (1, "one")]:
        ws.put(k, v, T0 + k)
    assert list(ws.all()) == [zero, one, two, pair(3, "three", T0 + 3), pair(4, "four", T0 + 4)]


def test_early_closed_iterator(ws: Any) -> None:  # shouldEarlyClosedIteratorStillGetAllRecords
    ws.put(0, "zero", T0)
    ws.put(1, "one", T0 + 1)
    it = ws.all()
    assert next(it) == zero
    it.close()
    assert list(ws.all()) == [zero, one]


def test_fetch_all_in_time_range(ws: Any) -> None:  # shouldFetchAllInTimeRange, shouldBackwardFetchAllInTimeRange
    put_first_batch(ws)
    assert list(ws.fetch_all(T0 + 1, T0 + 4)) == [one, two, three, four]
    assert list(ws.fetch_all(T0, T0 + 3)) == [zero, one, two, three]
    assert list(ws.fetch_all(T0 + 1, T0 + 5)) == [one, two, three, four, five]
    assert list(ws.backward_fetch_all(T0 + 1, T0 + 4)) == [four, three, two, one]
    assert list(ws.backward_fetch_all(T0, T0 + 3)) == [three, two, one, zero]
    assert list(ws.backward_fetch_all(T0 + 1, T0 + 5)) == [five, four, three, two, one]


FETCH_RANGE_CASES = [  # (key_from, key_to, time_from, time_to, forward result)
    (0, 1, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE, [zero, one]),
    (1, 1, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE, [one]),
    (1, 3, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE, [one, two, three]),
    (0, 5, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE, [zero, one, two, three]),
    (0, 5, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE + 5, [zero, one, two, three, four, five]),
    (0, 5, T0 + 2, T0 + WINDOW_SIZE + 5, [two, three, four, five]),
    (4, 5, T0 + 2, T0 + WINDOW_SIZE, []),
    (0, 3, T0 + 3, T0 + WINDOW_SIZE + 5, []),
    (None, 2, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE + 2, [zero, one, two]),
    (2, None, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE + 5, [two, three, four, five]),
    (None, None, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE + 5, [zero, one, two, three, four, five]),
]


@pytest.mark.parametrize(("kf", "kt", "tf", "tt", "expected"), FETCH_RANGE_CASES)
def test_fetch_range(ws: Any, kf: Any, kt: Any, tf: int, tt: int, expected: list[Any]) -> None:  # testFetchRange
    put_first_batch(ws)
    assert list(ws.fetch_range(kf, kt, tf, tt)) == expected
    # testBackwardFetchRange: the same windows in reverse (within a window start, keys descending)
    assert list(ws.backward_fetch_range(kf, kt, tf, tt)) == expected[::-1]


def test_put_same_key_timestamp_with_duplicates() -> None:  # testPutSameKeyTimestamp
    ctx = FakeContext(timestamp=1)
    ws = build(ctx, dups=True)
    ws.put(0, "zero", T0)
    assert values(ws.fetch(0, T0 - WINDOW_SIZE, T0 + WINDOW_SIZE)) == {"zero"}
    ws.put(0, "zero", T0)
    ws.put(0, "zero+", T0)
    ws.put(0, "zero++", T0)
    for offset in range(4):
        t = T0 + offset
        found = sorted(v for _, v in ws.fetch(0, t - WINDOW_SIZE, t + WINDOW_SIZE))
        assert found == ["zero", "zero", "zero+", "zero++"]
    assert values(ws.fetch(0, T0 + 4 - WINDOW_SIZE, T0 + 4 + WINDOW_SIZE)) == set()
    assert entries_by_key(ctx)[0] == {"zero@0", "zero+@0", "zero++@0"}
    assert [extract_store_sequence(k) for _, k, _, _ in ctx.changelog] == [1, 2, 3, 4]


def test_closing_the_store_ends_open_iterators(ws: Any) -> None:
    # shouldCloseOpenIteratorsWhenStoreIsClosedAndNotThrowInvalidStateStoreExceptionOnHasNext
    for i, v in enumerate(["one", "two", "three"], start=1):
        ws.put(1, v, i)
    it = ws.fetch(1, 1, 3)
    assert it.has_next()
    ws.close()
    assert not it.has_next()


def test_fetch_exact_keys_with_huge_windows() -> None:  # shouldFetchAndIterateOverExactKeys
    size = 0x7A00000000000000
    ws = build(FakeContext(timestamp=1), size, size, False, Serdes.string(), Serdes.string())
    ws.put("a", "0001", 0)
    ws.put("aa", "0002", 0)
    ws.put("a", "0003", 1)
    ws.put("aa", "0004", 1)
    ws.put("a", "0005", size - 1)
    assert values(ws.fetch("a", 0, 2**63 - 1)) == {"0001", "0003", "0005"}
    assert set(ws.fetch_range("a", "a", 0, 2**63 - 1)) == {
        pair("a", "0001", 0, size),
        pair("a", "0003", 1, size),
        pair("a", "0005", size - 1, size),
    }
    assert set(ws.fetch_range("aa", "aa", 0, 2**63 - 1)) == {pair("aa", "0002", 0, size), pair("aa", "0004", 1, size)}


def test_delete_and_update(ws: Any) -> None:  # testDeleteAndUpdate
    ws.put(1, "one", 0)
    ws.put(1, "one v2", 0)
    assert next(ws.fetch(1, 0, 0)) == (0, "one v2")
    ws.put(1, None, 0)
    assert not ws.fetch(1, 0, 0).has_next()


def test_missing_window_and_none_keys(ws: Any) -> None:  # shouldReturnNullOnWindowNotFound, ...NullKey
    assert ws.fetch(1, 0) is None
    with pytest.raises(StateStoreError, match=NAME):
        ws.put(None, "anyValue", 0)
    with pytest.raises(StateStoreError, match=NAME):
        ws.fetch(None, 1, 2)


def test_exact_binary_keys_with_duplicates() -> None:  # shouldFetchAndIterateOverExactBinaryKeys
    ws = build(FakeContext(timestamp=1), dups=True, key_serde=Serdes.bytes())
    k1, k2, k3 = b"\x00", b"\x00\x00", b"\x00\x00\x00"
    for key, value, t in [
        (k1, "1", 0), (k2, "2", 0), (k3, "3", 0), (k1, "4", 1), (k2, "5", 1),
        (k3, "6", 59999), (k1, "7", 59999), (k2, "8", 59999), (k3, "9", 59999),
    ]:  # fmt: skip
        ws.put(key, value, t)
    assert values(ws.fetch(k1, 0, 2**63 - 1)) == {"1", "4", "7"}
    assert values(ws.fetch(k2, 0, 2**63 - 1)) == {"2", "5", "8"}
    assert values(ws.fetch(k3, 0, 2**63 - 1)) == {"3", "6", "9"}
    assert [v for _, v in ws.fetch_range(k2, k2, 0, 2**63 - 1)] == ["2", "5", "8"]


def test_single_key_fetch_equals_key_range_fetch(ws: Any) -> None:
    # shouldReturnSameResultsForSingleKeyFetchAndEqualKeyRangeFetch
    ws.put(1, "one", 0)
    ws.put(2, "two", 1)
    ws.put(2, "two", 2)
    ws.put(3, "three", 3)
    with ws.fetch(2, 0, 5) as single, ws.fetch_range(2, 2, 0, 5) as ranged:
        assert [v for _, v in single] == [v for _, v in ranged] == ["two", "two"]


def test_invalid_key_range_warns(ws: Any, caplog: pytest.LogCaptureFixture) -> None:
    # shouldNotThrowInvalidRangeExceptionWithNegativeFromKey
    with caplog.at_level(logging.WARNING), ws.fetch_range(-1, 1, 0, 10) as it:
        assert not it.has_next()
    assert any("invalid key range: from > to" in r.getMessage() for r in caplog.records)


def test_expired_records_are_dropped_and_counted(ws: Any) -> None:  # shouldMeasureExpiredRecords
    ws.put(1, "initial record", 2 * RETENTION_PERIOD)
    ws.put(1, "late record", 0)
    ws.put(1, "another on-time record", RETENTION_PERIOD + 1)
    assert ws.wrapped.wrapped.dropped_records == 1
    assert [v for _, v in ws.all()] == ["another on-time record", "initial record"]


def test_fetch_of_expired_range_is_empty(ws: Any) -> None:  # shouldNotThrowExceptionWhenFetchRangeIsExpired
    ws.put(1, "one", 0)
    ws.put(1, "two", 4 * RETENTION_PERIOD)
    with ws.fetch(1, 0, 10) as it:
        assert not it.has_next()


def test_iterator_peek(ws: Any) -> None:  # testWindowIteratorPeek, testValueIteratorPeek
    ws.put(1, "one", 0)
    with ws.fetch_all(0, 0) as it:
        assert it.has_next()
        key = it.peek_next_key()
        assert it.peek_next_key() == key == next(it)[0] == Windowed(1, Window(0, 3))
        assert not it.has_next()
    with ws.fetch(1, 0, 10) as it:
        assert it.peek_next_key() == 0 == next(it)[0]
        assert not it.has_next()


def test_all_sees_records_added_after_it_was_opened(ws: Any) -> None:  # shouldNotThrowConcurrentModificationException
    t = 0
    ws.put(1, "one", t)
    t += WINDOW_SIZE * 10
    ws.put(1, "two", t)
    with ws.all() as it:
        ws.put(1, "three", t + WINDOW_SIZE * 10)
        ws.put(2, "four", t + WINDOW_SIZE * 20)
        assert list(it) == [
            pair(1, "one", 0),
            pair(1, "two", WINDOW_SIZE * 10),
            pair(1, "three", WINDOW_SIZE * 20),
            pair(2, "four", WINDOW_SIZE * 30),
        ]


def test_fetch_duplicates() -> None:  # testFetchDuplicates
    ws = build(FakeContext(timestamp=1), dups=True)
    for i, name in enumerate(["one", "two", "three"]):
        ws.put(1, name, i * WINDOW_SIZE * 10)
        ws.put(1, f"{name}-2", i * WINDOW_SIZE * 10)
    with ws.fetch(1, 0, WINDOW_SIZE * 10) as it:
        assert list(it) == [(0, "one"), (0, "one-2"), (30, "two"), (30, "two-2")]


# ---------------------------------------------------------------- InMemoryWindowStoreTest


def test_restore() -> None:  # shouldRestore
    ctx = FakeContext(timestamp=1)
    ws = build(ctx)
    assert not ws.all().has_next()
    i, s = Serdes.integer(), Serdes.string()
    ctx.restore(
        NAME,
        [
            (to_store_key_binary(i.serialize(None, 1), 0, 0), s.serialize(None, "one")),  # type: ignore[arg-type]
            (to_store_key_binary(i.serialize(None, 2), WINDOW_SIZE, 0), s.serialize(None, "two")),  # type: ignore[arg-type]
            (to_store_key_binary(i.serialize(None, 3), 2 * WINDOW_SIZE, 0), s.serialize(None, "three")),  # type: ignore[arg-type]
        ],
    )
    assert list(ws.fetch_all(0, 2 * WINDOW_SIZE)) == [
        pair(1, "one", 0),
        pair(2, "two", WINDOW_SIZE),
        pair(3, "three", 2 * WINDOW_SIZE),
    ]
    assert ctx.changelog == []


def test_open_iterators_hold_off_expiry(ws: Any) -> None:  # shouldNotExpireFromOpenIterator
    ws.put(1, "one", 0)
    ws.put(1, "two", 10)
    ws.put(2, "one", 5)
    ws.put(2, "two", 15)
    it1 = ws.fetch(1, 0, 50)
    it2 = ws.fetch(2, 0, 50)
    ws.put(1, "four", 2 * RETENTION_PERIOD)  # expires all four, but open iterators still see them
    assert next(it1) == (0, "one")
    assert next(it2) == (5, "one")
    assert next(it2) == (15, "two")
    assert next(it1) == (10, "two")
    assert not it1.has_next()
    assert not it2.has_next()
    it1.close()
    it2.close()
    assert not ws.fetch(1, 0, 50).has_next()


def test_expiration(ws: Any) -> None:  # testExpiration
    q = RETENTION_PERIOD // 4
    for i, v in enumerate(["one", "two", "three", "four", "five"]):
        ws.put(1, v, i * q)
    t = 4 * q
    it = ws.fetch_all(0, t)
    ws.put(1, "six", t + q)  # expires "two"'s predecessor and adds "six": neither shows in the open iterator
    assert list(it) == [pair(1, "two", q), pair(1, "three", 2 * q), pair(1, "four", 3 * q), pair(1, "five", 4 * q)]
    assert list(ws.fetch_all(0, t + q)) == [
        pair(1, "three", 2 * q),
        pair(1, "four", 3 * q),
        pair(1, "five", 4 * q),
        pair(1, "six", 5 * q),
    ]


# ---------------------------------------------------------------- our own: changelog and timestamped


def test_window_changelog_key_format() -> None:
    ctx = FakeContext(timestamp=1)
    ws = build(ctx, key_serde=Serdes.string())
    ws.put("k", "v", 5)
    ws.put("k", None, 5)
    key = b"k" + (5).to_bytes(8, "big") + (0).to_bytes(4, "big")  # WindowKeySchema.toStoreKeyBinary, seqnum 0
    assert ctx.changelog == [(NAME, key, b"v", 1), (NAME, key, None, 1)]
    assert ctx.logged(NAME)


def test_timestamped_window_store() -> None:
    ctx = FakeContext(timestamp=1)
    supplier = Stores.in_memory_window_store("tw", 100, 10, False)
    tw = init(Stores.timestamped_window_store_builder(supplier, Serdes.string(), Serdes.string()).build(), ctx)
    tw.put("k", ValueAndTimestamp("v", 7), 0)
    tw.put("j", "w", 10, timestamp=12)
    assert tw.fetch("k", 0) == ValueAndTimestamp("v", 7)
    assert list(tw.all()) == [
        (Windowed("k", Window(0, 10)), ValueAndTimestamp("v", 7)),
        (Windowed("j", Window(10, 20)), ValueAndTimestamp("w", 12)),
    ]
    # ChangeLoggingTimestampedWindowBytesStore: plain value, timestamp from the value
    assert ctx.changelog[0] == ("tw", b"k" + bytes(12), b"v", 7)
    fresh = FakeContext()
    restored = init(Stores.timestamped_window_store_builder(supplier, Serdes.string(), Serdes.string()).build(), fresh)
    fresh.restore("tw", [(k, v, ts) for _, k, v, ts in ctx.changelog])
    assert list(restored.all()) == list(tw.all())


def test_window_supplier_validation() -> None:
    with pytest.raises(TopologyError, match="must be no smaller than its window size"):
        Stores.in_memory_window_store("w", 5, 10, False)
    with pytest.raises(TopologyError, match="negative"):
        Stores.in_memory_window_store("w", -1, 0, False)
    s = Stores.persistent_window_store("w", 1_000_000, 10, False)
    assert (s.metrics_scope, s.segment_interval_ms, s.get().persistent) == ("rocksdb-window", 500_000, True)
