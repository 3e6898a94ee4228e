"""Test helpers mirroring Kafka's streams test utilities (MockApiProcessorSupplier, KeyValueTimestamp,
StreamsTestUtils.getStreamsConfig, MockMapper / MockReducer / MockAggregator / MockInitializer)."""

from __future__ import annotations

from typing import Any, NamedTuple

from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.state import ValueAndTimestamp

__all__ = [
    "KeyValueTimestamp",
    "MockProcessor",
    "MockProcessorSupplier",
    "STRING_ADDER",
    "STRING_INIT",
    "STRING_REMOVER",
    "TOSTRING_ADDER",
    "TOSTRING_REMOVER",
    "no_op_key_value_mapper",
    "select_value_key_value_mapper",
    "streams_config",
]


class KeyValueTimestamp(NamedTuple):
    """Kafka's KeyValueTimestamp: what MockApiProcessor records per processed record."""

    key: Any
    value: Any
    timestamp: int


class MockProcessor(Processor):
    """Kafka's MockApiProcessor: records every (key, value, timestamp) and the last value per key."""

    def __init__(self) -> None:
        self.processed: list[KeyValueTimestamp] = []
        self.last_value_and_timestamp_per_key: dict[Any, ValueAndTimestamp[Any]] = {}

    def process(self, record: Record) -> None:
        self.processed.append(KeyValueTimestamp(record.key, record.value, record.timestamp))
        if record.value is not None:
            self.last_value_and_timestamp_per_key[record.key] = ValueAndTimestamp(record.value, record.timestamp)
        else:
            self.last_value_and_timestamp_per_key.pop(record.key, None)

    def check_and_clear_process_result(self, *expected: KeyValueTimestamp) -> None:
        """Kafka's ``checkAndClearProcessResult``."""
        assert self.processed == list(expected)
        self.processed.clear()


class MockProcessorSupplier:
    """Kafka's MockApiProcessorSupplier: a new MockProcessor per call, all of them kept in creation order."""

    def __init__(self) -> None:
        self.processors: list[MockProcessor] = []

    def __call__(self) -> MockProcessor:
        processor = MockProcessor()
        self.processors.append(processor)
        return processor

    def the_captured_processor(self) -> MockProcessor:
        """The only processor created (the test driver runs one task)."""
        assert len(self.processors) == 1, f"expected one processor, got {len(self.processors)}"
        return self.processors[0]


def streams_config(key_serde: Any, value_serde: Any, **extra: Any) -> dict[str, Any]:
    """StreamsTestUtils.getStreamsConfig(keySerde, valueSerde)."""
    return {"default.key.serde": key_serde, "default.value.serde": value_serde, **extra}



# MockMapper / MockReducer / MockAggregator / MockInitializer
def no_op_key_value_mapper(key: Any, value: Any) -> tuple[Any, Any]:
    """MockMapper.noOpKeyValueMapper."""
    return key, value


def select_value_key_value_mapper(key: Any, value: Any) -> tuple[Any, Any]:
    """MockMapper.selectValueKeyValueMapper."""
    return value, value


def STRING_ADDER(agg: str, value: str) -> str:
    return f"{agg}+{value}"


def STRING_REMOVER(agg: str, value: str) -> str:
    return f"{agg}-{value}"


def TOSTRING_ADDER(key: Any, value: Any, agg: Any) -> str:
    return f"{agg}+{value}"


def TOSTRING_REMOVER(key: Any, value: Any, agg: Any) -> str:
    return f"{agg}-{value}"


def STRING_INIT() -> str:
    return "0"


def dropped_records_total(driver: Any) -> float:
    """The driver task's ``dropped-records-total`` (Kafka's TaskMetrics), read through ``driver.metrics()`` as
    Kafka's tests read it (``getMetricByName(driver.metrics(), "dropped-records-total", "stream-task-metrics")``)."""
    found = [v for m, v in driver.metrics().items()
             if m.name == "dropped-records-total" and m.group == "stream-task-metrics"]
    assert len(found) == 1, found
    return float(found[0])
