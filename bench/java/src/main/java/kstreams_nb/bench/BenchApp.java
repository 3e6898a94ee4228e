package kstreams_nb.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What the benchmark apps share: the configuration (one stream thread, commits every 100 ms) and running until
 * SIGTERM, which closes the instance (committing what was processed).
 *
 * <p>Arguments: {@code BOOTSTRAP APPLICATION_ID GUARANTEE INPUT OUTPUT STATE_DIR [workload arguments...]}.
 */
final class BenchApp {
  static final int FIXED_ARGS = 6;

  private BenchApp() {}

  /** Exits with a usage message unless there are BenchApp's arguments and {@code extra} more. */
  static void checkArgs(String[] args, int extra) {
    if (args.length != FIXED_ARGS + extra) {
      System.err.println(
          "usage: BOOTSTRAP APPLICATION_ID GUARANTEE INPUT OUTPUT STATE_DIR, then "
              + extra
              + " workload argument(s)");
      System.exit(2);
    }
  }

  static void run(String[] args, StreamsBuilder builder) throws InterruptedException {
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[2]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[5]);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean failed = new AtomicBoolean();
    streams.setUncaughtExceptionHandler(
        e -> {
          e.printStackTrace();
          failed.set(true);
          stopped.countDown();
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(Duration.ofSeconds(30));
                  stopped.countDown();
                }));
    streams.start();
    stopped.await();
    if (failed.get()) {
      System.exit(1);
    }
  }
}
