package kstreams_nb.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The stateless JSON workload: parse each value, keep those with {@code amount > THRESHOLD}, add the field
 * {@code big} ({@code amount > BIG}), serialize and produce.
 *
 * <p>Arguments: BenchApp's, then {@code THRESHOLD BIG}.
 */
public final class StatelessJson {
  private StatelessJson() {}

  public static void main(String[] args) throws InterruptedException {
    BenchApp.checkArgs(args, 2);
    int threshold = Integer.parseInt(args[BenchApp.FIXED_ARGS]);
    int big = Integer.parseInt(args[BenchApp.FIXED_ARGS + 1]);
    ObjectMapper mapper = new ObjectMapper();
    Serde<JsonNode> json =
        Serdes.serdeFrom(
            (topic, node) -> {
              try {
                return node == null ? null : mapper.writeValueAsBytes(node);
              } catch (IOException e) {
                throw new SerializationException(e);
              }
            },
            (topic, bytes) -> {
              try {
                return bytes == null ? null : mapper.readTree(bytes);
              } catch (IOException e) {
                throw new SerializationException(e);
              }
            });
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[3], Consumed.with(Serdes.String(), json))
        .filter((key, value) -> value.get("amount").asInt() > threshold)
        .mapValues(value -> (JsonNode) ((ObjectNode) value).put("big", value.get("amount").asInt() > big))
        .to(args[4], Produced.with(Serdes.String(), json));
    BenchApp.run(args, builder);
  }
}
