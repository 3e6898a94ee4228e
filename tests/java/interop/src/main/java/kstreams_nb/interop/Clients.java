package kstreams_nb.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plain Java Kafka clients for the interoperability tests; every line printed is tab-separated, UTF-8.
 *
 * <pre>
 * consume BOOTSTRAP TOPIC string|long   every record of TOPIC (all partitions, from the start to the end offsets
 *                                       taken at start-up), read_committed, String keys and String or Long values:
 *                                       "partition offset key value" per record
 * produce BOOTSTRAP TOPIC               one record per line of stdin (key = value = the line) with the default
 *                                       partitioner: "key partition" per record
 * </pre>
 */
public final class Clients {

    private Clients() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: consume BOOTSTRAP TOPIC string|long | produce BOOTSTRAP TOPIC");
        }
        final StringBuilder out = new StringBuilder();
        switch (args[0]) {
            case "consume" -> consume(args[1], args[2], args.length > 3 ? args[3] : "string", out);
            case "produce" -> produce(args[1], args[2], stdinLines(), out);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }

    private static List<String> stdinLines() throws IOException {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final List<String> lines = new ArrayList<>();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            lines.add(line);
        }
        return lines;
    }

    private static void consume(final String bootstrap, final String topic, final String valueType,
                                final StringBuilder out) {
        final Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        final Deserializer<?> values = "long".equals(valueType) ? new LongDeserializer() : new StringDeserializer();
        try (KafkaConsumer<String, ?> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
            final long deadline = System.currentTimeMillis() + 30_000;
            while (!ends.isEmpty()) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("did not reach the end offsets " + ends + " within 30 s");
                }
                for (final ConsumerRecord<String, ?> r : consumer.poll(Duration.ofMillis(200))) {
                    out.append(r.partition()).append('\t').append(r.offset()).append('\t')
                        .append(r.key()).append('\t').append(r.value()).append('\n');
                }
                ends.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
    }

    private static void produce(final String bootstrap, final String topic, final List<String> keys,
                                final StringBuilder out) throws Exception {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            final List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (final String key : keys) {
                sent.add(producer.send(new ProducerRecord<>(topic, key, key)));
            }
            for (int i = 0; i < keys.size(); i++) {
                out.append(keys.get(i)).append('\t').append(sent.get(i).get().partition()).append('\n');
            }
        }
    }
}
