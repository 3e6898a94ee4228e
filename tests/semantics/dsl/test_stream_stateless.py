"""KStream stateless operators, value for value as Kafka's tests (streams/src/test/java/org/apache/kafka/streams/
kstream/internals/): KStreamFilterTest, KStreamMapTest, KStreamMapValuesTest, KStreamFlatMapTest,
KStreamFlatMapValuesTest, KStreamSelectKeyTest, KStreamPeekTest, KStreamForeachTest, KStreamPrintTest."""

from __future__ import annotations

import io
from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, Printed, StreamsBuilder
from kstreams_nb.dsl.stateless import Print
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, streams_config

INT, S = Serdes.integer(), Serdes.string()
PROPS = streams_config(INT, S)
TOPIC = "topic"


def _int_string_stream(builder: StreamsBuilder, topic: str = TOPIC) -> Any:
    return builder.stream(topic, Consumed.with_(INT, S))


def test_filter() -> None:
    """KStreamFilterTest.testFilter: keys 1..7, predicate key % 3 == 0 → 2 records."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).filter(lambda k, v: k % 3 == 0).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S)
        for key in [1, 2, 3, 4, 5, 6, 7]:
            topic.pipe_input(key, f"V{key}")
    assert [r.key for r in supplier.the_captured_processor().processed] == [3, 6]
    assert len(supplier.the_captured_processor().processed) == 2


def test_filter_not() -> None:
    """KStreamFilterTest.testFilterNot: 5 of keys 1..7 are not multiples of three."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).filter_not(lambda k, v: k % 3 == 0).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        for key in [1, 2, 3, 4, 5, 6, 7]:
            driver.create_input_topic(TOPIC, INT, S).pipe_input(key, f"V{key}")
    assert [r.key for r in supplier.the_captured_processor().processed] == [1, 2, 4, 5, 7]


def test_map() -> None:
    """KStreamMapTest.testMap: swap key and value; timestamps 10 - key."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).map(lambda k, v: (v, k)).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        for key in [0, 1, 2, 3]:
            driver.create_input_topic(TOPIC, INT, S, 0, 0).pipe_input(key, f"V{key}", 10 - key)
    assert supplier.the_captured_processor().processed == [
        KVT("V0", 0, 10), KVT("V1", 1, 9), KVT("V2", 2, 8), KVT("V3", 3, 7),
    ]


def test_map_values() -> None:
    """KStreamMapValuesTest.testFlatMapValues (sic): mapValues(CharSequence::length), timestamps key / 2."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).map_values(len).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        for key in [1, 10, 100, 1000]:
            driver.create_input_topic(TOPIC, INT, S).pipe_input(key, str(key), key // 2)
    assert supplier.the_captured_processor().processed == [
        KVT(1, 1, 0), KVT(10, 2, 5), KVT(100, 3, 50), KVT(1000, 4, 500),
    ]


def test_map_values_with_key() -> None:
    """KStreamMapValuesTest.testMapValuesWithKeys: value.length() + readOnlyKey."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).map_values(lambda k, v: len(v) + k, with_key=True).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S)
        for key in [1, 10, 100, 1000]:
            topic.pipe_input(key, str(key), key // 2)
    assert supplier.the_captured_processor().processed == [
        KVT(1, 2, 0), KVT(10, 12, 5), KVT(100, 103, 50), KVT(1000, 1004, 500),
    ]


def test_flat_map() -> None:
    """KStreamFlatMapTest.testFlatMap: key k yields k pairs (str(k * 10 + i), value)."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _int_string_stream(builder).flat_map(lambda k, v: [(str(k * 10 + i), str(v)) for i in range(k)]).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S, 0, 0)
        for key in [0, 1, 2, 3]:
            topic.pipe_input(key, f"V{key}")
    assert supplier.the_captured_processor().processed == [
        KVT("10", "V1", 0), KVT("20", "V2", 0), KVT("21", "V2", 0),
        KVT("30", "V3", 0), KVT("31", "V3", 0), KVT("32", "V3", 0),
    ]


def test_flat_map_values() -> None:
    """KStreamFlatMapValuesTest.testFlatMapValues: value v → ["v" + v, "V" + v]."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream(TOPIC, Consumed.with_(INT, INT)).flat_map_values(lambda v: [f"v{v}", f"V{v}"]).process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, INT, 0, 0)
        for key in [0, 1, 2, 3]:
            topic.pipe_input(key, key, 0)
    assert supplier.the_captured_processor().processed == [
        KVT(0, "v0", 0), KVT(0, "V0", 0), KVT(1, "v1", 0), KVT(1, "V1", 0),
        KVT(2, "v2", 0), KVT(2, "V2", 0), KVT(3, "v3", 0), KVT(3, "V3", 0),
    ]


def test_flat_map_values_with_keys() -> None:
    """KStreamFlatMapValuesTest.testFlatMapValuesWithKeys: → ["v" + value, "k" + readOnlyKey]."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.stream(TOPIC, Consumed.with_(INT, INT))
        .flat_map_values(lambda k, v: [f"v{v}", f"k{k}"], with_key=True)
        .process(supplier)
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, INT, 0, 0)
        for key in [0, 1, 2, 3]:
            topic.pipe_input(key, key, 0)
    assert supplier.the_captured_processor().processed == [
        KVT(0, "v0", 0), KVT(0, "k0", 0), KVT(1, "v1", 0), KVT(1, "k1", 0),
        KVT(2, "v2", 0), KVT(2, "k2", 0), KVT(3, "v3", 0), KVT(3, "k3", 0),
    ]


