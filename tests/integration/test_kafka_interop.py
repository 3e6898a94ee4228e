"""Interoperability with Java Kafka on a real broker.

- Kafka Streams' own ``WordCountDemo`` (kafka-streams-examples, run on the project's kafka-streams) and our word
  count read the same input topic and reach the same final count per word (which intermediate updates each
  writes depends on its cache and commit timing, so only final counts are compared).
- A plain Java consumer (``kstreams_nb.interop.Clients``, tests/java/interop) decodes our String and Long
  outputs.
- Keys land on the partitions a Java producer chooses for them (Kafka's murmur2 default partitioner).

The Java programs are built with tests/java/run_oracle.py's steps (Maven class path, javac) from
tests/java/interop/pom.xml into tests/java/target/interop; without Java or Maven the tests are skipped, except in
CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration._kafka import create_topic, new_topic, produce, read_partitions
from kstreams_nb import Serdes, Topology
from kstreams_nb.examples import java_split_non_word, word_count
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.testing.kafka import KAFKA_VERSION, LocalKafka

pytestmark = [pytest.mark.timeout(180), pytest.mark.java]

JAVA_DIR = Path(__file__).resolve().parents[1] / "java"
INTEROP = JAVA_DIR / "interop"
WORD_COUNT_DEMO = "org.apache.kafka.streams.examples.wordcount.WordCountDemo"
CLIENTS = "kstreams_nb.interop.Clients"
#: WordCountDemo.INPUT_TOPIC and OUTPUT_TOPIC (fixed in the demo)
DEMO_INPUT, DEMO_OUTPUT = "streams-plaintext-input", "streams-wordcount-output"
S, L = Serdes.string(), Serdes.long()

LINES = [
    "Hello Kafka Streams",
    "all streams lead to Kafka",
    "join kafka summit",
    "  leading spaces, then words! and trailing punctuation...",
    "snake_case words_with_underscores and digits 42 4.2",
    "HELLO hello HeLLo",
    "-- a line that starts with punctuation",
    "",
]


@pytest.fixture(scope="module")
def java_classpath() -> str:
    """``java -cp``'s argument for tests/java/interop (built once per module)."""
    spec = importlib.util.spec_from_file_location("kstreams_nb_interop_build", JAVA_DIR / "run_oracle.py")
    assert spec is not None and spec.loader is not None
    build: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    if KAFKA_VERSION not in build.CLASSPATH_FILE.name:
        pytest.fail(f"tests/java/run_oracle.py does not build against Kafka {KAFKA_VERSION}")
    build.HERE, build.SOURCES = INTEROP, INTEROP / "src" / "main" / "java"
    build.TARGET = JAVA_DIR / "target" / "interop"  # ignored by git, as the oracle's own target
    build.CLASSES, build.CLASSPATH_FILE = build.TARGET / "classes", build.TARGET / build.CLASSPATH_FILE.name
    build.TARGET.mkdir(parents=True, exist_ok=True)
    try:
        missing = build.missing_tools()
        if missing:
            raise build.OracleUnavailable(f"the Java interop programs need {', '.join(missing)} on PATH")
        classpath = build._classpath()
    except build.OracleUnavailable as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Java interop programs must run in CI: {e}")
        pytest.skip(f"Java interop programs unavailable: {e}")
    build._compile(classpath)
    return f"{build.CLASSES}{os.pathsep}{classpath}"


