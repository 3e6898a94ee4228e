package kstreams_nb.oracle;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KGroupedTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Printed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Streams DSL programs. Each one has a twin of the same name in tests/golden/topologies.py that writes the same
 * program with kstreams_nb's StreamsBuilder; the two must stay in step (same operators, same order, same names).
 * The lambdas' bodies do not matter to describe(); only the calls and their order do.
 */
final class DslTopologies {

    private DslTopologies() {
    }

    static <K, V> FixedKeyProcessorSupplier<K, V, V> noopValues() {
        return () -> new FixedKeyProcessor<K, V, V>() {
            @Override
            public void process(final FixedKeyRecord<K, V> record) {
            }
        };
    }

    static void register(final Map<String, Supplier<Topology>> out) {
        out.put("dsl_filter_map_chain", DslTopologies::filterMapChain);
        out.put("dsl_stateless_ops", DslTopologies::statelessOps);
        out.put("dsl_group_by_key_count", DslTopologies::groupByKeyCount);
        out.put("dsl_tumbling_window_count", DslTopologies::tumblingWindowCount);
        out.put("dsl_hopping_window_count", DslTopologies::hoppingWindowCount);
        out.put("dsl_table_group_by_count", DslTopologies::tableGroupByCount);
        out.put("dsl_table_group_by_reduce_aggregate", DslTopologies::tableGroupByReduceAggregate);
        out.put("dsl_split_unnamed", DslTopologies::splitUnnamed);
        out.put("dsl_split_named", DslTopologies::splitNamed);
        out.put("dsl_select_key_to_table", DslTopologies::selectKeyToTable);
        out.put("dsl_repartition", DslTopologies::repartition);
        out.put("dsl_suppress", DslTopologies::suppress);
        out.put("dsl_wordcount", DslTopologies::wordcount);
        out.put("dsl_merge", DslTopologies::merge);
        out.put("dsl_table_filter_materialized", DslTopologies::tableFilterMaterialized);
        out.put("dsl_table_named_source", DslTopologies::tableNamedSource);
        out.put("dsl_named_operators", DslTopologies::namedOperators);
        out.put("dsl_process_with_store", DslTopologies::processWithStore);
        out.put("dsl_two_aggregations", DslTopologies::twoAggregations);
        out.put("dsl_two_aggregations_named", DslTopologies::twoAggregationsNamed);
        out.put("dsl_group_by_key_after_map", DslTopologies::groupByKeyAfterMap);
        out.put("dsl_windowed_reduce_aggregate", DslTopologies::windowedReduceAggregate);
        out.put("dsl_table_unnamed_materialized", DslTopologies::tableUnnamedMaterialized);
        out.put("dsl_rekey_grouping", DslTopologies::rekeyGrouping);
        out.put("dsl_count_unnamed_materialized", DslTopologies::countUnnamedMaterialized);
        out.put("dsl_suppress_named", DslTopologies::suppressNamed);
        out.put("dsl_stream_table_join", DslTopologies::streamTableJoin);
        out.put("dsl_global_table_join", DslTopologies::globalTableJoin);
        out.put("dsl_table_table_join", DslTopologies::tableTableJoin);
    }

    static final Duration TEN_MINUTES = Duration.ofMinutes(10);
    static final Duration ONE_MINUTE = Duration.ofMinutes(1);

