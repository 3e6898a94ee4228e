"""Benchmark: joins and a session-windowed count on the TopologyTestDriver beside a plain Python loop doing the
same work on the same input bytes (CPU time, best of several alternating runs).

Three pipelines (string keys, 1,000 users; string values; timestamps 10 ms apart):
- stream-table join: 1,000 user rows piped into a table first (not timed in either), then clicks joined with
  their user (``KStream.join(KTable)``); the loop deserializes, looks the user up in a dict, joins, serializes
  the output and appends it to a list.
- stream-stream join: views and clicks alternate, each click 3 ms after the view of the same user, in a 1-second
  join window (one match per pair); the loop keeps each side's recent records per key in a dict of lists, joins
  the new record with the other side's records within the window, serializes and appends.
- session-windowed count: a 5-minute inactivity gap (each user's records merge into one growing session); the
  loop keeps one (start, end, count) per user, emits a tombstone for the merged-away session and the new count,
  both serialized with the session-windowed serde.
The DSL stores have no changelog, so the difference is the framework's per-record work (dispatch, store
layers, serdes at the store boundary). Run: ``.venv/bin/python bench/bench_joins.py [--records N] [--repeat R]``.
Prints records/s of both and their ratio.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kstreams_nb.dsl import (
    Consumed,
    JoinWindows,
    Materialized,
    Produced,
    SessionWindows,
    StreamJoined,
    StreamsBuilder,
)
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state.session import SessionWindowedSerde
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

S, L, B = Serdes.string(), Serdes.long(), Serdes.bytes()
USERS = 1000
GAP_MS = 5 * 60_000
JOIN_WINDOW_MS = 1000

Input = list[tuple[str, bytes, bytes, int]]  # (topic, key bytes, value bytes, timestamp)
Output = list[tuple[bytes | None, bytes | None, int]]


def joined(left: str, right: str | None) -> str:
    return f"{left}/{right}"


# ---------------------------------------------------------------------------------------------- inputs
def users() -> Input:
    return [("users", f"user-{u}".encode(), f"name-{u}".encode(), 0) for u in range(USERS)]


def clicks(n: int) -> Input:
    return [("clicks", f"user-{i % USERS}".encode(), f"/page/{i % 37}".encode(), i * 10) for i in range(n)]


def views_and_clicks(n: int) -> Input:
    out = []
    for i in range(n):
        pair, is_click = divmod(i, 2)
        key = f"user-{pair % USERS}".encode()
        out.append(("clicks" if is_click else "views", key, f"/page/{pair % 37}".encode(), pair * 10 + 3 * is_click))
    return out


# ---------------------------------------------------------------------------------------------- DSL programs
def stream_table_topology() -> Topology:
    b = StreamsBuilder()
    table = b.table("users", Consumed.with_(S, S), Materialized.as_("users").with_logging_disabled())
    b.stream("clicks", Consumed.with_(S, S)).join(table, joined).to("out", Produced.with_(S, S))
    return b.build()


def stream_stream_topology() -> Topology:
    b = StreamsBuilder()
    windows = JoinWindows.of_time_difference_with_no_grace(timedelta(milliseconds=JOIN_WINDOW_MS))
    b.stream("views", Consumed.with_(S, S)).join(
        b.stream("clicks", Consumed.with_(S, S)), joined, windows,
        stream_joined=StreamJoined.with_(S, S, S).with_logging_disabled(),
    ).to("out", Produced.with_(S, S))
    return b.build()


def session_count_topology() -> Topology:
    b = StreamsBuilder()
    (
        b.stream("clicks", Consumed.with_(S, S))
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(timedelta(milliseconds=GAP_MS)))
        .count(materialized=Materialized.as_("sessions").with_logging_disabled())
        .to_stream()
        .to("out", Produced.with_(SessionWindowedSerde(S), L))
    )
    return b.build()


# ---------------------------------------------------------------------------------------------- plain loops
def plain_stream_table(data: Input) -> Output:
    table: dict[str, str] = {}
    out: Output = []
    for topic, kb, vb, ts in data:
        key, value = S.deserialize(topic, kb), S.deserialize(topic, vb)
        if topic == "users":
            table[key] = value
            continue
        user = table.get(key)
        if user is not None:
            out.append((S.serialize("out", key), S.serialize("out", joined(value, user)), ts))
    return out


def plain_stream_stream(data: Input) -> Output:
    sides: dict[str, dict[str, list[tuple[int, str]]]] = {"views": {}, "clicks": {}}
    out: Output = []
    for topic, kb, vb, ts in data:
        key, value = S.deserialize(topic, kb), S.deserialize(topic, vb)
        mine, other = (sides["views"], sides["clicks"]) if topic == "views" else (sides["clicks"], sides["views"])
        kept = [(t, v) for t, v in mine.get(key, ()) if t >= ts - JOIN_WINDOW_MS]  # the window store's retention
        kept.append((ts, value))
        mine[key] = kept
        for t, v in other.get(key, ()):
            if abs(t - ts) <= JOIN_WINDOW_MS:
                pair = joined(value, v) if topic == "views" else joined(v, value)
                out.append((S.serialize("out", key), S.serialize("out", pair), max(t, ts)))
    return out


def plain_session_count(data: Input) -> Output:
    windowed = SessionWindowedSerde(S)
    sessions: dict[str, tuple[int, int, int]] = {}
    out: Output = []
    for topic, kb, vb, ts in data:
        key, _value = S.deserialize(topic, kb), S.deserialize(topic, vb)
        old = sessions.get(key)
        if old is not None and ts - old[1] <= GAP_MS:
            start, end, count = old
            out.append((windowed.serialize("out", Windowed(key, Window(start, end))), None, end))
            new = (min(start, ts), max(end, ts), count + 1)
        else:
            new = (ts, ts, 1)
        sessions[key] = new
        out.append((windowed.serialize("out", Windowed(key, Window(new[0], new[1]))), L.serialize("out", new[2]),
                    new[1]))
    return out


# ---------------------------------------------------------------------------------------------- driver
def run_driver(topology: Topology, data: Input, warm: Input = ()) -> int:  # type: ignore[assignment]
    with TopologyTestDriver(topology, {"statestore.cache.max.bytes": 0}) as driver:
        inputs: dict[str, Any] = {}
        for topic, kb, vb, ts in warm:
            inputs.setdefault(topic, driver.create_input_topic(topic, B, B)).pipe_input(kb, vb, ts)
        for topic, kb, vb, ts in data:
            topic_in = inputs.get(topic)
            if topic_in is None:
                topic_in = inputs[topic] = driver.create_input_topic(topic, B, B)
            topic_in.pipe_input(kb, vb, ts)
        return int(driver.create_output_topic("out", B, B).get_queue_size())


def cpu_seconds(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.records
    table_rows = users()
    cases: dict[str, tuple[Callable[[], Topology], Input, Input, Callable[[Input], Output]]] = {
        "stream-table join": (stream_table_topology, table_rows, clicks(n), plain_stream_table),
        "stream-stream join": (stream_stream_topology, [], views_and_clicks(n), plain_stream_stream),
        "session-windowed count": (session_count_topology, [], clicks(n), plain_session_count),
    }
    results: dict[str, float] = {}
    for name, (topology, warm, data, plain) in cases.items():
        expected = len(plain(warm + data))
        got = run_driver(topology(), data, warm)
        if got != expected:
            raise SystemExit(f"{name}: the driver wrote {got} records, the plain loop {expected}")
        best_driver = best_loop = float("inf")
        for _ in range(args.repeat):  # alternating, so machine noise hits both alike
            best_loop = min(best_loop, cpu_seconds(lambda: plain(warm + data)))  # noqa: B023
            best_driver = min(best_driver, cpu_seconds(lambda: run_driver(topology(), data, warm)))  # noqa: B023
        driver_rate, loop_rate = n / max(best_driver, 1e-9), n / max(best_loop, 1e-9)
        results[name] = ratio = driver_rate / loop_rate
        print(f"{name:<24} driver {driver_rate:>10,.0f} rec/s   plain loop {loop_rate:>10,.0f} rec/s   "
              f"ratio {ratio:.2f}   ({expected:,} outputs)")
    return results


if __name__ == "__main__":
    main()