def run_java(classpath: str, main: str, *args: str, stdin: str = "") -> list[list[str]]:
    """Run a Java main class to completion; its stdout's lines split on tabs."""
    result = subprocess.run(["java", "-Dfile.encoding=UTF-8", "-cp", classpath, main, *args],
                            input=stdin.encode(), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return [line.split("\t") for line in result.stdout.decode("utf-8").split("\n")[:-1]]


def consume_with_java(classpath: str, kafka: LocalKafka, topic: str, value_type: str) -> list[list[str]]:
    """What the Java consumer decodes from ``topic``: ``[partition, offset, key, value]`` by partition and offset."""
    rows = run_java(classpath, CLIENTS, "consume", kafka.bootstrap_servers, topic, value_type)
    return sorted(rows, key=lambda row: (int(row[0]), int(row[1])))


@contextlib.contextmanager
def word_count_demo(kafka: LocalKafka, classpath: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Java's WordCountDemo running on ``kafka`` with its own application id, stopped as Ctrl-C would."""
    props = tmp_path / "wordcount.properties"
    props.write_text("\n".join([
        f"application.id=streams-wordcount-{uuid.uuid4().hex[:8]}", f"bootstrap.servers={kafka.bootstrap_servers}",
        f"state.dir={tmp_path / 'java-state'}", "commit.interval.ms=100",
    ]) + "\n")
    with (tmp_path / "wordcount.log").open("wb") as log:
        demo = subprocess.Popen(["java", "-cp", classpath, WORD_COUNT_DEMO, str(props)],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            yield demo
        finally:
            demo.send_signal(signal.SIGTERM)  # its shutdown hook closes the KafkaStreams
            try:
                demo.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()


def final_counts(kafka: LocalKafka, topic: str) -> dict[str, int]:
    """The last count of every word in a word count's output."""
    counts: dict[str, int] = {}
    for messages in read_partitions(kafka, topic).values():
        for m in messages:
            counts[S.deserialize(topic, m.key())] = L.deserialize(topic, m.value())
    return counts


def streams_config(kafka: LocalKafka, name: str, state_dir: Path) -> dict[str, Any]:
    return {"application.id": f"{name}-{uuid.uuid4().hex[:8]}", "bootstrap.servers": kafka.bootstrap_servers,
            "commit.interval.ms": 100, "state.dir": str(state_dir)}


def decoded(kafka: LocalKafka, topic: str, value_serde: Any) -> list[list[str]]:
    """Every record of ``topic`` as the Java consumer prints it: partition, offset, key, value (as text)."""
    return [[str(p), str(m.offset()), S.deserialize(topic, m.key()), str(value_serde.deserialize(topic, m.value()))]
            for p, messages in sorted(read_partitions(kafka, topic).items()) for m in messages]


def test_java_word_count_demo_and_ours_reach_the_same_counts(
    kafka_broker: LocalKafka, java_classpath: str, tmp_path: Path
) -> None:
    """Both read ``streams-plaintext-input`` (3 partitions) on the same broker and reach the same final count
    per word (Java's ``split("\\W+")`` quirks included: a line starting with a non-word character counts the
    empty word); a Java consumer decodes our String keys and Long counts as we wrote them."""
    for topic in (DEMO_INPUT, DEMO_OUTPUT):  # fixed names: a second user on this broker fails here
        create_topic(kafka_broker, topic, 3)
    ours = new_topic(kafka_broker, 3, prefix="ours-wordcount")
    for p in range(3):
        produce(kafka_broker, DEMO_INPUT, [(None, line.encode()) for line in LINES], partition=p)
    expected = Counter(w for line in LINES * 3 for w in java_split_non_word(line.lower()))
    assert expected[""] == 9 and expected["hello"] == 12  # the demo's quirks are in the input

    streams = KafkaStreams(word_count(DEMO_INPUT, ours), streams_config(kafka_broker, "ours-wordcount", tmp_path))
    with word_count_demo(kafka_broker, java_classpath, tmp_path) as demo:
        streams.start()
        try:
            deadline = time.monotonic() + 90
            while (counts := (final_counts(kafka_broker, DEMO_OUTPUT), final_counts(kafka_broker, ours))) != \
                    (expected, expected):
                assert demo.poll() is None, (tmp_path / "wordcount.log").read_text(errors="replace")
                assert streams.state() in (State.REBALANCING, State.RUNNING), streams.exception
                assert time.monotonic() < deadline, f"after 90 s: Java {counts[0]}, ours {counts[1]}"
                time.sleep(0.2)
        finally:
            assert streams.close(timeout=30)

    read_by_java = consume_with_java(java_classpath, kafka_broker, ours, "long")
    assert read_by_java == decoded(kafka_broker, ours, L)
    assert {key: int(count) for _, _, key, count in read_by_java} == expected


def test_keys_land_where_a_java_producer_puts_them_and_java_reads_our_strings(
    kafka_broker: LocalKafka, java_classpath: str, tmp_path: Path
) -> None:
    """The same keys, produced by a Java producer and by our sink to 6-partition topics, land on the same
    partition each (murmur2, as Java's default partitioner); a Java consumer reads our UTF-8 strings back."""
    keys = [f"key-{i}" for i in range(60)] + [f"schlüssel-{i}" for i in range(20)] + ["键", "ключ", "x" * 300, ""]
    source, ours, javas = new_topic(kafka_broker, 1), new_topic(kafka_broker, 6), new_topic(kafka_broker, 6)
    java_partition = {key: int(p) for key, p in run_java(
        java_classpath, CLIENTS, "produce", kafka_broker.bootstrap_servers, javas, stdin="".join(f"{k}\n" for k in keys)
    )}
    assert len(java_partition) == len(keys) and set(java_partition.values()) == set(range(6))

    value = "{} → grüße ✓".format
    produce(kafka_broker, source, [(S.serialize(source, k), S.serialize(source, value(k))) for k in keys])
    topology = (Topology()
                .add_source("in", source, key_deserializer=S, value_deserializer=S)
                .add_sink("out", ours, "in", key_serializer=S, value_serializer=S))
    streams = KafkaStreams(topology, streams_config(kafka_broker, "ours-partitions", tmp_path))
    streams.start()
    try:
        assert streams.wait_until_processed(timeout=60), streams.exception
    finally:
        assert streams.close(timeout=30)

    read_by_java = consume_with_java(java_classpath, kafka_broker, ours, "string")
    assert read_by_java == decoded(kafka_broker, ours, S)
    assert sorted(key for _, _, key, _ in read_by_java) == sorted(keys)
    for p, _, key, text in read_by_java:
        assert (int(p), text) == (java_partition[key], value(key)), key
