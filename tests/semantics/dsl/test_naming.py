"""Node, store and internal-topic names: one shared counter, as Kafka's InternalStreamsBuilder / NamedInternal.

Each expected text is what Kafka Streams 4.4 ``topology.describe()`` prints for the same program (run through
kafka-streams 4.4.0 from Maven Central), covering:
- StreamsBuilder.table: store ``<topic>-STATE-STORE-n`` first, then KSTREAM-SOURCE, then KTABLE-SOURCE; a named
  table (Consumed.as) is ``<name>-source`` → ``<name>`` (InternalStreamsBuilder.table);
- KTable.filter / map_values with an unnamed Materialized: a store number is burnt, nothing is materialized
  (KTableImpl.doFilter / doMapValues);
- KGroupedTable: store, sink, source, then KTABLE-AGGREGATE / KTABLE-REDUCE; Named → ``<name>-sink`` /
  ``<name>-source`` / ``<name>``; Grouped's name → the select processor and ``<name>-repartition``
  (KTableImpl.groupBy, KGroupedTableImpl.doAggregate);
- KGroupedStream: store, processor, then the repartition's sink / filter / source (GroupedStreamAggregateBuilder);
- merge of a re-keyed stream makes a later group_by_key repartition (KStreamImpl.merge).
"""

from __future__ import annotations

from kstreams_nb.dsl import Consumed, Grouped, Materialized, Named, StreamsBuilder
from kstreams_nb.serdes import Serdes

S = Serdes.string()


def test_merge_then_group_by_key_repartitions() -> None:
    builder = StreamsBuilder()
    left = builder.stream("l", Consumed.with_(S, S))
    merged = left.merge(builder.stream("r", Consumed.with_(S, S)).select_key(lambda k, v: v))
    merged.group_by_key().count().to_stream().to("out")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [r])\n"
        "      --> KSTREAM-KEY-SELECT-0000000002\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
        "      --> KSTREAM-MERGE-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [l])\n"
        "      --> KSTREAM-MERGE-0000000003\n"
        "    Processor: KSTREAM-MERGE-0000000003 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000000, KSTREAM-KEY-SELECT-0000000002\n"
        "    Processor: KSTREAM-FILTER-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- KSTREAM-MERGE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000007\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000008 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000005\n"
        "    Processor: KSTREAM-AGGREGATE-0000000005 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000008\n"
        "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- KSTREAM-AGGREGATE-0000000005\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000009\n\n"
    )


def test_named_grouped_table_count() -> None:
    builder = StreamsBuilder()
    grouped = builder.table("t", Consumed.with_(S, S)).group_by(lambda k, v: (v, v), Grouped.as_("g"))
    grouped.count(Named.as_("cnt")).to_stream().to("out")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [t])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [t-STATE-STORE-0000000000])\n"
        "      --> g\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: g (stores: [])\n"
        "      --> cnt-sink\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: cnt-sink (topic: g-repartition)\n"
        "      <-- g\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: cnt-source (topics: [g-repartition])\n"
        "      --> cnt\n"
        "    Processor: cnt (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- cnt-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- cnt\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n\n"
    )


def test_unnamed_materialized_on_table_operators_burns_a_number() -> None:
    builder = StreamsBuilder()
    table = builder.table("t")
    (
        table.filter(lambda k, v: True, materialized=Materialized.with_(S, S))
        .map_values(lambda v: v, materialized=Materialized.with_(S, S))
        .to_stream()
        .to("o")
    )
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [t])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
        "      --> KTABLE-FILTER-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-FILTER-0000000004 (stores: [])\n"
        "      --> KTABLE-MAPVALUES-0000000006\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-MAPVALUES-0000000006 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KTABLE-FILTER-0000000004\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KTABLE-MAPVALUES-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: o)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n"
    )


def test_named_table_source() -> None:
    """Consumed.as_("tsrc"): source ``tsrc-source`` and KTABLE-SOURCE ``tsrc``, both burning numbers."""
    builder = StreamsBuilder()
    builder.table("table-in", Consumed.as_("tsrc"), Materialized.as_("table-store")).to_stream().to("out")
    nodes = [n.name for n in builder.build().describe().subtopologies[0].nodes]
    assert sorted(nodes) == ["KSTREAM-SINK-0000000003", "KTABLE-TOSTREAM-0000000002", "tsrc", "tsrc-source"]
