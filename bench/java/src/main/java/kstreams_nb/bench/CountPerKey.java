package kstreams_nb.bench;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The stateful workload: count records per key (the DSL's default store, with its changelog topic) and produce
 * each count as an 8-byte big-endian long.
 *
 * <p>Arguments: BenchApp's.
 */
public final class CountPerKey {
  private CountPerKey() {}

  public static void main(String[] args) throws InterruptedException {
    BenchApp.checkArgs(args, 0);
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[3], Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .groupByKey()
        .count()
        .toStream()
        .to(args[4], Produced.with(Serdes.String(), Serdes.Long()));
    BenchApp.run(args, builder);
  }
}
