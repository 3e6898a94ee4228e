package kstreams_nb.oracle;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * Streams DSL programs of the second DSL part (stream-stream joins, shared join repartitions, session windows).
 * Each one has a twin of the same name in tests/golden/topologies.py; the two must stay in step (same operators,
 * same order, same names). The lambdas' bodies do not matter to describe().
 */
final class DslJoinTopologies {

    private DslJoinTopologies() {
    }

    static void register(final Map<String, Supplier<Topology>> out) {
        out.put("dsl_stream_stream_join", DslJoinTopologies::streamStreamJoin);
        out.put("dsl_stream_stream_join_named", DslJoinTopologies::streamStreamJoinNamed);
        out.put("dsl_two_joins_shared_repartition", DslJoinTopologies::twoJoinsSharedRepartition);
        out.put("dsl_session_windowed_count", DslJoinTopologies::sessionWindowedCount);
        out.put("dsl_stream_stream_outer_joins", DslJoinTopologies::streamStreamOuterJoins);
        out.put("dsl_foreign_key_join", DslJoinTopologies::foreignKeyJoin);
        out.put("dsl_cogroup", DslJoinTopologies::cogroup);
        out.put("dsl_sliding_windowed_count", DslJoinTopologies::slidingWindowedCount);
    }

    static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    static final Duration ONE_MINUTE = Duration.ofMinutes(1);

    // an unnamed inner join with default stores (KSTREAM-JOINTHIS-/JOINOTHER-, KSTREAM-JOINTHIS-...-store), and one
    // with grace and asymmetric windows
    static Topology streamStreamJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left");
        final KStream<String, String> right = b.stream("right");
        left.join(right, (l, r) -> l + r, JoinWindows.ofTimeDifferenceWithNoGrace(FIVE_MINUTES)).to("joined");
        left.join(right, (l, r) -> l + r, JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES, ONE_MINUTE)
                .after(ONE_MINUTE))
            .to("joined-2");
        return b.build();
    }

    // StreamJoined: a processor name and a store name, a processor name only, a store name only
    static Topology streamStreamJoinNamed() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left");
        final KStream<String, String> right = b.stream("right");
        final JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES, ONE_MINUTE);
        left.join(right, (l, r) -> l + r, windows,
                StreamJoined.<String, String, String>as("pairs").withName("pair-join"))
            .to("both");
        left.join(right, (l, r) -> l + r, windows,
                StreamJoined.<String, String, String>with(Serdes.String(), Serdes.String(), Serdes.String())
                    .withName("name-only"))
            .to("name-only-out");
        left.join(right, (l, r) -> l + r, windows, StreamJoined.as("store-only")).to("store-only-out");
        return b.build();
    }

    // one re-keyed stream joined with two tables and a stream, unnamed: every join repartitions it under the
    // KEY-SELECT node's name, so Kafka builds one repartition topic and shares it; a named join gets its own
    static Topology twoJoinsSharedRepartition() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> rekeyed = b.<String, String>stream("orders").selectKey((k, v) -> v);
        final KTable<String, String> users = b.table("users");
        final KTable<String, String> regions = b.table("regions");
        final KStream<String, String> payments = b.stream("payments");
        rekeyed.join(users, (o, u) -> o + u).to("with-user");
        rekeyed.leftJoin(regions, (o, r) -> o + r).to("with-region");
        rekeyed.join(payments, (o, p) -> o + p, JoinWindows.ofTimeDifferenceWithNoGrace(FIVE_MINUTES))
            .to("with-payment");
        return b.build();
    }

    // an unnamed session-windowed count, and a named one with a named store and grace
    static Topology sessionWindowedCount() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(FIVE_MINUTES))
            .count()
            .toStream()
            .to("session-counts");
        s.groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(FIVE_MINUTES, ONE_MINUTE))
            .count(Named.as("sessions"), Materialized.as("session-store"))
            .toStream()
            .to("named-session-counts");
        return b.build();
    }

    // an unnamed sliding-windowed count, and a named reduce with a named store and grace
    static Topology slidingWindowedCount() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input");
        s.groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(FIVE_MINUTES))
            .count()
            .toStream()
            .to("sliding-counts");
        s.groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES, ONE_MINUTE))
            .reduce((a, v) -> a + v, Named.as("sliding"), Materialized.as("sliding-store"))
            .toStream()
            .to("named-sliding");
        return b.build();
    }

    // left and outer stream-stream joins: unnamed, and an outer join named with StreamJoined and a store name
    static Topology streamStreamOuterJoins() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left");
        final KStream<String, String> right = b.stream("right");
        final JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES, ONE_MINUTE);
        left.leftJoin(right, (l, r) -> l + r, windows).to("left-out");
        left.outerJoin(right, (l, r) -> l + r, windows).to("outer-out");
        left.outerJoin(right, (l, r) -> l + r, windows,
                StreamJoined.<String, String, String>as("outer-store").withName("outer-join"))
            .to("named-outer-out");
        return b.build();
    }

    // foreign-key joins: an unnamed inner join, and a named left join with a named result store
    static Topology foreignKeyJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> orders = b.table("orders");
        final KTable<String, String> customers = b.table("customers");
        orders.join(customers, v -> v, (o, c) -> o + c).toStream().to("fk-inner");
        orders.leftJoin(customers, (k, v) -> k, (o, c) -> o + c, TableJoined.as("fk"),
                Materialized.as("fk-store"))
            .toStream()
            .to("fk-left");
        return b.build();
    }

    // cogroup: two grouped streams into one aggregate, and a windowed cogroup with a named store
    static Topology cogroup() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedStream<String, String> clicks = b.<String, String>stream("clicks").groupByKey();
        final KGroupedStream<String, String> views = b.<String, String>stream("views").groupByKey();
        clicks.<String>cogroup((k, v, agg) -> agg + v)
            .cogroup(views, (k, v, agg) -> agg + v)
            .aggregate(() -> "")
            .toStream()
            .to("cogrouped");
        clicks.<String>cogroup((k, v, agg) -> agg + v)
            .cogroup(views, (k, v, agg) -> agg)
            .windowedBy(TimeWindows.ofSizeWithNoGrace(FIVE_MINUTES))
            .aggregate(() -> "", Named.as("windowed-cogroup"), Materialized.as("cogroup-store"))
            .toStream()
            .to("windowed-cogrouped");
        return b.build();
    }
}
