package kstreams_nb.oracle;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.streams.Topology;

/**
 * The oracle for kstreams_nb's golden describe() texts: prints what Kafka Streams itself prints.
 *
 * <p>For every named topology (all of them, or those named on the command line) it prints a line
 * {@code === <name>}, then {@code topology.describe().toString()} exactly, then one newline that the reader
 * (tests/java/run_oracle.py) strips again.
 *
 * <p>Catalogs of topologies live in their own classes; add a catalog (e.g. DSL programs built with a
 * StreamsBuilder) by writing a class with a {@code static void register(Map<String, Supplier<Topology>>)}
 * method and calling it in {@link #catalog()}.
 */
public final class Describe {

    private Describe() {
    }

    /** Every named topology, in print order. */
    static Map<String, Supplier<Topology>> catalog() {
        final Map<String, Supplier<Topology>> all = new LinkedHashMap<>();
        ProcessorApiTopologies.register(all);
        DslTopologies.register(all);
        DslJoinTopologies.register(all);
        return all;
    }

    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        final Map<String, Supplier<Topology>> all = catalog();
        final List<String> names = args.length == 0 ? new ArrayList<>(all.keySet()) : Arrays.asList(args);
        for (final String name : names) {
            final Supplier<Topology> supplier = all.get(name);
            if (supplier == null) {
                System.err.println("unknown topology: " + name);
                System.exit(2);
            }
            out.print("=== " + name + "\n");
            out.print(supplier.get().describe().toString());
            out.print("\n");
        }
        out.flush();
    }
}
