"""The seed's DSL example "count the records of the last 10 minutes" (지난 10분간 들어온 데이터의 개수 집계) as
``kstreams_nb.examples.ten_minute_counts`` (10-minute tumbling windows, 1 minute of grace) and
``hopping_counts`` (10-minute windows advancing by 1 minute), emitted on every update and once per closed window
(``suppress(until_window_closes)``), with exact outputs on the TopologyTestDriver. The expected values follow
Kafka's rules: windows [start, start + size) aligned to the epoch, a record accepted while its window's
end > observed stream time - grace, output timestamp = max of the window's record timestamps, final results
emitted in (window end, key bytes) order once end <= stream time - grace."""

from __future__ import annotations

from datetime import timedelta

from kstreams_nb.dsl import WindowedSerdes
from kstreams_nb.examples import TEN_MINUTES, hopping_counts, ten_minute_counts
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

S = Serdes.string()
MIN = 60_000
KEYS = WindowedSerdes.time_windowed_serde_from(S, TEN_MINUTES)

TUMBLING_INPUT = [
    ("alice", 30_000),     # 00:00:30
    ("bob", 300_000),      # 00:05:00
    ("alice", 599_999),    # 00:09:59.999, the last instant of the first window
    ("alice", 600_000),    # 00:10:00, the first instant of the second window
    ("bob", 540_000),      # 00:09:00, late but within the grace: 600,000 - 60,000 < 600,000
    ("carol", 660_000),    # 00:11:00: stream time - grace = 600,000 closes [0, 600,000)
    ("bob", 480_000),      # too late: its window is closed, dropped
    ("alice", 1_260_000),  # 00:21:00: closes [600,000, 1,200,000)
]


def run(topology: object, sink: str, records: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    with TopologyTestDriver(topology) as driver:
        clicks = driver.create_input_topic("clicks", S, S)
        for user, ts in records:
            clicks.pipe_input(user, "/page", ts)
        out = driver.create_output_topic(sink, KEYS, Serdes.long())
        return [(str(r.key), r.value, r.timestamp) for r in out.read_records_to_list()]


def test_ten_minute_counts_on_every_update() -> None:
    assert run(ten_minute_counts(), "clicks-per-10-minutes", TUMBLING_INPUT) == [
        ("[alice@0/600000]", 1, 30_000),
        ("[bob@0/600000]", 1, 300_000),
        ("[alice@0/600000]", 2, 599_999),
        ("[alice@600000/1200000]", 1, 600_000),
        ("[bob@0/600000]", 2, 540_000),
        ("[carol@600000/1200000]", 1, 660_000),
        ("[alice@1200000/1800000]", 1, 1_260_000),
    ]


def test_ten_minute_counts_once_per_closed_window() -> None:
    assert run(ten_minute_counts(final=True), "clicks-per-10-minutes", TUMBLING_INPUT) == [
        ("[alice@0/600000]", 2, 599_999),
        ("[bob@0/600000]", 2, 540_000),
        ("[alice@600000/1200000]", 1, 600_000),
        ("[carol@600000/1200000]", 1, 660_000),
        # [alice@1200000/1800000] is still open
    ]


def test_ten_minute_counts_with_no_grace_drops_the_late_record() -> None:
    assert run(ten_minute_counts(grace=0), "clicks-per-10-minutes", TUMBLING_INPUT[:5]) == [
        ("[alice@0/600000]", 1, 30_000),
        ("[bob@0/600000]", 1, 300_000),
        ("[alice@0/600000]", 2, 599_999),
        ("[alice@600000/1200000]", 1, 600_000),
    ]


HOPPING_INPUT = [
    ("alice", 150_000),  # 00:02:30: in the windows starting at 0, 1 and 2 minutes
    ("alice", 610_000),  # 00:10:10: in the windows starting at 1 … 10 minutes; [0, 10 min) has ended
    ("bob", 200_000),    # late: [0, 10 min) is closed (no grace), the windows starting at 1, 2, 3 min are open
    ("carol", 720_000),  # 00:12:00: closes the windows ending at 11 and 12 minutes
]


def test_hopping_counts_on_every_update() -> None:
    expected = [(f"[alice@{m * MIN}/{m * MIN + 600_000}]", 1, 150_000) for m in range(0, 3)]
    expected += [(f"[alice@{m * MIN}/{m * MIN + 600_000}]", 2 if m <= 2 else 1, 610_000) for m in range(1, 11)]
    expected += [(f"[bob@{m * MIN}/{m * MIN + 600_000}]", 1, 200_000) for m in range(1, 4)]
    expected += [(f"[carol@{m * MIN}/{m * MIN + 600_000}]", 1, 720_000) for m in range(3, 13)]
    assert run(hopping_counts(), "clicks-last-10-minutes", HOPPING_INPUT) == expected


def test_hopping_counts_once_per_closed_window() -> None:
    assert run(hopping_counts(final=True), "clicks-last-10-minutes", HOPPING_INPUT) == [
        ("[alice@0/600000]", 1, 150_000),         # closed by alice at 10:10
        ("[alice@60000/660000]", 2, 610_000),     # closed by carol at 12:00, ends at 11:00
        ("[bob@60000/660000]", 1, 200_000),
        ("[alice@120000/720000]", 2, 610_000),    # ends at 12:00 = stream time: closed
        ("[bob@120000/720000]", 1, 200_000),
    ]


def test_hopping_counts_every_five_minutes() -> None:
    records = [("dave", 420_000), ("dave", 480_000)]
    topology = hopping_counts(advance=timedelta(minutes=5))
    assert run(topology, "clicks-last-10-minutes", records) == [
        ("[dave@0/600000]", 1, 420_000), ("[dave@300000/900000]", 1, 420_000),
        ("[dave@0/600000]", 2, 480_000), ("[dave@300000/900000]", 2, 480_000),
    ]


def test_describe_of_the_final_tumbling_counts() -> None:
    assert str(ten_minute_counts(final=True).describe()) == """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])
      --> KTABLE-SUPPRESS-0000000003
      <-- KSTREAM-SOURCE-0000000000
    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])
      --> KTABLE-TOSTREAM-0000000005
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000006
      <-- KTABLE-SUPPRESS-0000000003
    Sink: KSTREAM-SINK-0000000006 (topic: clicks-per-10-minutes)
      <-- KTABLE-TOSTREAM-0000000005

"""
