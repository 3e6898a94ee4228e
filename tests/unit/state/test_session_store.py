"""The session store stack (kstreams_nb.state.session): retention as Kafka's InMemorySessionStore, the
changelog format (Kafka's SessionKeySchema: key + end + start) and restore, the metered store's serdes, the
``Stores`` factories, and the session-windowed key serde."""

from __future__ import annotations

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.dsl.windows import SessionWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.state.session import (
    ChangeLoggingSessionBytesStore,
    InMemorySessionStore,
    MeteredSessionStore,
    SessionWindowedSerde,
    session_key_from_binary,
    session_key_to_binary,
)


def W(key: object, start: int, end: int) -> Windowed[object]:
    return Windowed(key, Window(start, end))


def test_find_sessions_orders_by_end_then_key_then_start() -> None:
    s = init(InMemorySessionStore("s", 1_000), FakeContext())
    s.put(b"b", 0, 20, b"3")
    s.put(b"a", 5, 10, b"1")
    s.put(b"a", 0, 20, b"2")
    s.put(b"a", 30, 40, b"4")
    assert [(str(k), v) for k, v in s.find_sessions(b"a", 10, 30)] == [
        ("[b'a'@5/10]", b"1"), ("[b'a'@0/20]", b"2"), ("[b'a'@30/40]", b"4"),
    ]
    assert [v for _, v in s.find_sessions(b"a", 11, 29)] == [b"2"]  # end >= 11 and start <= 29
    assert [v for _, v in s.find_sessions_range(None, None, 0, 100)] == [b"1", b"2", b"3", b"4"]
    s.remove(b"a", 0, 20)
    assert s.fetch_session(b"a", 0, 20) is None and s.fetch_session(b"b", 0, 20) == b"3"


def test_retention_drops_late_puts_and_hides_expired_sessions() -> None:
    s = init(InMemorySessionStore("s", 100), FakeContext())
    s.put(b"k", 0, 10, b"old")
    s.put(b"k", 200, 200, b"new")  # observed 200: sessions need end >= 101
    assert s.fetch_session(b"k", 0, 10) is None
    assert [v for _, v in s.find_sessions(b"k", 0, 1_000)] == [b"new"]
    s.put(b"k", 50, 100, b"late")  # end <= 200 - 100: dropped
    assert s.dropped_records == 1
    # emit-on-close still sees the expired session until it is dropped a segment interval later
    assert [v for _, v in s.find_sessions_ending(0, 199)] == [b"old"]
    s.put(b"k", 60_300, 60_300, b"later")
    assert [v for _, v in s.find_sessions_ending(0, 1_000)] == []


def test_changelog_key_is_key_end_start_and_restores() -> None:
    ctx = FakeContext()
    logged = init(ChangeLoggingSessionBytesStore(InMemorySessionStore("s", 1_000)), ctx)
    assert ctx.logged("s")
    logged.put(b"k", 5, 9, b"v")
    logged.remove(b"k", 5, 9)
    key = b"k" + (9).to_bytes(8, "big") + (5).to_bytes(8, "big")
    assert ctx.changelog == [("s", key, b"v", 10), ("s", key, None, 10)]
    assert session_key_to_binary(b"k", 5, 9) == key and session_key_from_binary(key) == (b"k", 5, 9)

    fresh_ctx = FakeContext()
    fresh = init(InMemorySessionStore("s", 1_000), fresh_ctx)
    fresh_ctx.restore("s", [(key, b"v"), (session_key_to_binary(b"j", 1, 2), b"w")])
    assert fresh.fetch_session(b"k", 5, 9) == b"v" and fresh.fetch_session(b"j", 1, 2) == b"w"


def test_metered_store_with_serdes_and_builder() -> None:
    builder = Stores.session_store_builder(Stores.in_memory_session_store("s", 1_000), Serdes.string(), Serdes.long())
    assert builder.retention_period == 1_000 and builder.logging_enabled
    store = builder.build()
    assert isinstance(store, MeteredSessionStore)
    assert isinstance(store.wrapped, ChangeLoggingSessionBytesStore)
    ctx = FakeContext()
    init(store, ctx)
    store.put(W("a", 0, 5), 2)
    store.put(W("b", 3, 4), 1)
    assert store.fetch_session("a", 0, 5) == 2
    assert list(store.fetch("a")) == [(W("a", 0, 5), 2)]
    assert list(store.fetch("a", "b")) == [(W("b", 3, 4), 1), (W("a", 0, 5), 2)]
    store.remove(W("a", 0, 5))
    assert list(store.find_sessions("a", 0, 100)) == []
    assert len(ctx.changelog) == 3
    unlogged = Stores.session_store_builder(Stores.in_memory_session_store("u", 10)).with_logging_disabled()
    assert not isinstance(unlogged.build().wrapped, ChangeLoggingSessionBytesStore)


def test_stores_refuse_bad_arguments() -> None:
    with pytest.raises(TopologyError):
        Stores.in_memory_session_store("s", -1)
    with pytest.raises(TopologyError):
        Stores.session_store_builder(object())  # type: ignore[arg-type]


def test_session_windowed_serde_round_trip() -> None:
    serde = SessionWindowedSerde(Serdes.string())
    data = serde.serialize("t", W("k", 5, 9))
    assert data == session_key_to_binary(b"k", 5, 9)
    assert serde.deserialize("t", data) == W("k", 5, 9)
    assert serde.serialize("t", None) is None and serde.deserialize("t", None) is None
    assert serde == SessionWindowedSerde(Serdes.string())


def test_session_windows_validation() -> None:
    w = SessionWindows.of_inactivity_gap_and_grace(10, 3)
    assert (w.inactivity_gap, w.grace_period_ms) == (10, 3)
    with pytest.raises(TopologyError, match="Gap time cannot be zero or negative"):
        SessionWindows.of_inactivity_gap_with_no_grace(0)
    with pytest.raises(TopologyError, match="Grace period must not be negative"):
        SessionWindows.of_inactivity_gap_and_grace(1, -1)
