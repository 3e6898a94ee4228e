package kstreams_nb.oracle;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Aggregator;
import org.apache.kafka.streams.kstream.CogroupedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindowedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.WindowStore;

import kstreams_nb.oracle.JoinCases.Case;
import kstreams_nb.oracle.JoinCases.In;

/**
 * The oracle for the DSL's left and outer windowed stream-stream joins, sliding-window aggregations, cogroup
 * (key-value and windowed) and foreign-key table joins at their edges: null keys and null values on each side,
 * out-of-order records, records exactly on window bounds and later than the grace period, null and changed
 * foreign keys.
 *
 * <p>It prints as {@link JoinCases} does (same driver settings, same line format). Windowed results are written
 * with the key {@code key@start/end} as a String, so that the window end survives the output topic. Every joiner
 * returns {@code left + "+" + right} (Java's "null" for a null side).
 */
public final class JoinCases2 {

    private JoinCases2() {
    }

    private static final Serde<String> S = Serdes.String();
    private static final ValueJoiner<String, String, String> JOINER = (l, r) -> l + "+" + r;

    private static In in(final String topic, final String key, final String value, final long ts) {
        return JoinCases.in(topic, key, value, ts);
    }

    private static String windowed(final Windowed<String> w) {
        return w.key() + "@" + w.window().start() + "/" + w.window().end();
    }

