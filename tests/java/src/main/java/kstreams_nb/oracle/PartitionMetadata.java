package kstreams_nb.oracle;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.streams.processor.internals.ProcessorMetadata;
import org.apache.kafka.streams.processor.internals.TopicPartitionMetadata;

/**
 * The oracle for the offset metadata a stream task commits (TopicPartitionMetadata with ProcessorMetadata).
 *
 * <p>For each case it fills a fresh ProcessorMetadata with {@code put} in the listed order, as a task's
 * processors do, and prints one line: {@code encode()} of TopicPartitionMetadata(partition time, that metadata),
 * a tab, the partition time, a tab, and the entries as {@code key=value} joined by {@code ,} in put order.
 */
public final class PartitionMetadata {

    private PartitionMetadata() {
    }

    private record Case(long partitionTime, List<String> keys, List<Long> values) {
    }

    private static Case of(final long partitionTime, final Object... keyValues) {
        final List<String> keys = new ArrayList<>();
        final List<Long> values = new ArrayList<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.add((String) keyValues[i]);
            values.add(((Number) keyValues[i + 1]).longValue());
        }
        return new Case(partitionTime, keys, values);
    }

    private static List<Case> cases() {
        final List<Case> cases = new ArrayList<>();
        cases.add(of(100L));
        cases.add(of(-1L));
        cases.add(of(100L, "store", 90));
        cases.add(of(1_700_000_000_000L, "KSTREAM-AGGREGATE-STATE-STORE-0000000001", 1_699_999_999_000L));
        cases.add(of(Long.MAX_VALUE, "zählung-ß", -5, "b", Long.MIN_VALUE, "a", 0));
        final Object[] many = new Object[40];
        for (int i = 0; i < 20; i++) {
            many[2 * i] = "store-" + (19 - i);
            many[2 * i + 1] = i * 1000L;
        }
        cases.add(of(5L, many));
        return cases;
    }

    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (final Case c : cases()) {
            final ProcessorMetadata metadata = new ProcessorMetadata();
            final StringBuilder entries = new StringBuilder();
            for (int i = 0; i < c.keys().size(); i++) {
                metadata.put(c.keys().get(i), c.values().get(i));
                entries.append(i == 0 ? "" : ",").append(c.keys().get(i)).append('=').append(c.values().get(i));
            }
            final String encoded = new TopicPartitionMetadata(c.partitionTime(), metadata).encode();
            out.print(encoded + "\t" + c.partitionTime() + "\t" + entries + "\n");
        }
    }
}
