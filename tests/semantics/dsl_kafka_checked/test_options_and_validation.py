"""Option objects and argument checks, against Kafka Streams 4.4.0 (each behaviour was run there too).

- Repartitioned (streams/.../kstream/Repartitioned.java) has static factories ``numberOfPartitions`` /
  ``streamPartitioner`` AND with-ers ``withNumberOfPartitions`` / ``withStreamPartitioner``. kstreams_nb's
  ``with_number_of_partitions`` / ``with_stream_partitioner`` were static only, so the Kafka idiom
  ``Repartitioned.as_("x").with_number_of_partitions(3)`` silently dropped the name (and serdes).
- Names: ``Named.as``, ``Consumed.as``, ``Produced.as`` and ``Grouped.as`` (at build) reject names Kafka cannot
  use (NamedInternal / Named.validate: ASCII alphanumerics, '.', '_', '-'); kstreams_nb accepted them in
  Grouped/Consumed/Produced and in plain ``str`` names, producing processor names and repartition topics such as
  ``bad name-repartition``.
- ``KTable.to_stream(mapper)`` checked the mapper only after adding its KTABLE-TOSTREAM node, leaving a stray node
  and a burnt number in the builder (Kafka's ``requireNonNull(mapper)`` comes first); Kafka's ``toStream(Named)``
  overload is accepted positionally.
- WindowStoreMaterializer checks ``Materialized.retention`` (or size + grace) against size + grace, not the
  retention of a store supplier given to ``Materialized.as``: Kafka builds such a program, kstreams_nb refused it.
- ``Materialized.withRetention`` of a negative duration is an IllegalArgumentException; kstreams_nb raised a bare
  ValueError instead of a KStreamsError.
"""

from __future__ import annotations

import pytest

from kstreams_nb.dsl import (
    Consumed,
    Grouped,
    Materialized,
    Named,
    Produced,
    Repartitioned,
    StreamsBuilder,
    TimeWindows,
)
from kstreams_nb.errors import KStreamsError, TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores

S = Serdes.string()
ILLEGAL = "contains a character other than ASCII alphanumerics"


def partitioner(topic: str, key: object, value: object, num_partitions: int) -> int:
    return 0


# ---------------------------------------------------------------------------------------------- Repartitioned
def test_with_number_of_partitions_on_an_instance_keeps_its_other_settings() -> None:
    r = Repartitioned.as_("x").with_key_serde(S).with_number_of_partitions(3).with_stream_partitioner(partitioner)
    assert (r.name, r.key_serde, r.number_of_partitions, r.partitioner) == ("x", S, 3, partitioner)


def test_the_static_factories_still_work() -> None:
    assert Repartitioned.with_number_of_partitions(4) == Repartitioned(number_of_partitions=4)
    assert Repartitioned.with_stream_partitioner(partitioner) == Repartitioned(partitioner=partitioner)
    with pytest.raises(TopologyError, match="positive int"):
        Repartitioned.as_("x").with_number_of_partitions(0)


def test_a_named_repartition_with_a_partition_count_uses_its_name() -> None:
    builder = StreamsBuilder()
    builder.stream("in").repartition(Repartitioned.as_("rekeyed").with_number_of_partitions(3)).to("out")
    description = str(builder.build().describe())
    assert "Sink: rekeyed-repartition-sink (topic: rekeyed-repartition)" in description
    assert builder.build().internal_builder.internal_topics == {"rekeyed-repartition": 3}


# ---------------------------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "make",
    [
        lambda: Grouped.as_("bad name"),
        lambda: Grouped.with_(S, S).with_name("bad name"),
        lambda: Consumed.as_("bad name"),
        lambda: Consumed.with_(S, S).with_name("bad/name"),
        lambda: Produced.as_("bad name"),
        lambda: Produced.with_(S, S).with_name(""),
        lambda: Named.as_("bad name"),
    ],
)
def test_option_names_follow_kafkas_rules(make: object) -> None:
    with pytest.raises(TopologyError):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "build",
    [
        lambda s: s.filter(lambda k, v: True, "bad name"),
        lambda s: s.map(lambda k, v: (k, v)).to_table("bad name"),
        lambda s: s.split("bad name"),
        lambda s: s.to_table().to_stream(named="bad name"),
    ],
)
def test_a_str_name_is_validated_like_a_named(build: object) -> None:
    stream = StreamsBuilder().stream("in")
    with pytest.raises(TopologyError, match=ILLEGAL):
        build(stream)  # type: ignore[operator]


def test_legal_names_still_pass() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in", Consumed.as_("src.v1"))
        .filter(lambda k, v: True, "keep_all")
        .group_by(lambda k, v: v, Grouped.as_("by-value"))
        .count()
        .to_stream()
        .to("out", Produced.as_("sink-1"))
    )
    description = str(builder.build().describe())
    assert "Source: src.v1" in description and "by-value-repartition" in description


# ---------------------------------------------------------------------------------------------- to_stream
def test_to_stream_checks_its_mapper_before_adding_nodes() -> None:
    builder = StreamsBuilder()
    table = builder.table("t")
    with pytest.raises(TopologyError, match="to_stream's mapper"):
        table.to_stream("not a mapper")  # type: ignore[arg-type]
    table.to_stream().to("out")
    clean = StreamsBuilder()
    clean.table("t").to_stream().to("out")
    # nothing stray and no number burnt: the same text as without the failed call
    assert str(builder.build().describe()) == str(clean.build().describe())


def test_to_stream_takes_a_named_positionally() -> None:
    builder = StreamsBuilder()
    builder.table("t").to_stream(Named.as_("changes")).to("out")
    assert "Processor: changes (stores: [])" in str(builder.build().describe())


# ---------------------------------------------------------------------------------------------- retention
def test_a_window_store_supplier_is_not_checked_against_size_plus_grace() -> None:
    builder = StreamsBuilder()
    windowed = builder.stream("in").group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5))
    windowed.count(materialized=Materialized.as_(Stores.in_memory_window_store("w", 10, 10, False)))
    builder.build()  # Kafka 4.4.0 builds this program too


def test_materialized_retention_is_still_checked_with_a_supplier() -> None:
    windowed = StreamsBuilder().stream("in").group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5))
    supplier = Stores.in_memory_window_store("w", 100, 10, False)
    with pytest.raises(TopologyError, match="must be no smaller than its window size plus the grace period"):
        windowed.count(materialized=Materialized.as_(supplier).with_retention(14))


def test_negative_retention_is_a_topology_error() -> None:
    with pytest.raises(TopologyError, match="Retention must not be negative") as info:
        Materialized.as_("s").with_retention(-1)
    assert isinstance(info.value, KStreamsError) and isinstance(info.value, ValueError)
