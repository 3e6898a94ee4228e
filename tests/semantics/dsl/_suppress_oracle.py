"""The Kafka Streams oracle's record of two suppression programs (tests/semantics/dsl/suppress_oracle.txt) and the
same programs written with kstreams_nb.

The fixture is the output of tests/java/src/main/java/kstreams_nb/oracle/SuppressChangelog.java (kafka-streams
4.4.0, TopologyTestDriver, application.id ``app``): for each program, every input it piped and the records that
input produced on the buffer's changelog and on the output topic. Downstream of the suppression, both programs
append ``@topic/partition/offset`` (the record metadata the next processor sees) to each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstreams_nb.dsl import (
    BufferConfig,
    Consumed,
    Grouped,
    Materialized,
    Produced,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
)
from kstreams_nb.processor import Processor
from kstreams_nb.records import Headers, Record, Windowed
from kstreams_nb.serdes import Serdes

FIXTURE = Path(__file__).with_name("suppress_oracle.txt")
S, L, B = Serdes.string(), Serdes.long(), Serdes.bytes()


@dataclass(frozen=True)
class Line:
    """One record of the fixture: ``kind`` is ``in``, ``changelog`` or ``out``; keys and values are raw bytes."""

    kind: str
    key: bytes | None
    value: bytes | None
    ts: int | None
    headers: Headers


@dataclass
class Step:
    """One piped input and what it produced."""

    input: Line
    changelog: list[Line]
    out: list[Line]


def _hex(text: str) -> bytes | None:
    return None if text == "null" else bytes.fromhex(text)


def _line(text: str) -> Line:
    kind, key, value, ts, headers = text.split(" ")
    pairs = headers.removeprefix("headers=")
    items = [(k, _hex(v)) for k, v in (p.split(":") for p in pairs.split(",") if p)]
    ts_text = ts.removeprefix("ts=")
    return Line(kind, _hex(key.removeprefix("key=")), _hex(value.removeprefix("value=")),
                None if ts_text == "null" else int(ts_text), Headers(items))


def load(text: str | None = None) -> dict[str, list[Step]]:
    """``{program: steps}`` from the fixture (or from ``text``, the oracle's output)."""
    programs: dict[str, list[Step]] = {}
    steps: list[Step] = []
    for raw in (FIXTURE.read_text("utf-8") if text is None else text).splitlines():
        if raw.startswith("=== "):
            steps = programs.setdefault(raw[4:], [])
        elif raw:
            line = _line(raw)
            if line.kind == "in":
                steps.append(Step(line, [], []))
            else:
                getattr(steps[-1], line.kind).append(line)
    return programs


class Tag(Processor):
    """Appends the record metadata this processor sees to the value (the oracle's ``Tag``)."""

    def process(self, record: Record) -> None:
        meta = self.context.record_metadata
        assert meta is not None
        key = record.key
        k = f"{key.key}@{key.window.start}" if isinstance(key, Windowed) else str(key)
        value = "null" if record.value is None else str(record.value)
        self.context.forward(record.with_key(k).with_value(f"{value}@{meta.topic}/{meta.partition}/{meta.offset}"))


def program(name: str) -> Any:
    """The topology the oracle ran as ``name`` (``sup``: a time limit; ``final``: until the window closes)."""
    builder = StreamsBuilder()
    grouped = builder.stream("input", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    if name == "sup":
        table = grouped.count(Materialized.with_(S, L))
        suppressed = Suppressed.until_time_limit(10, BufferConfig.max_records(100)).with_name("sup")
    else:
        table = grouped.windowed_by(TimeWindows.of_size_and_grace(10, 5)).count(Materialized.with_(S, L))
        suppressed = Suppressed.until_window_closes(BufferConfig.unbounded()).with_name("final")
    table.suppress(suppressed).to_stream().process(Tag).to("output", Produced.with_(S, S))
    return builder.build()


def changelog_topic(name: str) -> str:
    return f"app-{name}-store-changelog"