def test_select_key() -> None:
    """KStreamSelectKeyTest.testSelectKey: values 1, 2, 3 piped without keys get keys ONE, TWO, THREE."""
    key_map = {1: "ONE", 2: "TWO", 3: "THREE"}
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream("topic_key_select", Consumed.with_(S, INT)).select_key(lambda k, v: key_map[v]).process(supplier)
    with TopologyTestDriver(builder.build(), streams_config(S, INT)) as driver:
        topic = driver.create_input_topic("topic_key_select", S, INT, 0, 0)
        for value in [1, 2, 3]:
            topic.pipe_input(value)
    assert supplier.the_captured_processor().processed == [KVT("ONE", 1, 0), KVT("TWO", 2, 0), KVT("THREE", 3, 0)]


def test_peek_observes_stream_elements() -> None:
    """KStreamPeekTest.shouldObserveStreamElements: peek and the downstream foreach both see all 32 records."""
    builder = StreamsBuilder()
    peeked: list[tuple[int, str]] = []
    streamed: list[tuple[int, str]] = []
    _int_string_stream(builder).peek(lambda k, v: peeked.append((k, v))).foreach(lambda k, v: streamed.append((k, v)))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S)
        expected = []
        for key in range(32):
            topic.pipe_input(key, f"V{key}")
            expected.append((key, f"V{key}"))
        assert peeked == expected
        assert streamed == expected


def test_peek_does_not_allow_a_non_callable_action() -> None:
    """KStreamPeekTest.shouldNotAllowNullAction (NullPointerException in Java, TopologyError here)."""
    stream = _int_string_stream(StreamsBuilder())
    with pytest.raises(TopologyError, match="peek's action"):
        stream.peek(None)


def test_foreach() -> None:
    """KStreamForeachTest.testForeach: the action sees (key * 2, value.upper())."""
    actual: list[tuple[int, str]] = []
    builder = StreamsBuilder()
    _int_string_stream(builder).foreach(lambda k, v: actual.append((k * 2, v.upper())))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S)
        for k, v in [(0, "zero"), (1, "one"), (2, "two"), (3, "three")]:
            topic.pipe_input(k, v)
    assert actual == [(0, "ZERO"), (2, "ONE"), (4, "TWO"), (6, "THREE")]


def test_print_with_provided_key_value_mapper() -> None:
    """KStreamPrintTest.testPrintStreamWithProvidedKeyValueMapper: "[test-stream]: 0, zero" etc."""

    class Out(io.StringIO):
        def close(self) -> None:  # keep the text readable after the processor closes
            pass

    out = Out()
    printer = Print("test-stream", lambda k, v: f"{k}, {v}", None)
    printer.init(None)  # type: ignore[arg-type]
    printer._out = out
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (3, "three")]:
        printer.process(Record(k, v, 0))
    printer.close()
    assert out.getvalue().splitlines() == [
        "[test-stream]: 0, zero", "[test-stream]: 1, one", "[test-stream]: 2, two", "[test-stream]: 3, three",
    ]


def test_print_labels_with_the_printed_streams_name_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """KStreamImpl.print / PrintedInternal.build(this.name): the default label is the name of the printed stream
    (here its source), not the printer's; Printed.with_label and with_name override label and processor name."""
    builder = StreamsBuilder()
    stream = _int_string_stream(builder)
    stream.print(Printed.to_sys_out())
    stream.print(Printed.to_sys_out().with_label("lbl").with_name("my-printer"))
    topology = builder.build()
    assert [s.name for s in topology.describe().subtopologies[0].nodes] == [
        "KSTREAM-SOURCE-0000000000", "KSTREAM-PRINTER-0000000001", "my-printer",
    ]
    with TopologyTestDriver(topology, PROPS) as driver:
        driver.create_input_topic(TOPIC, INT, S).pipe_input(7, "seven")
    assert capsys.readouterr().out.splitlines() == ["[KSTREAM-SOURCE-0000000000]: 7, seven", "[lbl]: 7, seven"]


def test_print_to_file(tmp_path: Any) -> None:
    """Printed.toFile writes the same lines to a file."""
    path = tmp_path / "out.txt"
    builder = StreamsBuilder()
    _int_string_stream(builder).print(Printed.to_file(str(path)).with_label("f"))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic(TOPIC, INT, S)
        topic.pipe_input(1, "one")
        topic.pipe_input(2, "two")
    assert path.read_text(encoding="utf-8").splitlines() == ["[f]: 1, one", "[f]: 2, two"]
