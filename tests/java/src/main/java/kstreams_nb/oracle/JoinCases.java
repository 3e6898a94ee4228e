package kstreams_nb.oracle;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindowedDeserializer;
import org.apache.kafka.streams.kstream.SessionWindowedKStream;
import org.apache.kafka.streams.kstream.SessionWindowedSerializer;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The oracle for joins and session windows at their edges: null keys and null values on each side, out-of-order
 * records, records later than the grace period.
 *
 * <p>For each program it prints {@code === <name>}, then, for every input piped through a TopologyTestDriver
 * (application.id {@code app}, in-memory stores unless a case says otherwise, no record cache, emit-on-window-close
 * aggregations checking on every record: {@code __emit.interval.ms.kstreams.windowed.aggregation__=0}, and outer
 * stream-stream joins likewise: {@code __emit.interval.ms.kstreams.outer.join.spurious.results.fix__=0}), one
 * {@code in <topic> key=.. value=.. ts=..} line and the records that input produced,
 * {@code out <topic> key=.. value=.. ts=..}, output topic by output topic. Strings print in double quotes, null as
 * {@code null}, longs as numbers, session-windowed keys as {@code "key"@start/end}. Every joiner returns
 * {@code left + "+" + right} (Java's "null" for a null side).
 */
public final class JoinCases {

    private JoinCases() {
    }

    record In(String topic, String key, String value, long ts) {
    }

    /** A program, its output topics as {@code topic:kind} (kind: key and value types, {@code s} String,
     * {@code l} Long, {@code w} session-windowed String) and its inputs. */
    record Case(Supplier<Topology> topology, List<String> outputs, List<In> inputs, boolean inMemory) {
        Case(final Supplier<Topology> topology, final List<String> outputs, final List<In> inputs) {
            this(topology, outputs, inputs, true);
        }
    }

    private static final Serde<String> S = Serdes.String();
    private static final String EMIT_INTERVAL = "__emit.interval.ms.kstreams.windowed.aggregation__";
    private static final String OUTER_JOIN_EMIT_INTERVAL =
        "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__";
    private static final ValueJoiner<String, String, String> JOINER = (l, r) -> l + "+" + r;

    static In in(final String topic, final String key, final String value, final long ts) {
        return new In(topic, key, value, ts);
    }

    // stream-table join, inner ("inner") and left ("left"), with the table materialized by the join
    static Topology streamTable() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> stream = b.stream("stream", Consumed.with(S, S));
        final KTable<String, String> table = b.table("table", Consumed.with(S, S));
        stream.join(table, JOINER).to("inner", Produced.with(S, S));
        stream.leftJoin(table, JOINER).to("left", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_TABLE = List.of(
        in("table", "a", "A1", 10),
        in("stream", "a", "x1", 5),
        in("stream", null, "x2", 6),
        in("stream", "a", null, 7),
        in("stream", "b", "x3", 8),
        in("table", null, "N", 9),
        in("table", "b", "B1", 20),
        in("stream", "b", "x4", 1),
        in("table", "a", null, 11),
        in("stream", "a", "x5", 12),
        in("table", "c", "C1", 3),
        in("stream", "c", "x6", 4));

    // global-table join: the record's value is the table key
    static Topology globalTable() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> stream = b.stream("stream", Consumed.with(S, S));
        final GlobalKTable<String, String> global = b.globalTable("global", Consumed.with(S, S));
        stream.join(global, (k, v) -> v, JOINER).to("inner", Produced.with(S, S));
        stream.leftJoin(global, (k, v) -> v, JOINER).to("left", Produced.with(S, S));
        return b.build();
    }

    static final List<In> GLOBAL_TABLE = List.of(
        in("global", "g1", "G1", 0),
        in("stream", "a", "g1", 5),
        in("stream", "b", "g2", 6),
        in("stream", null, "g1", 7),
        in("stream", "c", null, 8),
        in("global", null, "X", 9),
        in("global", "g1", null, 10),
        in("stream", "d", "g1", 11),
        in("global", "g2", "G2", 30),
        in("stream", "e", "g2", 2));

    // table-table joins: inner, left, outer
    static Topology tableTable() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> left = b.table("left", Consumed.with(S, S));
        final KTable<String, String> right = b.table("right", Consumed.with(S, S));
        left.join(right, JOINER).toStream().to("inner", Produced.with(S, S));
        left.leftJoin(right, JOINER).toStream().to("left-out", Produced.with(S, S));
        left.outerJoin(right, JOINER).toStream().to("outer", Produced.with(S, S));
        return b.build();
    }

    static final List<In> TABLE_TABLE = List.of(
        in("left", "a", "L1", 10),
        in("right", "a", "R1", 5),
        in("right", "b", "R2", 7),
        in("left", "a", null, 12),
        in("left", "c", null, 13),
        in("left", null, "X", 14),
        in("right", "a", "R0", 1),
        in("left", "b", "L2", 3),
        in("right", "b", null, 15),
        in("right", "b", null, 16));

    // windowed stream-stream inner join: 10 ms either side, 5 ms grace
    static Topology streamStream() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left", Consumed.with(S, S));
        final KStream<String, String> right = b.stream("right", Consumed.with(S, S));
        left.join(right, JOINER, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)),
                StreamJoined.with(S, S, S))
            .to("inner", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_STREAM = List.of(
        in("left", "a", "l1", 100),
        in("right", "a", "r1", 105),
        in("right", "a", "r2", 95),
        in("left", null, "l2", 100),
        in("left", "a", null, 101),
        in("right", "a", null, 102),
        in("left", "b", "l3", 200),
        in("right", "a", "r3", 100),
        in("right", "b", "r4", 192),
        in("left", "b", "l4", 195),
        in("left", "a", "l5", 186),
        in("right", "a", "r5", 188),
        in("left", "c", "l6", 300),
        in("right", "c", "r6", 310),
        in("right", "c", "r7", 311),
        in("right", "c", "r8", 290));

    // session-windowed count: 10 ms inactivity gap, 5 ms grace; emitFinal: once per closed session
    static Topology sessionCount(final boolean emitFinal) {
        final StreamsBuilder b = new StreamsBuilder();
        final SessionWindowedKStream<String, String> windowed = b.stream("input", Consumed.with(S, S))
            .groupByKey(Grouped.with(S, S))
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)));
        (emitFinal ? windowed.emitStrategy(EmitStrategy.onWindowClose()) : windowed)
            .count(Materialized.with(S, Serdes.Long()))
            .toStream()
            .to("out", Produced.with(Serdes.serdeFrom(new SessionWindowedSerializer<>(S.serializer()),
                new SessionWindowedDeserializer<>(S.deserializer())), Serdes.Long()));
        return b.build();
    }

    static final List<In> SESSION_COUNT = List.of(
        in("input", "a", "v", 0),
        in("input", "a", "v", 5),
        in("input", "a", "v", 30),
        in("input", "a", "v", 20),
        in("input", "a", "v", 3),
        in("input", "a", "v", 16),
        in("input", null, "v", 31),
        in("input", "a", null, 32),
        in("input", "b", "v", 25),
        in("input", "b", "v", 6),
        in("input", "a", "v", 45),
        in("input", "a", "v", 40));

    // joins feeding a re-grouping: the join sends old values, so the grouped counts subtract the old join result
    static Topology tableJoinRegroup() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<String, String> left = b.table("left", Consumed.with(S, S));
        final KTable<String, String> right = b.table("right", Consumed.with(S, S));
        left.join(right, JOINER)
            .groupBy((k, v) -> KeyValue.pair(v, k), Grouped.with(S, S))
            .count()
            .toStream()
            .to("inner", Produced.with(S, Serdes.Long()));
        left.leftJoin(right, JOINER, Materialized.with(S, S))
            .groupBy((k, v) -> KeyValue.pair(v, k), Grouped.with(S, S))
            .count()
            .toStream()
            .to("left-out", Produced.with(S, Serdes.Long()));
        return b.build();
    }

    static final List<In> TABLE_JOIN_REGROUP = List.of(
        in("left", "a", "L1", 1),
        in("right", "a", "R1", 2),
        in("left", "b", "L1", 3),
        in("right", "b", "R1", 4),
        in("right", "a", "R2", 5),
        in("right", "a", null, 6),
        in("left", "b", null, 7),
        in("left", "a", null, 8));

    // a stream joined with tables derived from one source: an unmaterialized filter (inner) and mapValues (left)
    static Topology streamDerivedTable() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> stream = b.stream("stream", Consumed.with(S, S));
        final KTable<String, String> table = b.table("table", Consumed.with(S, S));
        stream.join(table.filter((k, v) -> !v.startsWith("x")), JOINER).to("filtered", Produced.with(S, S));
        stream.leftJoin(table.mapValues(v -> v + "!"), JOINER).to("mapped", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_DERIVED_TABLE = List.of(
        in("table", "a", "A", 1),
        in("stream", "a", "s1", 2),
        in("table", "a", "xA", 3),
        in("stream", "a", "s2", 4),
        in("table", "a", null, 5),
        in("stream", "a", "s3", 6),
        in("stream", null, "s4", 7));

    // asymmetric windows: a left record at t joins right records in [t - 2, t + 20]; 3 ms grace
    static Topology streamStreamAsymmetric() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> left = b.stream("left", Consumed.with(S, S));
        final KStream<String, String> right = b.stream("right", Consumed.with(S, S));
        left.join(right, JOINER, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(3))
                    .before(Duration.ofMillis(2)).after(Duration.ofMillis(20)), StreamJoined.with(S, S, S))
            .to("inner", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_STREAM_ASYMMETRIC = List.of(
        in("left", "a", "l1", 100),
        in("right", "a", "r1", 98),
        in("right", "a", "r2", 97),
        in("right", "a", "r3", 120),
        in("right", "a", "r4", 121),
        in("left", "a", "l2", 118),
        in("left", "a", "l3", 79),
        in("right", "b", "r5", 150),
        in("left", "a", "l4", 110),
        in("left", "a", "l5", 127),
        in("right", "a", "r6", 126));

    // a stream joined with itself (no optimization): each record meets itself and its neighbours
    static Topology streamSelfJoin() {
        final StreamsBuilder b = new StreamsBuilder();
        final KStream<String, String> s = b.stream("input", Consumed.with(S, S));
        s.join(s, JOINER, JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(5)), StreamJoined.with(S, S, S))
            .to("inner", Produced.with(S, S));
        return b.build();
    }

    static final List<In> STREAM_SELF_JOIN = List.of(
        in("input", "a", "v1", 10),
        in("input", "a", "v2", 13),
        in("input", "b", "v3", 14),
        in("input", "a", "v4", 30),
        in("input", "a", "v5", 12));

    // session reduce (the reducer also merges sessions), raw and suppressed until the session closes
    static Topology sessionReduceSuppress() {
        final StreamsBuilder b = new StreamsBuilder();
        final KTable<Windowed<String>, String> reduced = b.stream("input", Consumed.with(S, S))
            .groupByKey(Grouped.with(S, S))
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
            .reduce((agg, v) -> agg + v, Materialized.with(S, S));
        final Serde<Windowed<String>> windowed = Serdes.serdeFrom(
            new SessionWindowedSerializer<>(S.serializer()), new SessionWindowedDeserializer<>(S.deserializer()));
        reduced.toStream().to("raw", Produced.with(windowed, S));
        reduced.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream()
            .to("final", Produced.with(windowed, S));
        return b.build();
    }

    static final List<In> SESSION_REDUCE_SUPPRESS = List.of(
        in("input", "a", "1", 0),
        in("input", "a", "2", 8),
        in("input", "b", "3", 10),
        in("input", "a", "4", 25),
        in("input", "a", "5", 16),
        in("input", "b", "6", 40),
        in("input", "a", "7", 2),
        in("input", "c", "8", 60));

    static final List<In> SESSION_EMIT_FINAL = List.of(
        in("input", "a", "v", 0),
        in("input", "a", "v", 5),
        in("input", "b", "v", 12),
        in("input", "a", "v", 20),
        in("input", "a", "v", 31),
        in("input", "b", "v", 33),
        in("input", "a", "v", 50),
        in("input", "a", "v", 4),
        in("input", "c", "v", 80));

    static Map<String, Case> cases() {
        final Map<String, Case> all = new TreeMap<>();
        all.put("stream_table", new Case(JoinCases::streamTable, List.of("inner:ss", "left:ss"), STREAM_TABLE));
        all.put("global_table", new Case(JoinCases::globalTable, List.of("inner:ss", "left:ss"), GLOBAL_TABLE));
        all.put("table_table", new Case(JoinCases::tableTable, List.of("inner:ss", "left-out:ss", "outer:ss"),
            TABLE_TABLE));
        all.put("stream_stream", new Case(JoinCases::streamStream, List.of("inner:ss"), STREAM_STREAM));
        all.put("session_count", new Case(() -> sessionCount(false), List.of("out:wl"), SESSION_COUNT));
        all.put("table_join_regroup", new Case(JoinCases::tableJoinRegroup, List.of("inner:sl", "left-out:sl"),
            TABLE_JOIN_REGROUP));
        all.put("stream_derived_table", new Case(JoinCases::streamDerivedTable, List.of("filtered:ss", "mapped:ss"),
            STREAM_DERIVED_TABLE));
        all.put("stream_stream_asymmetric", new Case(JoinCases::streamStreamAsymmetric, List.of("inner:ss"),
            STREAM_STREAM_ASYMMETRIC));
        all.put("stream_self_join", new Case(JoinCases::streamSelfJoin, List.of("inner:ss"), STREAM_SELF_JOIN));
        all.put("session_reduce_suppress", new Case(JoinCases::sessionReduceSuppress, List.of("raw:ws", "final:ws"),
            SESSION_REDUCE_SUPPRESS));
        // Kafka's default (RocksDB) stores, and the in-memory ones, with which Kafka 4.4.0 emits no final session
        all.put("session_emit_final", new Case(() -> sessionCount(true), List.of("out:wl"), SESSION_EMIT_FINAL,
            false));
        all.put("session_emit_final_in_memory", new Case(() -> sessionCount(true), List.of("out:wl"),
            SESSION_EMIT_FINAL));
        return all;
    }

    private static String text(final Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Windowed<?> w) {
            return text(w.key()) + "@" + w.window().start() + "/" + w.window().end();
        }
        if (o instanceof String s) {
            return "\"" + s + "\"";
        }
        return o.toString();
    }

    private static String line(final String kind, final String topic, final Object key, final Object value,
                               final Long ts) {
        return kind + " " + topic + " key=" + text(key) + " value=" + text(value) + " ts=" + ts + "\n";
    }

    private static Deserializer<?> deserializer(final char kind) {
        return switch (kind) {
            case 'l' -> new LongDeserializer();
            case 'w' -> new SessionWindowedDeserializer<>(new StringDeserializer());
            default -> new StringDeserializer();
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void run(final PrintStream out, final String name, final Case c) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        if (c.inMemory()) {
            props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG,
                BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        }
        final Path stateDir = tempDir();  // RocksDB files of this run only
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // emit-on-window-close aggregations check for closed windows on every record, not once a wall-clock second
        props.put(EMIT_INTERVAL, 0L);
        // outer stream-stream joins emit unmatched records as soon as their window closes
        props.put(OUTER_JOIN_EMIT_INTERVAL, 0L);
        out.print("=== " + name + "\n");
        try (TopologyTestDriver driver = new TopologyTestDriver(c.topology().get(), props)) {
            final Map<String, TestInputTopic<String, String>> inputs = new TreeMap<>();
            final List<TestOutputTopic<Object, Object>> outputs = c.outputs().stream()
                .map(t -> (TestOutputTopic<Object, Object>) driver.createOutputTopic(t.split(":")[0],
                    (Deserializer) deserializer(t.split(":")[1].charAt(0)),
                    (Deserializer) deserializer(t.split(":")[1].charAt(1))))
                .toList();
            for (final In in : c.inputs()) {
                out.print(line("in", in.topic(), in.key(), in.value(), in.ts()));
                inputs.computeIfAbsent(in.topic(),
                        t -> driver.createInputTopic(t, new StringSerializer(), new StringSerializer()))
                    .pipeInput(new TestRecord<>(in.key(), in.value(), null, in.ts()));
                for (int i = 0; i < outputs.size(); i++) {
                    for (final TestRecord<Object, Object> r : outputs.get(i).readRecordsToList()) {
                        out.print(line("out", c.outputs().get(i).split(":")[0], r.key(), r.value(), r.timestamp()));
                    }
                }
            }
        } finally {
            delete(stateDir);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("join-cases");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(final Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (final Map.Entry<String, Case> e : cases().entrySet()) {
            run(out, e.getKey(), e.getValue());
        }
        out.flush();
    }
}
