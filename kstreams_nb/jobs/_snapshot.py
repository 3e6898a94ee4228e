"""JobSnapshot: what a live view of a running application needs at one instant, and its JSON form.

A snapshot is read from a KafkaStreams through its public readers only (``state()``, ``metrics()``,
``local_tasks()``, ``committed_offsets()``): the engine's metric names are Kafka's, so records/s per task come
from ``stream-task-metrics`` ``process-rate``, per node from ``stream-processor-node-metrics`` ``process-rate``
(recorded only at ``metrics.recording.level=DEBUG``: empty otherwise), lag from ``consumer-fetch-manager-metrics``
``records-lag`` and restore progress from ``restore-total`` / ``restore-remaining-records-total``.

A process job writes :func:`to_json` of its snapshot into its status file about once a second; another process
reads it back with :func:`from_json` (an exact round trip) and :func:`merge` combines the snapshots of a job's
processes into one.

Example::

    >>> s = JobSnapshot(state="RUNNING", taken_at=1.5, lag={"in-0": 3})
    >>> from_json(to_json(s)) == s
    True
    >>> s.done, JobSnapshot(state="NOT_RUNNING", taken_at=2.0, done=True).done
    (False, True)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from kstreams_nb._time import Clock, SystemClock
from kstreams_nb.errors import JobError, KStreamsError
from kstreams_nb.streams import KafkaStreams, MetricName

__all__ = ["FINAL_STATES", "JobSnapshot", "MetricRow", "from_json", "merge", "metrics_of", "snapshot_of", "to_json"]

#: the states after which nothing runs any more (KafkaStreams' and a Job's)
FINAL_STATES = frozenset({"NOT_RUNNING", "ERROR", "STOPPED", "FAILED", "DEAD"})
_VERSION = 1
_TASK_GROUP = "stream-task-metrics"
_NODE_GROUP = "stream-processor-node-metrics"
_CONSUMER_GROUP = "consumer-fetch-manager-metrics"


@dataclass(frozen=True)
class MetricRow:
    """One metric of a snapshot: Kafka's group, name and tags (sorted ``(key, value)`` pairs) and its value.

    Example: ``MetricRow("stream-task-metrics", "process-rate", (("task-id", "0_0"),), 2.5)``.
    """

    group: str
    name: str
    tags: tuple[tuple[str, str], ...]
    value: float

    def tag(self, key: str) -> str | None:
        """The value of tag ``key`` (None when the metric has no such tag)."""
        return next((v for k, v in self.tags if k == key), None)


@dataclass(frozen=True)
class JobSnapshot:
    """A running application at one instant (see the module docstring for where each part comes from).

    ``state`` is a KafkaStreams State name (or a Job state name for a merged snapshot), ``taken_at`` epoch
    seconds; ``tasks`` maps thread -> task ids; ``records_per_s_by_task`` / ``_by_node``, ``lag`` and
    ``committed`` (partitions written ``"topic-p"``), ``restoring`` (task -> (restored, total) records),
    ``errors`` (recent error lines), ``done`` (nothing runs any more).

    Example: ``snapshot_of(streams).lag`` → ``{'lines-0': 0}``.
    """

    state: str
    taken_at: float
    metrics: tuple[MetricRow, ...] = ()
    tasks: dict[str, list[str]] = field(default_factory=dict)
    records_per_s_by_task: dict[str, float] = field(default_factory=dict)
    records_per_s_by_node: dict[str, float] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)
    committed: dict[str, int] = field(default_factory=dict)
    restoring: dict[str, tuple[int, int]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    done: bool = False


def _partition(topic: str, partition: int | str) -> str:
    return f"{topic}-{partition}"


def snapshot_of(streams: KafkaStreams, errors: Sequence[str] = (), *, clock: Clock | None = None) -> JobSnapshot:
    """A snapshot of ``streams`` now; ``errors`` are recent error lines (the instance's own exception, when it
    failed, is added). Safe from any thread.

    Example: ``snapshot_of(streams).records_per_s_by_task`` → ``{'0_0': 12.5, '0_1': 0.0}``.
    """
    taken_at = (clock or SystemClock()).milliseconds() / 1000
    state = streams.state().name
    values = streams.metrics()
    rows = tuple(sorted(
        (MetricRow(m.group, m.name, tuple(sorted(m.tags.items())), float(v)) for m, v in values.items()),
        key=lambda r: (r.group, r.name, r.tags),
    ))
    by_task: dict[str, float] = {}
    by_node: dict[str, float] = {}
    lag: dict[str, int] = {}
    restored: dict[str, int] = {}
    remaining: dict[str, int] = {}
    for row in rows:
        task = row.tag("task-id")
        if row.group == _TASK_GROUP and task is not None:
            if row.name == "process-rate":
                by_task[task] = by_task.get(task, 0.0) + row.value
            elif row.name == "restore-total":
                restored[task] = int(row.value)
            elif row.name == "restore-remaining-records-total":
                remaining[task] = int(row.value)
        elif row.group == _NODE_GROUP and row.name == "process-rate" and (node := row.tag("processor-node-id")):
            by_node[node] = by_node.get(node, 0.0) + row.value
        elif row.group == _CONSUMER_GROUP and row.name == "records-lag":
            topic, partition = row.tag("topic"), row.tag("partition")
            if topic is not None and partition is not None:
                lag[_partition(topic, partition)] = int(row.value)
    try:
        offsets = sorted(streams.committed_offsets().items())
        committed = {_partition(tp.topic, tp.partition): int(o) for tp, o in offsets}
    except KStreamsError:  # not started, or the broker cannot answer now: the next snapshot tries again
        committed = {}
    lines = list(errors)
    failure = getattr(streams, "exception", None)
    if failure is not None and (line := f"{type(failure).__name__}: {failure}") not in lines:
        lines.append(line)
    return JobSnapshot(
        state=state,
        taken_at=taken_at,
        metrics=rows,
        tasks=streams.local_tasks(),
        records_per_s_by_task=by_task,
        records_per_s_by_node=by_node,
        lag=lag,
        committed=committed,
        restoring={t: (restored.get(t, 0), restored.get(t, 0) + n) for t, n in sorted(remaining.items()) if n > 0},
        errors=tuple(lines),
        done=state in FINAL_STATES,
    )


def merge(parts: Iterable[JobSnapshot], state: str) -> JobSnapshot:
    """One snapshot of an application from the snapshots of its processes, in ``state`` (the job's): tasks,
    lag and restoring joined, records/s added up, the highest committed offset and the latest ``taken_at`` kept.

    Example: ``merge([from_json(a), from_json(b)], "RUNNING").records_per_s_by_node``.
    """
    parts = list(parts)
    by_task: dict[str, float] = {}
    by_node: dict[str, float] = {}
    committed: dict[str, int] = {}
    for p in parts:
        for key, rate in p.records_per_s_by_task.items():
            by_task[key] = by_task.get(key, 0.0) + rate
        for key, rate in p.records_per_s_by_node.items():
            by_node[key] = by_node.get(key, 0.0) + rate
        for key, offset in p.committed.items():
            committed[key] = max(offset, committed.get(key, offset))
    return JobSnapshot(
        state=state,
        taken_at=max((p.taken_at for p in parts), default=SystemClock().milliseconds() / 1000),
        metrics=tuple(row for p in parts for row in p.metrics),
        tasks={thread: tasks for p in parts for thread, tasks in p.tasks.items()},
        records_per_s_by_task=by_task,
        records_per_s_by_node=by_node,
        lag={key: n for p in parts for key, n in p.lag.items()},
        committed=committed,
        restoring={task: progress for p in parts for task, progress in p.restoring.items()},
        errors=tuple(e for p in parts for e in p.errors),
        done=state in FINAL_STATES,
    )


def metrics_of(snapshot: JobSnapshot) -> dict[MetricName, float]:
    """The snapshot's metrics as ``KafkaStreams.metrics()`` gives them (``MetricName`` -> value).

    Example: ``metrics_of(job.snapshot())``.
    """
    return {MetricName(r.name, r.group, dict(r.tags)): r.value for r in snapshot.metrics}


# ---------------------------------------------------------------------------------------------- JSON
def to_json(snapshot: JobSnapshot) -> str:
    """The snapshot as one line of JSON (what a process job writes into its status file).

    Example: ``from_json(to_json(s)) == s``.
    """
    data: dict[str, Any] = {"version": _VERSION}
    for f in fields(JobSnapshot):
        data[f.name] = getattr(snapshot, f.name)
    data["metrics"] = [[r.group, r.name, [list(t) for t in r.tags], r.value] for r in snapshot.metrics]
    data["restoring"] = {task: list(progress) for task, progress in snapshot.restoring.items()}
    data["errors"] = list(snapshot.errors)
    return json.dumps(data, separators=(",", ":"))


def from_json(text: str) -> JobSnapshot:
    """The snapshot that :func:`to_json` wrote; JobError naming what is wrong for anything else.

    Example: ``from_json(status["snapshot"]).state`` → ``'RUNNING'``.
    """
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as e:
        raise JobError(f"the job snapshot is not valid JSON ({e}): the status file is damaged or was cut short; "
                       f"the job rewrites it about once a second") from None
    if not isinstance(data, dict):
        raise JobError(f"the job snapshot is a JSON {type(data).__name__}, not an object")
    if data.get("version") != _VERSION:
        raise JobError(f"the job snapshot has version {data.get('version')!r}; this kstreams_nb reads version "
                       f"{_VERSION}: read it with the kstreams_nb version that runs the job")
    missing = [f.name for f in fields(JobSnapshot) if f.name not in data]
    if missing:
        raise JobError(f"the job snapshot lacks {', '.join(missing)}")
    try:
        return JobSnapshot(
            state=_typed(data, "state", str),
            taken_at=float(_typed(data, "taken_at", (int, float))),
            metrics=tuple(_metric_row(row) for row in _typed(data, "metrics", list)),
            tasks={t: _strings(f"tasks[{t!r}]", ids) for t, ids in _mapping(data, "tasks", list).items()},
            records_per_s_by_task=_mapping(data, "records_per_s_by_task", float),
            records_per_s_by_node=_mapping(data, "records_per_s_by_node", float),
            lag=_mapping(data, "lag", int),
            committed=_mapping(data, "committed", int),
            restoring={task: _progress(task, v) for task, v in _mapping(data, "restoring", list).items()},
            errors=tuple(_strings("errors", _typed(data, "errors", list))),
            done=_typed(data, "done", bool),
        )
    except (TypeError, ValueError) as e:
        raise JobError(f"the job snapshot is malformed: {e}") from None


def _typed(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise JobError(f"the job snapshot's {key} is {value!r}, not {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def _mapping(data: Mapping[str, Any], key: str, kind: type) -> dict[str, Any]:
    """``data[key]`` checked to be an object whose values are of ``kind`` (ints accepted for floats)."""
    value = _typed(data, key, dict)
    accept: type | tuple[type, ...] = (int, float) if kind is float else kind
    convert: Callable[[Any], Any] = float if kind is float else (lambda v: v)
    return {k: convert(_typed({f"{key}[{k!r}]": v}, f"{key}[{k!r}]", accept)) for k, v in value.items()}


def _strings(what: str, values: list[Any]) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise JobError(f"the job snapshot's {what} is {values!r}, not a list of strings")
    return values


def _metric_row(row: Any) -> MetricRow:
    if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[1], str)
            and isinstance(row[2], list) and isinstance(row[3], (int, float)) and not isinstance(row[3], bool)):
        raise JobError(f"the job snapshot has a malformed metric {row!r}: expected [group, name, tags, value]")
    tags = []
    for pair in row[2]:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise JobError(f"the job snapshot's metric {row[1]!r} has a malformed tag {pair!r}")
        tags.append((pair[0], pair[1]))
    return MetricRow(row[0], row[1], tuple(tags), float(row[3]))


def _progress(task: str, value: list[Any]) -> tuple[int, int]:
    if len(value) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        raise JobError(f"the job snapshot's restoring[{task!r}] is {value!r}, not [restored, total]")
    return value[0], value[1]
