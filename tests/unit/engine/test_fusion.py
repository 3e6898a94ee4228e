"""Fused stateless chains (kstreams_nb/_engine/fusion.py): same records, same errors, same names, same metrics."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb import TopologyTestDriver
from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.errors import ProcessingError, SerializationError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record


def _chain_topology(seen: list[tuple[Any, Any]]) -> Any:
    b = StreamsBuilder()
    (
        b.stream("in")
        .map_values(lambda v: v * 2)
        .filter(lambda k, v: v % 3 != 0)
        .filter_not(lambda k, v: v == 4)
        .peek(lambda k, v: seen.append((k, v)))
        .select_key(lambda k, v: f"{k}-{v}")
        .map(lambda k, v: (k.upper(), v + 1))
        .map_values(lambda k, v: f"{k}={v}", with_key=True)
        .to("out")
    )
    return b.build()


def _run(config: dict[str, Any], inputs: list[tuple[str, int]]) -> tuple[list[Any], list[Any], Any]:
    seen: list[tuple[Any, Any]] = []
    with TopologyTestDriver(_chain_topology(seen), config) as driver:
        source = driver.create_input_topic("in")
        for i, (k, v) in enumerate(inputs):
            source.pipe_input(k, v, i)
        out = driver.create_output_topic("out").read_records_to_list()
        task = driver._task
        runs = {name: node.run for name, node in task.nodes.items()}
        return [(r.key, r.value, r.timestamp) for r in out], seen, (task, runs)


INPUTS = [("a", 1), ("b", 2), ("c", 3), ("d", 5), ("e", 0)]


def test_a_chain_runs_fused_and_gives_what_the_nodes_give_one_by_one() -> None:
    fused, seen_fused, (task, runs) = _run({}, INPUTS)
    plain, seen_plain, _ = _run({"metrics.recording.level": "DEBUG"}, INPUTS)  # instrumented: never fused
    assert fused == plain == [("A-2", "A-2=3", 0), ("D-10", "D-10=11", 3)]
    assert seen_fused == seen_plain == [("a", 2), ("d", 10)]
    first = task.nodes["KSTREAM-MAPVALUES-0000000001"]
    assert runs["KSTREAM-MAPVALUES-0000000001"] != first.processor.process  # the chain's entry point


def test_per_node_metrics_at_debug_see_every_node() -> None:
    _, _, (task, _) = _run({"metrics.recording.level": "DEBUG"}, INPUTS)
    counts = {name: c[0] for name, c in task.node_counts.items()}
    assert counts["KSTREAM-MAPVALUES-0000000001"] == 5
    assert counts["KSTREAM-FILTER-0000000002"] == 5
    assert counts["KSTREAM-FILTER-0000000003"] == 3
    assert counts["KSTREAM-SINK-0000000008"] == 2


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_failing_step_is_its_own_nodes_failure(level: str) -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: v + 1).filter(lambda k, v: 10 // v > 0).map_values(str).to("out")
    with TopologyTestDriver(b.build(), {"metrics.recording.level": level}) as driver:
        source = driver.create_input_topic("in")
        source.pipe_input("k", 1)
        with pytest.raises(ProcessingError) as info:
            source.pipe_input("k", -1)
    assert info.value.node == "KSTREAM-FILTER-0000000002"
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_skipped_failure_drops_the_record_at_its_node_and_the_next_ones_go_on() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: v + 1).map(lambda k, v: (k, 10 // v)).map_values(str).to("out")
    config = {"processing.exception.handler": "log_and_continue"}
    with TopologyTestDriver(b.build(), config) as driver:
        source = driver.create_input_topic("in")
        for v in (1, -1, 4):
            source.pipe_input("k", v)
        assert driver.create_output_topic("out").read_values_to_list() == ["5", "2"]
        assert driver._task.dropped == 1


def test_a_malformed_map_result_names_the_map() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: v).map(lambda k, v: [k, v]).to("out")
    with TopologyTestDriver(b.build()) as driver, pytest.raises(ProcessingError) as info:
        driver.create_input_topic("in").pipe_input("k", 1)
    assert info.value.node == "KSTREAM-MAP-0000000002"
    assert "must return a (key, value) tuple" in str(info.value)


def test_a_subclass_that_overrides_process_is_not_fused() -> None:
    from kstreams_nb.dsl.stateless import MapValues

    class Loud(MapValues):
        def process(self, record: Record) -> None:
            self.context.forward(record.with_value(f"{self.mapper(record.value)}!"))

    assert Loud(str).fusion() is None
    assert MapValues(str).fusion() == ("map_values", str)


def test_a_branching_node_ends_the_chain() -> None:
    b = StreamsBuilder()
    s = b.stream("in").map_values(lambda v: v * 10)
    s.filter(lambda k, v: v > 10).to("big")
    s.map_values(lambda v: -v).to("neg")
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("in")
        source.pipe_input("k", 1)
        source.pipe_input("k", 2)
        assert driver.create_output_topic("big").read_values_to_list() == [20]
        assert driver.create_output_topic("neg").read_values_to_list() == [-10, -20]


class _Counter(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(record.value + 1))


def test_a_user_processor_between_stateless_steps_is_left_alone() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: v * 2).process(_Counter).filter(lambda k, v: v > 2).map_values(str).to("out")
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("in")
        source.pipe_input("k", 1)
        source.pipe_input("k", 0)
        assert driver.create_output_topic("out").read_values_to_list() == ["3"]


# ---------------------------------------------------------------------------------------------- the inline sink
def _one_step(config: dict[str, Any]) -> tuple[TopologyTestDriver, Any]:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: {1} if v == "BAD" else v.upper()).to("out")
    driver = TopologyTestDriver(b.build(), config)
    return driver, driver.create_input_topic("in")


def test_one_step_before_a_sink_is_fused_with_the_sink() -> None:
    driver, source = _one_step({})
    with driver:
        source.pipe_input("k", "a")
        node = driver._task.nodes["KSTREAM-MAPVALUES-0000000001"]
        assert node.run != node.processor.process
        out = driver.create_output_topic("out").read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in out] == [("k", "A", 0)]


def test_an_inline_sink_that_cannot_serialize_reports_as_the_sink_does() -> None:
    driver, source = _one_step({})
    with driver, pytest.raises(SerializationError) as info:
        source.pipe_input("k", "BAD")
    assert "value" in str(info.value) and "'out'" in str(info.value)
    driver, source = _one_step({"production.exception.handler": "continue"})
    with driver:
        for v in ("a", "BAD", "b"):
            source.pipe_input("k", v)
        assert driver.create_output_topic("out").read_values_to_list() == ["A", "B"]
        assert driver._task.dropped == 1


@pytest.mark.parametrize("handler", ["fail", "continue"])
def test_a_record_the_producer_refuses_goes_to_the_production_handler(handler: str) -> None:
    driver, source = _one_step({"production.exception.handler": handler})
    with driver:
        producer = driver._producer
        plain = producer.produce

        def refuse_poison(topic: str, key: Any, value: Any, **kw: Any) -> None:
            if value == b'"POISON"':
                raise RuntimeError("refused")
            plain(topic, key, value, **kw)

        producer.produce = refuse_poison
        if handler == "fail":
            with pytest.raises(ProcessingError) as info:
                source.pipe_input("k", "poison")
            assert info.value.node == "KSTREAM-SINK-0000000002"
            assert isinstance(info.value.__cause__, RuntimeError)
            return
        for v in ("a", "poison", "b"):
            source.pipe_input("k", v)
        assert driver.create_output_topic("out").read_values_to_list() == ["A", "B"]
        assert driver._task.dropped == 1
