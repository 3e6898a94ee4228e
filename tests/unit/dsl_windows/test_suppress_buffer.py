"""The suppression buffer store, as Kafka's InMemoryTimeOrderedKeyValueChangeBuffer: non-resetting puts (a key
keeps its place and prior value), eviction in (time, key bytes) order, Kafka's size estimate, and the changelog
written on flush and read back on restore (TimeOrderedKeyValueBufferTest's shouldRestoreV3Format layout)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kstreams_nb.dsl import Change
from kstreams_nb.dsl._suppress_buffer import InMemorySuppressionBuffer, SuppressionBufferBuilder
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import EMPTY_HEADERS, Headers, Record, TaskId
from kstreams_nb.serdes import Serdes

S = Serdes.string()
TOPIC = "input-topic"


class Ctx:
    """A minimal StateStoreContext recording registration and changelog writes."""

    def __init__(self) -> None:
        self.application_id = "app"
        self.task_id = TaskId(0, 0)
        self.app_configs: dict[str, Any] = {}
        self.key_serde = None
        self.value_serde = None
        self.logged: bool | None = None
        self.restore: Callable[[Sequence[Any]], None] | None = None
        self.changelog: list[tuple[str, bytes, bytes | None, int | None]] = []

    def register(self, store: Any, restore_callback: Callable[[Sequence[Any]], None], *, logged: bool) -> None:
        self.logged, self.restore = logged, restore_callback

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None,
                   headers: Headers = EMPTY_HEADERS) -> None:
        self.changelog.append((store_name, key, value, timestamp))


def buffer(logging: bool = True) -> tuple[InMemorySuppressionBuffer, Ctx]:
    builder = SuppressionBufferBuilder("buf", S, S)
    builder = builder if logging else builder.with_logging_disabled()
    store = builder.build()
    ctx = Ctx()
    store.init(ctx, store)
    return store, ctx


def put(store: InMemorySuppressionBuffer, time: int, key: str, new: str | None, old: str | None, ts: int,
        headers: Headers | None = None) -> None:
    store.put(time, Record(key, Change(new, old), ts, headers), TOPIC, 0, ts)


def drain(store: InMemorySuppressionBuffer) -> list[tuple[str, Change, int]]:
    out: list[tuple[str, Change, int]] = []
    store.evict_while(lambda: True, lambda r, _: out.append((r.key, r.value, r.timestamp)))
    return out


def test_evicts_in_time_then_key_byte_order() -> None:
    store, _ = buffer()
    put(store, 2, "b", "b1", None, 2)
    put(store, 1, "z", "z1", None, 1)
    put(store, 2, "a", "a1", None, 2)
    assert store.min_timestamp == 1
    assert drain(store) == [("z", Change("z1"), 1), ("a", Change("a1"), 2), ("b", Change("b1"), 2)]
    assert store.min_timestamp == 2**63 - 1 and store.num_records == 0 and store.buffer_size == 0


def test_a_buffered_key_keeps_its_place_and_its_prior_value() -> None:
    store, _ = buffer()
    put(store, 0, "k", "v1", "v0", 0)
    put(store, 5, "j", "j1", None, 5)
    put(store, 9, "k", "v2", "v1", 9)  # re-buffered at 9, but keeps time 0
    assert store.min_timestamp == 0
    assert store.prior_value_for_buffered("k") == (True, "v0")
    assert store.prior_value_for_buffered("missing") == (False, None)
    # the emitted record is the latest update (its old value is the latest one too, as in Kafka)
    assert drain(store) == [("k", Change("v2", "v1"), 9), ("j", Change("j1"), 5)]


def test_evict_while_stops_when_the_predicate_turns_false() -> None:
    store, _ = buffer()
    for t, key in enumerate("abc"):
        put(store, t, key, key, None, t)
    out: list[str] = []
    store.evict_while(lambda: store.min_timestamp <= 1, lambda r, _: out.append(r.key))
    assert out == ["a", "b"] and store.num_records == 1


def test_size_estimate_is_kafkas() -> None:
    """8 (time) + key + prior + old (unless it is the prior) + new + context (8 + 8 + topic + 4 + headers)."""
    store, _ = buffer()
    context = 8 + 8 + len(TOPIC) + 4
    put(store, 0, "key", "new", "old", 0)  # first put: old is the prior, counted once
    assert store.buffer_size == 8 + 3 + 3 + 0 + 3 + context
    put(store, 0, "key", "newer", "new", 1)  # prior "old" + old "new" + new "newer"
    assert store.buffer_size == 8 + 3 + 3 + 3 + 5 + context
    put(store, 0, "k2", "v", None, 1, Headers([("h", b"12")]))
    assert store.buffer_size == (8 + 3 + 3 + 3 + 5 + context) + (8 + 2 + 0 + 0 + 1 + context + 1 + 2)


def test_changelog_is_written_on_flush_and_restored() -> None:
    store, ctx = buffer()
    assert ctx.logged is True
    put(store, 3, "a", "a2", "a1", 3, Headers([("h", b"x"), ("n", None)]))
    put(store, 1, "b", "b1", None, 1)
    put(store, 7, "c", "c1", "c0", 7)
    put(store, 9, "c", "c2", "c1", 9)
    out: list[str] = []
    store.evict_while(lambda: store.min_timestamp <= 1, lambda r, _: out.append(r.key))
    assert out == ["b"]
    assert ctx.changelog == []
    store.flush()
    assert [(k, v is None, ts) for _, k, v, ts in ctx.changelog] == [(b"a", False, 3), (b"b", True, None),
                                                                      (b"c", False, 9)]
    store.flush()
    assert len(ctx.changelog) == 3  # nothing dirty any more

    restored, rctx = buffer()
    assert rctx.restore is not None
    rctx.restore([(k, v) for _, k, v, _ in ctx.changelog])
    assert restored.num_records == 2 and restored.buffer_size == store.buffer_size
    assert restored.prior_value_for_buffered("c") == (True, "c0")
    records: list[Record] = []
    restored.evict_while(lambda: True, lambda r, _: records.append(r))
    assert records == [
        Record("a", Change("a2", "a1"), 3, Headers([("h", b"x"), ("n", None)])),
        Record("c", Change("c2", "c1"), 9),
    ]


def test_restoring_a_tombstone_removes_the_key() -> None:
    store, ctx = buffer()
    put(store, 1, "a", "a1", None, 1)
    store.flush()
    restored, rctx = buffer()
    assert rctx.restore is not None
    rctx.restore([(ctx.changelog[0][1], ctx.changelog[0][2]), (b"a", None)])
    assert restored.num_records == 0 and restored.buffer_size == 0


def test_without_logging_nothing_is_written() -> None:
    store, ctx = buffer(logging=False)
    assert ctx.logged is False
    put(store, 1, "a", "a1", None, 1)
    store.flush()
    assert ctx.changelog == []


def test_default_serdes_come_from_the_context() -> None:
    store = SuppressionBufferBuilder("buf", None, None).build()
    ctx = Ctx()
    store.init(ctx, store)
    put(store, 1, "a", "a1", None, 1)  # JSON: key bytes b'"a"'
    assert store.buffer_size == 8 + 3 + 4 + 8 + 8 + len(TOPIC) + 4


def test_closed_buffer_rejects_puts() -> None:
    store, _ = buffer()
    store.close()
    assert not store.is_open()
    with pytest.raises(StateStoreError, match="not open"):
        put(store, 1, "a", "a1", None, 1)
