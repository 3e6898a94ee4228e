package kstreams_nb.bench;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The window workload: a tumbling window count per key in event time (the records' timestamps), with no grace,
 * producing each count with the key {@code <key>@<window start ms>} as an 8-byte big-endian long.
 *
 * <p>Arguments: BenchApp's, then WINDOW_MS.
 */
public final class WindowCount {
  private WindowCount() {}

  public static void main(String[] args) throws InterruptedException {
    BenchApp.checkArgs(args, 1);
    Duration size = Duration.ofMillis(Long.parseLong(args[BenchApp.FIXED_ARGS]));
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[3], Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(size))
        .count()
        .toStream()
        .map((windowed, count) -> KeyValue.pair(windowed.key() + "@" + windowed.window().start(), count))
        .to(args[4], Produced.with(Serdes.String(), Serdes.Long()));
    BenchApp.run(args, builder);
  }
}
