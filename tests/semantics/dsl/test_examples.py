"""The DSL examples of kstreams_nb.examples.

- :func:`word_count` is Kafka's streams/examples WordCountDemo; the cases reproduce WordCountDemoTest (testOneWord,
  testCountListOfWords) and, for Java's ``split("\\\\W+")`` (a leading empty word is kept, trailing ones are
  dropped, ``\\W`` is ASCII-only), what Kafka Streams 4.4 outputs for the same lines through its
  TopologyTestDriver; describe() is Kafka's for WordCountDemo.
- :func:`branch_by_value` is the seed's first DSL example ("branch a topic by message value into several topics"):
  split() with Branched consumers; describe() is Kafka 4.4's for the same program.
"""

from __future__ import annotations

from kstreams_nb.examples import branch_by_value, java_split_non_word, word_count
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TestRecord, TopologyTestDriver

S, L = Serdes.string(), Serdes.long()
WORDCOUNT_CONFIG = {"application.id": "streams-wordcount", "statestore.cache.max.bytes": 0,
                    "default.key.serde": S, "default.value.serde": S}


def _driver() -> TopologyTestDriver:
    return TopologyTestDriver(word_count(), WORDCOUNT_CONFIG)


def test_one_word() -> None:
    """WordCountDemoTest.testOneWord: "Hello" → ("hello", 1), nothing else."""
    with _driver() as driver:
        driver.create_input_topic("streams-plaintext-input", S, S).pipe_input("Hello")
        out = driver.create_output_topic("streams-wordcount-output", S, L)
        assert out.read_key_value() == ("hello", 1)
        assert out.is_empty()


def test_count_list_of_words() -> None:
    """WordCountDemoTest.testCountListOfWords."""
    with _driver() as driver:
        driver.create_input_topic("streams-plaintext-input", S, S).pipe_value_list([
            "Apache   Kafka Streams   Example",
            "Using  \t\t Kafka   Streams\tTest Utils",
            "Reading and Writing Kafka Topic",
        ])
        assert driver.create_output_topic("streams-wordcount-output", S, L).read_key_values_to_map() == {
            "apache": 1, "kafka": 3, "streams": 2, "example": 1, "using": 1, "test": 1, "utils": 1, "reading": 1,
            "and": 1, "writing": 1, "topic": 1,
        }


def test_java_split_semantics_match_kafka() -> None:
    """Kafka 4.4 WordCountDemo on these lines outputs exactly this (leading empty word counted, "!!!" → no word,
    non-ASCII letters split words)."""
    with _driver() as driver:
        topic = driver.create_input_topic("streams-plaintext-input", S, S)
        for ts, line in enumerate(["  Leading, and trailing!! ", "", "!!!", "Hello", "Ünïcode wörds_x 42"], start=1):
            topic.pipe_input(None, line, ts)
        assert driver.create_output_topic("streams-wordcount-output", S, L).read_key_values_to_list() == [
            ("", 1), ("leading", 1), ("and", 1), ("trailing", 1), ("", 2), ("hello", 1), ("", 3), ("n", 1),
            ("code", 1), ("w", 1), ("rds_x", 1), ("42", 1),
        ]
    assert java_split_non_word("a,b,,") == ["a", "b"]
    assert java_split_non_word(",a") == ["", "a"]


def test_word_count_describe_is_kafkas() -> None:
    """WordCountDemo's topology, as Kafka Streams prints it (internal topic KSTREAM-AGGREGATE-STATE-STORE-0000000003-
    repartition, see reference §e)."""
    assert str(word_count().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"
        "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
        "      --> KSTREAM-KEY-SELECT-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000006\n"
        "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: KSTREAM-FILTER-0000000006 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KSTREAM-KEY-SELECT-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000006\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000004\n"
        "    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000007\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KSTREAM-AGGREGATE-0000000004\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: streams-wordcount-output)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n\n"
    )


def test_word_count_topics_and_timestamps() -> None:
    """The internal topics get the application id; each count update carries its record's timestamp."""
    with _driver() as driver:
        topic = driver.create_input_topic("streams-plaintext-input", S, S)
        topic.pipe_input("k1", "a b", 5)
        topic.pipe_input("k2", "b", 3)
        assert driver.create_output_topic("streams-wordcount-output", S, L).read_records_to_list() == [
            TestRecord("a", 1, 5), TestRecord("b", 1, 5), TestRecord("b", 2, 5),
        ]
        assert driver.produced_topic_names() == {
            "streams-wordcount-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition",
            "streams-wordcount-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog",
            "streams-wordcount-output",
        }


# ---------------------------------------------------------------------------------------------- branch_by_value
def test_branch_by_value_routes_each_record_to_the_first_matching_topic() -> None:
    """Each record goes to the first matching branch only; no match → the default branch; keys, values, timestamps
    and per-topic order kept."""
    with TopologyTestDriver(branch_by_value()) as driver:
        logs = driver.create_input_topic("logs", S, S)
        lines = [("h1", "info: started", 1), ("h2", "ERROR: disk full", 2), ("h1", "warn: slow", 3),
                 ("h3", "debug: x", 4), ("h2", "error: again", 5), ("h4", None, 6)]
        for k, v, ts in lines:
            logs.pipe_input(k, v, ts)

        def read(topic: str) -> list[TestRecord]:
            return driver.create_output_topic(topic, S, S).read_records_to_list()

        assert read("logs-error") == [TestRecord("h2", "ERROR: disk full", 2), TestRecord("h2", "error: again", 5)]
        assert read("logs-warn") == [TestRecord("h1", "warn: slow", 3)]
        assert read("logs-info") == [TestRecord("h1", "info: started", 1)]
        assert read("logs-other") == [TestRecord("h3", "debug: x", 4), TestRecord("h4", None, 6)]


def test_branch_by_value_with_custom_branches_and_no_default() -> None:
    """Custom predicates on the value, in order (a value matching both goes to the first); no default drops."""
    topology = branch_by_value("numbers", {"big": lambda v: int(v) > 100, "even": lambda v: int(v) % 2 == 0},
                               default_topic=None)
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("numbers", S, S)
        for value in ["3", "200", "4", "101"]:
            topic.pipe_input("k", value)
        assert driver.create_output_topic("big", S, S).read_values_to_list() == ["200", "101"]
        assert driver.create_output_topic("even", S, S).read_values_to_list() == ["4"]
        assert driver.produced_topic_names() == {"big", "even"}


def test_branch_by_value_describe_is_kafkas() -> None:
    """Kafka 4.4's describe() of the same split (Named "branch-", Branched consumers, default branch "default")."""
    assert str(branch_by_value().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [logs])\n"
        "      --> branch-\n"
        "    Processor: branch- (stores: [])\n"
        "      --> branch-1, branch-2, branch-3, branch-default\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: branch-1 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- branch-\n"
        "    Processor: branch-2 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- branch-\n"
        "    Processor: branch-3 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000007\n"
        "      <-- branch-\n"
        "    Processor: branch-default (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- branch-\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: logs-error)\n"
        "      <-- branch-1\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: logs-warn)\n"
        "      <-- branch-2\n"
        "    Sink: KSTREAM-SINK-0000000007 (topic: logs-info)\n"
        "      <-- branch-3\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: logs-other)\n"
        "      <-- branch-default\n\n"
    )