    // left ("left-out") and outer ("outer") windowed stream-stream joins: 10 ms either side, 5 ms grace
    static Topology streamStreamOuter() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left", Consumed.with(S, S));
        final KStream<String, String> right = b.stream("right", Consumed.with(S, S));
        final JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5));
        left.leftJoin(right, JOINER, windows, StreamJoined.with(S, S, S)).to("left-out", Produced.with(S, S));
        left.outerJoin(right, JOINER, windows, StreamJoined.with(S, S, S)).to("outer", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_STREAM_OUTER = List.of(
        in("left", "a", "l1", 100),
        in("right", "a", "r1", 110),
        in("left", "a", "l2", 89),
        in("right", "b", "r2", 100),
        in("left", null, "l3", 105),
        in("left", "a", null, 106),
        in("right", "a", null, 107),
        in("right", null, "r3", 108),
        in("left", "c", "l4", 120),
        in("right", "c", "r4", 131),
        in("left", "a", "l5", 95),
        in("left", "d", "l6", 140),
        in("right", "d", "r5", 125),
        in("left", "e", "l7", 160),
        in("right", "e", "r6", 170),
        in("right", "e", "r7", 145),
        in("left", "z", "l8", 200));

    // sliding windows of 10 ms, 5 ms grace: count and aggregate on every update, count once per closed window
    static Topology sliding() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedStream<String, String> grouped = b.stream("input", Consumed.with(S, S))
            .groupByKey(Grouped.with(S, S));
        final SlidingWindows windows = SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10),
            Duration.ofMillis(5));
        grouped.windowedBy(windows).count(Materialized.with(S, Serdes.Long()))
            .toStream(JoinCases2::windowedKey).to("count", Produced.with(S, Serdes.Long()));
        grouped.windowedBy(windows)
            .aggregate(() -> "", (k, v, agg) -> agg + v,
                Materialized.<String, String, WindowStore<Bytes, byte[]>>with(S, S))
            .toStream(JoinCases2::windowedKey).to("agg", Produced.with(S, S));
        final TimeWindowedKStream<String, String> closing = grouped.windowedBy(windows)
            .emitStrategy(EmitStrategy.onWindowClose());
        closing.count(Materialized.with(S, Serdes.Long()))
            .toStream(JoinCases2::windowedKey).to("final", Produced.with(S, Serdes.Long()));
        return b.build();
    }

    private static <V> String windowedKey(final Windowed<String> w, final V v) {
        return windowed(w);
    }

    static final List<In> SLIDING = List.of(
        in("input", "a", "1", 10),
        in("input", "a", "2", 15),
        in("input", "a", "3", 20),
        in("input", "a", "4", 5),
        in("input", "a", "5", 31),
        in("input", null, "6", 32),
        in("input", "a", null, 33),
        in("input", "b", "7", 25),
        in("input", "a", "8", 14),
        in("input", "a", "9", 30),
        in("input", "a", "10", 50),
        in("input", "a", "11", 36),
        in("input", "a", "12", 45),
        in("input", "b", "13", 40),
        in("input", "c", "14", 70));

    private static final Aggregator<String, String, String> FROM_A = (k, v, agg) -> agg + "a" + v;
    private static final Aggregator<String, String, String> FROM_B = (k, v, agg) -> agg + "b" + v;

    // two grouped streams cogrouped into one aggregate: per key ("out"), per hopping window of 10 ms advancing by
    // 5 ms with 5 ms grace ("windowed"), per sliding window of 10 ms with 5 ms grace ("sliding")
    static Topology cogroup() {
        final StreamsBuilder b = new StreamsBuilder();
        final KGroupedStream<String, String> ga = b.stream("a", Consumed.with(S, S)).groupByKey(Grouped.with(S, S));
        final KGroupedStream<String, String> gb = b.stream("b", Consumed.with(S, S)).groupByKey(Grouped.with(S, S));
        ga.cogroup(FROM_A).cogroup(gb, FROM_B)
            .aggregate(() -> "", Materialized.with(S, S))
            .toStream().to("out", Produced.with(S, S));
        final CogroupedKStream<String, String> windowed = ga.cogroup(FROM_A).cogroup(gb, FROM_B);
        windowed.windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(5))
                .advanceBy(Duration.ofMillis(5)))
            .aggregate(() -> "", Materialized.with(S, S))
            .toStream(JoinCases2::windowedKey).to("windowed", Produced.with(S, S));
        final CogroupedKStream<String, String> sliding = ga.cogroup(FROM_A).cogroup(gb, FROM_B);
        sliding.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
            .aggregate(() -> "", Materialized.with(S, S))
            .toStream(JoinCases2::windowedKey).to("sliding", Produced.with(S, S));
        return b.build();
    }

    static final List<In> COGROUP = List.of(
        in("a", "k1", "1", 0),
        in("b", "k1", "2", 3),
        in("a", "k1", "3", 10),
        in("b", "k2", "4", 7),
        in("a", null, "5", 11),
        in("b", "k1", null, 12),
        in("a", "k2", null, 13),
        in("b", null, "x", 14),
        in("a", "k1", "6", 30),
        in("b", "k1", "7", 12),
        in("a", "k2", "8", 28),
        in("b", "k1", "9", 26));

    // foreign-key joins: a left value "fk:data" joins the right row keyed fk ("none": a null foreign key)
    static Topology foreignKey() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> left = b.table("left", Consumed.with(S, S));
        final KTable<String, String> right = b.table("right", Consumed.with(S, S));
        left.join(right, JoinCases2::foreignKeyOf, JOINER).toStream().to("inner", Produced.with(S, S));
        left.leftJoin(right, JoinCases2::foreignKeyOf, JOINER).toStream().to("left-out", Produced.with(S, S));
        return b.build();
    }

    private static String foreignKeyOf(final String value) {
        return value.equals("none") ? null : value.split(":")[0];
    }

    static final List<In> FOREIGN_KEY = List.of(
        in("right", "r1", "R1", 1),
        in("left", "a", "r1:x", 2),
        in("left", "b", "r2:y", 3),
        in("right", "r2", "R2", 4),
        in("left", "a", "r2:z", 5),
        in("left", "a", "none", 6),
        in("left", null, "r1:q", 7),
        in("left", "c", null, 8),
        in("right", null, "X", 9),
        in("right", "r2", null, 10),
        in("left", "b", null, 11),
        in("right", "r1", "R1b", 12),
        in("left", "d", "r1:w", 0),
        in("right", "r3", "R3", 13),
        in("left", "e", "r3:v", 14),
        in("left", "e", "r3:v", 15),
        in("left", "e", "r1:u", 16),
        in("left", "a", "r1:t", 17),
        in("right", "r1", null, 18));

    static Map<String, Case> cases() {
        final Map<String, Case> all = new TreeMap<>();
        all.put("stream_stream_outer", new Case(JoinCases2::streamStreamOuter, List.of("left-out:ss", "outer:ss"),
            STREAM_STREAM_OUTER));
        all.put("sliding", new Case(JoinCases2::sliding, List.of("count:sl", "agg:ss", "final:sl"), SLIDING));
        // Kafka's default (RocksDB) stores too: emitting on window close, they keep windows one ms longer
        all.put("sliding_rocksdb", new Case(JoinCases2::sliding, List.of("count:sl", "agg:ss", "final:sl"), SLIDING,
            false));
        all.put("cogroup", new Case(JoinCases2::cogroup, List.of("out:ss", "windowed:ss", "sliding:ss"), COGROUP));
        all.put("foreign_key", new Case(JoinCases2::foreignKey, List.of("inner:ss", "left-out:ss"), FOREIGN_KEY));
        return all;
    }

    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (final Map.Entry<String, Case> e : cases().entrySet()) {
            JoinCases.run(out, e.getKey(), e.getValue());
        }
        out.flush();
    }
}
