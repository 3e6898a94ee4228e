package kstreams_nb.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Processor API topologies. Each one has a twin of the same name in tests/golden/topologies.py that builds
 * the same topology with kstreams_nb; the two must stay in step.
 */
final class ProcessorApiTopologies {

    private ProcessorApiTopologies() {
    }

    /** A processor that does nothing (describe() only needs the graph). */
    static <K, V> ProcessorSupplier<K, V, K, V> noop() {
        return () -> new Processor<K, V, K, V>() {
            @Override
            public void process(final Record<K, V> record) {
            }
        };
    }

    static ProcessorSupplier<String, String, Void, Void> globalNoop() {
        return () -> new Processor<String, String, Void, Void>() {
            @Override
            public void process(final Record<String, String> record) {
            }
        };
    }

    static StoreBuilder<KeyValueStore<String, Long>> store(final String name) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long());
    }

    /** Its toString() is what kstreams_nb prints for the Python twin: extractor_name(route_by_value). */
    static final class RouteByValue implements TopicNameExtractor<String, String> {
        @Override
        public String extract(final String key, final String value, final RecordContext recordContext) {
            return "out-" + value;
        }

        @Override
        public String toString() {
            return "tests.golden.topologies.route_by_value";
        }
    }

    static void register(final Map<String, Supplier<Topology>> out) {
        out.put("empty", Topology::new);
        out.put("source_processor_sink", ProcessorApiTopologies::sourceProcessorSink);
        out.put("wordcount_processor", ProcessorApiTopologies::wordcountProcessor);
        out.put("pattern_source", ProcessorApiTopologies::patternSource);
        out.put("global_store_first", ProcessorApiTopologies::globalStoreFirst);
        out.put("global_stores_interleaved", ProcessorApiTopologies::globalStoresInterleaved);
        out.put("shared_store", ProcessorApiTopologies::sharedStore);
        out.put("two_stores_two_sinks", ProcessorApiTopologies::twoStoresTwoSinks);
        out.put("fan_out", ProcessorApiTopologies::fanOut);
        out.put("diamond", ProcessorApiTopologies::diamond);
        out.put("extractor_sink", ProcessorApiTopologies::extractorSink);
        out.put("many_topics", ProcessorApiTopologies::manyTopics);
        out.put("many_stores", ProcessorApiTopologies::manyStores);
        out.put("wide", ProcessorApiTopologies::wide);
        out.put("unicode_names", ProcessorApiTopologies::unicodeNames);
        out.put("many_subtopologies", ProcessorApiTopologies::manySubtopologies);
        out.put("hash_collisions", ProcessorApiTopologies::hashCollisions);
        for (final long seed : new long[] {1, 2, 3, 4, 5, 6}) {
            out.put("random_dag_" + seed, () -> randomDag(seed, 10 + (int) (seed * 5)));
        }
        // tables of 64 and 128 buckets for the node HashMap
        out.put("random_dag_big_7", () -> randomDag(7, 45));
        out.put("random_dag_big_8", () -> randomDag(8, 70));
    }

    // (a)
    static Topology sourceProcessorSink() {
        return new Topology()
            .addSource("source", "input")
            .addProcessor("processor", noop(), "source")
            .addSink("sink", "output", "processor");
    }

    // (b) streams/examples WordCountProcessorDemo
    static Topology wordcountProcessor() {
        final Topology t = new Topology();
        t.addSource("Source", "streams-plaintext-input");
        t.addProcessor("Process", noop(), "Source");
        t.addStateStore(store("Counts"), "Process");
        t.addSink("Sink", "streams-wordcount-processor-output", "Process");
        return t;
    }

    // (c)
    static Topology patternSource() {
        return new Topology()
            .addSource("source", Pattern.compile("topic-\\d+"))
            .addProcessor("proc", noop(), "source")
            .addSink("sink", "out", "proc");
    }

    // (d) a global store added first takes id 0
    static Topology globalStoreFirst() {
        final Topology t = new Topology();
        t.addGlobalStore(store("globalStore").withLoggingDisabled(), "globalSource",
            new StringDeserializer(), new StringDeserializer(), "global-topic", "globalProcessor", globalNoop());
        t.addSource("source", "input");
        t.addProcessor("proc", noop(), "source");
        t.addSink("sink", "output", "proc");
        return t;
    }

    static Topology globalStoresInterleaved() {
        final Topology t = new Topology();
        t.addSource("s0", "in-0");
        t.addProcessor("p0", noop(), "s0");
        t.addGlobalStore(store("g1").withLoggingDisabled(), "gsrc1",
            new StringDeserializer(), new StringDeserializer(), "gtopic-1", "gproc1", globalNoop());
        t.addSource("s2", "in-2");
        t.addSink("k2", "out-2", "s2");
        t.addGlobalStore(store("g3").withLoggingDisabled(), "gsrc3",
            new StringDeserializer(), new StringDeserializer(), "gtopic-3", "gproc3", globalNoop());
        t.addGlobalStore(store("g4").withLoggingDisabled(), "gsrc4",
            new StringDeserializer(), new StringDeserializer(), "gtopic-4", "gproc4", globalNoop());
        t.addSource("s5", "in-5");
        t.addProcessor("p5", noop(), "s5");
        return t;
    }

    // (e) two independent sub-topologies, and a third joined by a shared store
    static Topology sharedStore() {
        final Topology t = new Topology();
        t.addSource("sourceA", "topic-a");
        t.addProcessor("procA", noop(), "sourceA");
        t.addSink("sinkA", "out-a", "procA");
        t.addSource("sourceC", "topic-c");
        t.addProcessor("procC1", noop(), "sourceC");
        t.addSource("sourceB", "topic-b");
        t.addProcessor("procB", noop(), "sourceB");
        t.addSource("sourceD", "topic-d");
        t.addProcessor("procC2", noop(), "sourceD");
        t.addSink("sinkC", "out-c", "procC1", "procC2");
        t.addStateStore(store("shared"), "procC1", "procC2");
        return t;
    }

    // (f)
    static Topology twoStoresTwoSinks() {
        final Topology t = new Topology();
        t.addSource("src", "in");
        t.addProcessor("proc", noop(), "src");
        t.addStateStore(store("store-one"), "proc");
        t.addStateStore(store("store-two"), "proc");
        t.addSink("sink-1", "out-1", "proc");
        t.addSink("sink-2", "out-2", "proc");
        return t;
    }

    // (g) one source, three children, one of which has two children
    static Topology fanOut() {
        return new Topology()
            .addSource("S", "fan-in")
            .addProcessor("C", noop(), "S")
            .addProcessor("A", noop(), "S")
            .addProcessor("B", noop(), "S")
            .addSink("B2", "out-b2", "B")
            .addProcessor("B1", noop(), "B")
            .addSink("A1", "out-a1", "A")
            .addSink("B1-out", "out-b1", "B1");
    }

    // (h) two sources into one processor, then a diamond
    static Topology diamond() {
        return new Topology()
            .addSource("left", "t-left")
            .addSource("right", "t-right")
            .addProcessor("join", noop(), "left", "right")
            .addProcessor("post1", noop(), "join")
            .addProcessor("post2", noop(), "join")
            .addProcessor("merge", noop(), "post2", "post1")
            .addSink("out", "t-out", "merge");
    }

    // (i)
    static Topology extractorSink() {
        return new Topology()
            .addSource("source", "input")
            .addProcessor("proc", noop(), "source")
            .addSink("dynamic", new RouteByValue(), "proc")
            .addSink("fixed", "output", "proc");
    }

    // (j) HashSet order of topics
    static Topology manyTopics() {
        return new Topology()
            .addSource("multi", "topic-a", "topic-b", "input", "zzz", "A1")
            .addSink("sink", "out", "multi");
    }

    static Topology manyStores() {
        final Topology t = new Topology();
        t.addSource("src", "in");
        t.addProcessor("thirteen", noop(), "src");
        t.addProcessor("twelve", noop(), "src");
        for (int i = 0; i < 13; i++) {
            t.addStateStore(store(String.format("store-%02d", i)), "thirteen");
        }
        for (int i = 0; i < 12; i++) {
            t.addStateStore(store("Twelve" + (char) ('A' + i)), "twelve");
        }
        return t;
    }

    // more than 12 nodes in one sub-topology: the HashMap resizes
    static Topology wide() {
        final Topology t = new Topology();
        t.addSource("root", "wide-in");
        for (int i = 0; i < 20; i++) {
            t.addProcessor("p" + i, noop(), "root");
        }
        for (int i = 0; i < 20; i += 3) {
            t.addSink("sink" + i, "out-" + i, "p" + i, "p" + (i + 1));
        }
        t.addProcessor("tail", noop(), "p19", "p2", "p11");
        t.addSink("tail-out", "tail-topic", "tail");
        return t;
    }

    // non-ASCII and non-BMP names: String.hashCode and compareTo work on UTF-16 code units
    static Topology unicodeNames() {
        return new Topology()
            .addSource("s\u00fcd", "t\u00f6pic", "\ud83d\ude00-topic", "\uffff-topic")
            .addSink("\uffff", "out-1", "s\u00fcd")
            .addSink("\ud83d\ude00", "out-2", "s\u00fcd")
            .addSink("\u00e9", "out-3", "s\u00fcd");
    }

    // more than ten sub-topologies, some joined by stores added after all the nodes
    static Topology manySubtopologies() {
        final Topology t = new Topology();
        for (int i = 0; i < 12; i++) {
            t.addSource("src" + i, "in-" + i);
            t.addProcessor("proc" + i, noop(), "src" + i);
        }
        t.addStateStore(store("link"), "proc3", "proc9");
        t.addStateStore(store("link2"), "proc10", "proc1");
        t.addStateStore(store("own"), "proc11");
        t.connectProcessorAndStateStores("proc9", "own");
        return t;
    }

    // nine topics with one hashCode: the ninth in one bin makes HashMap.treeifyBin resize a table under 64
    static Topology hashCollisions() {
        return new Topology()
            .addSource("collide", "AaAaAaAa", "AaAaAaBB", "AaAaBBAa", "AaAaBBBB", "AaBBAaAa", "AaBBAaBB",
                "AaBBBBAa", "AaBBBBBB", "BBAaAaAa", "topic-a", "input", "zzz", "A1", "x1", "orders", "payments")
            .addSink("sink", "out", "collide");
    }

    /** Kafka-independent 64-bit LCG; tests/golden/topologies.py has the same one. */
    static final class Lcg {
        private long state;

        Lcg(final long seed) {
            state = seed;
        }

        int next(final int bound) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            return (int) ((state >>> 33) % bound);
        }
    }

    static final String[] PREFIXES = {"KSTREAM-MAP-", "proc-", "P", "x", "Node_"};

    static Topology randomDag(final long seed, final int n) {
        final Lcg r = new Lcg(seed);
        final Topology t = new Topology();
        final List<String> pool = new ArrayList<>();
        final List<String> processors = new ArrayList<>();
        final int sources = 1 + r.next(3);
        for (int s = 0; s < sources; s++) {
            final String name = "src-" + s;
            t.addSource(name, "dag" + seed + "-" + s);
            pool.add(name);
        }
        for (int i = 0; i < n; i++) {
            final String name = PREFIXES[r.next(PREFIXES.length)] + i;
            final int want = 1 + r.next(Math.min(3, pool.size()));
            final List<String> parents = new ArrayList<>();
            for (int k = 0; k < want; k++) {
                final String parent = pool.get(r.next(pool.size()));
                if (!parents.contains(parent)) {
                    parents.add(parent);
                }
            }
            final String[] parentArray = parents.toArray(new String[0]);
            if (r.next(5) == 0) {
                t.addSink(name, "dag" + seed + "-out-" + i, parentArray);
            } else {
                t.addProcessor(name, noop(), parentArray);
                pool.add(name);
                processors.add(name);
            }
        }
        final int stores = processors.isEmpty() ? 0 : r.next(3);
        for (int j = 0; j < stores; j++) {
            final String first = processors.get(r.next(processors.size()));
            final String second = processors.get(r.next(processors.size()));
            if (first.equals(second)) {
                t.addStateStore(store("store-" + j), first);
            } else {
                t.addStateStore(store("store-" + j), first, second);
            }
        }
        return t;
    }
}