    // filter → filterNot → mapValues → map → peek → to
    static Topology filterMapChain() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .filter((k, v) -> v != null)
            .filterNot((k, v) -> v.isEmpty())
            .mapValues(v -> v.toUpperCase(Locale.ROOT))
            .map((k, v) -> KeyValue.pair(v, k))
            .peek((k, v) -> { })
            .to("output");
        return b.build();
    }

    // flatMap, flatMapValues, selectKey, mapValues with key, to an extractor; foreach and print as terminals
    static Topology statelessOps() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.flatMap((k, v) -> List.of(KeyValue.pair(k, v)))
            .flatMapValues(v -> List.of(v, v))
            .selectKey((k, v) -> v)
            .mapValues((k, v) -> k + v)
            .to(new ProcessorApiTopologies.RouteByValue());
        s.foreach((k, v) -> { });
        s.print(Printed.toSysOut());
        s.filter((k, v) -> true).to("output", Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    static Topology groupByKeyCount() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .groupByKey()
            .count()
            .toStream()
            .to("counts");
        return b.build();
    }

    static Topology tumblingWindowCount() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(TEN_MINUTES, ONE_MINUTE))
            .count()
            .toStream()
            .to("windowed-counts");
        return b.build();
    }

    static Topology hoppingWindowCount() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(TEN_MINUTES, ONE_MINUTE).advanceBy(ONE_MINUTE))
            .count()
            .toStream()
            .to("hopping-counts");
        return b.build();
    }

    static Topology tableGroupByCount() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>table("users")
            .groupBy((k, v) -> KeyValue.pair(v, k))
            .count()
            .toStream()
            .to("region-counts");
        return b.build();
    }

    static Topology tableGroupByReduceAggregate() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedTable<String, String> grouped = b.<String, String>table("users")
            .groupBy((k, v) -> KeyValue.pair(v, k), Grouped.as("by-region"));
        grouped.reduce((agg, v) -> agg + v, (agg, v) -> agg)
            .toStream()
            .to("reduced");
        grouped.aggregate(() -> "", (k, v, agg) -> agg + v, (k, v, agg) -> agg, Materialized.as("agg-store"))
            .toStream()
            .to("aggregated");
        return b.build();
    }

    // split() without names: children are the splitter's name + position (default branch: 0)
    static Topology splitUnnamed() {
        final StreamsBuilder b = new StreamsBuilder();
        final Map<String, KStream<String, String>> branches = b.<String, String>stream("input")
            .split()
            .branch((k, v) -> v.startsWith("a"))
            .branch((k, v) -> v.startsWith("b"))
            .defaultBranch();
        branches.get("KSTREAM-BRANCH-00000000011").to("a");
        branches.get("KSTREAM-BRANCH-00000000012").to("b");
        branches.get("KSTREAM-BRANCH-00000000010").to("other");
        return b.build();
    }

    // split(Named) with Branched names, a consumer, a function, a mix of named and unnamed branches
    static Topology splitNamed() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        final Map<String, KStream<String, String>> named = s
            .split(Named.as("route-"))
            .branch((k, v) -> v.length() > 10, Branched.as("big"))
            .branch((k, v) -> v.length() > 5, Branched.withConsumer(ks -> ks.to("medium"), "medium"))
            .branch((k, v) -> v.length() > 2, Branched.withFunction(ks -> ks.mapValues(v -> v + "!")))
            .defaultBranch(Branched.as("rest"));
        named.get("route-big").to("big");
        named.get("route-3").to("small");
        named.get("route-rest").to("rest");
        final Map<String, KStream<String, String>> mixed = s
            .split()
            .branch((k, v) -> v.isEmpty(), Branched.as("empty"))
            .branch((k, v) -> v.length() == 1)
            .noDefaultBranch();
        mixed.get("KSTREAM-BRANCH-0000000011empty").to("empty");
        mixed.get("KSTREAM-BRANCH-00000000112").to("single");
        return b.build();
    }

    // a key change, then toTable: the table reads a repartition topic named after the TOTABLE processor
    static Topology selectKeyToTable() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.selectKey((k, v) -> v)
            .toTable()
            .toStream()
            .to("by-value");
        s.map((k, v) -> KeyValue.pair(v, k))
            .toTable(Named.as("swapped"), Materialized.as("swapped-store"))
            .toStream()
            .to("swapped");
        s.toTable().toStream().to("same-key");
        return b.build();
    }

    static Topology repartition() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.repartition().to("a");
        s.repartition(Repartitioned.as("x")).to("b");
        s.repartition(Repartitioned.<String, String>as("y").withNumberOfPartitions(3)).mapValues(v -> v).to("c");
        return b.build();
    }

    static Topology suppress() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(TEN_MINUTES, ONE_MINUTE))
            .count()
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream()
            .to("final-counts");
        return b.build();
    }

    // streams/examples WordCountDemo
    static Topology wordcount() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> source = b.stream("streams-plaintext-input");
        final KTable<String, Long> counts = source
            .flatMapValues(value -> Arrays.asList(value.toLowerCase(Locale.getDefault()).split(" ")))
            .groupBy((key, value) -> value)
            .count();
        counts.toStream().to("streams-wordcount-output", Produced.with(Serdes.String(), Serdes.Long()));
        return b.build();
    }

    static Topology merge() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left");
        final KStream<String, String> right = b.stream("right");
        left.merge(right).to("merged");
        left.mapValues(v -> v).merge(right.filter((k, v) -> true), Named.as("both")).to("merged-2");
        return b.build();
    }

    static Topology tableFilterMaterialized() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> t = b.table("table-in");
        t.filter((k, v) -> v != null, Materialized.as("filtered"))
            .toStream()
            .to("filtered-out");
        t.filterNot((k, v) -> v == null)
            .mapValues(v -> v + "!")
            .toStream()
            .to("mapped-out");
        return b.build();
    }

    static Topology tableNamedSource() {
        final StreamsBuilder b = new StreamsBuilder();
        b.table("table-in", Consumed.as("tsrc"), Materialized.as("table-store"))
            .mapValues(v -> v, Named.as("mv"), Materialized.as("mv-store"))
            .filter((k, v) -> true, Named.as("keep"))
            .toStream(Named.as("ts"))
            .to("out", Produced.as("out-sink"));
        b.stream("other").to("other-out");
        return b.build();
    }

    // user names burn counter numbers like Kafka (Materialized.as does not)
    static Topology namedOperators() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input", Consumed.as("src"))
            .filter((k, v) -> v != null, Named.as("drop-nulls"))
            .groupBy((k, v) -> v, Grouped.as("by-value"))
            .count(Materialized.as("counts"))
            .toStream(Named.as("counts-stream"))
            .to("counts", Produced.as("counts-sink"));
        b.<String, String>stream("input-2")
            .mapValues(v -> v, Named.as("mv"))
            .groupByKey(Grouped.as("unused"))
            .count(Named.as("count-op"))
            .toStream()
            .to("counts-2");
        return b.build();
    }

    static Topology processWithStore() {
        final StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(ProcessorApiTopologies.store("my-store"));
        final KStream<String, String> s = b.stream("input");
        s.process(ProcessorApiTopologies.<String, String>noop(), Named.as("proc"), "my-store").to("out");
        s.processValues(DslTopologies.<String, String>noopValues(), "my-store").to("out-2");
        s.process(ProcessorApiTopologies.<String, String>noop()).groupByKey().count().toStream().to("out-3");
        return b.build();
    }

    // two aggregations off one grouped stream: each creates its own repartition
    static Topology twoAggregations() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedStream<String, String> grouped = b.<String, String>stream("input").groupBy((k, v) -> v);
        grouped.count().toStream().to("counts");
        grouped.reduce((a, v) -> a + v).toStream().to("reduced");
        return b.build();
    }

    // with Grouped.as the repartition is shared (but the names of a second one still burn numbers)
    static Topology twoAggregationsNamed() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedStream<String, String> grouped =
            b.<String, String>stream("input").groupBy((k, v) -> v, Grouped.as("shared"));
        grouped.count().toStream().to("counts");
        grouped.aggregate(() -> "", (k, v, agg) -> agg + v).toStream().to("aggregated");
        return b.build();
    }

    static Topology groupByKeyAfterMap() {
        final StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("input")
            .map((k, v) -> KeyValue.pair(v, k))
            .groupByKey()
            .reduce((a, v) -> a + v)
            .toStream()
            .to("reduced");
        return b.build();
    }

    static Topology windowedReduceAggregate() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.groupByKey()
            .windowedBy(TimeWindows.ofSizeWithNoGrace(TEN_MINUTES))
            .reduce((a, v) -> a + v)
            .toStream()
            .to("w-reduced");
        s.selectKey((k, v) -> v)
            .groupByKey(Grouped.as("rekeyed"))
            .windowedBy(TimeWindows.ofSizeAndGrace(TEN_MINUTES, ONE_MINUTE).advanceBy(ONE_MINUTE))
            .aggregate(() -> "", (k, v, agg) -> agg + v, Named.as("w-agg"), Materialized.as("w-agg-store"))
            .toStream()
            .to("w-aggregated");
        return b.build();
    }

    // Materialized without a store name: a table operator burns a store number but is not materialized
    static Topology tableUnnamedMaterialized() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> t =
            b.table("table-in", Materialized.with(Serdes.String(), Serdes.String()));
        t.filter((k, v) -> true, Materialized.with(Serdes.String(), Serdes.String()))
            .mapValues(v -> v, Materialized.with(Serdes.String(), Serdes.String()))
            .toStream()
            .to("out");
        t.filterNot((k, v) -> false, Named.as("fn"), Materialized.as("fn-store"))
            .toStream((k, v) -> v)
            .groupByKey()
            .count()
            .toStream()
            .to("counts");
        return b.build();
    }

    // key changes (flatMap, selectKey + merge, map + explicit repartition) followed by groupings
    static Topology rekeyGrouping() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream(Pattern.compile("in-.*"));
        s.flatMap((k, v) -> List.of(KeyValue.pair(v, k)))
            .groupByKey(Grouped.as("flat"))
            .reduce((a, v) -> a + v, Named.as("red"), Materialized.as("red-store"))
            .toStream()
            .to("reduced");
        s.selectKey((k, v) -> v)
            .merge(b.stream("other"))
            .groupByKey()
            .aggregate(() -> "", (k, v, agg) -> agg + v, Materialized.with(Serdes.String(), Serdes.String()))
            .toStream()
            .to("aggregated");
        s.map((k, v) -> KeyValue.pair(v, k))
            .repartition(Repartitioned.as("r"))
            .groupByKey()
            .count()
            .toStream()
            .to("counted");
        s.toTable(Named.as("tt")).toStream().to("tt-out");
        return b.build();
    }

    // count(Materialized) without a store name burns an extra store number (KGroupedStreamImpl.count);
    // a KGroupedTable without a Grouped name makes a repartition per aggregation
    static Topology countUnnamedMaterialized() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.groupByKey().count(Materialized.with(Serdes.String(), Serdes.Long())).toStream().to("counts");
        s.groupByKey()
            .windowedBy(TimeWindows.ofSizeWithNoGrace(TEN_MINUTES))
            .count(Materialized.with(Serdes.String(), Serdes.Long()))
            .toStream()
            .to("windowed-counts");
        final KGroupedTable<String, String> grouped = b.<String, String>table("users").groupBy(KeyValue::pair);
        grouped.count(Materialized.with(Serdes.String(), Serdes.Long())).toStream().to("table-counts");
        grouped.reduce((agg, v) -> agg + v, (agg, v) -> agg, Named.as("table-reduce"),
                Materialized.with(Serdes.String(), Serdes.String()))
            .toStream()
            .to("table-reduced");
        return b.build();
    }

    // suppress(...withName) names the processor and its store "<name>-store" without burning numbers;
    // a time-limit suppress on a plain table; an on-window-close windowed count
    static Topology suppressNamed() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.groupByKey()
            .count()
            .suppress(Suppressed.untilTimeLimit(Duration.ofSeconds(5), Suppressed.BufferConfig.maxRecords(100))
                .withName("rate-limit"))
            .toStream()
            .to("limited");
        s.groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(TEN_MINUTES, ONE_MINUTE))
            .count(Named.as("wc"), Materialized.as("wc-store"))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName("final"))
            .toStream()
            .to("final");
        s.groupByKey()
            .windowedBy(TimeWindows.ofSizeWithNoGrace(TEN_MINUTES))
            .emitStrategy(EmitStrategy.onWindowClose())
            .count()
            .toStream()
            .to("on-close");
        b.table("table-in")
            .suppress(Suppressed.untilTimeLimit(Duration.ofSeconds(1), Suppressed.BufferConfig.unbounded()))
            .toStream()
            .to("table-limited");
        return b.build();
    }

    // a stream-table join (the table is materialized for it), and a named left join of a re-keyed stream with an
    // unmaterialized filter of the same table (repartition named after the join; the lookup reads the source's store)
    static Topology streamTableJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> clicks = b.stream("clicks");
        final KTable<String, String> users = b.table("users");
        clicks.join(users, (c, u) -> c + u).to("enriched");
        clicks.map((k, v) -> KeyValue.pair(v, k))
            .leftJoin(users.filter((k, v) -> v != null), (c, u) -> c + u, Joined.as("by-user"))
            .to("by-user-out");
        return b.build();
    }

    // global-table joins: a generated name (KSTREAM-LEFTJOIN- even for an inner join), and a named left join with a
    // named, materialized global table
    static Topology globalTableJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final GlobalKTable<String, String> products = b.globalTable("products");
        final KStream<String, String> orders = b.stream("orders");
        orders.join(products, (k, v) -> v, (o, p) -> o + p).to("with-product");
        final GlobalKTable<String, String> regions = b.globalTable("regions", Consumed.<String, String>as("regions"),
            Materialized.as("regions-store"));
        orders.leftJoin(regions, (k, v) -> k, (o, r) -> o + r, Named.as("with-region")).to("with-region-out");
        return b.build();
    }

    // table-table joins: an unnamed inner join (both sources materialized for it), a named left join with a named
    // store, and an outer join of an unmaterialized filter with an unnamed Materialized (KTABLE-MERGE-STATE-STORE-)
    static Topology tableTableJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> left = b.table("left");
        final KTable<String, String> right = b.table("right");
        left.join(right, (l, r) -> l + r).toStream().to("inner-out");
        left.leftJoin(right, (l, r) -> l + r, Named.as("left-join"), Materialized.as("left-join-store"))
            .toStream().to("left-out");
        left.filter((k, v) -> v != null)
            .outerJoin(right, (l, r) -> l + r, Materialized.with(Serdes.String(), Serdes.String()))
            .toStream().to("outer-out");
        return b.build();
    }
}
