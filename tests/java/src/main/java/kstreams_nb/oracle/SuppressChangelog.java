package kstreams_nb.oracle;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The oracle for the suppression buffer's changelog and the record context of suppressed records.
 *
 * <p>For each program it prints {@code === <name>}, then, for every input piped through a TopologyTestDriver
 * (application.id {@code app}, no record cache), one {@code in} line and the records that input produced: {@code changelog}
 * lines for the buffer's changelog topic {@code app-<name>-store-changelog} and {@code out} lines for the output
 * topic. Downstream of the suppression a processor appends {@code @topic/partition/offset} (the record metadata
 * it sees) to each value. Each line is {@code <kind> key=<hex|null> value=<hex|null> ts=<ms|null>
 * headers=<key>:<hex|null>,...} (keys and values as raw bytes in hex).
 */
public final class SuppressChangelog {

    private SuppressChangelog() {
    }

    private record Input(String key, String value, long ts, Headers headers) {
    }

    private static Headers headers(final String... pairs) {
        final RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1] == null ? null : pairs[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    /** Appends the record metadata seen downstream of the suppression to the value. */
    private static final class Tag<K> extends ContextualProcessor<K, Long, String, String> {
        @Override
        public void process(final Record<K, Long> record) {
            final RecordMetadata meta = context().recordMetadata().orElseThrow();
            final Object key = record.key();
            final String k = key instanceof Windowed<?> w ? w.key() + "@" + w.window().start() : String.valueOf(key);
            final String v = record.value() + "@" + meta.topic() + "/" + meta.partition() + "/" + meta.offset();
            context().forward(record.withKey(k).withValue(v));
        }
    }

    static Topology timeLimit() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("input", Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
            .count(Materialized.with(Serdes.String(), Serdes.Long()))
            .suppress(Suppressed.untilTimeLimit(Duration.ofMillis(10), Suppressed.BufferConfig.maxRecords(100))
                .withName("sup"))
            .toStream()
            .process(Tag<String>::new)
            .to("output", Produced.with(Serdes.String(), Serdes.String()));
        return builder.build();
    }

    static List<Input> timeLimitInputs() {
        return Arrays.asList(
            new Input("a", "x", 0, headers("h", "1")),
            new Input("b", "y", 1, headers("h", "2", "n", null)),
            new Input("a", "z", 5, headers()),
            new Input("c", "w", 12, headers("h", "3")),
            new Input("b", "v", 13, headers()),
            new Input("d", "u", 40, headers("k", "")));
    }

    static Topology windowClose() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("input", Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
            .count(Materialized.with(Serdes.String(), Serdes.Long()))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName("final"))
            .toStream()
            .process(Tag<Windowed<String>>::new)
            .to("output", Produced.with(Serdes.String(), Serdes.String()));
        return builder.build();
    }

    static List<Input> windowCloseInputs() {
        return Arrays.asList(
            new Input("a", "x", 1, headers("h", "1")),
            new Input("a", "y", 3, headers()),
            new Input("b", "z", 12, headers("h", "2")),
            new Input("a", "w", 16, headers("h", "3", "h", "4")),
            new Input("x", "v", 30, headers()));
    }

    private static String hex(final byte[] bytes) {
        if (bytes == null) {
            return "null";
        }
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    private static String line(final String kind, final byte[] key, final byte[] value, final Long ts,
                               final Headers headers) {
        final List<String> hs = new ArrayList<>();
        for (final Header h : headers) {
            hs.add(h.key() + ":" + hex(h.value()));
        }
        return kind + " key=" + hex(key) + " value=" + hex(value) + " ts=" + (ts == null ? "null" : ts)
            + " headers=" + String.join(",", hs) + "\n";
    }

    private static void run(final PrintStream out, final String name, final Topology topology,
                            final List<Input> inputs) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG,
            BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        // no record cache: every update reaches the suppression (a cache would merge updates and change old values)
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        out.print("=== " + name + "\n");
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            final TestInputTopic<String, String> input =
                driver.createInputTopic("input", new StringSerializer(), new StringSerializer());
            final Map<String, TestOutputTopic<byte[], byte[]>> outputs = new LinkedHashMap<>();
            outputs.put("changelog", driver.createOutputTopic("app-" + name + "-store-changelog",
                new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            outputs.put("out", driver.createOutputTopic("output",
                new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            for (final Input in : inputs) {
                final byte[] k = in.key().getBytes(StandardCharsets.UTF_8);
                final byte[] v = in.value().getBytes(StandardCharsets.UTF_8);
                out.print(line("in", k, v, in.ts(), in.headers()));
                input.pipeInput(new TestRecord<>(in.key(), in.value(), in.headers(), in.ts()));
                for (final Map.Entry<String, TestOutputTopic<byte[], byte[]>> e : outputs.entrySet()) {
                    for (final TestRecord<byte[], byte[]> r : e.getValue().readRecordsToList()) {
                        out.print(line(e.getKey(), r.key(), r.value(), r.timestamp(), r.headers()));
                    }
                }
            }
        }
    }

    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        run(out, "sup", timeLimit(), timeLimitInputs());
        run(out, "final", windowClose(), windowCloseInputs());
        out.flush();
    }
}
