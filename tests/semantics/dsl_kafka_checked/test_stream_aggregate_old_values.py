"""KStreamAggregate forwards the initializer's aggregate as the OLD value of a key's first update when a
downstream operator asked for old values (streams/src/main/java/org/apache/kafka/streams/kstream/internals/
KStreamAggregate.java, ``process``: ``oldAgg = initializer.apply()`` ... ``new Change<>(newAgg, sendOldValues ?
oldAgg : null)``); KStreamReduce has no initializer and sends null. KStreamWindowAggregate does the same as
KStreamAggregate, and kstreams_nb's windowed aggregation already did.

The observable effect: a re-grouped aggregation table (``KTable.group_by``) subtracts the initial aggregate from
its group, so the grouped count emits a tombstone for group ``"0"``. The expected records are what Kafka Streams
4.4.0's TopologyTestDriver prints for the same program with ``statestore.cache.max.bytes=0`` (the library has no
record cache, and the runtime replay runs without one).
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, Grouped, Materialized, Produced, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

S, L = Serdes.string(), Serdes.long()
CONFIG = {"statestore.cache.max.bytes": 0}


def regrouped(kind: str) -> Any:
    builder = StreamsBuilder()
    grouped = builder.stream("input", Consumed.with_(S, S)).group_by_key()
    if kind == "count":
        table = grouped.count().map_values(str, materialized=Materialized.with_(S, S))
    elif kind == "aggregate":
        table = grouped.aggregate(lambda: "0", lambda k, v, agg: agg + v, materialized=Materialized.with_(S, S))
    else:
        table = grouped.reduce(lambda agg, v: agg + v, materialized=Materialized.with_(S, S))
    table.group_by(lambda k, v: (v, k), Grouped.with_(S, S)).count().to_stream().to("output", Produced.with_(S, L))
    return builder.build()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("count", [("0", None, 10), ("1", 1, 10), ("0", None, 20), ("1", 2, 20), ("1", 1, 30), ("2", 1, 30)]),
        ("aggregate", [("0", None, 10), ("01", 1, 10), ("0", None, 20), ("01", 2, 20), ("01", 1, 30),
                       ("011", 1, 30)]),
        # KStreamReduce: no initializer, so no old value on a key's first update
        ("reduce", [("1", 1, 10), ("1", 2, 20), ("1", 1, 30), ("11", 1, 30)]),
    ],
)
def test_first_update_of_an_aggregate_carries_the_initial_aggregate_as_old_value(
    kind: str, expected: list[tuple[str, int | None, int]]
) -> None:
    with TopologyTestDriver(regrouped(kind), CONFIG) as driver:
        inp = driver.create_input_topic("input", S, S)
        inp.pipe_input("a", "1", 10)
        inp.pipe_input("b", "1", 20)
        inp.pipe_input("a", "1", 30)
        out = driver.create_output_topic("output", S, L)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == expected


def test_aggregate_processor_forwards_change_of_new_and_initial_aggregate() -> None:
    """The processor itself: ``Change(1, 0)`` for a count's first update once old values are on."""
    from kstreams_nb.dsl.aggregate import StreamAggregateSupplier
    from kstreams_nb.dsl.table import Change
    from kstreams_nb.records import Record

    supplier = StreamAggregateSupplier("store", lambda: 0, lambda k, v, agg: agg + 1)
    supplier.send_old_values = True
    processor = supplier()
    forwarded: list[Record] = []

    class Store:
        def __init__(self) -> None:
            self.data: dict[Any, Any] = {}

        def get(self, key: Any) -> Any:
            return self.data.get(key)

        def put(self, key: Any, value: Any, ts: int) -> None:
            from kstreams_nb.state import ValueAndTimestamp

            self.data[key] = ValueAndTimestamp(value, ts)

    class Ctx:
        record_metadata = None

        def get_state_store(self, name: str) -> Store:
            return Store()

        def forward(self, record: Record, child: str | None = None) -> None:
            forwarded.append(record)

    processor.init(Ctx())
    processor.process(Record("k", "v", 5))
    processor.process(Record("k", "v", 6))
    assert [r.value for r in forwarded] == [Change(1, 0), Change(2, 1)]
